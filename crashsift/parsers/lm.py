"""`lm` family output (`lm`, `lmv`, `lmvm`, `lm vm`, `lmt`, `lmf`, `lmo`, …) and cdb's
`ModLoad:` lines: the modules a target had loaded, and where.

Record (`LmRecord`): ``modules`` (loaded modules, in order), ``unloaded`` (the modules after
``Unloaded modules:``), and ``messages`` (lines kept as text, not fields: the DML link text
``Browse full module list``, ``Browse all global symbols  functions  data``, ``Unable to
enumerate user-mode unloaded modules…``, an elision ``...``).

A `Module` holds, from its row: ``start`` and ``end`` (``"0x…"``; end is the first address
after the module), ``name``, ``flags`` (symbol status abbreviations before the status: ``C``,
``T``, ``#``, ``M``), ``symbol_status`` (the text in parentheses: ``deferred``, ``pdb symbols``,
``private pdb symbols``, ``export symbols``, ``no symbols``), ``symbol_file`` (what follows the
status: the pdb path, or for export symbols the image they came from), ``line``. A row without
a status (``lmf``, ``lmn``, an unloaded module, a ``ModLoad:`` line) gives its text as
``image_path``, or as ``timestamp`` (``lmt``). From the ``lmv`` detail lines below a row:
``symbol_image`` (Loaded symbol image file), ``image_path``, ``image_name``, ``mapped_image``
(Mapped memory image file), ``timestamp`` (the text as printed) and ``timestamp_value`` (its
hex value, ``(52A23190)`` or a leading ``99C0087B``), ``reproducible`` (built with /Brepro: the
"timestamp" is a hash), ``checksum``, ``image_size`` (hex), ``file_version``,
``product_version``, and from the resource table ``company``, ``product_name``,
``description``, ``original_filename``, ``internal_name``; ``fields`` keeps every
``Name: value`` detail line as printed (``File flags``, ``File OS``, ``Translations``, …), and
``notes`` the remarks among them (``Image was built with /Brepro flag.``).

`parse_modload` reads one ``ModLoad:`` line alone (for the dump-open header's parser).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lark import Token, Tree
from lark.exceptions import LarkError

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.grammar import fast, load


@dataclass(slots=True)
class Module:
    start: str | None = None
    end: str | None = None
    name: str = ""
    flags: list[str] = field(default_factory=list)
    symbol_status: str | None = None
    symbol_file: str | None = None
    symbol_image: str | None = None
    image_path: str | None = None
    image_name: str | None = None
    mapped_image: str | None = None
    timestamp: str | None = None
    timestamp_value: str | None = None
    reproducible: bool = False
    checksum: str | None = None
    image_size: str | None = None
    file_version: str | None = None
    product_version: str | None = None
    company: str | None = None
    product_name: str | None = None
    description: str | None = None
    original_filename: str | None = None
    internal_name: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class LmRecord:
    modules: list[Module] = field(default_factory=list)
    unloaded: list[Module] = field(default_factory=list)
    messages: list[Line] = field(default_factory=list)


# `lmv` detail names -> Module attribute holding the value as printed
_TEXT_FIELDS = {
    "Loaded symbol image file": "symbol_image",
    "Image path": "image_path",
    "Image name": "image_name",
    "Mapped memory image file": "mapped_image",
    "File version": "file_version",
    "Product version": "product_version",
    "CompanyName": "company",
    "ProductName": "product_name",
    "FileDescription": "description",
    "OriginalFilename": "original_filename",
    "InternalName": "internal_name",
}
# `lmv` detail names -> Module attribute holding the value as "0x…" (unloaded modules print
# `Checksum`)
_HEX_FIELDS = {"CheckSum": "checksum", "Checksum": "checksum", "ImageSize": "image_size"}
# `Fri Dec  6 12:20:32 2013 (52A23190)`, `unavailable (00000000)`, `99C0087B (This is a
# reproducible build file hash, not a timestamp)`
_STAMP_IN_PARENS = re.compile(r"\(([0-9a-fA-F]{1,8})\)\s*$")
_STAMP_LEADING = re.compile(r"^([0-9a-fA-F]{8})\b")
# The grammar's rules whose line is one token, and that token's terminal
_ONE_TOKEN_RULES = (
    ("note", "NOTE"), ("modload", "MODLOAD"), ("columns", "COLUMNS"), ("unloaded", "UNLOADED"),
    ("detail", "DETAIL"),
)  # fmt: skip


def _read(text: str) -> tuple[str, Any] | None:
    """The (what, value) of one line, or None when the grammar refuses it. A line that is one
    token of a one-token rule is matched with that terminal's regex alone (see `_one_token`)."""
    text = text.strip()
    found = _one_token().match(text)
    if found is not None:
        if found.end() == len(text):
            rule = found.lastgroup or ""
            if rule == "modload":  # the most common line
                return rule, _modload(text)
            return _item(rule, [text])  # the token's text: _item reads no terminal names
        # else lark's lexer takes this token too, then decides
    else:
        # No one-token rule's terminal: lark's lexer can only take MODULE, a row's first token.
        row = _row_regex().fullmatch(text)
        if row is None:
            return None
        tokens = [Token(name, row.group(name)) for name in ("MODULE", "STATUS", "REST") if row.group(name)]
        return "row", _row(tokens)
    try:
        tree = fast("lm").parse(text)
    except LarkError:
        return None
    line = tree.children[0]
    if not isinstance(line, Tree):
        return None
    return _item(str(line.data), [t for t in line.children if isinstance(t, Token)])


