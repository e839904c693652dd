"""What each endpoint answers: check as the CLI, convert/verify as jobs, cancel, limits."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from conftest import Api, cli_check_document, wait_for_job
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

import nb2prod
import nb2prod_lab
from nb2prod_lab.jobs import MARKER_VARIABLE, marked_processes


def small_notebook(path: Path) -> None:
    """A notebook that converts to one function and runs in a second or two."""
    nb = new_notebook(
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        }
    )
    nb.cells = [
        new_code_cell("import math"),
        new_markdown_cell("## Areas"),
        new_code_cell("radii = [1.0, 2.0, 3.0]"),
        new_code_cell("areas = [math.pi * r ** 2 for r in radii]"),
        new_code_cell("total = sum(areas)\nprint(round(total, 3))"),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)


async def test_status_names_both_versions(api: Api) -> None:
    status, body = await api("GET", "status")
    assert status == 200
    assert body == {"nb2prod": nb2prod.__version__, "lab": nb2prod_lab.__version__}


async def test_check_answers_what_the_cli_prints(api: Api, jp_root_dir: Path, demo: str) -> None:
    status, body = await api("POST", "check", {"path": demo})
    assert status == 200
    expected = cli_check_document(jp_root_dir, demo)
    assert body == expected
    assert body["notebooks"][0]["path"] == demo
    assert {"NB106"} <= {f["code"] for f in body["notebooks"][0]["findings"]}


async def test_check_applies_the_nearest_pyproject_each_time(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    pyproject = jp_root_dir / "demo" / "pyproject.toml"
    pyproject.write_text('[tool.nb2prod]\nselect = ["NB102"]\n')
    _, first = await api("POST", "check", {"path": demo})
    assert {f["code"] for f in first["notebooks"][0]["findings"]} == {"NB102"}
    assert first == cli_check_document(jp_root_dir, demo)
    pyproject.write_text('[tool.nb2prod]\nignore = ["NB102"]\n')  # edited while the server runs
    _, second = await api("POST", "check", {"path": demo})
    codes = {f["code"] for f in second["notebooks"][0]["findings"]}
    assert "NB102" not in codes and codes
    assert second == cli_check_document(jp_root_dir, demo)


@pytest.mark.parametrize(
    "content",
    [
        b'{"cells": [',
        b"\x00\xff binary junk",
        b"",
        b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": null}]}',
    ],
)
async def test_a_notebook_nb2prod_cannot_read_is_an_error_in_the_document(
    api: Api, jp_root_dir: Path, content: bytes
) -> None:
    (jp_root_dir / "bad.ipynb").write_bytes(content)
    status, body = await api("POST", "check", {"path": "bad.ipynb"})
    assert status == 200
    notebook = body["notebooks"][0]
    assert notebook["path"] == "bad.ipynb" and notebook["findings"] == []
    assert notebook["error"]["kind"] and notebook["error"]["message"]
    assert str(jp_root_dir) not in notebook["error"]["message"]
    assert body == cli_check_document(jp_root_dir, "bad.ipynb")


async def test_an_unparsable_cell_is_named(api: Api, jp_root_dir: Path) -> None:
    nb = new_notebook()
    nb.cells = [
        new_markdown_cell("# t"),
        new_code_cell("x = 1"),
        new_code_cell("def broken(:\n    pass"),
    ]
    nbformat.write(nb, jp_root_dir / "broken.ipynb")
    status, body = await api("POST", "check", {"path": "broken.ipynb"})
    assert status == 200
    assert body == cli_check_document(jp_root_dir, "broken.ipynb")
    findings, error = body["notebooks"][0]["findings"], body["notebooks"][0]["error"]
    assert any(f["cell"] == 2 for f in findings) or (error and error["cell"] == 2), body


async def test_convert_without_verify_writes_the_package(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    status, started = await api("POST", "convert", {"path": demo, "verify": False})
    assert status == 202
    state = await wait_for_job(api, started["job"], timeout=300)
    assert state["state"] == "done", state
    assert state["kind"] == "convert" and state["path"] == demo and state["error"] is None
    result = state["result"]
    assert result["out_dir"] == "demo/credit_approval"
    assert result["verdict"] == "not-verified"
    assert result["report"] == "demo/credit_approval/nb2prod-report.md"
    assert {
        "demo/credit_approval/pyproject.toml",
        "demo/credit_approval/src/credit_approval/features.py",
        "demo/credit_approval/nb2prod-report.md",
    } <= set(result["files"])
    on_disk = {
        p.relative_to(jp_root_dir).as_posix()
        for p in (jp_root_dir / "demo/credit_approval").rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.parts)
    }
    assert set(result["files"]) == on_disk
    assert {f["function"] for f in result["functions"]} >= {"build_features", "train_model"}
    assert {f["verdict"] for f in result["functions"]} == {"not-verified"}
    assert result["first_divergence"] is None and result["findings"] == []
    assert result["run_page"] is None  # no fresh run, no page of it


async def test_convert_refuses_a_folder_it_did_not_create(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    foreign = jp_root_dir / "demo" / "credit_approval"
    foreign.mkdir()
    (foreign / "mine.txt").write_text("keep me")
    status, body = await api("POST", "convert", {"path": demo, "verify": False})
    assert (
        status == 409 and "demo/credit_approval" in body["message"] and "force" in body["message"]
    )
    assert (foreign / "mine.txt").read_text() == "keep me"
    status, body = await api("POST", "convert", {"path": demo, "verify": False, "out": "demo"})
    assert status == 409 and "own folder" in body["message"]
    status, started = await api("POST", "convert", {"path": demo, "verify": False, "force": True})
    assert status == 202
    state = await wait_for_job(api, started["job"], timeout=300)
    assert state["state"] == "done", state
    assert not (foreign / "mine.txt").exists() and (foreign / "pyproject.toml").is_file()


async def test_convert_to_a_chosen_folder(api: Api, jp_root_dir: Path, demo: str) -> None:
    status, started = await api(
        "POST", "convert", {"path": demo, "verify": False, "out": "out/pkg"}
    )
    assert status == 202
    state = await wait_for_job(api, started["job"], timeout=300)
    assert state["result"]["out_dir"] == "out/pkg"
    assert all(f.startswith("out/pkg/") for f in state["result"]["files"])
    assert (jp_root_dir / "out/pkg/pyproject.toml").is_file()


async def test_a_notebook_that_cannot_be_converted_fails_the_job_with_its_message(
    api: Api, jp_root_dir: Path
) -> None:
    (jp_root_dir / "bad.ipynb").write_text('{"cells": [')
    status, started = await api("POST", "convert", {"path": "bad.ipynb", "verify": False})
    assert status == 202
    state = await wait_for_job(api, started["job"], timeout=120)
    assert state["state"] == "failed" and state["result"] is None
    assert state["error"]["message"].startswith("bad.ipynb")
    assert "internal" not in state["error"]["message"]


@pytest.mark.slow
async def test_convert_with_verify_runs_the_notebook_and_the_package(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    status, started = await api("POST", "convert", {"path": demo, "verify": True})
    assert status == 202
    seen = set()

    def note(state: dict[str, Any]) -> bool:
        seen.add((state["progress"]["stage"], state["progress"]["total"] > 0))
        return state["state"] != "running"

    state = await wait_for_job(api, started["job"], timeout=600, until=note)
    assert state["state"] == "done", state
    result = state["result"]
    assert result["verdict"] == "equivalent", result
    assert {f["verdict"] for f in result["functions"]} == {"equivalent"}
    assert result["first_divergence"] is None
    # verify's own findings, and check's findings its fresh run did not refute
    assert all(
        f["code"].startswith(("NB3", "NB4")) or f["confirmed"] is not False
        for f in result["findings"]
    )
    report = jp_root_dir / result["report"]
    assert "## Verification" in report.read_text()
    verification = json.loads(
        (jp_root_dir / "demo/credit_approval/nb2prod-report.json").read_text()
    )["verification"]
    assert verification["verdict"] == "equivalent"
    assert "demo/credit_approval/nb2prod-report.html" in result["files"]
    assert all((jp_root_dir / f).is_file() for f in result["files"])
    assert result["run_page"] == "demo/credit_approval/nb2prod-run.html"
    assert result["run_page"] in result["files"]
    assert any(total for stage, total in seen if stage != "converting"), (
        seen
    )  # cell progress was reported


@pytest.mark.slow
async def test_verify_an_existing_package(api: Api, jp_root_dir: Path) -> None:
    small_notebook(jp_root_dir / "work" / "small.ipynb")
    status, started = await api("POST", "convert", {"path": "work/small.ipynb", "verify": False})
    state = await wait_for_job(api, started["job"], timeout=300)
    assert state["state"] == "done", state
    status, started = await api("POST", "verify", {"path": "work/small.ipynb"})
    assert status == 202
    state = await wait_for_job(api, started["job"], timeout=300)
    assert state["kind"] == "verify" and state["state"] == "done", state
    result = state["result"]
    assert result["out_dir"] == "work/small" and result["verdict"] == "equivalent", result
    assert result["functions"] and {f["verdict"] for f in result["functions"]} == {"equivalent"}
    assert state["progress"]["total"] == 5 and state["progress"]["done"] == 5
    assert result["run_page"] == "work/small/nb2prod-run.html"


@pytest.mark.slow
async def test_a_package_that_differs_is_reported_with_its_first_divergence(
    api: Api, jp_root_dir: Path
) -> None:
    small_notebook(jp_root_dir / "small.ipynb")
    _, started = await api("POST", "convert", {"path": "small.ipynb", "verify": False})
    state = await wait_for_job(api, started["job"], timeout=300)
    features = jp_root_dir / "small" / "src" / "small" / "features.py"
    source = features.read_text()
    assert "r**2" in source
    features.write_text(source.replace("r**2", "r**3"))  # a wrong conversion
    _, started = await api("POST", "verify", {"path": "small.ipynb", "package": "small"})
    state = await wait_for_job(api, started["job"], timeout=300)
    assert state["state"] == "done", state
    result = state["result"]
    assert result["verdict"] == "differs"
    assert result["first_divergence"]["function"] in {f["function"] for f in result["functions"]}
    assert result["first_divergence"]["variable"] == "areas"
    assert any(f["code"] == "NB401" for f in result["findings"])


def _our_processes() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


@pytest.mark.slow
async def test_cancel_kills_the_job_and_everything_it_started(
    api: Api, jp_root_dir: Path, demo: str, jp_serverapp: Any
) -> None:
    _, started = await api("POST", "convert", {"path": demo, "verify": False})
    await wait_for_job(api, started["job"], timeout=300)
    before = _our_processes()
    status, started = await api("POST", "verify", {"path": demo})
    assert status == 202
    job = started["job"]
    # wait until the kernel runs the notebook: the runner and the kernel both carry the marker
    deadline = time.monotonic() + 180
    while (
        len(await asyncio.to_thread(marked_processes, job)) < 2
        or not (await api("GET", f"jobs/{job}"))[1]["progress"]["total"]
    ):
        assert time.monotonic() < deadline, "the verify job never started its kernel"
        await asyncio.sleep(0.2)
    running = await asyncio.to_thread(marked_processes, job)
    assert any("ipykernel" in " ".join(p.cmdline()) for p in running), [
        p.cmdline() for p in running
    ]
    status, body = await api("DELETE", f"jobs/{job}")
    assert status == 200 and body == {"state": "cancelled"}
    assert await asyncio.to_thread(marked_processes, job) == []
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in running)
    assert _our_processes() <= before
    _, state = await api("GET", f"jobs/{job}")
    assert state["state"] == "cancelled" and state["result"] is None
    lab = jp_serverapp.web_app.settings["nb2prod_lab"]
    assert not (lab.jobs.scratch / job).exists()  # the job's TMPDIR went with it
    status, body = await api("DELETE", f"jobs/{job}")  # cancelling again changes nothing
    assert status == 200 and body == {"state": "cancelled"}


async def test_jobs_beyond_the_limit_wait_in_a_fifo_queue(
    api: Api, jp_root_dir: Path, jp_serverapp: Any
) -> None:
    """10 jobs against a limit of 2: never more than 2 run, they start in the order sent, the
    queued ones report their place, and one cancelled while queued never runs."""
    small_notebook(jp_root_dir / "q" / "areas.ipynb")
    lab = jp_serverapp.web_app.settings["nb2prod_lab"]
    assert lab.jobs.max_running == 2
    ids = []
    for i in range(10):
        status, body = await api(
            "POST", "convert", {"path": "q/areas.ipynb", "verify": False, "out": f"q/pkg{i}"}
        )
        assert status == 202, body
        ids.append(body["job"])
    states = [(await api("GET", f"jobs/{job}"))[1] for job in ids]
    running = [s for s in states if s["state"] == "running"]
    queued = [s for s in states if s["state"] == "queued"]
    assert (
        len(running) <= 2
        and len(running) + len(queued) + sum(s["state"] == "done" for s in states) == 10
    )
    assert [s["position"] for s in queued] == list(range(1, len(queued) + 1))
    assert all(s["progress"]["stage"] == "queued" for s in queued)
    assert len(queued) >= 6, "the first jobs cannot all have finished already"

    # a full queue is the only refusal
    lab.jobs.max_queued = len(lab.jobs.queue)
    status, body = await api("POST", "convert", {"path": "q/areas.ipynb", "verify": False})
    lab.jobs.max_queued = 100
    assert status == 429 and "waiting" in body["message"], body

    # cancel the last queued job: the ones behind it keep their order, it never runs
    cancelled = ids[-1]
    status, body = await api("DELETE", f"jobs/{cancelled}")
    assert status == 200 and body == {"state": "cancelled"}

    peak = 0
    deadline = time.monotonic() + 300
    while any(j.state in ("queued", "running") for j in lab.jobs.jobs.values()):
        peak = max(peak, len(lab.jobs.running()))
        assert time.monotonic() < deadline, [j.state for j in lab.jobs.jobs.values()]
        await asyncio.sleep(0.05)
    assert peak <= 2
    finals = [(await api("GET", f"jobs/{job}"))[1] for job in ids]
    assert [s["state"] for s in finals] == ["done"] * 9 + ["cancelled"], finals
    assert all(s["position"] is None for s in finals)
    assert not (jp_root_dir / "q" / "pkg9").exists()
    jobs = [lab.jobs.jobs[job] for job in ids[:9]]
    starts = [j.started for j in jobs]
    assert starts == sorted(starts), "jobs started out of the order they were sent"
    # at no moment did more than 2 run: each job started only after all but one before it ended
    for i, job in enumerate(jobs[2:], start=2):
        ended_before = sum((j.finished or 0) <= job.started for j in jobs[:i])
        assert ended_before >= i - 1, (i, ended_before)


async def test_server_shutdown_stops_running_jobs(api: Api, demo: str, jp_serverapp: Any) -> None:
    status, started = await api("POST", "convert", {"path": demo, "verify": True})
    assert status == 202
    job = started["job"]
    deadline = time.monotonic() + 60
    while not await asyncio.to_thread(marked_processes, job):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.1)
    lab = jp_serverapp.web_app.settings["nb2prod_lab"]
    await lab.stop_extension()
    assert await asyncio.to_thread(marked_processes, job) == []
    assert not lab.jobs.scratch.exists()
    _, state = await api("GET", f"jobs/{job}")
    assert state["state"] == "cancelled"
    assert MARKER_VARIABLE not in __import__("os").environ


async def test_plan_answers_the_library_plan(api: Api, jp_root_dir: Path, demo: str) -> None:
    from nb2prod import api as library

    status, body = await api("POST", "plan", {"path": demo})
    assert status == 200 and body["error"] is None, body
    expected = library.plan(str(jp_root_dir / demo))
    assert isinstance(expected, library.PlanView)
    assert body["plan"] == {**json.loads(json.dumps(expected.to_json())), "notebook": demo}
    (jp_root_dir / "bad.ipynb").write_text(
        json.dumps(nbformat.v4.new_notebook(cells=[new_code_cell("x = (")]))
    )
    status, body = await api("POST", "plan", {"path": "bad.ipynb"})
    assert status == 200 and body["plan"] is None
    assert body["error"]["message"].startswith("bad.ipynb") and str(jp_root_dir) not in str(body)


async def test_preview_diffs_the_package_on_disk_and_writes_nothing(
    api: Api, jp_root_dir: Path
) -> None:
    small_notebook(jp_root_dir / "p" / "areas.ipynb")
    status, body = await api("POST", "preview", {"path": "p/areas.ipynb"})
    assert status == 200 and body["error"] is None, body
    preview = body["preview"]
    assert preview["out_dir"] == "p/areas" and preview["exists"] is False
    assert not (jp_root_dir / "p" / "areas").exists()
    status, started = await api("POST", "convert", {"path": "p/areas.ipynb", "verify": False})
    assert (await wait_for_job(api, started["job"], timeout=300))["state"] == "done"
    source = (jp_root_dir / "p" / "areas.ipynb").read_text().replace("3.0]", "4.0]")
    (jp_root_dir / "p" / "areas.ipynb").write_text(source)
    before = sorted(p.stat().st_mtime_ns for p in (jp_root_dir / "p" / "areas").rglob("*"))
    status, body = await api("POST", "preview", {"path": "p/areas.ipynb"})
    assert status == 200 and body["error"] is None, body
    changes = body["preview"]["changes"]
    assert body["preview"]["exists"] and changes
    assert any("4.0" in c["diff"] and c["status"] == "changed" for c in changes), changes
    assert before == sorted(p.stat().st_mtime_ns for p in (jp_root_dir / "p" / "areas").rglob("*"))
    status, body = await api("POST", "preview", {"path": "p/areas.ipynb", "out": "../x"})
    assert status == 403
