"""World models: how customers' hidden traits show in what meters and bills record.

This is the generator's side. The company's analytics (simulation/dataplatform.py `estimate`)
never import or read it; they see only the `Observations` the platform acquires.

`data_platform.world` chooses how a savings potential e (share of the customer's energy that
is waste) shows in consumption:

- `always_on`: the waste is flat over the day, every day;
- `operating_hours`: the waste runs in the class's operating hours (intervals where its
  standard profile is above its daily mean), flat within them: lights and HVAC left on
  for the whole working day;
- `weather_sensitive`: the waste runs in operating hours in proportion to the day's heating
  plus cooling degree-days (HVAC waste);
- `mixed`: each customer's waste is its own blend of the three (Dirichlet weights);
- `no_signature`: the traits leave no trace in consumption: waste and flexible load follow
  the customer's ordinary shape, and day-to-day volatility does not depend on the hazard.

In every world except `no_signature` a flexible share f runs in one block of
FLEX_WINDOW_HOURS at a customer-specific hour, and a higher default hazard makes daily
consumption more erratic. Payments in every world come from a liquidity process: a
customer's typical delay is lognormal in a latent liquidity stress correlated with its
(standardised log) hazard, and each month's delay is exponential around it.

Temperature: main has no weather generator yet, so the world draws its own daily mean
temperature (seasonal cosine plus AR(1) anomalies, named streams), for the history and
for the horizon.
"""

import datetime

import numpy as np

from gridvalue.simulation.weather import Weather, daily_normal

WORLDS = ("always_on", "operating_hours", "weather_sensitive", "mixed", "no_signature")
FLEX_WINDOW_HOURS = 4  # assumption: flexible load runs in one 4-hour block a day
# Daily mean temperature: assumption after Shanghai climate normals (annual mean about
# 16.6 degC, January about 4.8, July about 28.6; recalled, not checked).
DEGREE_DAY_BASE_C = 18.3  # 65 degF, the base of US heating and cooling degree-days
MAX_HISTORY_DAYS = 62 * 31  # longest history the schema allows (60 months), with margin


def past_weather(streams, normals, end: datetime.date, intervals_per_day: int) -> Weather:
    """The place's weather (simulation/weather.py) of the longest history before `end`, from
    the world's own streams: every history length is a tail of it, so all see the same recent
    days (common random numbers)."""
    start = end - datetime.timedelta(days=MAX_HISTORY_DAYS)
    return Weather.generate(normals, start, MAX_HISTORY_DAYS, intervals_per_day,
                            streams.fresh("world:weather:history:temperature"),
                            streams.fresh("world:weather:history:clearness"))


def degree_days(temperature_c: np.ndarray) -> np.ndarray:
    """Heating plus cooling degree-days of each day (base 18.3 degC)."""
    return np.abs(np.asarray(temperature_c) - DEGREE_DAY_BASE_C)


def climate_degree_days(normals) -> float:
    """Expected daily degree-days of the place's normal climate (a constant: normalises
    weather-sensitive waste): the folded-normal mean of each day's normal temperature less
    the base, with the place's day-to-day anomaly sd."""
    from scipy.stats import norm

    dates = [datetime.date(2001, 1, 1) + datetime.timedelta(days=d) for d in range(365)]
    mu = daily_normal(normals.monthly_mean_temperature_c, dates) - DEGREE_DAY_BASE_C
    s = max(normals.temperature_anomaly_sd_c, 1e-9)
    folded = s * np.sqrt(2 / np.pi) * np.exp(-mu**2 / (2 * s**2)) + mu * (
        1 - 2 * norm.cdf(-mu / s))
    return float(folded.mean())


def operating_hours(shape: np.ndarray) -> np.ndarray:
    """Operating-hours pattern of each class shape (rows), mean 1 over the day: 1 / share in
    intervals above the row's daily mean, 0 elsewhere; flat where the shape is flat."""
    above = shape > shape.mean(axis=1, keepdims=True) * (1.0 + 1e-9)
    share = above.mean(axis=1, keepdims=True)
    return np.where(share > 0, above / np.maximum(share, 1e-12), 1.0)


