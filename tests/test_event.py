"""The current event a debugger shows when it stops, checked against real corpus snippets
(file and lines named; lines numbered as in the paste)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.model import Diagnostic, Line
from crashsift.parsers.event import EventRecord, parse


def _read(text: str, first: int = 1) -> tuple[EventRecord, list[Diagnostic]]:
    parsed = parse([Line(first + i, t) for i, t in enumerate(text.split("\n"))])
    return parsed.record, parsed.diagnostics


# issues/133.txt lines 1-7
FIRST_CHANCE_AV = """\
(8dc.3f8): Access violation - code c0000005 (first chance)
First chance exceptions are reported before any exception handling.
This exception may be expected and handled.
eax=00000000 ebx=0003100c ecx=21eb1258 edx=00c30000 esi=21e2ef58 edi=00000001
eip=739d0001 esp=21e2e314 ebp=21e2e434 iopl=0         nv up ei pl zr na pe nc
cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=00010246
739d0001 0fb642fb        movzx   eax,byte ptr [edx-5]       ds:002b:00c2fffb=??"""


def test_first_chance_access_violation() -> None:
    rec, diags = _read(FIRST_CHANCE_AV)
    assert diags == []
    assert (rec.process_id, rec.thread_id) == ("0x8dc", "0x3f8")
    assert (rec.description, rec.code, rec.chance) == ("Access violation", "0xc0000005", "first")
    assert rec.messages == [
        "First chance exceptions are reported before any exception handling.",
        "This exception may be expected and handled.",
    ]
    assert rec.fatal is None
    assert rec.registers is not None
    assert rec.registers.line == 4 and rec.registers.arch == "x86"
    assert rec.registers.registers["eip"] == "0x739d0001"
    assert rec.registers.instruction_text is not None
    assert rec.registers.instruction_text.startswith("739d0001 0fb642fb")


def test_fatal_system_error_break_in() -> None:
    # code/040.txt lines 1-15 (blank lines 3, 6, 8, 11, 13 dropped by segmentation)
    lines = [
        Line(1, "Driver Verifier: Extension abort with Error Code 0x20005"),
        Line(2, "Error String ExAcquireFastMutex should only be called at IRQL <= APC_LEVEL."),
        Line(4, "*** Fatal System Error: 0x000000c4"),
        Line(
            5,
            " " * 23 + "(0x0000000000020005,0xFFFFF88000E16F50,0x0000000000000000,0x0000000000000000)",
        ),
        Line(7, "Break instruction exception - code 80000003 (first chance)"),
        Line(9, "A fatal system error has occurred."),
        Line(10, "Debugger entered on first try; Bugcheck callbacks have not been invoked."),
        Line(12, "A fatal system error has occurred."),
        Line(14, "nt!DbgBreakPointWithStatus:"),
        Line(15, "fffff802`a40ef930 cc              int     3"),
    ]
    parsed = parse(lines)
    rec = parsed.record
    assert parsed.diagnostics == []
    assert rec.fatal is not None
    assert (rec.fatal.code, rec.fatal.line) == ("0xc4", 4)
    assert rec.fatal.args == ["0x20005", "0xfffff88000e16f50", "0x0", "0x0"]
    assert (rec.process_id, rec.description, rec.code, rec.chance) == (
        None,
        "Break instruction exception",
        "0x80000003",
        "first",
    )
    assert rec.messages[0] == "Driver Verifier: Extension abort with Error Code 0x20005"
    assert len(rec.messages) == 5
    assert rec.registers is not None and rec.registers.registers == {}
    assert rec.registers.label == "nt!DbgBreakPointWithStatus"


def test_first_then_second_chance() -> None:
    # code/088.txt lines 6-12 (pageheap: the second chance is where the debugger stopped)
    text = """\
Access violation - code c0000005 (first chance)
Access violation - code c0000005 (!!! second chance !!!)
eax=00c86f00 ebx=00000000 ecx=77fbd80f edx=00c85000 esi=00c80000 edi=00c16fd0
eip=01001398 esp=0006ff2c ebp=0006ff4c iopl=0         nv up ei pl nz na po nc
cs=001b  ss=0023  ds=0023  es=0023  fs=0038  gs=0000             efl=00000206
pheap-buggy!TestCorruptAfterEnd+1f:
01001398 889801010000     mov     [eax+0x101],bl          ds:0023:00c87001=??"""
    rec, _ = _read(text, 6)
    assert [(e.chance, e.line) for e in rec.exceptions] == [("first", 6), ("second", 7)]
    assert rec.chance == "second"
    assert rec.registers is not None and rec.registers.label == "pheap-buggy!TestCorruptAfterEnd+1f"


def test_stored_exception_chance_not_available() -> None:
    # code/005.txt lines 23-25
    text = """\
This dump file has an exception of interest stored in it.
The stored exception information can be accessed via .ecxr.
(e64.c84): Access violation - code c0000005 (first/second chance not available)"""
    rec, diags = _read(text, 23)
    assert diags == [] and rec.registers is None
    assert (rec.process_id, rec.code, rec.chance) == ("0xe64", "0xc0000005", None)
    assert len(rec.messages) == 2


def test_stored_breakpoint_without_exception_line() -> None:
    # code/003.txt lines 23-27: no exception line, only the current instruction
    text = """\
