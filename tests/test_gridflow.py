"""Power flow during a run on the synthetic network: tables, KPIs, losses in the books."""

import numpy as np
import pytest

from gridvalue.experiments.runner import GRID_TABLES, run_scenario
from gridvalue.simulation.grids import line_type, transformer_vk_share


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(300, 40, 2, days=7)


@pytest.fixture(scope="module")
def runs(small_overrides):
    return {mode: run_scenario("baseline", seed=3,
                               overrides=small_overrides | {"network.power_flow": mode})
            for mode in ("off", "peak_min", "all")}


def test_power_flow_tables_and_kpis(runs):
    result = runs["peak_min"]
    for name in GRID_TABLES:
        assert len(result[name]) > 0
    n_tx = result.summary["transformers"]
    buses, lines = result["buses"], result["lines"]
    assert len(buses) == 1 + 2 * n_tx and len(lines) == 2 * n_tx
    assert (buses["vm_min_pu"] <= buses["vm_max_pu"]).all()
    assert len(result["power_flow"]) <= 2 * 7  # each day's peak and minimum interval
    s = result.summary
    assert 0.8 < s["min_voltage_pu"] < 1.0 and s["losses_mwh"] > 0
    assert s["max_transformer_loading"] == pytest.approx(lines["max_loading"].max())
    assert "losses_mwh" not in runs["off"].summary and "buses" not in runs["off"].tables


def test_solved_losses_replace_the_flat_loss_share(small_overrides):
    # one flat wholesale price, so the cost is energy bought times the price
    flat = small_overrides | {"company.wholesale_shape": "flat"}
    off, on = (run_scenario("baseline", seed=3, overrides=flat | {"network.power_flow": mode})
               for mode in ("off", "peak_min"))
    price = on.scenario.company.wholesale_price_per_kwh
    delivered_mwh = float(on["system_load"]["load_kw"].clip(lower=0).sum()) / 1000.0
    assert off.summary["wholesale_cost"] == pytest.approx(
        delivered_mwh * 1000 * (1 + off.scenario.company.loss_share) * price)
    assert on.summary["wholesale_cost"] == pytest.approx(
        (delivered_mwh + on.summary["losses_mwh"]) * 1000 * price)
    assert on["daily"]["losses_kwh"].sum() == pytest.approx(on.summary["losses_mwh"] * 1000)


def test_two_solved_intervals_a_day_estimate_the_days_losses(runs):
    """DistFlow over every interval scaled to AC at the peak and minimum, against AC on all."""
    assert runs["peak_min"].summary["losses_mwh"] == pytest.approx(
        runs["all"].summary["losses_mwh"], rel=0.01)
    assert runs["all"].summary["power_flow_intervals"] == 7 * 24


def test_line_types_follow_design_current():
    index, parallel = line_type(np.array([100.0, 250.0, 400.0, 1000.0]), "cable")
    # 1,000 A: three circuits of 333 A, each on the 1x185 cable (358 A)
    assert list(index) == [0, 2, 5, 4] and list(parallel) == [1, 1, 1, 3]
    assert list(transformer_vk_share(np.array([400.0, 1000.0, 1600.0]))) == [0.04, 0.05, 0.06]


def test_hosting_capacity_per_feeder_of_the_synthetic_network(runs):
    result = runs["peak_min"]
    hosting = result["hosting"]
    assert len(hosting) == result.summary["feeders"]
    assert (hosting["hosting_kw"] >= 0).all()
    assert set(hosting["binding"]) <= {"voltage", "loading", "convergence"}
    assert result.summary["min_feeder_hosting_kw"] == hosting["hosting_kw"].min()


def test_feeders_tried_together_give_the_one_at_a_time_hosting(runs, small_overrides):
    """Synthetic feeders share only the ideal substation source, so one scenario with PV on
    every feeder finds the same hosting capacities as one batch scenario per feeder."""
    result = runs["peak_min"]
    model_hosting = result["hosting"]
    from gridvalue.simulation.hosting import hosting_capacity
    from gridvalue.simulation.model import GridValueModel

    model = GridValueModel("baseline", seed=3, overrides=small_overrides | {"network.power_flow":
                                                                            "peak_min"}).run()
    flow, topo = model.gridflow, model.topology
    _, day, interval, p, q = flow.lightest
    one_by_one = hosting_capacity(flow.ac, p, q, topo.transformer_feeder,
                                  topo.transformer_rating_kva, 1.07, 1.0)
    np.testing.assert_allclose(one_by_one["hosting_kw"], model_hosting["hosting_kw"], rtol=0.02)
    assert list(one_by_one["binding"]) == list(model_hosting["binding"])


PUBLISHED = {"meta.days": 3, "network.source": "cigre_lv", "population.households": 60,
             "population.enterprises": 4, "population.microgrids": 0}


def test_published_grid_hosts_customers_by_the_documented_rule():
    """CIGRE LV: customers go largest first onto the load bus with most room left; the grid's
    base loads bound what is placed (the greedy never overfills by more than one customer)."""
    from gridvalue.simulation.model import GridValueModel

    model = GridValueModel("baseline", seed=2, overrides=PUBLISHED)
    grid, load_point = model.published_grid
    topo = model.topology
    assert topo.n_transformers == int((grid.load_p_kw > 0).sum())
    c = model.customers
    design_kw = c["annual_kwh"] / model.class_full_load_hours[c["profile_class"]]
    placed = np.bincount(topo.customer_transformer, weights=design_kw,
                         minlength=topo.n_transformers)
    capacity = topo.transformer_rating_kw
    assert (placed <= capacity + design_kw.max() + 1e-9).all()
    biggest = int(np.argmax(design_kw))
    assert capacity[topo.customer_transformer[biggest]] == capacity.max()