@cache
def _one_token() -> re.Pattern[str]:
    """The terminals of the rules whose line is a single token, as the grammar builds them,
    in the order lark's lexer tries them (highest priority first), one regex with a group per
    rule: the first that matches at the start is the match. Matching such a line with it is
    what lark would do, without lark's cost per call: ModLoad runs and lmv detail lines are
    most of the lines this family reads."""
    parser = load("lm")
    terminals = {t.name: t for t in parser.terminals}
    rules = sorted(_ONE_TOKEN_RULES, key=lambda rule: -terminals[rule[1]].priority)
    return re.compile(
        "|".join(f"(?P<{rule}>{terminals[name].pattern.to_regexp()})" for rule, name in rules),
        parser.options.g_regex_flags,
    )


@cache
def _row_regex() -> re.Pattern[str]:
    """A `row` line as lark's lexer cuts it, built from the grammar's terminals: MODULE, then
    maybe STATUS, then maybe REST, with the ignored blanks between. Each is an atomic group, as
    the lexer commits to each token it takes; STATUS outranks REST where both match, and REST
    takes any text left after STATUS, so the lexer never has another choice. With the
    one-token rules' terminals, MODULE is the only token a line can start with (a test checks
    it against the parse table): a line this does not match, lark refuses. Module rows are
    most of an `lm` listing; this spares lark's cost per call."""
    parser = load("lm")
    rx = {t.name: t.pattern.to_regexp() for t in parser.terminals}
    (ignore,) = parser.lexer_conf.ignore
    gap = f"(?>{rx[ignore]})?"
    return re.compile(
        f"(?>(?P<MODULE>{rx['MODULE']})){gap}(?:(?>(?P<STATUS>{rx['STATUS']})){gap})?(?>(?P<REST>{rx['REST']}))?",
        parser.options.g_regex_flags,
    )


def _item(rule: str, tokens: list[Token] | list[str]) -> tuple[str, Any]:
    """One line's rule and tokens -> (what, value): `columns`, `unloaded`, `row` or `modload`
    with a Module, `detail` with (name, value), `note` with the text."""
    if rule == "row":
        return "row", _row(tokens)
    if rule == "modload":
        return "modload", _modload(tokens[0])
    if rule == "detail":
        name, _, value = tokens[0].partition(":")
        return "detail", (name.strip(), value.strip())
    if rule == "note":
        return "note", tokens[0].strip()
    return rule, None


def _row(tokens: list[Token]) -> Module:
    """A module row: MODULE (range and name), then maybe STATUS (flags, status), then REST."""
    start, end, name = tokens[0].split()
    module = Module(start=hex_str(start), end=hex_str(end), name=name)
    for token in tokens[1:]:
        if token.type == "STATUS":
            flags, _, status = token.partition("(")
            module.flags, module.symbol_status = flags.split(), status[:-1].strip()
        elif module.symbol_status is not None:
            module.symbol_file = token.strip()
        else:
            _store_column(module, token.strip())
    return module


