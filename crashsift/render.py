"""Output formats of `crashsift parse`: JSON (the contract) and a short text summary."""

from __future__ import annotations

import json
from collections.abc import Iterable

from crashsift.model import Finding, Report, to_jsonable

TOP_FRAMES = 8


def to_json(reports: Iterable[Report]) -> str:
    return json.dumps([to_jsonable(r) for r in reports], indent=1, ensure_ascii=False)


def to_text(reports: Iterable[Report]) -> str:
    """A few lines a person reads: where, what crashed, the bucket, the top of the stack."""
    out: list[str] = []
    for rep in reports:
        src = rep.source
        out.append(
            f"== {src.path or '<stdin>'} lines {src.start_line}-{src.end_line}"
            f" ({rep.mode or '?'} mode, {rep.arch or '?'})"
        )
        if rep.bugcheck:
            args = ", ".join(rep.bugcheck.args)
            out.append(
                f"bug check {rep.bugcheck.code} {rep.bugcheck.name or ''}" + (f" ({args})" if args else "")
            )
        if rep.exception:
            at = f" at {rep.exception.address}" if rep.exception.address else ""
            out.append(f"exception {rep.exception.code} {rep.exception.name or ''}{at}")
        if rep.failure_bucket_id:
            out.append(f"bucket {rep.failure_bucket_id}")
        if rep.process_name:
            out.append(f"process {rep.process_name}")
        if rep.stacks:
            stack = rep.stacks[0]
            out.append(
                f"stack ({stack.origin}{': ' + stack.command if stack.command else ''},"
                f" {len(stack.frames)} frames):"
            )
            out.extend(f"  {f.call_site}" for f in stack.frames[:TOP_FRAMES])
            if len(stack.frames) > TOP_FRAMES:
                out.append(f"  … {len(stack.frames) - TOP_FRAMES} more")
        kinds: dict[str, int] = {}
        for blk in rep.blocks:
            kinds[blk.kind] = kinds.get(blk.kind, 0) + 1
        out.append("blocks: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        out.append(f"diagnostics: {len(rep.diagnostics)}")
        out.extend(_findings(rep.findings))
        out.append("")
    return "\n".join(out)


def _findings(findings: list[Finding]) -> list[str]:
    """Each finding: its message, the lines it rests on, and the causes it weighs."""
    out: list[str] = []
    for f in findings:
        out.append(f"[{f.severity}] {f.kind}: {f.message}")
        for e in f.evidence:
            note = f"  <- {e.note}" if e.note else ""
            out.append(f"    line {e.line}: {e.text}{note}")
        for x in f.explanations:
            out.append(f"    {x.cause} ({x.strength})")
            out.extend(f"      + {s}" for s in x.supporting)
            out.extend(f"      - {s}" for s in x.against)
    return out
