"""Read the output of `!analyze -v` (and of the short `!analyze` summary) into an `AnalyzeRecord`.

`parse(lines)` receives the lines of ONE analyze block (the prompt line excluded) with their
original line numbers, and never raises: whatever it cannot read becomes a `Diagnostic`.

Record schema
-------------
``AnalyzeRecord``
    ``banner``               "Bugcheck Analysis" | "Exception Analysis" | None (no title line)
    ``bugcheck_name``        "WHEA_UNCORRECTABLE_ERROR" (the name-and-code line), else None
    ``bugcheck_code``        "0x124": name line, else the summary "BugCheck 3B, {…}", else
                             BUGCHECK_CODE, else the Bugcheck.Code.* keys, else a "0x…"
                             BUGCHECK_STR (never from a bucket id)
    ``description``          text under the name line (or under the banner when the name line
                             is lost), lines joined with "\\n", common indentation removed
    ``args``                 `AnalyzeArg` per ArgN line (wrapped description lines appended with
                             "\\n"); without ArgN lines, BUGCHECK_P1..P4 or the summary's {…}
    ``fields``               every ``NAME: value`` field, raw: first-line value stripped, the
                             continuation lines joined with "\\n"; a repeated NAME is kept as
                             NAME#2, NAME#3 …; ``Followup:`` is kept as "Followup"
    ``key_values``           KEY_VALUES_STRING ``Key  :`` / ``Value:`` pairs (repeats: key#2 …)
    ``stack_lines``          the lines of the first STACK_TEXT (or of a stack standing alone
                             with its header lost), for `crashsift.parsers.stack.parse`
    ``context_lines``        register dump lines of CONTEXT / TRAP_FRAME (echoed dot-commands,
                             NOTE lines and "Resetting default scope" left out)
    ``faulting_instruction`` disassembly line of FAULTING_IP, else the one standing alone in the
                             Debugging Details, else the one of IP_IN_PAGED_CODE, else the last
                             one of the CONTEXT / TRAP_FRAME dump (less its "ds:…=…" note)
    ``exception_code``       "0xc0000005": the `.exr -1` code of a "don't match" line (what was
                             raised), EXCEPTION_CODE, EXCEPTION_CODE_STR, ExceptionCode in
                             EXCEPTION_RECORD, ERROR_CODE, Failure.Exception.Code,
                             FAILURE_EXCEPTION_CODE
    ``exception_address``    "0x…" from ExceptionAddress (else Failure.Exception.IP.Address)
    ``probably_caused_by``   "fltmgr.sys ( fltmgr!TreeUnlinkMulti+51 )"
    ``summary``              True for the short summary (BugCheck/Probably caused by) with no
                             name line, ArgN lines or Debugging Details
``AnalyzeArg``
    ``value`` ("0x…"), ``description``, ``line`` (original line number)

How a block is read
-------------------
1. Each line is classified cheaply (first character, at most two regexes): blank, banner,
   silent noise (symbol loading, separators), debugger message (a diagnostic), elision,
   structural, text.
2. The structural lines (name-and-code, ``Arguments:``, ``ArgN:``, ``Debugging Details:``,
   ``NAME: value``, ``Key :`` / ``Value:``, summary lines, ``Followup:``) are read with the lark
   grammar ``grammars/analyze.lark``. A line that is ONE whole-line token of the grammar
   (``NAME: value``, ``Key :``, ``Value:``, ``Followup:``, ``Arguments:``, ``Debugging
   Details:``; three structural lines in four) is matched with that terminal's own regex while
   it is classified: the LALR parser would only wrap the token. So is a line that a rule made
   of a fixed sequence of terminals takes whole (``ArgN:``, name-and-code), with those
   terminals' regexes joined by the blanks the grammar ignores. The others (summary lines, a
   name split from its code), each distinct line once, go to lark in ONE call per block
   (lark's cost is per call and per token); a line the batch cannot take is retried alone.
3. A small state machine (head, arguments, details, tail) decides where each text line belongs:
   description, an argument's wrapped description, the open field's value, a stack standing
   alone, or a disassembly line standing alone. A field takes the lines that follow it; after a
   blank line only a header still waiting for its value (``STACK_TEXT:``, ``FAULTING_IP:``) or a
   stack goes on. Lines after ``Followup:`` are not analysis output (one diagnostic).
4. The derived values (codes, faulting instruction, exception) are computed from the fields.

Debugger messages (``*** WARNING``, ``ERROR:``, ``PEB is paged out``, ``TRIAGER:`` …) become
diagnostics, once each; symbol-loading lines, ``SYMSRV`` tracing and help boxes are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple, TypeAlias

from lark import Lark, Tree
from lark.exceptions import LarkError

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers import disasm, registers
from crashsift.parsers.disasm import Instruction
from crashsift.parsers.grammar import load
from crashsift.parsers.registers import RegistersRecord

__all__ = ["AnalyzeArg", "AnalyzeRecord", "is_analyze_start", "parse"]


@dataclass(slots=True)
class AnalyzeArg:
    """One bug check argument: ``Arg1: 0000000000000010, Device Driver Error``."""

    value: str
    description: str
    line: int


@dataclass(slots=True)
class AnalyzeRecord:
    """What one `!analyze` block says; see the module docstring for every field."""

    banner: str | None = None
    bugcheck_name: str | None = None
    bugcheck_code: str | None = None
    description: str = ""
    args: list[AnalyzeArg] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    key_values: dict[str, str] = field(default_factory=dict)
    stack_lines: list[Line] = field(default_factory=list)
    context_lines: list[Line] = field(default_factory=list)
    faulting_instruction: str | None = None
    exception_code: str | None = None
    exception_address: str | None = None
    probably_caused_by: str | None = None
    summary: bool = False
    context: RegistersRecord | None = None
    instruction: Instruction | None = None


# --------------------------------------------------------------------------- line classes

BLANK, BANNER, TITLE, NOISE, MESSAGE, SYMNOISE, ELISION, MISMATCH, STRUCT, TEXT = range(10)

# Lines the grammar takes; the alternatives mirror grammars/analyze.lark so a batch rarely fails.
# They are disjoint (after its capitals `name` wants a colon or the end, the name-and-code line
# a parenthesis, the others start with a capital and a small letter): `NAME:` goes first.
_STRUCT_RE = re.compile(
    r"""(?:
      (?P<name>[A-Z][A-Z0-9_]+)\s*(?::|$)
    | Arg\d+\s*:\s*[0-9a-fA-F`]+\s*(?:,.*)?$
    | Arguments\s*:\s*$
    | \#*\s*Debugging\ Details\s*:\s*$
    | Key\s*:
    | Value\s*:
    | BugCheck\s+[0-9a-fA-F]+\s*,?\s*\{[\s0-9a-fA-F,]*\}?\s*$
    | Probably\ caused\ by\s*:
    | Use\ !analyze\ -v\b
    | Followup\s*:
    | (?:[A-Z][A-Z0-9_]+|Unknown\ bugcheck\ code)\s*\(\s*[0-9a-fA-F]+\s*\)\s*$
    | \(\s*[0-9a-fA-F]+\s*\)\s*$
    )""",
    re.X,
)
# The class of a `NAME:` line whose NAME is not an analysis field (any other NAME: STRUCT):
# debugger chatter is a MESSAGE; `!sym noisy` tracing and KD connection chatter is SYMNOISE
# (silent, and it swallows its indented lines); `NOTE:` belongs to the .trap output inside
# TRAP_FRAME, so TEXT.
_NAME_KINDS = (
    dict.fromkeys(("WARNING", "ERROR", "TRIAGER", "HEAPEXT", "NTSD"), MESSAGE)
    | dict.fromkeys(("SYMSRV", "DBGHELP", "DBGENG", "KDTARGET", "KD"), SYMNOISE)
    | {"NOTE": TEXT}
)

_NOISE_PREFIXES = (
    "Loading Kernel Symbols",
    "Loading User Symbols",
    "Loading unloaded module list",
    "Loading Wow64 Symbols",
    "Reloading current modules",
    "Connected to ",
    "Resetting default scope",
    "Resetting default context",
    "Press ctrl-c",
    "Run !sym noisy",
    "For analysis of this file, run !analyze -v",
)
_MESSAGE_PREFIXES = (
    "GetContextState failed",
    "Unable to ",
    "Cannot ",
    "Failed to ",
    "No flat address",
    "CS descriptor lookup failed",
    "Debugger SolutionDb",
    "Implicit thread is now",
)
_TITLES = {"bugcheck analysis": "Bugcheck Analysis", "exception analysis": "Exception Analysis"}
_ELISIONS = ("<snip", "[...]", "[…]", "…")
_MISMATCH_RE = re.compile(
    r"DEBUG_FLR_EXCEPTION_CODE\(([0-9a-fA-F]+)\).*ExceptionCode\(([0-9a-fA-F]+)\)\s*don't match"
)
_DISASM_RE = re.compile(
    r"[0-9a-fA-F]{8}(?:`[0-9a-fA-F]{8})?\s+(?:[0-9a-fA-F]{2})+\s+(?![0-9a-fA-F]{8}\b)[a-z]{2,}"
)
_FRAME_RE = re.compile(r"[0-9a-fA-F]{8}(?:`[0-9a-fA-F]{8})?\s+[0-9a-fA-F]{8}(?:`[0-9a-fA-F]{8})?\s")


