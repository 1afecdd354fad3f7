"""Tests of the `!analyze` parser on real snippets of the corpus (checked by hand).

Every snippet is copied from the file named above it, with its ORIGINAL line numbers
(``_numbered(first, text)``); TAB characters are written ``⇥``, trailing blanks removed.
Debugger lines are long: the line-length rule is off for this file only.
"""

# ruff: noqa: E501

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from crashsift.model import Line
from crashsift.parsers.analyze import (
    AnalyzeRecord,
    _sequence_shape,
    _Shape,
    _shapes_of,
    is_analyze_start,
    parse,
)
from crashsift.parsers.grammar import load

SHARED_CORPUS = Path(__file__).parents[1].parent / "shared" / "corpus"


def _numbered(first: int, text: str) -> list[Line]:
    """The lines of `text` (less the newline after the opening quotes), numbered from `first`."""
    body = text.removeprefix("\n").removesuffix("\n").replace("⇥", "\t")
    return [Line(first + i, t) for i, t in enumerate(body.split("\n"))]


def _read(lines: list[Line]) -> tuple[AnalyzeRecord, list[str]]:
    parsed = parse(lines)
    messages = [d.message for d in parsed.diagnostics]
    assert not any(m.startswith("analyze parser failed") for m in messages), messages
    return parsed.record, messages


# seed/fltmgr-0x3b-session.txt, lines 41-64: each frame wrapped over two lines, here joined as
# paste repair joins them (the frame keeps the number of its first line)
SEED_STACK = [
    Line(
        41,
        "fffff880`05f46330 fffff880`0106c460 : fffffa80`07a96920 fffffa80`07e5b550 fffffa80`07a96920 00000000`00000000 : fltmgr!TreeUnlinkMulti+0x51",
    ),
    Line(
        43,
        "fffff880`05f46380 fffff880`0106cbe9 : fffff880`05f48000 00000000`00000002 00000000`00000000 00000000`00000000 : fltmgr!FltpPerformPreCallbacks+0x730",
    ),
    Line(
        45,
        "fffff880`05f46480 fffff880`0106b6c7 : fffffa80`08b93c10 fffffa80`07ca8de0 fffffa80`07b402c0 00000000`00000000 : fltmgr!FltpPassThrough+0x2d9",
    ),
    Line(
        47,
        "fffff880`05f46500 fffff800`02da278e : fffffa80`07e5b550 fffffa80`07dfa8e0 fffffa80`07e5b550 fffffa80`07ca8de0 : fltmgr!FltpDispatch+0xb7",
    ),
    Line(
        49,
        "fffff880`05f46560 fffff800`02a918b4 : fffffa80`07e34010 fffff800`02d8f260 fffffa80`06d17c90 00000000`ff060001 : nt!IopDeleteFile+0x11e",
    ),
    Line(
        51,
        "fffff880`05f465f0 fffff800`02d900e6 : fffff800`02d8f260 00000000`00000000 fffff880`05f469e0 fffffa80`08b93c10 : nt!ObfDereferenceObject+0xd4",
    ),
    Line(
        53,
        "fffff880`05f46650 fffff800`02d85e84 : fffffa80`07c3fcd0 00000000`00000000 fffffa80`07a17b10 fffffa80`0a31e701 : nt!IopParseDevice+0xe86",
    ),
    Line(
        55,
        "fffff880`05f467e0 fffff800`02d8ae4d : fffffa80`07a17b10 fffff880`05f46940 0067006e`00000040 fffffa80`06d17c90 : nt!ObpLookupObjectName+0x585",
    ),
    Line(
        57,
        "fffff880`05f468e0 fffff800`02d1ee3c : fffffa80`08cf07e0 00000000`00000007 fffffa80`00001f01 00001f80`00f40200 : nt!ObOpenObjectByName+0x1cd",
    ),
    Line(
        59,
        "fffff880`05f46990 fffff800`02a8b993 : fffffa80`0a31e7e0 00000000`00000000 fffffa80`0a31e7e0 00000000`7ef95000 : nt!NtQueryFullAttributesFile+0x14f",
    ),
    Line(
        61,
        "fffff880`05f46c20 00000000`77320eba : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : nt!KiSystemServiceCopyEnd+0x13",
    ),
    Line(
        63,
        "00000000`0121e778 00000000`00000000 : 00000000`00000000 00000000`00000000 00000000`00000000 00000000`00000000 : 0x77320eba",
    ),
]


# seed/fltmgr-0x3b-session.txt, lines 2-40 (trailing blanks removed, TAB written ⇥)
SEED_HEAD = _numbered(
    2,
    r"""
*                                                                             *
*                        Bugcheck Analysis                                    *
*                                                                             *

An exception happened while executing a system service routine.
Arg1: 00000000c0000005, Exception code that caused the bugcheck
Arg2: fffff8800106f141, Address of the exception record for the exception that caused the bugcheck
Arg3: fffff88005f45960, Address of the context record for the exception that caused the bugcheck
Arg4: 0000000000000000, zero.

Debugging Details:

PEB is paged out (Peb.Ldr = 00000000`7efdf018).  Type ".hh dbgerr001" for details
PEB is paged out (Peb.Ldr = 00000000`7efdf018).  Type ".hh dbgerr001" for details

EXCEPTION_CODE: (NTSTATUS) 0xc0000005 - The instruction at 0x%08lx referenced memory at 0x%08lx.
 The memory could not be %s.

fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h]

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
Resetting default scope



PROCESS_NAME:  CarboniteServi


LAST_CONTROL_TRANSFER:  from fffff8800106c460 to fffff8800106f141

""",
)

# seed/fltmgr-0x3b-session.txt, lines 65-84 (trailing blanks removed, TAB written ⇥)
SEED_TAIL = _numbered(
    65,
    r"""

fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h]


SYMBOL_NAME:  fltmgr!TreeUnlinkMulti+51

FOLLOWUP_NAME:  MachineOwner


IMAGE_NAME:  fltmgr.sys


STACK_COMMAND:  .cxr 0xfffff88005f45960 ; kb

FAILURE_BUCKET_ID:  X64_0x3B_fltmgr!TreeUnlinkMulti+51

BUCKET_ID:  X64_0x3B_fltmgr!TreeUnlinkMulti+51

Followup: MachineOwner

""",
)

