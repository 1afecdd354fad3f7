"""The CPU as the evidence rules need it: register names and their aliases (x86/x64 sub-registers,
ARM64 w/x views), the value a register dump really holds (a trap frame does not save every
register), the memory an instruction accesses and the address it computes, and an instruction's
length from its bytes. Shared by the `fault` and `origin` rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from crashsift.evidence.session import RegisterSet, Session
from crashsift.hexutil import hex_value
from crashsift.parsers.disasm import Instruction, Operand

# ----------------------------------------------------------------------------- registers


@dataclass(frozen=True, slots=True)
class Alias:
    """A register name as part of a full register: `eax` is bits 0..31 of family `rax`."""

    family: str
    shift: int
    width: int


@cache
def _x86_aliases() -> dict[str, Alias]:
    out: dict[str, Alias] = {}
    for r in "abcd":
        fam = f"r{r}x"
        out |= {fam: Alias(fam, 0, 64), f"e{r}x": Alias(fam, 0, 32), f"{r}x": Alias(fam, 0, 16)}
        out |= {f"{r}l": Alias(fam, 0, 8), f"{r}h": Alias(fam, 8, 8)}
    for r in ("si", "di", "bp", "sp"):
        fam = f"r{r}"
        out |= {fam: Alias(fam, 0, 64), f"e{r}": Alias(fam, 0, 32), r: Alias(fam, 0, 16)}
        out[f"{r}l"] = Alias(fam, 0, 8)
    for n in range(8, 16):
        fam = f"r{n}"
        out |= {fam: Alias(fam, 0, 64), f"{fam}d": Alias(fam, 0, 32), f"{fam}w": Alias(fam, 0, 16)}
        out |= {f"{fam}b": Alias(fam, 0, 8), f"{fam}l": Alias(fam, 0, 8)}
    out |= {"rip": Alias("rip", 0, 64), "eip": Alias("rip", 0, 32)}
    return out


@cache
def _arm64_aliases() -> dict[str, Alias]:
    out: dict[str, Alias] = {}
    for n in range(31):
        out |= {f"x{n}": Alias(f"x{n}", 0, 64), f"w{n}": Alias(f"x{n}", 0, 32)}
    out |= {"fp": Alias("x29", 0, 64), "lr": Alias("x30", 0, 64)}
    out |= {"sp": Alias("sp", 0, 64), "wsp": Alias("sp", 0, 32), "pc": Alias("pc", 0, 64)}
    out |= {"xzr": Alias("zero", 0, 64), "wzr": Alias("zero", 0, 32)}
    return out


# The names a register dump prints a family under, the full register first.
_DUMP_NAMES = {"x29": ("fp", "x29"), "x30": ("lr", "x30")}
# Registers an x64 / ARM64 trap frame does not save (non-volatile): with WinDbg's "does not
# contain all registers" note their values are zero or left over, not the ones at the fault.
_UNSAVED = {
    "x64": frozenset({"rbx", "rsi", "rdi", "r12", "r13", "r14", "r15"}),
    "arm64": frozenset(f"x{n}" for n in range(19, 29)),
}


def alias(name: str | None, arch: str | None) -> Alias | None:
    """What full register a name is part of (x86 and x64 share one table)."""
    if not name:
        return None
    table = _arm64_aliases() if arch == "arm64" else _x86_aliases()
    return table.get(name.lower())


def family(name: str | None, arch: str | None) -> str | None:
    a = alias(name, arch)
    return a.family if a else None


def dump_names(fam: str) -> tuple[str, ...]:
    """The names a dump may print a family under (`rax` on x64, `eax` on x86)."""
    if fam in _DUMP_NAMES:
        return _DUMP_NAMES[fam]
    if fam.startswith("r") and not fam[1:].isdigit():
        return (fam, "e" + fam[1:])
    return (fam,)


def dump_name(rs: RegisterSet, name: str, arch: str | None) -> str | None:
    """The name under which `rs` holds the register `name` belongs to."""
    a = alias(name, arch)
    if a is None:
        return None
    return next((n for n in dump_names(a.family) if n in rs.values), None)


def register_value(rs: RegisterSet | None, name: str, arch: str | None) -> int | None:
    """The value of `name` (a sub-register reads its bits) in `rs`; None when not shown."""
    a = alias(name, arch)
    if a is None or rs is None:
        return None
    if a.family == "zero":
        return 0
    key = dump_name(rs, name, arch)
    if key is None:
        return None
    return (rs.values[key] >> a.shift) & ((1 << a.width) - 1)


def unsaved(rs: RegisterSet | None, name: str, arch: str | None) -> bool:
    """True when `rs` is a trap frame WinDbg says is incomplete and `name` is one it does not save."""
    return bool(rs and rs.record.incomplete and family(name, arch) in _UNSAVED.get(arch or "", ()))


def trusted_value(rs: RegisterSet | None, name: str, arch: str | None) -> int | None:
    """The value of `name` at the fault, None when not shown or not saved by the trap frame."""
    return None if unsaved(rs, name, arch) else register_value(rs, name, arch)


def register_line(session: Session, rs: RegisterSet, name: str, arch: str | None) -> int | None:
    """The line of `rs`'s dump that prints `name=` (a dump spans a few lines from `rs.line`)."""
    key = dump_name(rs, name, arch)
    return None if key is None else session.register_line(rs, key)


