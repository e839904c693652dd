"""Normalise notebook outputs so a stored output and a fresh one can be compared.

Each normaliser removes one kind of noise a fresh run cannot reproduce (addresses, timings,
progress bars, ...). They are named in `NORMALIZERS`, which the verification report and
docs/verification.md list; anything not removed by one of them counts as a difference.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Literal

WARNING_LINES = 12  # lines after a warning's first line searched for the end of its message


# --- the text rewrites (regexes compiled once, at import) ----------------------------------

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TQDM_STATS = re.compile(r"\[\d+:\d\d(?::\d\d)?<(?:\d+:\d\d(?::\d\d)?|\?)(?:, *[^\]\n]*)?\]")
_KERAS_ETA = re.compile(r"\bETA: (?:\d+:)*\d+s?\b")
_SOURCE_ECHO = re.compile(r"  \S")  # formatwarning indents the source line by exactly two spaces
_WARNING_LINE = re.compile(r"^(?:.*?:\d+: )?\w*Warning:(?:\s|$)")
_ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,}\b")
_UNIT = r"(?:ns|us|µs|ms|s|sec|secs|seconds?|min|mins|minutes?|h|hrs?|hours?)"
# (a substring the text must contain, checked case-insensitively; pattern; replacement):
# the substring test is much cheaper than a regex scan of a long log
_TIMINGS = (
    ("cpu times:", re.compile(r"^CPU times:.*$", re.MULTILINE), "CPU times: <timing>"),
    ("wall time:", re.compile(r"^Wall time:.*$", re.MULTILINE), "Wall time: <timing>"),
    (
        " per loop",
        re.compile(r"^.*± .* per loop .*$", re.MULTILINE),
        "<timeit>",
    ),  # mean ± std. dev.
    (
        " per loop",
        re.compile(r"^\d+ loops?, best of \d+: .* per loop[ \t]*$", re.MULTILINE),
        "<timeit>",
    ),
    ("the slowest run", re.compile(r"^The slowest run took .*$", re.MULTILINE), "<timeit>"),
    (
        "",
        re.compile(
            r"(?i)\b(took|elapsed(?: time)?|time elapsed|duration|runtime|(?:finished|completed|done) in)"
            rf"(\s*[:=]?\s*)(?:\d+(?:\.\d+)?\s*{_UNIT}\b|\d+:\d\d(?::\d\d)?(?:\.\d+)?)"
        ),
        r"\1\2<timing>",
    ),
    (
        "/",
        re.compile(
            rf"\b\d+(?:\.\d+)?\s?{_UNIT}(?: \d+(?:\.\d+)?{_UNIT})?/(?:step|sample|epoch|it)\b"
        ),
        "<timing>",
    ),
)
_TIMING_WORDS = ("took", "elapsed", "duration", "runtime", " in")
_DAYS = ("Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun ")
_DATETIMES = (
    re.compile(
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2}\b)?"
    ),
    re.compile(
        r"\b\d{2}/\d{2}/\d{2}(?:\d{2})? \d{2}:\d{2}:\d{2}\b"
    ),  # log4j and friends: 25/01/26 22:07:02
    re.compile(
        r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
        r"[ \d]\d \d{2}:\d{2}:\d{2} \d{4}\b"
    ),
)
_TMP_PATH = re.compile(
    r"(?:/private)?/var/folders/[^\s'\"]+?/T(?:/[^\s'\"<>:,;)\]]*)?"
    r"|(?<![\w.])/(?:var/)?tmp\b(?:/[^\s'\"<>:,;)\]]*)?"
    r"|[A-Za-z]:\\(?:Users\\[^\\\s]+\\AppData\\Local\\)?Temp(?:\\[^\s'\"<>:,;)\]]*)?",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t]{2,}|\t")  # single spaces need no rewrite
_LINE_EDGE_SPACES = re.compile(r" ?\n ?")


def _strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def _final_state(text: str) -> str:
    """Keep what a terminal shows: the last `\\r`-separated state of each line."""
    if "\r" not in text and "ETA" not in text and "<" not in text:
        return text
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if "\r" in line:
            states = [s for s in line.split("\r") if s.strip()]
            line = states[-1] if states else ""
        lines.append(line)
    text = "\n".join(lines)
    return _KERAS_ETA.sub("ETA: <timing>", _TQDM_STATS.sub("[<progress>]", text))


def _drop_warnings(text: str) -> str:
    """Drop `...Warning: ...` lines, their message and the source line Python echoes under them."""
    if "Warning:" not in text:
        return text
    lines = text.split("\n")
    kept: list[str] = []
    i = 0
    while i < len(lines):
        if _WARNING_LINE.match(lines[i]):
            i = _warning_end(lines, i)
        else:
            kept.append(lines[i])
            i += 1
    return "\n".join(kept)


def _warning_end(lines: list[str], start: int) -> int:
    """Find the line after the warning that starts at `start`."""
    # warnings.formatwarning: "file:line: Category: message" (the message may span lines),
    # then the indented source line when Python can read it
    for j in range(start + 1, min(start + WARNING_LINES, len(lines))):
        if _WARNING_LINE.match(lines[j]):
            return j  # the next warning: what lies between is this one's message
        if _SOURCE_ECHO.match(lines[j]):
            return j + 1
    if lines[start].rstrip().endswith(":"):  # message on the following lines: skip one paragraph
        j = start + 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        while j < len(lines) and lines[j].strip():
            j += 1
        return j
    return start + 1


def _addresses(text: str) -> str:
    return _ADDRESS.sub("0x<address>", text) if "0x" in text else text


def _timings(text: str) -> str:
    lower = text.lower()
    for needle, pattern, replacement in _TIMINGS:
        present = needle in lower if needle else any(word in lower for word in _TIMING_WORDS)
        if present:
            text = pattern.sub(replacement, text)
    return text


def _datetimes(text: str) -> str:
    iso, slashed, ctime = _DATETIMES
    if ":" not in text:
        return text
    if "-" in text:
        text = iso.sub("<datetime>", text)
    if "/" in text:
        text = slashed.sub("<datetime>", text)
    if any(day in text for day in _DAYS):
        text = ctime.sub("<datetime>", text)
    return text


def _tmp_paths(text: str) -> str:
    lower = text.lower()
    if "tmp" in lower or "temp" in lower or "/var/folders/" in lower:
        return _TMP_PATH.sub("<tmp>", text)
    return text


# What pip and conda print while installing: it depends on the machine (paths, versions
# already there, the network), never on the notebook's results.
_INSTALLER_MARKS = (
    "Requirement already",
    "Collecting ",
    "Successfully installed",
    "Installing collected packages",
    "restart the kernel",
    "[notice]",
    "Solving environment",
    "Collecting package metadata",
    "All requested packages already installed",
    "Looking in indexes",
    "No matching distribution",
)
_INSTALLER_LINE = re.compile(
    r"^[ \t]*(?:"
    r"Requirement already (?:satisfied|up-to-date):|Collecting |Downloading |Using cached |"
    r"Installing collected packages|Successfully (?:installed|uninstalled|built)|"
    r"Attempting uninstall|Found existing installation|Uninstalling |Building wheels? for|"
    r"Created wheel for|Stored in directory|Preparing metadata|Getting requirements to build|"
    r"Installing build dependencies|Building wheel for|Running setup\.py|Obtaining |Processing |"
    r"Looking in (?:indexes|links)|Defaulting to user installation|Ignoring |"
    r"Note: you may need to restart the kernel|\[notice\]|"
    r"(?:WARNING|ERROR): (?:Retrying|Could not find a version|No matching distribution|"
    r"You are using pip|There was an error checking|Running pip as the 'root' user|"
    r"pip's dependency resolver|Ignoring invalid distribution)|"
    r"Collecting package metadata|Solving environment|## Package Plan ##|"
    r"# All requested packages already installed|environment location:|added / updated specs:|"
    r"Preparing transaction|Verifying transaction|Executing transaction|"
    r"Downloading and Extracting Packages|[━─\-|#=> ]*\d+(?:\.\d+)?/\d+(?:\.\d+)? [kMG]?B"
    r").*(?:\n|$)",
    re.MULTILINE,
)


def _installer_output(text: str) -> str:
    if not any(mark in text for mark in _INSTALLER_MARKS):
        return text
    return _INSTALLER_LINE.sub("", text)


def _whitespace(text: str) -> str:
    return _LINE_EDGE_SPACES.sub("\n", _SPACES.sub(" ", text)).strip(" \n")


Scope = Literal["text", "stderr", "compare"]


@dataclass(frozen=True, slots=True)
class Normalizer:
    """One named rule for noise a fresh run cannot reproduce."""

    name: str
    description: str
    scope: Scope  # "text": rewrites all text, "stderr": only stderr, "compare": applied while comparing
    rewrite: Callable[[str], str] | None = None

    def __str__(self) -> str:
        return self.name


# In the order text rewrites run: escapes and `\r` before anything reads lines.
NORMALIZERS: tuple[Normalizer, ...] = (
    Normalizer(
        "metadata", "execution counts, output metadata and `transient` are ignored", "compare"
    ),
    Normalizer(
        "stream_joining",
        "`stdout` and `stderr` chunks are joined per stream name, so output "
        "split differently by flush timing compares equal",
        "compare",
    ),
    Normalizer(
        "ansi_codes",
        "ANSI escape sequences (colours, cursor moves) are removed",
        "text",
        _strip_ansi,
    ),
    Normalizer(
        "progress_bars",
        "`\\r` overwrites keep only the final state of each line; tqdm's "
        "`[00:01<00:02, 30.1it/s]` and Keras' `ETA: 3s` become placeholders",
        "text",
        _final_state,
    ),
    Normalizer(
        "stderr_warnings",
        "`...Warning: ...` lines on stderr, with their message and the source line "
        "echoed under them, are dropped: library versions warn differently",
        "stderr",
        _drop_warnings,
    ),
    Normalizer(
        "installer_output",
        "what `%pip`, `!pip`, `%conda` and automagic `pip install` print (`Requirement already "
        "satisfied: …`, `Collecting …`, `Successfully installed …`, conda's plan) is dropped: "
        "it describes the machine, not the notebook's results",
        "text",
        _installer_output,
    ),
    Normalizer(
        "memory_addresses",
        "hexadecimal addresses such as `0x7f3a2b1c4d50` become `0x<address>`",
        "text",
        _addresses,
    ),
    Normalizer(
        "timings",
        "`CPU times: …`, `Wall time: …`, `%timeit` lines, `12ms/step`, and a duration after "
        "took, elapsed, duration, runtime or finished/completed/done in (`took 3.2s`, `elapsed: 0:00:03`) "
        "become `<timing>`",
        "text",
        _timings,
    ),
    Normalizer(
        "dates_and_times",
        "timestamps with a time of day (`2024-01-02T10:11:12Z`, "
        "`2024-01-02 10:11:12`, `25/01/26 22:07:02`, `Tue Jan  2 10:11:12 2024`) become `<datetime>`",
        "text",
        _datetimes,
    ),
    Normalizer(
        "temporary_paths",
        "paths under `/tmp`, `/var/tmp`, macOS `/var/folders/…/T` and Windows "
        "`…\\Temp` become `<tmp>`",
        "text",
        _tmp_paths,
    ),
    Normalizer(
        "whitespace",
        "runs of spaces and tabs count as one; spaces at the start and end of lines and "
        "blank lines at the ends are ignored (table padding follows number widths)",
        "text",
        _whitespace,
    ),
    Normalizer(
        "float_tolerance",
        "numbers with a decimal point or exponent compare within the value "
        "tolerances (rtol, atol); integers compare exactly",
        "compare",
    ),
    Normalizer(
        "html_tables",
        "`text/html` tables (pandas DataFrames) compare cell by cell, parsed with the "
        "standard library; the rest of the HTML compares as text without tags, styles or scripts",
        "compare",
    ),
    Normalizer(
        "images",
        "`image/png`, `image/jpeg`, `image/gif` and `image/svg+xml` compare by presence and "
        "width × height unless the bytes are identical",
        "compare",
    ),
    Normalizer(
        "widget_model_ids",
        "`model_id` in `application/vnd.jupyter.widget-view+json` is ignored",
        "compare",
    ),
    Normalizer(
        "errors",
        "error outputs compare by `ename` and normalised `evalue`; tracebacks (paths, "
        "line numbers) are ignored",
        "compare",
    ),
)

_TEXT_REWRITES = tuple((n.scope, n.rewrite) for n in NORMALIZERS if n.rewrite is not None)


def normalize_text(text: str, *, stderr: bool = False) -> str:
    """Apply every text rewrite of `NORMALIZERS`, in order (warnings only on stderr)."""
    for scope, rewrite in _TEXT_REWRITES:
        if scope == "text" or stderr:
            text = rewrite(text)
    return text


# --- payloads ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Image:
    """An image reduced to what survives a re-render: its size, plus a digest of its bytes."""

    mime: str
    width: int | None
    height: int | None
    digest: str

    def describe(self) -> str:
        size = f"{self.width}×{self.height}" if self.width and self.height else "unknown size"
        return f"{self.mime} {size}"


@dataclass(frozen=True, slots=True)
class Html:
    """HTML reduced to its tables (rows of normalised cell texts) and its other text."""

    text: str
    tables: tuple[tuple[tuple[str, ...], ...], ...]


Payload = str | Image | Html


@dataclass(frozen=True, slots=True)
class NormalizedOutput:
    """One output after normalisation: its kind and one payload per MIME type, sorted."""

    kind: (
        str  # "stdout", "stderr", "execute_result", "display_data", "error", or another output_type
    )
    data: tuple[tuple[str, Payload], ...]


def text_of(value: Any) -> str:
    """Return an output field as one string (nbformat stores multiline text as lists)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):  # nbformat's on-disk multiline strings
        return "".join(str(v) for v in value)
    if value is None:
        return ""
    return json.dumps(value, sort_keys=True, indent=1, default=str)


