"""Every grammar shipped as package data builds as LALR with strict=True (no conflicts, no
terminal collisions), and the small line grammars read what they were written for."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import pytest
from conftest import CORPUS, SHARED_CORPUS
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Token, Tree
from lark.exceptions import LarkError, UnexpectedInput

from crashsift.model import Line
from crashsift.parsers import bugcheck, disasm, exr
from crashsift.parsers.grammar import fast, load
from crashsift.repair import repair
from crashsift.segment import segment

GRAMMARS = sorted(
    p.name.removesuffix(".lark")
    for p in resources.files("crashsift.parsers.grammars").iterdir()
    if p.name.endswith(".lark") and p.name != "common.lark"
)


def test_grammars_are_shipped() -> None:
    assert {"analyze", "stack", "bugcheck", "exr"} <= set(GRAMMARS)


@pytest.mark.parametrize("name", GRAMMARS)
def test_builds_strict(name: str) -> None:
    load(name, strict=True)


def lines(text: str, first: int = 1) -> list[Line]:
    return [Line(i, t) for i, t in enumerate(text.splitlines(), first)]


def test_bugcheck_nt4() -> None:
    # code/093 lines 2-3
    parsed = bugcheck.parse(lines("Bugcheck code 0000001E\nArguments c0000005 a30818d4 00000000 00000004", 2))
    assert parsed.record.code == "0x1e"
    assert parsed.record.args == ["0xc0000005", "0xa30818d4", "0x0", "0x4"]
    assert parsed.diagnostics == []


def test_bugcheck_keeps_what_it_cannot_read_as_diagnostic() -> None:
    parsed = bugcheck.parse(lines("Bugcheck code 0000000a\n[Lists bug check data.]"))
    assert parsed.record.code == "0xa"
    assert [d.line for d in parsed.diagnostics] == [2]


def test_exr_kernel() -> None:
    # issues/013 lines 3-7 (80000003 break raised from KeBugCheckEx)
    text = (
        "ExceptionAddress: fffff806c10fb240 (nt!KeBugCheckEx)\n"
        "   ExceptionCode: 80000003 (Break instruction exception)\n"
        "  ExceptionFlags: 00000000\n"
        "NumberParameters: 1\n"
        "   Parameter[0]: 0000000000000000\n"
    )
    rec = exr.parse(lines(text, 3)).record
    assert (rec.address, rec.address_symbol) == ("0xfffff806c10fb240", "nt!KeBugCheckEx")
    assert (rec.code, rec.code_text, rec.flags) == ("0x80000003", "Break instruction exception", "0x0")
    assert rec.parameters == ["0x0"]
    assert rec.fields["NumberParameters"] == "0x1"


def test_exr_nt4_record_header() -> None:
    # code/037: `Exception Record @ 8013ef64:` then fields, one with a space in its name
    text = "Exception Record @ 8013ef64:\n   ExceptionCode: c0000005\n  Chained Record: 00000000\n"
    rec = exr.parse(lines(text)).record
    assert rec.record_address == "0x8013ef64"
    assert rec.code == "0xc0000005" and rec.code_text is None
    assert rec.fields["Chained Record"] == "0x0"


@pytest.mark.parametrize("module", [bugcheck, exr])
def test_empty_and_garbage(module) -> None:
    assert module.parse([]).diagnostics == []
    parsed = module.parse(lines("\x00\x01 ::: )))\n" + "f" * 5000))
    assert len(parsed.diagnostics) == 2


# --- FastParser: lark's parse, run without lark's objects per token -----------------------


def _corpus_texts() -> list[str]:
    folders = [CORPUS, SHARED_CORPUS] if SHARED_CORPUS.is_dir() else [CORPUS]
    return [
        p.read_text(encoding="utf-8", errors="replace") for f in folders for p in sorted(f.rglob("*.txt"))
    ]


@cache
def _samples() -> dict[str, list[str]]:
    """Texts to read per family: each block's stripped lines alone, joined (the block grammars
    read a block in one call) and each ended by a newline (thread's lines), and for every
    family a share of all the other lines (mostly refused: the error's place matters too)."""
    by_family: dict[str, set[str]] = {}
    others: set[str] = set()
    for text in _corpus_texts():
        for seg in segment(repair(text).lines):
            kept = [line.text.strip() for line in seg.lines if line.text.strip()]
            found = by_family.setdefault(seg.kind, set())
            found.update(kept)
            found.update(f"{t}\n" for t in kept)
            found.update(("\n".join(kept), "".join(f"{t}\n" for t in kept)))
            others.update(kept)
    bodies = {head["body"] for t in others if (head := disasm._HEAD.match(t)) and head["body"]}
    by_family.setdefault("disasm", set()).update(bodies)  # what the disassembly grammar reads
    shared = sorted(others)[::5]
    return {name: sorted(by_family.get(name, set()))[:4000] + shared for name in GRAMMARS}


def _outcome(parse: Callable[[str], Tree], text: str) -> tuple[Any, ...]:
    """The tree with every token's type, text and position, or the error and where it is."""
    try:
        tree = parse(text)
    except UnexpectedInput as err:
        token = getattr(err, "token", None)
        shown = None if token is None else (token.type, str(token), token.start_pos, token.line)
        return type(err).__name__, err.pos_in_stream, err.line, err.column, shown
    return ("tree", *_walk(tree))


def _walk(node: Tree | Token) -> list[Any]:
    if isinstance(node, Token):
        return [(node.type, str(node), node.start_pos, node.line, node.column, node.end_line, node.end_pos)]
    return [
        ("rule", str(node.data), len(node.children)),
        *(x for child in node.children for x in _walk(child)),
    ]


@pytest.mark.parametrize("name", GRAMMARS)
def test_fast_parser_reads_as_lark_on_the_corpus(name: str) -> None:
    grammar, fast_parser = load(name), fast(name)
    texts = _samples()[name]
    read = 0
    for text in texts:
        expected = _outcome(grammar.parse, text)
        assert _outcome(fast_parser.parse, text) == expected, repr(text[:200])
        read += expected[0] == "tree"
    assert read > 0


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([n for n in GRAMMARS if n not in ("analyze", "stack")]),
    st.data(),
)
def test_fast_parser_reads_as_lark_on_cut_and_changed_lines(name: str, data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(_samples()[name]))
    cut = data.draw(st.integers(0, len(text)))
    inserted = data.draw(st.text(alphabet=" \t\n:=,()[]`!*#0aFx?-.", max_size=4))
    for changed in (text[:cut], text[:cut] + inserted + text[cut:], text[:cut] + inserted):
        assert _outcome(fast(name).parse, changed) == _outcome(load(name).parse, changed), repr(changed)


def _exr_reading(text: str) -> tuple[str, str | None, str | None] | None:
    try:
        return exr._READER.read(load("exr").parse(text))
    except LarkError:
        return None


def test_exr_field_lines_read_as_the_grammar_reads_them_on_the_corpus() -> None:
    texts = {t.strip() for text in _corpus_texts() for t in text.splitlines()}
    read = [text for text in texts if text and exr._field_item(text) is not None]
    assert len(read) > 20
    for text in read:
        assert exr._field_item(text) == _exr_reading(text), text


_EXR_PIECES = st.sampled_from([
    "ExceptionCode", "Parameter[0]", "Chained Record", "Exception Record @", "Attempt to read", ":", " ",
    "  ", "c0000005", "0x10", "fffff880`0106f141", "(Access violation)", "(nt!Foo+0x12)", ")", "(", "x", "\t",
    "@",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_EXR_PIECES, min_size=1, max_size=5))
def test_exr_field_lines_read_as_the_grammar_reads_them(pieces: list[str]) -> None:
    text = "".join(pieces).strip()
    read = exr._field_item(text) if text else None
    if read is not None:
        assert read == _exr_reading(text), text


def _bugcheck_reading(text: str) -> tuple[str, list[str]] | None:
    try:
        return bugcheck._READER.read(load("bugcheck").parse(text))
    except LarkError:
        return None


def test_bugcheck_lines_read_as_the_grammar_reads_them_on_the_corpus() -> None:
    texts = {t.strip() for text in _corpus_texts() for t in text.splitlines()}
    read = [text for text in texts if text and bugcheck._line_values(text) is not None]
    assert len(read) >= 4  # the bundled corpus holds 4 such lines; the shared one more
    for text in read:
        assert bugcheck._line_values(text) == _bugcheck_reading(text), text


_BUGCHECK_PIECES = st.sampled_from([
    "Bugcheck", "BUGCHECK", "code", "Code", "Arguments", "arguments", "0000001e", "0x1E", "c0000005",
    "00000000`0000001d", "`", "x", ":", " ", "  ", "\t", "[", "0362cffff",
])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(_BUGCHECK_PIECES, min_size=1, max_size=6))
def test_bugcheck_lines_read_as_the_grammar_reads_them(pieces: list[str]) -> None:
    text = "".join(pieces).strip()
    read = bugcheck._line_values(text) if text else None
    if read is not None:
        assert read == _bugcheck_reading(text), text
