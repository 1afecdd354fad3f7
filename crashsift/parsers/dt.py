"""`dt` / `dx` / `??` output: type layouts and instance dumps, as a tree of fields.

Handles type layouts (``dt nt!_EPROCESS``), instance dumps (``dt _TYPE addr``, ``/b``, ``-b``,
``-r``, ``-r2``: nesting from indentation, at any depth), array dumps (``dt -a6``: one
``[0] @ addr`` element per entry, its fields below it), the MEX ``!mex.ddt`` output (its echoed
``dt …`` line and ``====``/``----`` rules are kept as notes), ``dx`` members
(``[+0x168] Name : 0x… [Type: void *]``) under their root line, and ``??`` results
(``int 0n1044480``, ``struct _EPROCESS * 0x…`` and the members below).

Record (`DtRecord`):

- ``type_name``: the type the output names — the header line dt prints (``ntdll!_KPCR``), the
  type of a ``??`` result or of a dx root, or the type of an echoed MEX ``dt`` command line.
- ``address``: ``"0x…"`` when the output shows the dumped address: a ``??`` pointer result, a
  dx root, or the address of an echoed ``dt`` command when it is a plain number.
- ``root``: the line ``??`` or ``dx`` prints for the expression itself, as a `DtField` with no
  offset (``name`` is the dx expression, ``""`` for ``??``); None for dt.
- ``list_entry``: ``[flink, blink]`` of the ``[ a - b ]`` line dt prints first for a
  ``_LIST_ENTRY``.
- ``fields``: the top-level `DtField` s, in order, each with its ``children``.
- ``errors``: `DtError` for each error line (``Memory read error 10041b08``, ``Type information
  missing error for X``, ``Symbol … not found``): its line, text and the address it names.
- ``notes``: lines kept as printed that carry no field: ``...`` elisions, ``***`` help boxes,
  rules, dx grid (``dx -g``) rows, an echoed ``dt`` command line.

`DtField`:

- ``offset`` (``"0x…"``; None for an array element ``[0] @ addr`` and for a root), ``name``,
  ``line`` (original line number), ``children`` (the fields indented below it), ``union``
  (True when it starts at or before the previous sibling's offset: a union member, another
  bitfield of the same unit, or an overlay).
- ``text``: everything after the colon, as printed (whitespace trimmed); None for an empty value.
- ``type``: the type shown — a layout's ``Uint4B`` / ``Ptr64 _EPROCESS`` / ``[26] Uint4B``, the
  type an instance dump prints before a value (``_LARGE_INTEGER 0x0``) or alone for an
  embedded structure (``_TREE_NODE``), dx's ``[Type: …]``; None when only a value is shown.
- ``value``: the value as printed (``0x3f`00067e77``, ``0n-6``, ``0y01``, ``(null)``, ``??``,
  ``"\\Device\\…"``, ``[ a - b ]``), without the type before it and the notes after it; None
  in a layout. ``number``: the value as ``"0x…"`` when it is a number (hex, ``0n`` decimal,
  plain decimal, ``0y`` binary; a negative one as ``"-0x…"``), also for a dx enum ``Name (3)``;
  ``"0x0"`` for ``(null)``.
- ``pointer_type``: the type a pointer points to (``Ptr64 _EPROCESS`` -> ``_EPROCESS``,
  ``0x… _FLT_INSTANCE`` -> ``_FLT_INSTANCE``, ``Void``).
- ``bitfield``: ``{"pos": int|None, "bits": int}`` for ``Pos 0, 8 Bits``, or a ``0y…`` value
  (its width; no position). ``array``: ``{"count": int, "element_type": str|None}``.
- ``string``: the text of a string value (``_UNICODE_STRING "…"``, a buffer's ``0x… "…"``,
  a char array); None when the debugger printed a read error instead. ``char``: the character
  of a char value (``0x70 'p'``). ``list_entry``: ``[flink, blink]`` of ``_LIST_ENTRY [ a - b ]``.
- ``read_error_address``: the address of ``--- memory read error at address … ---``.
- ``notes``: what follows the value: ``(No matching name)``, ``( HeapLockPaged )``,
  ``(0n4294967295)``, ``[INVALID]``, ``--> …`` comments, MEX's ``PoolTag: …``.

Each line is split by regular expressions into indentation, offset and name; the value is
read with the ``dt.lark`` grammar, except for the common shapes (maybe an array's ``[6]``, then
a number, ``(null)`` or ``??``, maybe with its pointer type and a string or list entry; a type,
maybe with a number, string or list entry; ``Ptr64 T``; a bitfield; or only a dx ``[Type: …]``;
then any of the notes, chars, brackets and dx types the grammar reads after a value), which
regular expressions read as the grammar would (the same `Piece` s as its tree) — lark costs
tens of microseconds per value, and tests check that both agree. What a value fills in is read
once per block for each value text, and fields are built with all their fields given. A paste
whose indentation was collapsed loses its nesting (the fields are read flat). Lines that are
none of the above become diagnostics.

`target_of(command)` gives the type name and address expression a ``dt``/``dx`` command names,
for the pipeline to complete ``type_name`` / ``address`` when the output does not show them.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from lark import Tree
from lark.exceptions import LarkError

from crashsift.hexutil import hex_str, hex_value
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.grammar import fast


@dataclass(slots=True)
class DtField:
    offset: str | None
    name: str
    line: int
    text: str | None = None
    type: str | None = None
    value: str | None = None
    number: str | None = None
    pointer_type: str | None = None
    bitfield: dict[str, int | None] | None = None
    array: dict[str, Any] | None = None
    string: str | None = None
    char: str | None = None
    list_entry: list[str] | None = None
    read_error_address: str | None = None
    notes: list[str] = field(default_factory=list)
    union: bool = False
    children: list[DtField] = field(default_factory=list)


@dataclass(slots=True)
class DtError:
    line: int
    text: str
    address: str | None = None


@dataclass(slots=True)
class DtRecord:
    type_name: str | None = None
    address: str | None = None
    target_type: str | None = None
    address_expression: str | None = None
    root: DtField | None = None
    list_entry: list[str] | None = None
    fields: list[DtField] = field(default_factory=list)
    errors: list[DtError] = field(default_factory=list)
    notes: list[Line] = field(default_factory=list)


# --- line shapes ---------------------------------------------------------------------------

_FIELD = re.compile(
    r"^(?P<indent>\s*)\+(?P<offset>0x[0-9a-fA-F]+)\s+(?P<name>[^\s:]+)\s*:(?:\s*(?P<value>.*))?$"
)
_DX_FIELD = re.compile(
    r"^(?P<indent>\s*)\[\+(?P<offset>0x[0-9a-fA-F]+)\]\s+(?P<name>[^\s:\[]+)\s*"
    r"(?::\s*(?P<value>.*)|(?P<dxtype>\[Type:.*))?$"
)
_ELEMENT = re.compile(r"^(?P<indent>\s*)(?P<name>\[\d+\])\s+@\s+(?P<address>[0-9a-fA-F`']+)\s*$")
_LIST_HEAD = re.compile(r"^\s*\[\s*(?P<flink>\S+)\s+-\s+(?P<blink>\S+)\s*\]\s*$")
_TYPE_HEAD = re.compile(r"^\s*(?P<type>[\w$.]*![\w<>:$@.-]+|_[\w<>:$@.-]*)\s*$")
# `??` result: a C type, then the value (`int 0n1044480`, `struct _EPROCESS * 0xfffffa80`…`).
_EXPR_ROOT = re.compile(
    r"^(?P<type>[A-Za-z_][\w:<>,!&$ ]*?[\w>*&])\s+"
    r"(?P<value>(?:0x[0-9a-fA-F`']+|0n-?\d+|-?\d+(?:\.\d+)?|\(null\)|0y[01]+)(?:\s.*)?)$"
)
_ERROR = re.compile(
    r"error|not found|^\s*(?:Unable to|Cannot|Can't|Couldn't|Could not|Invalid|No type information)", re.I
)
_ERROR_ADDRESS = re.compile(
    r"(?:error|address)\s+(?:at\s+(?:address\s+)?)?(?P<address>(?:0x)?[0-9a-fA-F`']{4,})\b", re.I
)
_ECHO = re.compile(r"^\s*(?P<command>dt\s.*?)(?:\s+\(\)\s+Recursive:.*)?$")
_NOTE = re.compile(r"^\s*(?:\.{3,}|\*.*|[=\-_]{3,}.*|=.*|<snip.*|\[\.\.\.\])\s*$")
_READ_ERROR = re.compile(r"^--- memory read error at address (?P<address>\S+) ---$")

# --- value fast path: the common shapes, read as the grammar reads them ----------------------

# A value as the grammar reads it, without lark's objects (cheaper to build and to walk): the
# children of `start` in order, a rule as `(rule, ((TERMINAL, text), …))` and a terminal as
# `(TERMINAL, text)`. `_reading` turns a lark tree into it.
Piece = tuple[str, Any]

_NUMBER = r"0[xX][0-9a-fA-F]+(?:[`'][0-9a-fA-F]+)?|0n-?[0-9]+|0y[01]+|-?[0-9]+"
_TYPE = r"[A-Za-z_<][\w<>:$@.-]*"
_NOT_PTR = r"(?!Ptr(?:32|64))"
_STRING = r'L?".*"'
_LIST = r"\[\s*(?:0[xX])?[0-9a-fA-F`']+\s+-\s+(?:0[xX])?[0-9a-fA-F`']+\s*\]"
# A value cut as lark's contextual lexer cuts it: where it could take several terminals it
# takes the first that matches in the grammar's priority order, and keeps it (hence the order
# of the alternatives and the atomic groups). Maybe an ARRAY, then maybe a core: a bitfield,
# `Ptr64 T`, a scalar (number, `(null)`, `??`) maybe with the type it points to and a list
# entry or string, or a type maybe with a list entry, string or number. `_TAIL` reads what
# follows.
_FAST = re.compile(
    r"(?:(?P<array>\[[0-9]+\])[ \t]+)?"
    r"(?:(?P<bitfield>Pos\s+[0-9]+,\s*[0-9]+\s+Bits?)"
    rf"|(?P<ptr>Ptr(?:32|64))\s+{_NOT_PTR}(?P<target>{_TYPE})"
    rf"|(?:(?P<null>\(null\))|(?P<num>{_NUMBER})|(?P<unread>\?\?+))(?>\s+(?P<ptype>{_TYPE}))?"
    rf"(?>\s+(?P<nlist>{_LIST})|\s+(?P<nstr>{_STRING}))?"
    rf"|{_NOT_PTR}(?P<type>{_TYPE})(?>\s+(?P<tlist>{_LIST})|\s+(?P<tstr>{_STRING})|\s+(?P<tnum>{_NUMBER}))?"
    r")?"
)
# One tail, in the grammar's priority order (REST takes the rest of the line), after the
# grammar's ignored blanks.
_TAIL = re.compile(
    r"[ \t]*(?:(?P<DX_TYPE>\[Type:[^\]]*\])|(?P<PAREN>\([^()]*\))|(?P<CHAR>'''|'[^']*')"
    r"|(?P<BRACKET>\[[^\]]*\])|(?P<ARROW>-->.*)|(?P<REST>\S.*))"
)
_VALUED_PARTS = (
    ("num", "NUMBER"), ("null", "NULL"), ("unread", "UNREAD"), ("ptype", "TYPE"), ("nlist", "LIST"),
    ("nstr", "STRING"),
)  # fmt: skip
_TYPE_PARTS = (("tlist", "LIST"), ("tstr", "STRING"), ("tnum", "NUMBER"))


def _fast_reading(text: str) -> list[Piece] | None:
    """The grammar's reading of a value of a common shape, or None to ask the grammar. Tokens
    must be apart here (lark's lexer needs no blank between them: such values go to it)."""
    m = _FAST.match(text)
    at = m.end()
    if at == len(text) and m.lastgroup == "num" and m.start("num") == 0:  # a number alone
        return [("valued", (("NUMBER", m["num"]),))]
    pieces: list[Piece] = [] if m["array"] is None else [("ARRAY", m["array"])]
    if m["bitfield"] is not None:
        pieces.append(("bitfield", (("BITFIELD", m["bitfield"]),)))
    elif m["ptr"] is not None:
        pieces.append(("layout_pointer", (("PTR", m["ptr"]), ("TYPE", m["target"]))))
    elif m["type"] is not None:
        shown = [(kind, m[group]) for group, kind in _TYPE_PARTS if m[group] is not None]
        pieces.append(("typed", (("TYPE", m["type"]), *shown)))
    elif core := [(kind, m[group]) for group, kind in _VALUED_PARTS if m[group] is not None]:
        pieces.append(("valued", tuple(core)))
    else:  # no core: only a dx type is read here (any other token could start a core)
        at = m.end("array") if pieces else 0
        first = _TAIL.match(text, at)
        if first is None or first.lastgroup != "DX_TYPE":
            return None
    while at < len(text):
        tail = _TAIL.match(text, at)
        if tail is None or (at and tail.start(tail.lastgroup) == at):
            return None
        kind = tail.lastgroup
        pieces.append((kind, tail[kind]))
        at = tail.end()
    return pieces


def _reading(tree: Tree) -> list[Piece]:
    """A `start` tree of the grammar as pieces (see `Piece`)."""
    return [
        (str(part.data), tuple((tok.type, str(tok)) for tok in part.children))
        if isinstance(part, Tree)
        else (part.type, str(part))
        for part in tree.children
    ]


def value_reading(text: str) -> list[Piece]:
    """The reading of one field value (raises LarkError when the grammar refuses it)."""
    return _fast_reading(text) or _reading(fast("dt").parse(text))


# --- values --------------------------------------------------------------------------------


def number_of(text: str) -> str | None:
    """`0x3f`00067e77`, `0n-6`, `63`, `0y01` -> `"0x…"` (negative: `"-0x…"`); else None."""
    if text[:2] == "0x":  # the common case; hex_str reads it the same
        return hex_str(text)
    t = text.replace("`", "").replace("'", "")
    if t[:2] in ("0y", "0Y"):
        value: int | None = int(t[2:], 2)
    elif t[:2] in ("0n", "0N") or t.lstrip("-").isdigit():
        digits = t[2:] if t[:2] in ("0n", "0N") else t
        value = int(digits) if digits.lstrip("-").isdigit() else None
    else:
        value = hex_value(t) if t[:2] in ("0x", "0X") else None
    if value is None:
        return None
    return f"-0x{-value:x}" if value < 0 else f"0x{value:x}"


def _fill_value(fld: DtField, text: str, pieces: list[Piece]) -> None:
    """Read the value text of a field, as `value_reading` read it, into `fld`."""
    if len(pieces) == 1 and pieces[0][0] == "valued":  # a value alone, the most common shape
        tokens = pieces[0][1]
        kind, shown = tokens[0]
        if len(tokens) == 1 and kind == "NUMBER" and shown[:2] != "0y":  # `_fill_shown`, inlined
            fld.value, fld.number = shown, number_of(shown)
            return
        _fill_valued(fld, tokens)
        return
    dx_value = None
    for kind, part in pieces:
        if type(part) is tuple:
            _fill_core(fld, kind, part)
        elif kind == "ARRAY":
            fld.array = {"count": int(part[1:-1]), "element_type": None}
        elif kind == "DX_TYPE":
            dx_value = text.rsplit("[Type:", 1)[0].strip()
            fld.type = part[6:-1].strip()
        elif kind == "CHAR":
            fld.char = part[1:-1]
        else:
            fld.notes.append(part.strip())
    if dx_value is not None:
        _fill_dx_value(fld, dx_value)
    if fld.array is not None and fld.value is None and fld.type:
        fld.array["element_type"] = fld.type
        fld.type = f"[{fld.array['count']}] {fld.type}"


def _fill_dx_value(fld: DtField, shown: str) -> None:
    """dx prints the value, then `[Type: …]`: a word before it is an enum name, not a type,
    and the enum's number is in the parentheses after it (`HeapLockPaged (0)`)."""
    fld.value = shown or None
    numbers = (number_of(note.strip("() ")) for note in fld.notes)
    fld.number = fld.number or next((n for n in numbers if n), None)


def _fill_core(fld: DtField, kind: str, tokens: tuple[tuple[str, str], ...]) -> None:
    """A rule of the reading (`valued`, `typed`, …) and its (TERMINAL, text) tokens."""
    if kind == "valued":
        _fill_valued(fld, tokens)
    elif kind == "typed":
        fld.type = tokens[0][1]
        for token in tokens[1:]:
            _fill_shown(fld, *token)
    elif kind == "bitfield":
        pos, bits = re.findall(r"\d+", tokens[0][1])
        fld.bitfield = {"pos": int(pos), "bits": int(bits)}
    elif kind == "layout_pointer":
        fld.type = " ".join(text for _, text in tokens)
        fld.pointer_type = " ".join(text for _, text in tokens[1:]) or None
    else:  # a string alone (a char array)
        _fill_shown(fld, *tokens[0])


def _fill_valued(fld: DtField, tokens: tuple[tuple[str, str], ...]) -> None:
    """A value (a number, (null), ??), maybe with the type it points to, a string or a list
    entry."""
    _fill_shown(fld, *tokens[0])
    for token in tokens[1:]:
        if token[0] == "TYPE":
            fld.pointer_type = token[1]
        else:
            _fill_shown(fld, *token)


def _fill_shown(fld: DtField, kind: str, text: str) -> None:
    """One value token: a number, (null), ??, a string or a list entry."""
    if kind == "NUMBER":
        fld.value = text
        fld.number = number_of(text)
        if text[:2] == "0y":
            fld.bitfield = {"pos": None, "bits": len(text) - 2}
    elif kind == "LIST":
        m = _LIST_HEAD.match(text)
        if m:
            fld.list_entry = [hex_str(m["flink"]) or m["flink"], hex_str(m["blink"]) or m["blink"]]
        fld.value = fld.value or text
    elif kind == "STRING":
        content = text[text.index('"') + 1 : -1]
        read_error = _READ_ERROR.match(content)
        if read_error:
            fld.read_error_address = hex_str(read_error["address"])
        else:
            fld.string = content
        fld.value = fld.value or text
    else:
        fld.value = text
        if kind == "NULL":
            fld.number = "0x0"


# --- the block -----------------------------------------------------------------------------


# What a value fills in a `DtField`: its fields from ``text`` to ``read_error_address``, in
# field order, and its notes when it fills a dict or list (each field needs its own copy of
# those), None when it does not.
_Filled = tuple[tuple[Any, ...], list[str] | None]


def _value_fields(text: str) -> _Filled:
    """The fields a value fills in a `DtField` (what `_fill_value` sets depends on the text
    alone, so a block reads each value text once)."""
    fld = DtField(None, "", 0, text)
    _fill_value(fld, text, value_reading(text))
    filled = (fld.text, fld.type, fld.value, fld.number, fld.pointer_type, fld.bitfield, fld.array)
    filled += (fld.string, fld.char, fld.list_entry, fld.read_error_address)
    shared = fld.notes or fld.bitfield is not None or fld.array is not None or fld.list_entry is not None
    return filled, fld.notes if shared else None


def _unshare(fld: DtField, notes: list[str]) -> None:
    """Give `fld` its own copies of the dicts and lists a value of the block filled in."""
    if fld.bitfield is not None:
        fld.bitfield = dict(fld.bitfield)
    if fld.array is not None:
        fld.array = dict(fld.array)
    if fld.list_entry is not None:
        fld.list_entry = list(fld.list_entry)
    fld.notes = list(notes)


class _Tree:
    """Places fields by indentation: a field is a child of the nearest field above it that is
    indented less. Keeps what the block's values fill in by text too: values repeat in a block
    (``0x0``, ``(null)``, ``Ptr64 Void``), and each is read once."""

    def __init__(self, record: DtRecord) -> None:
        self.record = record
        self.values: dict[str, _Filled] = {}
        # (indent, field, offset as an int) of the fields that can still take children
        self.open: list[tuple[int, DtField, int | None]] = []

    def add(self, indent: int, fld: DtField, offset: int | None) -> None:
        """Place `fld` (at `offset`, None for an array element). The previous sibling is the
        last entry popped here: it was opened right above the parent, and stays open until a
        line indented no more than it comes."""
        open_fields = self.open
        previous = None
        while open_fields and open_fields[-1][0] >= indent:
            previous = open_fields.pop()
        siblings = open_fields[-1][1].children if open_fields else self.record.fields
        if previous is not None and offset is not None and previous[2] is not None:
            fld.union = offset <= previous[2]
        siblings.append(fld)
        open_fields.append((indent, fld, offset))


def parse(lines: list[Line]) -> Parsed[DtRecord]:
    record = DtRecord()
    diagnostics: list[Diagnostic] = []
    tree = _Tree(record)
    for line in lines:
        text = line.text.rstrip()
        if not text:
            continue
        try:
            problem = _read_line(line, text, record, tree)
        except (LarkError, ValueError, IndexError) as err:
            problem = f"unreadable dt value ({type(err).__name__}): {text.strip()[:60]}"
        if problem:
            diagnostics.append(Diagnostic(line.no, problem))
    return Parsed(record, diagnostics)


def _read_line(line: Line, text: str, record: DtRecord, tree: _Tree) -> str | None:
    """Read one line (`text`: its text, right-stripped) into the record; the reason when it is
    not dt output."""
    m = _FIELD.match(text)
    if m is not None:
        indent, offset_text, name, value = m.groups()
    elif (m := _DX_FIELD.match(text)) is not None:
        indent, offset_text, name, value, dx_type = m.groups()
        if value is None:
            value = dx_type
    if m is not None:
        offset = int(offset_text, 16)
        if value and (value := value.strip()):
            filled = tree.values.get(value)
            if filled is None:
                filled = tree.values[value] = _value_fields(value)
            attrs, notes = filled
            fld = DtField(f"0x{offset:x}", name, line.no, *attrs)  # all in order
            if notes is not None:
                _unshare(fld, notes)
        else:
            fld = DtField(f"0x{offset:x}", name, line.no)
        tree.add(len(indent.expandtabs()) if "\t" in indent else len(indent), fld, offset)
        return None
    if m := _ELEMENT.match(text):
        element = DtField(None, m["name"], line.no, text=m["address"], value=m["address"])
        element.number = hex_str(m["address"])
        tree.add(len(m["indent"].expandtabs()), element, None)
        return None
    return _read_other(line, text, record)


def _read_other(line: Line, text: str, record: DtRecord) -> str | None:
    """Lines that are not fields: headers, roots, errors, notes."""
    started = bool(record.fields) or record.root is not None
    if _ERROR.search(text) and not text.lstrip().startswith("="):  # not a dx -g grid row
        m = _ERROR_ADDRESS.search(text)
        record.errors.append(DtError(line.no, text.strip(), hex_str(m["address"]) if m else None))
        return None
    if not started and (m := _LIST_HEAD.match(text)):
        record.list_entry = [hex_str(m["flink"]) or m["flink"], hex_str(m["blink"]) or m["blink"]]
        return None
    if not started and (m := _TYPE_HEAD.match(text)):
        record.type_name = m["type"]
        return None
    if not started and (m := _ECHO.match(text)):
        record.notes.append(line)
        type_name, address = target_of(m["command"])
        record.type_name = record.type_name or type_name
        record.address = record.address or (hex_str(address) if address else None)
        return None
    if _NOTE.match(text):
        record.notes.append(line)
        return None
    if not started and (root := _dx_root(text, line.no) or _expr_root(text, line.no)):
        _set_root(record, root)
        return None
    return f"not dt output: {text.strip()[:60]}"


def _dx_root(text: str, no: int) -> DtField | None:
    """The line dx prints for the expression, `expr : value [Type: T]` or `expr [Type: T]`
    (split by hand: a regular expression would backtrack badly on long odd lines)."""
    if not text[:1].strip() or not text.endswith("]") or "[Type:" not in text:
        return None
    name, colon, value = text.partition(" : ")
    if not colon:
        name, value = text[: text.rfind("[Type:")], text[text.rfind("[Type:") :]
    if not name.strip() or "[Type:" not in value:
        return None
    root = DtField(None, name.strip(), no, text=value.strip())
    _fill_value(root, root.text, value_reading(root.text))
    return root


def _expr_root(text: str, no: int) -> DtField | None:
    """The line ?? prints for its result: `type value`."""
    m = _EXPR_ROOT.match(text)
    if m is None:
        return None
    root = DtField(None, "", no, text=m["value"].strip())
    _fill_value(root, root.text, value_reading(root.text))
    root.type = m["type"]
    return root


def _set_root(record: DtRecord, root: DtField) -> None:
    record.root = root
    record.type_name = root.type
    if root.type and root.type.endswith("*") and root.number and not root.number.startswith("-"):
        record.address = root.number


# --- the command ---------------------------------------------------------------------------

_ADDRESS_LIKE = re.compile(r"^(?:0[xX])?[0-9a-fA-F`']+(?:[+-].*)?$|^[@$(]|^poi\(|.*[+\-*/]", re.I)
_TAKES_ARGUMENT = {"-l", "-s", "-i", "-o"}
# A word of unquoted text as `shlex.split(…, posix=False)` cuts it: a run of anything but its
# whitespace.
_SHELL_WORD = re.compile(r"[^ \t\r\n]+")
_CAST = re.compile(r"\(\s*(?P<type>[\w!$:<>]+)\s*\*\s*\)\s*(?P<address>[^\s)]+)")


def target_of(command: str) -> tuple[str | None, str | None]:
    """(type name, address expression) of a `dt`/`dx`/`??` command as typed; None for what it
    does not name. `dt fltmgr!_STREAM_LIST_CTRL fffffa8008e13270+10` -> (`fltmgr!_STREAM_…`,
    `fffffa8008e13270+10`); `dt _NAME_CACHE_LIST_CTRL @rcx-8 /b` -> (…, `@rcx-8`); `dt -a6
    ffff…+0x6a0 nt!_KLOCK_ENTRY` -> (`nt!_KLOCK_ENTRY`, `ffff…+0x6a0`); `dx (nt!_EPROCESS*)
    0xffff…` -> (`nt!_EPROCESS`, `0xffff…`)."""
    text = command.strip()
    head, _, rest = text.partition(" ")
    if head not in ("dt", "dx", "??"):
        return None, None
    if head != "dt":
        m = _CAST.search(rest)
        return (m["type"], m["address"]) if m else (None, None)
    if "'" in rest or '"' in rest:
        try:
            words = shlex.split(rest, posix=False)
        except ValueError:
            words = rest.split()
    else:  # what shlex splits unquoted text into, without its cost per character
        words = _SHELL_WORD.findall(rest)
    positional: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word[:1] in "-/" and len(word) > 1 and not word[1:2].isdigit():
            skip = word.lower() in _TAKES_ARGUMENT
        else:
            positional.append(word)
    type_name = next((w for w in positional if _is_type_word(w)), None)
    others = [w for w in positional if w is not type_name]
    address = next((w for w in others if _ADDRESS_LIKE.match(w)), None)
    if address is None and type_name is not None and others and "!" in others[0]:
        address = others[0]  # a symbol as the address: `dt nt!_LIST_ENTRY nt!PsActiveProcessHead`
    return type_name, address


def _is_type_word(word: str) -> bool:
    """A type name rather than an address: `nt!_EPROCESS`, `_POOL_HEADER` (but not a hex
    number, a register, `poi(…)`, an expression or `nt!Symbol+0x10`)."""
    return ("!" in word and "+" not in word) or not _ADDRESS_LIKE.match(word)


def with_command(record: DtRecord, command: str) -> None:
    """The type and the address expression the command asked for (`target_of`), beside what
    the output itself shows (`type_name`, `address`)."""
    record.target_type, record.address_expression = target_of(command)
