"""The environment rules `pin` reports: the registry's NB2xx records (`nb2prod.core.rules`).

Not run by `check`: they need the notebook's environment (a subprocess), which `check` must
not pay for.
"""

from __future__ import annotations

from collections.abc import Mapping

from nb2prod.core.rules import Rule, RuleGroup, rules_in

PIN_RULES: Mapping[str, Rule] = rules_in(RuleGroup.ENVIRONMENT)
