"""`check`'s precision and recall on labelled findings of real notebooks (tests/data/precision).

The guard of issue #12: every default rule stays at least 90% precise and keeps reporting at
least 95% of its labelled true findings; the default rules together stay at least 95% precise;
and every finding in the fully labelled notebooks carries a label, so the figures stay whole.
"""

from __future__ import annotations

from functools import lru_cache

import pytest

from bench.precision import RuleScore, default_precision, measure
from nb2prod.core.rules import RULES, RuleGroup, is_default
from tests.conftest import ROOT, corpus_dir

DEFAULT_RULES = [c for c, r in RULES.items() if r.group is RuleGroup.STATIC and r.default]


@lru_cache(maxsize=1)
def _scores() -> dict[str, dict[str, RuleScore]]:
    return measure(corpus_dir("wild"))


def _all(code: str) -> RuleScore:
    return _scores()["all"].get(code, RuleScore())


@pytest.mark.corpus
@pytest.mark.parametrize("code", DEFAULT_RULES)
def test_default_rule_is_precise(code: str) -> None:
    score = _all(code)
    assert score.precision is None or score.precision >= 0.90, (
        f"{code}: {score.matched['TP']} TP of {score.n} labelled findings reported "
        f"({dict(score.matched)}); below 90% a rule is off by default (docs/rules/precision.md)"
    )


@pytest.mark.corpus
@pytest.mark.parametrize("code", DEFAULT_RULES)
def test_default_rule_keeps_its_true_findings(code: str) -> None:
    score = _all(code)
    assert score.recall is None or score.recall >= 0.95, (
        f"{code}: only {score.tp_found} of {score.tp_labels} labelled true findings still reported"
    )


@pytest.mark.corpus
def test_default_rules_together_are_95_percent_precise() -> None:
    pooled = default_precision(_scores()["all"])
    assert pooled is not None and pooled >= 0.95, pooled


@pytest.mark.corpus
def test_every_finding_of_the_labelled_notebooks_has_a_label() -> None:
    missing = [line for s in _scores()["all"].values() for line in s.unlabelled]
    assert not missing, (
        f"{len(missing)} findings have no label; label them in tests/data/precision "
        f"(bench/precision.py --unlabelled lists them): {missing[:10]}"
    )


def test_opt_in_rules_are_documented_as_such() -> None:
    """A rule that is off by default says so, and why, in the precision page."""
    page = (ROOT / "docs" / "rules" / "precision.md").read_text("utf-8")
    for code, rule in RULES.items():
        if rule.group is RuleGroup.STATIC and not is_default(code):
            assert f"{code}" in page and "off by default" in page, code
