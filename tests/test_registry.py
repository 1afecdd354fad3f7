"""Each command family's parser is the module of the same name; families without one stay unknown."""

from __future__ import annotations

from crashsift.parsers import FAMILIES, analyze, parser_for, stack
from crashsift.segment import FAMILIES as COMMAND_FAMILIES


def test_known_parsers() -> None:
    assert parser_for("analyze") is analyze.parse
    assert parser_for("stack") is stack.parse


def test_unknown_family_has_no_parser() -> None:
    assert parser_for("prose") is None
    assert parser_for("no-such-family") is None


def test_every_command_family_is_registered() -> None:
    assert {family for _, family in COMMAND_FAMILIES} <= set(FAMILIES)
