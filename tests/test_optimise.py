"""`gridvalue optimise`: Optuna over terms on common random numbers, re-evaluation, CIs,
Pareto front, resume, bad input."""

import json

import numpy as np
import pytest

from gridvalue.experiments.cli import main
from gridvalue.experiments.objectives import Constraint, Objective
from gridvalue.experiments.optimise import Search, Term, pareto_front, run_search
from gridvalue.simulation.scenario import load_scenario

# A small PV-lease town whose uptake answers the lease price (households only, 90 days).
PV = {"population.households": 200, "population.enterprises": 0, "population.microgrids": 0,
      "meta.days": 90, "services.pv_lease.innovation_p_per_year": 3.0,
      "services.pv_lease.contacts_per_month": 100}
PRICE = "services.pv_lease.lease_per_kwp_month"


class Counted:
    """A synthetic objective with seeded noise: f = -(x - 6.3)^2 + noise(seed); g = x."""

    def __init__(self):
        self.calls = 0

    def __call__(self, params, seed):
        self.calls += 1
        x = params["x"]
        noise = np.random.default_rng(seed).normal(0, 0.1)
        return {"f": -(x - 6.3) ** 2 + noise, "g": x}


def search(**kw):
    base = dict(scenario=load_scenario("baseline"), terms=(Term("x", float, 0.0, 10.0, 0.5),),
                objectives=(Objective("f"),), budget=16, replicates=2, final_replicates=4,
                top=3, seed=7)
    return Search(**(base | kw))


def test_finds_the_known_optimum_and_resumes_without_running_again(tmp_path):
    f = Counted()
    result = run_search(search(), tmp_path / "s", evaluate=f)
    best = result["best"]
    assert abs(best["params"]["x"] - 6.3) <= 0.5  # within one grid step of the optimum
    stats = best["final"]["f"]
    assert stats["n"] == 4 and stats["ci_low"] <= stats["mean"] <= stats["ci_high"]
    assert f.calls == result["runs_this_session"] <= 16 * 2 + 3 * 2
    again = Counted()
    resumed = run_search(search(), tmp_path / "s", evaluate=again)
    assert again.calls == 0 and resumed["best"] == best
    longer = run_search(search(budget=20), tmp_path / "s", evaluate=again)
    assert 0 < again.calls <= 4 * 2 + 3 * 2  # only the new trials and new re-runs
    first = [t["params"] for t in result["trials"]]
    assert len({p["x"] for p in first}) == 16  # the budget counts distinct points
    assert [t["params"] for t in longer["trials"][:len(first)]] == first


def test_a_constraint_keeps_the_best_feasible(tmp_path):
    result = run_search(search(constraints=(Constraint("g", False, 4.0),)), tmp_path / "c",
                        evaluate=Counted())
    assert result["best"]["params"]["x"] <= 4.0
    assert result["best"]["params"]["x"] >= 3.5  # the feasible optimum is at the bound


def test_two_objectives_give_the_pareto_front(tmp_path):
    result = run_search(search(objectives=(Objective("f"), Objective("g", maximise=False))),
                        tmp_path / "p", evaluate=Counted())
    front = result["pareto_front"]
    assert front
    # no trial beats a front point on both objectives; every trial off it is beaten
    points = result["trials"]
    for p in front:
        assert not any(q["means"]["f"] > p["means"]["f"] and q["means"]["g"] < p["means"]["g"]
                       for q in points)
    xs = sorted({p["params"]["x"] for p in front})
    assert max(xs) <= 6.3 + 0.5  # beyond the f optimum both objectives get worse
    assert pareto_front([{"means": {"f": 1.0, "g": 1.0}}, {"means": {"f": 0.0, "g": 2.0}}],
                        (Objective("f"), Objective("g", maximise=False))) == [
        {"means": {"f": 1.0, "g": 1.0}}]


