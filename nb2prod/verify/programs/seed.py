# Seeds the notebook's kernel and the package run alike, after capture_hooks (whose
# baseline of loaded modules comes first): unseeded randomness must not hide conversion
# errors (NB109 reports the notebook's missing seeds); both runs start from the same state.


def __nb2prod_seed__() -> None:
    """Seed Python's and numpy's global random generators."""
    import contextlib
    import random

    random.seed(0)
    with contextlib.suppress(ImportError):
        import numpy

        numpy.random.seed(0)


if __name__ == "__main__":  # a kernel's namespace is __main__ too
    __nb2prod_seed__()
