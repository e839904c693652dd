"""HTTP handlers under `<base_url>/nb2prod/` (the contract is jupyterlab/API.md).

Every method is `@tornado.web.authenticated` on Jupyter Server's `APIHandler`: no token and no
login cookie -> 403, and a POST/DELETE authenticated by cookie alone needs the XSRF token.
Errors are JSON `{"message": ...}` naming the file (and cell).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import tornado.web
from jupyter_server.base.handlers import APIHandler

from nb2prod_lab.artifacts import artifact_document, trained_package
from nb2prod_lab.jobs import Job, TooManyJobs
from nb2prod_lab.paths import PathError, Resolved

if TYPE_CHECKING:
    from nb2prod_lab.app import Nb2prodLab

Kind = type | tuple[type, ...]  # what a field of a request body must be an instance of


class ApiError(tornado.web.HTTPError):
    """An error answered as `{"message": ...}` with the message exactly as written."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, log_message=message.replace("%", "%%"))
        self.message = message


class Nb2prodHandler(APIHandler):
    def initialize(self, lab: Nb2prodLab) -> None:
        self.lab = lab

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"message": exc.message}))
            return
        super().write_error(status_code, **kwargs)

    def body(self, fields: dict[str, tuple[Kind, Any]]) -> dict[str, Any]:
        """The JSON body's fields, typed; `...` as a default marks a required field."""
        try:
            data = json.loads(self.request.body or b"null")
        except ValueError as exc:
            raise ApiError(400, f"the request body is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the request body must be a JSON object")
        values = {}
        for name, (kind, default) in fields.items():
            value = data.get(name, default)
            if value is ...:
                raise ApiError(400, f"the request body lacks '{name}'")
            if value is not None and not isinstance(value, kind):
                what = "number" if isinstance(kind, tuple) else kind.__name__
                raise ApiError(400, f"'{name}' must be a {what}")
            values[name] = value
        return values

    def resolve(
        self, requested: object, *, what: str = "path", must_exist: bool = True
    ) -> Resolved:
        try:
            return self.lab.root.resolve(requested, what=what, must_exist=must_exist)
        except PathError as exc:
            raise ApiError(exc.status, exc.message) from None

    def notebook(self, requested: object) -> Resolved:
        resolved = self.resolve(requested)
        if resolved.absolute.is_dir() and resolved.absolute.suffix not in (".ipynb",):
            raise ApiError(400, f"{requested}: is a folder, not a notebook")
        return resolved


