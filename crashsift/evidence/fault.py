"""fault rule: decode the faulting instruction the way one does by hand.

Pick the instruction the session says faulted and the register set shown at it, take its memory
operand apart, compute the address it used from the register values (sub-registers and 32-bit
addressing included), compare that address with every address the session reports the fault at,
and say what kind of address it is. Leaves `session.fault` for the rules after it. The CPU model
(registers, operands, effective addresses) is `crashsift.evidence.cpu`; the reported fault
addresses are `crashsift.evidence.reported`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crashsift.evidence.addresses import NULL_PAGE, classify, fill_of, is_kernel, show
from crashsift.evidence.cpu import (
    Access,
    accesses,
    address_bits,
    effective_address,
    expression,
    instruction_text,
    operand_registers,
    register_line,
    register_value,
    unsaved,
)
from crashsift.evidence.reported import Reported, agreement, bugcheck_code, memory_fault, reported_addresses
from crashsift.evidence.session import Fault, RegisterSet, Session
from crashsift.hexutil import hex_str, hex_value
from crashsift.model import Evidence, Explanation, Finding
from crashsift.parsers.disasm import Instruction

# ----------------------------------------------------------------------------- choosing


@dataclass(slots=True)
class Chosen:
    instruction: Instruction
    line: int | None
    registers: RegisterSet | None


def choose(session: Session) -> Chosen | None:
    """The faulting instruction and the register set shown at it: a CONTEXT / FAULTING_IP
    instruction with a register set whose ip is its address, else a listing line at a register
    set's ip (when the session says a memory access faulted), else the instruction alone."""
    candidates = sorted(session.fault_instructions, key=lambda c: c[0] != "CONTEXT")
    for _, ins, line in candidates:
        if rs := _registers_at(session, ins):
            return Chosen(ins, line, rs)
    if memory_fault(session):
        for rs in session.register_sets:
            for listing in session.listings:
                hit = next((item for item in listing if item.address == rs.ip), None)
                if hit:
                    return Chosen(hit.instruction, hit.instruction.line, rs)
    if candidates:
        _, ins, line = candidates[0]
        return Chosen(ins, line, None)
    return None


def _registers_at(session: Session, ins: Instruction) -> RegisterSet | None:
    """The register set whose ip is the instruction's address; the instruction's own dump first."""
    address = hex_value(ins.address)
    if address is None:
        return None
    matching = [rs for rs in session.register_sets if rs.ip == address]
    own = [rs for rs in matching if rs.record.instruction is ins]
    return (own or matching or [None])[0]


# ----------------------------------------------------------------------------- classes of address

_NULL_MINUS = "null-minus-offset"
_SEVERITY = {
    "non-canonical": "critical",
    "repeated-byte": "critical",
    "null+offset": "warning",
    _NULL_MINUS: "warning",
    "user-address-in-kernel": "warning",
    "kernel-address-in-user": "warning",
}


def address_classes(value: int, arch: str | None, kernel_mode: bool) -> list[str]:
    """`addresses.classify`, plus `null-minus-offset` for a value just below zero (a NULL
    pointer moved back by a field offset, as CONTAINING_RECORD of NULL gives)."""
    top = 1 << (32 if arch == "x86" else 64)
    if top - NULL_PAGE <= value < top:
        return [_NULL_MINUS]
    return classify(value, arch, kernel_mode)


def severity(classes: list[str]) -> str:
    if any(c.startswith("fill:") for c in classes):
        return "critical"
    ranks = [_SEVERITY.get(c, "info") for c in classes]
    return "critical" if "critical" in ranks else "warning" if "warning" in ranks else "info"


# ----------------------------------------------------------------------------- the rule


@dataclass(slots=True)
class Decode:
    """What the rule worked out, for the message, the values and the evidence."""

    session: Session
    chosen: Chosen
    access: Access
    computed: int | None
    terms: dict[str, int]
    reported: list[Reported]
    subject: int | None
    classes: list[str]
    known_fault: bool

    @property
    def arch(self) -> str | None:
        return self.session.arch


def find(session: Session) -> list[Finding]:
    chosen = choose(session)
    known = memory_fault(session, chosen.instruction if chosen else None)
    if chosen is None or known is False:
        return []
    picked = _pick_access(session, chosen)
    if picked is None:
        return []
    access, computed, terms = picked
    reported = reported_addresses(session, chosen.instruction)
    subject = _subject(computed, reported)
    kernel_mode = _kernel_mode(session, chosen.instruction)
    classes = address_classes(subject, session.arch, kernel_mode) if subject is not None else []
    d = Decode(session, chosen, access, computed, terms, reported, subject, classes, known is True)
    session.fault = Fault(chosen.instruction, chosen.line, chosen.registers, access.operand, computed, terms)
    findings = [_decode_finding(d)]
    if mismatch := _mismatch_finding(d):
        findings.append(mismatch)
    return findings


