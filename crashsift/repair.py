"""Paste repair: undo what forums, mail clients, markdown and HTML did to debugger text.

People paste WinDbg / kd / cdb output through software that changes it: CRLF endings, curly
quotes and non-breaking spaces, HTML entities and tags, markdown fences, indented code blocks,
backslash escapes, ``> `` quote prefixes, BBCode tags, and hard line wrapping that splits stack
frames and register rows in two. Every later stage only sees `Repaired.lines`, so each repair
keeps the 1-based *original* line number of what it produced: a joined line carries the number
of its first piece, a dropped line (a fence, a lone tag) simply disappears, blank lines stay.

Each repair is a small function over a `_Paste`, gated by a cheap whole-text check so clean
pastes cost little more than a split, an rstrip and a few scans of the text; the line repairs
find the lines they touch by a regex over the lines joined once (`_Paste.framed`), not by
visiting every line in Python. Changes are recorded as `Repair`s, with
consecutive lines of the same kind aggregated into one record. Repairs are conservative: a wrong
join or strip is worse than a missed one.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from crashsift.model import Line, Repair

__all__ = ["Repaired", "repair"]


@dataclass(slots=True)
class Repaired:
    """Repaired lines (each with its original line number) and what was changed. `ends` maps
    the number of a line that rejoins wrapped pieces to the number of its last piece."""

    lines: list[Line]
    repairs: list[Repair] = field(default_factory=list)
    ends: dict[int, int] = field(default_factory=dict)


@dataclass(slots=True)
class _Paste:
    """Working state: parallel sequences of line texts and original numbers, and change events.
    Every change to `texts` in place is noted (`framed` relies on it). `nos` stays a `range`
    until a line is dropped or split (most pastes: no list of numbers to build)."""

    texts: list[str]
    nos: Sequence[int]
    raw: list[str]
    events: list[tuple[str, int, int, int, str]] = field(default_factory=list)
    ends: dict[int, int] = field(default_factory=dict)
    _framed: tuple[list[str], int, str] | None = field(default=None, repr=False)

    def note(self, kind: str, first: int, last: int | None = None, count: int = 1, detail: str = "") -> None:
        """Record a change of `kind` over original lines `first`..`last`, `count` times."""
        self.events.append((kind, first, first if last is None else last, count, detail))

    def keep(self, keep: list[bool]) -> None:
        """Drop the lines whose flag is false."""
        self.texts = list(itertools.compress(self.texts, keep))
        self.nos = list(itertools.compress(self.nos, keep))

    def joined(self) -> str:
        return "\n".join(self.texts)

    def framed(self) -> str:
        """The lines as one text, each after a newline and the last one before a newline too
        (`"\\n" + "\\n".join(texts) + "\\n"`), so a whole-text regex finds a line by its leading
        newline. Joined again only when `texts` was replaced or a change was noted since."""
        cached = self._framed
        if cached is None or cached[0] is not self.texts or cached[1] != len(self.events):
            cached = self._framed = (self.texts, len(self.events), "\n".join(["", *self.texts, ""]))
        return cached[2]


# --- whole-text checks -----------------------------------------------------------------------

# Each repair first asks the whole text whether it may apply. A single character (`"~" in text`,
# a memchr) costs next to nothing; `str`'s search for a needle of two or three characters is
# slow on debugger text (backticks and newlines everywhere), where `re`'s literal search is about
# twice as fast; so a rare character goes first, and the short needles below go through `re`.
_TRIPLE_BACKTICK = re.compile("```")
_TRIPLE_TILDE = re.compile("~~~")


def _line_matches(framed: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, re.Match[str]]]:
    """Each match of `pattern` in `framed` (see `_Paste.framed`) with the index of the line it
    starts on (a match at a line's leading newline is on that line)."""
    line, last = -1, 0
    for m in pattern.finditer(framed):
        line += framed.count("\n", last, m.start() + 1)
        last = m.start() + 1
        yield line, m


# --- line endings, BOM -----------------------------------------------------------------------


def _split(text: str) -> _Paste:
    """Split on LF, CRLF or a lone CR (only those: they are what a user sees as lines)."""
    events: list[tuple[str, int, int, int, str]] = []
    if text.startswith("\ufeff"):
        text = text[1:]
        events.append(("bom", 1, 1, 1, "U+FEFF"))
    if "\r" in text:
        crlf = text.count("\r\n")
        text = text.replace("\r\n", "\n")
        lone = text.count("\r")
        text = text.replace("\r", "\n")
        last = text.count("\n") + 1
        detail = ", ".join(d for d, n in (("CRLF", crlf), ("CR", lone)) if n)
        events.append(("line-ending", 1, last, crlf + lone, detail))
    texts = text.split("\n")
    return _Paste(texts, range(1, len(texts) + 1), texts.copy(), events)  # raw: as pasted, not as repaired


# --- characters ------------------------------------------------------------------------------

_HTML_TAG = re.compile(
    r"<summary\b[^>]*>.*?</summary\s*>|</?(?:pre|code|details|summary|p|tt|kbd|samp)\b[^>]*>",
    re.IGNORECASE,
)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG_OR_BR = re.compile(f"{_HTML_TAG.pattern}|{_BR.pattern}", re.IGNORECASE)  # both in one scan


def _strip_html_tags(p: _Paste, text: str) -> None:
    """`<pre>`, `<code>`, `<details>`, `<summary>…</summary>` removed; `<br>` ends a line.
    A line that was only tags is dropped; a `<br>` inside a line splits it (both pieces keep the
    original line number: the only case where numbers repeat)."""
    if "<" not in text or not _TAG_OR_BR.search(text):
        return
    texts: list[str] = []
    nos: list[int] = []
    for t, no in zip(p.texts, p.nos, strict=True):
        if "<" not in t:
            texts.append(t)
            nos.append(no)
            continue
        new = _HTML_TAG.sub("", t)
        pieces = _BR.split(new.rstrip())
        if new != t or len(pieces) > 1:
            p.note("html-tag", no)
        if pieces[-1] == "" and len(pieces) > 1:
            pieces.pop()
        if new != t and not new.strip():
            continue
        texts.extend(pieces)
        nos.extend([no] * len(pieces))
    p.texts, p.nos = texts, nos


_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _unescape_entities(p: _Paste, text: str) -> None:
    """`&gt;`, `&amp;`, `&#39;`, `&nbsp;`… decoded, only where a complete entity is present."""
    if "&" not in text or not _ENTITY.search(text):
        return
    for i, t in enumerate(p.texts):
        if "&" in t:
            new = _ENTITY.sub(lambda m: html.unescape(m.group()), t)
            if new != t:
                p.texts[i] = new
                p.note("html-entity", p.nos[i])


_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_UNICODE = {
    **dict.fromkeys(_SPACES, " "),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", ""),
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
}
# Any key of `_UNICODE`: found by `re`, then replaced one kind at a time (`str.translate` looks
# each character of a non-ASCII line up in a dict, several times slower).
_UNICODE_CHAR = re.compile("[" + re.escape("".join(_UNICODE)) + "]")
_TIMES = re.compile(r"(?<![0-9A-Za-z])0\u00d7(?=[0-9a-fA-F])")


def _fix_unicode(p: _Paste, text: str) -> None:
    """Unicode spaces -> space, zero-width characters removed, curly quotes, dashes and `…` to
    ASCII; `×` -> `x` only in a hex literal (`0×2f`, WordPress's texturize)."""
    if text.isascii():
        return
    for i, t in enumerate(p.texts):
        if t.isascii():
            continue
        new = t
        if found := set(_UNICODE_CHAR.findall(t)):
            for c in found:
                new = new.replace(c, _UNICODE[c])
            p.note("unicode", p.nos[i], detail=" ".join(sorted(f"U+{ord(c):04X}" for c in found)))
        if "\u00d7" in new:
            fixed = _TIMES.sub("0x", new)
            if fixed != new:
                p.note("times-sign", p.nos[i])
                new = fixed
        p.texts[i] = new


_FORUM_TAG = re.compile(
    r"\[/?(?:code|icode|php|quote|color|font|size|b|i|u|s|spoiler|plain|highlight|indent|left|center)"
    r"(?:=[^\]\n]*)?\]",
    re.IGNORECASE,
)


def _strip_forum_tags(p: _Paste, text: str) -> None:
    """BBCode `[CODE]`, `[COLOR=…]`, `[/QUOTE]`, `[B]`… removed wherever they are; debugger
    brackets (`[0x0]`, `[+0x168]`, `[d:\\x.c @ 12]`, `[Type: void *]`) never match."""
    if "[" not in text or not _FORUM_TAG.search(text):
        return
    keep = [True] * len(p.texts)
    for i, t in enumerate(p.texts):
        if "[" in t:
            new = _FORUM_TAG.sub("", t)
            if new != t:
                p.note("forum-tag", p.nos[i])
                p.texts[i] = new
                keep[i] = bool(new.strip())
    p.keep(keep)


_APOSTROPHE = re.compile(r"(?<![0-9A-Za-z])((?:0x)?[0-9a-fA-F]{8})'([0-9a-fA-F]{8})(?![0-9A-Za-z])")
# The part of `_APOSTROPHE` from the apostrophe on: starting with a literal, a whole-text search
# for it jumps from apostrophe to apostrophe instead of trying the lookbehind at every character.
_APOSTROPHE_TAIL = re.compile(r"'[0-9a-fA-F]{8}(?![0-9A-Za-z])")


def _restore_backticks(p: _Paste, text: str) -> None:
    """`fffff880'0106f141` -> `fffff880`0106f141` (an apostrophe typed or converted for the
    backtick of a 64-bit address), only in that exact 8hex'8hex shape."""
    if "'" not in text or not _APOSTROPHE_TAIL.search(text):
        return
    for i, t in enumerate(p.texts):
        if "'" in t:
            new = _APOSTROPHE.sub(r"\1`\2", t)
            if new != t:
                p.texts[i] = new
                p.note("apostrophe-backtick", p.nos[i])


# --- markdown and mail structure -------------------------------------------------------------

_QUOTE = re.compile(r">(?: ?>)* ?")
_PROMPT = re.compile(r"(?:\d+(?:\.\d+)?: ?)?kd> ?|\d+:\d+(?::\w+)?> ")


# A run of lines quoted with `>`, and a line that is neither quoted nor blank (lines are
# right-stripped by then: a blank line is empty).
_QUOTED_RUN = re.compile(r"\n>[^\n]*(?:\n>[^\n]*)*")
_UNQUOTED_LINE = re.compile(r"\n[^>\n]")


def _strip_quotes(p: _Paste) -> None:
    """`> `, `>> `, `> > ` and bare `>` quote prefixes, on runs of two or more quoted lines (or
    when every line is quoted), and on a single quoted debugger prompt (`> 0: kd> k`). A lone
    `> kn` (a shortened prompt) and the `>` markers of `!irp`/`!devstack` stay."""
    texts, framed = p.texts, p.framed()
    all_quoted: bool | None = None
    for i, m in _line_matches(framed, _QUOTED_RUN):
        j = i + m.group().count("\n")
        if all_quoted is None:
            all_quoted = not _UNQUOTED_LINE.search(framed)
        if j - i > 1 or all_quoted:
            for k in range(i, j):
                texts[k] = _QUOTE.sub("", texts[k], count=1)
            p.note("quote-prefix", p.nos[i], p.nos[j - 1], j - i)
        else:
            rest = _QUOTE.sub("", texts[i], count=1)
            if _PROMPT.match(rest):
                texts[i] = rest
                p.note("quote-prefix", p.nos[i], detail="before a prompt")


_CPP_QUOTED = re.compile(r"`[^`']*'")


def _strip_inline_backtick(p: _Paste) -> None:
    """A single backtick glued to the start of the paste (an inline-code span around the whole
    paste, `` `0: kd> !analyze -v ``), and its closing one at the very end (with the blanks
    before it: lines stay right-stripped)."""
    first = next((i for i, t in enumerate(p.texts) if t.strip()), None)
    if first is None:
        return
    t = p.texts[first]
    if not t.startswith("`") or t.startswith("``") or _CPP_QUOTED.match(t):
        return
    p.texts[first] = t[1:]
    p.note("inline-code", p.nos[first])
    last = max(i for i, t in enumerate(p.texts) if t.strip() or i == first)
    t = p.texts[last]
    if last != first and t.endswith("`") and not t.endswith("``"):
        p.texts[last] = t[:-1].rstrip()
        p.note("inline-code", p.nos[last])


_FENCE = re.compile(r"\s*(`{3,}|~{3,})\s*([\w+#.-]*)\s*$")
_FENCE_GLUED = re.compile(r"\s*(`{3,}|~{3,})")
_FENCE_END = re.compile(r"`{3,}\s*$")


def _strip_fences(p: _Paste) -> list[bool] | None:
    """Markdown code fences (```` ``` ````, ``~~~``, four backticks, with or without a label)
    dropped; a fence glued to code (```` ```kd> !analyze -v ````, ```` text``` ````) cut off.
    Returns which remaining lines were inside a fence, or None when there was no fence."""
    framed = p.framed()
    fence_lines = {i for i, _ in _line_matches(framed, _TRIPLE_BACKTICK)} if "`" in framed else set()
    if "~" in framed:
        fence_lines.update(i for i, _ in _line_matches(framed, _TRIPLE_TILDE))
    if not fence_lines:
        return None
    texts = p.texts
    keep = [True] * len(texts)
    inside: list[bool] = []
    in_fence = False
    done = 0  # lines before this one are in `inside` (or dropped)
    for i in sorted(fence_lines):
        inside += [in_fence] * (i - done)
        done = i + 1
        t = texts[i]
        if m := _FENCE.match(t):
            keep[i] = False
            in_fence = not in_fence
            p.note("code-fence", p.nos[i], detail=m.group(1) + m.group(2))
            continue
        if m := _FENCE_GLUED.match(t):
            t = t[m.end() :]
            in_fence = True
            p.note("code-fence", p.nos[i], detail="glued to code")
        if (m := _FENCE_END.search(t)) and t.strip("`~ "):
            t = t[: m.start()]
            p.note("code-fence", p.nos[i], detail="glued to code")
            inside.append(True)
            in_fence = False
        else:
            inside.append(in_fence)
        texts[i] = t.rstrip()
    inside += [in_fence] * (len(texts) - done)
    p.keep(keep)
    return inside


_ESCAPED = re.compile(r"\\[`!()*\[\]#]")
_UNESCAPE = re.compile(r"\\([`_!()*\[\]#<>])")


def _unescape_markdown(p: _Paste, text: str, inside: list[bool] | None) -> None:
    """Markdown backslash escapes (`\\``, `\\_`, `\\!`, `\\(`…) outside code fences, only in a
    paste that shows them (a debugger never prints `\\!` or `\\``; `\\_` alone can be a path)."""
    if "\\" not in text or not _ESCAPED.search(text):
        return
    for i, t in enumerate(p.texts):
        if "\\" in t and not (inside and inside[i]):
            new = _UNESCAPE.sub(r"\1", t)
            if new != t:
                p.texts[i] = new
                p.note("markdown-escape", p.nos[i])


# Lines WinDbg never indents: when a block's least indented line looks like one of these, the
# block's indentation is markdown's (an indented code block), not the debugger's.
_UNINDENTED = re.compile(
    r"(?:[A-Z][A-Z0-9_]{2,}:(?<!SYMSRV:)(?:\s|$)"
    r"|[A-Z][A-Z0-9_]{3,} \([0-9a-fA-F]+\)$"
    r"|Arg\d: |Arguments:|Debugging Details:|BugCheck [0-9A-Fa-f]+, \{|Probably caused by"
    r"|Followup:|ModLoad: |\*{20}|Microsoft \(R\) Windows|Loading (?:Dump|Kernel|User)"
    r"|Symbol search path|Executable search path|Kernel base = |Debug session time"
    r"|System Uptime|Windows .* Version |Use !analyze|[er](?:ax|ip)=|cs="
    r"|(?:\d+(?:\.\d+)?: ?)?kd ?>|\d+:\d+(?::\w+)?> )"
)


_UNINDENTED_LINE = re.compile(r"\n\S")
# A blank-separated run of lines indented by 4 spaces or a tab, in `_Paste.framed`: its leading
# newline follows a blank line (or is the first), the run is maximal and a blank line (or the
# end) follows it.
_INDENTED_BLOCK = re.compile(r"\n(?<![^\n]\n)((?:(?: {4}|\t)[^\n]*\n)++)(?![^\n])")
# A line indented by 4+ spaces (or by a tab) that `_UNINDENTED` matches after its whole indent
# (group 1), in a text of many lines. Two patterns, so that each starts with a literal (`re` then
# jumps from one indented line to the next instead of trying every line). A match takes no more
# than the newline and the indent (the rest is a lookahead), so it never hides the next line.
_MARKED_BY_SPACES, _MARKED_BY_TAB = (
    re.compile(rf"\n({start}[ \t]*+)(?=" + _UNINDENTED.pattern.replace("$", r"(?![^\n])") + ")")
    for start in ("    ", r"\t")
)


def _common_indent(lines: list[str]) -> str:
    """The leading whitespace every non-blank line starts with: the blanks and tabs the
    alphabetically first and last non-blank lines start with alike (what those two share, all
    lines between them share)."""
    nonblank = [t for t in lines if t]
    if not nonblank:
        return ""
    first, last = min(nonblank), max(nonblank)
    k = 0
    while k < len(first) and first[k] == last[k] and first[k] in " \t":
        k += 1
    return first[:k]


def _is_code_indent(indent: str) -> bool:
    return indent.startswith("\t") or len(indent) >= 4


def _strip_indentation(p: _Paste) -> None:
    """Remove the indent of markdown indented code blocks (4+ spaces or a tab): the common
    indent of the whole paste; else the common indent of each blank-separated block whose least
    indented line is one WinDbg never indents (`kd>` prompt, `NAME:` field, `Arg1:`…). Such a
    block proves the markdown indent, which other blocks starting with it then lose too (so
    `!irp`'s deeper `Args:` lines keep their own indentation relative to the rest)."""
    framed = p.framed()
    if "\n    " not in framed and not ("\t" in framed and "\n\t" in framed):
        return
    if not _UNINDENTED_LINE.search(framed):
        common = _common_indent(p.texts)
        if _is_code_indent(common):
            k = len(common)
            count = sum(1 for t in p.texts if t)
            p.texts = [t[k:] for t in p.texts]
            nonblank = [no for no, t in zip(p.nos, p.texts, strict=True) if t]
            p.note("indented-code", nonblank[0], nonblank[-1], count, _describe(common))
            framed = p.framed()
    if not (_MARKED_BY_SPACES.search(framed) or ("\t" in framed and _MARKED_BY_TAB.search(framed))):
        return  # no block can be marked, so none loses its indent
    texts = p.texts
    blocks: list[tuple[int, int, str, bool]] = []
    for i, m in _line_matches(framed, _INDENTED_BLOCK):
        j = i + m.group(1).count("\n")
        indent = _common_indent(texts[i:j])
        by = _MARKED_BY_TAB if indent.startswith("\t") else _MARKED_BY_SPACES
        marked = _is_code_indent(indent) and any(
            len(u.group(1)) == len(indent) for u in by.finditer(framed, m.start(), m.end() - 1)
        )
        blocks.append((i, j, indent, marked))
    proven = min((ind for *_, ind, marked in blocks if marked), key=len, default="")
    run: list[int] = []
    end = 0
    for i, j, indent, marked in blocks:
        if run and any(texts[end:i]):
            p.note("indented-code", run[0], run[1], run[2], _describe(proven))
            run = []
        end = j
        strip = indent if marked else proven if proven and indent.startswith(proven) else ""
        if strip:
            texts[i:j] = [t[len(strip) :] for t in texts[i:j]]
            run = [run[0] if run else p.nos[i], p.nos[j - 1], (run[2] if run else 0) + j - i]
        elif run:
            p.note("indented-code", run[0], run[1], run[2], _describe(proven))
            run = []
    if run:
        p.note("indented-code", run[0], run[1], run[2], _describe(proven))


def _describe(indent: str) -> str:
    return "tab" if indent.startswith("\t") else f"{len(indent)} spaces"


# --- wrapped lines ---------------------------------------------------------------------------

_H64 = r"[0-9a-fA-F]{8}`[0-9a-fA-F]{8}"
# x64 frame cut after some of its four arguments: `Child-SP RetAddr : a1 a2 a3`.
# Possessive quantifiers (`*+`, `?+`): no backtracking, as no shorter take could match.
_X64_OPEN = re.compile(rf"\s*+(?:[0-9a-fA-F]{{2,}}+\s+)?+{_H64}\s+{_H64}\s+:((?:\s+{_H64}){{0,3}}+)\s*$")
# ...continued by the remaining arguments and the call site: `a4 : module!Function+0x51`.
_X64_REST = re.compile(rf"\s*((?:{_H64}\s+)*){_H64}\s+:\s+(?!.*\s:\s)\S")
# x86 kb/kv frame without its call site: `ChildEBP RetAddr a1 a2 a3`.
_X86_OPEN = re.compile(r"\s*+(?:[0-9a-fA-F]{2}\s+)?+[0-9a-fA-F]{8}(?: [0-9a-fA-F]{8}){4}\s*$")
_CALL_SITE = re.compile(r"\s*(?:[A-Za-z_][\w.$-]*!\S|[A-Za-z_][\w.]*\+0x[0-9a-fA-F]|0x[0-9a-fA-F]{6,})")
_LONE_CALL_SITE = re.compile(r"\s*(?:[A-Za-z_][\w.$-]*!\S+|[A-Za-z_][\w.]*\+0x[0-9a-fA-F]+)$")
_OFFSET_END = re.compile(r"![\w@?$<>:~]+\+0x[0-9a-fA-F]+$")
_SPLIT_OFFSET = re.compile(r"[0-9a-fA-F]{1,3}$")
_ANNOTATION = re.compile(r"\s*\((?:FPO|CONV):")
_FLAG_WORDS = ("nv", "ov", "up", "dn", "ei", "di", "pl", "ng", "nz", "zr", "na", "ac", "po", "pe", "nc", "cy")
_FLAGS = re.compile(rf"\s*(?:(?:{'|'.join(_FLAG_WORDS)})\b\s*)+$")
_LAST_REG = re.compile(r"\b([a-z][a-z0-9]{1,3})=\S*\s*$")
_FIRST_REG = re.compile(r"\s*([a-z][a-z0-9]{1,3})=")
# Register rows as WinDbg prints them (x86, then x64): which register follows which in a row.
_ROWS = (
    ("eax", "ebx", "ecx", "edx", "esi", "edi"),
    ("eip", "esp", "ebp", "iopl"),
    ("cs", "ss", "ds", "es", "fs", "gs", "efl"),
    ("rax", "rbx", "rcx"),
    ("rdx", "rsi", "rdi"),
    ("rip", "rsp", "rbp"),
    ("r8", "r9", "r10"),
    ("r11", "r12", "r13"),
    ("r14", "r15"),
)
_NEXT_REG = {a: b for row in _ROWS for a, b in itertools.pairwise(row)}
# Starts of lines that stand on their own: never the second half of a wrapped line.
_LINE_START = re.compile(
    r"\s*$|\s*(?:[0-9a-fA-F]{2}\s+)?[0-9a-fA-F]{8}(?:`[0-9a-fA-F]{8})?\s+[0-9a-fA-F]{8}"
    r"|\s*[a-z][a-z0-9]{1,3}=|[A-Z][A-Za-z0-9_.]{2,}:|Arg\d:|\s*\*|\s*#|\s*\(?[0-9a-f]+\.[0-9a-f]+\):"
    r"|(?:\d+(?:\.\d+)?: ?)?kd ?>|\d+:\d+(?::\w+)?>|\s*(?:Key|Value)\s*:|\s*Child-?(?:SP|EBP)"
    r"|\s*\+0x[0-9a-fA-F]+ |\S+:$"
)
# Separator and banner rows: complete however long they are.
_RULE = re.compile(r"\s*([-=*_~])\1{9,}\s*$|.*efl=[0-9a-f]+$")


def _wrap_join(prev: str, nxt: str, hard_wrap: str | None) -> tuple[str, str] | None:
    """If `nxt` is the wrapped-off rest of `prev`, the separator to join them with and why.
    `hard_wrap` is the separator when the pair is a fixed-width wrap (see `_hard_wraps`)."""
    if m := _X64_OPEN.match(prev):
        rest = _X64_REST.match(nxt)
        if rest and m.group(1).count("`") + rest.group(1).count("`") + 1 == 4:
            return " ", "frame arguments"
        return None
    if _X86_OPEN.match(prev):
        return (" ", "frame call site") if _CALL_SITE.match(nxt) and not _LINE_START.match(nxt) else None
    if _ANNOTATION.match(nxt) and "(" not in prev[-1:]:
        return " ", "frame annotation"
    if "(FPO:" in prev and prev.count("(") > prev.count(")") and not _LINE_START.match(nxt):
        return ("" if prev.endswith("-") else " "), "frame annotation"
    if _SPLIT_OFFSET.match(nxt) and _OFFSET_END.search(prev):
        return "", "split offset"
    if "=" in prev:
        reg, first = _LAST_REG.search(prev), _FIRST_REG.match(nxt)
        if reg and first and _NEXT_REG.get(reg.group(1)) == first.group(1):
            return " ", "register row"
        if "iopl=" in prev and _FLAGS.match(nxt):
            return " ", "register flags"
    if hard_wrap is not None:
        return hard_wrap, "hard wrap"
    return None


def _hard_wraps(p: _Paste) -> dict[int, str]:
    """Pairs of lines of a paste hard-wrapped at a fixed width (a capture or mail at 80 columns):
    index of the first line -> separator to join the next one with. The width is the longest
    line's, when at least three different lines have it and they are a good share of the lines
    near it; a pair is a wrap when the first line has that width, the next one is shorter and not
    the start of a line. Fewer than two such pairs is chance (a full-width register row)."""
    raw = p.raw
    lengths = list(map(len, raw))
    width = max(lengths)
    if width < 60 or lengths.count(width) < 3:
        return {}
    at = [t for t in raw if len(t) == width]
    if len(set(at)) < 3 or len(at) * 3 < sum(1 for n in lengths if n >= width - 8):
        return {}
    wraps: dict[int, str] = {}
    for i in range(len(p.texts) - 1):
        no, nxt = p.nos[i], p.nos[i + 1]
        if (
            lengths[no - 1] == width
            and nxt == no + 1
            and lengths[nxt - 1] < width
            and p.texts[i + 1]
            and not _LINE_START.match(p.texts[i + 1])
            and not _RULE.match(p.texts[i])
        ):
            wraps[i] = " " if raw[no - 1][-1:].isspace() else ""
    return wraps if len(wraps) >= 2 else {}


def _words(words: set[str] | tuple[str, ...]) -> str:
    """A regex alternation of `words` grouped by first letter: `sre` tries an alternative's first
    letter before entering it, so a line is rejected after one check per letter, not per word."""
    by_first: dict[str, list[str]] = {}
    for w in sorted(words, key=lambda w: (-len(w), w)):
        by_first.setdefault(w[0], []).append(re.escape(w[1:]))
    return "(?:" + "|".join(f"{f}(?:{'|'.join(rest)})" for f, rest in by_first.items()) + ")"


# Where a join may start, found on the whole text at once (every branch starts at a newline, so
# the scan is fast; leading blanks are skipped once, possessively, and the branches for lines
# starting with a hex digit, or a letter, sit behind one check of it): an x64 frame missing its call
# site, an x86 frame missing its call site, a line of 1-3 hex digits (a split offset), a line
# starting with `(FPO:`/`(CONV:`, a register that continues a row, a flags-only line. A hit marks
# its line and the one before it; `_wrap_join` decides. A line holding `(FPO:` anywhere, with a
# parenthesis left open, is a start too (the only join it can start that no hint finds is an
# annotation's rest): `_FPO` finds those, by a literal search. The x64 branch's argument group is
# made non-capturing: the hint reads no group, and a capture costs at every x64 frame.
_JOIN_HINT = re.compile(
    r"\n[ \t]*+(?:(?=[0-9a-fA-F])(?:"
    + "|".join(
        pat.replace(r"\s", r"[ \t]")
        for pat in (
            _X64_OPEN.pattern.removeprefix(r"\s*+").removesuffix("$").replace(":((", ":(?:(") + r"(?=\n)",
            _X86_OPEN.pattern.removeprefix(r"\s*+").removesuffix("$") + r"(?=\n)",
            r"[0-9a-fA-F]{1,3}(?=\n)",
        )
    )
    + r")|\((?:FPO|CONV):|(?=[a-z])(?:"
    + _words(set(_NEXT_REG.values()))
    + "=|"
    + _words(_FLAG_WORDS)
    + r"\b))"
)
_FPO = re.compile(r"\(FPO:")


def _join_candidates(p: _Paste) -> list[int]:
    """Indices of lines a join may start at (see `_JOIN_HINT`)."""
    texts, framed = p.texts, p.framed()
    starts = [i + d for i, _ in _line_matches(framed, _JOIN_HINT) for d in (-1, 0)]
    for i, _ in _line_matches(framed, _FPO):
        if texts[i].count("(") > texts[i].count(")"):
            starts.append(i)
    return starts


def _join_wrapped(p: _Paste) -> None:
    """Rejoin lines that mail/forum software or a fixed-width capture wrapped: x64 frames split
    after their arguments, x86 frames whose call site or `(FPO: …)` went to the next line,
    register rows split mid-row, and (in a paste hard-wrapped at a fixed width) any full-width
    line followed by something that is not the start of a line. An x86 frame and a lone call
    site separated only by blank lines (a blog's paragraphs) are joined too."""
    hard = _hard_wraps(p)
    starts = sorted({*hard, *_join_candidates(p)})
    texts, nos = p.texts, p.nos
    n = len(texts)
    consumed: set[int] = set()
    for i in starts:
        if i < 0 or i in consumed or not texts[i]:
            continue
        cur, j = texts[i], i + 1
        while j < n:
            found = _wrap_join(cur, texts[j], hard.get(j - 1) if nos[j] == nos[j - 1] + 1 else None)
            skip = 0
            if found is None and _X86_OPEN.match(cur):
                skip = _blank_gap_call_site(texts, j)
                found = (" ", "frame call site after blank lines") if skip else None
            if found is None:
                break
            sep, why = found
            consumed.update(range(j, j + skip + 1))
            j += skip
            cur = cur.rstrip() + sep + (texts[j].lstrip() if sep else texts[j])
            p.note("wrapped-line", nos[i], nos[j], detail=why)
            p.ends[nos[i]] = nos[j]
            j += 1
        texts[i] = cur
    if consumed:
        p.keep([k not in consumed for k in range(n)])


def _blank_gap_call_site(texts: list[str], i: int) -> int:
    """How many blank lines from `i` stand between an x86 frame and its lone call site (0: none)."""
    k = i
    while k < len(texts) and k - i < 3 and not texts[k]:
        k += 1
    if k == i or k >= len(texts) or not _LONE_CALL_SITE.match(texts[k]):
        return 0
    return k - i


# --- driver ----------------------------------------------------------------------------------


def _aggregate(events: list[tuple[str, int, int, int, str]]) -> list[Repair]:
    """One `Repair` per run of consecutive (or overlapping) lines with the same kind."""
    out: list[Repair] = []
    open_by_kind: dict[str, Repair] = {}
    for kind, first, last, count, detail in sorted(events, key=lambda e: (e[1], e[2])):
        r = open_by_kind.get(kind)
        if r is not None and first <= r.last_line + 1:
            r.last_line = max(r.last_line, last)
            r.count += count
            if detail and detail not in r.detail.split("; "):
                r.detail = f"{r.detail}; {detail}" if r.detail else detail
            continue
        r = Repair(kind, first, last, count, detail)
        open_by_kind[kind] = r
        out.append(r)
    return out


def repair(text: str) -> Repaired:
    """Repair a pasted debugger text. Never raises; returns lines with original line numbers."""
    p = _split(text)
    norm = p.joined() if p.events else text
    _strip_html_tags(p, norm)
    _unescape_entities(p, norm)
    _fix_unicode(p, norm)
    _strip_forum_tags(p, norm)
    _restore_backticks(p, norm)
    p.texts = list(map(str.rstrip, p.texts))
    markdown = p.framed()  # the text that shows markdown escapes: before quotes and fences go
    _strip_quotes(p)
    _strip_inline_backtick(p)
    inside = _strip_fences(p)
    _unescape_markdown(p, markdown, inside)
    _strip_indentation(p)
    _join_wrapped(p)
    # `Line._make` without its length check, called by `map` itself: a (number, text) pair is a
    # `Line` already.
    lines = list(map(tuple.__new__, itertools.repeat(Line), zip(p.nos, p.texts, strict=True)))
    return Repaired(lines, _aggregate(p.events), p.ends)
