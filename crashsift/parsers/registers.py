"""Register dumps: `r`, `.cxr`, `.trap`, `!trap`, `.ecxr`, and the CONTEXT / TRAP_FRAME dumps of
`!analyze` (the lines `AnalyzeRecord.context_lines` keeps).

Record (`RegistersRecord`):

- ``arch``: ``x64`` (rax…r15, rip), ``x86`` (eax…, eip) or ``arm64`` (x0…x28, fp, lr, pc, psr),
  from the register names printed; None when the names do not say (``r cr4``).
- ``registers``: every ``name=value`` as printed, names lowercase as WinDbg prints them (``rax``,
  ``r8``, ``eip``, ``x0``, ``fp``, ``psr``, ``efl``, ``cr4``, ``vip``, ``vif`` …), values
  ``"0x…"``; None where the debugger printed ``????????`` (unreadable).
- ``flags``: the flag mnemonics after ``iopl=`` (``nv up ei pl nz na po nc``), or the ARM64 ones
  after ``psr=`` (``-ZC-``, ``EL0``), as printed.
- ``iopl``: ``"0x0"`` … ``"0x3"``, else None.
- ``segments``: ``cs ss ds es fs gs`` as ``"0x…"``.
- ``label``: the symbol line above the current instruction (``fltmgr!TreeUnlinkMulti+0x51``,
  ``dxgmms2!RemoveHeadList+0xd [inlined in …]``) without its colon, else None.
- ``instruction_text``: the current-instruction line as printed (``fffff880`0106f141 488b4620
  mov rax,qword ptr [rsi+20h] ds:…=????????????????``), a line wrapped inside its ``[…]``
  operand joined again; else None.
- ``instruction``: that line decoded by `crashsift.parsers.disasm.parse_instruction` (an
  `Instruction`: address, bytes, mnemonic, operands, memory annotation …; its ``line`` is the
  instruction line's), else None.
- ``error_code``: the trap frame's ``ErrCode = 00000000`` (``.trap``/``!trap`` on x86), else None.
- ``context_flags``: NT4 ``.cxr``'s ``CtxFlags: 00010017``, else None.
- ``incomplete``: True when WinDbg says the trap frame does not hold every register
  (``NOTE: The trap frame does not contain all registers.``).
- ``notes``: what the debugger printed among the registers, as text (that NOTE and its
  ``Some register values may be zeroed or incorrect.``, ``*** WARNING …``, ``Page … not present
  in the dump file``, ``Last set context:``, ``Resetting default scope``, an echoed ``!trap …``).
- ``line``: original line of the first register, label or instruction line.

A value cut off by the end of the paste (``r12=000000000000000``, ``x28=``, ``cs=00``) is not
stored: it becomes a diagnostic, like a line that is not part of a register dump. A second
dump in the same block (a register printed again after the current instruction) is another
command's output: one diagnostic names its lines.

`read_items` and `build` are the two halves of `parse`; the event parser uses them to tell the
debugger's event lines from the register dump that follows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from lark import Token, Tree
from lark.exceptions import LarkError

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.disasm import Instruction, parse_instruction
from crashsift.parsers.grammar import fast, terminal_regexes

__all__ = ["DUMP_KINDS", "Item", "RegistersRecord", "build", "classify", "parse", "read_items"]


@dataclass(slots=True)
class RegistersRecord:
    arch: str | None = None
    registers: dict[str, str | None] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    iopl: str | None = None
    segments: dict[str, str | None] = field(default_factory=dict)
    label: str | None = None
    instruction_text: str | None = None
    instruction: Instruction | None = None
    error_code: str | None = None
    context_flags: str | None = None
    incomplete: bool = False
    notes: list[str] = field(default_factory=list)
    line: int | None = None


class Item(NamedTuple):
    """One line as the grammar read it: its kind (a rule of grammars/registers.lark) and
    values. For `regs`, values are pieces `(what, name, text)`, what being set/flags/label."""

    kind: str
    line: Line
    values: tuple[tuple[str, str, str], ...] = ()


# The kinds of line that belong to a dump (the others are notes and unknown lines).
DUMP_KINDS = frozenset({"regs", "label", "instruction", "errcode", "ctxflags"})

_SEGMENTS = frozenset({"cs", "ss", "ds", "es", "fs", "gs"})
_FLAG_MNEMONICS = frozenset(
    {"nv", "ov", "up", "dn", "ei", "di", "pl", "ng", "nz", "zr", "na", "ac", "po", "pe", "nc", "cy"}
)
_PSR_FLAGS = re.compile(r"^(?:[-NZCV]{4}|EL[0-3])$")
_X64 = frozenset({"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rip", "rsp", "rbp"})
_X86 = frozenset({"eax", "ebx", "ecx", "edx", "esi", "edi", "eip", "esp", "ebp"})
_ARM64 = re.compile(r"^(?:x\d+|fp|lr|pc|psr|cpsr)$")
_R64 = re.compile(r"^r(?:[89]|1[0-5])$")
_INCOMPLETE = ("NOTE: The trap frame does not contain all registers", "Some register values may be zeroed")


# --------------------------------------------------------------------------- reading lines

# The terminals that can start a line, in the order the lexer tries them (priority first).
_LINE_TERMINALS = (
    ("REGS", "regs"),
    ("LABEL", "label"),
    ("INSTRUCTION", "instruction"),
    ("ERRCODE", "errcode"),
    ("CTXFLAGS", "ctxflags"),
    ("NOTE", "note"),
)


@cache
def _line_start() -> re.Pattern[str]:
    """The line-starting terminals of grammars/registers.lark as one regex, a group per kind of
    line, in the lexer's order: the first terminal that matches at the start is the match."""
    terminals = terminal_regexes("registers")
    return re.compile("|".join(f"(?P<{kind}>{terminals[name]})" for name, kind in _LINE_TERMINALS))


