"""Coverage-guided fuzzing of the loader (atheris/libFuzzer): any exception but InputError is a crash.

One input is one notebook file: its first byte picks the file name's suffix (the format:
`.ipynb` JSON or a jupytext text format), the rest are the file's bytes, given to
`nb2prod.notebook.load.loads` exactly as `load` gives a file it has read. nb2prod, jupytext and
nbformat (which upgrades nbformat 1-2) are instrumented for coverage.

    .venv/bin/python tests/hostile/fuzz_load.py --write-seeds SEEDS   # from ../shared/corpora/parsing
    .venv/bin/python tests/hostile/fuzz_load.py SEEDS -max_total_time=60 -artifact_prefix=out/

tests/hostile/test_fuzz_load.py runs it for 60 s in CI.
"""

from __future__ import annotations

import contextlib
import hashlib
import sys
from collections.abc import Callable
from pathlib import Path

SUFFIXES = (".ipynb", ".py", ".md", ".Rmd", ".R", ".jl", ".qmd", ".myst")
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "parsing"
BAD_INPUTS = Path(__file__).resolve().parents[1] / "bad_inputs"
MAX_SEED_BYTES = 64 * 1024  # 298 of the corpus's 315 files; larger ones only slow each run down

_loads: Callable[..., object] | None = None
_input_error: type[Exception] = Exception


def one_input(data: bytes) -> None:
    if not data:
        return
    name = "fuzz" + SUFFIXES[data[0] % len(SUFFIXES)]
    assert _loads is not None
    # the user's input, told as such: what the loader must do with bad bytes
    with contextlib.suppress(_input_error):
        _loads(data[1:], name, require_python=False)


def write_seeds(dest: Path, sources: tuple[Path, ...] = (CORPUS, BAD_INPUTS)) -> int:
    """One seed per file of at most MAX_SEED_BYTES, prefixed with its suffix's byte: the parsing
    corpus's notebooks (when present) and the bad inputs of tests/bad_inputs."""
    dest.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(p for source in sources if source.is_dir() for p in source.rglob("*")):
        if (
            not path.is_file()
            or path.suffix not in SUFFIXES
            or path.stat().st_size > MAX_SEED_BYTES
        ):
            continue
        data = bytes([SUFFIXES.index(path.suffix)]) + path.read_bytes()
        (dest / hashlib.sha1(data).hexdigest()).write_bytes(data)
        count += 1
    return count


def main(argv: list[str]) -> None:
    global _loads, _input_error
    if argv[1:2] == ["--write-seeds"]:
        print(f"wrote {write_seeds(Path(argv[2]))} seeds to {argv[2]}")
        return
    import atheris

    with atheris.instrument_imports(include=["nb2prod", "jupytext", "nbformat"]):
        import jupytext  # noqa: F401 - imported lazily by the loader: instrument it now
        import nbformat  # noqa: F401

        from nb2prod.core.errors import InputError
        from nb2prod.notebook.load import loads
    _loads, _input_error = loads, InputError
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
