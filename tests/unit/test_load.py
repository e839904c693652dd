"""Loading: nbformat 3 and 4.x, jupytext text formats, and clear errors for bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from nb2prod.core.errors import InputError, UnsupportedLanguage
from nb2prod.notebook.load import iter_notebook_paths, load
from tests.helpers import code, md, notebook, write


def test_v4_cells_indices_ids_and_counts(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.ipynb",
        notebook(md("# Title"), code("x = 1", 1), code("y = x", 2, tags=["t"])),
    )
    nb = load(path)
    assert [c.cell_type for c in nb.cells] == ["markdown", "code", "code"]
    assert [c.index for c in nb.cells] == [0, 1, 2]
    assert [c.id for c in nb.cells] == ["c0", "c1", "c2"]
    assert nb.cells[2].execution_count == 2 and nb.cells[2].tags == ("t",)
    assert nb.nbformat == (4, 5) and nb.language == "python"


def test_v4_without_ids_gets_stable_ids(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ipynb", notebook(code("x = 1", 1), code("y", 2), minor=2))
    assert [c.id for c in load(path).cells] == ["cell-0", "cell-1"]


def test_v3_worksheets_are_upgraded_in_memory(tmp_path: Path) -> None:
    raw = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "heading", "level": 2, "source": "Load", "metadata": {}},
                    {
                        "cell_type": "code",
                        "language": "python",
                        "input": ["import os\n", "x = 1"],
                        "prompt_number": 3,
                        "outputs": [],
                        "metadata": {},
                    },
                ]
            }
        ],
    }
    path = tmp_path / "v3.ipynb"
    path.write_text(json.dumps(raw))
    nb = load(path)
    assert nb.nbformat[0] == 3
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source == "## Load"
    assert nb.cells[1].source == "import os\nx = 1" and nb.cells[1].execution_count == 3


@pytest.mark.parametrize(
    ("suffix", "text"),
    [
        (".py", "# %%\nx = 1\n\n# %% [markdown]\n# Title\n\n# %%\ny = x + 1\n"),
        (
            ".md",
            "---\njupyter:\n  kernelspec:\n    name: python3\n    language: python\n    display_name: Python 3\n"
            "---\n\n# Title\n\n```python\nx = 1\n```\n",
        ),
        (".Rmd", "---\ntitle: t\n---\n\nSome text\n\n```{python}\nx = 1\n```\n"),
    ],
)
def test_text_formats_through_jupytext(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"nb{suffix}"
    path.write_text(text)
    nb = load(path)
    sources = [c.source for c in nb.cells if c.is_code]
    assert "x = 1" in sources
    assert nb.format.startswith(suffix.lstrip(".").lower())


def test_non_python_kernel_is_a_clear_result(tmp_path: Path) -> None:
    path = write(tmp_path / "r.ipynb", notebook(code("x <- 1", 1), language="R"))
    with pytest.raises(UnsupportedLanguage) as info:
        load(path)
    assert "kernel language R is not supported" in str(info.value)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "is empty"),
        (b'{"nbformat": 4, "cells": [', "not valid notebook JSON"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not"),
        (b"[1, 2, 3]", "top level is not an object"),
        (b'{"cells": []}', "no integer 'nbformat'"),
        (b'{"nbformat": 9, "cells": []}', "nbformat 9"),
        (
            b'{"nbformat": 4, "nbformat_minor": 4, "cells": [{"cell_type": "code", "source": null}]}',
            "cell 0 has a null 'source'",
        ),
        (
            b'{"nbformat": 4, "nbformat_minor": 4, "cells": [{"cell_type": "code", "source": [1, 2]}]}',
            "cell 0 has a list 'source'",
        ),
        (
            b'{"nbformat": 4, "nbformat_minor": 4, "cells": [{"cell_type": 5, "source": ""}]}',
            "no valid cell_type",
        ),
        (
            b'{"nbformat": 4, "nbformat_minor": 4, "cells": "no"}',
            "'cells' is missing or not a list",
        ),
    ],
)
def test_bad_input_names_the_file(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(InputError) as info:
        load(path)
    assert fragment in str(info.value)
    assert str(path) in str(info.value)


def test_directory_named_like_a_notebook(tmp_path: Path) -> None:
    (tmp_path / "x.ipynb").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        load(tmp_path / "x.ipynb")


def test_bom_and_crlf_are_accepted(tmp_path: Path) -> None:
    text = json.dumps(notebook(code("x = 1\r\ny = x\r\n", 1))).replace("\n", "\r\n")
    path = tmp_path / "bom.ipynb"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert load(path).cells[0].execution_count == 1


def test_loading_never_modifies_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "a.ipynb", notebook(code("%matplotlib inline\nx = 1", 1)))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    mtime = path.stat().st_mtime_ns
    load(path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert path.stat().st_mtime_ns == mtime


def test_folder_walk_finds_notebooks_and_skips_checkpoints(tmp_path: Path) -> None:
    write(tmp_path / "a.ipynb", notebook(code("x = 1", 1)))
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "b.ipynb", notebook(code("x = 1", 1)))
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", notebook(code("x = 1", 1)))
    (tmp_path / "plain.py").write_text("print('not a notebook')\n")
    (tmp_path / "paired.py").write_text("# %%\nx = 1\n")
    found = [Path(p).relative_to(tmp_path).as_posix() for p in iter_notebook_paths([str(tmp_path)])]
    assert found == ["a.ipynb", "paired.py", "sub/b.ipynb"]
