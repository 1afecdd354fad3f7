"""`!thread` output: the thread's header fields, wait objects, IRPs and its stack.

Record (`ThreadRecord`): ``threads`` (one `ThreadInfo` per ``THREAD`` line; ``!thread`` prints
one, a list so that ``!process`` can reuse it), ``errors`` (debugger errors printed before the
first thread, such as ``GetPointerFromAddress: unable to read from 833a5850``, as
``{line, text}``) and ``notes`` (other remarks before it).

A `ThreadInfo` holds, from the ``THREAD`` line: ``address``, ``cid`` (``"0c58.4a1c"`` as
printed) split into ``process_id`` and ``thread_id`` (``"0x…"``), ``teb``, ``win32thread``,
``state`` (the rest of the line: ``RUNNING on processor 2``, ``WAIT: (Executive) KernelMode
Non-Alertable``), ``processor`` (the number after ``on processor``), ``wait_reason``
(``Executive``), ``wait_mode`` (``KernelMode``) and ``alertable`` (bool) of a waiting thread;
``wait_objects`` (the ``address  kind`` lines under a waiting thread: ``{address, kind, line}``,
kind such as ``NotificationEvent`` or ``Semaphore Limit 0x7fffffff``); ``irps`` (the ``IRP
List:`` entries: ``{address, type, size, flags, mdl, line}``, hex); ``owning_process`` and
``image``, ``attached_process`` and ``attached_image`` (None for ``N/A``); ``fields`` with every
``Name value`` and ``Name: value`` pair as printed (``DeviceMap``, ``Wait Start TickCount``,
``Ticks``, ``Context Switch Count``, ``IdealProcessor``, ``UserTime``, ``KernelTime``, ``Win32
Start Address``, ``Stack Init``, ``Current``, ``Base``, ``Limit``, ``Call``, ``Priority``,
``BasePriority``, …; a name seen before on another line is prefixed with the first name of its
own line, so the attached process's image is ``Attached Process Image``); ``notes`` (``Not
impersonating``, ``Kernel stack not resident.``, flags such as ``NoStackSwap``); ``errors``
(debugger errors printed inside the thread's output, ``{line, text}``); ``frames`` (the stack
under the thread, read by `crashsift.parsers.stack`, complete with kv annotations); ``line``
(the ``THREAD`` line).

The header lines are read with the ``thread.lark`` grammar: with the grammar's own terminals,
tried in the order lark's contextual lexer tries them in each parser state (the states' terminals
asked of lark's parse table), because lark's cost is per token and these lines are mostly runs
of ``Name value`` pairs (a test checks that both read every corpus line alike); a line that
reading cannot take (one the grammar refuses) goes to lark, all such lines in one call (line by
line when that fails). The stack lines (from the stack header or the first
frame line to the next ``THREAD``/``PROCESS`` line) go to the stack parser. `read` is shared
with the ``!process`` parser, which supplies how process sections are built (`ProcessHooks`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from lark import Lark, Token, Tree
from lark.exceptions import LarkError

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Frame, Line, Parsed
from crashsift.parsers import stack
from crashsift.parsers.grammar import fast, load


@dataclass(slots=True)
class WaitObject:
    address: str | None
    kind: str
    line: int


@dataclass(slots=True)
class ThreadIrp:
    address: str | None
    type: str | None = None
    size: str | None = None
    flags: str | None = None
    mdl: str | None = None
    line: int | None = None


@dataclass(slots=True)
class ThreadInfo:
    address: str | None = None
    cid: str | None = None
    process_id: str | None = None
    thread_id: str | None = None
    teb: str | None = None
    win32thread: str | None = None
    state: str | None = None
    processor: int | None = None
    wait_reason: str | None = None
    wait_mode: str | None = None
    alertable: bool | None = None
    wait_objects: list[WaitObject] = field(default_factory=list)
    irps: list[ThreadIrp] = field(default_factory=list)
    owning_process: str | None = None
    image: str | None = None
    attached_process: str | None = None
    attached_image: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    errors: list[Line] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class ThreadRecord:
    threads: list[ThreadInfo] = field(default_factory=list)
    errors: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ProcessHooks:
    """How `read` builds the process sections of `!process` output: `new(line, address)` makes
    one (it must have ``threads``, ``fields``, ``notes`` and ``errors``), `store(section, first,
    name, value)` stores a pair read on a line whose first name is `first`."""

    new: Callable[[int, str | None], Any]
    store: Callable[[Any, str, str, str], None]


@dataclass(slots=True)
class Reading:
    """What `read` found: threads outside any process section, the process sections, and the
    errors and notes printed before the first section."""

    threads: list[ThreadInfo] = field(default_factory=list)
    processes: list[Any] = field(default_factory=list)
    errors: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


# One header line read by the grammar: (what, values)
Item = tuple[str, tuple[Any, ...]]

_HEADS = ("THREAD ", "PROCESS ")
_ELISION = re.compile(r"(?:\.{3,}|…|<snip.*>|\[(?:\.\.\.|…)\])")
# The command itself echoed on a line of its own (pasted without its prompt)
_ECHO = re.compile(r"!(?:thread|process)\b.*")
_PROCESSOR = re.compile(r"\bon processor (?:0x)?([0-9a-fA-F]+)\b")
_WAIT = re.compile(r"WAIT:\s*\((\w+)\)\s+(\w+)(?:\s+(Non-Alertable|Alertable))?")
_CID = re.compile(r"([0-9a-fA-F]+)\.([0-9a-fA-F]+)")
# Names of the THREAD line and header whose value is an address (stored as "0x…")
_HEX_NAMES = {"Teb": "teb", "Win32Thread": "win32thread", "Owning Process": "owning_process"}


def parse(lines: list[Line]) -> Parsed[ThreadRecord]:
    """One `!thread` block (the prompt excluded, the stack included); never raises."""
    reading = read(lines, None)
    record = ThreadRecord(threads=reading.threads, errors=reading.errors, notes=reading.notes)
    return Parsed(record, reading.diagnostics)


def read(lines: list[Line], hooks: ProcessHooks | None) -> Reading:
    """Read thread (and, with `hooks`, process) sections in order. Without hooks, process
    lines are not this family's output and become diagnostics."""
    pieces = _split(lines)
    items = _read_items([(line, text) for line, text, kind in pieces if kind == "item"])
    builder = _Builder(hooks)
    for line, text, kind in pieces:
        if kind == "stack":
            builder.stack_line(line)
        elif kind == "echo":
            builder.reading.notes.append(text)
        elif kind == "elision":
            builder.reading.diagnostics.append(Diagnostic(line.no, f"output elided by the paster: {text}"))
        else:
            builder.item(line, items.get(line.no))
    builder.close_thread()
    builder.reading.diagnostics.sort(key=lambda d: d.line or 0)
    return builder.reading


