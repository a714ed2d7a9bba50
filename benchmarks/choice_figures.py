"""The figures of docs/choice.md besides price response (benchmarks/price_response.py): what
the slow tests of tests/test_choice.py and tests/test_calibrate.py check, printed with the
numbers behind them. Each part is the test's own set-up (same seeds, sizes and horizons).

Usage: python benchmarks/choice_figures.py [PART ...]
  parts: substitution ceilings trust churn calibrate competitor (default: all)
"""

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from gridvalue.simulation.contracts import DEFAULTED, TERMINATED
from gridvalue.simulation.market import _curve
from gridvalue.simulation.model import GridValueModel

SMALL = {"population.households": 1000, "population.enterprises": 120,
         "population.microgrids": 2}
TWO_YEARS = {**SMALL, "meta.days": 730}


def contracts(model, name: str) -> int:
    return len(next(s for s in model.market.services if s.name == name).contracts)


def substitution() -> None:
    alone = GridValueModel("pv_investment", seed=0, overrides=TWO_YEARS).run()
    both = GridValueModel("pv_investment", seed=0, overrides={
        **TWO_YEARS, "services.pv_ppa.segments": ["household", "industrial", "commercial",
                                                   "agricultural"]}).run()
    print(f"ppa beside lease (seed 0, 2 years): leases {contracts(alone, 'pv_lease')} -> "
          f"{contracts(both, 'pv_lease')}, ppa {contracts(alone, 'pv_ppa')} -> "
          f"{contracts(both, 'pv_ppa')}")
    for rate in (0.08, 0.0):
        model = GridValueModel("pv_investment", seed=0, overrides={
            **TWO_YEARS, "choice.self_finance_rate_household_per_year": rate}).run()
        own = model.market.self_financed["pv"] & (model.customers["customer_type"] == 0)
        print(f"household loan rate {rate:.2f}: {int(own.sum())} self-financed, "
              f"{contracts(model, 'pv_lease')} leases")


def competitor() -> None:
    base = dict(TWO_YEARS)
    alone = GridValueModel("pv_investment", seed=0, overrides=base).run()
    rival = GridValueModel("pv_investment", seed=0, overrides={
        **base, "competitors.solar_co.offer": "pv_lease",
        "competitors.solar_co.awareness_per_year": 2.0,
        "competitors.solar_co.terms.segments": ["household"],
        "competitors.solar_co.terms.lease_per_kwp_month": 25.0}).run()
    books = rival.market.competitor_books
    book = books.rivals[0].contracts
    print(f"competitor lease at 25 (seed 0, 2 years): it signs {len(book)} "
          f"({int(rival.market.competitor_adopted[0].sum())} adopted), company leases "
          f"{contracts(alone, 'pv_lease')} -> {contracts(rival, 'pv_lease')}; its revenue "
          f"{books.ledger.total(item='revenue'):,.0f} CNY, capex "
          f"{-books.ledger.total(item='capex'):,.0f} CNY, opex "
          f"{-books.ledger.total(item='opex'):,.0f} CNY, defaults "
          f"{int((book['status'] == DEFAULTED).sum())}; its customers' bill saving "
          f"{books.bill_saving[0].sum():,.0f} CNY")


def ceilings() -> None:
    small = {"population.households": 300, "population.enterprises": 80,
             "population.microgrids": 3, "meta.days": 3650}
    for scenario in ("pv_investment", "ee_shared_savings", "equipment_services",
                     "microgrid_services"):
        model = GridValueModel(scenario, seed=0, overrides=small).run()
        for k, service in enumerate(model.market.services):
            cap = getattr(model.scenario.choice, f"max_share_{_curve(service.family)}")
            eligible = int(service.eligible().sum())
            held = int(model.market.adopted[k].sum())
            print(f"10 years {scenario}/{service.name}: {held} of {eligible} eligible "
                  f"({held / max(eligible, 1):.2f}; ceiling {cap})", flush=True)


def trust() -> None:
    runs = []
    for shock in (False, True):
        model = GridValueModel("pv_investment", seed=4, overrides=TWO_YEARS)
        service = next(s for s in model.market.services if s.name == "pv_lease")
        feeder = model.topology.customer_feeder
        for _ in range(181):
            model.step()
        before = len(service.contracts)
        rows = service.contracts.active()
        hit = np.bincount(feeder[service.contracts["customer"][rows]]).argmax()
        if shock:
            rows = rows[feeder[service.contracts["customer"][rows]] == hit]
            service.contracts["status"][rows] = DEFAULTED
            service.on_default(rows)
        while model.running:
            model.step()
        later = service.contracts["customer"][before:]
        runs.append(((feeder[later] == hit).sum(), (feeder[later] != hit).sum(), len(rows)))
    (calm_here, calm_else, _), (hit_here, hit_else, n) = runs
    print(f"trust (seed 4): {n} leases on the feeder default after 6 months; later leases "
          f"there {calm_here} -> {hit_here}, elsewhere {calm_else} -> {hit_else}")


def churn() -> None:
    model = GridValueModel("price_packages", seed=0, overrides={
        "population.households": 2000, "population.enterprises": 20, "meta.days": 273,
        "services.price_packages.packages": ["tou"]})
    service = next(s for s in model.market.services if s.name == "price_packages")
    at_risk = left = safe_left = 0
    while model.running:
        day = model.steps
        if day > 0 and model.dates[day].day == 1:
            rows = service.contracts.active()
            more = service.costs_more_than_without(rows)
            model.step()
            gone = service.contracts["status"][rows] == TERMINATED
            at_risk += more.sum()
            left += (gone & more).sum()
            safe_left += (gone & ~more).sum()
        else:
            model.step()
    se = np.sqrt(0.2 * 0.8 / at_risk)
    print(f"churn (seed 0, 9 months): {left} of {at_risk} customer-months costing more "
          f"left ({left / at_risk:.3f}, expected 0.2 +- {3 * se:.3f} at 3 s.e.); "
          f"{safe_left} of those it saves left")


def calibrate() -> None:
    model = GridValueModel("ee_shared_savings", seed=5, overrides={
        "population.households": 0, "population.enterprises": 3000,
        "population.microgrids": 0, "meta.days": 1826, "market.social_graph": "complete",
        "market.initial_awareness_share": 1.0, "choice.self_finance": False,
        "choice.max_share_efficiency": 0.6, "choice.scale_efficiency_bill_years": 1e-6,
        "choice.taste_sd_enterprise": 0.0,
        "services.shared_savings.innovation_p_per_year": 0.1,
        "services.shared_savings.imitation_q_per_year": 0.8}).run()
    uptake = model.market.uptake_frame().groupby("date")[["contracts_total", "eligible"]].sum()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "uptake.csv"
        uptake.reset_index().rename(columns={"contracts_total": "adopters"}).to_csv(
            path, index=False)
        out = subprocess.run([sys.executable, "-m", "gridvalue.experiments.cli", "calibrate",
                              str(path), "--out", str(Path(tmp) / "fit.toml")],
                             capture_output=True, text=True)
    print("calibrate (true p 0.1, q 0.8, ceiling 0.6):")
    print(out.stdout.rstrip() or out.stderr.rstrip())


PARTS = {"substitution": substitution, "competitor": competitor, "ceilings": ceilings,
         "trust": trust, "churn": churn, "calibrate": calibrate}

if __name__ == "__main__":
    for part in sys.argv[1:] or list(PARTS):
        PARTS[part]()
        sys.stdout.flush()
