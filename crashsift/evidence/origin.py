"""origin rule: where the faulting base register got its value.

From the faulting instruction, walk the disassembly the session shows backwards — to the previous
instruction when it falls through, and to every listed branch whose target is the instruction —
until the last instruction that wrote the register. Say what it was loaded from, compute that
source address when nothing on the path between the load and the fault changed the registers it
uses, and read the checks of the register on the path (`test rsi,rsi` / `jne`): which values they
let reach the fault, and whether the value the register holds passed them. Every path back must
end at the same writer; a path that leaves the listing first, or different writers, say nothing.
Leaves `session.origin` for the rules after it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from crashsift.evidence.addresses import is_kernel, show
from crashsift.evidence.cpu import (
    alias,
    effective_address,
    expression,
    family,
    instruction_length,
    instruction_text,
    operand_registers,
    register_line,
    trusted_value,
)
from crashsift.evidence.fault import address_classes, merged
from crashsift.evidence.session import Fault, Listed, Origin, RegisterSet, Session
from crashsift.hexutil import hex_value
from crashsift.model import Evidence, Finding
from crashsift.parsers.disasm import Instruction, Operand

# ----------------------------------------------------------------------------- what an instruction writes

# Registers a call does not preserve (Windows x64, x86 and ARM64 calling conventions; ARM64 `bl`
# also writes the link register). A call is the writer of such a register.
_CLOBBERED = {
    "x64": frozenset({"rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "rsp"}),
    "x86": frozenset({"rax", "rcx", "rdx", "rsp"}),
    "arm64": frozenset({*(f"x{n}" for n in range(18)), "x30"}),
}
_RETURN_REGISTER = {"x64": "rax", "x86": "rax", "arm64": "x0"}
# x86 instructions that write none of their operands (flags, stack pointer or nothing else).
_X86_READ_ONLY = frozenset({
    "cmp", "test", "bt", "push", "ptest", "vptest", "ucomiss", "ucomisd", "comiss", "comisd",
    "nop", "int", "int3", "ud2", "ret", "retn", "retf", "iret", "iretd", "iretq", "out", "lfence",
    "sfence", "mfence", "pause", "hlt", "clflush", "invlpg", "prefetch", "prefetchw", "prefetchnta",
    "prefetcht0", "prefetcht1", "prefetcht2", "mul", "div", "idiv", "cmpxchg8b", "cmpxchg16b",
})  # fmt: skip
# Registers x86 instructions write without naming them.
_X86_IMPLICIT = {
    "mul": ("rax", "rdx"), "div": ("rax", "rdx"), "idiv": ("rax", "rdx"), "cdq": ("rdx",),
    "cqo": ("rdx",), "cwd": ("rdx",), "cdqe": ("rax",), "cwde": ("rax",), "cbw": ("rax",),
    "cpuid": ("rax", "rbx", "rcx", "rdx"), "rdtsc": ("rax", "rdx"), "rdtscp": ("rax", "rcx", "rdx"),
    "rdmsr": ("rax", "rdx"), "xgetbv": ("rax", "rdx"), "syscall": ("rcx", "r11"), "lahf": ("rax",),
    "cmpxchg": ("rax",), "cmpxchg8b": ("rax", "rdx"), "cmpxchg16b": ("rax", "rdx"),
    "leave": ("rsp", "rbp"), "pop": ("rsp",), "push": ("rsp",), "ret": ("rsp",),
    "loop": ("rcx",), "loope": ("rcx",), "loopne": ("rcx",),
}  # fmt: skip
# String instructions (`movs`, `stosq`…): the registers they step.
_X86_STRING = {
    "lods": ("rax", "rsi"), "stos": ("rdi",), "movs": ("rsi", "rdi"), "scas": ("rdi",),
    "cmps": ("rsi", "rdi"),
}  # fmt: skip
_ARM_READ_ONLY = frozenset({
    "cmp", "cmn", "tst", "ccmp", "ccmn", "fcmp", "fcmpe", "cbz", "cbnz", "tbz", "tbnz", "b", "br",
    "ret", "prfm", "prfum", "dmb", "dsb", "isb", "nop", "msr", "brk", "hint", "yield", "udf",
})  # fmt: skip
_ARM_PAIR_LOADS = frozenset({"ldp", "ldnp", "ldxp", "ldaxp", "ldpsw"})
_ARM_ATOMIC_PREFIXES = ("ldadd", "ldclr", "ldeor", "ldset", "ldsmax", "ldsmin", "ldumax", "ldumin", "swp")


def writes(ins: Instruction, arch: str | None) -> set[str]:
    """The register families an instruction writes (a call: the registers it does not preserve)."""
    if arch == "arm64":
        return _arm_writes(ins)
    return _x86_writes(ins, arch)


def _x86_writes(ins: Instruction, arch: str | None) -> set[str]:
    m = ins.mnemonic.lower()
    out = set(_X86_IMPLICIT.get(m, ()))
    if m == "call":
        return out | _CLOBBERED["x86" if arch == "x86" else "x64"]
    if stepped := _string_registers(ins):
        repeat = any(p.startswith("rep") for p in ins.prefixes)
        return out | set(stepped) | ({"rcx"} if repeat else set())
    if m.startswith("j") or m in _X86_READ_ONLY:
        return out
    if m == "imul" and len(ins.operands) == 1:
        return out | {"rax", "rdx"}
    if m in ("xchg", "xadd"):
        return out | {f for op in ins.operands if (f := family(op.register, arch))}
    first = ins.operands[0] if ins.operands else None
    if first is not None and first.kind == "register" and (f := family(first.register, arch)):
        out.add(f)
    return out


def _string_registers(ins: Instruction) -> tuple[str, ...]:
    """`movs`, `stosq`, `lodsb`…: the registers a string instruction steps (`movsd` with an xmm
    operand is the SSE move, not the string one)."""
    m = ins.mnemonic.lower()
    for name, stepped in _X86_STRING.items():
        suffix = m[len(name) :] if m.startswith(name) else None
        if suffix in ("", "b", "w", "d", "q") and all(op.kind == "memory" for op in ins.operands):
            return stepped
    return ()


def _arm_writes(ins: Instruction) -> set[str]:
    m = ins.mnemonic.lower()
    regs = [family(op.register, "arm64") for op in ins.operands if op.kind == "register"]
    base = _writeback_base(ins)
    out = {base} if base else set()
    if m in ("bl", "blr"):
        return out | _CLOBBERED["arm64"]
    if m in _ARM_READ_ONLY or m.startswith("b."):
        return out
    if m.startswith(_ARM_ATOMIC_PREFIXES):
        chosen = regs[1:2]
    elif m in _ARM_PAIR_LOADS:
        chosen = regs[:2]
    elif m.startswith("st") and not m.startswith(("stxr", "stlxr", "stxp", "stlxp")):
        chosen = []
    else:
        chosen = regs[:1]
    return {f for f in (*out, *chosen) if f and f != "zero"}


def _writeback_base(ins: Instruction) -> str | None:
    """ARM64 pre-index `[x8,#-8]!` and post-index `[x8],#8` write their base register."""
    for i, op in enumerate(ins.operands):
        post = i + 1 < len(ins.operands) and ins.operands[i + 1].kind == "immediate"
        if op.kind == "memory" and (op.writeback or post):
            return family(op.base, "arm64")
    return None


# ----------------------------------------------------------------------------- the listing as a graph

_NO_FALL_THROUGH = frozenset({"ret", "retn", "retf", "iret", "iretd", "iretq", "jmp", "ud2", "int3"})
_ARM_NO_FALL_THROUGH = frozenset({"b", "br", "ret", "brk", "udf"})


@dataclass(slots=True)
class Listing:
    """Every listed instruction by address, and what leads into each address: the instruction
    before it when that falls through, and the branches that target it."""

    at: dict[int, Listed] = field(default_factory=dict)
    into: dict[int, list[Listed]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, session: Session) -> Listing:
        g = cls()
        for listing in session.listings:
            for item in listing:
                g.at.setdefault(item.address, item)
        for item in g.at.values():
            length = instruction_length(item.instruction)
            if length is not None and falls_through(item.instruction, session.arch):
                g.into[item.address + length].append(item)
            if (target := branch_target(item.instruction)) is not None:
                g.into[target].append(item)
        return g


def falls_through(ins: Instruction, arch: str | None) -> bool:
    m = ins.mnemonic.lower()
    if arch == "arm64":
        return m not in _ARM_NO_FALL_THROUGH
    if m == "int" and ins.text.lower() in ("3", "29h", "0x29"):
        return False  # a breakpoint, __fastfail
    return m not in _NO_FALL_THROUGH


def branch_target(ins: Instruction) -> int | None:
    """Where a jump (not a call) goes, when it names its target."""
    m = ins.mnemonic.lower()
    if not ins.target or m in ("call", "bl", "blr"):
        return None
    return hex_value(ins.target.address)


@dataclass(slots=True)
class Walk:
    """What walking back from the fault found: the writers with one path from each to the fault
    (writer first, the fault left out), and whether some path left the listing without one."""

    writers: dict[int, list[Listed]] = field(default_factory=dict)
    open_end: bool = False


def walk_back(g: Listing, fault: int, reg: str, arch: str | None) -> Walk:
    result = Walk()
    seen: set[int] = set()
    todo: list[tuple[int, list[Listed]]] = [(fault, [])]
    while todo:
        address, path = todo.pop()
        before = g.into.get(address, [])
        if not before:
            result.open_end = True
        for item in before:
            if item.address in seen:
                continue
            seen.add(item.address)
            if reg in writes(item.instruction, arch):
                result.writers.setdefault(item.address, [item, *path])
            else:
                todo.append((item.address, [item, *path]))
    return result


# ----------------------------------------------------------------------------- checks on the path

_X86_CONDITIONS = {
    "e": "e", "z": "e", "ne": "ne", "nz": "ne", "b": "b", "c": "b", "nae": "b", "ae": "ae",
    "nb": "ae", "nc": "ae", "be": "be", "na": "be", "a": "a", "nbe": "a", "l": "l", "nge": "l",
    "ge": "ge", "nl": "ge", "le": "le", "ng": "le", "g": "g", "nle": "g", "s": "s", "ns": "ns",
}  # fmt: skip
_ARM_CONDITIONS = {
    "eq": "e", "ne": "ne", "hs": "ae", "cs": "ae", "lo": "b", "cc": "b", "hi": "a", "ls": "be",
    "ge": "ge", "lt": "l", "gt": "g", "le": "le", "mi": "s", "pl": "ns",
}  # fmt: skip
_NEGATE = {"e": "ne", "b": "ae", "be": "a", "l": "ge", "le": "g", "s": "ns"}
_NEGATE |= {v: k for k, v in _NEGATE.items()}
_RELATION = {
    "e": ("==", ""), "ne": ("!=", ""), "b": ("<", " (unsigned)"), "ae": (">=", " (unsigned)"),
    "be": ("<=", " (unsigned)"), "a": (">", " (unsigned)"), "l": ("<", " (signed)"),
    "ge": (">=", " (signed)"), "le": ("<=", " (signed)"), "g": (">", " (signed)"),
}  # fmt: skip


def _relation(lhs: str, cc: str, rhs: str) -> str:
    """`rsi != 0`, `ecx < 0x10 (unsigned)`."""
    op, note = _RELATION[cc]
    return f"{lhs} {op} {rhs}{note}"


@dataclass(slots=True)
class Check:
    """A test of the register and the conditional branch after it, on the path to the fault:
    the condition a value must meet to go on towards the fault, and whether the value met it."""

    setter: Listed | None
    branch: Listed
    reaching: str
    zero_only: bool
    passed: bool | None


@dataclass(frozen=True, slots=True)
class Flags:
    """x86-style flags (`carry` is a borrow; ARM64's C is its inverse after a compare)."""

    zero: bool
    carry: bool
    sign: bool
    overflow: bool


@dataclass(slots=True)
class Context:
    """What the checks need: the register tracked, its value, the register set, the path."""

    reg: str
    value: int | None
    rs: RegisterSet | None
    arch: str | None
    path: list[Listed]
    fault: int


def checks(ctx: Context) -> list[Check]:
    out = []
    run = ctx.path
    for i, item in enumerate(run):
        after = run[i + 1].address if i + 1 < len(run) else ctx.fault
        check = _check_at(ctx, i, item, after)
        if check is not None:
            out.append(check)
    return out


def _check_at(ctx: Context, i: int, item: Listed, after: int) -> Check | None:
    ins, arch = item.instruction, ctx.arch
    target, length = branch_target(ins), instruction_length(ins)
    if target is None or length is None or target == item.address + length:
        return None
    taken = after == target
    m = ins.mnemonic.lower()
    if arch == "arm64" and m in ("cbz", "cbnz", "tbz", "tbnz"):
        return _arm_branch_check(ctx, item, taken)
    cc = _condition(m, arch)
    setter = ctx.path[i - 1] if i > 0 else None
    if cc is None or setter is None:
        return None
    return _flag_check(ctx, setter, item, cc if taken else _NEGATE.get(cc))


def _condition(mnemonic: str, arch: str | None) -> str | None:
    if arch == "arm64":
        return _ARM_CONDITIONS.get(mnemonic[2:]) if mnemonic.startswith("b.") else None
    return _X86_CONDITIONS.get(mnemonic[1:]) if mnemonic.startswith("j") and mnemonic != "jmp" else None


def _arm_branch_check(ctx: Context, item: Listed, taken: bool) -> Check | None:
    ops = item.instruction.operands
    name = ops[0].register if ops and ops[0].kind == "register" else None
    if family(name, ctx.arch) != ctx.reg or name is None:
        return None
    value = _value(ctx, name)
    m = item.instruction.mnemonic.lower()
    if m in ("cbz", "cbnz"):
        need_zero = (m == "cbz") == taken
        passed = None if value is None else (value == 0) == need_zero
        return Check(None, item, f"{name} {'==' if need_zero else '!='} 0", not need_zero, passed)
    bit = hex_value((ops[1].value or "").lstrip("#")) if len(ops) > 1 else None
    if bit is None:
        return None
    need_clear = (m == "tbz") == taken
    passed = None if value is None else (not (value >> bit) & 1) == need_clear
    return Check(None, item, f"bit {bit} of {name} {'clear' if need_clear else 'set'}", False, passed)


def _flag_check(ctx: Context, setter: Listed, branch: Listed, cc: str | None) -> Check | None:
    """A `test`/`cmp` (ARM64 `tst`/`cmp`/`cmn`) of the register, then a conditional branch."""
    m, ops = setter.instruction.mnemonic.lower(), setter.instruction.operands
    if cc is None or m not in ("test", "cmp", "tst", "cmn") or len(ops) != 2:
        return None
    lhs, rhs = ops
    lhs_alias = alias(lhs.register, ctx.arch)
    if lhs.kind != "register" or lhs_alias is None or lhs_alias.family != ctx.reg:
        return None
    left = _value(ctx, lhs.register)
    right = _imm(rhs) if rhs.kind == "immediate" else _value(ctx, rhs.register)
    passed = None
    if left is not None and right is not None:
        passed = _holds(cc, _flags(m, left, right, lhs_alias.width, ctx.arch))
    if m in ("test", "tst"):
        return _test_check(ctx, setter, branch, cc, passed)
    if m == "cmp" and _imm(rhs) == 0 and cc in ("e", "ne"):
        return Check(setter, branch, _relation(lhs.text, cc, "0"), cc == "ne", passed)
    if cc in ("s", "ns"):
        sign = "negative" if cc == "s" else "not negative"
        return Check(setter, branch, f"{lhs.text} - {rhs.text} {sign}", False, passed)
    shown = f"-{rhs.text}" if m == "cmn" else rhs.text
    return Check(setter, branch, _relation(lhs.text, cc, shown), False, passed)


# After `test` / `tst` the carry and overflow flags are clear (ARM64: C clear, which these
# flags hold as a borrow), so each condition is one on the sign or zero of the AND; None: always
# or never true, no check at all.
_AFTER_TEST = {
    None: {"e": "e", "ne": "ne", "s": "s", "ns": "ns", "be": "e", "a": "ne", "l": "s", "ge": "ns",
           "le": "le", "g": "g"},
    "arm64": {"e": "e", "ne": "ne", "s": "s", "ns": "ns", "l": "s", "ge": "ns", "le": "le", "g": "g"},
}  # fmt: skip


def _test_check(ctx: Context, setter: Listed, branch: Listed, cc: str, passed: bool | None) -> Check | None:
    lhs, rhs = setter.instruction.operands
    cc_test = _AFTER_TEST["arm64" if ctx.arch == "arm64" else None].get(cc)
    if cc_test is None:
        return None
    shown = lhs.text if lhs.text == rhs.text else f"{lhs.text} & {rhs.text}"
    if cc_test in ("s", "ns"):
        return Check(
            setter, branch, f"top bit of {shown} {'set' if cc_test == 's' else 'clear'}", False, passed
        )
    zero_only = cc_test == "ne" and lhs.text == rhs.text
    return Check(setter, branch, _relation(shown, cc_test, "0"), zero_only, passed)


def _imm(op: Operand) -> int | None:
    if op.kind != "immediate" or op.value is None:
        return None
    value = hex_value(op.value.lstrip("-"))
    return None if value is None else (-value if op.value.startswith("-") else value)


def _value(ctx: Context, name: str | None) -> int | None:
    """The tracked register's value (or the bits a sub-register names) at the check: its value
    at the fault, as nothing rewrote it since. Another register may have changed: None."""
    if family(name, ctx.arch) != ctx.reg or ctx.value is None or name is None:
        return None
    return trusted_value(ctx.rs, name, ctx.arch)


def _flags(mnemonic: str, left: int, right: int, width: int, arch: str | None) -> Flags:
    mask, top = (1 << width) - 1, 1 << (width - 1)
    left, right = left & mask, right & mask
    if mnemonic in ("test", "tst"):
        r = left & right
        return Flags(r == 0, arch == "arm64", bool(r & top), False)
    if mnemonic == "cmn":
        r = (left + right) & mask
        overflow = (left & top) == (right & top) != (r & top)
        return Flags(r == 0, left + right <= mask, bool(r & top), overflow)
    r = (left - right) & mask
    overflow = (left & top) != (right & top) and (r & top) != (left & top)
    return Flags(r == 0, left < right, bool(r & top), overflow)


def _holds(cc: str, f: Flags) -> bool:
    return {
        "e": f.zero, "ne": not f.zero, "b": f.carry, "ae": not f.carry,
        "be": f.carry or f.zero, "a": not (f.carry or f.zero),
        "l": f.sign != f.overflow, "ge": f.sign == f.overflow,
        "le": f.zero or f.sign != f.overflow, "g": not f.zero and f.sign == f.overflow,
        "s": f.sign, "ns": not f.sign,
    }[cc]  # fmt: skip


# ----------------------------------------------------------------------------- the rule


@dataclass(slots=True)
class Found:
    """The origin worked out, with what the message and the evidence need."""

    session: Session
    fault: Fault
    reg: str
    writer: Listed
    path: list[Listed]
    source: Operand | None
    source_address: int | None
    blocked_by: str | None
    checks: list[Check]
    value: int | None
    listed: bool

    @property
    def arch(self) -> str | None:
        return self.session.arch


def find(session: Session) -> list[Finding]:
    found = _origin(session)
    if found is None:
        return []
    loaded = found.source if found.source and found.source.kind == "memory" and not _is_lea(found) else None
    address = found.source_address if loaded else None
    zero_check = next((c.branch for c in found.checks if c.zero_only), None)
    session.origin = Origin(found.reg, found.value, found.writer, loaded, address, found.path, zero_check)
    return [_finding(found)]


def _is_lea(f: Found) -> bool:
    """`lea` computes an address from its memory operand and reads nothing there."""
    return f.writer.instruction.mnemonic.lower() == "lea"


def _origin(session: Session) -> Found | None:
    fault = session.fault
    if fault is None or fault.operand is None or fault.registers is None:
        return None
    reg = fault.operand.base or fault.operand.index
    fam, address = family(reg, session.arch), hex_value(fault.instruction.address)
    if reg is None or fam in (None, "rsp", "sp", "rip", "pc", "zero") or address is None:
        return None
    g = Listing.of(session)
    walk = walk_back(g, address, fam, session.arch)
    if walk.open_end or len(walk.writers) != 1:
        return None
    path = next(iter(walk.writers.values()))
    writer = path[0]
    if _clobbered_only(writer.instruction, fam, session.arch):
        return None
    value = trusted_value(fault.registers, reg, session.arch)
    source, source_address, blocked = _source(session, fault, writer, path)
    ctx = Context(fam, value, fault.registers, session.arch, path, address)
    return Found(
        session,
        fault,
        reg,
        writer,
        path,
        source,
        source_address,
        blocked,
        checks(ctx),
        value,
        address in g.at,
    )


def _clobbered_only(ins: Instruction, fam: str, arch: str | None) -> bool:
    """A call writes the return register with its result; any other volatile one it just
    clobbers, and where the value came from is then not shown."""
    m = ins.mnemonic.lower()
    return m in ("call", "bl", "blr") and fam != _RETURN_REGISTER.get(arch or "x64", "rax")


def _source(
    session: Session, fault: Fault, writer: Listed, path: list[Listed]
) -> tuple[Operand | None, int | None, str | None]:
    """The memory operand (or register) the writer read, its address when the registers it uses
    still hold at the fault what they held at the load, and else why not."""
    ins, arch = writer.instruction, session.arch
    if ins.mnemonic.lower() in ("call", "bl", "blr"):
        return None, None, None
    memory = next((op for op in ins.operands if op.kind == "memory"), None)
    if memory is None:
        return _copied(ins), None, None
    if (memory.segment or "").lower() in ("fs", "gs"):
        return memory, None, f"{memory.segment}: has a base the session does not show"
    for name in operand_registers(memory):
        fam = family(name, arch)
        changed = next((item for item in path if fam in writes(item.instruction, arch)), None)
        if changed is writer:
            return memory, None, f"the load itself overwrites {name}"
        if changed is not None:
            return memory, None, f"{name} is written again at {show(changed.address, arch)}"
    address, _ = effective_address(memory, ins, fault.registers, arch)
    if address is None:
        return memory, None, "its registers are not shown"
    return memory, address, None


def _copied(ins: Instruction) -> Operand | None:
    """The register or constant a plain move copies (`mov rsi,rdx`, `mov x8,#0`), else None."""
    m, ops = ins.mnemonic.lower(), ins.operands
    if len(ops) != 2 or not (m == "mov" or m.startswith(("movzx", "movsx", "sxt", "uxt"))):
        return None
    return ops[1] if ops[1].kind in ("register", "immediate") else None


def _zeroing(ins: Instruction) -> bool:
    """`xor esi,esi`, `sub eax,eax`: the register is set to zero."""
    ops = ins.operands
    return ins.mnemonic.lower() in ("xor", "sub", "eor") and len(ops) >= 2 and ops[0].text == ops[1].text


# ----------------------------------------------------------------------------- message, evidence


def _finding(f: Found) -> Finding:
    return Finding("value-origin", _severity(f), _message(f), _evidence(f), [], _values(f))


def _severity(f: Found) -> str:
    if any(c.passed is False for c in f.checks):
        return "warning"
    return "warning" if _bad(f) and any(c.passed for c in f.checks) else "info"


def _bad(f: Found) -> bool:
    """The register's value, or the address the fault computed from it, is of a bad class."""
    ip = hex_value(f.fault.instruction.address) or 0
    kernel_mode = is_kernel(ip, f.arch)
    values = [v for v in (f.value, f.fault.address) if v is not None]
    return any(address_classes(v, f.arch, kernel_mode) for v in values)


def _message(f: Found) -> str:
    return f"{_loaded(f)}; {_checked(f)}."


def _loaded(f: Found) -> str:
    ins, arch = f.writer.instruction, f.arch
    where = f"`{instruction_text(ins)}` at {show(f.writer.address, arch)}"
    m = ins.mnemonic.lower()
    if m in ("call", "bl", "blr"):
        return f"{f.reg} holds the return value of the call {where}"
    if _zeroing(ins):
        return f"{f.reg} was zeroed by {where}"
    if f.source is None:
        return f"{f.reg} was last written by {where}"
    if f.source.kind == "immediate":
        return f"{f.reg} was set to {f.source.text} by {where}"
    if f.source.kind != "memory":
        return f"{f.reg} was copied from {f.source.text} by {where}"
    if _is_lea(f):
        return _computed(f, where)
    text = f"{f.reg} was loaded by {where}"
    if f.source_address is not None:
        return f"{text} from {expression(f.source)} = {show(f.source_address, arch)}"
    return f"{text} from {f.source.text} ({f.blocked_by})" if f.blocked_by else f"{text} from {f.source.text}"


def _computed(f: Found, where: str) -> str:
    """`lea`: the address it computes from the registers, compared with the register's value."""
    text = f"{f.reg} was computed by {where}"
    if f.source_address is None:
        return text
    text += f" = {show(f.source_address, f.arch)}"
    dest = alias(f.writer.instruction.operands[0].register, f.arch)
    mask = (1 << dest.width) - 1 if dest else (1 << 64) - 1
    if f.value is not None and f.value & mask != f.source_address & mask:
        text += f", yet {f.reg} = {show(f.value, f.arch)} at the fault"
    return text


def _checked(f: Found) -> str:
    if not f.checks:
        return f"no check of {f.reg} lies on the path from there to the fault"
    return "; ".join(_check_text(f, c) for c in f.checks)


def _check_text(f: Found, c: Check) -> str:
    pair = _pair(c)
    where = show((c.setter or c.branch).address, f.arch)
    value = show(f.value, f.arch) if f.value is not None else None
    if c.zero_only:
        head = f"the {pair} at {where} only stops a zero value"
    else:
        head = f"the {pair} at {where} lets only {c.reaching} reach the fault"
    if c.passed is None or value is None:
        return head
    if c.passed:
        return f"{head}, and {value} passed it"
    return f"{head}, yet {f.reg} = {value} at the fault: the registers or the path do not match what ran"


def _pair(c: Check) -> str:
    """`test rsi,rsi` / `jne`, or `cbz x8` for a branch that tests the register itself."""
    branch = c.branch.instruction
    if c.setter is None:
        return f"`{branch.mnemonic} {branch.operands[0].text}`"
    return f"`{instruction_text(c.setter.instruction)}` / `{branch.mnemonic}`"


def _evidence(f: Found) -> list[Evidence]:
    s = f.session
    out = [s.cite(f.writer.instruction.line, f"{f.reg} written here")]
    for c in f.checks:
        if c.setter:
            out.append(s.cite(c.setter.instruction.line, f"checks {f.reg}"))
        out.append(s.cite(c.branch.instruction.line, f"goes on to the fault only when {c.reaching}"))
    if not f.listed:
        out.append(_unlisted_fault(f))
    out.append(s.cite(f.fault.line, f"the fault uses {f.reg}"))
    out.extend(_register_evidence(f))
    return merged(out)


def _unlisted_fault(f: Found) -> Evidence:
    """The faulting instruction is not in the listing: how the last instruction leads to it."""
    last, arch = f.path[-1], f.arch
    fault = show(hex_value(f.fault.instruction.address) or 0, arch)
    size = instruction_length(last.instruction)
    if branch_target(last.instruction) == hex_value(f.fault.instruction.address):
        note = f"the faulting instruction {fault} is not listed: this branch goes to it"
    else:
        note = f"the faulting instruction {fault} is not listed: this one's {size} bytes end there"
    return f.session.cite(last.instruction.line, note)


def _register_evidence(f: Found) -> list[Evidence]:
    rs, arch = f.fault.registers, f.arch
    names = [f.reg]
    if f.source_address is not None and f.source is not None:
        names.extend(operand_registers(f.source))
    out = []
    for name in dict.fromkeys(names):
        value = trusted_value(rs, name, arch)
        if rs is not None and value is not None:
            out.append(
                f.session.cite(register_line(f.session, rs, name, arch), f"{name} = {show(value, arch)}")
            )
    return out


def _values(f: Found) -> dict[str, str]:
    values = {
        "register": f.reg,
        "load_address": f"0x{f.writer.address:x}",
        "load_instruction": instruction_text(f.writer.instruction),
        "checks": "; ".join(_check_value(f, c) for c in f.checks),
        "path": ",".join(f"0x{item.address:x}" for item in f.path),
        "fault_listed": "yes" if f.listed else "no",
    }
    if f.value is not None:
        values["value"] = f"0x{f.value:x}"
    if f.source is not None:
        values["source_operand"] = f.source.text
    if f.source_address is not None:
        values["source_address"] = f"0x{f.source_address:x}"
    return values


def _check_value(f: Found, c: Check) -> str:
    where = f"0x{(c.setter or c.branch).address:x}"
    passed = {True: "passed", False: "failed", None: "unknown"}[c.passed]
    return f"{_pair(c).replace('`', '')} at {where}: {c.reaching} ({passed})"
