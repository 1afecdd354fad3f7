"""Correlate many crashes: the one entry point and what it returns.

`correlate(reports)` (or `correlate_records(records)`) turns parsed reports into
`CrashRecord`s, gives each a `Signature` (`crashsift.correlate.signature`), groups them into
`Bucket`s (`buckets`), finds `RecurringPath`s and same-area links (`paths`), and the attributes
reports share and those over-represented in a bucket (`shared`). The graph is built on demand
(`graph.build(correlation)`), since the CLI needs it only for export and the report for pictures.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crashsift.correlate.records import CrashRecord, from_report
from crashsift.correlate.signature import Signature, signature
from crashsift.model import Report


@dataclass(slots=True)
class Bucket:
    """Crashes judged the same bug. `why` says so in sentences: the signature's rule trail, and
    for every merge the similarity and the frames the merged stacks share."""

    id: str
    signature: str
    members: list[str]
    why: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RecurringPath:
    """A contiguous call sequence (caller to callee order as in the stacks: top frame first)
    shared by several reports; `score` ranks by support, length and rarity."""

    frames: list[str]
    reports: list[str]
    support: int
    score: float = 0.0


@dataclass(slots=True)
class SameArea:
    """Reports whose stacks differ but share code: functions (or only modules) in common."""

    level: str  # function | module
    reports: list[str]
    shared: list[str]
    why: str = ""


@dataclass(slots=True)
class Shared:
    """An attribute (`kind`: module, driver, pool_tag, type, function, bugcheck, exception) and
    the reports that show it."""

    kind: str
    value: str
    reports: list[str]


@dataclass(slots=True)
class Contrast:
    """An attribute over-represented in a bucket against all reports (one-sided Fisher test)."""

    bucket: str
    kind: str
    value: str
    in_bucket: int
    bucket_size: int
    in_all: int
    total: int
    p_value: float


@dataclass(slots=True)
class Correlation:
    records: list[CrashRecord]
    signatures: dict[str, Signature]
    buckets: list[Bucket] = field(default_factory=list)
    recurring_paths: list[RecurringPath] = field(default_factory=list)
    same_area: list[SameArea] = field(default_factory=list)
    shared: list[Shared] = field(default_factory=list)
    contrasts: list[Contrast] = field(default_factory=list)


def correlate(reports: list[Report]) -> Correlation:
    return correlate_records([from_report(r) for r in reports])


def correlate_records(records: list[CrashRecord]) -> Correlation:
    from crashsift.correlate import buckets, paths, shared

    result = Correlation(records, {r.id: signature(r) for r in records})
    result.buckets = buckets.group(result)
    result.recurring_paths = paths.recurring(result)
    result.same_area = paths.same_area(result)
    result.shared = shared.shared(result)
    result.contrasts = shared.contrasts(result)
    return result
