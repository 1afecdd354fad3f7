"""placement rule: where each address the session shows lives, the way a debugger places a
pointer by hand — the `!pool` block that holds it (header or body, allocated or free), the
field a `dt` layout puts at that offset, the module `lm` or a symbol the session shows puts it in.

Addresses come from register values, bug check arguments, fault addresses, memory dump values
(pointer-sized units; rows the debugger already symbolised are left out) and the address a dump
starts at, `dt` field values and instance addresses, and the addresses `!pool` was asked about.
Stack frames are not placed (they carry their symbols) but lend them: a frame, a disassembly
label or a branch target names the function around an address. A value seen in several places
is one finding citing each; a value nothing places gives none. A pointer into a free block is a
warning (the classic sign of use after free), and so is one into a pool header (a pointer to an
allocation points past its header).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crashsift.evidence.addresses import show
from crashsift.evidence.layouts import Layouts, Resolution, Step
from crashsift.evidence.session import DtInstance, Session
from crashsift.evidence.sightings import DT, MEMORY, Sighting, seen_in
from crashsift.hexutil import hex_value
from crashsift.model import Evidence, Finding, Frame
from crashsift.parsers.lm import Module
from crashsift.parsers.pool import PoolEntry

MAX_FINDINGS = 40
MAX_SIGHTINGS_CITED = 10
MAX_FUNCTION = 0x8000  # a symbol offset beyond this names the nearest symbol, not the function
_MODULE = re.compile(r"[\w.$@-]+")
_SYMBOL = re.compile(r"(?P<module>[\w.$@-]+)(?:!(?P<function>.+?))?(?:\+(?P<offset>(?:0x)?[0-9a-fA-F]+))?")


@dataclass(slots=True)
class PoolBlock:
    """A `!pool` entry as an address range; `body` is the first byte after its pool header
    (large and special pool allocations have none in the block)."""

    entry: PoolEntry
    start: int
    end: int
    body: int


@dataclass(slots=True)
class Typed:
    """An address read as a field of `type_name` laid out at `base`, by the dt `instance` that
    shows it there (None: the pool tag description names the type of the block)."""

    type_name: str
    base: int
    resolution: Resolution
    instance: DtInstance | None


@dataclass(frozen=True, slots=True)
class Anchor:
    """An address the session names with a symbol (a frame, a label, a branch target)."""

    address: int
    module: str
    function: str | None
    offset: int
    line: int | None

    @property
    def symbol(self) -> str:
        name = f"{self.module}!{self.function}" if self.function else self.module
        return f"{name}+{self.offset:#x}" if self.offset else name


@dataclass(slots=True)
class InModule:
    """An address in a module: by its `lm` range and/or a symbol worked out from an anchor."""

    name: str
    symbol: str | None
    module: Module | None
    anchor: Anchor | None


@dataclass(slots=True)
class Place:
    """Everything that places one address."""

    block: PoolBlock | None = None
    typed: Typed | None = None
    header: Resolution | None = None
    others: list[Typed] = field(default_factory=list)
    module: InModule | None = None


def find(session: Session) -> list[Finding]:
    """One finding per address some block, dt or module holds; the fault's first, at most
    `MAX_FINDINGS` (the last then says how many there were)."""
    seen = seen_in(session)
    places = Places.of(session)
    found: list[tuple[tuple[int, int], Finding]] = []
    for address, sightings in seen.items():
        place = places.place(address, sightings)
        if place is not None:
            key = (min(s.rank for s in sightings), min((s.line or 0) for s in sightings))
            found.append((key, _finding(session, address, sightings, place)))
    found.sort(key=lambda kf: kf[0])
    kept = [f for _, f in found[:MAX_FINDINGS]]
    if len(found) > MAX_FINDINGS:
        kept[-1].values["capped"] = f"{MAX_FINDINGS} of {len(found)} placed addresses shown"
    return kept


# --- what places them --------------------------------------------------------------------------


@dataclass(slots=True)
class Places:
    """What the session shows that can hold an address: pool blocks, dt instances over the
    layouts, lm modules, and symbols (anchors) with the function ranges they give."""

    session: Session
    blocks: list[PoolBlock]
    layouts: Layouts
    instances: list[DtInstance]
    anchors: dict[int, Anchor]
    ranges: list[tuple[int, int, Anchor]]
    spans: dict[str, int]
    module_ranges: list[tuple[int, int, Module]]

    @classmethod
    def of(cls, session: Session) -> Places:
        layouts = Layouts(session.dts)
        instances = [d for d in session.dts if d.base is not None and layouts.known(d.type_name)]
        anchors = _anchors(session)
        spans = {d.type_name: layouts.span(d.type_name) for d in instances if d.type_name}
        blocks = _pool_blocks(session)
        modules = [
            (start, end, m)
            for m in session.modules
            if (start := hex_value(m.start)) is not None and (end := hex_value(m.end)) is not None
        ]
        return cls(session, blocks, layouts, instances, anchors, _ranges(anchors.values()), spans, modules)

    def place(self, address: int, sightings: list[Sighting]) -> Place | None:
        """Where `address` lives, or None when nothing the session shows holds it."""
        place = Place(block=self.block_at(address), module=self.module_at(address))
        if place.block is not None:
            self._place_in_block(place, place.block, address, sightings)
        holding = self.instances_holding(address, sightings)
        if place.typed is None and holding:
            place.typed, holding = holding[0], holding[1:]
        key = (place.typed.type_name, place.typed.base) if place.typed else None
        place.others = [t for t in holding if (t.type_name, t.base) != key]
        if place.block is None and place.typed is None and place.module is None:
            return None
        return place

    def _place_in_block(
        self, place: Place, block: PoolBlock, address: int, sightings: list[Sighting]
    ) -> None:
        """The pool header field, or the body's type and field, at `address` (not a dt's own
        address read back as that dt's type)."""
        if address < block.body:
            header = block.body - block.start
            place.header = self.layouts.resolve("_POOL_HEADER", address - block.start, header)
            return
        typed = self.block_type(block, address)
        if typed is not None and not (typed.base == address and _own(sightings, typed)):
            place.typed = typed

    def block_at(self, address: int) -> PoolBlock | None:
        """The block holding `address`; the highlighted entry when two pages disagree."""
        holding = [b for b in self.blocks if b.start <= address < b.end]
        return max(holding, key=lambda b: b.entry.highlighted, default=None)

    def block_type(self, block: PoolBlock, address: int) -> Typed | None:
        """The body read as the type a dt shows at its start, else as the type its pool tag
        description names (``STREAM_LIST_CTRL structure``)."""
        offset = address - block.body
        at_body = next((d for d in self.instances if d.base == block.body), None)
        type_name = at_body.type_name if at_body else _tag_type(block.entry, self.layouts.types())
        resolution = self.layouts.resolve(type_name, offset) if type_name else None
        if type_name is None or resolution is None:
            return None
        return Typed(type_name, block.body, resolution, at_body)

    def instances_holding(self, address: int, sightings: list[Sighting]) -> list[Typed]:
        """dt instances with a field at `address`, or starting there when another structure
        or memory holds the address (a register or argument that equals a dt's address is
        only where the user took it from); those starting there first, then the deepest. Not
        an instance whose own address and fields are the only places the value is seen (a
        list head pointing to itself says nothing new)."""
        found = []
        for d in self.instances:
            assert d.base is not None and d.type_name is not None
            if not 0 <= address - d.base <= self.spans[d.type_name]:
                continue
            resolution = self.layouts.resolve(d.type_name, address - d.base)
            if resolution is None or resolution.gap is not None or not resolution.steps:
                continue
            typed = Typed(d.type_name, d.base, resolution, d)
            if (d.base != address and not _own(sightings, typed)) or _linked(sightings, typed):
                found.append(typed)
        unique = {(t.type_name, t.base): t for t in reversed(found)}
        return sorted(
            unique.values(), key=lambda t: (t.base != address, -len(t.resolution.steps), address - t.base)
        )

    def module_at(self, address: int) -> InModule | None:
        """The lm module holding `address`, and its symbol: shown for that very address, or
        worked out from a function range around it."""
        module = next((m for start, end, m in self.module_ranges if start <= address < end), None)
        anchor = self.anchors.get(address)
        symbol = anchor.symbol if anchor else None
        if anchor is None:
            ranged = next(((s, a) for s, high, a in self.ranges if s <= address <= high), None)
            if ranged is not None:
                start, anchor = ranged
                name = f"{anchor.module}!{anchor.function}" if anchor.function else anchor.module
                symbol = f"{name}+{address - start:#x}" if address > start else name
        if module is not None:
            return InModule(module.name, symbol, module, anchor)
        return InModule(anchor.module, symbol, None, anchor) if anchor is not None else None