def _split(lines: list[Line]) -> list[tuple[Line, str, str]]:
    """Non-blank lines with their stripped text and what they are: `stack` (from a stack header
    or a frame line to the next THREAD or PROCESS line), `echo` (the command), `elision` (the
    paster's `...`), or `item` (a header line)."""
    pieces: list[tuple[Line, str, str]] = []
    in_stack = False
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        if text.startswith(_HEADS):
            in_stack = False
        elif not in_stack:
            in_stack = stack.is_stack_header(text) or stack.is_frame_line(text)
        if in_stack:
            kind = "stack"
        elif _ECHO.fullmatch(text):
            kind = "echo"
        elif _ELISION.fullmatch(text):
            kind = "elision"
        else:
            kind = "item"
        pieces.append((line, text, kind))
    return pieces


def _read_items(lines: list[tuple[Line, str]]) -> dict[int, Item | None]:
    """Each header line's item by line number (None when the grammar refuses it), from the
    lines and their stripped texts: the lines that their first tokens decide (`_classify`)
    without lark, the others in one grammar call, or one call per line when that fails."""
    items: dict[int, Item | None] = {}
    rest: list[Line] = []
    for line, text in lines:
        item = _classify(text)
        if item is None:
            rest.append(line)
        else:
            items[line.no] = item
    if not rest:
        return items
    parser = fast("thread")
    try:
        trees = parser.parse("".join(f"{line.text.strip()}\n" for line in rest)).children
        items.update((line.no, _item(tree)) for line, tree in zip(rest, trees, strict=True))
        return items
    except (LarkError, ValueError):
        pass
    for line in rest:
        try:
            items[line.no] = _item(parser.parse(f"{line.text.strip()}\n").children[0])
        except LarkError:
            items[line.no] = None
    return items


