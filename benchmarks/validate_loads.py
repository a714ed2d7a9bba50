"""Print the load validation figures quoted in the README: full-load hours per class, the
coincidence of households, when the peaks come, and transformer-hours over rating.

Usage: python benchmarks/validate_loads.py [SEED] [PLACE]   (default 3, the baseline's place)
"""

import sys

import numpy as np

from gridvalue.simulation import metrics
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD
from gridvalue.simulation.profiles import CLASS_INDEX, CLASSES, load_shapes

# Documented ranges of single-customer full-load hours (annual kWh / own peak kW).
RANGES_H = {
    "household": (1000, 1500, "SimBench H0-A 1,222 h; REFERENCES.md about 1,200 h"),
    "commercial": (1500, 4500, "assumption (BDEW g-profiles 3,300-5,500 h as shapes)"),
    "agricultural": (1000, 4500, "assumption"),
    "one_shift": (2000, 4000, "assumption"),
    "two_shift": (5000, 7000, "issue 14: two- and three-shift plants 5,000-7,000 h"),
    "three_shift": (5000, 7000, "issue 14: two- and three-shift plants 5,000-7,000 h"),
}


def year_of_loads(model: GridValueModel) -> np.ndarray:
    """(customers, days x T) gross demand of a year, before PV."""
    T = model.scenario.meta.intervals_per_day
    loads = np.empty((len(model.customers), model.days * T))
    for day in range(model.days):
        loads[:, day * T:(day + 1) * T] = model.loads.gross_kw(model.customers, day)
    return loads


def peak_when(model: GridValueModel, kw: np.ndarray) -> str:
    T = model.scenario.meta.intervals_per_day
    at = int(kw.argmax())
    return f"{model.dates[at // T].isoformat()} {at % T * 24 // T:02d} h"


def households_only(seed: int, overrides: dict) -> None:
    n = 1000
    model = GridValueModel("baseline", seed=seed, overrides=overrides | {
        "population.households": n, "population.enterprises": 0, "population.microgrids": 0,
        "population.household_pv_share": 0.0})
    loads = year_of_loads(model)
    single = [metrics.full_load_hours(row, 1.0) for row in loads]
    print(f"{n} households alone: single full-load hours median {np.median(single):.0f} h "
          f"(IQR {np.percentile(single, 25):.0f}-{np.percentile(single, 75):.0f}); "
          f"sum {metrics.full_load_hours(loads.sum(axis=0), 1.0):.0f} h")
    factors = [np.mean([metrics.coincidence_factor(loads[i:i + size])
                        for i in range(0, n, size)]) for size in (1, 3, 10, 30, 100, 1000)]
    print("coincidence factor, groups of 1 / 3 / 10 / 30 / 100 / 1,000: "
          + " / ".join(f"{f:.3f}" for f in factors))
    over = (loads > model.customers["connected_kw"][:, None] * (1 - 1e-12)).sum()
    print(f"household-hours at the connected-load cap: {over} of {loads.size}")


def town(seed: int, overrides: dict) -> None:
    model = GridValueModel("baseline", seed=seed, overrides=overrides)
    c = model.customers
    print(f"place {model.scenario.place.name}, seed {seed}, {len(c)} customers, "
          f"{model.scenario.profiles.standard_profiles}")
    loads = year_of_loads(model)
    flh = np.array([metrics.full_load_hours(row, 1.0) for row in loads])
    groups = {"household": c["customer_type"] == HOUSEHOLD}
    ent = c["customer_type"] == ENTERPRISE
    groups["commercial"] = ent & (c["sector"] == 1)
    groups["agricultural"] = ent & (c["sector"] == 2)
    for name in ("one_shift", "two_shift", "three_shift"):
        groups[name] = c["profile_class"] == CLASS_INDEX[name]
    print(f"{'class':<14} {'n':>5} {'median FLH':>11} {'IQR':>13}   documented range")
    for name, rows in groups.items():
        low, high, source = RANGES_H[name]
        f = flh[rows]
        print(f"{name:<14} {rows.sum():>5} {np.median(f):>9.0f} h "
              f"{np.percentile(f, 25):>6.0f}-{np.percentile(f, 75):<6.0f} "
              f"{low:,}-{high:,} h ({source})")
    for name in ("h0", "h0_dyn", "g0", "three_shift"):
        k = CLASS_INDEX[name]
        print(f"class shape {CLASSES[k]:<12} full-load hours: in the place's normal climate "
              f"{model.loads.class_full_load_hours[k]:.0f} h, base shape "
              f"{1 / load_shapes(model.dates[0], 365, 24)[k].max():.0f} h")
    print("peaks of gross demand (before PV):")
    for name, rows in (("system", slice(None)), ("households", groups["household"]),
                       ("commercial", groups["commercial"]),
                       ("industrial", ent & (c["sector"] == 0))):
        print(f"  {name:<11} {peak_when(model, loads[rows].sum(axis=0))}")
    model = GridValueModel("baseline", seed=seed, overrides=overrides).run()  # a fresh run
    topo = model.topology
    members = np.bincount(topo.customer_transformer, minlength=topo.n_transformers)
    over = model.transformer_intervals_over
    alone = members == 1
    util = model.transformer_peak_kw / topo.transformer_rating_kw
    print(f"run: system peak {peak_when(model, model.system_kw.ravel())}; transformers over "
          f"rating {int((over > 0).sum())} of {topo.n_transformers} ({(util > 1).mean():.1%}; "
          f"{int((over[alone] > 0).sum())} of {int(alone.sum())} single-customer), "
          f"transformer-hours over rating {int(over.sum())} ({int(over[alone].sum())} "
          f"single-customer); above 90 % of rating at the annual peak {(util > 0.9).mean():.1%}")


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    extra = {"place.name": sys.argv[2]} if len(sys.argv) > 2 else {}
    households_only(seed, extra)
    town(seed, extra)
