"""The versioned model artifact of nb_02_model: save fitted objects, load them safely.

An artifact is a folder `<root>/<version>/` holding one skops file per fitted object
(`<name>.skops`) and `metadata.json`: the Python and library versions, a fingerprint
of the training data, the config values, the metrics, the features in matrix order
and the hash of the source notebook (02_model.ipynb).

skops never unpickles arbitrary code: `load()` refuses every type outside
TRUSTED_TYPES. nb2prod wrote that list below from the objects the notebook fitted
(imports); it is never read from an artifact, because a file cannot vouch
for itself. When a retrained model holds a type the list lacks, the error names it:
add it here after checking what it is.

Versions are `<UTC time>-<data hash>`, e.g. `20261130T101502.123Z-1a2b3c4d`. Names
sort by creation time, so the newest artifact is the last name and two trainings
never share a counter or a registry file; the short hash of the training data shows
at a glance which artifacts were trained on the same data.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import platform
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata as distributions
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np
import skops.io as sio
from skops.io.exceptions import UntrustedTypesFoundException

# Types skops may construct beyond its own defaults: what the fitted objects hold.
TRUSTED_TYPES: tuple[str, ...] = ()
# Distributions the package imports: their versions are recorded, and checked on load.
DISTRIBUTIONS: tuple[str, ...] = (
    "numpy",
    "pandas",
    "pandera",
    "skops",
    "statsmodels",
)
PACKAGE = "nb_02_model"
NOTEBOOK_SHA256 = "d91110575f57c73c6e779cc726e3231ee4c8b0c912792ac92a426ebaabe47aa9"
FORMAT = 1  # layout of metadata.json; a newer one is refused
METADATA = "metadata.json"
# A fitted object's name, or a version: each becomes a file name, so no path hides.
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
T = TypeVar("T")


class ArtifactError(Exception):
    """An artifact that cannot be saved or used; the message names the file and why."""

    def __init__(self, path: Path | str, reason: str) -> None:
        reason = " ".join(reason.split())  # one line, whatever a library's message held
        super().__init__(str(path), reason)
        self.path = str(path)
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class ArtifactVersionWarning(UserWarning):
    """An artifact made with other library versions, loaded as the caller allowed."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    dtype: str


@dataclass(frozen=True, slots=True)
class InputColumn:
    """A column scoring reads from an input frame, as training saw it."""

    name: str
    dtype: str
    nulls: bool  # training had missing values in it


@dataclass(frozen=True, slots=True)
class DataFile:
    """A file the training read: its path as given, its size and its sha256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class Frame:
    """A training frame: its shape, and its columns with their dtypes."""

    name: str
    shape: tuple[int, ...]
    columns: tuple[Column, ...]


@dataclass(frozen=True, slots=True)
class Metadata:
    """What an artifact records beside the fitted objects (`metadata.json`)."""

    version: str
    created: str  # UTC, ISO 8601
    package: str
    notebook_sha256: str
    python: str
    libraries: Mapping[str, str]  # distribution -> version installed when training
    data_files: tuple[DataFile, ...]
    frames: tuple[Frame, ...]
    config: Mapping[str, object]  # as JSON holds them
    metrics: Mapping[str, float]
    features: tuple[Column, ...]  # in the order of the model's matrix
    # per input frame of `predict`, the columns it reads: what new rows are checked against
    inputs: Mapping[str, tuple[InputColumn, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Artifact:
    """A loaded artifact: where it is, its metadata and its fitted objects by name."""

    path: Path
    metadata: Metadata
    objects: Mapping[str, object]

    def get(self, name: str, kind: type[T]) -> T:
        """The fitted object `name`, checked to be a `kind`."""
        value = self.objects.get(name)
        if not isinstance(value, kind):
            found = "nothing" if value is None else type(value).__name__
            expected = kind.__name__
            raise ArtifactError(self.path, f"{name!r} is {found}, expected {expected}")
        return value


class FrameLike(Protocol):
    """What a data frame offers for its fingerprint (pandas, or any with dtypes)."""

    @property
    def shape(self) -> tuple[int, ...]: ...

    @property
    def dtypes(self) -> _Dtypes: ...


class _Dtypes(Protocol):
    def items(self) -> Iterable[tuple[object, object]]: ...


def columns_of(frame: FrameLike) -> tuple[Column, ...]:
    """A frame's columns with their dtypes, in order (a model matrix's features)."""
    return tuple(Column(str(name), str(dtype)) for name, dtype in frame.dtypes.items())


def fingerprint(path: str | Path) -> DataFile:
    """The size and sha256 of a file the training read."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        size = os.path.getsize(path)
    except OSError as exc:
        raise ArtifactError(path, f"cannot be read: {exc.strerror or exc}") from exc
    return DataFile(str(path), size, digest.hexdigest())


