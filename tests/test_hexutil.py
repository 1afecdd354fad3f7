"""Hex normalisation: the fast paths give exactly what the general reading gives."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crashsift.hexutil import hex_str, hex_value

_HEX_BODY = re.compile(r"[0-9a-fA-F]+")


def _reference_value(text: str | None) -> int | None:
    """The general reading alone, as hex_value was before its fast paths."""
    if not text:
        return None
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


@pytest.mark.parametrize(
    ("text", "value", "normal"),
    [
        ("fffff880`0106f141", 0xFFFFF8800106F141, "0xfffff8800106f141"),
        ("00000000`00000000", 0, "0x0"),
        ("0000000000cc000c", 0xCC000C, "0xcc000c"),
        ("7C90E4FF", 0x7C90E4FF, "0x7c90e4ff"),
        ("0x3B", 0x3B, "0x3b"),
        ("0X0000000e", 0xE, "0xe"),
        ("0x1`2", 0x12, "0x12"),
        ("3bh", 0x3B, "0x3b"),
        ("0n59", 59, "0x3b"),
        (" 0x3b ", 0x3B, "0x3b"),
        ("0b", 0xB, "0xb"),
        ("`", None, None),
        ("0x", None, None),
        ("0x`", None, None),
        ("0xg", None, None),
        ("", None, None),
        ("nt", None, None),
    ],
)
def test_hex_forms(text: str, value: int | None, normal: str | None) -> None:
    assert hex_value(text) == value
    assert hex_str(text) == normal


_HEXISH = st.text(alphabet=st.sampled_from(list("0123456789abcdefABCDEFxXnNhH`' \t")), max_size=20)


@given(_HEXISH)
def test_fast_paths_agree_with_the_general_reading(text: str) -> None:
    expected = _reference_value(text)
    assert hex_value(text) == expected
    assert hex_str(text) == (None if expected is None else f"0x{expected:x}")


def test_int_and_none() -> None:
    assert hex_str(0) == "0x0"
    assert hex_str(0xDEADBEEF) == "0xdeadbeef"
    assert hex_str(None) is None
