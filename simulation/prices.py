"""The day's prices as a value: what the tariff engine publishes for a day, passed as an
argument through the day's pipeline (price response, battery and EV dispatch, services,
billing) instead of being read off the engine."""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class DayPrices:
    """The prices of one day, built by `TariffEngine.start_day` and passed as an argument to
    the price response, battery and EV dispatch, the services and billing.

    `flat_price_per_kwh` is the customers' flat price column itself (it changes only at a
    new year, before the day starts); the arrays the engine builds for the day are read-only.
    """

    day: int
    flat_price_per_kwh: np.ndarray  # (customers,) currency/kWh
    rows: np.ndarray  # (k,) customers on time-varying packages today, ascending
    import_price_per_kwh: np.ndarray  # (k, T) their price per interval, currency/kWh
    export_price_per_kwh: float  # currency/kWh
    wholesale_multipliers: np.ndarray  # (T,) interval wholesale price / average
    is_event: bool  # a critical-peak event is called today

    def __post_init__(self):
        for name in ("rows", "import_price_per_kwh", "wholesale_multipliers"):
            getattr(self, name).flags.writeable = False

    def of(self, rows: np.ndarray) -> np.ndarray:
        """(n, T) today's import price per interval of the customers at `rows`."""
        T = self.wholesale_multipliers.shape[0]
        prices = np.repeat(self.flat_price_per_kwh[rows, None], T, axis=1)
        on = np.flatnonzero(np.isin(rows, self.rows))
        if len(on):
            prices[on] = self.import_price_per_kwh[np.searchsorted(self.rows, rows[on])]
        return prices