# A structural line as the grammar read it: (rule name, token texts). A plain tuple, not a
# NamedTuple: one is made per structural line, and a plain tuple costs a third as much.
_Shape: TypeAlias = tuple[str, tuple[str, ...]]


class _Item(NamedTuple):
    """One classified line: its class, the stripped text, the indentation width and, for a
    structural line, its shape (None until the grammar has read it, or when it refused it)."""

    kind: int
    line: Line
    text: str
    indent: int
    shape: _Shape | None = None


def _classify_star(s: str) -> int:
    """A line starting with '*' or '•': banner row, title, box line or debugger message."""
    core = s.strip("*•` \t")
    if not core:
        return BANNER
    if core.lower() in _TITLES:
        return TITLE
    if s.endswith("*"):
        return NOISE  # a line of a "***  …  ***" help box
    return MESSAGE  # *** WARNING / *** ERROR / ***** OS symbols are WRONG …


def _classify_dots(s: str, prev_kind: int) -> int:
    """Symbol-loading dots are noise (with a message glued on, a message); a short run of dots
    alone is the paster's elision; ``.trap …`` and ``... : nt!F ...`` are text."""
    body = s.lstrip(".")
    if not body.strip(" ."):
        return NOISE if (prev_kind == NOISE or len(s) >= 7) else ELISION
    if s[1:2].isalpha() or body[0] in " \t":
        return TEXT
    return MESSAGE if ("dbgerr" in body or body.startswith("*")) else NOISE


