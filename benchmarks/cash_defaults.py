"""Cash-only defaults, measured (issue #13): the 3-year `credit_screening` run the issue
quoted (then: 32 defaults, a 3.07 M CNY default loss booked on top of 3.86 M CNY of capex),
and every credit-exposed service when every contract defaults at its first settlement
(hazard 1/yr; the town and offer of tests/test_books.py).

Usage: python benchmarks/cash_defaults.py [SEED]   (default: the scenario's seed, 42)
"""

import sys

from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.services import registry


def line_cash(model, name: str) -> dict:
    frame = model.company.ledger.to_frame()
    line = frame[frame["service_line"] == name]
    items = line.groupby("item")["amount"].sum()
    return {"capex": -items.get("capex", 0.0), "recoveries": items.get("recoveries", 0.0),
            "spent": -line.loc[line["amount"] < 0, "amount"].sum(),
            "cash": line["amount"].sum(), "writeoff": model.company.ledger.writeoff_total(name)}


def main(seed: int | None) -> None:
    model = GridValueModel("credit_screening", seed=seed).run()
    book = model.market.services[0].contracts
    m = line_cash(model, "shared_savings")
    print(f"credit_screening, 3 years, seed {model.scenario.meta.seed}: {len(book)} contracts, "
          f"{int((book['status'] == 2).sum())} defaulted; capex {m['capex']:,.0f} CNY, "
          f"recoveries {m['recoveries']:,.0f}, written off (writeoffs.parquet) "
          f"{m['writeoff']:,.0f}, line cash {m['cash']:,.0f}; 'default_losses' in the "
          f"ledger: {'default_losses' in set(model.company.ledger.to_frame()['item'])}")
    print("every contract defaults at its first settlement (hazard 1/yr, 62 days, seed 4):")
    print(f"{'service':<30}{'contracts':>10}{'capex':>14}{'spent':>14}{'recoveries':>12}"
          f"{'cash loss':>14}{'loss/capex':>11}")
    small = {"population.households": 150, "population.enterprises": 80,
             "population.microgrids": 3, "market.initial_awareness_share": 1.0,
             "population.enterprise_default_hazard_mean": 1.0,
             "population.household_default_hazard_mean": 1.0, "meta.days": 62}
    for name in sorted(n for n, cls in registry().items() if cls.credit_exposed):
        over = small | {f"services.{name}.innovation_p_per_year": 6.0,
                        f"services.{name}.contacts_per_month": 60}
        if name == "microgrid_energy_management":
            over["services.microgrid_energy_management.added_battery_share"] = 0.5
        model = GridValueModel("baseline", seed=4, overrides=over).run()
        n = len(model.market.services[0].contracts)
        m = line_cash(model, name)
        ratio = f"{-m['cash'] / m['capex']:.2f}" if m["capex"] > 0 else "-"
        print(f"{name:<30}{n:>10}{m['capex']:>14,.0f}{m['spent']:>14,.0f}"
              f"{m['recoveries']:>12,.0f}{-m['cash']:>14,.0f}{ratio:>11}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