@cache
def _flags_tail() -> re.Pattern[str]:
    """The rest of a `regs` line made of one REGS and one FLAGS or PSRFLAGS token (`iopl=0  nv
    up ei pl zr na po nc`, x86 `eip=… iopl=0  nv up …`, ARM64 `pc=… psr=60000000 -ZC- EL0`)
    after its REGS token: blanks, then the flags, built from the grammar's own terminals. Only
    for lines without `:`, where LABEL cannot match; the REGS token is the lexer's, the longest
    REGS match (neither flag terminal holds `=`, so a whole-line `REGS blanks flags` match has
    that same REGS)."""
    terminals = terminal_regexes("registers")
    flags, psr = terminals["FLAGS"], terminals["PSRFLAGS"]
    return re.compile(f"[ \\t]+((?:{flags})|(?:{psr}))")


def read_items(lines: list[Line]) -> list[Item]:
    """Every non-blank line as an `Item`, in order. A line that is one whole-line token of the
    grammar is matched with that terminal's own regex (the LALR parser would only wrap it);
    the other lines go to lark in ONE call, each alone when that call fails (a line the
    grammar refuses alone is `bad`)."""
    kept = [ln for ln in lines if ln.text.strip()]
    items = [classify(ln) for ln in kept]
    rest = [i for i, item in enumerate(items) if item is None]
    if rest:
        for i, item in zip(rest, _read_with_lark([kept[i] for i in rest]), strict=True):
            items[i] = item
    return [item for item in items if item is not None]


def classify(line: Line) -> Item | None:
    """The item of a line made of one whole-line token, else None (lark must read it): the
    first terminal that matches at the start decides, as in the lexer; none: `other`."""
    text = line.text.strip()
    if "\n" in text:
        return Item("bad", line)  # the grammar reads one line per `line`
    m = _line_start().match(text)
    if m is None:
        return Item("other", line)
    kind = m.lastgroup or ""
    if m.end() != len(text):
        return _flags_item(line, text, m.end()) if kind == "regs" else None
    if kind == "regs":
        return Item("regs", line, _assignments(text))
    return Item(kind, line)


