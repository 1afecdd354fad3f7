"""Hex text as WinDbg prints it, normalised to the JSON contract's lowercase `0x…` strings.

JSON numbers lose precision past 2**53, so every address, code and 64-bit value leaves
crashsift as a string such as ``"0xfffff8800106f141"``.
"""

from __future__ import annotations

import re

_HEX_BODY = re.compile(r"[0-9a-fA-F]+")
_DIGITS = frozenset("0123456789abcdefABCDEF")
_DIGITS_OR_TICK = _DIGITS | {"`"}


def hex_value(text: str | None) -> int | None:
    """`fffff880`0106f141`, `0x3B`, `3bh`, `0n59` -> int; anything else -> None."""
    if not text:
        return None
    # Fast paths for what stacks are full of: bare digits (maybe with a backtick), `0x…`.
    if _DIGITS_OR_TICK.issuperset(text):
        t = text.replace("`", "")
        return int(t, 16) if t else None
    if text[:2] in ("0x", "0X") and len(text) > 2 and _DIGITS.issuperset(text[2:]):
        return int(text[2:], 16)
    t = text.strip().replace("`", "").replace("'", "")
    if t.lower().startswith("0n"):
        return int(t[2:]) if t[2:].isdigit() else None
    if t[:2].lower() == "0x":
        t = t[2:]
    elif t[-1:] in "hH" and len(t) > 1:
        t = t[:-1]
    if not t or not _HEX_BODY.fullmatch(t):
        return None
    return int(t, 16)


def hex_str(value: int | str | None) -> str | None:
    """Normalise an int or WinDbg hex text to ``"0x…"`` (lowercase, no padding); None if not hex."""
    if value is None:
        return None
    if isinstance(value, str):
        # Fast path, the same result without an int round trip: digits maybe with a backtick,
        # maybe after `0x`.
        digits = value[2:] if value[:2] in ("0x", "0X") else value
        if digits and _DIGITS_OR_TICK.issuperset(digits):
            digits = digits.replace("`", "")
            return "0x" + (digits.lstrip("0").lower() or "0") if digits else None
        value = hex_value(value)
        if value is None:
            return None
    return f"0x{value:x}"
