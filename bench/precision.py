"""Per-rule precision and recall of `nb2prod check`, measured on labelled findings of real notebooks.

    .venv/bin/python bench/precision.py [--corpus ../shared/corpora/wild] [--json OUT]

The labels are in tests/data/precision/ (one JSON object a line, see its README.md):
- `dev.jsonl` and `holdout.jsonl` label *every* finding of a random sample of notebooks;
  holdout was labelled apart and never read while the rules were tuned;
- `extra.jsonl` labels single random findings of the rarer rules, from other notebooks.

A current finding is matched to the label of the same notebook, rule and cell whose names
overlap most (findings without names match labels without names). Precision of a rule is
TP / matched findings, over every rule run (`--select NB`); recall is the share of the
labelled TPs still reported (at their cell, or among a finding's related cells; NB104 and
NB110 word one cause two ways, so either keeps the other's true finding). In the
fully labelled notebooks a finding with no label is counted as unlabelled: it has to be
labelled before the figures mean anything, and the precision test fails on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "precision"
CORPUS = ROOT.parent / "shared" / "corpora" / "wild"
SETS = ("dev", "holdout", "extra")
FILES = (*SETS, "topup")  # topup rows name their sample (dev or holdout) themselves
COMPLETE = frozenset({"dev", "holdout"})  # sets that label every finding of their notebooks
KINDS = ("TP", "FP", "NOISE")
# One cause, two wordings: a name defined nowhere is NB104, or NB110 once the notebook has a
# star import, exec or %run it may come from; a true finding reported as the other counts as kept.
SAME_CAUSE = {"NB104": frozenset({"NB104", "NB110"}), "NB110": frozenset({"NB104", "NB110"})}

sys.path.insert(0, str(ROOT))

from nb2prod.core.findings import Finding  # noqa: E402
from nb2prod.core.rules import RULES, RuleGroup, is_default  # noqa: E402
from nb2prod.lint.check import Checked, CheckRequest, check_file  # noqa: E402


@dataclass(frozen=True, slots=True)
class Label:
    sample: str
    path: str  # relative to the corpus
    code: str
    cell: int
    names: frozenset[str]
    label: str
    reason: str


@dataclass
class RuleScore:
    """Matched findings by label, labelled TPs seen again, and findings nobody labelled."""

    matched: Counter[str] = field(default_factory=Counter)
    tp_labels: int = 0
    tp_found: int = 0
    unlabelled: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return sum(self.matched.values())

    @property
    def precision(self) -> float | None:
        return self.matched["TP"] / self.n if self.n else None

    @property
    def recall(self) -> float | None:
        return self.tp_found / self.tp_labels if self.tp_labels else None


def read_labels(folder: Path = LABELS, files: Iterable[str] = FILES) -> list[Label]:
    labels: list[Label] = []
    for name in files:
        source = folder / f"{name}.jsonl"
        if not source.is_file():
            continue
        for number, text in enumerate(source.read_text("utf-8").splitlines(), 1):
            if not text.strip():
                continue
            row = json.loads(text)
            sample = row.get("sample", name)
            if row.get("code") is None:
                labels.append(Label(sample, row["path"], "", -1, frozenset(), "", ""))
                continue
            if row.get("label") not in KINDS:
                raise ValueError(f"{source}:{number}: label must be one of {', '.join(KINDS)}")
            labels.append(
                Label(
                    sample,
                    row["path"],
                    row["code"],
                    int(row["cell"]),
                    frozenset(row.get("names") or ()),
                    row["label"],
                    row.get("reason", ""),
                )
            )
    return labels


def _overlap(label: Label, names: frozenset[str]) -> int:
    """How well a label fits a finding's names: -1 when it does not fit at all."""
    if not label.names and not names:
        return 1
    return len(label.names & names) or -1


def _best(candidates: Sequence[Label], names: frozenset[str]) -> Label | None:
    scored = [(_overlap(label, names), i) for i, label in enumerate(candidates)]
    fitting = [(score, i) for score, i in scored if score >= 0]
    if not fitting:
        return None
    return candidates[max(fitting, key=lambda t: (t[0], -t[1]))[1]]