def register_width(name: str | None, arch: str | None) -> int | None:
    """Bits of a general register alias, or of an ARM64 FP/SIMD (`q0`, `d1`) or x86 `xmm` one."""
    if a := alias(name, arch):
        return a.width
    m = re.fullmatch(r"([qdshb])\d+|([xyz])mm\d+", (name or "").lower())
    if not m:
        return None
    if m[1]:
        return {"q": 128, "d": 64, "s": 32, "h": 16, "b": 8}[m[1]]
    return {"x": 128, "y": 256, "z": 512}[m[2]]


# ----------------------------------------------------------------------------- the operand

OPERAND_SIZES = {
    "byte": 1, "word": 2, "dword": 4, "qword": 8, "fword": 6, "tbyte": 10, "mmword": 8,
    "xmmword": 16, "oword": 16, "ymmword": 32, "zmmword": 64,
}  # fmt: skip
# Mnemonics with a memory operand that touch no memory.
_NO_ACCESS = re.compile(r"lea|nop|prefetch\w*|prfm|prfum|clflush\w*|invlpg|bnd\w+")
# x86 mnemonics that only read their first operand.
_READS_FIRST = frozenset(
    {"cmp", "test", "bt", "push", "ptest", "vptest", "ucomiss", "ucomisd", "comiss", "comisd"}
)
# x86 mnemonics that only write their first operand.
_STORE = re.compile(r"v?mov\w*|set\w+|stos\w*|pop|fn?st\w*|fist\w*|fbstp|stmxcsr|vstmxcsr|sgdt|sidt|smsw")
_ARM_ATOMIC = re.compile(r"ld(add|clr|eor|set|smax|smin|umax|umin)\w*|swp\w*|cas\w*")


@dataclass(frozen=True, slots=True)
class Access:
    """One memory operand of an instruction: what it does (`read`, `write`, `update`) and how
    many bytes (None when the text does not say)."""

    operand: Operand
    kind: str
    size: int | None


def accesses(ins: Instruction, arch: str | None) -> list[Access]:
    """The memory operands that touch memory, without fs:/gs: ones (their base is not shown)."""
    mnemonic = ins.mnemonic.lower()
    if _NO_ACCESS.fullmatch(mnemonic):
        return []
    return [
        Access(op, _access_kind(mnemonic, i, arch), _access_size(ins, i, arch))
        for i, op in enumerate(ins.operands)
        if op.kind == "memory" and (op.segment or "").lower() not in ("fs", "gs")
    ]


