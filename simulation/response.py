"""Demand response to time-varying prices: PRISM-style substitution within the day, a daily
elasticity, capped by each customer's shiftable share.

For one customer-day with demand q_t and prices p_t (p̄: the load-weighted mean price):

1. substitution: q'_t ∝ q_t (p_t / p̄)^σ, rescaled to the day's energy — between any two
   intervals ln(q_a/q_b) moves by σ ln(p_a/p_b), PRISM's substitution elasticity;
2. the shift is capped: energy moved (the sum of increases) is at most the customer's
   `flexibility_share` of the day's energy (irrigation pumps: a lot; continuous industry:
   little), scaling the whole shift down where it binds — energy is conserved;
3. daily term: the day's energy scales by (p̄' / flat price)^ε, p̄' the mean price after the
   shift — the only change of daily energy.

σ and ε by customer type (households: PRISM −0.095 / −0.023, on CPP event days −0.097 /
−0.016; enterprises by sector after Jessoe & Rapson); enabling technology adds a boost to σ.
"""

import numpy as np

from gridvalue.simulation import kernels
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD
from gridvalue.simulation.prefetch import shared_rows
from gridvalue.simulation.prices import DayPrices, PriceRows


def respond(customer_kw: np.ndarray, rows: np.ndarray, prices: PriceRows,
            flat_price_per_kwh: np.ndarray, substitution: np.ndarray, daily: np.ndarray,
            flexibility_share: np.ndarray) -> np.ndarray:
    """Respond the demand of the customers at `rows` in place (customer_kw (n, T), C order)
    to their `prices` (len(rows) rows); the other arguments are per row of `rows`. Returns
    the daily energy factor of each row ((p̄'/flat)^ε: new energy / old energy).

    The substitution weights (p_t / p̄)^σ are rescaled to the day's energy, so any positive
    factor of a row's weights cancels: where a row's price is its flat price times its
    package's multipliers m_t (all positive, within `kernels.CANCEL_RATIO_FLOOR` of each
    other, so the floor on relative prices never binds), the weights are (m_t / max m)^σ,
    one power per (package, class, σ) instead of one per customer and interval (RTP: 24 a
    customer). Other rows take their own relative prices, as before. The shift and the daily
    term are compiled passes (simulation/kernels.py `shift_respond`, `scale_rows`) around
    NumPy's `np.power`; each row is computed alone, so many rows are shared with the worker
    thread, the same bits."""
    k = len(rows)
    rows = np.ascontiguousarray(rows)
    sigma = np.ascontiguousarray(np.broadcast_to(np.asarray(substitution, dtype=float), (k,)))
    flexibility = np.asarray(flexibility_share, dtype=float)
    flat = np.asarray(flat_price_per_kwh, dtype=float)
    daily = np.broadcast_to(np.asarray(daily, dtype=float), (k,))
    key, weights = substitution_weights(customer_kw, rows, prices, sigma)
    factor, parts = np.empty(k), prices.parts()

    def part(s: slice) -> None:
        ratio = np.empty(len(range(k)[s]))
        kernels.shift_respond(customer_kw, rows[s], *(x[s] for x in parts[:3]), parts[3],
                              key[s], weights, flexibility[s], flat[s], ratio)
        np.power(ratio, daily[s], out=factor[s])
        kernels.scale_rows(customer_kw, rows[s], factor[s])

    shared_rows(part, k)
    return factor


