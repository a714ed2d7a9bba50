"""Household electric vehicles: who owns one, when it is plugged in, and how it charges.

Ownership: each household has a persistent latent draw u ~ U(0, 1); it owns an EV in year y
of the run when u < min(1, (share + growth * y) * w), w its income weight (income over the
median to `income_elasticity`, normalised to mean 1), so ownership follows income and only
grows. Each day every household draws an arrival hour, a departure hour (the next morning), a
day's driving energy and whether it plugs in (all households draw, owners or not, every day:
common random numbers between a charging policy and its baseline). Weekday arrivals follow the
NHTS evening return home, Saturday and Sunday arrivals the daytime hours My Electric Avenue
saw; arrivals fall between 10:00 and midnight and departures by 10:00 next day, so one car's
sessions never overlap. An EV's battery deficit
grows by its driving energy and is refilled while it is plugged in, from arrival to
departure, in one of three ways:

- uncontrolled: at the charger's power from arrival until full;
- price_responsive: the driver delays the start to the first interval of the cheapest price
  of its window (its package's off-peak), but never later than the last start that still
  fills the battery by departure: under TOU the cars start together when the off-peak begins
  (the rebound);
- managed (the company's smart charging, simulation/services/ev_charging.py): the energy is
  spread evenly over the cheapest intervals of the window, or over the whole window where
  those are too few: no rebound, the same bill as price-responsive charging.

Every mode fills the battery by departure whenever the charger can (energy needed <= power x
window), and never draws more than the charger's power. A window crosses midnight: the part
after midnight is carried into the next day's load.
"""

from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.schema import ScenarioError, param

A = "assumption"
EN = "Electric Nation (WPD, 2019): drivers plug in about 3 times a week, for 12 h or more"
NHTS = ("NHTS 2009 fit used in EV-load studies: home arrival (last trip end) ~ N(17.6 h, "
        "3.4 h), daily distance lognormal, log-sd 0.88 (recalled)")
MEA = ("My Electric Avenue (EA Technology, 2015): on weekends charging is mostly between "
       "10:00 and 18:00, on weekdays before and after work (checked, the trial's own site)")
EARLIEST_ARRIVAL_H = 10.0  # sessions start after the morning's departure (at most 34 h - 24)
LATEST_DEPARTURE_H = 34.0  # 10:00 the next day: yesterday's session ends before today's
MODES = ("uncontrolled", "price_responsive")


@dataclass(frozen=True)
class EvParams:
    """Household electric vehicles (`[ev]`); share 0 (the default) means none."""

    share: float = param(0.0, "share of households", A, "Households owning an EV at the start",
                         min=0, max=1)
    share_growth_per_year: float = param(
        0.0, "share/yr", A, "Added to the ownership share each year of the run", min=0, max=1)
    income_elasticity: float = param(
        1.0, "-", A + " (EV buyers are richer than the average household)",
        "Elasticity of the chance of owning an EV to income per person", min=0, max=5)
    battery_kwh: float = param(50.0, "kWh", A + " (mid-size battery-electric car)",
                               "Usable battery energy", min=1, max=500)
    charger_kw: float = param(7.0, "kW", A + " (7 kW single-phase home wallbox)",
                              "Home charger power drawn from the grid", min=0.5, max=50)
    charging_efficiency: float = param(0.9, "share", A + " (AC charging 85-95 %)",
                                       "Share of grid energy stored in the battery", min=0.5,
                                       max=1)
    daily_kwh_median: float = param(
        6.0, "kWh/day", A + " (about 40 km a day at 0.15 kWh/km)",
        "Median energy a car uses on a day's driving", min=0, max=100)
    daily_kwh_sigma: float = param(0.88, "log-sd", NHTS,
                                   "Day-to-day spread of the driving energy", min=0, max=3)
    plug_in_per_day: float = param(0.43, "1/day", EN + " (checked, secondary)",
                                   "Chance an EV is plugged in at home on a given evening",
                                   min=0, max=1)
    arrival_hour_mean: float = param(17.6, "hour of day", NHTS,
                                     "Mean plug-in hour on a weekday", min=12, max=24)
    arrival_hour_sd: float = param(3.4, "h", NHTS, "Spread of the plug-in hour on a weekday",
                                   min=0, max=6)
    weekend_arrival_hour_mean: float = param(
        14.0, "hour of day", MEA + " (14:00, the window's middle)",
        "Mean plug-in hour on a Saturday or Sunday", min=10, max=24)
    weekend_arrival_hour_sd: float = param(
        3.0, "h", MEA + " (3 h: most sessions in the 8 h window)",
        "Spread of the plug-in hour on a Saturday or Sunday", min=0, max=6)
    departure_hour_mean: float = param(
        31.5, "h from the arrival day's midnight", EN + " (31.5: 07:30 next morning)",
        "Mean unplug hour, counted from midnight of the arrival day", min=0, max=34)
    departure_hour_sd: float = param(1.0, "h", A, "Spread of the unplug hour", min=0, max=6)
    charging: str = param("uncontrolled", "-", "-",
                          "How owners charge: on arrival, or delayed to their package's "
                          "cheapest period (the company's managed charging is a service)",
                          choices=MODES)

    def check(self, path: str) -> None:
        for arrival in (self.arrival_hour_mean, self.weekend_arrival_hour_mean):
            if self.departure_hour_mean <= arrival:
                raise ScenarioError(f"{path}.departure_hour_mean",
                                    f"{self.departure_hour_mean:g} is before the arrival hour "
                                    f"{arrival:g} (count it from midnight of the arrival day: "
                                    "31.5 is 07:30 next morning)")

    @property
    def active(self) -> bool:
        return self.share > 0 or self.share_growth_per_year > 0


