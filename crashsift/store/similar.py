"""Past crashes like a new one, found through the store's indexes, and the bucket it joins.

Candidates come from the indexes, never from a scan: reports sharing a fingerprint of the same
crash, a frame of the crash stack (frames held by too many reports to say anything are not
looked up), or the signature. Each candidate is scored with the FaST-style similarity of
`crashsift.correlate.similarity` (frequencies from the whole store) and kept with its reasons:

- ``same crash`` — a shared fingerprint (the same dated dump, bug check arguments, structure
  address): score 1;
- ``similar stack`` — the similarity and the frames the two stacks share;
- ``same area`` — the stacks differ but run the same function near the crash (one of the top
  `AREA` frames of both), as the two seed crashes run ``fltmgr!TreeUnlinkMulti``.

A new report joins the bucket of its signature (where most of its reports are), else the
bucket of the most similar past crash at or above the batch threshold
(`crashsift.correlate.buckets.THRESHOLD`), else the bucket of a crash it shares a fingerprint
with, else a new bucket named from its signature.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field

from crashsift.correlate.buckets import COMMON_FLOOR, COMMON_FRACTION, THRESHOLD
from crashsift.correlate.normalize import COLD, UNKNOWN, patterns
from crashsift.correlate.records import CrashRecord
from crashsift.correlate.signature import Signature
from crashsift.correlate.similarity import DEFAULT, FrameStats, aligned, shared_frames, weigh

AREA = 5  # frames from the top that make the crash area
MAX_CANDIDATES = 500  # candidates scored per lookup (most shared frames first)
SHOWN = 5  # shared frames named in a reason


@dataclass(slots=True)
class Similar:
    report_id: str
    score: float
    bucket: str
    signature: str
    received: str
    reasons: list[str] = field(default_factory=list)


def _stack(db: sqlite3.Connection, rid: str) -> list[str]:
    return [r[0] for r in db.execute("SELECT key FROM frames WHERE report_id = ? ORDER BY position", (rid,))]


def _stats(db: sqlite3.Connection, keys: set[str]) -> FrameStats:
    n = db.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    if not keys:
        return FrameStats(n, {})
    marks = ",".join("?" * len(keys))
    rows = db.execute(
        f"SELECT key, COUNT(DISTINCT report_id) FROM frames WHERE key IN ({marks}) GROUP BY key", sorted(keys)
    )
    return FrameStats(max(n, 1), dict(rows.fetchall()))


def _informative(stats: FrameStats, key: str) -> bool:
    common = stats.df.get(key, 0) > max(COMMON_FLOOR, COMMON_FRACTION * stats.n)
    return key != UNKNOWN and not common


def _area(stack: list[str]) -> list[str]:
    prefix = patterns("prefix_frames.txt")
    known = [k for k in stack if k != UNKNOWN]
    return [k for k in known[:AREA] if "!" in k and not k.endswith("!" + COLD) and k not in prefix]


def _common(db: sqlite3.Connection, key: str, cap: int) -> bool:
    """Whether more than `cap` reports hold a frame (counted only up to the cap: cheap)."""
    held = db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM frames WHERE key = ? LIMIT ?)", (key, cap + 1))
    return held.fetchone()[0] > cap


def _candidates(db: sqlite3.Connection, rid: str, stack: list[str]) -> list[str]:
    """Reports sharing an informative frame of `stack`, those sharing most first; a frame too
    many reports hold is not looked up (it would read a large part of the index)."""
    n = db.execute("SELECT COUNT(*) FROM reports").fetchone()[0]
    cap = max(COMMON_FLOOR, int(COMMON_FRACTION * n))
    keys = sorted({k for k in stack[: DEFAULT.depth] if k != UNKNOWN and not _common(db, k, cap)})
    if not keys:
        return []
    marks = ",".join("?" * len(keys))
    rows = db.execute(
        f"SELECT report_id, COUNT(*) AS shared FROM frames WHERE key IN ({marks}) AND report_id != ?"
        " GROUP BY report_id ORDER BY shared DESC, report_id LIMIT ?",
        [*keys, rid, MAX_CANDIDATES],
    )
    return [r[0] for r in rows]


def _fingerprint_matches(db: sqlite3.Connection, rid: str, marks: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for mark in marks:
        for (other,) in db.execute(
            "SELECT report_id FROM fingerprints WHERE mark = ? AND report_id != ?", (mark, rid)
        ):
            out.setdefault(other, []).append(mark)
    return out


def find_similar(db: sqlite3.Connection, rid: str, limit: int = 10) -> list[Similar]:
    """Reports like `rid` (the other reports of its own paste left out), best first."""
    row = db.execute("SELECT paste_id, signature FROM reports WHERE id = ?", (rid,)).fetchone()
    if row is None:
        return []
    paste_id, sig_text = row
    marks = [m for (m,) in db.execute("SELECT mark FROM fingerprints WHERE report_id = ?", (rid,))]
    return _rank(db, rid, paste_id, sig_text, _stack(db, rid), marks, limit)


def _rank(
    db: sqlite3.Connection,
    rid: str,
    paste_id: int,
    sig_text: str,
    stack: list[str],
    marks: list[str],
    limit: int,
) -> list[Similar]:
    same_crash = _fingerprint_matches(db, rid, marks)
    others: dict[str, list[str]] = {}
    for other in _candidates(db, rid, stack) if stack else []:
        others[other] = _stack(db, other)
    stats = _stats(db, set(stack).union(*others.values()) if others else set(stack))
    mine = weigh(stack, stats)
    area = _area(stack)
    found: dict[str, Similar] = {}
    for other in sorted(set(others) | set(same_crash)):
        info = db.execute(
            "SELECT paste_id, bucket, signature, received FROM reports WHERE id = ?", (other,)
        ).fetchone()
        if info is None or info["paste_id"] == paste_id:
            continue
        theirs = others.get(other) or _stack(db, other)
        score = aligned(mine, weigh(theirs, stats)) if stack and theirs else 0.0
        reasons = _reasons(stack, theirs, score, area, sig_text == info["signature"] and bool(stack), stats)
        if other in same_crash:
            reasons.insert(0, f"same crash: {', '.join(same_crash[other])}")
            score = 1.0
        if reasons:
            found[other] = Similar(
                other, round(score, 3), info["bucket"], info["signature"], info["received"], reasons
            )
    return sorted(found.values(), key=lambda s: (-s.score, s.received, s.report_id))[:limit]


def _reasons(
    mine: list[str], theirs: list[str], score: float, area: list[str], same_signature: bool, stats: FrameStats
) -> list[str]:
    out = []
    if same_signature:
        out.append("same signature")
    shared = shared_frames(mine, theirs)
    if score >= THRESHOLD and shared:
        out.append(f"similar stack: similarity {score:.2f}, shared frames {', '.join(shared[:SHOWN])}")
    common = [k for k in area if k in _area(theirs) and _informative(stats, k)]
    if common and not same_signature and score < THRESHOLD:
        where = ", ".join(
            f"{k} (frame {mine.index(k) + 1} here, {theirs.index(k) + 1} there)" for k in common
        )
        out.append(f"same area: both run {where} near the crash; similarity {score:.2f}")
    return out


def bucket_for(db: sqlite3.Connection, rid: str, record: CrashRecord, sig: Signature) -> str:
    """The bucket a new report joins (see the module docstring)."""
    stack = sig.stack
    if stack:
        row = db.execute(
            "SELECT bucket, COUNT(*) AS n FROM reports WHERE signature = ?"
            " GROUP BY bucket ORDER BY n DESC, bucket LIMIT 1",
            (sig.text,),
        ).fetchone()
        if row is not None:
            return row["bucket"]
        others = {o: _stack(db, o) for o in _candidates(db, rid, stack)}
        if others:
            stats = _stats(db, set(stack).union(*others.values()))
            mine = weigh(stack, stats)
            scored = sorted(((aligned(mine, weigh(s, stats)), o) for o, s in others.items()), reverse=True)
            if scored and scored[0][0] >= THRESHOLD:
                return db.execute("SELECT bucket FROM reports WHERE id = ?", (scored[0][1],)).fetchone()[0]
    for mark in sorted(record.fingerprints):
        row = db.execute(
            "SELECT r.bucket FROM fingerprints f JOIN reports r ON r.id = f.report_id"
            " WHERE f.mark = ? LIMIT 1",
            (mark,),
        ).fetchone()
        if row is not None:
            return row[0]
    seed = sig.text if stack else f"{sig.text}\t{rid}"
    return "B-" + hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()[:10]
