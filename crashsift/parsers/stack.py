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
fails, line by line, so one odd line costs only itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

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
    if structured:  # `lm` rows need a `(`
        return not (_DISASSEMBLY.match(text) or ("(" in text and _MODULE_ROW.match(text)))
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
    if ":" in text and _ARGS_TAIL.match(text) and previous.count(":") == 1 and _NO_SITE.fullmatch(previous):
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


def _parse_entries(
    entries: list[_Entry], header: frozenset[str] | None, diagnostics: list[Diagnostic]
) -> list[Frame | None]:
    """Parse all entries in one grammar call; fall back to one call per entry on failure."""
    if not entries:
        return []
    parser = load("stack")
    try:
        trees = parser.parse("".join(f"{e.text}\n" for e in entries)).children
    except LarkError:
        trees = [_parse_one(parser, e, diagnostics) for e in entries]
    last = len(entries) - 1
    return [
        None if tree is None else _build(tree, entry, header, i == last, diagnostics)
        for i, (tree, entry) in enumerate(zip(trees, entries, strict=True))
    ]


def _parse_one(parser: Lark, entry: _Entry, diagnostics: list[Diagnostic]) -> Tree | None:
    """One entry on its own; a diagnostic instead of a frame when even that fails."""
    try:
        return parser.parse(f"{entry.text}\n").children[0]
    except LarkError:
        diagnostics.append(Diagnostic(entry.no, f"unreadable frame: {entry.text}"))
        return None


def _build(
    tree: Tree, entry: _Entry, header: frozenset[str] | None, is_last: bool, diagnostics: list[Diagnostic]
) -> Frame | None:
    """A `Frame` from one parsed frame tree; cut-off and missing parts become diagnostics. A
    frame cut before its call site is left out: its columns alone identify nothing."""
    frame = Frame(line=entry.no)
    lead: list[str] = []
    tokens: dict[str, str] = {}
    for token in tree.children:
        if token.type == "FRAMENO":
            lead.append(token.rstrip())
        else:
            tokens[token.type] = token
    cols = tokens["COLS"].split() if "COLS" in tokens else []
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


def _fill_body(frame: Frame, tokens: dict[str, str], cols: list[str], header: frozenset[str] | None) -> bool:
    """Columns, args and call site of the frame from its tokens by type (`cols`: the COLS
    words after the frame number); True when the frame was cut off."""
    site = tokens["SITE"].strip() if "SITE" in tokens else ""
    if "INLINE_MARK" in tokens:
        frame.inline = True
    if "ELLIPSIS" in tokens:
        frame.notes.append("columns elided")
    has_args = "ARGS" in tokens
    cut = has_args and _fill_args(frame, tokens["ARGS"], bool(site))
    if "WINDOW_INDEX" in tokens:
        frame.index = int(tokens["WINDOW_INDEX"][3:-1], 16)
        site, cols = _split_window(site)
        cut = cut or not cols
    if cols:
        _assign_columns(frame, cols, has_args, header)
    return _fill_site(frame, site) or cut


def _fill_args(frame: Frame, args: str, has_site: bool) -> bool:
    """Args between the colons; True when the closing colon is missing (cut off). A lone
    colon before the call site (``... : nt!Func``) only separates."""
    words = args.strip(": \t").split()
    frame.args = [hex_str(w) for w in words if w[0] not in ".-"]
    if "..." in words:
        frame.notes.append("args elided")
    closed = args.count(":") == 2
    return not closed and (bool(words) or not has_site)


def _split_window(site: str) -> tuple[str, list[str]]:
    """Stack-window rows print the call site first, then Child-SP and RetAddr."""
    match = _WINDOW_TAIL.search(site)
    if not match:
        return site, []
    return site[: match.start()].strip(), [match.group(1), match.group(2)]


def _assign_columns(frame: Frame, cols: list[str], has_args: bool, header: frozenset[str] | None) -> None:
    """Child-SP, RetAddr and x86 args from the leading hex columns (at least one), by count and
    header; the instruction address of a `!mex.us` row."""
    if len(cols) == 1 and header == MEX_US_COLUMNS:
        frame.address = hex_str(cols[0])
        return
    if len(cols) == 1:
        ret_only = has_args or (header is not None and "child_sp" not in header)
        if ret_only:
            frame.ret_addr = hex_str(cols[0])
        else:
            frame.child_sp = hex_str(cols[0])
        return
    frame.child_sp, frame.ret_addr = hex_str(cols[0]), hex_str(cols[1])
    if len(cols) > 2:
        frame.args = [v for v in map(hex_str, cols[2:]) if v] + frame.args


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
