"""Split one call site, as WinDbg prints it in a stack frame, into its parts.

A call site is the text after a frame's columns: a symbol, then annotations the k-variant adds.

Record (`CallSite`):

- ``module``: text before the first ``!`` (``nt``, ``NT``, ``Image@10200000``), or the module
  of a ``mod+0x12`` site; unloaded modules lose their ``<…>`` brackets and get a note.
- ``function``: text after the ``!`` without the offset, kept as printed (C++ templates,
  operators, spaces: ``?? ::FNODOBFM::`string'``); kp/kP parameter lists move to ``notes``.
- ``offset``: displacement after the symbol, ``"0x…"`` (``+51`` and ``+0x51`` are both hex).
- ``address``: a bare-address site (``0x77320eba``), ``"0x…"``.
- ``inline``: the site says it was inlined (``[inlined in nt!Foo+0x12]``).
- ``source_file`` / ``source_line``: from ``[path @ 12]`` or the MEX ``Source`` column.
- ``notes``: kv annotations (``FPO: [0,0,0]``, ``CONV: stdcall``, ``TrapFrame @ 8054…``,
  ``Inline Function @ …``), ``inlined in …``, ``params: …``, ``unloaded module``, comments
  (``<- …``, ``--> …``, ``; …``).
- ``cut_off``: the text ends inside an annotation or a hex word (a truncated paste).

Symbol text is never fed to a lexer: C++ names contain every punctuation character, so the
symbol is what is left once the recognisable pieces are peeled off its right end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crashsift.hexutil import hex_str

# Bracketed or parenthesised groups at the end of a site that are annotations, not symbol.
_PAREN_NOTE = re.compile(r"(?:FPO|CONV):|TrapFrame @|Inline Function @|EBP ")
_SOURCE = re.compile(r"(?P<file>.*?\S)\s*@\s*(?P<line>\d+)\s*")
_INLINED = re.compile(r"inlined in\s")
# An annotation opened but never closed (wrapped or cut paste): `(FPO: [Non-Fpo]`, `[drmemo`.
_OPEN_NOTE = re.compile(r"\s*\((?:FPO|CONV):[^()]*$|\s+\[[^\]]*$")
_BARE_TRAPFRAME = re.compile(r"\s+(TrapFrame @ [0-9a-fA-F`]+)\s*$")
# MEX: symbol, two or more spaces, `path @ line` without brackets.
_MEX_SOURCE = re.compile(r"(?P<sym>\S.*?)\s{2,}(?P<file>\S.*?)\s+@\s+(?P<line>\d+)\s*")
_COMMENT = re.compile(r"\s+(?:<-+|-->|;)\s*(?P<text>.*)$")
_ELIDED_TAIL = re.compile(r"\s+\.\.\.$")
_OFFSET = re.compile(r"\+(?P<hex>(?:0[xX])?[0-9a-fA-F`]+)$")
_ADDRESS = re.compile(r"(?:0[xX][0-9a-fA-F`]+|[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?)")
_PARTIAL_HEX = re.compile(r"[0-9a-fA-F`]+")
# The common case, `mod!Func+0x12` or `mod+0x12` with plain names and maybe `[path @ 12]`, read
# in one step (a lone `mod` matches too, but may be an address: it is not read here).
_SIMPLE = re.compile(
    r"(?!Unloaded_)(?P<mod>[\w.@$-]+)(?:!(?P<func>[\w$@:~]+))?(?:\+(?P<off>(?:0[xX])?[0-9a-fA-F]+))?"
    r"(?:\s+\[\s*(?P<file>[^\[\]\n]*?[^\s\[\]])\s*@\s*(?P<line>\d+)\s*\])?"
)
_PARAMS = re.compile(r"(?P<name>.*?)\((?P<params>[^()]*(?:=|\bvoid\b)[^()]*)\)$", re.S)


@dataclass(slots=True)
class CallSite:
    """The parts of one call site; see the module docstring for each field."""

    module: str | None = None
    function: str | None = None
    offset: str | None = None
    address: str | None = None
    inline: bool = False
    source_file: str | None = None
    source_line: int | None = None
    notes: list[str] = field(default_factory=list)
    cut_off: bool = False


def parse_call_site(text: str) -> CallSite:
    """Split a call site such as ``nt!KiPageFault+0x16e [x.c @ 12]``; never raises."""
    text = text.strip()
    simple = _SIMPLE.fullmatch(text)
    if simple:
        module, function, offset, file, line = simple.group("mod", "func", "off", "file", "line")
        if function is not None or offset is not None:
            site = CallSite(module, function, hex_str(offset))
            if file:
                site.source_file, site.source_line = file, int(line)
            return site
    if _ADDRESS.fullmatch(text):  # a bare address: nothing to peel
        return CallSite(address=hex_str(text))
    site = CallSite()
    rest = _peel_annotations(text.replace("0×", "0x"), site)
    _read_symbol(rest, site)
    return site


def _peel_annotations(text: str, site: CallSite) -> str:
    """Remove annotations from the right end of `text` into `site`; return the symbol part."""
    while text:
        before = text
        text = _peel_open_note(_peel_group(text, site), site)
        if "<-" in text or "-->" in text or ";" in text or "TrapFrame @" in text or text.endswith("..."):
            text = _peel_tail_notes(text, site)  # the test costs less than the searches
        if text == before:
            break
    if site.source_file is None:
        text = _peel_mex_source(text, site)
    return text


def _peel_tail_notes(text: str, site: CallSite) -> str:
    """A trailing comment, a bare ``TrapFrame @ …`` and a ``...`` elision, in that order."""
    for pattern, note in ((_COMMENT, True), (_BARE_TRAPFRAME, True), (_ELIDED_TAIL, False)):
        match = pattern.search(text)
        if match:
            site.notes.insert(0, match.group(1).strip() if note else "text elided")
            text = text[: match.start()].rstrip()
    return text


def _peel_open_note(text: str, site: CallSite) -> str:
    """An annotation left open at the end: keep it as a note and mark a cut-off source."""
    match = _OPEN_NOTE.search(text) if "(" in text or "[" in text else None
    if not match:
        return text
    opened = match.group(0).strip()
    if opened.startswith("["):
        inner = opened[1:]
        if not inner:
            return text
        site.notes.insert(0, f"cut off: {opened}")
        site.cut_off = True
    else:
        site.notes.insert(0, opened[1:].strip())
    return text[: match.start()].rstrip()


def _peel_group(text: str, site: CallSite) -> str:
    """Peel one trailing ``(…)`` / ``[…]`` annotation group, if it is one."""
    closer = text[-1:]
    if closer not in ")]":
        return text
    start = _matching_open(text)
    if start is None:
        return text
    inner = text[start + 1 : -1].strip()
    if closer == "]":
        source = _SOURCE.fullmatch(inner)
        if source:
            site.source_file = source.group("file")
            site.source_line = int(source.group("line"))
        elif _INLINED.match(inner):
            site.inline = True
            site.notes.insert(0, inner)
        else:
            return text
    elif _PAREN_NOTE.match(inner):
        site.inline = site.inline or inner.startswith("Inline")
        site.notes.insert(0, inner)
    else:
        return text
    return text[:start].rstrip()


def _matching_open(text: str) -> int | None:
    """Index of the bracket opening the group that closes at the end of `text`."""
    pairs = {")": "(", "]": "["}
    last = text.rfind(pairs[text[-1]], 0, len(text) - 1)
    if last >= 0 and not any(ch in text[last + 1 : -1] for ch in ")]"):
        return last  # the usual group, nothing nested in it: the nearest opener matches
    stack: list[str] = []
    for i in range(len(text) - 1, -1, -1):
        ch = text[i]
        if ch in pairs:
            stack.append(pairs[ch])
        elif stack and ch == stack[-1]:
            stack.pop()
            if not stack:
                return i
    return None


def _peel_mex_source(text: str, site: CallSite) -> str:
    """The `!mex.t` Source column: ``sym   C:\\path\\file.c @ 11`` without brackets."""
    match = _MEX_SOURCE.fullmatch(text)
    if not match or "!" in match.group("file"):
        return text
    site.source_file = match.group("file")
    site.source_line = int(match.group("line"))
    return match.group("sym").rstrip()


def _read_symbol(symbol: str, site: CallSite) -> None:
    """Fill module / function / offset / address from the symbol left after peeling."""
    if not symbol:
        return
    if _ADDRESS.fullmatch(symbol):
        site.address = hex_str(symbol)
        return
    if _PARTIAL_HEX.fullmatch(symbol):
        site.cut_off = True
        site.notes.append(f"cut off: {symbol}")
        return
    offset = _OFFSET.search(symbol)
    if offset:
        site.offset = hex_str(offset.group("hex"))
        symbol = symbol[: offset.start()]
    module, bang, function = symbol.partition("!")
    if not bang:
        module, function = ("", symbol) if _looks_like_function(symbol) else (symbol, "")
    site.module = _module_name(module.strip(), site)
    site.function = _function_name(function.strip(), site)


def _looks_like_function(name: str) -> bool:
    """A module-less name that can only be a function (C++ scope or a parameter list)."""
    return "::" in name or "(" in name


def _module_name(module: str, site: CallSite) -> str | None:
    """Module as printed; ``<Unloaded_x.sys>`` loses its brackets and gets a note."""
    if module.startswith("<") and module.endswith(">"):
        module = module[1:-1]
    if module.startswith("Unloaded_"):
        site.notes.append("unloaded module")
    return module or None


def _function_name(function: str, site: CallSite) -> str | None:
    """Function as printed, with a kp/kP typed parameter list moved to the notes; a list
    left open (a paste cut inside kP parameters) is kept as a cut-off note."""
    params = _PARAMS.fullmatch(function)
    if params and not params.group("name").endswith("operator"):
        site.notes.append("params: " + " ".join(params.group("params").split()))
        function = params.group("name").rstrip()
    elif function.count("(") > function.count(")"):
        name, _, rest = function.partition("(")
        site.notes.append("cut off: params: " + " ".join(rest.split()))
        site.cut_off = True
        function = name.rstrip()
    return function or None
