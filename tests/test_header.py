"""Dump-open header and `vertarget` parser, checked against real corpus snippets (file and lines
named)."""

from __future__ import annotations

import pytest
from conftest import CORPUS, SHARED_CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st

from crashsift.model import Line
from crashsift.parsers import header
from crashsift.parsers.grammar import load
from crashsift.parsers.header import HeaderRecord, iso_time, parse, uptime_seconds


def _block(text: str, first: int) -> list[Line]:
    """Lines of a snippet numbered from `first`, as segmentation hands them over."""
    return [Line(first + i, t) for i, t in enumerate(text.split("\n"))]


def test_grammar_builds_strict() -> None:
    load("header", strict=True)


# code/082.txt lines 1-13 (blank lines 3 and 6 dropped, as segmentation hands them over)
HEADER_082 = [
    Line(1, "Microsoft (R) Windows Debugger Version 10.0.29617.1000 AMD64"),
    Line(2, "Copyright (c) Microsoft Corporation. All rights reserved."),
    Line(4, "Loading Dump File [D:\\Downloads\\100126-20828-01.dmp]"),
    Line(5, "Mini Kernel Dump File: Only registers and stack trace are available"),
    Line(7, "Symbol search path is: srv*"),
    Line(8, "Executable search path is: "),
    Line(9, "Windows 10 Kernel Version 19041 MP (8 procs) Free x64"),
    Line(10, "Product: WinNt, suite: TerminalServer SingleUserTS"),
    Line(11, "Kernel base = 0xfffff805`05200000 PsLoadedModuleList = 0xfffff805`05e2a420"),
    Line(12, "Debug session time: Thu Oct  1 14:13:42.872 2026 (UTC - 5:00)"),
    Line(13, "System Uptime: 0 days 0:02:09.764"),
]


def test_minidump_header() -> None:
    parsed = parse(HEADER_082)
    assert parsed.diagnostics == []
    rec = parsed.record
    assert (rec.debugger_version, rec.debugger_arch) == ("10.0.29617.1000", "AMD64")
    assert rec.dump_file == "D:\\Downloads\\100126-20828-01.dmp"
    assert (rec.dump_type, rec.dump_contents) == (
        "Mini Kernel Dump",
        "Only registers and stack trace are available",
    )
    assert (rec.symbol_path, rec.executable_path) == ("srv*", "")
    assert rec.os is not None
    assert (rec.os.os_name, rec.os.kernel, rec.os.kernel_version, rec.os.build) == (
        "Windows 10",
        True,
        "19041",
        19041,
    )
    assert (rec.os.mp_up, rec.os.processors, rec.os.build_type, rec.os.target_arch) == (
        "MP",
        8,
        "Free",
        "x64",
    )
    assert (rec.os.service_pack, rec.os.line) == (None, 9)
    assert (rec.product, rec.suite) == ("WinNt", "TerminalServer SingleUserTS")
    assert (rec.kernel_base, rec.ps_loaded_module_list) == ("0xfffff80505200000", "0xfffff80505e2a420")
    assert rec.debug_session_time is not None
    assert rec.debug_session_time.text == "Thu Oct  1 14:13:42.872 2026 (UTC - 5:00)"
    assert rec.debug_session_time.iso == "2026-10-01T14:13:42.872-05:00"
    assert rec.system_uptime is not None
    assert (rec.system_uptime.text, rec.system_uptime.seconds) == ("0 days 0:02:09.764", 129.764)
    assert (rec.machine_name, rec.process_uptime, rec.build_lab, rec.line) == (None, None, None, 1)
    assert rec.messages == []


def test_old_debugger_misnames_windows_11() -> None:
    # code/079.txt line 10: WinDbg 6.12 on a 22621 (Windows 11) minidump
    os = parse(_block("Windows 7 Kernel Version 22621 MP (32 procs) Free x64", 10)).record.os
    assert os is not None
    assert (os.os_name, os.build, os.processors) == ("Windows 7", 22621, 32)


