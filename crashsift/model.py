"""Records shared by every part of crashsift, and the JSON contract they serialise to.

A paste becomes one or more `Report`s. Every record keeps the *original* line numbers of the
user's paste (after repair has joined wrapped lines or dropped quote prefixes), so a diagnostic
or a frame can always be found again in what the user pasted. Hex values are lowercase
``"0x…"`` strings (see `crashsift.hexutil`); JSON numbers would lose 64-bit precision.
The JSON Schema of a report ships as ``crashsift/schema/report.schema.json``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar


class Line(NamedTuple):
    """One line of repaired text and the 1-based number of the line it came from in the paste."""

    no: int
    text: str


@dataclass(slots=True)
class Diagnostic:
    """Something that could not be read, or was read with a guess: where and why."""

    line: int | None
    message: str


@dataclass(slots=True)
class Frame:
    """One stack frame, from a `k`-family command, STACK_TEXT or a copied Stack window.

    `address` is the instruction address of the frame when the paste shows it (a bare-address
    call site, or the Stack window's column); `offset` is the displacement after the symbol.
    `notes` keeps kv annotations such as ``FPO: [0,0,0]``, ``CONV: stdcall``, ``TrapFrame @ …``.
    """

    index: int | None = None
    child_sp: str | None = None
    ret_addr: str | None = None
    args: list[str] = field(default_factory=list)
    module: str | None = None
    function: str | None = None
    offset: str | None = None
    address: str | None = None
    inline: bool = False
    source_file: str | None = None
    source_line: int | None = None
    line: int | None = None
    call_site: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Stack:
    """Frames of one stack as shown in one place: `origin` is `analyze` (STACK_TEXT), `command`
    (a k-family command or the Stack window) or `content` (frames found without a command)."""

    origin: str
    command: str | None
    frames: list[Frame] = field(default_factory=list)


@dataclass(slots=True)
class Bugcheck:
    code: str
    name: str | None = None
    args: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ExceptionInfo:
    code: str
    name: str | None = None
    address: str | None = None


@dataclass(slots=True)
class Source:
    path: str | None
    start_line: int
    end_line: int


@dataclass(slots=True)
class Block:
    """A span of the paste: one command and its output, output recognised by its content,
    prose, or `unknown` text no parser reads yet (kept with its text, never dropped)."""

    command: str | None
    kind: str
    start_line: int
    end_line: int
    record: Any = None


@dataclass(slots=True)
class Repair:
    """A change paste repair made before parsing (`kind` such as `quote-prefix`, `html-entity`,
    `wrapped-line`), over original lines `first_line`..`last_line`, `count` times."""

    kind: str
    first_line: int
    last_line: int
    count: int = 1
    detail: str = ""


@dataclass(slots=True)
class Evidence:
    """One line of the paste a finding rests on, and what it contributes (``rsi = 0x9d00000000``)."""

    line: int | None
    text: str
    note: str = ""


@dataclass(slots=True)
class Explanation:
    """A class of cause a finding is consistent with (`cause` such as ``race``, ``hardware``),
    how strongly the session points to it, and the evidence for and against it."""

    cause: str
    strength: str
    supporting: list[str] = field(default_factory=list)
    against: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Finding:
    """What crashsift worked out from the session, the way a debugger would by hand.

    `kind` names the rule family (``fault-decode``, ``value-origin``, ``register-memory``,
    ``placement``, ``bad-pointer``, ``near-miss``, ``corruption-pattern``, ``fill-pattern``…),
    `severity` is ``info``, ``warning`` or ``critical``; `values` holds the computed facts as
    strings (hex as ``0x…``) for tools. No evidence, no finding: `evidence` is never empty.
    """

    kind: str
    severity: str
    message: str
    evidence: list[Evidence]
    explanations: list[Explanation] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Report:
    """One crash (or one debugger session without a crash) read from a paste."""

    source: Source
    mode: str | None = None
    arch: str | None = None
    bugcheck: Bugcheck | None = None
    exception: ExceptionInfo | None = None
    failure_bucket_id: str | None = None
    process_name: str | None = None
    module_name: str | None = None
    image_name: str | None = None
    symbol_name: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    stacks: list[Stack] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    repairs: list[Repair] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


R = TypeVar("R")


@dataclass(slots=True)
class Parsed(Generic[R]):
    """What every parser returns: the record it could read, and what it could not."""

    record: R
    diagnostics: list[Diagnostic] = field(default_factory=list)


def to_jsonable(obj: Any) -> Any:
    """Dataclasses (nested, with slots) to plain dicts and lists, ready for `json.dumps`."""
    if isinstance(obj, Line):
        return {"line": obj.no, "text": obj.text}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    return obj
