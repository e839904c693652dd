"""An unpicklable mapping (numpy's NpzFile holds an open zip) is captured by its type and items."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from nb2prod.verify import capture
from nb2prod.verify.compare import compare
from nb2prod.verify.programs import program


def _capture(
    folder: Path, values: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> dict[str, object]:
    monkeypatch.setenv("NB2PROD_CAPTURE_DIR", str(folder))
    namespace: dict[str, object] = {}
    # the code injected into the notebook and the package run
    exec(program("capture_hooks"), namespace)
    namespace["__nb2prod_capture__"]("step", {k: (lambda v=v: v) for k, v in values.items()})
    return capture.read_captures(folder).values["step"]


def _folder(root: Path, name: str) -> Path:
    (root / name).mkdir()
    return root / name


def _npz(folder: Path, **arrays: np.ndarray) -> object:
    path = folder / f"{len(list(folder.iterdir()))}.npz"
    np.savez(path, **arrays)
    return np.load(path)


def test_npz_is_captured_by_its_arrays_and_compared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    first = _capture(
        _folder(tmp_path, "a"),
        {"arrays": _npz(data, x=np.arange(3)), "handle": io.BufferedReader(io.BytesIO(b"x"))},
        monkeypatch,
    )
    again = _capture(_folder(tmp_path, "b"), {"arrays": _npz(data, x=np.arange(3))}, monkeypatch)
    other = _capture(
        _folder(tmp_path, "c"), {"arrays": _npz(data, x=np.arange(3) + 1)}, monkeypatch
    )

    assert capture.marker(first["arrays"]) is None
    assert first["arrays"]["__nb2prod_surrogate__"].endswith("NpzFile")  # type: ignore[index]
    assert compare(first["arrays"], again["arrays"]).verdict == "equal"
    assert compare(first["arrays"], other["arrays"]).verdict == "differs"
    # what is not a mapping stays uncapturable, with the reason
    assert "cannot pickle" in (capture.marker(first["handle"]) or "")
