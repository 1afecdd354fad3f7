"""Frames as correlation compares them: `module!function`, without offsets, arguments or noise.

- module names lowercased, extensions dropped, aliases joined (`ntkrnlmp`, `ntoskrnl` -> `nt`;
  `data/module_aliases.tsv`), WinDbg's rebased names (`ntdll_77290000`) folded, and the
  architecture in a build's name dropped (`winfsp_x64` -> `winfsp`, `js_dbg_32_dm_…` and
  `js_dbg_64_dm_…` -> `js_dbg_dm_…`: one product built twice is one module; `ws2_32` stays);
- cold code (`nt! ?? ::FNODOBFM::`string'+0x40edb`) kept as its module's ``<cold>`` block;
- C++ names simplified: template arguments and parameter lists dropped (`js::TenuringTracer::
  traverse<JSObject>` -> `js::TenuringTracer::traverse`);
- direct recursion collapsed (one frame for a run of the same function);
- frames without a symbol kept as ``?`` (an address says nothing across crashes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from crashsift.model import Frame

UNKNOWN = "?"
COLD = "<cold>"
_REBASED = re.compile(r"^(?P<name>.+?)_[0-9a-f]{4,12}0000$")  # loaded at another base: 64 KB aligned
_ARCH_SUFFIX = re.compile(r"_(?:x64|x86|amd64|i386|arm64)$")
_BITNESS = re.compile(r"_(?:32|64)_")
_EXTENSION = re.compile(r"\.(sys|dll|exe|drv|ocx|cpl)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class NormFrame:
    """One normalised frame: `key` is what frames are compared by (``fltmgr!TreeUnlinkMulti``)."""

    module: str | None
    function: str | None

    @property
    def key(self) -> str:
        if self.module is None:
            return UNKNOWN
        return f"{self.module}!{self.function}" if self.function else self.module


@cache
def read_list(name: str) -> tuple[str, ...]:
    """A data file of `crashsift/correlate/data`: its lines without comments and blanks."""
    text = resources.files("crashsift.correlate").joinpath("data", name).read_text("utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


@cache
def _aliases() -> dict[str, str]:
    return {
        alias.lower(): canonical
        for canonical, alias in (row.split("\t") for row in read_list("module_aliases.tsv"))
    }


def module_name(raw: str | None) -> str | None:
    """`FLTMGR.SYS`, `fltmgr`, `ntkrnlmp`, `ntdll_77290000` -> `fltmgr`, `fltmgr`, `nt`, `ntdll`."""
    if not raw:
        return None
    name = _EXTENSION.sub("", raw.strip()).lower()
    if m := _REBASED.match(name):
        name = m["name"]
    name = _BITNESS.sub("_", _ARCH_SUFFIX.sub("", name))  # one product built for two architectures
    return _aliases().get(name, name)


def function_name(raw: str | None) -> str | None:
    """A function without template arguments, parameter lists or offsets; cold code as ``<cold>``."""
    if not raw:
        return None
    name = raw.strip()
    if name.startswith("??") or "`string'" in name:
        return COLD
    name = name.split("+", 1)[0].strip()
    name = _strip_nested(name, "(", ")")
    name = _strip_nested(name, "<", ">")
    return name or None


def _strip_nested(text: str, opening: str, closing: str) -> str:
    """Drop every bracketed part (nested too), keeping `operator<` and friends whole enough."""
    out: list[str] = []
    depth = 0
    for ch in text:
        if ch == opening:
            depth += 1
        elif ch == closing and depth:
            depth -= 1
        elif not depth:
            out.append(ch)
    return "".join(out).strip()


def normalize(frame: Frame) -> NormFrame:
    module = module_name(frame.module)
    if module is None:
        return NormFrame(None, None)
    return NormFrame(module, function_name(frame.function))


def normalize_stack(frames: Iterable[Frame]) -> list[NormFrame]:
    """Frames normalised, a run of the same frame (direct recursion) collapsed to one."""
    out: list[NormFrame] = []
    for frame in frames:
        norm = normalize(frame)
        if not out or out[-1] != norm or norm.module is None:
            out.append(norm)
    return out


@dataclass(frozen=True, slots=True)
class Patterns:
    """A list of `module!function` entries from a data file; a trailing `*` matches a prefix."""

    exact: frozenset[str]
    prefixes: tuple[str, ...]

    def __contains__(self, key: object) -> bool:
        k = str(key).lower()
        if k in self.exact or k.startswith(self.prefixes):
            return True
        plain = undecorated(k)
        return plain != k and (plain in self.exact or plain.startswith(self.prefixes))


_DECORATED = re.compile(r"^(?P<module>[^!]+)!_(?P<function>[A-Za-z]\w*?)(?:@\d+)?$")


def undecorated(key: str) -> str:
    """An x86 C name without its decoration (``nt!_KiTrap0E`` -> ``nt!KiTrap0E``,
    ``nt!_KeBugCheckEx@20`` -> ``nt!KeBugCheckEx``), so one list entry serves both."""
    m = _DECORATED.match(key)
    return f"{m['module']}!{m['function']}" if m else key


@cache
def patterns(name: str) -> Patterns:
    entries = [line.lower() for line in read_list(name)]
    return Patterns(
        frozenset(e for e in entries if not e.endswith("*")),
        tuple(e[:-1] for e in entries if e.endswith("*")),
    )
