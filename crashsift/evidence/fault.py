"""fault rule (being written)."""

from __future__ import annotations

from crashsift.evidence.session import Session
from crashsift.model import Finding


def find(session: Session) -> list[Finding]:
    return []
