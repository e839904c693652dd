"""What the generated package's service and container recipe need to know at convert time.

`templates/serve.py.j2` becomes the package's `serve.py`: a FastAPI service that loads the
artifact once and scores records with the package's own `predict`. Its request model is written
into the code from the profile of the frame `predict` receives (nb2prod.convert.contracts), so a
record is checked field by field, with the types the notebook's data held, before any scoring.
`templates/Dockerfile.j2` and `templates/dockerignore.j2` become the container recipe, installed
from the package's lock file.

A column label is a JSON key in a request, and must also be a Python attribute of the generated
`Record` model: a label that cannot be one (`Annual Income`, `class`, `model_id`, `0`) gets an
attribute of its own and keeps its label as the field's alias.
"""

from __future__ import annotations

import json
import keyword
import re
from dataclasses import dataclass

from nb2prod.convert.contracts import ColumnKind, ColumnProfile, FrameProfile
from nb2prod.convert.dependencies import PIP_INSTALL_PYLOCK_SINCE, PYLOCK, REQUIREMENTS_LOCK

# The `serve` extra of the generated package (`pip install 'pkg[serve]'`): the versions nb2prod's
# own service tests run against. The lock file holds the model's environment; these come on top.
SERVE_REQUIREMENTS = ("fastapi==0.165.0", "uvicorn==0.55.0", "prometheus-client==0.26.0")
SERVE_EXTRA = "serve"
PORT = 8000
# Attributes a pydantic BaseModel already has: a field of that name would shadow them. Names
# starting with `model_` or `_` are pydantic's too, and are checked by prefix.
_MODEL_ATTRIBUTES = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)
# What a record's field holds, per kind of column (pydantic types, written into serve.py).
_ANNOTATIONS: dict[ColumnKind, str] = {
    ColumnKind.INTEGER: "int",
    ColumnKind.FLOAT: "float",
    ColumnKind.BOOLEAN: "bool",
    ColumnKind.TEXT: "str",
    ColumnKind.CATEGORY: "str",
    ColumnKind.OTHER: "JsonValue",
}


class ServiceUnavailable(ValueError):
    """The input frame cannot be served as JSON records; the message says which column and why."""


@dataclass(frozen=True, slots=True)
class RequestField:
    """One field of the generated `Record` model: one column of the frame `predict` receives."""

    key: str  # the JSON key, as a Python literal ("income")
    attribute: str  # the Python attribute of `Record` (the key, when it is a valid one)
    aliased: bool  # the attribute differs from the key: the field carries the key as its alias
    label: str  # the frame's column label, as a Python literal (an int label stays an int)
    annotation: str  # the field's type, Python source ("float | None")
    options: str  # the arguments of its `Field(...)`, Python source; "" when it needs none
    dtype: str  # the pandas dtype the column is cast to, as a Python literal ("float64")
    seen: str  # what the notebook's data held, a comment for the owner


@dataclass(frozen=True, slots=True)
class ServiceContext:
    """The values templates/serve.py.j2, Dockerfile.j2 and dockerignore.j2 are filled with."""

    package: str
    notebook_name: str
    frame: str  # the name of the frame `predict` receives (its contract's key in SCHEMAS)
    fields: tuple[RequestField, ...]
    contracts: bool  # the package has contracts.py: a ContractError from predict is a 422
    gate: bool  # the package has gate.py: a MatrixError from predict is a 422
    python_version: str  # "3.11": the base image of the container
    lock_file: str  # PYLOCK or REQUIREMENTS_LOCK, beside pyproject.toml
    port: int = PORT

    @property
    def pydantic_names(self) -> tuple[str, ...]:
        """The names serve.py imports from pydantic: the model's, and its fields' types."""
        names = {"BaseModel", "ConfigDict"} | {f.annotation.split(" | ")[0] for f in self.fields}
        if any(f.options for f in self.fields):
            names.add("Field")
        return tuple(sorted(names - {"int", "float", "bool", "str"}))

    @property
    def relabel(self) -> bool:
        """Some column label is not the text of its key (an int label): the frame is relabelled."""
        return any(f.label != f.key for f in self.fields)

    def values(self) -> dict[str, object]:
        """Keyword arguments for `render_template(...)` of the three templates."""
        return {
            "package": self.package,
            "notebook_name": self.notebook_name,
            "frame": self.frame,
            "fields": self.fields,
            "contracts": self.contracts,
            "gate": self.gate,
            "pydantic_names": self.pydantic_names,
            "relabel": self.relabel,
            "python_version": self.python_version,
            "lock_file": self.lock_file,
            "pylock": self.lock_file == PYLOCK,
            "pip_version": PIP_INSTALL_PYLOCK_SINCE,
            "port": self.port,
            "extra": SERVE_EXTRA,
            "serve_requirements": SERVE_REQUIREMENTS,
        }


