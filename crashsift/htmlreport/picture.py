"""The recurring code paths as a picture: a layered drawing of the shared call chains.

A chain is a run of frames (innermost first): a recurring path, or the crash area of a report
linked to another by a shared function (same area, different stacks — the seed pair). Every
frame becomes a node, shared frames highlighted, and every caller→callee step an edge weighted
by how many reports take it. Callers are drawn left of their callees: innermost frames sit on
the right and each caller one column left of its callee (the longest distance to a frame that
calls nothing drawn; a cycle, which recursion through several functions can make, falls back to
breadth-first depth). Positions are plain numbers the SVG template draws; nothing is laid out in
the browser.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from crashsift.correlate.engine import RecurringPath

MAX_PATHS = 12  # the strongest paths drawn; the report lists the rest
COLUMN, ROW, NODE_W, NODE_H, MARGIN = 230, 46, 200, 30, 12


@dataclass(slots=True)
class Node:
    key: str
    x: int
    y: int
    reports: int
    shared: bool


@dataclass(slots=True)
class Chain:
    """Frames innermost first, how many reports take them, and which of them are shared."""

    frames: list[str]
    support: int
    shared: frozenset[str]


@dataclass(slots=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int
    weight: int


@dataclass(slots=True)
class Picture:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Edge]


def chains_of(paths: list[RecurringPath], areas: list[tuple[list[list[str]], list[str]]]) -> list[Chain]:
    """The strongest recurring paths, then the crash areas of same-area links (each area with
    the functions its link shares)."""
    chosen = sorted(paths, key=lambda p: (-p.score, -p.support, p.frames))[:MAX_PATHS]
    out = [Chain(p.frames, p.support, frozenset(p.frames)) for p in chosen]
    for stacks, shared in areas[: max(0, MAX_PATHS - len(out))]:
        out.extend(Chain(frames, 1, frozenset(shared)) for frames in stacks)
    return out


def draw(chains: list[Chain]) -> Picture | None:
    """Layout of the chains, or None when there is none."""
    if not chains:
        return None
    graph = nx.DiGraph()
    for chain in chains:
        # a stack lists the callee first: frames[i] is called by frames[i + 1]
        for callee, caller in zip(chain.frames, chain.frames[1:], strict=False):
            old = graph.get_edge_data(caller, callee, {"weight": 0})["weight"]
            graph.add_edge(caller, callee, weight=old + chain.support)
        for key in chain.frames:
            graph.add_node(key)
            node = graph.nodes[key]
            node["reports"] = node.get("reports", 0) + chain.support
            node["shared"] = node.get("shared", False) or key in chain.shared
    columns = _columns(graph)
    rows: dict[int, int] = {}
    place: dict[str, tuple[int, int]] = {}
    first = {}
    for i, chain in enumerate(chains):
        for key in chain.frames:
            first.setdefault(key, i)
    for key in sorted(graph.nodes, key=lambda k: (columns[k], first[k], k)):
        col = columns[key]
        row = rows.get(col, 0)
        rows[col] = row + 1
        place[key] = (MARGIN + col * COLUMN, MARGIN + row * ROW)
    nodes = [
        Node(k, x, y, graph.nodes[k]["reports"], graph.nodes[k]["shared"]) for k, (x, y) in place.items()
    ]
    edges = [
        Edge(
            place[a][0] + NODE_W,
            place[a][1] + NODE_H // 2,
            place[b][0],
            place[b][1] + NODE_H // 2,
            d["weight"],
        )
        for a, b, d in graph.edges(data=True)
    ]
    width = MARGIN * 2 + (max(columns.values()) + 1) * COLUMN
    height = MARGIN * 2 + max(rows.values()) * ROW
    return Picture(width, height, nodes, edges)


def _columns(graph: nx.DiGraph) -> dict[str, int]:
    """Each node's column: innermost frames to the right, every caller one column left of its
    callee where the chains allow (longest distance to a frame that calls nothing drawn)."""
    if nx.is_directed_acyclic_graph(graph):
        to_sink: dict[str, int] = {}
        for key in reversed(list(nx.topological_sort(graph))):
            to_sink[key] = max((to_sink[c] + 1 for c in graph.successors(key)), default=0)
        deepest = max(to_sink.values())
        return {k: deepest - d for k, d in to_sink.items()}
    roots = [k for k in graph.nodes if graph.in_degree(k) == 0] or [min(graph.nodes)]
    depth: dict[str, int] = {}
    for root in sorted(roots):
        for key, d in nx.single_source_shortest_path_length(graph, root).items():
            depth[key] = min(depth.get(key, d), d)
    for key in graph.nodes:
        depth.setdefault(key, 0)
    return depth
