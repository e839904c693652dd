"""Shared fixtures: project paths, and the third-party corpora beside the repository."""

from __future__ import annotations

import csv
import signal
from pathlib import Path

import pytest

# A script that starts a job in the background (`cmd &` without job control) starts it with
# SIGINT ignored, and a child inherits that; nb2prod then rightly leaves Ctrl-C alone. The
# tests stand for a user at a terminal, so SIGINT is handled again here and every nb2prod
# process a test starts gets it at its default (a handled signal is reset on exec).
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT.parent / "shared" / "corpora"
SAMPLES = ROOT / "sample_notebooks"


def corpus_dir(name: str) -> Path:
    """A corpus folder, or a skip with the reason when it is not beside the repository."""
    folder = CORPORA / name
    if not folder.is_dir():
        pytest.skip(f"corpus {folder} is absent (clone with ../shared beside the repository)")
    return folder


def corpus_files(name: str) -> list[Path]:
    """Every file listed in a corpus's MANIFEST.tsv (empty when the corpus is absent)."""
    manifest = CORPORA / name / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with open(manifest, newline="", encoding="utf-8") as handle:
        return [CORPORA / name / row["file"] for row in csv.DictReader(handle, delimiter="\t")]


def manifest_rows(name: str) -> list[dict[str, str]]:
    manifest = CORPORA / name / "MANIFEST.tsv"
    if not manifest.is_file():
        pytest.skip(f"corpus manifest {manifest} is absent")
    with open(manifest, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