def charge_asap(start: np.ndarray, end: np.ndarray, energy_kwh: np.ndarray,
                power_kw: float, dt_h: float, n: int) -> np.ndarray:
    """(k, n) grid power of charging `energy_kwh` at `power_kw` from interval `start` until
    done or until interval `end` (exclusive)."""
    k = np.arange(n)[None, :]
    step = power_kw * dt_h
    done_before = np.clip((k - start[:, None]) * step, 0.0, energy_kwh[:, None])
    done_after = np.clip((k + 1 - start[:, None]) * step, 0.0, energy_kwh[:, None])
    return np.where(k < end[:, None], done_after - done_before, 0.0) / dt_h


def charge_spread(allowed: np.ndarray, energy_kwh: np.ndarray, power_kw: float,
                  dt_h: float) -> np.ndarray:
    """(k, n) grid power spreading `energy_kwh` evenly over the `allowed` intervals (at most
    `power_kw`)."""
    count = allowed.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(count > 0, energy_kwh / (count * dt_h), 0.0)
    return allowed * np.minimum(level, power_kw)[:, None]


def charging_kw(mode: np.ndarray, arrival: np.ndarray, departure: np.ndarray,
                energy_kwh: np.ndarray, prices: np.ndarray, power_kw: float,
                dt_h: float) -> np.ndarray:
    """(k, 2T) grid power of k sessions over two days from the arrival day's midnight.

    `mode`: 0 uncontrolled, 1 price-responsive, 2 managed; `arrival`, `departure`: interval
    indices (departure exclusive, in the second day); `energy_kwh`: grid energy wanted;
    `prices`: (k, 2T) price per interval."""
    n = prices.shape[1]
    k = np.arange(n)[None, :]
    window = (k >= arrival[:, None]) & (k < departure[:, None])
    capacity = power_kw * dt_h * window.sum(axis=1)
    energy = np.minimum(energy_kwh, capacity)  # what the window can take
    masked = np.where(window, prices, np.inf)
    cheapest = masked.min(axis=1, keepdims=True)
    cheap = window & (masked <= cheapest + 1e-12)
    first_cheap = np.where(cheap.any(axis=1), cheap.argmax(axis=1), arrival)
    latest = departure - np.ceil(energy / (power_kw * dt_h) - 1e-9).astype(np.int64)
    start = np.where(mode == 1, np.maximum(np.minimum(first_cheap, latest), arrival), arrival)
    out = charge_asap(start, departure, energy, power_kw, dt_h, n)
    managed = mode == 2
    if managed.any():
        room = cheap[managed].sum(axis=1) * power_kw * dt_h
        allowed = np.where((room >= energy[managed] - 1e-9)[:, None], cheap[managed],
                           window[managed])
        out[managed] = charge_spread(allowed, energy[managed], power_kw, dt_h)
    return out


MODE_CODE = {"uncontrolled": 0, "price_responsive": 1, "managed": 2}