def _pick_access(session: Session, chosen: Chosen) -> tuple[Access, int | None, dict[str, int]] | None:
    """The memory operand that faulted: the one whose address a report gives, else the first."""
    arch, ins, rs = session.arch, chosen.instruction, chosen.registers
    found = [(a, *effective_address(a.operand, ins, rs, arch)) for a in accesses(ins, arch)]
    if not found:
        return None
    values = {r.value for r in reported_addresses(session, ins)}
    return next((f for f in found if f[1] in values), found[0])


def _subject(computed: int | None, reported: list[Reported]) -> int | None:
    """The address to classify: the computed one when its registers are trusted, else the one
    the session reports (not -1, which only says "general-protection fault")."""
    if computed is not None:
        return computed
    usable = [r for r in reported if r.value != (1 << 64) - 1]
    return usable[0].value if usable else None


def _kernel_mode(session: Session, ins: Instruction) -> bool:
    ip = hex_value(ins.address)
    return is_kernel(ip, session.arch) if ip is not None else session.kernel


def _decode_finding(d: Decode) -> Finding:
    values = _values(d)
    return Finding(
        "fault-decode",
        "warning" if _general_protection(d) else severity(d.classes),
        _message(d),
        _decode_evidence(d),
        _explanations(d),
        values,
    )


def _values(d: Decode) -> dict[str, str]:
    op, ins = d.access.operand, d.chosen.instruction
    values = {
        "instruction": instruction_text(ins),
        "instruction_address": hex_str(ins.address) or "",
        "operand": op.text,
        "access": d.access.kind,
        "expression": expression(op),
        "displacement": op.displacement or "0x0",
        "address_class": ",".join(d.classes) or "ordinary",
    }
    if d.access.size:
        values["size"] = str(d.access.size)
    if d.computed is not None:
        values["effective_address"] = f"0x{d.computed:x}"
    elif d.subject is not None:
        values["reported_address"] = f"0x{d.subject:x}"
    implied = _implied(d, d.subject) if d.computed is None and d.subject is not None else None
    for role, name in (("base", op.base), ("index", op.index)):
        if name:
            values[role] = name
            if name in d.terms:
                values[f"{role}_value"] = f"0x{d.terms[name]:x}"
            elif implied is not None:
                values[f"implied_{role}_value"] = f"0x{implied:x}"
    if op.index:
        values["scale"] = str(op.scale or 1)
    if d.chosen.registers:
        values["register_set"] = d.chosen.registers.source
    return values


_VERBS = {"read": ("tried to read", "reads"), "write": ("tried to write", "writes")}


def _message(d: Decode) -> str:
    ins, op, arch = d.chosen.instruction, d.access.operand, d.arch
    verb = _VERBS.get(d.access.kind, ("tried to update", "updates"))[0 if d.known_fault else 1]
    size = {None: "memory", 1: "1 byte"}.get(d.access.size, f"{d.access.size} bytes")
    head = f"`{instruction_text(ins)}` {verb} {size} at {expression(op)}"
    if d.computed is not None and operand_registers(op):
        head += f" = {show(d.computed, arch)}"
    return f"{head}; {_about(d)}."


def _about(d: Decode) -> str:
    """The second half of the message: what the address and its registers are."""
    if d.subject is None:
        return _unknown_address(d)
    prefix = "" if d.computed is not None else _from_report(d)
    return prefix + _class_text(d)


def _general_protection(d: Decode) -> bool:
    """The address is unknown but reported as -1: a general-protection fault."""
    return d.subject is None and any(r.value == (1 << 64) - 1 for r in d.reported)


def _unknown_address(d: Decode) -> str:
    if _general_protection(d):
        regs = " or ".join(operand_registers(d.access.operand)) or "the address"
        return (
            "the fault address is reported as ffffffff`ffffffff, which Windows gives for a "
            f"general-protection fault: {regs} most likely held a non-canonical value"
        )
    return "no register dump at this instruction is shown, so the address is not known"