def service_context(
    *,
    package: str,
    notebook_name: str,
    profile: FrameProfile,
    contracts: bool,
    gate: bool,
    python_version: str,
    lock_file: str,
) -> ServiceContext:
    """The templates' context, from the profile of the frame `predict` receives.

    Raises ServiceUnavailable when a column cannot travel as a JSON field (two labels with the
    same text, a column of lists), or the profile has no column.
    """
    if lock_file not in (PYLOCK, REQUIREMENTS_LOCK):
        raise ValueError(f"lock file {lock_file!r}: expected {PYLOCK} or {REQUIREMENTS_LOCK}")
    if not re.fullmatch(r"3\.\d+", python_version):
        raise ValueError(f"python version {python_version!r}: expected 3.N")
    if not profile.columns:
        raise ServiceUnavailable(f"frame {profile.name!r} has no column to ask a client for")
    taken: set[str] = set()
    keys: set[str] = set()
    fields = []
    for column in profile.columns:
        key = str(column.label)
        if key in keys:
            raise ServiceUnavailable(
                f"frame {profile.name!r}: two columns are labelled {key!r} as JSON keys"
            )
        keys.add(key)
        attribute = attribute_name(key, taken)
        taken.add(attribute)
        options = [f"alias={_literal(key)}"] if attribute != key else []
        if column.kind is ColumnKind.DATETIME:
            options.append("strict=False")  # JSON has no time: an ISO 8601 text is one
        fields.append(
            RequestField(
                key=_literal(key),
                attribute=attribute,
                aliased=attribute != key,
                label=_literal(column.label),
                annotation=annotation(column, profile.name),
                options=", ".join(options),
                dtype=_literal(column.dtype),
                seen=_seen(column, profile.rows),
            )
        )
    return ServiceContext(
        package=package,
        notebook_name=notebook_name,
        frame=profile.name,
        fields=tuple(fields),
        contracts=contracts,
        gate=gate,
        python_version=python_version,
        lock_file=lock_file,
    )


def attribute_name(key: str, taken: set[str]) -> str:
    """A Python attribute for the field `key`: the key itself when it can be one, else one made
    from it (lowercase words joined by `_`), unique among `taken`."""
    if _usable(key) and key not in taken:
        return key
    base = re.sub(r"\W+", "_", key, flags=re.ASCII).strip("_").lower() or "field"
    if base[0].isdigit():
        base = f"column_{base}"
    if not _usable(base):
        base = f"{base.lstrip('_')}_field"
    name, n = base, 2
    while name in taken or name == key:
        name, n = f"{base}_{n}", n + 1
    return name


def _usable(name: str) -> bool:
    return (
        name.isidentifier()
        and name.isascii()
        and not keyword.iskeyword(name)
        and not name.startswith(("_", "model_"))
        and name not in _MODEL_ATTRIBUTES
    )


def annotation(column: ColumnProfile, frame: str) -> str:
    """The pydantic type of a column's field; `| None` when the notebook's data held nulls."""
    if column.kind is ColumnKind.DATETIME:
        # a time zone in the dtype ("datetime64[ns, UTC]") takes aware times only, and back
        kind = "AwareDatetime" if "," in column.dtype else "NaiveDatetime"
    elif column.kind is ColumnKind.OTHER and column.distinct is None:
        raise ServiceUnavailable(
            f"frame {frame!r}, column {column.label!r}: holds {column.dtype} values that are not "
            "numbers, text or times (lists, dicts): no JSON field can carry them"
        )
    else:
        kind = _ANNOTATIONS[column.kind]
    return f"{kind} | None" if column.nulls else kind


def _seen(column: ColumnProfile, rows: int) -> str:
    nulls = f"{column.nulls} null of {rows}" if column.nulls else "no null"
    return f"{column.dtype}, {nulls}"


def _literal(value: str | int) -> str:
    """A Python literal of a label or dtype, double-quoted as black writes strings."""
    return repr(value) if isinstance(value, int) else json.dumps(value, ensure_ascii=False)
