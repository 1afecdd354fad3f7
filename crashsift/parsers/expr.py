"""`?` (evaluate expression) and `.formats` output: the value an expression has.

Record (`ExprRecord`):

- ``value``: the result as ``"0x…"`` (``Evaluate expression: 152 = 00000000`00000098`` ->
  ``"0x98"``; for `.formats`, its ``Hex:`` row), None when the command failed;
- ``decimal``: the decimal text as printed (``"152"``, ``"-8"``; `.formats`: its ``Decimal:`` row);
- ``formats``: every `.formats` row by name as printed (``Hex``, ``Decimal``,
  ``Decimal (unsigned)``, ``Octal``, ``Binary``, ``Chars``, ``Time``, ``Float``, ``Double``) with
  its text as printed; empty for `?`;
- ``error``: the evaluator's refusal as printed (``Debug command failed: …``,
  ``Couldn't resolve error at 'foo'``, ``Syntax error at …``; a caret line's ``^`` dropped);
- ``line``: the line of the result (the ``Evaluate expression`` line) or of the error;
- ``notes``: text a person appended to a row (``Chars:   tSmM.... --> This is the Pool Tag``
  keeps ``tSmM....`` as the row and the ``--> This is the Pool Tag`` note here, with its line).

A second result in one block, and lines that are none of the above, become diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from lark import Token
from lark.exceptions import LarkError

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.grammar import LineReader, fast, terminal_regexes

# No `.formats` row prints `-->`: it is an arrow a person typed after the value.
_NOTE_ARROW = " -->"


@dataclass(slots=True)
class ExprRecord:
    value: str | None = None
    decimal: str | None = None
    formats: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    line: int | None = None
    notes: list[Line] = field(default_factory=list)


class _LineReader(LineReader):
    """Each line to (what, first, second): `result` (decimal, hex), `head`, `format` (name,
    value) or `error` (text)."""

    def result(self, items: list[Token]) -> tuple[str, str, str | None]:
        return "result", str(items[1]), hex_str(str(items[2]))

    def formats_head(self, items: list[Token]) -> tuple[str, str, None]:
        return "head", "", None

    def format(self, items: Sequence[str]) -> tuple[str, str, str]:
        """Tokens or their texts (`_format_item`)."""
        value = str(items[1]).rstrip() if len(items) > 1 else ""
        return "format", str(items[0]), value

    def error(self, items: list[Token]) -> tuple[str, str, None]:
        return "error", str(items[-1]).rstrip(), None


_READER = _LineReader()


def parse(lines: list[Line]) -> Parsed[ExprRecord]:
    """Read one `?` or `.formats` block; never raises."""
    record = ExprRecord()
    diagnostics: list[Diagnostic] = []
    parser = fast("expr")
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        read = _format_item(text)
        if read is None:
            try:
                read = _READER.read(parser.parse(text))
            except LarkError:
                diagnostics.append(Diagnostic(line.no, f"not expression output: {text[:60]}"))
                continue
        what, first, second = read
        problem = _store(record, line.no, what, first, second)
        if problem:
            diagnostics.append(Diagnostic(line.no, problem))
    return Parsed(record, diagnostics)


@cache
def _format_row() -> re.Pattern[str]:
    """A `.formats` row as the grammar's lexer cuts it, built from the grammar's own terminals:
    FORMAT_NAME (where neither ERROR_TEXT nor EVALUATE, which the lexer tries first, matches),
    `:`, maybe FORMAT_VALUE (the rest of the line), the blanks between them ignored (no terminal
    starts with one); each an atomic group, as the lexer commits to each token it takes. Those
    are the only terminals the parser's states accept there, so a line it matches whole the
    grammar reads as this row."""
    rx = terminal_regexes("expr")
    return re.compile(
        rf"(?!{rx['ERROR_TEXT']}|{rx['EVALUATE']})(?P<name>(?>{rx['FORMAT_NAME']}))[ \t]*:"
        rf"(?:[ \t]*(?P<value>(?>{rx['FORMAT_VALUE']})))?[ \t]*"
    )


def _format_item(text: str) -> tuple[str, str, str | None] | None:
    """The reading of a `.formats` row (`_format_row`), or None for the grammar to read it."""
    m = _format_row().fullmatch(text)
    if m is None:
        return None
    return _READER.format([token for token in m.group("name", "value") if token is not None])


def _store(record: ExprRecord, no: int, what: str, first: str, second: str | None) -> str | None:
    """Put one line's value into the record; a message when the line does not fit there."""
    if what == "format":
        return _store_format(record, no, first, second or "")
    if record.line is not None:
        return f"a second result in one block: {what}"
    record.line = no
    if what == "result":
        record.decimal, record.value = first, second
    elif what == "error":
        record.error = first
    return None


def _store_format(record: ExprRecord, no: int, name: str, value: str) -> str | None:
    """A `.formats` row; `Hex` and `Decimal` also give the value and its decimal text."""
    if name in record.formats:
        return f"a second {name} row"
    if _NOTE_ARROW in value:
        value, note = value.split(_NOTE_ARROW, 1)
        value = value.rstrip()
        record.notes.append(Line(no, "-->" + note))
    record.formats[name] = value
    if name == "Hex":
        record.value = hex_str(value)
    elif name == "Decimal":
        record.decimal = value
    return None