# The grammar's whole-line terminals and the shape each stands for. A line such a terminal
# matches is that ONE token (most structural lines are): the LALR parser would only wrap it,
# so its shape is read with the terminal's own regex, taken from the grammar.
_WHOLE_LINE_KIND = {
    "FIELD_LINE": "field",
    "KEY_LINE": "key",
    "VALUE_LINE": "value",
    "FOLLOWUP_LINE": "followup",
    "ARGUMENTS_LINE": "arguments",
    "DETAILS_LINE": "details",
}


@cache
def _whole_line_re() -> re.Pattern[str]:
    """The whole-line terminals of grammars/analyze.lark as one regex, a group per terminal."""
    parser = load("analyze")
    return re.compile(
        "|".join(f"(?P<{name}>{parser.get_terminal(name).pattern.to_regexp()})" for name in _WHOLE_LINE_KIND)
    )


def _grammar_text(text: str) -> str:
    """A structural line as the grammar is given it: one line, ending in a newline."""
    return text.replace("\n", " ") + "\n"


def _classify_upper(s: str, line: str) -> tuple[int, _Shape | None]:
    """A line starting with a capital, '#' or '(' that no whole-line terminal of the grammar
    took (`_classify` tries those first, see there): structural, noise, a message or text.

    `line` is `s` as the grammar is given it. A structural line one fixed-sequence rule takes
    whole (``ArgN:``, name-and-code) comes with its shape; the other structural lines get
    theirs from `_parse_shapes` later.
    """
    m = _STRUCT_RE.match(s)
    if m:
        name = m.group("name")
        kind = STRUCT if name is None else _NAME_KINDS.get(name, STRUCT)
        return kind, (_sequence_shape(line) if kind == STRUCT else None)
    if s.startswith(_NOISE_PREFIXES):
        return NOISE, None
    if s.startswith("DEBUG_FLR_EXCEPTION_CODE("):
        return MISMATCH, None
    if s.startswith(_MESSAGE_PREFIXES) or '".hh dbgerr' in s:
        return MESSAGE, None
    return TEXT, None


def _classify(lines: Sequence[Line]) -> tuple[list[_Item], list[int]]:
    """Classify every line (cheap: first character, then at most two regexes).

    Returns the items and the indexes of the structural lines still waiting for the parser:
    a line that is one whole-line terminal of the grammar gets its shape here already.
    """
    items: list[_Item] = []
    pending: list[int] = []
    append = items.append
    whole = _whole_line_re().fullmatch
    prev = BLANK
    for ln in lines:
        if type(ln) is not Line:  # a plain (no, text) pair is taken too
            ln = Line(*ln)
        raw = ln.text
        lead = raw.lstrip()
        if not lead:
            append(tuple.__new__(_Item, (BLANK, ln, "", 0, None)))
            continue
        s = lead.rstrip()
        c = s[0]
        if c == "`":  # inline-code damage "`*****…", or a markdown fence left by repair
            s = s.lstrip("`").strip()
            c = s[:1]
            if s.isalnum() and lead.startswith("```"):
                c = ""  # a markdown fence such as ```text: noise below
        shape = None
        if c.isalpha() and not c.isupper():
            kind = TEXT
        elif c.isalpha() or c == "#" or c == "(":
            # Most of these lines are one whole-line token of the grammar (``NAME: value``,
            # ``Key :`` …): its terminal's regex reads it, and gives its shape. Each such
            # terminal is narrower than the `_STRUCT_RE` alternative for its line, so trying
            # them first saves a regex on the frequent lines and changes no class. Inline:
            # three lines in five take this path.
            line = s + "\n" if "\n" not in s else _grammar_text(s)
            m = whole(line)
            kind = -1
            if m is not None:  # NAME: value split at its colon; the label dropped for the others
                label, _, value = line.partition(":")
                terminal = m.lastgroup
                if terminal != "FIELD_LINE":
                    kind, shape = STRUCT, (_WHOLE_LINE_KIND[terminal or ""], (value.strip(),))
                elif len(name := label.rstrip()) > 1:  # a one-letter NAME: left to _STRUCT_RE
                    kind = _NAME_KINDS.get(name, STRUCT)
                    if kind == STRUCT:
                        shape = ("field", (name, value.strip()))
            if kind < 0:
                kind, shape = _classify_upper(s, line)
        elif c == "*" or c == "•":
            kind = _classify_star(s)
        elif c == ".":
            kind = _classify_dots(s, prev)
        elif not c or (c == "-" and not s.strip("- ")):
            kind = NOISE  # a fence; a "------------------" underline, "---------" after Followup
        elif s.startswith(_ELISIONS):
            kind = ELISION
        else:
            kind = TEXT
        if kind == STRUCT and shape is None:
            pending.append(len(items))
        # tuple.__new__ builds the same _Item as _Item(…) at half the cost (NamedTuple's own
        # __new__ is a Python function), and this runs once per line
        append(tuple.__new__(_Item, (kind, ln, s, len(raw) - len(lead), shape)))
        prev = kind
    return items, pending


# --------------------------------------------------------------------------- grammar


def _token_text(kind: str, text: str) -> str:
    """A token's useful text: an ``Arg1:`` label less its colon, a ``(code)`` less its
    parentheses, an argument's description less its comma, any other token stripped."""
    if kind == "ARG_LABEL":
        return text.rstrip(": \t")
    if kind == "CODE":
        return text.strip("() \t")
    if kind == "ARG_REST":
        return text.strip().removeprefix(",").strip()
    return text.strip()


