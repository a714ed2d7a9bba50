"""Positions of the feeder network aggregated per transformer, computed once per network.

A radial network is drawn as what it is: the substation in the middle, each feeder a sector,
each transformer at its depth along the feeder, its angle the middle of the leaves below it.
Customers are not drawn one by one; each transformer stands for the customers it serves.
This is O(transformers) once, instead of a spring layout on every redraw.
"""

from dataclasses import dataclass

import networkx as nx
import numpy as np


@dataclass(frozen=True, eq=False)
class NetworkLayout:
    transformer_xy: np.ndarray  # (n_transformers, 2)
    feeder_xy: np.ndarray  # (n_feeders, 2): the feeder heads
    segments: np.ndarray  # (n_lines, 2, 2): MV lines, substation bays included


def radial_layout(graph: nx.Graph, n_transformers: int, n_feeders: int) -> NetworkLayout:
    """Radial tidy-tree positions of the MV network (customer nodes ignored)."""
    mv = graph.subgraph(n for n, kind in graph.nodes(data="kind") if kind != "customer")
    tree = nx.bfs_tree(mv, "substation")
    leaves: dict = {}
    for node in reversed(list(nx.topological_sort(tree))):
        children = list(tree.successors(node))
        leaves[node] = sum(leaves[c] for c in children) if children else 1
    angle, depth = {"substation": (0.0, 2 * np.pi)}, {"substation": 0}
    for node in nx.topological_sort(tree):
        lo, hi = angle[node]
        start = lo
        for child in sorted(tree.successors(node), key=_order):
            width = (hi - lo) * leaves[child] / leaves[node]
            angle[child] = (start, start + width)
            depth[child] = depth[node] + 1
            start += width

    def xy(node) -> tuple[float, float]:
        lo, hi = angle[node]
        theta, r = (lo + hi) / 2, float(depth[node])
        return r * np.cos(theta), r * np.sin(theta)

    transformer_xy = np.zeros((n_transformers, 2))
    feeder_xy = np.zeros((n_feeders, 2))
    for node, data in mv.nodes(data=True):
        if data["kind"] == "transformer":
            transformer_xy[data["transformer"]] = xy(node)
        elif data["kind"] == "feeder":
            feeder_xy[data["feeder"]] = xy(node)
    segments = np.array([(xy(a), xy(b)) if a != "substation" else ((0.0, 0.0), xy(b))
                         for a, b in tree.edges()])
    return NetworkLayout(transformer_xy, feeder_xy, segments.reshape(-1, 2, 2))


def _order(node: str) -> tuple[int, int]:
    """Feeders and transformers in their index order (deterministic layout)."""
    return (0 if node.startswith("F") else 1, int(node[1:]))
