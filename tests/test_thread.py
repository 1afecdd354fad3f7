"""The `!thread` parser: the THREAD line, header fields, wait objects, IRPs, errors and the stack.

Snippets are read from corpus files with their original line numbers (the whole output, stack
included, as it will be once segmentation keeps `!thread` output whole); expected values were
read off the text by hand.
"""

# ruff: noqa: E501

from __future__ import annotations

from conftest import CORPUS, SHARED_CORPUS, corpus_lines, output_lines
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from crashsift.model import Line
from crashsift.parsers import thread
from crashsift.parsers.grammar import load


def test_empty_input() -> None:
    parsed = thread.parse([])
    assert parsed.record == thread.ThreadRecord()
    assert parsed.diagnostics == []


def test_garbage_is_a_diagnostic_not_a_thread() -> None:
    parsed = thread.parse(output_lines("@@@ 12 !!\n=== ###\n", 5))
    assert parsed.record.threads == []
    assert [d.line for d in parsed.diagnostics] == [5, 6]


@given(st.lists(st.text(max_size=120), max_size=8))
def test_parse_never_raises(texts: list[str]) -> None:
    thread.parse([Line(i, t) for i, t in enumerate(texts, 1)])


@given(st.lists(st.sampled_from([
    "THREAD ffffcb816348b040  Cid 0c58.4a1c  Teb: 0000000000000000 Win32Thread: 0000000000000000 RUNNING on processor 2",
    "PROCESS ffffe001cd0ad040", "Image: System", "ffffe001cf2d1840  QueueObject", "Not impersonating",
    "Child-SP          RetAddr           Call Site", "ffffd001`c70c62b0 fffff800`7a0fb2c3 portcls!CPortPinWaveRT::Init+0x2e7",
    "Stack Init 8dd9fed0 Current 8dd9f5a8", "IRP List:", "8a6b15c0: (0006,01d8) Flags: 00060000  Mdl: 00000000",
    "...", "!thread", "GetPointerFromAddress: unable to read from 833a5850", "Priority 8", "x",
]), max_size=12))  # fmt: skip
def test_parse_never_raises_on_mixed_lines(texts: list[str]) -> None:
    thread.parse([Line(i, t) for i, t in enumerate(texts, 1)])


def test_running_thread_header_and_elision() -> None:
    # code/039 lines 31-44 (MS docs, bug check 0x1AA): no stack, the author elided it
    parsed = thread.parse(corpus_lines("code/039.txt", 31, 44))
    (t,) = parsed.record.threads
    assert (t.address, t.cid, t.process_id, t.thread_id) == (
        "0xffffcb816348b040",
        "0c58.4a1c",
        "0xc58",
        "0x4a1c",
    )
    assert (t.teb, t.win32thread) == ("0x0", "0x0")
    assert (t.state, t.processor, t.wait_reason) == ("RUNNING on processor 2", 2, None)
    assert (t.owning_process, t.image) == ("0xffffcb81648980c0", "YourPhone.exe")
    assert (t.attached_process, t.attached_image) == (None, None)
    assert t.notes == ["Not impersonating"]
    assert t.fields == {
        "Cid": "0c58.4a1c", "Teb": "0000000000000000", "Win32Thread": "0000000000000000",
        "DeviceMap": "ffff840f38c04170", "Owning Process": "ffffcb81648980c0", "Image": "YourPhone.exe",
        "Attached Process": "N/A", "Attached Process Image": "N/A",
        "Wait Start TickCount": "34501403", "Ticks": "0", "Context Switch Count": "43", "IdealProcessor": "3",
        "UserTime": "00:00:00.000", "KernelTime": "00:00:00.015", "Win32 Start Address": "0x00007fff34656d00",
        "Stack Init": "ffffdc0e9ee675b0", "Current": "ffffdc0e9ee66610",
        "Base": "ffffdc0e9ee68000", "Limit": "ffffdc0e9ee61000", "Call": "0000000000000000",
        "Priority": "8", "BasePriority": "8", "PriorityDecrement": "0", "IoPriority": "2", "PagePriority": "5",
    }  # fmt: skip
    assert (t.frames, t.line) == ([], 31)
    assert [(d.line, d.message) for d in parsed.diagnostics] == [(44, "output elided by the paster: ...")]


