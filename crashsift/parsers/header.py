"""The dump-open (or live-target connect) header, and `vertarget` output, which prints the same lines.

Record (`HeaderRecord`); every field is None (lists empty) when its line is not in the block:

- ``debugger_version`` (``"10.0.29617.1000"``), ``debugger_arch`` (``"AMD64"``, ``"X86"``) from
  ``Microsoft (R) Windows Debugger Version …``;
- ``dump_file``: the path in ``Loading Dump File […]`` as printed;
- ``dump_type`` (``"Mini Kernel Dump"``, ``"Kernel Bitmap Dump"``, ``"User Mini Dump with Full
  Memory"``: the name before the colon without ``File``) and ``dump_contents`` (what follows the
  colon, ``"Only registers and stack trace are available"``);
- ``symbol_path``, ``executable_path``: as printed (``""`` when the line is empty);
- ``os`` (`OsVersion`) from ``Windows 10 Kernel Version 19041 MP (8 procs) Free x64``: ``text``,
  ``os_name`` (``"Windows 10"``, as printed), ``kernel`` (``Kernel Version``: a kernel target;
  plain ``Version``: a user-mode one), ``kernel_version`` (the build number as printed,
  ``"19041"``), ``build`` (the same as an int), ``service_pack``, ``mp_up`` (``"MP"``/``"UP"``),
  ``processors``, ``build_type`` (``"Free"``/``"Checked"``), ``target_arch`` (``"x64"``, ``"x86
  compatible"``, ``"ARM 64-bit (AArch64)"``), ``line``. Old debuggers name newer systems wrongly
  (6.12 on Windows 11 prints ``Windows 7 Kernel Version 22621``, 6.3 on 8.1 ``Windows 8 Kernel
  Version 9600``): ``os_name`` keeps what the debugger says; the build number is the truth;
- ``connection`` (`Connection`) from a live kd's ``Connected to Windows 8 9200 x64 target at
  (…), ptr64 TRUE``: ``os_name``, ``build``, ``target_arch``, ``time`` (`Moment`), ``ptr64``;
- ``product`` (``"WinNt"``) and ``suite`` (``"TerminalServer SingleUserTS"``);
- ``build_lab``: ``Edition build lab:`` / ``Built by:`` / user-mode vertarget's bare build string;
- ``machine_name``: ``""`` when printed empty (``Machine Name:`` or ``Machine Name: ""``);
- ``kernel_base``, ``ps_loaded_module_list``: ``"0x…"``;
- ``debug_session_time`` (`Moment`): ``text`` as printed and ``iso`` (``Thu Oct  1 14:13:42.872
  2026 (UTC - 5:00)`` -> ``"2026-10-01T14:13:42.872-05:00"``; no offset when none is printed;
  None, with a diagnostic, when the time is cut or unreadable);
- ``system_uptime``, ``process_uptime`` (`Uptime`): ``text`` and ``seconds`` (a float; None for
  ``not available``);
- ``bugcheck`` (`HeaderBugcheck`): ``Bugcheck code 0000003B`` or ``BugCheck 3B, {…}``: ``code``,
  ``args``, ``line``;
- ``symbol_path_validation``: rows of the ``Path validation summary`` table (`ValidationRow`:
  ``response`` ``Deferred``/``OK``/…, ``time_ms``, ``location``, ``line``);
- ``command_line``: the ``CommandLine:`` of a debugger that started the process;
- ``modules``: ``ModLoad:`` rows (`ModLoad`: ``start``, ``end``, ``path``, ``line``);
- ``messages``: the debugger's other lines (`Line`): symbol-loading dots, ``Loading Kernel
  Symbols``, the symbol-path warning box, ``Unable to load image …``, ``For analysis of this
  file, run !analyze -v``, live-kd connection notes;
- ``line``: the first line of the block.

Lines that are none of these (a person's notes, a target's DbgPrint output) become diagnostics.

Reading: a line with nothing inside to read (a message, the copyright, a row whose value is the
rest of the line or is split at a fixed word, such as ``Machine Name:`` or ``Product: …, suite:
…``) is told by its start; the rows with structure are read with ``grammars/header.lark``:
those that are a plain run of terminals (the OS line, kernel base, ModLoad and validation rows,
a time, an uptime, the dump type, …) by walking the grammar's own rules with its own terminals,
in the order lark's contextual lexer tries them, which costs far less than a grammar call; the
``BugCheck 3B, {…}`` row, and a row that walk refuses, by lark, the whole block in one call. A
line that no row can start with is refused without the grammar. Tests check that both readings
agree on every corpus line and on generated ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from lark import Tree
from lark.exceptions import LarkError, UnexpectedInput
from lark.lexer import TerminalDef

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.grammar import fast, load

# Lines with nothing inside to read are told by their start; a grammar call costs far more.
# The debugger's other lines: symbol-loading dots (a note may be spliced into them), `Loading
# Kernel Symbols`, the `*` boxes, `Unable to load image …`, live-kd connection notes, …
_MESSAGE = re.compile(
    r"\*+(?:[ \t]|$)(?!(?:Symbol )?Path validation)|\.|\"|Loading (?:Kernel|User) Symbols|"
    r"Loading unloaded module list|For analysis of this file|Use !analyze|Unable to |Cannot |Could not |"
    r"Opened |Waiting to reconnect|Kernel Debugger connection established|KDTARGET:|Press ctrl-c|"
    r"Run !sym noisy|Page heap:|SHIMVIEW:|GetContextState failed|No flat address|Starting directory:"
)
# The copyright line and the frame of the `Path validation summary` table: nothing to keep.
_FRAME = re.compile(
    r"Copyright \(c\) Microsoft Corporation|\*+ (?:Symbol )?Path validation summary \*+$"
    r"|Response\s+Time \(ms\)\s+Location$"
)
# Rows whose value is the rest of the line, by the text before their colon.
_TEXT_FIELDS = {
    "Symbol search path is": "symbol_path",
    "Executable search path is": "executable_path",
    "Machine Name": "machine_name",
    "Edition build lab": "build_lab",
    "Built by": "build_lab",
    "CommandLine": "command_line",
}
_BANNER = "Microsoft (R) Windows Debugger Version"
_MESSAGE_VALUES: dict[str, Any] = {"message": True}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(slots=True)
class Moment:
    text: str
    iso: str | None = None


@dataclass(slots=True)
class Uptime:
    text: str
    seconds: float | None = None


@dataclass(slots=True)
class OsVersion:
    text: str
    os_name: str
    kernel: bool
    kernel_version: str
    build: int
    service_pack: str | None = None
    mp_up: str | None = None
    processors: int | None = None
    build_type: str | None = None
    target_arch: str | None = None
    line: int | None = None


@dataclass(slots=True)
class Connection:
    text: str
    os_name: str
    build: int
    target_arch: str
    time: Moment
    ptr64: bool | None = None
    line: int | None = None


@dataclass(slots=True)
class HeaderBugcheck:
    code: str
    args: list[str] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class ValidationRow:
    response: str
    time_ms: int | None
    location: str
    line: int


@dataclass(slots=True)
class ModLoad:
    start: str
    end: str
    path: str
    line: int


@dataclass(slots=True)
class HeaderRecord:
    debugger_version: str | None = None
    debugger_arch: str | None = None
    dump_file: str | None = None
    dump_type: str | None = None
    dump_contents: str | None = None
    symbol_path: str | None = None
    executable_path: str | None = None
    os: OsVersion | None = None
    connection: Connection | None = None
    product: str | None = None
    suite: str | None = None
    build_lab: str | None = None
    machine_name: str | None = None
    kernel_base: str | None = None
    ps_loaded_module_list: str | None = None
    debug_session_time: Moment | None = None
    system_uptime: Uptime | None = None
    process_uptime: Uptime | None = None
    bugcheck: HeaderBugcheck | None = None
    symbol_path_validation: list[ValidationRow] = field(default_factory=list)
    command_line: str | None = None
    modules: list[ModLoad] = field(default_factory=list)
    messages: list[Line] = field(default_factory=list)
    line: int | None = None


# A token of a row: its terminal's name and its text (the walker makes no lark `Token`).
Piece = tuple[str, str]


def _text(items: list[Piece], i: int) -> str:
    """The i-th token's text, or "" when the optional token is absent."""
    return items[i][1].strip() if len(items) > i else ""


