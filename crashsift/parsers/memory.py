"""Memory dumps: the output of `db dw dd dq dp dc da du dps dqs dds`.

Record (`MemoryRecord`):

- ``unit``: what one value is, inferred from the rows (the command is not passed to `parse`;
  `unit_of` reads it for the pipeline): ``byte`` (2 hex digits), ``word`` (4), ``dword`` (8),
  ``qword`` (16, ``fffff8a0`0d106d58``), ``dword+ascii`` (dwords with an ASCII column, `dc`),
  ``pointer+symbol`` (`dps`/`dqs`/`dds`: a symbol after a pointer, or several rows of one
  pointer each, a pointer apart), ``string`` (`da`/`du`); None when there are no rows. The
  rows decide: the NT4 debugger's `dd` printed an ASCII column, so it reads ``dword+ascii``.
- ``rows``: one `MemoryRow` per dump row, in order —
  ``address`` (``"0x…"``), ``values`` (``"0x…"`` each, or None where the debugger printed
  ``??``/``????????`` for unreadable memory; a qword stays one value), ``ascii`` (the ASCII
  column of db/dc, spaces the paste lost at its ends put back when the bytes show them, else
  None), ``symbols`` (the ``mod!func+0x12`` text after a dps pointer, else None), ``text``
  (the string of a da/du row, without its quotes, else None) and ``line`` (original line).
- ``errors``: lines where the debugger refused the command (``Bad register error at …``,
  ``Memory access error at …``), as ``{line, text}``.

Two rows glued on one line because the paste lost a line break
(``…00000000`00000002ffffc986`cb6edb40  000038a8`ffff0001 …``) are split when the digits after
the value's width are exactly the next row's address; otherwise the row stops there with a
diagnostic. Any other line that is not a row becomes a diagnostic.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.grammar import load


@dataclass(slots=True)
class MemoryRow:
    address: str
    values: list[str | None] = field(default_factory=list)
    ascii: str | None = None
    symbols: str | None = None
    text: str | None = None
    line: int | None = None


@dataclass(slots=True)
class MemoryRecord:
    unit: str | None = None
    rows: list[MemoryRow] = field(default_factory=list)
    errors: list[Line] = field(default_factory=list)


# The unit each command prints; `dp` depends on the target's pointer size (see `unit_of`).
_COMMAND_UNITS = {
    "db": "byte",
    "dw": "word",
    "dd": "dword",
    "dq": "qword",
    "dc": "dword+ascii",
    "da": "string",
    "du": "string",
    "dps": "pointer+symbol",
    "dqs": "pointer+symbol",
    "dds": "pointer+symbol",
}
_COMMAND = re.compile(r"^\s*(d(?:ps|qs|ds|[bwdqpcau]))(?![A-Za-z])")
_WIDTH_UNITS = {2: "byte", 4: "word", 8: "dword", 16: "qword"}
_BYTES = {f"{b:02{case}}": f"0x{b:x}" for b in range(256) for case in "xX"}

_ROW_START = re.compile(r"\s*(?:0[xX])?[0-9a-fA-F]{8}")
# What the debugger prints instead of memory when the command fails.
_ERROR = re.compile(
    r"^\s*\^|\berror\b|^\s*(?:Unable to|Cannot|Can't|Couldn't|Could not|No symbols|Invalid)\b", re.I
)
# A dps symbol: `nt!ZwWriteFile`, `EvilDriver+0x2060`, `nt!Foo+0x12 [file @ 12]`.
_SYMBOL = re.compile(r"^[A-Za-z_][\w.$@-]*(?:![^\s]*)?(?:\+0x[0-9a-fA-F]+)?(?:\s|$)")
_VALUE_SEP = re.compile(r"[ -]")
_ITEM = re.compile(r"(?:[0-9a-fA-F]{2,}(?:`[0-9a-fA-F]+)*|\?{2,}(?:`\?+)?)")


def unit_of(command: str, arch: str | None = None) -> str | None:
    """The unit a d*-command prints (``db`` -> ``byte``, ``dps`` -> ``pointer+symbol``, …), or
    None when `command` is not one. `dp` prints pointers: a qword on x64 (`arch` ``x64``,
    ``arm64``), a dword on x86, None when the architecture is not given. In a ``;`` chain the
    first d*-command decides."""
    for part in command.split(";"):
        m = _COMMAND.match(part)
        if m is None:
            continue
        name = m.group(1)
        if name != "dp":
            return _COMMAND_UNITS[name]
        if arch in ("x64", "amd64", "arm64", "ia64"):
            return "qword"
        return "dword" if arch in ("x86", "arm") else None
    return None


@dataclass(slots=True)
class _Raw:
    """One line as the grammar cut it: address, value items, what follows them."""

    line: int
    address: str
    items: list[str]
    tail: str | None = None
    string: str | None = None


def parse(lines: list[Line]) -> Parsed[MemoryRecord]:
    """Read the output lines of one d*-command (blank lines already dropped)."""
    record = MemoryRecord()
    diagnostics: list[Diagnostic] = []
    raws: list[_Raw] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        raw = _read_line(line.no, text)
        if raw is not None:
            raws.append(raw)
        elif _ERROR.search(text):
            record.errors.append(Line(line.no, text))
        else:
            diagnostics.append(Diagnostic(line.no, f"not a memory row: {text[:60]}"))
    width = _common_width(raws)
    for raw in raws:
        record.rows.extend(_rows_of(raw, width, diagnostics))
    record.unit = _infer_unit(record.rows, width)
    return Parsed(record, diagnostics)


def _read_line(no: int, text: str) -> _Raw | None:
    """The grammar's reading of one stripped line, or None when it is not a dump row."""
    if not _ROW_START.match(text):
        return None
    m = _row_regex().fullmatch(text)
    if m is None:
        return None
    address, values, tail, string = m.group("ADDRESS", "VALUES", "TAIL", "STRING")
    if string is not None:
        return _Raw(no, address, [], string=string.strip())
    return _Raw(no, address, _VALUE_SEP.split(values.strip()), tail)


