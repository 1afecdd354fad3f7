"""Frame normalisation, the signature rule pipeline, and its data files."""

from __future__ import annotations

import re

import pytest
from conftest import CORPUS

from crashsift.correlate.normalize import NormFrame, function_name, module_name, normalize_stack, read_list
from crashsift.correlate.records import from_report
from crashsift.correlate.signature import signature
from crashsift.model import Frame
from crashsift.pipeline import parse_file, parse_text


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("nt", "nt"),
        ("ntkrnlmp", "nt"),
        ("ntoskrnl.exe", "nt"),
        ("NT", "nt"),
        ("FLTMGR.SYS", "fltmgr"),
        ("ntdll_77290000", "ntdll"),  # WinDbg's name for ntdll loaded at 77290000
        ("js_dbg_32_dm_windows_62f79d676e0e", "js_dbg_dm_windows_62f79d676e0e"),  # a build id, not a base
        ("js_dbg_64_dm_windows_62f79d676e0e", "js_dbg_dm_windows_62f79d676e0e"),  # the same shell, 64-bit
        ("winfsp_x64", "winfsp"),
        ("ws2_32", "ws2_32"),
        ("", None),
    ],
)
def test_module_names(raw, name):
    assert module_name(raw) == name


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("TreeUnlinkMulti+0x51", "TreeUnlinkMulti"),
        ("js::TenuringTracer::traverse<JSObject>", "js::TenuringTracer::traverse"),
        ("js::gc::GCRuntime::checkAllocatorState<1>", "js::gc::GCRuntime::checkAllocatorState"),
        ("DispatchToTracer<JS::Value>", "DispatchToTracer"),
        ("std::vector<int,std::allocator<int> >::push_back(int const &)", "std::vector::push_back"),
        (" ?? ::FNODOBFM::`string'+0x40edb", "<cold>"),
        ("?? ::NNGAKEGL::`string'", "<cold>"),
    ],
)
def test_function_names(raw, name):
    assert function_name(raw) == name


def test_recursion_collapses_but_unknown_frames_stay():
    frames = [
        Frame(module="m", function="f+0x1"),
        Frame(module="m", function="f+0x9"),
        Frame(module="m", function="g"),
    ]
    frames += [Frame(address="0x1"), Frame(address="0x2")]
    assert normalize_stack(frames) == [
        NormFrame("m", "f"),
        NormFrame("m", "g"),
        NormFrame(None, None),
        NormFrame(None, None),
    ]


def seed_signature(name):
    (report,) = parse_file(CORPUS / "seed" / name)
    return signature(from_report(report))


def test_seed_session_signature_is_its_faulting_function():
    sig = seed_signature("fltmgr-0x3b-session.txt")
    assert sig.text == "fltmgr!TreeUnlinkMulti"
    assert sig.driver is None  # fltmgr and nt are Microsoft's
    # STACK_TEXT ends in nt!KiSystemServiceCopyEnd (system call plumbing) and a bare address.
    assert sig.trail == ["skip: dropped 1 reporting frame(s)", "signature: fltmgr!TreeUnlinkMulti"]
    assert sig.stack[-1] == "?"


def test_second_seed_crash_drops_the_bug_check_path_and_keeps_a_general_frame_with_its_caller():
    # k: KeBugCheckEx, nt!<cold>, KiPageFault, RtlDeleteNoSplay, fltmgr!TreeUnlinkNoBalance, …
    sig = seed_signature("fltmgr-second-crash-k.txt")
    assert sig.trail[0] == "sentinel: dropped 3 frame(s) down to nt!KiPageFault, where the crash begins"
    assert sig.stack[:3] == ["nt!RtlDeleteNoSplay", "fltmgr!TreeUnlinkNoBalance", "fltmgr!TreeUnlinkMulti"]
    assert sig.text == "nt!RtlDeleteNoSplay | fltmgr!TreeUnlinkNoBalance"
    assert "prefix: nt!RtlDeleteNoSplay too general alone; kept with fltmgr!TreeUnlinkNoBalance" in sig.trail


def test_third_party_module_and_skip_rule():
    text = """\
0:000> k
Child-SP          RetAddr           Call Site
00000000`0014f8a8 00007ffa`11111111 KERNELBASE!RaiseException+0x69
00000000`0014f9a8 00007ffa`22222222 ucrtbase!abort+0x4e
00000000`0014fa08 00007ff6`33333333 mydriver!Parse+0x20
00000000`0014fa48 00007ffa`44444444 kernel32!BaseThreadInitThunk+0x14
"""
    (report,) = parse_text(text)
    sig = signature(from_report(report))
    assert sig.text == "mydriver!Parse"
    assert sig.driver == "mydriver"
    assert sig.trail[0] == "skip: dropped 3 reporting frame(s)"


def test_no_stack_falls_back_to_the_culprit_or_the_code():
    # issues/022: a 0x7F fragment without a stack; "Probably caused by : ksm.sys ( ksm!__vmx_entrypoint+72 )"
    first = parse_file(CORPUS / "issues" / "022.txt")[0]
    culprit = signature(from_report(first))
    assert culprit.text == "ksm!__vmx_entrypoint"
    assert (
        culprit.trail[0]
        == "culprit: no stack shown; the analysis's faulting symbol ksm!__vmx_entrypoint stands in"
    )
    # issues/020: the 0x7F analysis again, with neither a stack nor a faulting symbol
    (bare,) = parse_file(CORPUS / "issues" / "020.txt")
    sig = signature(from_report(bare))
    assert sig.text == "bug check 0x7f (no frame)"
    assert sig.trail == ["fallback: no frame names the crash; signature bug check 0x7f (no frame)"]


ENTRY = re.compile(r"[a-z0-9_.$-]+![^\s*]+\*?|[a-z0-9_.$-]+!\*")


@pytest.mark.parametrize("name", ["skip_frames.txt", "prefix_frames.txt", "sentinel_frames.txt"])
def test_frame_lists_are_module_bang_function_and_unique(name):
    entries = read_list(name)
    assert entries and all(ENTRY.fullmatch(e.lower()) for e in entries), name
    assert len({e.lower() for e in entries}) == len(entries)


def test_lists_do_not_contradict_each_other():
    skip = {e.lower() for e in read_list("skip_frames.txt")}
    prefix = {e.lower() for e in read_list("prefix_frames.txt")}
    assert not skip & prefix


def test_microsoft_modules_are_plain_lowercase_names():
    names = read_list("microsoft_modules.txt")
    assert all(re.fullmatch(r"[a-z0-9_]+\*?", n) for n in names)
    assert len(set(names)) == len(names)


def test_module_aliases_point_at_a_name_not_used_as_an_alias():
    rows = [r.split("\t") for r in read_list("module_aliases.tsv")]
    aliases = {a for _, a in rows}
    assert all(len(r) == 2 for r in rows)
    assert not {c for c, _ in rows} & aliases


def test_x86_decorated_names_match_the_lists():
    from crashsift.correlate.normalize import patterns, undecorated

    assert undecorated("nt!_KiTrap0E") == "nt!KiTrap0E"
    assert undecorated("nt!_KeBugCheckEx@20") == "nt!KeBugCheckEx"
    assert undecorated("openzfs!_guard_xfg_dispatch_icall_nop") == "openzfs!guard_xfg_dispatch_icall_nop"
    assert undecorated("nt!__security_check_cookie") == "nt!__security_check_cookie"  # not a C decoration
    assert "nt!_KiTrap0E" in patterns("sentinel_frames.txt")
    assert "nt!_KeBugCheckEx@20" in patterns("skip_frames.txt")
