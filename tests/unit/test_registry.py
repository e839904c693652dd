"""One rule registry and one vocabulary: every command's codes, severities, roles and verdicts."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from nb2prod.core.config import config_for
from nb2prod.core.errors import ConfigError
from nb2prod.core.findings import Severity
from nb2prod.core.rules import RULES, RuleGroup, finding, rules_in
from nb2prod.core.vocabulary import MODULE_ROLES, USER_ROLES, Role, Verdict
from nb2prod.lint.rules import CHECKS
from nb2prod.lint.rules import RULES as LINT_RULES
from nb2prod.pin.rules import PIN_RULES

SOURCE = Path(__file__).parents[2] / "nb2prod"


def test_codes_are_nb_and_three_digits_in_order() -> None:
    assert all(re.fullmatch(r"NB[1-4]\d\d", code) for code in RULES)
    assert list(RULES) == sorted(RULES)
    assert all(rule.code == code for code, rule in RULES.items())


def test_groups_split_the_registry_by_hundreds() -> None:
    groups = {group: set(rules_in(group)) for group in RuleGroup}
    assert set().union(*groups.values()) == set(RULES)
    for group, digit in zip(RuleGroup, "1234", strict=True):
        assert groups[group] and all(code[2] == digit for code in groups[group])


def test_lint_checks_are_exactly_the_static_rules() -> None:
    """A lint rule without a registry entry, or a static registry entry without a check, fails."""
    assert list(CHECKS) == list(rules_in(RuleGroup.STATIC)) == list(LINT_RULES)
    assert all(callable(check) for check in CHECKS.values())


def test_pin_rules_are_the_environment_rules() -> None:
    assert dict(PIN_RULES) == dict(rules_in(RuleGroup.ENVIRONMENT))


def test_finding_takes_its_severity_from_the_registry() -> None:
    for code, rule in RULES.items():
        made = finding(code, 3, "abc", "message", line=2, column=5, names=("x",))
        assert (made.code, made.severity, made.cell, made.cell_id) == (
            code,
            rule.severity,
            3,
            "abc",
        )
        assert (made.line, made.column, made.names, made.message) == (2, 5, ("x",), "message")
    with pytest.raises(KeyError):
        finding("NB999", 0, "", "no such rule")


def _codes_named_outside_core() -> set[str]:
    """The rule codes nb2prod's stages write as string literals (`finding("NB301", ...)`)."""
    return {
        node.value
        for path in SOURCE.rglob("*.py")
        if path.parent.name != "core"
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if re.fullmatch(r"NB\d{3}", node.value)
    }


def test_every_rule_is_reported_somewhere_and_only_registered_codes_are() -> None:
    named = _codes_named_outside_core()
    assert named <= set(RULES), f"codes missing from the registry: {sorted(named - set(RULES))}"
    assert set(RULES) <= named, f"registered codes nothing reports: {sorted(set(RULES) - named)}"


def test_no_module_builds_a_finding_by_hand() -> None:
    """`finding` is the one constructor: no `Finding(...)` call outside nb2prod.core."""
    offenders = [
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if path.parent.name != "core"
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        if node.func.id == "Finding"
    ]
    assert offenders == []


def test_enums_format_and_serialise_as_their_values() -> None:
    """JSON, SARIF, reports and generated packages show `business`, never `Role.BUSINESS`."""
    for member in [*Severity, *Role, *Verdict, *RuleGroup]:
        assert str(member) == f"{member}" == member.value
        assert json.dumps(member) == json.dumps(member.value)


def test_roles_users_can_write() -> None:
    assert Role.IMPORT not in USER_ROLES and set(USER_ROLES) | {Role.IMPORT} == set(Role)
    assert set(MODULE_ROLES) <= set(USER_ROLES)


def _config_roles(folder: Path, roles: dict[str, str]) -> dict[str, str]:
    folder.mkdir()
    table = "".join(f'"{key}" = "{role}"\n' for key, role in roles.items())
    (folder / "pyproject.toml").write_text(f"[tool.nb2prod.roles]\n{table}", encoding="utf-8")
    return dict(config_for(str(folder / "analysis.ipynb")).roles)


def test_config_accepts_exactly_the_user_roles(tmp_path: Path) -> None:
    every = {str(i): role.value for i, role in enumerate(USER_ROLES)}
    assert _config_roles(tmp_path / "ok", every) == every
    expected = "one of business, config, data, exploration, features, model"
    with pytest.raises(ConfigError, match=expected):
        _config_roles(tmp_path / "import", {"c1": Role.IMPORT.value})


@pytest.mark.parametrize(
    ("verdicts", "none", "expected"),
    [
        ([], Verdict.NOT_COMPARED, Verdict.NOT_COMPARED),
        ([Verdict.DISPLAY], Verdict.NOT_COMPARED, Verdict.NOT_COMPARED),
        ([Verdict.NOT_COMPARED], Verdict.UNVERIFIED, Verdict.UNVERIFIED),
        ([Verdict.EQUIVALENT, Verdict.DISPLAY], Verdict.NOT_COMPARED, Verdict.EQUIVALENT),
        ([Verdict.EQUIVALENT, Verdict.UNVERIFIED], Verdict.UNVERIFIED, Verdict.UNVERIFIED),
        (
            [Verdict.UNVERIFIED, Verdict.DIFFERS, Verdict.EQUIVALENT],
            Verdict.UNVERIFIED,
            Verdict.DIFFERS,
        ),
    ],
)
def test_verdict_combines_claims_by_precedence(
    verdicts: list[Verdict], none: Verdict, expected: Verdict
) -> None:
    assert Verdict.combine(verdicts, none=none) is expected
