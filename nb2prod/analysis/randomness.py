"""Which calls draw from a process-wide random generator (read by NB109 and by convert's roles)."""

from __future__ import annotations

STDLIB_RANDOM = frozenset(
    {
        "random",
        "randint",
        "randrange",
        "choice",
        "choices",
        "shuffle",
        "sample",
        "uniform",
        "gauss",
        "normalvariate",
        "lognormvariate",
        "expovariate",
        "vonmisesvariate",
        "gammavariate",
        "betavariate",
        "paretovariate",
        "weibullvariate",
        "triangular",
        "getrandbits",
        "randbytes",
        "binomialvariate",
    }
)
# numpy.random attributes that are not draws from the global generator.
NUMPY_NOT_DRAWS = frozenset(
    {
        "seed",
        "get_state",
        "set_state",
        "default_rng",
        "RandomState",
        "Generator",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
        "SeedSequence",
        "BitGenerator",
    }
)


def is_global_draw(name: str) -> bool:
    """`name` (qualified) draws from the process-wide generator of `random` or `numpy.random`."""
    module, _, attr = name.rpartition(".")
    if module == "random":
        return attr in STDLIB_RANDOM
    return module == "numpy.random" and attr not in NUMPY_NOT_DRAWS
