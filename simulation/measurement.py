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
"""

import numpy as np

from gridvalue.simulation.worlds import degree_days

MIN_T_WEATHER = 2.0  # t-statistic the weather term needs to stay in the model


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


class OptionC:
    """The platform's M&V in a model: every customer's baseline fitted on its pre-period
    (the BILLING_MONTHS of bills before the start), and each month's measured saving of the
    contracts settled; savings and baselines accumulate per customer."""

    def __init__(self, model, obs):
        self.model = model
        calendar = obs.bill_class_kwh_per_kwh[obs.profile_class]
        self.coef = fit_baseline(obs.monthly_kwh, calendar, obs.bill_degree_days)
        # the temperature of the horizon, as a weather station records it
        self.degree_days = degree_days(model.temperature_c)
        n = len(obs.customer_type)
        self.saved_kwh = np.zeros(n)  # measured, accumulated over contract-months
        self.baseline_kwh = np.zeros(n)
        self.months = np.zeros(n, dtype=np.int64)
        self.errors: list[np.ndarray] = []  # (measured - true) / baseline, per contract-month

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
        shapes = model.loads.shapes_kw_per_kwh[:, days, :].sum(axis=(1, 2)) \
            * model.hours_per_interval
        calendar = shapes[c["profile_class"][customers]]
        baseline = predict_baseline(self.coef[customers], calendar,
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
