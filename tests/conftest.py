"""Shared test helpers: where the bundled and the shared corpus live."""

from __future__ import annotations

from pathlib import Path

from crashsift.model import Line

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def output_lines(text: str, first: int = 1) -> list[Line]:
    """Numbered lines as segmentation hands them to a parser: blank lines dropped, numbers kept."""
    return [Line(i, t) for i, t in enumerate(text.splitlines(), first) if t.strip()]


def corpus_lines(name: str, first: int, last: int) -> list[Line]:
    """Lines first..last (1-based, inclusive) of a bundled paste, blank lines dropped."""
    return [ln for ln in output_lines((CORPUS / name).read_text(encoding="utf-8")) if first <= ln.no <= last]


def corpus_inputs() -> list[Path]:
    """Every bundled paste (`corpus/<group>/<name>.txt`)."""
    return sorted(CORPUS.glob("*/*.txt"))


import pytest  # noqa: E402


@pytest.fixture
def seed_session() -> str:
    return (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8")
