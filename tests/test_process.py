"""The `!process` parser: process headers, their fields and errors, and their THREAD sections.

Snippets are read from corpus files with their original line numbers, or copied from the
public page named; expected values were read off the text by hand.
"""

# ruff: noqa: E501

from __future__ import annotations

from conftest import corpus_lines, output_lines
from hypothesis import given
from hypothesis import strategies as st

from crashsift.model import Line
from crashsift.parsers import process


def test_empty_input() -> None:
    parsed = process.parse([])
    assert parsed.record == process.ProcessRecord()
    assert parsed.diagnostics == []


def test_garbage_is_a_diagnostic_not_a_process() -> None:
    parsed = process.parse(output_lines("@@@ 12 !!\n=== ###\n", 3))
    assert parsed.record.processes == []
    assert [d.line for d in parsed.diagnostics] == [3, 4]


@given(st.lists(st.text(max_size=120), max_size=8))
def test_parse_never_raises(texts: list[str]) -> None:
    process.parse([Line(i, t) for i, t in enumerate(texts, 1)])


def test_process_with_read_errors() -> None:
    # code/079 lines 110-133 (WinDbg 6.12 on a Win11 minidump, bug check 0x3B)
    parsed = process.parse(corpus_lines("code/079.txt", 110, 133))
    assert parsed.diagnostics == []
    (p,) = parsed.record.processes
    assert (p.address, p.session_id, p.cid, p.peb, p.parent_cid) == (
        "0xffff85053250f080", None, "0x2e54", "0xeb391f4000", "0x5d0",
    )  # fmt: skip
    assert (p.dir_base, p.object_table, p.handle_count, p.image) == (
        "0x2d065d000", "0xffffb38b1ba95040", None, "sppsvc.exe",
    )  # fmt: skip
    assert p.fields == {
        "SessionId": "none", "Cid": "2e54", "Peb": "eb391f4000", "ParentCid": "05d0",
        "DirBase": "2d065d000", "ObjectTable": "ffffb38b1ba95040", "HandleCount": "<Data Not Accessible>",
        "Image": "sppsvc.exe",
        "VadRoot": "ffff850531c49e40", "Vads": "1", "Clone": "0", "Private": "721.", "Modified": "3.", "Locked": "16.",
        "DeviceMap": "ffffb38b0eb637ff", "Token": "ffffb38b1c2450a0",
        "ElapsedTime": "00:00:00.000", "UserTime": "00:00:00.000", "KernelTime": "00:00:00.000",
        "QuotaPoolUsage[PagedPool]": "0", "QuotaPoolUsage[NonPagedPool]": "0",
        "Working Set Sizes (now,min,max)": "(0, 0, 0) (0KB, 0KB, 0KB)",
        "PeakWorkingSetSize": "0", "VirtualSize": "2101333 Mb", "PeakVirtualSize": "2101333 Mb",
        "PageFaultCount": "0", "MemoryPriority": "BACKGROUND", "BasePriority": "8", "CommitCharge": "850",
    }  # fmt: skip
    assert [(e.no, e.text) for e in p.errors] == [
        (117, "ReadMemory error: Cannot get nt!KeMaximumIncrement value."),
        (118, "fffff78000000000: Unable to get shared data"),
        (133, "*** Error in reading nt!_ETHREAD @ ffff85052cee1080"),
    ]
    assert (p.threads, p.line) == ([], 110)


def test_process_with_one_line_threads_and_an_elided_second_process() -> None:
    # code/053 lines 58-106: !process of audiodg.exe, its threads with wait objects only, the
    # author's `...`, then the same process's head printed again
    parsed = process.parse(corpus_lines("code/053.txt", 58, 106))
    assert [(d.line, d.message) for d in parsed.diagnostics] == [
        (100, "output elided by the paster: ..."),
        (106, "output elided by the paster: ..."),
    ]
    first, second = parsed.record.processes
    assert (first.address, first.session_id, first.cid, first.parent_cid, first.image, first.line) == (
        "0xffffe001d147c840", 0, "0x10f0", "0x434", "audiodg.exe", 58,
    )  # fmt: skip
    assert first.fields["ElapsedTime"] == "<Invalid>"
    assert [(t.address, t.thread_id, t.line) for t in first.threads] == [
        ("0xffffe001d173e840", "0x1dac", 79), ("0xffffe001ceb77080", "0x16dc", 83),
        ("0xffffe001d112c840", "0xa4c", 86), ("0xffffe001d16c7840", "0x13c4", 89),
        ("0xffffe001cec67840", "0xdbc", 92), ("0xffffe001d1117840", "0x1d6c", 95),
        ("0xffffe001cdeae840", "0x298", 98),
    ]  # fmt: skip
    waiting = first.threads[0]
    assert (waiting.win32thread, waiting.wait_reason, waiting.wait_mode, waiting.alertable) == (
        "0xffffe001d1118cf0", "UserRequest", "UserMode", False,
    )  # fmt: skip
    assert [(w.address, w.kind, w.line) for w in waiting.wait_objects] == [
        ("0xffffe001d16c4dd0", "NotificationEvent", 80), ("0xffffe001d08b0840", "ProcessObject", 81),
    ]  # fmt: skip
    assert first.threads[1].alertable is True
    assert (first.threads[6].state, first.threads[6].processor) == ("RUNNING on processor 2", 2)
    assert (second.address, second.image, second.line, second.threads) == (
        "0xffffe001d147c840",
        "audiodg.exe",
        102,
        [],
    )


