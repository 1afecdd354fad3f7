"""k-family stack parser, checked against real corpus snippets (file and first line named)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lark.exceptions import LarkError

from crashsift.model import Diagnostic, Line
from crashsift.parsers.grammar import load
from crashsift.parsers.stack import (
    StackRecord,
    _build,
    _column_frame,
    _Entry,
    _tokens,
    is_frame_line,
    is_stack_header,
    parse,
)

CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus"


def _block(text: str, first: int) -> list[Line]:
    """Lines of a snippet numbered from `first`, as segmentation hands them over."""
    return [Line(first + i, t) for i, t in enumerate(text.split("\n"))]


def _record(text: str, first: int) -> tuple[StackRecord, list[Diagnostic]]:
    parsed = parse(_block(text, first))
    return parsed.record, parsed.diagnostics


# seed/fltmgr-second-crash-k.txt lines 2-22
SEED_SECOND_CRASH = """\
Child-SP          RetAddr           Call Site
fffff880`06678208 fffff800`02afcb19 nt!KeBugCheckEx
fffff880`06678210 fffff800`02a7cfee nt! ?? ::FNODOBFM::`string'+0x40edb
fffff880`06678370 fffff800`02a624ae nt!KiPageFault+0x16e
fffff880`06678500 fffff880`010f6373 nt!RtlDeleteNoSplay+0x2a
fffff880`06678530 fffff880`010f2238 fltmgr!TreeUnlinkNoBalance+0x13
fffff880`06678560 fffff880`0111046f fltmgr!TreeUnlinkMulti+0x148
fffff880`066785b0 fffff880`01110dfe fltmgr!DeleteNameCacheNodes+0x9f
fffff880`066785f0 fffff880`011202af fltmgr!PurgeStreamNameCache+0x8e
fffff880`06678630 fffff880`01117a30 fltmgr!FltpPurgeVolumeNameCache+0x7f
fffff880`06678670 fffff880`01110d4b fltmgr! ?? ::NNGAKEGL::`string'+0x1a04
fffff880`066786b0 fffff880`010f306a fltmgr!FltpReinstateNameCachingAllFrames+0x4b
fffff880`066786e0 fffff800`02a81516 fltmgr!FltpPassThroughCompletion+0x8a
fffff880`06678720 fffff880`01250f30 nt!IopfCompleteRequest+0x3a6
fffff880`06678800 fffff880`012dadfa Ntfs!NtfsExtendedCompleteRequestInternal+0x110
fffff880`06678840 fffff880`01249e0c Ntfs!NtfsCommonSetInformation+0xef1
fffff880`06678920 fffff880`010f023f Ntfs!NtfsFsdSetInformation+0x11c
fffff880`066789a0 fffff880`010ee6df fltmgr!FltpLegacyProcessingAfterPreCallbacksCompleted+0x24f
fffff880`06678a30 fffff800`02d5f49d fltmgr!FltpDispatch+0xcf
fffff880`06678a90 fffff800`02a7e153 nt!NtSetInformationFile+0x909
fffff880`06678bb0 00000000`775f012a nt!KiSystemServiceCopyEnd+0x13"""


def test_seed_second_crash() -> None:
    record, diagnostics = _record(SEED_SECOND_CRASH, 2)
    assert diagnostics == []
    assert record.columns == ["child_sp", "ret_addr", "call_site"]
    assert len(record.frames) == 20
    first, second, last = record.frames[0], record.frames[1], record.frames[-1]
    assert (first.line, first.child_sp, first.ret_addr) == (3, "0xfffff88006678208", "0xfffff80002afcb19")
    assert (first.module, first.function, first.offset) == ("nt", "KeBugCheckEx", None)
    assert second.line == 4
    assert (second.module, second.function, second.offset) == ("nt", "?? ::FNODOBFM::`string'", "0x40edb")
    assert second.call_site == "nt! ?? ::FNODOBFM::`string'+0x40edb"
    assert (last.line, last.ret_addr, last.function, last.offset) == (
        22,
        "0x775f012a",
        "KiSystemServiceCopyEnd",
        "0x13",
    )
    assert all(f.index is None and f.args == [] for f in record.frames)


# seed/fltmgr-0x3b-session.txt lines 41-44: STACK_TEXT wrapped (repair normally joins it)
SEED_WRAPPED_STACK_TEXT = """\
fffff880`05f46330 fffff880`0106c460 : fffffa80`07a96920 fffffa80`07e5b550 fffffa80`07a96920
 00000000`00000000 : fltmgr!TreeUnlinkMulti+0x51
fffff880`05f46380 fffff880`0106cbe9 : fffff880`05f48000 00000000`00000002 00000000`00000000
00000000`00000000 : fltmgr!FltpPerformPreCallbacks+0x730"""


def test_stack_text_x64_wrapped_args_are_joined() -> None:
    record, diagnostics = _record(SEED_WRAPPED_STACK_TEXT, 41)
    assert diagnostics == []
    assert record.columns == ["child_sp", "ret_addr", "args", "call_site"]
    first, second = record.frames
    assert first.line == 41
    assert first.child_sp == "0xfffff88005f46330"
    assert first.args == ["0xfffffa8007a96920", "0xfffffa8007e5b550", "0xfffffa8007a96920", "0x0"]
    assert (first.module, first.function, first.offset) == ("fltmgr", "TreeUnlinkMulti", "0x51")
    assert (second.line, second.function, second.offset) == (43, "FltpPerformPreCallbacks", "0x730")


# issues/003.txt lines 1-3 (newer spacing: 5 spaces before the colon) and its cut last line 11
def test_stack_text_new_spacing_and_cut_off() -> None:
    text = (
        "STACK_TEXT:  \n"
        "ffff9302`588ef808 fffff800`70cfe1e5     : 00000000`000000f7 ffff9302`588f0c07 "
        "000009d3`c9bcc95a fffff62c`364336a5 : nt!KeBugCheckEx\n"
        "ffff9302`588ef810 fffff800`70bd71f2     : ffff9302`588ef8f8 ffff9302`588eff00 "
        "00000000`00000000 fffff800`6c27b180 : nt!_report_gsfailure+0x25"
    )
    record, diagnostics = _record(text, 1)
    assert diagnostics == [Diagnostic(1, "not a frame: STACK_TEXT:")]
    assert [f.function for f in record.frames] == ["KeBugCheckEx", "_report_gsfailure"]
    assert record.frames[0].args[0] == "0xf7"
    cut = "ffff9302`588f0780 fffff800`70800000     : fffff800`7090c538 fffff800`70800000 fffff800`708ee394"
    record, diagnostics = _record(cut, 11)
    assert diagnostics == [Diagnostic(11, f"frame cut off before its call site, left out: {cut}")]
    assert record.frames == []


# code/037.txt lines 36-40 (kb, x86) and lines 6-9 (NT4 FramePtr header)
def test_x86_kb_and_nt4_frameptr() -> None:
    text = """\
