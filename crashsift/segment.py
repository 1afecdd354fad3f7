"""Split repaired paste lines into blocks: one command and its output, output found by content,
or prose.

A prompt (`kd>`, `2: kd>`, `0: Kd>`, `lkd>`, `0:000>`, `0:004:x86>`, `28:0:000>`, a user-shortened
`> kn`) starts a command block that runs to the next prompt, unless prose (a paragraph of an
article or a forum post) interrupts it. Text without a prompt is cut into blocks by what its lines
look like: an analyze banner or field, a stack header or frame lines, disassembly, registers,
`dt` fields, `!pool` lines, a dump-open header. Nothing is dropped: what no rule recognises
becomes an `unknown` block, and prose stays a `prose` block.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crashsift.model import Line
from crashsift.parsers import analyze, stack

_PROMPT = re.compile(
    r"^\s*(?:\d+(?:\.\d+)?:\s*)?(?:l?kd|\d+:\d{3}(?::[a-z0-9]+)?|\d+:\d+:\d{3}(?::[a-z0-9]+)?)>\s?(?P<cmd>.*)$",
    re.IGNORECASE,
)
# `> kn`: a prompt shortened by the user; accepted only before a known command.
_SHORT_PROMPT = re.compile(r"^\s*>\s*(?P<cmd>(?:~\S*\s*)?[!.]?[a-zA-Z?][\w.]*.*)$")

FAMILIES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^!analyze\b", re.I), "analyze"),
    (re.compile(r"^(?:~[^\s!]*?\s*)?!?k[bvpPncfLdM]*(?:\s|\d|=|$)|^!mex\.t\b|^!(?:mex\.)?us\b"), "stack"),
    (re.compile(r"^(?:dt|dx)\b|^\?\?\s|^!mex\.(?:ddt|mut)\b"), "dt"),
    (re.compile(r"^!pool\b", re.I), "pool"),
    (re.compile(r"^u[bf]?(?:\s|$)"), "disasm"),
    (re.compile(r"^(?:r(?:\s|$)|\.cxr\b|\.trap\b|!trap\b|\.ecxr\b)", re.I), "registers"),
    (re.compile(r"^d[bwdqpcau]s?\b|^dps\b|^dqs\b|^dds\b"), "memory"),
    (re.compile(r"^lm\w*\b"), "lm"),
    (re.compile(r"^\.exr\b"), "exr"),
    (re.compile(r"^\.bugcheck\b"), "bugcheck"),
    (re.compile(r"^\?\s|^\?$|^\.formats\b"), "expr"),
    (re.compile(r"^vertarget\b"), "header"),
    (re.compile(r"^!thread\b"), "thread"),
    (re.compile(r"^!process\b"), "process"),
]

_HEADER_START = re.compile(
    r"^(?:Microsoft \(R\) Windows Debugger|Loading Dump File|Opened log file|"
    r"\*+ Preparing the environment for Debugger Extensions)"
)
_HEADER_PREFIXES = ("Microsoft (R)", "Loading Dump", "Opened log", "*")  # cheap pre-check of _HEADER_START
_HEADER_LINE = re.compile(
    r"^(?:Microsoft \(R\) Windows Debugger|Copyright \(c\) Microsoft|Loading Dump File|Mini Kernel Dump|"
    r"Kernel (?:Summary|Bitmap|Complete) Dump|User Mini Dump|Full memory user mini dump|Symbol search path|"
    r"Executable search path|Windows \S+ (?:Kernel )?Version|Product:|Edition build lab|Built by:|"
    r"Machine Name:|Kernel base =|Debug session time|System Uptime|Process Uptime|Loading (?:Kernel|User) "
    r"Symbols|Loading unloaded module list|\.{4,}\s*$|For analysis of this file|Bugcheck code|"
    r"Connected to|Symbol Path validation|Response +Time|\*+ Path validation|\*+ Symbol Path|Deferred +|"
    r"OK +|Press ctrl-c|Run !sym noisy|CommandLine:|"
    r"Starting directory:|Path validation summary)"
)
# The current event a debugger shows when it stops: a stored exception, a first-chance
# exception, a break-in, a fatal system error (then registers and the instruction).
_EVENT = re.compile(
    r"^\s*(?:This dump file has|The stored exception information|\([0-9a-f]+\.[0-9a-f]+\):\s|"
    r"[A-Z][\w ]+ - code [0-9a-f]{8} \(|First chance exceptions are reported|"
    r"This exception may be expected|\*\*\* Fatal System Error|Break-in sent|Driver Verifier:|"
    r"Error String |NTSD: |"
    r"A fatal system error has occurred|Debugger entered on first try)"
)
_FIELD = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\s*:(?:\s|$)|^(?:CONTEXT|TRIAGER|FAULTING_IP)\s*:")
# A Visual Studio call stack row (`python26.dll!1e006c6d()`): not WinDbg output
_VS_FRAME = re.compile(r"^\W*[\w.-]+\.\w{2,4}!\S*\(")
# What a paster writes between pieces of output: a markdown heading, a bold line, a bare phrase
_PASTER_NOTE = re.compile(r"#+\s|\*\*[^*]+\*\*$|[a-z][a-z ]{2,40}$")
# The tail of a paste cut inside a frame's first column (`00a8f9`)
_CUT_HEX = re.compile(r"^\s*[0-9a-f`]{1,16}\s*$")
# `lm` output without its prompt: a module row, the column header, ModLoad lines of a live session
_LM_LINE = re.compile(
    r"^\s*ModLoad:|^start\s+end\s+module name|^Unloaded modules:"
    r"|^[0-9a-f`]{8,17}\s+[0-9a-f`]{8,17}\s+\S+\s+(?:[A-Z#]{1,3}\s+)?\([a-z ]*(?:deferred|symbols)\)"
)
_KEY_VALUE = re.compile(r"^\s+Key\s*: \S")  # KEY_VALUES_STRING pairs of the newest !analyze
_DISASM = re.compile(
    r"^[0-9a-f]{8}(?:`[0-9a-f]{8})?\s+[0-9a-f]{2,}\s+(?![0-9a-f]{8}\b)[a-z]{2,}[a-z0-9.]*(?:\s|$)", re.I
)
_LABEL = re.compile(r"^[\w.$@?<>-]+(?:![^\s]+|\+0x[0-9a-fA-F]+):$")  # `nt!Foo+0x12:` or `ntdll+0x3c7ec:`
_REGISTERS = re.compile(
    r"^\s*(?:[er]?[a-z0-9]{1,3}=[0-9a-f]{4,}\s+){2,}|^\s*iopl=|^\s*cs=[0-9a-f]{4}\s", re.I
)
_DT_FIELD = re.compile(r"^\s*\+0x[0-9a-f]{3,}\s+\S|^\s*\[\+0x[0-9a-f]+\]\s")  # dt field, dx member
_POOL = re.compile(
    r"^(?:Pool page [0-9a-f`]+ region is|\*?\s*[0-9a-f`]{8,}\s+size:\s+[0-9a-f]+\s+previous size)"
)
_EXPR = re.compile(r"^Evaluate expression:")
_EXR = re.compile(
    r"^\s*(?:ExceptionAddress|ExceptionCode|ExceptionFlags|NumberParameters|Parameter\[\d+\]"
    r"|Chained Record)\s*:"
    r"|^Exception Record @|^Attempt to (?:read|write|execute)"
)
# An extension command standing alone without its prompt (`!process`): a command echoed or
# pasted without its prompt, which starts its own output
_ECHO = re.compile(r"^(?:![A-Za-z][\w.]*|dt\s+[\w!@$.-]+)(?:\s+\S+)*\s*$")
_PERSONAL = re.compile(
    r"\b(?:I|I'm|I've|we|We|my|My|our|Our|let's|Let's|you|You)\b"
    r"|^(?:And|So|Thus|But|Now|However|Finally|Next|Hopefully|Oddly|Naturally|Unfortunately|Interestingly"
    r"|Looking|Given)\b"
)
# Debugger messages that read like sentences (event messages are told apart by `_EVENT`)
_NOT_PROSE = re.compile(
    r"^\s*(?:WARNING|ERROR|NOTE|\*|Unable to|Failed to|Could not|Symbol|Loading|Use |Probably caused"
    r"|BugCheck|Followup|Arg\d|Arguments|Debugging Details|Key\s*:|Value:|Setting context|Attempt to"
    r"|Debugger |Connected to|For analysis|Type |Implicit |GetContextState|Unknown bugcheck)"
)
_STAR_ROW = re.compile(r"^\s*(?:•\s*)?\*+(?:\s+\*)?\s*$")
_DASHES = re.compile(r"^\s*-{3,}\s*$")
_DOTS = re.compile(r"^\s*\.{3,}\s*$")
# `kb                        start with a stack trace`: a note typed after the command (docs, notes)
_COMMAND_NOTE = re.compile(r"\s{3,}(?=\[|[A-Za-z]+\s+[A-Za-z]+)")


@dataclass(slots=True)
class Segment:
    """A block before parsing: its family (`analyze`, `stack`, `dt`, …, `prose`, `unknown`),
    the command as typed after the prompt (None when found by content), the prompt's line and
    processor, and the output lines."""

    kind: str
    command: str | None
    lines: list[Line] = field(default_factory=list)
    prompt_line: int | None = None
    processor: int | None = None
    prompt: str | None = None

    @property
    def start_line(self) -> int:
        if self.prompt_line is not None:
            return self.prompt_line
        return self.lines[0].no if self.lines else 0

    @property
    def end_line(self) -> int:
        return self.lines[-1].no if self.lines else self.start_line


def family_of(command: str) -> str:
    """The command family a typed command belongs to, or `unknown`. In a `;` chain such as
    `.process /r /p …; .thread …; kb` the one command with a known family decides."""
    known = {f for part in command.split(";") if (f := _family_of_one(part.strip())) != "unknown"}
    return known.pop() if len(known) == 1 else "unknown"


def _family_of_one(cmd: str) -> str:
    for pattern, family in FAMILIES:
        if pattern.search(cmd):
            return family
    return "unknown"


def match_prompt(text: str) -> tuple[str, int | None] | None:
    """(command, processor) when `text` is a prompt line, else None."""
    if ">" not in text:
        return None
    m = _PROMPT.match(text)
    if m:
        head = text.split(":", 1)[0].strip()
        proc = int(head) if head.isdigit() and "kd" in text.split(">", 1)[0].lower() else None
        return _COMMAND_NOTE.split(m.group("cmd").strip(), 1)[0], proc
    m = _SHORT_PROMPT.match(text)
    if m and family_of(m.group("cmd")) != "unknown":
        return m.group("cmd").strip(), None
    return None


def is_prose(text: str) -> bool:
    """A sentence of natural language: several words, little hex, not a debugger message."""
    stripped = text.strip()
    if sum(1 for ch in stripped if ch >= "\u2e80") >= 8:
        return True  # a sentence in Chinese, Japanese or Korean
    if len(stripped) < 20 or "=" in stripped or "`" in stripped:
        return False
    if _NOT_PROSE.match(stripped) or _EVENT.match(stripped):
        return False
    tokens = stripped.split()
    words = [w for t in tokens if (w := t.strip(".,;:!?()\"'“”’-")).isalpha()]
    if len(words) < 6 or len(words) < 0.75 * len(tokens):
        return False
    return len(words) >= 12 or _PERSONAL.search(stripped) is not None


def line_kind(text: str) -> str | None:
    """What a line without a prompt looks like, or None when nothing says."""
    if not text.strip():
        return None
    if analyze.is_analyze_start(text):
        return "analyze"
    if _HEADER_START.match(text):
        return "header-start"
    if _HEADER_LINE.match(text):
        return "header"
    if _EVENT.match(text):
        return "event"
    if _DISASM.match(text):
        return "disasm"  # address, opcode bytes, mnemonic: checked first, 8-byte opcodes look like frames
    if stack.is_stack_header(text) or (stack.is_frame_line(text) and not _VS_FRAME.match(text)):
        return "stack"
    if _FIELD.match(text) or _KEY_VALUE.match(text):
        return "analyze"
    if _LM_LINE.match(text):
        return "lm"
    if _DISASM.match(text) or _LABEL.match(text):
        return "disasm"
    if _REGISTERS.match(text):
        return "registers"
    if _DT_FIELD.match(text):
        return "dt"
    if _POOL.match(text):
        return "pool"
    if _EXPR.match(text):
        return "expr"
    if _EXR.match(text):
        return "exr"
    if text.startswith(("!", "dt ")) and _ECHO.match(text):
        return "echo"
    if is_prose(text):
        return "prose"
    return None


_STRONG_KINDS = {
    "analyze",
    "header-start",
    "stack",
    "disasm",
    "registers",
    "dt",
    "pool",
    "prose",
    "echo",
    "exr",
}
_WITH_STACKS = {"thread", "process"}  # their output holds stacks, after blank lines too
_STACK_KINDS = {"stack", "stack-header"}


def _kind_at(lines: list[Line], i: int) -> str | None:
    """`line_kind` with the context one line lacks: a star row opens the analyze banner when a
    banner title follows within four lines; a stack header is told from a frame; analyze output
    starts at its banner, summary or name line, or at STACK_TEXT (which nothing else prints)."""
    text = lines[i].text
    if _STAR_ROW.match(text):
        ahead = (ln.text for ln in lines[i + 1 : i + 5])
        return "analyze-start" if any(analyze.is_analyze_start(t) for t in ahead) else None
    kind = line_kind(text)
    if kind == "stack" and stack.is_stack_header(text):
        return "stack-header"
    if kind == "analyze" and (not _FIELD.match(text) or text.startswith("STACK_TEXT")):
        return "analyze-start"
    return kind


def _base(kind: str | None) -> str | None:
    return {"analyze-start": "analyze", "stack-header": "stack", "header-start": "header"}.get(kind, kind)


def _other_output(seg: Segment, kind: str | None, text: str) -> bool:
    """After a blank line, does a line of this kind end the output of `seg`? Prose does; so does
    output that plainly belongs to another family (a family's output keeps its shape). Not
    used for analyze output, which holds registers, disassembly, frames and descriptions."""
    if seg.kind in _WITH_STACKS and (_base(kind) == "stack" or (kind == "header" and _DOTS.match(text))):
        return False  # a thread's stack, or the paster's elision at its end
    if kind == "prose":
        return True
    return seg.kind != "unknown" and _base(kind) in _STRONG_KINDS and _base(kind) != seg.kind


def segment(lines: list[Line]) -> list[Segment]:
    """Cut the lines into segments, in order, covering every non-blank line exactly once."""
    out: list[Segment] = []
    i, n = 0, len(lines)
    while i < n:
        prompt = match_prompt(lines[i].text)
        if prompt is not None:
            command, proc = prompt
            kind = family_of(command) if command else "unknown"
            seg = Segment(kind, command, [], lines[i].no, proc, lines[i].text)
            out.append(seg)
            i = _take_output(lines, i + 1, seg)
        else:
            i = _take_content(lines, i, out)
    return out


def _take_output(lines: list[Line], i: int, seg: Segment) -> int:
    """Output of a command: up to the next prompt, or another block's start (see
    `_other_output`). Lines are fully classified only after a blank line: the other checks
    are cheap and run on every line. Analyze output has its own loop (`_take_analysis`)."""
    if seg.kind == "analyze":
        return _take_analysis(lines, i, seg)
    blank_before = framed = False
    stacked = seg.kind == "stack"
    read_whole = seg.kind != "unknown"  # a known family's output is read whole by its parser
    out = seg.lines
    while i < len(lines):
        line = lines[i]
        text = line.text
        if not text or text.isspace():
            blank_before = True
            i += 1
            continue
        if ">" in text and match_prompt(text) is not None:
            break
        if not read_whole and _starts_embedded(lines, i):
            break
        if out and text.startswith(_HEADER_PREFIXES) and _HEADER_START.match(text):
            break
        if blank_before and out:
            kind = _kind_at(lines, i)
            if _other_output(seg, kind, text) or (framed and kind not in _STACK_KINDS):
                break  # a stack does not go on after a blank line with something else
        out.append(line)
        blank_before = False
        i += 1
        if stacked and not framed:
            framed = stack.is_frame_line(text) or stack.is_stack_header(text)
    return i


def _take_analysis(lines: list[Line], i: int, seg: Segment) -> int:
    """`_take_output` for analyze output, the longest blocks, with only the checks that apply:
    the next prompt, a new dump's banner, the end after `Followup:` and its dashes, and a
    stack pasted after a summary's `Probably caused by`."""
    out = seg.lines
    followup = False
    summary_end = any(ln.text.startswith("Probably caused by") for ln in out)
    n = len(lines)
    while i < n:
        line = lines[i]
        text = line.text
        if not text or text.isspace():
            i += 1
            continue
        if ">" in text and match_prompt(text) is not None:
            break
        if followup and not (_DASHES.match(text) or text.lstrip().startswith("***")):
            break  # after `Followup:` analyze prints only dashes and `*** …` notes
        if summary_end and (stack.is_frame_line(text) or stack.is_stack_header(text)):
            break  # frames after `Probably caused by` are a stack pasted after the summary
        if out and text.startswith(_HEADER_PREFIXES) and _HEADER_START.match(text):
            break
        out.append(line)
        i += 1
        if text[0] in "FP":
            followup = followup or text.startswith("Followup:")
            summary_end = summary_end or text.startswith("Probably caused by")
    return i


