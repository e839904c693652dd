"""A retrained model of nb_02_model against the one before it, on a frozen sample.

`train` freezes a reference sample in the artifact (`baseline["reference"]`): up to
SAMPLE_ROWS rows of the input as training read it (the target left out), and predict()'s
output on them with the model just fitted. `compare(old, new)` scores the OLD artifact's
sample with the NEW artifact and reports, per column predict() adds, how it moved:
the model's predictions and the other numbers (share of rows changed, mean and largest
absolute change), labels and booleans, where the decisions are (share of rows that changed,
the rate of each value before and after), and the rows whose prediction moved most.

`python -m nb_02_model compare-models OLD NEW` prints it; `config.Thresholds` holds the
tolerances (`prediction_tolerance`, `decision_tolerance`) that `--fail-on-change` and
tests/test_monitoring.py hold a retrained model to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nb_02_model.artifact import Artifact
from nb_02_model.config import Thresholds

SAMPLE_ROWS = 1000
SEED = 0  # the same rows for the same training data
LARGEST = 5  # rows shown with the largest change


class CompareError(Exception):
    """Artifacts that cannot be compared (one without a reference sample)."""


@dataclass(frozen=True, slots=True)
class Change:
    """How one output column moved on the reference sample."""

    column: str
    kind: (
        str  # "prediction" (the model's), "label" (text, booleans: decisions), "number"
    )
    changed: float  # share of rows whose value changed
    mean_abs: float | None  # numbers: mean absolute change
    max_abs: float | None  # numbers: largest absolute change
    before: str  # numbers: the mean; labels: the rate of each value
    after: str


@dataclass(frozen=True, slots=True)
class Comparison:
    """The new artifact's predict() against the old one's, on the old one's sample."""

    old: str  # artifact versions
    new: str
    rows: int
    changes: tuple[Change, ...]
    largest: (
        pd.DataFrame
    )  # the rows whose first prediction moved most, before and after
    thresholds: Thresholds

    def beyond(self) -> list[str]:
        """Why the new model is outside the tolerances (empty: within them)."""
        t = self.thresholds
        out = []
        for c in self.changes:
            if c.kind == "prediction" and (c.mean_abs or 0.0) > t.prediction_tolerance:
                out.append(
                    f"{c.column}: mean absolute change {c.mean_abs:.4f} > "
                    f"prediction_tolerance {t.prediction_tolerance}"
                )
            if c.kind == "label" and c.changed > t.decision_tolerance:
                out.append(
                    f"{c.column}: {c.changed:.1%} of the rows changed > "
                    f"decision_tolerance {t.decision_tolerance:.1%}"
                )
        return out


def sample(frame: object, target: Iterable[str]) -> pd.DataFrame | None:
    """Up to SAMPLE_ROWS rows of an input frame as training read it, without the target."""
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return None
    rows = frame.sample(n=min(SAMPLE_ROWS, len(frame)), random_state=SEED)
    return rows.drop(columns=[c for c in target if c in rows.columns]).reset_index(
        drop=True
    )


def freeze(
    rows: pd.DataFrame | None,
    score: Callable[[pd.DataFrame], pd.DataFrame],
    predictions: Sequence[str],
) -> dict[str, Any]:
    """The reference sample and predict()'s output on it, as the artifact keeps them.

    A sample predict() cannot score is kept with the reason, so `compare` can say why.
    """
    if rows is None:
        return {"error": "the input training read is not a data frame: no sample of it"}
    kept: dict[str, Any] = {"rows": pack(rows), "predictions": list(predictions)}
    try:
        output = score(rows)
    except (
        Exception
    ) as exc:  # training itself succeeded: the artifact says why, not train
        kept["error"] = f"predict() failed on the sample: {type(exc).__name__}: {exc}"
        return kept
    kept["output"] = pack(output[[c for c in output.columns if c not in rows.columns]])
    return kept


