"""Install commands a notebook ran (`%pip install`, `!conda install`): what each one asked for."""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement

from nb2prod.notebook.model import Cell
from nb2prod.pin.versions import normalized


@dataclass(frozen=True, slots=True)
class Requested:
    """One package named by an install command."""

    name: str  # distribution name (conda names translated to PyPI's)
    extras: tuple[str, ...]
    version: str | None  # an exact `==` version, normalised
    specifier: str | None  # any other constraint
    raw: str


@dataclass(frozen=True, slots=True)
class InstallCommand:
    """`%pip install ...`, `!pip install ...`, `%conda install ...` (or the same in a %%bash cell)."""

    tool: str  # "pip" or "conda"
    text: str
    cell: int
    cell_id: str
    line: int
    requested: tuple[Requested, ...]
    skipped: tuple[str, ...]  # arguments naming no distribution: -r files, paths, URLs, {variables}
    python: str | None = None  # `conda install python=3.8`
    order: tuple[int, int] = (-1, -1)


_SHELL_SPLIT = re.compile(r"&&|\|\||;|\|")
_SHELL_COMMENT = re.compile(r"(?:^|\s)#.*$")
_PIP_VALUE_OPTIONS = frozenset(
    {
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-e",
        "--editable",
        "-t",
        "--target",
        "--platform",
        "--python-version",
        "--implementation",
        "--abi",
        "--root",
        "--prefix",
        "--src",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--upgrade-strategy",
        "--global-option",
        "--install-option",
        "-C",
        "--config-settings",
        "--trusted-host",
        "--cache-dir",
        "--log",
        "--proxy",
        "--retries",
        "--timeout",
        "--exists-action",
        "--cert",
        "--client-cert",
        "--progress-bar",
        "--report",
        "--python",
        "--only-binary",
        "--no-binary",
        "--use-feature",
        "--use-deprecated",
        "--root-user-action",
        "--keyring-provider",
        "--log-file",
        "--group",
        "-p",
    }
)
_CONDA_VALUE_OPTIONS = frozenset(
    {
        "-c",
        "--channel",
        "-n",
        "--name",
        "-p",
        "--prefix",
        "--file",
        "--repodata-fn",
        "--solver",
        "--experimental-solver",
        "--subdir",
        "--platform",
    }
)
_EGG = re.compile(r"#egg=([A-Za-z0-9_.\-]+)")
_CONDA_SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")


def _tool_at(tokens: list[str]) -> tuple[str, int] | None:
    """("pip" | "conda", index just after `install`), or None when this is no install command."""
    for i, token in enumerate(tokens):
        if token != "install" or i == 0:
            continue
        before = os.path.basename(tokens[i - 1]).lower()
        if re.fullmatch(r"pip(?:\d(?:\.\d+)?)?", before):
            return "pip", i + 1
        if before in ("conda", "mamba", "micromamba"):
            return "conda", i + 1
    return None


def parse_install(
    text: str, cell: Cell, line: int, conda_names: Mapping[str, str]
) -> Iterator[InstallCommand]:
    """Every install command in one shell line (`a && pip install x; conda install y`)."""
    order = (cell.execution_count if cell.execution_count is not None else -1, cell.index)
    for segment in _SHELL_SPLIT.split(text):
        segment = _SHELL_COMMENT.sub("", segment)  # shlex would also cut `url#egg=name`
        try:
            tokens = shlex.split(segment)
        except ValueError:
            tokens = segment.split()
        found = _tool_at(tokens)
        if found is None:
            continue
        tool, start = found
        args = tokens[start:]
        if tool == "pip":
            requested, skipped = _pip_arguments(args)
            python = None
        else:
            requested, skipped, python = _conda_arguments(args, conda_names)
        yield InstallCommand(
            tool,
            segment.strip(),
            cell.index,
            cell.id,
            line,
            tuple(requested),
            tuple(skipped),
            python,
            order,
        )


def _pip_arguments(args: list[str]) -> tuple[list[Requested], list[str]]:
    requested: list[Requested] = []
    skipped: list[str] = []
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            if args[i - 1] in ("-r", "--requirement", "-e", "--editable", "-c", "--constraint"):
                skipped.append(f"{args[i - 1]} {arg}")
            continue
        if arg == "-":  # `pip install - q - U x`, seen in the wild: a broken "-q"
            skip_next = True
            continue
        if arg.startswith("-"):
            if arg in _PIP_VALUE_OPTIONS:
                skip_next = True
            continue
        if "{" in arg or "$" in arg:  # an IPython or shell variable: the name is not in the text
            skipped.append(arg)
            continue
        egg = _EGG.search(arg)
        if egg:
            requested.append(Requested(egg.group(1), (), None, None, arg))
            continue
        if (
            "/" in arg
            or "\\" in arg
            or arg.startswith(".")
            or arg.endswith((".whl", ".tar.gz", ".zip"))
        ):
            skipped.append(arg)
            continue
        try:
            req = Requirement(arg)
        except InvalidRequirement:
            skipped.append(arg)
            continue
        if req.url:
            skipped.append(arg)
            continue
        version, specifier = _split_specifier(str(req.specifier))
        requested.append(Requested(req.name, tuple(sorted(req.extras)), version, specifier, arg))
    return requested, skipped


def _split_specifier(spec: str) -> tuple[str | None, str | None]:
    """`==1.2` -> ("1.2", None); `>=1,<2` -> (None, ">=1,<2"); "" -> (None, None)."""
    if not spec:
        return None, None
    parts = spec.split(",")
    if len(parts) == 1 and parts[0].startswith("==") and "*" not in parts[0]:
        version = normalized(parts[0].lstrip("="))
        if version:
            return version, None
    return None, spec


def _conda_arguments(
    args: list[str], conda_names: Mapping[str, str]
) -> tuple[list[Requested], list[str], str | None]:
    requested: list[Requested] = []
    skipped: list[str] = []
    python = None
    skip_next = False
    for i, arg in enumerate(args):
        if skip_next:
            skip_next = False
            if args[i - 1] == "--file":
                skipped.append(f"--file {arg}")
            continue
        if arg.startswith("-"):
            if arg in _CONDA_VALUE_OPTIONS:
                skip_next = True
            continue
        spec = arg.split("::")[-1]  # conda-forge::numpy=1.2
        match = _CONDA_SPEC.match(spec)
        if not match or "{" in arg or "/" in arg:
            skipped.append(arg)
            continue
        name, rest = match.group(1), match.group(2).strip()
        version, specifier = None, None
        if rest.startswith("=="):
            version, specifier = _split_specifier("==" + rest[2:].split("=")[0])
        elif rest.startswith(
            "="
        ):  # conda's "=1.2" means 1.2.*; "=1.2.3" or "=1.2=build" name a release
            body = rest[1:].split("=")
            if len(body) > 1 or (body[0].count(".") >= 2 and "*" not in body[0]):
                version = normalized(body[0])
            if version is None and body[0]:
                specifier = "==" + body[0].rstrip("*").rstrip(".") + ".*"
        elif rest:
            specifier = rest.replace(" ", "")
        if name.lower() == "python":
            python = version or (specifier.lstrip("=").rstrip(".*") if specifier else None)
            continue
        requested.append(
            Requested(conda_names.get(name.lower(), name), (), version, specifier, arg)
        )
    return requested, skipped, python