ChildEBP RetAddr  Args to Child
fe40ce54 80402e09 ff6c4000 ff63d000 03ff0000 NT!_RtlMoveMemory@12+0x3e
fe40ce68 80403c18 ffbc0c28 ff6ce008 ff6c4000 HAL!_HalpCopyBufferMap@20+0x49"""
    record, diagnostics = _record(text, 36)
    assert diagnostics == []
    assert record.columns == ["child_sp", "ret_addr", "args", "call_site"]
    frame = record.frames[0]
    assert (frame.line, frame.child_sp, frame.ret_addr) == (37, "0xfe40ce54", "0x80402e09")
    assert frame.args == ["0xff6c4000", "0xff63d000", "0x3ff0000"]
    assert (frame.module, frame.function, frame.offset) == ("NT", "_RtlMoveMemory@12", "0x3e")
    text = """\
FramePtr  RetAddr   Param1   Param2   Param3   Function Name
8013ed5c  801263ba  00000000 00000000 fe40cb00 NT!_DbgBreakPoint
8013eecc  8013313c  0000001e c0000005 8013cd0a NT!_KeBugCheckEx+0x194
00000000  00000000  00000000 00000000 00000000 NT!KiThreadStartup+0xe"""
    record, diagnostics = _record(text, 6)
    assert diagnostics == []
    assert record.columns == ["child_sp", "ret_addr", "args", "call_site"]
    assert record.frames[1].args == ["0x1e", "0xc0000005", "0x8013cd0a"]
    assert (record.frames[2].line, record.frames[2].child_sp) == (9, "0x0")


# pages/015.txt lines 2-15: kv with FPO data, a context line and an unwind warning
PAGES_015_KV = """\
  *** Stack trace for last set context - .thread/.cxr resets it
ChildEBP RetAddr  Args to Child
ba50b8c0 b9e390a8 000335e5 89bc65f4 000000fe nt!ObQueryNameString+0x9b (FPO: [Non-Fpo])
ba50b8e8 b9e2eb4e 000335e5 89bc65e0 00000144 fltmgr!FltpGetObjectName+0x24 (FPO: [2,1,4])
ba50b944 b9e2eddc 8609b718 8055ae90 89aff030 fltmgr!FltpEnumerateFileSystemVolumes+0x138 (FPO: [Non-Fpo])
ba50b998 b9e330eb 89aff030 ba50b9ac 89c4849c fltmgr!FltpAttachToFileSystemDevice+0x142 (FPO: [Non-Fpo])
ba50bac4 b9e334d4 89aff030 00000001 ba50baf0 fltmgr!FltpFsNotificationActual+0x47 (FPO: [2,70,4])
ba50bad4 80574908 89aff030 00000001 84dfe004 fltmgr!FltpFsNotification+0x1c (FPO: [2,0,0])
ba50baf0 b9e3413d 8a6f5850 b9e334b8 b9e2d8e0 nt!IoRegisterFsRegistrationChange+0xcc (FPO: [2,0,4])
ba50bb58 b9e3431e 861eabc8 861eabbc 862ecc08 fltmgr!FltpAttachFrame+0x121 (FPO: [Non-Fpo])
ba50bba4 b9e3b6e1 861eaba8 861eabc8 862ecc08 fltmgr!FltpFindFrameForFilter+0xa8 (FPO: [Non-Fpo])
ba50bc08 990cb284 862ecc08 990ce650 990ceb68 fltmgr!FltRegisterFilter+0x295 (FPO: [Non-Fpo])
WARNING: Stack unwind information not available. Following frames may be wrong.
ba50bc74 990c851f 862ecc08 e13cf65c ba50bd54 PROCMON13+0x3284"""


def test_kv_with_fpo_and_warnings() -> None:
    record, diagnostics = _record(PAGES_015_KV, 2)
    assert diagnostics == [
        Diagnostic(2, "*** Stack trace for last set context - .thread/.cxr resets it"),
        Diagnostic(14, "WARNING: Stack unwind information not available. Following frames may be wrong."),
    ]
    assert len(record.frames) == 11
    assert record.frames[1].notes == ["FPO: [2,1,4]"]
    assert record.frames[1].args == ["0x335e5", "0x89bc65e0", "0x144"]
    last = record.frames[-1]
    assert (last.line, last.module, last.function, last.offset) == (15, "PROCMON13", None, "0x3284")


# code/085.txt lines 14-19: kv with TrapFrame in the FPO note and a frame without call site
def test_kv_trapframe_and_missing_call_site() -> None:
    text = """\
ChildEBP RetAddr  Args to Child
8013ed5c 801263ba 00000000 00000000 e12ab000 NT!_DbgBreakPoint (FPO: [0,0,0])
8013eecc 801389ee 0000000a 00000000 0000001c NT!_KeBugCheckEx+0x194
8013eecc 00000000 0000000a 00000000 0000001c NT!_KiTrap0E+0x256 (FPO: [0,0] TrapFrame @ 8013eee8)
8013ed5c 801263ba 00000000 00000000 e12ab000
8013ef64 00000246 fe551aa1 ff690268 00000002 NT!_KeBugCheckEx+0x194"""
    record, diagnostics = _record(text, 14)
    assert diagnostics == [Diagnostic(18, "frame has no call site")]
    assert record.frames[0].notes == ["FPO: [0,0,0]"]
    assert record.frames[2].notes == ["FPO: [0,0] TrapFrame @ 8013eee8"]
    assert (record.frames[3].line, record.frames[3].call_site, record.frames[3].args[2]) == (
        18,
        "",
        "0xe12ab000",
    )


# code/094.txt lines 2-9: KB-article text hard-wrapped at 80 columns
def test_wrapped_kv_lines_are_joined() -> None:
    text = """\
