"""The fault rule: the faulting instruction decoded, its address computed from the registers and
compared with the addresses the session reports. Every expected value was worked out by hand from
the text of the paste (line numbers read with `cat -n`)."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from crashsift.evidence import fault
from crashsift.evidence.session import Session
from crashsift.model import Finding
from crashsift.parsers.disasm import parse_instruction
from crashsift.pipeline import parse_file, parse_text
from crashsift.repair import repair

KINDS = ("fault-decode", "fault-address-mismatch")


def ours(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind in KINDS]


def of_text(text: str) -> list[Finding]:
    (report,) = parse_text(text)
    return ours(report.findings)


def session_of(text: str) -> Session:
    """The session the rules see, with the fault rule run on it."""
    (report,) = parse_text(text)
    session = Session.of(report, repair(text).lines)
    fault.find(session)
    return session


def line_of(text: str, needle: str) -> int:
    return next(i for i, t in enumerate(text.splitlines(), 1) if needle in t)


# ----------------------------------------------------------------------------- hand-made sessions

BANNER = """\
0: kd> !analyze -v
*******************************************************************************
*                                                                             *
*                        Bugcheck Analysis                                    *
*                                                                             *
*******************************************************************************

"""
X64_NAMES = (
    ("rax", "rbx", "rcx"),
    ("rdx", "rsi", "rdi"),
    ("rip", "rsp", "rbp"),
    ("r8", "r9", "r10"),
    ("r11", "r12", "r13"),
    ("r14", "r15"),
)


def x64_dump(regs: dict[str, int], instruction: str, label: str = "drv!Foo+0x10:") -> str:
    """A CONTEXT-style x64 register dump, every register not given zero."""
    rows = [" ".join(f"{n:>3}={regs.get(n, 0):016x}" for n in row) for row in X64_NAMES]
    rows.append("iopl=0         nv up ei pl zr na po nc")
    rows.append("cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00010246")
    return "\n".join([*rows, label, instruction]) + "\n"


def bugcheck_3b(ip: int, regs: dict[str, int], instruction: str, extra: str = "") -> str:
    """A 0x3B access violation with its CONTEXT."""
    return (
        BANNER
        + "SYSTEM_SERVICE_EXCEPTION (3b)\nArguments:\n"
        + "Arg1: 00000000c0000005, Exception code that caused the bugcheck\n"
        + f"Arg2: {ip:016x}, Address of the instruction which caused the bugcheck\n"
        + "Arg3: ffffd00011111000, Address of the context record for the exception\n"
        + "Arg4: 0000000000000000, zero.\n\n"
        + extra
        + "CONTEXT:  ffffd00011111000 -- (.cxr 0xffffd00011111000)\n"
        + x64_dump({"rip": ip, "rsp": 0xFFFFD00011112000, **regs}, instruction)
        + "Resetting default scope\n"
    )


NULL_FIELD = bugcheck_3b(
    0xFFFFF80012340010,
    {"rcx": 0, "rdx": 0xFFFFE00012345000},
    "fffff800`12340010 8b4118          mov     eax,dword ptr [rcx+18h] ds:002b:00000000`00000018=????????",
)


def test_null_plus_offset() -> None:
    (decode,) = of_text(NULL_FIELD)
    assert decode.severity == "warning"
    assert decode.message == (
        "`mov eax,dword ptr [rcx+18h]` tried to read 4 bytes at rcx+0x18 = 00000000`00000018; "
        "rcx is NULL, so this is a NULL structure pointer and +0x18 the field accessed."
    )
    assert decode.values["effective_address"] == "0x18"
    assert decode.values["base_value"] == "0x0"
    assert decode.values["address_class"] == "null+offset"
    assert [(e.cause, e.strength) for e in decode.explanations] == [("null-pointer", "strong")]
    assert "rcx = 0" in decode.explanations[0].supporting
    ins_line, rcx_line = line_of(NULL_FIELD, "8b4118"), line_of(NULL_FIELD, "rcx=")
    assert [e.line for e in decode.evidence] == [ins_line, rcx_line]
    assert "agrees with the computed address" in decode.evidence[0].note  # the ds: annotation
    session = session_of(NULL_FIELD)
    assert session.fault is not None
    assert (session.fault.address, session.fault.terms) == (0x18, {"rcx": 0})


def test_reported_address_agrees_or_differs() -> None:
    agree = NULL_FIELD.replace("CONTEXT:", "READ_ADDRESS:  0000000000000018\n\nCONTEXT:")
    assert [f.kind for f in of_text(agree)] == ["fault-decode"]
    other = NULL_FIELD.replace("CONTEXT:", "READ_ADDRESS:  0000000000000700\n\nCONTEXT:")
    _, mismatch = of_text(other)
    assert mismatch.kind == "fault-address-mismatch" and mismatch.severity == "warning"
    assert mismatch.message.startswith(
        "READ_ADDRESS reports 00000000`00000700, but rcx+0x18 computes to 00000000`00000018"
    )
    assert mismatch.values == {
        "computed_address": "0x18",
        "reported_address": "0x700",
        "reported_by": "READ_ADDRESS",
    }
    causes = [(e.cause, e.strength) for e in mismatch.explanations]
    assert causes == [("stale-register-context", "weak"), ("not-the-faulting-instruction", "weak")]
    assert mismatch.evidence[0].line == line_of(other, "READ_ADDRESS")


def test_page_of_the_address_is_a_mismatch_explained_by_rounding() -> None:
    ip = 0xFFFFF80012340010
    text = bugcheck_3b(
        ip,
        {"rbx": 0xFFFFE00012345678},
        "fffff800`12340010 488b4308        mov     rax,qword ptr [rbx+8]",
        extra="READ_ADDRESS:  ffffe00012345000\n\n",
    )
    decode, mismatch = of_text(text)
    assert decode.values["effective_address"] == "0xffffe00012345680"
    assert mismatch.explanations[0].cause == "page-rounded"
    assert mismatch.explanations[0].strength == "strong"


def test_no_registers_reports_what_the_text_says() -> None:
    text = (
        BANNER
        + "PAGE_FAULT_IN_NONPAGED_AREA (50)\nArguments:\n"
        + "Arg1: ffffffffffffffe8, memory referenced.\n"
        + "Arg2: 0000000000000000, value 0 = read operation, 1 = write operation.\n"
        + "Arg3: fffff802c8497c2f, If non-zero, the instruction address which referenced the bad memory\n"
        + "Arg4: 0000000000000002, (reserved)\n\n"
        + "READ_ADDRESS:  ffffffffffffffe8\n\n"
        + "FAULTING_IP: \nnt!Foo+4f\nfffff802`c8497c2f 410fb64618      movzx   eax,byte ptr [r14+18h]\n"
    )
    (decode,) = of_text(text)  # nothing to compare: no mismatch
    assert decode.message == (
        "`movzx eax,byte ptr [r14+18h]` tried to read 1 byte at r14+0x18; READ_ADDRESS reports "
        "ffffffff`ffffffe8, so r14 must have been ffffffff`ffffffd0; ffffffff`ffffffe8 is NULL - 0x18: "
        "a NULL pointer moved back by a field offset (CONTAINING_RECORD of a NULL pointer)."
    )
    assert "effective_address" not in decode.values and "base_value" not in decode.values
    assert decode.values["implied_base_value"] == "0xffffffffffffffd0"
    assert decode.values["address_class"] == "null-minus-offset"
    assert [e.line for e in decode.evidence] == [
        line_of(text, "410fb64618"),
        line_of(text, "READ_ADDRESS"),
        line_of(text, "Arg1:"),
    ]
    assert session_of(text).fault.registers is None


def test_registers_at_another_instruction_are_not_used() -> None:
    text = (
        BANNER
        + "SYSTEM_SERVICE_EXCEPTION (3b)\nArguments:\n"
        + "Arg1: 00000000c0000005, Exception code that caused the bugcheck\n"
        + "Arg2: fffff80012340010, Address of the instruction which caused the bugcheck\n\n"
        + "FAULTING_IP: \ndrv!Foo+10\nfffff800`12340010 8b4118          mov     eax,dword ptr [rcx+18h]\n\n"
        + "0: kd> r\n"
        + x64_dump({"rip": 0xFFFFF80012349999, "rcx": 0x1000}, "fffff800`12349999 cc              int     3")
    )
    (decode,) = of_text(text)
    assert "effective_address" not in decode.values and "base_value" not in decode.values
    assert decode.message.endswith(
        "no register dump at this instruction is shown, so the address is not known."
    )
    assert session_of(text).fault.registers is None


GS_LOAD = "fffff800`12340010 65488b042588010000 mov   rax,qword ptr gs:[188h] ds:002b:00000000`00000188=????"


def test_fs_and_gs_operands_are_skipped() -> None:
    text = bugcheck_3b(0xFFFFF80012340010, {}, GS_LOAD)
    assert of_text(text) == []
    assert session_of(text).fault is None
    # the same session with a flat ds: operand is decoded
    (decode,) = of_text(text.replace("gs:[188h]", "ds:[188h]"))
    assert decode.values["effective_address"] == "0x188"


def test_an_exception_that_is_not_an_access_is_not_decoded() -> None:
    text = (
        "0:000> !analyze -v\n"
        "EXCEPTION_CODE: (NTSTATUS) 0xc0000094 - {EXCEPTION}  Integer division by zero.\n\n"
        "FAULTING_IP: \napp!Div+4\n00007ff6`3be11064 f77c2428        idiv    eax,dword ptr [rsp+28h]\n"
    )
    assert of_text(text) == []
    (decode,) = of_text(text.replace("0xc0000094", "0xc0000005"))
    assert decode.values["expression"] == "rsp+0x28"


def test_non_canonical_address_reported_as_minus_one() -> None:
    (decode,) = ours(parse_file(CORPUS / "code" / "069.txt")[0].findings)
    assert decode.severity == "critical"
    assert decode.values["effective_address"] == "0x4141414141414139"  # rax, line 240
    assert decode.values["address_class"] == "non-canonical"
    notes = {e.line: e.note for e in decode.evidence}
    for line in (265, 273):  # READ_ADDRESS, EXCEPTION_PARAMETER2: ffffffffffffffff
        assert "general-protection fault), agrees" in notes[line]
    assert notes[240] == "rax = 41414141`41414139"


def test_x86_null_field_in_a_bugcheck_d1() -> None:
    (decode,) = ours(parse_file(CORPUS / "code" / "027.txt")[0].findings)
    assert decode.message == (
        "`mov [edx+0x4],eax` tried to write 4 bytes at edx+0x4 = 00000004; "
        "edx is NULL, so this is a NULL structure pointer and +0x4 the field accessed."
    )
    assert (decode.values["access"], decode.values["size"]) == ("write", "4")  # size from eax
    lines = [e.line for e in decode.evidence]
    assert lines == [42, 38, 23, 15]  # .trap instruction, edx=00000000, WRITE_ADDRESS, Arg1
    assert all("agrees" in e.note for e in decode.evidence[2:])


def test_unsaved_register_in_an_incomplete_trap_frame() -> None:
    decode, mismatch = ours(parse_file(CORPUS / "code" / "075.txt")[0].findings)
    # r15 shows 0 (line 246) but the trap frame does not save it; WRITE_ADDRESS (223) and Arg1 (27)
    # say ffff8009`1002ac08, so r15 was ffff8009`1002ac08 - 8.
    assert "effective_address" not in decode.values
    assert decode.values["implied_base_value"] == "0xffff80091002ac00"
    assert "so r15 (which the trap frame does not save) was ffff8009`1002ac00" in decode.message
    assert "ffff8009`1002ac08 is an ordinary kernel-mode address" in decode.message
    assert mismatch.values["computed_address"] == "0x8"
    assert mismatch.message == (
        "Arg1 and WRITE_ADDRESS report ffff8009`1002ac08, but r15+0x8 computes to 00000000`00000008 "
        "with the registers shown; the trap frame does not save r15: it was ffff8009`1002ac00, "
        "not the 00000000`00000000 shown."
    )
    assert (mismatch.explanations[0].cause, mismatch.explanations[0].strength) == (
        "registers-not-saved",
        "strong",
    )
    assert sorted(e.line for e in mismatch.evidence) == [27, 223, 249]


def test_unsaved_base_of_a_locked_bts() -> None:
    decode, mismatch = ours(parse_file(CORPUS / "code" / "112.txt")[0].findings)
    assert decode.values["access"] == "update"  # lock bts qword ptr [rbx],0 (line 32)
    assert decode.values["implied_base_value"] == "0xffffac983ca17910"  # Arg1, line 14
    assert mismatch.values["reported_by"] == "Arg1"
    assert mismatch.explanations[0].supporting[-1] == "rbx was ffffac98`3ca17910, not 00000000`00000000"


def test_seed_session() -> None:
    (report,) = parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt")
    (decode,) = ours(report.findings)  # the annotation agrees: no mismatch
    assert decode.message == (
        "`mov rax,qword ptr [rsi+20h]` tried to read 8 bytes at rsi+0x20 = 0000009d`00000020; "
        "rsi = 0000009d`00000000 is not NULL: it is a user-mode address used in kernel mode."
    )
    assert decode.severity == "warning"
    assert decode.values == {
        "instruction": "mov rax,qword ptr [rsi+20h]",
        "instruction_address": "0xfffff8800106f141",
        "operand": "qword ptr [rsi+20h]",
        "access": "read",
        "expression": "rsi+0x20",
        "displacement": "0x20",
        "address_class": "user-address-in-kernel",  # not NULL, whatever the article says
        "size": "8",
        "effective_address": "0x9d00000020",
        "base": "rsi",
        "base_value": "0x9d00000000",
        "register_set": "CONTEXT",
    }
    assert [e.line for e in decode.evidence] == [31, 24]  # CONTEXT's instruction, rsi=0000009d00000000
    assert "WinDbg's annotation 0000009d`00000020" in decode.evidence[0].note
    corrupt, user = decode.explanations
    assert corrupt.cause == "corrupted-pointer"
    assert user.cause == "unprobed-user-pointer" and user.strength == "weak"
    assert user.supporting == [
        "the thread entered the kernel through a system call (nt!KiSystemServiceCopyEnd)"
    ]


# ----------------------------------------------------------------------------- ARM64 and x86


ARM64_DUMP = """\
 x0=0000000000000001   x1=000002a0ad2f0c10   x2=00007ffd1c306750   x3=0000000000000000
 x4=0000000000000000   x5=00000002000001c0   x6=0000000000000000   x7=0000000000000000
 x8={x8:016x}   x9=0000000000000000  x10=0000000000000000  x11=0000000000000000
