"""A seeded synthetic radial distribution network and its frozen index arrays.

substation -> MV feeders -> MV/LV transformers (kVA ratings) -> customer connection points.
The NetworkX graph is for inspection and drawing; simulation uses `Topology`, whose sparse
incidence matrices turn (customers x intervals) loads into transformer and feeder loads
with one product each.
"""

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp

from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD, MICROGRID
from gridvalue.simulation.scenario import Network

# Standard distribution transformer ratings, kVA (R10 series as in GB/T 6451), assumption.
STANDARD_KVA = np.array([30, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800,
                         1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000,
                         12500, 16000, 20000], dtype=float)


@dataclass(frozen=True)
class Topology:
    """Frozen network index arrays: customer -> transformer -> feeder."""

    customer_transformer: np.ndarray  # (n_customers,) int
    transformer_feeder: np.ndarray  # (n_transformers,) int
    transformer_rating_kva: np.ndarray  # (n_transformers,)
    feeder_rating_kva: np.ndarray  # (n_feeders,)
    power_factor: float
    customer_to_transformer: sp.csr_matrix  # (n_transformers, n_customers) incidence
    transformer_to_feeder: sp.csr_matrix  # (n_feeders, n_transformers) incidence

    @property
    def n_transformers(self) -> int:
        return len(self.transformer_feeder)

    @property
    def n_feeders(self) -> int:
        return len(self.feeder_rating_kva)

    @property
    def customer_feeder(self) -> np.ndarray:
        return self.transformer_feeder[self.customer_transformer]

    @property
    def transformer_rating_kw(self) -> np.ndarray:
        return self.transformer_rating_kva * self.power_factor

    @property
    def feeder_rating_kw(self) -> np.ndarray:
        return self.feeder_rating_kva * self.power_factor

    def aggregate(self, customer_kw: np.ndarray, transformer_kw: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Transformer, feeder and system load from customer loads (n_customers, T): the
        incidence products in one compiled loop each, in scipy's order (bit for bit).
        `transformer_kw`: the first product already made (simulation/totals.py, the day's
        totals), taken over as the result's."""
        if transformer_kw is None:
            transformer_kw = _incidence_product(self.customer_to_transformer, customer_kw)
        feeder_kw = _incidence_product(self.transformer_to_feeder, transformer_kw)
        return transformer_kw, feeder_kw, feeder_kw.sum(axis=0)


def _incidence_product(matrix: sp.csr_matrix, x: np.ndarray) -> np.ndarray:
    """matrix @ x for a dense 2-D float x (simulation/kernels.py `csr_times_dense`)."""
    from gridvalue.simulation.kernels import csr_times_dense

    if x.ndim != 2:
        return matrix @ x
    x = np.ascontiguousarray(x, dtype=float)
    out = np.empty((matrix.shape[0], x.shape[1]))
    csr_times_dense(matrix.indptr, matrix.indices, matrix.data.astype(float, copy=False), x, out)
    return out


def _incidence(parent: np.ndarray, n_parents: int) -> sp.csr_matrix:
    n = len(parent)
    return sp.csr_matrix((np.ones(n), (parent, np.arange(n))), shape=(n_parents, n))


def _chunks(rows: np.ndarray, size: int) -> list[np.ndarray]:
    """Consecutive groups of `size` rows; a short last group joins the one before it."""
    groups = [rows[i : i + size] for i in range(0, len(rows), size)]
    if len(groups) > 1 and len(groups[-1]) < size / 2:
        last = groups.pop()
        groups[-1] = np.concatenate([groups[-1], last])
    return groups


def design_peak_kw(coincident_kw: np.ndarray, individual_kw: np.ndarray) -> float:
    """Velander-type diversified peak of a group (assumption): the sum of coincident peaks
    plus the root-sum-square of each member's excess individual peak."""
    excess = np.maximum(individual_kw - coincident_kw, 0.0)
    return float(coincident_kw.sum() + math.sqrt(float((excess**2).sum())))


def nearest_standard_kva(kva: np.ndarray) -> np.ndarray:
    """The standard rating nearest on a log scale (rounding both ways keeps margins unbiased)."""
    logs = np.log(STANDARD_KVA)
    idx = np.abs(np.log(np.maximum(kva, 1e-9))[:, None] - logs[None, :]).argmin(axis=1)
    return STANDARD_KVA[idx]


def standard_kva_at_least(kva: np.ndarray) -> np.ndarray:
    """The smallest standard rating at or above each value (the largest if none is)."""
    idx = np.minimum(np.searchsorted(STANDARD_KVA, kva * (1 - 1e-9)), len(STANDARD_KVA) - 1)
    return STANDARD_KVA[idx]


def build_topology(customer_type: np.ndarray, sector: np.ndarray, coincident_kw: np.ndarray,
                   individual_kw: np.ndarray, params: Network,
                   rng: np.random.Generator, connected_kw: np.ndarray | None = None) -> Topology:
    """Group customers onto transformers, transformers onto feeders, and rate the transformers.

    Households share transformers (`customers_per_transformer`), commercial and agricultural
    enterprises share theirs, industrial enterprises and microgrids get their own. A shared
    transformer is rated at the standard kVA nearest to its diversified design peak x a
    random sizing margin (some come out tight); a customer's own transformer at the smallest
    standard kVA that carries its connected load (as a customer's transformer is sized to its
    contracted capacity), so noise alone never overloads it.
    """
    households = np.flatnonzero(customer_type == HOUSEHOLD)
    shared = rng.permutation(np.flatnonzero((customer_type == ENTERPRISE) & (sector != 0)))
    dedicated = np.flatnonzero(((customer_type == ENTERPRISE) & (sector == 0))
                               | (customer_type == MICROGRID))
    groups = (_chunks(households, params.customers_per_transformer)
              + _chunks(shared, params.enterprises_per_transformer)
              + [np.array([c]) for c in dedicated])
    dedicated_set = set(dedicated.tolist())
    order = rng.permutation(len(groups))
    groups = [groups[i] for i in order]
    n_tx = len(groups)
    customer_transformer = np.full(len(customer_type), -1, dtype=np.int32)
    for t, members in enumerate(groups):
        customer_transformer[members] = t
    assert (customer_transformer >= 0).all(), "every customer is connected"
    design_kw = np.array([design_peak_kw(coincident_kw[g], individual_kw[g]) for g in groups])
    margin = np.maximum(rng.normal(params.transformer_sizing_margin,
                                   params.transformer_sizing_spread, n_tx), 0.3)
    rating_kva = nearest_standard_kva(design_kw * margin / params.power_factor)
    if connected_kw is not None:
        alone = np.array([len(g) == 1 and g[0] in dedicated_set for g in groups])
        own_kw = np.array([connected_kw[g[0]] for g in groups])
        rating_kva = np.where(alone, standard_kva_at_least(own_kw / params.power_factor),
                              rating_kva)
    n_feeders = math.ceil(n_tx / params.transformers_per_feeder)
    transformer_feeder = (np.arange(n_tx) // params.transformers_per_feeder).astype(np.int32)
    return Topology(
        customer_transformer=customer_transformer,
        transformer_feeder=transformer_feeder,
        transformer_rating_kva=rating_kva,
        feeder_rating_kva=np.full(n_feeders, params.feeder_rating_kva),
        power_factor=params.power_factor,
        customer_to_transformer=_incidence(customer_transformer, n_tx),
        transformer_to_feeder=_incidence(transformer_feeder, n_feeders),
    )


def build_graph(topology: Topology, params: Network, rng: np.random.Generator) -> nx.Graph:
    """The radial network as a NetworkX tree with kinds, ratings and line lengths.

    Along each feeder the transformers form a random recursive tree (each attaches to the
    feeder head or an earlier transformer of the same feeder), so feeders branch.
    """
    graph = nx.Graph()
    graph.add_node("substation", kind="substation")
    for f in range(topology.n_feeders):
        head = f"F{f}"
        graph.add_node(head, kind="feeder", feeder=f,
                       rating_kva=float(topology.feeder_rating_kva[f]))
        graph.add_edge("substation", head, kind="mv_bay", length_km=0.0)
        members = np.flatnonzero(topology.transformer_feeder == f)
        nodes = [head]
        for t in members:
            parent = nodes[int(rng.integers(len(nodes)))]
            node = f"T{t}"
            graph.add_node(node, kind="transformer", transformer=int(t), feeder=f,
                           rating_kva=float(topology.transformer_rating_kva[t]))
            graph.add_edge(parent, node, kind="mv_line",
                           length_km=float(rng.exponential(params.section_length_km)))
            nodes.append(node)
    for c, t in enumerate(topology.customer_transformer):
        graph.add_node(f"C{c}", kind="customer", customer=c, transformer=int(t))
        graph.add_edge(f"T{t}", f"C{c}", kind="lv_service", length_km=0.0)
    return graph
