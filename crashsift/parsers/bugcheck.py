"""`.bugcheck` output: the bug check code and its arguments.

Record (`BugcheckRecord`): ``code`` (``"0x1e"``) and ``args`` (``["0xc0000005", …]``), from

    Bugcheck code 0000001E
    Arguments c0000005 a30818d4 00000000 00000004

Other lines (NT4-era docs append notes in brackets after the command) become diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crashsift.hexutil import hex_str
from crashsift.model import Line, Parsed
from crashsift.parsers.grammar import LineReader, parse_each_line


@dataclass(slots=True)
class BugcheckRecord:
    code: str | None = None
    args: list[str] = field(default_factory=list)


class _ToValues(LineReader):
    def code_line(self, items: list) -> tuple[str, list[str]]:
        return "code", [hex_str(str(items[0])) or ""]

    def args_line(self, items: list) -> tuple[str, list[str]]:
        return "args", [hex_str(str(tok)) or "" for tok in items]


def parse(lines: list[Line]) -> Parsed[BugcheckRecord]:
    read = parse_each_line("bugcheck", _ToValues(), lines, ".bugcheck output")
    record = BugcheckRecord()
    for what, values in read.record:
        if what == "code":
            record.code = values[0]
        else:
            record.args = values
    return Parsed(record, read.diagnostics)
