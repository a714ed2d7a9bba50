"""Peaks and what a lower one is worth: peak KPIs of a run, and the capacity deferral value of
a policy run against its paired baseline (same seed, so the same network and customers).

Deferral counts only where a limit binds: on each transformer and feeder whose baseline
annual peak exceeds its rating, the relief is the peak reduction, up to the excess over the
rating (relief below the rating defers nothing); value = relief kW x cost per kW-year x years.
With power flow on (simulation/gridflow.py), each line whose baseline loading exceeds its
limit adds its relief the same way: the loading reduction, up to the excess, x its rating.
"""

import numpy as np

from gridvalue.simulation import metrics


def peak_kpis(model) -> dict[str, float]:
    """Peak and loading figures of a finished run."""
    topo, dt = model.topology, model.hours_per_interval
    feeder_over = model.feeder_peak_kw > topo.feeder_rating_kw[None, :]
    return {
        "system_peak_kw": float(model.system_kw.max()),
        "household_peak_kw": float(model.household_kw.max()),
        "max_feeder_peak_kw": float(model.feeder_peak_kw.max()),
        "max_transformer_utilisation": float(
            (model.transformer_peak_kw / topo.transformer_rating_kw).max()),
        "load_factor": metrics.load_factor(model.system_kw),
        "energy_kwh": float(model.system_kw.sum() * dt),
        "transformer_hours_over_rating": float(model.transformer_intervals_over.sum() * dt),
        "feeder_days_over_rating": float(feeder_over.sum()),
    }


def deferral_relief_kw(base_peak_kw: np.ndarray, other_peak_kw: np.ndarray,
                       rating_kw: np.ndarray) -> np.ndarray:
    """Per element: peak reduction that relieves a binding limit (0 where the baseline peak
    is within the rating), capped at the baseline's excess over the rating."""
    excess = np.maximum(base_peak_kw - rating_kw, 0.0)
    return np.clip(base_peak_kw - other_peak_kw, 0.0, excess)


def _same_network(base, other) -> None:
    a, b = base.topology, other.topology
    if not (np.array_equal(a.customer_transformer, b.customer_transformer)
            and np.array_equal(a.transformer_rating_kva, b.transformer_rating_kva)
            and np.array_equal(a.feeder_rating_kva, b.feeder_rating_kva)):
        raise ValueError("paired runs must share their network (same seed and network "
                         "and population parameters)")


def paired_peak_value(base, other) -> dict[str, float]:
    """Coincident-peak reduction and capacity deferral value of `other` against `base`."""
    _same_network(base, other)
    topo = base.topology
    tx = deferral_relief_kw(base.transformer_peak_kw, other.transformer_peak_kw,
                            topo.transformer_rating_kw)
    feeder = deferral_relief_kw(base.feeder_peak_kw.max(axis=0), other.feeder_peak_kw.max(axis=0),
                                topo.feeder_rating_kw)
    years = base.days / 365.0
    cost = base.scenario.company.deferral_cost_per_kw_year
    relief = float(tx.sum() + feeder.sum() + line_relief_kw(base, other))
    return {
        "peak_reduction_kw": float(base.system_kw.max() - other.system_kw.max()),
        "deferral_relief_kw": relief,
        "deferral_value": relief * cost * years,
    }


def line_relief_kw(base, other) -> float:
    """kW of relief on lines whose solved baseline loading exceeds the limit (0 without
    power flow in both runs)."""
    a, b = getattr(base, "gridflow", None), getattr(other, "gridflow", None)
    if a is None or b is None:
        return 0.0
    g, limit = a.grid, base.scenario.network.line_max_loading_share
    rating_kw = np.sqrt(3) * g.bus_kv[g.line_from] * g.line_max_a * base.topology.power_factor
    base_loading = np.nan_to_num(a.loading_max[:g.n_line])
    other_loading = np.nan_to_num(b.loading_max[:g.n_line])
    share = deferral_relief_kw(base_loading, other_loading, np.full(g.n_line, limit))
    return float((share * np.where(np.isfinite(rating_kw), rating_kw, 0.0)).sum())
