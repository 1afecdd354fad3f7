"""`?` and `.formats` parser, checked against real corpus snippets (file and lines named)."""

from __future__ import annotations

from conftest import CORPUS, SHARED_CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from crashsift.model import Line
from crashsift.parsers import expr
from crashsift.parsers.expr import ExprRecord, parse
from crashsift.parsers.grammar import load


def _block(text: str, first: int) -> list[Line]:
    """Lines of a snippet numbered from `first`, as segmentation hands them over."""
    return [Line(first + i, t) for i, t in enumerate(text.split("\n"))]


def test_grammar_builds_strict() -> None:
    load("expr", strict=True)


def test_seed_evaluate() -> None:
    # seed/fltmgr-0x3b-session.txt line 167 (after `2: kd> ? @rcx-fffffa8008e13280`)
    parsed = parse(_block("Evaluate expression: 152 = 00000000`00000098", 167))
    assert parsed.diagnostics == []
    assert parsed.record == ExprRecord(value="0x98", decimal="152", line=167)


def test_cr4_mask() -> None:
    # issues/149.txt line 13 (after `0: kd> ? (@cr4 & 0x100000)`): SMEP bit set
    record = parse(_block("Evaluate expression: 1048576 = 00000000`00100000", 13)).record
    assert (record.value, record.decimal, record.line) == ("0x100000", "1048576", 13)
    assert int(record.value, 16) == int(record.decimal)


def test_negative_result_keeps_its_sign_in_decimal() -> None:
    # `? 0 - 8` on a 64-bit target prints the two's complement in hex
    record = parse(_block("Evaluate expression: -8 = ffffffff`fffffff8", 4)).record
    assert (record.value, record.decimal) == ("0xfffffffffffffff8", "-8")


def test_engine_failure() -> None:
    # issues/148.txt line 2 (after `0: kd> ? @rdx`)
    parsed = parse(_block("Debug command failed: An unexpected exception was raised (0x80040205)", 2))
    assert parsed.diagnostics == []
    assert parsed.record.error == "Debug command failed: An unexpected exception was raised (0x80040205)"
    assert (parsed.record.value, parsed.record.decimal, parsed.record.line) == (None, None, 2)


def test_couldnt_resolve_with_caret() -> None:
    # the evaluator's refusal as code/022.txt line 30 prints it, with a caret line's `^`
    parsed = parse(_block("           ^ Couldn't resolve error at 'Create'", 30))
    assert parsed.diagnostics == []
    assert parsed.record.error == "Couldn't resolve error at 'Create'"


# code/066.txt lines 365-374 (after `1: kd> .formats 0x74536d4d`03880000`)
FORMATS_066 = """\
Evaluate expression:
  Hex:     74536d4d`03880000
  Decimal: 8382163509005778944
  Decimal (unsigned) : 8382163509005778944
  Octal:   0721233324640342000000
  Binary:  01110100 01010011 01101101 01001101 00000011 10001000 00000000 00000000
  Chars:   tSmM.... --> This is the Pool Tag
  Time:    Fri Jan  7 20:15:00.577 28163 (UTC - 7:00)
  Float:   low 7.99336e-037 high 6.70039e+031
  Double:  2.22547e+252"""


def test_formats() -> None:
    parsed = parse(_block(FORMATS_066, 365))
    assert parsed.diagnostics == []
    record = parsed.record
    assert (record.value, record.decimal, record.line) == ("0x74536d4d03880000", "8382163509005778944", 365)
    assert list(record.formats) == [
        "Hex", "Decimal", "Decimal (unsigned)", "Octal", "Binary", "Chars", "Time", "Float", "Double",
    ]  # fmt: skip
    assert record.formats["Hex"] == "74536d4d`03880000"
    assert int(record.formats["Octal"], 8) == 0x74536D4D03880000
    assert record.formats["Chars"] == "tSmM...."  # the author's arrow note is cut off ...
    assert record.notes == [Line(371, "--> This is the Pool Tag")]  # ... and kept here
    assert record.formats["Time"] == "Fri Jan  7 20:15:00.577 28163 (UTC - 7:00)"
    assert record.formats["Float"] == "low 7.99336e-037 high 6.70039e+031"
    assert record.error is None


def test_formats_32_bit_value() -> None:
    # code/069.txt lines 492-494 (after `3: kd> .formats 57724231h`)
    text = "Evaluate expression:\n  Hex:     00000000`57724231\n  Decimal: 1467105841"
    record = parse(_block(text, 492)).record
    assert (record.value, record.decimal) == ("0x57724231", "1467105841")


def test_blank_lines_are_skipped_and_numbers_kept() -> None:
    lines = [Line(10, ""), Line(12, "Evaluate expression: 152 = 00000098")]
    parsed = parse(lines)
    assert (parsed.record.line, parsed.record.value, parsed.diagnostics) == (12, "0x98", [])


def test_second_result_is_a_diagnostic() -> None:
    parsed = parse(_block("Evaluate expression: 1 = 00000001\nEvaluate expression: 2 = 00000002", 5))
    assert (parsed.record.value, parsed.record.line) == ("0x1", 5)
    assert [d.line for d in parsed.diagnostics] == [6]


def test_empty_input() -> None:
    parsed = parse([])
    assert parsed.record == ExprRecord()
    assert parsed.diagnostics == []


def test_garbage_becomes_diagnostics() -> None:
    parsed = parse(_block("Thus, this corresponds to something\n+0x000 NameFormat : Uint4B\n= 5", 262))
    assert parsed.record == ExprRecord()
    assert [d.line for d in parsed.diagnostics] == [262, 263, 264]
    assert all(d.message.startswith("not expression output") for d in parsed.diagnostics)


_PIECES = st.sampled_from(
    ["Evaluate expression:", " = ", "00000000`00000098", "-", "152", "Hex:", "Chars:", " --> ", "^", ":"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.lists(_PIECES, max_size=5).map("".join)), max_size=12))
def test_never_raises(texts: list[str]) -> None:
    parsed = parse([Line(i + 1, t) for i, t in enumerate(texts)])
    assert isinstance(parsed.record, ExprRecord)


def _grammar_reading(text: str) -> tuple[str, str, str | None] | None:
    try:
        return expr._READER.read(load("expr").parse(text))
    except LarkError:
        return None


def test_format_rows_read_as_the_grammar_reads_them_on_the_corpus() -> None:
    folders = [CORPUS, SHARED_CORPUS] if SHARED_CORPUS.is_dir() else [CORPUS]
    texts = {
        t.strip()
        for f in folders
        for p in f.rglob("*.txt")
        for t in p.read_text(errors="replace").splitlines()
    }
    read = [text for text in texts if text and expr._format_item(text) is not None]
    assert len(read) > 20
    for text in read:
        assert expr._format_item(text) == _grammar_reading(text), text


_ROW_PIECES = st.sampled_from([
    "Hex", "Decimal", "Decimal (unsigned)", "Chars", "Time", "Evaluate expression", "Syntax error", ":", " ",
    "  ", "00000000`57724231", "tSmM....", "-->", "x", "(", "^", "= 12", "Unable to", "\t",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_ROW_PIECES, min_size=1, max_size=5))
def test_format_rows_read_as_the_grammar_reads_them(pieces: list[str]) -> None:
    text = "".join(pieces).strip()
    read = expr._format_item(text) if text else None
    if read is not None:
        assert read == _grammar_reading(text), text
