"""What crashes have in common, and what sets a bucket apart.

`shared` lists every attribute seen in two or more reports: a module, the third-party driver the
signature names, a pool tag, a `dt` type, a function in the crash area, the bug check, the
exception code.

`contrasts` is Mozilla's crash-correlations idea for small counts: for each bucket of two or more
reports, the attributes far more common in the bucket than in the other reports (a driver, a
module, a pool tag or type, a code). Mozilla uses a chi-squared test with at least 5 crashes a
cell; pasted crashes come by the handful, so the test here is the one-sided Fisher exact test on
the 2x2 table (bucket / rest x with / without). Its p-value is the hypergeometric tail
P(X >= in_bucket), summed for all tables at once from `scipy.stats.hypergeom`: the number
`scipy.stats.fisher_exact(table, alternative="greater")` gives, at a fraction of the time.

An attribute is a contrast when
- at least `MIN_IN_BUCKET` reports of the bucket show it (one report is an anecdote);
- its share in the bucket exceeds its share in the other reports by `MIN_SHARE_GAIN` (an effect
  size floor: with thousands of reports tiny differences become significant);
- it does not restate what made the bucket: functions are left out (the stacks put the reports
  together, so their frames are over-represented by construction), and so is the code a fallback
  signature (``bug check 0x9f (no frame)``) is named by;
- its Benjamini-Hochberg adjusted p-value is below `ALPHA` (so its p is too). Many tables are
  looked at, one per bucket and attribute, so a plain p < 0.05 would list chance by the dozen.
  The family counted is every (bucket, attribute) table that could reach p < `ALPHA` at all
  given its margins (Tarone's trick for discrete tests; `testable`), whatever its counts turn out
  to be: counting only the tables that happened to have two members with the attribute would
  pick the small p-values before correcting for them. On 100 000 random reports this lists no
  contrast; among those it lists, the expected share found by chance stays under `ALPHA`.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from scipy.stats import hypergeom

from crashsift.correlate.engine import Bucket, Contrast, Correlation, Shared
from crashsift.correlate.normalize import COLD

KINDS = ("driver", "function", "pool_tag", "type", "module", "bugcheck", "exception")
"""Every attribute kind, most telling first: the order ties are ranked in."""

CRASH_AREA = 5
"""Frames of the signature stack (after sentinel and skip) that count as the crash area: deep
enough to reach the seed pair's `fltmgr!TreeUnlinkMulti` under the AVL helpers (third frame),
shallow enough to leave out the dispatch and system-call frames any stack of a driver has."""

ALPHA = 0.05
MIN_IN_BUCKET = 2
MIN_SHARE_GAIN = 0.3

Attribute = tuple[str, str]  # (kind, value)


def attributes(result: Correlation) -> dict[str, set[Attribute]]:
    """Each report's attributes by report id."""
    out: dict[str, set[Attribute]] = {}
    for rec in result.records:
        sig = result.signatures[rec.id]
        found: set[Attribute] = {("module", m) for m in rec.modules}
        found |= {("pool_tag", t) for t in rec.pool_tags}
        found |= {("type", t) for t in rec.types}
        found |= {("function", k) for k in crash_area(sig.stack)}
        codes = [("driver", sig.driver), ("bugcheck", rec.bugcheck), ("exception", rec.exception)]
        found |= {(kind, value) for kind, value in codes if value}
        out[rec.id] = found
    return out


def crash_area(stack: list[str]) -> list[str]:
    """The functions among the top `CRASH_AREA` frame keys: unknown frames, frames with only a
    module and cold blocks name no function."""
    return [k for k in stack[:CRASH_AREA] if "!" in k and not k.endswith("!" + COLD)]


def _holders(attrs: dict[str, set[Attribute]]) -> dict[Attribute, list[str]]:
    """Which reports show each attribute (report ids sorted)."""
    out: dict[Attribute, list[str]] = defaultdict(list)
    for rid in sorted(attrs):
        for attr in attrs[rid]:
            out[attr].append(rid)
    return out


def shared(result: Correlation) -> list[Shared]:
    """Attributes shown by two or more reports, most reports first, then by kind and value."""
    found = [Shared(k, v, ids) for (k, v), ids in _holders(attributes(result)).items() if len(ids) >= 2]
    return sorted(found, key=lambda s: (-len(s.reports), KINDS.index(s.kind), s.value))


def _gain(c: Contrast) -> float:
    """The attribute's share in the bucket less its share in the other reports."""
    return c.in_bucket / c.bucket_size - (c.in_all - c.in_bucket) / (c.total - c.bucket_size)


