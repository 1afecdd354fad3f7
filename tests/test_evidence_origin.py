"""The origin rule: the disassembly walked back from the fault to the last write of the faulting
base register, the address it was loaded from, and the checks on the way. Expected values were
worked out by hand from the text of each paste (line numbers read with `cat -n`)."""

from __future__ import annotations

import pytest
from conftest import CORPUS
from test_evidence_fault import BANNER, arm64_session, bugcheck_3b, line_of

from crashsift.evidence import fault, origin
from crashsift.evidence.session import Session
from crashsift.model import Finding
from crashsift.parsers.disasm import parse_instruction
from crashsift.pipeline import parse_file, parse_text
from crashsift.repair import repair


def origins(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.kind == "value-origin"]


def of_text(text: str) -> list[Finding]:
    (report,) = parse_text(text)
    return origins(report.findings)


def session_of(text: str) -> Session:
    """The session after the fault and origin rules ran on it."""
    (report,) = parse_text(text)
    session = Session.of(report, repair(text).lines)
    fault.find(session)
    origin.find(session)
    return session


IP = 0xFFFFF80012340020
FAULT = "fffff800`12340020 488b4620        mov     rax,qword ptr [rsi+20h] ds:002b:0000009d`00000020=????"


def x64_case(listing: str, regs: dict[str, int] | None = None) -> str:
    """A 0x3B at `mov rax,[rsi+20h]` with rsi = 0000009d`00000000, then a `ub` listing."""
    values = {"rsi": 0x9D_0000_0000, "rcx": 0xFFFFFA80_08E13318, **(regs or {})}
    return bugcheck_3b(IP, values, FAULT) + "\n0: kd> ub fffff800`12340020\n" + listing


LOAD_TEST_JNE = """\
fffff800`12340000 488b31          mov     rsi,qword ptr [rcx]
fffff800`12340003 4885f6          test    rsi,rsi
fffff800`12340006 7518            jne     drv!Foo+0x20 (fffff800`12340020)
fffff800`12340008 33c0            xor     eax,eax
fffff800`1234000a c3              ret
"""


def test_load_and_a_null_check_that_cannot_stop_the_value() -> None:
    text = x64_case(LOAD_TEST_JNE)
    (found,) = of_text(text)
    assert found.severity == "warning"  # a user address in kernel mode passed the check
    assert found.message == (
        "rsi was loaded by `mov rsi,qword ptr [rcx]` at fffff800`12340000 from rcx = fffffa80`08e13318; "
        "the `test rsi,rsi` / `jne` at fffff800`12340003 only stops a zero value, "
        "and 0000009d`00000000 passed it."
    )
    assert found.values == {
        "register": "rsi",
        "load_address": "0xfffff80012340000",
        "load_instruction": "mov rsi,qword ptr [rcx]",
        "checks": "test rsi,rsi / jne at 0xfffff80012340003: rsi != 0 (passed)",
        "path": "0xfffff80012340000,0xfffff80012340003,0xfffff80012340006",
        "fault_listed": "no",
        "value": "0x9d00000000",
        "source_operand": "qword ptr [rcx]",
        "source_address": "0xfffffa8008e13318",
    }
    lines = [e.line for e in found.evidence]
    assert lines == [
        line_of(text, "12340000 488b31"),
        line_of(text, "12340003"),
        line_of(text, "12340006"),  # the branch, which also leads to the unlisted fault
        line_of(text, "12340020 488b4620"),
        line_of(text, "rsi="),
        line_of(text, "rcx="),
    ]
    assert "this branch goes to it" in found.evidence[2].note
    session = session_of(text)
    assert session.origin is not None
    assert (session.origin.register, session.origin.value) == ("rsi", 0x9D_0000_0000)
    assert session.origin.load.address == 0xFFFFF80012340000
    assert session.origin.source_address == 0xFFFFFA8008E13318


def test_a_check_that_lets_only_zero_through() -> None:
    listing = LOAD_TEST_JNE.replace("7518            jne ", "7418            je  ")
    (found,) = of_text(x64_case(listing))
    assert "the `test rsi,rsi` / `je` at fffff800`12340003 lets only rsi == 0 reach the fault, yet rsi" in (
        found.message
    )
    assert found.severity == "warning"
    assert found.values["checks"].endswith("rsi == 0 (failed)")