# code/082.txt, lines 28-62, 94-176 (trailing blanks removed, TAB written ⇥)
NEWEST_082 = _numbered(
    28,
    r"""
Loading Kernel Symbols
...............................................................
................................................................
................................................................
................................................................
..
Loading User Symbols

Loading unloaded module list
...............
*******************************************************************************
*                                                                             *
*                        Bugcheck Analysis                                    *
*                                                                             *
*******************************************************************************

WHEA_UNCORRECTABLE_ERROR (124)
A fatal hardware error has occurred. Parameter 1 identifies the type of error
source that reported the error. Parameter 2 holds the address of the
nt!_WHEA_ERROR_RECORD structure that describes the error condition. Try !errrec Address of the nt!_WHEA_ERROR_RECORD structure to get more details.
Arguments:
Arg1: 0000000000000010, Device Driver Error
Arg2: ffff9c0d98cc1028, Address of the nt!_WHEA_ERROR_RECORD structure.
Arg3: ffff9c0d7f97192c
Arg4: ffff9c0d7f9971a0

Debugging Details:
------------------

*** WARNING: Check Image - Checksum mismatch - Dump: 0xb51f3, File: 0xbe595 - C:\ProgramData\Dbg\sym\storport.sys\A1FD7402b5000\storport.sys

KEY_VALUES_STRING: 1

    Key  : Analysis.CPU.mSec
    Value: 2125
""",
) + _numbered(
    94,
    r"""
    Key  : Bugcheck.Code.LegacyAPI
    Value: 0x124

    Key  : Bugcheck.Code.TargetModel
    Value: 0x124

    Key  : Dump.Attributes.AsUlong
    Value: 0x8

    Key  : Dump.Attributes.KernelGeneratedTriageDump
    Value: 1

    Key  : Failure.Bucket
    Value: 0x124_16_GenuineIntel__UNKNOWN_IMAGE_GenuineIntel.sys

    Key  : Failure.Hash
    Value: {37af9407-4a3e-0b08-acdd-dadffdc34c3c}

    Key  : WER.System.BIOSRevision
    Value: 1.31.0.0

BUGCHECK_CODE:  124

BUGCHECK_P1: 10

BUGCHECK_P2: ffff9c0d98cc1028

BUGCHECK_P3: ffff9c0d7f97192c

BUGCHECK_P4: ffff9c0d7f9971a0

FILE_IN_CAB:  100126-20828-01.dmp

DUMP_FILE_ATTRIBUTES: 0x8
  Kernel Generated Triage Dump

FAULTING_THREAD:  ffff9c0d84ab2040

BLACKBOXBSD: 1 (!blackboxbsd)

BLACKBOXNTFS: 1 (!blackboxntfs)

BLACKBOXPNP: 1 (!blackboxpnp)

BLACKBOXWINLOGON: 1 (!blackboxwinlogon) (!blackboxwinlogonnotify)

CUSTOMER_CRASH_COUNT:  1

PROCESS_NAME:  System

STACK_TEXT:
ffffb905`7d847398 fffff805`057bb53f     : 00000000`00000124 00000000`00000010 ffff9c0d`98cc1028 ffff9c0d`7f97192c : nt!KeBugCheckEx
ffffb905`7d8473a0 fffff805`057bbfa9     : ffff9c0d`91558110 ffff9c0d`91558110 ffff9c0d`7f971900 ffff9c0d`98c65168 : nt!WheaReportHwError+0x4cf
ffffb905`7d847470 fffff805`057bc0c5     : 00000000`00000000 00000000`00000062 ffff9c0d`91558110 00000000`00000000 : nt!WheaHwErrorReportSubmitDeviceDriver+0xe9
ffffb905`7d8474a0 fffff805`09c43871     : 00000000`00000000 ffffb905`7d8476c0 ffff9c0d`7f9971a0 ffff9c0d`7f9a10ff : nt!WheaReportFatalHwErrorDeviceDriverEx+0xf5
ffffb905`7d847500 fffff805`09c3cc50     : 00000000`00000000 ffff9c0d`7f9971a0 ffff9c0d`7fa541a0 00000000`00000000 : storport!StorpWheaReportError+0x9d
ffffb905`7d847590 fffff805`09c0f13c     : fffff805`09c69000 00000000`00000062 00000000`00000000 ffffb905`7d847930 : storport!StorpMarkDeviceFailed+0x358
ffffb905`7d847820 fffff805`09bdb57d     : 00000000`00000100 ffff9c0d`7f9a1020 00000000`00000000 00000000`00000000 : storport!StorPortNotification+0x91c
ffffb905`7d8478f0 fffff805`09bde78e     : ffff9c0d`c1000002 00000000`00000000 ffff9c0d`7f9a1020 00000000`00000003 : stornvme!ControllerReset+0x1a1
ffffb905`7d847970 fffff805`09bdd6ef     : ffff9c0d`7f9a1020 ffff9c0d`7f997050 ffff9c0d`944fda60 80000000`00002000 : stornvme!NVMeControllerReset+0x10a
ffffb905`7d8479a0 fffff805`09c3a326     : ffff9c0d`944fda60 ffff9c0d`7f997050 ffff9c0d`7fa09040 ffff9c0d`7d89fad0 : stornvme!NVMeControllerAsyncResetWorker+0x3f
ffffb905`7d8479d0 fffff805`0546f805     : ffff9c0d`953954b0 ffff9c0d`953954b0 ffff9c0d`7f997050 fffff805`093bc660 : storport!StorPortWorkItemRoutine+0x46
ffffb905`7d847a00 fffff805`054418f5     : ffff9c0d`84ab2040 ffff9c0d`84ab2040 fffff805`0546f6d0 00cb81d8`00000000 : nt!IopProcessWorkItem+0x135
ffffb905`7d847a70 fffff805`0555d6e5     : ffff9c0d`84ab2040 00000000`00000080 ffff9c0d`7d8d9140 418d41d0`8bc2430f : nt!ExpWorkerThread+0x105
ffffb905`7d847b10 fffff805`056065c8     : ffff8b01`195eb180 ffff9c0d`84ab2040 fffff805`0555d690 cf8b48ef`72405f3b : nt!PspSystemThreadStartup+0x55
ffffb905`7d847b60 00000000`00000000     : ffffb905`7d848000 ffffb905`7d841000 00000000`00000000 00000000`00000000 : nt!KiStartSystemThread+0x28

MODULE_NAME: GenuineIntel

IMAGE_NAME:  GenuineIntel.sys

STACK_COMMAND: .process /r /p 0xffff9c0d7d8d9140; .thread /r /p 0xffff9c0d84ab2040 ; kb

FAILURE_BUCKET_ID:  0x124_16_GenuineIntel__UNKNOWN_IMAGE_GenuineIntel.sys

OSPLATFORM_TYPE:  x64

OSNAME:  Windows 10

FAILURE_ID_HASH:  {37af9407-4a3e-0b08-acdd-dadffdc34c3c}

Followup:     MachineOwner
---------
""",
)

