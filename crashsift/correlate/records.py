"""One crash as correlation sees it: a stable id, the crash stack normalised, and the attributes
crashes are compared by (bug check, exception, modules, pool tags, types).

The crash stack of a report is the analysis's STACK_TEXT when there is one, else the first stack
that shows the bug check or exception path, else the first stack shown; a pseudo stack (one
frame at address zero that only names the analysis's bucket) is no stack.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from crashsift.correlate.normalize import NormFrame, module_name, normalize_stack
from crashsift.hexutil import hex_value
from crashsift.model import Frame, Report, Stack

_CULPRIT = re.compile(
    r"\(\s*(?P<sym>[\w.$@?]+![^\s)]+)\s*\)"  # Probably caused by : x.sys ( x!f+0x12 )
    r"|^(?P<label>[\w.$@]+(?:![^\s]+?(?:\+(?:0x)?[0-9a-fA-F]+)?|\+(?:0x)?[0-9a-fA-F]+)):?$"  # x!f+12, x+12
)
_CRASH_PATH = (
    "KeBugCheck",
    "KiPageFault",
    "KiUserExceptionDispatcher",
    "RaiseException",
    "RtlDispatchException",
)


@dataclass(slots=True)
class CrashRecord:
    """`id` is stable across runs: the file name, the first line and a hash of what was read."""

    id: str
    path: str | None
    start_line: int
    mode: str | None
    arch: str | None
    bugcheck: str | None
    exception: str | None
    frames: list[NormFrame]
    args: tuple[str, ...] = ()  # the bug check's arguments as shown
    fingerprints: set[str] = field(default_factory=set)  # what only one crash shows: see `fingerprints`
    frames_from: str = "stack"  # stack | culprit (the analysis's faulting symbol) | none
    failure_bucket_id: str | None = None
    modules: set[str] = field(default_factory=set)
    pool_tags: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)

    @property
    def keys(self) -> list[str]:
        return [f.key for f in self.frames]


def _real(stack: Stack) -> bool:
    """Not a pseudo stack: the analysis prints one frame at address zero for a heap corruption
    (``00000000`00000000 00000000`00000000 heap_corruption!Mem.exe+0x0``), naming its bucket,
    not a place in the code."""
    return any(not (_zero(f.child_sp) and _zero(f.ret_addr)) for f in stack.frames)


def _zero(text: str | None) -> bool:
    return text is not None and text.strip("0x`") == ""


def crash_stack(report: Report) -> Stack | None:
    stacks = [s for s in report.stacks if s.frames and _real(s)]
    for stack in stacks:
        if stack.origin == "analyze":
            return stack
    for stack in stacks:
        if any(f.function and f.function.startswith(_CRASH_PATH) for f in stack.frames):
            return stack
    return stacks[0] if stacks else None


def from_report(report: Report) -> CrashRecord:
    stack = crash_stack(report)
    frames = normalize_stack(stack.frames) if stack else []
    frames_from = "stack" if frames else "none"
    if not frames and (culprit := culprit_frame(report)):
        frames, frames_from = normalize_stack([culprit]), "culprit"
    return CrashRecord(
        id=record_id(report, frames),
        path=report.source.path,
        start_line=report.source.start_line,
        mode=report.mode,
        arch=report.arch,
        bugcheck=report.bugcheck.code if report.bugcheck else None,
        exception=report.exception.code if report.exception else None,
        frames=frames,
        args=tuple(report.bugcheck.args) if report.bugcheck else (),
        fingerprints=fingerprints(report),
        frames_from=frames_from,
        failure_bucket_id=report.failure_bucket_id,
        modules=_modules(report, frames),
        pool_tags=_pool_tags(report),
        types=_types(report),
    )


def culprit_frame(report: Report) -> Frame | None:
    """Without a stack, the one frame the analysis names: the FAULTING_IP symbol line, or the
    symbol of ``Probably caused by : ntkrnlmp.exe ( nt!KiDoubleFaultAbort+b2 )``."""
    for block in report.blocks:
        if block.kind != "analyze" or block.record is None:
            continue
        faulting_ip = (block.record.fields.get("FAULTING_IP") or "").split("\n", 1)[0].strip()
        for text in (faulting_ip, block.record.probably_caused_by or ""):
            m = _CULPRIT.search(text.strip())
            if m:
                module, _, rest = (m["sym"] or m["label"]).split("+", 1)[0].partition("!")
                return Frame(module=module, function=rest or None)
    return None


def fingerprints(report: Report) -> set[str]:
    """Marks of one particular crash, which two pastes share only when they show the same dump:
    the dump file opened when its name is dated (``dump:102822-20890-01.dmp``; not MEMORY.DMP),
    the bug check with all four arguments (``args:0x9f:0x3,…``), a structure dumped at an
    address (``dt:_MMPFN@0xfffffa8000144810``)."""
    out: set[str] = set()
    if report.bugcheck and len(report.bugcheck.args) == 4:
        out.add(f"args:{report.bugcheck.code}:{','.join(report.bugcheck.args)}")
    for block in report.blocks:
        record = block.record
        if record is None:
            continue
        if block.kind == "header" and getattr(record, "dump_file", None):
            name = PurePath(record.dump_file.replace("\\", "/")).name.lower()
            if sum(ch.isdigit() for ch in name) >= 6:  # a dated minidump, not every MEMORY.DMP
                out.add(f"dump:{name}")
        elif block.kind == "dt" and (name := record.target_type or record.type_name):
            address = hex_value(record.address or record.address_expression)
            if address is not None and address >= 1 << 16:
                out.add(f"dt:{name.split('!', 1)[-1]}@{address:#x}")
    return out


def record_id(report: Report, frames: list[NormFrame]) -> str:
    """``<folder>/<file name>:<first line>-<6 hex digits>``: readable, the same in every run, and
    distinct for files of one name in two folders (``issues/010.txt``, ``pages/010.txt``)."""
    path = PurePath(report.source.path) if report.source.path else None
    name = (
        f"{path.parent.name}/{path.name}" if path and path.parent.name else (path.name if path else "stdin")
    )
    what = "|".join([report.bugcheck.code if report.bugcheck else "", *(f.key for f in frames)])
    digest = hashlib.sha1(f"{name}:{report.source.start_line}:{what}".encode(), usedforsecurity=False)
    return f"{name}:{report.source.start_line}-{digest.hexdigest()[:6]}"


def _modules(report: Report, frames: list[NormFrame]) -> set[str]:
    out = {f.module for f in frames if f.module}
    for block in report.blocks:
        if block.kind == "lm" and block.record is not None:
            out.update(m for mod in block.record.modules if (m := module_name(mod.name)))
    return out


def _pool_tags(report: Report) -> set[str]:
    """Tags of the `!pool` entries the session points at (the highlighted ones)."""
    out: set[str] = set()
    for block in report.blocks:
        if block.kind == "pool" and block.record is not None:
            out.update(e.tag.strip() for e in block.record.entries if e.highlighted and e.tag.strip())
    return out


def _types(report: Report) -> set[str]:
    out: set[str] = set()
    for block in report.blocks:
        if block.kind == "dt" and block.record is not None:
            name = block.record.target_type or block.record.type_name
            if name:
                out.add(name.split("!", 1)[-1])
    return out