def _starts_embedded(lines: list[Line], i: int) -> bool:
    """Analyze output, a stack header or ModLoad lines, which start blocks of their own even
    inside the output of a command crashsift does not read whole."""
    text = lines[i].text
    if _STAR_ROW.match(text):
        return _kind_at(lines, i) == "analyze-start"
    if analyze.is_analyze_start(text):
        return not _FIELD.match(text) or text.startswith("STACK_TEXT")
    if "ModLoad:" in text:
        return text.lstrip().startswith("ModLoad:")  # modules loaded while a command ran (`g`)
    if _EVENT.match(text):
        return True  # the event a command such as `g` ran into
    return stack.is_stack_header(text)


_CONTENT_JOINS: dict[str, set[str | None]] = {
    # which line kinds may continue a block found by content (None: a line nothing recognises)
    "header": {"header", None},
    "stack": {"stack"},
    "disasm": {"disasm"},
    "registers": {"registers", "disasm", None},
    "event": {"event", "registers", "disasm", None},
    "dt": {"dt", None},
    "pool": {"pool", None},
    "expr": set(),
    "lm": {"lm", None},
    "exr": {"exr"},
    "prose": {"prose", None},
    "unknown": {None},
}


def _take_content(lines: list[Line], i: int, out: list[Segment]) -> int:
    """One block recognised by its content, starting at line i (no prompt)."""
    n = len(lines)
    while i < n and not lines[i].text.strip():
        i += 1
    if i >= n:
        return i
    kind = _base(_kind_at(lines, i)) or "unknown"
    if kind == "analyze":
        seg = Segment("analyze", None, [lines[i]])
        out.append(seg)
        return _take_output(lines, i + 1, seg)
    if kind == "echo":  # a command whose prompt was lost: it stands for the prompt
        command = lines[i].text.strip()
        seg = Segment(family_of(command), command, [], lines[i].no, None, lines[i].text)
        out.append(seg)
        return _take_output(lines, i + 1, seg)
    seg = Segment(kind, None, [lines[i]])
    out.append(seg)
    i += 1
    joins = _CONTENT_JOINS[kind]
    blank_before = False
    own = _OWN_KIND.get(kind)
    while i < n:
        text = lines[i].text
        if not text or text.isspace():
            blank_before = True
            i += 1
            continue
        if ">" in text and match_prompt(text) is not None:
            break
        if own is not None and own(text):  # the block's own kind goes on: nothing else to decide
            seg.lines.append(lines[i])
            blank_before = False
            i += 1
            continue
        nxt = _kind_at(lines, i)
        if blank_before and nxt == "registers" and kind in ("event", "registers") and _has_registers(seg):
            break  # a second register dump, from another stop
        if kind == "header" and nxt is None and _PASTER_NOTE.match(lines[i].text.strip()):
            break  # a heading or a note of the paster's, not the debugger's
        if kind == "stack" and nxt is None and _CUT_HEX.match(lines[i].text):
            nxt = "stack"  # a paste cut inside the next frame's first column
        if kind == "unknown" and nxt == "prose" and all(_is_texty(ln.text) for ln in seg.lines):
            seg.kind, kind, joins = "prose", "prose", _CONTENT_JOINS["prose"]  # a title above prose
        if _base(nxt) not in joins or _starts_again(seg, nxt, lines[i].text):
            break
        if kind in ("registers", "event") and nxt == "disasm" and _DISASM.match(seg.lines[-1].text):
            break  # the current instruction is shown once; more disassembly is another command's
        seg.lines.append(lines[i])
        blank_before = False
        i += 1
    return i


