"""Similarity buckets: crashes judged the same bug, each bucket saying why its members are together.

1. Signature groups. Reports with the same `Signature.text` start as one group. A report whose
   stack disagrees with the group's (`agreement` below `AGREEMENT`; both stacks compared down to
   the shorter one's depth, so a stack cut short never disagrees) starts another group of that
   signature: a signature whose top frame is only reporting plumbing the skip list lacks must
   not lump unrelated crashes. Stacks are taken most common first, then longest.
   Fallback signatures lump nothing: a "(no stack)" report, and a report whose signature is only
   its code ("bug check 0x9f (no frame)"), is a group of its own — the same code is not the
   same bug — unless it shares a fingerprint of one crash with another (the same dump file, the
   same bug check arguments, a structure dumped at the same address: `records.fingerprints`):
   that is one crash shown twice, and they form one group (transitively).
2. Merging. Each group is compared by its distinct stacks (`Signature.stack`, the frames left
   after the sentinel and skip rules; the `COMPARED_STACKS` most common). Two groups merge when
   two of their stacks reach `THRESHOLD` in `crashsift.correlate.similarity` (full depth: frames
   only one stack shows count against the match). Merges are transitive (union-find).
3. No all-pairs comparison. Candidate pairs come from an inverted index of frames with prefix
   filtering, as in set-similarity joins: a stack's *prefix* is its heaviest informative frames
   whose weight exceeds (1 - THRESHOLD) of the stack's. Two stacks sharing no frame of either
   prefix stay below the threshold (sim <= matched weight / all weight), so only pairs found
   through a prefix frame are compared. Frames too common to be informative (in more than
   `COMMON_FRACTION` of the reports and more than `COMMON_FLOOR` of them) are not indexed: a
   merge needs a shared frame that says something. A candidate already in the same bucket is
   skipped. Caps bound the worst case, many stacks sharing frames without being alike: a frame
   lists at most `MAX_POSTINGS` stacks (those of the largest groups), a stack gives up after
   `MAX_COMPARISONS` failed comparisons, a new stack is checked against at most `MAX_VARIANTS`
   groups of its signature; only then does the result differ from the all-pairs one. 100,000
   records made of perturbed corpus stacks take about 1.5 s; 100,000 stacks sharing nothing but
   their top frame (the worst case above) about 18 s.

Calibration (bench/correlate_quality.py, the shared corpus: 215 reports, 19 manifest clusters).
THRESHOLD = 0.55. The closest stacks of different signatures there score 0.45 (two drivers'
pool corruptions through ``nt!RtlpHpFreeHeap``), then 0.35 (two wait stacks) and 0.26; perturbed
copies whose signature changed score 0.51 or more against their original (10 % below 0.63). No
two different-signature stacks of the corpus merge at any threshold from 0.45 up, so the
silver-set and cluster scores are the same from 0.45 to 0.80; the perturbations decide: copies
staying in their bucket 100 % at 0.50, 99.2 % at 0.55, 97.9 % at 0.60, 94.6 % at 0.70, 86.9 %
at 0.80. 0.55 keeps a 0.10 margin over the closest unrelated pair. AGREEMENT = 0.40: unrelated
stacks of one signature agree 0.27 (``ntdll!NtRaiseHardError`` of two programs), the manifest
clusters' stacks 0.57 or more.

Bucket ids hash the bucket's groups' keys (the signature text; plus the first stack of a split-off
group, or the record id of a fallback), so they depend neither on the run nor on the input order,
and survive other reports joining. `why` gives each group's rule trail, then one sentence per
merge: the two signatures, the similarity and the frames the two stacks share.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from networkx.utils import UnionFind

from crashsift.correlate.engine import Bucket, Correlation
from crashsift.correlate.records import CrashRecord
from crashsift.correlate.similarity import (
    DEFAULT,
    FrameStats,
    Params,
    Weighted,
    aligned,
    shared_frames,
    weigh,
)

THRESHOLD = 0.55
AGREEMENT = 0.40
MAX_VARIANTS = 4  # groups of one signature a new stack is checked against
COMPARED_STACKS = 4  # distinct stacks of a group that merging compares
COMMON_FRACTION = 0.05  # a frame in more than this share of the reports is not indexed…
COMMON_FLOOR = 20  # …if it is also in more than this many of them
MAX_POSTINGS = 64  # stacks listed per frame in the index (the first ones: of the largest groups)
MAX_COMPARISONS = 32  # failed comparisons after which a stack stops looking
SHOWN_FRAMES = 6  # shared frames named in a merge sentence


@dataclass(slots=True)
class SignatureGroup:
    """Reports with one signature and agreeing stacks. `key` names the group in bucket ids;
    `stacks` are the distinct stacks it is compared by (its most common, longest first, at most
    `COMPARED_STACKS`); `note` says why a group was split off."""

    key: str
    text: str
    members: list[str]
    stacks: list[tuple[str, ...]]
    trail: list[str]
    note: str = ""


@dataclass(slots=True)
class Links:
    """Result of merging: `parent` (union-find over group indices), the merges made as
    (kept stack, joined stack, similarity) by stack index, and how many similarities were
    computed."""

    parent: list[int]
    owner: list[int]  # group of each stack
    merges: list[tuple[int, int, float]] = field(default_factory=list)
    comparisons: int = 0

    def find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i


def group(
    result: Correlation,
    threshold: float = THRESHOLD,
    agreement: float = AGREEMENT,
    params: Params = DEFAULT,
) -> list[Bucket]:
    """Buckets of `result.records`, largest first."""
    stacks = {r.id: tuple(result.signatures[r.id].stack[: params.depth]) for r in result.records}
    stats = FrameStats.of(stacks.values(), params.depth)
    groups = signature_groups(result, stacks, stats, agreement, params)
    return buckets(groups, link([g.stacks for g in groups], stats, threshold, params))


def signature_groups(
    result: Correlation,
    stacks: dict[str, tuple[str, ...]],
    stats: FrameStats,
    agreement: float = AGREEMENT,
    params: Params = DEFAULT,
) -> list[SignatureGroup]:
    """Step 1 of the module docstring; groups sorted largest first, then by key."""
    variants: dict[str, dict[tuple[str, ...], list[str]]] = {}
    fallbacks: list[CrashRecord] = []
    groups = []
    for record in result.records:
        sig = result.signatures[record.id]
        if sig.stack:
            variants.setdefault(sig.text, {}).setdefault(stacks[record.id], []).append(record.id)
        else:
            fallbacks.append(record)
    groups += _same_crash(result, fallbacks)
    for text, by_stack in variants.items():
        groups += _split(result, text, by_stack, stats, agreement, params)
    return sorted(groups, key=lambda g: (-len(g.members), g.key))


def _same_crash(result: Correlation, records: list[CrashRecord]) -> list[SignatureGroup]:
    """Fallback reports as groups: one each, except those sharing a fingerprint of one crash."""
    by_id = {r.id: r for r in records}
    sets = UnionFind(by_id)
    for record in records:
        for mark in record.fingerprints:
            sets.union(record.id, ("mark", mark))
    groups = []
    for linked in sets.to_sets():
        chosen = sorted((by_id[i] for i in linked if i in by_id), key=lambda r: r.id)
        if not chosen:
            continue
        sig = result.signatures[chosen[0].id]
        trail = list(sig.trail)
        if len(chosen) > 1:
            shared = sorted(set.intersection(*(set(r.fingerprints) for r in chosen[:2])))
            trail.append(f"same crash: {'; '.join(shared[:3])} shown by more than one paste")
        groups.append(
            SignatureGroup(f"{sig.text}\t{chosen[0].id}", sig.text, [r.id for r in chosen], [], trail)
        )
    return groups


def _split(
    result: Correlation,
    text: str,
    by_stack: dict[tuple[str, ...], list[str]],
    stats: FrameStats,
    agreement: float,
    params: Params,
) -> list[SignatureGroup]:
    """One signature's reports as groups of agreeing stacks. Stacks are taken most common first,
    then longest (the most evidence); each joins the group whose first stack it agrees with best,
    or starts a group."""
    order = sorted(by_stack, key=lambda s: (-len(by_stack[s]), -len(s), s))
    firsts: list[Weighted] = []
    groups: list[SignatureGroup] = []
    for stack in order:
        weighted = weigh(stack, stats, params)
        scores = [aligned(w, weighted, params, cut=True) for w in firsts[:MAX_VARIANTS]]
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= agreement:
            groups[best].members += by_stack[stack]
            groups[best].stacks.append(stack)
            continue
        key, note = text, ""
        if groups:
            key = f"{text}\t{_digest(chr(10).join(stack))}"
            note = f"its stack disagrees with the other reports of this signature ({max(scores):.2f})"
        firsts.append(weighted)
        groups.append(SignatureGroup(key, text, list(by_stack[stack]), [stack], [], note))
    for g in groups:
        g.members.sort()
        g.stacks = g.stacks[:COMPARED_STACKS]
        g.trail = list(dict.fromkeys(note for m in g.members for note in result.signatures[m].trail))
    return groups


def link(
    groups: Sequence[Sequence[Sequence[str]]],
    stats: FrameStats,
    threshold: float = THRESHOLD,
    params: Params = DEFAULT,
) -> Links:
    """Merge groups (by index; each given as its stacks) when a stack of one and a stack of the
    other reach `threshold`, comparing only the candidate pairs the prefix index yields (module
    docstring, step 3). Stacks are numbered in order, group by group."""
    owner = [g for g, stacks in enumerate(groups) for _ in stacks]
    weighted = [weigh(s, stats, params) for stacks in groups for s in stacks]
    informative = _informative(stats)
    anywhere: dict[str, list[int]] = {}
    in_prefix: dict[str, list[int]] = {}
    links = Links(list(range(len(groups))), owner)
    for i, w in enumerate(weighted):
        keys = {k for k in w.keys if k in informative}
        prefix = _prefix(w, informative, threshold)
        candidates = {j for k in prefix for j in anywhere.get(k, ())}
        candidates.update(j for k in keys for j in in_prefix.get(k, ()))
        budget = MAX_COMPARISONS
        for j in sorted(candidates):
            if budget == 0:
                break
            budget -= _compare(links, weighted, j, i, threshold, params)
        _post(anywhere, keys, i)
        _post(in_prefix, prefix, i)
    return links


def _post(index: dict[str, list[int]], keys: Iterable[str], i: int) -> None:
    for k in keys:
        postings = index.setdefault(k, [])
        if len(postings) < MAX_POSTINGS:
            postings.append(i)


def _compare(links: Links, weighted: list[Weighted], j: int, i: int, threshold: float, params: Params) -> int:
    """Compare stacks j and i unless their groups are already one; 1 if it did and they stay
    apart, else 0."""
    root_j, root_i = links.find(links.owner[j]), links.find(links.owner[i])
    if root_i == root_j:
        return 0
    links.comparisons += 1
    score = aligned(weighted[j], weighted[i], params)
    if score < threshold:
        return 1
    links.parent[max(root_i, root_j)] = min(root_i, root_j)
    links.merges.append((j, i, score))
    return 0


def _informative(stats: FrameStats) -> set[str]:
    limit = max(COMMON_FRACTION * stats.n, COMMON_FLOOR)
    return {k for k, n in stats.df.items() if n <= limit}


def _prefix(w: Weighted, informative: set[str], threshold: float) -> list[str]:
    """The heaviest informative keys whose weight exceeds (1 - threshold) of the stack's."""
    weight: dict[str, float] = {}
    for key, value in zip(w.keys, w.weights, strict=True):
        if key in informative and value > 0:
            weight[key] = weight.get(key, 0.0) + value
    chosen: list[str] = []
    needed, got = (1 - threshold) * w.total, 0.0
    for key in sorted(weight, key=lambda k: (-weight[k], k)):
        chosen.append(key)
        got += weight[key]
        if got > needed:
            break
    return chosen


