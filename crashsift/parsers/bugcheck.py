"""`.bugcheck` output: the bug check code and its arguments.

Record (`BugcheckRecord`): ``code`` (``"0x1e"``) and ``args`` (``["0xc0000005", …]``), from

    Bugcheck code 0000001E
    Arguments c0000005 a30818d4 00000000 00000004

Other lines (NT4-era docs append notes in brackets after the command) become diagnostics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from crashsift.hexutil import hex_str
from crashsift.model import Line, Parsed
from crashsift.parsers.grammar import LineReader, parse_each_line, terminal_regexes


@dataclass(slots=True)
class BugcheckRecord:
    code: str | None = None
    args: list[str] = field(default_factory=list)


class _ToValues(LineReader):
    def code_line(self, items: list) -> tuple[str, list[str]]:
        return "code", [hex_str(str(items[0])) or ""]

    def args_line(self, items: list) -> tuple[str, list[str]]:
        return "args", [hex_str(str(tok)) or "" for tok in items]


_READER = _ToValues()


@cache
def _lines() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The two lines as the grammar's lexer cuts them, built from its own terminals: `Bugcheck`,
    `code` and a HEXVAL; `Arguments` and HEXVALs (the only terminals the parser accepts there),
    each an atomic group, as the lexer commits to each token, with the ignored blanks between.
    And HEXVAL alone, to take the arguments apart."""
    rx = terminal_regexes("bugcheck")
    hexval = f"(?>{rx['HEXVAL']})"
    return (
        re.compile(rf"(?>{rx['BUGCHECK']})[ \t]*(?>{rx['CODE']})[ \t]*(?P<code>{hexval})[ \t]*"),
        re.compile(rf"(?>{rx['ARGUMENTS']})(?P<args>(?:[ \t]*{hexval})*)[ \t]*"),
        re.compile(hexval),
    )


def _line_values(text: str) -> tuple[str, list[str]] | None:
    """What `_READER` reads in a line the grammar reads (`_lines`), or None for the grammar."""
    code_line, args_line, hexval = _lines()
    if m := code_line.fullmatch(text):
        return _READER.code_line([m["code"]])
    if m := args_line.fullmatch(text):
        return _READER.args_line([value.group() for value in hexval.finditer(m["args"])])
    return None


def parse(lines: list[Line]) -> Parsed[BugcheckRecord]:
    read = parse_each_line("bugcheck", _READER, lines, ".bugcheck output", _line_values)
    record = BugcheckRecord()
    for what, values in read.record:
        if what == "code":
            record.code = values[0]
        else:
            record.args = values
    return Parsed(record, read.diagnostics)
