"""Where the session says a fault happened: READ/WRITE_ADDRESS, exception parameters, the bug
check arguments that name the referenced address, WinDbg's memory annotation — and whether the
address an instruction computes agrees with them."""

from __future__ import annotations

from dataclasses import dataclass

from crashsift.evidence.addresses import is_canonical
from crashsift.evidence.session import Session
from crashsift.hexutil import hex_value
from crashsift.parsers.disasm import Instruction

# ----------------------------------------------------------------------------- reported addresses


@dataclass(frozen=True, slots=True)
class Reported:
    """An address the session says the fault was at, where it says so."""

    source: str
    value: int
    line: int | None


_MEMORY_EXCEPTIONS = frozenset({0xC0000005, 0xC0000006, 0x80000002})
# Bug checks whose Arg1 is the memory referenced: IRQL_NOT_LESS_OR_EQUAL,
# DRIVER_IRQL_NOT_LESS_OR_EQUAL, PAGE_FAULT_IN_NONPAGED_AREA, ATTEMPTED_WRITE_TO_READONLY_MEMORY.
_ARG1_ADDRESS = frozenset({0xA, 0xD1, 0x50, 0xBE})
_KMODE_EXCEPTION = 0x1E  # KMODE_EXCEPTION_NOT_HANDLED: Arg4 is the exception's parameter 1
# Bug checks whose Arg1 is the exception code: KMODE_EXCEPTION_NOT_HANDLED,
# SYSTEM_SERVICE_EXCEPTION, SYSTEM_THREAD_EXCEPTION_NOT_HANDLED, KERNEL_MODE_EXCEPTION_NOT_HANDLED.
_EXCEPTION_BUGCHECKS = frozenset({0x1E, 0x3B, 0x7E, 0x8E})
_M_VARIANT = 0x1000_0000  # 0x1000000A, 0x1000007E…: the same bug check, the same arguments


def bugcheck_code(session: Session) -> int | None:
    bc = session.report.bugcheck
    code = hex_value(bc.code) if bc else None
    return None if code is None else code & ~_M_VARIANT


def exception_code(session: Session) -> int | None:
    """The exception's code, or the one a bug check gives as Arg1 (0x3B, 0x7E…)."""
    exc, bc = session.report.exception, session.report.bugcheck
    code = hex_value(exc.code) if exc else None
    if code is None and bc and bc.args and bugcheck_code(session) in _EXCEPTION_BUGCHECKS:
        code = hex_value(bc.args[0])
    return None if code is None else code & 0xFFFF_FFFF


def memory_fault(session: Session, ins: Instruction | None = None) -> bool | None:
    """True when the session says a memory access faulted (or WinDbg could not read the operand
    of `ins`), False when it says something else happened (a breakpoint, a division by zero…),
    None when it does not say."""
    exc, bug = exception_code(session), bugcheck_code(session)
    unreadable = bool(ins and ins.annotation and set(ins.annotation.raw or "x") == {"?"})
    if exc in _MEMORY_EXCEPTIONS or bug in _ARG1_ADDRESS or session.fault_addresses or unreadable:
        return True
    return None if exc is None and bug is None else False


def reported_addresses(session: Session, ins: Instruction) -> list[Reported]:
    """READ/WRITE_ADDRESS, exception parameters, bug check arguments that mean the referenced
    address, and the `ds:` annotation WinDbg printed after the instruction."""
    out = [Reported(fa.source, fa.value, fa.line) for fa in session.fault_addresses]
    out.extend(_bugcheck_addresses(session))
    note = ins.annotation
    if note and (value := hex_value(note.address)) is not None:
        out.append(Reported("annotation", value, ins.line))
    return out


def _bugcheck_addresses(session: Session) -> list[Reported]:
    bc, code = session.report.bugcheck, bugcheck_code(session)
    if bc is None or code is None:
        return []
    if code in _ARG1_ADDRESS:
        index = 0
    elif code == _KMODE_EXCEPTION and bc.args and hex_value(bc.args[0]) == 0xC0000005:
        index = 3
    else:
        return []
    value = hex_value(bc.args[index]) if len(bc.args) > index else None
    if value is None:
        return []
    src = session.report.source
    line = session.find_line(src.start_line, src.end_line, f"Arg{index + 1}:")
    return [Reported(f"Arg{index + 1}", value, line)]


def agreement(computed: int, size: int | None, reported: int, arch: str | None) -> str | None:
    """How a reported address agrees with the computed one (`same`, `inside` the access,
    `general-protection` for a non-canonical address reported as -1), None when it does not."""
    if reported == computed:
        return "same"
    if computed < reported < computed + (size or 1):
        return "inside"
    if reported == (1 << 64) - 1 and not is_canonical(computed, arch):
        return "general-protection"
    return None