# code/027.txt, lines 2-71 (trailing blanks removed, TAB written ⇥)
XP_027 = _numbered(
    2,
    r"""
*******************************************************************************
*                                                                             *
*                        Bugcheck Analysis                                    *
*                                                                             *
*******************************************************************************

DRIVER_IRQL_NOT_LESS_OR_EQUAL (d1)
An attempt was made to access a pagable (or completely invalid) address at an
interrupt request level (IRQL) that is too high.  This is usually
caused by drivers using improper addresses.
If kernel debugger is available get stack backtrace.

Arguments:
Arg1: 00000004, memory referenced
Arg2: 00000002, IRQL
Arg3: 00000001, value 0 = read operation, 1 = write operation
Arg4: f832035c, address which referenced memory

## Debugging Details:


WRITE_ADDRESS:  00000004 Nonpaged pool

CURRENT_IRQL:  2

FAULTING_IP:
USBPORT!USBPORT_BadRequestFlush+7c
f832035c 894204           mov     [edx+0x4],eax

DEFAULT_BUCKET_ID:  DRIVER_FAULT

BUGCHECK_STR:  0xD1

TRAP_FRAME:  f8950dfc -- (.trap fffffffff8950dfc)
.trap fffffffff8950dfc
ErrCode = 00000002
eax=81cc86dc ebx=81cc80e0 ecx=81e55688 edx=00000000 esi=81cc8028 edi=8052cf3c
eip=f832035c esp=f8950e70 ebp=f8950e90 iopl=0         nv up ei pl nz ac po nc
cs=0008  ss=0010  ds=0023  es=0023  fs=0030  gs=0000             efl=00010216
USBPORT!USBPORT_BadRequestFlush+7c:
f832035c 894204           mov     [edx+0x4],eax     ds:0023:00000004=????????
.trap
Resetting default context

LAST_CONTROL_TRANSFER:  from f83206e0 to f832035c

STACK_TEXT:
f8950e90 f83206e0 024c7262 00000000 f8950edc USBPORT!USBPORT_BadRequestFlush+0x7c
f8950eb0 804f5561 81cc8644 81cc8028 6d9a2f30 USBPORT!USBPORT_DM_TimerDpc+0x10c
f8950fb4 804f5644 6e4be98e 00000000 ffdff000 nt!KiTimerListExpire+0xf3
f8950fe0 8052c47c 8053cf20 00000000 00002e42 nt!KiTimerExpiration+0xb0
f8950ff4 8052c16a efdefd44 00000000 00000000 nt!KiRetireDpcList+0x31

FOLLOWUP_IP:
USBPORT!USBPORT_BadRequestFlush+7c
f832035c 894204           mov     [edx+0x4],eax

FOLLOWUP_NAME:  usbtri

SYMBOL_NAME:  USBPORT!USBPORT_BadRequestFlush+7c

MODULE_NAME:  USBPORT

IMAGE_NAME:  USBPORT.SYS

DEBUG_FLR_IMAGE_TIMESTAMP:  3b7d868b

STACK_COMMAND:  .trap fffffffff8950dfc ; kb

BUCKET_ID:  0xD1_W_USBPORT!USBPORT_BadRequestFlush+7c
""",
)

# code/026.txt, lines 2-64 (trailing blanks removed, TAB written ⇥)
USER_026 = _numbered(
    2,
    r"""
*******************************************************************************
*                                                                             *
*                        Exception Analysis                                   *
*                                                                             *
*******************************************************************************

Debugger SolutionDb Connection::Open failed 80004005

FAULTING_IP:
ntdll!PropertyLengthAsVariant+73
77f97704 cc               int     3

EXCEPTION_RECORD:  ffffffff -- (.exr ffffffffffffffff)
ExceptionAddress: 77f97704 (ntdll!PropertyLengthAsVariant+0x00000073)
   ExceptionCode: 80000003 (Break instruction exception)
  ExceptionFlags: 00000000
NumberParameters: 3
   Parameter[0]: 00000000
   Parameter[1]: 00010101
   Parameter[2]: ffffffff

BUGCHECK_STR:  80000003

DEFAULT_BUCKET_ID:  APPLICATION_FAULT

PROCESS_NAME:  MyApp.exe

LAST_CONTROL_TRANSFER:  from 01050963 to 77f97704

STACK_TEXT:
0006b9dc 01050963 00000000 0006ba04 000603fd ntdll!PropertyLengthAsVariant+0x73
0006b9f0 010509af 00000002 0006ba04 77e1a449 MyApp!FatalErrorBox+0x55 [D:\source_files\MyApp\util.c @ 541]
0006da04 01029f4e 01069850 0000034f 01069828 MyApp!ShowAssert+0x47 [D:\source_files\MyApp\util.c @ 579]
0006db6c 010590c3 000e01ea 0006fee4 0006feec MyApp!SelectColor+0x103 [D:\source_files\MyApp\colors.c @ 849]
0006fe04 77e11d0a 000e01ea 00000111 0000413c MyApp!MainWndProc+0x1322 [D:\source_files\MyApp\MyApp.c @ 1031]
0006fe24 77e11bc8 01057da1 000e01ea 00000111 USER32!UserCallWinProc+0x18
0006feb0 77e172b4 0006fee4 00000001 010518bf USER32!DispatchMessageWorker+0x2d0
0006febc 010518bf 0006fee4 00000000 01057c5d USER32!DispatchMessageA+0xb
0006fec8 01057c5d 0006fee4 77f82b95 77f83920 MyApp!ProcessQCQPMessage+0x3b [D:\source_files\MyApp\util.c @ 2212]
0006ff70 01062cbf 00000001 00683ed8 00682b88 MyApp!main+0x1e6 [D:\source_files\MyApp\MyApp.c @ 263]
0006ffc0 77e9ca90 77f82b95 77f83920 7ffdf000 MyApp!mainCRTStartup+0xff [D:\source_files\MyApp\crtexe.c @ 338]
0006fff0 00000000 01062bc0 00000000 000000c8 KERNEL32!BaseProcessStart+0x3d

FOLLOWUP_IP:
MyApp!FatalErrorBox+55
01050963 5e               pop     esi

FOLLOWUP_NAME:  dbg

SYMBOL_NAME:  MyApp!FatalErrorBox+55

MODULE_NAME:  MyApp

IMAGE_NAME:  MyApp.exe

DEBUG_FLR_IMAGE_TIMESTAMP:  383490a9

STACK_COMMAND:  .ecxr ; kb

BUCKET_ID:  80000003_MyApp!FatalErrorBox+55

Followup: dbg
---------
""",
)

# issues/022.txt, lines 1-14 (trailing blanks removed, TAB written ⇥)
SUMMARY_022 = _numbered(
    1,
    r"""
*******************************************************************************
*                                                                             *
*                        Bugcheck Analysis                                    *
*                                                                             *
*******************************************************************************

Use !analyze -v to get detailed debugging information.

BugCheck 7F, {8, ffffe280d0320050, 667b97dfc0, fffff8013cc910e9}

Probably caused by : ksm.sys ( ksm!__vmx_entrypoint+72 )

Followup:     MachineOwner
---------
""",
)