# Rules of the grammar that are a fixed sequence of terminals (ArgN lines, name-and-code
# lines): a line such a rule takes is read with its terminals' own regexes, taken from the
# grammar and joined by the blanks the grammar ignores, so lark gets only the other lines.
# Alternatives at one position are joined with "|" and read alike; "_" terminals are dropped
# from the shape as lark drops them from the tree.
_SEQUENCE_RULES = {
    "arg": ("ARG_LABEL", "ARG_VALUE", "ARG_REST"),
    "name_code": ("NAME|UNKNOWN_CODE", "CODE", "_NL"),
}


@cache
def _sequence_re() -> tuple[re.Pattern[str], dict[str, tuple[tuple[str, str], ...]]]:
    """The fixed-sequence rules as one regex (a group per rule, a group per kept position),
    and per rule the (group, terminal) of each kept position.

    Matching is as strict as lark's: no terminal of a rule can end where the next one starts
    (a shorter hex value or name leaves a character the next terminal cannot begin with), so
    backtracking finds no reading the lexer would not.
    """
    parser = load("analyze")

    def terminal(names: str) -> str:
        return "|".join(parser.get_terminal(name).pattern.to_regexp() for name in names.split("|"))

    blanks = f"(?:{terminal('WS_INLINE')})?"
    rules = []
    kept: dict[str, tuple[tuple[str, str], ...]] = {}
    for rule, positions in _SEQUENCE_RULES.items():
        parts = [
            f"(?:{terminal(names)})" if names.startswith("_") else f"(?P<{rule}_{i}>{terminal(names)})"
            for i, names in enumerate(positions)
        ]
        rules.append(f"(?P<{rule}>{blanks.join(parts)})")
        kept[rule] = tuple(
            (f"{rule}_{i}", names.split("|")[0])
            for i, names in enumerate(positions)
            if not names.startswith("_")
        )
    return re.compile("|".join(rules)), kept


def _sequence_shape(text: str) -> _Shape | None:
    """The shape of a line one fixed-sequence rule takes whole, else None (left to lark)."""
    regex, kept = _sequence_re()
    m = regex.fullmatch(text)
    if m is None:
        return None
    rule = str(m.lastgroup)
    return rule, tuple([_token_text(kind, m.group(group)) for group, kind in kept[rule]])


def _shapes_of(children: Iterable[Tree]) -> list[_Shape]:
    """The children of `start` as shapes: one subtree per line (no whole-line token, nor a
    line a fixed-sequence rule takes whole, is sent to the parser: `_classify` reads
    those lines)."""
    return [(str(c.data), tuple(_token_text(tok.type, tok) for tok in c.children)) for c in children]


def _parse_shapes(texts: list[str]) -> list[_Shape | None]:
    """Grammar shapes of the structural lines that need the parser, each distinct line once,
    in ONE lark call (lark's cost is per call and per token).

    A line the batch cannot take (the pre-check let through something the grammar refuses)
    is retried alone and comes back None. Nothing is kept between calls, so throughput
    figures measure parsing, not a cache warmed by repeated input.
    """
    todo = list(dict.fromkeys(texts))
    if not todo:
        return []
    parser = load("analyze")
    try:
        tree = parser.parse("".join(map(_grammar_text, todo)))
        shapes: list[_Shape | None] = list(_shapes_of(tree.children))
    except LarkError:
        shapes = [_parse_one(parser, t) for t in todo]
    known = dict(zip(todo, shapes, strict=True))
    return [known[t] for t in texts]


def _parse_one(parser: Lark, text: str) -> _Shape | None:
    """One structural line alone (after a failed batch); None when the grammar refuses it."""
    try:
        return _shapes_of(parser.parse(_grammar_text(text)).children)[0]
    except (LarkError, IndexError):
        return None


# --------------------------------------------------------------------------- state machine


@dataclass(slots=True)
class _Open:
    """A field as read: name (None for stack lines whose header was lost), its lines."""

    name: str | None
    line: int
    indent: int
    first: str
    lines: list[Line] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        """A header such as ``STACK_TEXT:`` or ``FAULTING_IP:`` whose value has not come yet."""
        return not self.first and not self.lines

    @property
    def is_stack(self) -> bool:
        return self.name is None or self.name == "STACK_TEXT"

    def value(self) -> str:
        """The raw value: first-line text, then continuation lines less the field's indentation."""
        if not self.lines:
            return self.first
        rest = [_unindent(ln.text, self.indent) for ln in self.lines]
        return "\n".join([self.first, *rest] if self.first else rest)


_HEAD, _ARGS, _DETAILS, _TAIL = range(4)
_JOINED_MIN = 100  # a line at least this long, one number short of the next: a joined wrap


@dataclass(slots=True)
class _Found:
    """What the state machine collected, before the record's derived values are computed."""

    opened: list[_Open] = field(default_factory=list)
    description: list[_Item] = field(default_factory=list)
    name_code: str | None = None
    summary_code: str | None = None
    summary_args: list[AnalyzeArg] = field(default_factory=list)
    summary_seen: bool = False
    details_seen: bool = False
    standalone_disasm: str | None = None
    mismatch: str | None = None
    pairs: list[tuple[str, str]] = field(default_factory=list)  # KEY_VALUES_STRING pairs
    # the first field of each name (None: a stack without its header), made by _fill_fields
    first: dict[str | None, _Open] = field(default_factory=dict)


