"""The market: the Bass reduction of the choice rule, common random numbers, and screening
(money between all parties: tests/test_books.py)."""

import numpy as np

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.social import SocialGraph


def bass_map(p: float, q: float, dt: float, periods: int) -> np.ndarray:
    f = [0.0]
    for _ in range(periods):
        f.append(f[-1] + (p + q * f[-1]) * (1 - f[-1]) * dt)
    return np.array(f[1:])


def test_bass_reduction_on_a_complete_graph():
    """10,000 customers, complete graph, all aware, market ceiling off: the seed-averaged
    adoption curve follows F[k+1] = F[k] + (p + q F[k]) (1 - F[k]) dt within 0.01."""
    p, q, months = 0.2, 2.0, 24
    curves = []
    for seed in range(6):  # imitation at q = 2 amplifies early noise: average six seeds
        model = GridValueModel("ee_shared_savings", seed=seed, overrides={
            "population.households": 0, "population.enterprises": 10000,
            "population.microgrids": 0, "meta.days": 730,
            "market.social_graph": "complete", "market.initial_awareness_share": 1.0,
            "choice.ceiling": "off", "choice.self_finance": False,
            "services.shared_savings.innovation_p_per_year": p,
            "services.shared_savings.imitation_q_per_year": q})
        model.run()
        uptake = model.market.uptake_frame().groupby("date")
        curves.append((uptake["contracts_total"].sum() / uptake["eligible"].sum()).to_numpy())
    mean = np.mean(curves, axis=0)
    expected = bass_map(p, q, 1 / 12, months)
    assert len(mean) == months
    assert np.abs(mean - expected).max() < 0.01, np.abs(mean - expected).max()
    assert expected[-1] > 0.8  # the curve went through its S


def test_complete_graph_share_excludes_self():
    graph = SocialGraph.complete(5)
    share = graph.neighbour_share(np.array([1, 1, 0, 0, 0], bool))
    np.testing.assert_allclose(share, [0.25, 0.25, 0.5, 0.5, 0.5])


def test_feeder_graph_share_counts_group_and_links():
    group = np.array([0, 0, 0, 1, 1])
    graph = SocialGraph(group, 0, np.random.default_rng(0))
    share = graph.neighbour_share(np.array([1, 0, 0, 1, 0], bool))
    np.testing.assert_allclose(share, [0.0, 0.5, 0.5, 0.0, 1.0])
    linked = SocialGraph(group, 2, np.random.default_rng(1))
    assert (np.asarray(linked.links.sum(axis=1)).ravel() == 2).all()
    assert linked.links.diagonal().sum() == 0


def test_paired_runs_share_their_random_numbers():
    """Common random numbers: the baseline and a policy run with the same seed see the same
    loads until the policy changes something."""
    small = {"population.households": 200, "population.enterprises": 60, "meta.days": 20}
    a = GridValueModel("baseline", seed=9, overrides=small).run()
    b = GridValueModel("ee_shared_savings", seed=9, overrides=small).run()
    households = slice(0, 200)  # the offer is for enterprises: households see the same draws
    np.testing.assert_allclose(a.customers["import_kwh"][households],
                               b.customers["import_kwh"][households])


def test_another_service_on_offer_leaves_a_service_s_draws_alone():
    """Adding a household service, before or after, changes nothing for an enterprise one."""
    small = {"population.households": 200, "population.enterprises": 150, "meta.days": 120,
             "market.initial_awareness_share": 0.5,
             "services.maintenance_subscription.innovation_p_per_year": 2.0}
    hem = {"services.home_energy_management.innovation_p_per_year": 2.0}
    alone = GridValueModel("baseline", seed=3, overrides=small).run()
    first = GridValueModel("baseline", seed=3, overrides=hem | small).run()
    after = GridValueModel("baseline", seed=3, overrides=small | hem).run()

    def signed(model):
        service = next(s for s in model.market.services if s.name == "maintenance_subscription")
        return service.contracts["customer"].tolist()

    assert [s.name for s in first.market.services][0] == "home_energy_management"
    assert [s.name for s in after.market.services][0] == "maintenance_subscription"
    assert len(signed(alone)) >= 3
    assert signed(alone) == signed(first) == signed(after)
