"""Parsers, one module per debugger command family.

Every parser has the same contract: ``parse(lines: list[Line]) -> Parsed[Record]`` — the
record it could read plus diagnostics (original line number, reason). A parser never raises on
bad input; it reads what it can. Each module documents its record's fields where it is defined.
"""