def describe(
    *,
    config: Mapping[str, object],
    metrics: Mapping[str, float],
    features: Sequence[Column],
    data_files: Sequence[str | Path] = (),
    frames: Mapping[str, FrameLike | Frame] | None = None,
    inputs: Mapping[str, Sequence[InputColumn]] | None = None,
    now: datetime | None = None,
) -> Metadata:
    """The metadata of a training run, with its version; reads the environment.

    `frames`: the training frames, or their `Frame` as taken when they were read (a step
    may change a frame in place later)."""
    created = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    files = tuple(fingerprint(path) for path in data_files)
    shapes = tuple(
        (
            frame
            if isinstance(frame, Frame)
            else Frame(name, tuple(int(n) for n in frame.shape), columns_of(frame))
        )
        for name, frame in (frames or {}).items()
    )
    data = json.dumps([_files_json(files), _frames_json(shapes)], sort_keys=True)
    stamp = created.strftime("%Y%m%dT%H%M%S") + f".{created.microsecond // 1000:03d}Z"
    return Metadata(
        version=f"{stamp}-{hashlib.sha256(data.encode()).hexdigest()[:8]}",
        created=created.isoformat(timespec="milliseconds"),
        package=PACKAGE,
        notebook_sha256=NOTEBOOK_SHA256,
        python=platform.python_version(),
        libraries={name: _installed(name) or "not installed" for name in DISTRIBUTIONS},
        data_files=files,
        frames=shapes,
        config=json.loads(json.dumps(dict(config), default=str)),
        metrics={name: float(value) for name, value in metrics.items()},
        features=tuple(features),
        inputs={name: tuple(columns) for name, columns in (inputs or {}).items()},
    )


def save(fitted: Mapping[str, object], metadata: Metadata, root: Path) -> Path:
    """Write `root/<version>/` atomically: all of it appears at once, or nothing."""
    for name in (metadata.version, *fitted):
        if not _NAME.fullmatch(name):
            raise ArtifactError(root / name, "not a valid name for an artifact's file")
    target = root / metadata.version
    if target.exists():
        raise ArtifactError(target, "an artifact with this version already exists")
    root.mkdir(parents=True, exist_ok=True)
    # beside the target, on the same file system, so the rename below is atomic
    prefix = f".{metadata.version}."  # hidden: latest() and load() never see it
    staging = Path(tempfile.mkdtemp(prefix=prefix, suffix=".partial", dir=root))
    try:
        hashes = {}
        for name, value in fitted.items():
            file = staging / f"{name}.skops"
            try:
                sio.dump(value, file)
            except Exception as exc:  # skops names what it cannot save
                reason = f"cannot save {name!r}: {exc}"
                raise ArtifactError(target / file.name, reason) from exc
            hashes[name] = _sha256(file)
        text = json.dumps(_metadata_json(metadata, hashes), indent=2, allow_nan=False)
        with open(staging / METADATA, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.rename(staging, target)  # fails if another run took the name meanwhile
        except OSError as exc:
            reason = f"cannot be written: {exc.strerror or exc}"
            raise ArtifactError(target, reason) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def latest(root: Path) -> Path:
    """The newest artifact under `root` (versions sort by creation time)."""
    found = sorted(p for p in _children(root) if (p / METADATA).is_file())
    if not found:
        raise ArtifactError(root, f"no artifact here (no <version>/{METADATA})")
    return found[-1]


def load(path: Path, *, allow_version_mismatch: bool = False) -> Artifact:
    """Read an artifact (a version folder, or the newest under a folder of them).

    Library versions that differ from the installed ones in major or minor are an
    error, or a warning with `allow_version_mismatch`. Types outside TRUSTED_TYPES are
    always refused.
    """
    versions = [p for p in _children(path) if (p / METADATA).is_file()]
    if versions and not (path / METADATA).is_file():
        path = latest(path)
    metadata, hashes = _read_metadata(path / METADATA)
    mismatches = _mismatches(metadata)
    if mismatches and not allow_version_mismatch:
        raise ArtifactError(
            path, "; ".join(mismatches) + " (retrain, or use --allow-version-mismatch)"
        )
    for text in mismatches:
        warnings.warn(f"{path}: {text}", ArtifactVersionWarning, stacklevel=2)
    objects = {n: _load_object(path / f"{n}.skops", h) for n, h in hashes.items()}
    return Artifact(path, metadata, objects)


def _load_object(file: Path, sha256: str) -> object:
    """One fitted object, after its checksum, its types and its trees are checked."""
    if not file.is_file():
        raise ArtifactError(file, "missing (metadata.json lists it)")
    if _sha256(file) != sha256:
        raise ArtifactError(file, "corrupt: its sha256 differs from metadata.json")
    try:
        # skops audits every type against the list before it constructs anything
        value = sio.load(file, trusted=sorted(_trusted() | _own_and_metrics(file)))
    except UntrustedTypesFoundException as exc:
        names = ", ".join(re.findall(r"'([^']+)'", str(exc).splitlines()[0]))
        raise ArtifactError(file, f"holds types not in TRUSTED_TYPES: {names}") from exc
    except Exception as exc:  # a damaged zip or schema
        raise ArtifactError(file, f"corrupt: {type(exc).__name__}: {exc}") from exc
    _check_trees(value, file)
    return value


_METRICS = ("sklearn.metrics._classification.", "sklearn.metrics._regression.")
_SCORERS = (
    "sklearn.metrics._scorer._Scorer",
    "sklearn.metrics._scorer._PassthroughScorer",
)


def _own_and_metrics(file: Path) -> set[str]:
    """Types in the file that need no review: this package's own code (a search's `refit`
    function from the notebook), scikit-learn's metric functions and scorers (a search
    keeps them for its `scoring`)."""
    own = PACKAGE + "."
    return {
        name
        for name in sio.get_untrusted_types(file=file)
        if name.startswith(own) or name.startswith(_METRICS) or name in _SCORERS
    }


def _check_trees(value: object, file: Path) -> None:
    """Refuse decision trees whose links point outside themselves.

    skops checks types, not contents: scikit-learn follows a tree's child and feature
    indices without bounds checks, so a crafted file could make predict() read outside
    memory or loop forever. In a fitted tree, children come after their parent.
    """
    seen: dict[int, object] = {}  # holding each value keeps its id from being reused
    stack = [value]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, type)):
            continue
        seen[id(item)] = item
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, np.ndarray):
            if item.dtype.hasobject:
                stack.extend(item.ravel().tolist())
        elif hasattr(item, "children_left") and hasattr(item, "node_count"):
            if not _linked_inside(item):
                raise ArtifactError(file, "corrupt: a tree links outside itself")
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())


