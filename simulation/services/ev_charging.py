"""Company-managed smart charging of household EVs (Internet+).

The company offers EV owners a monthly discount for letting it schedule their home charging
within their constraints (plugged in at arrival, full by departure wherever the charger can
do it). A subscriber's EV charges evenly over the cheapest intervals of its window
(simulation/ev.py, mode `managed`) instead of on arrival or all at once when its package's
off-peak begins, so the TOU rebound goes. Households decide with the shared choice rule
(agents/choice.py); the offer's value to them is the discount. The service line carries the
discount, the controller and its upkeep; what the flatter load saves the company (the annual
peak's capacity cost, deferral) lands in the company's own lines, not here.
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.lifetime import expected_value, window
from gridvalue.simulation.population import HOUSEHOLD
from gridvalue.simulation.schema import param
from gridvalue.simulation.services.base import (
    MonthFlows,
    Service,
    ServiceParams,
    discount_factors,
    register,
)

A = "assumption"
EV_MANAGERS = ("ev_smart_charging", "flexibility")  # services under which the company charges


def managed_elsewhere(model, customers: np.ndarray, releasing: str) -> np.ndarray:
    """Whether each customer still holds an active contract, with a service other than
    `releasing`, under which the company manages its EV's charging."""
    held = np.zeros(len(customers), dtype=bool)
    market = getattr(model, "market", None)
    for service in market.services if market is not None else []:
        if service.name in EV_MANAGERS and service.name != releasing:
            book = service.contracts
            held |= np.isin(customers, book["customer"][book.active()])
    return held


@dataclass(frozen=True)
class EvSmartChargingParams(ServiceParams):
    discount_per_month: float = param(
        15.0, "CNY/month", A + " (managed-charging programmes pay a few $ to tens of $ a "
        "month)", "Discount the company pays a subscriber", min=0, max=10_000)
    device_capex: float = param(400.0, "CNY/EV", A + " (charger controller and its setup)",
                                "What the company pays to connect one charger", min=0,
                                max=100_000)
    opex_per_month: float = param(1.0, "CNY/EV/month", A, "Platform and support cost per EV",
                                  min=0, max=10_000)
    term_months: int = param(24, "months", A, "Subscription term", min=1, max=360)
    contacts_per_month: int = param(100, "customers/month", A,
                                    "EV owners the company contacts each month",
                                    min=0, max=1_000_000)
    marketing_cost_per_contact: float = param(10.0, "CNY/contact", A,
                                              "Cost of one marketing contact", min=0,
                                              max=100_000)


@register
class EvSmartCharging(Service):
    """A subscription: the company schedules the EV's charging, the driver gets a discount."""

    name = "ev_smart_charging"
    family = "internet_plus"
    Params = EvSmartChargingParams
    customer_types = (HOUSEHOLD,)
    exclusive_group = "ev_charging"

    def eligible(self) -> np.ndarray:
        fleet = self.model.ev
        owns = np.zeros(len(self.model.customers), dtype=bool)
        owns[:fleet.n] = fleet.owns
        return super().eligible() & owns

    def customer_value(self, customers: np.ndarray) -> np.ndarray:
        rate = self.model.customers["discount_rate_per_year"][customers]
        return (self.params.discount_per_month
                * discount_factors(rate, self.params.term_months).sum(axis=1))

    def sign(self, customers: np.ndarray, day: int) -> np.ndarray:
        self.model.ev.managed[customers] = True
        capex = np.full(len(customers), self.params.device_capex)
        self.contracts.add(customers, day, self.params.term_months, capex)
        return capex

    def settle_month(self, rows: np.ndarray, month_share: float) -> MonthFlows:
        p, zero = self.params, np.zeros(len(rows))
        return MonthFlows(zero, np.full(len(rows), p.discount_per_month * month_share),
                          np.full(len(rows), p.opex_per_month * month_share), zero)

    def remaining_value(self, rows: np.ndarray) -> np.ndarray:
        """Discount and upkeep for the rest of the term (the peak it shaves after the horizon
        is not counted)."""
        p, left = self.params, self.remaining_months(rows)
        months = int(max(left.max(initial=0), 1))
        net = self.inflated(np.full((len(rows), 1), -p.discount_per_month - p.opex_per_month),
                            p.opex_per_month, months)
        return expected_value(self.model.scenario.company.discount_rate_per_year,
                              np.zeros(len(rows)), net * window(np.zeros(len(rows)), left,
                                                                months))

    def _release(self, rows: np.ndarray) -> None:
        customers = self.contracts["customer"][rows]
        self.model.ev.managed[customers] = managed_elsewhere(self.model, customers, self.name)

    def on_end(self, rows: np.ndarray) -> None:
        self._release(rows)

    def on_default(self, rows: np.ndarray) -> None:
        self._release(rows)
