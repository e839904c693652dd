"""How bench/precision.py matches current findings to labels, on labels made up here."""

from __future__ import annotations

from bench.precision import Label, score
from nb2prod.core.findings import Related
from nb2prod.core.rules import finding


def _label(code: str, cell: int, names: tuple[str, ...], label: str, sample: str = "dev") -> Label:
    return Label(sample, "nb.ipynb", code, cell, frozenset(names), label, "")


def test_a_finding_takes_the_label_whose_names_fit_best() -> None:
    labels = [_label("NB104", 3, ("a",), "FP"), _label("NB104", 3, ("b",), "TP")]
    found = {"nb.ipynb": (finding("NB104", 3, "c3", "m", names=("b",)),)}
    rules = score(labels, found)["dev"]
    assert rules["NB104"].matched == {"TP": 1}
    assert rules["NB104"].precision == 1.0


def test_noise_no_longer_reported_leaves_precision_and_recall_whole() -> None:
    labels = [_label("NB110", 2, ("pd",), "TP"), _label("NB110", 5, ("pd",), "NOISE")]
    once = finding("NB110", 2, "c2", "m", names=("pd",), related=(Related(5, "c5"),))
    rules = score(labels, {"nb.ipynb": (once,)})["all"]
    assert rules["NB110"].precision == 1.0
    assert rules["NB110"].recall == 1.0


def test_a_true_finding_found_only_among_related_cells_still_counts_for_recall() -> None:
    labels = [_label("NB101", 9, (), "TP")]
    moved = finding("NB101", 4, "c4", "m", related=(Related(9, "c9"),))
    rules = score(labels, {"nb.ipynb": (moved,)})["all"]
    assert rules["NB101"].tp_found == 1
    assert rules["NB101"].n == 0  # the moved finding itself has no label at cell 4
    assert rules["NB101"].unlabelled  # and is listed to be labelled


def test_a_lost_true_finding_lowers_recall() -> None:
    labels = [_label("NB106", 1, ("df",), "TP"), _label("NB106", 2, ("x",), "TP")]
    rules = score(labels, {"nb.ipynb": (finding("NB106", 1, "c1", "m", names=("df",)),)})["all"]
    assert rules["NB106"].recall == 0.5


def test_unlabelled_findings_count_only_in_fully_labelled_notebooks() -> None:
    extra = [_label("NB109", 1, ("np.random.rand",), "TP", sample="extra")]
    found = {"nb.ipynb": (finding("NB109", 7, "c7", "m", names=("random.random",)),)}
    assert not score(extra, found)["all"]["NB109"].unlabelled