def test_a_grid_too_small_for_the_population_is_refused():
    from gridvalue.simulation.model import GridValueModel
    from gridvalue.simulation.schema import ScenarioError

    with pytest.raises(ScenarioError, match="population: case33bw hosts 3,715 kW of design "
                       "load .* coincident design peak is"):
        GridValueModel("baseline", overrides={"meta.days": 2, "network.source": "case33bw"})


def test_a_run_on_a_published_grid_solves_it():
    result = run_scenario("baseline", seed=2, overrides=PUBLISHED
                          | {"network.power_flow": "peak_min"})
    s = result.summary
    assert s["power_flow_intervals"] == 6 and 0.85 < s["min_voltage_pu"] < 1.0
    assert len(result["buses"]) == 41 and len(result["hosting"]) == 3
    assert s["feeders"] == 3 and s["losses_mwh"] > 0


def test_line_deferral_counts_only_lines_over_their_limit():
    from types import SimpleNamespace

    from gridvalue.simulation.peaks import line_relief_kw

    grid = SimpleNamespace(n_line=3, bus_kv=np.array([10.0, 10.0]), line_from=np.zeros(3, int),
                           line_max_a=np.array([100.0, 100.0, np.inf]))
    scenario = SimpleNamespace(network=SimpleNamespace(line_max_loading_share=1.0))
    topo = SimpleNamespace(power_factor=1.0)
    base = SimpleNamespace(gridflow=SimpleNamespace(grid=grid, loading_max=np.array(
        [1.2, 0.9, np.nan])), scenario=scenario, topology=topo)
    other = SimpleNamespace(gridflow=SimpleNamespace(grid=grid, loading_max=np.array(
        [0.8, 0.5, np.nan])))
    # line 0: relief capped at its 20 % excess of 1,732 kW; line 1 never binds
    assert line_relief_kw(base, other) == pytest.approx(0.2 * np.sqrt(3) * 10 * 100)
    assert line_relief_kw(base, SimpleNamespace(gridflow=None)) == 0.0


@pytest.mark.parametrize("overrides, message", [
    ({"network.power_flow": "days"}, "network.power_flow_days: power_flow = \"days\" needs"),
    ({"network.power_flow": "days", "network.power_flow_days": [3, 400]},
     r"network.power_flow_days\[1\]: day 400 is beyond the horizon of 365 days"),
    ({"network.source": "nosuch"}, "network.source: unknown network 'nosuch'"),
])
def test_bad_power_flow_settings_are_refused(overrides, message):
    from gridvalue.simulation.scenario import load_scenario
    from gridvalue.simulation.schema import ScenarioError

    with pytest.raises(ScenarioError, match=message):
        load_scenario("baseline", overrides)


def test_days_mode_solves_whole_chosen_days_only(small_overrides):
    result = run_scenario("baseline", seed=3, overrides=small_overrides | {
        "network.power_flow": "days", "network.power_flow_days": [2, 5]})
    flows = result["power_flow"]
    assert sorted(set(flows["day"])) == [2, 5] and len(flows) == 48
    daily = result["daily"]
    assert daily["losses_kwh"].notna().sum() == 2


def test_same_seed_gives_byte_identical_grid_tables(tmp_path, small_overrides):
    from gridvalue.experiments.runner import write_results

    overrides = small_overrides | {"meta.days": 3, "network.power_flow": "peak_min"}
    outs = [write_results(run_scenario("baseline", seed=5, overrides=overrides),
                          tmp_path / name, report=False) for name in ("a", "b")]
    for name in GRID_TABLES + ("daily", "ledger"):
        assert ((outs[0] / f"{name}.parquet").read_bytes()
                == (outs[1] / f"{name}.parquet").read_bytes()), name


PV_AWARE = {"population.households": 300, "population.enterprises": 40,
            "population.microgrids": 0, "meta.days": 40, "network.power_flow": "peak_min",
            "services.pv_lease.grid_aware": True, "services.pv_ppa.grid_aware": True}


def test_grid_aware_pv_offers_only_where_the_system_fits():
    """The company's planning hosting capacity gates the PV offer: none where it is used up,
    everyone (as without it) where it is ample."""
    from gridvalue.simulation.model import GridValueModel

    model = GridValueModel("pv_investment", seed=4, overrides=PV_AWARE)
    company = model.company
    hosting = company.planning_hosting_kwp()
    assert len(hosting) == model.topology.n_feeders and (hosting > 0).all()
    service = next(s for s in model.market.services if s.name == "pv_lease")
    aware = service.eligible()
    company._hosting_kwp = np.full_like(hosting, 1e9)
    plain = service.eligible()
    company._hosting_kwp = np.zeros_like(hosting)
    assert not service.eligible().any() and plain.any()
    assert (aware <= plain).all()
    company._hosting_kwp = hosting
    model.run()
    assert len(model.market.contract_frame()) > 0


def test_grid_aware_pv_needs_power_flow():
    from gridvalue.simulation.scenario import load_scenario
    from gridvalue.simulation.schema import ScenarioError

    with pytest.raises(ScenarioError, match=r"services.pv_(ppa|lease).grid_aware: needs network"):
        load_scenario("pv_investment", PV_AWARE | {"network.power_flow": "off"})