def pack(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as arrays skops stores without pickling: numbers as they are, the rest as text
    with a mask of the missing values."""
    values: list[Any] = []
    missing: list[Any] = []
    for label in frame.columns:
        column = frame[label]
        numeric = pd.api.types.is_numeric_dtype(column.dtype) and not isinstance(
            column.dtype, pd.CategoricalDtype
        )
        if numeric and column.dtype != object:
            values.append(column.to_numpy())
            missing.append(np.zeros(0, dtype=bool))
        else:
            empty = column.isna().to_numpy()
            values.append(np.asarray(column.astype(str).to_numpy(), dtype=str))
            missing.append(empty)
    return {
        "columns": [str(c) for c in frame.columns],
        "dtypes": [str(t) for t in frame.dtypes],
        "values": values,
        "missing": missing,
    }


def unpack(packed: Mapping[str, Any]) -> pd.DataFrame:
    """The frame `pack` stored, with its dtypes where pandas can restore them."""
    data: dict[str, Any] = {}
    for name, dtype, values, missing in zip(
        packed["columns"],
        packed["dtypes"],
        packed["values"],
        packed["missing"],
        strict=True,
    ):
        column = pd.Series(values)
        if len(missing):
            column = column.astype(object).where(~np.asarray(missing, dtype=bool), None)
        with contextlib.suppress(
            TypeError, ValueError
        ):  # else kept as text, compared so
            column = column.astype(dtype)
        data[name] = column
    return pd.DataFrame(data)


def reference(artifact: Artifact) -> Mapping[str, Any]:
    """The reference sample an artifact froze, with predict()'s output on it."""
    found = _frozen(artifact)
    if "rows" not in found or "output" not in found:
        raise CompareError(
            f"{artifact.path}: {found.get('error', 'no output on the sample')}"
        )
    return found


def frozen_rows(artifact: Artifact) -> pd.DataFrame | None:
    """The rows of the reference sample (None: training read no frame to sample)."""
    found = _frozen(artifact)
    return unpack(found["rows"]) if "rows" in found else None


def _frozen(artifact: Artifact) -> Mapping[str, Any]:
    baseline = artifact.objects.get("baseline")
    found = baseline.get("reference") if isinstance(baseline, Mapping) else None
    if not isinstance(found, Mapping):
        raise CompareError(
            f"{artifact.path}: no reference sample (an artifact made before it)"
        )
    return found


def compare(
    old: Artifact,
    new: Artifact,
    score: Callable[[pd.DataFrame, Artifact], pd.DataFrame],
    thresholds: Thresholds | None = None,
) -> Comparison:
    """Score the old artifact's reference sample with `new` (`score`: predict() of this
    package) and compare with the old artifact's output on it."""
    frozen = reference(old)
    sample = unpack(frozen["rows"])
    before = unpack(frozen["output"])
    output = score(sample, new)
    predictions = [str(p) for p in frozen.get("predictions", ())]
    changes = []
    for column in before.columns:
        if column not in output.columns:
            continue
        kind = "prediction" if _is_prediction(column, predictions) else ""
        changes.append(_change(column, before[column], output[column], kind))
    # the model's predictions first, then what moved most, what did not move last
    changes.sort(key=lambda c: (c.kind != "prediction", -c.changed))
    first = next((c for c in changes if c.kind == "prediction"), None)
    largest = pd.DataFrame()
    if first is not None:
        # as floats: a boolean prediction (True/False) moves by 1, numpy does not subtract bools
        a = pd.to_numeric(before[first.column], errors="coerce").astype("float64")
        b = pd.to_numeric(output[first.column], errors="coerce").astype("float64")
        moved = (b - a).abs().sort_values(ascending=False).head(LARGEST)
        largest = pd.DataFrame(
            {"row": moved.index, "before": a[moved.index], "after": b[moved.index]}
        ).reset_index(drop=True)
        for c in changes:
            if c.kind == "label" and c.changed:
                largest[f"{c.column} before"] = before[c.column][moved.index].to_numpy()
                largest[f"{c.column} after"] = output[c.column][moved.index].to_numpy()
    return Comparison(
        old=old.metadata.version,
        new=new.metadata.version,
        rows=len(sample),
        changes=tuple(changes),
        largest=largest,
        thresholds=thresholds or Thresholds(),
    )


def table(comparison: Comparison) -> str:
    """The comparison as text: a line per column, then the rows that moved most."""
    head = ("column", "kind", "changed", "mean |d|", "max |d|", "before", "after")
    lines = [head]
    for c in comparison.changes:
        lines.append(
            (
                c.column,
                c.kind,
                f"{c.changed:.1%}",
                "" if c.mean_abs is None else f"{c.mean_abs:.4f}",
                "" if c.max_abs is None else f"{c.max_abs:.4f}",
                c.before,
                c.after,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    text = [
        f"old {comparison.old} -> new {comparison.new}, on the old artifact's reference "
        f"sample ({comparison.rows} rows)",
        "",
    ]
    for line in lines:
        text.append(
            "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        )
    if not comparison.largest.empty:
        text += ["", "largest changes:", comparison.largest.to_string(index=False)]
    reasons = comparison.beyond()
    t = comparison.thresholds
    text.append("")
    text += (
        [f"beyond tolerance: {r}" for r in reasons]
        if reasons
        else [
            f"within tolerance (prediction_tolerance {t.prediction_tolerance}, "
            f"decision_tolerance {t.decision_tolerance})"
        ]
    )
    return "\n".join(text) + "\n"


def _is_prediction(column: str, predictions: Sequence[str]) -> bool:
    """`name`, or `name_0`, `name_1`... (a prediction per class)."""
    return any(
        column == p or (column.startswith(p + "_") and column[len(p) + 1 :].isdigit())
        for p in predictions
    )


def _change(column: str, before: pd.Series, after: pd.Series, kind: str) -> Change:
    before, after = before.reset_index(drop=True), after.reset_index(drop=True)
    number = (
        pd.api.types.is_numeric_dtype(before.dtype)
        and not pd.api.types.is_bool_dtype(before.dtype)
        and pd.api.types.is_numeric_dtype(after.dtype)
    )
    if number:
        a = before.astype("float64").to_numpy()
        b = after.astype("float64").to_numpy()
        delta = np.abs(b - a)
        both = np.isnan(a) & np.isnan(b)
        changed = ~both & ~np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
        present = delta[~np.isnan(delta)]
        return Change(
            column=column,
            kind=kind or "number",
            changed=float(changed.mean()) if len(a) else 0.0,
            mean_abs=float(present.mean()) if len(present) else None,
            max_abs=float(present.max()) if len(present) else None,
            before=_mean_text(a),
            after=_mean_text(b),
        )
    a_text, b_text = before.astype(str), after.astype(str)
    return Change(
        column=column,
        kind=kind or "label",
        changed=float((a_text != b_text).mean()) if len(a_text) else 0.0,
        mean_abs=None,
        max_abs=None,
        before=_rates(a_text),
        after=_rates(b_text),
    )


def _mean_text(values: Any) -> str:
    finite = values[np.isfinite(values)]
    return f"mean {finite.mean():.4f}" if len(finite) else "no number"


def _rates(values: pd.Series, most: int = 4) -> str:
    rates = values.value_counts(normalize=True).sort_index()
    shown = [f"{k} {v:.1%}" for k, v in rates.iloc[:most].items()]
    more = len(rates) - most
    return ", ".join(shown) + (f" (+{more})" if more > 0 else "") if shown else ""