x12=0000000000000000  x13=0000000000000000  x14=0000000000000000  x15=0000000000000000
x16=000000a8e1fba918  x17=0000000000000000  x18=000000a8e219e000  x19=000002a0b4fc8550
x20=0000000000000004  x21=000000a8e1fbda88  x22=000002a0b4fc8550  x23=000002a0b4fc8550
x24=000002a0ad2fc6f0  x25=00007ffc9d43b000  x26=00007ffc9dc3f000  x27=00007ffc9d43b000
x28=0000000000000000   fp=000000a8e1fbd9b0   lr=00007ffc9d3f1234   sp=000000a8e1fbd9a0
 pc=00007ffc9d3f5680  psr=60000000 -ZC- EL0
app!Widget::Draw+0x20:
00007ffc`9d3f5680 {code} {instruction}
"""


def arm64_session(x8: int, code: str, instruction: str) -> str:
    return (
        "0:000> !analyze -v\n\nEXCEPTION_CODE: (NTSTATUS) 0xc0000005 - The instruction referenced memory.\n\n"
        "CONTEXT:  (.ecxr)\n" + ARM64_DUMP.format(x8=x8, code=code, instruction=instruction)
    )


def test_arm64_ldr_with_offset() -> None:
    text = arm64_session(0, "f9400900", "ldr         x0,[x8,#0x10]")
    (decode,) = of_text(text)
    assert decode.message == (
        "`ldr x0,[x8,#0x10]` tried to read 8 bytes at x8+0x10 = 00000000`00000010; "
        "x8 is NULL, so this is a NULL structure pointer and +0x10 the field accessed."
    )
    assert decode.evidence[1].line == line_of(text, " x8=")