class _RowReader:
    """Each grammar row to a dict of `HeaderRecord` field names and values (the parser adds the
    line's text and number). Called per row by the rule's name: cheaper than a Transformer."""

    def read(self, tree: Tree) -> list[dict[str, Any]]:
        return [getattr(self, row.data)([(t.type, str(t)) for t in row.children]) for row in tree.children]

    def dump_type(self, items: list[Piece]) -> dict[str, Any]:
        name = " ".join(w for w in items[0][1].split() if w.lower() != "file")
        return {"dump_type": name, "dump_contents": _text(items, 1)}

    def os_line(self, items: list[Piece]) -> dict[str, Any]:
        head = items[0][1]
        kernel = head.endswith(" Kernel Version")
        name = head.removesuffix(" Version").removesuffix(" Kernel")
        os = OsVersion("", name, kernel, items[1][1], int(items[1][1]))
        for kind, text in items[2:]:
            if kind == "SERVICE_PACK":
                os.service_pack = text[1:-1]
            elif kind == "MP_UP":
                os.mp_up = text
            elif kind == "PROCS":
                os.processors = int(text[1:].split()[0])
            elif kind == "BUILD_KIND":
                os.build_type = text
            else:
                os.target_arch = text.strip()
        return {"os": os}

    def connected(self, items: list[Piece]) -> dict[str, Any]:
        ptr64 = {"TRUE": True, "FALSE": False}.get(items[5][1].upper())
        time = Moment(items[4][1], iso_time(items[4][1]))
        conn = Connection("", items[1][1], int(items[2][1]), items[3][1], time, ptr64)
        return {"connection": conn}

    def build_lab(self, items: list[Piece]) -> dict[str, Any]:
        return {"build_lab": items[0][1]}

    def kernel_base(self, items: list[Piece]) -> dict[str, Any]:
        return {"kernel_base": hex_str(items[1][1]), "ps_loaded_module_list": hex_str(items[3][1])}

    def session_time(self, items: list[Piece]) -> dict[str, Any]:
        text = _text(items, 1)
        return {"debug_session_time": Moment(text, iso_time(text) if items[-1][0] == "WHEN" else None)}

    def uptime(self, items: list[Piece]) -> dict[str, Any]:
        key = "system_uptime" if items[0][1].startswith("System") else "process_uptime"
        text = _text(items, 1)
        return {key: Uptime(text, uptime_seconds(text) if items[-1][0] == "SPAN" else None)}

    def bugcheck_code(self, items: list[Piece]) -> dict[str, Any]:
        return {"bugcheck": HeaderBugcheck(hex_str(items[1][1]) or "")}

    def bugcheck(self, items: list[Piece]) -> dict[str, Any]:
        values = [hex_str(text) or "" for _, text in items[1:]]
        return {"bugcheck": HeaderBugcheck(values[0], values[1:])}

    def validation_row(self, items: list[Piece]) -> dict[str, Any]:
        time_ms = int(items[1][1]) if len(items) > 2 else None
        return {"validation_row": (items[0][1], time_ms, items[-1][1].strip())}

    def modload(self, items: list[Piece]) -> dict[str, Any]:
        path = _text(items, 3)
        return {"modload": (hex_str(items[1][1]), hex_str(items[2][1]), path)}


