"""The current event: what a debugger prints when it stops (a block found by its content, with
no prompt), then usually a register dump and the current instruction.

Record (`EventRecord`):

- ``process_id``, ``thread_id``: ``"0x8dc"``, ``"0x3f8"`` from ``(8dc.3f8):``, else None.
- ``description``: ``Access violation``, ``Break instruction exception`` …; ``code``:
  ``"0xc0000005"``; ``chance``: ``first``, ``second`` (``!!! second chance !!!``), or None
  (``first/second chance not available``). These are the LAST exception line's: the event the
  debugger stopped at, after any first-chance notices it printed on the way.
- ``exceptions``: every exception line in order, each an `EventException` with the fields above,
  its ``line``, and ``count``: how many times the same line was printed in a row from there (a
  single-step or first-chance flood is one item).
- ``messages``: every other line before the register dump, as text (``First chance exceptions
  are reported before any exception handling.``, ``This dump file has a breakpoint exception
  stored in it.``, ``The stored exception information can be accessed via .ecxr.``, ``A fatal
  system error has occurred.``, ``Driver Verifier: …``, ``NTSD: access violation`` …).
- ``fatal``: ``*** Fatal System Error: 0x000000c4`` and its ``(0x…,0x…,0x…,0x…)`` line as a
  `FatalError` (``code``, ``args``, ``line``), else None.
- ``registers``: the dump after the event lines (from the first register, symbol or
  instruction line on) as a `crashsift.parsers.registers.RegistersRecord`, else None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from itertools import groupby
from operator import itemgetter

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers import registers
from crashsift.parsers.grammar import load
from crashsift.parsers.registers import RegistersRecord


@dataclass(slots=True)
class EventException:
    process_id: str | None = None
    thread_id: str | None = None
    description: str = ""
    code: str | None = None
    chance: str | None = None
    line: int | None = None
    count: int = 1


@dataclass(slots=True)
class FatalError:
    code: str | None = None
    args: list[str] = field(default_factory=list)
    line: int | None = None


@dataclass(slots=True)
class EventRecord:
    process_id: str | None = None
    thread_id: str | None = None
    description: str | None = None
    code: str | None = None
    chance: str | None = None
    exceptions: list[EventException] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    fatal: FatalError | None = None
    registers: RegistersRecord | None = None


def parse(lines: list[Line]) -> Parsed[EventRecord]:
    kept = [(ln, text) for ln in lines if (text := ln.text.strip())]
    start = _dump_start(kept)
    rec = EventRecord()
    diags: list[Diagnostic] = []
    for line, text, kind, count in _read_head(kept[:start]):
        _take(rec, line.no, text, kind, count)
    if start < len(kept):
        dump = registers.build(registers.read_items([ln for ln, _ in kept[start:]]))
        rec.registers = dump.record
        diags.extend(dump.diagnostics)
    if rec.exceptions:
        last = rec.exceptions[-1]
        rec.process_id, rec.thread_id, rec.description = last.process_id, last.thread_id, last.description
        rec.code, rec.chance = last.code, last.chance
    return Parsed(rec, diags)


def _dump_start(lines: list[tuple[Line, str]]) -> int:
    """Index of the first line of the register dump (a register, symbol or instruction line,
    or a line only lark can tell), len(lines) when there is none. Exception lines are skipped
    cheaply: a debugger may print thousands of them (a single-step flood)."""
    for i, (ln, text) in enumerate(lines):
        if " - code " in text:
            continue
        item = registers.classify(ln)
        if item is None or item.kind in registers.DUMP_KINDS:
            return i
    return len(lines)


@cache
def _line_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The terminals of grammars/event.lark that are not MESSAGE, as compiled regexes."""
    terminals = {t.name: t.pattern.to_regexp() for t in load("event").terminals}
    kinds = (("EXCEPTION", "exception"), ("FATAL", "fatal"), ("ARGS", "fatal_args"))
    return tuple((kind, re.compile(terminals[name])) for name, kind in kinds)


def _read_head(lines: list[tuple[Line, str]]) -> list[tuple[Line, str, str, int]]:
    """The event lines (line, stripped text) as runs of identical lines (first line, text,
    count) with their kind, a rule of grammars/event.lark. Every line of that grammar is one
    whole-line token, so the line is matched with the terminals' own regexes (the LALR parser
    would only wrap it); a line none of them takes whole is a MESSAGE."""
    runs: list[tuple[Line, str, str, int]] = []
    for text, group in groupby(lines, key=itemgetter(1)):
        run = list(group)
        runs.append((run[0][0], text, _kind(text), len(run)))
    return runs


def _kind(text: str) -> str:
    for kind, pattern in _line_patterns():
        if pattern.fullmatch(text):
            return kind
    return "message"


def _take(rec: EventRecord, no: int, text: str, kind: str, count: int) -> None:
    """One run of `count` identical lines starting at line `no`."""
    if kind == "exception":
        rec.exceptions.append(_exception(text, no, count))
    elif kind == "fatal":
        rec.fatal = FatalError(hex_str(text.rpartition(":")[2].strip()), [], no)
    elif kind == "fatal_args" and rec.fatal is not None and not rec.fatal.args:
        rec.fatal.args = [v for a in text.strip("()").split(",") if (v := hex_str(a.strip())) is not None]
    else:
        rec.messages.extend([text] * count)


def _exception(text: str, no: int, count: int) -> EventException:
    """`(8dc.3f8): Access violation - code c0000005 (first chance)` taken apart."""
    exc = EventException(line=no, count=count)
    if text.startswith("("):
        ids, _, text = text.partition("):")
        pid, _, tid = ids[1:].partition(".")
        exc.process_id, exc.thread_id = hex_str(pid), hex_str(tid)
    description, _, tail = text.partition(" - code ")
    code, _, chance = tail.partition("(")
    exc.description, exc.code, exc.chance = description.strip(), hex_str(code.strip()), _chance(chance)
    return exc


def _chance(text: str) -> str | None:
    """`(first chance)` -> first, `(!!! second chance !!!)` -> second, `(first/second chance not
    available)` -> None."""
    low = text.lower()
    if "first/second" in low:
        return None
    if "second chance" in low:
        return "second"
    if "first chance" in low:
        return "first"
    return None
