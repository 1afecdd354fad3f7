"""Reads the pages need that `crashsift.store.Store` has no method for yet: a paste's arrival
record and reports, the pastes that hold reports, and a marker that changes with the reports.

Read-only SQL on the store's own connection (`Store.db`), against the schema of
`crashsift.store.schema`; kept here, in one place, until the Store grows these methods.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field


@dataclass(slots=True)
class PasteInfo:
    id: int
    source: str
    first_received: str
    times_seen: int
    size: int  # characters
    report_ids: list[str] = field(default_factory=list)


def paste(db: sqlite3.Connection, paste_id: int) -> PasteInfo | None:
    """A paste's record (not its text) with its reports in paste order, or None."""
    row = db.execute(
        "SELECT id, source, first_received, times_seen, LENGTH(text) FROM pastes WHERE id = ?", (paste_id,)
    ).fetchone()
    if row is None:
        return None
    ids = [
        r[0] for r in db.execute("SELECT id FROM reports WHERE paste_id = ? ORDER BY position", (paste_id,))
    ]
    return PasteInfo(row[0], row[1], row[2], row[3], row[4], ids)


@dataclass(slots=True)
class Member:
    id: str
    received: str
    signature: str
    driver: str | None
    bugcheck: str | None
    exception: str | None


def members(db: sqlite3.Connection, bucket_id: str, limit: int) -> list[Member]:
    """The first `limit` reports of a bucket in arrival order, without their report JSON."""
    rows = db.execute(
        "SELECT id, received, signature, driver, bugcheck, exception FROM reports WHERE bucket = ?"
        " ORDER BY received, id LIMIT ?",
        (bucket_id, limit),
    )
    return [Member(*r) for r in rows]


def pastes_with_reports(db: sqlite3.Connection) -> list[tuple[int, str]]:
    """(paste id, source) of every paste that holds a report, in arrival order."""
    rows = db.execute(
        "SELECT id, source FROM pastes WHERE id IN (SELECT paste_id FROM reports) ORDER BY first_received, id"
    )
    return [(r[0], r[1]) for r in rows]


def marker(db: sqlite3.Connection) -> tuple[int, int]:
    """Changes whenever reports are added or rebuilt (`reparse` deletes and inserts, so the
    highest rowid moves even when the count does not)."""
    count, top = db.execute("SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM reports").fetchone()
    return count, top