def _linked_inside(tree: Any) -> bool:
    count = int(tree.node_count)
    left, right = np.asarray(tree.children_left), np.asarray(tree.children_right)
    feature = np.asarray(tree.feature)
    if not len(left) == len(right) == len(feature) == count:
        return False
    node = np.arange(count)
    leaf = (left == -1) & (right == -1)
    inner = (left > node) & (left < count) & (right > node) & (right < count)
    used = (feature >= 0) & (feature < int(tree.n_features))
    return bool(np.all(leaf | (inner & used)))


@lru_cache(maxsize=1)
def _trusted() -> frozenset[str]:
    """TRUSTED_TYPES, each also under the module that defines it, the name skops writes.

    A public name (`xgboost.XGBClassifier`) is found in its module; the rest (names
    skops already uses, or of a library not installed) stay as they are.
    """
    names = set(TRUSTED_TYPES)
    for name in TRUSTED_TYPES:
        module, _, attribute = name.rpartition(".")
        try:
            found = getattr(importlib.import_module(module), attribute)
        except Exception:  # not importable: the name is kept as written
            continue
        defined = getattr(found, "__module__", None)
        if isinstance(defined, str):
            names.add(f"{defined}.{getattr(found, '__name__', attribute)}")
    return frozenset(names)


def _mismatches(metadata: Metadata) -> list[str]:
    """How the artifact's origin differs from this package and its environment."""
    found = []
    for name, recorded in sorted(metadata.libraries.items()):
        installed = _installed(name)
        # a library training did without is no mismatch while it is still not needed
        if installed is None and recorded == "not installed":
            continue
        if installed is None or _major_minor(installed) != _major_minor(recorded):
            now = installed or "not installed"
            found.append(f"{name} {recorded} made the artifact, {now} is installed")
    if metadata.package != PACKAGE:
        found.append(f"made by package {metadata.package}, this is {PACKAGE}")
    elif metadata.notebook_sha256 != NOTEBOOK_SHA256:
        found.append("made by this package generated from another notebook version")
    return found


