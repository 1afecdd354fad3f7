"""Recurring code paths and same-area links: the code crashes share even when their stacks differ.

Both work on each report's signature stack (`Signature.stack`: the normalised frame keys once the
frames that only say how the crash was reported — bug-check, trap and dispatch plumbing — are
gone), so ``nt!KeBugCheckEx -> nt!KiPageFault`` is not a path every kernel crash "shares".
Frames are listed top first, as in the stacks: the callee before its caller.

**Recurring paths** (`recurring`): contiguous runs of >= `MIN_LENGTH` frames found in the stacks
of >= 2 reports, *maximal*: no frame can be added at either end without losing a report (so the
run is not part of a longer one the same reports share). `?` frames never belong to a path (an
address says nothing across crashes); they split a stack. A path of module-only frames (no
symbols: ``ntdll, kernel32, kernelbase``) is too vague to report. Only the top `MAX_DEPTH` frames
of a stack are read: the crash is at the top, deep frames are thread start-up and dispatch, and a
stack overflow's repeated cycle would otherwise make the cost quadratic. The paths are found
level by level over all stacks at once (numpy): the (n+1)-frame runs are built from pairs of
overlapping n-frame runs that each occur in >= 2 reports, so the work is linear in the frames
that take part in some shared run. The score ranks them::

    score = ln(1 + support) * sum(idf(frame) for frame in path),  idf = ln(N / df) + 1

where N is the number of reports and df the reports whose stack holds the frame: more reports,
more frames and rarer frames all rank a path higher. At most `MAX_PATHS` paths are kept.

**Same area** (`same_area`): the *crash area* of a report is the top `AREA_FRAMES` frames of its
signature stack (`?` frames not counted). Reports are linked

- at function level when a function is in the crash area of each of them, and
- at module level when a module is,

provided the reports do not all have the same crash area (the same crash area is one bug's
stack: the buckets' business, not a link between different stacks). Each function (module)
gives one group, the reports that have it in their crash area (an inverted index, so the cost is
linear); functions (modules) with exactly the same reports form one link, whose `shared` lists
them, the most telling first. Groups are not merged transitively: a chain of links through
different functions would join crashes that share nothing. Left out as noise: functions too
general to name a crash (`data/prefix_frames.txt`: pool, heap, lock and copy routines), cold
code blocks, the kernel and C runtime modules (`GENERIC_MODULES`), and any function or module in
the crash area of more than `UBIQUITOUS_SHARE` of the reports (once that is more than
`UBIQUITOUS_MIN` reports). Links are ordered function level first, then by::

    score = sum(idf(x) * mean(1 / (1 + position of x in each report's crash area)) for x in shared)

with idf(x) = ln(N / reports with x in their crash area) + 1 and positions from 0 at the top, so
a shared top-of-stack function counts most.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from crashsift.correlate.engine import Correlation, RecurringPath, SameArea
from crashsift.correlate.normalize import COLD, UNKNOWN, Patterns, patterns

MIN_LENGTH = 2
MAX_DEPTH = 40
MAX_PATHS = 500
AREA_FRAMES = 5
UBIQUITOUS_SHARE = 0.2
UBIQUITOUS_MIN = 20
GENERIC_MODULES = Patterns(
    frozenset({"nt", "hal", "ntdll", "kernel32", "kernelbase", "ucrtbase", "msvcrt", "wow64"}),
    ("vcruntime", "msvcp", "wow64"),
)
_NO_TOKEN = -1


def stacks(result: Correlation) -> list[list[str]]:
    """Each record's signature stack (its own keys when it has no signature), in record order."""
    out = []
    for record in result.records:
        sig = result.signatures.get(record.id)
        out.append(list(sig.stack) if sig is not None else record.keys)
    return out


# --- recurring paths ------------------------------------------------------------------------


@dataclass(slots=True)
class _Tokens:
    """All stacks as one array of frame ids; `_NO_TOKEN` stands for `?` and ends every stack."""

    keys: list[str]
    seq: np.ndarray
    doc: np.ndarray
    idf: np.ndarray