def _own(sightings: list[Sighting], typed: Typed) -> bool:
    """Whether a value is seen only as the address or a field of the dt instance `typed`."""
    return all(s.owner == (typed.type_name, typed.base) for s in sightings)


def _linked(sightings: list[Sighting], typed: Typed) -> bool:
    """Whether memory or another dt instance holds the address `typed` starts at."""
    key = (typed.type_name, typed.base)
    return any(s.rank in (MEMORY, DT) and s.owner != key for s in sightings)


def _pool_blocks(session: Session) -> list[PoolBlock]:
    """Every entry of every `!pool` page, with its header: 8 bytes on x86 (also when the
    architecture is unknown and the addresses are 32-bit), 0x10 on x64 and ARM64."""
    blocks = []
    for page in session.pools:
        for entry in page.record.entries:
            start, size = hex_value(entry.address), hex_value(entry.size)
            if start is None or not size:
                continue
            small_header = 8 if session.arch == "x86" or (session.arch is None and start < 1 << 32) else 0x10
            header = 0 if entry.kind in ("large", "special") else min(small_header, size)
            blocks.append(PoolBlock(entry, start, start + size, start + header))
    return blocks


def _tag_type(entry: PoolEntry, types: list[str]) -> str | None:
    """The type a pool tag description names (``NAME_CACHE_NODE structure``), among those the
    session lays out."""
    words = {w.upper() for w in re.findall(r"\w+", entry.tag_description or "")}
    return next((t for t in types if t.lstrip("_").upper() in words), None)