This dump file has a breakpoint exception stored in it.
The stored exception information can be accessed via .ecxr.
*** WARNING: Unable to verify checksum for js-dbg-64-dm-windows-62f79d676e0e.exe
js_dbg_64_dm_windows_62f79d676e0e!js::GetBytecodeLength+0x52:
00000001`40144e62 cc              int     3"""
    rec, diags = _read(text, 23)
    assert diags == [] and rec.exceptions == [] and rec.code is None
    assert rec.messages[-1].startswith("*** WARNING")
    assert rec.registers is not None and rec.registers.line == 26
    assert rec.registers.label == "js_dbg_64_dm_windows_62f79d676e0e!js::GetBytecodeLength+0x52"


def test_exception_flood_is_counted() -> None:
    # code/022.txt lines 4000-4007: runs of the same WOW64 single-step line, thread messages
    text = """\
(1f4c.1ee4): WOW64 single step exception - code 4000001e (first chance)
(1f4c.1ee4): WOW64 single step exception - code 4000001e (first chance)
(1f4c.1ee4): WOW64 single step exception - code 4000001e (first chance)
(1f4c.1ee4): WOW64 single step exception - code 4000001e (first chance)
Create thread 48:12e0
(1f4c.12e0): WOW64 single step exception - code 4000001e (first chance)
(1f4c.12e0): WOW64 single step exception - code 4000001e (first chance)
Exit thread 48:12e0, code 0"""
    rec, _ = _read(text, 4000)
    assert [(e.thread_id, e.line, e.count) for e in rec.exceptions] == [
        ("0x1ee4", 4000, 4),
        ("0x12e0", 4005, 2),
    ]
    assert rec.messages == ["Create thread 48:12e0", "Exit thread 48:12e0, code 0"]
    assert (rec.thread_id, rec.description, rec.code) == (
        "0x12e0",
        "WOW64 single step exception",
        "0x4000001e",
    )


def test_a_line_printed_again_after_others_is_a_run_of_its_own() -> None:
    # code/022.txt shape: the same exception line in runs split by thread messages; each run
    # is its own item (a line text is read once per block, each item stays its own object),
    # and blank lines do not split a run
    text = """\
(1d7c.1404): Single step exception - code 80000004 (first chance)

(1d7c.1404): Single step exception - code 80000004 (first chance)
Create thread 3:ee8
(1d7c.1404): Single step exception - code 80000004 (first chance)
Create thread 3:ee8"""
    rec, _ = _read(text, 10)
    assert [(e.thread_id, e.line, e.count) for e in rec.exceptions] == [("0x1404", 10, 2), ("0x1404", 14, 1)]
    assert rec.exceptions[0] is not rec.exceptions[1]
    assert rec.messages == ["Create thread 3:ee8", "Create thread 3:ee8"]


def test_fatal_arguments_without_a_fatal_error_are_messages() -> None:
    text = "(0x0000000000020005,0xFFFFF88000E16F50)\n(0x0000000000020005,0xFFFFF88000E16F50)"
    rec, _ = _read(text)
    assert rec.fatal is None
    assert rec.messages == ["(0x0000000000020005,0xFFFFF88000E16F50)"] * 2


def test_ntsd_indented_with_glued_label() -> None:
    # code/102.txt lines 36-40
    text = """\
   NTSD: access violation
   eax=00000000 ebx=00000000 ecx=0ce83040 edx=01450548 esi=0099fea0 edi=01450000
   eip=77f64cfe esp=0c09ff2c ebp=0c09ff44 iopl=0         nv up ei pl zr na po nc
   cs=001b  ss=0023  ds=0023  es=0023  fs=0038  gs=0000 efl=00010246 ntdll!RtlFreeHeap+0x168:
   77f64cfe 8908             mov     [eax],ecx  ds:0023:00000000=????????"""
    rec, diags = _read(text, 36)
    assert diags == [] and rec.messages == ["NTSD: access violation"]
    assert rec.registers is not None and rec.registers.label == "ntdll!RtlFreeHeap+0x168"


def test_register_dump_diagnostics_are_passed_on() -> None:
    # issues/133.txt lines 9-11: the second event, cut in the middle of the flags
    text = """\
(8dc.3f8): Security check failure or stack buffer overrun - code c0000409 (!!! second chance !!!)
eax=00000000 ebx=0003100c ecx=21eb1258 edx=00c30000 esi=21e2ef58 edi=00000001
eip=739d0001 esp=21e2e314 ebp=21e2e434 iopl=0         nv up ei pl zr n"""
    rec, diags = _read(text, 9)
    assert rec.description == "Security check failure or stack buffer overrun"
    assert (rec.code, rec.chance) == ("0xc0000409", "second")
    assert rec.registers is not None and rec.registers.flags == ["nv", "up", "ei", "pl", "zr"]
    assert [(d.line, d.message) for d in diags] == [(11, "'n' cut off at the end of the paste")]


def test_empty_and_garbage() -> None:
    parsed = parse([])
    assert parsed.record == EventRecord() and parsed.diagnostics == []
    rec, _ = _read("\x00\x01 ::: )))\n - code \n(1.2): - code zz (")
    assert rec.exceptions == [] and len(rec.messages) == 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=12))
def test_never_raises(texts: list[str]) -> None:
    parse([Line(i + 1, t) for i, t in enumerate(texts)])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*FIRST_CHANCE_AV.split("\n"), "*** Fatal System Error: 0x3b", "(0x1,0x2)"])))
def test_never_raises_on_event_like_lines(texts: list[str]) -> None:
    parse([Line(i + 1, t) for i, t in enumerate(texts)])
