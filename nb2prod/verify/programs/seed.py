# Seeds the notebook's kernel and the package run alike, after capture_hooks (whose
# baseline of loaded modules comes first) and clock: unseeded randomness must not hide
# conversion errors (NB109 reports the notebook's missing seeds), nor must timing decide
# differently in each run; both runs start from the same state.
import typing as __nb2prod_seed_typing

if __nb2prod_seed_typing.TYPE_CHECKING:
    from nb2prod.verify.programs.clock import __nb2prod_steady_clock__


def __nb2prod_seed__() -> None:
    """Seed Python's and numpy's global random generators, and (re)start the steady clock."""
    import contextlib
    import random

    random.seed(0)
    with contextlib.suppress(ImportError):
        import numpy

        numpy.random.seed(0)
    __nb2prod_steady_clock__()


if __name__ == "__main__":  # a kernel's namespace is __main__ too
    __nb2prod_seed__()
