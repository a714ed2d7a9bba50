"""Option C measurement bias per world and baseline model (issue #16's M&V gap).

A year of the model's own loads; a random half of the enterprises save 10 % from the first
day (a known saving); each month the platform's Option C measures every enterprise against
its baseline fitted on the 12 months of bills before the start. Prints, per world and
baseline, the mean and sd (over seeds) of the mean measured-minus-true error, percentage
points of the baseline.

    .venv/bin/python benchmarks/mv_bias.py [SEEDS] [WORLDS]
"""

import datetime
import sys

import numpy as np

from gridvalue.simulation.model import GridValueModel


def errors(world: str, baseline: str, seed: int, saving: float = 0.10) -> np.ndarray:
    model = GridValueModel("baseline", seed=seed, overrides={
        "population.households": 50, "population.enterprises": 400,
        "population.microgrids": 0, "meta.days": 365, "data_platform.world": world,
        "data_platform.mv_baseline": baseline,
        "data_platform.history": "always"})  # no service reads the platform in the baseline
    c = model.customers
    ent = np.flatnonzero(c["customer_type"] == 1)
    savers = np.isin(ent, ent[np.random.default_rng(seed).random(len(ent)) < 0.5])
    c["load_scale"][ent[savers]] *= 1.0 - saving
    m = model.platform.measurement
    for day in range(model.days):
        model.step()
        tomorrow = model.dates[day] + datetime.timedelta(days=1)
        if tomorrow.day == 1 or day == model.days - 1:
            true = np.where(savers, c["month_demand_kwh"][ent] * saving / (1 - saving), 0.0)
            m.measure(ent, true)
    return m.error_shares()


def main() -> None:
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
    worlds = (sys.argv[2].split(",") if len(sys.argv) > 2
              else ["always_on", "operating_hours", "weather_sensitive", "mixed"])
    print("| world | baseline | mean error (pp) | sd over seeds | sd per contract-month (pp) |")
    print("|---|---|---:|---:|---:|")
    for world in worlds:
        for baseline in ("degree_day", "change_point"):
            runs = [errors(world, baseline, 42 + s) for s in seeds]
            means = np.array([100 * e.mean() for e in runs])
            spread = np.mean([100 * e.std() for e in runs])
            print(f"| {world} | {baseline} | {means.mean():+.2f} | {means.std(ddof=1):.2f} "
                  f"| {spread:.2f} |", flush=True)


if __name__ == "__main__":
    main()
