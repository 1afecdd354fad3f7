"""Register dumps (`r`, `.cxr`, `.trap`, `!trap`, `.ecxr`, CONTEXT / TRAP_FRAME), checked against
real corpus snippets (file and lines named; lines numbered as in the paste)."""

from __future__ import annotations

from conftest import CORPUS, SHARED_CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line
from crashsift.parsers import analyze, registers
from crashsift.parsers.registers import RegistersRecord, parse


def _lines(text: str, first: int) -> list[Line]:
    return [Line(first + i, t) for i, t in enumerate(text.split("\n"))]


def _read(text: str, first: int = 1) -> tuple[RegistersRecord, list[Diagnostic]]:
    parsed = parse(_lines(text, first))
    return parsed.record, parsed.diagnostics


# seed/fltmgr-0x3b-session.txt lines 22-31: CONTEXT inside !analyze -v
SEED = """\
CONTEXT:  fffff88005f45960 -- (.cxr 0xfffff88005f45960)
rax=fffffaf7072f96b0 rbx=0000000000000000 rcx=fffffa8008e13318
rdx=fffffa8007e5b550 rsi=0000009d00000000 rdi=0000000000000000
rip=fffff8800106f141 rsp=fffff88005f46330 rbp=fffffa8008e13318
 r8=ffffffffffffffff  r9=ffffffffffffffff r10=fffffffffffffe4a
r11=0000000000000001 r12=fffffa8007e5b550 r13=fffffa8007e34684
r14=0000000000004000 r15=0000000000000000
iopl=0         nv up ei pl nz na po nc
cs=0010  ss=0018  ds=002b  es=002b  fs=0053  gs=002b             efl=00010206
fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h] ds:002b:0000009d`00000020=????????????????
Resetting default scope"""


def test_seed_context_lines_from_analyze() -> None:
    context = analyze.parse(_lines(SEED, 22)).record.context_lines
    assert [ln.no for ln in context] == list(range(23, 32))
    parsed = parse(context)
    rec = parsed.record
    assert parsed.diagnostics == []
    assert rec.arch == "x64" and rec.line == 23
    assert len(rec.registers) == 18
    assert rec.registers["rsi"] == "0x9d00000000"
    assert rec.registers["r8"] == "0xffffffffffffffff"
    assert rec.registers["r10"] == "0xfffffffffffffe4a"
    assert rec.registers["rip"] == "0xfffff8800106f141"
    assert rec.registers["efl"] == "0x10206"
    assert rec.iopl == "0x0"
    assert rec.flags == ["nv", "up", "ei", "pl", "nz", "na", "po", "nc"]
    assert rec.segments == {
        "cs": "0x10",
        "ss": "0x18",
        "ds": "0x2b",
        "es": "0x2b",
        "fs": "0x53",
        "gs": "0x2b",
    }
    assert rec.label is None
    assert rec.instruction_text is not None and rec.instruction_text.endswith("=????????????????")
    assert rec.incomplete is False and rec.notes == []


def test_current_instruction_is_decoded() -> None:
    rec, _ = _read("\n".join(SEED.split("\n")[1:]), 23)
    assert rec.instruction is not None
    assert rec.instruction.address == rec.registers["rip"]
    assert rec.instruction.mnemonic == "mov"
    assert rec.instruction.line == 31
    assert rec.notes == ["Resetting default scope"]


def test_x86_ecxr_with_symbol_warnings() -> None:
    # code/001.txt lines 45-52 (.ecxr of a cdb session)
    text = """\
eax=00000000 ebx=00000001 ecx=6a24705d edx=0034d9d4 esi=0925b3ec edi=0925b3d1
eip=01814577 esp=0034ef5c ebp=0034ef5c iopl=0         nv up ei pl nz na pe nc
cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=00000206
*** WARNING: Unable to verify checksum for js-dbg-32-dm-windows-62f79d676e0e.exe
js_dbg_32_dm_windows_62f79d676e0e!js::GetBytecodeLength+0x47:
01814577 cc              int     3
*** ERROR: Symbol file could not be found.  Defaulted to export symbols for ntdll.dll -"""
    rec, diags = _read(text, 45)
    assert diags == []
    assert rec.arch == "x86"
    assert rec.registers["eip"] == "0x1814577" and rec.registers["esi"] == "0x925b3ec"
    assert rec.segments["fs"] == "0x53"
    assert rec.label == "js_dbg_32_dm_windows_62f79d676e0e!js::GetBytecodeLength+0x47"
    assert rec.instruction_text == "01814577 cc              int     3"
    assert len(rec.notes) == 2 and rec.notes[0].startswith("*** WARNING")


