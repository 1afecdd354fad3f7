"""The store's SQLite schema and its migrations.

`PRAGMA user_version` holds the schema version; `migrate` applies every step above it, each in
one transaction, so a store of any earlier version opens as the current one. A step is only ever
added, never edited: stores in the field were made by the old steps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

MIGRATIONS: tuple[str, ...] = (
    # 1: pastes kept verbatim, every arrival, parsed reports, the frame index for similarity.
    """
    CREATE TABLE pastes (
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL UNIQUE,
        text TEXT NOT NULL,
        source TEXT NOT NULL,
        first_received TEXT NOT NULL,
        times_seen INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE arrivals (
        id INTEGER PRIMARY KEY,
        paste_id INTEGER NOT NULL REFERENCES pastes(id),
        source TEXT NOT NULL,
        received TEXT NOT NULL
    );
    CREATE TABLE reports (
        id TEXT PRIMARY KEY,
        paste_id INTEGER NOT NULL REFERENCES pastes(id),
        position INTEGER NOT NULL,
        parser_version TEXT NOT NULL,
        report TEXT NOT NULL,
        signature TEXT NOT NULL,
        driver TEXT,
        bucket TEXT NOT NULL,
        bugcheck TEXT,
        exception TEXT,
        received TEXT NOT NULL,
        UNIQUE (paste_id, position)
    );
    CREATE INDEX reports_bucket ON reports(bucket);
    CREATE INDEX reports_signature ON reports(signature);
    CREATE TABLE frames (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        key TEXT NOT NULL,
        PRIMARY KEY (report_id, position)
    ) WITHOUT ROWID;
    CREATE INDEX frames_key ON frames(key);
    CREATE TABLE fingerprints (
        report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
        mark TEXT NOT NULL,
        PRIMARY KEY (report_id, mark)
    ) WITHOUT ROWID;
    CREATE INDEX fingerprints_mark ON fingerprints(mark);
    """,
    # 2: the parser version per paste, so a paste in which an older parser found no crash is
    # parsed again too.
    """
    ALTER TABLE pastes ADD COLUMN parser_version TEXT;
    UPDATE pastes SET parser_version =
        (SELECT MIN(r.parser_version) FROM reports r WHERE r.paste_id = pastes.id);
    """,
)

VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection) -> int:
    """Bring the store to `VERSION`; returns the version it had. Refuses a newer store.

    Each step reads the version again under the write lock: another connection opening the same
    new store at the same moment may have applied the step already."""
    found = _version(db)
    if found > VERSION:
        raise sqlite3.DatabaseError(f"store schema version {found} is newer than this crashsift ({VERSION})")
    for version in range(found, VERSION):
        with transaction(db):
            if _version(db) > version:
                continue
            for statement in _statements(MIGRATIONS[version]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {version + 1}")
    return found


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (the connection is in autocommit mode): all of it or none of it.
    IMMEDIATE takes the write lock up front, so concurrent writers queue instead of failing
    half-way."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