def _modload(token: str) -> Module:
    """`ModLoad: <start> <end>   <path>`; the module named as WinDbg names it."""
    parts = token.split(None, 3)
    path = parts[3].strip() if len(parts) > 3 else None
    name = _module_name(path) if path else ""
    # MODLOAD's addresses are hex digits with maybe a backtick: hex_str's result, without its
    # checks
    start = "0x" + (parts[1].replace("`", "").lstrip("0").lower() or "0")
    end = "0x" + (parts[2].replace("`", "").lstrip("0").lower() or "0")
    module = Module(start, end, name)  # the other fields as the defaults give them (cheaper)
    module.image_path = path
    return module


def _store_column(module: Module, text: str) -> None:
    """The column after a name when no symbol status is shown: `lmt`'s time stamp, the pdb path
    of old debuggers' `lm`, or an image path (`lmf`, `lmn`, unloaded modules' `lmv`)."""
    if _STAMP_IN_PARENS.search(text):
        _store_timestamp(module, text)
    elif ".pdb" in text.lower():
        module.symbol_file = text
    else:
        module.image_path = text


def _store_timestamp(module: Module, text: str) -> None:
    module.timestamp = text
    found = _STAMP_IN_PARENS.search(text) or _STAMP_LEADING.match(text)
    module.timestamp_value = hex_str(found.group(1)) if found else None
    if "reproducible build" in text:
        module.reproducible = True


def _module_name(path: str) -> str:
    """The name WinDbg gives the module loaded from `path`: the file name without its extension,
    other dots made underscores (`System.Xml.ni.dll` -> `System_Xml_ni`); a synthetic name such
    as ``image00000000`00400000`` or ``WOW64_IMAGE_SECTION`` stays as it is."""
    base = path[max(path.rfind("\\"), path.rfind("/")) + 1 :]
    stem, dot, extension = base.rpartition(".")
    if dot and len(extension) <= 4 and extension.isascii() and extension.isalnum():
        base = stem  # the extension WinDbg drops: 1 to 4 ASCII letters or digits
    return base.replace(".", "_")


def parse_modload(text: str) -> Module | None:
    """One ``ModLoad: <start> <end>   <path>`` line (leading blanks allowed) as a Module, or None
    when the line is not one (or is cut before its range ends)."""
    if "ModLoad:" not in text:
        return None
    item = _read(text)
    return item[1] if item is not None and item[0] == "modload" else None


def parse(lines: list[Line]) -> Parsed[LmRecord]:
    """Read an lm block line by line; detail lines belong to the module row above them."""
    record = LmRecord()
    diagnostics: list[Diagnostic] = []
    target = record.modules
    for line in lines:
        if not line.text.strip():
            continue
        item = _read(line.text)
        if item is None:
            diagnostics.append(Diagnostic(line.no, _refusal(line.text)))
            continue
        what, value = item
        if what in ("row", "modload"):
            value.line = line.no
            target.append(value)
        elif what == "unloaded":
            target = record.unloaded
        elif what == "detail":
            if not _store_detail(target, *value):
                diagnostics.append(
                    Diagnostic(line.no, f"lmv field before any module: {line.text.strip()[:60]}")
                )
        elif what == "note":
            _store_note(record, target, line, value)
    return Parsed(record, diagnostics)


def _refusal(text: str) -> str:
    if "ModLoad:" in text:
        return f"ModLoad line cut or unreadable: {text.strip()[:60]}"
    return f"not lm output: {text.strip()[:60]}"


def _store_detail(modules: list[Module], name: str, value: str) -> bool:
    """Store an `lmv` detail line in the last module; False when there is none."""
    if not modules:
        return False
    module = modules[-1]
    module.fields[name] = value
    if name in _TEXT_FIELDS:
        setattr(module, _TEXT_FIELDS[name], value)
    elif name in _HEX_FIELDS:
        setattr(module, _HEX_FIELDS[name], hex_str(value.split()[0]) if value else None)
    elif name == "Timestamp":
        _store_timestamp(module, value)
    return True


def _store_note(record: LmRecord, modules: list[Module], line: Line, text: str) -> None:
    """A remark about the module above (`Image was built with /Brepro flag.`, `Has CLR image
    header…`) is its note; DML link text and the rest are the record's messages."""
    if modules and text.startswith(("Image was built with", "Has CLR image header")):
        modules[-1].notes.append(text)
        if "/Brepro" in text:
            modules[-1].reproducible = True
    else:
        record.messages.append(Line(line.no, text))
