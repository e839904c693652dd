"""Convert and verify jobs: one runner process each, tracked in memory by id.

At most `max_running` runners run at once; later jobs wait in a FIFO queue (state "queued",
their 1-based `position` reported) and can be cancelled there. Only a full queue refuses (429).

A job's runner starts in its own session (process group) with a per-job marker in its
environment that every process it starts inherits, kernels included (they run in sessions of
their own, so the group alone would miss them). Cancelling sends SIGTERM to the group so the
library can stop its kernels and remove its temporary folders, then, after a grace period,
SIGKILL to the group and to every process still carrying the marker. Each job also gets its
own TMPDIR, removed when it ends, so even a killed run leaves no scratch folders behind.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MARKER_VARIABLE = "NB2PROD_LAB_JOB"
STATES = ("queued", "running", "done", "failed", "cancelled")
# A runner's result line holds every finding and file name: far above asyncio's 64 KiB line limit.
LINE_LIMIT = 32 * 1024 * 1024


class TooManyJobs(Exception):
    """The queue is full too (HTTP 429): `max_queued` jobs already wait for a slot."""


@dataclass
class Job:
    """One job's state as the API reports it; `relativize` maps the runner's paths to the root's."""

    id: str
    kind: str
    path: str
    relativize: Callable[[dict[str, Any]], dict[str, Any]]
    state: str = "queued"
    progress: dict[str, Any] = field(
        default_factory=lambda: {"done": 0, "total": 0, "stage": "starting"}
    )
    result: dict[str, Any] | None = None
    error: dict[str, str] | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    process: asyncio.subprocess.Process | None = None
    cancelling: bool = False
    stderr_tail: collections.deque[str] = field(
        default_factory=lambda: collections.deque(maxlen=50)
    )
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    spec: dict[str, Any] = field(default_factory=dict)
    # 1-based place in the FIFO queue while queued (the registry keeps it current), else None
    position: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "state": self.state,
            "position": self.position,
            "progress": dict(self.progress),
            "result": self.result,
            "error": self.error,
        }