def test_service_pack_and_x86() -> None:
    # code/084.txt line 15
    text = "Windows XP Kernel Version 2600 (Service Pack 2) MP (4 procs) Free x86 compatible"
    os = parse(_block(text, 15)).record.os
    assert os is not None
    assert (os.os_name, os.build, os.service_pack, os.target_arch) == (
        "Windows XP", 2600, "Service Pack 2", "x86 compatible",
    )  # fmt: skip
    assert os.text == text


def test_user_mode_version_line_of_wow64_dump() -> None:
    # issues/096.txt lines 1-9: old WinDbg on a WoW64 process dump
    text = """\
User Mini Dump File with Full Memory: Only application data is available
Executable search path is:
Windows 7 Version 17134 MP (4 procs) Free x64
Product: WinNt, suite: SingleUserTS
Machine Name:
Debug session time: Fri May 31 10:20:32.000 2019 (GMT+9)
System Uptime: 15 days 6:17:10.492
Process Uptime: 0 days 0:03:13.000"""
    parsed = parse(_block(text, 1))
    assert parsed.diagnostics == []
    rec = parsed.record
    assert rec.dump_type == "User Mini Dump with Full Memory"
    assert rec.os is not None and (rec.os.kernel, rec.os.build) == (False, 17134)
    assert rec.machine_name == ""
    assert rec.debug_session_time is not None
    assert rec.debug_session_time.iso == "2019-05-31T10:20:32.000+09:00"
    assert (
        rec.system_uptime is not None
        and rec.system_uptime.seconds == 15 * 86400 + 6 * 3600 + 17 * 60 + 10.492
    )
    assert rec.process_uptime is not None and rec.process_uptime.seconds == 193.0


def test_arm64_vertarget() -> None:
    # issues/058.txt lines 1-4
    text = """\
Windows 10 Kernel Version 22621 MP (4 procs) Free ARM 64-bit (AArch64)
Product: WinNt, suite: TerminalServer SingleUserTS
Edition build lab: 22621.1.arm64fre.ni_release.220506-1250
Kernel base = 0xfffff803`ba000000 PsLoadedModuleList = 0xfffff803`bacda970"""
    parsed = parse(_block(text, 1))
    assert parsed.diagnostics == []
    assert parsed.record.os is not None and parsed.record.os.target_arch == "ARM 64-bit (AArch64)"
    assert parsed.record.build_lab == "22621.1.arm64fre.ni_release.220506-1250"


def test_user_mode_vertarget_bare_build_lab() -> None:
    # issues/125.txt lines 1-3: user-mode vertarget prints the build lab without a label
    text = "Windows 10 Version 18362 MP (4 procs) Free x64\nProduct: WinNt, suite: SingleUserTS\n"
    text += "18362.1.amd64fre.19h1_release.190318-1202"
    parsed = parse(_block(text, 1))
    assert parsed.diagnostics == []
    assert parsed.record.build_lab == "18362.1.amd64fre.19h1_release.190318-1202"


def test_vertarget_quoted_empty_machine_name() -> None:
    # code/053.txt lines 5 and 8
    rec = parse(_block('Machine Name: ""\nSystem Uptime: 0 days 01:31:58.931', 5)).record
    assert rec.machine_name == ""
    assert rec.system_uptime is not None and rec.system_uptime.seconds == 5518.931


def test_live_kd_connection_and_validation_table() -> None:
    # issues/137.txt lines 2-14 (blank lines 4 dropped)
    text = """\
Connected to Windows Server 2003 3790 x86 compatible target at (Thu Sep  9 19:30:05.187 2021 (UTC + 2:00)), ptr64 FALSE
Kernel Debugger connection established.
************* Path validation summary **************
Response                         Time (ms)     Location
Deferred                                       srv*
Symbol search path is: srv*
Executable search path is:
Windows Server 2003 Kernel Version 3790 UP Free x86 compatible
Built by: 3790.srv03_sp2_rtm.070216-1710
Machine Name:
Kernel base = 0x80800000 PsLoadedModuleList = 0x808a8e48
System Uptime: not available"""  # noqa: E501
    parsed = parse(_block(text, 2))
    assert parsed.diagnostics == []
    rec = parsed.record
    conn = rec.connection
    assert conn is not None
    assert (conn.os_name, conn.build, conn.target_arch, conn.ptr64, conn.line) == (
        "Windows Server 2003", 3790, "x86 compatible", False, 2,
    )  # fmt: skip
    assert conn.time.iso == "2021-09-09T19:30:05.187+02:00"
    assert [(r.response, r.time_ms, r.location, r.line) for r in rec.symbol_path_validation] == [
        ("Deferred", None, "srv*", 6)
    ]
    assert rec.os is not None
    assert (rec.os.os_name, rec.os.mp_up, rec.os.processors) == ("Windows Server 2003", "UP", None)
    assert (rec.kernel_base, rec.ps_loaded_module_list) == ("0x80800000", "0x808a8e48")
    assert rec.system_uptime is not None and rec.system_uptime.seconds is None
    assert rec.messages == [Line(3, "Kernel Debugger connection established.")]


