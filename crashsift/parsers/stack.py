"""Read one block of k-family stack output into frames.

Handles ``k kb kv kp kP kn kc kf kL ~*k k100 !kb !kv``, STACK_TEXT inside ``!analyze`` (x86
and x64, with or without ``: args :``, elided ``... :`` rows), ``!mex.t`` tables, ``!mex.us``
unique stacks (a ``1 thread [stats]: 0`` line per group, then address and call site), the NT4
``FramePtr`` and Dr. Watson ``FramePtr ReturnAd`` tables, and the copied WinDbgX Stack window
(``[0x0]  call site  0xChildSP  0xRetAddr``), on x86, x64 and ARM64.

Record (`StackRecord`):

- ``columns``: the columns found, in the order printed; names from ``index``, ``frame_size``
  (kf ``Memory``), ``child_sp``, ``ret_addr``, ``args``, ``address`` (``!mex.us``), ``call_site``,
  ``source`` (MEX).
  From the header when the block has one, otherwise from the frames' content.
- ``frames``: one `crashsift.model.Frame` per frame line, ``line`` = its original line number.
  Hex columns and args are ``"0x…"``; ``index`` is the hex frame number as an int; the call
  site is split by `crashsift.parsers.callsite`; kv annotations, kp parameters, comments
  (``--> …``) and the kf frame size (``frame size: 0x40``) go to ``notes``.

Lines that are not frames (debugger warnings, ``<snip…>`` and ``...`` elisions, blank lines
between frames, text glued before the header, ``!mex.us`` thread groups) become diagnostics.
A frame wrapped over several lines (kP parameters, a call site or FPO data on the next line, a
symbol cut mid-token) is joined back into one frame. A frame cut off after its call site
started is kept as read, with a ``frame cut off`` diagnostic; one cut before its call site is
left out, with a diagnostic.

Frame lines are parsed with the ``stack.lark`` grammar, the whole block in one call; when that
fails, line by line, so one odd line costs only itself. The frames that start with hex columns
(nearly all) are split by one regex made of the grammar's own terminals instead, which gives
exactly the tokens lark would (see `_column_frame`): lark's cost is per token and per line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache

from lark import Lark, Tree
from lark.exceptions import LarkError

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Frame, Line, Parsed
from crashsift.parsers.callsite import parse_call_site
from crashsift.parsers.grammar import load

COLUMN_ORDER = ("index", "frame_size", "child_sp", "ret_addr", "args", "address", "call_site", "source")
MEX_US_COLUMNS = frozenset({"address", "call_site"})
WINDOW_COLUMNS = ("index", "call_site", "child_sp", "ret_addr")

_HEX = r"[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?"
# Header: found anywhere in the line, because text can be glued before it (`…dumpChildEBP Ret`).
_HEADER = re.compile(
    r"(?:#\s*)?(?:Memory\s+)?(?:(?:ChildEBP|Child-SP|FramePtr)\s+Ret|RetAddr\s+:\s*Args to Child)"
)
_HEADER_WORDS = (
    ("index", re.compile(r"^\s*#")),
    ("frame_size", re.compile(r"\bMemory\b")),
    ("child_sp", re.compile(r"ChildEBP|Child-SP|FramePtr")),
    ("ret_addr", re.compile(r"Ret")),
    ("args", re.compile(r"Args to Child|Param")),
    ("source", re.compile(r"\bSource\b")),
)
# A line laid out like a frame: [index [size]] then two hex columns, a column and ':', an
# inline row, an elided row, a columns-stripped row, or a Stack-window row.
_STRUCTURED = re.compile(
    rf"\s*(?:[0-9a-fA-F]{{1,4}}\s+){{0,2}}"
    rf"(?:{_HEX}\s+(?:{_HEX}(?:\s|$)|:)|\(Inline|\.\.\.\s+:|:\s+{_HEX}\s)"
    rf"|\s*\[0x[0-9a-fA-F]+\]"
)
# `u` output: address, 4 opcode bytes, mnemonic (`fffff880`0106f0f4 4883ec30  sub rsp,30h`).
_DISASSEMBLY = re.compile(rf"\s*{_HEX}\s+[0-9a-fA-F]{{8}}\s+(?!{_HEX}(?:\s|$))[a-z]{{2,}}[a-z0-9]*(?:\s|$)")
# A kc line: only a call site.
_SITE_ONLY = re.compile(
    r"\s*(?:[A-Za-z_<][\w.@$<>-]*!\S.*"  # mod!func…
    r"|<?[A-Za-z_][\w.@-]*>?\+0[xX][0-9a-fA-F]+(?:\s.*)?"  # mod+0x12…
    r"|\+?0[xX][0-9a-fA-F`]+\s*)"  # 0x77320eba, or +0xd wrapped off its symbol
)
# A value and what it is, as Application Verifier prints them under `VERIFIER STOP`: plain words.
_VALUE_ROW = re.compile(rf"\s*{_HEX}\s+:\s+[A-Za-z][A-Za-z ]*")
# `lm` rows: start, end, module name, symbol state.
_MODULE_ROW = re.compile(rf"\s*{_HEX}\s+{_HEX}\s+\S+\s+\((?:deferred|[\w ]*symbols)\)")
# Only columns and colons: a frame whose call site is missing (maybe on the next line).
_NO_SITE = re.compile(rf"\s*(?:[0-9a-fA-F]{{1,4}}\s+){{0,2}}(?:(?:{_HEX}|\.\.\.|:)\s*)+")
# The rest of a wrapped `: args :` section: more args, the closing colon, the call site.
_ARGS_TAIL = re.compile(rf"\s*(?:{_HEX}\s+)*:\s*\S")
_WORD_END = re.compile(r"[\w$]$")
_WORD_START = re.compile(r"[\w$]")
# The unfinished end of a cut paste: a frame number and hex digits only.
_CUT_TAIL = re.compile(r"\s*(?:[0-9a-fA-F]{1,4}\s+)?[0-9a-fA-F`]+\s*")
_ELISION = re.compile(r"\s*(?:\.{3,}|…|<snip.*>|\[(?:\.\.\.|…)\]|//\s*\.+)\s*")
# Messages the debugger prints between frames; kept verbatim as diagnostics.
_DEBUGGER_NOTE = re.compile(
    r"\s*(?:WARNING:|ERROR:|Unable to |\*\*\*|GetContextState|Cannot |Failed |Memory read error)"
)
# `!mex.us` (unique stacks): a group line names the threads, then each row is the instruction
# address and the call site (`    00007ff893fad3f4 ntdll!NtDelayExecution+0x14`).
_MEX_GROUP = re.compile(r"\s*\d+ threads? \[stats\]:")
_MEX_ROW = re.compile(
    rf"\s*{_HEX}\s+(?:[A-Za-z_<][\w.@$<>-]*!|<?[A-Za-z_][\w.@-]*>?\+0[xX]|0[xX][0-9a-fA-F`]+(?:\s|$))"
)
_WINDOW_TAIL = re.compile(r"\s+(0x[0-9a-fA-F`]+)\s+(0x[0-9a-fA-F`]+)\s*$")


@dataclass(slots=True)
class StackRecord:
    """The frames of one stack block and the columns it showed (see the module docstring)."""

    columns: list[str] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)


@dataclass(slots=True)
class _Entry:
    """One frame's text (continuation lines joined) and the line it starts on."""

    no: int
    text: str


