"""From pasted text to `Report`s: repair -> segment -> parse each block -> group into crashes.

This is the library entry point (`parse_text`, `parse_file`); the CLI is a thin layer over it.
Grouping follows the paste: a new report starts where a second crash begins (another dump opened
after a crash was shown, a second `!analyze -v` of a different bug check or exception, or a
bug-check stack from another thread on another processor); each split says why in a diagnostic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crashsift import facts
from crashsift.evidence import find as find_evidence
from crashsift.model import Block, Diagnostic, Line, Parsed, Report, Source, Stack
from crashsift.parsers import command_hook_for, parser_for, stack
from crashsift.repair import repair
from crashsift.segment import Segment, segment

MAX_BYTES = 64 * 1024 * 1024
MAX_LINE = 20_000


class InputTooLarge(ValueError):
    """The paste is larger than crashsift reads (`MAX_BYTES`)."""


class StrictError(ValueError):
    """Raised in strict mode when a paste has something crashsift could not read."""

    def __init__(self, diagnostic: Diagnostic, path: str | None) -> None:
        where = f"{path or '<stdin>'}:{diagnostic.line or '?'}"
        super().__init__(f"{where}: {diagnostic.message}")
        self.diagnostic = diagnostic


@dataclass(slots=True)
class ParsedBlock:
    """A segment after parsing; `stacks` holds the frames it shows (k output, STACK_TEXT, the
    stacks of the threads `!thread` / `!process` print)."""

    segment: Segment
    block: Block
    parsed: Parsed[Any] | None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    stacks: list[Stack] = field(default_factory=list)


def parse_text(text: str, path: str | None = None, strict: bool = False) -> list[Report]:
    """Every crash report in one paste. Never raises on bad text (only on oversized input, or
    in strict mode on the first thing it could not read)."""
    if len(text) > MAX_BYTES:
        raise InputTooLarge(f"{path or '<stdin>'}: {len(text):,} characters; the limit is {MAX_BYTES:,}")
    repaired = repair(text)
    lines, cut = _bounded(repaired.lines)
    blocks = [_parse_segment(seg) for seg in segment(lines)]
    for pb in blocks:
        pb.block.end_line = repaired.ends.get(pb.block.end_line, pb.block.end_line)
    reports = [facts.fill(rep, text) for rep, text in _group(blocks, path)]
    for rep in reports:
        rep.repairs = [
            r for r in repaired.repairs if rep.source.start_line <= r.first_line <= rep.source.end_line
        ]
        rep.diagnostics.extend(
            d for d in cut if rep.source.start_line <= (d.line or 0) <= rep.source.end_line
        )
        rep.diagnostics.sort(key=lambda d: d.line or 0)
        rep.findings = find_evidence(rep, lines)
    if strict:
        _check_strict(reports, path)
    return reports


def parse_file(path: str | Path, strict: bool = False) -> list[Report]:
    """Read a file (UTF-8, bad bytes replaced; a UTF-16 BOM honoured) and parse it."""
    p = Path(path)
    if p.stat().st_size > MAX_BYTES:
        raise InputTooLarge(f"{p}: {p.stat().st_size:,} bytes; the limit is {MAX_BYTES:,}")
    data = p.read_bytes()
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = data.decode("utf-16", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace")
    return parse_text(text, str(p), strict=strict)


def _bounded(lines: list[Line]) -> tuple[list[Line], list[Diagnostic]]:
    """Cut hostile lines to `MAX_LINE` characters, saying so."""
    cut = [
        Diagnostic(ln.no, f"line of {len(ln.text):,} characters cut to {MAX_LINE:,}")
        for ln in lines
        if len(ln.text) > MAX_LINE
    ]
    if not cut:
        return lines, []
    return [Line(ln.no, ln.text[:MAX_LINE]) for ln in lines], cut


def _parse_segment(seg: Segment) -> ParsedBlock:
    parser = parser_for(seg.kind)
    if parser is None or not seg.lines:
        kind = "prose" if seg.kind == "prose" else "unknown"
        record: dict[str, Any] = {"text": "\n".join(line.text for line in seg.lines)}
        if kind == "unknown" and seg.kind != "unknown":
            record["family"] = seg.kind
        block = Block(seg.command, kind, seg.start_line, seg.end_line, record)
        return ParsedBlock(seg, block, None)
    parsed = parser(seg.lines)
    if seg.command and (hook := command_hook_for(seg.kind)) is not None:
        hook(parsed.record, seg.command)
    block = Block(seg.command, seg.kind, seg.start_line, seg.end_line, parsed.record)
    pb = ParsedBlock(seg, block, parsed, list(parsed.diagnostics))
    pb.stacks = _stacks_of(seg, parsed, pb.diagnostics)
    return pb


def _stacks_of(seg: Segment, parsed: Parsed[Any], diagnostics: list[Diagnostic]) -> list[Stack]:
    """The stacks a parsed block shows, for the report's `stacks`."""
    record = parsed.record
    if seg.kind == "stack":
        copied_window = record.columns[:2] == ["index", "call_site"]  # WinDbgX Stack window
        return [Stack("command" if seg.command or copied_window else "content", seg.command, record.frames)]
    if seg.kind == "analyze" and record.stack_lines:
        frames = stack.parse(record.stack_lines)
        diagnostics.extend(frames.diagnostics)
        return [Stack("analyze", record.fields.get("STACK_COMMAND"), frames.record.frames)]
    threads = [t for p in getattr(record, "processes", []) for t in p.threads] + getattr(
        record, "threads", []
    )
    origin = "command" if seg.command else "content"
    return [Stack(origin, seg.command, t.frames) for t in threads if t.frames]