def test_prompt_less_process_of_the_system() -> None:
    # code/053 lines 108-135: `!process` pasted without its prompt, the System process
    parsed = process.parse(corpus_lines("code/053.txt", 108, 135))
    assert parsed.record.notes == ["!process"]
    assert [(d.line, d.message) for d in parsed.diagnostics] == [(135, "output elided by the paster: ...")]
    (p,) = parsed.record.processes
    assert (p.address, p.session_id, p.cid, p.peb, p.parent_cid, p.dir_base) == (
        "0xffffe001cd0ad040", None, "0x4", "0x0", "0x0", "0x1aa000",
    )  # fmt: skip
    assert (p.image, p.fields["ElapsedTime"], p.fields["VirtualSize"]) == ("System", "05:04:54.716", "58 Mb")
    assert p.fields["MemoryPriority"] == "BACKGROUND"  # line 126, indented differently
    assert [(t.cid, t.wait_objects[0].kind) for t in p.threads] == [
        ("0004.000c", "SynchronizationEvent"), ("0004.0010", "Semaphore Limit 0x7fffffff"),
    ]  # fmt: skip


def test_process_with_full_thread_sections() -> None:
    # code/053 lines 138-206: `!process ffffe001d147c840`, three threads with their fields and
    # `Kernel stack not resident.` instead of a stack
    parsed = process.parse(corpus_lines("code/053.txt", 138, 206))
    assert parsed.diagnostics == []
    (p,) = parsed.record.processes
    assert p.fields["ElapsedTime"] == "1 Day 01:53:14.490"
    assert p.fields["Working Set Sizes (now,min,max)"] == "(1915, 1814, 2109) (7660KB, 7256KB, 8436KB)"
    assert len(p.threads) == 3
    t = p.threads[0]
    assert (t.address, t.owning_process, t.image, t.attached_process) == (
        "0xffffe001d173e840", "0xffffe001d147c840", "audiodg.exe", None,
    )  # fmt: skip
    assert t.notes == ["Not impersonating", "Kernel stack not resident."]
    assert (t.fields["Ticks"], t.fields["Call"], t.fields["ForegroundBoost"]) == (
        "197682 (0:00:51:28.781)",
        "0",
        "0",
    )
    assert t.frames == []
    assert [t.fields["Wait Start TickCount"] for t in p.threads] == ["338852", "338852", "518918"]
    assert p.threads[2].fields["Priority"] == "9"


def test_process_0_0_list() -> None:
    # https://learn.microsoft.com/en-us/windows-hardware/drivers/debugger/-process (Windows 2000:
    # Cid on the PROCESS line, TableSize) and https://gist.github.com/mvankuipers/5855443f86f15b7597e624ccde3eb58d
    # (spaces collapsed by the page; HandleCount with a trailing dot)
    text = (
        "**** NT ACTIVE PROCESS DUMP ****\n"
        "PROCESS 80a02a60  Cid: 0002    Peb: 00000000  ParentCid: 0000\n"
        "    DirBase: 00006e05  ObjectTable: 80a03788  TableSize: 150.\n"
        "    Image: System\n"
        "PROCESS ffffa50dcea99040\n"
        "SessionId: none Cid: 0004 Peb: 00000000 ParentCid: 0000\n"
        "DirBase: 001aa000 ObjectTable: ffffd385360012c0 HandleCount: 2376.\n"
        "Image: System\n"
    )
    parsed = process.parse(output_lines(text))
    assert parsed.diagnostics == []
    assert parsed.record.notes == ["**** NT ACTIVE PROCESS DUMP ****"]
    old, new = parsed.record.processes
    assert (old.address, old.cid, old.parent_cid, old.handle_count, old.image, old.line) == (
        "0x80a02a60", "0x2", "0x0", 150, "System", 2,
    )  # fmt: skip
    assert (new.address, new.cid, new.dir_base, new.handle_count, new.image) == (
        "0xffffa50dcea99040", "0x4", "0x1aa000", 2376, "System",
    )  # fmt: skip


def test_threads_before_any_process_line_are_kept() -> None:
    # code/053 lines 130-134: a !process paste cut before its PROCESS line
    parsed = process.parse(corpus_lines("code/053.txt", 130, 134))
    (p,) = parsed.record.processes
    assert (p.address, p.line, len(p.threads)) == (None, 130, 2)
    assert [(d.line, d.message) for d in parsed.diagnostics] == [(130, "threads before any PROCESS line")]