def test_arm64_context_cut_at_x28() -> None:
    # issues/138.txt lines 12-19: CONTEXT (.ecxr) of an ARM64 process, cut at `x28=`
    text = """\
 x0=0000000000000000   x1=000002a0ad2f0c10   x2=00007ffd1c306750   x3=0000000000000000
 x4=0000000000000000   x5=00000002000001c0   x6=0000000000000000   x7=0000000000000000
 x8=0000000000000000   x9=0000000000000000  x10=0000000000000000  x11=0000000000000000
x12=0000000000000000  x13=0000000000000000  x14=0000000000000000  x15=0000000000000000
x16=000000a8e1fba918  x17=0000000000000000  x18=000000a8e219e000  x19=0000000080070057
x20=0000000000000004  x21=000000a8e1fbda88  x22=000002a0b4fc8550  x23=000002a0b4fc8550
x24=000002a0ad2fc6f0  x25=00007ffc9d43b000  x26=00007ffc9dc3f000  x27=00007ffc9d43b000
x28="""
    rec, diags = _read(text, 12)
    assert rec.arch == "arm64"
    assert list(rec.registers) == [f"x{n}" for n in range(28)]
    assert rec.registers["x1"] == "0x2a0ad2f0c10" and rec.registers["x19"] == "0x80070057"
    assert [(d.line, d.message) for d in diags] == [(19, "x28= cut off at the end of the paste")]


def test_arm64_pc_psr_line() -> None:
    # the last two rows of WinDbg's ARM64 `r` (fp, lr, sp, pc, psr with its NZCV flags and EL)
    text = """\
x28=0000000000000000   fp=000000293a8ffc10   lr=00007ffea80f7388   sp=000000293a8ff9e0
 pc=00007ffea80e30f4  psr=60000000 -ZC- EL0"""
    rec, diags = _read(text)
    assert diags == []
    assert rec.arch == "arm64"
    assert rec.registers["pc"] == "0x7ffea80e30f4" and rec.registers["lr"] == "0x7ffea80f7388"
    assert rec.registers["psr"] == "0x60000000"
    assert rec.flags == ["-ZC-", "EL0"]


def test_nt4_cxr_ctxflags_and_vip_vif() -> None:
    # code/037.txt lines 28-33
    text = """\
CtxFlags: 00010017
eax=00087000 ebx=00000000 ecx=03ff0000 edx=ff63d000 esi=0362cfff edi=036b3fff
eip=8013cd0a esp=fe40ce50 ebp=fe40cef8 iopl=0         nv dn ei pl nz ac po cy
vip=0    vif=0
cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00010617
0x8013cd0a  f3a4             rep movsb"""
    rec, _ = _read(text, 28)
    assert rec.context_flags == "0x10017"
    assert rec.registers["vip"] == "0x0" and rec.registers["vif"] == "0x0"
    assert rec.flags[1] == "dn" and rec.flags[-1] == "cy"
    assert rec.instruction_text == "0x8013cd0a  f3a4             rep movsb"
    assert rec.line == 28


def test_trap_errcode_and_unreadable_instruction() -> None:
    # code/085.txt lines 22-26 (.trap of an NT4 crash at a NULL instruction pointer)
    text = """\
eax=dec80201 ebx=ffdff420 ecx=8013c71c edx=000003f8 esi=00000000 edi=87038e10
eip=00000000 esp=8013ef5c ebp=8013ef64 iopl=0         nv up ei pl nz na pe nc
cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00010202
ErrCode = 00000000
00000000 ???????????????    [The current instruction pointer is NULL.]"""
    rec, _ = _read(text, 22)
    assert rec.error_code == "0x0"
    assert rec.registers["eip"] == "0x0"
    assert rec.instruction_text == "00000000 ???????????????    [The current instruction pointer is NULL.]"


