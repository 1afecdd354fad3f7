"""Crash signatures as an ordered pipeline of small rules, each noting what it did.

A signature names where a crash happened: the first frames of the crash stack once the frames
that only say how it was reported are gone. The rules, in order:

1. `sentinel` — drop everything above a frame where the crash itself begins (a trap handler such
   as ``nt!KiPageFault``, ``ntdll!KiUserExceptionDispatcher``; `data/sentinel_frames.txt`);
2. `skip` — drop bug-check, dispatch and wait plumbing (`data/skip_frames.txt`) and frames
   without a symbol at the top;
3. `prefix` — a frame too general to name a crash (``nt!ExFreePoolWithTag``, ``memcpy``, cold
   code; `data/prefix_frames.txt`) keeps the next frame with it;
4. `third_party` — the first module that is not Microsoft's (`data/microsoft_modules.txt`), the
   driver or program to look at;
5. `fallback` — no frame left: the bug check or exception code names the crash.

The trail of notes is what lets a bucket say why it exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crashsift.correlate.normalize import COLD, UNKNOWN, patterns
from crashsift.correlate.records import CrashRecord

MAX_PREFIX = 4  # at most this many frames joined by the prefix rule


@dataclass(slots=True)
class Signature:
    """`text` names the crash; `stack` is the frame keys left after sentinel and skip."""

    text: str = ""
    stack: list[str] = field(default_factory=list)
    driver: str | None = None
    trail: list[str] = field(default_factory=list)


def _sentinel(record: CrashRecord, sig: Signature) -> None:
    sentinels = patterns("sentinel_frames.txt")
    for i, key in enumerate(sig.stack):
        if key in sentinels:
            sig.trail.append(f"sentinel: dropped {i + 1} frame(s) down to {key}, where the crash begins")
            sig.stack = sig.stack[i + 1 :]
            return


def _skip(record: CrashRecord, sig: Signature) -> None:
    skip = patterns("skip_frames.txt")
    kept = [k for k in sig.stack if k not in skip]
    dropped = len(sig.stack) - len(kept)
    top = 0
    while top < len(kept) and kept[top] == UNKNOWN:
        top += 1
    if dropped or top:
        sig.trail.append(
            f"skip: dropped {dropped} reporting frame(s)"
            + (f" and {top} unsymbolised top frame(s)" if top else "")
        )
    sig.stack = kept[top:]


def _prefix(record: CrashRecord, sig: Signature) -> None:
    prefix = patterns("prefix_frames.txt")
    chosen: list[str] = []
    for key in sig.stack:
        chosen.append(key)
        general = key in prefix or key.endswith("!" + COLD)
        if not general or len(chosen) >= MAX_PREFIX:
            break
    if len(chosen) > 1:
        sig.trail.append(f"prefix: {', '.join(chosen[:-1])} too general alone; kept with {chosen[-1]}")
    sig.text = " | ".join(chosen)
    if chosen:
        sig.trail.append(f"signature: {sig.text}")


def _third_party(record: CrashRecord, sig: Signature) -> None:
    microsoft = patterns("microsoft_modules.txt")
    for key in sig.stack:
        module = key.split("!", 1)[0]
        if key != UNKNOWN and module not in microsoft:
            sig.driver = module
            sig.trail.append(f"third_party: first module not Microsoft's is {module}")
            return


def _fallback(record: CrashRecord, sig: Signature) -> None:
    if sig.text:
        return
    code = record.bugcheck or record.exception
    sig.text = (
        f"{'bug check' if record.bugcheck else 'exception'} {code} (no frame)" if code else "(no stack)"
    )
    sig.trail.append(f"fallback: no frame names the crash; signature {sig.text}")


RULES: tuple[Callable[[CrashRecord, Signature], None], ...] = (
    _sentinel,
    _skip,
    _prefix,
    _third_party,
    _fallback,
)


def signature(record: CrashRecord) -> Signature:
    """Run the rules over one crash record."""
    sig = Signature(stack=list(record.keys))
    if record.frames_from == "culprit":
        sig.trail.append(
            f"culprit: no stack shown; the analysis's faulting symbol {record.keys[0]} stands in"
        )
    for rule in RULES:
        rule(record, sig)
    return sig