def is_stack_header(text: str) -> bool:
    """True for a k-family column header, even with other text glued in front of it."""
    return "Ret" in text and _HEADER.search(text) is not None  # every header names RetAddr/Return


def is_frame_line(text: str) -> bool:
    """Cheap test: does this line look like a stack frame (any k-variant, STACK_TEXT, kc)?"""
    return _is_frame(text, _STRUCTURED.match(text) is not None)


def _is_frame(text: str, structured: bool) -> bool:
    """`is_frame_line` for a line whose `_STRUCTURED` match is already known."""
    if structured:  # `lm` rows need a `(`; a verifier stop's `00C81000 : Heap handle` is no frame
        lm_row = "(" in text and _MODULE_ROW.match(text)
        return not (_DISASSEMBLY.match(text) or lm_row or _VALUE_ROW.fullmatch(text))
    return _is_site_only(text)


def _is_site_only(text: str) -> bool:
    """A line holding only a call site (kc), not a disassembly label ending in ':'."""
    return _SITE_ONLY.fullmatch(text) is not None and not text.rstrip().endswith(":")


def parse(lines: list[Line]) -> Parsed[StackRecord]:
    """Frames of one stack block (header optional, no command line); never raises."""
    diagnostics: list[Diagnostic] = []
    header, entries = _collect(lines, diagnostics)
    frames = [frame for frame in _parse_entries(entries, header, diagnostics) if frame is not None]
    window = any(e.text.startswith("[0x") for e in entries)
    columns = list(WINDOW_COLUMNS) if window and header is None else _columns(header, frames)
    diagnostics.sort(key=lambda d: d.line or 0)
    return Parsed(StackRecord(columns=columns, frames=frames), diagnostics)