def _flags_item(line: Line, text: str, end: int) -> Item | None:
    """The `regs` item of a register line whose REGS token ends at `end` and the flags follow
    (`_flags_tail`), else None."""
    if ":" in text:
        return None
    m = _flags_tail().fullmatch(text, end)
    if m is None:
        return None
    flags = tuple([("flags", "", f) for f in m[1].split()])
    return Item("regs", line, _assignments(text[:end]) + flags)


def _read_with_lark(lines: list[Line]) -> list[Item]:
    parser = fast("registers")
    try:
        tree = parser.parse("\n".join(ln.text.strip() for ln in lines))
    except LarkError:
        return [_read_one(ln) for ln in lines]
    return [_item(ln, sub) for ln, sub in zip(lines, tree.children, strict=True)]


def _read_one(line: Line) -> Item:
    try:
        tree = fast("registers").parse(line.text.strip())
    except LarkError:
        return Item("bad", line)
    return _item(line, tree.children[0])


def _assignments(text: str) -> tuple[tuple[str, str, str], ...]:
    """`rax=0000… rbx=…` -> (("set", "rax", "0000…"), …)."""
    return tuple([("set", *pair.partition("=")[::2]) for pair in text.split()])


def _item(line: Line, tree: Tree) -> Item:
    if tree.data != "regs":
        return Item(str(tree.data), line)
    pieces: list[tuple[str, str, str]] = []
    for tok in tree.children:
        assert isinstance(tok, Token)
        if tok.type == "REGS":
            pieces.extend(_assignments(tok))
        elif tok.type == "LABEL":
            pieces.append(("label", "", str(tok)))
        else:  # FLAGS, PSRFLAGS
            pieces.extend(("flags", "", m) for m in tok.split())
    return Item("regs", line, tuple(pieces))


# --------------------------------------------------------------------------- building the record


def parse(lines: list[Line]) -> Parsed[RegistersRecord]:
    return build(read_items(lines))


def build(items: list[Item]) -> Parsed[RegistersRecord]:
    """The record the items describe, and a diagnostic for each thing it could not take."""
    rec = RegistersRecord(arch=_arch(items))
    diags: list[Diagnostic] = []
    final = len(items) - 1
    for i, item in enumerate(items):
        kind = item.kind
        if rec.line is None and kind in DUMP_KINDS:
            rec.line = item.line.no
        if kind != "regs":
            _take(rec, item, items[i - 1] if i else None, diags)
        elif _second_dump(rec, item):
            last = items[-1].line.no
            diags.append(
                Diagnostic(item.line.no, f"a second register dump (lines {item.line.no}-{last}) not read")
            )
            break
        else:
            _take_regs(rec, item, i == final, diags)
    _decode_instruction(rec, items, diags)
    return Parsed(rec, diags)


def _decode_instruction(rec: RegistersRecord, items: list[Item], diags: list[Diagnostic]) -> None:
    """`instruction` from `instruction_text`, with the instruction line's number."""
    if rec.instruction_text is None:
        return
    no = next(item.line.no for item in items if item.kind == "instruction")
    rec.instruction = parse_instruction(rec.instruction_text)
    if rec.instruction is None:
        diags.append(Diagnostic(no, f"current instruction not decoded: {rec.instruction_text[:60]}"))
    else:
        rec.instruction.line = no


def _arch(items: list[Item]) -> str | None:
    """x64, x86 or arm64 from the first register name that says which."""
    for item in items:
        for what, name, _ in item.values:
            if what != "set":
                continue
            if name in _X64 or _R64.match(name):
                return "x64"
            if name in _X86:
                return "x86"
            if _ARM64.match(name):
                return "arm64"
    return None


def _second_dump(rec: RegistersRecord, item: Item) -> bool:
    """A register printed again once the current instruction was shown starts another dump."""
    if rec.instruction_text is None and rec.label is None:
        return False
    return any(w == "set" and (n in rec.registers or n in rec.segments) for w, n, _ in item.values)


