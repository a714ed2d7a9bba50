"""The information value chain: what the meter-data platform acquires, what it infers, and
the company's view of each customer that targeting, offer terms and screening use.

1. Acquisition (`acquire`): the months before the start date, simulated with the load
   engine's standard shapes and noise plus the world's signatures of the hidden traits
   (simulation/worlds.py, chosen by `data_platform.world`), passed through the platform's
   limits: smart-meter coverage by customer type, reading granularity (interval readings or
   monthly totals only), measurement noise and history length. Every customer's monthly
   bills, payment delays and arrears (defaults) of the last BILLING_MONTHS are seen
   regardless, and so are the outcomes of the company's past pilot (measured savings and
   flexibility of a sample of customers) and the daily temperature. The result,
   `Observations`, holds copies of what was seen and no hidden truth or world parameter.
2. Processing (`estimate`, or `features` then `fit`) receives only `Observations` (and
   labels the company measured during the run). Priors are the labelled outcomes' means by
   customer group; nothing comes from the generator. `none`: the billing file (bill size,
   payment record) and those group means. `segments`: adds k-means load-shape segments and
   segment means of the labels. `predictive`: ridge regression (scikit-learn, alpha by
   leave-one-out cross-validation) of the labelled savings and flexibility on generic load
   features (off-hours and operating-hours load against the class's profile, base load,
   load factor, weather sensitivity, volatility, a flexible-block search). Credit: an L2
   logistic regression of past defaults on payment features (and, with meters, volatility).
3. The platform in a model (`DataPlatform`): acquires at construction; every month of the
   run it reads the bills, measures the efficiency contracts' savings (IPMVP Option C,
   simulation/measurement.py), adds the measured savings and the defaults it sees as
   labels, refits, and rewrites the company's view; and it books its costs on the
   `data_platform` ledger line.
"""

import contextlib
import dataclasses
import datetime
import functools
from dataclasses import dataclass

import numpy as np

from gridvalue.simulation.contracts import DEFAULTED
from gridvalue.simulation.measurement import OptionC
from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD, MICROGRID
from gridvalue.simulation.prefetch import DrawAhead, TwoBuffers, shared_rows
from gridvalue.simulation.profiles import climate_shapes, load_shapes
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.storage import annuity_factor
from gridvalue.simulation.weather import normals_for
from gridvalue.simulation.worlds import (
    FLEX_WINDOW_HOURS,
    World,
    degree_days,
    liquidity_delays,
    past_defaults,
    past_weather,
    pilot_outcomes,
)

ANALYTICS = ("none", "segments", "predictive")
PEAK_DAYS = 10  # the system's highest days over the history define "peak contribution"
BILLING_MONTHS = 12  # assumption: months of bills and payments the billing system provides
MIN_LABELS = 10  # labelled metered customers needed before a regression is fitted
PRIOR_WEIGHT = 5.0  # labels' group means are shrunk to the pooled mean with this weight
RIDGE_ALPHAS = tuple(10.0 ** np.arange(-2, 4.5, 0.5))  # searched by leave-one-out CV
MIN_MEASURED_MONTHS = 3  # months of measured savings before a contract becomes a label
SHRINKAGE = ("none", "cross_validated")
CALIBRATION_FOLDS = 5  # folds of the out-of-fold calibration (estimate_shrinkage)


@dataclass(frozen=True)
class Observations:
    """Everything the platform holds (copies; no hidden truth). n customers, D days of meter
    history, T intervals per day, K peak days; NaN where a customer has no interval
    readings. Bills, payment delays and defaults cover the last BILLING_MONTHS for every
    customer; pilot outcomes are NaN outside the pilot sample."""

    customer_type: np.ndarray  # (n,) the customer file
    sector: np.ndarray  # (n,)
    profile_class: np.ndarray  # (n,) standard-load-profile assignment
    monthly_kwh: np.ndarray  # (n, BILLING_MONTHS) billed energy
    payment_delay_days: np.ndarray  # (n, BILLING_MONTHS) days after the due date
    past_default: np.ndarray  # (n,) bool: an arrears default in the billing months
    pilot_efficiency_share: np.ndarray  # (n,) measured savings of past pilot retrofits
    pilot_flexibility_share: np.ndarray  # (n,) measured flexibility in the past pilot
    metered: np.ndarray  # (n,) bool: a smart meter installed (any granularity)
    interval: np.ndarray  # (n,) bool: interval readings held
    mean_profile_kw: np.ndarray  # (n, T) mean daily profile of the readings
    daily_kwh: np.ndarray  # (n, D) daily energy of the readings
    peak_kw: np.ndarray  # (n, K) readings at the system peak of its K highest days
    meter_degree_days: np.ndarray  # (D,) heating + cooling degree-days of each metered day
    class_profile: np.ndarray  # (n_classes, T) standard profile over the history, mean 1
    class_daily_kwh_per_kwh: np.ndarray  # (n_classes, D) standard daily energy
    class_billed_share: np.ndarray  # (n_classes,) share of a year's energy in the bills
    class_peak_kw_per_kwh: np.ndarray  # (n_classes, K) standard load at those peaks
    bill_class_kwh_per_kwh: np.ndarray  # (n_classes, BILLING_MONTHS) standard energy
    bill_degree_days: np.ndarray  # (BILLING_MONTHS,) degree-days of each billed month
    bill_base_kwh_per_kwh: np.ndarray  # (n_classes, BILLING_MONTHS) published profile's
    # energy without weather
    bill_temperature_c: np.ndarray  # (billed days,) daily mean temperature (weather station)
    bill_day_period: np.ndarray  # (billed days,) billing month of each billed day


@dataclass
class Estimates:
    """The company's view of each customer (columns of the customer table)."""

    efficiency_estimate_share: np.ndarray
    flexibility_estimate_share: np.ndarray
    peak_contribution_estimate_kw: np.ndarray
    default_hazard_estimate_per_year: np.ndarray
    credit_score: np.ndarray  # 0..100, higher is safer
    segment: np.ndarray  # load-shape segment, -1 where none

    def columns(self) -> dict[str, np.ndarray]:
        return dataclasses.asdict(self)


# ---- acquisition ---------------------------------------------------------------------------
def history_start(start: datetime.date, months: int) -> datetime.date:
    """First day of the calendar month `months` before the start date's month."""
    index = start.year * 12 + start.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _by_type(ctype: np.ndarray, household, enterprise, microgrid) -> np.ndarray:
    return np.select([ctype == HOUSEHOLD, ctype == ENTERPRISE, ctype == MICROGRID],
                     [household, enterprise, microgrid], 0.0).astype(float)


