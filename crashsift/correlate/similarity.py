"""How alike two crash stacks are: a position- and frequency-weighted alignment of the FaST kind.

FaST (Rodrigues, Aloise, Fernandes, MSR 2022) aligns two stacks in linear time by pairing equal
frames instead of running an edit-distance table, and weighs each frame by where it sits and how
common it is. This is an implementation of that idea, written from the published description.

Stacks are lists of normalised frame keys (``fltmgr!TreeUnlinkMulti``), top frame first, cut to
the first `Params.depth` frames. A frame with key ``k`` at position ``p`` (0 = top) weighs

    w(k, p) = (1 + p) ** -alpha  *  idf(k),        idf(k) = ln(1 + N / df(k))

where N is the number of reports in the collection and df(k) the number of them whose stack holds
``k`` (a key the collection never saw counts as df = 1). Frames near the top say where the crash
happened, so they weigh more; a frame that nearly every report has (``nt!IofCallDriver``) says
little, so it weighs less. An unknown frame (``?``) weighs 0 and never matches.

Equal keys are paired in order of occurrence (the i-th ``k`` of one stack with the i-th ``k`` of
the other): one pass over each stack, no dynamic programming. A pair at positions i and j keeps
its two weights, damped by how far it moved:

    sim(a, b) = sum over pairs (w(k, i) + w(k, j)) * exp(-gamma * |i - j|)  /  (sum_a w + sum_b w)

So sim is 1 for identical stacks, 0 when no frame is shared, symmetric, and in [0, 1]. Two stacks
without a single informative frame score 0: nothing says they are alike. `agreement` is the same
with both stacks cut to the shorter one's depth: frames a stack does not show (a paste that stops
early) are then no evidence that it differs.

Parameters (`Params`), chosen on the shared corpus with bench/correlate_quality.py:
alpha = 0.5: a frame at position 3 weighs half the top frame, at 15 a quarter. With it, every
perturbed copy of a corpus stack whose signature changed scores 0.51 or more against its original
while the closest stacks of different signatures score 0.45; with alpha = 1.0 the two overlap
(0.40 against 0.55), with 1.5 more so. gamma = 0.1: a frame one position off keeps 90 % of its
weight, since a dropped or inlined frame shifts everything below it by one (0.05 does as well;
0.2 and 0.3 lose perturbed copies). depth = 16: bounds the cost of one comparison; frames further
down rarely tell crashes apart. `crashsift.correlate.buckets` sets the threshold.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

from crashsift.correlate.normalize import UNKNOWN


@dataclass(frozen=True, slots=True)
class Params:
    alpha: float = 0.5  # how fast weight falls with position from the top
    gamma: float = 0.1  # how much a matched frame loses per position it moved
    depth: int = 16  # frames compared, from the top


DEFAULT = Params()


@cache
def _position_weights(params: Params) -> tuple[float, ...]:
    return tuple((1 + p) ** -params.alpha for p in range(params.depth))


@cache
def _shift_penalties(params: Params) -> tuple[float, ...]:
    return tuple(math.exp(-params.gamma * d) for d in range(params.depth))


@dataclass(slots=True)
class FrameStats:
    """How many reports (`n`) hold each frame key (`df`): the frequency half of the weights."""

    n: int
    df: dict[str, int]
    _idf: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, stacks: Iterable[Sequence[str]], depth: int = DEFAULT.depth) -> FrameStats:
        """Count each key once per stack, over the frames that are compared."""
        df: dict[str, int] = {}
        n = 0
        for stack in stacks:
            n += 1
            for key in set(stack[:depth]):
                df[key] = df.get(key, 0) + 1
        df.pop(UNKNOWN, None)
        return cls(n, df)

    def idf(self, key: str) -> float:
        if key == UNKNOWN:
            return 0.0
        value = self._idf.get(key)
        if value is None:
            value = self._idf[key] = math.log(1 + max(self.n, 1) / self.df.get(key, 1))
        return value


@dataclass(frozen=True, slots=True)
class Weighted:
    """A stack cut to depth with the weight of each frame and their sum, ready to compare;
    `repeats` when a known key occurs more than once (recursion through other frames)."""

    keys: tuple[str, ...]
    weights: tuple[float, ...]
    total: float
    repeats: bool


def weigh(stack: Sequence[str], stats: FrameStats, params: Params = DEFAULT) -> Weighted:
    keys = tuple(stack[: params.depth])
    position = _position_weights(params)
    weights = tuple(position[p] * stats.idf(k) for p, k in enumerate(keys))
    known = [k for k in keys if k != UNKNOWN]
    return Weighted(keys, weights, sum(weights), len(set(known)) < len(known))


def _pairs(a: Sequence[str], b: Sequence[str]) -> Iterable[tuple[int, int]]:
    """Positions (i, j) of equal known keys, the n-th occurrence in `a` with the n-th in `b`."""
    where: dict[str, list[int]] = {}
    for j, key in enumerate(b):
        if key != UNKNOWN:
            where.setdefault(key, []).append(j)
    taken: dict[str, int] = {}
    for i, key in enumerate(a):
        positions = where.get(key)
        if positions is None:
            continue
        n = taken.get(key, 0)
        if n < len(positions):
            taken[key] = n + 1
            yield i, positions[n]


def aligned(a: Weighted, b: Weighted, params: Params = DEFAULT, cut: bool = False) -> float:
    """`sim(a, b)` of the module docstring for stacks already weighed. With `cut`, both stacks
    are compared down to the shorter one's depth only: frames a stack does not show are then no
    evidence that it differs (`agreement`)."""
    wa, wb = a.weights, b.weights
    depth = min(len(wa), len(wb)) if cut else max(len(wa), len(wb))
    total = sum(wa[:depth]) + sum(wb[:depth]) if cut else a.total + b.total
    if total <= 0:
        return 0.0
    penalty = _shift_penalties(params)
    ka, kb = a.keys[:depth], b.keys[:depth]
    if a.repeats or b.repeats:
        score = sum((wa[i] + wb[j]) * penalty[abs(i - j)] for i, j in _pairs(ka, kb))
    else:  # the common case, faster: each key at one position (an unknown frame weighs 0)
        where = dict(zip(kb, range(len(kb)), strict=True))
        score = 0.0
        for i, key in enumerate(ka):
            j = where.get(key)
            if j is not None:
                score += (wa[i] + wb[j]) * penalty[abs(i - j)]
    return min(score / total, 1.0)


def similarity(a: Sequence[str], b: Sequence[str], stats: FrameStats, params: Params = DEFAULT) -> float:
    """How alike two stacks (frame keys, top first) are, from 0 (nothing shared) to 1 (the same)."""
    return aligned(weigh(a, stats, params), weigh(b, stats, params), params)


def agreement(a: Sequence[str], b: Sequence[str], stats: FrameStats, params: Params = DEFAULT) -> float:
    """`similarity` of the two stacks cut to the shorter one's depth: 1 when one stack is the
    other cut short (a paste that stops early, a `k` with fewer frames)."""
    return aligned(weigh(a, stats, params), weigh(b, stats, params), params, cut=True)


def shared_frames(a: Sequence[str], b: Sequence[str], depth: int = DEFAULT.depth) -> list[str]:
    """The frames the alignment pairs, in the order of `a`: what two stacks have in common."""
    return [a[i] for i, _ in _pairs(a[:depth], b[:depth])]
