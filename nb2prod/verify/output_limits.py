"""What a run keeps of each cell's outputs: a cell printing 50 MB must not take 500 MB here.

Each cell keeps at most `STREAM_LIMIT` characters per stream and `RICH_LIMIT` characters of
rich outputs; the rest is counted, not kept, and a marker output says how much went.
`cap_outputs` applies the same limits to stored outputs, so both sides compare alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

STREAM_LIMIT = 1_000_000  # characters per stream name (stdout, stderr)
RICH_LIMIT = 10_000_000  # characters of display_data / execute_result payloads


@dataclass(slots=True)
class Budget:
    """What one cell may still keep of its outputs (`STREAM_LIMIT`, `RICH_LIMIT`); the rest is counted."""

    kept: dict[str, int] = field(default_factory=dict)  # stream name -> characters kept
    rich: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # stream name -> characters not kept
    dropped_rich: int = 0  # display outputs not kept
    dropped_rich_chars: int = 0

    def admit(self, output: Mapping[str, Any]) -> bool | str:
        """True: keep the output; False: drop it; a string: keep this head of a stream's text."""
        kind = output.get("output_type")
        if kind == "stream":
            name = str(output.get("name", "stdout"))
            text = _text_of(output.get("text"))
            used = self.kept.get(name, 0)
            room = STREAM_LIMIT - used
            if len(text) <= room:
                self.kept[name] = used + len(text)
                return True
            self.kept[name] = STREAM_LIMIT
            self.dropped[name] = self.dropped.get(name, 0) + len(text) - max(room, 0)
            return text[:room] if room > 0 else False
        if kind in ("display_data", "execute_result"):
            data = output.get("data")
            size = sum(len(_text_of(v)) for v in data.values()) if isinstance(data, Mapping) else 0
            if self.rich + size <= RICH_LIMIT:
                self.rich += size
                return True
            self.dropped_rich += 1
            self.dropped_rich_chars += size
            return False
        return True  # errors are always kept whole

    def markers(self) -> list[dict[str, Any]]:
        """Stream outputs saying what was not kept, appended after the kept outputs."""
        notes: list[dict[str, Any]] = [
            {
                "output_type": "stream",
                "name": name,
                "text": f"\n[nb2prod: {count:,} more characters of {name} not kept "
                f"(limit {STREAM_LIMIT:,} per cell)]\n",
            }
            for name, count in sorted(self.dropped.items())
        ]
        if self.dropped_rich:
            notes.append(
                {
                    "output_type": "stream",
                    "name": "stdout",
                    "text": f"\n[nb2prod: {self.dropped_rich:,} more display outputs "
                    f"({self.dropped_rich_chars:,} characters) not kept "
                    f"(limit {RICH_LIMIT:,} per cell)]\n",
                }
            )
        return notes


def cap_outputs(outputs: Sequence[Any]) -> list[Any]:
    """Stored outputs with the limits a fresh run applies, so the two compare alike."""
    budget = Budget()
    kept: list[Any] = []
    for output in outputs:
        verdict = budget.admit(output) if isinstance(output, Mapping) else True
        if verdict is True:
            kept.append(output)
        elif verdict is not False:
            kept.append({**output, "text": verdict})
    return kept + budget.markers()


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(v for v in value if isinstance(v, str))
    return "" if value is None else json.dumps(value, default=str)