def normalize_output(output: Mapping[str, Any]) -> NormalizedOutput:
    """Normalise one nbformat v4 output dict."""
    kind = str(output.get("output_type", ""))
    if kind == "stream":
        name = str(output.get("name", "stdout"))
        return NormalizedOutput(
            name,
            (
                (
                    "text/plain",
                    normalize_text(text_of(output.get("text")), stderr=name == "stderr"),
                ),
            ),
        )
    if kind == "error":
        text = f"{output.get('ename', '')}: {text_of(output.get('evalue'))}"
        return NormalizedOutput(kind, (("text/plain", normalize_text(text)),))
    data = output.get("data") or {}
    items = tuple(sorted((str(mime), _payload(str(mime), value)) for mime, value in data.items()))
    return NormalizedOutput(kind, items)


def _payload(mime: str, value: Any) -> Payload:
    if mime.startswith("image/"):
        return _image(mime, value)
    if mime == "text/html":
        return _html(text_of(value))
    if mime == "application/vnd.jupyter.widget-view+json" and isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if k != "model_id"}  # a fresh id every run
    return normalize_text(text_of(value))


def _image(mime: str, value: Any) -> Image:
    text = text_of(value)
    if mime == "image/svg+xml":
        raw = text.encode("utf-8")
        width, height = _svg_size(text)
    else:
        try:
            raw = base64.b64decode("".join(text.split()), validate=False)
        except (binascii.Error, ValueError):
            raw = text.encode("utf-8")
        width, height = _raster_size(raw)
    return Image(mime, width, height, hashlib.sha256(raw).hexdigest())


