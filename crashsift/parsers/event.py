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
from typing import Any

from crashsift.hexutil import hex_str
from crashsift.model import Diagnostic, Line, Parsed
from crashsift.parsers import registers
from crashsift.parsers.grammar import terminal_regexes
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


# What one distinct event line reads as: (kind, value), the value an exception's (process_id,
# thread_id, description, code, chance), a fatal error's code, or its arguments.
_Reading = tuple[str, Any]


def parse(lines: list[Line]) -> Parsed[EventRecord]:
    runs, dump = _read_head(lines)
    rec = EventRecord()
    diags: list[Diagnostic] = []
    readings: dict[str, _Reading] = {}  # per block: each distinct line text is read once
    for no, text, count in runs:
        reading = readings.get(text)
        if reading is None:
            reading = readings[text] = _read_line(text)
        _take(rec, no, text, reading, count)
    if dump:
        read = registers.build(registers.read_items(dump))
        rec.registers = read.record
        diags.extend(read.diagnostics)
    if rec.exceptions:
        last = rec.exceptions[-1]
        rec.process_id, rec.thread_id, rec.description = last.process_id, last.thread_id, last.description
        rec.code, rec.chance = last.code, last.chance
    return Parsed(rec, diags)


def _read_head(lines: list[Line]) -> tuple[list[list[Any]], list[Line]]:
    """The event lines as runs of identical stripped non-blank lines ([first line's number,
    text, count]), and the register dump's lines: from the first register, symbol or
    instruction line (or a line only lark can tell) on. One pass: a debugger may print
    thousands of exception lines (a single-step flood), so a line identical to the one before it
    adds to its run, an exception line is never asked whether it starts the dump, and a distinct
    other line is asked once."""
    runs: list[list[Any]] = []
    starts: dict[str, bool] = {}  # per block: does a line of this text start the dump
    previous = None
    texts = [line.text for line in lines]
    for raw, group in groupby(range(len(lines)), texts.__getitem__):  # runs of one text, in C
        text = raw.strip()
        if not text:
            continue
        indexes = list(group)
        if text == previous:  # nor blank lines nor blanks around a line end its run
            runs[-1][2] += len(indexes)
            continue
        i = indexes[0]
        if " - code " not in text:
            start = starts.get(text)
            if start is None:
                item = registers.classify(lines[i])
                start = starts[text] = item is None or item.kind in registers.DUMP_KINDS
            if start:
                return runs, lines[i:]
        runs.append([lines[i].no, text, len(indexes)])
        previous = text
    return runs, []


@cache
def _line_kinds() -> re.Pattern[str]:
    """The terminals of grammars/event.lark that are not MESSAGE, as one regex with a group per
    kind of line, in order: the first terminal that matches a whole line is the match."""
    terminals = terminal_regexes("event")
    kinds = (("EXCEPTION", "exception"), ("FATAL", "fatal"), ("ARGS", "fatal_args"))
    return re.compile("|".join(f"(?P<{kind}>{terminals[name]})" for name, kind in kinds))


def _read_line(text: str) -> _Reading:
    """One event line read: its kind, a rule of grammars/event.lark, and what it tells. Every
    line of that grammar is one whole-line token, so the line is matched with the terminals'
    own regexes (the LALR parser would only wrap it); a line none of them takes whole is a
    MESSAGE."""
    whole = _line_kinds().fullmatch(text)
    if whole is None:
        return "message", None
    kind = whole.lastgroup or ""
    if kind == "exception":
        return kind, _exception(text)
    if kind == "fatal":
        return kind, hex_str(text.rpartition(":")[2].strip())
    return kind, tuple(v for a in text.strip("()").split(",") if (v := hex_str(a.strip())) is not None)


def _take(rec: EventRecord, no: int, text: str, reading: _Reading, count: int) -> None:
    """One run of `count` identical lines starting at line `no`."""
    kind, value = reading
    if kind == "exception":
        rec.exceptions.append(EventException(*value, line=no, count=count))
    elif kind == "fatal":
        rec.fatal = FatalError(value, [], no)
    elif kind == "fatal_args" and rec.fatal is not None and not rec.fatal.args:
        rec.fatal.args = list(value)
    else:  # a message, or fatal arguments with no fatal error to take them
        rec.messages.extend([text] * count)


def _exception(text: str) -> tuple[str | None, str | None, str, str | None, str | None]:
    """`(8dc.3f8): Access violation - code c0000005 (first chance)` taken apart: (process_id,
    thread_id, description, code, chance)."""
    pid = tid = None
    if text.startswith("("):
        ids, _, text = text.partition("):")
        pid, _, tid = ids[1:].partition(".")
        pid, tid = hex_str(pid), hex_str(tid)
    description, _, tail = text.partition(" - code ")
    code, _, chance = tail.partition("(")
    return pid, tid, description.strip(), hex_str(code.strip()), _chance(chance)


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
