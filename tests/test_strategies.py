"""The grid company's strategies (agents/strategies/): registry, bad input, targeting with one
budget, the decision log."""

import os

import numpy as np
import pandas as pd
import pytest

from gridvalue.agents.strategies import STRATEGIES
from gridvalue.experiments import cli
from gridvalue.experiments.runner import run_scenario
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import STRATEGY_NAMES
from gridvalue.simulation.services.base import SEGMENT_NAMES

SMALL = ["population.households=120", "population.enterprises=30", "population.microgrids=2",
         "meta.days=120"]
TINY = ["--set", "population.households=20", "--set", "population.enterprises=4",
        "--set", "population.microgrids=0", "--set", "meta.days=3", "--quiet"]


def test_every_strategy_the_scenario_names_is_registered():
    assert set(STRATEGY_NAMES) == set(STRATEGIES)


@pytest.mark.parametrize("setting, expected", [
    ("company.strategy=\"cunning\"", "company.strategy: must be one of"),
    ("company.marketing_budget_per_month=-1", "company.marketing_budget_per_month: must be at "
     "least 0"),
    ("company.budget_split=\"half\"", "company.budget_split: must be one of"),
    ("company.fixed_contacts=\"smart\"", "company.fixed_contacts: must be one of"),
])
def test_bad_strategy_input_is_one_line_exit_2_and_nothing_written(tmp_path, monkeypatch,
                                                                   capsys, setting, expected):
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["run", "baseline", "--out", "out", "--set", setting, *TINY])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    assert expected in err, err
    assert os.listdir(tmp_path) == []


def test_fixed_logs_what_the_market_books():
    result = run_scenario("equipment_services", seed=5, overrides=SMALL)
    decisions, ledger = result["decisions"], result["ledger"]
    marketing = -ledger.loc[ledger["item"] == "marketing", "amount"].sum()
    assert len(decisions) and set(decisions["strategy"]) == {"fixed"}
    assert decisions["marketing_cny"].sum() == pytest.approx(marketing)
    per_month = decisions.groupby(["date", "service"])["contacts"].sum()
    assert per_month.max() <= 40  # contacts_per_month of the scenario's services


PORTFOLIO = SMALL + ["company.strategy=targeted", "company.marketing_budget_per_month=3000",
                     "services.maintenance_subscription.fee_per_site_month=60",
                     "services.equipment_rental.rent_share_per_year=0.4"]


def _model(extra=()):
    model = GridValueModel("equipment_services", seed=5, overrides=PORTFOLIO + list(extra))
    return model


def test_targeted_spends_one_budget_on_the_best_contacts():
    """Each month: spend within the budget, only contacts worth more than they cost, and no
    uncontacted (service, customer) pair worth more than a contacted one."""
    model = _model()
    strategy, market = model.company.strategy, model.market
    budget = model.scenario.company.marketing_budget_per_month
    months = 0
    for date in model.dates:
        model.step()
        if date.day == 1:
            months += 1
            cost = {k: s.params.marketing_cost_per_contact
                    for k, s in enumerate(market.services)}
            spent = sum(strategy.planned[k].sum() * cost[k] for k in strategy.planned)
            assert spent <= budget + 1e-6
            picked = np.concatenate([strategy.values[k][strategy.planned[k]] - cost[k]
                                     for k in strategy.planned])
            left = np.concatenate([strategy.values[k][~strategy.planned[k]
                                                      & (strategy.values[k] != 0)] - cost[k]
                                   for k in strategy.planned])
            assert (picked > 0).all()
            if len(picked) and len(left) and spent + min(cost.values()) <= budget:
                assert left.max() <= 0  # budget left over: nothing worth it was skipped
            elif len(picked) and len(left):
                assert left.max() <= picked.min() + max(cost.values())
        if months == 3:
            break
    assert months == 3