@pytest.mark.slow
def test_pv_lease_price_matches_a_brute_force_grid_on_the_same_seeds(tmp_path):
    """The optimiser's lease price is within one grid step of the grid's best (one seed);
    its budget, 6 distinct prices, is below the grid's 9."""
    from gridvalue.experiments.compare import service_kpis
    from gridvalue.simulation.model import GridValueModel

    step, prices = 5.0, np.arange(30.0, 70.0 + 1e-9, 5.0)
    scenario = load_scenario("pv_investment", PV)
    grid = {}
    for price in prices:
        model = GridValueModel(load_scenario("pv_investment", PV | {PRICE: float(price)}),
                               seed=11).run()
        grid[price] = service_kpis(model)["pv_lease.npv_lifetime"]
    best_grid = max(grid, key=grid.get)
    result = run_search(Search(scenario, (Term(PRICE, float, 30.0, 70.0, step),),
                               (Objective("pv_lease.npv_lifetime"),), budget=6,
                               replicates=1, final_replicates=1, top=3, seed=11),
                        tmp_path / "pv")
    found = result["best"]["params"][PRICE]
    assert abs(found - best_grid) <= step, (found, grid)
    assert result["best"]["final"]["pv_lease.npv_lifetime"]["mean"] == pytest.approx(
        grid[found])  # the same seed gives the same figure as the grid's run


def gridvalue(capsys, *args):
    capsys.readouterr()
    code = main([str(a) for a in args])
    return code, capsys.readouterr()


def test_cli_runs_writes_result_and_resumes(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    small = {"population.households": 60, "population.enterprises": 0,
             "population.microgrids": 0, "meta.days": 31}
    sets = [a for k, v in small.items() for a in ("--set", f"{k}={v}")]
    args = ["optimise", "pv_investment", "--objective", "pv_lease.npv_lifetime",
            "--objective", "peak_reduction_kw", "--constraint", "pv_lease.contracts>=0",
            "--over", f"{PRICE}=20:60:10", "--budget", "3", "--replicates", "1",
            "--final-replicates", "2", "--top", "1", "--seed", "5", "--out", "o", *sets]
    code, out = gridvalue(capsys, *args, "--format", "json", "--quiet")
    assert code == 0, out.err
    doc = json.loads(out.out)
    assert json.loads((tmp_path / "o" / "result.json").read_text()) == doc
    prices = {t["params"][PRICE] for t in doc["trials"]}
    assert len(prices) == 3 and doc["pareto_front"]  # the budget: 3 distinct prices
    assert doc["best"]["final"]["pv_lease.npv_lifetime"]["n"] == 2
    assert doc["runs_this_session"] == 3 + 1  # distinct points, one more seed for the best
    code, out = gridvalue(capsys, *args, "--quiet")
    assert code == 0 and "best terms:" in out.out and "Pareto front" in out.out
    assert "runs" not in out.err


@pytest.mark.parametrize("args, message", [
    (["--objective", "profit"], "--objective: unknown KPI 'profit'"),
    (["--objective", "company_npv:up"], "--objective: expected KPI, KPI:max or KPI:min"),
    (["--constraint", "company_npv=>3"], "--constraint: expected KPI>=NUMBER"),
    (["--constraint", "nothing>=3"], "--constraint: unknown KPI 'nothing'"),
    (["--constraint", "company_npv>=1e999"], "--constraint: the bound must be finite"),
    (["--over", f"{PRICE}=60:20"], "low must be below high"),
    (["--over", f"{PRICE}=a:b"], "must be numbers"),
    (["--over", "services.pv_lease.colour=1:2"], "not a scenario parameter"),
    (["--over", f"{PRICE}=-5:20"], "must be at least 0"),
    (["--objective", "shared_savings.npv_lifetime"], "does not offer shared_savings"),
    (["--budget", "0"], "--budget: must be between 1"),
])
def test_bad_input_is_one_line_exit_2_nothing_written(tmp_path, capsys, monkeypatch, args,
                                                      message):
    monkeypatch.chdir(tmp_path)
    base = ["optimise", "pv_investment", "--out", "o"]
    defaults = {"--objective": "company_npv", "--over": f"{PRICE}=20:60"}
    for key, value in defaults.items():
        if key not in args:
            base += [key, value]
    code, out = gridvalue(capsys, *base, *args)
    assert code == 2, out.err
    assert out.err.count("\n") == 1 and message in out.err and "Traceback" not in out.err
    assert list(tmp_path.iterdir()) == []