def test_the_source_register_rewritten_after_the_load() -> None:
    listing = """\
fffff800`12340000 488b31          mov     rsi,qword ptr [rcx]
fffff800`12340003 488bca          mov     rcx,rdx
fffff800`12340006 4885f6          test    rsi,rsi
fffff800`12340009 7415            je      drv!Foo+0x20 (fffff800`12340020)
fffff800`1234000b 90              nop
"""
    # je taken to the fault: only a zero value reaches it, but rsi is not zero
    text = x64_case(listing)
    (found,) = of_text(text)
    assert found.message.startswith(
        "rsi was loaded by `mov rsi,qword ptr [rcx]` at fffff800`12340000 from qword ptr [rcx] "
        "(rcx is written again at fffff800`12340003)"
    )
    assert "source_address" not in found.values
    assert session_of(text).origin.source_address is None


def test_the_register_rewritten_on_the_path_is_the_writer() -> None:
    listing = """\
fffff800`12340000 488b31          mov     rsi,qword ptr [rcx]
fffff800`12340003 488d7208        lea     rsi,[rdx+8]
fffff800`12340007 eb17            jmp     drv!Foo+0x20 (fffff800`12340020)
"""
    text = x64_case(listing, {"rdx": 0x9C_FFFF_FFF8})
    (found,) = of_text(text)
    assert found.message == (
        "rsi was computed by `lea rsi,[rdx+8]` at fffff800`12340003 = 0000009d`00000000; "
        "no check of rsi lies on the path from there to the fault."
    )
    assert session_of(text).origin.source is None  # lea reads no memory


def test_silent_when_the_listing_does_not_reach_the_fault() -> None:
    listing = LOAD_TEST_JNE.replace("fffff800`12340020)", "fffff800`12340040)")
    assert of_text(x64_case(listing)) == []
    assert session_of(x64_case(listing)).origin is None


def test_silent_when_paths_disagree() -> None:
    listing = """\
fffff800`12340000 488b31          mov     rsi,qword ptr [rcx]
fffff800`12340003 4885f6          test    rsi,rsi
fffff800`12340006 7418            je      drv!Foo+0x20 (fffff800`12340020)
fffff800`12340008 4883c6e0        add     rsi,0FFFFFFFFFFFFFFE0h
fffff800`1234000c 90              nop
fffff800`1234000d 90              nop
fffff800`1234000e 90              nop
fffff800`1234000f 90              nop
fffff800`12340010 90              nop
fffff800`12340011 90              nop
fffff800`12340012 90              nop
fffff800`12340013 90              nop
fffff800`12340014 90              nop
fffff800`12340015 90              nop
fffff800`12340016 90              nop
fffff800`12340017 90              nop
fffff800`12340018 90              nop
fffff800`12340019 90              nop
fffff800`1234001a 90              nop
fffff800`1234001b 90              nop
fffff800`1234001c 90              nop
fffff800`1234001d 90              nop
fffff800`1234001e 90              nop
fffff800`1234001f 90              nop
"""
    # two writers reach the fault: the load (through je) and the add (falling through)
    assert of_text(x64_case(listing)) == []
    session = session_of(x64_case(listing))
    walk = origin.walk_back(origin.Listing.of(session), IP, "rsi", "x64")
    assert sorted(walk.writers) == [0xFFFFF80012340000, 0xFFFFF80012340008]


def test_silent_without_registers_at_the_fault() -> None:
    text = (
        BANNER
        + "SYSTEM_SERVICE_EXCEPTION (3b)\nArguments:\n"
        + "Arg1: 00000000c0000005, Exception code that caused the bugcheck\n\n"
        + "FAULTING_IP: \ndrv!Foo+20\n"
        + FAULT.split(" ds:")[0]
        + "\n\n0: kd> ub fffff800`12340020\n"
        + LOAD_TEST_JNE
    )
    assert of_text(text) == []
    session = session_of(text)
    assert session.fault is not None and session.fault.registers is None