@dataclass(slots=True)
class _Level:
    """The runs of one length that occur in >= 2 reports: `at[p]` is the run starting at p (or -1);
    per run its report count, summed idf, a position it starts at, and its sorted
    ``run * n_docs + doc`` pairs (to list its reports)."""

    length: int
    at: np.ndarray
    count: np.ndarray
    idf_sum: np.ndarray
    first: np.ndarray
    pairs: np.ndarray


@dataclass(order=True, slots=True)
class _Found:
    score: float
    support: int
    length: int
    frames: list[str] = field(compare=False)
    docs: np.ndarray = field(compare=False)


def recurring(result: Correlation) -> list[RecurringPath]:
    """Maximal contiguous frame runs shared by >= 2 reports, best first (see the module doc)."""
    ids = [r.id for r in result.records]
    tokens = _tokenize(stacks(result), len(ids))
    best: list[_Found] = []
    level = _unigrams(tokens, len(ids))
    while level.count.size and level.length < MAX_DEPTH:
        nxt, closed = _extend(level, tokens, len(ids))
        if level.length >= MIN_LENGTH:
            _collect(best, level, closed, tokens, len(ids))
        level = nxt
    if level.length >= MIN_LENGTH and level.count.size:
        _collect(best, level, np.ones(level.count.size, bool), tokens, len(ids))
    best.sort(key=lambda f: (-f.score, -f.support, -f.length, f.frames))
    return [
        RecurringPath(f.frames, sorted(ids[d] for d in f.docs), f.support, round(f.score, 3)) for f in best
    ]


