"""What kind of address a value is, by architecture: NULL plus a small offset, a user or kernel
address, non-canonical, a fill pattern (`data/fill_patterns.tsv`), a repeated byte.

x64 and ARM64 use 48-bit virtual addresses: bits 63..47 must all equal bit 47 (canonical),
user space is below 0x0000800000000000, kernel space from 0xffff800000000000. x86 Windows
splits at 0x80000000 (the /3GB switch moves it; the classes say "probably" there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

NULL_PAGE = 0x10000  # Windows never maps the first 64 KB: NULL plus an offset below it
USER_TOP_64 = 0x0000_8000_0000_0000
KERNEL_BASE_64 = 0xFFFF_8000_0000_0000
USER_TOP_32 = 0x8000_0000


@dataclass(frozen=True, slots=True)
class Fill:
    pattern: int
    cause: str
    meaning: str


@cache
def fill_patterns() -> dict[int, Fill]:
    text = resources.files("crashsift").joinpath("data", "fill_patterns.tsv").read_text("utf-8")
    out: dict[int, Fill] = {}
    for row in text.splitlines():
        if row and not row.startswith("#"):
            pattern, cause, meaning = row.split("\t")
            out[int(pattern, 16)] = Fill(int(pattern, 16), cause, meaning)
    return out


def is_canonical(value: int, arch: str | None) -> bool:
    if arch == "x86":
        return value < 1 << 32
    top = value >> 47
    return top == 0 or top == (1 << 17) - 1


def is_kernel(value: int, arch: str | None) -> bool:
    if arch == "x86":
        return USER_TOP_32 <= value < 1 << 32
    return value >= KERNEL_BASE_64


def is_user(value: int, arch: str | None) -> bool:
    """A non-NULL-page address in user space."""
    top = USER_TOP_32 if arch == "x86" else USER_TOP_64
    return NULL_PAGE <= value < top


def fill_of(value: int) -> Fill | None:
    """The fill pattern a value is made of: a 32-bit pattern in either half (or the whole)."""
    patterns = fill_patterns()
    low, high = value & 0xFFFF_FFFF, value >> 32
    if high in (0, low) and low in patterns:
        return patterns[low]
    return None


def repeated_byte(value: int, width: int) -> int | None:
    """The byte a value of `width` bytes repeats (0x2b2b2b2b -> 0x2b); None for 00 and ff
    (zero and minus one are ordinary values) or when the bytes differ."""
    b = value & 0xFF
    if b in (0, 0xFF) or width < 4:
        return None
    return b if value == int.from_bytes(bytes([b]) * width, "little") else None


def classify(value: int, arch: str | None, kernel_mode: bool) -> list[str]:
    """The classes an address belongs to, most telling first: ``null+offset``,
    ``non-canonical``, ``user-address-in-kernel``, ``kernel-address-in-user``, ``fill:<cause>``,
    ``repeated-byte``. Empty for an ordinary address of the right space."""
    out: list[str] = []
    if value < NULL_PAGE:
        out.append("null+offset")
    elif not is_canonical(value, arch):
        out.append("non-canonical")
    elif kernel_mode and is_user(value, arch):
        out.append("user-address-in-kernel")
    elif not kernel_mode and is_kernel(value, arch):
        out.append("kernel-address-in-user")
    if fill := fill_of(value):
        out.append(f"fill:{fill.cause}")
    elif repeated_byte(value, 4 if arch == "x86" or value < 1 << 32 else 8) is not None:
        out.append("repeated-byte")
    return out


def differing_bytes(a: int, b: int) -> list[int]:
    """Byte positions (0 = least significant) where two 64-bit values differ."""
    x = a ^ b
    return [i for i in range(8) if (x >> (8 * i)) & 0xFF]


def single_bit(a: int, b: int) -> int | None:
    """The bit position when two values differ in exactly one bit, else None."""
    x = a ^ b
    return x.bit_length() - 1 if x and not x & (x - 1) else None


def show(value: int, arch: str | None = None) -> str:
    """An address as WinDbg prints it (``fffffa80`08e13318``; 8 digits on x86)."""
    if arch == "x86" or (arch is None and value < 1 << 32):
        return f"{value:08x}"
    return f"{value >> 32:08x}`{value & 0xFFFF_FFFF:08x}"
