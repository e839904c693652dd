"""The words nb2prod's outputs use for roles and verdicts; each value is what reports show.

`StrEnum`, so a member formats, compares and serialises as its value: reports, JSON and the
generated packages show `business` and `equivalent`, never `Role.BUSINESS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    """The role of a top-level statement (docs/roles.md)."""

    CONFIG = "config"
    DATA = "data"
    FEATURES = "features"
    MODEL = "model"
    BUSINESS = "business"
    EXPLORATION = "exploration"
    IMPORT = "import"  # imports are placed per module, where used


# The roles a user can give (cell tag `nb2prod:<role>`, `# nb2prod: <role>`, [tool.nb2prod.roles]).
USER_ROLES: tuple[Role, ...] = tuple(r for r in Role if r is not Role.IMPORT)
# The roles whose statements become a module of the same name, in the order data flows.
MODULE_ROLES: tuple[Role, ...] = (Role.DATA, Role.FEATURES, Role.MODEL, Role.BUSINESS)


class Verdict(StrEnum):
    """What `verify` says about a value, a function or the whole notebook.

    One enum for every level: the three claims and their precedence (differs, then
    unverified, then equivalent) are the same for a value, a function and a notebook. The two
    other members make no claim and say why: `DISPLAY` for a value not compared by nature (a
    plot, a clock reading, a function returning nothing), `NOT_COMPARED` for a function whose
    values are all display. A notebook's verdict is always a claim.
    """

    EQUIVALENT = "equivalent"
    DIFFERS = "differs"
    UNVERIFIED = "unverified"
    DISPLAY = "display"  # values only
    NOT_COMPARED = "not-compared"  # functions only

    @property
    def is_claim(self) -> bool:
        return self in (Verdict.EQUIVALENT, Verdict.DIFFERS, Verdict.UNVERIFIED)

    @staticmethod
    def combine(verdicts: Iterable[Verdict], *, none: Verdict) -> Verdict:
        """The strongest claim among `verdicts`, or `none` when they make no claim."""
        claims = {v for v in verdicts if v.is_claim}
        for verdict in (Verdict.DIFFERS, Verdict.UNVERIFIED, Verdict.EQUIVALENT):
            if verdict in claims:
                return verdict
        return none
