"""Evidence within one crash: what a kernel debugger works out by hand from the session text.

`find(report, lines)` runs the rules in order over a `Session` view of the report; each rule
returns `Finding`s that cite the lines they rest on, and may leave what it worked out on the
session for the rules after it:

1. `fault` — decode the faulting instruction, compute its effective address, compare it with
   the reported fault address, classify that address;
2. `origin` — walk the disassembly back to where the faulting base register was written;
3. `regmem` — compare that register with the memory it was loaded from, where shown;
4. `placement` — place addresses in `!pool` blocks, `dt` layouts and `lm` modules;
5. `sanity` — bad pointers, near-misses of good addresses, fill bytes and systematic patterns.
"""

from __future__ import annotations

from collections.abc import Callable

from crashsift.evidence import fault, origin, placement, regmem, sanity
from crashsift.evidence.session import Session
from crashsift.model import Finding, Line, Report

Rule = Callable[[Session], list[Finding]]
RULES: tuple[Rule, ...] = (fault.find, origin.find, regmem.find, placement.find, sanity.find)


def find(report: Report, lines: list[Line]) -> list[Finding]:
    """Every finding the report's session supports, in rule order."""
    if not any(b.record is not None and b.kind != "stack" for b in report.blocks):
        return []
    session = Session.of(report, lines)
    findings: list[Finding] = []
    for rule in RULES:
        for finding in rule(session):
            finding.evidence = [e for e in finding.evidence if e.line is not None]
            if finding.evidence:  # no evidence line, no finding
                findings.append(finding)
    return findings
