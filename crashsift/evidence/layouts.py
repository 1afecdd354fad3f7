"""Type layouts a session's `dt` output shows, and the field an offset into a type falls in.

Every `dt` block is a layout of its type (an instance dump too: its offsets are the type's), and
the fields a `/b` or `-r` dump indents under an embedded structure are a layout of that field's
type. A `dt` whose header was not pasted is named after the one type whose fields it repeats.
`Layouts.resolve` walks an offset down through them: `_STREAM_LIST_CTRL + 0x98` is in
OpenedNameCache (+0x90, a `_NAME_CACHE_LIST_CTRL`), in it List (+0x8, a `_TREE_ROOT`), in it
Tree (+0x0). A field ends where its type's size says (a primitive, a pointer, an array of
them), else at the next field printed after it at a larger offset (union members and bitfields
share an offset), else where the enclosing field ends; with none of these, the last field holds
only its own offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from crashsift.evidence.session import DtInstance, normal_type
from crashsift.hexutil import hex_value
from crashsift.parsers.dt import DtField

PRIMITIVE_SIZES = {
    "UChar": 1, "Char": 1, "Uint2B": 2, "Int2B": 2, "Wchar": 2, "Uint4B": 4, "Int4B": 4,
    "Float": 4, "Uint8B": 8, "Int8B": 8, "Double": 8, "Ptr32": 4, "Ptr64": 8,
}  # fmt: skip
MAX_DEPTH = 8
_ARRAY = re.compile(r"\[(?P<count>\d+)\]\s+(?P<element>\S+)")

Shape = list[DtField]
Laid = list[tuple[int, DtField, int | None]]


@dataclass(slots=True)
class Step:
    """One field on the way down: its dotted path and its offset from the outer type's start."""

    path: str
    offset: int
    field: DtField


@dataclass(slots=True)
class Resolution:
    """Where an offset falls in a type: `steps`, the fields holding it, outermost first; `rest`,
    how far past the innermost step's start. `gap` (``padding`` or ``past-end``) when the offset
    is in no field of the innermost level shown, `near` then being the field before it.
    `alternatives`: the other paths holding the offset (union members, bitfields)."""

    steps: list[Step]
    rest: int
    gap: str | None = None
    near: Step | None = None
    alternatives: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.steps[-1].path if self.steps else ""


def embedded_type(fld: DtField) -> str | None:
    """The type of a structure embedded in place (``_TREE_ROOT``), not a pointer, array,
    bitfield or primitive."""
    t = fld.type
    if not t or fld.bitfield is not None or fld.array is not None or t.startswith(("Ptr", "[")):
        return None
    return None if t in PRIMITIVE_SIZES else normal_type(t)


def type_size(type_text: str | None) -> int | None:
    """Bytes of a primitive, pointer or array-of-primitive type as a layout prints it."""
    if not type_text:
        return None
    if type_text.startswith(("Ptr32", "Ptr64")):
        return PRIMITIVE_SIZES[type_text[:5]]
    if m := _ARRAY.fullmatch(type_text):
        element = type_size(m["element"])
        return int(m["count"]) * element if element is not None else None
    return PRIMITIVE_SIZES.get(type_text)


def _offset(fld: DtField) -> int | None:
    return hex_value(fld.offset) if fld.offset else None