# Inside a block found by content, most lines are of the block's own kind: try that kind's
# own pattern before classifying the line in full (a run of thousands of ModLoad lines).
_OWN_KIND = {
    "lm": lambda t: "ModLoad:" in t and _LM_LINE.match(t) is not None,
    "dt": lambda t: _DT_FIELD.match(t) is not None,
    "disasm": lambda t: _DISASM.match(t) is not None,
    "pool": lambda t: _POOL.match(t) is not None,
    "event": lambda t: " - code " in t and _EVENT.match(t) is not None,
    "stack": lambda t: (
        stack.is_frame_line(t) and not (_DISASM.match(t) or _VS_FRAME.match(t) or stack.is_stack_header(t))
    ),
}


def _has_registers(seg: Segment) -> bool:
    return any(_REGISTERS.match(line.text) for line in seg.lines)


def _is_texty(text: str) -> bool:
    """Words and punctuation only, like a title or a heading: no debugger tokens."""
    tokens = [t for t in text.split() if t.strip("#*")]  # markdown heading and emphasis marks
    words = [t for t in tokens if t.strip(".,;:!?()\"'“”’-*").isalpha()]
    return bool(words) and len(words) >= 0.6 * len(tokens) and not any(c in text for c in "`=!@\\")


def _starts_again(seg: Segment, kind: str | None, text: str) -> bool:
    """A second stack header starts a second stack; a second debugger banner, or a second
    `Loading Dump File`, a second header."""
    if kind == "stack-header":
        return len(seg.lines) > 1 or not stack.is_stack_header(seg.lines[0].text)
    if kind == "header-start" and (m := _HEADER_START.match(text)):
        return any(line.text.startswith(m.group(0)) for line in seg.lines)
    return False
