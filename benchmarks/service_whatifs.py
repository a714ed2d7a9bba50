"""Each packaged service what-if against the baseline, same seed: uptake, load and money.

Usage: python benchmarks/service_whatifs.py [SEED]   (default: the scenarios' seed, 42)
"""

import sys

from gridvalue.simulation.model import GridValueModel

SCENARIOS = ("ee_shared_savings", "pv_investment", "equipment_services", "microgrid_services")
MIDDAY = [11, 12, 13]


def outcome(model: GridValueModel) -> dict:
    c, ledger = model.customers, model.company.ledger
    rate = model.scenario.company.discount_rate_per_year
    return {
        "peak_kw": float(model.system_kw.max()),
        "midday_kw": float(model.system_kw[:, MIDDAY].mean()),
        "energy_mwh": float(model.system_kw.sum() * model.hours_per_interval / 1000),
        "outlay": float((c["bill"] + c["service_paid"] - c["service_received"]).sum()),
        "npv_lifetime": ledger.npv(rate) + sum(model.market.remaining_value().values()),
    }


def main(seed: int | None) -> None:
    base = outcome(GridValueModel("baseline", seed=seed).run())
    print(f"{'scenario':<20}{'service':<30}{'contracts':>10}{'defaulted':>10}"
          f"{'line NPV life (CNY)':>21}")
    deltas = []
    for name in SCENARIOS:
        model = GridValueModel(name, seed=seed).run()
        rate = model.scenario.company.discount_rate_per_year
        remaining = model.market.remaining_value()
        for service in model.market.services:
            book = service.contracts
            npv = model.company.ledger.npv(rate, service.name) + remaining[service.name]
            print(f"{name:<20}{service.name:<30}{len(book):>10}"
                  f"{int((book['status'] == 2).sum()):>10}{npv:>21,.0f}")
        outside = model.market.outside_frame()
        for alternative, new in outside.groupby("alternative")["new"].sum().items():
            print(f"{name:<20}{'(' + alternative + ')':<30}{new:>10}")
        deltas.append((name, {k: v - base[k] for k, v in outcome(model).items()}))
    print(f"\nchange against the baseline (seed {seed if seed is not None else 42}):")
    print(f"{'scenario':<20}{'system peak kW':>15}{'midday kW':>11}{'energy MWh':>12}"
          f"{'customers pay CNY':>19}{'company NPV life CNY':>22}")
    for name, d in deltas:
        print(f"{name:<20}{d['peak_kw']:>15,.0f}{d['midday_kw']:>11,.0f}{d['energy_mwh']:>12,.0f}"
              f"{d['outlay']:>19,.0f}{d['npv_lifetime']:>22,.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