def test_targeted_logs_its_budget_and_contacts_to_decisions():
    result = run_scenario("equipment_services", seed=5, overrides=PORTFOLIO)
    d = result["decisions"]
    assert set(d["strategy"]) == {"targeted"}
    assert (d.groupby("date")["marketing_cny"].sum() <= 3000 + 1e-6).all()
    assert (d["expected_value_cny"] > 0).all() and (d["contacts"] > 0).any()
    ledger = result["ledger"]
    assert d["marketing_cny"].sum() == pytest.approx(
        -ledger.loc[ledger["item"] == "marketing", "amount"].sum())


def test_equal_split_caps_each_service_at_its_share():
    result = run_scenario("equipment_services", seed=5,
                          overrides=PORTFOLIO + ["company.budget_split=\"equal\""])
    d = result["decisions"]
    share = 3000 / 3
    assert (d.groupby(["date", "service"])["marketing_cny"].sum() <= share + 1e-6).all()


LEARN = ["population.households=40", "population.enterprises=60", "population.microgrids=0",
         "meta.years=0", "meta.days=150"]


@pytest.mark.parametrize("setting, expected", [
    ("services.maintenance_subscription.term_menu=[]", "services.maintenance_subscription"
     ".term_menu: is empty"),
    ("services.maintenance_subscription.term_field=\"outage_hours_per_year\"",
     "is not a term its contracts fix at signing"),
])
def test_bad_term_menus_are_one_line_exit_2(tmp_path, monkeypatch, capsys, setting, expected):
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["run", "learning_terms", "--out", "out", "--set", setting, *TINY])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and expected in err, err
    assert os.listdir(tmp_path) == []


def test_learning_offers_menu_terms_per_segment_and_updates_its_beliefs():
    model = GridValueModel("learning_terms", seed=2, overrides=LEARN)
    model.run()
    strategy = model.company.strategy
    d = strategy.frame()
    service = model.market.services[0]
    k = 0
    prior = model.scenario.company.learning_prior_contacts
    # beliefs moved by what it saw: more pseudo-observations than the prior's weight
    seen = strategy.alpha[k] + strategy.beta[k]
    assert seen.max() > prior + 1
    assert set(d["term"].dropna()) == {"fee_per_kw_month"}
    assert set(d["term_value"]) <= set(service.params.term_menu)
    # every month a row per segment offered the service, with that segment's level
    segments = {"industrial", "commercial", "agricultural"}
    per_month = d.groupby("date")["segment"].apply(set)
    assert len(per_month) == 5 and all(s == segments for s in per_month)
    levels = d.pivot_table(index="date", columns="segment", values="term_value")
    assert (levels.nunique(axis=1) > 1).any()  # segments offered different levels
    last = levels.iloc[-1]
    np.testing.assert_array_equal(
        service.term_by_segment[[SEGMENT_NAMES.index(s) for s in last.index]], last.to_numpy())


def test_a_contract_signs_at_its_segment_s_level():
    model = GridValueModel("learning_terms", seed=2, overrides=LEARN)
    service = model.market.services[0]
    fee_kw = np.zeros(len(SEGMENT_NAMES))
    fee_kw[SEGMENT_NAMES.index("industrial")] = 2.5
    fee_kw[SEGMENT_NAMES.index("commercial")] = 11.0
    service.term_by_segment = fee_kw
    seg = model.market.segment
    who = np.concatenate([np.flatnonzero(seg == SEGMENT_NAMES.index(s))[:2]
                          for s in ("industrial", "commercial")])
    service.sign(who, 0)
    kw = service._mean_kw(who)
    expected = service.params.fee_per_site_month + fee_kw[seg[who]] * kw
    np.testing.assert_allclose(service.contracts["fee"], expected)
    service.term_by_segment = None  # the scenario's fee for everyone (fixed)
    assert service.term("fee_per_kw_month", who) == service.params.fee_per_kw_month == 2.5


def test_optimistic_priors_give_each_level_a_signing():
    model = GridValueModel("learning_terms", seed=2, overrides=LEARN)
    model.step()
    alpha = model.company.strategy.alpha[0]
    assert alpha.min() >= model.scenario.company.learning_prior_signings == 1.0
    plain = GridValueModel("learning_terms", seed=2,
                           overrides=LEARN + ["company.learning_prior_signings=0"])
    plain.step()
    assert plain.company.strategy.alpha[0].min() < 0.5  # the model's mean: a level rated low


