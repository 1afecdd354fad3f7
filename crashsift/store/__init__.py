"""The crash store: every paste kept verbatim, parsed, and compared with all earlier ones.

A `Store` is one SQLite file (by default `crashsift.db` in the user's data directory;
`default_path`). `ingest` keeps the paste as given with its SHA-256, source and time of arrival,
parses it, and files each crash it holds: the bucket it joins and the past crashes it resembles.
The same paste twice is one paste seen twice (idempotent); each paste goes in one transaction
(atomic: a paste is stored with all its reports or not at all). Reports record the parser
version that made them; `reparse` rebuilds those an older crashsift made, from the kept text.

Similar past crashes are found through the frame index (`frames`: each report's signature
stack), scored with `crashsift.correlate.similarity`, plus reports that share a function near
the crash (same area, different stacks) and those that share a fingerprint of the same crash
(the same dump pasted twice) — each with the reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from crashsift.correlate.records import CrashRecord, from_report
from crashsift.correlate.signature import Signature, signature
from crashsift.model import Report, to_jsonable
from crashsift.pipeline import MAX_BYTES, parse_text
from crashsift.store import schema
from crashsift.store.similar import Similar, bucket_for, find_similar
from crashsift.store.version import parser_version

__all__ = ["BucketInfo", "IngestResult", "PasteTooLarge", "Similar", "Store", "StoredReport", "default_path"]


class PasteTooLarge(ValueError):
    """A paste over the size limit: refused whole, nothing stored."""


@dataclass(slots=True)
class IngestResult:
    paste_id: int
    new: bool  # False: the same text was stored before; this arrival was counted
    times_seen: int
    report_ids: list[str]


@dataclass(slots=True)
class StoredReport:
    id: str
    paste_id: int
    position: int
    received: str
    signature: str
    driver: str | None
    bucket: str
    bugcheck: str | None
    exception: str | None
    parser_version: str
    report: dict  # the report in the JSON contract

    @property
    def findings(self) -> list[dict]:
        return self.report.get("findings", [])


@dataclass(slots=True)
class BucketInfo:
    id: str
    signature: str
    size: int
    first_seen: str
    last_seen: str
    members: list[str] = field(default_factory=list)
    weekly: list[tuple[str, int]] = field(default_factory=list)  # ISO week ("2026-W48"), reports


def default_path() -> Path:
    """`crashsift.db` in the user's data directory (created when first used)."""
    return Path(platformdirs.user_data_dir("crashsift", appauthor=False)) / "crashsift.db"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Store:
    """One store file. Safe for concurrent use from several processes (every write is one
    IMMEDIATE transaction; readers use WAL snapshots) and from several threads (one lock
    serialises this object's use of its connection; a `Store` per thread runs them in parallel)."""

    def __init__(self, path: str | Path | None = None, max_bytes: int = MAX_BYTES) -> None:
        self.path = Path(path) if path is not None else default_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._lock = threading.RLock()
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=60, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA busy_timeout = 60000")
        self.db.execute("PRAGMA foreign_keys = ON")
        _wal(self.db)
        schema.migrate(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing --------------------------------------------------------------------------

    def ingest(self, text: str, source: str = "paste", received: str | None = None) -> IngestResult:
        """Keep a paste and file its crashes; the same text again counts as seen again."""
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > self.max_bytes:
            raise PasteTooLarge(f"{source}: {len(text):,} characters; the limit is {self.max_bytes:,} bytes")
        digest = hashlib.sha256(data).hexdigest()
        when = received or _now()
        with self._lock:
            known = self.db.execute("SELECT 1 FROM pastes WHERE sha256 = ?", (digest,)).fetchone() is not None
        # Parse outside the write lock (it is the slow part), and only a paste not stored yet.
        reports = None if known else parse_text(text, source)
        with self._lock, schema.transaction(self.db):
            row = self.db.execute("SELECT id, times_seen FROM pastes WHERE sha256 = ?", (digest,)).fetchone()
            if row is not None:
                self.db.execute("UPDATE pastes SET times_seen = times_seen + 1 WHERE id = ?", (row["id"],))
                self.db.execute(
                    "INSERT INTO arrivals (paste_id, source, received) VALUES (?, ?, ?)",
                    (row["id"], source, when),
                )
                ids = [
                    r["id"]
                    for r in self.db.execute(
                        "SELECT id FROM reports WHERE paste_id = ? ORDER BY position", (row["id"],)
                    )
                ]
                return IngestResult(row["id"], False, row["times_seen"] + 1, ids)
            paste_id = self.db.execute(
                "INSERT INTO pastes (sha256, text, source, first_received, parser_version)"
                " VALUES (?, ?, ?, ?, ?)",
                (digest, text, source, when, parser_version()),
            ).lastrowid
            self.db.execute(
                "INSERT INTO arrivals (paste_id, source, received) VALUES (?, ?, ?)", (paste_id, source, when)
            )
            parsed = reports if reports is not None else parse_text(text, source)
            ids = [self._file(paste_id, i, rep, when) for i, rep in enumerate(parsed)]
        return IngestResult(paste_id, True, 1, ids)

    def _file(self, paste_id: int, position: int, report: Report, received: str) -> str:
        """Store one report with its frames, fingerprints and bucket (inside the transaction)."""
        rid = f"p{paste_id}-{position + 1}"
        record = from_report(report)
        sig = signature(record)
        bucket = bucket_for(self.db, rid, record, sig)
        self.db.execute(
            "INSERT INTO reports (id, paste_id, position, parser_version, report, signature, driver, bucket,"
            " bugcheck, exception, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rid, paste_id, position, parser_version(), json.dumps(to_jsonable(report)), sig.text,
                sig.driver, bucket, record.bugcheck, record.exception, received,
            ),
        )  # fmt: skip
        self._index(rid, record, sig)
        return rid

    def _index(self, rid: str, record: CrashRecord, sig: Signature) -> None:
        self.db.executemany(
            "INSERT INTO frames (report_id, position, key) VALUES (?, ?, ?)",
            [(rid, i, key) for i, key in enumerate(sig.stack)],
        )
        self.db.executemany(
            "INSERT INTO fingerprints (report_id, mark) VALUES (?, ?)",
            [(rid, m) for m in sorted(record.fingerprints)],
        )

    def reparse(self, everything: bool = False) -> int:
        """Rebuild the reports an older parser made (or all) from the kept pastes; returns how
        many pastes were parsed again. Buckets are assigned again in arrival order."""
        current = parser_version()
        with self._lock:
            stale = self._stale(everything, current)
        for paste_id in stale:
            with self._lock:
                text, source, when = self.db.execute(
                    "SELECT text, source, first_received FROM pastes WHERE id = ?", (paste_id,)
                ).fetchone()
            reports = parse_text(text, source)
            with self._lock, schema.transaction(self.db):
                self.db.execute("DELETE FROM reports WHERE paste_id = ?", (paste_id,))
                for i, rep in enumerate(reports):
                    self._file(paste_id, i, rep, when)
                self.db.execute("UPDATE pastes SET parser_version = ? WHERE id = ?", (current, paste_id))
        return len(stale)

    def _stale(self, everything: bool, current: str) -> list[int]:
        rows = self.db.execute(
            "SELECT id FROM pastes WHERE ? OR parser_version IS NULL OR parser_version != ?"
            " OR id IN (SELECT paste_id FROM reports WHERE parser_version != ?) ORDER BY id",
            (everything, current, current),
        )
        return [r["id"] for r in rows]

    # --- reading --------------------------------------------------------------------------

    def report(self, rid: str) -> StoredReport | None:
        with self._lock:
            row = self.db.execute("SELECT * FROM reports WHERE id = ?", (rid,)).fetchone()
        return _stored(row) if row else None

    def reports(self, limit: int | None = None) -> list[StoredReport]:
        sql = "SELECT * FROM reports ORDER BY received, paste_id, position"
        with self._lock:
            rows = self.db.execute(sql + (" LIMIT ?" if limit else ""), (limit,) if limit else ()).fetchall()
        return [_stored(r) for r in rows]

    def paste_text(self, paste_id: int) -> str | None:
        with self._lock:
            row = self.db.execute("SELECT text FROM pastes WHERE id = ?", (paste_id,)).fetchone()
        return row[0] if row else None

    def similar(self, rid: str, limit: int = 10) -> list[Similar]:
        """The other stored crashes most like report `rid` (not those of its own paste), best
        first, each with its reasons."""
        with self._lock:
            return find_similar(self.db, rid, limit)

    def bucket(self, bucket_id: str) -> BucketInfo | None:
        with self._lock:
            return self._bucket(bucket_id)

    def _bucket(self, bucket_id: str) -> BucketInfo | None:
        rows = self.db.execute(
            "SELECT id, signature, received FROM reports WHERE bucket = ? ORDER BY received, id", (bucket_id,)
        ).fetchall()
        if not rows:
            return None
        weekly: dict[str, int] = {}
        for r in rows:
            year, week, _ = dt.datetime.fromisoformat(r["received"]).isocalendar()
            weekly[f"{year}-W{week:02d}"] = weekly.get(f"{year}-W{week:02d}", 0) + 1
        signature_text = max({r["signature"] for r in rows}, key=[r["signature"] for r in rows].count)
        return BucketInfo(
            bucket_id, signature_text, len(rows), rows[0]["received"], rows[-1]["received"],
            [r["id"] for r in rows], sorted(weekly.items()),
        )  # fmt: skip

    def buckets(self) -> list[BucketInfo]:
        """Every bucket, largest first (members and trends left out; see `bucket`)."""
        with self._lock:
            rows = self.db.execute(
                "SELECT bucket, COUNT(*) AS n, MIN(received) AS first, MAX(received) AS last,"
                " MAX(signature) AS sig FROM reports GROUP BY bucket ORDER BY n DESC, bucket"
            ).fetchall()
        return [BucketInfo(r["bucket"], r["sig"], r["n"], r["first"], r["last"]) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return self._counts()

    def _counts(self) -> dict[str, int]:
        one = self.db.execute
        return {
            "pastes": one("SELECT COUNT(*) FROM pastes").fetchone()[0],
            "arrivals": one("SELECT COUNT(*) FROM arrivals").fetchone()[0],
            "reports": one("SELECT COUNT(*) FROM reports").fetchone()[0],
            "buckets": one("SELECT COUNT(DISTINCT bucket) FROM reports").fetchone()[0],
        }


def _wal(db: sqlite3.Connection, attempts: int = 50) -> None:
    """Switch to WAL; processes creating one new store at once can find it locked for a moment."""
    for attempt in range(attempts):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _stored(row: sqlite3.Row) -> StoredReport:
    return StoredReport(
        row["id"], row["paste_id"], row["position"], row["received"], row["signature"], row["driver"],
        row["bucket"], row["bugcheck"], row["exception"], row["parser_version"], json.loads(row["report"]),
    )  # fmt: skip