# issues/020.txt, lines 1-30 (trailing blanks removed, TAB written ⇥)
DUMPCHK_020 = _numbered(
    1,
    r"""
UNEXPECTED_KERNEL_MODE_TRAP (7f)
This means a trap occurred in kernel mode, and it's a trap of a kind
that the kernel isn't allowed to have/catch (bound trap) or that
is always instant death (double fault).  The first number in the
bugcheck params is the number of the trap (8 = double fault, etc)
Consult an Intel x86 family manual to learn more about what these
traps are. Here is a *portion* of those codes:
If kv shows a taskGate
        use .tss on the part before the colon, then kv.
Else if kv shows a trapframe
        use .trap on that value
Else
        .trap on the appropriate frame will show where the trap was taken
        (on x86, this will be the ebp that goes with the procedure KiTrap)
Endif
kb will then show the corrected stack.
Arguments:
Arg1: 0000000000000008, EXCEPTION_DOUBLE_FAULT
Arg2: ffffa081d64efe70
Arg3: ffff898671354f60
Arg4: fffff80279eeba95

Debugging Details:
------------------
BUGCHECK_CODE:  7f
BUGCHECK_P1: 8
BUGCHECK_P2: ffffa081d64efe70
BUGCHECK_P3: ffff898671354f60
BUGCHECK_P4: fffff80279eeba95
PROCESS_NA
""",
)

# pages/019.txt, lines 1-64 (trailing blanks removed, TAB written ⇥)
BULLETS_019 = _numbered(
    1,
    r"""
  • *
  • Bugcheck Analysis *
  • *

This is a very common BugCheck. Usually the exception address pinpoints
the driver/function that caused the problem. Always note this address
as well as the link date of the driver/image that contains this address.
Arg1: ffffffff80000003, The exception code that was not handled
Arg2: fffff80312e04d2c, The address that the exception occurred at
Arg3: 0000000000000000, Parameter 0 of the exception
Arg4: 0000fffff80312d5, Parameter 1 of the exception

Debugging Details:

*** WARNING: Unable to verify checksum for win32k.sys


Key  : Analysis.CPU.mSec
Value: 3593

Key  : Analysis.DebugAnalysisManager
Value: Create

Key  : Analysis.Elapsed.mSec
Value: 6754

Key  : Analysis.Init.CPU.mSec
Value: 358

Key  : Analysis.Init.Elapsed.mSec
Value: 6850

Key  : Analysis.Memory.CommitPeak.Mb
Value: 82

Key  : WER.OS.Branch
Value: vb_release

Key  : WER.OS.Timestamp
Value: 2019-12-06T14:06:00Z

Key  : WER.OS.Version
Value: 10.0.19041.1


BUGCHECK_P1: ffffffff80000003

BUGCHECK_P2: fffff80312e04d2c


BUGCHECK_P4: fffff80312d5

EXCEPTION_PARAMETER2: 0000fffff80312d5

BLACKBOXBSD: 1 (!blackboxbsd)

BLACKBOXNTFS: 1 (!blackboxntfs)

BLACKBOXPNP: 1 (!blackboxpnp)




TRAP_FRAME: fffff80316643690 -- (.trap 0xfffff8
""",
)

# pages/022.txt, lines 1-8 (trailing blanks removed, TAB written ⇥)
FRAGMENT_022 = _numbered(
    1,
    r"""
2: kd> !analyze -v
*                                                                             *
*                        Bugcheck Analysis                                    *
*                                                                             *

An exception happened while executing a system service routine.
Arg1: 00000000c0000005, Exception code that caused the bugcheck
Arg2: fffff8800106f141, Address of the exception record for the exc
""",
)

# issues/152.txt, lines 1-19 (trailing blanks removed, TAB written ⇥)
MISMATCH_152 = _numbered(
    1,
    r"""
0:000> !analyze -v
*******************************************************************************
*                                                                             *
*                        Exception Analysis                                   *
*                                                                             *
*******************************************************************************

DEBUG_FLR_EXCEPTION_CODE(c0000374) and the ".exr -1" ExceptionCode(c0000005) don't match

KEY_VALUES_STRING: 1

    Key  : AV.Type
    Value: Read

    Key  : Analysis.CPU.mSec
    Value: 578

    Key  : Analysis.Elapsed.mSec
    Value: 12321
""",
)

# issues/151.txt, lines 1-21 (trailing blanks removed, TAB written ⇥)
COMPACT_151 = _numbered(
    1,
    r"""
`*******************************************************************************
*                        Bugcheck Analysis                                    *
*******************************************************************************

VIDEO_SCHEDULER_INTERNAL_ERROR (119)
The video scheduler has detected that fatal violation has occurred. This resulted
in a condition that video scheduler can no longer progress. Any other values after
parameter 1 must be individually examined according to the subtype.
Arguments:
Arg1: 0000000000000005, The subtype of the bugcheck:
Arg2: ffffbf0d3ca2c000
Arg3: ffffbf0d3ca87240
Arg4: 0000000000000a11

Debugging Details:
------------------
KEY_VALUES_STRING: 1
TIMELINE_ANALYSIS: 1
DUMP_CLASS: 1
DUMP_QUALIFIER: 400
BUILD_VERSION_STRING:  10.0.16299.371 (WinBuild.160101.0800)
""",
)

# code/084.txt, lines 57-76 (trailing blanks removed, TAB written ⇥)
SPLIT_NAME_084 = _numbered(
    57,
    r"""
    ERROR: FindPlugIns 8007007b
    *******************************************************************************
    *                                                                             *
    *                        Bugcheck Analysis                                    *
    *                                                                             *
    *******************************************************************************

MAXIMUM_WAIT_OBJECTS_EXCEEDED


     (c)
    Arguments:
    Arg1: 00000000
    Arg2: 00000000
    Arg3: 00000000
    Arg4: 00000000

    Debugging Details:
    ------------------
    CUSTOMER_CRASH_COUNT:  1
""",
)

# code/031.txt, lines 2-19 (trailing blanks removed, TAB written ⇥)
TABS_031 = _numbered(
    2,
    r"""
*******************************************************************************
*                                                                             *
*                        Bugcheck Analysis                                    *
*                                                                             *
*******************************************************************************

DPC_WATCHDOG_VIOLATION (133)
The DPC watchdog detected a prolonged run time at an IRQL of DISPATCH_LEVEL
or above.
Arguments:
Arg1: 0000000000000001, The system cumulatively spent an extended period of time at
⇥DISPATCH_LEVEL or above. The offending component can usually be
⇥identified with a stack trace.
Arg2: 0000000000001e00, The watchdog period.
Arg3: fffff803648fa320, cast to nt!DPC_WATCHDOG_GLOBAL_TRIAGE_BLOCK, which contains
⇥additional information regarding the cumulative timeout
Arg4: 0000000000000000

""",
)