def test_learning_raises_the_threshold_where_defaults_run_high():
    model = GridValueModel("equipment_services", seed=2,
                           overrides=LEARN + ["company.strategy=\"learning\""])
    strategy = model.company.strategy
    model.step()
    service = next(s for s in model.market.services if s.credit_exposed)
    k = model.market.services.index(service)
    before = strategy.score_threshold(k, service)
    strategy._at_risk[:] = 200.0
    strategy._defaults[:] = 0.0
    strategy._defaults[:5] = 60.0  # bands below 50: 30 % a month seen
    assert strategy._threshold(service, strategy._default_rates()) >= 50.0 > before


HIDDEN = ("default_hazard_per_year", "efficiency_potential_share", "discount_rate_per_year")


def _outcomes(model) -> tuple:
    """What the company can observe of its own offers: contracts signed and their status."""
    return tuple((s.name, tuple(s.contracts["customer"]), tuple(s.contracts["status"]))
                 for s in model.market.services)


@pytest.mark.parametrize("strategy", ["targeted", "learning", "peak_targeted"])
def test_the_company_sees_only_what_its_platform_sees(strategy):
    """Hidden truths changed after acquisition change no decision until the outcomes the
    company observes (its contracts and their defaults) differ."""
    runs = []
    for perturb in (False, True):
        model = GridValueModel("learning_terms", seed=4, overrides=LEARN + [
            f"company.strategy=\"{strategy}\"",
            "services.maintenance_subscription.innovation_p_per_year=6"])
        if perturb:
            c = model.customers
            c["default_hazard_per_year"][:] = np.clip(c["default_hazard_per_year"] * 4, 0, 1)
            c["efficiency_potential_share"][:] *= 0.3
            c["discount_rate_per_year"][:] *= 3.0
            model.market.price_coefficient[:] *= 0.01
        runs.append(model)
    months, same_until = 0, None
    for date in runs[0].dates:
        for m in runs:
            m.step()  # a month's decisions come first in its first day's step
        if date.day == 1 and same_until is None:
            rows = [m.company.strategy.frame() for m in runs]
            assert len(rows[0]) and rows[0].equals(rows[1]), f"decisions differ in {date}"
            months += 1
        if same_until is None and _outcomes(runs[0]) != _outcomes(runs[1]):
            same_until = date
    assert months >= 1
    assert same_until is not None  # the perturbation did change outcomes (the test can bite)


REREAD = ["population.households=60", "population.enterprises=40", "population.microgrids=0",
          "meta.days=70", "data_platform.analytics=\"predictive\"",
          "data_platform.reread_loads_in_run=true"]


def test_the_platform_rereads_load_features_in_the_run_without_the_truth():
    """With reread_loads_in_run the month's meter readings change the load features and the
    estimates; hidden truths changed after acquisition change neither (no contracts here,
    so nothing the company observes depends on them)."""
    runs = []
    for perturb in (False, True):
        model = GridValueModel("ee_shared_savings", seed=6, overrides=REREAD + [
            "services.shared_savings.contacts_per_month=0"])
        start = model.platform.features.load.copy()
        if perturb:
            model.customers["efficiency_potential_share"][:] *= 0.2
            model.customers["default_hazard_per_year"][:] *= 5.0
        model.run()
        runs.append((model, start))
    (a, start), (b, _) = runs
    assert a.platform.refits >= 1 and not np.allclose(a.platform.features.load, start)
    np.testing.assert_array_equal(a.platform.features.load, b.platform.features.load)
    for name in ("efficiency_estimate_share", "default_hazard_estimate_per_year"):
        np.testing.assert_array_equal(a.customers[name], b.customers[name])