def _from_report(d: Decode) -> str:
    """`rsi` was not saved or not shown: the address comes from the report (and the register
    from it, when it is the only unknown)."""
    source = next(r.source for r in d.reported if r.value == d.subject)
    text = f"{source} reports {show(d.subject or 0, d.arch)}"
    missing = [r for r in operand_registers(d.access.operand) if r not in d.terms]
    implied = _implied(d, d.subject or 0)
    if len(missing) == 1 and implied is not None:
        if unsaved(d.chosen.registers, missing[0], d.arch):
            text += f", so {missing[0]} (which the trap frame does not save) was {show(implied, d.arch)}"
        else:
            text += f", so {missing[0]} must have been {show(implied, d.arch)}"
    return text + "; "


def _implied(d: Decode, reported: int) -> int | None:
    """The value the one unknown register of the operand must have had for `reported`."""
    op = d.access.operand
    missing = [r for r in operand_registers(op) if r not in d.terms]
    if len(missing) != 1 or (op.index == missing[0] and (op.scale or 1) != 1):
        return None
    known = sum(v * ((op.scale or 1) if r == op.index else 1) for r, v in d.terms.items())
    disp = hex_value((op.displacement or "0").lstrip("-")) or 0
    disp = -disp if (op.displacement or "").startswith("-") else disp
    return (reported - known - disp) % (1 << address_bits(op, d.arch))


def _class_text(d: Decode) -> str:
    value, arch = d.subject or 0, d.arch
    base = _main_register(d)
    if base and base[1] < NULL_PAGE:  # a small index or offset added to an address: not the pointer
        base = None
    named = f"{base[0]} = {show(base[1], arch)}" if base else show(value, arch)
    if "null+offset" in d.classes:
        return _null_text(d, value)
    if _NULL_MINUS in d.classes:
        return f"{show(value, arch)} is NULL - 0x{(1 << (32 if arch == 'x86' else 64)) - value:x}: " + (
            "a NULL pointer moved back by a field offset (CONTAINING_RECORD of a NULL pointer)"
        )
    if "non-canonical" in d.classes:
        return f"{show(value, arch)} is non-canonical (bits 63-47 differ), so no valid pointer gives it"
    if "user-address-in-kernel" in d.classes:
        return f"{named} is {'not NULL: it is ' if base else ''}a user-mode address used in kernel mode"
    if "kernel-address-in-user" in d.classes:
        return f"{named} is a kernel-mode address, which user-mode code cannot touch"
    if fill := fill_of(value) or (fill_of(base[1]) if base else None):
        return f"{named} is a fill pattern: {fill.meaning}"
    if "repeated-byte" in d.classes:
        return f"{show(value, arch)} is one byte repeated: memory overwritten with a pattern, not a pointer"
    space = "kernel" if is_kernel(value, arch) else "user"
    done = {"read": "read", "write": "written"}.get(d.access.kind, "accessed")
    return (
        f"{show(value, arch)} is an ordinary {space}-mode address: "
        f"a well-formed pointer to memory that could not be {done}"
    )


def _null_text(d: Decode, value: int) -> str:
    base = _main_register(d)
    if value == 0:
        return "the address is NULL"
    if base and base[1] == 0 and base[0] == d.access.operand.base:
        return f"{base[0]} is NULL, so this is a NULL structure pointer and +0x{value:x} the field accessed"
    return f"{show(value, d.arch)} is NULL + 0x{value:x}: inside the never-mapped first 64 KB"


def _main_register(d: Decode) -> tuple[str, int] | None:
    """The base register and its value (or the index when there is no base), when known."""
    op = d.access.operand
    name = op.base or op.index
    return (name, d.terms[name]) if name and name in d.terms else None


# ----------------------------------------------------------------------------- explanations


def _explanations(d: Decode) -> list[Explanation]:
    out: list[Explanation] = []
    value = d.subject or 0
    if "null+offset" in d.classes or _NULL_MINUS in d.classes:
        out.append(_null_explanation(d, value))
    if "non-canonical" in d.classes:
        out.append(Explanation("corrupted-pointer", "strong", [f"{show(value, d.arch)} is non-canonical"]))
    if "user-address-in-kernel" in d.classes:
        out.extend(_user_in_kernel(d))
    if "kernel-address-in-user" in d.classes:
        out.append(
            Explanation("corrupted-pointer", "moderate", [f"{show(value, d.arch)} is a kernel address"])
        )
    base = _main_register(d)
    for v in {value, *([base[1]] if base else [])}:
        if fill := fill_of(v):
            out.append(Explanation(_FILL_CAUSES.get(fill.cause, fill.cause), "strong", [fill.meaning]))
    if "repeated-byte" in d.classes:
        out.append(Explanation("memory-overwrite", "moderate", [f"{show(value, d.arch)} repeats one byte"]))
    if not d.classes and d.subject is not None and d.known_fault:
        out.extend(_ordinary(d))
    if _general_protection(d):
        gp = "the fault address is reported as -1: a general-protection fault, not a page fault"
        out.append(Explanation("corrupted-pointer", "moderate", [gp, "a non-canonical pointer raises one"]))
    return out