_READER = _RowReader()
Row = tuple[Line, str]
ReadRow = tuple[Line, str, dict[str, Any]]


def parse(lines: list[Line]) -> Parsed[HeaderRecord]:
    """Read one header or `vertarget` block; never raises."""
    record = HeaderRecord()
    diagnostics: list[Diagnostic] = []
    read: list[ReadRow] = []
    grammar_rows: list[Row] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if "\n" in text:  # rows are joined by newlines for the grammar
            diagnostics.append(Diagnostic(line.no, f"not a header line: {text[:60]!r}"))
            continue
        values = _read_plain(text)
        if values is None:
            values = _read_row(text)
        if values is None:
            grammar_rows.append((line, text))
        else:
            read.append((line, text, values))
    if grammar_rows:
        read.extend(_read_rows(grammar_rows, diagnostics))
        read.sort(key=lambda row: row[0].no)
    if read:
        record.line = read[0][0].no
    messages = record.messages
    for line, text, values in read:
        if values is _MESSAGE_VALUES:  # the most common line, stored without `_store`'s steps
            messages.append(Line(line.no, text))
        elif values:
            diagnostics.extend(_store(record, line, text, values))
    return Parsed(record, diagnostics)


def _read_plain(text: str) -> dict[str, Any] | None:
    """The values of a line with nothing inside to read (a message, a frame line, a row whose
    value is the rest of the line or is split at a fixed word), or None when the grammar must
    read it."""
    if _MESSAGE.match(text):
        return _MESSAGE_VALUES
    if _FRAME.match(text):
        return {}
    if text.startswith(_BANNER):
        version, _, arch = text[len(_BANNER) :].strip().partition(" ")
        return {"debugger_version": version, "debugger_arch": arch.strip() or None} if version else None
    if text.startswith("Loading Dump File [") and text.endswith("]"):
        return {"dump_file": text[19:-1].strip()}
    key, colon, rest = text.partition(":")
    if not colon:
        return None
    if key == "Product":
        product, suite, rest = rest.partition(",")
        if suite and not rest.lstrip().startswith("suite:"):
            return None
        return {"product": product.strip(), "suite": rest.strip()[6:].strip() if suite else None}
    name = _TEXT_FIELDS.get(key)
    if name is None:
        return None
    value = rest.strip()
    if name == "machine_name" and len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]  # vertarget prints `Machine Name: ""`
    return {name: value}