def _collect(lines: list[Line], diagnostics: list[Diagnostic]) -> tuple[frozenset[str] | None, list[_Entry]]:
    """Split the block into header columns, frame entries and diagnostics."""
    header: frozenset[str] | None = None
    entries: list[_Entry] = []
    blanks: list[int] = []
    last = _last_text_index(lines)
    for i, line in enumerate(lines):
        text = " ".join(line.text.splitlines()).strip()
        if not text:
            blanks.append(line.no)
            continue
        if blanks:
            if entries:
                diagnostics.extend(Diagnostic(no, "blank line inside the stack") for no in blanks)
            blanks = []
        structured = _STRUCTURED.match(text) is not None
        match = _HEADER.search(text) if "Ret" in text else None  # every header names RetAddr
        if match:
            if header is None:
                header = _header_columns(text[match.start() :])
            else:
                diagnostics.append(Diagnostic(line.no, "another stack header"))
            if match.start():
                diagnostics.append(Diagnostic(line.no, f"text before stack header: {text[: match.start()]}"))
        elif entries and _continues(entries[-1].text, text, structured):
            entries[-1].text = _join(entries[-1].text, text)
        elif (
            _is_frame(text, structured)
            or (header == MEX_US_COLUMNS and _MEX_ROW.match(text))
            or (i == last and _CUT_TAIL.fullmatch(text))
        ):
            entries.append(_Entry(line.no, text))
        elif _MEX_GROUP.match(text):
            header = header or MEX_US_COLUMNS
            diagnostics.append(Diagnostic(line.no, f"thread group: {text}"))
        else:
            diagnostics.append(Diagnostic(line.no, _non_frame_message(text)))
    return header, entries


def _last_text_index(lines: list[Line]) -> int:
    """Index of the last non-blank line (-1 when there is none)."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].text.strip():
            return i
    return -1


def _header_columns(header: str) -> frozenset[str]:
    """Column names a header line announces; x86 `k` headers do not name the call site
    column (``ChildEBP RetAddr``) but it is always there."""
    return frozenset({"call_site"} | {name for name, word in _HEADER_WORDS if word.search(header)})


def _continues(previous: str, text: str, structured: bool) -> bool:
    """Is `text` (`structured`: its `_STRUCTURED` match) the wrapped rest of the frame
    `previous` rather than a line of its own? Cheap tests first: this runs for every line."""
    if ":" in text and previous.count(":") == 1 and _ARGS_TAIL.match(text) and _NO_SITE.fullmatch(previous):
        return True
    if structured or _ELISION.fullmatch(text):
        return False
    if text[0] in "([" or _NO_SITE.fullmatch(previous):
        return True
    if _STRUCTURED.match(previous) and _is_site_only(text):
        return True  # a call site wrapped mid-token: kc lines never mix with columns
    return previous.count("(") > previous.count(")") or previous.count("[") > previous.count("]")


def _join(previous: str, text: str) -> str:
    """Join a continuation line: a call site for a frame without one after a space; a call
    site cut mid-token (``…CRTStart`` + ``up+0x199``) or kP parameters without one."""
    if _NO_SITE.fullmatch(previous):
        return f"{previous} {text}"
    glued = previous.endswith(("(", "+")) or text.startswith("+")
    if glued or (_WORD_END.search(previous) and _WORD_START.match(text)):
        return previous + text
    return f"{previous} {text}"


def _non_frame_message(text: str) -> str:
    """Diagnostic text for a line inside a stack block that is not a frame."""
    if _ELISION.fullmatch(text):
        return f"frames elided by the paster: {text}"
    if _DEBUGGER_NOTE.match(text):
        return text
    return f"not a frame: {text}"


@cache
def _column_frame() -> re.Pattern[str]:
    """The frames lark reads as ``hexframe`` (``COLS ARGS? (SITE | _NL)``), as one regex of the
    grammar's own terminals, matched against a frame's text and its newline.

    It gives exactly lark's tokens: at the start of a frame the contextual lexer tries COLS
    first (the highest priority), and once COLS matched (it takes the blanks after it) the
    next character can only be ``:`` (ARGS, which always matches there and takes its blanks),
    another non-blank (SITE, the rest of the line) or the newline; so a frame starting with
    columns always parses, always like this, and Python's regex picks the same first match."""
    terminal = {t.name: t.pattern.to_regexp() for t in load("stack").terminals}
    return re.compile(
        f"(?P<COLS>{terminal['COLS']})(?P<ARGS>{terminal['ARGS']})?(?:(?P<SITE>{terminal['SITE']})|\n)"
    )


