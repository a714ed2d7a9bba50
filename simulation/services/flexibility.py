"""The company as an aggregator: the `flexibility` service (Internet+).

The company contracts customers' devices and dispatches them as one fleet, within each
device's constraints: a household's EV (managed charging, simulation/ev.py: spread over the
cheapest part of its plug-in window, full by departure), its home battery from the
`home_battery` service (run against its transformer's load, simulation/home_battery.py) and
an enterprise's CCHP plant from the `cchp` service (run price-led against the company's
wholesale prices, whose peak hours are the system's). It pays participants per kW enrolled
each month (`payment = "per_kw"`, the fleet runs every day) or per kW for each event
(`"per_event"`). Per event, the company decides each morning whom to call (`plan_day`): it
forecasts the day's system load and each transformer's from its meters (the same weekday
over the last `storage.forecast_weeks` weeks, simulation/forecast.py) and calls a
participant when the day's forecast system peak reaches `event_peak_share` of the highest
metered daily peak of the last 365 days, the participant has had fewer than
`max_events_per_year` events this year of the run, and the expected value of the event beats
its payment:

    value per kW = capacity cost x P(the day's system peak passes the highest metered
                   daily peak of the last 365 days)
                 + deferral cost x P(its transformer's peak passes both its rating and its
                   highest metered kW)  >=  payment_per_kw_event,

each chance from the forecast and the spread of the company's own past forecast errors
(`peak_chance`). On the other days the devices are their owners'. Customers decide with the
shared choice rule on that payment (per event: `expected_events_per_year` of them, at most
the cap).

The line's books carry the payments and upkeep; what the fleet is worth to the company (the
capacity cost of the annual peak avoided, deferral where transformer and feeder limits bind,
and wholesale energy bought at cheaper hours) shows in the company's own lines and is
measured against a paired run without the service (experiments/internet_plus.py).
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from gridvalue.simulation.forecast import SameWeekdayForecast
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import param
from gridvalue.simulation.services.base import (
    MonthFlows,
    Service,
    ServiceParams,
    discount_factors,
    register,
)
from gridvalue.simulation.services.ev_charging import managed_elsewhere

A = "assumption"
DEVICE_SERVICES = ("home_battery", "cchp")
PRIOR_ERROR_SHARE = 0.1  # forecast error (sd / forecast peak) assumed before MIN_ERRORS days
MIN_ERRORS = 7  # days of forecast errors before the company uses its own spread
MIN_ERROR_SHARE = 0.01  # floor of the spread the company assumes


def peak_chance(forecast_kw: np.ndarray, reference_kw: np.ndarray,
                error_share: float) -> np.ndarray:
    """Chance the realised peak passes `reference_kw` when the forecast peak is
    `forecast_kw` and the relative forecast error is normal with sd `error_share`."""
    sd = np.maximum(error_share * np.abs(forecast_kw), 1e-9)
    return ndtr((forecast_kw - reference_kw) / sd)


@dataclass(frozen=True)
class FlexibilityParams(ServiceParams):
    payment_per_kw_month: float = param(
        3.0, "CNY/kW/month", A + " (capacity payments of demand-response aggregators)",
        "What the company pays a participant per kW it may dispatch", min=0, max=10_000)
    payment: str = param("per_kw", "-", "-", "How participants are paid: per kW enrolled each "
                         "month, or per kW for each event (a day the company calls the fleet)",
                         choices=("per_kw", "per_event"))
    payment_per_kw_event: float = param(
        1.0, "CNY/kW/event", A + " (event payments of demand-response programmes)",
        "What the company pays a participant per kW enrolled for each event "
        "(payment = per_event)", min=0, max=10_000)
    event_peak_share: float = param(
        0.9, "share", A, "A day is an event when its metered system peak reaches this share "
        "of the highest daily system peak so far (payment = per_event)", min=0, max=1)
    expected_events_per_year: float = param(
        20.0, "events/year", A, "Events a customer expects when it values a per-event offer, "
        "and the company when it values the contracts left after the horizon (at most "
        "max_events_per_year)", min=0, max=365)
    max_events_per_year: int = param(
        15, "events/participant/yr", "assumption (critical-peak and direct-load-control "
        "programmes cap event days at about 9-15 a year, recalled)",
        "Most events the company may call a participant for in a 365-day year of the run "
        "(payment = per_event)", min=0, max=365)
    opex_per_month: float = param(1.0, "CNY/participant/month", A,
                                  "Platform cost per participant", min=0, max=10_000)
    term_months: int = param(12, "months", A, "Enrolment term", min=1, max=360)
    contacts_per_month: int = param(200, "customers/month", A,
                                    "Device owners the company contacts each month", min=0,
                                    max=1_000_000)
    marketing_cost_per_contact: float = param(5.0, "CNY/contact", A,
                                              "Cost of one marketing contact", min=0,
                                              max=100_000)


@register
class Flexibility(Service):
    """Customers' EVs, batteries and CCHP plants, dispatched by the company as one fleet."""

    name = "flexibility"
    family = "internet_plus"
    Params = FlexibilityParams
    customer_types = (HOUSEHOLD, ENTERPRISE)
    exclusive_group = "flexibility"
    _today = 0  # the day last observed

    def __init__(self, params, model):
        super().__init__(params, model)
        self.event_log: list[tuple[int, np.ndarray]] = []  # per event: (day, customers called)
        self._system: SameWeekdayForecast | None = None  # metered system load
        self._transformers: SameWeekdayForecast | None = None  # metered transformer loads
        self._transformer_high = np.zeros(0)  # each transformer's highest metered kW so far
        self._forecast_peaks: dict[int, float] = {}  # day: forecast daily system peak, kW
        self._metered_days = 0
        self._year = -1

    def _devices(self) -> list:
        market = getattr(self.model, "market", None)
        services = market.services if market is not None else []
        return [s for s in services if s.name in DEVICE_SERVICES]

    def device_kw(self, customers: np.ndarray) -> np.ndarray:
        """kW each of these customers could enrol now: its EV charger, its home battery, its
        CCHP engine."""
        fleet = self.model.ev
        kw = np.zeros(len(customers))
        ev = customers < fleet.n
        owns = np.zeros(len(customers), dtype=bool)
        owns[ev] = fleet.owns[customers[ev]]
        kw += np.where(owns, self.model.scenario.ev.charger_kw, 0.0)
        for service in self._devices():
            kw += service.enrolled_kw(customers)
        return kw

    def eligible(self) -> np.ndarray:
        everyone = np.arange(len(self.model.customers))
        return super().eligible() & (self.device_kw(everyone) > 0)

    def monthly_payment_per_kw(self) -> float:
        """What a participant is paid, or expects, per kW enrolled a month (CNY/kW/month)."""
        p = self.params
        if p.payment == "per_event":
            events = min(p.expected_events_per_year, p.max_events_per_year)
            return p.payment_per_kw_event * events / 12.0
        return p.payment_per_kw_month

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        rate = self.model.customers["discount_rate_per_year"][customers]
        return (self.monthly_payment_per_kw() * self.device_kw(customers)
                * discount_factors(rate, self.params.term_months).sum(axis=1))

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        kw = self.device_kw(customers)
        self._hand_over(customers, True)
        events = ({"events_unpaid": np.zeros(len(customers)),
                   "events_this_year": np.zeros(len(customers))}
                  if self.params.payment == "per_event" else {})
        self.contracts.add(customers, day, self.params.term_months, np.zeros(len(customers)),
                           enrolled_kw=kw, **events)
        return np.zeros(len(customers))

    def _hand_over(self, customers: np.ndarray, company: bool) -> None:
        fleet = self.model.ev
        ev = customers[customers < fleet.n]
        kept = managed_elsewhere(self.model, ev, self.name)  # e.g. an ev_smart_charging contract
        fleet.managed[ev] = (company & fleet.owns[ev]) | kept
        for service in self._devices():
            service.hand_over(customers, company)

    # ---- per event: whom to call today ------------------------------------------------
    def plan_day(self, day: int, prices: DayPrices) -> None:
        """Per event: call the participants whose event is worth its payment today (within
        the yearly cap); hand the others' devices back to their owners for the day."""
        if self.params.payment != "per_event":
            return
        self._meter_system(day)
        book = self.contracts
        rows = book.active()
        if day // 365 != self._year:
            self._year = day // 365
            book["events_this_year"][:] = 0.0
        if len(rows) == 0:
            return
        called = self.to_call(day, rows)
        who = book["customer"][rows]
        self._hand_over(who[~called], False)
        self._hand_over(who[called], True)
        book["events_unpaid"][rows[called]] += 1
        book["events_this_year"][rows[called]] += 1
        if called.any():
            self.event_log.append((day, who[called].copy()))

    def to_call(self, day: int, rows: np.ndarray) -> np.ndarray:
        """Whether to call each of these active contracts today (see the module's rule)."""
        p, company = self.params, self.model.scenario.company
        book = self.contracts
        room = book["events_this_year"][rows] < p.max_events_per_year
        system = self._system.predict(day)
        transformers = self._transformers.predict(day)
        if system is None or transformers is None or not room.any():
            return np.zeros(len(rows), dtype=bool)
        forecast_peak = float(system.max())
        self._forecast_peaks[day] = forecast_peak
        metered = self.model.system_kw[max(day - 365, 0):day].max(axis=1)
        highest = float(metered.max()) if len(metered) else 0.0
        if forecast_peak < p.event_peak_share * highest:
            return np.zeros(len(rows), dtype=bool)
        error = self.forecast_error_share()
        p_system = float(peak_chance(np.array([forecast_peak]), np.array([highest]), error)[0])
        topo = self.model.topology
        tx = topo.customer_transformer[book["customer"][rows]]
        reference = np.maximum(topo.transformer_rating_kw, self._transformer_high)[tx]
        p_tx = peak_chance(transformers.max(axis=1)[tx], reference, error)
        value = (company.capacity_cost_per_kw_year * p_system
                 + company.deferral_cost_per_kw_year * p_tx)
        return room & (value >= p.payment_per_kw_event)

    def forecast_error_share(self) -> float:
        """Spread (sd) of the company's past daily system-peak forecast errors over the
        forecast peak; PRIOR_ERROR_SHARE until MIN_ERRORS days have been forecast."""
        days = [d for d in self._forecast_peaks if d < self._metered_days]
        if len(days) < MIN_ERRORS:
            return PRIOR_ERROR_SHARE
        forecast = np.array([self._forecast_peaks[d] for d in days])
        actual = self.model.system_kw[days].max(axis=1)
        return max(float(np.std((actual - forecast) / forecast)), MIN_ERROR_SHARE)

    def _meter_system(self, day: int) -> None:
        """Read yesterday's metered system and transformer loads into the forecasts."""
        if self._system is None:
            topo, T = self.model.topology, self.model.scenario.meta.intervals_per_day
            weeks = self.model.scenario.storage.forecast_weeks
            self._system = SameWeekdayForecast(1, T, weeks)
            self._transformers = SameWeekdayForecast(topo.n_transformers, T, weeks)
            self._transformer_high = np.zeros(topo.n_transformers)
        if day > 0:
            self._system.observe(day - 1, self.model.system_kw[day - 1][None, :])
            self._metered_days = day

    def observe_day(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        self._today = day
        if self.params.payment == "per_event" and self._transformers is not None:
            kw = self.model.topology.customer_to_transformer @ net_kw  # the transformers' meters
            self._transformers.observe(day, kw)
            np.maximum(self._transformer_high, kw.max(axis=1), out=self._transformer_high)

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        p, zero = self.params, np.zeros(len(rows))
        kw = self.contracts["enrolled_kw"][rows]
        if p.payment == "per_event":
            pay = p.payment_per_kw_event * kw * self.contracts["events_unpaid"][rows]
            self.contracts["events_unpaid"][rows] = 0.0
        else:
            pay = p.payment_per_kw_month * kw * month_share
        return MonthFlows(zero, pay, np.full(len(rows), p.opex_per_month * month_share), zero)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Payments and upkeep for the rest of the term (the fleet's value after the horizon
        is not counted)."""
        p, left = self.params, self.remaining_months(rows)
        months = int(max(left.max(initial=0), 1))
        monthly = (self.monthly_payment_per_kw() * self.contracts["enrolled_kw"][rows]
                   + p.opex_per_month)
        monthly = -self.inflated(-monthly[:, None], p.opex_per_month, months)
        k = np.arange(1, months + 1)[None, :]
        rate = self.model.scenario.company.discount_rate_per_year
        return -(monthly * (k <= left[:, None]) * (1.0 + rate) ** (-k / 12.0)).sum(axis=1)

    def _release(self, rows: np.ndarray) -> None:
        self._hand_over(self.contracts["customer"][rows], False)

    def on_end(self, rows: np.ndarray) -> None:
        self._release(rows)

    def on_default(self, rows: np.ndarray) -> None:
        self._release(rows)