@cache
def _row_lexer() -> tuple[re.Pattern[str], dict[str, re.Pattern[str]]]:
    """The terminals of grammars/header.lark that can start a row, as one regex whose
    alternatives are in the order lark's lexer tries them (a group each): a line that none of
    them matches at its start is refused by the grammar, alone or in a block. And every
    terminal's regex by name."""
    grammar = load("header")
    terminals = sorted(grammar.terminals, key=_lexer_order)
    rows = {rule.expansion[0].name for rule in grammar.rules if rule.origin.name == "_row"}
    firsts = {rule.expansion[0].name for rule in grammar.rules if rule.origin.name in rows}
    starts = "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.name in firsts)
    return re.compile(starts), {t.name: re.compile(t.pattern.to_regexp()) for t in terminals}


def _lexer_order(terminal: TerminalDef) -> tuple[int, int, int, str]:
    """The order in which lark's lexer tries terminals: the first one that matches is taken."""
    return (-terminal.priority, -terminal.pattern.max_width, -len(terminal.pattern.value), terminal.name)


# A row's place in `_row_table`: what may come there, each a terminal's name, its regex's
# match, whether the tree keeps the token, and the place after it, in the lexer's order; and
# whether the row may end there.
_Place = tuple[list[tuple[str, Any, bool, Any]], bool]


@cache
def _row_table() -> tuple[dict[str, str], dict[str, _Place]]:
    """The rows of grammars/header.lark that are a plain run of terminals (every rule of
    `_row` but `bugcheck`, whose `("," HEXVAL)*` is a rule of its own), as the parser sees
    them: the rule each first terminal starts, and the place after it, from which the
    terminals that may follow each prefix of the rule's expansions lead on. Lark's contextual
    lexer tries exactly these there, in its own order, so `_read_row` walking this table reads a
    row as lark reads it alone."""
    grammar = load("header")
    terminals = {t.name: t for t in grammar.terminals}
    regexes = _row_lexer()[1]
    rows = {rule.expansion[0].name for rule in grammar.rules if rule.origin.name == "_row"}
    expansions: dict[str, list[list[Any]]] = {}
    for rule in grammar.rules:
        if rule.origin.name in rows:
            expansions.setdefault(rule.origin.name, []).append(rule.expansion)
    rule_of: dict[str, str] = {}
    starts: dict[str, _Place] = {}
    for name, runs in expansions.items():
        if not all(symbol.is_term for run in runs for symbol in run):
            continue
        prefixes = {tuple(s.name for s in run[:n]) for run in runs for n in range(1, len(run) + 1)}
        places: dict[tuple[str, ...], _Place] = {
            prefix: ([], any(len(run) == len(prefix) and _names(run, prefix) for run in runs))
            for prefix in prefixes
        }
        for prefix, (follows, _) in places.items():
            after = {run[len(prefix)] for run in runs if len(run) > len(prefix) and _names(run, prefix)}
            ordered = sorted(after, key=lambda s: _lexer_order(terminals[s.name]))
            follows.extend(
                (s.name, regexes[s.name].match, not s.filter_out, places[(*prefix, s.name)]) for s in ordered
            )
        for run in runs:
            rule_of[run[0].name] = name
            starts[run[0].name] = places[(run[0].name,)]
    return rule_of, starts