@pytest.mark.slow
def test_learning_beats_fixed_at_the_default_terms_over_three_years():
    """Paired (same seed): learning's lifetime NPV above fixed's at the scenario's default
    terms (the menu's first fee) on seeds no term was tuned on (docs/strategies.md)."""
    tiny = ["population.households=5", "population.enterprises=300", "population.microgrids=0"]
    for seed in (11, 12):
        fixed = run_scenario("learning_terms", seed=seed,
                             overrides=tiny + ["company.strategy=\"fixed\""])
        learning = run_scenario("learning_terms", seed=seed, overrides=tiny)
        assert (learning.summary["company_npv_lifetime"]
                > fixed.summary["company_npv_lifetime"])
        offered = learning["decisions"]["term_value"].dropna()
        assert offered.nunique() > 1  # it moved off the default fee


@pytest.mark.slow
def test_voi_runs_under_a_strategy(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc = cli.main(["voi", "--replicates", "2", "--out", "voi", "--quiet",
                   "--set", "population.households=10", "--set", "population.enterprises=40",
                   "--set", "meta.days=40", "--set", "company.strategy=\"learning\""])
    out = capsys.readouterr()
    assert rc == 0, out.err
    runs = pd.read_csv(tmp_path / "voi" / "runs.csv")
    assert len(runs) == 2 * 4 * 3
    assert set(runs["strategy"]) == {"learning"}
    assert "world: always_on, strategy: learning" in out.out
    assert "<b>learning</b>" in (tmp_path / "voi" / "report.html").read_text()


@pytest.mark.slow
def test_one_shared_budget_beats_equal_budgets_where_services_differ():
    """targeted_portfolio (docs/strategies.md): the shared budget moves the money that
    home energy management cannot use well to on-site care; paired, same seed."""
    small = ["population.households=300", "population.enterprises=300",
             "population.microgrids=0"]
    shared = run_scenario("targeted_portfolio", seed=1, overrides=small)
    equal = run_scenario("targeted_portfolio", seed=1,
                         overrides=small + ["company.budget_split=\"equal\""])
    assert (shared.summary["company_npv_lifetime"]
            > equal.summary["company_npv_lifetime"])
    spent = {name: r["decisions"].groupby("service")["marketing_cny"].sum()
             for name, r in (("shared", shared), ("equal", equal))}
    assert (spent["shared"]["maintenance_subscription"]
            > spent["equal"]["maintenance_subscription"])


@pytest.mark.slow
def test_peak_targeted_earns_more_deferral_per_cny_than_random_letters():
    from gridvalue.experiments.strategy_study import peak

    out = peak([3], ["population.households=300", "population.enterprises=10"])
    runs = out["runs"].set_index("strategy")
    assert runs.loc["fixed", "spend"] > 0 and runs.loc["peak_targeted", "spend"] > 0
    assert (runs.loc["peak_targeted", "deferral_per_cny"]
            > runs.loc["fixed", "deferral_per_cny"])


VOI_SMALL = ["population.households=10", "population.enterprises=60", "meta.days=60"]


def _contacts(mode: str, seed: int = 3) -> tuple:
    """Whom `fixed` contacts for shared savings in value_of_information's first month, with
    `fixed_contacts = mode`: (picked, pool, priority, the pool's expected contact values)."""
    model = GridValueModel("value_of_information", seed=seed,
                           overrides=VOI_SMALL + [f"company.fixed_contacts=\"{mode}\""])
    market, service = model.market, model.market.services[0]
    pool = np.flatnonzero(market._open(0, service, service.eligible()))
    priority = np.random.default_rng(seed).random(len(model.customers))
    picked = model.company.strategy.contacts(0, service, pool, priority, model.dates[0])
    return picked, pool, priority, service.expected_contact_value(pool)


def test_fixed_random_contacts_ignore_the_expected_value():
    """`fixed_contacts = "random"`: the first contacts_per_month of the pool in the random
    order of `priority`, whatever their expected value; "expected_value" ranks by it."""
    picked, pool, priority, value = _contacts("random")
    n = 8  # value_of_information's contacts_per_month
    assert len(pool) > 3 * n and len(np.unique(value)) > n
    np.testing.assert_array_equal(picked, pool[np.argsort(priority[pool], kind="stable")[:n]])
    ranked, _, _, _ = _contacts("expected_value")
    top = pool[np.argsort(-value, kind="stable")[:n]]
    assert set(ranked) == set(top) and set(picked) != set(top)
    worth = dict(zip(pool, value, strict=True))
    assert np.mean([worth[i] for i in picked]) < np.mean([worth[i] for i in ranked])


def test_strategy_study_voi_pairs_the_strategies_on_the_same_seeds(tmp_path):
    from gridvalue.experiments.strategy_study import voi, voi_summary

    runs_csv = tmp_path / "runs.csv"
    out = voi([1, 2], ["fixed/random", "fixed"], ["high"], VOI_SMALL, runs_csv=str(runs_csv))
    runs = pd.read_csv(runs_csv)
    assert len(runs) == 2 * 2 * 2  # arms x seeds x (none, predictive)
    assert set(runs["strategy"]) == {"fixed", "fixed/random"}
    per_seed = out["per_seed"].set_index(["arm", "seed"])
    for (arm, seed), row in per_seed.iterrows():
        part = runs[(runs["arm"] == arm) & (runs["seed"] == seed)].set_index("analytics")
        assert row["voi_gross"] == pytest.approx(part.loc["predictive", "gross_profit"]
                                                 - part.loc["none", "gross_profit"], abs=1e-3)
    again = voi_summary(runs, ["fixed/random", "fixed"])  # the tables from the file alone
    for key in ("per_seed", "value_of_information", "paired_differences"):
        pd.testing.assert_frame_equal(again[key], out[key])
    diff = out["paired_differences"]
    assert list(diff["difference"]) == ["fixed - fixed/random"]
    assert set(out["value_of_information"]["arm"]) == {"fixed", "fixed/random"}
    # the arms differ in whom they contact, so their runs differ
    assert not np.allclose(runs[runs["arm"] == "fixed"]["gross_profit"],
                           runs[runs["arm"] == "fixed/random"]["gross_profit"])


@pytest.mark.parametrize("args, message", [
    (["voi", "--strategies", "fixed,cunning"], "--strategies: must be among"),
    (["voi", "--qualities", "high,perfect"], "--qualities: must be among"),
    (["voi", "--jobs", "0"], "--jobs: must be at least 1"),
    (["voi", "--from-runs", "missing.csv"], "--from-runs: no such file"),
    (["voi", "--set", "company.fixed_contacts=\"smart\""], "company.fixed_contacts: must be"),
    (["learning", "--best", "nothing=8"], "--best: must name a service with a term menu"),
    (["learning", "--best", "maintenance_subscription=high"],
     "--best: maintenance_subscription: must be a number"),
])
def test_strategy_study_bad_input_is_one_line_exit_2_and_nothing_written(
        tmp_path, capsys, args, message):
    from gridvalue.experiments.strategy_study import main

    assert main([*args, "--runs-csv", str(tmp_path / "runs.csv")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["equipment_rental", "equipment_instalments"])
def test_the_company_values_equipment_without_the_site_s_served_share(name):
    """The served share is each site's own draw, seen at signing (the kit is sized then):
    the company's estimates for targeting use its mean, so shuffling the draws moves
    them not at all, while the customer's own value moves."""
    model = GridValueModel("equipment_services", seed=5, overrides=SMALL)
    service = next(s for s in model.market.services if s.name == name)
    who = np.flatnonzero(service.eligible())
    before = (service.contract_value_estimate(who), service.acceptance_estimate(who))
    own = service.customer_value(who)
    service.served_share[:] = np.random.default_rng(0).permutation(service.served_share)
    np.testing.assert_array_equal(service.contract_value_estimate(who), before[0])
    np.testing.assert_array_equal(service.acceptance_estimate(who), before[1])
    assert not np.allclose(service.customer_value(who), own)