def test_a_call_clobbers_volatile_registers() -> None:
    listing = """\
fffff800`12340000 488b09          mov     rcx,qword ptr [rcx]
fffff800`12340003 e8f8ffffff      call    drv!Bar (fffff800`12340100)
fffff800`12340008 488d7118        lea     rsi,[rcx+18h]
fffff800`1234000c eb12            jmp     drv!Foo+0x20 (fffff800`12340020)
"""
    # rcx + 0x18 = 0000009d`00000000 = rsi: the call's clobber of rcx is before the lea, so
    # the lea used the rcx shown
    (found,) = of_text(x64_case(listing, {"rcx": 0x9C_FFFF_FFE8}))
    assert found.message == (
        "rsi was computed by `lea rsi,[rcx+18h]` at fffff800`12340008 = 0000009d`00000000; "
        "no check of rsi lies on the path from there to the fault."
    )
    # with rcx = fffffa80`08e13318 the lea gives another value than the rsi shown
    (found,) = of_text(x64_case(listing))
    assert "= fffffa80`08e13330, yet rsi = 0000009d`00000000 at the fault;" in found.message
    # tracking rcx itself stops at the call: where its value came from is not shown
    call_then_fault = """\
fffff800`12340000 488b31          mov     rsi,qword ptr [rcx]
fffff800`12340003 e8f8ffffff      call    drv!Bar (fffff800`12340100)
fffff800`12340008 eb16            jmp     drv!Foo+0x20 (fffff800`12340020)
"""
    text = x64_case(call_then_fault).replace("[rsi+20h]", "[rcx+20h]")
    assert of_text(text) == []


def test_a_return_value() -> None:
    listing = """\
fffff800`12340000 e8fbffffff      call    drv!Bar (fffff800`12340100)
fffff800`12340005 488bf0          mov     rsi,rax
fffff800`12340008 eb16            jmp     drv!Foo+0x20 (fffff800`12340020)
"""
    (found,) = of_text(x64_case(listing))
    assert found.message.startswith("rsi was copied from rax by `mov rsi,rax` at fffff800`12340005;")
    text = x64_case(listing.replace("488bf0          mov     rsi,rax", "488bf2          mov     rsi,rdx"))
    (found,) = of_text(text.replace("[rsi+20h]", "[rax+20h]"))
    assert found.message.startswith("rax holds the return value of the call `call drv!Bar")


def test_arm64_load_and_cbz() -> None:
    text = (
        arm64_session(0, "f9400900", "ldr         x0,[x8,#0x10]")
        + "\n0:000> ub 00007ffc`9d3f5680\n"
        + "00007ffc`9d3f5670 f9400668 ldr         x8,[x19,#8]\n"
        + "00007ffc`9d3f5674 b4000068 cbz         x8,app!Widget::Draw+0x20 (00007ffc`9d3f5680)\n"
        + "00007ffc`9d3f5678 d2800000 mov         x0,#0\n"
        + "00007ffc`9d3f567c d65f03c0 ret\n"
    )
    (found,) = of_text(text)
    # x19 = 000002a0`b4fc8550 + 8; cbz goes to the fault only for zero, and x8 is 0
    assert found.message == (
        "x8 was loaded by `ldr x8,[x19,#8]` at 00007ffc`9d3f5670 from x19+0x8 = 000002a0`b4fc8558; "
        "the `cbz x8` at 00007ffc`9d3f5674 lets only x8 == 0 reach the fault, "
        "and 00000000`00000000 passed it."
    )
    assert found.values["source_address"] == "0x2a0b4fc8558"


def test_arm64_fall_through_past_cbnz_and_a_listed_fault() -> None:
    text = (
        arm64_session(0x10, "f9400900", "ldr         x0,[x8,#0x10]")
        + "\n0:000> u 00007ffc`9d3f5670\n"
        + "00007ffc`9d3f5670 f8408e68 ldr         x8,[x19,#8]!\n"
        + "00007ffc`9d3f5674 b50000a8 cbnz        x8,app!Widget::Draw+0x28 (00007ffc`9d3f5688)\n"
        + "00007ffc`9d3f5678 f9400a68 ldr         x8,[x19,#0x10]\n"
        + "00007ffc`9d3f567c f100011f cmp         x8,#0\n"
        + "00007ffc`9d3f5680 f9400900 ldr         x0,[x8,#0x10]\n"
    )
    (found,) = of_text(text)
    # the fault is listed; the last write of x8 is the second load, whose x19 is unchanged since
    assert found.values["fault_listed"] == "yes"
    assert found.values["load_address"] == "0x7ffc9d3f5678"
    assert found.values["source_address"] == "0x2a0b4fc8560"  # x19 + 0x10
    assert found.values["checks"] == ""  # the cmp is followed by no branch