def substitution_weights(customer_kw: np.ndarray, rows: np.ndarray, prices: PriceRows,
                         sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's key into the (entries, T) substitution weights: (m_t / max m)^σ per
    (package, class, σ) where the level cancels (`kernels.substitution_keys`; an entry whose
    powers are not all positive and finite goes back to the rows), each remaining row's own
    max(p_t / p̄, 1e-12)^σ after them."""
    flat, package, klass, multipliers = prices.parts()
    key = np.empty(len(rows), dtype=np.int64)
    entry_package, entry_klass, entry_sigma = kernels.substitution_keys(
        flat, package, klass, multipliers, sigma, key)
    shape = multipliers[entry_package, entry_klass]
    table = np.power(shape / shape.max(axis=1, keepdims=True), entry_sigma[:, None])
    bad = ~((table > 0) & (table < np.inf)).all(axis=1)
    if bad.any():
        key[bad[np.maximum(key, 0)] & (key >= 0)] = -1
    own = np.flatnonzero(key < 0)
    if len(own) == 0:
        return key, table
    relative = np.empty((len(own), multipliers.shape[2]))
    kernels.relative_prices(customer_kw, rows[own], *prices.take(own).parts(), relative)
    np.power(relative, sigma[own][:, None], out=relative)
    key[own] = len(table) + np.arange(len(own))
    return key, np.concatenate([table, relative])


def shift_and_scale(load_kw: np.ndarray, price_per_kwh: np.ndarray, flat_price_per_kwh: np.ndarray,
                    substitution: np.ndarray, daily: np.ndarray,
                    flexibility_share: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Respond (rows, T) demand to (rows, T) prices; returns the new load and the daily
    energy factor of each row ((p̄'/flat)^ε: new energy / old energy)."""
    load = np.array(load_kw, dtype=float, order="C")  # a new array; load_kw is unchanged
    factor = respond(load, np.arange(len(load)), PriceRows.of_array(price_per_kwh),
                     flat_price_per_kwh, substitution, daily, flexibility_share)
    return load, factor


class DemandResponse:
    """Applies each day's response for the customers on time-varying prices."""

    def __init__(self, model):
        self.model = model
        self.params = model.scenario.response
        self.flexibility_share = model.type_column("flexibility_share")  # microgrids: 0
        self._kept: dict[bool, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def elasticities(self, rows: np.ndarray, event_day: bool) -> tuple[np.ndarray, np.ndarray]:
        """Substitution and daily elasticity of each customer row (every customer's kept
        until enabling technology changes: a day's gather instead of five passes)."""
        enabling = self.model.customers["enabling_technology"]
        kept = self._kept.get(bool(event_day))
        if kept is None or not np.array_equal(kept[0], enabling):
            kept = (enabling.copy(), *self._every_customers(event_day))
            self._kept[bool(event_day)] = kept
        return kept[1][rows], kept[2][rows]

    def _every_customers(self, event_day: bool) -> tuple[np.ndarray, np.ndarray]:
        """Substitution and daily elasticity of every customer."""
        p, c = self.params, self.model.customers
        ctype, sector = c["customer_type"], c["sector"]
        sector_sub = np.array([p.industrial_substitution_elasticity,
                               p.commercial_substitution_elasticity,
                               p.agricultural_substitution_elasticity])
        household_sub = (p.household_cpp_substitution_elasticity if event_day
                         else p.household_substitution_elasticity)
        household_daily = (p.household_cpp_daily_elasticity if event_day
                           else p.household_daily_elasticity)
        substitution = np.where(ctype == HOUSEHOLD, household_sub,
                                np.where(ctype == ENTERPRISE, sector_sub[np.maximum(sector, 0)],
                                         0.0))
        substitution = substitution + p.enabling_substitution_boost * c["enabling_technology"]
        daily = np.where(ctype == HOUSEHOLD, household_daily,
                         np.where(ctype == ENTERPRISE, p.enterprise_daily_elasticity, 0.0))
        return substitution, daily

    def apply(self, customer_kw: np.ndarray, prices: DayPrices) -> None:
        """Respond in place to the day's `prices`: customer_kw is every customer's demand of
        the day (n, T)."""
        rows = prices.rows
        if len(rows) == 0:
            return
        flexibility = self.flexibility_share[rows]
        substitution, daily = self.elasticities(rows, prices.is_event)
        if not customer_kw.flags.c_contiguous:
            raise ValueError("the day's demand must be a C-ordered (customers, T) array")
        respond(customer_kw, rows, prices.import_prices,
                prices.flat_price_per_kwh[rows], substitution, daily, flexibility)
