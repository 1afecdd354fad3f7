"""What the store's commands do: `crashsift ingest`, `buckets`, `show`, `reparse` and `report --db`.

`crashsift.cli` keeps the command functions (arguments, exit statuses); the work and the text
they print live here, so the commands stay thin and the pieces can be tested on their own.

`open_store` is the one way the commands open a store: the path is the user's choice, so what
is there is checked first — a directory, a file that is not SQLite, an SQLite database of some
other program (which migrating would litter with our tables) and a store made by a newer
crashsift are each refused with one line, before anything is written.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from crashsift.model import Report
from crashsift.pipeline import parse_text
from crashsift.store import BucketInfo, PasteTooLarge, Similar, Store, StoredReport, default_path, schema

TOP_FRAMES = 8  # frames of the signature stack `show` prints
OURS = {"pastes", "arrivals", "reports", "frames", "fingerprints"}


class StoreUnusable(Exception):
    """The store path cannot be used as a store; the message is the one line to print."""


# --- opening ---------------------------------------------------------------------------------


def open_store(path: Path | None, create: bool = False) -> Store:
    """The store at `path` (default: `default_path()`); `create` makes a new one when none is
    there (ingest), otherwise a missing store is refused (the queries: a typo is not a store)."""
    path = path or default_path()
    if path.is_dir():
        raise StoreUnusable(f"{path}: is a directory, not a crashsift store")
    if not path.exists() and not create:
        raise StoreUnusable(f"{path}: no store here yet (`crashsift ingest --db {path} FILE…` makes one)")
    if path.exists():
        _check_existing(path)
    try:
        return Store(path)
    except sqlite3.OperationalError as err:
        raise StoreUnusable(f"{path}: cannot open the store: {err}") from err
    except sqlite3.DatabaseError as err:
        raise StoreUnusable(f"{path}: not a crashsift store ({err})") from err
    except OSError as err:
        raise StoreUnusable(f"{path}: {err.strerror or err}") from err


def _check_existing(path: Path) -> None:
    """Refuse a file that is not SQLite, another program's database, or a newer store. Reads
    only: an empty file (a store at version 0) passes and is migrated."""
    try:
        db = sqlite3.connect(path)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            db.close()
    except sqlite3.OperationalError as err:
        raise StoreUnusable(f"{path}: cannot open the store: {err}") from err
    except sqlite3.DatabaseError as err:
        raise StoreUnusable(f"{path}: not a crashsift store ({err})") from err
    if version > schema.VERSION:
        raise StoreUnusable(
            f"{path}: store schema version {version} is newer than this crashsift ({schema.VERSION})"
        )
    if tables and not OURS.issubset(tables):
        raise StoreUnusable(f"{path}: not a crashsift store (an SQLite database without the store's tables)")


# --- ingest ----------------------------------------------------------------------------------


@dataclass(slots=True)
class IngestSummary:
    """One batch: pastes new and seen again, reports filed, buckets joined (they held earlier
    crashes) and opened, inputs that could not be ingested."""

    new: int = 0
    seen_again: int = 0
    reports: int = 0
    joined: set[str] = field(default_factory=set)
    opened: set[str] = field(default_factory=set)
    failed: int = 0

    def line(self) -> str:
        text = (
            f"pastes: {self.new} new, {self.seen_again} seen again; reports: {self.reports}; "
            f"buckets: {len(self.joined)} joined, {len(self.opened)} new"
        )
        return text + (f"; not ingested: {self.failed}" if self.failed else "")


def read_paste(name: str, limit: int) -> str:
    """A file's text as `crashsift parse` reads it (UTF-8 with bad bytes replaced, a UTF-16 BOM
    honoured); '-' is standard input."""
    data = _read_bounded(name, limit)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8", errors="replace")


def _read_bounded(name: str, limit: int) -> bytes:
    """At most `limit` bytes, else `PasteTooLarge`: a file's size is known before it is read; a
    pipe's (or a file that grows) once `limit` bytes are in."""
    if name == "-":
        data = sys.stdin.buffer.read(limit + 1)
    else:
        with open(name, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > limit:
                raise PasteTooLarge(f"{name}: {size:,} bytes; the limit is {limit:,} bytes")
            data = f.read(limit + 1)
    if len(data) > limit:
        raise PasteTooLarge(f"{name}: more than {limit:,} bytes; the limit is {limit:,} bytes")
    return data


def source_of(name: str, source: str | None) -> str:
    """The source a paste is stored with: the one given, else the file's name ('stdin' for '-')."""
    return source or ("stdin" if name == "-" else Path(name).name)


def ingest_paths(
    store: Store, names: Iterable[str], source: str | None, warn: Callable[[str, Exception], None]
) -> IngestSummary:
    """Ingest each file as one paste; a file that cannot be read or is too large goes to `warn`
    (its name and why) and the others still go in."""
    summary = IngestSummary()
    for name in names:
        try:
            text = read_paste(name, store.max_bytes)
            result = store.ingest(text, source_of(name, source))
        except (OSError, PasteTooLarge) as err:
            warn(name, err)
            summary.failed += 1
            continue
        if result.new:
            summary.new += 1
            summary.reports += len(result.report_ids)
            _count_buckets(store, result.paste_id, summary)
        else:
            summary.seen_again += 1
    return summary


def _count_buckets(store: Store, paste_id: int, summary: IngestSummary) -> None:
    """Each bucket the paste's reports went to, the first time the batch meets it: joined when
    it holds a report of another paste (one stored before), else new."""
    for (bucket,) in store.db.execute("SELECT DISTINCT bucket FROM reports WHERE paste_id = ?", (paste_id,)):
        if bucket in summary.joined or bucket in summary.opened:
            continue
        earlier = store.db.execute(
            "SELECT 1 FROM reports WHERE bucket = ? AND paste_id != ? LIMIT 1", (bucket, paste_id)
        ).fetchone()
        (summary.joined if earlier else summary.opened).add(bucket)


# --- buckets ---------------------------------------------------------------------------------


def buckets_json(buckets: list[BucketInfo]) -> str:
    return json.dumps([_bucket_row(b) for b in buckets], indent=2)


def _bucket_row(info: BucketInfo) -> dict:
    return {k: getattr(info, k) for k in ("id", "size", "first_seen", "last_seen", "signature")}


def buckets_text(buckets: list[BucketInfo]) -> str:
    """One line a bucket, largest first: id, reports, first and last seen, signature."""
    if not buckets:
        return "no crashes stored yet"
    lines = [f"{'bucket':<13} {'reports':>7}  {'first seen':<25}  {'last seen':<25}  signature"]
    lines += [
        f"{b.id:<13} {b.size:>7}  {b.first_seen:<25}  {b.last_seen:<25}  {b.signature}" for b in buckets
    ]
    return "\n".join(lines)


# --- show ------------------------------------------------------------------------------------


@dataclass(slots=True)
class ReportView:
    """A stored report with its signature stack, the similar past crashes and its bucket."""

    report: StoredReport
    stack: list[str]
    similar: list[Similar]
    bucket: BucketInfo | None  # None only if a reparse moved the report meanwhile


def find(store: Store, ident: str, limit: int = 10) -> ReportView | BucketInfo | None:
    """`ident` as a report id, else as a bucket id."""
    stored = store.report(ident)
    if stored is None:
        return store.bucket(ident)
    stack = [
        k
        for (k,) in store.db.execute("SELECT key FROM frames WHERE report_id = ? ORDER BY position", (ident,))
    ]
    return ReportView(stored, stack, store.similar(ident, limit), store.bucket(stored.bucket))


def show_json(found: ReportView | BucketInfo) -> str:
    kind = "report" if isinstance(found, ReportView) else "bucket"
    return json.dumps({"kind": kind, **dataclasses.asdict(found)}, indent=2)


def show_text(found: ReportView | BucketInfo) -> str:
    return "\n".join(_report_lines(found) if isinstance(found, ReportView) else _bucket_lines(found))


def _report_lines(view: ReportView) -> list[str]:
    r, contract = view.report, view.report.report
    where = contract.get("source") or {}
    out = [
        f"report {r.id}: paste {r.paste_id}, lines {where.get('start_line')}-{where.get('end_line')},"
        f" received {r.received}",
        f"  {contract.get('mode') or '?'} mode, {contract.get('arch') or '?'}; parser {r.parser_version}",
    ]
    if bugcheck := contract.get("bugcheck"):
        args = ", ".join(bugcheck.get("args") or [])
        out.append(
            f"  bug check {bugcheck['code']} {bugcheck.get('name') or ''}".rstrip()
            + (f" ({args})" if args else "")
        )
    if exception := contract.get("exception"):
        out.append(f"  exception {exception['code']} {exception.get('name') or ''}".rstrip())
    if contract.get("process_name"):
        out.append(f"  process {contract['process_name']}")
    out.append(f"  signature {r.signature}" + (f"; driver {r.driver}" if r.driver else ""))
    if view.stack:
        more = f" (of {len(view.stack)})" if len(view.stack) > TOP_FRAMES else ""
        out.append(f"  stack{more}: " + " < ".join(view.stack[:TOP_FRAMES]))
    if b := view.bucket:
        out.append(f"bucket {b.id}: {b.size} reports, first seen {b.first_seen}, last seen {b.last_seen}")
    out.append(f"findings: {len(r.findings)}")
    for f in r.findings:
        out.append(f"  [{f['severity']}] {f['kind']}: {f['message']}")
        out.extend(f"      line {e['line']}: {e['text']}" for e in f["evidence"])
    out.append(f"similar crashes: {len(view.similar)}")
    for s in view.similar:
        out.append(
            f"  {s.report_id}  score {s.score:.2f}  bucket {s.bucket}  received {s.received}  {s.signature}"
        )
        out.extend(f"    {reason}" for reason in s.reasons)
    return out


def _bucket_lines(info: BucketInfo) -> list[str]:
    out = [
        f"bucket {info.id}: {info.signature}",
        f"  {info.size} reports, first seen {info.first_seen}, last seen {info.last_seen}",
        "per week: " + ", ".join(f"{week} {n}" for week, n in info.weekly),
        f"members: {len(info.members)}",
    ]
    return out + [f"  {m}" for m in info.members]


# --- report --db -----------------------------------------------------------------------------


def stored_reports(store: Store) -> list[Report]:
    """Every report of the store, in order of arrival, rebuilt by parsing each kept paste again
    with its source (`parse_text(text, source)`): the stored JSON is for reading, the pattern
    report needs `Report` objects, and the kept text is the truth they come from."""
    rows = store.db.execute("SELECT text, source FROM pastes ORDER BY id")
    return [report for text, source in rows for report in parse_text(text, source)]