# ----------------------------------------------------------------------------- the bundled corpus


def test_seed_session() -> None:
    (report,) = parse_file(CORPUS / "seed" / "fltmgr-0x3b-session.txt")
    (found,) = origins(report.findings)
    assert found.severity == "warning"
    assert found.message == (
        "rsi was loaded by `mov rsi,qword ptr [rcx]` at fffff880`0106f11e from rcx = fffffa80`08e13318; "
        "the `test rsi,rsi` / `jne` at fffff880`0106f121 only stops a zero value, "
        "and 0000009d`00000000 passed it."
    )
    assert found.values["path"] == ",".join(
        ["0xfffff8800106f11e", "0xfffff8800106f121", "0xfffff8800106f124", "0xfffff8800106f13e"]
    )
    # 98 load, 99 test, 100 jne, 110 `mov rbx,rdi` (3 bytes, ends at the fault), 31 the fault,
    # 24 rsi=0000009d00000000, 23 rcx=fffffa8008e13318
    assert [e.line for e in found.evidence] == [98, 99, 100, 110, 31, 24, 23]
    assert "3 bytes end there" in found.evidence[3].note


def test_case_study_article_lists_the_fault() -> None:
    first, _ = parse_file(CORPUS / "seed" / "case-study-article.txt")
    (found,) = origins(first.findings)
    assert found.values["fault_listed"] == "yes"
    assert found.values["source_address"] == "0xfffffa8008e13318"


def test_load_before_an_unsaved_register() -> None:
    (found,) = origins(parse_file(CORPUS / "code" / "075.txt")[0].findings)
    # line 350: mov r15,qword ptr [rsp+0A8h]; rsp = ffffed0e`e77dd020 (line 243) + 0xa8
    assert found.message == (
        "r15 was loaded by `mov r15,qword ptr [rsp+0A8h]` at fffff802`084d905a from "
        "rsp+0xa8 = ffffed0e`e77dd0c8; no check of r15 lies on the path from there to the fault."
    )
    assert "value" not in found.values  # the trap frame does not save r15
    assert [e.line for e in found.evidence] == [350, 249, 243]


# ----------------------------------------------------------------------------- what instructions write


