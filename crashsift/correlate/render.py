"""Output of `crashsift correlate`: JSON for tools, a text summary for a person, GraphML."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from crashsift.correlate.engine import Contrast, Correlation
from crashsift.correlate.tables import check_file_target

TOP_PATHS = 10
TOP_SHARED = 20
TOP_CONTRASTS = 20
TOP_MEMBERS = 6


class GraphError(RuntimeError):
    """The graph cannot be built (no `graph.build` yet) or written as GraphML."""


def _pick(obj: object, *names: str) -> dict[str, Any]:
    """The keys the JSON contract names, in its order (a field added later stays out of it)."""
    return {name: getattr(obj, name) for name in names}


def to_jsonable(result: Correlation) -> dict[str, Any]:
    """The correlation as plain data; report ids are `records.record_id`, the same in every run."""
    bucket_of = {rid: b.id for b in result.buckets for rid in b.members}
    reports = [
        {
            "id": r.id,
            "path": r.path,
            "start_line": r.start_line,
            "signature": result.signatures[r.id].text,
            "bucket": bucket_of.get(r.id),
        }
        for r in result.records
    ]
    return {
        "reports": reports,
        "buckets": [_pick(b, "id", "signature", "members", "why") for b in result.buckets],
        "recurring_paths": [_pick(p, "frames", "reports", "support") for p in result.recurring_paths],
        "same_area": [asdict(a) for a in result.same_area],
        "shared": [asdict(s) for s in result.shared],
        "contrasts": [asdict(c) for c in result.contrasts],
    }


def to_json(result: Correlation) -> str:
    return json.dumps(to_jsonable(result), indent=1, ensure_ascii=False)


def to_text(result: Correlation) -> str:
    """Buckets largest first with their reasons, the top recurring paths, what reports share."""
    out = [_headline(result), ""]
    for section in (_buckets, _paths, _same_area, _shared, _contrasts):
        lines = section(result)
        if lines:
            out.extend([*lines, ""])
    return "\n".join(out)


def _headline(result: Correlation) -> str:
    groups = sum(1 for b in result.buckets if len(b.members) > 1)
    return (
        f"{len(result.records)} report(s) in {len(result.buckets)} bucket(s);"
        f" {groups} bucket(s) hold more than one report"
    )


def _members(ids: list[str]) -> str:
    more = len(ids) - TOP_MEMBERS
    return ", ".join(ids[:TOP_MEMBERS]) + (f" … {more} more" if more > 0 else "")


def _buckets(result: Correlation) -> list[str]:
    """Buckets of two or more reports in full; single-report buckets only counted."""
    groups = sorted((b for b in result.buckets if len(b.members) > 1), key=lambda b: (-len(b.members), b.id))
    out = ["Buckets (largest first):"]
    for b in groups:
        out.append(f"  {b.id}  {len(b.members)} report(s)  {b.signature}")
        out.extend(f"    why: {reason}" for reason in b.why)
        out.append(f"    members: {_members(b.members)}")
    if singles := len(result.buckets) - len(groups):
        out.append(f"  … and {singles} bucket(s) of one report each (all of them in --format json)")
    return out if result.buckets else []


def _paths(result: Correlation) -> list[str]:
    out = [f"Recurring code paths (top {TOP_PATHS}):"]
    for p in result.recurring_paths[:TOP_PATHS]:
        out.append(f"  {p.support} report(s), {len(p.frames)} frames: {' -> '.join(p.frames)}")
        out.append(f"    in: {_members(p.reports)}")
    return out if result.recurring_paths else []


def _same_area(result: Correlation) -> list[str]:
    out = ["Same area, different stacks:"]
    for a in result.same_area:
        out.append(f"  {a.level}: {', '.join(a.shared)}")
        out.append(f"    in: {_members(a.reports)}" + (f" — {a.why}" if a.why else ""))
    return out if result.same_area else []


def _shared(result: Correlation) -> list[str]:
    out = [f"Shared attributes (top {TOP_SHARED}):"]
    for s in result.shared[:TOP_SHARED]:
        out.append(f"  {s.kind} {s.value}: {len(s.reports)} report(s): {_members(s.reports)}")
    return out if result.shared else []


def _contrast(c: Contrast, signature: str) -> str:
    return (
        f"  {c.bucket} ({signature}) {c.kind} {c.value}: {c.in_bucket}/{c.bucket_size} in the bucket,"
        f" {c.in_all}/{c.total} overall (one-sided Fisher p = {c.p_value:.2g})"
    )


def _contrasts(result: Correlation) -> list[str]:
    names = {b.id: b.signature for b in result.buckets}
    out = [f"Over-represented in a bucket (top {TOP_CONTRASTS}):"]
    out.extend(_contrast(c, names.get(c.bucket, "?")) for c in result.contrasts[:TOP_CONTRASTS])
    return out if result.contrasts else []


def graph_builder() -> Any:
    """`crashsift.correlate.graph.build`, imported only when a graph is asked for."""
    try:
        from crashsift.correlate import graph
    except ImportError as err:
        raise GraphError("the graph module crashsift.correlate.graph is missing") from err
    build = getattr(graph, "build", None)
    if build is None:
        raise GraphError("crashsift.correlate.graph has no build() yet")
    return build


def write_graphml(result: Correlation, path: Path) -> None:
    """The cross-crash graph (`graph.build`) as GraphML at `path`."""
    import networkx as nx

    check_file_target(path)
    graph = graph_builder()(result)
    try:
        nx.write_graphml(graph, path)
    except nx.NetworkXError as err:
        raise GraphError(f"{path}: GraphML cannot hold the graph: {err}") from err