@cache
def _row_regex() -> re.Pattern[str]:
    """A row as the grammar's lexer cuts it, built from the grammar's own terminals: ADDRESS,
    then VALUES and maybe TAIL, or STRING. Each terminal is an atomic group because the lexer
    commits to the token it matched (it never gives back text for the next one), and VALUES
    and STRING cannot both match (a value is no `"`), so the grammar has no other choice to
    make. Matching a line with it is what lark does, without lark's cost per call (a dump is
    all rows); tests check that both readings agree."""
    parser = load("memory")
    rx = {t.name: t.pattern.to_regexp() for t in parser.terminals}
    return re.compile(
        f"(?>(?P<ADDRESS>{rx['ADDRESS']}))"
        f"(?:(?>(?P<VALUES>{rx['VALUES']}))(?>(?P<TAIL>{rx['TAIL']}))?|(?>(?P<STRING>{rx['STRING']})))",
        parser.options.g_regex_flags,
    )


def _digits(item: str) -> int:
    """How many digits (or `?`) wide a value is, backticks not counted."""
    return len(item) - item.count("`")


def _common_width(raws: list[_Raw]) -> int | None:
    """The width (in digits) of most values in the block: the unit, whatever a glued row says."""
    widths = Counter([len(item) - item.count("`") for raw in raws for item in raw.items])  # `_digits`
    return max((w for w in widths if w in _WIDTH_UNITS), key=widths.__getitem__, default=None)


def _rows_of(raw: _Raw, width: int | None, diagnostics: list[Diagnostic]) -> list[MemoryRow]:
    """The rows one line holds: one, or more when rows were glued (see the module docstring)."""
    row = MemoryRow(hex_str(raw.address), line=raw.line)
    if raw.string is not None:
        row.text = _unquote(raw.string)
        return [row]
    rows = [row]
    items, tail = raw.items, raw.tail
    while (glued := _fill(row, items, width)) is not None:
        next_address = _glued_address(row, items[glued], width)
        rest = tail.split() if tail else []
        if next_address is None or not all(_ITEM.fullmatch(t) for t in rest):
            message = f"value {items[glued][:40]} is not {width} digits wide; row read up to it"
            diagnostics.append(Diagnostic(raw.line, message))
            return rows
        row.values.append(_value(items[glued].replace("`", "")[:width]))
        row = MemoryRow(next_address, line=raw.line)
        rows.append(row)
        items, tail = rest, None
    if tail is not None:
        _place_tail(row, tail, width)
    return rows


