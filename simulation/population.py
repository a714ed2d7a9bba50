"""Drawing the customers: households, enterprises and microgrids, from named seeded streams.

Each function returns the columns of one type table (a dict of arrays); `customer_columns`
then builds the shared electrical columns of all customers in one index space, ordered
households, enterprises, microgrids.
"""

import numpy as np

from gridvalue.simulation.profiles import CLASS_INDEX, MICROGRID_CLASS
from gridvalue.simulation.rng import Streams

HOUSEHOLD, ENTERPRISE, MICROGRID = 0, 1, 2
TYPE_NAMES = ("household", "enterprise", "microgrid")
SECTORS = ("industrial", "commercial", "agricultural")
SIZE_CLASS_LIMITS_KWH = (100_000.0, 1_000_000.0)  # small | medium | large, assumption
SIZE_CLASSES = ("small", "medium", "large")


def _beta_with_mean(rng: np.random.Generator, mean: float, concentration: float,
                    n: int) -> np.ndarray:
    """Beta draws with the given mean (0 and 1 are degenerate means, returned as constants)."""
    if mean <= 0.0 or mean >= 1.0:
        return np.full(n, float(np.clip(mean, 0.0, 1.0)))
    return rng.beta(mean * concentration, (1.0 - mean) * concentration, n)


def _lognormal_with_mean(rng: np.random.Generator, mean: float, sigma: float,
                         n: int) -> np.ndarray:
    return mean * np.exp(sigma * rng.standard_normal(n) - 0.5 * sigma**2)


