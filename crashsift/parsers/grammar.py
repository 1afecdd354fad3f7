"""Load the lark grammars shipped as package data (``parsers/grammars/*.lark``).

All grammars are LALR with lark's contextual lexer; shared terminals live in ``common.lark``
and are imported with ``%import .common.NAME``. Parsers are built once per process.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from lark import Lark


def grammar_text(name: str) -> str:
    return resources.files("crashsift.parsers.grammars").joinpath(f"{name}.lark").read_text("utf-8")


@cache
def load(name: str, start: str = "start", strict: bool = False) -> Lark:
    """The LALR parser for grammar `name` (cached). Tests pass strict=True to catch conflicts."""
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
    )
