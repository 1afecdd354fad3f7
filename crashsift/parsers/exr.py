"""`.exr` output: the exception record.

Record (`ExrRecord`): ``record_address`` (``Exception Record @ …``), ``address``
(ExceptionAddress) and ``address_symbol`` (the ``(nt!KeBugCheckEx)`` after it), ``code`` and
``code_text`` (``80000003 (Break instruction exception)``), ``flags``, ``parameters`` (the
``Parameter[N]`` values in order), ``access`` (``Attempt to read from address …``), and
``fields`` with every ``Name: value`` line as printed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from lark import Token

from crashsift.hexutil import hex_str
from crashsift.model import Line, Parsed
from crashsift.parsers.grammar import LineReader, parse_each_line, terminal_regexes


@dataclass(slots=True)
class ExrRecord:
    record_address: str | None = None
    address: str | None = None
    address_symbol: str | None = None
    code: str | None = None
    code_text: str | None = None
    flags: str | None = None
    parameters: list[str] = field(default_factory=list)
    access: str | None = None
    fields: dict[str, str] = field(default_factory=dict)


class _ToItem(LineReader):
    def record_at(self, items: list[Token]) -> tuple[str, str | None, None]:
        return "@", hex_str(str(items[1])), None

    def field(self, items: Sequence[str]) -> tuple[str, str | None, str | None]:
        """Tokens or their texts (`_field_item`)."""
        note = str(items[2])[1:-1].strip() if len(items) > 2 else None
        return " ".join(str(items[0]).split()), hex_str(str(items[1])), note

    def access(self, items: list[Token]) -> tuple[str, None, str]:
        return "access", None, str(items[0])


_READER = _ToItem()


@cache
def _field_row() -> re.Pattern[str]:
    """A `field` line as the grammar's lexer cuts it, built from the grammar's own terminals:
    NAME (where neither RECORD_AT nor ACCESS, which the lexer tries first, matches), `:`,
    HEXVAL, maybe NOTE, the blanks between them ignored (no terminal starts with one); each an
    atomic group, as the lexer commits to each token it takes. Those are the only terminals the
    parser's states accept there, so a line it matches whole the grammar reads as this row."""
    rx = terminal_regexes("exr")
    return re.compile(
        rf"(?!{rx['RECORD_AT']}|{rx['ACCESS']})(?P<name>(?>{rx['NAME']}))[ \t]*:[ \t]*"
        rf"(?P<hex>(?>{rx['HEXVAL']}))(?:[ \t]*(?P<note>(?>{rx['NOTE']})))?[ \t]*"
    )


def _field_item(text: str) -> tuple[str, str | None, str | None] | None:
    """The item of a `field` line (`_field_row`), or None for the grammar to read the line."""
    m = _field_row().fullmatch(text)
    if m is None:
        return None
    return _READER.field([token for token in m.group("name", "hex", "note") if token is not None])


def parse(lines: list[Line]) -> Parsed[ExrRecord]:
    read = parse_each_line("exr", _READER, lines, "an exception record line", _field_item)
    record = ExrRecord()
    for name, value, note in read.record:
        _store(record, name, value, note)
    return Parsed(record, read.diagnostics)


def _store(record: ExrRecord, name: str, value: str | None, note: str | None) -> None:
    if name == "@":
        record.record_address = value
        return
    if name == "access":
        record.access = note
        return
    record.fields[name] = value or ""
    if name == "ExceptionAddress":
        record.address, record.address_symbol = value, note
    elif name == "ExceptionCode":
        record.code, record.code_text = value, note
    elif name == "ExceptionFlags":
        record.flags = value
    elif name.startswith("Parameter[") and value is not None:
        record.parameters.append(value)