def _take(rec: RegistersRecord, item: Item, before: Item | None, diags: list[Diagnostic]) -> None:
    """One line that is not a `regs` line."""
    text = item.line.text.strip()
    no = item.line.no
    if item.kind == "label":
        _set_label(rec, text, no, diags)
    elif item.kind == "instruction":
        if rec.instruction_text is None:
            rec.instruction_text = text
        else:
            diags.append(Diagnostic(no, f"more disassembly after the current instruction: {text[:60]}"))
    elif item.kind == "errcode":
        rec.error_code = hex_str(text.partition("=")[2].strip())
    elif item.kind == "ctxflags":
        rec.context_flags = hex_str(text.partition(":")[2].strip())
    elif item.kind == "note":
        rec.notes.append(text)
        rec.incomplete = rec.incomplete or text.startswith(_INCOMPLETE)
    elif _continues_instruction(rec, before):
        rec.instruction_text = f"{rec.instruction_text} {text}"
    else:
        diags.append(Diagnostic(no, f"not a register dump line: {text[:60]}"))


def _continues_instruction(rec: RegistersRecord, before: Item | None) -> bool:
    """The tail of an instruction line wrapped inside its `[…]` operand (code/097)."""
    text = rec.instruction_text
    if before is None or before.kind != "instruction" or text is None:
        return False
    return text.count("[") > text.count("]")


def _set_label(rec: RegistersRecord, text: str, no: int, diags: list[Diagnostic]) -> None:
    if rec.label is None:
        rec.label = text[:-1]
    else:
        diags.append(Diagnostic(no, f"a second symbol line: {text[:60]}"))


def _take_regs(rec: RegistersRecord, item: Item, last: bool, diags: list[Diagnostic]) -> None:
    """The pieces of one register line; `last` when it ends the block (and may be cut)."""
    no = item.line.no
    final = len(item.values) - 1 if last else -1
    registers, segments = rec.registers, rec.segments
    for k, (what, name, value) in enumerate(item.values):
        if what == "set":
            where = segments if name in _SEGMENTS else registers
            digits = value.replace("`", "")
            if name == "iopl":
                rec.iopl = hex_str(value)
            elif k != final and digits and "?" not in digits and name not in where:
                where[name] = "0x" + (digits.lstrip("0").lower() or "0")  # `_set_register`'s usual case
            else:
                _set_register(rec, name, value, k == final, no, diags)
        elif what == "label":
            _set_label(rec, value, no, diags)
        elif value in _FLAG_MNEMONICS or _PSR_FLAGS.match(value):
            rec.flags.append(value)
        else:
            why = "cut off at the end of the paste" if k == final else "is not a flag"
            diags.append(Diagnostic(no, f"{value!r} {why}"))


def _set_register(
    rec: RegistersRecord, name: str, value: str, cut: bool, no: int, diags: list[Diagnostic]
) -> None:
    """Store one `name=value`; `cut` when it is the last thing of the block (maybe cut short)."""
    where = rec.segments if name in _SEGMENTS else rec.registers
    if name in where:
        diags.append(Diagnostic(no, f"{name} printed twice; the first value is kept"))
    elif not value:
        why = "cut off at the end of the paste" if cut else "printed without a value"
        diags.append(Diagnostic(no, f"{name}= {why}"))
    elif value[0] == "?":
        where[name] = None
    else:
        digits = value.replace("`", "")  # a REGS value: hex digits, backticks, `?`
        if cut and len(digits) < (_width(name, rec.arch) or 0):
            diags.append(Diagnostic(no, f"{name}={value} cut off at the end of the paste"))
        elif digits and "?" not in digits:  # hex_str's result without its general checks
            where[name] = "0x" + (digits.lstrip("0").lower() or "0")
        else:
            where[name] = hex_str(value)


def _width(name: str, arch: str | None) -> int | None:
    """How many digits WinDbg prints for register `name`, when that is fixed."""
    if name in _SEGMENTS:
        return 4
    if name in ("efl", "psr", "cpsr"):
        return 8
    if name in ("iopl", "vip", "vif"):
        return None
    return {"x64": 16, "arm64": 16, "x86": 8}.get(arch or "")