@dataclass(frozen=True, slots=True)
class _Lexer:
    """The terminals of grammars/thread.lark as lark's contextual lexer tries them, one regex
    per parser state that matters here (a group per terminal, in lark's order, WS_INLINE
    included as lark includes the ignored terminals): `start` for the first token of a line,
    `after_name` after a NAME or KEY, `after_pair` after a VALUE or IMAGE (LALR merges these
    states of every kind of line, so a token the line's rule cannot take is found there and
    the line is left to lark); `heads`: for a line starting with THREAD, PROCESS or IRP_ADDR,
    the regex for its second token and the one for the token after that. And the REST
    terminal alone. `start_unless_error` is `start` without ERROR, for a line where
    `error_phrase` (ERROR's phrases, one of which it needs: what precedes them is any text, and
    the line is stripped) finds none: ERROR's lazy scan of the line costs more than the search."""

    start: re.Pattern[str]
    start_unless_error: re.Pattern[str]
    error_phrase: re.Pattern[str]
    after_name: re.Pattern[str]
    after_pair: re.Pattern[str]
    heads: dict[str, tuple[re.Pattern[str], re.Pattern[str]]]
    rest: re.Pattern[str]


@cache
def _line_lexer() -> _Lexer:
    """The `_Lexer` of grammars/thread.lark; the terminals each state accepts are asked of the
    grammar's own parse table (lark's interactive parser fed a sample token sequence)."""
    grammar = load("thread")
    terminals = sorted(
        grammar.terminals, key=lambda t: (-t.priority, -t.pattern.max_width, -len(t.pattern.value), t.name)
    )
    ignored = set(grammar.lexer_conf.ignore)

    def scanner(accepted: set[str]) -> re.Pattern[str]:
        wanted = accepted | ignored
        return re.compile(
            "|".join(f"(?P<{t.name}>{t.pattern.to_regexp()})" for t in terminals if t.name in wanted)
        )

    def after(*kinds: str) -> re.Pattern[str]:
        state = grammar.parse_interactive("")
        for kind in kinds:
            state.feed_token(Token(kind, ""))
        return scanner(set(state.choices()))

    by_name = {t.name: t.pattern.to_regexp() for t in terminals}
    firsts = _first_terminals(grammar, "line")
    lead, tail = "(?:\\S[^\n]*?)?", "[^\n]*"  # what ERROR allows around its phrases (lark's regex)
    error = by_name["ERROR"]
    assert error.startswith(lead) and error.endswith(tail), error
    return _Lexer(
        start=scanner(firsts),
        start_unless_error=scanner(firsts - {"ERROR"}),
        error_phrase=re.compile(error[len(lead) : -len(tail)]),
        after_name=after("NAME"),
        after_pair=after("NAME", "VALUE"),
        heads={
            "THREAD": (after("THREAD"), after("THREAD", "ADDR")),
            "PROCESS": (after("PROCESS"), after("PROCESS", "ADDR")),
            "IRP_ADDR": (after("IRP_ADDR"), after("IRP_ADDR", "TYPE_SIZE")),
        },
        rest=re.compile(by_name["REST"]),
    )


