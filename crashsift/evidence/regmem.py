"""Register versus memory: the faulting base register against the memory it was loaded from.

The `origin` rule finds the load (``mov rsi,qword ptr [rcx]``) and the address it read. Where
the session shows that memory (a `dq`/`dp`/`dps`/`dd` row, or a `dt` field at that address),
the two are compared. Equal: the bad value was in memory when it was loaded. Different: the
memory changed after the load (a race), the register or the memory was damaged (hardware), or
the register context is not the one of the fault (stale context) — each with the evidence the
session holds for and against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from crashsift.evidence.addresses import show
from crashsift.evidence.cpu import OPERAND_SIZES
from crashsift.evidence.sanity import Damage, damage
from crashsift.evidence.session import Origin, RegisterSet, Session, walk_fields
from crashsift.evidence.values import anchors
from crashsift.hexutil import hex_value
from crashsift.model import Explanation, Finding


@dataclass(frozen=True, slots=True)
class Shown:
    """Memory the session shows at one address: its value, where, and by which command."""

    value: int
    line: int | None
    how: str


def find(session: Session) -> list[Finding]:
    origin = session.origin
    if origin is None or origin.source_address is None or origin.value is None:
        return []
    size = _operand_size(origin, session.pointer_size)
    mask = (1 << (8 * size)) - 1
    out: list[Finding] = []
    for shown in memory_at(session, origin.source_address, size):
        if shown.value & mask == origin.value & mask:
            out.append(_agree(session, origin, shown))
        else:
            out.append(_disagree(session, origin, shown, mask))
    return out[:1]


def memory_at(session: Session, address: int, size: int) -> list[Shown]:
    """Every value of `size` bytes the session shows at `address`, in paste order."""
    out: list[Shown] = []
    for record, command in session.memory:
        unit = session.unit_bytes(record)
        if unit != size:
            continue
        for row in record.rows:
            start = hex_value(row.address)
            if start is None or not start <= address < start + unit * len(row.values):
                continue
            offset = address - start
            if offset % unit == 0 and (v := hex_value(row.values[offset // unit])) is not None:
                out.append(Shown(v, row.line, command or "a memory dump"))
    for dt in session.dts:
        if dt.base is None:
            continue
        for path, offset, fld in walk_fields(dt.record.fields):
            if dt.base + offset == address and not fld.children and (v := hex_value(fld.number)) is not None:
                out.append(Shown(v, fld.line, f"{dt.type_name}.{path} ({dt.command})"))
                break
    return out


def _operand_size(origin: Origin, default: int) -> int:
    words = (origin.source.size or "").split() if origin.source else []
    return OPERAND_SIZES.get(words[0].lower(), default) if words else default


def _agree(session: Session, origin: Origin, shown: Shown) -> Finding:
    arch = session.arch
    return Finding(
        "register-memory",
        "info",
        f"{origin.register} = {show(origin.value or 0, arch)} equals the memory at "
        f"{show(origin.source_address or 0, arch)} it was loaded from: the value was already "
        "in memory at the load, so look at who wrote that memory.",
        [
            session.cite(origin.load.instruction.line, "the load"),
            session.cite(shown.line, f"memory shown by {shown.how}"),
        ],
        values={
            "register": origin.register,
            "register_value": hex(origin.value or 0),
            "memory_address": hex(origin.source_address or 0),
            "memory_value": hex(shown.value),
        },
    )


def _disagree(session: Session, origin: Origin, shown: Shown, mask: int) -> Finding:
    arch = session.arch
    reg, mem = (origin.value or 0) & mask, shown.value & mask
    damaged = _damage_of(session, reg)
    bits = bin(reg ^ mem).count("1")
    regs = session.fault.registers if session.fault else None
    evidence = [
        session.cite(
            origin.load.instruction.line,
            f"{origin.register} loaded from {show(origin.source_address or 0, arch)}",
        ),
        session.cite(
            session.register_line(regs, origin.register) if regs else None,
            f"{origin.register} = {show(reg, arch)}",
        ),
        session.cite(shown.line, f"memory there = {show(mem, arch)} ({shown.how})"),
    ]
    return Finding(
        "register-memory",
        "warning",
        f"{origin.register} = {show(reg, arch)} was loaded from {show(origin.source_address or 0, arch)}, "
        f"but the session shows {show(mem, arch)} there: the memory changed after the load, or the "
        "register or the memory was damaged.",
        [e for e in evidence if e.line is not None],
        [_race(damaged, mem, session), _hardware(damaged, bits, origin), _stale(regs, origin)],
        {
            "register": origin.register,
            "register_value": hex(reg),
            "memory_address": hex(origin.source_address or 0),
            "memory_value": hex(mem),
            "differing_bits": str(bits),
        },
    )


def _damage_of(session: Session, value: int) -> Damage | None:
    return next((d for d in damage(session) if d.seen.value == value), None)


def _race(damaged: Damage | None, mem: int, session: Session) -> Explanation:
    supporting = ["another thread may have written the memory between the load and the dump"]
    if mem >> 32 in {a.value >> 32 for a in anchors(session)}:
        supporting.append("the memory now holds an address in a region the session shows in use")
    against = []
    if damaged is not None:
        against.append(
            f"the register value is itself damaged (byte {damaged.lane}), which a race alone does not explain"
        )
    return Explanation("race", "weak" if against else "moderate", supporting, against)


def _hardware(damaged: Damage | None, bits: int, origin: Origin) -> Explanation:
    supporting = []
    if damaged is not None:
        put_back = (
            "NULL" if damaged.repaired == 0 and damaged.seen.value & 0xFFFF_FFFF == 0 else "a good address"
        )
        supporting.append(
            f"{origin.register} is {put_back} but for byte {damaged.lane}, the lane damaged in other values"
        )
        if put_back == "NULL" and origin.zero_check is not None:
            supporting.append(
                f"with byte {damaged.lane} put back {origin.register} is NULL, which the check at "
                f"{show(origin.zero_check.address)} would have stopped: the damage let it through"
            )
    against = [] if damaged else [f"the values differ in {bits} bits, not in one bit or byte"]
    return Explanation("hardware", "moderate" if damaged else "weak", supporting, against)


def _stale(regs: RegisterSet | None, origin: Origin) -> Explanation:
    supporting, against = [], []
    if regs is not None and regs.record.incomplete:
        supporting.append("WinDbg says this register context does not hold every register")
    if regs is not None and regs.ip is not None and origin.path:
        against.append("the context's instruction pointer is the faulting instruction")
    return Explanation("stale-context", "weak", supporting, against)
