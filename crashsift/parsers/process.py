"""`!process` output (any flags, ``!process 0 0`` lists included): each process's header and,
when the flags print them, its threads with their stacks.

Record (`ProcessRecord`): ``processes`` (one `ProcessInfo` per ``PROCESS`` line, in order),
``errors`` (debugger errors printed before the first process, ``{line, text}``) and ``notes``
(remarks before it, such as the ``**** NT ACTIVE PROCESS DUMP ****`` banner).

A `ProcessInfo` holds ``address`` (the ``PROCESS`` line), ``session_id`` (an int; None for
``none``), ``cid``, ``peb``, ``parent_cid``, ``dir_base``, ``object_table`` (``"0x…"``),
``handle_count`` (an int, from ``HandleCount`` or Windows 2000's ``TableSize``; None for
``<Data Not Accessible>``), ``image``; ``fields`` with every
``Name value`` and ``Name: value`` pair as printed (``VadRoot``, ``Vads``, ``Clone``,
``Private``, ``DeviceMap``, ``Token``, ``ElapsedTime``, ``UserTime``, ``KernelTime``,
``QuotaPoolUsage[PagedPool]``, ``Working Set Sizes (now,min,max)``, ``VirtualSize``,
``MemoryPriority``, ``BasePriority``, ``CommitCharge``, …); ``notes``; ``errors`` (debugger
errors printed inside it: ``ReadMemory error: …``, ``*** Error in reading nt!_ETHREAD @ …``);
``threads`` (its ``THREAD`` sections as `crashsift.parsers.thread.ThreadInfo`, frames
included); ``line``. Threads printed before any ``PROCESS`` line (a paste cut at its top) are
kept in a first process whose ``address`` is None, with a diagnostic.

The lines are read by `crashsift.parsers.thread.read` (grammar ``thread.lark``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.thread import ProcessHooks, ThreadInfo, read


@dataclass(slots=True)
class ProcessInfo:
    address: str | None = None
    session_id: int | None = None
    cid: str | None = None
    peb: str | None = None
    parent_cid: str | None = None
    dir_base: str | None = None
    object_table: str | None = None
    handle_count: int | None = None
    image: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[Line] = field(default_factory=list)
    threads: list[ThreadInfo] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class ProcessRecord:
    processes: list[ProcessInfo] = field(default_factory=list)
    errors: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# Names whose value is hex, and the attribute holding it as "0x…"
_HEX_NAMES = {
    "Cid": "cid",
    "Peb": "peb",
    "ParentCid": "parent_cid",
    "DirBase": "dir_base",
    "ObjectTable": "object_table",
}
# `HandleCount: 535.`, `HandleCount: 1,234.`
_COUNT = re.compile(r"(\d[\d,]*)\.?")


def parse(lines: list[Line]) -> Parsed[ProcessRecord]:
    """One `!process` block (the prompt excluded, thread stacks included); never raises."""
    reading = read(lines, ProcessHooks(new=_new, store=_store))
    record = ProcessRecord(processes=reading.processes, errors=reading.errors, notes=reading.notes)
    if reading.threads:
        first = reading.threads[0].line
        record.processes.insert(0, ProcessInfo(threads=reading.threads, line=first))
        reading.diagnostics.insert(0, Diagnostic(first, "threads before any PROCESS line"))
    return Parsed(record, reading.diagnostics)


def _new(no: int, address: str | None) -> ProcessInfo:
    return ProcessInfo(address=address, line=no)


def _store(process: ProcessInfo, first: str, name: str, value: str) -> None:
    """One pair of a process header: in `fields` as printed, and in its typed attribute."""
    key = name if name not in process.fields or name == first else f"{first} {name}"
    process.fields[key] = value
    if name in _HEX_NAMES:
        setattr(process, _HEX_NAMES[name], hex_str(value))
    elif name == "SessionId":
        process.session_id = int(value) if value.isdigit() else None
    elif name in ("HandleCount", "TableSize"):  # TableSize: Windows 2000
        found = _COUNT.fullmatch(value)
        process.handle_count = int(found.group(1).replace(",", "")) if found else None
    elif name == "Image":
        process.image = value
