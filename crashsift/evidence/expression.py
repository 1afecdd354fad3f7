"""The address a command was given, worked out from its text (`dt _T @rcx-8`, `!pool fffffa80…+10`).

WinDbg's default MASM syntax: numbers are hex unless written ``0n…`` (decimal), a backtick may
split 64-bit values, ``@rcx`` (or a bare register name) is a register, and ``+ - *`` and
parentheses combine them. Anything else — symbols, ``poi()``, C++ syntax — gives None: the
address is unknown rather than guessed.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\s*(?:(?P<num>0n\d+|(?:0x)?[0-9a-fA-F`]+h?)\b|@?(?P<reg>[a-zA-Z]\w*)|(?P<op>[-+*()]))")
MASK64 = (1 << 64) - 1


def evaluate(text: str, registers: dict[str, int]) -> int | None:
    """The value of a MASM address expression, or None when it uses what the text cannot give."""
    tokens = _tokens(text.strip(), registers)
    if tokens is None:
        return None
    pos, value = _sum(tokens, 0)
    return value & MASK64 if value is not None and pos == len(tokens) else None


def _tokens(text: str, registers: dict[str, int]) -> list[int | str] | None:
    out: list[int | str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            return None
        pos = m.end()
        if m["op"]:
            out.append(m["op"])
        elif m["reg"] is not None:
            name = m["reg"].lower()
            if name not in registers:
                return None
            out.append(registers[name])
        else:
            out.append(_number(m["num"]))
    return out


def _number(text: str) -> int:
    t = text.lower().replace("`", "")
    if t.startswith("0n"):
        return int(t[2:])
    return int(t.removeprefix("0x").removesuffix("h"), 16)


def _sum(tokens: list[int | str], pos: int) -> tuple[int, int | None]:
    pos, value = _product(tokens, pos)
    while value is not None and pos < len(tokens) and tokens[pos] in ("+", "-"):
        op = tokens[pos]
        pos, right = _product(tokens, pos + 1)
        if right is None:
            return pos, None
        value = value + right if op == "+" else value - right
    return pos, value


def _product(tokens: list[int | str], pos: int) -> tuple[int, int | None]:
    pos, value = _unary(tokens, pos)
    while value is not None and pos < len(tokens) and tokens[pos] == "*":
        pos, right = _unary(tokens, pos + 1)
        if right is None:
            return pos, None
        value *= right
    return pos, value


def _unary(tokens: list[int | str], pos: int) -> tuple[int, int | None]:
    if pos >= len(tokens):
        return pos, None
    tok = tokens[pos]
    if tok == "-":
        pos, value = _unary(tokens, pos + 1)
        return pos, None if value is None else -value
    if tok == "(":
        pos, value = _sum(tokens, pos + 1)
        if pos >= len(tokens) or tokens[pos] != ")":
            return pos, None
        return pos + 1, value
    if isinstance(tok, int):
        return pos + 1, tok
    return pos, None