# issues/171.txt, lines 1-28 (trailing blanks removed, TAB written ⇥)
TRIAGER_171 = _numbered(
    1,
    r"""
SYSTEM_SERVICE_EXCEPTION (3b)
An exception happened while executing a system service routine.
Arguments:
Arg1: 00000000c0000005, Exception code that caused the bugcheck
Arg2: fffff8074717199f, Address of the instruction which caused the bugcheck
Arg3: fffffb800c75def0, Address of the context record for the exception that caused the bugcheck
Arg4: 0000000000000000, zero.

Debugging Details:
------------------

TRIAGER: Could not open triage file : e:\dump_analysis\program\triage\modclass.ini, error 2

EXCEPTION_CODE: (NTSTATUS) 0xc0000005 - The instruction at "0x%08lx" referenced memory at "0x%08lx". The memory could not be "%s".

FAULTING_IP:
NETIO!StreamDataPermitEndOfStream+7
fffff807`4717199f c7415003000000  mov     dword ptr [rcx+50h],3

CONTEXT:  fffffb800c75def0 -- (.cxr 0xfffffb800c75def0)
rax=0000000000002006 rbx=0000000000000000 rcx=0000000000000000
rdx=ffffc50c16050a70 rsi=0000000000000000 rdi=ffffc50c18cb64d0
rip=fffff8074717199f rsp=fffffb800c75e8e0 rbp=fffffb800c75ea11
 r8=fffffb800c75e890  r9=0000000000000000 r10=000000000000015e
r11=0000000000003000 r12=0000000000000001 r13=ffffc50c1930bc01
r14=fffffb800c75f220 r15=0000000000000004
iopl=0         nv up ei ng nz na pe nc
cs=00
""",
)

# code/080.txt, lines 28-40 (trailing blanks removed, TAB written ⇥)
SUMMARY_080 = _numbered(
    28,
    r"""
*                        Bugcheck Analysis                                    *
*                                                                             *
*******************************************************************************

Use !analyze -v to get detailed debugging information.

BugCheck 44, {ffffc40ce0d93980, 1269, 0, 0}

Probably caused by : Unknown_Image ( PAGE_NOT_ZERO )

Followup: MachineOwner
---------

""",
)

# seed/fltmgr-0x3b-session.txt, lines 41-64 (trailing blanks removed, TAB written ⇥)
SEED_WRAPPED = _numbered(
    41,
    r"""
fffff880`05f46330 fffff880`0106c460 : fffffa80`07a96920 fffffa80`07e5b550 fffffa80`07a96920
 00000000`00000000 : fltmgr!TreeUnlinkMulti+0x51
fffff880`05f46380 fffff880`0106cbe9 : fffff880`05f48000 00000000`00000002 00000000`00000000
00000000`00000000 : fltmgr!FltpPerformPreCallbacks+0x730
fffff880`05f46480 fffff880`0106b6c7 : fffffa80`08b93c10 fffffa80`07ca8de0 fffffa80`07b402c0
00000000`00000000 : fltmgr!FltpPassThrough+0x2d9
fffff880`05f46500 fffff800`02da278e : fffffa80`07e5b550 fffffa80`07dfa8e0 fffffa80`07e5b550
fffffa80`07ca8de0 : fltmgr!FltpDispatch+0xb7
fffff880`05f46560 fffff800`02a918b4 : fffffa80`07e34010 fffff800`02d8f260 fffffa80`06d17c90
00000000`ff060001 : nt!IopDeleteFile+0x11e
fffff880`05f465f0 fffff800`02d900e6 : fffff800`02d8f260 00000000`00000000 fffff880`05f469e0
fffffa80`08b93c10 : nt!ObfDereferenceObject+0xd4
fffff880`05f46650 fffff800`02d85e84 : fffffa80`07c3fcd0 00000000`00000000 fffffa80`07a17b10
fffffa80`0a31e701 : nt!IopParseDevice+0xe86
fffff880`05f467e0 fffff800`02d8ae4d : fffffa80`07a17b10 fffff880`05f46940 0067006e`00000040
fffffa80`06d17c90 : nt!ObpLookupObjectName+0x585
fffff880`05f468e0 fffff800`02d1ee3c : fffffa80`08cf07e0 00000000`00000007 fffffa80`00001f01
00001f80`00f40200 : nt!ObOpenObjectByName+0x1cd
fffff880`05f46990 fffff800`02a8b993 : fffffa80`0a31e7e0 00000000`00000000 fffffa80`0a31e7e0
00000000`7ef95000 : nt!NtQueryFullAttributesFile+0x14f
fffff880`05f46c20 00000000`77320eba : 00000000`00000000 00000000`00000000 00000000`00000000
00000000`00000000 : nt!KiSystemServiceCopyEnd+0x13
00000000`0121e778 00000000`00000000 : 00000000`00000000 00000000`00000000 00000000`00000000
00000000`00000000 : 0x77320eba
""",
)

SEED = SEED_HEAD + SEED_STACK + SEED_TAIL


# --------------------------------------------------------------------------- grammar


def test_grammar_builds_strict() -> None:
    assert load("analyze", strict=True) is not None


def test_grammar_line_shapes() -> None:
    text = "\n".join(
        [
            "WHEA_UNCORRECTABLE_ERROR (124)",
            "Arg1: 0000000000000010, Device Driver Error",
            "BUGCHECK_P1: 10",
            "Key  : Analysis.CPU.mSec",
            "Value: 2125",
            "BugCheck 3B, {c0000005, fffff8800106f141, fffff88005f45960, 0}",
            "Probably caused by : fltmgr.sys ( fltmgr!TreeUnlinkMulti+51 )",
        ]
    )
    tree = load("analyze").parse(text + "\n")
    kinds = [getattr(c, "data", None) or c.type for c in tree.children]
    assert kinds == ["name_code", "arg", "FIELD_LINE", "KEY_LINE", "VALUE_LINE", "bugcheck", "caused_by"]


@pytest.mark.parametrize(
    ("text", "terminal"),
    [
        ("BUGCHECK_P1: 10", "FIELD_LINE"),
        ("STACK_TEXT:", "FIELD_LINE"),
        ("Key  : Analysis.CPU.mSec", "KEY_LINE"),
        ("Value: 2125", "VALUE_LINE"),
        ("Followup:     MachineOwner", "FOLLOWUP_LINE"),
        ("Arguments :", "ARGUMENTS_LINE"),
        ("## Debugging Details:", "DETAILS_LINE"),
    ],
)
def test_grammar_whole_line_terminals(text: str, terminal: str) -> None:
    """The lines the parser reads with a whole-line terminal's regex are that one token."""
    children = load("analyze").parse(text + "\n").children
    assert [getattr(c, "type", None) for c in children] == [terminal]


def test_whole_line_shapes_read_as_the_grammar_says() -> None:
    lines = [
        Line(1, "WHEA_UNCORRECTABLE_ERROR (124)"),
        Line(2, "Arguments :"),
        Line(3, "Arg1: 0000000000000010 ,"),
        Line(4, "Arg2: 0000000000000020, , odd"),
        Line(5, "Arg3: 0000000000000030"),
        Line(6, "# Debugging Details :"),
        Line(7, "KEY_VALUES_STRING: 1"),
        Line(8, "Key  : Analysis.CPU.mSec"),
        Line(9, "Value: 2125"),
        Line(10, "IMAGE_NAME :  fltmgr.sys "),
        Line(11, "Followup :  MachineOwner"),
    ]
    rec, messages = _read(lines)
    assert [(a.value, a.description) for a in rec.args] == [("0x10", ""), ("0x20", ", odd"), ("0x30", "")]
    assert rec.fields == {"KEY_VALUES_STRING": "1", "IMAGE_NAME": "fltmgr.sys", "Followup": "MachineOwner"}
    assert rec.key_values == {"Analysis.CPU.mSec": "2125"}
    assert messages == []


