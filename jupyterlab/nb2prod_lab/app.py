"""The server extension: settings, the check thread pool, the job registry, shutdown."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Float, Int

from nb2prod_lab.jobs import JobRegistry
from nb2prod_lab.paths import Resolved, Root

if TYPE_CHECKING:
    from nb2prod.api import Failed


class Nb2prodLab(ExtensionApp):
    name = "nb2prod_lab"
    load_other_extensions = True

    check_workers = Int(2, config=True, help="Threads running `check` (the event loop stays free).")
    max_running_jobs = Int(
        2, config=True, help="Convert/verify jobs running at once; more wait in a FIFO queue."
    )
    max_queued_jobs = Int(
        100, config=True, help="Jobs that may wait for a running slot; more get 429."
    )
    keep_jobs_seconds = Float(3600, config=True, help="How long a finished job stays readable.")
    cancel_grace_seconds = Float(
        10, config=True, help="After SIGTERM, how long a cancelled job may clean up before SIGKILL."
    )

    def initialize_settings(self) -> None:
        server = self.serverapp
        assert server is not None  # settings are initialised once the extension is loaded
        self.root = Root.of(
            server.root_dir,
            allow_hidden=bool(getattr(server.contents_manager, "allow_hidden", False)),
        )
        self.check_pool = ThreadPoolExecutor(self.check_workers, thread_name_prefix="nb2prod-check")
        self.check_pool.submit(_import_check)  # the first click should not pay for the imports
        self.jobs = JobRegistry(
            self.root.path,
            max_running=self.max_running_jobs,
            max_queued=self.max_queued_jobs,
            keep_seconds=self.keep_jobs_seconds,
            grace_seconds=self.cancel_grace_seconds,
            log=self.log,
        )

    def initialize_handlers(self) -> None:
        from nb2prod_lab.handlers import handlers

        self.handlers.extend(handlers(self))

    async def stop_extension(self) -> None:
        await self.jobs.shutdown()
        self.check_pool.shutdown(wait=False, cancel_futures=True)

    # --- what the handlers ask of the library -------------------------------------------

    def check_document(self, notebook: Resolved) -> dict[str, object]:
        """`nb2prod check --format json` for one notebook, its path relative to the root."""
        from nb2prod import api

        result = api.check([str(notebook.absolute)]).results[0]
        if isinstance(result, api.Failed):
            result = dataclasses.replace(
                result, path=notebook.relative, message=self.root.scrub(result.message)
            )
        else:
            result = dataclasses.replace(result, path=notebook.relative)
        return api.check_document([result])

    def plan_document(self, notebook: Resolved) -> dict[str, object]:
        """The convert plan of the saved notebook (`nb2prod.api.plan`), or the refusal."""
        from nb2prod import api

        planned = api.plan(str(notebook.absolute))
        if isinstance(planned, api.Failed):
            return {"plan": None, "error": self._failure(planned, notebook)}
        document = planned.to_json()
        document["notebook"] = notebook.relative
        return {"plan": document, "error": None}

    def preview_document(self, notebook: Resolved, out: Resolved) -> dict[str, object]:
        """What convert would write to `out`, diffed against the folder there; nothing written."""
        from nb2prod import api

        previewed = api.preview(str(notebook.absolute), out.absolute)
        if isinstance(previewed, api.Failed):
            return {"preview": None, "error": self._failure(previewed, notebook)}
        plan = previewed.plan.to_json()
        plan["notebook"] = notebook.relative
        document = {**previewed.to_json(), "plan": plan, "out_dir": out.relative}
        return {"preview": document, "error": None}

    def _failure(self, failed: Failed, notebook: Resolved) -> dict[str, object]:
        from nb2prod import api

        message = self.root.scrub(api.describe(failed))
        return {"kind": failed.kind, "message": message, "cell": failed.cell}

    def default_package(self, notebook: Resolved) -> str:
        """The CLI's default output folder, `<notebook folder>/<package name>`, root-relative."""
        from nb2prod import api

        return api.default_package_dir(notebook.relative).as_posix()

    def output_refusal(self, notebook: Resolved, out: Resolved, *, force: bool) -> str | None:
        """Why convert would refuse `out` (the reasons nb2prod.convert.write gives), or None."""
        from nb2prod import api

        target = out.absolute
        if target == notebook.absolute.parent or target in notebook.absolute.parents:
            return f"{out.relative or '.'}: is the notebook's own folder (or holds it); choose another 'out'"
        if target.exists() and not target.is_dir():
            return f"{out.relative}: exists and is not a folder"
        if (
            target.is_dir()
            and not force
            and not api.generated_by_nb2prod(target)
            and any(target.iterdir())
        ):
            return (
                f"{out.relative}: exists and was not created by nb2prod; set 'force' to replace it"
            )
        return None

    def relativize(self, result: dict[str, Any]) -> dict[str, Any]:
        """A runner's result with root-relative paths (the runner's cwd is the root)."""

        def rel(path: str) -> str:
            return self.root.relative(self.root.path / path) or path

        out = dict(result)
        for key in ("out_dir", "report", "run_page"):
            if out.get(key):
                out[key] = rel(out[key])
        out["files"] = [rel(f) for f in out.get("files", [])]
        if out.get("first_divergence"):
            first = dict(out["first_divergence"])
            first["detail"] = self.root.scrub(first.get("detail") or "")
            out["first_divergence"] = first
        out["findings"] = [
            {**f, "message": self.root.scrub(f.get("message", ""))} for f in out.get("findings", [])
        ]
        if out.get("predict"):
            predict = dict(out["predict"])
            predict["reason"] = self.root.scrub(predict.get("reason") or "")
            predict["compared"] = [
                {**c, "detail": self.root.scrub(c.get("detail") or "")}
                for c in predict.get("compared", [])
            ]
            out["predict"] = predict
        if out.get("artifact"):
            out["artifact"] = self.relative_artifact(out["artifact"])
        return out

    def relative_artifact(self, document: dict[str, Any]) -> dict[str, Any]:
        """An artifact document (nb2prod_lab.artifacts) with root-relative paths."""
        out = dict(document)
        out["root"] = self.root.relative(Path(out["root"])) or out["root"]
        if out.get("latest"):
            latest = dict(out["latest"])
            latest["path"] = self.root.relative(Path(latest["path"])) or latest["path"]
            out["latest"] = latest
        if out.get("error"):
            out["error"] = self.root.scrub(out["error"])
        return out


def _import_check() -> None:
    import nb2prod.api  # noqa: F401  (the modules check uses come with it)