class StatusHandler(Nb2prodHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        import nb2prod
        import nb2prod_lab

        self.finish(json.dumps({"nb2prod": nb2prod.__version__, "lab": nb2prod_lab.__version__}))


class CheckHandler(Nb2prodHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body({"path": (str, ...)})
        notebook = self.notebook(body["path"])
        loop = asyncio.get_running_loop()
        document = await loop.run_in_executor(
            self.lab.check_pool, self.lab.check_document, notebook
        )
        self.finish(json.dumps(document))


class PlanHandler(Nb2prodHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body({"path": (str, ...)})
        notebook = self.notebook(body["path"])
        loop = asyncio.get_running_loop()
        document = await loop.run_in_executor(self.lab.check_pool, self.lab.plan_document, notebook)
        self.finish(json.dumps(document))


class PreviewHandler(Nb2prodHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body({"path": (str, ...), "out": (str, None)})
        notebook = self.notebook(body["path"])
        requested = body["out"] if body["out"] is not None else self.lab.default_package(notebook)
        out = self.resolve(requested, what="out", must_exist=False)
        refusal = self.lab.output_refusal(notebook, out, force=False)
        if refusal:  # what convert would answer: say it before the author reviews anything
            raise ApiError(409, refusal)
        loop = asyncio.get_running_loop()
        document = await loop.run_in_executor(
            self.lab.check_pool, self.lab.preview_document, notebook, out
        )
        self.finish(json.dumps(document))


class ConvertHandler(Nb2prodHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(
            {
                "path": (str, ...),
                "verify": (bool, True),
                "out": (str, None),
                "force": (bool, False),
                "timeout": ((int, float), None),
            }
        )
        notebook = self.notebook(body["path"])
        if body["out"] is not None:
            out = self.resolve(body["out"], what="out", must_exist=False)
        else:
            out = self.resolve(self.lab.default_package(notebook), what="out", must_exist=False)
        refusal = self.lab.output_refusal(notebook, out, force=body["force"])
        if refusal:
            raise ApiError(409, refusal)
        spec = {
            "notebook": notebook.relative,
            "out": out.relative,
            "verify": body["verify"],
            "force": body["force"],
            "timeout": body["timeout"],
        }
        await self.start("convert", notebook.relative, spec)

    async def start(self, kind: str, path: str, spec: dict[str, Any]) -> None:
        try:
            job = await self.lab.jobs.start(kind, path, spec, self.lab.relativize)
        except TooManyJobs as exc:
            raise ApiError(429, str(exc)) from None
        self.set_status(202)
        self.finish(json.dumps({"job": job.id}))


class VerifyHandler(ConvertHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        body = self.body(
            {"path": (str, ...), "package": (str, None), "timeout": ((int, float), None)}
        )
        notebook = self.notebook(body["path"])
        requested = (
            body["package"] if body["package"] is not None else self.lab.default_package(notebook)
        )
        package = self.resolve(requested, what="package", must_exist=False)
        if not package.absolute.is_dir():
            raise ApiError(
                404,
                f"{package.relative or requested}: no generated package there; "
                "convert the notebook first or name its 'package'",
            )
        spec = {
            "notebook": notebook.relative,
            "package": package.relative,
            "timeout": body["timeout"],
        }
        await self.start("verify", notebook.relative, spec)


class ArtifactHandler(Nb2prodHandler):
    """The newest artifact the package's `train` saved, or the command that saves one.

    Only reads: training is the author's call (a terminal), never a side effect of a request.
    """

    @tornado.web.authenticated
    def post(self) -> None:
        body = self.body({"path": (str, ...), "package": (str, None)})
        notebook = self.notebook(body["path"])
        requested = (
            body["package"] if body["package"] is not None else self.lab.default_package(notebook)
        )
        package = self.resolve(requested, what="package", must_exist=False)
        if not package.absolute.is_dir():
            raise ApiError(
                404,
                f"{package.relative or requested}: no generated package there; "
                "convert the notebook first or name its 'package'",
            )
        name = trained_package(package.absolute)
        if name is None:  # the notebook fits nothing nb2prod could save: no train.py
            self.finish(json.dumps({"artifact": None}))
            return
        document = artifact_document(self.lab.root.path, notebook.absolute, package.absolute, name)
        self.finish(json.dumps({"artifact": self.lab.relative_artifact(document)}))


class JobHandler(Nb2prodHandler):
    def job(self, job_id: str) -> Job:
        job = self.lab.jobs.get(job_id)
        if job is None:
            raise ApiError(
                404, f"no job {job_id} (finished jobs are kept for a while, then forgotten)"
            )
        return job

    @tornado.web.authenticated
    def get(self, job_id: str) -> None:
        self.finish(json.dumps(self.job(job_id).to_json()))

    @tornado.web.authenticated
    async def delete(self, job_id: str) -> None:
        job = self.job(job_id)
        await self.lab.jobs.cancel(job)
        self.finish(json.dumps({"state": job.state}))


def handlers(lab: Nb2prodLab) -> list[tuple[str, type, dict[str, Any]]]:
    kwargs = {"lab": lab}
    return [
        (r"/nb2prod/status", StatusHandler, kwargs),
        (r"/nb2prod/check", CheckHandler, kwargs),
        (r"/nb2prod/plan", PlanHandler, kwargs),
        (r"/nb2prod/preview", PreviewHandler, kwargs),
        (r"/nb2prod/convert", ConvertHandler, kwargs),
        (r"/nb2prod/verify", VerifyHandler, kwargs),
        (r"/nb2prod/artifact", ArtifactHandler, kwargs),
        (r"/nb2prod/jobs/([^/]+)", JobHandler, kwargs),
    ]
