"""Measurement and verification of savings, as performance contracts measure them: IPMVP
Option C (whole-facility), a baseline model of the pre-period fitted on weather and
calendar and applied to the post-period.

Baseline model (per customer, ordinary least squares, no intercept):
    kWh_m = a * calendar_m + b * degree_days_m
where calendar_m is the customer's standard-profile energy per annual kWh in period m (the
calendar: days, weekdays, season of the published profile) and degree_days_m the heating
plus cooling degree-days of the period. As in CalTRACK, the weather term is kept only where
it is significant (t >= 2) and positive; otherwise the calendar-only model is used. The
measured saving of a post-period is the baseline's prediction minus the metered energy;
what it misses (noise, weather the degree-days do not capture, other changes at the site)
is the company's measurement risk.

This module is the company's side: it reads bills, meters, the published profiles and the
temperature, never the hidden truth. The true saving is passed in only to record the
measurement error of each contract-month for the report.

Change-point baseline (`data_platform.mv_baseline = "change_point"`, the default): the
balance points are not assumed but fitted from each customer's bills, as ASHRAE Guideline
14 and CalTRACK's billing methods do (eemeter's `caltrack_billing`):
    kWh_m = a * calendar_m + h * HDD_m(t_h) + c * CDD_m(t_c)
where calendar_m is the standard profile's energy of the period without any weather (the
published profile), HDD_m(t) = sum over the period's days of max(t - T_day, 0) and
CDD_m(t) = sum of max(T_day - t, 0) on the daily mean temperature. Candidates: calendar
only, cooling only, heating only, heating and cooling, each over a grid of balance points
(t_h <= t_c); a weather term must be positive with t >= 2; the candidate with the smallest
residual variance SSE / (M - k) (the largest adjusted R^2, CalTRACK's selection rule) wins.
The older model (`"degree_day"`) keeps a fixed base of 18.3 degC and the profile shapes of
the period's weather as calendar.
"""

import numpy as np

from gridvalue.simulation.profiles import load_shapes
from gridvalue.simulation.worlds import degree_days

MIN_T_WEATHER = 2.0  # t-statistic the weather term needs to stay in the model
# Balance points searched, degC of daily mean temperature (CalTRACK searches 30-90 degF,
# -1 to 32 degC, for billing data; this grid covers the places packaged here).
BALANCE_POINTS_C = np.arange(4.0, 30.5, 1.0)


def fit_baseline(kwh: np.ndarray, calendar: np.ndarray, dd: np.ndarray) -> np.ndarray:
    """(n, 2) coefficients (a, b) of kWh = a calendar + b dd, per row of `kwh` (n, M), with
    `calendar` (n, M) and `dd` (M,) or (n, M); b = 0 where the weather term is not
    significant or not positive."""
    kwh, calendar = np.asarray(kwh, float), np.asarray(calendar, float)
    dd = np.broadcast_to(np.asarray(dd, float), kwh.shape)
    m = kwh.shape[1]
    scc, sdd, scd = (calendar**2).sum(1), (dd**2).sum(1), (calendar * dd).sum(1)
    scy, sdy = (calendar * kwh).sum(1), (dd * kwh).sum(1)
    det = scc * sdd - scd**2
    ok = det > 1e-12 * np.maximum(scc * sdd, 1e-300)
    safe = np.where(ok, det, 1.0)
    a = np.where(ok, (scy * sdd - sdy * scd) / safe, 0.0)
    b = np.where(ok, (sdy * scc - scy * scd) / safe, 0.0)
    resid = kwh - a[:, None] * calendar - b[:, None] * dd
    sigma2 = (resid**2).sum(1) / max(m - 2, 1)
    se_b = np.sqrt(np.maximum(sigma2 * scc / safe, 0.0))
    weather = ok & (b > 0) & (b >= MIN_T_WEATHER * se_b)
    a_cal = scy / np.maximum(scc, 1e-300)
    return np.column_stack([np.where(weather, a, a_cal), np.where(weather, b, 0.0)])


def predict_baseline(coef: np.ndarray, calendar: np.ndarray, dd) -> np.ndarray:
    """The baseline's energy for periods with these calendar and degree-day regressors."""
    return coef[:, 0] * calendar + coef[:, 1] * dd


