"""The cross-crash graph: reports, the functions on their stacks, modules, pool tags, types,
buckets and bug checks as nodes, and how they connect (after Crash Graphs, DSN 2011).

Node ids carry their kind: ``report:<id>``, ``fn:fltmgr!TreeUnlinkMulti``, ``mod:fltmgr``,
``tag:FMsl``, ``type:_NAME_CACHE_NODE``, ``bucket:B-…``, ``bugcheck:0x3b``,
``exception:0xc0000005``; every node has `kind` and `label`. Edges (attribute `kind`):

- ``contains`` report -> fn: the function is on the report's stack;
- ``calls`` fn -> fn: caller -> callee (in a stack the caller is the frame below the callee),
  `weight` = how many reports show that transition;
- ``defined_in`` fn -> mod;
- ``shows`` report -> mod / tag / type: modules loaded or on the stack, the `!pool` tags the
  session points at, the `dt` types it dumps;
- ``in`` report -> bucket; ``bugcheck`` report -> bug check; ``exception`` report -> exception.

Stacks are the signature stacks the paths work on (`crashsift.correlate.paths.stacks`: reporting
plumbing gone); `?` frames give no node and break the chain of calls; a frame without a symbol
is its module's key (``fn:driver``). All attributes are str,
int, float or bool, so the graph writes to GraphML as is.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

import networkx as nx

from crashsift.correlate.engine import Correlation, RecurringPath
from crashsift.correlate.normalize import UNKNOWN
from crashsift.correlate.paths import stacks
from crashsift.correlate.records import CrashRecord


def build(result: Correlation) -> nx.DiGraph:
    """The whole graph of a correlation."""
    graph = nx.DiGraph()
    calls: Counter[tuple[str, str]] = Counter()
    for record, stack in zip(result.records, stacks(result), strict=True):
        _add_report(graph, record, result)
        _add_stack(graph, f"report:{record.id}", stack)
        calls.update(_transitions(stack))
    graph.add_edges_from(
        (f"fn:{caller}", f"fn:{callee}", {"kind": "calls", "weight": n})
        for (caller, callee), n in calls.items()
    )
    for bucket in result.buckets:
        node = f"bucket:{bucket.id}"
        graph.add_node(
            node, kind="bucket", label=bucket.id, signature=bucket.signature, size=len(bucket.members)
        )
        graph.add_edges_from((f"report:{rid}", node, {"kind": "in"}) for rid in bucket.members)
    return graph


def _add_report(graph: nx.DiGraph, record: CrashRecord, result: Correlation) -> None:
    """The report node and its attribute nodes (modules, tags, types, bug check, exception)."""
    node = f"report:{record.id}"
    sig = result.signatures.get(record.id)
    attrs = {
        "path": record.path,
        "start_line": record.start_line,
        "mode": record.mode,
        "arch": record.arch,
        "signature": sig.text if sig else None,
        "driver": sig.driver if sig else None,
    }
    graph.add_node(node, kind="report", label=record.id, **{k: v for k, v in attrs.items() if v is not None})
    for kind, prefix, values in (
        ("module", "mod", record.modules),
        ("pool_tag", "tag", record.pool_tags),
        ("type", "type", record.types),
    ):
        for value in sorted(values):
            _link(graph, node, f"{prefix}:{value}", kind, value, "shows")
    if record.bugcheck:
        _link(
            graph,
            node,
            f"bugcheck:{record.bugcheck.lower()}",
            "bugcheck",
            record.bugcheck.lower(),
            "bugcheck",
        )
    if record.exception:
        _link(
            graph,
            node,
            f"exception:{record.exception.lower()}",
            "exception",
            record.exception.lower(),
            "exception",
        )


def _link(graph: nx.DiGraph, source: str, target: str, kind: str, label: str, edge: str) -> None:
    if target not in graph:
        graph.add_node(target, kind=kind, label=label)
    graph.add_edge(source, target, kind=edge)


def _add_stack(graph: nx.DiGraph, report: str, stack: list[str]) -> None:
    """``contains`` edges to the stack's functions, each function tied to its module."""
    for key in dict.fromkeys(k for k in stack if k != UNKNOWN):
        node = f"fn:{key}"
        if node not in graph:
            module = key.split("!", 1)[0]
            graph.add_node(node, kind="function", label=key, module=module)
            _link(graph, node, f"mod:{module}", "module", module, "defined_in")
        graph.add_edge(report, node, kind="contains")


def _transitions(stack: list[str]) -> set[tuple[str, str]]:
    """(caller, callee) pairs of one stack, once each; none across a `?` frame or onto itself."""
    return {
        (caller, callee)
        for callee, caller in pairwise(stack)
        if UNKNOWN not in (caller, callee) and caller != callee
    }


def paths_subgraph(graph: nx.DiGraph, paths: list[RecurringPath], limit: int = 10) -> nx.DiGraph:
    """The functions of the best `limit` recurring paths with the calls among them, and the
    reports sharing them (with their ``contains`` edges to those functions); each function
    notes in `path_rank` the best (1-based) path it is on."""
    rank: dict[str, int] = {}
    reports: set[str] = set()
    for i, path in enumerate(paths[:limit], 1):
        for key in path.frames:
            rank.setdefault(f"fn:{key}", i)
        reports.update(f"report:{r}" for r in path.reports)
    sub = graph.subgraph([n for n in (*rank, *reports) if n in graph]).copy()
    nx.set_node_attributes(sub, {n: r for n, r in rank.items() if n in sub}, "path_rank")
    return sub


def write_graphml(graph: nx.DiGraph, path: str | Path) -> None:
    """GraphML, which Gephi, yEd and Cytoscape read."""
    nx.write_graphml(graph, str(path))


def node_link(graph: nx.DiGraph) -> dict[str, Any]:
    """networkx node-link JSON (``nodes``, ``edges``), ready for `json.dumps` or d3."""
    return nx.node_link_data(graph, edges="edges")