def customer_group(ctype: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """Customer-file group: households, enterprise sectors, microgrids."""
    return ctype.astype(int) * 4 + np.where(ctype == ENTERPRISE, sector, 0).astype(int) + 1


# Fields of `[data_platform]` applied after the history is simulated (or not at all by
# `acquire`): runs that differ only in these share one simulated history.
AFTER_HISTORY_FIELDS = ("analytics", "segments", "household_meter_coverage_share",
                        "enterprise_meter_coverage_share", "microgrid_meter_coverage_share",
                        "granularity", "learn_in_run", "history", "estimate_shrinkage",
                        "volatility_weather_adjusted")
# The customer columns the history is simulated from (with the flexibility share).
HISTORY_COLUMNS = ("customer_type", "sector", "profile_class", "default_hazard_per_year",
                   "efficiency_potential_share", "annual_kwh", "interval_sigma")
HISTORY_CACHE_BYTES = 1 << 30  # assumption: at most 1 GiB of simulated histories kept in-process
_HISTORY_CACHE: "dict[str, _History]" = {}  # by history_key, oldest first
_DERIVED_MONTHS: "tuple[int, ...]" = ()  # history lengths built together (`derived_histories`)


@dataclass(frozen=True)
class _History:
    """The simulated meter history of every customer before the platform's limits (coverage
    and granularity): read-only arrays shared by every run whose `history_key` is equal."""

    monthly_kwh: np.ndarray
    payment_delay_days: np.ndarray
    past_default: np.ndarray
    pilot_efficiency_share: np.ndarray
    pilot_flexibility_share: np.ndarray
    profile_kw: np.ndarray  # (n, T) mean daily profile, float32
    daily_kwh: np.ndarray  # (n, D_meter) float32
    peak_kw: np.ndarray  # (n, K) at the K peak days
    meter_degree_days: np.ndarray
    class_profile: np.ndarray
    class_daily_kwh_per_kwh: np.ndarray
    class_billed_share: np.ndarray
    class_peak_kw_per_kwh: np.ndarray
    bill_class_kwh_per_kwh: np.ndarray
    bill_degree_days: np.ndarray
    bill_base_kwh_per_kwh: np.ndarray
    bill_temperature_c: np.ndarray
    bill_day_period: np.ndarray

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in dataclasses.fields(self))


def history_key(scenario, customers, flexibility_share: np.ndarray, seed: int) -> str:
    """SHA-256 of everything the simulated history depends on: the seed, the start date and
    resolution, the place, the profiles, the platform's settings that act before its limits,
    and the customers' columns it reads."""
    import hashlib

    meta, params = scenario.meta, scenario.data_platform
    platform = {k: v for k, v in dataclasses.asdict(params).items()
                if k not in AFTER_HISTORY_FIELDS}
    digest = hashlib.sha256(repr((int(seed), meta.start_date.isoformat(),
                                  meta.intervals_per_day, repr(scenario.place),
                                  repr(scenario.profiles), sorted(platform.items()))).encode())
    for name in HISTORY_COLUMNS:
        column = np.ascontiguousarray(customers[name])
        digest.update(name.encode() + str(column.dtype).encode() + column.tobytes())
    digest.update(np.ascontiguousarray(flexibility_share, dtype=float).tobytes())
    return digest.hexdigest()


def clear_history_cache() -> None:
    """Forget the in-process histories (tests and benchmarks)."""
    _HISTORY_CACHE.clear()


def _cached_history(scenario, customers, flexibility_share: np.ndarray,
                    streams: Streams) -> "_History":
    """The simulated history, from the in-process cache where an equal one was built. Where
    `derived_histories` plans several history lengths that include this one, the longest is
    simulated once and the others are derived from it (byte-identical to their own
    simulation: the days run backwards from the start date on the same streams)."""
    key = history_key(scenario, customers, flexibility_share, streams.seed)
    history = _HISTORY_CACHE.pop(key, None)
    if history is None:
        params = scenario.data_platform
        months = params.history_months
        planned = sorted(set(_DERIVED_MONTHS) | {months}) if months in _DERIVED_MONTHS else []
        if len(planned) > 1:
            def with_months(m: int):
                return dataclasses.replace(scenario, data_platform=dataclasses.replace(
                    params, history_months=m))

            family = _simulate_history(with_months(planned[-1]), customers,
                                       flexibility_share, streams, windows=tuple(planned))
            for m, derived in family.items():
                if m != months:
                    _HISTORY_CACHE[history_key(with_months(m), customers, flexibility_share,
                                               streams.seed)] = derived
            history = family[months]
        else:
            history = _simulate_history(scenario, customers, flexibility_share, streams)
    _HISTORY_CACHE[key] = history  # most recently used last
    while (sum(h.nbytes for h in _HISTORY_CACHE.values()) > HISTORY_CACHE_BYTES
           and len(_HISTORY_CACHE) > 1):
        del _HISTORY_CACHE[next(iter(_HISTORY_CACHE))]
    if history.nbytes > HISTORY_CACHE_BYTES and key in _HISTORY_CACHE:
        del _HISTORY_CACHE[key]
    return history


@contextlib.contextmanager
def derived_histories(months):
    """Within the block, a history of any of these lengths (`history_months`) is built with
    the others: the longest simulated once, the shorter ones derived from it (a `voi`'s
    data-quality levels)."""
    global _DERIVED_MONTHS
    before, _DERIVED_MONTHS = _DERIVED_MONTHS, tuple(sorted(set(int(m) for m in months)))
    try:
        yield
    finally:
        _DERIVED_MONTHS = before


