"""The fresh run of a notebook as a page (nbconvert's HTML exporter), its disagreeing cells marked.

`verify` keeps the notebook as its fresh run left it (`fresh_notebook`); the reports render it
with `render_run_page` into `nb2prod-run.html` beside `nb2prod-report.html`. A cell may carry
several marks (an output that differs, and a finding of check the run confirmed). nbconvert is
imported only here, when a page is rendered: `nb2prod check` never pays for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from nb2prod.notebook.model import Cell, Notebook

if TYPE_CHECKING:
    from nb2prod.verify.execute import NotebookRun

RUN_PAGE = "nb2prod-run.html"
_TEMPLATE = "nb2prod-run.html.j2"
_MARK_KEY = "nb2prod_run"  # cell metadata the template reads (the page's own copy of the cells)


@dataclass(frozen=True, slots=True)
class Mark:
    """Why a cell of the page is marked."""

    cell: int
    cell_id: str
    kind: str  # CSS class suffix: "differs", "stopped", "nondeterministic", "not-run", "confirmed"
    code: str  # the rule (NB301...), or "" when the mark is no finding
    title: str
    details: tuple[str, ...] = ()


def fresh_notebook(notebook: Notebook, run: NotebookRun) -> Notebook:
    """The notebook with the fresh run's outputs, counted 1, 2, 3... in the order cells ran."""
    runs = {c.index: c for c in run.cells}
    count = 0
    cells: list[Cell] = []
    for cell in notebook.cells:
        ran = runs.get(cell.index)
        if not cell.is_code or ran is None:
            cells.append(cell)
            continue
        number = None
        if ran.status != "not-run" and not cell.is_blank:
            count += 1
            number = count
        outputs = tuple(_renumbered(o, number) for o in ran.outputs)
        cells.append(replace(cell, execution_count=number, outputs=outputs))
    return replace(notebook, cells=tuple(cells))


def _renumbered(output: Mapping[str, Any], number: int | None) -> Mapping[str, Any]:
    if output.get("output_type") != "execute_result":
        return output
    return {**output, "execution_count": number}


def render_run_page(fresh: Notebook, marks: Sequence[Mark], *, title: str, report_link: str) -> str:
    """The page: the same notebook and marks always give the same text."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    # nbconvert's constructors are untyped: what they build is Any at this boundary
    exporter_type: Callable[..., Any] = HTMLExporter
    template = files("nb2prod.templates").joinpath(_TEMPLATE).read_text("utf-8")
    exporter = exporter_type(
        template_name="lab",
        template_file=_TEMPLATE,
        extra_loaders=[DictLoader({_TEMPLATE: template})],
        exclude_anchor_links=True,
    )
    by_cell: dict[int, list[Mark]] = {}
    for mark in marks:
        by_cell.setdefault(mark.cell, []).append(mark)
    resources = {
        "metadata": {"name": title},
        _MARK_KEY: {
            "notebook": title,
            "marked": [m for m in marks if m.kind != "not-run"],
            "report": report_link,
        },
    }
    body, _ = exporter.from_notebook_node(_node(fresh, by_cell), resources=resources)
    return str(body)


def _node(notebook: Notebook, marks: Mapping[int, Sequence[Mark]]) -> Any:
    """An nbformat v4 node of the notebook, each marked cell carrying its marks in its metadata."""
    from nbformat import from_dict

    to_node: Callable[[dict[str, Any]], Any] = from_dict  # untyped in nbformat
    cells = []
    for cell in notebook.cells:
        metadata = dict(cell.metadata or {})
        if cell.index in marks:
            metadata[_MARK_KEY] = list(marks[cell.index])
        node: dict[str, Any] = {
            "cell_type": cell.cell_type,
            "id": cell.id,
            "source": cell.source,
            "metadata": metadata,
        }
        if cell.is_code:
            node["execution_count"] = cell.execution_count
            node["outputs"] = [_joined_output(o) for o in cell.outputs]
        cells.append(node)
    metadata = dict(notebook.metadata or {})
    return to_node({"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells})


def _joined_output(output: Mapping[str, Any]) -> dict[str, Any]:
    """An output with multi-line strings whole (nbformat stores them as lists of lines)."""
    joined = dict(output)
    if "text" in output:
        joined["text"] = _joined(output["text"])
    if isinstance(output.get("data"), Mapping):
        joined["data"] = {k: _joined(v) for k, v in output["data"].items()}
    return joined


def _joined(value: object) -> object:
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "".join(value)
    return value