def test_x64_trap_frame_is_incomplete() -> None:
    # code/039.txt lines 8-18 (.trap: NOTE lines, no segment line, an [inlined in …] label)
    text = """\
NOTE: The trap frame does not contain all registers.
Some register values may be zeroed or incorrect.
rax=003f8b813f20b6e0 rbx=0000000000000000 rcx=ee7defdd9c530000
rdx=ffffcb81660ea078 rsi=0000000000000000 rdi=0000000000000000
rip=fffff8002b7f8933 rsp=ffffdc0e9ee66810 rbp=ffffcb81511c3010
 r8=0000000000000001  r9=0000000000004014 r10=ffffdc0e9ee66910
r11=0000000000000000 r12=0000000000000000 r13=0000000000000000
r14=0000000000000000 r15=0000000000000000
iopl=0         nv up ei pl zr na po nc
dxgmms2!RemoveHeadList+0xd [inlined in dxgmms2!VidSchiSignalRegisteredSyncObjects+0x3f]:
fffff800`2b7f8933 48395808        cmp     qword ptr [rax+8],rbx ds:003f8b81`3f20b6e8=????????????????"""
    rec, diags = _read(text, 8)
    assert diags == []
    assert rec.incomplete is True
    assert rec.notes == [
        "NOTE: The trap frame does not contain all registers.",
        "Some register values may be zeroed or incorrect.",
    ]
    assert rec.segments == {} and "efl" not in rec.registers
    assert rec.line == 10
    assert (
        rec.label == "dxgmms2!RemoveHeadList+0xd [inlined in dxgmms2!VidSchiSignalRegisteredSyncObjects+0x3f]"
    )


def test_whitespace_collapsed_trap_frame() -> None:
    # pages/025.txt lines 24-29 (TRAP_FRAME of a forum post with runs of spaces collapsed)
    text = """\
ErrCode = 00000003
eax=00710600 ebx=00000100 ecx=00000000 edx=000001ff esi=00710054 edi=000001ff
eip=83f74359 esp=83a07ac8 ebp=83a07b14 iopl=0 nv up ei pl nz na pe nc
cs=0008 ss=0010 ds=0023 es=0023 fs=0030 gs=0000 efl=00010206
nt!ExAllocatePoolWithTag+0x34f:
83f74359 66894602 mov word ptr [esi+2],ax ds:0023:00710056=????"""
    rec, diags = _read(text, 24)
    assert diags == []
    assert rec.error_code == "0x3"
    assert rec.flags == ["nv", "up", "ei", "pl", "nz", "na", "pe", "nc"]
    assert rec.segments["gs"] == "0x0" and rec.registers["efl"] == "0x10206"
    assert rec.label == "nt!ExAllocatePoolWithTag+0x34f"


def test_wrapped_trap_rejoined_and_instruction_tail() -> None:
    # code/097.txt lines 2-11 after paste repair (lines 3-5 and 7-8 rejoined): the echoed
    # command, and an instruction wrapped inside its [...] operand
    lines = [
        Line(2, "!Trap bfbc7e94"),
        Line(
            3,
            "eax=00000000 ebx=f71ede10 ecx=001b997a edx=82297d70 esi=f71edd90 edi=f71edf08 eip=f71e9ec5 "
            "esp=bfbc7f08 ebp=bfbc7f18 iopl=0 nv up ei ng nz na pe cy",
        ),
        Line(6, "vip=0 vif=0"),
        Line(7, "cs=0008 ss=0010 ds=0023 es=0023 fs=0030 gs=0000 efl=00010283"),
        Line(9, "ErrCode = 00000000"),
        Line(10, "f71e9ec5 030d1c3c22f7 add ecx,[rdr!RdrFailedConnectTimeout"),
        Line(11, "(f7223c1c)]"),
    ]
    parsed = parse(lines)
    rec = parsed.record
    assert parsed.diagnostics == []
    assert rec.notes == ["!Trap bfbc7e94"]
    assert rec.registers["eip"] == "0xf71e9ec5" and rec.registers["efl"] == "0x10283"
    assert rec.flags[-1] == "cy"
    assert rec.instruction_text == "f71e9ec5 030d1c3c22f7 add ecx,[rdr!RdrFailedConnectTimeout (f7223c1c)]"


def test_label_glued_to_segment_line() -> None:
    # code/102.txt lines 37-40 (Dr. Watson-era dump, indented, the label after efl=)
    text = """\
   eax=00000000 ebx=00000000 ecx=0ce83040 edx=01450548 esi=0099fea0 edi=01450000
   eip=77f64cfe esp=0c09ff2c ebp=0c09ff44 iopl=0         nv up ei pl zr na po nc
   cs=001b  ss=0023  ds=0023  es=0023  fs=0038  gs=0000 efl=00010246 ntdll!RtlFreeHeap+0x168:
   77f64cfe 8908             mov     [eax],ecx  ds:0023:00000000=????????"""
    rec, diags = _read(text, 37)
    assert diags == []
    assert rec.registers["efl"] == "0x10246"
    assert rec.label == "ntdll!RtlFreeHeap+0x168"
    assert rec.instruction_text is not None and rec.instruction_text.startswith("77f64cfe 8908")


