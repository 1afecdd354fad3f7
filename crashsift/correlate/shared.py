"""Shared structures and contrasts (being written)."""

from __future__ import annotations

from crashsift.correlate.engine import Contrast, Correlation, Shared


def shared(result: Correlation) -> list[Shared]:
    return []


def contrasts(result: Correlation) -> list[Contrast]:
    return []
