"""The synthetic radial network: structure, sizing, seeding, and aggregation as a sparse product."""

import networkx as nx
import numpy as np

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.network import STANDARD_KVA


def test_graph_is_a_radial_tree_matching_the_index_arrays(small_model):
    m = small_model
    g = m.graph
    assert nx.is_tree(g)
    kinds = nx.get_node_attributes(g, "kind")
    assert sum(k == "substation" for k in kinds.values()) == 1
    assert sum(k == "feeder" for k in kinds.values()) == m.topology.n_feeders
    assert sum(k == "transformer" for k in kinds.values()) == m.topology.n_transformers
    assert sum(k == "customer" for k in kinds.values()) == len(m.customers)
    for c in range(0, len(m.customers), 37):
        path = nx.shortest_path(g, "substation", f"C{c}")
        t = m.topology.customer_transformer[c]
        assert path[1] == f"F{m.topology.transformer_feeder[t]}"
        assert path[-2] == f"T{t}"
        assert g.degree(f"C{c}") == 1


def test_sizing_follows_the_scenario():
    m = GridValueModel("baseline", overrides={"meta.days": 1,
                                              "network.customers_per_transformer": 25,
                                              "network.transformers_per_feeder": 10})
    topo, ctype = m.topology, m.customers["customer_type"]
    per_tx = np.bincount(topo.customer_transformer[ctype == 0])
    per_tx = per_tx[per_tx > 0]
    assert np.median(per_tx) == 25 and per_tx.max() < 2 * 25
    assert np.bincount(topo.transformer_feeder).max() == 10
    assert topo.n_feeders == -(-topo.n_transformers // 10)
    # industrial enterprises and microgrids have a transformer of their own
    alone = (ctype == 2) | ((ctype == 1) & (m.customers["sector"] == 0))
    counts = np.bincount(topo.customer_transformer)
    assert (counts[topo.customer_transformer[alone]] == 1).all()
    assert set(np.unique(topo.transformer_rating_kva)) <= set(STANDARD_KVA)


def test_network_is_seeded():
    overrides = {"meta.days": 1, "population.households": 400}
    a = GridValueModel("baseline", seed=1, overrides=overrides)
    b = GridValueModel("baseline", seed=1, overrides=overrides)
    c = GridValueModel("baseline", seed=2, overrides=overrides)
    assert nx.utils.graphs_equal(a.graph, b.graph)
    assert (a.topology.customer_transformer == b.topology.customer_transformer).all()
    assert not (a.topology.customer_transformer == c.topology.customer_transformer).all()


def test_aggregation_equals_a_plain_loop(small_model):
    topo = small_model.topology
    rng = np.random.default_rng(0)
    load = rng.random((len(small_model.customers), 24))
    tx, feeder, system = topo.aggregate(load)
    expected_tx = np.zeros_like(tx)
    for c, t in enumerate(topo.customer_transformer):
        expected_tx[t] += load[c]
    np.testing.assert_allclose(tx, expected_tx, rtol=1e-12)
    expected_feeder = np.zeros_like(feeder)
    for t, f in enumerate(topo.transformer_feeder):
        expected_feeder[f] += expected_tx[t]
    np.testing.assert_allclose(feeder, expected_feeder, rtol=1e-12)
    np.testing.assert_allclose(system, load.sum(axis=0), rtol=1e-12)