def exact_counts(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Split n by shares with the largest-remainder method (counts sum to n exactly)."""
    names = list(shares)
    raw = np.array([shares[k] * n for k in names])
    counts = np.floor(raw).astype(int)
    for i in np.argsort(-(raw - counts), kind="stable")[: n - counts.sum()]:
        counts[i] += 1
    return dict(zip(names, counts.tolist(), strict=True))


def _choose_class(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    names = list(shares)
    probs = np.array([shares[k] for k in names])
    picks = rng.choice(len(names), size=n, p=probs / probs.sum())
    return np.array([CLASS_INDEX[names[i]] for i in picks], dtype=np.int16).reshape(n)


def draw_households(scenario, streams: Streams) -> dict[str, np.ndarray]:
    p = scenario.population
    n = p.households
    rng = streams["households"]
    size = np.minimum(1 + rng.poisson(p.household_size_mean - 1.0, n), 10).astype(np.int8)
    income_pc = p.income_per_capita_median * np.exp(p.income_sigma * rng.standard_normal(n))
    log_kwh = (np.log(p.household_kwh_median)
               + p.household_kwh_size_elasticity * np.log(size / p.household_size_mean)
               + p.household_kwh_income_elasticity * np.log(income_pc / p.income_per_capita_median)
               + p.household_kwh_sigma * rng.standard_normal(n))
    roof = p.household_roof_kwp_median * np.exp(0.5 * rng.standard_normal(n))
    has_pv = rng.random(n) < p.household_pv_share
    return {
        "size_persons": size,
        "income_per_year": income_pc * size,
        "annual_kwh": np.exp(log_kwh),
        "roof_kwp": roof,
        "pv_kwp": np.where(has_pv, roof * p.existing_pv_roof_use_share, 0.0),
        "default_hazard_per_year": _beta_with_mean(
            rng, p.household_default_hazard_mean, p.default_hazard_concentration, n),
        "flexibility_share": _beta_with_mean(rng, p.household_flexibility_mean, 10.0, n),
        "discount_rate_per_year": _lognormal_with_mean(rng, p.household_discount_rate_mean,
                                                       0.5, n),
        "profile_class": np.full(n, CLASS_INDEX[scenario.profiles.household_profile], np.int16),
        "efficiency_potential_share": _beta_with_mean(
            rng, p.household_efficiency_potential_mean, 10.0, n),
    }


def draw_enterprises(scenario, streams: Streams) -> dict[str, np.ndarray]:
    p, prof = scenario.population, scenario.profiles
    n = p.enterprises
    rng = streams["enterprises"]
    counts = exact_counts(n, {s: getattr(p.sector_shares, s) for s in SECTORS})
    sector = rng.permutation(np.repeat(np.arange(3, dtype=np.int8), list(counts.values())))
    median_kwh = np.array([p.industrial_kwh_median, p.commercial_kwh_median,
                           p.agricultural_kwh_median])[sector]
    annual_kwh = median_kwh * np.exp(p.enterprise_kwh_sigma * rng.standard_normal(n))
    profile = np.empty(n, np.int16)
    for code, mix in enumerate((prof.industrial, prof.commercial, prof.agricultural)):
        rows = np.flatnonzero(sector == code)
        shares = {k: getattr(mix, k) for k in mix.__dataclass_fields__}
        profile[rows] = _choose_class(rng, shares, len(rows))
    roof = annual_kwh / 1000.0 * p.enterprise_roof_kwp_per_mwh * np.exp(
        0.4 * rng.standard_normal(n))
    has_pv = rng.random(n) < p.enterprise_pv_share
    flex_mean = np.array([p.industrial_flexibility_mean, p.commercial_flexibility_mean,
                          p.agricultural_flexibility_mean])
    flexibility = np.empty(n)
    for code in range(3):
        rows = np.flatnonzero(sector == code)
        flexibility[rows] = _beta_with_mean(rng, flex_mean[code], 10.0, len(rows))
    return {
        "sector": sector,
        "size_class": np.searchsorted(SIZE_CLASS_LIMITS_KWH, annual_kwh).astype(np.int8),
        "annual_kwh": annual_kwh,
        "roof_kwp": roof,
        "pv_kwp": np.where(has_pv, roof * p.existing_pv_roof_use_share, 0.0),
        "default_hazard_per_year": _beta_with_mean(
            rng, p.enterprise_default_hazard_mean, p.default_hazard_concentration, n),
        "flexibility_share": flexibility,
        "discount_rate_per_year": _lognormal_with_mean(rng, p.enterprise_discount_rate_mean,
                                                       0.5, n),
        "profile_class": profile,
        "efficiency_potential_share": _beta_with_mean(
            rng, p.enterprise_efficiency_potential_mean, 10.0, n),
    }


def draw_microgrids(scenario, streams: Streams,
                    flh_microgrid_h: float) -> dict[str, np.ndarray]:
    p = scenario.population
    n = p.microgrids
    rng = streams["microgrids"]
    members = 1 + rng.poisson(p.microgrid_members_mean - 1.0, n)
    annual_kwh = p.microgrid_kwh_median * np.exp(0.5 * rng.standard_normal(n))
    expected_peak_kw = annual_kwh / flh_microgrid_h
    battery_kw = p.microgrid_battery_power_share * expected_peak_kw
    return {
        "members": members.astype(np.int32),
        "annual_kwh": annual_kwh,
        "pv_kwp": annual_kwh / 1000.0 * p.microgrid_pv_kwp_per_mwh,
        "battery_power_kw": battery_kw,
        "battery_energy_kwh": battery_kw * p.microgrid_battery_hours,
        "default_hazard_per_year": _beta_with_mean(
            rng, p.enterprise_default_hazard_mean, p.default_hazard_concentration, n),
        "discount_rate_per_year": _lognormal_with_mean(rng, p.enterprise_discount_rate_mean,
                                                       0.5, n),
        "profile_class": np.full(n, CLASS_INDEX[MICROGRID_CLASS], np.int16),
        "efficiency_potential_share": np.zeros(n),
    }


# Columns every type draws that live in the shared customer table (moved out of type tables).
SHARED_COLUMNS = ("annual_kwh", "pv_kwp", "profile_class", "default_hazard_per_year",
                  "discount_rate_per_year", "efficiency_potential_share")

# Running totals per customer kept in the customer table (reset monthly where "month_").
ACCUMULATORS = ("import_kwh", "export_kwh", "bill", "peak_kw", "service_paid",
                "service_received", "service_saved_kwh", "month_demand_kwh", "month_bill")


def connected_kw(scenario, ctype: np.ndarray, annual_kwh: np.ndarray,
                 class_peak_kw_per_kwh: np.ndarray) -> np.ndarray:
    """Each customer's connected load, kW: households by their annual use with a floor (the
    design load of a home); enterprises and microgrids a headroom over their class shape's
    expected peak. A customer's load never exceeds it."""
    prof = scenario.profiles
    household = np.maximum(prof.household_connected_kw_min,
                           prof.household_connected_kw_per_mwh * annual_kwh / 1000.0)
    other = annual_kwh * class_peak_kw_per_kwh * prof.enterprise_connected_headroom
    return np.where(ctype == HOUSEHOLD, household, other)


