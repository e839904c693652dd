"""What a convert answers about train and predict, and the artifact `train` saves (issue #14, 10)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Api, wait_for_job
from test_handlers import small_notebook

from nb2prod import api as library


async def _converted(api: Api, path: str) -> dict[str, Any]:
    status, started = await api("POST", "convert", {"path": path, "verify": False})
    assert status == 202, started
    state = await wait_for_job(api, started["job"], timeout=300)
    assert state["state"] == "done", state["error"]
    result: dict[str, Any] = state["result"]
    return result


def _train(root: Path, command: str) -> subprocess.CompletedProcess[str]:
    """Run the command the panel offers, as a terminal opened at the server's root would."""
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    return subprocess.run(
        ["bash", "-c", command],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


async def test_convert_says_what_train_and_predict_got_and_how_to_train(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    result = await _converted(api, demo)
    package = jp_root_dir / "demo" / "credit_approval"
    # what convert recorded in the package's report, as the library reads it back
    recorded = library.production(package)
    assert recorded is not None and recorded.train and recorded.predict
    production = result["production"]
    assert production == recorded.to_json()
    assert production["train"] is True and production["predict"] is True
    assert "model" in production["fitted"] and production["metrics"] == ["auc"]
    assert production["reasons"] == []  # nothing blocked either file
    assert "demo/credit_approval/src/credit_approval/train.py" in result["files"]
    assert "demo/credit_approval/src/credit_approval/predict.py" in result["files"]
    assert result["predict"] is None  # converted without verify: no predict check ran

    # no artifact yet (the lab never trains by itself): where it would go, and the command
    artifact = result["artifact"]
    assert artifact["latest"] is None and artifact["error"] is None
    assert artifact["package"] == "credit_approval" and artifact["root"] == "demo/artifacts"
    command = artifact["command"]
    assert command == "cd demo && PYTHONPATH=credit_approval/src python -m credit_approval train"
    assert not (jp_root_dir / "demo" / "artifacts").exists()

    # the command works as offered; the panel's "look again" then finds what it saved
    run = _train(jp_root_dir, command)
    assert run.returncode == 0, run.stderr[-2000:]
    saved = sorted((jp_root_dir / "demo" / "artifacts").iterdir())
    assert len(saved) == 1
    status, body = await api("POST", "artifact", {"path": demo})
    assert status == 200, body
    latest = body["artifact"]["latest"]
    assert latest["path"] == f"demo/artifacts/{saved[0].name}"
    metadata = latest["metadata"]
    assert metadata == json.loads((saved[0] / "metadata.json").read_text())
    assert metadata["package"] == "credit_approval" and metadata["version"] == saved[0].name
    assert 0.5 < metadata["metrics"]["auc"] <= 1.0  # the metric the notebook computed
    assert metadata["features"] and "scikit-learn" in metadata["libraries"]
    assert body["artifact"]["command"] == command


async def test_the_newest_artifact_of_this_package_is_shown(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    await _converted(api, demo)
    root = jp_root_dir / "demo" / "artifacts"
    for version, package in [
        ("20261201T000000.000Z-aaaaaaaa", "credit_approval"),
        ("20261202T000000.000Z-bbbbbbbb", "credit_approval"),
        ("20261203T000000.000Z-cccccccc", "another_model"),  # newer, but another package's
    ]:
        (root / version).mkdir(parents=True)
        (root / version / "metadata.json").write_text(
            json.dumps({"version": version, "package": package, "metrics": {}})
        )
    (root / ".20261204T000000.000Z-dddddddd.x.partial").mkdir()  # being written: not an artifact
    status, body = await api("POST", "artifact", {"path": demo})
    assert status == 200, body
    assert body["artifact"]["latest"]["path"] == "demo/artifacts/20261202T000000.000Z-bbbbbbbb"
    # a newest metadata.json that cannot be read is named, not skipped silently
    broken = root / "20261205T000000.000Z-eeeeeeee"
    broken.mkdir()
    (broken / "metadata.json").write_text("{not json")
    _, body = await api("POST", "artifact", {"path": demo})
    assert body["artifact"]["latest"] is None
    error = body["artifact"]["error"]
    assert error.startswith("demo/artifacts/20261205T000000.000Z-eeeeeeee/metadata.json")
    assert str(jp_root_dir) not in error


async def test_a_notebook_that_fits_nothing_has_no_train_nor_artifact(
    api: Api, jp_root_dir: Path
) -> None:
    small_notebook(jp_root_dir / "small.ipynb")
    result = await _converted(api, "small.ipynb")
    assert result["production"] is None and result["artifact"] is None
    assert result["predict"] is None
    status, body = await api("POST", "artifact", {"path": "small.ipynb"})
    assert status == 200 and body == {"artifact": None}


async def test_artifact_needs_a_package(api: Api, jp_root_dir: Path, demo: str) -> None:
    status, body = await api("POST", "artifact", {"path": demo})
    assert status == 404 and "demo/credit_approval" in body["message"]
    status, body = await api("POST", "artifact", {"path": demo, "package": "../x"})
    assert status == 403
    status, body = await api("POST", "artifact", {})
    assert status == 400 and "path" in body["message"]


@pytest.mark.slow
async def test_convert_with_verify_gives_the_predict_path_verdict(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    status, started = await api("POST", "convert", {"path": demo, "verify": True})
    assert status == 202
    state = await wait_for_job(api, started["job"], timeout=600)
    assert state["state"] == "done", state["error"]
    result = state["result"]
    report = json.loads((jp_root_dir / "demo/credit_approval/nb2prod-report.json").read_text())
    # the panel's verdict is the report's: predict() on the rows the notebook scored
    assert result["predict"] == report["verification"]["predict"]
    predict = result["predict"]
    assert predict["verdict"] == "equivalent", predict
    assert predict["rows"] > 0 and predict["reason"] == ""
    assert any(
        c["name"] == "proba_test" and c["verdict"] == "equivalent" for c in predict["compared"]
    )
    assert result["production"] == report["production"]
    # verification trained only in a scratch folder: the author's folder holds no artifact
    assert result["artifact"]["latest"] is None
    assert not (jp_root_dir / "demo" / "artifacts").exists()