@pytest.mark.parametrize(
    ("line", "arch", "written"),
    [
        ("xor edi,edi", "x64", {"rdi"}),
        ("cmp rdx,0FFFFFFFFFFFFFFFFh", "x64", set()),
        ("test rsi,rsi", "x64", set()),
        ("mov qword ptr [rsp+50h],rsi", "x64", set()),
        ("push rbx", "x64", {"rsp"}),
        ("pop rbx", "x64", {"rbx", "rsp"}),
        ("xchg rax,rbx", "x64", {"rax", "rbx"}),
        ("imul rcx", "x64", {"rax", "rdx"}),
        ("imul ecx,edx,10h", "x64", {"rcx"}),
        ("div rcx", "x64", {"rax", "rdx"}),
        ("movsxd r8,dword ptr [rcx]", "x64", {"r8"}),
        ("sete al", "x64", {"rax"}),
        ("cmovne rsi,rdx", "x64", {"rsi"}),
        ("rep stos byte ptr [rdi]", "x64", {"rdi", "rcx"}),
        ("call nt!Foo (fffff800`12345678)", "x64", {"rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "rsp"}),
        ("call foo (12345678)", "x86", {"rax", "rcx", "rdx", "rsp"}),
        ("jne nt!Foo+0x10 (fffff800`12345678)", "x64", set()),
        ("ldp x0,x1,[sp]", "arm64", {"x0", "x1"}),
        ("ldr x0,[x8],#8", "arm64", {"x0", "x8"}),
        ("str x0,[x8]", "arm64", set()),
        ("stp fp,lr,[sp,#-0x10]!", "arm64", {"sp"}),
        ("cbz x8,nt!Foo+0x10 (fffff800`12345678)", "arm64", set()),
        ("cmp x8,#0", "arm64", set()),
        ("mov w8,wzr", "arm64", {"x8"}),
        ("bl nt!Foo (fffff800`12345678)", "arm64", {*(f"x{n}" for n in range(18)), "x30"}),
    ],
)
def test_writes(line: str, arch: str, written: set[str]) -> None:
    assert origin.writes(parse_instruction(line), arch) == written


def test_x86_load_and_an_unsigned_compare() -> None:
    text = (
        "0:000> !analyze -v\n\nEXCEPTION_CODE: (NTSTATUS) 0xc0000005 - The instruction referenced memory.\n\n"
        "CONTEXT:  (.ecxr)\n"
        "eax=00000000 ebx=7ffd8000 ecx=00000010 edx=00000000 esi=00300000 edi=0012ff80\n"
        "eip=0041123a esp=0012fe40 ebp=0012ff38 iopl=0         nv up ei pl zr na pe nc\n"
        "cs=001b  ss=0023  ds=0023  es=0023  fs=003b  gs=0000             efl=00010246\n"
        "app!Sum+0x1a:\n"
        "0041123a 8b4604          mov     eax,dword ptr [esi+4] ds:0023:00300004=????????\n\n"
        "0:000> u 00411230\n"
        "00411230 8b7508          mov     esi,dword ptr [ebp+8]\n"
        "00411233 83fe10          cmp     esi,10h\n"
        "00411236 7302            jae     app!Sum+0x1a (0041123a)\n"
        "00411238 eb10            jmp     app!Sum+0x2a (0041124a)\n"
        "0041123a 8b4604          mov     eax,dword ptr [esi+4]\n"
    )
    (found,) = of_text(text)
    # ebp = 0012ff38 + 8; jae taken needs esi >= 0x10 unsigned, and 00300000 is
    assert found.message == (
        "esi was loaded by `mov esi,dword ptr [ebp+8]` at 00411230 from ebp+0x8 = 0012ff40; "
        "the `cmp esi,10h` / `jae` at 00411233 lets only esi >= 10h (unsigned) reach the fault, "
        "and 00300000 passed it."
    )
    assert found.severity == "info"  # an ordinary user address
    assert found.values["fault_listed"] == "yes"
    lines = [e.line for e in found.evidence]
    assert lines[-2:] == [line_of(text, "esi=00300000"), line_of(text, "ebp=0012ff38")]


@pytest.mark.parametrize(
    ("mnemonic", "left", "right", "arch", "true", "false"),
    [
        # cmp 5,10: below and less; 5 - 10 is negative
        ("cmp", 5, 10, "x64", {"b", "be", "l", "le", "ne", "s"}, {"ae", "a", "ge", "g", "e", "ns"}),
        # cmp -1,1: unsigned above, signed less
        ("cmp", (1 << 64) - 1, 1, "x64", {"a", "ae", "l", "le", "s"}, {"b", "be", "g", "ge"}),
        # ARM64 cmp uses the same conditions once hs/lo/hi/ls are read as ae/b/a/be
        ("cmp", 5, 10, "arm64", {"b", "l"}, {"ae", "a"}),
        # test/tst: the AND of the operands, carry and overflow clear
        ("test", 0x9D_0000_0000, 0x9D_0000_0000, "x64", {"ne", "ae", "ns", "g"}, {"e", "b", "s", "le"}),
        ("test", 0x9D_0000_0000, 0x9D_0000_0000, "x86", {"e"}, {"ne"}),  # 32 bits: the low half is 0
        ("cmn", 5, (1 << 64) - 5, "arm64", {"e"}, {"ne"}),
    ],
)
def test_conditions_after_a_compare(
    mnemonic: str, left: int, right: int, arch: str, true: set[str], false: set[str]
) -> None:
    width = 32 if arch == "x86" else 64
    flags = origin._flags(mnemonic, left, right, width, arch)
    assert {cc for cc in true | false if origin._holds(cc, flags)} == true