def _first_terminals(grammar: Lark, symbol: str) -> set[str]:
    """The terminals that can begin `symbol` (no rule of thread.lark starts with a symbol
    that can be empty)."""
    found: set[str] = set()
    seen: set[str] = set()
    todo = [symbol]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for rule in grammar.rules:
            if rule.origin.name == name and rule.expansion:
                first = rule.expansion[0]
                if first.is_term:
                    found.add(first.name)
                else:
                    todo.append(first.name)
    return found


def _classify(text: str) -> Item | None:
    """The item of a stripped line read with the grammar's own terminals, as lark's lexer and
    parser would read it: a whole-line error, banner or note, `IRP List:`, a wait object (ADDR
    and the rest of the line), a ``THREAD``, ``PROCESS`` or IRP line, or a field line (pairs,
    maybe flags). None for a line this reading cannot take: lark reads it (and refuses it, or
    reads what this reading does not know)."""
    line = f"{text}\n"
    lexer = _line_lexer()
    m = (lexer.start if lexer.error_phrase.search(line) else lexer.start_unless_error).match(line)
    if m is None:
        return None
    kind, token, end = m.lastgroup, m.group(), m.end()
    if kind in ("ERROR", "BANNER", "NOTE"):  # each runs to the end of the line
        return kind.lower(), (token.strip(),)
    if kind == "IRP_LIST":
        return ("irp_list", (token,)) if end == len(text) else None
    if kind == "ADDR":
        tail = lexer.rest.match(line, end)
        return ("wait_object", (token.strip(), tail.group().strip())) if tail else None
    if kind in lexer.heads:  # THREAD address, PROCESS address, `address: (type,size)`
        second_scanner, after = lexer.heads[kind]
        second = _token(line, end, second_scanner)
        read = None if second is None else _read_pairs(line, second.end(), after, lexer)
        if read is None or read[1] == "FLAGS" or (kind != "THREAD" and read[1] == "STATE"):
            return None
        pairs, last, state = read
        if kind == "THREAD":  # the state is None, as lark reads it, when the line ends in `_NL`
            return "thread_head", (second.group().strip(), pairs, state if last == "STATE" else None)
        if kind == "PROCESS":
            return "process_head", (second.group().strip(), pairs)
        return "irp", (token.strip()[:-1], second.group().strip()[1:-1], pairs)
    if kind in ("KEY", "NAME", "IMAGE"):
        read = _read_pairs(line, 0, lexer.start, lexer, m)
        if read is None or read[1] == "STATE":
            return None
        pairs, last, flags = read
        return "fields", (pairs, flags.split() if last == "FLAGS" else [])
    return None


def _token(line: str, pos: int, scanner: re.Pattern[str]) -> re.Match[str] | None:
    """The next token of `line` from `pos` that `scanner` reads, blanks lark ignores skipped."""
    m = scanner.match(line, pos)
    while m is not None and m.lastgroup == "WS_INLINE":
        m = scanner.match(line, m.end())
    return m


def _read_pairs(
    line: str, pos: int, scanner: re.Pattern[str], lexer: _Lexer, first: re.Match[str] | None = None
) -> tuple[list[tuple[str, str]], str, str] | None:
    """The pairs of `line` from `pos` on, the first token read with `scanner` (or `first`, that
    token already read): ``([(name, value)], how the line ends, its text)``, the end a `_NL`,
    or a FLAGS or STATE token (each takes the rest of the line; the grammar's `_NL` follows
    STATE). None when a token is none of these (lark would refuse the line)."""
    pairs: list[tuple[str, str]] = []
    m = first or _token(line, pos, scanner)
    while m is not None:
        kind, pos = m.lastgroup, m.end()
        if kind in ("NAME", "KEY"):
            value = _token(line, pos, lexer.after_name)
            if value is None:
                return None
            pairs.append((m.group().strip().rstrip(":"), value.group().strip()))
            pos, scanner = value.end(), lexer.after_pair
        elif kind == "IMAGE":
            pairs.append(("Image", m.group().strip()[len("Image:") :].strip()))
            scanner = lexer.after_pair
        elif kind in ("_NL", "FLAGS", "STATE"):
            return pairs, kind, m.group().strip()
        else:
            return None
        m = _token(line, pos, scanner)
    return None