ChildEBP RetAddr  Args to Child
fe4a36f4 80115c85 00000004 8046e768 00000118
ntkrnlmp!RtlpBreakWithStatusInstruction (FPO: [1,0,0])
fe4a386c 80134f2f 00000093 00000118 00000001
ntkrnlmp!KeBugCheckEx+0x1e7(FPO: [Non-Fpo]
fe4a3898 8013e6de 00000118 00000340 82f5bee0 ntkrnlmp!NtClose+0x1d5 (FPO:
[EBP 0xfe4a38a4] [1,1,4])
fe4a3898 8011a53b 00000118 00000340 82f5bee0 ntkrnlmp!KiSystemService+0xbe"""
    record, diagnostics = _record(text, 2)
    assert diagnostics == []
    assert [f.line for f in record.frames] == [3, 5, 7, 9]
    assert record.frames[0].function == "RtlpBreakWithStatusInstruction"
    assert record.frames[0].notes == ["FPO: [1,0,0]"]
    assert (record.frames[1].function, record.frames[1].notes) == ("KeBugCheckEx", ["FPO: [Non-Fpo]"])
    assert record.frames[2].notes == ["FPO: [EBP 0xfe4a38a4] [1,1,4]"]


# code/039.txt lines 46-49: kf with the frame-size column, frames elided by the author
def test_kf_frame_size() -> None:
    text = """\
...
02        40 ffffdc0e`9ee66850 fffff800`2b7f8801     dxgmms2!VidSchiMarkDeviceAsError+0x4d
..."""
    record, diagnostics = _record(text, 47)
    assert diagnostics == [
        Diagnostic(47, "frames elided by the paster: ..."),
        Diagnostic(49, "frames elided by the paster: ..."),
    ]
    assert record.columns == ["index", "frame_size", "child_sp", "ret_addr", "call_site"]
    frame = record.frames[0]
    assert (frame.line, frame.index, frame.child_sp, frame.ret_addr) == (
        48,
        2,
        "0xffffdc0e9ee66850",
        "0xfffff8002b7f8801",
    )
    assert frame.notes == ["frame size: 0x40"]


def test_kf_header_first_frame_without_size() -> None:
    text = """\
 # Memory  Child-SP          RetAddr           Call Site
00           fffff880`06678208 fffff800`02afcb19 nt!KeBugCheckEx
01         8 fffff880`06678210 fffff800`02a7cfee nt!KiPageFault+0x16e"""
    record, diagnostics = _record(text, 1)
    assert diagnostics == []
    assert record.columns == ["index", "frame_size", "child_sp", "ret_addr", "call_site"]
    assert (record.frames[0].index, record.frames[0].notes) == (0, [])
    assert (record.frames[1].index, record.frames[1].notes) == (1, ["frame size: 0x8"])


# issues/132.txt lines 2-14: kn (header with trailing spaces), relative source paths, cut mid-path
ISSUES_132_KN = """\
 # ChildEBP RetAddr  \n\
00 24c47c68 71e92f5c ntdll!NtRaiseHardError+0x12
01 24c47cac 71e7ca8b dynamorio!nt_messagebox+0x7c [dynamorio\\core\\win32\\ntdll.c @ 3296]
02 24c48cf4 1011eb4c dynamorio!dr_messagebox+0x8b [dynamorio\\core\\x86\\instrument.c @ 3134]
03 24c48d00 1011eb93 drmemorylib!wait_for_user+0xc [common\\utils.c @ 82]
04 24c48d4c 100e7fcd drmemorylib!drmemory_abort+0x33 [common\\utils.c @ 110]
05 24c48e30 1001cfa2 drmemorylib!check_unaddressable_exceptions+0xc3d [drmemory\\alloc_drmem.c @ 1933]
06 24c490e8 1001b618 drmemorylib!handle_mem_ref+0x1612 [drmemory\\readwrite.c @ 2921]
07 24c49240 1000e0d4 drmemorylib!check_mem_opnd+0x18d8 [drmemory\\readwrite.c @ 2833]
08 24c49324 1000fcda drmemorylib!slow_path_without_uninitialized+0x424 [drmemory\\readwrite.c @ 1661]
09 24c4980c 100398e4 drmemorylib!slow_path_with_mc+0x195a [drmemory\\readwrite.c @ 1853]
0a 24c498b0 10035e4f drmemorylib!handle_slowpath_fault+0x284 [drmemory\\fastpath.c @ 3434]
0b 24c498cc 10008620 drmemorylib!event_exception_instrument+0x10f [drmemo"""


def test_kn_with_header_source_and_cut_off() -> None:
    record, diagnostics = _record(ISSUES_132_KN, 2)
    assert record.columns == ["index", "child_sp", "ret_addr", "call_site"]
    assert diagnostics == [Diagnostic(14, "frame cut off")]
    assert len(record.frames) == 12
    frame = record.frames[10]
    assert (frame.line, frame.index, frame.child_sp) == (13, 0x0A, "0x24c498b0")
    assert (frame.source_file, frame.source_line) == ("drmemory\\fastpath.c", 3434)
    last = record.frames[-1]
    assert (last.index, last.function, last.offset, last.source_file) == (
        0x0B,
        "event_exception_instrument",
        "0x10f",
        None,
    )


# issues/180.txt lines 1-3 and 16: copied WinDbgX Stack window (ARM64), cut after "[0xf]"
def test_stack_window() -> None:
    text = (
        "[0x0]   nt!KeBugCheck2+0x154   0xfffffa8e029adcc0   0xfffff8003e9e4668   \n"
        "[0x1]   nt!PspSystemThreadStartup$filt$0+0x98   0xfffffa8e029ae270   0xfffff8003e808ad8   \n"
        "[0x2]   nt!_C_ExecuteExceptionFilter+0x38   0xfffffa8e029ae280   0xfffff8003e9b9614   "
    )
    record, diagnostics = _record(text, 1)
    assert diagnostics == []
    assert record.columns == ["index", "call_site", "child_sp", "ret_addr"]
    frame = record.frames[1]
    assert (frame.index, frame.child_sp, frame.ret_addr) == (1, "0xfffffa8e029ae270", "0xfffff8003e808ad8")
    assert (frame.function, frame.offset, frame.call_site) == (
        "PspSystemThreadStartup$filt$0",
        "0x98",
        "nt!PspSystemThreadStartup$filt$0+0x98",
    )
    record, diagnostics = _record(
        "[0xe]   nt!KiSynchronousException+0x66c   0xfffffa8e029afec0   0xfffff8003e80305c   \n[0xf]", 15
    )
    assert diagnostics == [Diagnostic(16, "frame cut off before its call site, left out: [0xf]")]
    assert [f.index for f in record.frames] == [14]


# issues/058.txt lines 11-14: ARM64 k
def test_arm64_k() -> None:
    text = """\
 # Child-SP          RetAddr               Call Site
00 fffff285`d20a76d0 fffff803`ba5abeb4     nt!KeBugCheck2+0x1dc
01 fffff285`d20a7cb0 fffff803`ba20e538     nt!PspSystemThreadStartup$filt$0+0x58
02 fffff285`d20a7cc0 fffff803`ba40b58c     nt!_C_ExecuteExceptionFilter+0x38"""
    record, diagnostics = _record(text, 11)
    assert diagnostics == []
    assert [(f.line, f.index, f.function) for f in record.frames] == [
        (12, 0, "KeBugCheck2"),
        (13, 1, "PspSystemThreadStartup$filt$0"),
        (14, 2, "_C_ExecuteExceptionFilter"),
    ]


# issues/059.txt lines 10-11: ARM64 STACK_TEXT
def test_arm64_stack_text() -> None:
    text = (
        "fffffa8e`029adcc0 fffff800`3e9e4668     : 00630034`00390000 00340038`00640030 "
        "fffffa8e`029b0d30 fffff800`3e9e4668 : nt!KeBugCheck2+0x154\n"
        "fffffa8e`029ae270 fffff800`3e808ad8     : fffffa8e`029ae2d0 fffff800`3e808ad8 "
        "00000000`00000000 fffff800`3eb25de0 : nt!PspSystemThreadStartup$filt$0+0x98"
    )
    record, diagnostics = _record(text, 10)
    assert diagnostics == []
    assert record.frames[0].args == [
        "0x63003400390000",
        "0x34003800640030",
        "0xfffffa8e029b0d30",
        "0xfffff8003e9e4668",
    ]
    assert (record.frames[1].line, record.frames[1].offset) == (11, "0x98")


# code/074.txt lines 397-401: !mex.t with a Source column (no brackets, no backticks)
def test_mex_stack() -> None:
    text = """\
# Child-SP         Return           Call Site                                  Source
0 ffffae03936f7258 fffff80344a2bfa9 nt!KeBugCheckEx
1 ffffae03936f7260 fffff80344a27634 nt!KiBugCheckDispatch+0x69
2 ffffae03936f73a0 fffff803712e5000 nt!KiPageFault+0x474
3 ffffae03936f7538 fffff803712e1075 TestDriver!AccessPageableMemory            \
C:\\Users\\User\\source\\repos\\TestDriver\\TestDriver\\Driver.c @ 11"""
    record, diagnostics = _record(text, 397)
    assert diagnostics == []
    assert record.columns == ["index", "child_sp", "ret_addr", "call_site", "source"]
    frame = record.frames[3]
    assert (frame.line, frame.index, frame.child_sp) == (401, 3, "0xffffae03936f7538")
    assert (frame.function, frame.source_line) == ("AccessPageableMemory", 11)
    assert frame.source_file == "C:\\Users\\User\\source\\repos\\TestDriver\\TestDriver\\Driver.c"


# code/056.txt lines 148-159: x64 k with source lines and an inline frame, under a context notice
def test_x64_inline_function_row() -> None:
    text = """\
  *** Stack trace for last set context - .thread/.cxr resets it
 # Child-SP          RetAddr               Call Site
08 000000b0`106ffd10 00007ff6`4a041490     MemoryIssue!main+0x19f \
[C:\\Users\\User\\source\\repos\\MemoryIssue\\MemoryIssue\\MemoryIssue.c @ 79]
09 (Inline Function) --------`--------     MemoryIssue!invoke_main+0x22 \
[D:\\a\\_work\\1\\s\\src\\vctools\\crt\\vcstartup\\src\\startup\\exe_common.inl @ 78]
0a 000000b0`106ffd90 00007ff8`744a26ad     MemoryIssue!__scrt_common_main_seh+0x10c \
[D:\\a\\_work\\1\\s\\src\\vctools\\crt\\vcstartup\\src\\startup\\exe_common.inl @ 288]"""
    record, diagnostics = _record(text, 149)
    assert diagnostics == [Diagnostic(149, "*** Stack trace for last set context - .thread/.cxr resets it")]
    main, inline, seh = record.frames
    assert (main.index, main.source_line, main.inline) == (8, 79, False)
    assert (inline.line, inline.index, inline.inline, inline.child_sp, inline.ret_addr) == (
        152,
        9,
        True,
        None,
        None,
    )
    assert (inline.function, inline.offset, inline.source_line) == ("invoke_main", "0x22", 78)
    assert seh.index == 0x0A


# code/111.txt lines 25-30: x86 kv with an inline row of dashes, FPO and CONV notes, source
def test_x86_kv_inline_row() -> None:
    text = """\
 # ChildEBP RetAddr  Args to Child
00 00d7f79c 774feed1 02af1020 00fd8fe8 41414141 ntdll!memcpy+0x213
01 00d7f7d4 775283f7 00000000 00000000 00000000 GDI32!pmfAllocMF+0x36197
02 00d7f7f8 009c10d8 800fdf70 00fd8fe8 00fd3fb8 GDI32!SetEnhMetaFileBits+0x37 (FPO: [2,0,0])
03 00d7f814 009c12cb 6b4610c4 00fd3fb8 00fd5108 SetEnhMetaFileBits!main+0x98 (FPO: [Non-Fpo]) \
(CONV: cdecl) [c:\\users\\user\\desktop\\harness\\gdi32.dll\\setenhmetafilebits\\setenhmetafilebits\\\
setenhmetafilebits.cpp @ 31]
04 (Inline) -------- -------- -------- -------- SetEnhMetaFileBits!invoke_main+0x1c \
(Inline Function @ 009c12cb) (CONV: cdecl) \
[d:\\agent\\_work\\3\\s\\src\\vctools\\crt\\vcstartup\\src\\startup\\exe_common.inl @ 78]"""
    record, diagnostics = _record(text, 25)
    assert diagnostics == []
    assert record.columns == ["index", "child_sp", "ret_addr", "args", "call_site"]
    main, inline = record.frames[3], record.frames[4]
    assert main.args == ["0x6b4610c4", "0xfd3fb8", "0xfd5108"]
    assert main.notes == ["FPO: [Non-Fpo]", "CONV: cdecl"]
    assert main.source_line == 31
    assert (inline.line, inline.index, inline.inline, inline.args, inline.child_sp) == (30, 4, True, [], None)
    assert inline.notes == ["Inline Function @ 009c12cb", "CONV: cdecl"]


# code/116.txt lines 135-137: x86 STACK_TEXT with 5 spaces and an (Inline) row
def test_x86_stack_text_inline_row() -> None:
    text = """\
0019ff04 00401223     00000011 058f0f70 00000000 FreeImaged!FreeImage_LoadU+0x56
(Inline) --------     -------- -------- -------- Freeimage_test!FreeImage_test+0x13
0019ff2c 00401865     00000002 058ecf58 057a9ef0 Freeimage_test!main+0x1d3"""
    record, diagnostics = _record(text, 135)
    assert diagnostics == []
    assert [f.inline for f in record.frames] == [False, True, False]
    assert record.frames[1].function == "FreeImage_test"
    assert record.frames[2].args == ["0x2", "0x58ecf58", "0x57a9ef0"]


# code/034.txt line 65: x86 k inline row with a single dash column
def test_x86_k_inline_single_dashes() -> None:
    record, diagnostics = _record("05 (Inline) -------- dxgmms1!VidSchiRun_PriorityTable+0xfa71", 65)
    assert diagnostics == []
    frame = record.frames[0]
    assert (frame.index, frame.inline, frame.function, frame.offset) == (
        5,
        True,
        "VidSchiRun_PriorityTable",
        "0xfa71",
    )


# code/023.txt lines 62-69: STACK_TEXT hard-wrapped mid-symbol (repair normally joins it)
def test_call_site_wrapped_mid_token() -> None:
    text = """\
002df908 00fd1b5d 002df924 766b7c04 7f956000 ConsoleApplication2!__tmainCRTStart
up+0x199
002df910 766b7c04 7f956000 766b7be0 70f6b3dc ConsoleApplication2!wmainCRTStartup
+0xd
002df924 770bad1f 7f956000 719abd8a 00000000 KERNEL32!BaseThreadInitThunk+0x24
002df96c 770bacea ffffffff 770a024a 00000000 ntdll_77060000!__RtlUserThreadStart
+0x2f
002df97c 00000000 00fd1078 7f956000 00000000 ntdll_77060000!_RtlUserThreadStart+
0x1b"""
    record, diagnostics = _record(text, 62)
    assert diagnostics == []
    assert [(f.line, f.function, f.offset) for f in record.frames] == [
        (62, "__tmainCRTStartup", "0x199"),
        (64, "wmainCRTStartup", "0xd"),
        (66, "BaseThreadInitThunk", "0x24"),
        (67, "__RtlUserThreadStart", "0x2f"),
        (69, "_RtlUserThreadStart", "0x1b"),
    ]


# issues/019.txt lines 1-8: x86 STACK_TEXT with source, an interleaved warning
def test_x86_stack_text_with_source_and_warning() -> None:
    text = """\
STACK_TEXT:
f793e0ec 80545357 f793e114 00000000 f793e234 nt!KiDispatchException+0x25 \
[c:\\ros\\reactos\\ntoskrnl\\ke\\i386\\exp.c @ 845]
f793e22c cccccccc f793e2c8 cccccccc badb0d00 nt!KiTrap0E+0x8f
WARNING: Frame IP not in any known module. Following frames may be wrong.
f793e2a4 80560d5c f793e754 f7940400 f793e444 0xcccccccc"""
    record, diagnostics = _record(text, 1)
    assert diagnostics == [
        Diagnostic(1, "not a frame: STACK_TEXT:"),
        Diagnostic(4, "WARNING: Frame IP not in any known module. Following frames may be wrong."),
    ]
    first, _, raw = record.frames
    assert (first.source_file, first.source_line) == ("c:\\ros\\reactos\\ntoskrnl\\ke\\i386\\exp.c", 845)
    assert (raw.line, raw.address, raw.module, raw.function) == (5, "0xcccccccc", None, None)


# code/053.txt lines 25-27 and issues/172.txt: '# RetAddr : Args to Child' without Child-SP
def test_retaddr_only_kb() -> None:
    text = (
        "# RetAddr           : Args to Child                                                           "
        ": Call Site\n"
        "00 fffff800`7a0fa607 : ffffe001`d1182000 ffffe001`d4776d20 ffffe001`d4776bc8 ffffe001`00000000 "
        ": tabletaudiosample!CMiniportWaveRT::NewStream+0x1dc "
        "[c:\\data1\\threshold\\audio\\endpointscommon\\minwavert.cpp @ 597]\n"
        "01 fffff800`7a0fb2c3 : 00000000`00000000 ffffe001`d122bb10 ffffe001`ceb81750 ffffe001`d173f058 "
        ": portcls!CPortPinWaveRT::Init+0x2e7"
    )
    record, diagnostics = _record(text, 25)
    assert diagnostics == []
    assert record.columns == ["index", "ret_addr", "args", "call_site"]
    frame = record.frames[0]
    assert (frame.line, frame.index, frame.child_sp, frame.ret_addr) == (26, 0, None, "0xfffff8007a0fa607")
    assert frame.function == "CMiniportWaveRT::NewStream"
    assert frame.source_line == 597
    assert record.frames[1].args[0] == "0x0"


# issues/101.txt lines 1-2 and 12: Child-SP and RetAddr columns stripped by the user
def test_columns_stripped() -> None:
    text = (
        ": 00000000`000000c2 00000000`0000000d ffffe308`6e999730 00000000`fffff807 : nt!KeBugCheckEx+0x107\n"
        ": ffffe308`6e999720 00000000`fffff807 00000000`000004c0 00000000`00000001 : "
        "nt!ExReturnPoolQuota+0x222647"
    )
    record, diagnostics = _record(text, 1)
    assert diagnostics == []
    assert record.columns == ["args", "call_site"]
    assert record.frames[0].args == ["0xc2", "0xd", "0xffffe3086e999730", "0xfffff807"]
    assert record.frames[1].function == "ExReturnPoolQuota"
    record, diagnostics = _record(": ffffe308`6b7ddca0 f", 12)
    assert diagnostics == [
        Diagnostic(12, "frame cut off before its call site, left out: : ffffe308`6b7ddca0 f")
    ]
    assert record.frames == []


# code/040.txt lines 66-67 and code/049.txt lines 18-19: elided STACK_TEXT
def test_elided_stack_text() -> None:
    record, diagnostics = _record(
        "... : nt!DbgBreakPointWithStatus ...\n... : nt!KiBugCheckDebugBreak+0x12 ...", 66
    )
    assert diagnostics == []
    assert record.columns == ["call_site"]
    frame = record.frames[1]
    assert (frame.line, frame.function, frame.offset) == (67, "KiBugCheckDebugBreak", "0x12")
    assert frame.notes == ["columns elided", "text elided"]
    text = """\
    00000063`2036f7e0 00007ff6`3be110b8 : ... : MyApp!MyFunction+0x44
    00000063`2036f800 00007ff6`3be1141d : ... : MyApp!main+0x38"""
    record, diagnostics = _record(text, 18)
    assert diagnostics == []
    assert record.frames[0].args == []
    assert record.frames[0].notes == ["args elided"]
    assert (record.frames[0].child_sp, record.frames[0].function) == ("0x632036f7e0", "MyFunction")


# code/098.txt lines 3-10: error text glued to the !kb header, wrapped frames
def test_glued_header_and_wrapped_call_sites() -> None:
    text = """\
dumpChildEBP Ret
f68f4bb8 801545da eb7363d8 ba1a4e08 00007000 ntkrnlmp!ExpCopyProcessInfo+0x11
f68f4c38 8015b5d1 00161008 00007000 f68f4ec8
ntkrnlmp!ExpGetProcessInformation+0x156
f68f4eec 80140be9 00000005 00161008 00007000
ntkrnlmp!NtQuerySystemInformation+0x725
f68f4eec 0012fab0 00000005 00161008 00007000 ntkrnlmp!KiSystemService+0xc9
f68f4bac b7d16fec eb7363d8 b7d16e58 801545da +0x12fab0"""
    record, diagnostics = _record(text, 3)
    assert diagnostics == [Diagnostic(3, "text before stack header: dump")]
    assert [f.line for f in record.frames] == [4, 5, 7, 9, 10]
    assert record.frames[1].function == "ExpGetProcessInformation"
    assert record.frames[1].args == ["0x161008", "0x7000", "0xf68f4ec8"]
    assert (record.frames[4].module, record.frames[4].offset) == (None, "0x12fab0")


# issues/140.txt lines 10-17: kP parameters spilling over lines
def test_kp_parameters_spill_over_lines() -> None:
    text = """\
ChildEBP RetAddr
0015fce4 010e1415 test1!Add(
            int a = 0n18,
            int b = 0n52,
            int c = 0n86,
            int d = 0n120,
            int e = 0n154,
            int f = 0n188)+0x1e [f:\\test1\\test1\\test1.cpp @ 7]"""
    record, diagnostics = _record(text, 10)
    assert diagnostics == []
    (frame,) = record.frames
    assert (frame.line, frame.module, frame.function, frame.offset) == (11, "test1", "Add", "0x1e")
    assert frame.notes == [
        "params: int a = 0n18, int b = 0n52, int c = 0n86, int d = 0n120, int e = 0n154, int f = 0n188"
    ]
    assert (frame.source_file, frame.source_line) == ("f:\\test1\\test1\\test1.cpp", 7)


# pages/013.txt lines 14-17: kPL cut inside a string parameter
def test_kp_cut_inside_parameters() -> None:
    text = """\
0b 000000e4`c0aff948 00007ff6`c8ab1568 KERNELBASE!wil::details::DebugBreak+0x2
0c 000000e4`c0aff950 00007ff6`c8ab1560 FrameTrace!foo(
unsigned int64 num = 0,
class std::basic_string<wchar_t> > * str = 0x000000e4`c0aff9d0 "Hello World! Hell"""
    record, diagnostics = _record(text, 14)
    assert diagnostics == [Diagnostic(15, "frame cut off")]
    assert len(record.frames) == 2
    assert (record.frames[1].index, record.frames[1].function) == (12, "foo")


# issues/145.txt lines 7-20: interleaved 'Unable to read dynamic function table entries', cut frame
def test_interleaved_messages_and_cut_frame() -> None:
    text = """\
 # Child-SP          RetAddr           Call Site
02 000000ad`0863db50 00007ffe`08f8f64f coreclr!ResolveWorkerAsmStub+0x6d
Unable to read dynamic function table entries
03 000000ad`0863dc00 000001df`bb0f0078 0x00007ffe`08f8f64f
06 000000ad`0"""
    record, diagnostics = _record(text, 7)
    assert diagnostics == [
        Diagnostic(9, "Unable to read dynamic function table entries"),
        Diagnostic(11, "frame cut off before its call site, left out: 06 000000ad`0"),
    ]
    assert [f.index for f in record.frames] == [2, 3]
    assert record.frames[1].address == "0x7ffe08f8f64f"


# pages/017.txt lines 3-26: kc, a 0x0 frame, a warning and the author's <snip…>
def test_kc_bare_frames() -> None:
    text = """\
ntdll!ZwRaiseException
ntdll!KiUserExceptionDispatcher
WARNING: Frame IP not in any known module. Following frames may be wrong.
0x0
mfc90ud!_AfxDispatchCmdMsg
mfc90ud!CCmdTarget::OnCmdMsg
<snip…>
"""
    record, diagnostics = _record(text, 3)
    assert diagnostics == [
        Diagnostic(5, "WARNING: Frame IP not in any known module. Following frames may be wrong."),
        Diagnostic(9, "frames elided by the paster: <snip…>"),
    ]
    assert record.columns == ["call_site"]
    assert [f.line for f in record.frames] == [3, 4, 6, 7, 8]
    assert record.frames[2].address == "0x0"
    assert (record.frames[4].module, record.frames[4].function) == ("mfc90ud", "CCmdTarget::OnCmdMsg")


# code/062.txt lines 160-187: !mex.us, unique stacks grouped by thread, the paster's --> comments
MEX_US = """\
1 thread [stats]: 0
    00007ff893fad3f4 ntdll!NtDelayExecution+0x14 --> Delaying or sleeping the execution of the thread
    00007ff89199967e KERNELBASE!SleepEx+0x9e
    000000000040305f beacon+0x305f
    0000000000000001 0x1

1 thread [stats]: 2
    00007ff893facdf4 ntdll!NtWaitForSingleObject+0x14
    00007ff891971a8e KERNELBASE!WaitForSingleObjectEx+0x8e
    00007ff87eeaf4b8 wininet!CPendingSyncCall::HandlePendingSync_AppHangIsAppBug\
ForCallingWinInetSyncOnUIThread+0xe0
    00007ff87eeaa10f wininet!INTERNET_HANDLE_OBJECT::HandlePendingSync+0x33
    00007ff87ee50a7e wininet!HttpWrapSendRequest+0xa476e
    00007ff87ee20ff5 wininet!InternalHttpSendRequestA+0x5d
    00007ff87ee20f68 wininet!HttpSendRequestA+0x58 --> Windows API call to send an HTTP request
    000000000065e526 0x65e526
    0000000000cc000c 0xcc000c --> Likely custom or obfuscated addresses in the implant
    0000000000c2f9a0 0xc2f9a0

1 thread [stats]: 10
    0000000000000000 0x0 --> Thread with an empty call stack

8 threads [stats]: 1 3 4 5 6 7 8 9
    00007ff893fb07c4 ntdll!NtWaitForWorkViaWorkerFactory+0x14
    00007ff893f62dc7 ntdll!TppWorkerThread+0x2f7
    00007ff893be7034 kernel32!BaseThreadInitThunk+0x14
    00007ff893f62651 ntdll!RtlUserThreadStart+0x21

4 stack(s) with 11 threads displayed (11 Total threads)"""


def test_mex_unique_stacks() -> None:
    record, diagnostics = _record(MEX_US, 160)
    assert record.columns == ["address", "call_site"]
    assert [f.line for f in record.frames] == [*range(161, 165), *range(167, 177), 179, *range(182, 186)]
    first = record.frames[0]
    assert (first.address, first.module, first.function, first.offset) == (
        "0x7ff893fad3f4",
        "ntdll",
        "NtDelayExecution",
        "0x14",
    )
    assert first.notes == ["Delaying or sleeping the execution of the thread"]
    assert (first.child_sp, first.ret_addr, first.index) == (None, None, None)
    beacon, bare = record.frames[2], record.frames[3]
    assert (beacon.address, beacon.module, beacon.function, beacon.offset) == (
        "0x40305f",
        "beacon",
        None,
        "0x305f",
    )
    assert (bare.address, bare.module, bare.call_site, bare.notes) == ("0x1", None, "0x1", [])
    send = record.frames[10]
    assert (send.line, send.address, send.function) == (173, "0x7ff87ee20f68", "HttpSendRequestA")
    assert send.notes == ["Windows API call to send an HTTP request"]
    implant = record.frames[12]
    assert (implant.line, implant.address, implant.module) == (175, "0xcc000c", None)
    assert implant.notes == ["Likely custom or obfuscated addresses in the implant"]
    empty = record.frames[14]
    assert (empty.line, empty.address, empty.notes) == (179, "0x0", ["Thread with an empty call stack"])
    last = record.frames[-1]
    assert (last.address, last.module, last.function, last.offset) == (
        "0x7ff893f62651",
        "ntdll",
        "RtlUserThreadStart",
        "0x21",
    )
    assert [d for d in diagnostics if d.message != "blank line inside the stack"] == [
        Diagnostic(160, "thread group: 1 thread [stats]: 0"),
        Diagnostic(166, "thread group: 1 thread [stats]: 2"),
        Diagnostic(178, "thread group: 1 thread [stats]: 10"),
        Diagnostic(181, "thread group: 8 threads [stats]: 1 3 4 5 6 7 8 9"),
        Diagnostic(187, "not a frame: 4 stack(s) with 11 threads displayed (11 Total threads)"),
    ]


def test_mex_rows_need_a_thread_group() -> None:
    # Without a `[stats]` line a lone column and a call site is not read as a !mex.us row.
    record, diagnostics = _record("    00007ff89199967e KERNELBASE!SleepEx+0x9e", 1)
    assert record.frames == []
    assert diagnostics == [Diagnostic(1, "not a frame: 00007ff89199967e KERNELBASE!SleepEx+0x9e")]


def test_blank_lines_between_frames() -> None:
    # issues/140.txt-style blank line inside a block; leading and trailing blanks are not reported
    text = "\nChildEBP RetAddr\n0015fce4 010e1415 test1!Add+0x1e\n\n0015fcf0 010e1500 test1!main+0x2\n"
    record, diagnostics = _record(text, 1)
    assert diagnostics == [Diagnostic(4, "blank line inside the stack")]
    assert [f.line for f in record.frames] == [3, 5]


def test_empty_and_garbage_input() -> None:
    assert parse([]).record == StackRecord(columns=[], frames=[])
    assert parse([Line(1, "")]).diagnostics == []
    parsed = parse([Line(7, "hello world"), Line(8, "0: kd> k"), Line(9, "\x00\x1b[31m")])
    assert parsed.record.frames == []
    assert [d.line for d in parsed.diagnostics] == [7, 8, 9]


@pytest.mark.parametrize(
    "text",
    [
        "Child-SP          RetAddr           Call Site",
        " # ChildEBP RetAddr  Args to Child              ",
        "# RetAddr           : Args to Child                                                   : Call Site",
        "FramePtr  RetAddr   Param1   Param2   Param3   Function Name ",
        "   FramePtr ReturnAd Param#1  Param#2  Param#3  Param#4  Function Name",
        "# Child-SP         Return           Call Site                                  Source",
        " # Memory  Child-SP          RetAddr           Call Site",
        "dumpChildEBP Ret",
        "Child-SP          RetAddr           : Args to Child                                  : Call Site",
    ],
)
def test_is_stack_header(text: str) -> None:
    assert is_stack_header(text)


@pytest.mark.parametrize(
    "text", ["STACK_TEXT:", "0: kd> k", "The RetAddr column shows", "Child-SP is the stack pointer"]
)
def test_is_not_stack_header(text: str) -> None:
    assert not is_stack_header(text)


@pytest.mark.parametrize(
    "text",
    [
        "fffff880`06678208 fffff800`02afcb19 nt!KeBugCheckEx",
        "00 fffff800`7a0fa607 : ffffe001`d1182000 ffffe001`d4776d20 : x!y",
        "a7d6f9c4 8054b0e9 00000000 00000000 00000000 nt!KeBugCheckEx+0x1b",
        "09 (Inline Function) --------`--------     MemoryIssue!invoke_main+0x22",
        "[0x0]   nt!KeBugCheck2+0x154   0xfffffa8e029adcc0   0xfffff8003e9e4668",
        "... : nt!KiBugCheckDebugBreak+0x12 ...",
        "0 ffffae03936f7258 fffff80344a2bfa9 nt!KeBugCheckEx",
        "02        40 ffffdc0e`9ee66850 fffff800`2b7f8801     dxgmms2!VidSchiMarkDeviceAsError+0x4d",
        "ntdll!ZwRaiseException",
        "wslhost+0xa0df4",
    ],
)
def test_is_frame_line(text: str) -> None:
    assert is_frame_line(text)


@pytest.mark.parametrize(
    "text",
    [
        "STACK_TEXT:",
        "fffff800`02c690f9 eba0            jmp     nt!ExDeleteResourceLite+0x13b (fffff800`02c6909b)",
        "nt!KiPageFault+0x16e:",
        "WARNING: Frame IP not in any known module. Following frames may be wrong.",
        "Probably caused by : fltmgr.sys ( fltmgr!TreeUnlinkMulti+51 )",
        "",
    ],
)
def test_is_not_frame_line(text: str) -> None:
    assert not is_frame_line(text)


def test_grammar_is_conflict_free() -> None:
    pytest.importorskip("interegular")  # lark's strict mode checks terminal collisions with it
    load("stack", strict=True)


_LINE_TEXT = st.text(alphabet=st.sampled_from(list("0123456789abcdef`:!+[]()@# .-\tx<>_nt\n")), max_size=80)


@given(st.lists(st.tuples(st.integers(min_value=1, max_value=10**6), _LINE_TEXT), max_size=12))
def test_parse_never_raises(raw: list[tuple[int, str]]) -> None:
    parsed = parse([Line(no, text) for no, text in raw])
    assert all(f.line in {no for no, _ in raw} for f in parsed.record.frames)


@given(st.lists(st.text(max_size=60), max_size=8))
def test_parse_never_raises_on_any_text(texts: list[str]) -> None:
    parse([Line(i + 1, t) for i, t in enumerate(texts)])


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
def test_every_corpus_frame_line_parses() -> None:
    count = 0
    for path in sorted(CORPUS.rglob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        block = [Line(no, t) for no, t in enumerate(text.splitlines(), 1) if is_frame_line(t)]
        for line in block:
            parsed = parse([line])
            assert len(parsed.record.frames) <= 1
            count += len(parsed.record.frames)
        parse(block)
    assert count > 2000


def _fast_and_grammar_tokens(text: str) -> tuple[object, object]:
    """The tokens `_column_frame` reads from a frame's text (None when it does not match) and
    the ones the grammar reads (None when it refuses the text), in `_build`'s form."""
    match = _column_frame().fullmatch(f"{text}\n")
    fast = None if match is None else ([], {k: v for k, v in match.groupdict().items() if v is not None})
    try:
        tree = load("stack").parse(f"{text}\n").children[0]
    except LarkError:
        return fast, None
    return fast, _tokens(tree)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not present")
def test_column_frame_regex_reads_every_corpus_frame_like_the_grammar() -> None:
    """The fast path gives the grammar's tokens and the same frame on every frame line of the
    corpus, and takes every line the grammar reads as a frame starting with columns."""
    fast_count = 0
    for path in sorted(CORPUS.rglob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        for no, line in enumerate(text.splitlines(), 1):
            if not is_frame_line(line):
                continue
            entry = _Entry(no, line.strip())
            fast, grammar = _fast_and_grammar_tokens(entry.text)
            if fast is None:
                assert grammar is None or "COLS" not in grammar[1], line
                continue
            fast_count += 1
            assert fast == grammar, line
            for header in (None, frozenset({"child_sp", "ret_addr", "call_site"}), frozenset({"ret_addr"})):
                assert _build(*fast, entry, header, False, []) == _build(*grammar, entry, header, False, [])
    assert fast_count > 2000


_FRAME_PIECE = st.one_of(
    st.from_regex(r"[0-9a-fA-F]{1,4}|[0-9a-fA-F]{8}(`?[0-9a-fA-F]{8})?", fullmatch=True),
    st.sampled_from([":", "...", "--------", "--------`--------", "(Inline Function)", "[0x1]", "nt!Foo"]),
    _LINE_TEXT,
)
# Frame-like text: hex words of every width, colons, elisions, dashes, sites, noise, blanks.
_FRAME_TEXT = st.lists(st.tuples(_FRAME_PIECE, st.sampled_from([" ", "  ", "\t", ""])), max_size=8).map(
    lambda pieces: "".join(p + sep for p, sep in pieces).replace("\n", " ").strip()
)


@given(_FRAME_TEXT)
def test_column_frame_regex_matches_only_what_the_grammar_reads_alike(text: str) -> None:
    fast, grammar = _fast_and_grammar_tokens(text)
    assert fast is None or fast == grammar
    assert fast is not None or grammar is None or "COLS" not in grammar[1]


@pytest.mark.parametrize(
    "text",
    [
        "fffff880`06678208 fffff800`02afcb19 nt!KeBugCheckEx",
        "fffff880`009a9c28 fffff800`02cf7c2e : 00000000`0000000a 00000000`00000000 : nt!KeBugCheckEx",
        "00 0012f8a4 7c90e48a ntdll!KiFastSystemCallRet",
        "0a 40 00000000`0012ff80 00000000`77320eba : kernel32!BaseThreadInitThunk+0xd",
        "fffff880`009a9c28 fffff800`02cf7c2e : 00000000`0000000a",
        "0012f8a4 7c90e48a",
    ],
)
def test_column_frame_regex_shapes(text: str) -> None:
    fast, grammar = _fast_and_grammar_tokens(text)
    assert fast is not None and fast == grammar


def test_a_verifier_stops_value_rows_are_not_frames():
    # code/087: "        00C81000 : Heap handle" under VERIFIER STOP is a value and its meaning
    from crashsift.parsers.stack import is_frame_line

    assert not is_frame_line("        00C81000 : Heap handle ")
    assert not is_frame_line("        00000100 : Block size ")
    frame = "fffff800`7a0fa607 : ffffe001`d1182000 00000000`00000000 : tabletaudiosample!f+0x1dc"
    assert is_frame_line(frame)
