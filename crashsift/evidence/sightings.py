"""Where a session shows addresses, for the `placement` rule: register values, bug check
arguments, fault addresses, pointer-sized memory dump values and the address a dump starts at,
`dt` field values and instance addresses, and the addresses `!pool` was asked about — each
place a `Sighting` ranked by how much it says about the crash (the fault's own first)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from crashsift.evidence.addresses import NULL_PAGE, show
from crashsift.evidence.expression import evaluate
from crashsift.evidence.session import PoolPage, Session, walk_fields
from crashsift.hexutil import hex_value
from crashsift.parsers.dt import DtField

# Relevance of where a value is seen, most relevant first.
FAULT, REGISTER, ARGUMENT, MEMORY, DT, QUERY = range(6)
NOT_ADDRESSES = frozenset(
    {"efl", "eflags", "cpsr", "fpcr", "fpsr", "mxcsr", "iopl", "cs", "ds", "es", "fs", "gs", "ss"}
)


@dataclass(slots=True)
class Sighting:
    """One place the session shows a value: what it is there, the line, how relevant, whether
    it is a value held (a pointer) rather than an address a command was given, the dt
    instance (type, address) a field value belongs to, and whether it is a register's."""

    label: str
    line: int | None
    rank: int
    pointer: bool
    owner: tuple[str | None, int] | None = None
    register: bool = False


def seen_in(session: Session) -> dict[int, list[Sighting]]:
    """Every address-sized value the session shows, with each place it shows it."""
    seen: dict[int, list[Sighting]] = {}
    sources = (_fault_values, _register_values, _argument_values, _memory_values, _dt_values, _pool_values)
    for source in sources:
        for value, sighting in source(session):
            if value is not None and value >= NULL_PAGE:
                seen.setdefault(value, []).append(sighting)
    return seen


def _fault_values(session: Session) -> Iterator[tuple[int | None, Sighting]]:
    """The fault's effective address, the addresses the analysis reports, and the address the
    faulting base register was loaded from."""
    if session.fault is not None and session.fault.address is not None:
        yield session.fault.address, Sighting("the faulting address", session.fault.line, FAULT, True)
    for fa in session.fault_addresses:
        yield fa.value, Sighting(fa.source, fa.line, FAULT, True)
    if (o := session.origin) is not None and o.source_address is not None:
        label = f"the address {o.register} was loaded from"
        yield o.source_address, Sighting(label, o.load.instruction.line, FAULT, True)


def _fault_registers(session: Session) -> set[str]:
    """Registers the faulting access used, and the one its base was loaded into."""
    names: set[str] = set()
    if session.fault is not None:
        names |= set(session.fault.terms)
        if (op := session.fault.operand) is not None:
            names |= {r for r in (op.base, op.index) if r}
    if (o := session.origin) is not None:
        names.add(o.register)
        if o.source is not None:
            names |= {r for r in (o.source.base, o.source.index) if r}
    return names


def _register_values(session: Session) -> Iterator[tuple[int | None, Sighting]]:
    faulting = _fault_registers(session)
    for rs in session.register_sets:
        for name, value in rs.values.items():
            if name not in NOT_ADDRESSES:
                rank = FAULT if name in faulting else REGISTER
                # the dump's first line; `_evidence` finds the line showing the register
                yield value, Sighting(name, rs.line, rank, True, register=True)


def _argument_values(session: Session) -> Iterator[tuple[int | None, Sighting]]:
    """Bug check arguments, cited where the analysis lists them."""
    shown = [
        (arg.value, arg.line)
        for block in session.report.blocks
        if block.kind == "analyze" and block.record is not None
        for arg in block.record.args
    ]
    lines = {hex_value(value): line for value, line in reversed(shown)}
    bugcheck = session.report.bugcheck
    for i, arg in enumerate(bugcheck.args if bugcheck else [], 1):
        value = hex_value(arg)
        yield value, Sighting(f"Arg{i}", lines.get(value), ARGUMENT, True)


def _memory_values(session: Session) -> Iterator[tuple[int | None, Sighting]]:
    """The address each dump starts at, and its pointer-sized values (not those the debugger
    already symbolised: `dps` rows)."""
    for record, command in session.memory:
        if not record.rows:
            continue
        verb = (command or "dump").split()[0]
        first = record.rows[0]
        yield hex_value(first.address), Sighting(f"the {verb} address", first.line, QUERY, False)
        unit = "pointer" if record.unit == "pointer+symbol" else record.unit or ""
        width = session.unit_bytes(record)
        if width != session.pointer_size:
            continue
        for row in record.rows:
            start = hex_value(row.address)
            if row.symbols or start is None:
                continue
            for i, text in enumerate(row.values):
                label = f"the {unit.split('+')[0]} at {show(start + i * width, session.arch)}"
                yield hex_value(text), Sighting(label, row.line, MEMORY, True)


def _dt_values(session: Session) -> Iterator[tuple[int | None, Sighting]]:
    """Each dt instance's address and its fields' hex values (list entries: both links)."""
    for dt in session.dts:
        name = dt.type_name or "dt"
        owner = (dt.type_name, dt.base) if dt.base is not None else None
        if dt.base is not None:
            yield dt.base, Sighting(f"the dt {name} address", dt.line, QUERY, False, owner)
        for path, _, fld in walk_fields(dt.record.fields):
            for suffix, value in _field_values(fld):
                yield value, Sighting(f"{name}.{path}{suffix}", fld.line, DT, True, owner)


def _field_values(fld: DtField) -> Iterator[tuple[str, int | None]]:
    """The hex values a field shows (decimal ones are counts, not addresses)."""
    if fld.list_entry:
        yield from zip((".Flink", ".Blink"), (hex_value(v) for v in fld.list_entry), strict=False)
    elif fld.value and fld.value.startswith("0x") and fld.bitfield is None:
        yield "", hex_value(fld.number)


def _pool_values(session: Session) -> Iterator[tuple[int | None, Sighting]]:
    """The address each `!pool` was asked about: from its ``Pool page`` line, else (old x86
    output has none) from the command."""
    for page in session.pools:
        line = session.find_line(page.line, page.line + 2, "Pool page") or page.line
        yield _pool_query(session, page), Sighting("the !pool address", line, QUERY, False)


def _pool_query(session: Session, page: PoolPage) -> int | None:
    """The page's queried address, else the command's first argument worked out with the
    registers shown before it (`!pool @eax`)."""
    if page.record.address is not None:
        return hex_value(page.record.address)
    words = (page.command or "").split()
    if len(words) < 2 or not words[0].endswith("pool"):
        return None
    registers = session.registers_before(page.line)
    return evaluate(words[1], registers.values if registers else {})
