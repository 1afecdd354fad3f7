"""Report-level facts drawn from the parsed blocks of one crash: bug check, exception, bucket,
names, mode and architecture — each from the strongest signal the paste shows.

Where a fact is inferred rather than read (a bug check code from the bucket id, a name from the
bug check table), a diagnostic says so, so nothing looks more certain than it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from crashsift import codes
from crashsift.hexutil import hex_str, hex_value
from crashsift.model import Bugcheck, Diagnostic, ExceptionInfo, Frame, Report

_DUMP_OPEN = re.compile(r"^(?:Microsoft \(R\) Windows Debugger|Loading Dump File)")
_FATAL = re.compile(
    r"\*\*\* Fatal System Error: (?P<code>0x[0-9a-fA-F]+)\s*\((?P<args>[0-9a-fA-Fx,\s]*)\)", re.M
)
BREAKPOINT = "0x80000003"
_EVENT = re.compile(
    r"^\s*(?:\([0-9a-f]+\.[0-9a-f]+\):\s+)?(?P<text>[A-Z][\w .-]*?)\s+-\s+code\s+(?P<code>[0-9a-f]{8})"
    r"\s+\((?:first|second|!!! second)",
    re.I | re.M,
)
# Literal markers, searched with `str.find` (whole-text regexes cost more than the parsing).
_KERNEL_MARKS = (
    "kd>",
    "kernel version",
    "kernel base =",
    "kernel summary dump",
    "kernel bitmap dump",
    "kernel complete dump",
    "mini kernel dump",
)
_USER_MARKS = ("user mini dump", "full memory user mini dump", "(.ecxr)")
_USER_PROMPT = re.compile(r":\d{3}(?::\w+)?>")
_ARCH_MARKS = (
    ("arm64", ("ARM 64-bit", "AArch64", ":arm64>", ":ARM64>", "KiArm64")),
    ("x86", (":x86>", "x86 compatible", "Free x86")),
    ("x64", ("Free x64", "rax=", "Child-SP", "X64_")),
    ("x86", ("eax=", "ChildEBP")),
)
# The target's build lab (not the debugger's own, which ANALYSIS_VERSION also names `amd64fre`)
_BUILD_LAB = re.compile(r"(?:build lab|Built by):[^\n]*?(amd64|x86|arm64)fre", re.I)
_BUILD_ARCH = {"amd64": "x64", "x86": "x86", "arm64": "arm64"}
# A 32-bit process under WoW64: the crash is in x86 code even when the dump is 64-bit, as
# the WoW64 layer on the stack shows (32-bit modules merely loaded do not say which crashed)
_WOW64_FRAME = "wow64cpu!"
_HEX64 = re.compile(r"[0-9a-f]{8}`[0-9a-f]{8}")
_ARG1 = re.compile(r"Arg1: ([0-9a-fA-F]+)")
KERNEL_MODULES = frozenset(
    {
        "nt",
        "ntoskrnl",
        "ntkrnlmp",
        "ntkrnlpa",
        "ntkrpamp",
        "hal",
        "halmacpi",
        "win32k",
        "win32kbase",
        "win32kfull",
        "fltmgr",
        "ntfs",
        "tcpip",
        "ndis",
        "storport",
        "ks",
    }
)
USER_MODULES = frozenset(
    {
        "ntdll",
        "kernel32",
        "kernelbase",
        "ucrtbase",
        "msvcrt",
        "user32",
        "combase",
        "rpcrt4",
        "ole32",
        "vcruntime140",
        "msvcp140",
        "clr",
        "coreclr",
        "wow64",
    }
)
_ARM64_REGISTERS = re.compile(r"(?:^|\s)(?:lr|x0)=[0-9a-f]{16}", re.M)
_BUCKET_ARCH = {"X64_": "x64", "ARM64_": "arm64", "X86_": "x86", "AMD64_": "x64"}
_CAUSED_BY = re.compile(r"^(?P<image>\S+)\s*\(\s*(?P<symbol>[^)]*?)\s*\)")
BUGCHECK_FRAMES = ("KeBugCheckEx", "KeBugCheck2", "KeBugCheck", "KiBugCheckDispatch")
_KEBUGCHECKEX = ("KeBugCheckEx", "_KeBugCheckEx", "_KeBugCheckEx@20")
KERNEL_STACK_SPAN = 0x10000


def opens_dump(text: str) -> bool:
    """The first line of a dump-open banner."""
    return bool(_DUMP_OPEN.match(text))


def crash_identity(record: Any) -> str | None:
    """A short identity of the crash an analyze block shows: bug check code and args, or the
    exception code and address. None for a summary or when nothing identifies it."""
    if record is None or getattr(record, "summary", False):
        return None
    if record.bugcheck_code:
        args = ",".join(a.value for a in record.args)
        return f"bug check {record.bugcheck_code}" + (f" ({args})" if args else "")
    if record.exception_code:
        return f"exception {record.exception_code} at {record.exception_address or '?'}"
    return None


def other_thread_bugcheck(
    earlier: list[Frame], frames: list[Frame], processor: int | None, processors: set[int]
) -> str | None:
    """A k stack that calls KeBugCheckEx on another processor, with stack pointers far from
    every stack shown so far, is a second crash (the case study pastes two this way)."""
    if processor is None or not processors or processor in processors or not earlier:
        return None
    if not any(f.function in BUGCHECK_FRAMES for f in frames[:3]):
        return None
    old = [hex_value(f.child_sp) for f in earlier if f.child_sp]
    new = [hex_value(f.child_sp) for f in frames if f.child_sp]
    if not old or not new:
        return None
    if min(abs(a - b) for a in old for b in new if a is not None and b is not None) < KERNEL_STACK_SPAN:
        return None
    return (
        f"a bug check stack on processor {processor} whose stack is not the one shown before "
        f"(processor {sorted(processors)[0]})"
    )


def fill(rep: Report, text: str) -> Report:
    """Fill the report-level fields from its blocks and its text (the report's lines joined)."""
    analyses = [b.record for b in rep.blocks if b.kind == "analyze" and b.record is not None]
    full = [a for a in analyses if not a.summary] + [a for a in analyses if a.summary]
    for a in full:
        for name, value in a.fields.items():
            rep.fields.setdefault(name, value)
        for name, value in a.key_values.items():
            rep.fields.setdefault(name, value)
    f = rep.fields
    rep.failure_bucket_id = _first(f, "FAILURE_BUCKET_ID", "Failure.Bucket")
    rep.process_name = _first(f, "PROCESS_NAME")
    rep.module_name = _first(f, "MODULE_NAME")
    rep.image_name = _first(f, "IMAGE_NAME")
    rep.symbol_name = _first(f, "SYMBOL_NAME")
    caused = next((a.probably_caused_by for a in full if a.probably_caused_by), None)
    if caused and (m := _CAUSED_BY.match(caused)):
        rep.image_name = rep.image_name or m.group("image")
        if "!" in m.group("symbol"):
            rep.symbol_name = rep.symbol_name or m.group("symbol")
    rep.bugcheck = _bugcheck(rep, full, text)
    rep.exception = _exception(full, [b.record for b in rep.blocks if b.kind == "exr"], text)
    if rep.exception is None and rep.bugcheck is None:
        rep.exception = _code_from_raise_exception(rep)
    if rep.bugcheck and rep.exception and rep.exception.code == BREAKPOINT:
        rep.diagnostics.append(
            Diagnostic(
                None,
                "breakpoint exception 0x80000003 taken as the debugger's break-in "
                "on the bug check, not as the crash's exception",
            )
        )
        rep.exception = None
    rep.mode = _mode(rep, analyses, text)
    rep.arch = _arch(rep, text)
    return rep


def _first(fields: dict[str, str], *names: str) -> str | None:
    for name in names:
        value = fields.get(name, "").strip()
        if value:
            return value.splitlines()[0].strip()
    return None


def _bugcheck(rep: Report, analyses: list[Any], text: str) -> Bugcheck | None:
    code = name = None
    args: list[str] = []
    for a in analyses:
        code = code or a.bugcheck_code
        name = name or a.bugcheck_name
        args = args or [arg.value for arg in a.args]
    shown = next((b.record for b in rep.blocks if b.kind == "bugcheck" and b.record.code), None)
    if code is None and shown is not None:
        code, args = shown.code, args or shown.args
    if code is None and "Fatal System Error" in text and (m := _FATAL.search(text)):
        code = hex_str(m.group("code"))
        args = args or [v for a in m.group("args").split(",") if (v := hex_str(a))]
    if code is None:
        code = hex_str(_first(rep.fields, "BUGCHECK_CODE", "Bugcheck.Code", "BUGCHECK_CODE_STR"))
    if not args:
        args = [
            v
            for k in ("BUGCHECK_P1", "BUGCHECK_P2", "BUGCHECK_P3", "BUGCHECK_P4")
            if (v := hex_str(_first(rep.fields, k) or "")) is not None
        ]
    if code is None:
        for key in ("FAILURE_BUCKET_ID", "BUCKET_ID", "DEFAULT_BUCKET_ID", "Failure.Bucket"):
            bucket = _first(rep.fields, key)
            inferred = codes.bugcheck_code_from_bucket(bucket) if bucket else None
            if inferred is not None:
                code = hex_str(inferred)
                rep.diagnostics.append(
                    Diagnostic(None, f"bug check code {code} inferred from {key} {bucket}")
                )
                break
    if code is None:
        code = _code_from_kebugcheckex(rep)
    if code is None:
        return None
    if name is None and (name := codes.bugcheck_name(code)):
        rep.diagnostics.append(Diagnostic(None, f"bug check name {name} taken from the bug check table"))
    return Bugcheck(code, name, args)


def _code_from_raise_exception(rep: Report) -> ExceptionInfo | None:
    """RaiseException(code, …): the low 32 bits of its frame's first argument are the exception
    code (x64 home space may hold garbage above them). Used only when nothing else names it."""
    for frame in _frames(rep):
        if frame.function == "RaiseException" and frame.args:
            value = hex_value(frame.args[0])
            name = codes.exception_name(value & 0xFFFFFFFF) if value is not None else None
            if name:
                code = hex_str(value & 0xFFFFFFFF)
                rep.diagnostics.append(
                    Diagnostic(
                        frame.line, f"exception code {code} read from the first argument of {frame.call_site}"
                    )
                )
                return ExceptionInfo(code, name, None)
    return None


def _code_from_kebugcheckex(rep: Report) -> str | None:
    """KeBugCheckEx(code, …): its frame's first argument is the bug check code, in x86 `kb` output
    and in x64 home space alike. Used only when nothing else names the code."""
    for stack in rep.stacks:
        for frame in stack.frames:
            if frame.function in _KEBUGCHECKEX and frame.args:
                value = hex_value(frame.args[0])
                if value is not None and codes.bugcheck_name(value):
                    code = hex_str(value)
                    rep.diagnostics.append(
                        Diagnostic(
                            frame.line,
                            f"bug check code {code} read from the first argument of {frame.call_site}",
                        )
                    )
                    return code
    return None


def _exception(analyses: list[Any], records: list[Any], text: str) -> ExceptionInfo | None:
    for a in analyses:
        if a.exception_code:
            return ExceptionInfo(
                a.exception_code, codes.exception_name(a.exception_code), a.exception_address
            )
    for r in records:
        if r.code:
            return ExceptionInfo(r.code, codes.exception_name(r.code) or r.code_text, r.address)
    events = list(_EVENT.finditer(text)) if " - code " in text else []
    if events:
        m = _crash_event(events)
        code = hex_str(m.group("code"))
        return ExceptionInfo(code, codes.exception_name(code) or m.group("text"), None)
    return None


def _crash_event(events: list[re.Match[str]]) -> re.Match[str]:
    """The event that is the crash: a second-chance exception, else the last exception that is
    not a breakpoint (a debugger's initial break comes first), else the first event."""
    second = [m for m in events if "second" in m.group(0)]
    real = [m for m in events if m.group("code").lower() != "80000003"]
    return (second or real[-1:] or events)[0]


def _mode(rep: Report, analyses: list[Any], text: str) -> str | None:
    if rep.bugcheck is not None:
        return "kernel"
    banners = {a.banner for a in analyses if a.banner}
    if "Bugcheck Analysis" in banners:
        return "kernel"
    if "Exception Analysis" in banners:
        return "user"
    lower = text.lower()
    kernel = min((i for m in _KERNEL_MARKS if (i := lower.find(m)) >= 0), default=-1)
    prompt = _USER_PROMPT.search(text)
    found = [i for m in _USER_MARKS if (i := lower.find(m)) >= 0] + ([prompt.start()] if prompt else [])
    user = min(found, default=-1)
    if kernel >= 0 or user >= 0:
        return "kernel" if kernel >= 0 and (user < 0 or kernel < user) else "user"
    from_frames = _mode_from_frames(list(_frames(rep)))
    if from_frames == "kernel":
        return from_frames
    address = hex_value(rep.exception.address) if rep.exception else None
    if address is not None and address >= 0xFFFF800000000000:
        return "kernel"
    return "user" if rep.exception is not None else from_frames


def _mode_from_frames(frames: list[Frame]) -> str | None:
    """Kernel when a kernel module or a kernel address is on the stack (a kernel stack may end in
    user frames after the system call), user when only user modules are."""
    modules = {f.module.lower() for f in frames if f.module}
    if modules & KERNEL_MODULES:
        return "kernel"
    values = [v for f in frames for v in (hex_value(f.ret_addr), hex_value(f.address)) if v]
    if values and all(v >= 0xFFFF800000000000 for v in values):
        return "kernel"
    if modules & USER_MODULES:
        return "user"
    return None


def _arch(rep: Report, text: str) -> str | None:
    """From the register dumps the paste shows (their register names say it), then from the
    text: markers, build lab, 64-bit addresses, argument widths, the bucket id, the frames."""
    if rep.mode == "user" and _WOW64_FRAME in text:
        return "x86"
    if arch := _arch_of_registers(rep):
        return arch
    if ("lr=" in text or "x0=" in text) and _ARM64_REGISTERS.search(text):
        return "arm64"
    if "fre" in text and (m := _BUILD_LAB.search(text)):
        return _BUILD_ARCH[m.group(1).lower()]
    for arch, marks in _ARCH_MARKS:
        if any(m in text for m in marks):
            return arch
    if _HEX64.search(text):
        return "x64"
    if rep.bugcheck and any((hex_value(a) or 0) > 0xFFFFFFFF for a in rep.bugcheck.args):
        return "x64"
    if m := _ARG1.search(text):
        return "x64" if len(m.group(1)) == 16 else "x86" if len(m.group(1)) == 8 else None
    bucket = rep.failure_bucket_id or ""
    for prefix, arch in _BUCKET_ARCH.items():
        if bucket.upper().startswith(prefix):
            return arch
    values = [v for f in _frames(rep) for v in (hex_value(f.child_sp), hex_value(f.ret_addr)) if v]
    if any(v > 0xFFFFFFFF for v in values):
        return "x64"
    return "x86" if len(values) >= 3 else None


def _arch_of_registers(rep: Report) -> str | None:
    """The architecture of the first register dump read: `r`/`.cxr`/`.trap` output, the
    registers of a debugger event, an analysis' CONTEXT."""
    for block in rep.blocks:
        if block.kind == "registers":
            registers = block.record
        elif block.kind in ("event", "analyze"):
            registers = getattr(block.record, "registers" if block.kind == "event" else "context", None)
        else:
            continue
        if registers is not None and registers.arch:
            return registers.arch
    return None


def _frames(rep: Report) -> Iterable[Frame]:
    return (f for s in rep.stacks for f in s.frames)