class Layouts:
    """The layouts of every type the session's `dt` blocks show, by normalised type name."""

    def __init__(self, dts: Iterable[DtInstance]) -> None:
        self._shapes: dict[str, list[Shape]] = {}
        self._sizes: dict[str, dict[tuple[str | None, str], int]] = {}
        self._laid: dict[tuple[int, str | None], Laid] = {}
        unnamed: list[Shape] = []
        for dt in dts:
            if dt.record.fields and dt.type_name:
                self._add(dt.type_name, dt.record.fields)
            elif dt.record.fields:
                unnamed.append(dt.record.fields)
        for shape in unnamed:
            if name := self._named_like(shape):
                self._add(name, shape)

    def known(self, type_name: str | None) -> bool:
        """Whether some dt of the session lays the type out."""
        return bool(type_name) and type_name in self._shapes

    def types(self) -> list[str]:
        """The types laid out, in the order the session first shows them."""
        return list(self._shapes)

    def _add(self, type_name: str, shape: Shape) -> None:
        """Keep a shape of a type, the sizes its typed fields give, and the shapes of the
        embedded structures it expands."""
        self._shapes.setdefault(type_name, []).append(shape)
        sizes = self._sizes.setdefault(type_name, {})
        for fld in shape:
            if (size := type_size(fld.type)) is not None:
                sizes.setdefault((fld.offset, fld.name), size)
            if fld.children and (inner := embedded_type(fld)):
                self._add(inner, fld.children)

    def span(self, type_name: str) -> int:
        """The largest offset any field of the type starts at, plus its size when known."""
        return max(
            (
                off + (end - off if end is not None else 0)
                for s in self._shapes.get(type_name, [])
                for off, _, end in self._laid_out(s, type_name)
            ),
            default=0,
        )

    def _named_like(self, shape: Shape) -> str | None:
        """The one type with a layout holding every (offset, name) of an unnamed one (two or more)."""
        keys = {(f.offset, f.name) for f in shape}
        if len(keys) < 2:
            return None
        names = [
            name
            for name, shapes in self._shapes.items()
            if any(keys <= {(f.offset, f.name) for f in s} for s in shapes)
        ]
        return names[0] if len(names) == 1 else None

    def _laid_out(self, shape: Shape, type_name: str | None) -> Laid:
        """A shape's fields with their offsets and where each ends (None: where the enclosing
        field ends): its size, as any layout of its type prints it, else the next field
        printed after it at a larger offset."""
        key = (id(shape), type_name)
        if key not in self._laid:
            sizes = self._sizes.get(type_name or "", {})
            placed = [(off, f) for f in shape if (off := _offset(f)) is not None]
            laid = []
            for i, (off, fld) in enumerate(placed):
                size = type_size(fld.type)
                size = sizes.get((fld.offset, fld.name)) if size is None else size
                later = next((placed[j][0] for j in range(i + 1, len(placed)) if placed[j][0] > off), None)
                laid.append((off, fld, off + size if size is not None else later))
            self._laid[key] = laid
        return self._laid[key]

    def resolve(self, type_name: str, offset: int, limit: int | None = None) -> Resolution | None:
        """The field of `type_name` at `offset` (`limit`: the type's size when known)."""
        shapes = self._shapes.get(type_name, [])
        return self._best(shapes, type_name, offset, limit, 0) if shapes and offset >= 0 else None

    def _best(
        self, shapes: list[Shape], type_name: str | None, offset: int, limit: int | None, depth: int
    ) -> Resolution | None:
        """The deepest reading of `offset` among the shapes of one type (a field over a gap)."""
        readings = [r for s in shapes if (r := self._in_shape(s, type_name, offset, limit, depth))]
        return max(readings, key=lambda r: (r.gap is None, len(r.steps)), default=None)

    def _in_shape(
        self, shape: Shape, type_name: str | None, offset: int, limit: int | None, depth: int
    ) -> Resolution | None:
        """The reading of `offset` in one shape: the first field holding it (the others are
        alternatives) and, inside it, its own reading; else the gap it falls in."""
        laid = self._laid_out(shape, type_name)
        if not laid:
            return None
        placed = [(off, f) for off, f, _ in laid]
        ends = [end if end is not None else limit for _, _, end in laid]
        holding = [i for i, (off, f) in enumerate(placed) if _holds(off, ends[i], f, offset)]
        if not holding:
            return _gap(placed, ends, offset)
        first, *others = holding
        off, fld = placed[first]
        end = ends[first]
        inner = self._inside(fld, offset - off, None if end is None else end - off, depth)
        alternatives = [self._path_in(placed[i][1], offset - placed[i][0], ends[i], depth) for i in others]
        if inner is None:
            rest = offset - off - _first_byte(fld)
            return Resolution([Step(fld.name, off, fld)], rest, alternatives=alternatives)
        steps = [Step(fld.name, off, fld), *(_prefixed(s, fld.name, off) for s in inner.steps)]
        near = _prefixed(inner.near, fld.name, off) if inner.near else None
        alternatives += [f"{fld.name}.{a}" for a in inner.alternatives]
        return Resolution(steps, inner.rest, inner.gap, near, alternatives)

    def _path_in(self, fld: DtField, offset: int, end: int | None, depth: int) -> str:
        """The path of a union member or bitfield that holds an offset too, as deep as shown."""
        off = _offset(fld) or 0
        inner = self._inside(fld, offset, None if end is None else end - off, depth)
        return f"{fld.name}.{inner.path}" if inner and inner.steps and inner.gap is None else fld.name

    def _inside(self, fld: DtField, offset: int, limit: int | None, depth: int) -> Resolution | None:
        """The reading of an offset inside an embedded field, from its own children and every
        layout of its type."""
        inner_type = embedded_type(fld)
        shapes = ([fld.children] if fld.children else []) + self._shapes.get(inner_type or "", [])
        if not shapes or depth >= MAX_DEPTH:
            return None
        return self._best(shapes, inner_type, offset, limit, depth + 1)


def _holds(off: int, end: int | None, fld: DtField, offset: int) -> bool:
    """Whether a field starting at `off` and ending at `end` (None: unknown) holds `offset`; a
    bitfield holds only the bytes its bits are in."""
    if offset < off or (offset >= end if end is not None else offset != off):
        return False
    bits = fld.bitfield
    if bits is None or bits.get("pos") is None:
        return True
    pos, width = bits["pos"] or 0, bits["bits"] or 0
    return pos // 8 <= offset - off <= (pos + width - 1) // 8


def _first_byte(fld: DtField) -> int:
    """The byte of its unit a bitfield starts in (`Pos 8, 8 Bits`: 1); 0 for other fields."""
    bits = fld.bitfield
    return (bits.get("pos") or 0) // 8 if bits else 0


def _gap(placed: list[tuple[int, DtField]], ends: list[int | None], offset: int) -> Resolution | None:
    """An offset in no field: padding after the field before it, or past the last field shown."""
    before = [i for i, (off, _) in enumerate(placed) if off <= offset]
    if not before:
        return None
    near = max(before, key=lambda i: (placed[i][0], i))
    off, fld = placed[near]
    later = any(o > offset for o, _ in placed)
    return Resolution([], offset - off, "padding" if later else "past-end", Step(fld.name, off, fld))


def _prefixed(step: Step, name: str, base: int) -> Step:
    return Step(f"{name}.{step.path}", base + step.offset, step.field)