class EvFleet:
    """The households' EVs of one run: ownership, battery deficits, today's charging."""

    def __init__(self, model):
        self.model = model
        self.params = p = model.scenario.ev
        self.active = p.active
        n = len(model.tables["households"])
        self.n = n
        T = model.scenario.meta.intervals_per_day
        self.T, self.dt = T, model.hours_per_interval
        self.managed = np.zeros(n, dtype=bool)  # under the company's smart charging
        self.need_kwh = np.zeros(n)  # battery deficit (battery side)
        self.carry_kw = np.zeros((n, T))  # after-midnight part of yesterday's sessions
        self.owns = np.zeros(n, dtype=bool)
        self.day_kw = np.zeros((model.days, T)) if self.active else np.zeros((0, T))
        self.delivered_kwh = 0.0  # grid energy drawn by all EVs over the run
        self.managed_day_kw: dict[int, np.ndarray] = {}  # day: managed EVs' charging kW (T,)
        self._year = -1
        if not self.active:
            return
        self._rng = model.streams["ev"]
        hh = model.tables["households"]
        income = hh["income_per_year"] / np.maximum(hh["size_persons"], 1)
        w = (income / np.median(income)) ** p.income_elasticity
        self.weight = w / w.mean()
        self.latent = model.streams.fresh("ev:ownership").random(n)
        self._update_ownership(0)  # owners are known before the first month's offers

    def _update_ownership(self, day: int) -> None:
        year = day // 365
        if year == self._year:
            return
        self._year = year
        p = self.params
        share = min(p.share + p.share_growth_per_year * year, 1.0)
        self.owns = self.latent < np.minimum(share * self.weight, 1.0)

    def draws(self, weekend: bool = False
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Today's arrival and departure hours, driving energy and plug-in of every household
        (drawn for all, whatever they own, the same draws on any day: common random
        numbers); on a Saturday or Sunday the arrival follows the weekend's hours."""
        p, n, rng = self.params, self.n, self._rng
        z = rng.standard_normal((3, n))
        plug = rng.random(n) < p.plug_in_per_day
        mean, sd = ((p.weekend_arrival_hour_mean, p.weekend_arrival_hour_sd) if weekend
                    else (p.arrival_hour_mean, p.arrival_hour_sd))
        arrival = np.clip(mean + sd * z[0], EARLIEST_ARRIVAL_H, 24.0 - self.dt)
        departure = np.clip(p.departure_hour_mean + p.departure_hour_sd * z[1],
                            np.maximum(arrival + 1.0, 24.0), LATEST_DEPARTURE_H)
        driving = p.daily_kwh_median * np.exp(p.daily_kwh_sigma * z[2])
        return arrival, departure, driving, plug

    def add_charging(self, day: int, customer_kw: np.ndarray, prices: DayPrices) -> None:
        """Add today's EV charging (grid side) to the households' rows of `customer_kw`;
        price-led charging follows the day's `prices`."""
        if not self.active:
            return
        self._update_ownership(day)
        p, T, dt = self.params, self.T, self.dt
        weekend = self.model.dates[day].weekday() >= 5
        arrival_h, departure_h, driving, plug = self.draws(weekend)
        self.need_kwh = np.where(self.owns, np.minimum(self.need_kwh + driving, p.battery_kwh),
                                 0.0)
        today = self.carry_kw
        self.carry_kw = np.zeros((self.n, T))
        rows = np.flatnonzero(self.owns & plug)
        if len(rows):
            arrival = np.ceil(arrival_h[rows] / dt - 1e-9).astype(np.int64)
            departure = np.floor(departure_h[rows] / dt + 1e-9).astype(np.int64)
            mode = np.where(self.managed[rows], MODE_CODE["managed"], MODE_CODE[p.charging])
            if (mode > 0).any():
                prices = prices.of(rows)
                prices = np.concatenate([prices, prices], axis=1)  # tomorrow's like today's
            else:
                prices = np.zeros((len(rows), 2 * T))
            grid_kwh = self.need_kwh[rows] / p.charging_efficiency
            kw = charging_kw(mode, arrival, departure, grid_kwh, prices, p.charger_kw, dt)
            drawn = kw.sum(axis=1) * dt
            self.need_kwh[rows] = np.maximum(self.need_kwh[rows]
                                             - drawn * p.charging_efficiency, 0.0)
            today[rows] += kw[:, :T]
            self.carry_kw[rows] = kw[:, T:]
        customer_kw[:self.n] += today
        self.day_kw[day] = today.sum(axis=0)
        if self.managed.any():
            self.managed_day_kw[day] = today[self.managed].sum(axis=0)
        self.delivered_kwh += float(today.sum() * dt)

    @property
    def count(self) -> int:
        return int(self.owns.sum())