@dataclass(slots=True)
class _Group:
    report: Report
    members: list[ParsedBlock] = field(default_factory=list)
    split_by_processor: bool = False

    @property
    def processors(self) -> set[int]:
        return {m.segment.processor for m in self.members} - {None}


def _group(blocks: list[ParsedBlock], path: str | None) -> list[tuple[Report, str]]:
    """Blocks into reports, in paste order; each report with its text (prompts and output).

    A report begun by another processor's bug-check stack takes the blocks typed on that
    processor; a prompt on the earlier crash's processor goes back to the earlier report (an
    article that shows a second crash's stack, then goes on with the first)."""
    groups: list[_Group] = []
    current: _Group | None = None
    for pb in blocks:
        why = _starts_new_crash(current, pb) if current else None
        if current is None or why:
            current = _Group(Report(Source(path, pb.block.start_line, pb.block.end_line)))
            current.split_by_processor = bool(why) and pb.block.kind == "stack"  # only stacks split so
            groups.append(current)
            if why:
                current.report.diagnostics.append(Diagnostic(pb.block.start_line, f"new report: {why}"))
        elif current.split_by_processor and (back := _earlier_on(groups, current, pb.segment)):
            current = back
        current.members.append(pb)
        _add(current.report, pb)
    return [(g.report, _text(g.members)) for g in groups]


def _earlier_on(groups: list[_Group], current: _Group, seg: Segment) -> _Group | None:
    """Where a block after a processor-split report goes: a report holds what was typed on its
    processor; text without a prompt, or a prompt on the earlier crash's processor, goes back
    to the earlier report (an article returns to its first crash)."""
    index = groups.index(current)
    if index == 0 or seg.processor in current.processors:
        return None
    if seg.processor is None:
        return groups[index - 1] if seg.prompt is None else None
    return next((g for g in reversed(groups[:index]) if seg.processor in g.processors), None)


def _text(members: list[ParsedBlock]) -> str:
    parts: list[str] = []
    for pb in members:
        if pb.segment.prompt is not None:
            parts.append(pb.segment.prompt)
        parts.extend(line.text for line in pb.segment.lines)
    return "\n".join(parts)


def _add(rep: Report, pb: ParsedBlock) -> None:
    rep.blocks.append(pb.block)
    rep.diagnostics.extend(pb.diagnostics)
    rep.source.start_line = min(rep.source.start_line, pb.block.start_line)
    rep.source.end_line = max(rep.source.end_line, pb.block.end_line)
    rep.stacks.extend(pb.stacks)


def _starts_new_crash(group: _Group, pb: ParsedBlock) -> str | None:
    """Why block `pb` belongs to a crash other than the one `group` shows, or None."""
    members = group.members
    shown = any(m.block.kind in ("analyze", "stack") for m in members)
    text = pb.segment.lines[0].text if pb.segment.lines else ""
    if pb.segment.kind == "header" and shown and facts.opens_dump(text):
        return "another dump is opened after a crash was shown"
    if pb.block.kind == "analyze" and pb.parsed is not None:
        new_id = facts.crash_identity(pb.parsed.record)
        for old in members:
            old_id = facts.crash_identity(old.parsed.record) if old.block.kind == "analyze" else None
            if new_id and old_id and new_id != old_id:
                return f"a second !analyze shows another crash ({new_id} after {old_id})"
    if pb.block.kind == "stack" and pb.parsed is not None:
        earlier = [f for m in members for s in m.stacks for f in s.frames]
        return facts.other_thread_bugcheck(
            earlier, pb.parsed.record.frames, pb.segment.processor, group.processors
        )
    return None


def _check_strict(reports: list[Report], path: str | None) -> None:
    for rep in reports:
        for diag in rep.diagnostics:
            raise StrictError(diag, path)
        for blk in rep.blocks:
            if blk.kind == "unknown":
                raise StrictError(
                    Diagnostic(blk.start_line, f"no parser reads `{blk.command or 'this block'}`"), path
                )