def acquire(scenario, customers, flexibility_share: np.ndarray,
            streams: Streams) -> Observations:
    """Simulate the history in the scenario's world and pass it through the platform's
    limits.

    The only function here that reads hidden truths (to generate the world's data, through
    simulation/worlds.py). Days are simulated backwards from the start date with fresh named
    streams, so every run sees the same recent history whatever the platform's settings
    (common random numbers): runs that differ in coverage, granularity or history length
    see the same billing records, and analytics = "none" sees the same thing in all of them.
    Runs whose history inputs are equal (`history_key`) share one simulation in-process.
    """
    params = scenario.data_platform
    history = _cached_history(scenario, customers, flexibility_share, streams)
    ctype, sector = customers["customer_type"], customers["sector"]
    n = len(customers)
    coverage = _by_type(ctype, params.household_meter_coverage_share,
                        params.enterprise_meter_coverage_share,
                        params.microgrid_meter_coverage_share)
    metered = streams.fresh("platform:coverage").random(n) < coverage
    interval = metered & (params.granularity == "interval")
    hidden = ~interval

    def seen(table: np.ndarray, dtype) -> np.ndarray:
        out = table.astype(dtype)  # a copy: the history stays shared and unchanged
        out[hidden] = np.nan
        return out

    h = history
    return Observations(
        customer_type=ctype.copy(), sector=sector.copy(),
        profile_class=customers["profile_class"].copy(),
        monthly_kwh=h.monthly_kwh.copy(), payment_delay_days=h.payment_delay_days.copy(),
        past_default=h.past_default.copy(),
        pilot_efficiency_share=h.pilot_efficiency_share.copy(),
        pilot_flexibility_share=h.pilot_flexibility_share.copy(),
        metered=metered, interval=interval, mean_profile_kw=seen(h.profile_kw, float),
        daily_kwh=seen(h.daily_kwh, np.float32), peak_kw=seen(h.peak_kw, float),
        meter_degree_days=h.meter_degree_days.copy(), class_profile=h.class_profile.copy(),
        class_daily_kwh_per_kwh=h.class_daily_kwh_per_kwh.copy(),
        class_billed_share=h.class_billed_share.copy(),
        class_peak_kw_per_kwh=h.class_peak_kw_per_kwh.copy(),
        bill_class_kwh_per_kwh=h.bill_class_kwh_per_kwh.copy(),
        bill_degree_days=h.bill_degree_days.copy(),
        bill_base_kwh_per_kwh=h.bill_base_kwh_per_kwh.copy(),
        bill_temperature_c=h.bill_temperature_c.copy(),
        bill_day_period=h.bill_day_period.copy())


def _peak_slot(system_peak: np.ndarray, slot_day: np.ndarray, m: int) -> int:
    """The column of the K-highest-days buffer that meter day `m` (days come in descending
    order) takes, or -1: an empty one, else the lowest day kept if `m` beats it (ties go to
    the earlier day, as a stable sort of the whole history would)."""
    empty = np.flatnonzero(slot_day < 0)
    if len(empty):
        return int(empty[0])
    kept = system_peak[slot_day]
    low = kept.min()
    if system_peak[m] < low:
        return -1
    tied = np.flatnonzero(kept == low)
    return int(tied[np.argmax(slot_day[tied])])  # of equal peaks, the later day goes


class _HistoryDraws:
    """A history day's draws from the platform's stream, in its order: the weather's unit
    normal, the day levels' n normals and the readings' (n, T) float32 normals, returned as
    the log of the readings' noise, noise_sd x z + noise_mean (NumPy's float32 roundings,
    in the draws' pass), in `TwoBuffers`. Their exp stays on the caller's thread: on the
    worker, the busier of the two, it made the history slower (docs/performance.md)."""

    def __init__(self, noise_sd: np.ndarray, noise_mean: np.ndarray):
        self.noise_sd, self.noise_mean = noise_sd, noise_mean  # (n,) float32
        self._levels, self._readings = TwoBuffers(), TwoBuffers(np.float32)

    def __call__(self, rng: np.random.Generator, key: tuple[int, int]
                 ) -> tuple[float, np.ndarray, np.ndarray]:
        # numba: when simulated; the compiled draws are NumPy's numbers and leave its state
        from gridvalue.simulation.pcg64 import standard_normals, standard_normals32

        n, T = key
        (day_z,), (kw,) = self._levels.next((n,)), self._readings.next((n, T))
        weather_z = rng.standard_normal()
        standard_normals(rng, day_z)
        standard_normals32(rng, kw, self.noise_sd, self.noise_mean)
        return weather_z, day_z, kw


def _history_rows(rows: slice, *, kw, shape, klass, operating, base, slope, shaped_kw,
                  waste_kw, block_kw, level, dt, profile_sum, daily_kwh, meter_day,
                  monthly_kwh, month) -> None:
    """A history day on `rows`: NumPy's exp of their noise, then kernels.py `history_day`
    (its arguments by name) on the arrays' row slices; the class shapes and their operating
    hours are whole."""
    from gridvalue.simulation.kernels import history_day  # numba: when simulated

    part = kw[rows]
    np.exp(part, out=part)
    history_day(part, shape, klass[rows], operating, base[rows], slope[rows], shaped_kw[rows],
                waste_kw[rows], block_kw[rows], level[rows], dt, profile_sum[rows],
                daily_kwh[rows], meter_day, monthly_kwh[rows], month)


