"""Value sanity and corruption patterns over every value the session shows.

- ``fill-pattern``: a value made of a known fill (0xfeeefeee, 0xbaadf00d …) or, for a pointer,
  one byte repeated: memory that was freed, never written, or a guard zone.
- ``near-miss``: a value that equals an address the session proves good (see
  `crashsift.evidence.values`) in every byte but one of its upper half — the structure's own
  address, a pool block, a dumped address. Legitimate pointers land in regions the session
  shows; a pointer one byte away from a good one was damaged.
- ``corruption-pattern``: several values damaged in the *same* byte position — each one byte
  away from a good region (or from NULL) and always in that byte. A byte lane is how a DRAM
  chip or a data line fails; software overwrites whole runs of bytes.
- ``bad-pointer``: a pointer that is non-canonical, or a kernel structure's list link into user
  space, that no damage pattern, fill or encoding (`data/encoded_pointer_types.tsv`) explains.

Lanes and near-misses need 64-bit addresses and are judged in kernel mode, where the regions
are few and far apart; fill patterns and bad pointers apply everywhere.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources

from crashsift.evidence.addresses import (
    NULL_PAGE,
    fill_of,
    is_canonical,
    is_kernel,
    is_user,
    repeated_byte,
    show,
)
from crashsift.evidence.session import Session
from crashsift.evidence.values import Anchor, Observed, anchors, cite, observed
from crashsift.model import Evidence, Explanation, Finding

MIN_PATTERN = 3  # values damaged in one byte lane before it is called a pattern
MIN_STRONG = 2  # of which this many must be strong (see `Damage`)
MAX_CITED = 12  # evidence lines cited per finding
ADJACENT = 2  # a region this close (in the damaged byte) may simply be the next region


@dataclass(frozen=True, slots=True)
class Damage:
    """A value that is one byte (`lane`, 0 = least significant) from a good address or region.

    `strong` when the value equals a good address but for that byte, or is a pointer that is
    NULL but for it; weak when it only lands in a region the session shows once the byte is put
    back (regions can differ in one byte legitimately) or is a register that is NULL but for one
    byte (registers hold packed numbers)."""

    seen: Observed
    lane: int
    repaired: int  # the upper half with the lane's byte put back (the region it belongs to)
    partner: Anchor | None  # a good address equal to the value but for that byte
    strong: bool


def find(session: Session) -> list[Finding]:
    values = observed(session)
    out = _fills(session, values)
    damages = damage(session) if session.kernel and session.pointer_size == 8 else []
    out.extend(_near_misses(session, damages))
    out.extend(_patterns(session, damages))
    out.extend(_bad_pointers(session, values, {d.seen.value for d in damages}))
    return out


def damage(session: Session) -> list[Damage]:
    """Values one byte of their upper half away from a region or address the session proves good
    (worked out once per session: `regmem` reads it too)."""
    return session.remember("damage", lambda: _damage(session, observed(session)))


def _damage(session: Session, values: list[Observed]) -> list[Damage]:
    good = [a for a in anchors(session) if a.value >= NULL_PAGE]
    regions = {a.value >> 32 for a in good}
    by_low: dict[int, list[Anchor]] = defaultdict(list)
    for a in good:
        by_low[a.value & 0xFFFF_FFFF].append(a)
    out: list[Damage] = []
    for seen in values:
        high = seen.value >> 32
        if not (seen.pointer or seen.source == "register") or high in regions or high == 0xFFFF_FFFF:
            continue
        if found := _lane(seen, high, regions, by_low):
            out.append(found)
    return out


def _lane(seen: Observed, high: int, regions: set[int], by_low: dict[int, list[Anchor]]) -> Damage | None:
    """The byte of the upper half that, put back, makes `seen` a good address (exact partner
    first, then a known region, then NULL for ``0x000000XX`00000000``)."""
    for anchor in by_low.get(seen.value & 0xFFFF_FFFF, ()):
        lanes = _differing(high, anchor.value >> 32)
        if len(lanes) == 1:
            return Damage(seen, lanes[0] + 4, anchor.value >> 32, anchor, True)
    if seen.value & 0xFFFF_FFFF == 0 and len(_differing(high, 0)) == 1:
        return Damage(seen, _differing(high, 0)[0] + 4, 0, None, seen.source != "register")
    for region in sorted(regions):
        lanes = _differing(high, region)
        if len(lanes) == 1 and region and abs(_byte(high, lanes[0]) - _byte(region, lanes[0])) > ADJACENT:
            return Damage(seen, lanes[0] + 4, region, None, False)
    return None


def _differing(a: int, b: int) -> list[int]:
    x = a ^ b
    return [i for i in range(4) if (x >> (8 * i)) & 0xFF]


def _byte(value: int, index: int) -> int:
    return (value >> (8 * index)) & 0xFF


def _near_misses(session: Session, damages: list[Damage]) -> list[Finding]:
    out: list[Finding] = []
    done: set[int] = set()
    for d in damages:
        if d.partner is None or d.seen.value in done:
            continue
        done.add(d.seen.value)
        arch = session.arch
        same = [x for x in damages if x.seen.value == d.seen.value]
        msg = (
            f"{d.seen.label} = {show(d.seen.value, arch)} equals {show(d.partner.value, arch)}, "
            f"{d.partner.label}, in every byte but byte {d.lane}: a damaged pointer."
        )
        evidence = [cite(session, x.seen, f"{x.seen.label} = {show(x.seen.value, arch)}") for x in same]
        evidence.append(session.cite(d.partner.line, f"good address {show(d.partner.value, arch)}"))
        out.append(
            Finding(
                "near-miss",
                "warning",
                msg,
                _dedupe(evidence),
                [
                    Explanation(
                        "hardware",
                        "moderate",
                        [f"only byte {d.lane} differs from an address the session shows"],
                        ["one value alone cannot tell a flipped byte from a partial overwrite"],
                    ),
                    Explanation(
                        "overwrite",
                        "weak",
                        ["a one-byte store into this field would leave the other bytes intact"],
                        ["no code writing single bytes into this field is shown"],
                    ),
                ],
                {
                    "value": hex(d.seen.value),
                    "good_address": hex(d.partner.value),
                    "byte": str(d.lane),
                    "label": d.seen.label,
                },
            )
        )
    return out


def _patterns(session: Session, damages: list[Damage]) -> list[Finding]:
    by_lane: dict[int, list[Damage]] = defaultdict(list)
    for d in damages:
        by_lane[d.lane].append(d)
    out: list[Finding] = []
    for lane, group in sorted(by_lane.items()):
        distinct = {d.seen.value for d in group}
        strong = {d.seen.value for d in group if d.strong}
        if len(distinct) < MIN_PATTERN or len(strong) < MIN_STRONG:
            continue
        out.append(_pattern_finding(session, lane, group, len(distinct)))
    return out


def _pattern_finding(session: Session, lane: int, group: list[Damage], count: int) -> Finding:
    arch = session.arch
    containers = {d.seen.container or d.seen.source for d in group}
    in_register = any(d.seen.source == "register" for d in group)
    names = ", ".join(dict.fromkeys(d.seen.label for d in group))
    msg = (
        f"Byte {lane} (bits {8 * lane}-{8 * lane + 7}) is wrong in {count} values that are otherwise "
        f"good addresses or NULL ({_short(names)}): one byte lane damaged across "
        f"{len(containers)} place{'s' if len(containers) > 1 else ''}, the signature of failing memory "
        "or a hardware fault rather than of a software bug."
    )
    spread = len(containers) > 1 or in_register
    hardware_for = [
        f"byte {lane} differs in {count} values and no other byte does",
        f"the damage spans {len(containers)} places" + (" including a register" if in_register else ""),
    ]
    evidence = [
        cite(session, d.seen, f"{d.seen.label} = {show(d.seen.value, arch)}, {_put_back(d)}") for d in group
    ]
    strides = _strides(group)
    values = {"byte": str(lane), "count": str(count), "places": str(len(containers))}
    if strides:
        values["offsets"] = strides
    return Finding(
        "corruption-pattern",
        "critical",
        msg,
        _dedupe(evidence)[:MAX_CITED],
        [
            Explanation("hardware", "strong" if spread and count >= 4 else "moderate", hardware_for, []),
            Explanation(
                "overwrite",
                "weak",
                ["several neighbouring fields of one structure are damaged"] if not spread else [],
                ["each value differs in one byte only; an overrun writes runs of bytes"]
                + (["the damage is in more than one place"] if spread else []),
            ),
            Explanation(
                "uninitialised-or-freed",
                "weak",
                [],
                ["the other bytes of each value are those of a good address, not a fill or stale data"],
            ),
            Explanation(
                "race",
                "weak",
                [],
                ["a race leaves whole stale values; here one byte of each value is wrong"],
            ),
        ],
        values,
    )


def _put_back(d: Damage) -> str:
    if d.repaired == 0 and d.seen.value & 0xFFFF_FFFF == 0:
        return f"NULL but for byte {d.lane}"
    return f"an address of region {d.repaired:08x}`… but for byte {d.lane}"


def _strides(group: list[Damage]) -> str:
    """The offsets of the damaged words within their structure, when one structure holds them."""
    by_container: dict[str | None, list[int]] = defaultdict(list)
    for d in group:
        if d.seen.offset is not None and d.seen.source == "field":
            by_container[d.seen.container].append(d.seen.offset)
    if not by_container:
        return ""
    container, offsets = max(by_container.items(), key=lambda kv: len(kv[1]))
    return f"{container}: " + ", ".join(f"+0x{o:x}" for o in sorted(set(offsets)))


def _fills(session: Session, values: list[Observed]) -> list[Finding]:
    out: list[Finding] = []
    grouped: dict[int, list[Observed]] = defaultdict(list)
    for seen in values:
        grouped[seen.value].append(seen)
    for value, seen in grouped.items():
        fill = fill_of(value)
        byte = None if fill else repeated_byte(value, session.pointer_size)
        if fill is None and (byte is None or not any(s.pointer for s in seen)):
            continue
        what = f"the {fill.pattern:08x} fill ({fill.meaning})" if fill else f"the byte 0x{byte:02x} repeated"
        cause = fill.cause if fill else _repeated_cause(byte)
        out.append(
            Finding(
                "fill-pattern",
                "warning",
                f"{seen[0].label} = {show(value, session.arch)} is {what}: {CONSEQUENCE[cause]}.",
                _dedupe([cite(session, s, f"{s.label} = {show(value, session.arch)}") for s in seen])[
                    :MAX_CITED
                ],
                [Explanation(cause, "strong" if fill else "moderate", [what], [])],
                {"value": hex(value), "cause": cause},
            )
        )
    return out


CONSEQUENCE = {
    "freed": "the memory was freed before this read",
    "uninitialised": "the memory was never written before this read",
    "uninitialised-or-freed": "the memory was never written, or was freed, before this read",
    "overrun": "this is a guard zone, so something reached past the end of a block",
    "overwrite": "character data overran into this value",
}


def _repeated_cause(byte: int | None) -> str:
    """A printable character repeated is test or string data that overran into the value
    (``AAAA``); another byte repeated is a fill."""
    return "overwrite" if byte is not None and 0x20 < byte < 0x7F else "uninitialised-or-freed"


def _bad_pointers(session: Session, values: list[Observed], explained: set[int]) -> list[Finding]:
    out: list[Finding] = []
    done: set[int] = set()
    arch = session.arch
    for seen in values:
        if not seen.pointer or seen.value in explained or seen.value in done or seen.value < NULL_PAGE:
            continue
        if _encoded(seen) or fill_of(seen.value) or repeated_byte(seen.value, session.pointer_size):
            continue
        if not is_canonical(seen.value, arch):
            why = "non-canonical: no CPU can dereference it"
        elif session.kernel and is_user(seen.value, arch) and _kernel_list_link(seen, arch):
            why = "a list link of a kernel structure that points into user space"
        else:
            continue
        done.add(seen.value)
        out.append(
            Finding(
                "bad-pointer",
                "warning",
                f"{seen.label} = {show(seen.value, arch)} is {why}.",
                [cite(session, seen, f"{seen.label} = {show(seen.value, arch)}")],
                [
                    Explanation("corrupted-pointer", "moderate", [why], []),
                    Explanation(
                        "uninitialised-or-freed",
                        "weak",
                        ["a field never set, or reused memory, holds whatever was there before"],
                        [],
                    ),
                ],
                {"value": hex(seen.value), "label": seen.label},
            )
        )
    return out


@cache
def encoded_pointer_types() -> frozenset[str]:
    """`data/encoded_pointer_types.tsv`: structures whose pointers are stored encoded."""
    text = resources.files("crashsift").joinpath("data", "encoded_pointer_types.tsv").read_text("utf-8")
    return frozenset(row.split("\t")[0] for row in text.splitlines() if row and not row.startswith("#"))


def _encoded(seen: Observed) -> bool:
    return seen.label.split(".", 1)[0] in encoded_pointer_types()


def _kernel_list_link(seen: Observed, arch: str | None) -> bool:
    """A `_LIST_ENTRY` link of a structure dumped at a kernel address: kernel lists link kernel
    memory (other kernel pointers may legitimately hold user addresses: a TEB, a user buffer)."""
    return seen.points_to == "_LIST_ENTRY" and seen.base is not None and is_kernel(seen.base, arch)


def _short(names: str, limit: int = 160) -> str:
    return names if len(names) <= limit else names[: limit - 1].rsplit(", ", 1)[0] + ", …"


def _dedupe(evidence: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[int | None, str]] = set()
    out: list[Evidence] = []
    for e in evidence:
        if (e.line, e.note) not in seen:
            seen.add((e.line, e.note))
            out.append(e)
    return out