def buckets(groups: list[SignatureGroup], links: Links) -> list[Bucket]:
    """One `Bucket` per union-find set, largest first."""
    stacks = [(g, stack) for g in groups for stack in g.stacks]
    sets: dict[int, list[int]] = {}
    for i in range(len(groups)):
        sets.setdefault(links.find(i), []).append(i)
    merged: dict[int, list[str]] = {}
    for kept, joined, score in links.merges:
        root = links.find(links.owner[kept])
        merged.setdefault(root, []).append(_merge_sentence(stacks[kept], stacks[joined], score))
    out = [_bucket([groups[i] for i in indices], merged.get(root, [])) for root, indices in sets.items()]
    return sorted(out, key=lambda b: (-len(b.members), b.signature, b.id))


def _bucket(parts: list[SignatureGroup], merges: list[str]) -> Bucket:
    """`parts` the largest first, as groups are sorted."""
    members = sorted(m for g in parts for m in g.members)
    key = _digest("\n".join(sorted(g.key for g in parts)))
    return Bucket(f"B-{key}", parts[0].text, members, [_group_sentence(g) for g in parts] + merges)


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()[:10]


def _group_sentence(g: SignatureGroup) -> str:
    count = f"{len(g.members)} report{'s' if len(g.members) > 1 else ''}"
    note = f"; {g.note}" if g.note else ""
    return f"signature {g.text} ({count}{note}): " + "; ".join(g.trail)


def _merge_sentence(
    kept: tuple[SignatureGroup, tuple[str, ...]], joined: tuple[SignatureGroup, tuple[str, ...]], score: float
) -> str:
    frames = shared_frames(joined[1], kept[1])
    more = len(frames) - SHOWN_FRAMES
    shown = ", ".join(frames[:SHOWN_FRAMES]) + (f" and {more} more" if more > 0 else "")
    return f"merged {joined[0].text} with {kept[0].text}: similarity {score:.2f}, shared frames {shown}"