def _restates(bucket: Bucket, kind: str, value: str) -> bool:
    """Functions (the frames made the bucket), or the code a fallback signature is named by."""
    codes = kind in ("bugcheck", "exception")
    return kind == "function" or (codes and f" {value} " in f" {bucket.signature} ")


def _groups(result: Correlation, total: int) -> list[tuple[Bucket, set[str]]]:
    """Buckets that can be contrasted with the rest: two or more reports, not all of them."""
    out = [(b, set(b.members)) for b in result.buckets]
    return [(b, members) for b, members in out if 2 <= len(members) < total]


def _candidates(
    result: Correlation, attrs: dict[str, set[Attribute]], counts: Counter[Attribute]
) -> list[Contrast]:
    """Tables worth a test: enough members show the attribute, the effect is large enough, and
    the attribute does not restate what made the bucket (`p_value` is filled in later)."""
    total = len(attrs)
    out: list[Contrast] = []
    for bucket, members in _groups(result, total):
        in_bucket = Counter(attr for rid in members for attr in attrs.get(rid, ()))
        for (kind, value), n in in_bucket.items():
            if n < MIN_IN_BUCKET or _restates(bucket, kind, value):
                continue
            contrast = Contrast(bucket.id, kind, value, n, len(members), counts[(kind, value)], total, 1.0)
            if _gain(contrast) >= MIN_SHARE_GAIN:
                out.append(contrast)
    return out


def testable(result: Correlation, counts: Counter[Attribute], total: int) -> int:
    """How many (bucket, attribute) tables could reach p < `ALPHA` at all (Tarone's count).

    Conditioned on the margins, a table's smallest possible p-value is that of every member
    showing the attribute (or every holder being a member); tables that cannot reach `ALPHA` are
    no test, the others are the Benjamini-Hochberg family whatever their counts turn out to be.
    """
    sizes = Counter(len(members) for _, members in _groups(result, total))
    holders = Counter(n for (kind, _), n in counts.items() if kind != "function" and n >= MIN_IN_BUCKET)
    if not sizes or not holders:
        return 0
    draws, held = np.meshgrid(np.array(list(sizes)), np.array(list(holders)))
    tables = np.outer(np.array(list(holders.values())), np.array(list(sizes.values())))
    reach = np.minimum(draws, held)
    best = _pmf(reach, total, held, draws)
    return int(tables[(reach >= MIN_IN_BUCKET) & (best < ALPHA)].sum())


def _pmf(x: np.ndarray, total: int, holders: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Hypergeometric P(X = x) through log-beta functions: scipy's exact `pmf` is far slower
    with 100 000 reports; the relative error, about 1e-10 there, is of no consequence."""
    return np.exp(hypergeom.logpmf(x, total, holders, draws))


def fisher_greater(in_bucket: np.ndarray, size: np.ndarray, in_all: np.ndarray, total: int) -> np.ndarray:
    """One-sided Fisher exact p-values: P(X >= in_bucket) for X hypergeometric (total, in_all, size),
    the tail summed term by term for all tables at once."""
    upper = np.minimum(size, in_all)
    x = np.asarray(in_bucket).copy()
    p = np.zeros(len(x))
    active = np.nonzero(x <= upper)[0]
    while active.size:
        p[active] += _pmf(x[active], total, in_all[active], size[active])
        x[active] += 1
        active = active[x[active] <= upper[active]]
    return np.minimum(p, 1.0)


def benjamini_hochberg(p: np.ndarray, m: int | None = None) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values; `m` hypotheses in the family (at least len(p)): those
    not given are taken as less significant than every one given, which errs on the safe side."""
    n = len(p)
    if not n:
        return p
    m = max(m or n, n)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, n + 1)
    adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(n)
    out[order] = adjusted
    return out


def contrasts(result: Correlation) -> list[Contrast]:
    """Attributes over-represented in a bucket (see the module docstring), by p-value then bucket."""
    attrs = attributes(result)
    counts = Counter(attr for found in attrs.values() for attr in found)
    found = _candidates(result, attrs, counts)
    if not found:
        return []
    cols = np.array([(c.in_bucket, c.bucket_size, c.in_all) for c in found])
    p = fisher_greater(cols[:, 0], cols[:, 1], cols[:, 2], len(attrs))
    q = benjamini_hochberg(p, testable(result, counts, len(attrs)))
    kept: list[Contrast] = []
    for contrast, p_value, q_value in zip(found, p, q, strict=True):
        contrast.p_value = float(p_value)
        if q_value < ALPHA:
            kept.append(contrast)
    return sorted(kept, key=lambda c: (c.p_value, c.bucket, KINDS.index(c.kind), c.value))