def test_validation_ok_row() -> None:
    # issues/173.txt lines 11-12
    text = "Deferred                                       srv*\n"
    text += "OK                                             C:\\Program Files (x86)\\WinFsp\\sym"
    rows = parse(_block(text, 11)).record.symbol_path_validation
    assert [(r.response, r.location) for r in rows] == [
        ("Deferred", "srv*"),
        ("OK", "C:\\Program Files (x86)\\WinFsp\\sym"),
    ]


def test_cut_session_time_keeps_its_text() -> None:
    # issues/185.txt line 17 and issues/173.txt line 20: pastes cut inside the time
    for no, text in ((17, "Mon Sep 21 21:40:12.408 2015 (UTC"), (20, "Thu Feb 28 09:04:50.699 20")):
        parsed = parse([Line(no, f"Debug session time: {text}")])
        assert parsed.record.debug_session_time is not None
        assert (parsed.record.debug_session_time.text, parsed.record.debug_session_time.iso) == (text, None)
        assert [d.line for d in parsed.diagnostics] == [no]


def test_modload_and_messages() -> None:
    # issues/134.txt lines 4-8
    text = """\
*** wait with pending attach
Symbol search path is: srv*
Executable search path is:
ModLoad: 00000000`00bd0000 00000000`00c08000   C:\\DynamoRIO\\bin32\\drrun.exe
ModLoad: 00007ff9`00470000 00007ff9`00664000   C:\\Windows\\SYSTEM32\\ntdll.dll"""
    parsed = parse(_block(text, 4))
    assert parsed.diagnostics == []
    mods = parsed.record.modules
    assert [(m.start, m.end, m.path, m.line) for m in mods] == [
        ("0xbd0000", "0xc08000", "C:\\DynamoRIO\\bin32\\drrun.exe", 7),
        ("0x7ff900470000", "0x7ff900664000", "C:\\Windows\\SYSTEM32\\ntdll.dll", 8),
    ]
    assert parsed.record.messages == [Line(4, "*** wait with pending attach")]


def test_cut_modload_is_a_diagnostic() -> None:
    # issues/134.txt line 17: the paste ends inside a ModLoad line
    parsed = parse(_block("ModLoad: 00000000`76a00", 17))
    assert parsed.record.modules == []
    assert [d.line for d in parsed.diagnostics] == [17]


def test_symbol_loading_messages() -> None:
    # issues/039.txt lines 16-18 and 112.txt line 19: notes spliced into the symbol-loading dots
    text = """\
Loading Kernel Symbols
...............................................................
....Page 1086fe not present in the dump file. Type ".hh dbgerr004" for details
Press ctrl-c (cdb, kd, ntsd) or ctrl-break (windbg) to abort symbol loads that take too long."""
    parsed = parse(_block(text, 16))
    assert parsed.diagnostics == []
    assert [m.no for m in parsed.record.messages] == [16, 17, 18, 19]


def test_bugcheck_lines() -> None:
    # code/079.txt line 32, code/093.txt line 2
    rec = parse(_block("BugCheck 3B, {c0000005, fffff8066f2a6034, ffffa005550bd940, 0}", 32)).record
    assert rec.bugcheck is not None
    assert (rec.bugcheck.code, rec.bugcheck.line) == ("0x3b", 32)
    assert rec.bugcheck.args == ["0xc0000005", "0xfffff8066f2a6034", "0xffffa005550bd940", "0x0"]
    rec = parse(_block("Bugcheck code 0000001E", 2)).record
    assert rec.bugcheck is not None and (rec.bugcheck.code, rec.bugcheck.args) == ("0x1e", [])