class World:
    """A world model over the customers: which waste pattern each customer has, how its
    traits scale its consumption, and how it pays. Reads hidden truths (it is the world)."""

    def __init__(self, name: str, streams, n: int, normals):
        if name not in WORLDS:
            raise ValueError(f"world must be one of {WORLDS}, got {name!r}")
        self.name = name
        rng = streams.fresh("world:blend")
        blend = {"always_on": (1, 0, 0), "operating_hours": (0, 1, 0),
                 "weather_sensitive": (0, 0, 1), "no_signature": (0, 0, 0)}
        if name == "mixed":
            self.weights = rng.dirichlet(np.ones(3), n)
        else:
            self.weights = np.tile(np.asarray(blend[name], dtype=float), (n, 1))
        self.signature = name != "no_signature"
        self.dd_normal = climate_degree_days(normals)

    def waste_pattern(self, class_shape: np.ndarray, klass: np.ndarray,
                      degree_days_today: float) -> np.ndarray:
        """(n, T) waste per unit of the customer's mean-shape load today (mean over the day:
        1 on a day of normal degree-days)."""
        base, slope, operating = self.waste_parts(class_shape, degree_days_today)
        return base[:, None] + slope[:, None] * operating[klass]

    def waste_parts(self, class_shape: np.ndarray, degree_days_today: float,
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`waste_pattern` = base[:, None] + slope[:, None] x operating[klass]: each
        customer's always-on base (n,), its slope on the operating hours (n,, with the
        weather-sensitive part at today's degree-days) and each class's operating-hours
        pattern (n_classes, T)."""
        w = self.weights
        ratio = degree_days_today / self.dd_normal
        return w[:, 0], w[:, 1] + w[:, 2] * ratio, operating_hours(class_shape)

    def weather_share(self, efficiency_share: np.ndarray) -> np.ndarray:
        """Share of each customer's energy that scales with degree-days (its weather-sensitive
        waste)."""
        return efficiency_share * self.weights[:, 2]

    def horizon_day_factor(self, efficiency_share: np.ndarray,
                           degree_days_today: float) -> np.ndarray | None:
        """Per-customer factor on the day's demand in the horizon: weather-sensitive waste
        follows the day's degree-days (None where no customer has any)."""
        share = self.weather_share(efficiency_share)
        if not share.any():
            return None
        return 1.0 + share * (degree_days_today / self.dd_normal - 1.0)


def liquidity_delays(streams, hazard: np.ndarray, group: np.ndarray, months: int,
                     mean_days: float, correlation: float, spread_sd: float) -> np.ndarray:
    """(n, months) payment delays, days after the due date, from a liquidity process.

    z: the customer's log hazard standardised within its group; its liquidity stress is
    x = rho z + sqrt(1 - rho^2) nu; its typical delay is lognormal, mean_days exp(sd x -
    sd^2/2); each month's delay is exponential around it."""
    rng = streams.fresh("world:liquidity")
    nu = rng.standard_normal(len(hazard))
    z = np.zeros(len(hazard))
    log_h = np.log(np.maximum(hazard, 1e-9))
    for g in np.unique(group):
        rows = group == g
        sd = log_h[rows].std()
        z[rows] = (log_h[rows] - log_h[rows].mean()) / sd if sd > 0 else 0.0
    x = correlation * z + np.sqrt(1.0 - correlation**2) * nu
    typical = mean_days * np.exp(spread_sd * x - 0.5 * spread_sd**2)
    return streams.fresh("platform:payments").exponential(1.0, (len(hazard), months)) \
        * typical[:, None]


def past_defaults(streams, hazard: np.ndarray, months: int) -> np.ndarray:
    """Whether each customer defaulted on a bill in the `months` of billing history (an
    arrears event: what the billing system records as a default)."""
    p = 1.0 - (1.0 - np.clip(hazard, 0.0, 1.0)) ** (months / 12.0)
    return streams.fresh("world:past_defaults").random(len(hazard)) < p


def pilot_outcomes(streams, efficiency_share: np.ndarray, flexibility_share: np.ndarray,
                   pilot_share: float, measurement_sd: float, realisation_sd: float):
    """The company's past pilot: a random sample of customers whose savings and flexibility
    were measured (realised savings scatter around the potential; measurements add noise).
    Returns (mask, measured savings share, measured flexibility share)."""
    rng = streams.fresh("world:pilot")
    n = len(efficiency_share)
    mask = rng.random(n) < pilot_share
    realised = efficiency_share * np.exp(realisation_sd * rng.standard_normal(n)
                                         - 0.5 * realisation_sd**2)
    saved = realised + measurement_sd * rng.standard_normal(n)
    flex = flexibility_share + measurement_sd * rng.standard_normal(n)
    return mask, np.where(mask, saved, np.nan), np.where(mask, flex, np.nan)
