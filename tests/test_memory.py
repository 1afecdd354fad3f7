"""Memory-dump parser (db dw dd dq dp dc da du dps dqs dds), checked against real corpus
snippets (file and lines named) with values read by hand."""

from __future__ import annotations

import pytest
from conftest import CORPUS, SHARED_CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st
from lark.exceptions import LarkError

from crashsift.model import Line
from crashsift.parsers import memory
from crashsift.parsers.grammar import load
from crashsift.parsers.memory import MemoryRecord, parse, unit_of


def _lines(text: str, first: int) -> list[Line]:
    """Lines of a snippet numbered from `first`, as segmentation hands them over."""
    return [Line(first + i, t) for i, t in enumerate(text.split("\n"))]


def _read(text: str, first: int) -> MemoryRecord:
    parsed = parse(_lines(text, first))
    assert parsed.diagnostics == []
    return parsed.record


def test_seed_dq_one_qword() -> None:
    # seed/fltmgr-0x3b-session.txt line 113 (`dq @rcx l1`)
    rec = _read("fffffa80`08e13318  fffff8a0`0d106d58", 113)
    assert rec.unit == "qword"
    (row,) = rec.rows
    assert (row.address, row.values, row.line) == ("0xfffffa8008e13318", ["0xfffff8a00d106d58"], 113)
    assert row.ascii is None and row.symbols is None and row.text is None


def test_db_short_row_with_ascii() -> None:
    # code/001.txt line 69 (`db @@c++(@eip) L4`): 4 bytes, the ASCII column padded to its place
    rec = _read("01814577  cc 6a 03 c7                                      .j..", 69)
    assert rec.unit == "byte"
    assert rec.rows[0].address == "0x1814577"
    assert rec.rows[0].values == ["0xcc", "0x6a", "0x3", "0xc7"]
    assert rec.rows[0].ascii == ".j.."


def test_db_unreadable_memory() -> None:
    # code/004.txt line 63: `??` for each byte that could not be read
    rec = _read("00000000`1e424e62  ?? ?? ?? ??                                      ????", 63)
    assert rec.unit == "byte"
    assert rec.rows[0].values == [None, None, None, None]
    assert rec.rows[0].ascii == "????"


def test_debugger_error_is_kept_as_error() -> None:
    # code/001.txt line 73 (`db @@c++(@rip) L8` on an x86 target)
    parsed = parse(_lines("Bad register error at '@rip) '", 73))
    assert parsed.diagnostics == []
    assert parsed.record.rows == [] and parsed.record.unit is None
    assert parsed.record.errors == [Line(73, "Bad register error at '@rip) '")]


def test_db_full_rows_dash_in_the_middle() -> None:
    # code/112.txt lines 55-57 (`db ffffac983ca17910-(0xaaaaaaaa*0x18)`)
    text = (
        "ffffac88`3ca17920  00 00 00 00 00 00 00 00-70 83 2e 38 88 ac ff ff  ........p..8....\n"
        "ffffac88`3ca17930  00 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00  ................\n"
        "ffffac88`3ca17940  40 8c 8f 44 88 ac ff ff-00 00 00 00 00 00 00 00  @..D............"
    )
    rec = _read(text, 55)
    assert rec.unit == "byte"
    assert [r.address for r in rec.rows] == ["0xffffac883ca17920", "0xffffac883ca17930", "0xffffac883ca17940"]
    assert rec.rows[0].values[7:10] == ["0x0", "0x70", "0x83"]
    assert len(rec.rows[1].values) == 16
    assert rec.rows[2].values[:4] == ["0x40", "0x8c", "0x8f", "0x44"]
    assert rec.rows[2].ascii == "@..D............"
    assert [r.line for r in rec.rows] == [55, 56, 57]


def test_db_ascii_space_lost_at_line_end_is_put_back() -> None:
    # code/062.txt line 482: the last byte is 0x20, a space the paste trimmed from the line
    text = "00000000`0067f4b7  49 45 58 20 28 4e 65 77-2d 4f 62 6a 65 63 74 20  IEX (New-Object"
    rec = _read(text, 482)
    assert rec.rows[0].values[-1] == "0x20"
    assert rec.rows[0].ascii == "IEX (New-Object "


