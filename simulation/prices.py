"""The day's prices as a value: what the tariff engine publishes for a day, passed as an
argument through the day's pipeline (price response, battery and EV dispatch, services,
billing) instead of being read off the engine."""

import dataclasses
import functools

import numpy as np

from gridvalue.simulation import kernels


@dataclasses.dataclass(frozen=True)
class PriceRows:
    """(k, T) prices per interval held as their factors, price[c, t] = flat[c] x
    multipliers[package[c], klass[c], t] (the tariff engine's own product), so that the
    compiled passes read a small table instead of a (k, T) array: at 100,000 customers a
    day's array is 19 MB, which the response read twice and the bills once."""

    flat: np.ndarray  # (k,) currency/kWh
    package: np.ndarray  # (k,) intp: the first index of `multipliers`
    klass: np.ndarray  # (k,) intp: the second index
    multipliers: np.ndarray  # (packages, classes, T) price / flat price

    @classmethod
    def of_tariff(cls, flat_price: np.ndarray, rows: np.ndarray, package: np.ndarray,
                  klass: np.ndarray, multipliers: np.ndarray) -> "PriceRows":
        """The prices of the customers at `rows`, from the customers' columns."""
        return cls(np.ascontiguousarray(flat_price[rows], dtype=float),
                   np.ascontiguousarray(package[rows], dtype=np.intp),
                   np.ascontiguousarray(klass[rows], dtype=np.intp),
                   np.ascontiguousarray(multipliers, dtype=float))

    @classmethod
    def of_array(cls, price_per_kwh: np.ndarray) -> "PriceRows":
        """Any (k, T) prices as factors: 1 x price[c, t], the same numbers (x 1 is exact)."""
        price = np.ascontiguousarray(price_per_kwh, dtype=float)
        k = len(price)
        return cls(np.ones(k), np.arange(k, dtype=np.intp), np.zeros(k, dtype=np.intp),
                   price[:, None, :])

    def with_multipliers(self, multipliers: np.ndarray) -> "PriceRows":
        """The same rows' prices with these (packages, classes, T) multipliers."""
        return dataclasses.replace(self, multipliers=np.ascontiguousarray(multipliers,
                                                                          dtype=float))

    def take(self, rows: "slice | np.ndarray") -> "PriceRows":
        """The prices of these rows (of the k)."""
        return PriceRows(self.flat[rows], self.package[rows], self.klass[rows],
                         self.multipliers)

    def parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The four arrays, in the compiled passes' order."""
        return self.flat, self.package, self.klass, self.multipliers

    def array(self) -> np.ndarray:
        """The (k, T) prices, one compiled pass."""
        out = np.empty((len(self.flat), self.multipliers.shape[2]))
        kernels.factor_prices(*self.parts(), out)
        return out


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
    import_prices: PriceRows  # (k, T) their price per interval, currency/kWh, as factors
    export_price_per_kwh: float  # currency/kWh
    wholesale_multipliers: np.ndarray  # (T,) interval wholesale price / average
    is_event: bool  # a critical-peak event is called today

    def __post_init__(self):
        for array in (self.rows, self.wholesale_multipliers, *self.import_prices.parts()):
            array.flags.writeable = False

    @functools.cached_property
    def import_price_per_kwh(self) -> np.ndarray:
        """(k, T) the rows' price per interval, currency/kWh (built on first use)."""
        prices = self.import_prices.array()
        prices.flags.writeable = False
        return prices

    def of(self, rows: np.ndarray) -> np.ndarray:
        """(n, T) today's import price per interval of the customers at `rows`."""
        T = self.wholesale_multipliers.shape[0]
        prices = np.repeat(self.flat_price_per_kwh[rows, None], T, axis=1)
        on = np.flatnonzero(np.isin(rows, self.rows))
        if len(on):
            prices[on] = self.import_prices.take(np.searchsorted(self.rows, rows[on])).array()
        return prices