def current_findings(corpus: Path, paths: Iterable[str]) -> dict[str, tuple[Finding, ...]]:
    """Every rule's findings (`--select NB`), per notebook path relative to the corpus."""
    request = CheckRequest(select=("NB",))
    found: dict[str, tuple[Finding, ...]] = {}
    for path in sorted(set(paths)):
        result = check_file(str(corpus / path), request)
        found[path] = result.findings if isinstance(result, Checked) else ()
    return found


def score(
    labels: Sequence[Label], found: Mapping[str, tuple[Finding, ...]]
) -> dict[str, dict[str, RuleScore]]:
    """sample -> rule -> score, plus the sample "all"."""
    by_place: dict[tuple[str, str, int], list[Label]] = defaultdict(list)
    for label in labels:
        if label.code:
            by_place[(label.path, label.code, label.cell)].append(label)
    complete = {label.path for label in labels if label.sample in COMPLETE}
    sample_of = {label.path: label.sample for label in labels}
    scores: dict[str, dict[str, RuleScore]] = defaultdict(lambda: defaultdict(RuleScore))
    for path, findings in found.items():
        sample = sample_of[path]
        for f in findings:
            fit = _best(by_place.get((path, f.code, f.cell), []), frozenset(f.names))
            for key in (sample, "all"):
                rule = scores[key][f.code]
                if fit is not None:
                    rule.matched[fit.label] += 1
                elif path in complete:
                    rule.unlabelled.append(f"{path} cell {f.cell} {f.code} {','.join(f.names)}")
    for label in labels:
        if label.label != "TP":
            continue
        codes = SAME_CAUSE.get(label.code, frozenset({label.code}))
        seen = any(
            f.code in codes
            and (f.cell == label.cell or label.cell in {r.cell for r in f.related})
            and _overlap(label, frozenset(f.names)) >= 0
            for f in found.get(label.path, ())
        )
        for key in (label.sample, "all"):
            scores[key][label.code].tp_labels += 1
            scores[key][label.code].tp_found += seen
    return {k: dict(v) for k, v in scores.items()}


def default_precision(rules: Mapping[str, RuleScore]) -> float | None:
    """Precision of the rules `check` runs by default, pooled."""
    tp = sum(s.matched["TP"] for code, s in rules.items() if is_default(code))
    n = sum(s.n for code, s in rules.items() if is_default(code))
    return tp / n if n else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def table(scores: Mapping[str, Mapping[str, RuleScore]], sample: str) -> str:
    rules = scores.get(sample, {})
    lines = [
        f"**{sample}** · default rules pooled: precision {_pct(default_precision(rules))}",
        "",
        "| rule | default | reported (labelled) | TP | FP | NOISE | precision | TP recall | unlabelled |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for code in (c for c, r in RULES.items() if r.group is RuleGroup.STATIC):
        s = rules.get(code, RuleScore())
        lines.append(
            f"| {code} | {'yes' if is_default(code) else 'no'} | {s.n} | {s.matched['TP']} | "
            f"{s.matched['FP']} | {s.matched['NOISE']} | {_pct(s.precision)} | "
            f"{_pct(s.recall)} ({s.tp_found}/{s.tp_labels}) | {len(s.unlabelled)} |"
        )
    return "\n".join(lines)


def measure(corpus: Path = CORPUS) -> dict[str, dict[str, RuleScore]]:
    labels = read_labels()
    return score(labels, current_findings(corpus, (label.path for label in labels)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--unlabelled", action="store_true", help="list unlabelled findings")
    args = parser.parse_args()
    scores = measure(args.corpus)
    for sample in ("all", *SETS):
        print(table(scores, sample), end="\n\n")
    if args.unlabelled:
        for _code, s in sorted(scores.get("all", {}).items()):
            for line in s.unlabelled:
                print("unlabelled:", line)
    if args.json:
        doc = {
            sample: {
                code: {
                    "matched": dict(s.matched),
                    "precision": s.precision,
                    "recall": s.recall,
                    "unlabelled": len(s.unlabelled),
                }
                for code, s in rules.items()
            }
            for sample, rules in scores.items()
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
