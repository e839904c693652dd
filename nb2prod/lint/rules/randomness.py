"""NB109: random numbers drawn with no seed set, so results change run to run."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache

from nb2prod.analysis.imports import bind_imports, qualify
from nb2prod.analysis.randomness import (
    NUMPY_GENERATORS,
    NUMPY_NOT_DRAWS,
    STDLIB_RANDOM,
    SampleCall,
    cell_trees,
    pandas_samples,
)
from nb2prod.analysis.records import Call
from nb2prod.analysis.symbols import Analysis
from nb2prod.core.findings import Finding
from nb2prod.data import read_text
from nb2prod.lint.rules.hits import Hit, at_first_hit, hit_names

_TORCH_DRAWS = frozenset(
    {
        "rand",
        "randn",
        "randint",
        "randperm",
        "normal",
        "bernoulli",
        "multinomial",
        "rand_like",
        "randn_like",
        "randint_like",
        "poisson",
    }
)
_SHUFFLE_ONLY = frozenset({"KFold", "StratifiedKFold", "StratifiedGroupKFold"})
_TORCH_SEEDS = frozenset(
    {
        "torch.manual_seed",
        "torch.random.manual_seed",
        "torch.cuda.manual_seed_all",
        "torch.cuda.manual_seed",
    }
)
_TF_SEEDS = frozenset(
    {
        "tensorflow.random.set_seed",
        "tensorflow.set_random_seed",
        "tensorflow.compat.v1.set_random_seed",
        "keras.utils.set_random_seed",
        "tensorflow.keras.utils.set_random_seed",
    }
)


@lru_cache(maxsize=1)
def sklearn_random_state_names() -> frozenset[str]:
    """Public scikit-learn names taking `random_state` (generated from scikit-learn itself)."""
    text = read_text("sklearn_random_state.json")
    return frozenset(json.loads(text)["names"])


def unseeded(analysis: Analysis) -> Iterator[Finding]:
    # parsed again only for cells that draw: loaded when NB109 runs (it is opt-in)
    from nb2prod.analysis.random_sinks import displayed_only

    aliases: dict[str, str] = {}
    seeded = {"random": False, "numpy": False, "torch": False, "tensorflow": False}
    sklearn_names = sklearn_random_state_names()
    trees = cell_trees(analysis)
    # pandas may also come from where nb2prod cannot see (`exec`, a star import, `%run`)
    pandas = _imports_pandas(analysis) or bool(analysis.hidden_origins)
    found: dict[int, list[Hit]] = {}
    for index, sym in enumerate(analysis.symbols):
        if sym is None:
            continue
        bind_imports(aliases, sym.imports)
        samples: tuple[SampleCall, ...] = ()
        if pandas and ".sample(" in analysis.notebook.cells[index].source:
            samples = pandas_samples(analysis, trees, aliases, index)
        events: list[Call | SampleCall] = [*sym.calls, *samples]
        hits: list[Hit] = []
        for call in sorted(events, key=lambda c: (c.line, c.column)):
            if isinstance(call, SampleCall):
                if not seeded["numpy"]:  # pandas draws from NumPy's global generator
                    hits.append(Hit(call.name, call.line, call.column))
                continue
            name = qualify(aliases, call.name)
            if name is None:
                continue
            module, _, attr = name.rpartition(".")
            if name == "random.seed" or name in ("numpy.random.seed",):
                seeded["random" if module == "random" else "numpy"] = bool(
                    call.n_args or call.keywords
                )
            elif name in _TORCH_SEEDS:
                seeded["torch"] = True
            elif name in _TF_SEEDS:
                seeded["tensorflow"] = True
            elif module == "random" and attr in STDLIB_RANDOM:
                if not seeded["random"]:
                    hits.append(Hit(call.name, call.line, call.column))
            elif module == "random" and attr == "Random" and not (call.n_args or call.keywords):
                hits.append(Hit(call.name, call.line, call.column))
            elif module == "numpy.random":
                if attr in NUMPY_GENERATORS:
                    if not (call.n_args or call.keywords or call.has_star_kwargs):
                        hits.append(Hit(call.name, call.line, call.column))
                elif attr not in NUMPY_NOT_DRAWS and not seeded["numpy"]:
                    hits.append(Hit(call.name, call.line, call.column))
            elif name.startswith("sklearn.") and attr in sklearn_names:
                if "shuffle" in call.false_keywords or (
                    attr in _SHUFFLE_ONLY and "shuffle" not in call.keywords
                ):
                    continue  # nothing is drawn without shuffling
                if (
                    "random_state" not in call.keywords
                    and not call.has_star_kwargs
                    and not seeded["numpy"]
                ):
                    hits.append(Hit(call.name, call.line, call.column))
            elif (module == "torch" and attr in _TORCH_DRAWS and not seeded["torch"]) or (
                module.startswith("tensorflow.random")
                and not seeded["tensorflow"]
                and attr != "set_seed"
            ):
                hits.append(Hit(call.name, call.line, call.column))
        if hits:
            found[index] = hits
    if not found:
        return
    # a draw whose values only reach a plot or a print changes no result: not reported
    quiet = displayed_only(
        analysis,
        trees,
        aliases,
        {i: [(h.line, h.column) for h in hits] for i, hits in found.items()},
    )
    for index, hits in found.items():
        kept = [h for h in hits if (index, h.line, h.column) not in quiet]
        if kept:
            listed = ", ".join(f"{n}()" for n in hit_names(kept))
            message = (
                f"unseeded randomness: {listed} without a seed; results change from run to run "
                "(pass random_state= / seed the generator)"
            )
            yield at_first_hit("NB109", analysis.notebook.cells[index], kept, message)


def _imports_pandas(analysis: Analysis) -> bool:
    return any(
        imp.module.split(".")[0] == "pandas" and not imp.level
        for sym in analysis.symbols
        if sym is not None
        for imp in sym.imports
    )