def _anchors(session: Session) -> dict[int, Anchor]:
    """Addresses the session names: frames (a frame's return address is in the next frame's
    function), disassembly labels and branch targets, register dump labels, symbolised dump
    rows. The first name shown for an address wins."""
    found: list[Anchor | None] = []
    for stack in session.report.stacks:
        frames = stack.frames
        for frame in frames:
            found.append(_frame_anchor(hex_value(frame.address), frame))
        for caller, frame in zip(frames[1:], frames, strict=False):
            if not (frame.inline or caller.inline):
                found.append(_frame_anchor(hex_value(frame.ret_addr), caller))
    for listing in session.listings:
        for listed in listing:
            ins = listed.instruction
            found.append(_symbol_anchor(listed.address, ins.label, ins.line))
            if ins.target is not None:
                found.append(_symbol_anchor(hex_value(ins.target.address), ins.target.symbol, ins.line))
    for rs in session.register_sets:
        ins = rs.record.instruction
        if ins is not None:
            found.append(_symbol_anchor(hex_value(ins.address), rs.record.label, ins.line))
    for record, _ in session.memory:
        for row in record.rows:
            if row.symbols and len(row.values) == 1:
                found.append(_symbol_anchor(hex_value(row.values[0]), row.symbols.split()[0], row.line))
    anchors: dict[int, Anchor] = {}
    for anchor in found:
        if anchor is not None:
            anchors.setdefault(anchor.address, anchor)
    return anchors


def _frame_anchor(address: int | None, frame: Frame) -> Anchor | None:
    """An anchor from a frame's module, function and offset (not from a call site that is
    no symbol, such as the ``Heap block`` of a verifier stop read as a frame)."""
    if address is None or not frame.module or not _MODULE.fullmatch(frame.module):
        return None
    return Anchor(address, frame.module, frame.function, hex_value(frame.offset) or 0, frame.line)


def _symbol_anchor(address: int | None, symbol: str | None, line: int | None) -> Anchor | None:
    """An anchor from `mod!func+0x12` text (a label may end in `:` or a `[file @ line]`)."""
    if address is None or not symbol:
        return None
    m = _SYMBOL.fullmatch(symbol.split(" [", 1)[0].strip().rstrip(":"))
    if m is None:
        return None
    return Anchor(address, m["module"], m["function"], hex_value(m["offset"]) or 0, line)


def _ranges(anchors: Iterable[Anchor]) -> list[tuple[int, int, Anchor]]:
    """(start, last known address, anchor) of each function (or module, for `mod+0x…`
    symbols) whose anchors agree on where it starts: no other symbol lies between a symbol's
    start and an address the debugger names after it, so the addresses between are in it too.
    Folded names (`mod! ?? ::…`) are not functions and give no range, nor does an offset too
    large for one function (`nt!ExpWorkerThread+0x1925a6`: the nearest symbol the debugger
    had, not the function the address is in)."""
    groups: dict[tuple[str, str | None], list[Anchor]] = {}
    for anchor in anchors:
        if "??" not in (anchor.function or "") and "`" not in (anchor.function or ""):
            groups.setdefault((anchor.module.lower(), anchor.function), []).append(anchor)
    out = []
    for (_, function), group in groups.items():
        starts = {a.address - a.offset for a in group}
        high = max(a.address for a in group)
        if len(starts) == 1 and (function is None or high - min(starts) <= MAX_FUNCTION):
            out.append((starts.pop(), high, group[0]))
    return out


