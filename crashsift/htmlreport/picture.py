"""The recurring code paths as a picture: a layered drawing of the shared call chains.

Every frame of a recurring path becomes a node and every caller→callee step an edge weighted by
how many reports share it. Callers are drawn left of their callees: a node's column is its
depth from the outermost caller (networkx's topological generations; a cycle, which recursion
through several functions can make, is broken at its heaviest-weighted position by falling
back to breadth-first depth). Positions are plain numbers the SVG template draws; nothing is
laid out in the browser.
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


def draw_paths(paths: list[RecurringPath]) -> Picture | None:
    """Layout of the strongest recurring paths, or None when there is none."""
    chosen = sorted(paths, key=lambda p: (-p.score, -p.support, p.frames))[:MAX_PATHS]
    if not chosen:
        return None
    graph = nx.DiGraph()
    for path in chosen:
        # a stack lists the callee first: frames[i] is called by frames[i + 1]
        for callee, caller in zip(path.frames, path.frames[1:], strict=False):
            old = graph.get_edge_data(caller, callee, {"weight": 0})["weight"]
            graph.add_edge(caller, callee, weight=max(old, path.support))
        for key in path.frames:
            graph.add_node(key)
            graph.nodes[key]["reports"] = max(graph.nodes[key].get("reports", 0), path.support)
    columns = _columns(graph)
    rows: dict[int, int] = {}
    place: dict[str, tuple[int, int]] = {}
    for key in sorted(graph.nodes, key=lambda k: (columns[k], k)):
        col = columns[key]
        row = rows.get(col, 0)
        rows[col] = row + 1
        place[key] = (MARGIN + col * COLUMN, MARGIN + row * ROW)
    nodes = [Node(k, x, y, graph.nodes[k]["reports"]) for k, (x, y) in place.items()]
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
    """Depth of each node from the outermost callers."""
    if nx.is_directed_acyclic_graph(graph):
        return {k: depth for depth, layer in enumerate(nx.topological_generations(graph)) for k in layer}
    roots = [k for k in graph.nodes if graph.in_degree(k) == 0] or [min(graph.nodes)]
    depth: dict[str, int] = {}
    for root in sorted(roots):
        for key, d in nx.single_source_shortest_path_length(graph, root).items():
            depth[key] = min(depth.get(key, d), d)
    for key in graph.nodes:
        depth.setdefault(key, 0)
    return depth