def _raster_size(raw: bytes) -> tuple[int | None, int | None]:
    """Read width and height from a PNG, GIF or JPEG header, without decoding pixels."""
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR" and len(raw) >= 24:
        width, height = struct.unpack(">II", raw[16:24])
        return int(width), int(height)
    if raw[:6] in (b"GIF87a", b"GIF89a") and len(raw) >= 10:
        width, height = struct.unpack("<HH", raw[6:10])
        return int(width), int(height)
    if raw[:2] == b"\xff\xd8":
        i = 2
        while i + 9 <= len(raw) and raw[i] == 0xFF:
            marker, length = raw[i + 1], struct.unpack(">H", raw[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
                height, width = struct.unpack(">HH", raw[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + length
    return None, None


_SVG_SIZE = re.compile(
    r"<svg\b[^>]*?\bwidth=\"([\d.]+)[a-z]*\"[^>]*?\bheight=\"([\d.]+)[a-z]*\"", re.DOTALL
)


def _svg_size(text: str) -> tuple[int | None, int | None]:
    match = _SVG_SIZE.search(text)
    if not match:
        return None, None
    return round(float(match.group(1))), round(float(match.group(2)))


class _HtmlReader(HTMLParser):
    """Collect table cells and the text outside tables; skip styles and scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tables: list[list[list[str]]] = []
        self.depth = 0  # table nesting; inner tables flatten into the outer cell
        self.cell: list[str] | None = None
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script"):
            self.skip += 1
        elif tag == "table":
            self.depth += 1
            if self.depth == 1:
                self.tables.append([])
        elif tag == "tr" and self.depth == 1:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.depth == 1 and self.tables[-1]:
            self.cell = []
        elif tag in ("br", "p", "div") and self.depth == 0:
            self.text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self.skip = max(0, self.skip - 1)
        elif tag == "table":
            self.depth = max(0, self.depth - 1)
            if self.depth == 0:
                self.text.append("\n<table>\n")  # where the table stood
        elif tag in ("td", "th") and self.depth == 1 and self.cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.depth == 0:
            self.text.append(data)


def _html(text: str) -> Html:
    reader = _HtmlReader()
    try:
        reader.feed(text)
        reader.close()
    except Exception:
        return Html(normalize_text(re.sub(r"<[^>]+>", " ", text)), ())
    tables = tuple(_normalize_cells([row for row in table if row]) for table in reader.tables)
    return Html(normalize_text("".join(reader.text)), tables)


def _normalize_cells(rows: list[list[str]]) -> tuple[tuple[str, ...], ...]:
    """Normalise every cell of a table in one pass, one cell a line."""
    # cells hold no newlines; the fence keeps empty cells at either end from the whitespace rule
    cells = [cell for row in rows for cell in row]
    text = normalize_text("\x02\n" + "\n".join(cells) + "\n\x03")
    done = text.split("\n")[1:-1]
    if len(done) != len(cells):  # a rewrite joined or split lines: fall back to one by one
        done = [normalize_text(cell) for cell in cells]
    out, i = [], 0
    for row in rows:
        out.append(tuple(done[i : i + len(row)]))
        i += len(row)
    return tuple(out)
