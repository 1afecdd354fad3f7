"""One report seen as a debugging session: what the rules of `crashsift.evidence` reason over.

`Session.of(report, lines)` gathers, in paste order, the register sets the session shows
(CONTEXT, `r`, `.cxr`, `.trap`, the registers of a debugger event), the disassembly listings,
memory dump rows, `!pool` pages, `dt` instances and layouts, `lm` modules and the fault
addresses the analysis reports — each with the line it came from, so a finding can cite it.
Rules run in order and leave what later rules need on the session (`fault`, `origin`).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from crashsift.hexutil import hex_value
from crashsift.model import Block, Evidence, Line, Report
from crashsift.parsers.disasm import Instruction, Operand
from crashsift.parsers.dt import DtField, DtRecord
from crashsift.parsers.lm import Module
from crashsift.parsers.memory import MemoryRecord
from crashsift.parsers.pool import PoolRecord
from crashsift.parsers.registers import RegistersRecord

POINTER_SIZE = {"x64": 8, "arm64": 8, "x86": 4}
UNIT_BYTES = {"byte": 1, "word": 2, "dword": 4, "dword+ascii": 4, "qword": 8}  # a memory dump's values
# Commands that set the register context of a fault: their current instruction is the faulting one.
FAULT_CONTEXTS = frozenset((".cxr", ".trap", "!trap", ".ecxr", ".exr"))
REGISTER_DUMP_LINES = 20  # an ARM64 `r` spans about 12 lines; x64 with a label and instruction 9


@dataclass(slots=True)
class RegisterSet:
    """Registers as one dump shows them (`source`: ``CONTEXT``, the command, or ``event``),
    values as ints (unreadable ones left out); `ip` is the instruction pointer."""

    source: str
    values: dict[str, int]
    line: int | None
    record: RegistersRecord
    ip: int | None = None


@dataclass(slots=True)
class Listed:
    """One disassembled instruction with its address as an int."""

    address: int
    instruction: Instruction


@dataclass(slots=True)
class DtInstance:
    """A `dt` block: the type it shows and, when the command gave an address, where it lives."""

    type_name: str | None
    base: int | None
    record: DtRecord
    command: str | None
    line: int


@dataclass(slots=True)
class PoolPage:
    record: PoolRecord
    command: str | None
    line: int


@dataclass(slots=True)
class FaultAddress:
    """An address the session reports the fault at (``READ_ADDRESS``, a bug check or exception
    parameter, the ``ds:`` annotation of the faulting instruction)."""

    source: str
    value: int
    line: int | None


@dataclass(slots=True)
class Fault:
    """The faulting instruction decoded: its memory operand, the registers used, the computed
    effective address (None when a register value is missing)."""

    instruction: Instruction
    line: int | None
    registers: RegisterSet | None
    operand: Operand | None
    address: int | None
    terms: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Origin:
    """Where the faulting base register got its value: the last instruction on the path that
    wrote it, the memory operand it read (if a load) and that operand's address when the
    registers it uses were not changed between the load and the fault."""

    register: str
    value: int | None
    load: Listed
    source: Operand | None
    source_address: int | None
    path: list[Listed] = field(default_factory=list)
    zero_check: Listed | None = None  # a branch on the path that stops only a zero value


@dataclass
class Session:
    report: Report
    lines: list[Line]
    arch: str | None
    kernel: bool
    register_sets: list[RegisterSet] = field(default_factory=list)
    listings: list[list[Listed]] = field(default_factory=list)
    memory: list[tuple[MemoryRecord, str | None]] = field(default_factory=list)
    pools: list[PoolPage] = field(default_factory=list)
    dts: list[DtInstance] = field(default_factory=list)
    modules: list[Module] = field(default_factory=list)
    fault_instructions: list[tuple[str, Instruction, int | None]] = field(default_factory=list)
    fault_addresses: list[FaultAddress] = field(default_factory=list)
    fault: Fault | None = None
    origin: Origin | None = None
    _numbers: list[int] = field(default_factory=list)
    _memo: dict[str, Any] = field(default_factory=dict)

    @property
    def pointer_size(self) -> int:
        return POINTER_SIZE.get(self.arch or "", 8)

    def unit_bytes(self, record: MemoryRecord) -> int | None:
        """How many bytes one value of a memory dump is (a pointer for `dps`/`dqs`/`dds`)."""
        if record.unit == "pointer+symbol":
            return self.pointer_size
        return UNIT_BYTES.get(record.unit or "")

    def text(self, line: int | None) -> str:
        """The repaired text of original line `line` ('' when not in the paste)."""
        if line is None:
            return ""
        numbers = self._index()
        i = bisect.bisect_left(numbers, line)
        return self.lines[i].text if i < len(self.lines) and self.lines[i].no == line else ""

    def remember(self, key: str, make: Callable[[], Any]) -> Any:
        """What `make` gives, worked out once per session: values several rules read."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def cite(self, line: int | None, note: str = "") -> Evidence:
        return Evidence(line, self.text(line).strip(), note)

    def find_line(self, start: int, end: int, needle: str) -> int | None:
        """The first line in `start`..`end` whose text contains `needle`."""
        for ln in self.lines[bisect.bisect_left(self._index(), start) :]:
            if ln.no > end:
                break
            if needle in ln.text:
                return ln.no
        return None

    def _index(self) -> list[int]:
        if not self._numbers:
            self._numbers = [ln.no for ln in self.lines]
        return self._numbers

    def register_line(self, regs: RegisterSet, name: str) -> int | None:
        """The line of a register dump that shows `name=` (a dump spans several lines)."""
        return self.register_line_from(regs.line, name)

    def register_line_from(self, first: int | None, name: str) -> int | None:
        """The line showing `name=` of the register dump that begins at line `first`."""
        if first is None:
            return None
        pattern = re.compile(rf"(?<![\w]){re.escape(name)}=", re.IGNORECASE)
        for ln in self.lines[bisect.bisect_left(self._index(), first) :]:
            if ln.no > first + REGISTER_DUMP_LINES:
                break
            if pattern.search(ln.text):
                return ln.no
        return first

    def registers_before(self, line: int) -> RegisterSet | None:
        """The register set the session showed last before `line` (what `@rcx` meant then)."""
        shown = [rs for rs in self.register_sets if rs.line is not None and rs.line < line]
        return shown[-1] if shown else None

    @classmethod
    def of(cls, report: Report, lines: list[Line]) -> Session:
        session = cls(report, lines, report.arch, report.mode == "kernel")
        for block in report.blocks:
            _gather(session, block)
        return session