class _Reader:
    """The state machine over classified lines (head → arguments → details → tail)."""

    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self.rec = AnalyzeRecord()
        self.found = _Found()
        self.diags: list[Diagnostic] = []
        self.state = _HEAD
        self.current: _Open | None = None
        self.sink = False  # inside SYMSRV-style tracing, whose indented lines are swallowed
        self.arg_open = False
        self.key: tuple[str, int] | None = None
        self.tail: list[int] = []
        self.messages: set[str] = set()
        self.last = next((i for i in range(len(items) - 1, -1, -1) if items[i].kind != BLANK), -1)

    def read(self) -> None:
        """Walk the items once, filling `rec` (raw parts), `found` and `diags`."""
        blank = False
        prev: Line | None = None
        items = self.items
        for idx in range(self._skip_preamble(), len(items)):
            it = items[idx]
            kind = it.kind
            if kind == BLANK:
                blank = True
                continue
            line = it.line
            if not blank and prev is not None:
                # Segmentation leaves blank lines out: a gap in the line numbers is blank lines,
                # except a single missing number after a long line, more likely a wrapped line
                # that paste repair joined to `prev` (inline: a third of the lines have a gap)
                missing = line.no - prev.no - 1
                if missing:
                    blank = missing > 1 or (missing == 1 and len(prev.text) <= _JOINED_MIN)
            prev = line
            if self.state == _TAIL and kind != NOISE and kind != MESSAGE:
                self.tail.append(line.no)
                continue
            if not self.sink:  # the frequent lines first, without the dispatch
                cur = self.current
                if kind == TEXT and not blank and cur is not None:
                    # the next line of the open field (current is set only in the details);
                    # a stack takes any line but a disassembly line
                    if not cur.is_stack or not _DISASM_RE.match(it.text):
                        cur.lines.append(line)
                        continue
                elif it.shape is not None:
                    self._struct(idx, it, it.shape, blank)
                    blank = False
                    continue
            self._dispatch(idx, it, blank)
            if kind != NOISE and kind != MESSAGE:
                blank = False
        if self.key is not None:
            self._diag(self.key[1], f"Key without Value (paste cut?): {self.key[0]}")
            self.found.pairs.append((self.key[0], ""))
        if self.tail:
            self._diag(
                self.tail[0], f"{len(self.tail)} line(s) after the end of the !analyze output not read"
            )

    def _skip_preamble(self) -> int:
        """Lines before the banner title (symbol loading, 'Connected to …') are not analysis."""
        first = next((i for i, it in enumerate(self.items) if it.kind == TITLE), 0)
        skipped = []
        for it in self.items[:first]:
            if it.kind == MESSAGE:
                self._message(it)
            elif it.kind in (STRUCT, TEXT, ELISION, MISMATCH):
                skipped.append(it.line.no)
        if skipped:
            self._diag(skipped[0], f"{len(skipped)} line(s) before the analysis banner not read")
        return first

    def _dispatch(self, idx: int, it: _Item, blank: bool) -> None:
        kind = it.kind
        if self.sink:
            if kind == TEXT and not blank and it.indent > 0:
                return
            self.sink = False
        shape = it.shape
        if shape is not None:
            self._struct(idx, it, shape, blank)
        elif kind in (STRUCT, TEXT):  # a line the grammar refused is plain text
            self._text(it, blank)
        elif kind == TITLE:
            self._title(it)
        elif kind == MESSAGE:
            if self._in_stack(blank):
                self._attach(it)
            else:
                self._message(it)
        elif kind == SYMNOISE:
            self.sink = True
            self.current = None
        elif kind == ELISION:
            self._elision(it, blank)
        elif kind == MISMATCH:
            self._mismatch(it)

    # ---- line handlers

    def _title(self, it: _Item) -> None:
        if self.state != _HEAD or self.rec.banner is not None:
            self._diag(it.line.no, "a second analysis banner: the rest is another analysis, not read")
            self.state = _TAIL
        else:
            self.rec.banner = _TITLES[it.text.strip("*•` \t").lower()]

    def _struct(self, idx: int, it: _Item, shape: _Shape, blank: bool) -> None:
        k, parts = shape
        if k == "field":  # the frequent shapes first
            self._field(it, parts[0], parts[1] if len(parts) > 1 else "")
        elif k == "key" or k == "value":
            self._key_value(it, k, parts[0] if parts else "")
        elif k in ("name_code", "bare_name", "bare_code"):
            self._name_line(idx, it, shape, blank)
        elif k == "arguments":
            self._enter(_ARGS)
        elif k == "arg":
            self._arg(it, parts)
        elif k == "details":
            self.found.details_seen = True
            self._enter(_DETAILS)
        elif k == "bugcheck":
            self._bugcheck_summary(it, parts)
        elif k in ("caused_by", "use_v"):
            self.found.summary_seen = True
            if k == "caused_by":
                self.rec.probably_caused_by = parts[0] if parts else ""
        elif k == "followup":
            self._field(it, "Followup", parts[0] if parts else "")
            self.state = _TAIL

    def _enter(self, state: int) -> None:
        """Move forward to `state` (never back: a late 'Arguments:' does not reopen the head)."""
        if state > self.state:
            self.state = state
        self.current = None
        self.arg_open = False

    def _name_line(self, idx: int, it: _Item, shape: _Shape, blank: bool) -> None:
        """``NAME (code)``, or ``NAME`` and ``(code)`` split over two lines; else plain text."""
        k, parts = shape
        in_head = self.state == _HEAD and self.found.name_code is None and self.rec.bugcheck_name is None
        if k == "name_code":
            if in_head:
                self.rec.bugcheck_name = None if parts[0].startswith("Unknown") else parts[0]
                self.found.name_code = hex_str(parts[1])
            else:
                self._diag(it.line.no, "a second bug check header: the rest is another analysis, not read")
                self.state = _TAIL
            return
        if k == "bare_name" and idx == self.last:
            self._diag(it.line.no, f"paste cut at field name {it.text!r}")
        elif k == "bare_name" and in_head and self._next_shape(idx) == "bare_code":
            self.rec.bugcheck_name = parts[0]
        elif k == "bare_code" and self.state == _HEAD and self.rec.bugcheck_name and not self.found.name_code:
            self.found.name_code = hex_str(parts[0])
        else:
            self._text(it, blank)

    def _next_shape(self, idx: int) -> str | None:
        for j in range(idx + 1, len(self.items)):
            if self.items[j].kind != BLANK:
                shape = self.items[j].shape
                return shape[0] if shape else None
        return None

    def _arg(self, it: _Item, parts: tuple[str, ...]) -> None:
        if self.state == _DETAILS and self.rec.args:
            self._diag(it.line.no, f"argument line among the details not read: {it.text[:60]}")
            return
        self._enter(_ARGS)
        value = hex_str(parts[1]) or parts[1]
        self.rec.args.append(AnalyzeArg(value, parts[2] if len(parts) > 2 else "", it.line.no))
        self.arg_open = True

    def _field(self, it: _Item, name: str, value: str) -> None:
        self._enter(_DETAILS)
        self.current = _Open(name, it.line.no, it.indent, value)
        self.found.opened.append(self.current)

    def _key_value(self, it: _Item, kind: str, text: str) -> None:
        self._enter(_DETAILS)
        if kind == "key":
            if self.key is not None:
                self._diag(self.key[1], f"Key without Value: {self.key[0]}")
                self.found.pairs.append((self.key[0], ""))
            self.key = (text, it.line.no)
        elif self.key is None:
            self._diag(it.line.no, f"Value without Key: {text[:60]}")
        else:
            self.found.pairs.append((self.key[0], text))
            self.key = None

    def _bugcheck_summary(self, it: _Item, parts: tuple[str, ...]) -> None:
        self.found.summary_seen = True
        self.found.summary_code = hex_str(parts[0])
        self.found.summary_args = [AnalyzeArg(hex_str(p) or p, "", it.line.no) for p in parts[1:]]
        if len(parts) < 5:
            self._diag(it.line.no, "summary bug check line cut before its four arguments")

    def _mismatch(self, it: _Item) -> None:
        m = _MISMATCH_RE.match(it.text)
        if m is None:
            self._message(it)
            return
        analysis, exr = hex_str(m.group(1)), hex_str(m.group(2))
        self.found.mismatch = exr  # the code the process raised; the analysis' own is kept below
        self._diag(it.line.no, f"exception code of the analysis {analysis} differs from .exr -1 {exr}")

    def _elision(self, it: _Item, blank: bool) -> None:
        self._diag(it.line.no, f"elided by the paster: {it.text[:40]}")
        cur = self.current
        if cur is not None and (cur.is_stack or (cur.lines and not blank)):
            self._attach(it)

    def _text(self, it: _Item, blank: bool) -> None:
        """Free text: description, wrapped argument text, field value, or a line standing alone."""
        if self.state == _HEAD and self.found.summary_seen:
            self.tail.append(it.line.no)  # text after the summary lines is not the summary's
        elif self.state == _HEAD:
            self.found.description.append(it)
        elif self.state == _ARGS and self.arg_open and not blank:
            arg = self.rec.args[-1]
            arg.description = f"{arg.description}\n{it.text}" if arg.description else it.text
        elif self._claims(it, blank):
            self._attach(it)
        else:
            self._standalone(it)

    def _claims(self, it: _Item, blank: bool) -> bool:
        """Does the open field take this text line? After a blank line only a header still
        waiting for its value, or a stack; a stack takes any line but a disassembly line."""
        cur = self.current
        if cur is None:
            return False
        if cur.is_stack:  # a disassembly line is never a frame (FOLLOWUP_IP without its header)
            return not _DISASM_RE.match(it.text)
        return not blank or cur.waiting

    def _standalone(self, it: _Item) -> None:
        """A text line after a blank line that no field claims: disassembly, lost stack, unread."""
        self._enter(_DETAILS)
        if _DISASM_RE.match(it.text):
            if self.found.standalone_disasm is None:
                self.found.standalone_disasm = it.text
        elif _FRAME_RE.match(it.text):
            self._diag(it.line.no, "stack lines without a STACK_TEXT: header")
            self.current = _Open(None, it.line.no, it.indent, "")
            self.found.opened.append(self.current)
            self._attach(it)
        else:
            self._diag(it.line.no, f"line not read: {it.text[:80]}")

    def _in_stack(self, blank: bool) -> bool:
        return self.current is not None and self.current.is_stack and not blank

    def _attach(self, it: _Item) -> None:
        if self.current is not None:
            self.current.lines.append(it.line)

    def _message(self, it: _Item) -> None:
        """A debugger message, reported once however often the debugger repeated it."""
        if it.text not in self.messages:
            self.messages.add(it.text)
            self._diag(it.line.no, f"debugger message: {it.text[:120]}")

    def _diag(self, line: int | None, message: str) -> None:
        self.diags.append(Diagnostic(line, message))