def test_exploit_rip_and_segment_offset_instruction() -> None:
    # issues/149.txt lines 1-7
    text = """\
rdx=0000000000000000 rsi=0000000000000000 rdi=0000000000000000
rip=4141414141414141 rsp=4141414141414141 rbp=4141414141414141
 r8=0000000000000000  r9=0000000000000000 r10=0000000000000000
r11=0000000000000000 r12=0000000000000000 r13=0000000000000000
r14=0000000000000000 r15=0000000000000000
iopl=0         nv up di pl zr na pe cy
4141:4141 ??              ???"""
    rec, diags = _read(text)
    assert diags == []
    assert rec.registers["rip"] == "0x4141414141414141"
    assert rec.instruction_text == "4141:4141 ??              ???"
    assert rec.flags[2] == "di"


def test_single_register_and_last_set_context() -> None:
    # issues/149.txt line 10 (`r cr4`); issues/100.txt lines 5-6 (`r rsp`)
    rec, diags = _read("cr4=0000000000350ef8", 10)
    assert (rec.registers, rec.arch, rec.line, diags) == ({"cr4": "0x350ef8"}, None, 10, [])
    rec, diags = _read("Last set context:\nrsp=fffff8800817d1c0", 5)
    assert rec.registers == {"rsp": "0xfffff8800817d1c0"} and rec.arch == "x64"
    assert rec.notes == ["Last set context:"] and diags == []


def test_unreadable_register_value_is_none() -> None:
    rec, diags = _read("eax=???????? ebx=00000001")
    assert rec.registers == {"eax": None, "ebx": "0x1"} and diags == []


def test_values_cut_by_the_end_of_the_paste() -> None:
    # issues/027.txt lines 24-25, issues/171.txt lines 27-28, pages/024.txt lines 45-46
    text = " r8=0000000000000000  r9=0000000000000000 r10=00000ffff8ad787a\n"
    text += "r11=0401000050000000 r12=000000000000000"
    rec, diags = _read(text, 24)
    assert "r12" not in rec.registers and rec.registers["r11"] == "0x401000050000000"
    assert [(d.line, d.message) for d in diags] == [
        (25, "r12=000000000000000 cut off at the end of the paste")
    ]
    rec, diags = _read("iopl=0         nv up ei ng nz na pe nc\ncs=00", 27)
    assert rec.segments == {} and [d.line for d in diags] == [28]
    rec, diags = _read("eax=00000000 ebx=e138efb8\neip=00000020 esp=ba991b0c eb", 45)
    assert rec.registers["esp"] == "0xba991b0c" and rec.flags == []
    assert [(d.line, d.message) for d in diags] == [(46, "'eb' cut off at the end of the paste")]


def test_second_dump_in_one_block() -> None:
    # code/110.txt lines 8-18: two runs' dumps joined by a blank line
    text = """\
eax=800fdf70 ebx=00000000 ecx=00000000 edx=00000000 esi=77527e70 edi=800fdf70
eip=775283dc esp=00b4f968 ebp=00b4f970 iopl=0         nv up ei ng nz ac pe nc
cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=00010296
GDI32!SetEnhMetaFileBits+0x1c:
775283dc 8b4230          mov     eax,dword ptr [edx+30h] ds:002b:00000030=????????

eax=800fdf70 ebx=00000000 ecx=00000000 edx=00ff8360 esi=77527e70 edi=800fdf70
eip=775283c0 esp=00d2f730 ebp=00d2f748 iopl=0         nv up ei pl zr na pe nc
cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=00000246
GDI32!SetEnhMetaFileBits:
775283c0 8bff            mov     edi,edi"""
    rec, diags = _read(text, 8)
    assert rec.registers["eip"] == "0x775283dc" and rec.label == "GDI32!SetEnhMetaFileBits+0x1c"
    assert [(d.line, d.message) for d in diags] == [(14, "a second register dump (lines 14-18) not read")]