def test_dd_esp_x86() -> None:
    # code/110.txt lines 20-21 (`dd esp`)
    text = "00d2f730  00c210cb 800fdf70 00000000 00ff3fb8\n00d2f740  71fe2108 7eb77000 00d2f790 00c212b5"
    rec = _read(text, 20)
    assert rec.unit == "dword"
    assert rec.rows[0].values == ["0xc210cb", "0x800fdf70", "0x0", "0xff3fb8"]
    assert rec.rows[1].address == "0xd2f740"
    assert rec.rows[1].ascii is None


def test_dd_nt4_with_ascii_and_0x_address() -> None:
    # code/037.txt line 15 (`dd fe40caf8 L2`): the NT4 debugger printed an ASCII column
    rec = _read("0xFE40CAF8  fe40cd88 fe40cbc4                   ..@...@.", 15)
    assert rec.unit == "dword+ascii"
    assert rec.rows[0].address == "0xfe40caf8"
    assert rec.rows[0].values == ["0xfe40cd88", "0xfe40cbc4"]
    assert rec.rows[0].ascii == "..@...@."


def test_dps_symbol() -> None:
    # code/069.txt line 487 (`dps fffff807`84da2030 l1`)
    rec = _read("fffff807`84da2030  fffff807`6642e550 nt!ZwWriteFile", 487)
    assert rec.unit == "pointer+symbol"
    row = rec.rows[0]
    assert (row.address, row.values, row.symbols, row.ascii) == (
        "0xfffff80784da2030",
        ["0xfffff8076642e550"],
        "nt!ZwWriteFile",
        None,
    )


def test_dq_glued_rows_are_split() -> None:
    # code/113.txt lines 14-16 (`dq rcx`): line breaks lost, each line holds two rows; line 15 is
    # the author's comment
    text = (
        "ffffc986`cb6edb30  00000000`00001900 00000000`00000002ffffc986`cb6edb40  000038a8`ffff0001 "
        "ffffc986`c08e0000\n"
        "//Rct::Header->headerlen_20 is set to 0xffff\n"
        "ffffc986`cb6edb50  a613ae4c`0000ffff 6d79c69c`4c7489a1ffffc986`cb6edb60  00000000`6feb42b7 "
        "64ccccbf`00000000"
    )
    parsed = parse(_lines(text, 14))
    rec = parsed.record
    assert rec.unit == "qword"
    assert [(r.address, r.line) for r in rec.rows] == [
        ("0xffffc986cb6edb30", 14),
        ("0xffffc986cb6edb40", 14),
        ("0xffffc986cb6edb50", 16),
        ("0xffffc986cb6edb60", 16),
    ]
    assert rec.rows[0].values == ["0x1900", "0x2"]
    assert rec.rows[1].values == ["0x38a8ffff0001", "0xffffc986c08e0000"]
    assert rec.rows[3].values == ["0x6feb42b7", "0x64ccccbf00000000"]
    assert all(r.ascii is None for r in rec.rows)
    assert [d.line for d in parsed.diagnostics] == [15]


def test_glued_value_that_is_not_the_next_row_is_a_diagnostic() -> None:
    # code/113.txt line 14 with the glued address changed so it is not 0x10 past the row
    text = "ffffc986`cb6edb30  00000000`00001900 00000000`00000002ffffc986`cb6edb48  000038a8`ffff0001"
    parsed = parse(_lines(text, 14))
    assert parsed.record.rows[0].values == ["0x1900"]
    assert len(parsed.record.rows) == 1
    assert [d.line for d in parsed.diagnostics] == [14]


def test_string_rows() -> None:
    # constructed in the documented `da` shape (no da/du in the corpus): address, quoted text
    rec = _read('77c1004e  "This program cannot be run in DO"\n77c1006e  "S mode."', 1)
    assert rec.unit == "string"
    assert [r.text for r in rec.rows] == ["This program cannot be run in DO", "S mode."]
    assert rec.rows[0].values == []


def test_dps_without_symbols_is_a_pointer_column() -> None:
    # constructed: dds rows, one pointer each, 4 bytes apart, the second one resolved
    rec = _read("0012ff40  0012ff80\n0012ff44  00401234 app!main+0x14\n0012ff48  00000000", 1)
    assert rec.unit == "pointer+symbol"
    assert [r.symbols for r in rec.rows] == [None, "app!main+0x14", None]


