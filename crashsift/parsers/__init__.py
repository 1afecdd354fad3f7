"""Parsers, one module per debugger command family.

Every parser has the same contract: ``parse(lines: list[Line]) -> Parsed[Record]`` — the
record it could read plus diagnostics (original line number, reason). A parser never raises on
bad input; it reads what it can. Each module documents its record's fields where it is defined.

A family's parser is the module of the same name in this package: `FAMILIES` lists the
families segmentation knows, and `parser_for` finds the ones that have a parser. A family with
no module yet leaves its blocks `unknown` (kept, with their text). A module may also define
``with_command(record, command)`` to add what the command typed says and the output does not
(the type and address `dt` was asked for, the unit of a `d*` dump).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from types import ModuleType
from typing import Any

from crashsift.model import Line, Parsed

Parser = Callable[[list[Line]], Parsed[Any]]

FAMILIES = (
    "analyze", "stack", "bugcheck", "exr", "dt", "pool", "disasm", "registers", "event", "memory",
    "lm", "expr", "header", "thread", "process",
)  # fmt: skip


@cache
def module_for(family: str) -> ModuleType | None:
    """The parser module of family `family`, or None when it has none (yet)."""
    if family not in FAMILIES:
        return None
    name = f"crashsift.parsers.{family}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if err.name != name:
            raise  # a parser that exists but fails to import is a bug, not a missing parser
        return None


@cache
def parser_for(family: str) -> Parser | None:
    """The `parse` function of family `family`, or None when it has no parser (yet). Cached:
    the pipeline asks once per block."""
    module = module_for(family)
    return module.parse if module is not None else None


@cache
def command_hook_for(family: str) -> Callable[[Any, str], None] | None:
    """The family's `with_command(record, command)`, or None (cached, as `parser_for`)."""
    return getattr(module_for(family), "with_command", None)