def customer_columns(scenario, households: dict, enterprises: dict,
                     microgrids: dict, class_peak_kw_per_kwh: np.ndarray) -> dict[str, np.ndarray]:
    """The shared columns of every customer, households first, then enterprises, then
    microgrids (a customer's index in this table is its connection point). The shared
    columns are moved out of the type tables given. `class_peak_kw_per_kwh` (n_classes,)
    is each shape class's expected peak over a year, for connected loads."""
    prof, tariff = scenario.profiles, scenario.tariff
    n_h, n_e, n_m = (len(t["annual_kwh"]) for t in (households, enterprises, microgrids))
    ctype = np.repeat(np.array([HOUSEHOLD, ENTERPRISE, MICROGRID], np.int8), [n_h, n_e, n_m])
    sector = np.concatenate([np.full(n_h, -1, np.int8), enterprises["sector"],
                             np.full(n_m, -1, np.int8)])
    sector_price = np.array([tariff.industrial_price_per_kwh, tariff.commercial_price_per_kwh,
                             tariff.agricultural_price_per_kwh])
    price = np.concatenate([np.full(n_h, tariff.residential_price_per_kwh),
                            sector_price[enterprises["sector"]],
                            np.full(n_m, tariff.microgrid_price_per_kwh)])
    members = microgrids["members"]
    industrial = enterprises["sector"] == 0
    interval_sigma = np.concatenate([
        np.full(n_h, prof.household_interval_sigma),
        np.where(industrial, prof.industrial_interval_sigma, prof.enterprise_interval_sigma),
        prof.household_interval_sigma / np.sqrt(np.maximum(members, 1)),
    ])
    day_sigma = np.concatenate([
        np.full(n_h, prof.customer_day_sigma),
        np.where(industrial, prof.industrial_day_sigma, prof.customer_day_sigma),
        prof.customer_day_sigma / np.sqrt(np.maximum(members, 1)),
    ])
    n = n_h + n_e + n_m
    shared = {name: np.concatenate([t.pop(name) for t in (households, enterprises, microgrids)])
              for name in SHARED_COLUMNS}
    return shared | {
        "customer_type": ctype,
        "sector": sector,
        "type_row": np.concatenate([np.arange(n_h), np.arange(n_e), np.arange(n_m)]),
        "load_scale": np.ones(n),
        "interval_sigma": interval_sigma,
        "day_sigma": day_sigma,
        "connected_kw": connected_kw(scenario, ctype, shared["annual_kwh"],
                                     class_peak_kw_per_kwh[shared["profile_class"]]),
        "price_per_kwh": price,
        # set by services that install enabling technology (home energy management, smart
        # thermostats, batteries); raises a customer's price response
        "enabling_technology": np.zeros(n, dtype=bool),
    } | {name: np.zeros(n) for name in ACCUMULATORS}
