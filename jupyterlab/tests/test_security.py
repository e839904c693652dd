"""Authentication, XSRF and root confinement of every nb2prod endpoint."""

from __future__ import annotations

import json
import os
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from conftest import Api

ENDPOINTS = [
    ("GET", "status", None),
    ("POST", "check", {"path": "demo/credit_approval.ipynb"}),
    ("POST", "convert", {"path": "demo/credit_approval.ipynb", "verify": False}),
    ("POST", "verify", {"path": "demo/credit_approval.ipynb"}),
    ("GET", "jobs/" + "0" * 32, None),
    ("DELETE", "jobs/" + "0" * 32, None),
]


@pytest.mark.parametrize(("method", "endpoint", "body"), ENDPOINTS, ids=lambda v: str(v)[:20])
async def test_no_token_is_forbidden(
    jp_fetch: Any, demo: str, jp_root_dir: Path, method: str, endpoint: str, body: Any
) -> None:
    response = await jp_fetch(
        "nb2prod",
        *endpoint.split("/"),
        method=method,
        raise_error=False,
        headers={"Authorization": ""},
        body=json.dumps(body) if body is not None else (b"" if method == "POST" else None),
    )
    assert response.code == 403
    assert not (jp_root_dir / "demo" / "credit_approval").exists()  # nothing was started


async def test_wrong_token_is_forbidden(jp_fetch: Any, demo: str) -> None:
    response = await jp_fetch(
        "nb2prod",
        "check",
        method="POST",
        body=json.dumps({"path": demo}),
        headers={"Authorization": "token not-the-token"},
        raise_error=False,
    )
    assert response.code == 403


async def _login_cookie(jp_fetch: Any) -> str:
    """Authenticate once with the token; the server answers with its login cookie."""
    response = await jp_fetch("nb2prod", "status")
    cookies = SimpleCookie()
    for header in response.headers.get_list("Set-Cookie"):
        cookies.load(header)
    login = [
        f"{name}={morsel.value}" for name, morsel in cookies.items() if name.startswith("username-")
    ]
    assert login, response.headers
    return login[0]


async def test_cookie_without_xsrf_is_refused_on_post(jp_fetch: Any, demo: str) -> None:
    login = await _login_cookie(jp_fetch)
    body = json.dumps({"path": demo})
    # the cookie alone authenticates a GET ...
    response = await jp_fetch("nb2prod", "status", headers={"Authorization": "", "Cookie": login})
    assert response.code == 200
    # ... but a POST with the cookie and no XSRF token (a cross-site form) is refused
    refused = await jp_fetch(
        "nb2prod",
        "check",
        method="POST",
        body=body,
        raise_error=False,
        headers={"Authorization": "", "Cookie": login},
    )
    assert refused.code == 403
    mismatched = await jp_fetch(
        "nb2prod",
        "check",
        method="POST",
        body=body,
        raise_error=False,
        headers={"Authorization": "", "Cookie": f"{login}; _xsrf=abc", "X-XSRFToken": "abd"},
    )
    assert mismatched.code == 403
    # with the XSRF token that the page (JupyterLab) sends, the same request goes through
    accepted = await jp_fetch(
        "nb2prod",
        "check",
        method="POST",
        body=body,
        raise_error=False,
        headers={"Authorization": "", "Cookie": f"{login}; _xsrf=abc", "X-XSRFToken": "abc"},
    )
    assert accepted.code == 200
    assert json.loads(accepted.body)["notebooks"][0]["path"] == demo


async def test_cookie_without_xsrf_cannot_cancel_a_job(jp_fetch: Any, api: Api, demo: str) -> None:
    status, started = await api("POST", "convert", {"path": demo, "verify": False})
    assert status == 202
    login = await _login_cookie(jp_fetch)
    refused = await jp_fetch(
        "nb2prod",
        "jobs",
        started["job"],
        method="DELETE",
        raise_error=False,
        headers={"Authorization": "", "Cookie": login},
    )
    assert refused.code == 403
    status, state = await api("GET", f"jobs/{started['job']}")
    assert state["state"] != "cancelled"