def _tokenize(all_stacks: list[list[str]], n_docs: int) -> _Tokens:
    """Intern the frame keys of the top `MAX_DEPTH` frames; compute each key's idf."""
    index: dict[str, int] = {}
    seq: list[int] = []
    doc: list[int] = []
    for i, stack in enumerate(all_stacks):
        for key in stack[:MAX_DEPTH]:
            seq.append(_NO_TOKEN if key == UNKNOWN else index.setdefault(key, len(index)))
        seq.append(_NO_TOKEN)
        doc.extend([i] * (min(len(stack), MAX_DEPTH) + 1))
    seq_a, doc_a = np.asarray(seq, np.int64), np.asarray(doc, np.int64)
    known = seq_a >= 0
    pairs = np.unique(seq_a[known] * max(n_docs, 1) + doc_a[known])
    df = np.bincount(pairs // max(n_docs, 1), minlength=len(index))
    idf = np.log(n_docs / np.maximum(df, 1)) + 1.0
    return _Tokens(list(index), seq_a, doc_a, idf)


def _unigrams(tokens: _Tokens, n_docs: int) -> _Level:
    """Single frames held by >= 2 reports: where the runs start growing."""
    known = np.nonzero(tokens.seq >= 0)[0]
    code = tokens.seq[known]
    return _grams(known, code, tokens.idf[code], tokens, n_docs, length=1)


def _grams(
    starts: np.ndarray, code: np.ndarray, idf_sum: np.ndarray, tokens: _Tokens, n_docs: int, length: int
) -> _Level:
    """Number the runs beginning at `starts` (equal `code` = equal run; `idf_sum` per start) and
    keep those in >= 2 reports."""
    n = max(n_docs, 1)
    uniq, first, inv = np.unique(code, return_index=True, return_inverse=True)
    pairs = np.unique(inv * n + tokens.doc[starts])
    count = np.bincount(pairs // n, minlength=uniq.size)
    keep = count >= 2
    renum = np.cumsum(keep) - 1
    at = np.full(tokens.seq.size, _NO_TOKEN, np.int64)
    kept = keep[inv]
    at[starts[kept]] = renum[inv[kept]]
    pairs = pairs[keep[pairs // n]]
    pairs = renum[pairs // n] * n + pairs % n
    return _Level(length, at, count[keep], idf_sum[first[keep]], starts[first[keep]], pairs)


def _extend(level: _Level, tokens: _Tokens, n_docs: int) -> tuple[_Level, np.ndarray]:
    """The runs one frame longer (two overlapping runs of this level), and which runs of this
    level are closed: no one-frame-longer run has all their reports."""
    at = level.at
    starts = np.nonzero((at[:-1] >= 0) & (at[1:] >= 0))[0]
    prefix, suffix = at[starts], at[starts + 1]
    idf_sum = level.idf_sum[prefix] + tokens.idf[tokens.seq[starts + level.length]]
    nxt = _grams(starts, prefix * level.count.size + suffix, idf_sum, tokens, n_docs, level.length + 1)
    longer = nxt.at[starts]
    grown = longer >= 0
    count = nxt.count[longer[grown]]
    open_ = np.zeros(level.count.size, bool)
    open_[prefix[grown][count == level.count[prefix[grown]]]] = True
    open_[suffix[grown][count == level.count[suffix[grown]]]] = True
    return nxt, ~open_


def _collect(best: list[_Found], level: _Level, closed: np.ndarray, tokens: _Tokens, n_docs: int) -> None:
    """Add this level's closed runs that can still make the top `MAX_PATHS` to the heap `best`."""
    runs = np.nonzero(closed)[0]
    scores = np.log1p(level.count[runs]) * level.idf_sum[runs]
    floor = best[0].score if len(best) >= MAX_PATHS else -math.inf
    good = scores > floor
    runs, scores = runs[good], scores[good]
    if runs.size > MAX_PATHS:
        top = np.argpartition(-scores, MAX_PATHS - 1)[:MAX_PATHS]
        runs, scores = runs[top], scores[top]
    n = max(n_docs, 1)
    lo = np.searchsorted(level.pairs, runs * n)
    hi = np.searchsorted(level.pairs, (runs + 1) * n)
    for run, score, a, b in zip(runs.tolist(), scores.tolist(), lo.tolist(), hi.tolist(), strict=True):
        start = int(level.first[run])
        frames = [tokens.keys[t] for t in tokens.seq[start : start + level.length].tolist()]
        if not any("!" in f for f in frames):
            continue  # module names only (no symbols): too vague to call a code path
        found = _Found(score, b - a, level.length, frames, level.pairs[a:b] % n)
        if len(best) < MAX_PATHS:
            heapq.heappush(best, found)
        elif found > best[0]:
            heapq.heapreplace(best, found)


# --- same area ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Group:
    """Reports (indices) that hold one function or module in their crash area, and where."""

    level: str
    reports: tuple[int, ...]
    shared: list[str]
    weights: list[float]
    areas: int = 0  # how many different crash areas the reports have


def crash_area(stack: Iterable[str]) -> list[str]:
    """The top `AREA_FRAMES` frames of a signature stack, `?` frames left out."""
    return [k for k in stack if k != UNKNOWN][:AREA_FRAMES]


def same_area(result: Correlation) -> list[SameArea]:
    """Links between reports whose stacks differ but whose crash areas share code (module doc)."""
    ids = [r.id for r in result.records]
    areas = [crash_area(s) for s in stacks(result)]
    area_id: dict[tuple[str, ...], int] = {}
    kinds = [area_id.setdefault(tuple(a), len(area_id)) for a in areas]
    groups = _groups("function", _function_index(areas), len(ids))
    groups += _groups("module", _module_index(areas), len(ids))
    for g in groups:
        g.areas = len({kinds[i] for i in g.reports})
    kept = [g for g in groups if g.areas > 1]
    kept.sort(key=lambda g: (g.level != "function", -sum(g.weights), -len(g.reports), g.shared))
    return [SameArea(g.level, sorted(ids[i] for i in g.reports), g.shared, _why(g, ids, areas)) for g in kept]


def _function_index(areas: list[list[str]]) -> dict[str, dict[int, int]]:
    """function key -> {report: its position in the crash area}, general functions left out."""
    general = patterns("prefix_frames.txt")
    index: dict[str, dict[int, int]] = defaultdict(dict)
    for i, area in enumerate(areas):
        for pos, key in enumerate(area):
            function = key.partition("!")[2]
            if function and function != COLD and key not in general:
                index[key].setdefault(i, pos)
    return index


def _module_index(areas: list[list[str]]) -> dict[str, dict[int, int]]:
    """module -> {report: position of its first frame in the crash area}, generic modules left out."""
    index: dict[str, dict[int, int]] = defaultdict(dict)
    for i, area in enumerate(areas):
        for pos, key in enumerate(area):
            module = key.split("!", 1)[0]
            if module not in GENERIC_MODULES:
                index[module].setdefault(i, pos)
    return index


def _groups(level: str, index: dict[str, dict[int, int]], n_reports: int) -> list[_Group]:
    """One group per set of >= 2 reports; names with the same reports join, heaviest first."""
    ceiling = max(UBIQUITOUS_MIN, UBIQUITOUS_SHARE * n_reports)
    by_reports: dict[tuple[int, ...], list[tuple[float, str]]] = defaultdict(list)
    for name, where in index.items():
        if 2 <= len(where) <= ceiling:
            idf = math.log(n_reports / len(where)) + 1.0
            weight = idf * sum(1.0 / (1 + p) for p in where.values()) / len(where)
            by_reports[tuple(sorted(where))].append((weight, name))
    out = []
    for reports, named in by_reports.items():
        named.sort(key=lambda wn: (-wn[0], wn[1]))
        out.append(_Group(level, reports, [n for _, n in named], [w for w, _ in named]))
    return out


def _why(group: _Group, ids: list[str], areas: list[list[str]]) -> str:
    """One sentence: who, what they share, and where in their stacks."""
    who = _who([ids[i] for i in group.reports])
    if group.areas < len(group.reports):
        lead = f"{who}, with {group.areas} different crash stacks between them, all"
    else:
        lead = f"{who} have different stacks but {'both' if len(group.reports) == 2 else 'all'}"
    where = f"within the top {AREA_FRAMES} frames of each crash stack, counted from where the crash begins"
    if group.level == "function":
        at = _positions(group.shared[0], group.reports, ids, areas)
        return f"{lead} run {_names(group.shared)} near the crash: {at} ({where})"
    seen = _module_functions(set(group.shared), group.reports, areas)
    more = ", …" if len(seen) > 4 else ""
    listed = f": {_names(seen[:4])}{more}" if seen else ""
    return f"{lead} crash in {_names(group.shared)} code{listed} ({where})"


def _module_functions(modules: set[str], reports: tuple[int, ...], areas: list[list[str]]) -> list[str]:
    """The modules' frames in the reports' crash areas: those in most reports first, then the
    nearest the top."""
    seen: dict[str, list[int]] = defaultdict(list)
    for i in reports:
        for pos, key in enumerate(areas[i]):
            if "!" in key and key.split("!", 1)[0] in modules:
                seen[key].append(pos)
    return sorted(seen, key=lambda k: (-len(seen[k]), min(seen[k]), k))


def _who(names: list[str]) -> str:
    if len(names) <= 3:
        return _names(sorted(names))
    return f"{len(names)} reports"


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _positions(key: str, reports: tuple[int, ...], ids: list[str], areas: list[list[str]]) -> str:
    """``frame 1 in A, frame 3 in B`` for a few reports; the range of frames for many."""
    where = sorted((areas[i].index(key) + 1, ids[i]) for i in reports)
    if len(where) <= 3:
        return ", ".join(f"frame {p} in {name}" for p, name in sorted(where, key=lambda pn: pn[1]))
    low, high = where[0][0], where[-1][0]
    return f"frame {low}" if low == high else f"frames {low}–{high}"
