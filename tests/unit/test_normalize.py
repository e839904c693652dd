"""Output normalisation: each normaliser equates noise, and real changes still differ."""

from __future__ import annotations

import base64
import dataclasses
import struct
import zlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from nb2prod.verify.compare import MAX_DEPTH, MAX_VALUES, Tolerances
from nb2prod.verify.normalize import (
    NORMALIZERS,
    Html,
    Image,
    NormalizedOutput,
    normalize_output,
    normalize_text,
)
from nb2prod.verify.outputs import compare_outputs

DOC = Path(__file__).parents[2] / "docs" / "verification.md"
Output = dict[str, Any]


def out(text: str | list[str], name: str = "stdout") -> Output:
    return {"output_type": "stream", "name": name, "text": text}


def result(
    data: dict[str, Any], count: int = 1, kind: str = "execute_result", **metadata: Any
) -> Output:
    output: Output = {"output_type": kind, "data": data, "metadata": metadata}
    if kind == "execute_result":
        output["execution_count"] = count
    return output


def error(ename: str, evalue: str, traceback: list[str]) -> Output:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback}


def png(width: int, height: int, shade: int = 0) -> str:
    """A valid RGB PNG of one colour, base64-encoded as notebooks store it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + bytes([shade]) * width * 3 for _ in range(height))
    raw = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.encodebytes(raw).decode()  # with newlines, as nbformat may keep them


def html_frame(frame: pd.DataFrame, style: str = "") -> str:
    return f"<div><style scoped>{style}</style>{frame.to_html()}</div>"


SCORES = pd.DataFrame({"id": [1, 2], "score": [0.123456, 0.5]})
PROGRESS_FIRST = " 10%|█         | 1/10 [00:00<00:09, 1.02it/s]\r100%|██████████| 10/10 [00:09<00:00, 1.01it/s]\n"
PROGRESS_AGAIN = "100%|██████████| 10/10 [00:03<00:00, 3.20it/s]\n"
WARNING = (
    "/tmp/ipykernel_4242/1234.py:3: FutureWarning: The default of observed=False is deprecated\n"
    "  df.groupby('a').mean()\n"
)
CONVERGENCE = (
    "/opt/venv/lib/python3.11/site-packages/sklearn/linear_model/_logistic.py:469: ConvergenceWarning: "
    "lbfgs failed to converge (status=1):\nSTOP: TOTAL NO. OF ITERATIONS REACHED LIMIT.\n\n"
    "Increase the number of iterations (max_iter) or scale the data as shown in:\n"
    "    https://scikit-learn.org/stable/modules/preprocessing.html\n"
    "  n_iter_i = _check_optimize_result(\n"
)
MESSAGE_BELOW = (
    "/opt/venv/lib/python3.11/site-packages/cufflinks/plotlytools.py:808: FutureWarning:\n\n"
    "The pandas.np module is deprecated\n\n"
)
WIDGET = "application/vnd.jupyter.widget-view+json"

Case = tuple[str, str, list[Output], list[Output], bool, str]


def same(normalizer: str, case: str, stored: list[Output], fresh: list[Output]) -> Case:
    """Outputs that differ only by noise this normaliser removes."""
    return normalizer, case, stored, fresh, True, ""


def differs(
    normalizer: str, case: str, stored: list[Output], fresh: list[Output], needle: str
) -> Case:
    """A real change beside that noise; `needle` is part of the reported difference."""
    return normalizer, case, stored, fresh, False, needle


FIGURE = "<Figure size 640x480 with 1 Axes>"
CASES: list[Case] = [
    same(
        "metadata",
        "counts-and-metadata",
        [result({"text/plain": "42"}, 3, isolated=True)],
        [result({"text/plain": "42"}, 17)],
    ),
    differs(
        "metadata",
        "value-changed",
        [result({"text/plain": "42"}, 3)],
        [result({"text/plain": "43"}, 3)],
        "42 vs 43",
    ),
    same(
        "stream_joining",
        "chunks",
        [out("a"), out("b\n"), out("x\n", "stderr"), out("c\n")],
        [out("ab\nc\n"), out("x\n", "stderr")],
    ),
    differs(
        "stream_joining",
        "chunk-changed",
        [out("a"), out("b\n")],
        [out("a"), out("c\n")],
        "'ab' → 'ac'",
    ),
    same(
        "ansi_codes", "colours", [out("\x1b[1;31mError\x1b[0m count 3\n")], [out("Error count 3\n")]
    ),
    differs(
        "ansi_codes",
        "coloured-word-changed",
        [out("\x1b[32mok\x1b[0m\n")],
        [out("\x1b[32mfail\x1b[0m\n")],
        "'ok' → 'fail'",
    ),
    same(
        "progress_bars",
        "tqdm-final-state",
        [out(PROGRESS_FIRST, "stderr")],
        [out(PROGRESS_AGAIN, "stderr")],
    ),
    same(
        "progress_bars",
        "keras-eta",
        [out("3/10 [=====>....] - ETA: 7s\r10/10 [==========] - ETA: 0s\n")],
        [out("10/10 [==========] - ETA: 2s\n")],
    ),
    differs(
        "progress_bars",
        "stopped-early",
        [out(PROGRESS_AGAIN, "stderr")],
        [out(" 90%|█████████ | 9/10 [00:03<00:00, 3.20it/s]\n", "stderr")],
        "stderr line 1",
    ),
    same(
        "stderr_warnings",
        "warning-dropped",
        [out("done\n"), out(WARNING, "stderr")],
        [out("done\n")],
    ),
    same(
        "stderr_warnings",
        "multi-line-message",
        [out(CONVERGENCE + MESSAGE_BELOW * 2, "stderr")],
        [],
    ),
    differs(
        "stderr_warnings",
        "output-after-warning-kept",
        [out(WARNING + "real problem\n", "stderr")],
        [out(WARNING, "stderr")],
        "real problem",
    ),
    differs(
        "stderr_warnings",
        "error-kept",
        [out("ValueError: bad input\n", "stderr")],
        [],
        "stderr line 1",
    ),
    differs(
        "stderr_warnings",
        "stdout-warning-kept",
        [out("UserWarning: printed on purpose\n")],
        [],
        "stdout",
    ),
    same(
        "memory_addresses",
        "object-repr",
        [result({"text/plain": "<model.Scorer object at 0x7f3a2b1c4d50>"})],
        [result({"text/plain": "<model.Scorer object at 0x7fe01188aa10>"})],
    ),
    differs(
        "memory_addresses",
        "other-class",
        [result({"text/plain": "<model.Scorer object at 0x7f3a2b1c4d50>"})],
        [result({"text/plain": "<model.Ranker object at 0x7f3a2b1c4d50>"})],
        "Ranker",
    ),
    same(
        "timings",
        "time-magic",
        [out("CPU times: user 1.2 s, sys: 30 ms, total: 1.23 s\nWall time: 1.5 s\n")],
        [out("CPU times: user 812 ms, sys: 4 ms, total: 816 ms\nWall time: 820 ms\n")],
    ),
    same(
        "timings",
        "timeit",
        [out("1.23 ms ± 45.6 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)\n")],
        [out("987 µs ± 12.3 µs per loop (mean ± std. dev. of 7 runs, 1,000 loops each)\n")],
    ),
    same(
        "timings",
        "took-and-elapsed",
        [out("fit took 3.2s\n[Parallel(n_jobs=2)]: Done 4 out of 4 | elapsed: 1.1min finished\n")],
        [
            out(
                "fit took 0.9 seconds\n[Parallel(n_jobs=2)]: Done 4 out of 4 | elapsed: 12.0s finished\n"
            )
        ],
    ),
    differs(
        "timings",
        "count-beside-timing",
        [out("trained 3 models, took 2.0s\n")],
        [out("trained 4 models, took 2.5s\n")],
        "3 vs 4",
    ),
    same(
        "dates_and_times",
        "iso",
        [out("run at 2024-01-02T10:11:12.123456+00:00\n")],
        [out("run at 2025-03-04T05:06:07Z\n")],
    ),
    same(
        "dates_and_times",
        "space-separated-and-ctime",
        [out("2024-01-02 10:11:12 start\nTue Jan  2 10:11:12 2024\n")],
        [out("2024-06-30 23:59:59 start\nSun Jun 30 23:59:59 2024\n")],
    ),
    same(
        "dates_and_times",
        "log4j",
        [out("25/01/26 22:07:02 WARN Utils: port 4040 busy\n", "stderr")],
        [out("25/02/03 09:10:11 WARN Utils: port 4040 busy\n", "stderr")],
    ),
    differs(
        "dates_and_times",
        "count-beside-date",
        [out("rows: 10 at 2024-01-02 10:11:12\n")],
        [out("rows: 11 at 2024-01-05 09:00:00\n")],
        "10 vs 11",
    ),
    same(
        "installer_output",
        "pip-already-satisfied-elsewhere",
        [
            out(
                "Requirement already satisfied: imblearn in /Library/Frameworks/Python.framework/"
                "Versions/3.9/lib/python3.9/site-packages (0.0)\n"
                "Requirement already satisfied: scikit-learn>=1.0 in /Users/ana/.local/lib (1.0.2)\n"
                "Note: you may need to restart the kernel to use updated packages.\n"
                "ready\n"
            )
        ],
        [
            out(
                "Collecting imblearn\n  Downloading imblearn-0.0-py2.py3-none-any.whl (1.9 kB)\n"
                "Installing collected packages: imblearn\nSuccessfully installed imblearn-0.0\n"
                "[notice] A new release of pip is available: 24.0 -> 25.1\nready\n"
            )
        ],
    ),
    differs(
        "installer_output",
        "results-after-install-kept",
        [out("Requirement already satisfied: x in /a (1.0)\naccuracy 0.91\n")],
        [out("Collecting x\nSuccessfully installed x-1.0\naccuracy 0.87\n")],
        "0.87",
    ),
    same(
        "temporary_paths",
        "tmp-dirs",
        [out("saved /tmp/tmpab12cd/model.pkl\n")],
        [out("saved /var/folders/x1/abc123/T/tmpzz9/model.pkl\n")],
    ),
    differs(
        "temporary_paths",
        "home-dirs-kept",
        [out("saved /home/ana/model.pkl\n")],
        [out("saved /home/bob/model.pkl\n")],
        "bob",
    ),
    same("whitespace", "padding", [out("score    0.5  \n\n")], [out("score 0.5")]),
    differs("whitespace", "word-split", [out("ab\n")], [out("a b\n")], "'ab' → 'a b'"),
    same("float_tolerance", "just-inside-rtol", [out("auc 1.000009\n")], [out("auc 1.0\n")]),
    differs(
        "float_tolerance",
        "just-outside-rtol",
        [out("auc 1.000011\n")],
        [out("auc 1.0\n")],
        "beyond rtol=1e-05",
    ),
    differs(
        "float_tolerance",
        "integers-exact",
        [out("n=100000\n")],
        [out("n=100001\n")],
        "100000 vs 100001",
    ),
    same(
        "html_tables",
        "styles-and-close-values",
        [result({"text/html": html_frame(SCORES, ".dataframe tbody tr th {vertical-align: top}")})],
        [
            result(
                {
                    "text/html": html_frame(
                        SCORES.assign(score=[0.123457, 0.5]), "th {text-align: right}"
                    )
                }
            )
        ],
    ),
    differs(
        "html_tables",
        "cell-changed",
        [result({"text/html": html_frame(SCORES)})],
        [result({"text/html": html_frame(SCORES.assign(score=[0.2, 0.5]))})],
        "row '0' column 'score'",
    ),
    differs(
        "html_tables",
        "column-renamed",
        [result({"text/html": html_frame(SCORES)})],
        [result({"text/html": html_frame(SCORES.rename(columns={"score": "prob"}))})],
        "'prob'",
    ),
    differs(
        "html_tables",
        "row-added",
        [result({"text/html": html_frame(SCORES)})],
        [result({"text/html": html_frame(pd.concat([SCORES, SCORES.head(1)]))})],
        "3 rows → 4 rows",
    ),
    same(
        "images",
        "same-size-other-pixels",
        [result({"image/png": png(4, 3, 0), "text/plain": FIGURE}, kind="display_data")],
        [result({"image/png": png(4, 3, 255), "text/plain": FIGURE}, kind="display_data")],
    ),
    differs(
        "images",
        "other-size",
        [result({"image/png": png(4, 3)}, kind="display_data")],
        [result({"image/png": png(5, 3)}, kind="display_data")],
        "image/png 4×3 → image/png 5×3",
    ),
    differs(
        "images",
        "image-gone",
        [result({"image/png": png(4, 3), "text/plain": FIGURE}, kind="display_data")],
        [result({"text/plain": FIGURE}, kind="display_data")],
        "missing image/png",
    ),
    same(
        "widget_model_ids",
        "fresh-model-id",
        [
            result(
                {WIDGET: {"model_id": "a1b2c3", "version_major": 2, "version_minor": 0}},
                kind="display_data",
            )
        ],
        [
            result(
                {WIDGET: {"model_id": "ffee99", "version_major": 2, "version_minor": 0}},
                kind="display_data",
            )
        ],
    ),
    differs(
        "widget_model_ids",
        "version-changed",
        [
            result(
                {WIDGET: {"model_id": "a1b2c3", "version_major": 2, "version_minor": 0}},
                kind="display_data",
            )
        ],
        [
            result(
                {WIDGET: {"model_id": "a1b2c3", "version_major": 2, "version_minor": 1}},
                kind="display_data",
            )
        ],
        "0 vs 1",
    ),
    same(
        "errors",
        "traceback-ignored",
        [
            error(
                "KeyError", "'<Obj at 0x7f0000aaaa00>'", ["File /home/ana/x.py, line 3", "KeyError"]
            )
        ],
        [
            error(
                "KeyError",
                "'<Obj at 0x7f1111bbbb11>'",
                ["File /tmp/tmp1/x.py, line 9", "KeyError", "more"],
            )
        ],
    ),
    differs(
        "errors",
        "other-exception",
        [error("KeyError", "'a'", [])],
        [error("ValueError", "'a'", [])],
        "ValueError",
    ),
    differs(
        "errors",
        "other-message",
        [error("KeyError", "'a'", [])],
        [error("KeyError", "'b'", [])],
        "'b'",
    ),
]


@pytest.mark.parametrize(
    ("stored", "fresh", "same", "needle"),
    [pytest.param(s, f, same, n, id=f"{name}-{case}") for name, case, s, f, same, n in CASES],
)
def test_normalizer_cases(
    stored: list[Output], fresh: list[Output], same: bool, needle: str
) -> None:
    outcome = compare_outputs(stored, fresh)
    assert outcome.same is same, outcome.differences
    assert outcome.same == (not outcome.differences)
    if not same:
        assert any(needle in d for d in outcome.differences), outcome.differences


def test_every_normalizer_has_a_case_each_way() -> None:
    names = {n.name for n in NORMALIZERS}
    assert {name for name, _, _, _, same, _ in CASES if same} == names
    assert {name for name, _, _, _, same, _ in CASES if not same} == names


@pytest.mark.parametrize(
    ("name", "case", "stored", "fresh"),
    [(name, case, s, f) for name, case, s, f, same, _ in CASES if same],
    ids=[f"{name}-{case}" for name, case, _, _, same, _ in CASES if same],
)
def test_the_pair_differs_before_normalising(
    name: str, case: str, stored: list[Output], fresh: list[Output]
) -> None:
    """Each equating case is real noise: the raw outputs differ."""
    assert stored != fresh


def _text(outputs: list[Output]) -> str:
    streams = [o["text"] for o in outputs if o["output_type"] == "stream"]
    return "".join(streams) if streams else "".join(o["data"]["text/plain"] for o in outputs)


@pytest.mark.parametrize("normalizer", [n for n in NORMALIZERS if n.rewrite is not None], ids=str)
def test_each_text_rewrite_is_load_bearing(normalizer: Any) -> None:
    """Its equating pairs still differ after every other rewrite, and match after all of them."""
    pairs = [
        (_text(s), _text(f)) for name, _, s, f, same, _ in CASES if same and name == normalizer.name
    ]
    assert pairs
    others = [n.rewrite for n in NORMALIZERS if n.rewrite is not None and n is not normalizer]
    for x, y in pairs:
        assert normalize_text(x, stderr=True) == normalize_text(y, stderr=True)
        for rewrite in others:
            x, y = rewrite(x), rewrite(y)
        assert x != y, "another normaliser already equates this pair"


def test_real_changes_still_differ() -> None:
    assert not compare_outputs([out("a\nb\n")], [out("a\nb\nc\n")]).same
    added = compare_outputs([out("a\nb\n")], [out("a\nx\nb\n")]).differences
    assert added == ("stdout line 2 added in fresh output: 'x'",)
    missing = compare_outputs([out("a\nb\n")], [out("b\n")]).differences
    assert missing == ("stdout line 1 of stored output missing: 'a'",)
    assert (
        "missing from the fresh run"
        in compare_outputs([result({"text/plain": "1"})], []).differences[0]
    )
    assert (
        "new in the fresh run" in compare_outputs([], [result({"text/plain": "1"})]).differences[0]
    )
    assert (
        "execute_result → display_data"
        in compare_outputs(
            [result({"text/plain": "1"})], [result({"text/plain": "1"}, kind="display_data")]
        ).differences[0]
    )
    number = compare_outputs([out("loss 0.25\n")], [out("loss 0.35\n")]).differences
    assert number == (
        "stdout line 1: 'loss 0.25' → 'loss 0.35' (0.25 vs 0.35, beyond rtol=1e-05, atol=1e-08)",
    )


def test_tolerances_are_the_value_tolerances() -> None:
    stored, fresh = [out("auc 0.95\n")], [out("auc 0.96\n")]
    assert not compare_outputs(stored, fresh).same
    assert compare_outputs(stored, fresh, Tolerances(rtol=0.05)).same


def test_difference_list_is_capped() -> None:
    outcome = compare_outputs(
        [out("".join(f"{i}\n" for i in range(100)))],
        [out("".join(f"{i + 1}\n" for i in range(100)))],
    )
    assert not outcome.same and len(outcome.differences) == 21
    assert outcome.differences[-1].startswith("… and ")


def test_normalize_output_records() -> None:
    stream = normalize_output(
        out(["CPU times: user 1 s\n", "x at 0x7f3a2b1c4d50\n"])
    )  # nbformat's list form
    assert stream == NormalizedOutput(
        "stdout", (("text/plain", "CPU times: <timing>\nx at 0x<address>"),)
    )
    rich = normalize_output(
        result({"text/plain": "df", "text/html": html_frame(SCORES), "image/png": png(7, 2)})
    )
    assert [mime for mime, _ in rich.data] == ["image/png", "text/html", "text/plain"]
    image, table = rich.data[0][1], rich.data[1][1]
    assert isinstance(image, Image) and (image.width, image.height) == (7, 2)
    assert isinstance(table, Html) and table.tables[0][0] == ("", "id", "score")
    assert table.tables[0][1] == ("0", "1", "0.123456")
    err = normalize_output(error("ZeroDivisionError", "division by zero", ["..."]))
    assert err == NormalizedOutput(
        "error", (("text/plain", "ZeroDivisionError: division by zero"),)
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        stream.kind = "stderr"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("mime", "payload", "size"),
    [
        (
            "image/gif",
            base64.b64encode(b"GIF89a" + struct.pack("<HH", 12, 34) + b"\x00" * 8).decode(),
            (12, 34),
        ),
        (
            "image/jpeg",
            base64.b64encode(
                b"\xff\xd8\xff\xe0"
                + struct.pack(">H", 4)
                + b"JF"
                + b"\xff\xc0"
                + struct.pack(">HBHH", 11, 8, 56, 78)
                + b"\x00" * 6
            ).decode(),
            (78, 56),
        ),
        (
            "image/svg+xml",
            '<svg xmlns="http://www.w3.org/2000/svg" width="460.8pt" height="345.6pt">',
            (461, 346),
        ),
        ("image/png", "not base64 at all!", (None, None)),
    ],
    ids=["gif", "jpeg", "svg", "garbage"],
)
def test_image_sizes(mime: str, payload: str, size: tuple[int | None, int | None]) -> None:
    ((_, image),) = normalize_output(result({mime: payload}, kind="display_data")).data
    assert isinstance(image, Image) and (image.width, image.height) == size


def test_malformed_outputs_do_not_raise() -> None:
    odd = [
        {"output_type": "stream"},
        {"output_type": "display_data"},
        {"output_type": "error"},
        {"output_type": "execute_result", "data": {"text/html": "<table><tr><td>1</table"}},
        {},
    ]
    assert compare_outputs(odd, odd).same


def test_normalizers_are_named_once_and_documented() -> None:
    names = [n.name for n in NORMALIZERS]
    assert len(names) == len(set(names))
    doc = DOC.read_text("utf-8")
    for normalizer in NORMALIZERS:
        assert str(normalizer) == normalizer.name
        assert "\n" not in normalizer.description and normalizer.description
        assert f"`{normalizer.name}`" in doc, f"{normalizer.name} is not in {DOC}"


def test_tolerances_and_limits_are_documented() -> None:
    doc = DOC.read_text("utf-8")
    assert f"deeper than {MAX_DEPTH} levels" in doc and f"{MAX_VALUES:,} values" in doc
    for field in dataclasses.fields(Tolerances):
        assert f"`{field.name}`" in doc and f"`{field.default}`" in doc
