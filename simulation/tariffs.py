"""Tariffs: flat, time-of-use, critical-peak and real-time prices as (customers, T) arrays.

Each customer is on a package (`customers["tariff_package"]`: flat, tou, cpp or rtp), set for
whole segments by the scenario's `[tariff]` (`kind` for the `segments` listed) or per customer
by the `price_packages` service. A package is a price multiplier on the customer's flat price
per interval, so segment price levels stay where the flat tariff puts them:

- tou: peak hours by season at `ratio` x the off-peak price, the off-peak price set so that
  the customer class's expected load shape of the day pays what it pays on flat prices;
- cpp: `cpp_price_ratio` x the flat price for `cpp_event_hours` around the forecast peak of
  event days, which the company calls from its own day-ahead forecast of the system load
  (when the forecast peak tops a quantile of its planning forecast, at most
  `cpp_max_events_per_year` per 365 days), and a small discount on all other days;
- rtp: a wholesale price shape, (forecast system load / its mean) ^ k with interval noise,
  normalised so that the forecast system load pays the flat price on average.

Only customers on a time-varying package get price arrays; flat customers are billed as
before, so flat scenarios give the same numbers to the last bit.
"""

import numpy as np

from gridvalue.simulation import kernels
from gridvalue.simulation.prefetch import shared_rows
from gridvalue.simulation.prices import DayPrices, PriceRows
from gridvalue.simulation.services.base import in_segments
from gridvalue.simulation.vocabulary import TARIFF_KINDS

FLAT, TOU, CPP, RTP = range(4)
PACKAGE = {name: code for code, name in enumerate(TARIFF_KINDS)}