def _item(tree: Tree) -> Item:
    """A parsed line -> (what, values); pairs are (name, value) as printed. Tokens carry the
    blanks before them (see the grammar): they are stripped here."""
    tokens: list[Token] = tree.children  # type: ignore[assignment]  # every rule holds tokens only
    texts = [t.strip() for t in tokens]
    kind = str(tree.data)
    if kind == "thread_head":
        state = texts[-1] if tokens[-1].type == "STATE" else None
        return kind, (texts[1], _pairs(tokens, texts, 2), state)
    if kind == "process_head":
        return kind, (texts[1], _pairs(tokens, texts, 2))
    if kind == "wait_object":
        return kind, (texts[0], texts[1])
    if kind == "irp":
        return kind, (texts[0][:-1], texts[1][1:-1], _pairs(tokens, texts, 2))
    if kind == "fields":
        flags = texts[-1].split() if tokens[-1].type == "FLAGS" else []
        return kind, (_pairs(tokens, texts, 0), flags)
    return kind, (texts[0],)


def _pairs(tokens: list[Token], texts: list[str], start: int) -> list[tuple[str, str]]:
    """(name, value) pairs from the NAME/KEY and VALUE tokens from `start` on (colon dropped)
    and IMAGE tokens (`Image:` and the rest of the line); STATE and FLAGS are not pairs."""
    pairs: list[tuple[str, str]] = []
    name: str | None = None
    for token, text in zip(tokens[start:], texts[start:], strict=True):
        kind = token.type
        if kind == "IMAGE":
            pairs.append(("Image", text[len("Image:") :].strip()))
        elif kind in ("NAME", "KEY"):
            name = text.rstrip(":")
        elif kind == "VALUE" and name is not None:
            pairs.append((name, text))
    return pairs


class _Builder:
    """Puts the items of a block, in order, into thread and process sections."""

    def __init__(self, hooks: ProcessHooks | None) -> None:
        self.hooks = hooks
        self.reading = Reading()
        self.process: Any = None
        self.thread: ThreadInfo | None = None
        self.stack_lines: list[Line] = []
        self.foreign = False  # inside a process section that this family does not read

    def stack_line(self, line: Line) -> None:
        if self.thread is None:
            self._new_thread(ThreadInfo(line=line.no))
            self._diagnose(line.no, "stack before any THREAD line")
        self.stack_lines.append(line)

    def item(self, line: Line, item: Item | None) -> None:
        text = line.text.strip()
        if item is None:
            self._diagnose(line.no, f"not {'!process' if self.hooks else '!thread'} output: {text[:80]}")
            return
        kind, values = item
        if kind == "thread_head":
            self._thread_head(line.no, *values)
        elif kind == "process_head":
            self._process_head(line.no, *values)
        elif self.foreign and self.thread is None:
            self._diagnose(line.no, f"process output in a !thread block: {text[:80]}")
        elif kind == "fields":
            self._fields(line.no, *values)
        elif kind == "wait_object":
            self._thread_part(
                line.no, "wait object", lambda t: t.wait_objects.append(_wait(line.no, *values))
            )
        elif kind == "irp":
            self._thread_part(line.no, "IRP", lambda t: t.irps.append(_irp(line.no, *values)))
        elif kind == "irp_list":
            self._thread_part(line.no, "IRP list", lambda t: None)
        elif kind == "error":
            self._section_errors().append(Line(line.no, values[0]))
        else:  # note, banner
            self._section_notes().append(values[0])

    def close_thread(self) -> None:
        """End the open thread: its stack lines become its frames."""
        if self.thread is not None and self.stack_lines:
            parsed = stack.parse(self.stack_lines)
            self.thread.frames = parsed.record.frames
            self.reading.diagnostics.extend(parsed.diagnostics)
        self.thread, self.stack_lines = None, []

    def _thread_head(self, no: int, address: str, pairs: list[tuple[str, str]], state: str | None) -> None:
        thread = ThreadInfo(address=hex_str(address), line=no)
        for name, value in pairs:
            _store(thread, name, name, value)
        if state is not None:
            _store_state(thread, state.strip())
        self._new_thread(thread)

    def _new_thread(self, thread: ThreadInfo) -> None:
        self.close_thread()
        self.thread = thread
        owner = self.reading.threads if self.process is None else self.process.threads
        owner.append(thread)

    def _process_head(self, no: int, address: str, pairs: list[tuple[str, str]]) -> None:
        self.close_thread()
        if self.hooks is None:
            self.foreign = True
            self._diagnose(no, f"process output in a !thread block: PROCESS {address}")
            return
        self.process = self.hooks.new(no, hex_str(address))
        self.reading.processes.append(self.process)
        for name, value in pairs:
            self.hooks.store(self.process, name, name, value)

    def _fields(self, no: int, pairs: list[tuple[str, str]], flags: list[str]) -> None:
        first = pairs[0][0]
        if self.thread is not None:
            for name, value in pairs:
                _store(self.thread, first, name, value)
        elif self.process is not None and self.hooks is not None:
            for name, value in pairs:
                self.hooks.store(self.process, first, name, value)
        else:
            self._new_thread(ThreadInfo(line=no))
            self._diagnose(no, "thread fields before any THREAD line")
            self._fields(no, pairs, [])
        self._section_notes().extend(flags)

    def _thread_part(self, no: int, what: str, add: Callable[[ThreadInfo], None]) -> None:
        if self.thread is None:
            self._diagnose(no, f"{what} outside a thread")
        else:
            add(self.thread)

    def _section(self) -> Any:
        return self.thread if self.thread is not None else self.process

    def _section_errors(self) -> list[Line]:
        section = self._section()
        return self.reading.errors if section is None else section.errors

    def _section_notes(self) -> list[str]:
        section = self._section()
        return self.reading.notes if section is None else section.notes

    def _diagnose(self, no: int, message: str) -> None:
        self.reading.diagnostics.append(Diagnostic(no, message))


