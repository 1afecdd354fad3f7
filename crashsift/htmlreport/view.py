"""What the pattern report shows, worked out from reports and their correlation: plain data
the templates lay out (no formatting decisions in here beyond ordering and counting)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from crashsift.correlate.engine import Correlation
from crashsift.correlate.normalize import normalize, patterns
from crashsift.correlate.records import CrashRecord, crash_stack
from crashsift.htmlreport.picture import Picture, chains_of, draw
from crashsift.model import Finding, Report

MAX_FRAMES = 40  # frames shown per report stack


@dataclass(slots=True)
class FrameRow:
    index: int | None
    call_site: str
    key: str
    recurring: bool


@dataclass(slots=True)
class ReportView:
    id: str
    anchor: str
    path: str
    lines: str
    mode: str
    arch: str
    title: str
    bucket: str | None
    signature: str
    driver: str | None
    fields: list[tuple[str, str]]
    frames: list[FrameRow]
    more_frames: int
    findings: list[Finding]
    diagnostics: list[tuple[int | None, str]]
    search: str


@dataclass(slots=True)
class Overview:
    reports: int
    buckets: int
    multi_buckets: int
    bugchecks: list[tuple[str, int]]
    exceptions: list[tuple[str, int]]
    modules: list[tuple[str, int, bool]]  # name, reports, third party
    drivers: list[tuple[str, int]]
    span: tuple[str, str] | None
    findings: list[tuple[str, int]]
    meanings: dict[str, str] = field(default_factory=dict)  # bug check -> the analysis's description


@dataclass(slots=True)
class View:
    title: str
    overview: Overview
    correlation: Correlation
    reports: list[ReportView]
    picture: Picture | None
    anchors: dict[str, str] = field(default_factory=dict)  # report id -> element id


FIELDS = (
    "BUGCHECK_CODE", "BUGCHECK_STR", "DEFAULT_BUCKET_ID", "FAILURE_BUCKET_ID", "PROCESS_NAME", "IMAGE_NAME",
    "MODULE_NAME", "SYMBOL_NAME", "FAULTING_IP", "EXCEPTION_CODE", "EXCEPTION_CODE_STR", "READ_ADDRESS",
    "WRITE_ADDRESS", "PROBLEM_CLASSES", "FOLLOWUP_NAME",
)  # fmt: skip


def build(reports: list[Report], correlation: Correlation, title: str) -> View:
    """The report's data: `reports[i]` is the report of `correlation.records[i]`."""
    bucket_of = {m: b.id for b in correlation.buckets for m in b.members}
    recurring = {k for p in correlation.recurring_paths for k in p.frames}
    anchors = {rec.id: f"r{i}" for i, rec in enumerate(correlation.records)}
    views = [
        _report_view(rep, rec, anchors[rec.id], correlation, bucket_of.get(rec.id), recurring)
        for rep, rec in zip(reports, correlation.records, strict=True)
    ]
    return View(
        title,
        _overview(reports, correlation),
        correlation,
        views,
        draw(chains_of(correlation.recurring_paths, _areas(correlation))),
        anchors,
    )


def _report_view(
    rep: Report,
    record: CrashRecord,
    anchor: str,
    correlation: Correlation,
    bucket: str | None,
    recurring: set[str],
) -> ReportView:
    rid = record.id
    sig = correlation.signatures[rid]
    stack = crash_stack(rep)
    frames = stack.frames if stack else []
    rows = []
    for f in frames[:MAX_FRAMES]:
        key = normalize(f).key
        rows.append(FrameRow(f.index, f.call_site, key, key in recurring))
    title = _title(rep)
    fields = [(k, rep.fields[k]) for k in FIELDS if rep.fields.get(k)]
    search = " ".join(
        [rid, title, sig.text, rep.failure_bucket_id or "", *(f.call_site for f in frames)]
    ).lower()
    return ReportView(
        id=rid,
        anchor=anchor,
        path=rep.source.path or "<stdin>",
        lines=f"{rep.source.start_line}-{rep.source.end_line}",
        mode=rep.mode or "?",
        arch=rep.arch or "?",
        title=title,
        bucket=bucket,
        signature=sig.text,
        driver=sig.driver,
        fields=fields,
        frames=rows,
        more_frames=max(0, len(frames) - MAX_FRAMES),
        findings=rep.findings,
        diagnostics=[(d.line, d.message) for d in rep.diagnostics],
        search=search[:4000],
    )


AREA_FRAMES = 5  # frames of a crash area drawn for a same-area link
MAX_AREAS = 3


def _areas(correlation: Correlation) -> list[tuple[list[list[str]], list[str]]]:
    """For the strongest function-level same-area links: each member's crash area, and the
    functions the link shares."""
    out = []
    for link in [a for a in correlation.same_area if a.level == "function"][:MAX_AREAS]:
        stacks = [
            [k for k in correlation.signatures[r].stack if k != "?"][:AREA_FRAMES]
            for r in link.reports
            if r in correlation.signatures
        ]
        out.append((stacks, link.shared))
    return out


def _title(rep: Report) -> str:
    if rep.bugcheck:
        return f"bug check {rep.bugcheck.code} {rep.bugcheck.name or ''}".strip()
    if rep.exception:
        return f"exception {rep.exception.code} {rep.exception.name or ''}".strip()
    return "no crash code shown"


def _overview(reports: list[Report], correlation: Correlation) -> Overview:
    bugchecks = Counter(f"{r.bugcheck.code} {r.bugcheck.name or ''}".strip() for r in reports if r.bugcheck)
    exceptions = Counter(
        f"{r.exception.code} {r.exception.name or ''}".strip() for r in reports if r.exception
    )
    microsoft = patterns("microsoft_modules.txt")
    modules = Counter(m for rec in correlation.records for m in rec.modules)
    drivers = Counter(s.driver for s in correlation.signatures.values() if s.driver)
    findings = Counter(f.kind for r in reports for f in r.findings)
    return Overview(
        reports=len(reports),
        buckets=len(correlation.buckets),
        multi_buckets=sum(1 for b in correlation.buckets if len(b.members) > 1),
        bugchecks=bugchecks.most_common(),
        exceptions=exceptions.most_common(),
        modules=[(m, n, m not in microsoft) for m, n in modules.most_common(30)],
        drivers=drivers.most_common(),
        span=_span(reports),
        findings=findings.most_common(),
        meanings=_meanings(reports),
    )


def _meanings(reports: list[Report]) -> dict[str, str]:
    """What each bug check means, in the words of the `!analyze` that showed it (first sentence)."""
    out: dict[str, str] = {}
    for rep in reports:
        if rep.bugcheck is None:
            continue
        name = f"{rep.bugcheck.code} {rep.bugcheck.name or ''}".strip()
        for block in rep.blocks:
            text = getattr(block.record, "description", "") if block.kind == "analyze" else ""
            if text and name not in out:
                first = " ".join(text.split())
                out[name] = first.split(". ")[0].rstrip(".") + "."
    return out


def _span(reports: list[Report]) -> tuple[str, str] | None:
    """The earliest and latest debug session times the pastes show."""
    times = sorted(
        moment.iso
        for rep in reports
        for block in rep.blocks
        if block.kind == "header" and block.record is not None
        if (moment := getattr(block.record, "debug_session_time", None)) is not None and moment.iso
    )
    return (times[0], times[-1]) if times else None
