"""The market: common random numbers and screening (money between all parties:
tests/test_books.py; the Bass reduction of the choice rule: tests/cases/bass_reduction)."""

import numpy as np

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.social import SocialGraph

# Moved to the validation cases tests/cases/bass_reduction (run by
# tests/test_validation_cases.py and `gridvalue validate`).


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
