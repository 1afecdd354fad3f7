"""The values a session shows and the addresses it proves good, for the sanity rules.

*Observed* values are what a program left in registers and memory: register values, memory
dump values, `dt` field values — any of them may be damaged. *Anchors* are addresses the
debugger or the CPU actually used: `!pool` entries and pages, `dt` instance addresses and
their fields' own addresses, memory dump row addresses, stack pointers and return addresses,
`lm` module ranges, the instruction and stack pointers. A damaged value is recognised by
comparison with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from crashsift.evidence.addresses import NULL_PAGE, show
from crashsift.evidence.session import Session, walk_fields
from crashsift.hexutil import hex_value
from crashsift.model import Evidence
from crashsift.parsers.dt import DtField

IP_SP = frozenset(("rip", "rsp", "eip", "esp", "pc", "sp"))


@dataclass(frozen=True, slots=True)
class Observed:
    """One value as shown: `label` says where (``rsi``, ``_NAME_CACHE_NODE.TreeLink.Link.Parent``),
    `container` names the structure or dump it sits in and `offset` its place there."""

    value: int
    label: str
    line: int | None
    source: str  # register | memory | field
    container: str | None = None
    offset: int | None = None
    pointer: bool = False
    base: int | None = None  # the address of the structure a field belongs to
    points_to: str | None = None  # the type a field points to (``_LIST_ENTRY`` for list links)


@dataclass(frozen=True, slots=True)
class Anchor:
    value: int
    label: str
    line: int | None


def observed(session: Session) -> list[Observed]:
    """Every value of pointer width the session shows, in paste order, once per place."""
    return session.remember("observed", lambda: _observed(session))


def _observed(session: Session) -> list[Observed]:
    out: list[Observed] = []
    for regs in session.register_sets:
        out.extend(
            Observed(v, name, regs.line, "register")
            for name, v in regs.values.items()
            if name not in IP_SP and _register_width(name, session.arch)
        )
    for record, command in session.memory:
        unit = session.unit_bytes(record)
        if unit != session.pointer_size:
            continue
        for row in record.rows:
            start = hex_value(row.address)
            for i, text in enumerate(row.values):
                if (v := hex_value(text)) is not None and start is not None:
                    at = start + i * unit
                    out.append(
                        Observed(
                            v,
                            f"{command or 'memory'} @ {show(at, session.arch)}",
                            row.line,
                            "memory",
                            command,
                            at,
                            record.unit == "pointer+symbol",
                        )
                    )
    seen: set[tuple[str | None, int | None, int]] = set()
    for dt in session.dts:
        where = f"{dt.type_name} at {show(dt.base, session.arch)}" if dt.base is not None else dt.type_name
        for path, offset, fld in walk_fields(dt.record.fields):
            for v in _field_values(fld):
                key = (where, offset, v)
                if key not in seen:
                    seen.add(key)
                    label = f"{dt.type_name}.{path}" if dt.type_name else path
                    out.append(
                        Observed(
                            v,
                            label,
                            fld.line,
                            "field",
                            where,
                            offset,
                            _pointer_like(fld),
                            dt.base,
                            _points_to(fld),
                        )
                    )
    return out


def cite(session: Session, seen: Observed, note: str) -> Evidence:
    """The evidence line of a value: for a register, the line of the dump that shows it."""
    line = session.register_line_from(seen.line, seen.label) if seen.source == "register" else seen.line
    return session.cite(line, note)


def anchors(session: Session) -> list[Anchor]:
    """Addresses the session proves were used (see the module docstring); the most telling
    first: a structure's own address, then pool blocks, dumped addresses, stacks, modules."""
    return session.remember("anchors", lambda: _anchors(session))


def _anchors(session: Session) -> list[Anchor]:
    out: list[Anchor] = []
    for dt in session.dts:
        if dt.base is None or dt.record.errors:
            continue
        out.append(Anchor(dt.base, f"the address of the {dt.type_name} dumped", dt.line))
        for path, offset, fld in walk_fields(dt.record.fields):
            if offset:
                out.append(
                    Anchor(
                        dt.base + offset, f"the address of {dt.type_name}.{path} (its own field)", fld.line
                    )
                )
    for record, _ in session.memory:
        out.extend(
            Anchor(v, "a dumped memory address", row.line)
            for row in record.rows
            if (v := hex_value(row.address)) is not None
        )
    for stack in session.report.stacks:
        for frame in stack.frames:
            for text in (frame.child_sp, frame.ret_addr, frame.address):
                if (v := hex_value(text)) is not None and v >= NULL_PAGE:
                    out.append(Anchor(v, "a stack address of the backtrace", frame.line))
    for module in session.modules:
        if (v := hex_value(module.start)) is not None:
            out.append(Anchor(v, f"the base of module {module.name}", module.line))
    for regs in session.register_sets:
        out.extend(Anchor(v, name, regs.line) for name, v in regs.values.items() if name in IP_SP)
    return out


def _register_width(name: str, arch: str | None) -> bool:
    """Full-width general registers only (not flags, segments or 32-bit views)."""
    if arch == "x86":
        return name in ("eax", "ebx", "ecx", "edx", "esi", "edi", "ebp")
    if arch == "arm64":
        return (name.startswith("x") and name[1:].isdigit()) or name in ("fp", "lr")
    return name in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp") or (
        name.startswith("r") and name[1:].isdigit()
    )


def _field_values(fld: DtField) -> list[int]:
    if fld.list_entry:
        return [v for t in fld.list_entry if (v := hex_value(t)) is not None]
    if fld.string is not None and fld.number is None:
        return []
    v = hex_value(fld.number)
    return [v] if v is not None else []


def _points_to(fld: DtField) -> str | None:
    if fld.list_entry or fld.type == "_LIST_ENTRY":
        return "_LIST_ENTRY"
    return fld.pointer_type


def _pointer_like(fld: DtField) -> bool:
    """A pointer by its type (``Ptr64 T``, a typed pointer value, a list entry), or printed as
    a 64-bit ``0x…`…`` value with nothing after it (how `dt /b` shows a pointer)."""
    if fld.pointer_type or fld.list_entry or (fld.type or "").startswith("Ptr"):
        return True
    return bool(fld.value and "`" in fld.value and not fld.type and not fld.children)