def period_degree_days(temperature_c: np.ndarray, period: np.ndarray, periods: int,
                       balance_c: np.ndarray = BALANCE_POINTS_C) -> tuple:
    """(B, periods) heating and cooling degree-days of each period at each balance point,
    from daily mean temperatures and each day's period index."""
    t = np.asarray(temperature_c, float)
    hdd = np.maximum(balance_c[:, None] - t[None, :], 0.0)
    cdd = np.maximum(t[None, :] - balance_c[:, None], 0.0)
    out_h, out_c = np.zeros((len(balance_c), periods)), np.zeros((len(balance_c), periods))
    for b in range(len(balance_c)):
        out_h[b] = np.bincount(period, weights=hdd[b], minlength=periods)
        out_c[b] = np.bincount(period, weights=cdd[b], minlength=periods)
    return out_h, out_c


def _ols(y: np.ndarray, x: np.ndarray) -> tuple:
    """Batched least squares without intercept: y (n, M), x (n, M, k) -> (beta (n, k),
    t-statistics (n, k), residual variance SSE / (M - k) (n,)); singular rows get beta 0."""
    n, m, k = x.shape
    xtx = np.einsum("nmi,nmj->nij", x, x)
    xty = np.einsum("nmi,nm->ni", x, y)
    scale = np.maximum(np.trace(xtx, axis1=1, axis2=2), 1e-300)
    ridge = 1e-10 * scale[:, None, None] * np.eye(k)
    inv = np.linalg.inv(xtx + ridge)
    beta = np.einsum("nij,nj->ni", inv, xty)
    resid = y - np.einsum("nmi,ni->nm", x, beta)
    var = (resid**2).sum(1) / max(m - k, 1)
    se = np.sqrt(np.maximum(var[:, None] * np.diagonal(inv, axis1=1, axis2=2), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(se > 0, beta / se, 0.0)
    return beta, t, var


def fit_change_point(kwh: np.ndarray, calendar: np.ndarray, hdd: np.ndarray,
                     cdd: np.ndarray) -> np.ndarray:
    """(n, 5) change-point baselines per row of `kwh` (n, M): coefficients (a, h, c) and the
    indices of the heating and cooling balance points in the grid of `hdd`/`cdd` (B, M)
    (-1 where the term is not in the chosen model)."""
    kwh, calendar = np.asarray(kwh, float), np.asarray(calendar, float)
    n, m = kwh.shape
    B = hdd.shape[0]
    best_var = _ols(kwh, calendar[:, :, None])[2]  # calendar only
    best = np.column_stack([_ols(kwh, calendar[:, :, None])[0][:, 0], np.zeros((n, 2)),
                            -np.ones((n, 2))])

    def consider(regressors, heat, cool):
        nonlocal best_var
        x = np.stack([calendar] + [np.broadcast_to(r, (n, m)) for r in regressors], axis=2)
        beta, t, var = _ols(kwh, x)
        weather = beta[:, 1:]
        ok = ((weather > 0) & (t[:, 1:] >= MIN_T_WEATHER)).all(1) & (var < best_var)
        if not ok.any():
            return
        h = beta[:, 1] if heat is not None else np.zeros(n)
        c = beta[:, -1] if cool is not None else np.zeros(n)
        row = np.column_stack([beta[:, 0], h, c,
                               np.full(n, -1 if heat is None else heat),
                               np.full(n, -1 if cool is None else cool)])
        best[ok] = row[ok]
        best_var = np.where(ok, var, best_var)

    for b in range(B):
        consider([hdd[b]], b, None)
        consider([cdd[b]], None, b)
    for bh in range(B):
        for bc in range(bh, B):
            consider([hdd[bh], cdd[bc]], bh, bc)
    return best


def predict_change_point(fit: np.ndarray, calendar: np.ndarray, hdd: np.ndarray,
                         cdd: np.ndarray) -> np.ndarray:
    """The baseline's energy for one period: `calendar` (n,) and the period's degree-days at
    every balance point, `hdd`/`cdd` (B,)."""
    heat, cool = fit[:, 3].astype(int), fit[:, 4].astype(int)
    h = np.where(heat >= 0, hdd[np.maximum(heat, 0)], 0.0)
    c = np.where(cool >= 0, cdd[np.maximum(cool, 0)], 0.0)
    return fit[:, 0] * calendar + fit[:, 1] * h + fit[:, 2] * c


class OptionC:
    """The platform's M&V in a model: every customer's baseline fitted on its pre-period
    (the BILLING_MONTHS of bills before the start), and each month's measured saving of the
    contracts settled; savings and baselines accumulate per customer."""

    def __init__(self, model, obs):
        self.model = model
        self.kind = model.scenario.data_platform.mv_baseline
        n = len(obs.customer_type)
        if self.kind == "change_point":
            # fitted on first measurement, per customer (most customers are never measured)
            self._obs = obs
            self._bill_dd = period_degree_days(obs.bill_temperature_c, obs.bill_day_period,
                                               obs.monthly_kwh.shape[1])
            self.coef = np.zeros((n, 5))
            self._fitted = np.zeros(n, dtype=bool)
            meta = model.scenario.meta
            # the published profiles' daily energy over the horizon (no weather)
            self.base_daily = load_shapes(meta.start_date, model.days, meta.intervals_per_day,
                                          model.scenario.profiles.standard_profiles).sum(
                axis=2) * model.hours_per_interval
        else:
            calendar = obs.bill_class_kwh_per_kwh[obs.profile_class]
            self.coef = fit_baseline(obs.monthly_kwh, calendar, obs.bill_degree_days)
            # the temperature of the horizon, as a weather station records it
            self.degree_days = degree_days(model.temperature_c)
        self.saved_kwh = np.zeros(n)  # measured, accumulated over contract-months
        self.baseline_kwh = np.zeros(n)
        self.months = np.zeros(n, dtype=np.int64)
        self.errors: list[np.ndarray] = []  # (measured - true) / baseline, per contract-month

    def _fit(self, customers: np.ndarray) -> None:
        """Change-point baselines of these customers, on their pre-period bills (once)."""
        new = np.unique(customers[~self._fitted[customers]])
        if len(new) == 0:
            return
        obs = self._obs
        calendar = obs.bill_base_kwh_per_kwh[obs.profile_class[new]]
        self.coef[new] = fit_change_point(obs.monthly_kwh[new], calendar, *self._bill_dd)
        self._fitted[new] = True

    def _period(self) -> np.ndarray:
        """Days of the horizon in the current calendar month, up to today."""
        model = self.model
        day = model.steps - 1
        today = model.dates[day]
        first = day - (today.day - 1)
        return np.arange(max(first, 0), day + 1)

    def measure(self, customers: np.ndarray, true_saved_kwh: np.ndarray) -> tuple:
        """This month's measured saving (kWh) and baseline (kWh) of these customers, from
        their metered demand; records them and the error against `true_saved_kwh`."""
        model, days = self.model, self._period()
        c = model.customers
        klass = c["profile_class"][customers]
        if self.kind == "change_point":
            self._fit(customers)
            hdd, cdd = period_degree_days(model.temperature_c[days],
                                          np.zeros(len(days), dtype=np.int64), 1)
            baseline = predict_change_point(self.coef[customers],
                                            self.base_daily[:, days].sum(axis=1)[klass],
                                            hdd[:, 0], cdd[:, 0])
        else:
            shapes = model.loads.shapes_kw_per_kwh[:, days, :].sum(axis=(1, 2)) \
                * model.hours_per_interval
            baseline = predict_baseline(self.coef[customers], shapes[klass],
                                        self.degree_days[days].sum())
        measured = baseline - c["month_demand_kwh"][customers]
        np.add.at(self.saved_kwh, customers, measured)
        np.add.at(self.baseline_kwh, customers, baseline)
        np.add.at(self.months, customers, 1)
        self.errors.append((measured - true_saved_kwh) / np.maximum(baseline, 1e-9))
        return measured, baseline

    def error_shares(self) -> np.ndarray:
        """Measured minus true saving over the baseline, every contract-month so far."""
        return np.concatenate(self.errors) if self.errors else np.zeros(0)