def _access_kind(mnemonic: str, position: int, arch: str | None) -> str:
    if arch == "arm64":
        if _ARM_ATOMIC.fullmatch(mnemonic):
            return "update"
        return "write" if mnemonic.startswith("st") else "read"
    if position > 0 or mnemonic in _READS_FIRST:
        return "read"
    return "write" if _STORE.fullmatch(mnemonic) else "update"


def _access_size(ins: Instruction, position: int, arch: str | None) -> int | None:
    op = ins.operands[position]
    if op.size:
        return OPERAND_SIZES.get(op.size.split()[0].lower())
    regs = [o for o in ins.operands[:position] if o.kind == "register"] if arch == "arm64" else []
    regs = regs or [o for o in ins.operands if o.kind == "register"]
    width = register_width(regs[-1].register, arch) if regs else None
    if width is None:
        return None
    size = width // 8
    mnemonic = ins.mnemonic.lower()
    if arch == "arm64" and mnemonic[:2] in ("ld", "st"):
        size = 1 if mnemonic.endswith("b") else 2 if mnemonic.endswith("h") else size
        size = 4 if mnemonic.endswith("sw") else size
        size = size * 2 if mnemonic.rstrip("sw").endswith("p") else size
    return size


def address_bits(op: Operand, arch: str | None) -> int:
    """32 on x86, and on x64 when the operand uses 32-bit registers (the address is then
    computed in 32 bits and zero-extended); else 64."""
    if arch == "x86":
        return 32
    if arch != "arm64" and any((a := alias(r, arch)) and a.width == 32 for r in (op.base, op.index) if r):
        return 32
    return 64


def operand_registers(op: Operand) -> list[str]:
    return [r for r in (op.base, op.index) if r]


def effective_address(
    op: Operand, ins: Instruction, rs: RegisterSet | None, arch: str | None, as_printed: bool = False
) -> tuple[int | None, dict[str, int]]:
    """The address the operand uses, from the register values shown (None when one is missing
    or, unless `as_printed`, not saved by the trap frame), and the value of each register used."""
    read = register_value if as_printed else trusted_value
    terms: dict[str, int] = {}
    for name in operand_registers(op):
        value = _rip(ins) if family(name, arch) == "rip" else read(rs, name, arch)
        if value is None:
            return None, terms
        terms[name] = value
    total = hex_value((op.displacement or "0").lstrip("-")) or 0
    total = -total if (op.displacement or "").startswith("-") else total
    if op.base:
        total += terms[op.base]
    if op.index:
        total += _extend(terms[op.index], op.shift) * (op.scale or 1)
    return total % (1 << address_bits(op, arch)), terms


def _rip(ins: Instruction) -> int | None:
    """`[rip+…]` is relative to the next instruction."""
    start, length = hex_value(ins.address), instruction_length(ins)
    return None if start is None or length is None else start + length


def _extend(value: int, shift: str | None) -> int:
    """ARM64 `sxtw` sign-extends a 32-bit index."""
    if shift == "sxtw" and value & 0x8000_0000:
        return value - (1 << 32)
    return value


def instruction_length(ins: Instruction) -> int | None:
    code = ins.bytes or ""
    return len(code) // 2 if code and "?" not in code else None


def expression(op: Operand) -> str:
    """The operand's address as a sum: `rsi+0x20`, `rdx+rax*2`, `0x0`."""
    parts = [op.base] if op.base else []
    if op.index:
        parts.append(f"{op.index}*{op.scale}" if (op.scale or 1) != 1 else op.index)
    text = "+".join(parts)
    disp = op.displacement
    if disp and (disp not in ("0x0", "-0x0") or not text):
        text += disp if disp.startswith("-") or not text else f"+{disp}"
    return text or "0x0"


def instruction_text(ins: Instruction) -> str:
    return " ".join([*ins.prefixes, ins.mnemonic, ins.text]).strip()