def _gather(session: Session, block: Block) -> None:
    """Take what one block shows into the session."""
    kind, command, start, record = block.kind, block.command, block.start_line, block.record
    if record is None:
        return
    if kind == "analyze":
        _gather_analysis(session, record, start, block.end_line)
    elif kind == "registers":
        _add_registers(session, command or "registers", record)
        if command and command.split()[0].lower() in FAULT_CONTEXTS and record.instruction is not None:
            session.fault_instructions.append((command, record.instruction, record.instruction.line))
    elif kind == "event" and record.registers is not None:
        _add_registers(session, "event", record.registers)
        if record.code and record.registers.instruction is not None:  # stopped at an exception
            ins = record.registers.instruction
            session.fault_instructions.append(("event", ins, ins.line))
    elif kind == "disasm":
        listed = [
            Listed(address, ins)
            for ins in record.instructions
            if (address := hex_value(ins.address)) is not None
        ]
        if listed:
            session.listings.append(listed)
    elif kind == "memory":
        session.memory.append((record, command))
    elif kind == "pool":
        session.pools.append(PoolPage(record, command, start))
    elif kind == "dt":
        session.dts.append(_dt_instance(session, record, command, start))
    elif kind == "lm":
        session.modules.extend(record.modules)
    elif kind == "exr" and record.code and record.code.lower() in ("0xc0000005", "0xc0000006"):
        _add_exception_parameter(session, record.parameters, start, "exception record")


def _gather_analysis(session: Session, record: Any, start: int, end: int) -> None:
    if record.context is not None:
        _add_registers(session, "CONTEXT", record.context)
        ins = record.context.instruction
        if ins is not None:
            session.fault_instructions.append(("CONTEXT", ins, ins.line))
    if record.instruction is not None:
        text = record.faulting_instruction or ""
        line = session.find_line(start, end, text.split("\n")[0]) if text else None
        session.fault_instructions.append(("FAULTING_IP", record.instruction, line))
    for name in ("READ_ADDRESS", "WRITE_ADDRESS", "EXCEPTION_PARAMETER2"):
        raw = record.fields.get(name) or record.key_values.get(name)
        words = (raw or "").split()
        value = hex_value(words[0]) if words else None
        if value is not None:
            session.fault_addresses.append(FaultAddress(name, value, session.find_line(start, end, name)))


def _add_exception_parameter(session: Session, parameters: list[str], line: int, source: str) -> None:
    """An access violation's second parameter is the address it could not read or write."""
    if len(parameters) >= 2 and (value := hex_value(parameters[1])) is not None:
        session.fault_addresses.append(FaultAddress(source, value, line))


def _add_registers(session: Session, source: str, record: RegistersRecord) -> None:
    values = {name: v for name, text in record.registers.items() if (v := hex_value(text)) is not None}
    if not values:
        return
    ip = next((values[n] for n in ("rip", "eip", "pc") if n in values), None)
    session.register_sets.append(RegisterSet(source, values, record.line, record, ip))


def _dt_instance(session: Session, record: DtRecord, command: str | None, start: int) -> DtInstance:
    from crashsift.evidence.expression import evaluate

    type_name = record.target_type or record.type_name
    base = hex_value(record.address) if record.address else None
    if base is None and record.address_expression:
        regs = session.registers_before(start)
        base = evaluate(record.address_expression, regs.values if regs else {})
    return DtInstance(normal_type(type_name), base, record, command, start)


def normal_type(name: str | None) -> str | None:
    """`fltmgr!_STREAM_LIST_CTRL` and `_STREAM_LIST_CTRL` name the same layout."""
    if not name:
        return None
    return name.split("!", 1)[-1].strip()


def walk_fields(fields: list[DtField], prefix: str = "", base: int = 0) -> list[tuple[str, int, DtField]]:
    """Every field of a dt tree with its dotted path (``TreeLink.Link.Parent``) and its offset
    from the start of the outermost type, in order."""
    out: list[tuple[str, int, DtField]] = []
    for f in fields:
        path = f"{prefix}.{f.name}" if prefix else f.name
        offset = base + (hex_value(f.offset) or 0)
        out.append((path, offset, f))
        out.extend(walk_fields(f.children, path, offset))
    return out
