"""Write the bad-input corpus that tests/hostile/test_bad_inputs.py feeds to every command.

Small files are committed in tests/bad_inputs/ (this script is how they were made, and
`--check` proves they still match it). Large files (200 MB of outputs, 50,000 cells) and
special files (a directory named `x.ipynb`, symlinks, an unreadable file) cannot or should
not live in git: the tests build them in a temporary folder with `write_large` and
`write_special`. What each file should do is stated in tests/bad_inputs/manifest.toml.

Usage (from the repository root):

    .venv/bin/python scripts/make_bad_inputs.py            # rewrite tests/bad_inputs/ (small files)
    .venv/bin/python scripts/make_bad_inputs.py --check    # exit 1 if the committed files differ
    .venv/bin/python scripts/make_bad_inputs.py --large DIR    # also write large + special files into DIR
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SMALL_DIR = ROOT / "tests" / "bad_inputs"
MANIFEST = SMALL_DIR / "manifest.toml"

_KERNEL = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {"name": "python"},
}


def _code(source: Any, count: Any = None, outputs: Any = None, **extra: Any) -> dict[str, Any]:
    cell = {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "outputs": [] if outputs is None else outputs,
        "source": source,
    }
    cell.update(extra)
    return cell


def _md(source: Any) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _v4(*cells: dict[str, Any], minor: int = 5, metadata: Any = None, **top: Any) -> dict[str, Any]:
    numbered = []
    for index, cell in enumerate(cells):
        if isinstance(cell, dict) and minor >= 5 and "id" not in cell:
            cell = dict(cell)
            cell["id"] = f"c{index}"
        numbered.append(cell)
    nb = {
        "cells": numbered,
        "metadata": _KERNEL if metadata is None else metadata,
        "nbformat": 4,
        "nbformat_minor": minor,
    }
    nb.update(top)
    return nb


def _dump(nb: Any) -> bytes:
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# A plain notebook that every command accepts; several bad files are damaged copies of it.
_GOOD = _v4(
    _md("# Scores\n"),
    _code("import math\n\nvalues = [1.0, 4.0, 9.0]\n", 1),
    _code(
        "roots = [math.sqrt(v) for v in values]\nprint(roots)\n",
        2,
        [{"output_type": "stream", "name": "stdout", "text": ["[1.0, 2.0, 3.0]\n"]}],
    ),
)
_TWO_CELLS = "x = 1\n", "y = x + 1\n"


def _v1() -> dict[str, Any]:
    # nbformat 1 (2011): a flat list of `code` and `text` cells
    return {
        "nbformat": 1,
        "cells": [
            {"cell_type": "code", "code": "x = 1", "prompt_number": 1},
            {"cell_type": "text", "text": "Some text"},
            {"cell_type": "code", "code": "y = x + 1", "prompt_number": 2},
        ],
    }


def _v1_with_worksheets() -> dict[str, Any]:
    # claims version 1 but is laid out like version 2: nbformat's upgrade cannot read it
    return {"nbformat": 1, "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1"}]}]}


def _v2() -> dict[str, Any]:
    return {
        "nbformat": 2,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": "x = 1",
                        "language": "python",
                        "outputs": [],
                        "prompt_number": 1,
                    },
                    {"cell_type": "markdown", "source": "Text"},
                    {
                        "cell_type": "code",
                        "input": "y = x + 1",
                        "language": "python",
                        "outputs": [],
                        "prompt_number": 2,
                    },
                ]
            }
        ],
    }


def _v3() -> dict[str, Any]:
    return {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Title"},
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": ["x = 1\n", "y = x + 1"],
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                        "prompt_number": 1,
                    },
                ]
            }
        ],
    }


def _with_version(major: Any, minor: Any = 0) -> dict[str, Any]:
    nb = _v4(_code(_TWO_CELLS[0], 1), _code(_TWO_CELLS[1], 2))
    nb["nbformat"], nb["nbformat_minor"] = major, minor
    return nb


def _without(key: str) -> dict[str, Any]:
    nb = dict(_GOOD)
    del nb[key]
    return nb


def _cell_without(key: str) -> dict[str, Any]:
    nb = _v4(_code("x = 1\n", 1), _code("y = x + 1\n", 2))
    del nb["cells"][1][key]
    return nb


def _deep_json(depth: int) -> bytes:
    # metadata nested far beyond any parser's recursion limit
    return (
        b'{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": {"x": '
        + b"[" * depth
        + b"]" * depth
        + b"}}"
    )


def _junk(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def _text_notebooks() -> dict[str, bytes]:
    """jupytext text files with headers that are not what they claim."""
    return {
        "bad_yaml_header.md": b"---\njupyter:\n  kernelspec: [unclosed\n---\n\n```python\nx = 1\n```\n",
        "header_not_mapping.md": b"---\n- just\n- a list\n---\n\n```python\nx = 1\n```\n",
        "kernelspec_is_number.py": (
            b"# ---\n# jupyter:\n#   kernelspec: 5\n#   jupytext:\n"
            b"#     formats: 7\n# ---\n\n# %%\nx = 1\n"
        ),
        "unclosed_header.py": b"# ---\n# jupyter:\n#   kernelspec:\n#     name: python3\n\n# %%\nx = 1\n",
        "unclosed_fence.md": b"---\njupyter:\n  jupytext: {}\n---\n\n```python\nx = 1\n",
        "percent_syntax_error.py": b"# %%\nx = 1\n\n# %%\ndef f(:\n    pass\n",
        "percent_not_utf8.py": b"# %%\nname = '\xe9t\xe9'\n",
        "percent_bom_crlf.py": b"\xef\xbb\xbf# %%\r\nx = 1\r\n\r\n# %%\r\ny = x + 1\r\n",
        "myst_bad_directive.md": (
            b"---\njupytext:\n  text_representation:\n    format_name: myst\n"
            b"kernelspec:\n  name: python3\n  language: python\n---\n\n"
            b"```{code-cell} ipython3\n:tags: [\n\nx = 1\n```\n"
        ),
    }


def small_files() -> dict[str, bytes]:
    """Every committed bad input, by file name."""
    good = _dump(_GOOD)
    files: dict[str, bytes] = {
        # not a notebook at all
        "empty.ipynb": b"",
        "whitespace.ipynb": b" \n\t\n",
        "truncated.ipynb": good[: len(good) // 2],
        "not_json.ipynb": b"This is a notebook, honestly.\n",
        "binary_junk.ipynb": _junk(4096, 7),
        "png_named_ipynb.ipynb": b"\x89PNG\r\n\x1a\n" + _junk(256, 8),
        "gzip_named_ipynb.ipynb": b"\x1f\x8b\x08\x00" + _junk(256, 9),
        "json_array.ipynb": b"[1, 2, 3]\n",
        "json_string.ipynb": b'"notebook"\n',
        "json_null.ipynb": b"null\n",
        "json_trailing_garbage.ipynb": good + b"}\n",
        "nul_bytes.ipynb": b"\x00" * 64,
        # encodings
        "non_utf8.ipynb": _dump(_v4(_code("name = 'X'\n", 1))).replace(b"'X'", b"'\xe9t\xe9'"),
        "utf16.ipynb": json.dumps(_GOOD).encode("utf-16"),
        "bom.ipynb": b"\xef\xbb\xbf" + good,
        "crlf.ipynb": good.replace(b"\n", b"\r\n"),
        "crlf_in_source.ipynb": _dump(
            _v4(_code("x = 1\r\ny = x + 1\r\n", 1), _code("z = y\r\n", 2))
        ),
        "cr_only_source.ipynb": _dump(_v4(_code("x = 1\ry = x + 1\r", 1))),
        "lone_surrogate.ipynb": _dump(_v4(_code("s = 'ok'\n", 1))).replace(b"ok", b"\\ud800"),
        "nul_in_source.ipynb": _dump(_v4(_code("x = 1\n", 1), _code("y = 2\x00\n", 2))),
        # versions
        "nbformat1.ipynb": _dump(_v1()),
        "nbformat1_worksheets.ipynb": _dump(_v1_with_worksheets()),
        "nbformat2.ipynb": _dump(_v2()),
        "nbformat3.ipynb": _dump(_v3()),
        **{
            f"nbformat4_{minor}.ipynb": _dump(
                _v4(_code(_TWO_CELLS[0], 1), _code(_TWO_CELLS[1], 2), minor=minor)
            )
            for minor in range(6)
        },
        "nbformat4_99.ipynb": _dump(_with_version(4, 99)),
        "nbformat5.ipynb": _dump(_with_version(5)),
        "nbformat99.ipynb": _dump(_with_version(99)),
        "nbformat0.ipynb": _dump(_with_version(0)),
        "nbformat_negative.ipynb": _dump(_with_version(-4)),
        "nbformat_string.ipynb": _dump(_with_version("4", "5")),
        "nbformat_float.ipynb": _dump(_with_version(4.0, 5)),
        "nbformat_true.ipynb": _dump(_with_version(True)),
        "nbformat_null.ipynb": _dump(_with_version(None)),
        "nbformat_huge.ipynb": _dump(_with_version(10**40)),
        "nbformat_minor_string.ipynb": _dump(_with_version(4, "five")),
        "nbformat3_no_worksheets.ipynb": b'{"nbformat": 3, "nbformat_minor": 0, "metadata": {}}\n',
        "nbformat3_worksheet_null.ipynb": b'{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, '
        b'"worksheets": [null, 5]}\n',
        "nbformat2_broken.ipynb": b'{"nbformat": 2, "worksheets": 7}\n',
        # missing or wrong keys
        "missing_nbformat.ipynb": _dump(_without("nbformat")),
        "missing_cells.ipynb": _dump(_without("cells")),
        "missing_metadata.ipynb": _dump(_without("metadata")),
        "cells_is_object.ipynb": _dump({**_GOOD, "cells": {"0": _code("x = 1")}}),
        "cells_null.ipynb": _dump({**_GOOD, "cells": None}),
        "cell_is_string.ipynb": _dump(_v4(_code("x = 1\n", 1), "y = 2")),
        "cell_missing_type.ipynb": _dump(_cell_without("cell_type")),
        "cell_missing_source.ipynb": _dump(_cell_without("source")),
        "cell_unknown_type.ipynb": _dump(
            _v4(_code("x = 1\n", 1), {"cell_type": "sql", "source": "SELECT 1", "metadata": {}})
        ),
        "metadata_null.ipynb": _dump(_v4(_code("x = 1\n", 1), metadata=None) | {"metadata": None}),
        "metadata_is_list.ipynb": _dump(_v4(_code("x = 1\n", 1), metadata=[1, 2])),
        "kernelspec_is_string.ipynb": _dump(
            _v4(_code("x = 1\n", 1), metadata={"kernelspec": "python3"})
        ),
        "language_info_is_list.ipynb": _dump(
            _v4(_code("x = 1\n", 1), metadata={"language_info": [1], "kernelspec": {"name": 3}})
        ),
        "cell_metadata_junk.ipynb": _dump(
            _v4(
                _code("x = 1\n", 1, metadata=[1], id=5),
                _code("y = x\n", 2, metadata={"tags": "nb2prod:ignore"}),
            )
        ),
        # sources and outputs of the wrong type
        "null_source.ipynb": _dump(_v4(_code("x = 1\n", 1), _code(None, 2))),
        "source_list_of_ints.ipynb": _dump(
            _v4(_md("# t\n"), _code("x = 1\n", 1), _code(["y = 2\n", 3], 2))
        ),
        "source_nested_list.ipynb": _dump(_v4(_code([["x = 1\n"]], 1))),
        "source_is_number.ipynb": _dump(_v4(_code(42, 1))),
        "markdown_source_null.ipynb": _dump(_v4(_code("x = 1\n", 1), _md(None))),
        "outputs_not_list.ipynb": _dump(_v4(_code("x = 1\n", 1, {"output_type": "stream"}))),
        "outputs_junk.ipynb": _dump(
            _v4(
                _code(
                    "x = 1\nx\n",
                    1,
                    [
                        None,
                        5,
                        {"output_type": 3, "data": []},
                        {"output_type": "stream", "text": 7},
                        {
                            "output_type": "execute_result",
                            "data": {"text/plain": 5},
                            "metadata": 3,
                            "execution_count": "x",
                        },
                    ],
                )
            )
        ),
        "execution_count_junk.ipynb": _dump(
            _v4(
                _code("x = 1\n", "3"),
                _code("y = x\n", -1),
                _code("z = y\n", 1.5),
                _code("w = z\n", True),
                _code("v = w\n", 10**30),
            )
        ),
        # code that does not parse, or parses into something very deep
        "syntax_error.ipynb": _dump(
            _v4(_md("# t\n"), _code("x = 1\n", 1), _code("def f(:\n    pass\n", 2))
        ),
        "deep_parens.ipynb": _dump(
            _v4(_code("x = 1\n", 1), _code("y = " + "(" * 1000 + "x" + ")" * 1000 + "\n", 2))
        ),
        "deep_parens_150.ipynb": _dump(
            _v4(_code("x = 1\n", 1), _code("y = " + "(" * 150 + "x" + ")" * 150 + "\n", 2))
        ),
        "deep_ifs_99.ipynb": _dump(
            _v4(
                _code("x = 1\n", 1),
                _code("".join(" " * i + "if x:\n" for i in range(99)) + " " * 99 + "y = x\n", 2),
            )
        ),
        # 140 chained elifs: deep, but under the limit convert accepts
        "elif_chain_140.ipynb": _dump(
            _v4(
                _code("x = 1\n", 1),
                _code(
                    "if x == 0:\n    y = 0\n"
                    + "".join(f"elif x == {i}:\n    y = {i}\n" for i in range(1, 140)),
                    2,
                ),
            )
        ),
        "deep_lambdas.ipynb": _dump(
            _v4(_code("x = 1\n", 1), _code("f = " + "lambda: " * 500 + "x\n", 2))
        ),
        # parses, but the kernel would not compile it; moved into a function it would run
        "return_outside_function.ipynb": _dump(
            _v4(_code("x = 1\n", 1), _code("if x:\n    return x\n", 2))
        ),
        # fine at module level, a SyntaxError once the loop is inside a generated function
        "star_import_in_loop.ipynb": _dump(
            _v4(_code("x = 1\n", 1), _code("for _ in range(x):\n    from math import *\n", 2))
        ),
        "bad_magic.ipynb": _dump(
            _v4(
                _code("%%\n", 1),
                _code("%%time\n", 2),
                _code("!\n", 3),
                _code("%pip install\n", 4),
                _code("x = 1 ?? 2\n", 5),
            )
        ),
    }
    for name, data in _text_notebooks().items():
        files[name] = data
    return files


# Large files, written into a temporary folder at test time (never committed).


def huge_outputs(path: Path, megabytes: int = 200) -> Path:
    """A valid notebook whose outputs weigh `megabytes` MB: half base64 images, half text lines."""
    line = "0123456789" * 7 + "abcdefghi\n"  # 80 characters, as stream output is usually stored
    png = "iVBORw0KGgo" + "A" * (1024 * 1024 - 11)  # 1 MB of base64 per image
    half = megabytes // 2
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '{"nbformat": 4, "nbformat_minor": 5, "metadata": '
            + json.dumps(_KERNEL)
            + ', "cells": [\n'
        )
        out.write(json.dumps(_code("import math\nx = 1\n", 1)) + ",\n")
        for index in range(half):
            image = {
                "output_type": "display_data",
                "metadata": {},
                "data": {"image/png": png, "text/plain": ["<Figure>"]},
            }
            lines = {
                "output_type": "stream",
                "name": "stdout",
                "text": [line] * (1024 * 1024 // len(line)),
            }
            cell = _code(
                f"y{index} = x + {index}\nprint(y{index})\n",
                index + 2,
                [image, lines],
                id=f"big{index}",
            )
            out.write(json.dumps(cell) + (",\n" if index < half - 1 else "\n"))
        out.write("]}\n")
    return path


def many_cells(path: Path, count: int = 50_000) -> Path:
    """A valid notebook with `count` small code cells, each using the one above."""
    cells = [_code("x0 = 0\n", 1, id="m0")]
    cells += [_code(f"x{i} = x{i - 1} + 1\n", i + 1, id=f"m{i}") for i in range(1, count)]
    path.write_bytes(
        _dump({"cells": cells, "metadata": _KERNEL, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def huge_line(path: Path, megabytes: int = 4) -> Path:
    """One code cell holding a single line of `megabytes` MB (a pasted data literal)."""
    literal = "x = '" + "a" * (megabytes * 1024 * 1024) + "'\n"
    path.write_bytes(_dump(_v4(_code(literal, 1), _code("n = len(x)\n", 2))))
    return path


def _deep(source: str) -> Callable[[Path], Path]:
    """A notebook whose second cell is `source` (code too deep for Python's parser or our walkers)."""

    def build(path: Path) -> Path:
        path.write_bytes(_dump(_v4(_code("x = 1\n", 1), _code(source, 2))))
        return path

    return build


def _bytes(data: bytes) -> Callable[[Path], Path]:
    def build(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return build


LARGE: dict[str, Callable[[Path], Path]] = {
    # 1,000 nested ifs, one space per level (Python stops at 100 levels of indentation)
    "deep_ifs.ipynb": _deep(
        "".join(" " * i + "if x:\n" for i in range(1000)) + " " * 1000 + "pass\n"
    ),
    "long_sum.ipynb": _deep(
        "y = " + "x + " * 20_000 + "x\n"
    ),  # a left-deep tree 20,000 levels down
    "long_attribute_chain.ipynb": _deep("y = x" + ".real" * 20_000 + "\n"),
    "many_nots.ipynb": _deep("y = " + "not " * 50_000 + "x\n"),
    "deep_json.ipynb": _bytes(_deep_json(100_000)),
    "huge_outputs.ipynb": huge_outputs,
    "many_cells.ipynb": many_cells,
    "huge_line.ipynb": huge_line,
}


def write_large(folder: Path, names: list[str] | None = None) -> dict[str, Path]:
    """Write the large files (all, or those named) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        name: build(folder / name)
        for name, build in LARGE.items()
        if names is None or name in names
    }


def write_special(folder: Path) -> dict[str, Path]:
    """Files git cannot hold: a directory named like a notebook, symlinks, an unreadable file.

    `unreadable.ipynb` is chmod 000; as root that does not stop reading, so the caller checks
    `os.geteuid` to know which case it has; `proc_mem.ipynb` is unreadable for root too.
    `fifo.ipynb` is a named pipe nobody writes to: opening it without checking blocks forever.
    The last two are paths that cannot exist (through a file; a name over 255 bytes).
    """
    folder.mkdir(parents=True, exist_ok=True)
    good = folder / "target_good.ipynb"
    good.write_bytes(_dump(_GOOD))
    made = {
        "x.ipynb": folder / "x.ipynb",
        "dir_link.ipynb": folder / "dir_link.ipynb",
        "dangling_link.ipynb": folder / "dangling_link.ipynb",
        "loop_link.ipynb": folder / "loop_link.ipynb",
        "good_link.ipynb": folder / "good_link.ipynb",
        "unreadable.ipynb": folder / "unreadable.ipynb",
        "fifo.ipynb": folder / "fifo.ipynb",
    }
    made["x.ipynb"].mkdir()
    (made["x.ipynb"] / "inside.ipynb").write_bytes(_dump(_GOOD))
    (folder / "a_dir").mkdir()
    os.symlink(folder / "a_dir", made["dir_link.ipynb"])
    os.symlink(folder / "does_not_exist.ipynb", made["dangling_link.ipynb"])
    os.symlink(made["loop_link.ipynb"], made["loop_link.ipynb"])
    os.symlink(good, made["good_link.ipynb"])
    made["unreadable.ipynb"].write_bytes(_dump(_GOOD))
    made["unreadable.ipynb"].chmod(0)
    os.mkfifo(made["fifo.ipynb"])
    # unreadable even for root: reading a process's memory at address 0 fails with EIO
    made["proc_mem.ipynb"] = folder / "proc_mem.ipynb"
    os.symlink("/proc/self/mem", made["proc_mem.ipynb"])
    made["dev_zero.ipynb"] = folder / "dev_zero.ipynb"  # a device that never ends
    os.symlink("/dev/zero", made["dev_zero.ipynb"])
    made["through_file.ipynb"] = good / "x.ipynb"  # a path that goes through a file
    made["name_too_long.ipynb"] = folder / ("n" * 300 + ".ipynb")
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if tests/bad_inputs/ differs from this script"
    )
    parser.add_argument(
        "--large", metavar="DIR", help="also write the large and special files into DIR"
    )
    args = parser.parse_args(argv)
    files = small_files()
    if args.check:
        stale = [
            name
            for name, data in files.items()
            if not (SMALL_DIR / name).is_file() or (SMALL_DIR / name).read_bytes() != data
        ]
        for name in stale:
            print(
                f"tests/bad_inputs/{name} differs from scripts/make_bad_inputs.py", file=sys.stderr
            )
        return 1 if stale else 0
    SMALL_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (SMALL_DIR / name).write_bytes(data)
    print(f"wrote {len(files)} files to {SMALL_DIR}")
    if args.large:
        written = {**write_large(Path(args.large)), **write_special(Path(args.large))}
        print(f"wrote {len(written)} large and special files to {args.large}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