def _store(thread: ThreadInfo, first: str, name: str, value: str) -> None:
    """One pair of a thread's output: in `fields` as printed, and in its typed attribute."""
    key = name if name not in thread.fields or name == first else f"{first} {name}"
    thread.fields[key] = value
    if name == "Cid":
        thread.cid = value
        found = _CID.fullmatch(value)
        if found:
            thread.process_id, thread.thread_id = hex_str(found.group(1)), hex_str(found.group(2))
    elif name in _HEX_NAMES:
        setattr(thread, _HEX_NAMES[name], hex_str(value))
    elif name == "Attached Process":
        thread.attached_process = hex_str(value)
    elif name == "Image" and first == "Attached Process":
        thread.attached_image = None if value == "N/A" else value
    elif name == "Image":
        thread.image = value


def _store_state(thread: ThreadInfo, state: str) -> None:
    """The thread state at the end of the THREAD line, and what it tells."""
    thread.state = state
    found = _PROCESSOR.search(state)
    if found:
        thread.processor = int(found.group(1), 16)
    wait = _WAIT.search(state)
    if wait:
        thread.wait_reason, thread.wait_mode = wait.group(1), wait.group(2)
        if wait.group(3):
            thread.alertable = wait.group(3) == "Alertable"


def _wait(no: int, address: str, kind: str) -> WaitObject:
    return WaitObject(address=hex_str(address), kind=kind, line=no)


def _irp(no: int, address: str, type_size: str, pairs: list[tuple[str, str]]) -> ThreadIrp:
    """An `IRP List:` entry: `ffffe001d429e580: (0006,02c8) Flags: 000008b4  Mdl: 00000000`."""
    kind, _, size = type_size.partition(",")
    values = dict(pairs)
    return ThreadIrp(
        address=hex_str(address),
        type=hex_str(kind),
        size=hex_str(size),
        flags=hex_str(values.get("Flags")),
        mdl=hex_str(values.get("Mdl")),
        line=no,
    )