def _tokens(tree: Tree) -> tuple[list[str], dict[str, str | None]]:
    """A parsed frame's FRAMENO values (blanks removed) and its other tokens by type."""
    lead: list[str] = []
    tokens: dict[str, str | None] = {}
    for token in tree.children:
        if token.type == "FRAMENO":
            lead.append(token.rstrip())
        else:
            tokens[token.type] = token
    return lead, tokens


def _parse_entries(
    entries: list[_Entry], header: frozenset[str] | None, diagnostics: list[Diagnostic]
) -> list[Frame | None]:
    """Tokens of each entry: by `_column_frame` when it starts with columns, otherwise by the
    grammar, the rest in one call, one call per entry when that fails; then the frames."""
    if not entries:
        return []
    column_frame = _column_frame()
    read: list[tuple[list[str], dict[str, str | None]] | None] = []
    rest: list[int] = []  # indexes of the entries left to the grammar
    for i, entry in enumerate(entries):
        match = column_frame.fullmatch(f"{entry.text}\n")
        if match:
            read.append(([], match.groupdict()))
        else:
            read.append(None)
            rest.append(i)
    if rest:
        parser = load("stack")
        try:
            trees = parser.parse("".join(f"{entries[i].text}\n" for i in rest)).children
        except LarkError:
            trees = [_parse_one(parser, entries[i], diagnostics) for i in rest]
        for i, tree in zip(rest, trees, strict=True):
            read[i] = None if tree is None else _tokens(tree)
    last = len(entries) - 1
    return [
        None if tokens is None else _build(*tokens, entry, header, i == last, diagnostics)
        for i, (tokens, entry) in enumerate(zip(read, entries, strict=True))
    ]


def _parse_one(parser: Lark, entry: _Entry, diagnostics: list[Diagnostic]) -> Tree | None:
    """One entry on its own; a diagnostic instead of a frame when even that fails."""
    try:
        return parser.parse(f"{entry.text}\n").children[0]
    except LarkError:
        diagnostics.append(Diagnostic(entry.no, f"unreadable frame: {entry.text}"))
        return None


def _build(
    lead: list[str],
    tokens: dict[str, str | None],
    entry: _Entry,
    header: frozenset[str] | None,
    is_last: bool,
    diagnostics: list[Diagnostic],
) -> Frame | None:
    """A `Frame` from one frame's FRAMENO values and other tokens by type (None or missing when
    the frame has none); cut-off and missing parts become diagnostics. A frame cut before its
    call site is left out: its columns alone identify nothing."""
    frame = Frame(line=entry.no)
    cols = _hex_digits(tokens.get("COLS") or "")
    if cols and len(cols[0]) <= 4:  # the frame number and frame size (columns have 8+ digits)
        lead = [w for w in cols[:2] if len(w) <= 4]
        cols = cols[len(lead) :]
    cut = _fill_body(frame, tokens, cols, header)
    _fill_lead(frame, lead, header)
    if not frame.call_site and (cut or is_last):
        diagnostics.append(
            Diagnostic(entry.no, f"frame cut off before its call site, left out: {entry.text}")
        )
        return None
    if cut:
        diagnostics.append(Diagnostic(entry.no, "frame cut off"))
    elif not frame.call_site:
        diagnostics.append(Diagnostic(entry.no, "frame has no call site"))
    return frame


def _fill_lead(frame: Frame, lead: list[str], header: frozenset[str] | None) -> None:
    """Frame number and kf frame size; a lone number is the size only under a ``Memory``
    header without ``#``."""
    if not lead:
        return
    if len(lead) == 1 and header and "frame_size" in header and "index" not in header:
        lead = ["", lead[0]]
    if lead[0]:
        frame.index = int(lead[0], 16)
    if len(lead) == 2:
        frame.notes.insert(0, f"frame size: {hex_str(lead[1])}")