def hour_mask(hours: tuple[int, ...], intervals_per_day: int) -> np.ndarray:
    """(T,) boolean: intervals whose hour of day is in `hours`."""
    hour_of = (np.arange(intervals_per_day) * 24 // intervals_per_day).astype(int)
    return np.isin(hour_of, np.asarray(hours, dtype=int))


def tou_multipliers(shapes: np.ndarray, peak: np.ndarray, ratio: float) -> np.ndarray:
    """(classes, T) multipliers of one day: `ratio` in the peak, 1 off-peak, scaled so that
    each class's shape of the day (classes, T) pays the flat price on average."""
    energy = shapes.sum(axis=1)
    peak_share = np.divide(shapes[:, peak].sum(axis=1), energy, out=np.zeros(len(energy)),
                           where=energy > 0)
    off_peak = 1.0 / (1.0 + (ratio - 1.0) * peak_share)
    return off_peak[:, None] * np.where(peak, ratio, 1.0)[None, :]


class TariffEngine:
    """Packages, the company's day-ahead forecast, CPP events and each day's price arrays."""

    def __init__(self, model):
        self.model = model
        scenario = model.scenario
        self.params = scenario.tariff
        self.dates = model.dates
        c = model.customers
        self.T = scenario.meta.intervals_per_day
        self.dt = 24.0 / self.T
        on_kind = in_segments(c, self.params.segments)
        c["tariff_package"] = np.where(on_kind, PACKAGE[self.params.kind], FLAT).astype(np.int8)
        self.shapes = model.loads.shapes_kw_per_kwh  # (classes, days, T), kW per annual kWh
        p = self.params
        self._peak = {True: hour_mask(p.tou_peak_hours_summer, self.T),
                      False: hour_mask(p.tou_peak_hours_winter, self.T)}
        self._cpp_window = np.zeros(self.T, dtype=bool)
        self.event_days: list[int] = []
        self._events_in_year = 0
        self._threshold_kw = None
        self._planning_peaks = None
        self.is_event = False
        self.forecast_today: np.ndarray | None = None
        self._day_bills = None  # (net load, prices, totals) once the day is billed
        self._kept_rows = None  # (package column, priced rows, packages in use)
        self._kept_factors = None  # (priced rows, price and class columns, PriceRows)
        # the prices last published (before the first day: everyone on flat prices)
        self.latest = DayPrices(-1, c["price_per_kwh"], np.zeros(0, dtype=np.int64),
                                PriceRows.of_array(np.zeros((0, self.T))),
                                self.params.export_price_per_kwh, np.ones(self.T), False)
        self.offered: set[int] = set()  # packages services offer (CPP: events get called)
        # forecast errors and wholesale noise of every day, drawn up front: a day's prices do
        # not depend on which packages were in use on earlier days (common random numbers)
        days = scenario.meta.days
        self._forecast_error = model.streams.fresh("forecast").standard_normal((days, self.T))
        self._wholesale_noise = model.streams.fresh("wholesale").standard_normal((days, self.T))
        company = scenario.company
        self._wholesale_peak = {True: hour_mask(company.wholesale_peak_hours_summer, self.T),
                                False: hour_mask(company.wholesale_peak_hours_winter, self.T)}
        # the weights that normalise the seasonal wholesale shape: the town's expected load
        # as built (fixed, so a policy's load changes do not move the price level)
        self._wholesale_weights = self._class_energy()

    # ---- the company's forecast ---------------------------------------------------------------
    def _class_energy(self) -> np.ndarray:
        c = self.model.customers
        return np.bincount(c["profile_class"], c["annual_kwh"] * c["load_scale"],
                           minlength=self.shapes.shape[0])

    def forecast_kw(self, day: int) -> np.ndarray:
        """The company's day-ahead forecast of system demand on `day` (T,): expected class
        shapes x the weather it forecasts, with a forecast error (its own stream)."""
        loads = self.model.loads
        expected = self._class_energy() @ loads.day_ahead_shapes(day) * loads.weather_factor[day]
        sd = self.params.forecast_error_sd
        return expected * np.exp(sd * self._forecast_error[day] - 0.5 * sd**2)

    def cpp_threshold_kw(self) -> float:
        """The planning quantile of daily peaks over ten synthetic years of the place's climate
        (set on first use): `cpp_trigger_quantile`, raised to 1 - events per year / 365 so
        that the yearly budget of events goes to the highest days rather than the first ones."""
        if self._threshold_kw is None:
            p = self.params
            planning = self.model.loads.planning_shapes()  # years of the place's climate
            daily_peaks = np.tensordot(self._class_energy(), planning, axes=1).max(axis=1)
            quantile = max(p.cpp_trigger_quantile, 1.0 - p.cpp_max_events_per_year / 365.0)
            self._threshold_kw = float(np.quantile(daily_peaks, quantile))
        return self._threshold_kw

    def planning_daily_peaks_kw(self) -> np.ndarray:
        """(years, 365) daily peaks of the company's planning climatology (set on first use)."""
        if self._planning_peaks is None:
            planning = self.model.loads.planning_shapes()
            peaks = np.tensordot(self._class_energy(), planning, axes=1).max(axis=1)
            self._planning_peaks = peaks[:len(peaks) // 365 * 365].reshape(-1, 365)
        return self._planning_peaks

    def budgeted_threshold_kw(self, day: int) -> float:
        """`cpp_dispatch = "budgeted"`: the forecast peak above which today's event is worth a
        share of what is left of the year's budget. It is the level that the planning years'
        daily peaks exceed, from this day of the year to its end, on as many days a year as
        events are left: a budget spread over the rest of the season (a threshold policy for
        a fixed number of calls, as a secretary-problem reserve), from the company's
        climatology only."""
        peaks = self.planning_daily_peaks_kw()
        left = self.params.cpp_max_events_per_year - self._events_in_year
        rest = peaks[:, min(day % 365, 364):].ravel()
        k = left * peaks.shape[0]  # exceedances over all planning years
        if k >= len(rest):
            return -np.inf
        return float(np.partition(rest, len(rest) - k - 1)[len(rest) - k - 1])

    # ---- each day ---------------------------------------------------------------------------
    def _priced_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """The customers on time-varying packages (ascending) and the packages in use, kept
        from day to day until the package column changes (services enrol in place)."""
        packages = self.model.customers["tariff_package"]
        kept = self._kept_rows
        if kept is None or not np.array_equal(kept[0], packages):
            rows = np.flatnonzero(packages != FLAT)
            kept = (packages.copy(), rows, np.unique(packages[rows]))
            self._kept_rows = kept
        return kept[1], kept[2]

    def _factors(self, rows: np.ndarray) -> PriceRows:
        """The priced `rows`' flat prices, packages and classes (multipliers still to set),
        kept from day to day until the rows (`_priced_rows`: new rows whenever the package
        column changes), the price or the class column change."""
        c = self.model.customers
        columns = (c["price_per_kwh"], c["profile_class"])
        kept = self._kept_factors
        if kept is None or kept[0] is not rows or not all(
                np.array_equal(a, b) for a, b in zip(kept[1], columns, strict=True)):
            flat, klass = columns
            factors = PriceRows.of_tariff(flat, rows, c["tariff_package"], klass,
                                          np.empty((0, 0, self.T)))
            kept = (rows, tuple(a.copy() for a in columns), factors)
            self._kept_factors = kept
        return kept[2]

    def start_day(self, day: int) -> DayPrices:
        """Decide today's event status and build the day's prices (also kept as `latest`,
        the prices the company last published, which offers made before the day starts
        see)."""
        rows, used = self._priced_rows()
        self.is_event = False
        if day % 365 == 0:
            self._events_in_year = 0
        self.forecast_today = None
        if RTP in used or CPP in used or CPP in self.offered:
            self.forecast_today = self.forecast_kw(day)
        if CPP in used or CPP in self.offered:
            forecast = self.forecast_today
            budgeted = self.params.cpp_dispatch == "budgeted"
            threshold = (self.budgeted_threshold_kw(day) if budgeted
                         else self.cpp_threshold_kw())
            if (forecast.max() > threshold
                    and self._events_in_year < self.params.cpp_max_events_per_year):
                self.is_event = True
                self._events_in_year += 1
                self.event_days.append(day)
                self._cpp_window = self.event_window(int(forecast.argmax()))
        c = self.model.customers
        if len(rows) == 0:
            prices = PriceRows.of_array(np.zeros((0, self.T)))
        else:  # flat price x the package's multiplier of the class, as factors
            prices = self._factors(rows).with_multipliers(self.multipliers(day, used))
        self.latest = DayPrices(day, c["price_per_kwh"], rows, prices,
                                self.params.export_price_per_kwh,
                                self.wholesale_multipliers(day), self.is_event)
        return self.latest

    def event_window(self, peak_interval: int) -> np.ndarray:
        """(T,) intervals of an event: `cpp_event_hours` centred on the forecast peak."""
        length = max(1, round(self.params.cpp_event_hours / self.dt))
        start = int(np.clip(peak_interval - length // 2, 0, self.T - length))
        window = np.zeros(self.T, dtype=bool)
        window[start:start + length] = True
        return window

    def multipliers(self, day: int, kinds=TARIFF_KINDS) -> np.ndarray:
        """(packages, classes, T) price multipliers on the flat price for `day`."""
        p = self.params
        n_classes = self.shapes.shape[0]
        out = np.ones((len(TARIFF_KINDS), n_classes, self.T))
        kinds = {PACKAGE[k] if isinstance(k, str) else int(k) for k in kinds}
        if TOU in kinds:
            summer = self.dates[day].month in p.summer_months
            ratio = p.tou_peak_ratio_summer if summer else p.tou_peak_ratio_winter
            out[TOU] = tou_multipliers(self.shapes[:, day, :], self._peak[summer], ratio)
        if CPP in kinds:
            out[CPP] = (np.where(self._cpp_window, p.cpp_price_ratio, 1.0) if self.is_event
                        else 1.0 - p.cpp_off_event_discount_share)
        if RTP in kinds:
            forecast = self.forecast_today if self.forecast_today is not None else \
                self.forecast_kw(day)
            out[RTP] = self.wholesale_shape(forecast, day)
        return out

    def wholesale_shape(self, forecast_kw: np.ndarray, day: int) -> np.ndarray:
        """(T,) real-time price multiplier of `day` for a day-ahead forecast (forecast-weighted
        mean 1), with the day's interval noise from the wholesale stream."""
        p = self.params
        forecast = np.maximum(forecast_kw, 1e-9)
        shape = (forecast / forecast.mean()) ** p.rtp_load_exponent
        shape *= np.exp(p.rtp_noise_sd * self._wholesale_noise[day] - 0.5 * p.rtp_noise_sd**2)
        return shape * forecast.sum() / (shape * forecast).sum()

    def expected_multipliers(self, day: int) -> np.ndarray:
        """(packages, classes, T) multipliers a customer can expect on a typical day like
        `day` (CPP: the off-event discount plus the chance of an event; RTP: the shape of the
        planning forecast without noise) — what the company offers packages on."""
        p = self.params
        out = np.ones((len(TARIFF_KINDS), self.shapes.shape[0], self.T))
        summer = self.dates[day].month in p.summer_months
        ratio = p.tou_peak_ratio_summer if summer else p.tou_peak_ratio_winter
        out[TOU] = tou_multipliers(self.shapes[:, day, :], self._peak[summer], ratio)
        chance = min(p.cpp_max_events_per_year / 365.0, 1.0)
        expected = np.maximum(self._class_energy() @ self.shapes[:, day, :], 1e-9)
        window = self.event_window(int(expected.argmax()))
        out[CPP] = ((1.0 - chance) * (1.0 - p.cpp_off_event_discount_share)
                    + chance * np.where(window, p.cpp_price_ratio, 1.0))
        shape = (expected / expected.mean()) ** p.rtp_load_exponent
        out[RTP] = shape * expected.sum() / (shape * expected).sum()
        return out

    # ---- wholesale ----------------------------------------------------------------------------
    def wholesale_multipliers(self, day: int) -> np.ndarray:
        """(T,) the wholesale price of each interval of `day` over the average wholesale price
        (`company.wholesale_shape`): flat; seasonal peak hours at `wholesale_peak_ratio`, with
        the town's expected load of the day paying the average; or the day-ahead forecast shape
        that sets real-time retail prices (forecast load pays the average)."""
        company = self.model.scenario.company
        if company.wholesale_shape == "flat":
            return np.ones(self.T)
        if company.wholesale_shape == "forecast":
            forecast = self.forecast_today if self.forecast_today is not None else \
                self.forecast_kw(day)
            return self.wholesale_shape(forecast, day)
        summer = self.dates[day].month in self.params.summer_months
        expected = (self._wholesale_weights @ self.shapes[:, day, :])[None, :]
        return tou_multipliers(expected, self._wholesale_peak[summer],
                               company.wholesale_peak_ratio)[0]

    # ---- billing ----------------------------------------------------------------------------
    def day_bills(self, customer_kw: np.ndarray, prices: DayPrices,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(import kWh, export kWh, bill) of every customer for the day's final net loads at
        the day's `prices`, computed once a day (the company's settlement and the services
        that meter the same loads share them; treat them as read-only)."""
        cached = self._day_bills
        if cached is not None and cached[0] is customer_kw and cached[1] is prices:
            return cached[2]
        dt = self.dt
        net = getattr(self.model, "net_totals", None)  # the day's compiled totals, if these
        if net is not None and net.matches(customer_kw):
            imports_kwh, exports_kwh = net.import_kw * dt, net.export_kw * dt
        else:
            imports_kwh = np.maximum(customer_kw, 0.0).sum(axis=1) * dt
            exports_kwh = np.maximum(-customer_kw, 0.0).sum(axis=1) * dt
        totals = (imports_kwh, exports_kwh,
                  bills(customer_kw, prices, dt, imports_kwh, exports_kwh))
        self._day_bills = (customer_kw, prices, totals)
        return totals


def bills(customer_kw: np.ndarray, prices: DayPrices, dt: float,
          imports_kwh: np.ndarray | None = None,
          exports_kwh: np.ndarray | None = None) -> np.ndarray:
    """Each customer's bill for the day: imports at its `prices`, exports at the export price.
    Flat customers: imports kWh x flat price (the flat formula, bit for bit). The day's
    import and export kWh may be passed in when already computed; `dt`: hours per interval."""
    if imports_kwh is None:
        imports_kwh = np.maximum(customer_kw, 0.0).sum(axis=1) * dt
    if exports_kwh is None:
        exports_kwh = np.maximum(-customer_kw, 0.0).sum(axis=1) * dt
    export = prices.export_price_per_kwh
    out = imports_kwh * prices.flat_price_per_kwh - exports_kwh * export
    if len(prices.rows):
        rows = prices.rows
        # einsum(max(customer_kw[rows], 0), prices) in one compiled pass, bit for bit
        energy_cost = np.empty(len(rows))
        kw = np.ascontiguousarray(customer_kw, dtype=float)
        shared_rows(lambda s: kernels.import_costs(kw, rows[s], *prices.import_prices.take(s)
                                                   .parts(), energy_cost[s]), len(rows))
        out[rows] = energy_cost * dt - exports_kwh[rows] * export
    return out