# --- the finding -------------------------------------------------------------------------------


def _finding(session: Session, address: int, sightings: list[Sighting], place: Place) -> Finding:
    arch = session.arch
    pointer = any(s.pointer for s in sightings)
    block = place.block
    in_header = block is not None and address < block.body
    free = block is not None and block.entry.state == "Free"
    warning = pointer and (free or in_header)
    message = f"{_who(sightings)} = {show(address, arch)} {_where(address, place, arch)}"
    if warning:
        message += (
            " — a pointer into a freed block, a classic sign of use after free"
            if free
            else " — a pointer into a pool header, not to the allocation after it"
        )
    return Finding(
        "placement",
        "warning" if warning else "info",
        message + ".",
        _evidence(session, address, sightings, place),
        values=_values(address, place),
    )


def _who(sightings: list[Sighting]) -> str:
    """The names of a value, registers first, then the most relevant (`rcx, rbp`)."""
    ordered = sorted(sightings, key=lambda s: (not s.register, s.rank))
    labels = list(dict.fromkeys(s.label for s in ordered))
    more = f" and {len(labels) - 3} more" if len(labels) > 3 else ""
    return ", ".join(labels[:3]) + more


def _where(address: int, place: Place, arch: str | None) -> str:
    """Where the address lives, as the rest of the sentence."""
    parts = []
    if place.block is not None:
        text = _pool_text(address, place.block, arch)
        if place.header is not None:
            text += f": _POOL_HEADER + {address - place.block.start:#x} = {_reading(place.header)}"
        elif place.typed is not None:
            text += ": " + _typed_text(address, place.typed, arch, place.block.body)
        parts.append(text)
    elif place.typed is not None:
        text = _typed_text(address, place.typed, arch, None)
        parts.append(text if text.startswith("is ") else f"= {text}")
    if place.module is not None:
        parts.append(_module_text(address, place.module))
    return "; ".join(parts)


def _module_text(address: int, m: InModule) -> str:
    """`is in fltmgr (fltmgr!TreeUnlinkMulti+0x51)`; without a symbol, the offset from the lm start."""
    symbol = m.symbol
    if symbol is None and m.module is not None:
        symbol = f"{m.name}+{address - (hex_value(m.module.start) or 0):#x}"
    return f"is in {m.name}" + (f" ({symbol})" if symbol else "")


def _pool_text(address: int, block: PoolBlock, arch: str | None) -> str:
    """`is 0x98 bytes into the body of the FMsl pool block at … (what the tag is)`."""
    entry = block.entry
    state = "Free " if entry.state == "Free" else ""
    kind = "large {tag} pool allocation" if entry.kind == "large" else "{tag} pool block"
    what = f"the {state}" + kind.format(tag=entry.tag)
    owner = f"owning component: {entry.owning_component}" if entry.owning_component else None
    about = ", ".join(x for x in (entry.tag_description or owner, entry.binary) if x)
    at = f"{what} at {show(block.start, arch)}" + (f" ({about})" if about else "")
    if address < block.body:
        header = block.body - block.start
        return f"is in the pool header of {at}, at +{address - block.start:#x} of its {header:#x} bytes"
    offset = address - block.body
    if offset == 0:
        return f"is the start of the body of {at}"
    return f"is {offset:#x} bytes into the body of {at}"


def _typed_text(address: int, typed: Typed, arch: str | None, body: int | None) -> str:
    """In a pool block (`body`: where its body starts) `_STREAM_LIST_CTRL + 0x98 =
    OpenedNameCache.List.Tree` for the type at the body, `_X at <base> + 0x8 = …` for a dt
    elsewhere in it; alone, `_X at <base> + 0x18 (TreeLink)`."""
    in_block = body is not None
    offset = address - typed.base
    if offset == 0 and typed.instance is not None:
        return f"{'' if in_block else 'is '}the start of a {typed.type_name} (as dt shows it)"
    head = f"{typed.type_name} + {offset:#x}"
    if typed.instance is None:
        head += " (type from the pool tag description)"
    elif typed.base != body:
        head = f"{typed.type_name} at {show(typed.base, arch)} + {offset:#x}"
    r = typed.resolution
    if in_block or r.gap:
        return f"{head} {'' if r.gap else '= '}{_reading(r)}"
    return f"{head} ({_reading(r)})"