def test_thread_with_irp_list_and_stack() -> None:
    # code/053 lines 212-245: !thread of a live session, IRP List, x64 stack with args
    parsed = thread.parse(corpus_lines("code/053.txt", 212, 245))
    assert parsed.diagnostics == []
    (t,) = parsed.record.threads
    assert (t.address, t.cid, t.processor, t.image) == ("0xffffe001d3a27040", "10f0.17f4", 0, "audiodg.exe")
    assert t.teb == "0xee6cf9d000"
    (irp,) = t.irps
    assert (irp.address, irp.type, irp.size, irp.flags, irp.mdl, irp.line) == (
        "0xffffe001d429e580", "0x6", "0x2c8", "0x8b4", "0x0", 214,
    )  # fmt: skip
    assert t.fields["Base"] == "ffffd001c70c7000" and t.fields["UnusualBoost"] == "0"
    assert len(t.frames) == 18
    first, trap, last = t.frames[0], t.frames[13], t.frames[17]
    assert (first.line, first.child_sp, first.ret_addr, first.module, first.function) == (
        228, "0xffffd001c70c62a8", "0xfffff8007a0fa607", "tabletaudiosample", "CMiniportWaveRT::NewStream",
    )  # fmt: skip
    assert first.args == [
        "0xffffe001d4aec5c0",
        "0xffffe001cdefd3d8",
        "0xffffe001d4aec5c0",
        "0xffffe001cdefd390",
    ]
    assert (first.source_file, first.source_line) == (
        r"c:\data1\threshold\audio\endpointscommon\minwavert.cpp",
        562,
    )
    assert (trap.line, trap.function, trap.offset) == (241, "KiSystemServiceCopyEnd", "0x13")
    assert trap.notes == ["TrapFrame @ ffffd001`c70c6c40"]
    assert (last.line, last.child_sp, last.call_site) == (245, "0xee6d37c580", "0x12e")


def test_thread_stack_after_a_blank_line() -> None:
    # code/053 lines 269-302: a blank line (282) between the header and the stack header
    parsed = thread.parse(corpus_lines("code/053.txt", 269, 302))
    assert parsed.diagnostics == []
    (t,) = parsed.record.threads
    assert (t.address, t.win32thread, t.image) == ("0xffffe001ce80b840", "0xffffe001d41690d0", "rundll32.exe")
    assert t.fields["Context Switch Count"] == "3181840"
    assert len(t.frames) == 19
    assert (t.frames[0].line, t.frames[0].function) == (284, "DbgBreakPointWithStatus")
    assert (t.frames[18].line, t.frames[18].call_site) == (302, "0x1010bff")


def test_thread_minus_one_zero_prints_the_thread_line_only() -> None:
    # code/053 line 209: `!thread -1 0`
    parsed = thread.parse(corpus_lines("code/053.txt", 209, 209))
    assert parsed.diagnostics == []
    (t,) = parsed.record.threads
    assert (t.address, t.cid, t.state, t.line) == (
        "0xffffe001d3a27040",
        "10f0.17f4",
        "RUNNING on processor 0",
        209,
    )
    assert t.fields == {"Cid": "10f0.17f4", "Teb": "000000ee6cf9d000", "Win32Thread": "0000000000000000"}