def test_repeated_field_keeps_the_first() -> None:
    parsed = parse(_block("Machine Name: a\nMachine Name: b", 1))
    assert parsed.record.machine_name == "a"
    assert [d.line for d in parsed.diagnostics] == [2]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Thu Oct  1 14:13:42.872 2026 (UTC - 5:00)", "2026-10-01T14:13:42.872-05:00"),  # code/082
        ("Fri Oct  3 13:12:55.516 2025 (UTC + 8:00)", "2025-10-03T13:12:55.516+08:00"),  # code/080
        ("Sat Dec 29 07:47:12.734 2007 (GMT-3)", "2007-12-29T07:47:12.734-03:00"),  # code/084
        ("Mon Mar 22 21:41:28.848 2021 (UTC + 5:30)", "2021-03-22T21:41:28.848+05:30"),
        ("Tue Jun 28 02:24:01 2016", "2016-06-28T02:24:01"),  # code/069 (.formats Time)
        ("Fri Jan  7 20:15:00.577 28163 (UTC - 7:00)", None),  # code/066: beyond year 9999
        ("Mon Feb 30 10:00:00.000 2015 (UTC)", None),
        ("Mon Sep 21 21:40:12.408 2015 (UTC", None),  # issues/185: cut
    ],
)
def test_iso_time(text: str, iso: str | None) -> None:
    assert iso_time(text) == iso


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("0 days 0:04:08.827", 248.827), ("1 day 0:00:00", 86400.0), ("not available", None), ("0 days", None)],
)
def test_uptime_seconds(text: str, seconds: float | None) -> None:
    assert uptime_seconds(text) == seconds


def test_not_header_lines_become_diagnostics() -> None:
    # issues/103.txt lines 23 and 25: the user's elision and the target's DbgPrint
    parsed = parse([Line(23, "// ......"), Line(25, "The SHV has been installed.")])
    assert parsed.record == HeaderRecord()
    assert [d.line for d in parsed.diagnostics] == [23, 25]
    assert all(d.message.startswith("not a header line") for d in parsed.diagnostics)


def test_empty_input() -> None:
    parsed = parse([])
    assert parsed.record == HeaderRecord()
    assert parsed.diagnostics == []


_PIECES = st.sampled_from(
    [
        "Debug session time: ", "System Uptime: ", "Windows 10 Kernel Version ", "MP ", "(8 procs) ",
        "Free x64", "Kernel base = ", "0xfffff805`05200000", "PsLoadedModuleList = ", "ModLoad: ",
        "Thu Oct  1 14:13:42.872 2026 ", "(UTC - 5:00)", "0 days 0:02:09.764", "Connected to ", "BugCheck ",
        "{", "}", ",", "Deferred   ", "***", "...",
    ]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.lists(_PIECES, max_size=6).map("".join)), max_size=12))
def test_never_raises(texts: list[str]) -> None:
    parsed = parse([Line(i + 1, t) for i, t in enumerate(texts)])
    assert isinstance(parsed.record, HeaderRecord)


def test_lines_after_a_refused_line_are_still_read() -> None:
    # issues/062.txt lines 5-8 and 15: vertarget followed by the target's DbgPrint output and a
    # kd note, all in one block; its line 4 (Kernel base) is put last, as line 16, so that a
    # grammar row comes after the refused lines
    text = """\
Debug session time: Mon Oct 23 03:42:42.016 2023 (UTC + 8:00)
System Uptime: 0 days 0:02:02.744
[driver.sys] Running
[driver.sys] [System:System][1AD000][FFFFF80540A05EC6] exception was caught"""
    lines = [*_block(text, 5), Line(15, "KDTARGET: Refreshing KD connection")]
    parsed = parse(
        [*lines, Line(16, "Kernel base = 0xfffff805`40605000 PsLoadedModuleList = 0xfffff805`4122f290")]
    )
    rec = parsed.record
    assert rec.debug_session_time is not None
    assert rec.debug_session_time.iso == "2023-10-23T03:42:42.016+08:00"
    assert rec.system_uptime is not None and rec.system_uptime.seconds == 122.744
    assert rec.kernel_base == "0xfffff80540605000"
    assert rec.messages == [Line(15, "KDTARGET: Refreshing KD connection")]
    assert [d.line for d in parsed.diagnostics] == [7, 8]


