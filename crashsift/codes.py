"""Names for Windows bug check codes and NTSTATUS / exception codes.

The tables live as tab-separated data files in ``crashsift/data/`` so that they can be
reviewed, diffed and extended without touching code:

* ``bugchecks.tsv`` -- ``code<TAB>name``, Microsoft's public "Bug Check Code Reference";
* ``ntstatus.tsv`` -- ``code<TAB>name<TAB>text``, the exception / status codes that show up in
  ``.exr``, ``EXCEPTION_CODE:`` and ``(pid.tid): Access violation - code c0000005`` lines.

Both are read once, lazily, through :mod:`importlib.resources` (so they also work from a
wheel or a zip) and cached for the life of the process.

Every lookup accepts the many ways a code is written in pasted debugger text -- ``0x3B``,
``3b``, ``0000003b``, ``00000000`0000003b``, ``0x1000007E``, ``0n59``, a plain ``int`` -- and
every lookup answers ``None`` for anything it cannot place instead of raising: crashsift reads
text typed or pasted by people, and a wrong or garbled code is normal input, not a bug.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = [
    "bugcheck_code_from_bucket",
    "bugcheck_name",
    "exception_name",
    "exception_text",
    "parse_code",
]

_DATA_PACKAGE = "crashsift"
_BUGCHECK_FILE = "bugchecks.tsv"
_NTSTATUS_FILE = "ntstatus.tsv"

#: Bug checks 0x1000xxxx are the "_M" twins of 0x0000xxxx (same meaning, other reporter).
_M_MASK = 0xFFFF0000
_M_PREFIX = 0x10000000

_U32 = 0xFFFFFFFF

# A code as text: optional 0x, hex digits (WinDbg may split 64-bit values with a backtick),
# optional C suffix "L"; or WinDbg's explicit decimal "0n59"; or a signed decimal "-1073741819"
# (how exit codes are often printed). Length is bounded so junk cannot cost much.
_HEX_TEXT = re.compile(r"(?:0x)?([0-9a-f]{1,16})l?", re.IGNORECASE)
_DEC_TEXT = re.compile(r"(?:0n(\d{1,20})|(-\d{1,20}))", re.IGNORECASE)

# FAILURE_BUCKET_ID / BUCKET_ID / DEFAULT_BUCKET_ID / BUGCHECK_STR that begins with a bug check:
# an optional platform or live-dump tag, then 0x<hex>, then "_" or the end. The hex must not run
# into a letter or digit (``0x3Bfoo`` is not 0x3b).
_BUCKET_CODE = re.compile(
    r"(?:(?:X64|X86|I386|AMD64|IA64|ARM64|ARM|LKD)_){0,2}0x([0-9a-f]{1,8})(?![0-9a-z])",
    re.IGNORECASE,
)


def parse_code(code: int | str | None) -> int | None:
    """Turn a code as written in a paste into an unsigned 32-bit int, or ``None``.

    Accepted: ``int`` (negative values are taken as a signed 32-bit NTSTATUS, e.g. an exit code
    of -1073741819 is 0xc0000005); text in hex with or without ``0x`` and zero padding,
    including WinDbg's ``00000000`c0000005`` and a C ``L`` suffix; ``0n``-prefixed or negative
    decimal text. A 64-bit value whose high half is all ones (a sign-extended NTSTATUS, as in
    ``rax=ffffffffc0000005``) is folded to its low 32 bits. Anything else, including values that
    do not fit in 32 bits and ``bool``, gives ``None``.
    """
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return _fit_u32(code)
    if not isinstance(code, str):
        return None
    text = code.strip().replace("`", "")
    if not text or len(text) > 24:
        return None
    match = _HEX_TEXT.fullmatch(text)
    if match:
        return _fit_u32(int(match.group(1), 16))
    match = _DEC_TEXT.fullmatch(text)
    if match:
        return _fit_u32(int(match.group(1) or match.group(2)))
    return None


def _fit_u32(value: int) -> int | None:
    """Map a signed 32-bit or sign-extended 64-bit value onto 0..0xffffffff; else ``None``."""
    if 0 <= value <= _U32:
        return value
    if -(1 << 31) <= value < 0:
        return value & _U32
    if value >> 32 == _U32:  # 0xffffffff_xxxxxxxx: sign-extended 32-bit status
        return value & _U32
    return None


def bugcheck_name(code: int | str | None) -> str | None:
    """Symbolic name of a bug check code (``0x3b`` -> ``"SYSTEM_SERVICE_EXCEPTION"``).

    ``0x1000xxxx`` codes are looked up as they are first; if the table has no row for one, the
    name of ``0xxxxx`` with ``_M`` appended is given (``0x1000000a`` ->
    ``"IRQL_NOT_LESS_OR_EQUAL_M"``), which is how Windows names those twins. Unknown or
    unparsable codes give ``None``.
    """
    value = parse_code(code)
    if value is None:
        return None
    table = _bugchecks()
    name = table.get(value)
    if name is None and value & _M_MASK == _M_PREFIX:
        base = table.get(value & ~_M_MASK)
        if base is not None:
            name = f"{base}_M"
    return name


def exception_name(code: int | str | None) -> str | None:
    """Symbolic name of an NTSTATUS / exception code (``c0000005`` -> ``"STATUS_ACCESS_VIOLATION"``)."""
    entry = _exception_entry(code)
    return entry[0] if entry else None


def exception_text(code: int | str | None) -> str | None:
    """Short human wording of an exception code (``c0000005`` -> ``"Access violation"``).

    Where the debugger prints its own event text (``Access violation - code c0000005``) the
    table uses the same words, so reports read like the paste they came from.
    """
    entry = _exception_entry(code)
    return entry[1] if entry else None


def bugcheck_code_from_bucket(bucket_id: str | None) -> int | None:
    """The bug check code that a ``!analyze`` bucket id starts with, or ``None``.

    Kernel buckets begin with the code in hex, optionally after a platform tag:
    ``X64_0x3B_fltmgr!TreeUnlinkMulti+51`` -> 0x3b, ``0x139_MISSING_GSFRAME_nt!KiFastFailDispatch``
    -> 0x139, ``0xc4_IrqlExApcLte1_XDV_VRF_MyDriver!OnInterrupt`` -> 0xc4. The same works for
    ``BUGCHECK_STR`` values (``0xc2_b``, ``0xA``).

    Only that leading ``0x`` form counts. Buckets named by failure class (``AV_nt!...``,
    ``WIN8_DRIVER_FAULT``, ``CODE_CORRUPTION``) and user-mode buckets carrying an exception code
    (``NULL_POINTER_READ_c0000005_...``, ``80000003_MyApp!...``) give ``None``. A bucket that
    merely *looks like* a bug check name gives ``None`` too: ``PAGE_NOT_ZERO`` is the name of
    bug check 0x127, yet WinDbg prints it as the BUCKET_ID of 0x3B and 0x44 crashes. A code
    that is not in the bug check table (see :func:`bugcheck_name`) also gives ``None``.
    """
    if not isinstance(bucket_id, str):
        return None
    match = _BUCKET_CODE.match(bucket_id.strip())
    if match is None:
        return None
    value = int(match.group(1), 16)
    return value if bugcheck_name(value) is not None else None


def _exception_entry(code: int | str | None) -> tuple[str, str] | None:
    value = parse_code(code)
    if value is None:
        return None
    return _exceptions().get(value)


@cache
def _bugchecks() -> dict[int, str]:
    """``{code: name}`` from ``bugchecks.tsv``; read on first use, then cached."""
    return {code: fields[0] for code, fields in _read_table(_BUGCHECK_FILE, ("code", "name"))}


@cache
def _exceptions() -> dict[int, tuple[str, str]]:
    """``{code: (name, text)}`` from ``ntstatus.tsv``; read on first use, then cached."""
    rows = _read_table(_NTSTATUS_FILE, ("code", "name", "text"))
    return {code: (fields[0], fields[1]) for code, fields in rows}


def _read_table(filename: str, header: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Rows of a shipped TSV as ``(code, other_fields)``.

    Blank lines and lines starting with ``#`` are skipped; the first other line must be the
    expected header. A malformed file is a packaging bug, so it raises ``ValueError`` (naming the
    file and line) rather than silently losing codes.
    """
    text = resources.files(_DATA_PACKAGE).joinpath("data", filename).read_text(encoding="utf-8")
    rows: list[tuple[int, list[str]]] = []
    seen_header = False
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if not seen_header:
            if tuple(fields) != header:
                raise ValueError(f"{filename}:{lineno}: expected header {header!r}, got {fields!r}")
            seen_header = True
            continue
        if len(fields) != len(header) or not fields[0].lower().startswith("0x"):
            raise ValueError(f"{filename}:{lineno}: malformed row {line!r}")
        try:
            code = int(fields[0], 16)
        except ValueError:
            raise ValueError(f"{filename}:{lineno}: code is not hex: {fields[0]!r}") from None
        rows.append((code, fields[1:]))
    if not seen_header:
        raise ValueError(f"{filename}: no header line")
    return rows