def test_arm64_sizes_and_pre_index() -> None:
    text = arm64_session(0x2A0B4FC8550, "b85f0d00", "ldr         w0,[x8,#-0x10]!")
    (decode,) = of_text(text)
    assert (decode.values["size"], decode.values["effective_address"]) == ("4", "0x2a0b4fc8540")
    assert decode.values["address_class"] == "ordinary"


def test_x86_index_and_scale() -> None:
    text = (
        "0:000> !analyze -v\n\nEXCEPTION_CODE: (NTSTATUS) 0xc0000005 - The instruction referenced memory.\n\n"
        "READ_ADDRESS:  00401048\n\n"
        "CONTEXT:  (.ecxr)\n"
        "eax=00000000 ebx=7ffd8000 ecx=00000010 edx=00000000 esi=00401000 edi=0012ff80\n"
        "eip=00411234 esp=0012fe40 ebp=0012ff38 iopl=0         nv up ei pl zr na pe nc\n"
        "cs=001b  ss=0023  ds=0023  es=0023  fs=003b  gs=0000             efl=00010246\n"
        "app!Sum+0x14:\n"
        "00411234 8b448e08        mov     eax,dword ptr [esi+ecx*4+8] ds:0023:00401048=????????\n"
    )
    (decode,) = of_text(text)
    assert decode.values["effective_address"] == "0x401048"  # 0x401000 + 0x10*4 + 8
    assert (decode.values["index"], decode.values["index_value"], decode.values["scale"]) == (
        "ecx",
        "0x10",
        "4",
    )
    assert decode.message.startswith(
        "`mov eax,dword ptr [esi+ecx*4+8]` tried to read 4 bytes at esi+ecx*4+0x8 = 00401048"
    )
    lines = [e.line for e in decode.evidence]
    assert lines == [line_of(text, "00411234 8b"), line_of(text, "esi="), line_of(text, "READ_ADDRESS")]
    assert [e.cause for e in decode.explanations] == ["freed-or-unmapped-memory"]