def _unique_dict(pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Pairs to a dict keeping every pair: a repeated name becomes name#2, name#3 …"""
    out = dict(pairs)
    if len(out) == len(pairs):  # no name repeated (the usual case): nothing to number
        return out
    out = {}
    seen: dict[str, int] = {}
    for name, value in pairs:
        n = seen.get(name, 0) + 1
        key = name if n == 1 else f"{name}#{n}"
        while key in out:  # a literal "NAME#2" field met before the second NAME
            n += 1
            key = f"{name}#{n}"
        seen[name] = n
        out[key] = value
    return out


def _unindent(text: str, width: int) -> str:
    """`text` less up to `width` leading blanks, right-stripped."""
    stripped = text.lstrip()
    lead = len(text) - len(stripped)
    return (text[min(lead, width) :] if lead else text).rstrip()


def _dedent_join(items: list[_Item]) -> str:
    """Description lines, their common indentation removed, joined with newlines."""
    if not items:
        return ""
    cut = min(it.indent for it in items)
    return "\n".join(_unindent(it.line.text, cut) for it in items)


# --------------------------------------------------------------------------- derived values

_CODE_RE = re.compile(r"\s*(?:\(\w+\)\s*)?(?:0x)?([0-9a-fA-F]{1,16})\b")
_BUGCHECK_STR_RE = re.compile(r"0x([0-9a-fA-F]{1,8})(?:_|\b)")
_EXR_CODE_RE = re.compile(r"ExceptionCode:\s*([0-9a-fA-F]{1,16})\b")
_EXR_ADDRESS_RE = re.compile(r"ExceptionAddress:\s*([0-9a-fA-F]+(?:`[0-9a-fA-F]+)?)")
_CONTEXT_FIELDS = ("CONTEXT", "TRAP_FRAME")
# "… ds:002b:0000009d`00000020=????????" after a disassembled instruction of a register dump
_MEMORY_NOTE_RE = re.compile(r"\s+[a-z]s:[0-9a-fA-F`:]+=[0-9a-fA-F`?]*$")
# Echoed `.cxr`/`.trap` commands and scope messages are not part of a register dump; the
# trap frame's `NOTE:` / `Some register values may be zeroed` lines are kept: they say the
# values are incomplete.
_CONTEXT_SKIP = (".", "Resetting default", "Unable to")


def _status_code(text: str | None) -> str | None:
    """`(NTSTATUS) 0xc0000005 - …`, `c0000005`, `ffffffff80000004` -> "0xc0000005" or None."""
    if not text:
        return None
    m = _CODE_RE.match(text)
    if m is None:
        return None
    value = int(m.group(1), 16)
    if value >> 32 == 0xFFFFFFFF:  # sign-extended 32-bit status
        value &= 0xFFFFFFFF
    return hex_str(value)


def _first_open(found: _Found, name: str) -> _Open | None:
    """The first field called `name` (`_fill_fields` has indexed them), else None."""
    return found.first.get(name)


def _fill_fields(rec: AnalyzeRecord, found: _Found) -> None:
    """fields, key_values, stack_lines and context_lines from what was read."""
    found.first = {op.name: op for op in reversed(found.opened)}
    rec.fields = _unique_dict([(op.name, op.value()) for op in found.opened if op.name is not None])
    rec.key_values = _unique_dict(found.pairs)
    stack = found.first.get("STACK_TEXT") or found.first.get(None)
    rec.stack_lines = list(stack.lines) if stack else []
    rec.context_lines = [
        ln
        for op in found.opened
        if op.name in _CONTEXT_FIELDS
        for ln in op.lines
        if not ln.text.lstrip().startswith(_CONTEXT_SKIP)
    ]


def _bugcheck_code(rec: AnalyzeRecord, found: _Found, diags: list[Diagnostic]) -> str | None:
    """The first bug check code found, in order of trust; a disagreeing one is a diagnostic."""
    candidates: list[tuple[str, str | None]] = [
        ("the name line", found.name_code),
        ("the summary", found.summary_code),
        ("BUGCHECK_CODE", hex_str(rec.fields.get("BUGCHECK_CODE", "").strip() or None)),
    ]
    candidates += [(k, hex_str(v)) for k, v in rec.key_values.items() if k.startswith("Bugcheck.Code.")]
    if rec.banner != "Exception Analysis":
        m = _BUGCHECK_STR_RE.match(rec.fields.get("BUGCHECK_STR", "").strip())
        candidates.append(("BUGCHECK_STR", hex_str(m.group(1)) if m else None))
    found_codes = [(src, code) for src, code in candidates if code]
    if not found_codes:
        return None
    src0, code0 = found_codes[0]
    for src, code in found_codes[1:]:
        if code != code0:
            diags.append(Diagnostic(None, f"bug check code {code} from {src} differs from {code0} ({src0})"))
    return code0


def _args_from_fields(rec: AnalyzeRecord, found: _Found) -> list[AnalyzeArg]:
    """BUGCHECK_P1..P4 as arguments when the ArgN lines are missing."""
    args = []
    for n in range(1, 5):
        op = _first_open(found, f"BUGCHECK_P{n}")
        value = hex_str(op.first) if op else None
        if op is None or value is None:
            break
        args.append(AnalyzeArg(value, "", op.line))
    return args


def _disasm_of(op: _Open | None) -> str | None:
    """The first disassembly line among a field's lines (FAULTING_IP: symbol line, then code)."""
    for ln in op.lines if op else ():
        text = ln.text.strip()
        if _DISASM_RE.match(text):
            return text
    return None


def _faulting_instruction(found: _Found) -> str | None:
    """FAULTING_IP's disassembly, else one standing alone, else IP_IN_PAGED_CODE's, else the
    last line of the CONTEXT / TRAP_FRAME register dump less its memory annotation."""
    direct = (
        _disasm_of(_first_open(found, "FAULTING_IP"))
        or found.standalone_disasm
        or _disasm_of(_first_open(found, "IP_IN_PAGED_CODE"))
    )
    if direct:
        return direct
    dumped = _disasm_of(_first_open(found, "CONTEXT")) or _disasm_of(_first_open(found, "TRAP_FRAME"))
    return _MEMORY_NOTE_RE.sub("", dumped) if dumped else None


def _exception_code(rec: AnalyzeRecord, found: _Found) -> str | None:
    """The exception code, from the most specific source present. Where WinDbg says the
    analysis' code and the `.exr -1` record's differ, the record's: it is what was raised."""
    f = rec.fields
    exr = _EXR_CODE_RE.search(f.get("EXCEPTION_RECORD", ""))
    sources = (
        found.mismatch,
        _status_code(f.get("EXCEPTION_CODE")),
        _status_code(f.get("EXCEPTION_CODE_STR")),
        _status_code(exr.group(1)) if exr else None,
        _status_code(f.get("ERROR_CODE")),
        _status_code(rec.key_values.get("Failure.Exception.Code")),
        _status_code(f.get("FAILURE_EXCEPTION_CODE")),
    )
    return next((code for code in sources if code), None)


def _exception_address(rec: AnalyzeRecord) -> str | None:
    m = _EXR_ADDRESS_RE.search(rec.fields.get("EXCEPTION_RECORD", ""))
    if m:
        return hex_str(m.group(1))
    return hex_str(rec.key_values.get("Failure.Exception.IP.Address"))


def _derive(rec: AnalyzeRecord, found: _Found, diags: list[Diagnostic]) -> None:
    """Fill the record's derived values from what the state machine collected."""
    _fill_fields(rec, found)
    if rec.banner or found.name_code or rec.bugcheck_name or rec.args:
        rec.description = _dedent_join(found.description)
    elif found.description:  # no banner, name line or argument: not a bug check description
        first = found.description[0].line.no
        diags.append(Diagnostic(first, f"{len(found.description)} line(s) before the analysis not read"))
    rec.summary = found.summary_seen and not (rec.bugcheck_name or found.details_seen or rec.args)
    if not rec.args:
        rec.args = _args_from_fields(rec, found) or found.summary_args
    rec.bugcheck_code = _bugcheck_code(rec, found, diags)
    rec.faulting_instruction = _faulting_instruction(found)
    rec.exception_code = _exception_code(rec, found)
    rec.exception_address = _exception_address(rec)


# --------------------------------------------------------------------------- public API


def parse(lines: Sequence[Line]) -> Parsed[AnalyzeRecord]:
    """Read one analyze block (prompt line excluded); never raises, problems become diagnostics."""
    try:
        items, pending = _classify(lines)
        for i, shape in zip(pending, _parse_shapes([items[i].text for i in pending]), strict=True):
            items[i] = items[i]._replace(shape=shape)
        reader = _Reader(items)
        reader.read()
        _derive(reader.rec, reader.found, reader.diags)
        _decode(reader.rec, reader.diags)
        return Parsed(reader.rec, reader.diags)
    except Exception as exc:  # the contract: a paste never stops the report
        return Parsed(AnalyzeRecord(), [Diagnostic(None, f"analyze parser failed: {exc!r}")])


def _decode(rec: AnalyzeRecord, diags: list[Diagnostic]) -> None:
    """Read the CONTEXT / TRAP_FRAME register dump with the registers parser and decode the
    faulting instruction with the disassembly parser: the evidence later stages reason over."""
    if rec.context_lines:
        context = registers.parse(rec.context_lines)
        rec.context = context.record
        diags.extend(context.diagnostics)
    if rec.faulting_instruction:
        rec.instruction = disasm.parse_instruction(rec.faulting_instruction)


_START_TITLE_RE = re.compile(r"[*•`\s]*(?:Bugcheck|Exception) Analysis\s*\*?\s*$", re.I)
_START_NAME_RE = re.compile(r"(?:[A-Z][A-Z0-9_]{3,}|Unknown bugcheck code) ?\([0-9a-fA-F]{1,8}\)$")
_START_FIELDS = frozenset(
    {
        "FAULTING_IP",
        "STACK_TEXT",
        "KEY_VALUES_STRING",
        "EXCEPTION_RECORD",
        "BUGCHECK_CODE",
        "BUGCHECK_STR",
        "FAILURE_BUCKET_ID",
        "DEFAULT_BUCKET_ID",
        "PROCESS_NAME",
        "LAST_CONTROL_TRANSFER",
    }
)


def is_analyze_start(text: str) -> bool:
    """Cheap: does this line look like the first line of analyze output without its prompt?

    The banner title (star box, bullet list or bare), the summary lines, "Debugging Details:",
    a name-and-code line such as ``WHEA_UNCORRECTABLE_ERROR (124)``, or one of the fields a
    fragment of `!analyze -v` usually starts with.
    """
    s = text.strip().lstrip("`")
    if not s:
        return False
    c = s[0]
    if c in "*•":
        return _START_TITLE_RE.match(s) is not None
    if s.startswith(("BugCheck ", "Use !analyze -v", "Probably caused by")):
        return s[0] != "B" or "{" in s
    if "Debugging Details:" in s[:24]:
        return True
    if not c.isupper():
        return False
    colon = s.find(":")
    if colon > 0:
        return s[:colon].rstrip() in _START_FIELDS
    return _START_NAME_RE.match(s) is not None