def _outside_notebook(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    secret = outside / "secret.ipynb"
    secret.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}))
    return secret


@pytest.mark.parametrize("endpoint", ["check", "convert", "verify"])
async def test_paths_outside_the_root_are_refused(
    api: Api, jp_root_dir: Path, tmp_path: Path, demo: str, endpoint: str
) -> None:
    secret = _outside_notebook(tmp_path)
    os.symlink(secret, jp_root_dir / "link.ipynb")
    os.symlink(secret.parent, jp_root_dir / "linked-folder")
    refused = [
        "../outside/secret.ipynb",
        "demo/../../outside/secret.ipynb",
        str(secret),
        str(jp_root_dir / demo),  # absolute, even inside the root
        "link.ipynb",
        "linked-folder/secret.ipynb",
        "demo/credit_approval.ipynb\0.txt",
        "..\\outside\\secret.ipynb",
    ]
    for path in refused:
        status, body = await api("POST", endpoint, {"path": path})
        assert status == 403, (path, body)
        assert set(body) == {"message"} and body["message"], body
    status, _ = await api("POST", "check", {"path": demo})  # the same request inside the root works
    assert status == 200


async def test_output_folders_outside_the_root_are_refused(
    api: Api, jp_root_dir: Path, tmp_path: Path, demo: str
) -> None:
    outside = _outside_notebook(tmp_path).parent
    os.symlink(outside, jp_root_dir / "escape")
    for field, endpoint in (("out", "convert"), ("package", "verify")):
        for target in ("../outside/pkg", str(outside / "pkg"), "escape/pkg"):
            status, body = await api(
                "POST",
                endpoint,
                {"path": demo, field: target, "verify": False}
                if endpoint == "convert"
                else {"path": demo, field: target},
            )
            assert status == 403, (endpoint, target, body)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.ipynb"]  # nothing written there


async def test_symlink_inside_the_root_is_followed(api: Api, jp_root_dir: Path, demo: str) -> None:
    os.symlink(jp_root_dir / demo, jp_root_dir / "alias.ipynb")
    status, body = await api("POST", "check", {"path": "alias.ipynb"})
    assert status == 200
    assert body["notebooks"][0]["path"] == demo  # reported where it really is
    assert body["notebooks"][0]["findings"]


async def test_hidden_files_follow_the_contents_manager(
    api: Api, jp_root_dir: Path, demo: str
) -> None:
    (jp_root_dir / ".private").mkdir()
    (jp_root_dir / ".private" / "nb.ipynb").write_bytes((jp_root_dir / demo).read_bytes())
    status, body = await api("POST", "check", {"path": ".private/nb.ipynb"})
    assert status == 403 and "hidden" in body["message"]


async def test_missing_notebook_is_404(api: Api, demo: str) -> None:
    for endpoint in ("check", "convert", "verify"):
        status, body = await api("POST", endpoint, {"path": "demo/nope.ipynb"})
        assert status == 404, body
        assert "demo/nope.ipynb" in body["message"]
    status, body = await api("GET", "jobs/" + "f" * 32)
    assert status == 404 and "no job" in body["message"]
    status, body = await api("POST", "verify", {"path": demo})  # no package converted yet
    assert status == 404 and "demo/credit_approval" in body["message"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "not JSON"),
        ("", "JSON object"),
        ("[1, 2]", "JSON object"),
        ({}, "lacks 'path'"),
        ({"path": 3}, "'path' must be a str"),
        ({"path": ""}, "non-empty"),
        ({"path": "demo/credit_approval.ipynb", "verify": "yes"}, "'verify' must be a bool"),
        ({"path": "demo/credit_approval.ipynb", "out": ["x"]}, "'out' must be a str"),
    ],
)
async def test_bad_request_bodies_are_400(api: Api, demo: str, body: Any, words: str) -> None:
    for endpoint in ("check", "convert"):
        if endpoint == "check" and isinstance(body, dict) and len(body) > 1:
            continue
        status, answer = await api("POST", endpoint, body)
        assert status == 400, (endpoint, answer)
        assert words in answer["message"]