def _simulate_history(scenario, customers, flexibility_share: np.ndarray,
                      streams: Streams, windows: "tuple[int, ...]" = ()
                      ) -> "_History | dict[int, _History]":
    """Simulate every customer's meter readings of the history (the world's data, before
    the platform's limits). With `windows` (history lengths in months, at most
    `history_months`): {months: the history of that length}, the shorter ones taken from
    the state of the running sums and peak days after their first days (the days run
    backwards from the start date, so a shorter history is a prefix of the longer)."""
    params, meta, prof = scenario.data_platform, scenario.meta, scenario.profiles
    T, dt = meta.intervals_per_day, 24.0 / meta.intervals_per_day
    n, M = len(customers), params.history_months
    end = history_start(meta.start_date, 0)
    first = history_start(meta.start_date, max(M, BILLING_MONTHS))
    D = (end - first).days
    D_meter = (end - history_start(meta.start_date, M)).days
    D_bill = (end - history_start(meta.start_date, BILLING_MONTHS)).days
    # (n_classes, D, T) kW per annual kWh: the class shapes under the place's past weather
    normals = normals_for(scenario.place)
    weather = past_weather(streams, normals, end, T)
    past = weather.span(len(weather.dates) - D, D)  # the days from `first` to `end`
    shapes = climate_shapes(prof, normals, first, D, T, past)[1]
    base_daily = load_shapes(first, D, T, prof.standard_profiles).sum(axis=2) * dt
    months = np.array([(first + datetime.timedelta(days=d)).month for d in range(D)])
    bill_month = np.cumsum(np.r_[0, np.diff(months) != 0]) - (
        np.cumsum(np.r_[0, np.diff(months) != 0])[D - D_bill])
    dd = degree_days(past.daily_mean_c)

    ctype, sector = customers["customer_type"], customers["sector"]
    klass = customers["profile_class"]
    group = customer_group(ctype, sector)
    world = World(params.world, streams, n, normals)
    hazard = customers["default_hazard_per_year"]
    eff = np.clip(customers["efficiency_potential_share"], 0.0, 0.9)
    flex = np.clip(flexibility_share, 0.0, 0.95 - eff)
    # how far the hazard raises day-to-day volatility: relative to the group's mean hazard
    group_mean = np.bincount(group, weights=hazard) / np.maximum(np.bincount(group), 1)
    rel_hazard = hazard / np.maximum(group_mean[group], 1e-9)
    erratic = params.erratic_per_relative_hazard if world.signature else 0.0
    day_sigma = prof.customer_day_sigma * (1.0 + erratic * rel_hazard)

    # numba: when simulated; the compiled draws are NumPy's numbers and leave its state
    from gridvalue.simulation.kernels import column_sum32, running_column_sums32
    from gridvalue.simulation.pcg64 import standard_normals

    rng = streams.fresh("platform:history")
    sd = params.shape_idiosyncrasy_sd
    delta = np.empty((n, T))
    standard_normals(rng, delta)
    delta = np.exp(sd * delta - 0.5 * sd**2)
    B = max(1, round(FLEX_WINDOW_HOURS / dt))
    block = np.zeros((n, T))
    start = rng.integers(0, T, n)
    for j in range(B):
        block[np.arange(n), (start + j) % T] = T / B
    # per customer, float32 for speed: the shaped part and the world's visible parts (waste
    # pattern, flexible block); the log-sd of each reading (load noise and meter error)
    annual = customers["annual_kwh"][:, None]
    visible_eff = eff if world.signature else np.zeros(n)
    visible_flex = flex if world.signature else np.zeros(n)
    shaped_kw = ((1.0 - visible_eff - visible_flex)[:, None] * delta * annual).astype(np.float32)
    waste_kw = (visible_eff[:, None] * annual).astype(np.float32)
    block_kw = (visible_flex[:, None] * block * annual).astype(np.float32)
    noise_sd = np.sqrt(customers["interval_sigma"] ** 2
                       + params.measurement_noise_sd**2).astype(np.float32)
    noise_mean = -0.5 * noise_sd**2

    monthly_kwh = np.zeros((n, BILLING_MONTHS))
    profile_sum = np.zeros((n, T))
    daily_kwh = np.zeros((n, D_meter), dtype=np.float32)  # float32 halves the memory
    K = min(PEAK_DAYS, D_meter)
    at_peak = np.zeros((n, K), dtype=np.float32)  # the readings of the K highest days so far
    peak_slot = np.full(K, -1)  # the meter day in each column of at_peak (-1: empty)
    system_peak = np.zeros(D_meter)
    class_at_peak = np.zeros((shapes.shape[0], D_meter))
    bill_class = np.zeros((shapes.shape[0], BILLING_MONTHS))
    bill_dd = np.zeros(BILLING_MONTHS)
    column = np.empty(T, np.float32)
    # each day's draws, the next day's taken ahead on the worker thread (the same numbers)
    draws = DrawAhead(rng, _HistoryDraws(noise_sd, noise_mean))
    # shorter histories (windows): meter days D_w, the first m of the long one they keep
    window_days = {w: (end - history_start(meta.start_date, w)).days for w in windows
                   if w != M}
    if any(days > D_meter or min(PEAK_DAYS, days) != K for days in window_days.values()):
        raise ValueError("a derived history must be shorter than the simulated one")
    snapshot_at = {D_meter - days: w for w, days in window_days.items()}
    snapshots = {}
    for d in range(D - 1, -1, -1):  # backwards from the start date
        s = shapes[:, d, :].astype(np.float32)
        base, slope, operating = world.waste_parts(s, dd[d])
        weather_z, day_z, kw = draws.take((n, T))  # kw: read within the day only
        if d:
            draws.ahead((n, T))
        weather = np.exp(prof.weather_day_sigma * weather_z - 0.5 * prof.weather_day_sigma**2)
        level = (np.exp(day_sigma * day_z - 0.5 * day_sigma**2) * weather).astype(np.float32)
        m = d - (D - D_meter)
        month = int(bill_month[d]) if d >= D - D_bill else -1
        # by rows, shared with the worker once it has drawn tomorrow: the readings' lognormal
        # noise exp(kw); kw *= s[klass] x shaped_kw + (waste_kw x waste + block_kw) x the
        # class shape's mean; kw *= level; profile_sum += kw on metered days and the day's
        # energy into daily_kwh[:, m] (metered) and monthly_kwh[:, month] (billed)
        shared_rows(functools.partial(
            _history_rows, kw=kw, shape=s, klass=klass, operating=operating, base=base,
            slope=slope, shaped_kw=shaped_kw, waste_kw=waste_kw[:, 0], block_kw=block_kw,
            level=level, dt=np.float32(dt), profile_sum=profile_sum, daily_kwh=daily_kwh,
            meter_day=m, monthly_kwh=monthly_kwh, month=month), n)
        running_column_sums32(kw, column)
        if month >= 0:
            bill_class[:, month] += s.sum(axis=1) * dt
            bill_dd[month] += dd[d]
        if m >= 0:
            peak_t = int(column.argmax())
            system_peak[m] = column_sum32(kw, peak_t)
            slot = _peak_slot(system_peak, peak_slot, m)
            if slot >= 0:
                peak_slot[slot] = m
                at_peak[:, slot] = kw[:, peak_t]
            class_at_peak[:, m] = s[:, peak_t]
        if m >= 0 and m in snapshot_at:  # a shorter history's last (oldest) day
            snapshots[snapshot_at[m]] = (profile_sum.copy(), at_peak.copy(), peak_slot - m)

    delay = liquidity_delays(streams, hazard, group, BILLING_MONTHS,
                             params.payment_delay_days_mean, params.payment_hazard_correlation,
                             params.payment_delay_spread_sd)
    _, pilot_eff, pilot_flex = pilot_outcomes(
        streams, eff, flex, params.pilot_share, params.pilot_measurement_sd,
        params.pilot_realisation_sd)

    def history(meter_days: int, profile: np.ndarray, peaks: np.ndarray,
                slots: np.ndarray) -> _History:
        first_meter = D_meter - meter_days  # the long history's meter day of its first
        top = np.sort(slots)  # the K highest days, in meter-day order
        order = np.argsort(slots)
        meter_shapes = shapes[:, D - meter_days:, :]
        class_mean = meter_shapes.mean(axis=1)
        return _History(
            monthly_kwh=monthly_kwh, payment_delay_days=delay,
            past_default=past_default,
            pilot_efficiency_share=pilot_eff, pilot_flexibility_share=pilot_flex,
            profile_kw=profile / meter_days,
            daily_kwh=np.ascontiguousarray(daily_kwh[:, first_meter:]),
            peak_kw=peaks[:, order], meter_degree_days=dd[D - meter_days:].copy(),
            class_profile=class_mean / class_mean.mean(axis=1, keepdims=True),
            class_daily_kwh_per_kwh=meter_shapes.sum(axis=2) * dt,
            class_billed_share=billed_share,
            class_peak_kw_per_kwh=class_at_peak[:, first_meter:][:, top],
            bill_class_kwh_per_kwh=bill_class, bill_degree_days=bill_dd,
            bill_base_kwh_per_kwh=bill_base, bill_temperature_c=bill_temperature,
            bill_day_period=bill_period)

    # the billing file's fields are the same in every window (acquire copies what it keeps)
    past_default = past_defaults(streams, hazard, BILLING_MONTHS)
    billed_share = shapes[:, D - D_bill:, :].sum(axis=(1, 2)) * dt
    bill_temperature = past.daily_mean_c[D - D_bill:].copy()
    bill_period = bill_month[D - D_bill:].copy()
    bill_base = np.stack([np.bincount(bill_month[D - D_bill:], weights=row,
                                      minlength=BILLING_MONTHS)
                          for row in base_daily[:, D - D_bill:]])
    longest = history(D_meter, profile_sum, at_peak, peak_slot)
    if not windows:
        return longest
    return {M: longest} | {w: history(window_days[w], *snapshots[w])
                           for w in window_days}


