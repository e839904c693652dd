"""Random notebooks for property tests: cells from a small grammar of Python and IPython statements.

Names come from a short pool so that cells read what other cells define, redefine it, mutate
it and delete it, in any order, with any execution counts: the situations hidden-state
analysis and conversion have to survive.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

NAMES = ("a", "b", "df", "items", "model", "total", "x", "y")
FUNCS = ("load", "score", "clean")
CLASSES = ("Model", "Box")
MODULES = (
    "math",
    "os",
    "random",
    "json",
    "collections",
    "pathlib",
    "numpy",
    "pandas",
    "not_installed_mod",
)

name = st.sampled_from(NAMES)
func = st.sampled_from(FUNCS)
literal = st.one_of(
    st.integers(-5, 100).map(str),
    st.sampled_from(
        [
            '"text"',
            "'data.csv'",
            '"/home/user/data.csv"',
            "0.5",
            "None",
            "True",
            "[1, 2, 3]",
            "{'k': 1}",
            "(1, 2)",
        ]
    ),
)


@st.composite
def expression(draw: st.DrawFn, depth: int = 0) -> str:
    leaves = [literal, name]
    if depth >= 2:
        return draw(st.one_of(*leaves))
    inner = expression(depth + 1)
    return draw(
        st.one_of(
            *leaves,
            st.builds("{} + {}".format, inner, inner),
            st.builds("{}({})".format, func, inner),
            st.builds("len({})".format, name),
            st.builds("{}.copy()".format, name),
            st.builds("[{} * 2 for i in range(3)]".format, inner),
            st.builds("{{k: {} for k in range(2)}}".format, inner),
            st.builds("(lambda v: v + {})({})".format, inner, inner),
            st.builds("{} if {} else {}".format, inner, name, inner),
            st.builds("random.random()".format),
            st.builds("np.random.rand({})".format, st.integers(1, 3)),
            st.builds("pd.read_csv({})".format, st.sampled_from(['"data.csv"', '"/abs/data.csv"'])),
            st.builds("{}.fit({})".format, name, name),
        )
    )


def _indent(code: str) -> str:
    return "\n".join("    " + line if line else line for line in code.splitlines())


@st.composite
def statement(draw: st.DrawFn, depth: int = 0) -> str:
    expr = expression()
    simple = [
        st.builds("{} = {}".format, name, expr),
        st.builds("{} += {}".format, name, expr),
        st.builds("{}, {} = {}, {}".format, name, name, expr, expr),
        st.builds("import {}".format, st.sampled_from(MODULES)),
        st.sampled_from(
            [
                "import numpy as np",
                "import pandas as pd",
                "from collections import Counter",
                "from math import *",
                "from os import path as osp",
                "import matplotlib.pyplot as plt",
            ]
        ),
        st.builds("{}.append({})".format, name, expr),
        st.builds("{}[{}] = {}".format, name, st.sampled_from(["0", "'col'", "1:3"]), expr),
        st.builds("{}.attr = {}".format, name, expr),
        st.builds("{}.attr.inner += {}".format, name, expr),
        st.builds("del {}".format, name),
        st.builds("print({})".format, expr),
        expr,  # a displayed value
        st.builds("{} = {}; {}".format, name, expr, name),
        st.builds("assert {}".format, expr),
        st.builds("{}.drop(columns=['a'], inplace=True)".format, name),
        st.builds("{} = sorted({}, key=lambda v: -v)".format, name, name),
        st.builds("{} = [v for v in {} if v]".format, name, name),
        st.builds("{} = {{v: k for k, v in {}.items()}}".format, name, name),
        st.builds("{} = {{v for v in {}}}".format, name, name),
        st.builds("{} = (v for v in {})".format, name, name),
        st.builds("{} = ({} := {})".format, name, name, expr),
        st.sampled_from(
            ["pass", "random.seed(0)", "np.random.seed(1)", "exec('z = 1')", "y = eval('1')"]
        ),
    ]
    if depth >= 2:
        return draw(st.one_of(*simple))
    body = st.lists(statement(depth + 1), min_size=1, max_size=3).map(
        lambda xs: _indent("\n".join(xs))
    )
    compound = [
        st.builds(
            "def {}({}):\n{}\n    return {}".format,
            func,
            st.sampled_from(["", "v", "v, w=1", "*args"]),
            body,
            expr,
        ),
        st.builds("def {}():\n    global {}\n    {} = {}".format, func, name, name, expr),
        st.builds(
            "class {}:\n    attr = {}\n\n    def method(self):\n        return self.attr".format,
            st.sampled_from(CLASSES),
            expr,
        ),
        st.builds("@staticmethod\ndef {}(v):\n    return v".format, func),
        st.builds("for {} in range(3):\n{}".format, name, body),
        st.builds("while {}:\n{}\n    break".format, name, body),
        st.builds("if {}:\n{}\nelse:\n{}".format, expr, body, body),
        st.builds("with open('f.txt') as fh:\n{}".format, body),
        st.builds("try:\n{}\nexcept Exception as err:\n    {} = err".format, body, name),
        st.builds("async def {}():\n    await other()".format, func),
    ]
    return draw(st.one_of(*simple, *compound))


# IPython syntax: line magics and shell escapes may sit among statements; cell magics open a cell.
line_magic = st.one_of(
    st.builds("%time {} = {}".format, name, expression()),
    st.builds("%timeit {}".format, expression()),
    st.sampled_from(
        [
            "%matplotlib inline",
            "%load_ext autoreload",
            "%autoreload 2",
            "!ls -l",
            "%pip install pandas==2.1.0",
            "%pip install not-a-package",
            "!pip install scikit-learn",
            "%cd /tmp",
            "%env KEY=value",
            "%store -r x",
            "%run other.ipynb",
            "df?",
            "%who",
        ]
    ),
    st.builds("{} = !ls".format, name),
    st.builds("{} = %pwd".format, name),
)
cell_magic = st.sampled_from(
    [
        "%%time",
        "%%capture",
        "%%capture out",
        "%%timeit",
        "%%bash",
        "%%writefile f.py",
        "%%html",
        "%%sh",
    ]
)
broken = st.sampled_from(
    [
        "def f(:\n    pass",
        "print 'python 2'",
        "x = (1,",
        "await thing()",
        "return 1",
        "\t x = 1\n  y = 2",
        "x = 1\x00",
    ]
)


@st.composite
def code_source(draw: st.DrawFn) -> str:
    line = st.one_of(*[statement()] * 3, line_magic)
    source = "\n".join(draw(st.lists(line, min_size=0, max_size=4)))
    if source and draw(st.integers(0, 7)) == 0:
        source = draw(cell_magic) + "\n" + source
    return source


output = st.one_of(
    st.fixed_dictionaries(
        {
            "output_type": st.just("stream"),
            "name": st.sampled_from(["stdout", "stderr"]),
            "text": st.lists(st.text(max_size=20), max_size=3),
        }
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.just("execute_result"),
            "metadata": st.just({}),
            "execution_count": st.one_of(st.none(), st.integers(0, 40)),
            "data": st.fixed_dictionaries({"text/plain": st.text(max_size=20)}),
        }
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.just("display_data"),
            "metadata": st.just({}),
            "data": st.just({"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
        }
    ),
    st.fixed_dictionaries(
        {
            "output_type": st.just("error"),
            "ename": st.just("NameError"),
            "evalue": st.just("name 'x' is not defined"),
            "traceback": st.just([]),
        }
    ),
)


@st.composite
def cell(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["code", "code", "code", "markdown", "raw"]))
    if kind == "markdown":
        text = draw(
            st.sampled_from(
                [
                    "# Load data",
                    "## Features",
                    "## Model",
                    "### Decision rules",
                    "Notes",
                    "## Threshold 0.5",
                    "",
                ]
            )
        )
        return {"cell_type": "markdown", "metadata": {}, "source": text}
    if kind == "raw":
        return {"cell_type": "raw", "metadata": {}, "source": draw(st.text(max_size=20))}
    source = draw(code_source())
    count = draw(st.one_of(st.none(), st.integers(1, 12)))  # repeats and gaps come from the draws
    tags = draw(st.sampled_from([[], ["parameters"], ["nb2prod:business"], ["nb2prod:ignore"]]))
    # lines as nbformat stores them (a list of lines), or one string: both are valid
    as_lines = draw(st.booleans())
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {"tags": tags} if tags else {},
        "outputs": draw(st.lists(output, max_size=2)) if count is not None else [],
        "source": source.splitlines(keepends=True) if as_lines else source,
    }


@st.composite
def notebook(draw: st.DrawFn) -> dict[str, Any]:
    cells = draw(st.lists(cell(), min_size=0, max_size=10))
    code = [c for c in cells if c["cell_type"] == "code"]
    # now and then one cell does not parse: rare, so most notebooks get through to rendering
    if code and draw(st.sampled_from([False] * 7 + [True])):
        target = code[draw(st.integers(0, len(code) - 1))]
        source = (
            target["source"] if isinstance(target["source"], str) else "".join(target["source"])
        )
        target["source"] = source + ("\n" if source else "") + draw(broken)
    minor = draw(st.sampled_from([4, 5]))
    if minor == 5:
        for index, c in enumerate(cells):
            c["id"] = f"cell{index}"
    return {
        "nbformat": 4,
        "nbformat_minor": minor,
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    }