def test_x86_waiting_thread_with_read_errors_and_fpo_frames() -> None:
    # code/109 lines 36-64 (Win7 x86, bug check 0x9F): errors before and inside the output,
    # a wait object, an IRP, NoStackSwap, a symbolic start address, FPO annotations, an elision
    parsed = thread.parse(corpus_lines("code/109.txt", 36, 64))
    record = parsed.record
    assert [(e.no, e.text) for e in record.errors] == [
        (36, "GetPointerFromAddress: unable to read from 833a5850")
    ]
    (t,) = record.threads
    assert (t.address, t.cid, t.process_id, t.thread_id, t.line) == (
        "0x85f6da70",
        "0004.0048",
        "0x4",
        "0x48",
        37,
    )
    assert t.state == "WAIT: (Executive) KernelMode Non-Alertable"
    assert (t.wait_reason, t.wait_mode, t.alertable, t.processor) == ("Executive", "KernelMode", False, None)
    assert [(w.address, w.kind, w.line) for w in t.wait_objects] == [("0x8dd9f6c0", "NotificationEvent", 38)]
    assert [(i.address, i.type, i.size, i.flags) for i in t.irps] == [
        ("0x8a6b15c0", "0x6", "0x1d8", "0x60000")
    ]
    assert (t.owning_process, t.image) == ("0x85ed8cf0", "System")
    assert "DeviceMap" not in t.fields  # its read failed (line 42)
    assert [(e.no, e.text) for e in t.errors] == [
        (42, "GetUlongFromAddress: unable to read from 83364510"),
        (45, "ffdf0000: Unable to get shared data"),
        (48, "ReadMemory error: Cannot get nt!KeMaximumIncrement value."),
    ]
    assert t.notes == ["Not impersonating", "NoStackSwap"]
    assert t.fields["Wait Start TickCount"] == "1214434" and t.fields["IdealProcessor"] == "0"
    assert t.fields["Win32 Start Address"] == "nt!ExpWorkerThread (0x832b6bae)"
    assert (t.fields["Stack Init"], t.fields["Limit"], t.fields["Call"]) == ("8dd9fed0", "8dd9d000", "0")
    assert (t.fields["Priority"], t.fields["BasePriority"]) == ("15", "12")
    assert [f.line for f in t.frames] == list(range(55, 64))
    assert (t.frames[0].child_sp, t.frames[0].ret_addr, t.frames[0].args) == (
        "0x8dd9f5c0", "0x832b78ad", ["0x85f6da70", "0x0", "0x807c7120"],
    )  # fmt: skip
    assert t.frames[0].notes == ["FPO: [Uses EBP] [0,0,4]"]
    assert (t.frames[8].function, t.frames[8].notes) == ("UsbhInitialize", ["FPO: [Non-Fpo]"])
    assert [(d.line, d.message) for d in parsed.diagnostics] == [(64, "frames elided by the paster: ....")]


def test_prompt_less_echo_is_a_note() -> None:
    # code/053 line 108 pattern: the command pasted without its prompt, then its output
    parsed = thread.parse([Line(8, "!thread"), *corpus_lines("code/053.txt", 209, 209)])
    assert parsed.record.notes == ["!thread"]
    assert len(parsed.record.threads) == 1 and parsed.diagnostics == []


def test_stack_before_any_thread_line_keeps_its_frames() -> None:
    # code/053 lines 227-229: the stack alone, as segmentation cuts it today
    parsed = thread.parse(corpus_lines("code/053.txt", 227, 229))
    (t,) = parsed.record.threads
    assert (t.address, t.line, len(t.frames)) == (None, 227, 2)
    assert [(d.line, d.message) for d in parsed.diagnostics] == [(227, "stack before any THREAD line")]


def test_process_lines_in_a_thread_block_are_diagnostics() -> None:
    # code/053 lines 109-112 and 130-131: a !process head, then one of its threads
    parsed = thread.parse(corpus_lines("code/053.txt", 109, 112) + corpus_lines("code/053.txt", 130, 131))
    (t,) = parsed.record.threads
    assert (t.address, t.wait_objects[0].kind) == ("0xffffe001cd0295c0", "SynchronizationEvent")
    assert [d.line for d in parsed.diagnostics] == [109, 110, 111, 112]


def test_one_unreadable_line_costs_only_itself() -> None:
    # code/039 lines 31-33 with a line no grammar rule reads between them
    parsed = thread.parse(
        [*corpus_lines("code/039.txt", 31, 32), Line(40, "%%% : :"), *corpus_lines("code/039.txt", 33, 33)]
    )
    (t,) = parsed.record.threads
    assert t.notes == ["Not impersonating"] and t.fields["DeviceMap"] == "ffff840f38c04170"
    assert [(d.line, d.message) for d in parsed.diagnostics] == [(40, "not !thread output: %%% : :")]


