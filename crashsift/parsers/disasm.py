"""`u` / `ub` / `uf` output, and single disassembly lines (FAULTING_IP, a register dump's
current instruction): instructions with their operands taken apart.

Record (`DisasmRecord`): ``instructions``, one `Instruction` per instruction line, in order.

`Instruction`:

- ``address`` (``"0x…"``; the offset of a ``4141:4141`` segment:offset address, whose segment
  goes to ``address_segment``), ``bytes`` as printed (``"488b4620"``, ``"??"`` when the memory
  could not be read), ``mnemonic`` (``"???"`` for bytes that decode to nothing; empty when
  WinDbg printed a message instead, ``[The current instruction pointer is NULL.]``, which goes
  to ``note``), ``prefixes``
  (``lock``, ``rep``, …), ``operands`` (`Operand`), ``text`` (the operands as printed).
- ``label``: the ``mod!func+0x12:`` symbol line printed just before the instruction (without
  its colon and source), ``source_file`` / ``source_line`` from its ``[file @ line]``,
  ``inlined_in`` from its ``[inlined in …]``; None when no label line precedes it.
- ``target``: ``{symbol, address}`` of a direct branch or call (``je fltmgr!X+0x123 (…)``).
- ``annotation``: the memory note after the operands, ``ds:002b:0000009d`00000020=????????``:
  ``segment``, ``selector`` (None when not printed), ``address``, ``raw`` (the value as
  printed, None when the note is cut off before ``=``), ``value`` (``"0x…"``, or None when
  the memory could not be read), ``size`` (bytes shown), ``symbol`` (the ``{nt!X (…)}`` form).
- ``branch_taken``: the ``[br=0]`` / ``[br=1]`` of a register dump's conditional jump.
- ``note``: text after the operands that is not the debugger's (``--> nt!ZwWriteFile``, an
  author's ``<---- Position 1``, `uf`'s ``Branch``). ``line``: the original line number.

`Operand`: ``kind`` (``register``, ``immediate``, ``memory``, ``address``, ``shift``,
``register_list``, ``other``), ``text`` as printed, and by kind: ``register``; ``value`` (an
immediate or address as ``"0x…"``, negative ones ``"-0x10"``); ``symbol`` (an address's or a
memory operand's symbol); for memory ``size`` (``"qword ptr"``), ``segment``, ``base``,
``index``, ``scale`` (an int; 1 for an index without one), ``displacement`` (signed:
``[rbp-8]`` gives ``"-0x8"``, ``[nt!X (fffff800`12345678)]`` the symbol's address) and
``writeback`` (ARM64 ``[sp,#-0x10]!``); ``shift`` (ARM64 ``lsl``, ``uxtw`` … of a shift
operand or of a memory operand's index, whose amount is folded into ``scale``).

Syntax: x86/x64 MASM as WinDbg prints it (``20h``, ``0FFFFFFFFFFFFFFFFh``, old ``0x20`` and
bare ``2e``; all hex), whitespace-collapsed lines included, and ARM64 in the Microsoft
disassembler's syntax (``ldr x8,[x19,#0x10]``, ``stp fp,lr,[sp,#-0x10]!``,
``ldrsw x8,[x9,w8 uxtw #2]``). The address and code bytes are split off here; the rest of the
line is read by the ``disasm.lark`` grammar, one token per operand, and a memory operand's
brackets are taken apart here. Plain lines (maybe prefixes, then lowercase registers, numbers,
simple memory and ``sym (address)`` operands: most of a listing) are cut into the same tokens
by one regex, address and bytes included, instead of the grammar, which costs per token; tests
check that both readings agree. Other lines of a block (a command echo, a debugger message, a
line cut before its mnemonic) become diagnostics.

`parse_instruction(text)` reads one such line (with or without address and bytes), for the
analyze and register parsers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lark import Tree
from lark.exceptions import LarkError, UnexpectedInput

from crashsift.hexutil import hex_str, hex_value
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers.grammar import fast


@dataclass(slots=True)
class Operand:
    kind: str
    text: str
    register: str | None = None
    value: str | None = None
    symbol: str | None = None
    size: str | None = None
    segment: str | None = None
    base: str | None = None
    index: str | None = None
    scale: int | None = None
    displacement: str | None = None
    shift: str | None = None
    writeback: bool = False


@dataclass(slots=True)
class Target:
    symbol: str | None
    address: str | None


@dataclass(slots=True)
class Annotation:
    segment: str
    selector: str | None
    address: str | None
    raw: str | None
    value: str | None
    size: int | None
    symbol: str | None = None


@dataclass(slots=True)
class Instruction:
    address: str | None
    bytes: str | None
    mnemonic: str
    operands: list[Operand] = field(default_factory=list)
    text: str = ""
    prefixes: list[str] = field(default_factory=list)
    label: str | None = None
    source_file: str | None = None
    source_line: int | None = None
    inlined_in: str | None = None
    target: Target | None = None
    annotation: Annotation | None = None
    branch_taken: bool | None = None
    note: str | None = None
    address_segment: str | None = None
    line: int | None = None


@dataclass(slots=True)
class DisasmRecord:
    instructions: list[Instruction] = field(default_factory=list)


# Address (32-bit, 64-bit with or without the backtick, or segment:offset), then code bytes,
# then the body: the rest of a stripped line (greedy: a lazy body would try `\s*$` at each
# character).
_ADDRESS_BYTES = (
    r"\s*(?:(?P<seg>[0-9a-fA-F]{4}):(?P<off>[0-9a-fA-F]{4,8})|(?P<addr>[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?))"
    r"\s+(?P<bytes>[0-9a-fA-F]+|\?\?+)"
)
_HEAD = re.compile(rf"{_ADDRESS_BYTES}(?:\s+(?P<body>\S.*))?\s*$")
# What a frame line or a memory dump has where an instruction has its mnemonic.
_NOT_MNEMONIC = re.compile(r"[0-9a-fA-F]{2}(?:\s|$)|[0-9a-fA-F]{8}\b|[0-9a-fA-F]{8}`")
_LABEL = re.compile(
    r"\s*(?P<sym>\S.*?)(?:\s+\[(?P<file>[^\[\]]*?) @ (?P<line>\d+)\])?"
    r"(?:\s+\[inlined in (?P<inl>[^\[\]]*?)(?:\s+\[[^\[\]]*\])?\])?:\s*$"
)
_SYMADDR = re.compile(r"(?P<sym>.*?)\s?\((?P<addr>[0-9a-fA-F`]+)\)")
_ANNOTATION = re.compile(
    r"(?P<seg>[cdefgs]s):(?:(?P<sel>[0-9a-fA-F]{4}):)?(?P<addr>[0-9a-fA-F`]+)(?:=(?P<val>.*))?$"
)
_BRANCHES = frozenset((
    "call", "jmp", "loop", "loope", "loopne", "loopz", "loopnz", "jcxz", "jecxz", "jrcxz",
    "b", "bl", "blr", "br", "cbz", "cbnz", "tbz", "tbnz", "bx", "blx",
))  # fmt: skip
# ARM64 condition operands (`csel x0,x1,x2,eq`); `cs` and `al` are left out: x86 registers.
_ARM_CONDITIONS = frozenset(
    ["eq", "ne", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "nv"]
)
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_OPERAND_KINDS = frozenset(("REGISTER", "NUMBER", "IMM", "ADDRESS", "SYMBOL", "MEMORY", "SHIFT", "REGLIST"))
_SHIFTS = frozenset(
    ["lsl", "lsr", "asr", "ror", "msl", "uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"]
)
# A memory operand as the grammar's MEMORY token has it: size, segment, outer displacement,
# the brackets' content, ARM64 writeback.
_MEMORY = re.compile(
    r"(?:(?P<size>[a-z0-9]+)[ \t]+ptr[ \t]+)?(?:(?P<seg>[cdefgs]s):)?"
    r"(?P<outer>[^\[]*)\[(?P<inner>[^\]]*)\](?P<wb>!)?"
)
_MASM_EXPR = re.compile(r"\s*[+-]?\s*[\w`*]+(?:\s*[+-]\s*[\w`*]+)*\s*")
_MASM_TERM = re.compile(r"([+-]?)\s*([\w`*]+)")
# The most common brackets: a lowercase register, maybe plus or minus a hex number (`20h`, `8`).
_BASE_DISPLACEMENT = re.compile(r"([a-z][a-z0-9]*)(?:([+-])([0-9][0-9a-fA-F]*)h?)?")
# The most common memory operand: maybe a size and a segment, then such brackets alone.
_SIMPLE_MEMORY = re.compile(rf"(?:([a-z0-9]+) ptr )?(?:([cdefgs]s):)?\[{_BASE_DISPLACEMENT.pattern}\]")
_REGISTER_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# A label's symbol without `!`: `Driver+0x1000`.
_OFFSET_SYMBOL = re.compile(r"\S+\+0x[0-9a-fA-F]+:?")

# The plain shapes most lines have, read without the grammar (lark's cost is per token, and a
# listing has hundreds of lines): maybe prefixes (`lock`, `rep`, each followed by a blank, as
# the grammar's PREFIX), a mnemonic (not such a prefix), then operands that are lowercase
# registers, numbers, `sym (address)` without spaces, or memory holding a plain expression or
# such a symbol, then maybe an annotation. On these, the grammar's tokens are exactly these
# pieces (tests check it on the corpus and on generated lines); any other line goes to the
# grammar.
_SYM_ADDRESS = r"[A-Za-z_][\w!:+.@$`'<>~-]* \((?:[0-9a-f]{8}`[0-9a-f]{8}|[0-9a-f]{8,16})\)"
_PLAIN_KINDS = (
    (
        "MEMORY",
        r"(?:(?:byte|word|dword|qword|xmmword|mmword) ptr )?(?:[cdefgs]s:)?"
        rf"\[(?:[a-z0-9A-F+*-]+|{_SYM_ADDRESS})\]",
    ),
    ("ADDRESS", _SYM_ADDRESS),
    ("NUMBER", r"0x[0-9a-fA-F]+|[0-9][0-9a-fA-F]*h?"),
    ("REGISTER", r"(?!(?:lsl|lsr|asr|ror|msl|[su]xt[bhwx]|offset)\b)[a-z][a-z0-9]*\b"),
)
_PLAIN_OPERAND = re.compile("|".join(f"(?P<{kind}>{rx})" for kind, rx in _PLAIN_KINDS))
_PLAIN_KIND = {kind: re.compile(rx).match for kind, rx in _PLAIN_KINDS}
_DIGITS = frozenset("0123456789")
_WORD = re.compile(r"\S+")
_NOT_REGISTERS = _SHIFTS | {"offset"}  # the words the REGISTER regex's lookahead refuses
_ANY_PLAIN = "|".join(f"(?:{rx})" for _, rx in _PLAIN_KINDS)
_PREFIX = r"(?:lock|rep|repe|repz|repne|repnz|xacquire|xrelease|bnd|notrack)[ \t]"
_PLAIN = re.compile(
    rf"(?P<PREFIXES>(?:{_PREFIX}[ \t]*)*)(?!{_PREFIX})"
    rf"(?P<MNEMONIC>[a-z?][a-z0-9.?]*)(?:[ \t]+(?P<ops>(?:{_ANY_PLAIN})(?:,(?:{_ANY_PLAIN}))*))?"
    r"(?:[ \t]+(?P<ANNOTATION>[cdefgs]s:(?:[0-9a-f]{4}:)?[0-9a-f`]+=[0-9a-f?]+))?[ \t]*"
)
# A whole stripped line whose body is plain: what `_HEAD`, `_NOT_MNEMONIC` and `_PLAIN` read
# one after the other (the address and bytes split only one way), in one match.
_PLAIN_LINE = re.compile(rf"{_ADDRESS_BYTES}\s+(?!{_NOT_MNEMONIC.pattern}){_PLAIN.pattern}")


def parse(lines: list[Line]) -> Parsed[DisasmRecord]:
    """The instructions of one disassembly block; labels go to the instruction after them."""
    record = DisasmRecord()
    diagnostics: list[Diagnostic] = []
    label: re.Match[str] | None = None
    label_line = 0
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        read = _line_instruction(text)
        if read is not None:
            ins, problem = read
            if ins:
                ins.line = line.no
                if label:
                    _apply_label(ins, label)
                    label = None
                record.instructions.append(ins)
            if problem:
                diagnostics.append(Diagnostic(line.no, problem))
        elif _is_label(text):
            if label:
                diagnostics.append(Diagnostic(label_line, "label without an instruction after it"))
            label, label_line = _LABEL.match(text), line.no
        elif (head := _HEAD.match(text)) and head.group("body") is None:
            diagnostics.append(Diagnostic(line.no, f"instruction cut off after its code bytes: {text[:60]}"))
        else:
            diagnostics.append(Diagnostic(line.no, f"not a disassembly line: {text[:60]}"))
    if label:
        diagnostics.append(Diagnostic(label_line, "label without an instruction after it"))
    return Parsed(record, diagnostics)


def parse_instruction(text: str) -> Instruction | None:
    """One disassembly line (`fffff880`0106f141 488b4620 mov rax,qword ptr [rsi+20h] ds:…`),
    or its instruction alone (`mov rax,qword ptr [rsi+20h]`); None when it is neither."""
    text = text.strip()
    read = _line_instruction(text)
    if read is not None:
        return read[0]
    if not text or _HEAD.match(text):
        return None
    body = _read_body(text)
    return body[0] if body else None


def _line_instruction(text: str) -> tuple[Instruction | None, str | None] | None:
    """What `_instruction` reads of a stripped line that has an address, code bytes and a body
    that is not a frame line's or a memory dump's; None for any other line. A plain line is
    read in one match (`_PLAIN_LINE`), as the steps below read it."""
    plain = _PLAIN_LINE.fullmatch(text)
    if plain is not None:
        ins = _plain_instruction(plain)
        _place(ins, plain)
        return ins, None
    head = _HEAD.match(text)
    body = head.group("body") if head else None
    if head is None or not body or _NOT_MNEMONIC.match(body):
        return None
    return _instruction(head, body)


def _is_label(text: str) -> bool:
    """`nt!Foo+0x12:`, `Driver+0x1000:`, with `[file @ line]` maybe: a symbol, not a sentence."""
    if not text.endswith(":"):
        return False
    symbol = text.split(" [", 1)[0]
    return "!" in symbol or _OFFSET_SYMBOL.fullmatch(symbol) is not None


def _apply_label(ins: Instruction, label: re.Match[str]) -> None:
    ins.label = label.group("sym")
    ins.source_file = label.group("file")
    ins.source_line = int(label.group("line")) if label.group("line") else None
    ins.inlined_in = label.group("inl")


def _instruction(head: re.Match[str], body: str) -> tuple[Instruction | None, str | None]:
    """The instruction of a line whose address and bytes matched `_HEAD`, `body` the rest (None
    when it cannot be read), and what could not be read of it (None when everything was)."""
    if body.startswith("[") and body.endswith("]"):
        read = Instruction(None, None, "", note=body), None  # [The current instruction pointer is NULL.]
    else:
        read = _read_body(body)
    if read is None:
        return None, f"instruction not read: {head.group(0).strip()[:60]}"
    ins, cut = read
    _place(ins, head)
    return ins, f"memory annotation cut off: {cut}" if cut else None


def _place(ins: Instruction, head: re.Match[str]) -> None:
    """The address and code bytes of a line that `_ADDRESS_BYTES` begins."""
    segment, offset, address, code = head.group("seg", "off", "addr", "bytes")
    if segment:
        ins.address, ins.address_segment = hex_str(offset), hex_str(segment)
    else:  # hex digits, maybe a backtick: hex_str's result without its checks
        ins.address = "0x" + (address.replace("`", "").lstrip("0").lower() or "0")
    ins.bytes = code.lower()


Token4 = tuple[str, str, int, int]  # terminal name, text, start, end


def _read_body(body: str) -> tuple[Instruction, str | None] | None:
    """Mnemonic onwards: a plain line by `_plain_instruction`, any other by the grammar. Text
    after the operands that the grammar refuses is kept as a note when it stands apart (two
    spaces, or starts with punctuation such as `-->` or `<--`) and operands were read before it.
    None when the body cannot be read."""
    plain = _PLAIN.fullmatch(body)
    if plain is not None:
        return _plain_instruction(plain), None
    tokens, note = _grammar_tokens(body)
    if tokens is None:
        return None
    ins, cut = _build(tokens, body)
    if note is not None:
        if not ins.operands:
            return None  # `mscms   (deferred)`: an lm line, not an instruction with a note
        ins.note = note
    return ins, cut


def _plain_tokens(body: str) -> list[Token4] | None:
    """The tokens of a plain line (see `_PLAIN`), or None when the line is not plain."""
    m = _PLAIN.fullmatch(body)
    if m is None:
        return None
    mnemonic, ops, annotation = m.group("MNEMONIC", "ops", "ANNOTATION")
    tokens = [("PREFIX", word.group(), word.start(), word.end()) for word in _WORD.finditer(m["PREFIXES"])]
    tokens.append(("MNEMONIC", mnemonic, m.start("MNEMONIC"), m.end("MNEMONIC")))
    if ops is not None:
        start = m.start("ops")
        tokens += [
            (op.lastgroup or "", op.group(), start + op.start(), start + op.end())
            for op in _PLAIN_OPERAND.finditer(ops)
        ]
    if annotation is not None:
        tokens.append(("ANNOTATION", annotation, m.start("ANNOTATION"), m.end("ANNOTATION")))
    return tokens


def _plain_instruction(plain: re.Match[str]) -> Instruction:
    """What `_build` makes of `_plain_tokens`' tokens, read from the same match without making
    the tokens (a plain annotation is never cut: it holds its `=`)."""
    ops = plain["ops"]
    operands = None if ops is None else _plain_operands(ops)
    if operands is not None:
        ins = Instruction(None, None, plain["MNEMONIC"], operands, ops)
    else:
        ins = Instruction(None, None, plain["MNEMONIC"])
        if ops is not None:
            first = last = -1
            operands = ins.operands
            for op in _PLAIN_OPERAND.finditer(ops):
                if first < 0:
                    first = op.start()
                last = op.end()
                operands.append(_operand(op.lastgroup or "", op.group()))
            if first >= 0:
                ins.text = ops[first:last]
    if plain["PREFIXES"]:
        ins.prefixes = plain["PREFIXES"].split()
    annotation = plain["ANNOTATION"]
    if annotation is not None:
        ins.annotation = _annotation(annotation)
    ins.target = _target(ins)
    return ins


def _plain_operands(ops: str) -> list[Operand] | None:
    """The operands `_PLAIN_OPERAND.finditer` finds in a plain line's `ops`, each comma-separated
    piece matched with the regex of the first kind `finditer` tries that can match there alone
    (no plain operand holds a comma; a MEMORY one needs `[`, an ADDRESS one `(`, a NUMBER a
    leading digit); None when a piece is not wholly that kind, for `finditer` to read."""
    operands = []
    for piece in ops.split(","):
        if "[" in piece:
            kind = "MEMORY"
        elif "(" in piece:
            kind = "ADDRESS"
        elif piece[:1] in _DIGITS:
            kind = "NUMBER"
        elif piece.isascii() and piece.isalnum() and piece.islower() and piece not in _NOT_REGISTERS:
            operands.append(_name_operand(piece))  # what the REGISTER regex takes whole
            continue
        else:
            kind = "REGISTER"
        m = _PLAIN_KIND[kind](piece)
        if m is None or m.end() != len(piece):
            return None
        operands.append(_operand(kind, piece))
    return operands


def _grammar_tokens(body: str) -> tuple[list[Token4] | None, str | None]:
    """The grammar's tokens for `body`, and the note cut off its end (see `_read_body`)."""
    parser = fast("disasm")
    try:
        return _leaves(parser.parse(body)), None
    except UnexpectedInput as err:
        pos = err.pos_in_stream if isinstance(err.pos_in_stream, int) else -1
        if pos <= 0 or not body[pos - 1].isspace():
            return None, None
        note = body[pos:].strip()
        if not (body[pos - 2 : pos].isspace() or not note[:1].isalnum()):
            return None, None
        kept = body[:pos].rstrip()
        plain = _plain_tokens(kept)  # the grammar's tokens too (see `_PLAIN`), without lark
        if plain is not None:
            return plain, note
        try:
            return _leaves(parser.parse(kept)), note
        except LarkError:
            return None, None
    except LarkError:
        return None, None


def _leaves(tree: Tree) -> list[Token4]:
    return [(t.type, str(t), t.start_pos or 0, t.end_pos or 0) for t in tree.children]


def _build(tokens: list[Token4], body: str) -> tuple[Instruction, str | None]:
    """An Instruction from a line's tokens (the address and bytes are set by the caller), and
    the annotation's text when it is cut off before its `=`."""
    ins = Instruction(None, None, "")
    cut = None
    first = last = -1
    for kind, text, start, end in tokens:
        if kind in _OPERAND_KINDS:
            first = start if first < 0 else first
            last = end
            ins.operands.append(_operand(kind, text))
        elif kind == "MNEMONIC":
            ins.mnemonic = text
        elif kind == "PREFIX":
            ins.prefixes.append(text)
        elif kind == "BRANCH_HINT":
            ins.branch_taken = text[4] == "1"
        else:  # ANNOTATION
            ins.annotation = _annotation(text)
            cut = None if "=" in text else text
    if first >= 0:
        ins.text = body[first:last]
    ins.target = _target(ins)
    return ins, cut


def _operand(kind: str, text: str) -> Operand:
    # Operand's fields by position (cheaper than by keyword): kind, text, register, value, symbol
    if kind == "REGISTER":
        return _name_operand(text)
    if kind in ("NUMBER", "IMM"):
        return Operand("immediate", text, None, _number(text))
    if kind in ("ADDRESS", "SYMBOL"):
        symbol, address = _symbol_address(text.removeprefix("offset").lstrip())
        return Operand("address", text, None, address, symbol)
    if kind == "MEMORY":
        return _memory(text)
    if kind == "SHIFT":
        name, _, amount = text.partition(" ")
        return Operand("shift", text, shift=name, value=_number(amount.strip()) if amount else None)
    return Operand("register_list", text)


def _name_operand(name: str) -> Operand:
    """A bare name: a register, an ARM64 condition, or an old-style hex number (`ffffffff`)."""
    if name.lower() in _ARM_CONDITIONS:
        return Operand("other", name)
    if len(name) >= 4 and _HEX_DIGITS.issuperset(name):
        return Operand("immediate", name, None, hex_str(name))
    return Operand("register", name, name)


def _memory(text: str) -> Operand:
    """A memory operand: `qword ptr [rsi+20h]`, `byte ptr nt!X (…)[eax*8]`, `fs:[0C0h]`,
    `[rbp+rax*2-8]`, ARM64 `[sp,#-0x10]!`, `[x9,w8 uxtw #2]`, `[x0,x1,lsl #3]`. The
    displacement is the signed sum of the numbers and of the symbol's address. Brackets whose
    content cannot be read leave base, index, scale, shift, symbol and displacement None."""
    simple = _SIMPLE_MEMORY.fullmatch(text)
    if simple is not None:  # what the general reading below gives, without its steps
        size, segment, base, sign, digits = simple.groups()
        value = None if digits is None else -int(digits, 16) if sign == "-" else int(digits, 16)
        displacement = None if value is None else _signed_hex(value)
        size = size and f"{size} ptr"
        return Operand("memory", text, None, None, None, size, segment, base, None, None, displacement)
    op = Operand("memory", text)
    m = _MEMORY.match(text)
    if not m:
        return op
    op.size = f"{m.group('size')} ptr" if m.group("size") else None
    op.segment = m.group("seg")
    op.writeback = m.group("wb") is not None
    outer, inner = m.group("outer").strip(), m.group("inner").strip()
    try:
        displacement = _symbol_or_number(op, outer) if outer else None
        if "," in inner or "#" in inner:
            displacement = _add(displacement, _arm_parts(op, inner.split(",")))
        else:
            displacement = _add(displacement, _masm_terms(op, inner))
    except ValueError:
        op.base = op.index = op.scale = op.shift = op.symbol = None
        return op
    op.displacement = None if displacement is None else _signed_hex(displacement)
    return op


def _masm_terms(op: Operand, inner: str) -> int | None:
    """`rbp+rax*2-8`, `0000001c+eax*4`, `nt!X (fffff800`12345678)`: base, index and scale go to
    `op`; the displacement (None when there is no number) is returned."""
    if "(" in inner:
        return _symbol_or_number(op, inner)
    simple = _BASE_DISPLACEMENT.fullmatch(inner)
    if simple is not None:  # `rsp+20h`, `rbp-8`, `rcx`: what the loop below reads them as
        op.base, sign, digits = simple.groups()
        if digits is None:
            return None
        value = int(digits, 16)
        return -value if sign == "-" else value
    if not _MASM_EXPR.fullmatch(inner):
        raise ValueError(inner)
    total = None
    for sign, term in _MASM_TERM.findall(inner):
        name, star, scale = term.partition("*")
        if term[0].isdigit():
            total = _add(total, -_hex(term) if sign == "-" else _hex(term))
        elif not _REGISTER_NAME.fullmatch(name) or sign == "-":
            raise ValueError(term)
        elif star:
            op.index, op.scale = name, _hex(scale)
        elif op.base is None:
            op.base = name
        elif op.index is None:
            op.index, op.scale = name, 1
        else:
            raise ValueError(term)
    return total


def _arm_parts(op: Operand, parts: list[str]) -> int | None:
    """`sp,#-0x10`, `x9,w8 uxtw #2`, `x0,x1,lsl #3`: base, then an offset or an index with its
    extend or shift (the shift amount becomes the scale); the offset is returned."""
    base = parts[0].strip()
    if not _REGISTER_NAME.fullmatch(base):
        raise ValueError(base)
    op.base = base
    total = None
    for part in parts[1:]:
        words = part.split()
        if not words:
            raise ValueError(part)
        if words[0].startswith("#"):
            total = _add(total, _int(words[0]))
        elif words[0] in _SHIFTS:
            _shift_index(op, words)
        elif _REGISTER_NAME.fullmatch(words[0]) and op.index is None:
            op.index, op.scale = words[0], 1
            if len(words) > 1:
                _shift_index(op, words[1:])
        else:
            raise ValueError(part)
    return total


def _shift_index(op: Operand, words: list[str]) -> None:
    """`uxtw #2`, `lsl #3`, `sxtw`: the index is extended or shifted; the amount is the scale."""
    amount = _int(words[1]) if len(words) > 1 else 0
    if words[0] not in _SHIFTS or amount is None or not 0 <= amount < 64 or len(words) > 2:
        raise ValueError(" ".join(words))
    op.shift, op.scale = words[0], 1 << amount


def _symbol_or_number(op: Operand, text: str) -> int:
    """The value of a displacement written as `nt!X (fffff800`12345678)` (the symbol is stored
    on `op`) or as a number."""
    m = _SYMADDR.fullmatch(text)
    if m:
        op.symbol = m.group("sym").strip() or None
        return _hex(m.group("addr"))
    return _hex(text)


def _hex(text: str) -> int:
    value = hex_value(text)
    if value is None:
        raise ValueError(text)
    return value


def _add(total: int | None, value: int | None) -> int | None:
    if value is None:
        return total
    return value if total is None else total + value


def _signed_hex(value: int) -> str:
    return f"-0x{-value:x}" if value < 0 else f"0x{value:x}"


def _int(text: str) -> int | None:
    """`20h`, `0FFh`, `0x10`, `2e`, `fffff880`0106f213`, ARM64 `#0x10`, `#-0x10`, `#8` -> int
    (WinDbg prints hex everywhere); None for what is not a whole number (`#1.0`)."""
    text = text.lstrip("#")
    value = hex_value(text.lstrip("+-"))
    return -value if value is not None and text.startswith("-") else value


def _number(text: str) -> str | None:
    value = _int(text)
    return None if value is None else _signed_hex(value)


def _symbol_address(text: str) -> tuple[str | None, str | None]:
    """`nt!Foo+0x12 (fffff800`12345678)` -> ("nt!Foo+0x12", "0xfffff80012345678")."""
    m = _SYMADDR.fullmatch(text)
    if not m:
        return text, None
    return m.group("sym").strip() or None, hex_str(m.group("addr"))


def _annotation(text: str) -> Annotation | None:
    m = _ANNOTATION.match(text)
    if not m:
        return None
    raw = m.group("val")
    value = symbol = None
    size = None
    if raw is not None and raw.startswith("{"):
        symbol, value = _symbol_address(raw[1:-1].strip())
    elif raw:
        size = len(raw) // 2
        value = hex_str(raw) if _HEX_DIGITS.issuperset(raw) else None
    return Annotation(
        m.group("seg"), hex_str(m.group("sel")), hex_str(m.group("addr")), raw, value, size, symbol
    )


def _target(ins: Instruction) -> Target | None:
    """The symbol and address a direct branch or call goes to."""
    mnemonic = ins.mnemonic.lower()
    if not (mnemonic in _BRANCHES or mnemonic.startswith(("j", "b."))):
        return None
    for op in ins.operands:
        if op.kind == "address":
            return Target(op.symbol, op.value)
        if op.kind == "immediate" and op.value and not op.text.startswith("#"):
            op.kind = "address"  # `call 77e90174`: a bare number after a branch is its target
            return Target(None, op.value)
    return None