def _names(run: list[Any], prefix: tuple[str, ...]) -> bool:
    """Whether the expansion `run` starts with the terminals named in `prefix`."""
    return tuple(s.name for s in run[: len(prefix)]) == prefix


def _read_row(text: str) -> dict[str, Any] | None:
    """The values of a row that is a plain run of terminals (`_row_table`: the OS line, kernel
    base, validation and ModLoad rows, a time, an uptime, the dump type, …), its tokens read
    with the grammar's own terminals as lark's lexer reads them (the blanks between them
    skipped); None for a row the grammar refuses and for the `BugCheck 3B, {…}` row, which
    lark reads."""
    m = _row_lexer()[0].match(text)
    first = m.lastgroup if m is not None else None
    rule_of, starts = _row_table()
    rule = rule_of.get(first) if first is not None else None
    if m is None or first is None or rule is None:
        return None
    place = starts[first]
    items: list[Piece] = [(first, m.group())]
    at = _BLANKS.match(text, m.end()).end()  # type: ignore[union-attr]  # matches the empty string
    end = len(text)
    while True:
        follows, can_end = place
        if at == end:
            return getattr(_READER, rule)(items) if can_end else None  # type: ignore[no-any-return]
        for follow in follows:
            if (token := follow[1](text, at)) is not None:
                break
        else:
            return None
        name, _, keep, place = follow
        if keep:
            items.append((name, token.group()))
        at = token.end()
        if at < end and text[at] in " \t":
            at = _BLANKS.match(text, at).end()  # type: ignore[union-attr]


# The blanks the grammar ignores (WS_INLINE) between a row's tokens.
_BLANKS = re.compile(r"[ \t]*")


def _read_rows(rows: list[Row], diagnostics: list[Diagnostic]) -> list[ReadRow]:
    """Each row's values. A line that cannot start a row is told without the grammar (a
    diagnostic), and the runs of rows between such lines are read by `_read_block`: the same
    reading as the grammar refusing the line inside the block, without the grammar calls."""
    out: list[ReadRow] = []
    run: list[Row] = []
    starts = _row_lexer()[0].match
    for row in rows:
        if starts(row[1]):
            run.append(row)
            continue
        if run:
            out.extend(_read_block(run, diagnostics))
            run = []
        diagnostics.append(Diagnostic(row[0].no, f"not a header line: {row[1][:60]}"))
    if run:
        out.extend(_read_block(run, diagnostics))
    return out


def _read_block(rows: list[Row], diagnostics: list[Diagnostic]) -> list[ReadRow]:
    """Each row's values, read with as few grammar calls as can be: the whole block in one
    call (a call costs more than a line's tokens); where a line is refused, the lines before it
    in one call, that line alone (a diagnostic when it is not a header line), and the rest again."""
    out: list[ReadRow] = []
    start = 0
    while start < len(rows):
        chunk = rows[start:]
        read, bad = _try_block(chunk)
        if read is not None:
            out.extend(read)
            break
        if bad is None:  # refused, but not at a line that can be told: line by line
            for row in chunk:
                out.extend(_read_one(row, diagnostics))
            break
        if bad:
            before, _ = _try_block(chunk[:bad])
            if before is None:
                before = [r for row in chunk[:bad] for r in _read_one(row, diagnostics)]
            out.extend(before)
        out.extend(_read_one(chunk[bad], diagnostics))
        start += bad + 1
    return out


def _try_block(rows: list[Row]) -> tuple[list[ReadRow] | None, int | None]:
    """(values of every row, None), or (None, index of the row the grammar refused, or None
    when that cannot be told)."""
    try:
        values = _READER.read(fast("header").parse("\n".join(text for _, text in rows)))
    except UnexpectedInput as err:
        bad = err.line - 1 if isinstance(err.line, int) and 0 < err.line <= len(rows) else None
        return None, bad
    except LarkError:
        return None, None
    return [(line, text, v) for (line, text), v in zip(rows, values, strict=True)], None


