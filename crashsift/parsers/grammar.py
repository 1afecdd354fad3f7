"""Load the lark grammars shipped as package data (``parsers/grammars/*.lark``).

All grammars are LALR with lark's contextual lexer; shared terminals live in ``common.lark``
and are imported with ``%import .common.NAME``. Parsers are built once per process.

Building the LALR tables costs about a third of a second, which a one-paste command cannot
afford, so the built parsers are cached in the user's cache directory (``$XDG_CACHE_HOME`` or
``~/.cache``, under ``crashsift/``, created private). Lark checks a SHA-256 of the grammar,
the grammars it imports and the options before it uses a cached file, and rebuilds otherwise.
The shared temporary directory is never used: a cached parser is a pickle, and a file planted
there by someone else must not be loaded. Set ``CRASHSIFT_NO_CACHE=1`` to build every time.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Transformer
from lark.exceptions import LarkError

from crashsift.model import Diagnostic, Line, Parsed


def cache_dir() -> Path | None:
    """The private directory for built parsers, or None when it cannot be had."""
    if os.environ.get("CRASHSIFT_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "crashsift"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    if not os.access(folder, os.W_OK) or (hasattr(os, "getuid") and folder.stat().st_uid != os.getuid()):
        return None
    return folder


@cache
def load(name: str, start: str = "start", strict: bool = False) -> Lark:
    """The LALR parser for grammar `name` (cached). Tests pass strict=True to catch conflicts;
    a strict build is never read from the cache."""
    folder = None if strict else cache_dir()
    version = f"{lark.__version__}-py{sys.version_info[0]}{sys.version_info[1]}"
    return Lark.open_from_package(
        "crashsift.parsers",
        f"{name}.lark",
        ("grammars",),
        parser="lalr",
        lexer="contextual",
        start=start,
        strict=strict,
        maybe_placeholders=False,
        propagate_positions=False,
        cache=str(folder / f"{name}-{start}-{version}.lark") if folder else False,
    )


def parse_each_line(name: str, transformer: Transformer, lines: list[Line], what: str) -> Parsed[list[Any]]:
    """Parse every non-blank line alone with grammar `name` and `transformer`: the values
    read, in order, and a diagnostic (`not {what}: …`) for each line the grammar refuses.
    For the small command families whose output is a list of independent lines."""
    parser = load(name)
    values: list[Any] = []
    diagnostics: list[Diagnostic] = []
    for line in lines:
        text = line.text.strip()
        if not text:
            continue
        try:
            values.append(transformer.transform(parser.parse(text)))
        except LarkError:
            diagnostics.append(Diagnostic(line.no, f"not {what}: {text[:60]}"))
    return Parsed(values, diagnostics)