_FILL_CAUSES = {
    "uninitialised": "uninitialised-memory",
    "freed": "use-after-free",
    "overrun": "buffer-overrun",
}


def _null_explanation(d: Decode, value: int) -> Explanation:
    base = _main_register(d)
    offset = value if value < NULL_PAGE else value - (1 << (32 if d.arch == "x86" else 64))
    sign = "+" if offset >= 0 else "-"
    supporting = [f"the address is NULL {sign} 0x{abs(offset):x}" if offset else "the address is NULL"]
    if base and base[1] == 0:
        supporting.append(f"{base[0]} = 0")
    disp = d.access.operand.displacement
    if disp and disp != "0x0":
        supporting.append(f"the operand adds {disp}, a field offset")
    return Explanation("null-pointer", "strong", supporting)


def _user_in_kernel(d: Decode) -> list[Explanation]:
    """A user address in kernel mode: a damaged kernel pointer, or a real user pointer used
    without probing — with what the session shows for and against each."""
    base = _main_register(d)
    value = base[1] if base else d.subject or 0
    shown = show(value, d.arch)
    low_zero = d.arch != "x86" and value & 0xFFFF_FFFF == 0
    syscall = _from_system_call(d.session)
    corrupt = Explanation("corrupted-pointer", "moderate")
    user = Explanation("unprobed-user-pointer", "moderate")
    if low_zero:
        corrupt.supporting.append(f"the low 32 bits of {shown} are zero: a small number in the high half")
        user.against.append(f"the low 32 bits of {shown} are zero, unusual for a user buffer")
        user.strength = "weak"
    if syscall:
        user.supporting.append(f"the thread entered the kernel through a system call ({syscall})")
    else:
        user.against.append("the stack shown does not come from a system call")
    return [corrupt, user]


def _from_system_call(session: Session) -> str | None:
    for stack in session.report.stacks:
        for frame in stack.frames:
            if frame.function and frame.function.startswith("KiSystemService"):
                return f"{frame.module or 'nt'}!{frame.function}"
    return None


def _ordinary(d: Decode) -> list[Explanation]:
    """A well-formed address that faulted: the memory behind it was not valid."""
    out = [Explanation("freed-or-unmapped-memory", "moderate", ["the address is canonical and not NULL"])]
    if d.access.kind != "read":
        out.append(Explanation("read-only-memory", "weak", ["the access writes"]))
    if bugcheck_code(d.session) in (0xA, 0xD1):
        out.append(
            Explanation("pageable-memory-at-raised-irql", "moderate", ["the bug check is an IRQL fault"])
        )
    return out


# ----------------------------------------------------------------------------- evidence


def _decode_evidence(d: Decode) -> list[Evidence]:
    s, rs = d.session, d.chosen.registers
    note = f"the faulting instruction; its memory operand is {d.access.operand.text}"
    out = [s.cite(d.chosen.line, note)]
    if d.chosen.line is None:
        out[0] = Evidence(None, instruction_text(d.chosen.instruction), note)
    if rs is not None:
        out.extend(_register_evidence(d, rs))
    out.extend(_reported_evidence(d, r) for r in d.reported)
    return merged(out)


def merged(evidence: list[Evidence]) -> list[Evidence]:
    """One entry per line cited, the notes joined, in the order first cited (no line: kept)."""
    out: list[Evidence] = []
    by_line: dict[int, Evidence] = {}
    for ev in evidence:
        first = by_line.get(ev.line) if ev.line is not None else None
        if first is None:
            out.append(Evidence(ev.line, ev.text, ev.note))
            if ev.line is not None:
                by_line[ev.line] = out[-1]
        elif ev.note and ev.note not in first.note:
            first.note = f"{first.note}; {ev.note}" if first.note else ev.note
    return out


def _register_evidence(d: Decode, rs: RegisterSet) -> list[Evidence]:
    out = []
    for name in operand_registers(d.access.operand):
        line = register_line(d.session, rs, name, d.arch)
        value = register_value(rs, name, d.arch)
        if value is None:
            continue
        note = f"{name} = {show(value, d.arch)}"
        if unsaved(rs, name, d.arch):
            note += " (not saved by this trap frame: not its value at the fault)"
        out.append(d.session.cite(line, note))
    return out