# ---- processing ----------------------------------------------------------------------------
@dataclass
class Features:
    """What the analytics level extracts from the observations once (labels come later)."""

    analytics: str
    group: np.ndarray  # (n,) customer-file group
    rows: np.ndarray  # metered customers with interval readings (used by this level)
    load: np.ndarray  # (len(rows), k) load features (predictive), standardised
    segment: np.ndarray  # (n,) load-shape segment, -1 where none
    credit: np.ndarray  # (n, j) credit features, standardised
    peak_kw: np.ndarray  # (n,) peak contribution estimate
    shrinkage: str = "none"  # predictive: "cross_validated" shrinks toward the group means


@dataclass
class Labels:
    """Outcomes the company measured: savings and flexibility shares (NaN: none), and
    defaults (bool)."""

    efficiency_share: np.ndarray
    flexibility_share: np.ndarray
    defaulted: np.ndarray

    @classmethod
    def from_observations(cls, obs: Observations) -> "Labels":
        return cls(obs.pilot_efficiency_share.copy(), obs.pilot_flexibility_share.copy(),
                   obs.past_default.copy())


def estimate(obs: Observations, analytics: str, segments: int = 6, seed: int = 0,
             labels: Labels | None = None) -> Estimates:
    """The company's estimates from what the platform holds, at an analytics level."""
    return fit(obs, features(obs, analytics, segments, seed),
               labels or Labels.from_observations(obs))


def features(obs: Observations, analytics: str, segments: int = 6, seed: int = 0,
             shrinkage: str = "none", weather_adjusted: bool = False) -> Features:
    """Load, segment and credit features of an analytics level (`shrinkage`: how predictive
    estimates are shrunk toward the billing file's group means, see `_learn`;
    `weather_adjusted`: the volatility feature is net of each customer's own weather
    response, see `_erratic_feature`)."""
    if analytics not in ANALYTICS:
        raise ValueError(f"analytics must be one of {ANALYTICS}, got {analytics!r}")
    if shrinkage not in SHRINKAGE:
        raise ValueError(f"shrinkage must be one of {SHRINKAGE}, got {shrinkage!r}")
    n = len(obs.customer_type)
    group = customer_group(obs.customer_type, obs.sector)
    annual_kwh = obs.monthly_kwh.sum(axis=1) / np.maximum(
        obs.class_billed_share[obs.profile_class], 1e-12)
    peak = annual_kwh * obs.class_peak_kw_per_kwh[obs.profile_class].mean(axis=1)
    segment = np.full(n, -1, dtype=np.int16)
    rows = np.flatnonzero(obs.interval) if analytics != "none" else np.zeros(0, np.int64)
    credit = [_payment_features(obs.payment_delay_days)]
    load = np.zeros((len(rows), 0))
    if len(rows):
        peak_c = np.nanmean(obs.peak_kw[rows], axis=1)
        if analytics == "segments":
            segment[rows] = _segments(obs, rows, segments, seed)
            peak_c = annual_kwh[rows] * _segment_mean(peak_c / annual_kwh[rows], segment[rows])
        else:
            raw = _load_features(obs, rows, weather_adjusted)
            load = _standardise(raw)
            erratic = np.zeros((n, 2))
            erratic[rows, 0] = raw[:, LOAD_ERRATIC_COLUMN]  # the volatility, for credit too
            erratic[rows, 1] = 1.0  # metered indicator
            credit.append(erratic)
        peak = peak.copy()
        peak[rows] = peak_c
    return Features(analytics, group, rows, load, segment,
                    _standardise(np.hstack(credit)), peak, shrinkage)


def fit(obs: Observations, feats: Features, labels: Labels,
        hazard: np.ndarray | None = None) -> Estimates:
    """Estimates from the features and the labels measured so far (`hazard`: the credit
    model's estimates where its labels have not changed)."""
    eff = _learn(labels.efficiency_share, feats)
    flex = _learn(labels.flexibility_share, feats)
    if hazard is None:
        hazard = _credit(feats, labels.defaulted)
    return Estimates(
        efficiency_estimate_share=np.clip(eff, 0.0, 0.9),
        flexibility_estimate_share=np.clip(flex, 0.0, 1.0),
        peak_contribution_estimate_kw=feats.peak_kw,
        default_hazard_estimate_per_year=hazard,
        credit_score=_score(-hazard),
        segment=feats.segment.copy())


