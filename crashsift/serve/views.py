"""What the pages and the API show of a stored crash and a bucket: plain data worked out from
the Store's records (the templates only lay it out)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from crashsift.serve.lookup import PasteInfo
from crashsift.store import BucketInfo, Similar, StoredReport

TOP_FRAMES = 12  # frames of the crash stack shown on the result page
WEEKS = 104  # weeks drawn in a bucket's chart (the latest ones)


@dataclass(slots=True)
class StackTop:
    origin: str  # where the stack came from: "!analyze STACK_TEXT" or the command that printed it
    frames: list[tuple[str, str]]  # (frame number, call site)
    more: int  # frames not shown


@dataclass(slots=True)
class Bar:
    week: str  # ISO week, "2026-W10"
    count: int
    x: int
    y: int
    height: int


def summary(stored: StoredReport) -> list[tuple[str, str]]:
    """(label, value) rows of the parsed summary, the empty ones left out."""
    rep = stored.report
    mode = " / ".join(v for v in (rep.get("mode"), rep.get("arch")) if v)
    rows = [
        ("Bug check", _bugcheck(rep.get("bugcheck"))),
        ("Exception", _exception(rep.get("exception"))),
        ("Signature", stored.signature),
        ("Driver", stored.driver or ""),
        ("Mode / arch", mode),
        ("Process", rep.get("process_name") or ""),
        ("Image", rep.get("image_name") or ""),
        ("Symbol", rep.get("symbol_name") or ""),
        ("Failure bucket", rep.get("failure_bucket_id") or ""),
    ]
    return [(label, value) for label, value in rows if value]


def _bugcheck(bc: dict[str, Any] | None) -> str:
    if not bc:
        return ""
    args = f" ({', '.join(bc['args'])})" if bc.get("args") else ""
    return " ".join(v for v in (bc["code"], bc.get("name")) if v) + args


def _exception(ex: dict[str, Any] | None) -> str:
    if not ex:
        return ""
    where = f" at {ex['address']}" if ex.get("address") else ""
    return " ".join(v for v in (ex["code"], ex.get("name")) if v) + where


def stack_top(stored: StoredReport) -> StackTop | None:
    """The top of the crash stack: STACK_TEXT when the paste has it, else the first stack shown."""
    stacks = [s for s in stored.report.get("stacks", []) if s.get("frames")]
    if not stacks:
        return None
    stack = next((s for s in stacks if s.get("origin") == "analyze"), stacks[0])
    origin = "!analyze STACK_TEXT" if stack.get("origin") == "analyze" else stack.get("command") or "stack"
    frames = [(_number(f, i), _call_site(f)) for i, f in enumerate(stack["frames"][:TOP_FRAMES])]
    return StackTop(origin, frames, max(0, len(stack["frames"]) - TOP_FRAMES))


def _number(frame: dict[str, Any], position: int) -> str:
    index = frame.get("index")
    return f"{index:02x}" if isinstance(index, int) else str(position)


def _call_site(frame: dict[str, Any]) -> str:
    if frame.get("call_site"):
        return frame["call_site"]
    name = "!".join(v for v in (frame.get("module"), frame.get("function")) if v)
    offset = f"+{frame['offset']}" if frame.get("offset") and name else ""
    return name + offset if name else frame.get("address") or "?"


def week_bars(weekly: list[tuple[str, int]], height: int = 80, width: int = 12) -> list[Bar]:
    """One bar per ISO week from the first to the last (weeks without reports included), at most
    `WEEKS` of them; heights scaled to the busiest week."""
    if not weekly:
        return []
    counts = dict(weekly)
    first, last = (_monday(w) for w in (weekly[0][0], weekly[-1][0]))
    weeks: list[str] = []
    day = max(first, last - dt.timedelta(weeks=WEEKS - 1))
    while day <= last:
        year, week, _ = day.isocalendar()
        weeks.append(f"{year}-W{week:02d}")
        day += dt.timedelta(weeks=1)
    top = max(counts.get(w, 0) for w in weeks) or 1
    bars = []
    for i, week in enumerate(weeks):
        n = counts.get(week, 0)
        h = round(height * n / top) if n else 0
        bars.append(Bar(week, n, i * width, height - h, h))
    return bars


def _monday(week: str) -> dt.date:
    year, number = week.split("-W")
    return dt.date.fromisocalendar(int(year), int(number), 1)


# --- JSON ----------------------------------------------------------------------------------


def crash_json(stored: StoredReport, paste: PasteInfo | None) -> dict[str, Any]:
    """A stored crash for the API: the Store's record with its report in the JSON contract."""
    out = asdict(stored)
    out["times_seen"] = paste.times_seen if paste else None
    out["links"] = {
        "page": f"/crash/{stored.id}",
        "similar": f"/api/crash/{stored.id}/similar",
        "bucket": f"/api/bucket/{stored.bucket}",
        "paste": f"/paste/{stored.paste_id}",
    }
    return out


def similar_json(found: list[Similar]) -> list[dict[str, Any]]:
    return [{**asdict(s), "url": f"/api/crash/{s.report_id}"} for s in found]


def bucket_json(info: BucketInfo) -> dict[str, Any]:
    out = asdict(info)
    out["weekly"] = [{"week": w, "reports": n} for w, n in info.weekly]
    out["url"] = f"/api/bucket/{info.id}"
    return out


def bucket_brief(info: BucketInfo) -> dict[str, Any]:
    """A bucket without its member list and weekly counts (see `/api/bucket/ID` for those)."""
    keep = ("id", "signature", "size", "first_seen", "last_seen")
    return {**{k: getattr(info, k) for k in keep}, "url": f"/api/bucket/{info.id}"}


def paste_json(info: PasteInfo) -> dict[str, Any]:
    return {**asdict(info), "text": f"/paste/{info.id}"}