def _lark_shapes(text: str) -> list[_Shape] | None:
    """The shapes lark reads from one line, None when it refuses the line."""
    try:
        return _shapes_of(load("analyze").parse(text + "\n").children)
    except LarkError:
        return None


@pytest.mark.parametrize(
    "text",
    [
        "WHEA_UNCORRECTABLE_ERROR (124)",
        "DRIVER_IRQL_NOT_LESS_OR_EQUAL(d1)",
        "Unknown bugcheck code (1aa)",
        "KMODE_EXCEPTION_NOT_HANDLED ( 1e )",
        "Arg1: 0000000000000010, Device Driver Error",
        "Arg2: 00000022,",
        "Arg3: ffff9c0d`7f97192c",
        "Arg4 :  fffff880`0106f141 , , odd",
        "Arg10: 0",
    ],
)
def test_sequence_rules_read_as_lark_does(text: str) -> None:
    """ArgN and name-and-code lines are read with their rule's terminals, as lark reads them."""
    assert [_sequence_shape(text + "\n")] == _lark_shapes(text)


@pytest.mark.parametrize(
    "text",
    ["INVALID_POINTER_READ", "(c)", "Arg1: 00zz", "Arg1:", "Mixed_Case (12)", "BugCheck 3B, {1, 2, 3, 4}"],
)
def test_sequence_rules_leave_other_lines_to_lark(text: str) -> None:
    assert _sequence_shape(text + "\n") is None


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(
        r"(?:Arg[0-9]{1,2}[ \t]?:[ \t]?[0-9a-fz`]{0,5}[ \t,]{0,2}[a-z ,]{0,3}"
        r"|[A-Za-z_0-9]{1,4}[ \t]?\([ \t]?[0-9a-fz]{0,2}[ \t]?\)[ \t]?"
        r"|Unknown bugcheck code ?\([0-9a]{0,2}\))",
        fullmatch=True,
    )
)
def test_sequence_rules_agree_with_lark(text: str) -> None:
    """Whatever a fixed-sequence rule takes, lark reads alike, and the other way round."""
    shape = _sequence_shape(text + "\n")
    lark_shapes = _lark_shapes(text)
    if shape is not None:
        assert lark_shapes == [shape]
    elif lark_shapes is not None:
        assert [s.kind for s in lark_shapes] not in (["arg"], ["name_code"])


def test_near_miss_structural_lines_stay_text() -> None:
    """A one-letter NAME is no field, "# # Debugging Details" no details header: text."""
    lines = [
        Line(1, "WHEA_UNCORRECTABLE_ERROR (124)"),
        Line(2, "A: first line of the description"),
        Line(3, "# # Debugging Details :"),
    ]
    rec, _ = _read(lines)
    assert rec.description == "A: first line of the description\n# # Debugging Details :"
    assert rec.fields == {}


# --------------------------------------------------------------------------- real snippets


def test_seed_session_without_name_line() -> None:
    rec, messages = _read(SEED)
    assert rec.banner == "Bugcheck Analysis"
    assert rec.bugcheck_name is None
    assert rec.bugcheck_code is None  # no name line, no BUGCHECK_STR: the bucket id is not used
    assert rec.description == "An exception happened while executing a system service routine."
    assert [(a.value, a.line) for a in rec.args] == [
        ("0xc0000005", 7),
        ("0xfffff8800106f141", 8),
        ("0xfffff88005f45960", 9),
        ("0x0", 10),
    ]
    assert rec.args[0].description == "Exception code that caused the bugcheck"
    assert rec.fields["FAILURE_BUCKET_ID"] == "X64_0x3B_fltmgr!TreeUnlinkMulti+51"
    assert rec.fields["SYMBOL_NAME"] == "fltmgr!TreeUnlinkMulti+51"
    assert rec.fields["IMAGE_NAME"] == "fltmgr.sys"
    assert rec.fields["PROCESS_NAME"] == "CarboniteServi"
    assert rec.fields["LAST_CONTROL_TRANSFER"] == "from fffff8800106c460 to fffff8800106f141"
    assert rec.fields["EXCEPTION_CODE"] == (
        "(NTSTATUS) 0xc0000005 - The instruction at 0x%08lx referenced memory at 0x%08lx.\n"
        " The memory could not be %s."
    )
    assert rec.fields["Followup"] == "MachineOwner"
    assert rec.faulting_instruction == "fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h]"
    assert rec.exception_code == "0xc0000005"
    assert [ln.no for ln in rec.stack_lines] == list(range(41, 64, 2))
    assert rec.stack_lines[-1].text.endswith(": 0x77320eba")
    assert [ln.no for ln in rec.context_lines] == list(range(23, 32))
    assert rec.context_lines[0].text.startswith("rax=fffffaf7072f96b0")
    assert not rec.summary
    assert (
        messages.count(
            'debugger message: PEB is paged out (Peb.Ldr = 00000000`7efdf018).  Type ".hh dbgerr001" for details'
        )
        == 1
    )
    assert "stack lines without a STACK_TEXT: header" in messages


def test_seed_session_with_wrapped_stack_lines() -> None:
    """Unrepaired: the 24 physical lines of the 12 wrapped frames all go to the stack parser."""
    rec, _ = _read(SEED_HEAD + SEED_WRAPPED + SEED_TAIL)
    assert [ln.no for ln in rec.stack_lines] == list(range(41, 65))
    assert rec.faulting_instruction == "fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h]"


def test_newest_key_values_format() -> None:
    rec, messages = _read(NEWEST_082)
    assert rec.banner == "Bugcheck Analysis"
    assert (rec.bugcheck_name, rec.bugcheck_code) == ("WHEA_UNCORRECTABLE_ERROR", "0x124")
    assert rec.description.startswith("A fatal hardware error has occurred. Parameter 1 identifies")
    assert rec.description.count("\n") == 2
    assert [(a.value, a.description, a.line) for a in rec.args] == [
        ("0x10", "Device Driver Error", 49),
        ("0xffff9c0d98cc1028", "Address of the nt!_WHEA_ERROR_RECORD structure.", 50),
        ("0xffff9c0d7f97192c", "", 51),
        ("0xffff9c0d7f9971a0", "", 52),
    ]
    assert rec.key_values["Analysis.CPU.mSec"] == "2125"
    assert rec.key_values["Bugcheck.Code.LegacyAPI"] == "0x124"
    assert rec.key_values["Failure.Bucket"] == "0x124_16_GenuineIntel__UNKNOWN_IMAGE_GenuineIntel.sys"
    assert rec.fields["KEY_VALUES_STRING"] == "1"
    assert rec.fields["BUGCHECK_CODE"] == "124"
    assert rec.fields["BUGCHECK_P1"] == "10"
    assert rec.fields["DUMP_FILE_ATTRIBUTES"] == "0x8\n  Kernel Generated Triage Dump"
    assert rec.fields["BLACKBOXWINLOGON"] == "1 (!blackboxwinlogon) (!blackboxwinlogonnotify)"
    assert rec.fields["FAILURE_BUCKET_ID"] == "0x124_16_GenuineIntel__UNKNOWN_IMAGE_GenuineIntel.sys"
    assert rec.fields["Followup"] == "MachineOwner"
    assert rec.fields["STACK_TEXT"].startswith("ffffb905`7d847398 fffff805`057bb53f     : ")
    assert [ln.no for ln in rec.stack_lines] == list(range(145, 160))
    assert rec.exception_code is None
    assert any(m.startswith("debugger message: *** WARNING: Check Image") for m in messages)
    assert not any("bug check code" in m for m in messages)  # all sources agree on 0x124