def _group_means(y: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each customer's group mean of the labels, shrunk to the pooled mean (0 without any)."""
    known = ~np.isnan(y)
    pooled = float(y[known].mean()) if known.any() else 0.0
    size = group.max() + 1
    sums = np.bincount(group[known], weights=y[known], minlength=size)
    counts = np.bincount(group[known], minlength=size)
    return ((sums + PRIOR_WEIGHT * pooled) / (counts + PRIOR_WEIGHT))[group]


def _learn(y: np.ndarray, feats: Features) -> np.ndarray:
    """Group means of the labels (none); plus segment means (segments); plus a ridge
    regression of the labels' deviation from the group means on load features (predictive),
    where enough metered customers are labelled. With `feats.shrinkage = "cross_validated"`
    the regression's prediction is multiplied by its calibration slope on the labels, fitted
    out of fold (`calibration_slope` of `out_of_fold`): ranking on noisy estimates selects
    their upward errors (the winner's curse), and a slope below 1 pulls them back toward the
    billing file's prior by as much as the labels say they overshoot."""
    prior = _group_means(y, feats.group)
    out = prior.copy()
    rows = feats.rows
    if not len(rows):
        return out
    if feats.analytics == "segments":
        dev = y[rows] - prior[rows]
        seg = feats.segment[rows]
        known = ~np.isnan(dev)
        size = int(seg.max()) + 1
        sums = np.bincount(seg[known], weights=dev[known], minlength=size)
        counts = np.bincount(seg[known], minlength=size)
        out[rows] += (sums / (counts + PRIOR_WEIGHT))[seg]
        return out
    labelled = ~np.isnan(y[rows])
    if labelled.sum() < MIN_LABELS:
        return out
    from sklearn.linear_model import RidgeCV

    X = feats.load
    target = y[rows][labelled] - prior[rows][labelled]
    model = RidgeCV(alphas=RIDGE_ALPHAS).fit(X[labelled], target)
    slope = 1.0
    if feats.shrinkage == "cross_validated":
        slope = calibration_slope(out_of_fold(X[labelled], target), target)
    out[rows] += slope * model.predict(X)
    return out


def out_of_fold(X: np.ndarray, y: np.ndarray, folds: int = CALIBRATION_FOLDS) -> np.ndarray:
    """Each row's prediction by a ridge regression (`RidgeCV`, as `_learn` fits it) fitted
    without its fold (row i in fold i mod `folds`)."""
    from sklearn.linear_model import RidgeCV

    fold = np.arange(len(y)) % max(min(folds, len(y)), 2)
    pred = np.zeros(len(y))
    for f in np.unique(fold):
        held = fold == f
        if held.all():
            continue
        pred[held] = RidgeCV(alphas=RIDGE_ALPHAS).fit(X[~held], y[~held]).predict(X[held])
    return pred


def calibration_slope(predicted: np.ndarray, actual: np.ndarray) -> float:
    """Least-squares slope of `actual` on `predicted` (both as deviations from their means),
    clipped to [0, 1]: 1 where predictions are calibrated, below 1 where they overshoot;
    0 where the predictions do not vary."""
    p = predicted - predicted.mean()
    var = float(p @ p)
    if var <= 1e-18:
        return 0.0
    return float(np.clip(p @ (actual - actual.mean()) / var, 0.0, 1.0))


def _credit(feats: Features, defaulted: np.ndarray) -> np.ndarray:
    """Annual default hazard: an L2 logistic regression of the defaults seen on the credit
    features and group indicators; the groups' smoothed default rates without enough
    defaults to fit."""
    group = feats.group
    y = defaulted.astype(float)
    rates = _group_means(y, group)
    if defaulted.sum() < 3 or defaulted.all():
        return rates
    from sklearn.linear_model import LogisticRegression

    dummies = (group[:, None] == np.unique(group)[None, :]).astype(float)
    X = np.hstack([feats.credit, dummies])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(X, defaulted)
    return model.predict_proba(X)[:, 1]


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    return np.where(sd > 0, (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0), 0.0)


def _payment_features(delay_days: np.ndarray) -> np.ndarray:
    """Per customer: log mean payment delay and log of its largest delay."""
    return np.column_stack([np.log(np.maximum(delay_days.mean(axis=1), 1e-6)),
                            np.log(np.maximum(delay_days.max(axis=1), 1e-6))])


ROWS_PER_CHUNK = 65536  # customers per chunk of the (rows, days) daily-energy ratios


def _erratic_sd(obs: Observations, weather_adjusted: bool):
    """The per-row spread behind the volatility feature, for `_per_row_of_daily_ratio`: the
    sd of each customer's daily ratios; with `weather_adjusted`, the sd of their residuals
    after the customer's own least-squares slope on the day's degree-days (as
    weather-normalised baselines remove it: a customer whose load follows the weather more
    than its class's is not thereby erratic). None where the days are too few."""
    days = obs.daily_kwh.shape[1]
    if days < 2 or (weather_adjusted and days < 3):
        return None
    if not weather_adjusted:
        return lambda ratio: ratio.std(axis=1, ddof=1)
    ddn = obs.meter_degree_days - obs.meter_degree_days.mean()
    ss = max(float(ddn @ ddn), 1e-9)
    return lambda ratio: (ratio - (ratio @ ddn / ss)[:, None] * ddn).std(axis=1, ddof=2)


def _erratic_feature(obs: Observations, rows: np.ndarray,
                     weather_adjusted: bool = False) -> np.ndarray:
    """Log-sd of each metered customer's daily energy around its standard day (common
    day-to-day movements removed with the day's mean over all metered customers), see
    `_erratic_sd`; 0 where the days are too few."""
    sd = _erratic_sd(obs, weather_adjusted)
    if sd is None:
        return np.zeros(len(rows))
    return np.log(np.maximum(_per_row_of_daily_ratio(obs, rows, sd)[0], 1e-9))


def _log_ratio(obs: Observations, rows: np.ndarray) -> np.ndarray:
    """Each of `rows`' log daily energy over its class's standard daily energy (rows, days);
    the floor of the standard energy is taken on the (classes, days) table before it is
    spread over the rows (the same numbers, one pass fewer over the rows). The ratios in one
    compiled pass (kernels.py `class_ratios`: NumPy's numbers), then NumPy's log in place."""
    from gridvalue.simulation.kernels import class_ratios  # numba: when features are read

    standard = np.maximum(obs.class_daily_kwh_per_kwh, 1e-12)
    daily = np.ascontiguousarray(obs.daily_kwh)
    out = np.empty((len(rows), daily.shape[1]))
    class_ratios(daily, np.ascontiguousarray(rows), obs.profile_class,
                 daily.dtype.type(1e-9), np.ascontiguousarray(standard, dtype=float), out)
    return np.log(out, out=out)


def _per_row_of_daily_ratio(obs: Observations, rows: np.ndarray,
                            *per_row) -> tuple[np.ndarray, ...]:
    """Each function of `per_row` applied to each customer's log daily energy over its
    class's, less the day's mean over all `rows`, chunk by chunk (peak memory: one chunk, not
    (rows, days) float64 arrays); one array per function. The day's mean is summed row
    after row as one NumPy mean over all rows is, so the result does not depend on the chunk
    size. The mean's pass keeps its last chunk's ratios for the second pass, and every
    function reads the same chunk: with one chunk the ratios are computed once. The short
    chunk comes first, so that the full one is kept (at 100,000 rows the second pass
    computes 34,464 rows again, not 65,536)."""
    first = len(rows) % ROWS_PER_CHUNK or ROWS_PER_CHUNK
    bounds = [0, *range(first, len(rows) + 1, ROWS_PER_CHUNK)]
    chunks = [rows[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    if not chunks:
        return tuple(np.zeros(0) for _ in per_row)
    total = np.zeros(obs.daily_kwh.shape[1])
    for chunk in chunks[:-1]:
        total = np.add.reduce(np.concatenate([total[None], _log_ratio(obs, chunk)]), axis=0)
    kept = _log_ratio(obs, chunks[-1])
    total = np.add.reduce(np.concatenate([total[None], kept]), axis=0)
    mean = total / max(len(rows), 1)
    out = [[None] * len(chunks) for _ in per_row]
    kept -= mean  # the last chunk first, so that no two chunks' ratios are held
    for j, f in enumerate(per_row):
        out[j][-1] = f(kept)
    del kept
    for i, chunk in enumerate(chunks[:-1]):
        ratio = _log_ratio(obs, chunk) - mean
        for j, f in enumerate(per_row):
            out[j][i] = f(ratio)
    return tuple(np.concatenate(o) for o in out)


LOAD_ERRATIC_COLUMN = 7  # `_load_features`' column of the volatility (`_erratic_feature`)


def _load_features(obs: Observations, rows: np.ndarray,
                   weather_adjusted: bool = False) -> np.ndarray:
    """Generic load-analytics features of metered customers (not the generator's form):
    load against the class profile in its off-hours and its operating hours, base load
    (minimum over mean), load factor (mean over maximum), spread of the ratio to the class
    profile, the largest 4-hour excess over the class profile, weather sensitivity of daily
    energy (slope on degree-days) and its volatility."""
    p = obs.mean_profile_kw[rows]
    p = p / np.maximum(p.mean(axis=1, keepdims=True), 1e-12)
    s = obs.class_profile[obs.profile_class[rows]]
    ratio = p / np.maximum(s, 1e-6)
    high = s > 1.0
    low = ~high
    off_hours = (ratio * low).sum(axis=1) / np.maximum(low.sum(axis=1), 1)
    on_hours = (ratio * high).sum(axis=1) / np.maximum(high.sum(axis=1), 1)
    T = p.shape[1]
    B = max(1, round(FLEX_WINDOW_HOURS * T / 24))
    excess = p - s
    window = sum(np.roll(excess, -j, axis=1) for j in range(B)) / B
    ddn = obs.meter_degree_days - obs.meter_degree_days.mean()
    sd = _erratic_sd(obs, weather_adjusted)
    per_row = _per_row_of_daily_ratio(obs, rows, lambda ratio: ratio @ ddn,
                                      *([] if sd is None else [sd]))
    slope = per_row[0] / max(float(ddn @ ddn), 1e-9)
    erratic = (np.zeros(len(rows)) if sd is None
               else np.log(np.maximum(per_row[1], 1e-9)))  # as `_erratic_feature`
    onehot = (obs.profile_class[rows][:, None]
              == np.unique(obs.profile_class[rows])[None, :]).astype(float)
    return np.column_stack([off_hours, on_hours, p.min(axis=1), 1.0 / p.max(axis=1),
                            ratio.std(axis=1), window.max(axis=1), slope, erratic, onehot])


def _score(safety: np.ndarray) -> np.ndarray:
    """0..100, higher is safer: the customer's percentile of estimated safety (customers the
    data cannot tell apart share the mean of their percentiles)."""
    from scipy.stats import rankdata

    if len(safety) == 0:
        return np.zeros(0)
    return 100.0 * (rankdata(safety) - 0.5) / len(safety)


def _segments(obs: Observations, rows: np.ndarray, k: int, seed: int) -> np.ndarray:
    """k-means on the normalised mean daily profiles of metered customers (seeded)."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    p = obs.mean_profile_kw[rows]
    p = p / np.maximum(p.mean(axis=1, keepdims=True), 1e-12)
    k = min(k, len(rows))
    # one thread: OpenMP threads on a busy machine cost seconds here, one costs milliseconds
    with threadpool_limits(1):
        return KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(p).astype(np.int16)


def _segment_mean(values: np.ndarray, segment: np.ndarray) -> np.ndarray:
    sums = np.bincount(segment, weights=values)
    counts = np.maximum(np.bincount(segment), 1)
    return (sums / counts)[segment]


# ---- the company's view in a model ---------------------------------------------------------
class DataPlatform:
    """The model's platform: acquires at construction, estimates, writes the company's view
    into the customer table (credit_score, efficiency_estimate_share, ...); each month of
    the run it measures savings, learns from the outcomes it sees, and books its costs."""

    def __init__(self, model, needed: bool = True):
        """`needed` False (nothing in the run reads an estimate): no history is simulated;
        the meters are still drawn (their costs are booked) and the estimate columns are
        NaN (segment -1)."""
        self.model = model
        self.params = model.scenario.data_platform
        self.needed = needed
        self.refits = 0
        if not needed:
            self._skip()
            return
        self.observations = acquire(model.scenario, model.customers,
                                    model.type_column("flexibility_share"), model.streams)
        self.metered = self.observations.metered
        seed = int(model.streams.fresh("platform:segments").integers(2**31 - 1))
        self.features = features(self.observations, self.params.analytics,
                                 self.params.segments, seed, self.params.estimate_shrinkage,
                                 self.params.volatility_weather_adjusted)
        self.labels = Labels.from_observations(self.observations)
        self.estimates = fit(self.observations, self.features, self.labels)
        self.initial_estimates = self.estimates
        self._write()
        self.measurement = OptionC(model, self.observations)
        self._seed = seed
        self._readings: list[tuple[int, np.ndarray]] = []  # in-run days (reread_loads_in_run)

    def observe_day(self, day: int, customer_kw: np.ndarray) -> None:
        """In-run meter readings (`reread_loads_in_run`): the day's imports of each interval
        customer as its meter reads them (load noise is the world's; meter error drawn from
        the platform's own stream)."""
        if not self.params.reread_loads_in_run or not self.needed:
            return
        rows = np.flatnonzero(self.observations.interval)
        if len(rows) == 0:
            return
        sd = self.params.measurement_noise_sd
        error = self.model.streams["platform:in_run_meters"].standard_normal(
            (len(rows), customer_kw.shape[1]))
        self._readings.append((day, np.maximum(customer_kw[rows], 0.0)
                               * np.exp(sd * error - 0.5 * sd**2)))

    def _reread(self) -> bool:
        """Fold the month's readings into the observations: the newest days of the daily
        energy window (the oldest drop out), their share of the mean profile, their
        degree-days and their class standard energy; recompute the load features."""
        if not self._readings:
            return False
        obs, model = self.observations, self.model
        rows = np.flatnonzero(obs.interval)
        days = np.array([d for d, _ in self._readings])
        kw = np.stack([r for _, r in self._readings], axis=1)  # (rows, k, T)
        self._readings = []
        window, k = obs.daily_kwh.shape[1], len(days)
        dt = model.hours_per_interval
        new_daily = np.full((len(obs.interval), k), np.nan, dtype=obs.daily_kwh.dtype)
        new_daily[rows] = kw.sum(axis=2) * dt
        class_daily = model.loads.shapes_kw_per_kwh[:, days, :].sum(axis=2) * dt
        keep = max(window - k, 0)
        profile = obs.mean_profile_kw.copy()
        profile[rows] = (profile[rows] * keep + kw.sum(axis=1)) / (keep + k)
        self.observations = dataclasses.replace(
            obs, mean_profile_kw=profile,
            daily_kwh=np.concatenate([obs.daily_kwh[:, k:], new_daily], axis=1)[:, -window:],
            meter_degree_days=np.concatenate([obs.meter_degree_days[k:], degree_days(
                model.temperature_c[days])])[-window:],
            class_daily_kwh_per_kwh=np.concatenate(
                [obs.class_daily_kwh_per_kwh[:, k:], class_daily], axis=1)[:, -window:])
        self.features = features(self.observations, self.params.analytics,
                                 self.params.segments, self._seed,
                                 self.params.estimate_shrinkage,
                                 self.params.volatility_weather_adjusted)
        return True

    def _skip(self) -> None:
        c, p = self.model.customers, self.params
        coverage = _by_type(c["customer_type"], p.household_meter_coverage_share,
                            p.enterprise_meter_coverage_share, p.microgrid_meter_coverage_share)
        self.metered = self.model.streams.fresh("platform:coverage").random(len(c)) < coverage
        self.observations = self.features = self.labels = self.measurement = None
        nan = np.full(len(c), np.nan)
        self.estimates = Estimates(nan, nan.copy(), nan.copy(), nan.copy(), nan.copy(),
                                   np.full(len(c), -1, dtype=np.int16))
        self.initial_estimates = self.estimates
        self._write()

    def _write(self) -> None:
        for name, values in self.estimates.columns().items():
            self.model.customers[name] = values

    def start_month(self) -> None:
        """In-run observation: add the savings measured on efficiency contracts (after
        MIN_MEASURED_MONTHS) and the defaults seen on contracts as labels; refit if any
        label changed; rewrite the company's view. With `reread_loads_in_run`, the month's
        meter readings first update the load features (and the platform refits)."""
        if not self.needed:
            return
        reread = self._reread() if self.params.reread_loads_in_run else False
        if not self.params.learn_in_run:
            if reread:
                self.estimates = fit(self.observations, self.features, self.labels)
                self.refits += 1
                self._write()
            return
        m = self.measurement
        eff = self.labels.efficiency_share.copy()
        measured = m.months >= MIN_MEASURED_MONTHS
        eff[measured] = m.saved_kwh[measured] / np.maximum(m.baseline_kwh[measured], 1e-9)
        defaulted = self.labels.defaulted.copy()
        for service in self.model.market.services:
            book = service.contracts
            if len(book):
                defaulted[book["customer"][book["status"] == DEFAULTED]] = True
        changed = (not np.array_equal(eff, self.labels.efficiency_share, equal_nan=True)
                   or not np.array_equal(defaulted, self.labels.defaulted))
        if changed or reread:
            same_credit = np.array_equal(defaulted, self.labels.defaulted) and not reread
            hazard = self.estimates.default_hazard_estimate_per_year if same_credit else None
            self.labels = Labels(eff, self.labels.flexibility_share, defaulted)
            self.estimates = fit(self.observations, self.features, self.labels, hazard)
            self.refits += 1
            self._write()

    def book_month(self, date: datetime.date, month_share: float) -> None:
        """A month (or `month_share` of one) of the platform's costs on the `data_platform`
        line: meters' capital charge (annuity over their life), operating cost per metered
        customer, and the analytics level's cost."""
        p, ledger = self.params, self.model.company.ledger
        meters = float(self.metered.sum())
        capex = (p.interval_meter_capex_per_meter if p.granularity == "interval"
                 else p.monthly_meter_capex_per_meter)
        rate = self.model.scenario.company.discount_rate_per_year
        ledger.book(date, "data_platform", "meter_capex_annuity",
                    -meters * capex * annuity_factor(rate, p.meter_life_years) / 12.0
                    * month_share)
        level = self.model.company.price_level  # general inflation since the start
        ledger.book(date, "data_platform", "platform_opex",
                    -meters * p.platform_opex_per_customer_month * month_share * level)
        analytics_cost = {"none": 0.0, "segments": p.segments_cost_per_month,
                          "predictive": p.predictive_cost_per_month}[p.analytics]
        ledger.book(date, "data_platform", "analytics", -analytics_cost * month_share * level)