def test_32_bit_registers_address_32_bits_on_x64() -> None:
    text = bugcheck_3b(
        0xFFFFF80012340010,
        {"r8": 0xFFFFFFFF_FFFFFFF0, "rcx": 0xAAAAAAAA_00000010},
        "fffff800`12340010 670fb7444810    movzx   eax,word ptr [r8d+ecx*2+10h]",
    )
    (decode,) = of_text(text)
    # r8d = fffffff0, ecx = 10: fffffff0 + 0x20 + 0x10 = 1_00000020, cut to 32 bits
    assert decode.values["effective_address"] == "0x20"
    assert decode.values["base_value"] == "0xfffffff0"


# ----------------------------------------------------------------------------- helpers


def registers(values: dict[str, int], arch: str = "x64"):
    from crashsift.evidence.session import RegisterSet
    from crashsift.parsers.registers import RegistersRecord

    return RegisterSet("r", values, 1, RegistersRecord(arch=arch))


@pytest.mark.parametrize(
    ("name", "arch", "value"),
    [
        ("rax", "x64", 0x1122334455667788),
        ("eax", "x64", 0x55667788),
        ("ax", "x64", 0x7788),
        ("al", "x64", 0x88),
        ("ah", "x64", 0x77),
        ("r8d", "x64", 0x0000_0000),
        ("r8w", "x64", 0),
        ("eax", "x86", 0x55667788),
        ("w0", "arm64", 0x55667788),
        ("x0", "arm64", 0x1122334455667788),
        ("fp", "arm64", 0x29),
        ("x29", "arm64", 0x29),
        ("xzr", "arm64", 0),
    ],
)
def test_sub_registers(name: str, arch: str, value: int) -> None:
    if arch == "x86":
        rs = registers({"eax": 0x55667788}, arch)
    elif arch == "arm64":
        rs = registers({"x0": 0x1122334455667788, "fp": 0x29}, arch)
    else:
        rs = registers({"rax": 0x1122334455667788, "r8": 0xFFFF_FFFF_0000_0000}, arch)
    assert fault.register_value(rs, name, arch) == value


@pytest.mark.parametrize(
    ("line", "arch", "kind", "size"),
    [
        ("cmp qword ptr [rcx+8],0", "x64", "read", 8),
        ("mov dword ptr [rbx],eax", "x64", "write", 4),
        ("add dword ptr [rbx],1", "x64", "update", 4),
        ("mov al,byte ptr [rsi]", "x64", "read", 1),
        ("stp fp,lr,[sp,#-0x10]!", "arm64", "write", 16),
        ("ldrb w9,[x10,x11]", "arm64", "read", 1),
        ("ldrsw x9,[x10]", "arm64", "read", 4),
        ("ldp x0,x1,[x8]", "arm64", "read", 16),
    ],
)
def test_access_kind_and_size(line: str, arch: str, kind: str, size: int) -> None:
    (access,) = fault.accesses(parse_instruction(line), arch)
    assert (access.kind, access.size) == (kind, size)


@pytest.mark.parametrize(
    "line", ["lea rax,[rcx+8]", "nop dword ptr [rax+rax]", "mov rax,qword ptr gs:[188h]"]
)
def test_operands_that_touch_no_known_memory(line: str) -> None:
    assert fault.accesses(parse_instruction(line), "x64") == []