def _reading(r: Resolution) -> str:
    """A resolution in words: the field path, or the gap and the field before it."""
    if r.gap is not None and r.near is not None:
        near = f"{r.near.path} at +{r.near.offset:#x}"
        gap = f"past the last field shown ({near})"
        if r.gap == "padding":
            gap = f"between fields (padding after {near})"
        return f"is in {r.path}, {gap}" if r.steps else f"is {gap}"
    text = r.path + (f" + {r.rest:#x}" if r.rest else "")
    if r.alternatives:
        text += f" (union: also {', '.join(r.alternatives[:3])})"
    return text


def _evidence(session: Session, address: int, sightings: list[Sighting], place: Place) -> list[Evidence]:
    """The lines the value is seen on, then those the placement rests on: the pool entry and
    its tag line, the dt and each field on the path, other dt instances holding it, the lm
    row and the symbol's line."""
    shown = show(address, session.arch)
    cited: list[tuple[int | None, str]] = [
        (session.register_line_from(s.line, s.label) if s.register else s.line, f"{s.label} = {shown}")
        for s in sightings[:MAX_SIGHTINGS_CITED]
        if s.line is not None
    ]
    if place.block is not None:
        cited += _block_lines(session, place.block)
    if place.header is not None:
        cited += _step_lines(place.header)
    if place.typed is not None:
        cited += _typed_lines(place.typed, session.arch)
    for other in place.others:
        deepest = other.resolution.steps[-1]
        note = f"also {other.type_name} at {show(other.base, session.arch)} + {address - other.base:#x}"
        cited += [(other.instance.line if other.instance else None, note), (deepest.field.line, deepest.path)]
    if place.module is not None:
        cited += _module_lines(place.module, session.arch)
    return _merged(session, cited)


def _block_lines(session: Session, block: PoolBlock) -> list[tuple[int | None, str]]:
    entry = block.entry
    note = (
        f"{entry.tag} block {show(block.start, session.arch)}..{show(block.end, session.arch)}, "
        f"{entry.state}, body from {show(block.body, session.arch)}"
    )
    lines = [(entry.line, note)]
    if entry.line is not None and (entry.tag_description or entry.owning_component):
        about = session.find_line(entry.line + 1, entry.line + 2, "Pooltag") or session.find_line(
            entry.line + 1, entry.line + 2, "Owning component"
        )
        lines.append((about, f"what tag {entry.tag} is"))
    return lines


def _typed_lines(typed: Typed, arch: str | None) -> list[tuple[int | None, str]]:
    lines: list[tuple[int | None, str]] = []
    if typed.instance is not None:
        lines.append((typed.instance.line, f"dt {typed.type_name} at {show(typed.base, arch)}"))
    return lines + _step_lines(typed.resolution)


def _step_lines(r: Resolution) -> list[tuple[int | None, str]]:
    steps: list[Step] = [*r.steps, *([r.near] if r.near else [])]
    return [(s.field.line, f"+{s.offset:#x} {s.path}") for s in steps]


def _module_lines(m: InModule, arch: str | None) -> list[tuple[int | None, str]]:
    lines: list[tuple[int | None, str]] = []
    if m.module is not None:
        lines.append((m.module.line, f"lm: {m.module.name} {m.module.start}..{m.module.end}"))
    if m.anchor is not None:
        lines.append((m.anchor.line, f"{m.anchor.symbol} at {show(m.anchor.address, arch)}"))
    return lines


def _merged(session: Session, cited: list[tuple[int | None, str]]) -> list[Evidence]:
    """One evidence per line, in order, the notes of a line repeated joined."""
    notes: dict[int, list[str]] = {}
    for line, note in cited:
        if line is not None and note not in notes.setdefault(line, []):
            notes[line].append(note)
    return [session.cite(line, "; ".join(n)) for line, n in notes.items()]


def _values(address: int, place: Place) -> dict[str, str]:
    values = {"address": f"0x{address:x}"}
    if (block := place.block) is not None:
        in_header = address < block.body
        values |= {
            "pool_block": f"0x{block.start:x}",
            "pool_tag": block.entry.tag,
            "pool_state": block.entry.state,
            "pool_part": "header" if in_header else "body",
            "offset": f"0x{address - (block.start if in_header else block.body):x}",
        }
    if (typed := place.typed) is not None:
        r = typed.resolution
        values |= {"type": typed.type_name, "type_base": f"0x{typed.base:x}", "field_path": r.path}
        values.setdefault("offset", f"0x{address - typed.base:x}")
        if r.gap is not None:
            values["gap"] = r.gap
    if place.header is not None:
        values |= {"type": "_POOL_HEADER", "field_path": place.header.path}
    if place.module is not None:
        values["module"] = place.module.name
        if place.module.symbol:
            values["symbol"] = place.module.symbol
    return values