def test_xp_era_format_with_trap_frame() -> None:
    rec, messages = _read(XP_027)
    assert (rec.bugcheck_name, rec.bugcheck_code) == ("DRIVER_IRQL_NOT_LESS_OR_EQUAL", "0xd1")
    assert [a.value for a in rec.args] == ["0x4", "0x2", "0x1", "0xf832035c"]
    assert rec.args[2].description == "value 0 = read operation, 1 = write operation"
    assert rec.fields["FAULTING_IP"] == (
        "USBPORT!USBPORT_BadRequestFlush+7c\nf832035c 894204           mov     [edx+0x4],eax"
    )
    assert rec.faulting_instruction == "f832035c 894204           mov     [edx+0x4],eax"
    assert rec.fields["BUGCHECK_STR"] == "0xD1"
    assert rec.fields["BUCKET_ID"] == "0xD1_W_USBPORT!USBPORT_BadRequestFlush+7c"
    assert rec.fields["TRAP_FRAME"].startswith("f8950dfc -- (.trap fffffffff8950dfc)\n.trap fffffffff8950dfc")
    # the echoed .trap commands and "Resetting default context" are not register lines
    assert [ln.no for ln in rec.context_lines] == [37, 38, 39, 40, 41, 42]
    assert [ln.no for ln in rec.stack_lines] == [49, 50, 51, 52, 53]
    assert messages == []


def test_user_mode_6x_exception_analysis() -> None:
    rec, messages = _read(USER_026)
    assert rec.banner == "Exception Analysis"
    assert rec.bugcheck_code is None  # BUGCHECK_STR 80000003 is an exception code here
    assert rec.args == []
    assert rec.exception_code == "0x80000003"
    assert rec.exception_address == "0x77f97704"
    assert rec.faulting_instruction == "77f97704 cc               int     3"
    assert (
        rec.fields["EXCEPTION_RECORD"].splitlines()[2]
        == "   ExceptionCode: 80000003 (Break instruction exception)"
    )
    assert rec.fields["DEFAULT_BUCKET_ID"] == "APPLICATION_FAULT"
    assert rec.fields["Followup"] == "dbg"
    assert len(rec.stack_lines) == 12
    assert rec.stack_lines[1].text.endswith("[D:\\source_files\\MyApp\\util.c @ 541]")
    assert messages == ["debugger message: Debugger SolutionDb Connection::Open failed 80004005"]


def test_summary_form() -> None:
    rec, _ = _read(SUMMARY_022)
    assert rec.summary
    assert rec.banner == "Bugcheck Analysis"
    assert rec.bugcheck_code == "0x7f"
    assert [a.value for a in rec.args] == ["0x8", "0xffffe280d0320050", "0x667b97dfc0", "0xfffff8013cc910e9"]
    assert {a.line for a in rec.args} == {9}
    assert rec.probably_caused_by == "ksm.sys ( ksm!__vmx_entrypoint+72 )"
    assert rec.fields == {"Followup": "MachineOwner"}


def test_summary_caused_by_unknown_image() -> None:
    rec, _ = _read(SUMMARY_080)
    assert rec.summary
    assert rec.bugcheck_code == "0x44"
    assert rec.probably_caused_by == "Unknown_Image ( PAGE_NOT_ZERO )"


def test_dumpchk_compact_form_cut() -> None:
    rec, messages = _read(DUMPCHK_020)
    assert rec.banner is None
    assert (rec.bugcheck_name, rec.bugcheck_code) == ("UNEXPECTED_KERNEL_MODE_TRAP", "0x7f")
    assert (
        "If kv shows a taskGate\n        use .tss on the part before the colon, then kv." in rec.description
    )
    assert [(a.value, a.description) for a in rec.args] == [
        ("0x8", "EXCEPTION_DOUBLE_FAULT"),
        ("0xffffa081d64efe70", ""),
        ("0xffff898671354f60", ""),
        ("0xfffff80279eeba95", ""),
    ]
    assert rec.fields == {
        "BUGCHECK_CODE": "7f",
        "BUGCHECK_P1": "8",
        "BUGCHECK_P2": "ffffa081d64efe70",
        "BUGCHECK_P3": "ffff898671354f60",
        "BUGCHECK_P4": "fffff80279eeba95",
    }
    assert messages == ["paste cut at field name 'PROCESS_NA'"]


def test_bullet_list_banner() -> None:
    rec, _ = _read(BULLETS_019)
    assert rec.banner == "Bugcheck Analysis"
    assert rec.bugcheck_name is None and rec.bugcheck_code is None  # 0x1E is only in the thread
    assert rec.description.startswith("This is a very common BugCheck.")
    assert [a.value for a in rec.args] == [
        "0xffffffff80000003",
        "0xfffff80312e04d2c",
        "0x0",
        "0xfffff80312d5",
    ]
    assert rec.key_values["WER.OS.Version"] == "10.0.19041.1"  # Key/Value without their header
    assert "BUGCHECK_P3" not in rec.fields
    assert rec.fields["TRAP_FRAME"] == "fffff80316643690 -- (.trap 0xfffff8"


def test_truncated_fragment() -> None:
    rec, messages = _read(FRAGMENT_022[1:])  # line 1 is the prompt
    assert rec.banner == "Bugcheck Analysis"
    assert [a.value for a in rec.args] == ["0xc0000005", "0xfffff8800106f141"]
    assert rec.args[1].description == "Address of the exception record for the exc"
    assert rec.fields == {}
    assert messages == []


def test_single_field_line() -> None:
    # issues/141.txt, line 1: a single !analyze field
    line = "FAILURE_BUCKET_ID:  0x124_0_GenuineIntel_PROCESSOR__UNKNOWN_IMAGE_GenuineIntel.sys"
    rec, messages = _read([Line(1, line)])
    assert rec.fields == {
        "FAILURE_BUCKET_ID": "0x124_0_GenuineIntel_PROCESSOR__UNKNOWN_IMAGE_GenuineIntel.sys"
    }
    assert rec.bugcheck_code is None  # never inferred from the bucket id
    assert messages == []