def test_grammar_reads_a_value_by_position() -> None:
    # After a name only a value is expected, so a word value is not read as a name (code/053
    # line 75), and a symbol is not part of a name (code/109 line 51).
    tree = load("thread").parse(
        "MemoryPriority                    BACKGROUND\nWin32 Start Address nt!ExpWorkerThread (0x832b6bae)\n"
    )
    pairs = [[t.strip() for t in line.children] for line in tree.children]
    assert pairs == [
        ["MemoryPriority", "BACKGROUND"],
        ["Win32 Start Address", "nt!ExpWorkerThread (0x832b6bae)"],
    ]


def _grammar_item(text: str) -> thread.Item | None:
    """The item the grammar reads in one line alone (None when it refuses it)."""
    try:
        return thread._item(load("thread").parse(f"{text}\n").children[0])
    except LarkError:
        return None


def test_lines_told_by_their_first_tokens_read_as_the_grammar_reads_them_on_the_corpus() -> None:
    files = list(CORPUS.glob("*/*.txt"))
    files += list(SHARED_CORPUS.rglob("*.txt")) if SHARED_CORPUS.is_dir() else []
    texts = {
        t.strip() for path in files for t in path.read_text(encoding="utf-8", errors="replace").splitlines()
    }
    told = [(text, item) for text in sorted(texts) if text and (item := thread._classify(text)) is not None]
    assert {kind for _, (kind, _) in told} >= {
        "fields", "note", "error", "wait_object", "process_head", "thread_head", "irp", "irp_list"
    }  # fmt: skip
    # lines of several pairs (`VadRoot … Vads … Clone …`), and flags after them, are read too
    assert any(kind == "fields" and len(values[0]) > 2 and values[1] for _, (kind, values) in told)
    assert any(kind == "thread_head" and len(values[1]) > 2 and values[2] for _, (kind, values) in told)
    for text, item in told:
        assert item == _grammar_item(text), text
    # and every line the grammar reads is told without lark: lark sees only the lines it refuses
    left = [text for text in texts if text and thread._classify(text) is None]
    assert [text for text in left if _grammar_item(text) is not None] == []


_LINE_PIECES = st.sampled_from(
    ["THREAD", "PROCESS", "ffffe001d16c4dd0", "fffff880`0106f141", "NotificationEvent", "Image:", "audiodg.exe",
     "Not", "impersonating", "IRP List:", "Unable to read", "***", "Cid:", "0004", "DeviceMap", "Wait Start",
     "TickCount", "(0:00:51:28.781)", "N/A", "<Data Not Accessible>", "1 Day 01:53:14.490", "Ticks:", "197682",
     "resident.", "Priority", "8", "nt!KiFoo", "12 Mb", "Working Set Sizes (now,min,max)", "(1720, 50, 450)",
     "x", ":", "(", "NoStackSwap", "RUNNING on processor 2", "ffffe001d429e580:", "(0006,02c8)", "\t"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE_PIECES, min_size=1, max_size=5), st.sampled_from([" ", "  "]))
def test_lines_told_by_their_first_tokens_agree_with_the_grammar(pieces: list[str], blank: str) -> None:
    text = blank.join(pieces).strip()
    item = thread._classify(text) if text else None
    if item is not None:
        assert item == _grammar_item(text), text


def _starts_alike(text: str) -> None:
    """Without one of ERROR's phrases, a line starts the same token with or without ERROR."""
    line = f"{text}\n"
    lexer = thread._line_lexer()
    if not lexer.error_phrase.search(line):
        full, short = lexer.start.match(line), lexer.start_unless_error.match(line)
        assert (full and (full.lastgroup, full.group())) == (short and (short.lastgroup, short.group())), text


def test_lines_without_an_error_phrase_start_alike_on_the_corpus() -> None:
    files = list(CORPUS.glob("*/*.txt")) + (
        list(SHARED_CORPUS.rglob("*.txt")) if SHARED_CORPUS.is_dir() else []
    )
    for path in files:
        for text in path.read_text(encoding="utf-8", errors="replace").splitlines():
            _starts_alike(text.strip())


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINE_PIECES, min_size=1, max_size=5), st.sampled_from([" ", "  "]))
def test_lines_without_an_error_phrase_start_alike(pieces: list[str], blank: str) -> None:
    _starts_alike(blank.join(pieces).strip())
