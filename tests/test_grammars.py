"""Every grammar shipped as package data builds as LALR with strict=True (no conflicts, no
terminal collisions), and the small line grammars read what they were written for."""

from __future__ import annotations

from importlib import resources

import pytest

from crashsift.model import Line
from crashsift.parsers import bugcheck, exr
from crashsift.parsers.grammar import load

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