def test_unknown_lines_become_diagnostics() -> None:
    # issues/079.txt lines 1-7: a note of the user's after the dump
    text = """\
eax=02caf000 ebx=02caf488 ecx=00000000 edx=00000002 esi=02caf494 edi=02caf490
eip=0031f9f0 esp=02caf02c ebp=02caf474 iopl=0         nv up ei pl zr na pe nc
cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b             efl=00000246
nw!v8::OutputStream::WriteHeapStatsChunk+0x292a0:
0031f9f0 cc              int     3
Calls:
[...]"""
    rec, diags = _read(text, 1)
    assert rec.instruction_text == "0031f9f0 cc              int     3"
    assert [d.line for d in diags] == [6, 7]


def test_empty_and_garbage() -> None:
    parsed = parse([])
    assert parsed.record == RegistersRecord() and parsed.diagnostics == []
    parsed = parse([Line(1, "\x00\x01 ::: )))"), Line(2, "f" * 5000), Line(3, "   ")])
    assert parsed.record.registers == {} and [d.line for d in parsed.diagnostics] == [1, 2]


def test_a_line_holding_a_newline_is_refused() -> None:
    parsed = parse([Line(1, "rax=1 nv\nrbx=2"), Line(2, "rcx=0000000000000003")])
    assert parsed.record.registers == {"rcx": "0x3"} and [d.line for d in parsed.diagnostics] == [1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=120), max_size=12))
def test_never_raises(texts: list[str]) -> None:
    parse([Line(i + 1, t) for i, t in enumerate(texts)])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [*SEED.split("\n"), "x28=", "eb", "iopl=3", "cs=00", "(f7223c1c)]", "a!b:", "=", "rax="]
        ),
        max_size=14,
    )
)
def test_never_raises_on_register_like_lines(texts: list[str]) -> None:
    parse([Line(i + 1, t) for i, t in enumerate(texts)])


def _corpus_lines() -> list[str]:
    files = list(CORPUS.glob("*/*.txt")) + (
        list(SHARED_CORPUS.rglob("*.txt")) if SHARED_CORPUS.is_dir() else []
    )
    texts = {
        t.strip() for path in files for t in path.read_text(encoding="utf-8", errors="replace").splitlines()
    }
    return sorted(t for t in texts if t)


def test_lines_read_without_lark_read_as_the_grammar_reads_them_on_the_corpus() -> None:
    """`classify` (whole-line terminal matches, flag lines included) agrees with lark."""
    flag_lines = 0
    for text in _corpus_lines():
        item = registers.classify(Line(1, text))
        if item is not None:
            assert item == registers._read_one(Line(1, text)), text
            flag_lines += any(what == "flags" for what, _, _ in item.values)
    assert flag_lines > 20


def test_flag_lines_are_read_without_lark() -> None:
    for text in (
        "iopl=0         nv up ei pl nz na po nc",
        "eip=77e9016d esp=0006fb94 ebp=0006fbb0 iopl=0         nv up ei pl zr na pe nc",
        "pc=00007ffea80e30f4  psr=60000000 -ZC- EL0",
    ):
        item = registers.classify(Line(1, text))
        assert item is not None and item == registers._read_one(Line(1, text)), text
    # a label may follow the flags: lark reads those
    assert registers.classify(Line(1, "iopl=0 nv up a!b+0x1:")) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789abcdefABCDEF`?", min_size=1, max_size=20))
def test_register_values_are_read_as_hex_str_reads_them(value: str) -> None:
    # the usual digits skip hex_str; the result must be the same
    record = parse([Line(1, f"rax={value} rbx=0000000000000001")]).record
    assert record.registers["rax"] == (None if value[0] == "?" else hex_str(value))


_REGISTER_PIECES = st.sampled_from([
    "eax=00000000", "eip=77e9016d", "iopl=0", "rax=fffffaf7072f96b0", "psr=60000000", "efl=00000246",
    "nv", "up", "ei", "pl", "zr", "na", "pe", "nc", "-ZC-", "EL0", "x", "ab=", "=", "a!b+0x1:", "cs=0023",
    "r8=?", "vip=0", "  ", "\t",
])  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_REGISTER_PIECES, min_size=1, max_size=8))
def test_lines_read_without_lark_agree_with_the_grammar(pieces: list[str]) -> None:
    """`classify` (register runs ending in flags included) agrees with lark on generated lines."""
    line = Line(1, " ".join(pieces).strip())
    if not line.text:
        return  # blank lines are never read
    item = registers.classify(line)
    if item is not None and item.kind != "bad":
        assert item == registers._read_one(line), line.text
