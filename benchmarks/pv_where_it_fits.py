"""PV offers where PV fits: the `pv_lease` what-if on a published LV grid, with and without
the company's hosting-capacity check (`grid_aware`), seed 42, one year, power flow on each
day's peak and minimum interval. Prints one markdown row per setting.

Usage: python benchmarks/pv_where_it_fits.py [NETWORK]   (default: kerber_dorfnetz)
Large roofs (20 kWp median, all of it used) and an eager town make the question bite here.
"""

import sys
import warnings

from gridvalue.experiments.runner import run_scenario

SETUP = {"population.households": 100, "population.enterprises": 0,
         "population.microgrids": 0, "population.household_roof_kwp_median": 20.0,
         "services.pv_lease.roof_use_share": 1.0, "services.pv_lease.contacts_per_month": 100,
         "services.pv_lease.innovation_p_per_year": 3.0,
         "network.power_flow": "peak_min"}


def main(network: str) -> None:
    print("| grid_aware | leases | max line loading | line/transformer-hours over limit | "
          "max voltage (pu) | losses (MWh) | company NPV incl. contracts (CNY) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for aware in (False, True):
        result = run_scenario("pv_investment", seed=42, overrides=SETUP | {
            "network.source": network, "services.pv_lease.grid_aware": aware,
            "services.pv_ppa.grid_aware": aware})
        s = result.summary
        print(f"| {str(aware).lower()} | {s['contracts']} | {s['max_line_loading']:.0%} | "
              f"{s['branch_hours_over_limit']:.0f} | {s['max_voltage_pu']:.4f} | "
              f"{s['losses_mwh']:.2f} | {s['company_npv_lifetime']:,.0f} |", flush=True)


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        main(sys.argv[1] if len(sys.argv) > 1 else "kerber_dorfnetz")
