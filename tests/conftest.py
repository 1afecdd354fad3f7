"""Shared test helpers: where the bundled and the shared corpus live."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"


def corpus_inputs() -> list[Path]:
    """Every bundled paste (`corpus/<group>/<name>.txt`)."""
    return sorted(CORPUS.glob("*/*.txt"))


import pytest  # noqa: E402


@pytest.fixture
def seed_session() -> str:
    return (CORPUS / "seed" / "fltmgr-0x3b-session.txt").read_text(encoding="utf-8")
