"""The cross-crash graph (`crashsift.correlate.graph`): nodes, edges, weights and exports."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from conftest import CORPUS
from test_correlate_paths import SECOND, SESSION, correlation, record

from crashsift.correlate import graph, paths
from crashsift.correlate.engine import Bucket, Correlation
from crashsift.correlate.records import from_report
from crashsift.pipeline import parse_file


@pytest.fixture
def small() -> Correlation:
    """Three crashes: r1 and r2 share a!mid -> a!top; r3's stack breaks on `?` frames."""
    r1 = record("r1", ["a!top", "a!mid", "b!low"])
    r1.pool_tags, r1.types, r1.bugcheck = {"Tag1"}, {"_T"}, "0x3B"
    r2 = record("r2", ["a!top", "a!mid", "c!other"])
    r2.bugcheck = "0x3b"
    r3 = record("r3", ["?", "a!mid", "?", "b!low"])  # the top `?` goes with the signature's skip rule
    r3.exception = "0xC0000005"
    result = correlation([r1, r2, r3])
    result.buckets = [Bucket("B-1", "a!top", ["r1", "r2"]), Bucket("B-2", "a!mid", ["r3"])]
    result.recurring_paths = paths.recurring(result)
    return result


def test_nodes_and_edges_by_kind(small: Correlation) -> None:
    g = graph.build(small)
    assert Counter(kind for _, kind in g.nodes(data="kind")) == {
        "report": 3,
        "function": 4,  # a!top a!mid b!low c!other
        "module": 3,  # a b c
        "pool_tag": 1,
        "type": 1,
        "bugcheck": 1,  # 0x3B and 0x3b are one
        "exception": 1,
        "bucket": 2,
    }
    assert Counter(kind for *_, kind in g.edges(data="kind")) == {
        "contains": 8,  # 3 + 3 + 2
        "calls": 3,
        "defined_in": 4,
        "shows": 8,  # r1: a b Tag1 _T; r2: a c; r3: a b
        "in": 3,
        "bugcheck": 2,
        "exception": 1,
    }
    assert g.nodes["bugcheck:0x3b"]["label"] == "0x3b"
    assert g.nodes["bucket:B-1"] == {"kind": "bucket", "label": "B-1", "signature": "a!top", "size": 2}
    assert g.has_edge("report:r1", "tag:Tag1") and g.has_edge("report:r1", "type:_T")
    assert g.has_edge("report:r3", "exception:0xc0000005")


def test_calls_go_caller_to_callee_weighted_by_reports(small: Correlation) -> None:
    g = graph.build(small)
    calls = {(u, v): d["weight"] for u, v, d in g.edges(data=True) if d["kind"] == "calls"}
    assert calls == {
        ("fn:a!mid", "fn:a!top"): 2,  # r1 and r2
        ("fn:b!low", "fn:a!mid"): 1,  # r1 only: r3 has a `?` between them
        ("fn:c!other", "fn:a!mid"): 1,
    }


def test_graphml_round_trip(small: Correlation, tmp_path: Path) -> None:
    g = graph.build(small)
    out = tmp_path / "crashes.graphml"
    graph.write_graphml(g, out)
    back = nx.read_graphml(out)
    assert set(back.nodes) == set(g.nodes)
    assert back.number_of_edges() == g.number_of_edges() == 29
    assert back.edges["fn:a!mid", "fn:a!top"] == {"kind": "calls", "weight": 2}
    assert back.nodes["report:r1"]["signature"] == "a!top"
    assert back.nodes["bucket:B-1"]["size"] == 2


def test_node_link_json(small: Correlation) -> None:
    data = json.loads(json.dumps(graph.node_link(graph.build(small))))
    assert len(data["nodes"]) == 16
    assert len(data["edges"]) == 29
    assert {"source": "fn:a!mid", "target": "fn:a!top", "kind": "calls", "weight": 2} in data["edges"]


def test_paths_subgraph(small: Correlation) -> None:
    (path,) = small.recurring_paths
    assert (path.frames, path.reports) == (["a!top", "a!mid"], ["r1", "r2"])
    sub = graph.paths_subgraph(graph.build(small), small.recurring_paths)
    assert set(sub.nodes) == {"fn:a!top", "fn:a!mid", "report:r1", "report:r2"}
    assert sorted(sub.edges(data="kind")) == [
        ("fn:a!mid", "fn:a!top", "calls"),
        ("report:r1", "fn:a!mid", "contains"),
        ("report:r1", "fn:a!top", "contains"),
        ("report:r2", "fn:a!mid", "contains"),
        ("report:r2", "fn:a!top", "contains"),
    ]
    assert sub.nodes["fn:a!top"]["path_rank"] == 1


def test_seed_pair_graph() -> None:
    records = [
        from_report(rep)
        for name in ("seed/fltmgr-0x3b-session.txt", "seed/fltmgr-second-crash-k.txt")
        for rep in parse_file(CORPUS / name)
    ]
    g = graph.build(correlation(records))
    assert set(g.predecessors("fn:fltmgr!TreeUnlinkMulti")) == {
        f"report:{SESSION}",
        f"report:{SECOND}",
        "fn:fltmgr!DeleteNameCacheNodes",  # the second crash's caller
        "fn:fltmgr!FltpPerformPreCallbacks",  # the first's
    }
    assert g.has_edge(f"report:{SESSION}", "tag:FMsl")
    assert g.has_edge(f"report:{SESSION}", "type:_NAME_CACHE_NODE")
    assert g.has_edge(f"report:{SESSION}", "bugcheck:0x3b")
    assert "fn:nt!KiSystemServiceCopyEnd" not in g  # reporting plumbing, gone with the signature rules