def _fill_body(
    frame: Frame, tokens: dict[str, str | None], cols: list[str], header: frozenset[str] | None
) -> bool:
    """Columns, args and call site of the frame from its tokens by type (`cols`: the COLS
    words after the frame number); True when the frame was cut off."""
    site = (tokens.get("SITE") or "").strip()
    if tokens.get("INLINE_MARK"):
        frame.inline = True
    if tokens.get("ELLIPSIS"):
        frame.notes.append("columns elided")
    args = tokens.get("ARGS")
    cut = bool(args) and _fill_args(frame, args, bool(site))
    window = tokens.get("WINDOW_INDEX")
    if window:
        frame.index = int(window[3:-1], 16)
        site, cols = _split_window(site)
        cut = cut or not cols
        values: Sequence[str | None] = [hex_str(c) for c in cols]
    else:
        values = _hex_words(cols)
    if values:
        _assign_columns(frame, values, bool(args), header)
    return _fill_site(frame, site) or cut


def _fill_args(frame: Frame, args: str, has_site: bool) -> bool:
    """Args between the colons; True when the closing colon is missing (cut off). A lone
    colon before the call site (``... : nt!Func``) only separates."""
    words = _hex_digits(args.strip(": \t"))
    frame.args = _hex_words([w for w in words if w[0] not in ".-"])
    if "..." in words:
        frame.notes.append("args elided")
    closed = args.count(":") == 2
    return not closed and (bool(words) or not has_site)


def _hex_digits(text: str) -> list[str]:
    """The words of a COLS or ARGS token, lowercase and without backticks, for `_hex_words`
    (one pass over the token instead of one per word: stacks are full of these words)."""
    return text.replace("`", "").lower().split()


def _hex_words(words: list[str]) -> list[str]:
    """`hex_str` of `_hex_digits` words a grammar terminal already found to be hex digits,
    without checking them again."""
    return ["0x" + (w.lstrip("0") or "0") for w in words]


def _split_window(site: str) -> tuple[str, list[str]]:
    """Stack-window rows print the call site first, then Child-SP and RetAddr."""
    match = _WINDOW_TAIL.search(site)
    if not match:
        return site, []
    return site[: match.start()].strip(), [match.group(1), match.group(2)]


def _assign_columns(
    frame: Frame, values: Sequence[str | None], has_args: bool, header: frozenset[str] | None
) -> None:
    """Child-SP, RetAddr and x86 args from the leading hex columns' values (at least one), by
    count and header; the instruction address of a `!mex.us` row."""
    if len(values) == 1 and header == MEX_US_COLUMNS:
        frame.address = values[0]
        return
    if len(values) == 1:
        ret_only = has_args or (header is not None and "child_sp" not in header)
        if ret_only:
            frame.ret_addr = values[0]
        else:
            frame.child_sp = values[0]
        return
    frame.child_sp, frame.ret_addr = values[0], values[1]
    if len(values) > 2:
        frame.args = [v for v in values[2:] if v] + frame.args


def _fill_site(frame: Frame, text: str) -> bool:
    """Call site fields from the site text; True when it was cut off."""
    if not text:
        return False
    site = parse_call_site(text)
    if site.cut_off and site.module is None and site.function is None and site.offset is None:
        return True
    frame.call_site = text
    frame.module, frame.function, frame.offset = site.module, site.function, site.offset
    frame.address = frame.address or site.address  # a `!mex.us` row's address column first
    frame.inline = frame.inline or site.inline
    frame.source_file, frame.source_line = site.source_file, site.source_line
    frame.notes.extend(site.notes)
    return site.cut_off


def _columns(header: frozenset[str] | None, frames: list[Frame]) -> list[str]:
    """Columns in print order: the header's, plus any the frames show that it did not name."""
    found = set(header or ())
    for name, shows in _COLUMN_TESTS:
        if name not in found and any(shows(frame) for frame in frames):
            found.add(name)
    return [name for name in COLUMN_ORDER if name in found]


def _has_frame_size(frame: Frame) -> bool:
    return any(n.startswith("frame size:") for n in frame.notes)


# Whether a frame has a value for a column (a column the header names is not looked for).
_COLUMN_TESTS: tuple[tuple[str, Callable[[Frame], bool]], ...] = (
    ("index", lambda frame: frame.index is not None),
    ("child_sp", lambda frame: frame.child_sp is not None),
    ("ret_addr", lambda frame: frame.ret_addr is not None),
    ("args", lambda frame: bool(frame.args)),
    ("call_site", lambda frame: bool(frame.call_site)),
    ("frame_size", _has_frame_size),
)