def _fill(row: MemoryRow, items: list[str], width: int | None) -> int | None:
    """Append the values of `items` to `row`; the index of the first item wider than the
    block's width (a glued row), or None when all were read."""
    for i, item in enumerate(items):
        if width is not None and len(item) > width and _digits(item) > width and "?" not in item:
            return i
        row.values.append(_value(item))
    return None


def _value(item: str) -> str | None:
    """A value as ``"0x…"``; None for unreadable memory. Bytes, the most common, are looked up."""
    byte = _BYTES.get(item)
    if byte is not None:
        return byte
    return None if "?" in item else hex_str(item)


def _glued_address(row: MemoryRow, item: str, width: int | None) -> str | None:
    """The next row's address hidden in `item` after the value's `width` digits, when it is
    exactly where the next row starts (this row's address + its values' size); else None."""
    if width is None:
        return None
    digits = item.replace("`", "")
    tail = digits[width:]
    if len(tail) not in (8, 16):
        return None
    expected = int(row.address, 16) + (len(row.values) + 1) * (width // 2)
    return hex_str(tail) if int(tail, 16) == expected else None


def _place_tail(row: MemoryRow, tail: str, width: int | None) -> None:
    """What follows the values: the symbol of a dps pointer, or the ASCII column. A symbol
    follows a lone pointer after one space, or names a function (`!`) or an offset (`+0x`)."""
    text = tail.strip()
    first = text.split()[0]
    gap = len(tail) - len(tail.lstrip(" "))
    pointer = len(row.values) == 1 and (width or 0) >= 8
    if pointer and _SYMBOL.match(text) and (gap == 1 or "!" in first or "+0x" in first):
        row.symbols = text
    else:
        row.ascii = _restore_ascii(text, row.values, width)


def _restore_ascii(printed: str, values: list[str | None], width: int | None) -> str:
    """The ASCII column with the spaces a paste trims at its ends put back, when the bytes
    show them: the column the bytes give, if it equals the printed one but for end spaces."""
    if width is None:
        return printed
    size = width // 2
    if len(printed) >= size * len(values):  # nothing trimmed: the bytes' column cannot be longer
        return printed
    chars = []
    for value in values:
        if value is None:
            chars.append("?" * size)
            continue
        number = int(value, 16)
        chars.extend(_char((number >> (8 * k)) & 0xFF) for k in range(size))
    expected = "".join(chars)
    return expected if expected != printed and expected.strip(" ") == printed else printed


def _char(byte: int) -> str:
    return chr(byte) if 0x20 <= byte < 0x7F else "."


def _unquote(text: str) -> str:
    """A da/du chunk without its enclosing quotes."""
    if text.startswith('"'):
        text = text[1:]
    return text[:-1] if text.endswith('"') else text


def _infer_unit(rows: list[MemoryRow], width: int | None) -> str | None:
    """What the rows say one value is (see the module docstring)."""
    if not rows:
        return None
    if any(row.text is not None for row in rows):
        return "string"
    if any(row.symbols is not None for row in rows) or _pointer_column(rows, width):
        return "pointer+symbol"
    unit = _WIDTH_UNITS.get(width or 0)
    if unit == "dword" and any(row.ascii is not None for row in rows):
        return "dword+ascii"
    return unit


def _pointer_column(rows: list[MemoryRow], width: int | None) -> bool:
    """Several rows of one pointer each, one pointer apart: dps output with no symbol found."""
    if len(rows) < 2 or width not in (8, 16) or any(len(row.values) != 1 for row in rows):
        return False
    step = width // 2
    addresses = [int(row.address, 16) for row in rows]
    return all(b - a == step for a, b in pairwise(addresses))