def _major_minor(version: str) -> tuple[str, ...]:
    match = re.match(r"(\d+)(?:\.(\d+))?", version)
    if match is None:
        return (version,)
    return (match.group(1), match.group(2) or "0")


def _installed(name: str) -> str | None:
    try:
        return distributions.version(name)
    except distributions.PackageNotFoundError:
        return None


def _children(folder: Path) -> list[Path]:
    """Version folders under `folder`, without hidden ones (a save in progress)."""
    try:
        found = [p for p in folder.iterdir() if p.is_dir()]
    except OSError:
        return []
    return [p for p in found if not p.name.startswith(".")]


def _sha256(file: Path) -> str:
    digest = hashlib.sha256()
    with open(file, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _metric_json(value: float) -> float | str:
    # strict JSON (which the JupyterLab panel reads) has no nan or inf: stored as text
    return value if math.isfinite(value) else repr(value)


def _files_json(files: Iterable[DataFile]) -> list[dict[str, object]]:
    return [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in files]


def _frames_json(frames: Iterable[Frame]) -> list[dict[str, object]]:
    return [
        {"name": f.name, "shape": list(f.shape), "columns": _columns_json(f.columns)}
        for f in frames
    ]


def _columns_json(columns: Iterable[Column]) -> list[dict[str, str]]:
    return [{"name": c.name, "dtype": c.dtype} for c in columns]


def _metadata_json(metadata: Metadata, hashes: Mapping[str, str]) -> dict[str, object]:
    return {
        "format": FORMAT,
        "version": metadata.version,
        "created": metadata.created,
        "package": metadata.package,
        "notebook_sha256": metadata.notebook_sha256,
        "python": metadata.python,
        "libraries": dict(metadata.libraries),
        "data": {
            "files": _files_json(metadata.data_files),
            "frames": _frames_json(metadata.frames),
        },
        "config": dict(metadata.config),
        "metrics": {k: _metric_json(v) for k, v in metadata.metrics.items()},
        "features": _columns_json(metadata.features),
        "inputs": {
            name: [
                {"name": c.name, "dtype": c.dtype, "nulls": c.nulls} for c in columns
            ]
            for name, columns in metadata.inputs.items()
        },
        "objects": {name: {"sha256": sha} for name, sha in hashes.items()},
    }


def _read_metadata(file: Path) -> tuple[Metadata, dict[str, str]]:
    """The metadata and the fitted objects' checksums, or an error naming the file."""
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ArtifactError(file, "missing: not an artifact folder") from exc
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ArtifactError(file, f"corrupt: {exc}") from exc
    if not isinstance(raw, dict):
        raise ArtifactError(file, "corrupt: not a JSON object")
    if isinstance(raw.get("format"), int) and raw["format"] > FORMAT:
        newer = f"format {raw['format']} is newer than this package reads ({FORMAT})"
        raise ArtifactError(file, newer)
    try:
        data = raw["data"]
        metadata = Metadata(
            version=str(raw["version"]),
            created=str(raw["created"]),
            package=str(raw["package"]),
            notebook_sha256=str(raw["notebook_sha256"]),
            python=str(raw["python"]),
            libraries={str(k): str(v) for k, v in raw["libraries"].items()},
            data_files=tuple(_data_file(f) for f in data["files"]),
            frames=tuple(_frame(f) for f in data["frames"]),
            config=dict(raw["config"]),
            metrics={str(k): float(v) for k, v in raw["metrics"].items()},
            features=_columns(raw["features"]),
            inputs={
                str(name): tuple(
                    InputColumn(str(c["name"]), str(c["dtype"]), bool(c["nulls"]))
                    for c in columns
                )
                for name, columns in raw.get("inputs", {}).items()
            },
        )
        hashes = {str(k): str(entry["sha256"]) for k, entry in raw["objects"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ArtifactError(file, f"corrupt: {type(exc).__name__}: {exc}") from exc
    for name in hashes:
        if not _NAME.fullmatch(name):
            raise ArtifactError(file, f"corrupt: {name!r} is not a valid object name")
    return metadata, hashes


def _data_file(raw: Mapping[str, object]) -> DataFile:
    return DataFile(str(raw["path"]), int(str(raw["size"])), str(raw["sha256"]))


def _frame(raw: Mapping[str, Any]) -> Frame:
    shape = tuple(int(n) for n in raw["shape"])
    return Frame(str(raw["name"]), shape, _columns(raw["columns"]))


def _columns(raw: Iterable[Mapping[str, object]]) -> tuple[Column, ...]:
    return tuple(Column(str(c["name"]), str(c["dtype"])) for c in raw)