def test_exception_code_mismatch() -> None:
    rec, messages = _read(MISMATCH_152[1:])  # line 1 is the prompt
    assert rec.banner == "Exception Analysis"
    # the .exr -1 record's code is what the process raised; the analysis' code stays in a message
    assert rec.exception_code == "0xc0000005"
    assert "exception code of the analysis 0xc0000374 differs from .exr -1 0xc0000005" in messages
    assert rec.key_values["AV.Type"] == "Read"


def test_reduced_banner_and_compact_fields() -> None:
    rec, _ = _read(COMPACT_151)
    assert rec.banner == "Bugcheck Analysis"
    assert (rec.bugcheck_name, rec.bugcheck_code) == ("VIDEO_SCHEDULER_INTERNAL_ERROR", "0x119")
    assert rec.args[0].description == "The subtype of the bugcheck:"
    assert rec.fields["DUMP_QUALIFIER"] == "400"
    assert rec.fields["BUILD_VERSION_STRING"] == "10.0.16299.371 (WinBuild.160101.0800)"


def test_name_and_code_split_over_two_lines() -> None:
    rec, messages = _read(SPLIT_NAME_084)
    assert (rec.bugcheck_name, rec.bugcheck_code) == ("MAXIMUM_WAIT_OBJECTS_EXCEEDED", "0xc")
    assert [a.value for a in rec.args] == ["0x0"] * 4
    assert rec.description == ""
    assert rec.fields == {"CUSTOMER_CRASH_COUNT": "1"}
    assert messages == ["debugger message: ERROR: FindPlugIns 8007007b"]


def test_tab_indented_argument_continuation() -> None:
    rec, _ = _read(TABS_031)
    assert rec.args[0].description == (
        "The system cumulatively spent an extended period of time at\n"
        "DISPATCH_LEVEL or above. The offending component can usually be\n"
        "identified with a stack trace."
    )
    assert rec.args[3].description == ""


def test_2017_format_with_triager_and_context() -> None:
    rec, messages = _read(TRIAGER_171)
    assert (rec.bugcheck_name, rec.bugcheck_code) == ("SYSTEM_SERVICE_EXCEPTION", "0x3b")
    assert rec.exception_code == "0xc0000005"
    assert rec.faulting_instruction == "fffff807`4717199f c7415003000000  mov     dword ptr [rcx+50h],3"
    assert [ln.no for ln in rec.context_lines] == list(range(21, 29))
    assert "TRIAGER" not in rec.fields
    assert any(m.startswith("debugger message: TRIAGER: Could not open triage file") for m in messages)


# --------------------------------------------------------------------------- robustness


def test_empty_input() -> None:
    parsed = parse([])
    assert parsed.record == AnalyzeRecord()
    assert parsed.diagnostics == []


def test_garbage_input() -> None:
    lines = [
        Line(1, "\x00\x01 ÿ"),
        Line(2, "(((("),
        Line(3, "Arg1:"),
        Line(4, "BugCheck 3B, {zz"),
        Line(5, "::"),
    ]
    rec, messages = _read(lines)
    assert rec.args == [] and rec.fields == {} and rec.description == ""
    assert messages == ["5 line(s) before the analysis not read"]


_STRUCTURAL = st.sampled_from(
    [
        "Arg1: 00000022,",
        "Arguments:",
        "Debugging Details:",
        "STACK_TEXT:",
        "Key  : A.B",
        "Value: 1",
        "BugCheck 3B, {",
        "Followup: x",
        "FOO (12)",
        "(c)",
        "*****",
        "*   Bugcheck Analysis   *",
        "...",
        "",
        "fffff880`0106f141 488b4620        mov     rax,qword ptr [rsi+20h]",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), _STRUCTURAL), max_size=30))
def test_parse_never_raises(texts: list[str]) -> None:
    _read([Line(i + 1, t) for i, t in enumerate(texts)])


def test_pathological_input_stays_linear() -> None:
    lines = [Line(i, "FOO: x" if i % 2 else "BAR") for i in range(1, 20001)]
    start = time.perf_counter()
    rec, _ = _read(lines)
    assert time.perf_counter() - start < 5
    assert rec.fields["FOO#10000"].startswith("x")


# --------------------------------------------------------------------------- segmentation helper


@pytest.mark.parametrize(
    "text",
    [
        "*                        Bugcheck Analysis                                    *",
        "  • Bugcheck Analysis *",
        "*                        Exception Analysis                                   *",
        "BugCheck 3B, {c0000005, fffff8800106f141, fffff88005f45960, 0}",
        "Use !analyze -v to get detailed debugging information.",
        "## Debugging Details:",
        "WHEA_UNCORRECTABLE_ERROR (124)",
        "Unknown bugcheck code (1aa)",
        "FAULTING_IP: ",
        "STACK_TEXT:  ",
        "Probably caused by : ksm.sys ( ksm!__vmx_entrypoint+72 )",
    ],
)
def test_is_analyze_start(text: str) -> None:
    assert is_analyze_start(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "*******************************************************************************",
        "*** WARNING: Unable to verify checksum for win32k.sys",
        "Characteristics (0000000000)",
        "BugCheck Analysis is great",
        "rax=fffffaf7072f96b0 rbx=0000000000000000 rcx=fffffa8008e13318",
        "2: kd> !analyze -v",
        "SYMBOL_NAME:  fltmgr!TreeUnlinkMulti+51",
    ],
)
def test_is_not_analyze_start(text: str) -> None:
    assert not is_analyze_start(text)


# --------------------------------------------------------------------------- whole corpus

CORPUS_FILES = sorted(SHARED_CORPUS.rglob("*.txt")) if SHARED_CORPUS.is_dir() else []


@pytest.mark.skipif(not CORPUS_FILES, reason="../shared/corpus is not here (it is not part of a clone)")
@pytest.mark.parametrize("path", CORPUS_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_corpus_file_never_raises(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = [Line(i, t) for i, t in enumerate(text.splitlines(), 1)]
    parsed = parse(lines)
    assert not any(d.message.startswith("analyze parser failed") for d in parsed.diagnostics)
    assert all(d.line is None or 1 <= d.line <= len(lines) for d in parsed.diagnostics)


def test_line_the_grammar_refuses_does_not_spoil_the_block() -> None:
    """The pre-check lets "ff``ff" through, the grammar does not: the other lines still read."""
    lines = [
        Line(1, "WHEA_UNCORRECTABLE_ERROR (124)"),
        Line(2, "Arguments:"),
        Line(3, "Arg1: ff``ff, bad value"),
        Line(4, "Arg2: 0000000000000010, good value"),
    ]
    rec, messages = _read(lines)
    assert (rec.bugcheck_name, rec.bugcheck_code) == ("WHEA_UNCORRECTABLE_ERROR", "0x124")
    assert [(a.value, a.line) for a in rec.args] == [("0x10", 4)]
    assert messages == ["line not read: Arg1: ff``ff, bad value"]


def test_seed_session_without_its_blank_lines() -> None:
    """Segmentation may drop blank lines: the gaps in the line numbers stand for them."""
    with_blanks, _ = _read(SEED)
    rec, _ = _read([ln for ln in SEED if ln.text.strip()])
    assert rec == with_blanks
