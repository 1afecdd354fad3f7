"""Recurring code paths and same-area links (being written)."""

from __future__ import annotations

from crashsift.correlate.engine import Correlation, RecurringPath, SameArea


def recurring(result: Correlation) -> list[RecurringPath]:
    return []


def same_area(result: Correlation) -> list[SameArea]:
    return []