def test_a_line_holding_a_newline_is_refused() -> None:
    parsed = parse([Line(3, "Machine Name: a\nModLoad: 00400000 00500000 a.exe")])
    assert parsed.record.modules == [] and parsed.record.machine_name is None
    assert [d.line for d in parsed.diagnostics] == [3]


def _grammar_values(text: str) -> dict[str, object] | None:
    """What the grammar reads in one row alone (None when it refuses it)."""
    read, _ = header._try_block([(Line(1, text), text)])
    return read[0][2] if read else None


def _corpus_lines() -> list[str]:
    files = list(CORPUS.glob("*/*.txt")) + (
        list(SHARED_CORPUS.rglob("*.txt")) if SHARED_CORPUS.is_dir() else []
    )
    texts = {
        t.strip() for path in files for t in path.read_text(encoding="utf-8", errors="replace").splitlines()
    }
    return sorted(t for t in texts if t)


def _fast_rule(text: str) -> str | None:
    """The rule `_read_row` reads `text` by, or None when lark reads it (or no row starts it)."""
    m = header._row_lexer()[0].match(text)
    return header._row_table()[0].get(m.lastgroup or "") if m else None


def test_rows_read_as_the_grammar_reads_them_on_the_corpus() -> None:
    rows = [text for text in _corpus_lines() if _fast_rule(text) is not None]
    read = {_fast_rule(text) for text in rows if header._read_row(text) is not None}
    assert {"os_line", "kernel_base", "validation_row", "session_time", "uptime", "dump_type"} <= read
    assert len(rows) > 60
    for text in rows:
        assert header._read_row(text) == _grammar_values(text), text


def test_only_the_bugcheck_row_is_left_to_lark() -> None:
    rule_of = header._row_table()[0]
    assert set(rule_of.values()) == {
        "dump_type", "os_line", "connected", "build_lab", "kernel_base", "session_time", "uptime",
        "bugcheck_code", "validation_row", "modload",
    }  # fmt: skip
    assert header._read_row("BugCheck 3B, {c0000005, 0}") is None


def test_lines_no_row_can_start_with_are_refused_on_the_corpus() -> None:
    starts = header._row_lexer()[0]
    for text in _corpus_lines():
        if not starts.match(text):
            assert _grammar_values(text) is None, text


_ROW_PIECES = st.sampled_from(
    ["Debug session time:", "System Uptime:", "Process Uptime:", "Mini Kernel Dump File:", "Kernel Dump",
     ":", "Thu Oct  1 14:13:42.872 2026 (UTC - 5:00)", "Sat Dec 29 07:47:12.734 2007", "(GMT-3)",
     "0 days 0:04:08.827", "1 day", "not available", "18362.1.amd64fre.19h1_release.190318-1202", "x",
     "Only registers", "\t", "12", "Deferred", "OK", "srv*", "Windows 10 Kernel Version", "19041", "MP",
     "Free", "x64", "Kernel base =", "0x1", "PsLoadedModuleList =", "0x2`3", "(Service Pack 1)", "(8 procs)",
     "UP", "Checked", "x86 compatible", "Windows 7 Version", "ModLoad:", "Error", "Connected to",
     "Windows Server 2003", "target at (", "), ptr64 TRUE", "Bugcheck code", "ptr64"]
)  # fmt: skip


@settings(max_examples=1000, deadline=None)
@given(st.lists(_ROW_PIECES, min_size=1, max_size=6), st.sampled_from([" ", "  ", ""]))
def test_rows_agree_with_the_grammar(pieces: list[str], blank: str) -> None:
    text = blank.join(pieces).strip()
    if not text:
        return
    if _fast_rule(text) is not None:
        assert header._read_row(text) == _grammar_values(text), text
    if not header._row_lexer()[0].match(text):
        assert _grammar_values(text) is None, text