class JobRegistry:
    def __init__(
        self,
        root: Path,
        *,
        max_running: int = 2,
        max_queued: int = 100,
        keep_seconds: float = 3600,
        keep_finished: int = 100,
        grace_seconds: float = 10,
        log: logging.Logger | None = None,
    ) -> None:
        self.root = root
        self.max_running = max_running
        self.max_queued = max_queued
        self.keep_seconds = keep_seconds
        self.keep_finished = keep_finished
        self.grace_seconds = grace_seconds
        self.log = log or logging.getLogger(__name__)
        self.jobs: dict[str, Job] = {}
        self.scratch = Path(tempfile.mkdtemp(prefix="nb2prod-lab-jobs-"))
        self._watchers: set[asyncio.Task[None]] = set()
        self.queue: collections.deque[Job] = collections.deque()  # FIFO of queued jobs

    def running(self) -> list[Job]:
        return [job for job in self.jobs.values() if job.state == "running"]

    def get(self, job_id: str) -> Job | None:
        self._prune()
        return self.jobs.get(job_id)

    async def start(
        self,
        kind: str,
        path: str,
        spec: dict[str, Any],
        relativize: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> Job:
        """Queue a runner for `spec` (paths relative to the root) and start the queue's head
        while a slot is free; TooManyJobs when `max_queued` jobs already wait."""
        self._prune()
        if len(self.queue) >= self.max_queued:
            raise TooManyJobs(
                f"{len(self.queue)} nb2prod jobs are already waiting for one of "
                f"{self.max_running} slots; wait for one to finish or cancel it"
            )
        job = Job(uuid.uuid4().hex, kind, path, relativize, spec={"kind": kind, **spec})
        self.jobs[job.id] = job
        self.queue.append(job)
        self._number()
        await self._advance()
        return job

    async def _advance(self) -> None:
        """Start queued jobs, oldest first, while fewer than `max_running` run."""
        while self.queue and len(self.running()) < self.max_running:
            job = self.queue.popleft()
            self._number()
            job.state = "running"  # before the first await: it holds its slot from now on
            try:
                await self._launch(job)
            except Exception as exc:  # the runner could not even start (fork failed, ...)
                self._finish(job, [{"event": "error", "message": f"internal error: {exc}"}])
                self.log.exception("nb2prod job %s did not start", job.id)

    def _number(self) -> None:
        job: Job
        for place, job in enumerate(self.queue, start=1):
            job.position = place
            job.progress = {**job.progress, "stage": "queued"}

    async def _launch(self, job: Job) -> None:
        job.position = None
        job.progress = {"done": 0, "total": 0, "stage": "starting"}
        job.started = time.monotonic()
        tmp = self.scratch / job.id
        tmp.mkdir()
        env = {**os.environ, MARKER_VARIABLE: job.id, "TMPDIR": str(tmp), "PYTHONUNBUFFERED": "1"}
        try:
            job.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "nb2prod_lab.runner",
                json.dumps(job.spec),
                cwd=self.root,
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
                limit=LINE_LIMIT,
            )
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        watcher = asyncio.ensure_future(self._watch(job))
        self._watchers.add(watcher)
        watcher.add_done_callback(self._watchers.discard)
        if job.cancelling:  # cancelled while its process was being started
            await self._terminate(job, self.grace_seconds)

    async def cancel(self, job: Job) -> None:
        """Drop a queued job, or stop a running one and everything it started; return once
        they are all gone."""
        if job.state == "queued":
            self.queue.remove(job)
            self._number()
            job.position = None
            job.cancelling = True
            self._finish(job, [])
            return
        if job.state != "running":
            return
        job.cancelling = True
        await self._terminate(job, self.grace_seconds)
        await job.ended.wait()

    async def shutdown(self) -> None:
        """Cancel every queued and running job (server shutdown): no process may outlive the server."""
        for job in list(self.queue):
            await self.cancel(job)
        await asyncio.gather(
            *(self._terminate(job, 3) for job in self.running()), return_exceptions=True
        )
        for job in self.running():
            job.cancelling = True
        if self._watchers:
            await asyncio.wait(list(self._watchers), timeout=15)
        shutil.rmtree(self.scratch, ignore_errors=True)

    async def _terminate(self, job: Job, grace: float) -> None:
        process = job.process
        if process is None or process.returncode is not None:
            return
        job.cancelling = True
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

    async def _watch(self, job: Job) -> None:
        process = job.process
        assert process is not None and process.stdout is not None and process.stderr is not None
        events: list[dict[str, Any]] = []
        stderr = asyncio.ensure_future(self._read_stderr(job, process.stderr))
        try:
            async for line in process.stdout:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue
                if event.get("event") == "progress":
                    job.progress = {
                        "done": int(event.get("done", 0)),
                        "total": int(event.get("total", 0)),
                        "stage": str(event.get("stage", "")),
                    }
                else:
                    events.append(event)
            await process.wait()
            await stderr
        finally:
            # the runner is gone; so must be whatever it started (a kernel, the package's run)
            await asyncio.get_running_loop().run_in_executor(None, kill_marked, job.id)
            shutil.rmtree(self.scratch / job.id, ignore_errors=True)
            self._finish(job, events)
            await self._advance()  # its slot is free: the queue's head starts

    async def _read_stderr(self, job: Job, stream: asyncio.StreamReader) -> None:
        async for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if line.strip():
                job.stderr_tail.append(line)
                self.log.debug("nb2prod job %s: %s", job.id, line)

    def _finish(self, job: Job, events: list[dict[str, Any]]) -> None:
        job.finished = time.monotonic()
        result = next((e["result"] for e in events if e.get("event") == "result"), None)
        error = next((e["message"] for e in events if e.get("event") == "error"), None)
        if job.cancelling:
            job.state = "cancelled"
        elif result is not None:
            job.state, job.result = "done", job.relativize(result)
            job.progress = {**job.progress, "done": job.progress["total"], "stage": "done"}
        else:
            job.state = "failed"
            if error is None:
                code = job.process.returncode if job.process else None
                last = job.stderr_tail[-1] if job.stderr_tail else ""
                error = (
                    f"internal error: the {job.kind} job stopped ({last or f'exit code {code}'}); "
                    "please report this"
                )
            job.error = {"message": error.replace(str(self.root) + os.sep, "")}
        job.ended.set()

    def _prune(self) -> None:
        """Forget finished jobs after `keep_seconds`, and beyond the `keep_finished` newest."""
        now = time.monotonic()
        finished = sorted(
            (j for j in self.jobs.values() if j.finished is not None), key=lambda j: j.finished or 0
        )
        fresh = [j for j in finished if now - (j.finished or now) <= self.keep_seconds]
        kept = (
            {j.id for j in fresh[len(fresh) - self.keep_finished :]}
            if self.keep_finished
            else set()
        )
        for job in finished:
            if job.id not in kept:
                del self.jobs[job.id]


def marked_processes(job_id: str) -> list[Any]:
    """This user's processes whose environment carries the job's marker."""
    import psutil

    found = []
    me, uid = os.getpid(), os.getuid()
    for proc in psutil.process_iter(["uids"]):
        try:
            if proc.pid == me or (proc.info["uids"] is not None and proc.info["uids"].real != uid):
                continue
            if proc.environ().get(MARKER_VARIABLE) == job_id:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def kill_marked(job_id: str) -> None:
    """SIGKILL every process left from the job, and wait (bounded) until they are gone."""
    import psutil

    processes = marked_processes(job_id)
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(processes, timeout=10)