def _reported_evidence(d: Decode, r: Reported) -> Evidence:
    shown = show(r.value, d.arch)
    note = f"{r.source} = {shown}"
    if r.source == "annotation":
        note = f"WinDbg's annotation {shown}, computed from the registers as printed"
    computed = _raw_computed(d)
    if computed is not None:
        note += _agreement_note(d, computed, r.value)
    if r.line is None:
        return Evidence(None, f"{r.source} {shown}", note)
    return d.session.cite(r.line, note)


def _agreement_note(d: Decode, computed: int, reported: int) -> str:
    what = "the computed address" if d.computed is not None else "the address the printed registers give"
    how = agreement(computed, d.access.size, reported, d.arch)
    if how == "same":
        return f": agrees with {what}"
    if how == "inside":
        return f": inside the {d.access.size}-byte access at {what}, agrees"
    if how == "general-protection":
        return ": what Windows reports for a non-canonical address (general-protection fault), agrees"
    return f": differs from {what}, {show(computed, d.arch)}"


# ----------------------------------------------------------------------------- mismatch


def _mismatch_finding(d: Decode) -> Finding | None:
    """A reported address the computed one (trusted or not) does not agree with."""
    computed = _raw_computed(d)
    if computed is None:
        return None
    differ = [r for r in d.reported if agreement(computed, d.access.size, r.value, d.arch) is None]
    if not differ:
        return None
    first, arch = differ[0], d.arch
    sources = _join(sorted({r.source for r in differ if r.value == first.value}))
    message = (
        f"{sources} report{'s' if ' and ' not in sources else ''} {show(first.value, arch)}, but "
        f"{expression(d.access.operand)} computes to {show(computed, arch)} with the registers shown"
    )
    explanations = _mismatch_explanations(d, computed, first.value)
    lost = [r for r in operand_registers(d.access.operand) if unsaved(d.chosen.registers, r, arch)]
    implied = _implied(d, first.value)
    if len(lost) == 1 and implied is not None:
        printed = show(register_value(d.chosen.registers, lost[0], arch) or 0, arch)
        message += (
            f"; the trap frame does not save {lost[0]}: it was {show(implied, arch)}, not the {printed} shown"
        )
    evidence = [_reported_evidence(d, r) for r in differ]
    evidence.append(d.session.cite(d.chosen.line, f"{expression(d.access.operand)} = {show(computed, arch)}"))
    evidence = merged(evidence)
    values = {"computed_address": f"0x{computed:x}", "reported_address": f"0x{first.value:x}"}
    values["reported_by"] = sources
    return Finding("fault-address-mismatch", "warning", message + ".", evidence, explanations, values)


def _raw_computed(d: Decode) -> int | None:
    """The address from the registers as printed, saved by the trap frame or not."""
    if d.computed is not None:
        return d.computed
    if d.chosen.registers is None:
        return None
    return effective_address(d.access.operand, d.chosen.instruction, d.chosen.registers, d.arch, True)[0]


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _mismatch_explanations(d: Decode, computed: int, reported: int) -> list[Explanation]:
    out: list[Explanation] = []
    rs, op, arch = d.chosen.registers, d.access.operand, d.arch
    lost = [r for r in operand_registers(op) if unsaved(rs, r, arch)]
    if lost:
        implied = _implied(d, reported)
        support = ["WinDbg notes the trap frame does not contain all registers", f"{lost[0]} is non-volatile"]
        if implied is not None and len(lost) == 1:
            printed = show(register_value(rs, lost[0], arch) or 0, arch)
            support.append(f"{lost[0]} was {show(implied, arch)}, not {printed}")
        out.append(Explanation("registers-not-saved", "strong", support))
    if reported == computed & ~0xFFF:
        out.append(
            Explanation(
                "page-rounded", "strong", [f"{show(reported, arch)} is the page of {show(computed, arch)}"]
            )
        )
    out.append(_stale(d))
    out.append(_other_instruction(d))
    return out


def _stale(d: Decode) -> Explanation:
    rs = d.chosen.registers
    against = [f"the ip of the {rs.source} registers is this instruction"] if rs else []
    return Explanation("stale-register-context", "weak", [], against)


def _other_instruction(d: Decode) -> Explanation:
    exc = d.session.report.exception
    ip = hex_value(d.chosen.instruction.address)
    against = []
    if exc and exc.address and hex_value(exc.address) == ip:
        against.append("the exception address is this instruction")
    return Explanation("not-the-faulting-instruction", "weak", [], against)
