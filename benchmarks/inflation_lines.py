"""What indexing upkeep and marketing to inflation does to the service lines' books: each
packaged service what-if over 3 years (seed 42) at `growth.inflation_per_year` = I (nominal
terms), printing per line its booked upkeep and marketing and its lifetime NPV (ledger NPV at
the nominal rate + expected value after the horizon). Run it on two code versions to compare.

Usage: python benchmarks/inflation_lines.py [INFLATION]   (default 0.02)
"""

import sys

from gridvalue.simulation.model import GridValueModel

SCENARIOS = ("ee_shared_savings", "pv_investment", "equipment_services", "microgrid_services")


def main(inflation: float) -> None:
    print(f"{'scenario':<20}{'line':<30}{'upkeep (CNY)':>14}{'marketing (CNY)':>16}"
          f"{'line NPV life (CNY)':>21}")
    for name in SCENARIOS:
        model = GridValueModel(name, seed=42, overrides={
            "meta.years": 3, "growth.inflation_per_year": inflation}).run()
        ledger, rate = model.company.ledger, model.scenario.company.discount_rate_per_year
        remaining = model.market.remaining_value()
        frame = ledger.to_frame()
        for service in model.market.services:
            line = frame[frame["service_line"] == service.name].groupby("item")["amount"].sum()
            npv = ledger.npv(rate, service.name) + remaining[service.name]
            print(f"{name:<20}{service.name:<30}{-line.get('opex', 0.0):>14,.0f}"
                  f"{-line.get('marketing', 0.0):>16,.0f}{npv:>21,.0f}", flush=True)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 0.02)