def test_dw_words() -> None:
    # constructed in the documented `dw` shape: 8 words a row
    rec = _read("77c10000  5a4d 0090 0003 0000 0004 0000 ffff 0000", 1)
    assert rec.unit == "word"
    assert rec.rows[0].values[:2] == ["0x5a4d", "0x90"]


@pytest.mark.parametrize(
    ("command", "arch", "unit"),
    [
        ("db @@c++(@eip) L4", None, "byte"),
        ("dw 77c10000", None, "word"),
        ("dd esp", None, "dword"),
        ("dq @rcx l1", None, "qword"),
        ("dp rsp", "x64", "qword"),
        ("dp esp", "x86", "dword"),
        ("dp esp", None, None),
        ("dps fffff807`84da2030 l1", None, "pointer+symbol"),
        ("dqs rsp", None, "pointer+symbol"),
        ("dds esp", None, "pointer+symbol"),
        ("dc 0x1000", None, "dword+ascii"),
        ("da poi(esp)", None, "string"),
        ("du rcx", None, "string"),
        (".frame 2; dd esp", None, "dword"),
        ("dt _POOL_HEADER", None, None),
        ("dD esp", None, None),
        ("!pool rcx", None, None),
    ],
)
def test_unit_of(command: str, arch: str | None, unit: str | None) -> None:
    assert unit_of(command, arch) == unit


def test_empty_and_garbage() -> None:
    assert parse([]).record == MemoryRecord()
    assert parse([]).diagnostics == []
    parsed = parse(_lines("\x00\x01 ::: )))\n" + "f" * 5000 + "\nfffff807`84da2030xyz", 1))
    assert parsed.record.rows == []
    assert [d.line for d in parsed.diagnostics] == [1, 2, 3]


_ROWISH = st.one_of(
    st.text(max_size=120),
    st.lists(
        st.sampled_from(["fffff807`84da2030", "00d2f730", "  ", " ", "cc", "??", "-", "`", '"', "nt!X"]),
        max_size=30,
    ).map("".join),
)


@given(st.lists(_ROWISH, max_size=8))
def test_parse_never_raises(texts: list[str]) -> None:
    parsed = parse([Line(i, t) for i, t in enumerate(texts, 1)])
    assert isinstance(parsed.record, MemoryRecord)


def _read_by_lark(text: str) -> tuple[str, str | None, str | None, str | None] | None:
    """(address, values, tail, string) as the grammar's parse cuts a stripped line."""
    try:
        tree = load("memory").parse(text)
    except LarkError:
        return None
    tokens = [str(t) for t in tree.children]
    if tree.data == "string_row":
        return tokens[0], None, None, tokens[1]
    return tokens[0], tokens[1], tokens[2] if len(tokens) > 2 else None, None


def _same_reading_as_lark(text: str) -> None:
    m = memory._row_regex().fullmatch(text)
    by_regex = None if m is None else m.group("ADDRESS", "VALUES", "TAIL", "STRING")
    assert by_regex == _read_by_lark(text), text


def test_row_regex_reads_corpus_lines_as_lark_does() -> None:
    # every line of every paste that starts like a row: the grammar-built regex and the grammar
    # cut it the same way, or both refuse it
    folders = [CORPUS, SHARED_CORPUS] if SHARED_CORPUS.is_dir() else [CORPUS]
    texts = {
        line.strip()
        for folder in folders
        for path in folder.glob("*/*.txt")
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if memory._ROW_START.match(line.strip())
    }
    assert len(texts) > 100
    for text in sorted(texts):
        _same_reading_as_lark(text)


_ROW_PIECES = st.sampled_from([
    "fffffa80`08e13318", "0xFE40CAF8", "01814577", " ", "  ", "-", "00", "cc", "fe40cd88", "??",
    "????????", "fffff807`6642e550", "`", "nt!ZwWriteFile", "+0x10", ".j..", '"', '"abc"', "x",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_ROW_PIECES, min_size=1, max_size=10))
def test_row_regex_reads_generated_lines_as_lark_does(pieces: list[str]) -> None:
    _same_reading_as_lark("".join(pieces).strip())
