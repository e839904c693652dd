"""`[tool.nb2prod]` in the nearest pyproject.toml, and the options object built from it.

Precedence is defaults, then the file, then the command line (as black and ruff do).
"""

from __future__ import annotations

import fnmatch
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from nb2prod.core.errors import ConfigError
from nb2prod.core.rules import is_default
from nb2prod.core.vocabulary import USER_ROLES

# Keys of [tool.nb2prod] the tool knows; anything else is warned about.
KNOWN_KEYS = frozenset({"select", "extend-select", "ignore", "per-file-ignores", "roles"})
_CODE = re.compile(r"^NB\d{0,3}$")


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """Everything that changes what `check` reports for a file."""

    select: tuple[str, ...] | None = None  # code prefixes; None selects the default rules
    ignore: tuple[str, ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    root: str | None = None  # folder the per-file patterns are relative to
    extend_select: tuple[str, ...] = ()  # code prefixes added to the selection

    def enabled(self, code: str, relative_path: str | None = None) -> bool:
        # as in ruff: an explicit selection is taken literally, opt-in rules included
        if self.select is None:
            chosen = is_default(code)
        else:
            chosen = any(code.startswith(s) for s in self.select)
        if not chosen and not any(code.startswith(s) for s in self.extend_select):
            return False
        if any(code.startswith(i) for i in self.ignore):
            return False
        if relative_path is not None:
            for pattern, codes in self.per_file_ignores:
                if _path_matches(relative_path, pattern) and any(code.startswith(c) for c in codes):
                    return False
        return True

    def relative(self, path: str) -> str:
        if self.root is None:
            return Path(path).as_posix()
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return Path(path).as_posix()


def _path_matches(relative_path: str, pattern: str) -> bool:
    return fnmatch.fnmatch(relative_path, pattern) or fnmatch.fnmatch(
        Path(relative_path).name, pattern
    )


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    path: str | None  # the pyproject.toml read, if any
    options: CheckOptions
    warnings: tuple[str, ...] = field(default=())
    roles: Mapping[str, str] = field(default_factory=dict)  # cell id or index -> role, for convert


def parse_codes(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(where, f"'{key}' must be a list of rule codes such as [\"NB106\"]")
    codes = tuple(v.strip().upper() for v in value)
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        raise ConfigError(
            where, f"'{key}' has unknown rule code{'s' if len(bad) > 1 else ''} {', '.join(bad)}"
        )
    return codes


def _from_table(table: dict[str, Any], pyproject: Path) -> ProjectConfig:
    where = str(pyproject)
    warnings = tuple(
        f"{where}: unknown key '{key}' in [tool.nb2prod] (known: {', '.join(sorted(KNOWN_KEYS))})"
        for key in sorted(set(table) - KNOWN_KEYS)
    )
    select = parse_codes(table["select"], where, "select") if "select" in table else None
    extend_select = parse_codes(table.get("extend-select", []), where, "extend-select")
    ignore = parse_codes(table.get("ignore", []), where, "ignore")
    per_file = table.get("per-file-ignores", {})
    if not isinstance(per_file, dict):
        raise ConfigError(where, "'per-file-ignores' must be a table of glob = [codes]")
    pairs = tuple(
        (pattern, parse_codes(codes, where, f"per-file-ignores.{pattern}"))
        for pattern, codes in sorted(per_file.items())
    )
    options = CheckOptions(select, ignore, pairs, str(pyproject.parent.resolve()), extend_select)
    roles = table.get("roles", {})
    if not isinstance(roles, dict) or not all(
        isinstance(v, str) and v in USER_ROLES for v in roles.values()
    ):
        raise ConfigError(
            where, f"'roles' must map cell ids or indices to one of {', '.join(sorted(USER_ROLES))}"
        )
    return ProjectConfig(where, options, warnings, {str(k): v for k, v in roles.items()})


@lru_cache(maxsize=256)
def _config_for_dir(directory: str) -> ProjectConfig:
    """The nearest pyproject.toml with a [tool.nb2prod] table, from `directory` upwards."""
    current = Path(directory)
    for folder in (current, *current.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text("utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
                raise ConfigError(str(candidate), f"cannot be read: {exc}") from None
            table = data.get("tool", {}).get("nb2prod")
            if table is not None:
                if not isinstance(table, dict):
                    raise ConfigError(str(candidate), "[tool.nb2prod] must be a table")
                return _from_table(table, candidate)
        if (folder / ".git").exists():
            break  # do not read configuration from outside the repository
    return ProjectConfig(None, CheckOptions(root=str(current)))


def config_for(path: str) -> ProjectConfig:
    return _config_for_dir(str(Path(os.path.abspath(path)).parent))


def merge_cli(
    base: CheckOptions,
    *,
    select: tuple[str, ...] | None,
    extend_ignore: tuple[str, ...],
    extend_select: tuple[str, ...] = (),
) -> CheckOptions:
    """Command-line `--select` replaces the file's; `--extend-select` and `--ignore` add to it."""
    return replace(
        base,
        select=select if select is not None else base.select,
        ignore=base.ignore + extend_ignore,
        extend_select=base.extend_select + extend_select,
    )
