"""The input-error family: one class per cause, each with its kind and fields, all picklable."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from nb2prod.core import errors
from nb2prod.core.errors import InputError, InternalError, Nb2prodError, UnsupportedLanguage

SOURCE = Path(__file__).parents[2] / "nb2prod"

# The kinds JSON outputs and the JupyterLab server expose: a public contract.
KINDS = {
    "not-found",
    "not-a-file",
    "unreadable",
    "empty",
    "not-utf8",
    "invalid-json",
    "invalid-notebook",
    "invalid-cell",
    "invalid-text",
    "unsupported-version",
    "unsupported-language",
    "too-large",
    "unparsable-cell",
    "unsupported-code",
    "kernel-missing",
    "python-not-found",
    "python-broken",
    "output-exists",
    "output-unsafe",
    "output-busy",
    "config",
}


def _family(root: type[InputError] = InputError) -> list[type[InputError]]:
    found = []
    for cls in root.__subclasses__():
        found += [cls, *_family(cls)]
    return found


FAMILY = _family()


def _make(cls: type[InputError]) -> InputError:
    if cls is UnsupportedLanguage:
        return UnsupportedLanguage("dir/nb.ipynb", "R")
    return cls("dir/nb.ipynb", "what to change", cell=3, cell_id="abc", line=7)


def test_one_class_per_kind() -> None:
    kinds = [cls.kind for cls in FAMILY]
    assert sorted(kinds) == sorted(KINDS), "a kind was added, renamed or shared"
    assert all("kind" in vars(cls) for cls in FAMILY), "each class names its own kind"


def test_every_class_is_defined_in_core_errors() -> None:
    assert all(getattr(errors, cls.__name__) is cls for cls in FAMILY)


@pytest.mark.parametrize("cls", FAMILY, ids=lambda cls: cls.__name__)
def test_pickle_round_trip_keeps_type_and_fields(cls: type[InputError]) -> None:
    error = _make(cls)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls and isinstance(back, InputError) and isinstance(back, Nb2prodError)
    fields = ("kind", "path", "message", "cell", "cell_id", "line", "args")
    assert [getattr(back, f) for f in fields] == [getattr(error, f) for f in fields]
    assert vars(back) == vars(error)
    assert str(back) == str(error)


def test_message_names_file_cell_and_line() -> None:
    error = errors.InvalidCell("dir/nb.ipynb", "cell 3 is not an object", cell=3, line=2)
    assert str(error) == "dir/nb.ipynb:cell 3:line 2: cell 3 is not an object"
    assert str(errors.Empty("dir/nb.ipynb", "is empty")) == "dir/nb.ipynb: is empty"


def test_unsupported_language_keeps_the_language() -> None:
    back = pickle.loads(pickle.dumps(UnsupportedLanguage("nb.ipynb", "julia")))
    assert back.language == "julia"
    assert str(back) == (
        "nb.ipynb: kernel language julia is not supported (nb2prod analyses Python notebooks)"
    )


def test_internal_error_is_the_other_family() -> None:
    error = InternalError("the plan lost a statement", "/tmp/diff.txt")
    back = pickle.loads(pickle.dumps(error))
    assert not isinstance(back, InputError) and isinstance(back, Nb2prodError)
    assert (back.message, back.detail_path, str(back)) == (
        error.message,
        error.detail_path,
        str(error),
    )


def test_nb2prod_raises_only_named_causes() -> None:
    """No module raises the root `InputError` itself, or picks a kind by a string."""
    offenders = []
    for path in SOURCE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "InputError":
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
            if any(k.arg == "kind" for k in node.keywords) and "Error" in ast.unparse(node.func):
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert offenders == []