def _read_one(row: Row, diagnostics: list[Diagnostic]) -> list[ReadRow]:
    read, _ = _try_block([row])
    if read is None:
        diagnostics.append(Diagnostic(row[0].no, f"not a header line: {row[1][:60]}"))
        return []
    return read


def _store(record: HeaderRecord, line: Line, text: str, values: dict[str, Any]) -> list[Diagnostic]:
    """Put one line's values into the record; diagnostics for a repeated field and for a time
    or uptime that cannot be read."""
    out: list[Diagnostic] = []
    for key, value in values.items():
        if key == "message":
            record.messages.append(Line(line.no, text))
        elif key == "validation_row":
            record.symbol_path_validation.append(ValidationRow(*value, line=line.no))
        elif key == "modload":
            record.modules.append(ModLoad(*value, line=line.no))
        elif getattr(record, key) is not None:
            out.append(Diagnostic(line.no, f"{key} given again; the first is kept: {text[:60]}"))
        else:
            setattr(record, key, value)
            out.extend(_finish(value, line.no, text))
    return out


def _finish(value: Any, no: int, text: str) -> list[Diagnostic]:
    """Fill in what a field's own line adds (its text and line number); a diagnostic when a
    time or an uptime cannot be read."""
    if isinstance(value, OsVersion | Connection):
        value.text, value.line = text, no
        return _finish(value.time, no, text) if isinstance(value, Connection) else []
    if isinstance(value, HeaderBugcheck):
        value.line = no
    elif isinstance(value, Moment) and value.iso is None:
        return [Diagnostic(no, f"time not read (cut or unknown form): {value.text[:60]}")]
    elif isinstance(value, Uptime) and value.seconds is None and value.text != "not available":
        return [Diagnostic(no, f"uptime not read: {value.text[:60]}")]
    return []


def iso_time(text: str) -> str | None:
    """``Thu Oct  1 14:13:42.872 2026 (UTC - 5:00)`` -> ``"2026-10-01T14:13:42.872-05:00"``;
    ``(GMT-3)`` -> ``-03:00``; no offset when none is printed; None when the text is not such
    a time (cut, or a date that does not exist). The grammar's TIME checks the shape; this
    reads the parts."""
    parts = text.split()
    if len(parts) < 5 or parts[1] not in _MONTHS or len(parts[4]) != 4:
        return None
    hms, _, fraction = parts[3].partition(".")
    try:
        hour, minute, second = (int(p) for p in hms.split(":"))
        year, month, day = int(parts[4]), _MONTHS.index(parts[1]) + 1, int(parts[2])
        datetime(year, month, day, hour, minute, second)
    except (ValueError, OverflowError):
        return None
    offset = _offset("".join(parts[5:]))
    if offset is None:
        return None
    frac = f".{fraction}" if fraction else ""
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}{offset}"


def _offset(zone: str) -> str | None:
    """``(UTC-5:00)`` -> ``-05:00``, ``(GMT+9)`` -> ``+09:00``, ``(UTC)`` -> ``+00:00``, no zone
    -> ``""``; None when it is not such a zone."""
    if not zone:
        return ""
    if zone[:4] not in ("(UTC", "(GMT") or not zone.endswith(")"):
        return None
    body = zone[4:-1]
    if not body:
        return "+00:00"
    hours, _, minutes = body[1:].partition(":")
    if body[0] not in "+-" or not hours.isdigit() or not (minutes or "0").isdigit():
        return None
    if int(hours) > 14 or int(minutes or 0) > 59:
        return None
    return f"{body[0]}{int(hours):02d}:{int(minutes or 0):02d}"


def uptime_seconds(text: str) -> float | None:
    """``0 days 0:04:08.827`` -> 248.827; None for ``not available`` and anything unreadable."""
    parts = text.split()
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in ("day", "days"):
        return None
    hms, _, fraction = parts[2].partition(".")
    try:
        hour, minute, second = (int(p) for p in hms.split(":"))
        millis = round(float(f"0.{fraction or 0}") * 1000)
    except ValueError:
        return None
    total_ms = ((int(parts[0]) * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis
    return total_ms / 1000
