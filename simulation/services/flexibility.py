"""The company as an aggregator: the `flexibility` service (Internet+).

The company contracts customers' devices and dispatches them as one fleet, within each
device's constraints: a household's EV (managed charging, simulation/ev.py: spread over the
cheapest part of its plug-in window, full by departure), its home battery from the
`home_battery` service (run against its transformer's load, simulation/home_battery.py) and
an enterprise's CCHP plant from the `cchp` service (run price-led against the company's
wholesale prices, whose peak hours are the system's). It pays participants per kW enrolled
each month (`payment = "per_kw"`) or per kW for each event (`"per_event"`): an event is a day
the company calls the fleet, a day whose metered system peak reaches `event_peak_share` of the
highest daily system peak so far in the run (`event_days`). Customers decide with the shared
choice rule on that payment (per event: `expected_events_per_year` of them).

The line's books carry the payments and upkeep; what the fleet is worth to the company (the
capacity cost of the annual peak avoided, deferral where transformer and feeder limits bind,
and wholesale energy bought at cheaper hours) shows in the company's own lines and is
measured against a paired run without the service (experiments/internet_plus.py).
"""

from dataclasses import dataclass

import numpy as np

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


def event_days(daily_peak_kw: np.ndarray, peak_share: float) -> np.ndarray:
    """Whether each day is an event: its peak reaches `peak_share` of the highest daily peak
    up to and including it."""
    return daily_peak_kw >= peak_share * np.maximum.accumulate(daily_peak_kw)


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
        "and the company when it values the contracts left after the horizon", min=0,
        max=365)
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
    _settled_from = 0  # the first day not yet paid for per event

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
            return p.payment_per_kw_event * p.expected_events_per_year / 12.0
        return p.payment_per_kw_month

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        rate = self.model.customers["discount_rate_per_year"][customers]
        return (self.monthly_payment_per_kw() * self.device_kw(customers)
                * discount_factors(rate, self.params.term_months).sum(axis=1))

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        kw = self.device_kw(customers)
        self._hand_over(customers, True)
        self.contracts.add(customers, day, self.params.term_months, np.zeros(len(customers)),
                           enrolled_kw=kw)
        return np.zeros(len(customers))

    def _hand_over(self, customers: np.ndarray, company: bool) -> None:
        fleet = self.model.ev
        ev = customers[customers < fleet.n]
        kept = managed_elsewhere(self.model, ev, self.name)  # e.g. an ev_smart_charging contract
        fleet.managed[ev] = (company & fleet.owns[ev]) | kept
        for service in self._devices():
            service.hand_over(customers, company)

    def observe_day(self, day: int, net_kw: np.ndarray, prices: DayPrices) -> None:
        self._today = day

    def events_since(self, rows: np.ndarray, first: int, last: int) -> np.ndarray:
        """Events in days first..last (inclusive) during each of these contracts."""
        peaks = self.model.system_kw[: last + 1].max(axis=1)
        called = np.flatnonzero(event_days(peaks, self.params.event_peak_share))
        called = called[called >= first]
        return (called[None, :] >= self.contracts["start_day"][rows][:, None]).sum(axis=1)

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        p, zero = self.params, np.zeros(len(rows))
        kw = self.contracts["enrolled_kw"][rows]
        if p.payment == "per_event":
            pay = p.payment_per_kw_event * kw * self.events_since(rows, self._settled_from,
                                                                  self._today)
            self._settled_from = self._today + 1
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
