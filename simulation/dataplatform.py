"""The information value chain: what the meter-data platform acquires, what it infers, and
the company's view of each customer that targeting, offer terms and screening use.

1. Acquisition (`acquire`): the months before the start date, simulated with the load
   engine's standard shapes and noise plus the ways hidden traits show in consumption
   (below), passed through the platform's limits: smart-meter coverage by customer type,
   reading granularity (interval readings or monthly totals only), measurement noise and
   history length. Every customer's monthly bills and payment record are seen regardless.
   The result, `Observations`, holds copies of what was seen and no hidden truth.
2. Processing (`estimate`) receives only `Observations`. `none`: the billing file (bill
   size, published averages, payment record). `segments`: adds k-means load-shape segments
   and segment-average estimates (the segment's mean deviation from the published averages).
   `predictive`: per-customer estimates of savings potential,
   flexibility, peak contribution and credit risk. Estimates shrink towards the published
   averages by how reliable their data are (empirical Bayes, no labels needed).

How hidden traits show in metered consumption (assumptions about the world):
- savings potential e: that share of the customer's energy is always-on waste, flat all day;
- flexibility f: that share runs in one block of FLEX_WINDOW_HOURS at a customer-specific hour;
- default hazard h: day-to-day consumption is erratic, its log-sd x (1 + k h / mean h), and
  bills are paid later: each month's delay is exponential with mean d x (1 + k' h / mean h).
The loads of the simulated horizon (simulation/loads.py) do not carry these signatures.
"""

import dataclasses
import datetime
from dataclasses import dataclass

import numpy as np
from scipy.stats import beta as beta_dist

from gridvalue.simulation.population import ENTERPRISE, HOUSEHOLD, MICROGRID
from gridvalue.simulation.profiles import climate_shapes
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.weather import normals_for

ANALYTICS = ("none", "segments", "predictive")
FLEX_WINDOW_HOURS = 4  # assumption: flexible load runs in one 4-hour block a day
PEAK_DAYS = 10  # the system's highest days over the history define "peak contribution"
BILLING_MONTHS = 12  # assumption: months of bills and payments the billing system provides
MIN_GROUP = 5  # customers needed in a group to estimate how reliable its data are
# The profile fit's residual understates the error of its estimates (the block position is
# searched, and persistent shape deviations bias the slope): noise variances are scaled up.
PERSISTENT = 2.0


@dataclass(frozen=True)
class Observations:
    """Everything the platform holds (copies; no hidden truth). n customers, D days of meter
    history, T intervals per day, K peak days; NaN where a customer has no interval
    readings. Bills and payment delays cover the last BILLING_MONTHS for every customer."""

    customer_type: np.ndarray  # (n,) the customer file
    sector: np.ndarray  # (n,)
    profile_class: np.ndarray  # (n,) standard-load-profile assignment
    monthly_kwh: np.ndarray  # (n, BILLING_MONTHS) billed energy
    payment_delay_days: np.ndarray  # (n, BILLING_MONTHS) days after the due date
    interval: np.ndarray  # (n,) bool: interval readings held
    mean_profile_kw: np.ndarray  # (n, T) mean daily profile of the readings
    daily_kwh: np.ndarray  # (n, D) daily energy of the readings
    peak_kw: np.ndarray  # (n, K) readings at the system peak of its K highest days
    class_profile: np.ndarray  # (n_classes, T) standard profile over the history, mean 1
    class_daily_kwh_per_kwh: np.ndarray  # (n_classes, D) standard daily energy
    class_billed_share: np.ndarray  # (n_classes,) share of a year's energy in the bills
    class_peak_kw_per_kwh: np.ndarray  # (n_classes, K) standard load at those peaks
    prior_efficiency_share: np.ndarray  # (n,) published averages by type/sector
    prior_flexibility_share: np.ndarray  # (n,)
    prior_hazard_per_year: np.ndarray  # (n,)
    hazard_concentration: float  # portfolio spread of hazards (Beta concentration)


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


def priors(scenario, ctype: np.ndarray, sector: np.ndarray) -> dict[str, np.ndarray]:
    """Published averages the company knows without any customer data."""
    p = scenario.population
    flex_sector = np.array([p.industrial_flexibility_mean, p.commercial_flexibility_mean,
                            p.agricultural_flexibility_mean])
    enterprise_flex = flex_sector[np.clip(sector, 0, 2)]
    return {
        "prior_efficiency_share": _by_type(ctype, p.household_efficiency_potential_mean,
                                           p.enterprise_efficiency_potential_mean, 0.0),
        "prior_flexibility_share": _by_type(ctype, p.household_flexibility_mean,
                                            enterprise_flex, 0.0),
        "prior_hazard_per_year": _by_type(ctype, p.household_default_hazard_mean,
                                          p.enterprise_default_hazard_mean,
                                          p.enterprise_default_hazard_mean),
    }


def acquire(scenario, customers, flexibility_share: np.ndarray,
            streams: Streams) -> Observations:
    """Simulate the history and pass it through the platform's limits.

    The only function here that reads hidden truths (to generate the world's data). Days are
    simulated backwards from the start date with fresh named streams, so every run sees the
    same recent history whatever the platform's settings (common random numbers): runs that
    differ in coverage, granularity or history length see the same billing records, and
    analytics = "none" sees the same thing in all of them.
    """
    params, meta, prof = scenario.data_platform, scenario.meta, scenario.profiles
    T, dt = meta.intervals_per_day, 24.0 / meta.intervals_per_day
    n, M = len(customers), params.history_months
    end = history_start(meta.start_date, 0)
    first = history_start(meta.start_date, max(M, BILLING_MONTHS))
    D = (end - first).days
    D_meter = (end - history_start(meta.start_date, M)).days
    D_bill = (end - history_start(meta.start_date, BILLING_MONTHS)).days
    # (n_classes, D, T) kW per annual kWh: the class shapes of the place's normal climate
    shapes = climate_shapes(prof, normals_for(scenario.place), first, D, T)[0]
    months = np.array([(first + datetime.timedelta(days=d)).month for d in range(D)])
    bill_month = np.cumsum(np.r_[0, np.diff(months) != 0]) - (
        np.cumsum(np.r_[0, np.diff(months) != 0])[D - D_bill])

    ctype, sector = customers["customer_type"], customers["sector"]
    klass = customers["profile_class"]
    prior = priors(scenario, ctype, sector)
    hazard = customers["default_hazard_per_year"]
    eff = np.clip(customers["efficiency_potential_share"], 0.0, 0.9)
    flex = np.clip(flexibility_share, 0.0, 0.95 - eff)
    rel_hazard = hazard / np.maximum(prior["prior_hazard_per_year"], 1e-9)
    day_sigma = prof.customer_day_sigma * (1.0 + params.erratic_per_relative_hazard * rel_hazard)

    world = streams.fresh("platform:history")
    sd = params.shape_idiosyncrasy_sd
    delta = np.exp(sd * world.standard_normal((n, T)) - 0.5 * sd**2)
    B = max(1, round(FLEX_WINDOW_HOURS / dt))
    block = np.zeros((n, T))
    start = world.integers(0, T, n)
    for j in range(B):
        block[np.arange(n), (start + j) % T] = T / B
    # per customer, float32 for speed: shaped part, flat part (waste + flexible block), and
    # the log-sd of each reading (the load's interval noise and the meter's error together)
    annual = customers["annual_kwh"][:, None]
    shaped_kw = ((1.0 - eff - flex)[:, None] * delta * annual).astype(np.float32)
    flat_kw = ((eff[:, None] + flex[:, None] * block) * annual).astype(np.float32)
    noise_sd = np.sqrt(customers["interval_sigma"] ** 2
                       + params.measurement_noise_sd**2).astype(np.float32)[:, None]
    noise_mean = -0.5 * noise_sd**2

    monthly_kwh = np.zeros((n, BILLING_MONTHS))
    profile_sum = np.zeros((n, T))
    daily_kwh = np.zeros((n, D_meter), dtype=np.float32)  # float32 halves the memory
    at_peak = np.zeros((n, D_meter), dtype=np.float32)
    system_peak = np.zeros(D_meter)
    class_at_peak = np.zeros((shapes.shape[0], D_meter))
    for d in range(D - 1, -1, -1):  # backwards from the start date
        s = shapes[:, d, :].astype(np.float32)
        sc = s[klass]
        weather = np.exp(prof.weather_day_sigma * world.standard_normal()
                         - 0.5 * prof.weather_day_sigma**2)
        level = np.exp(day_sigma * world.standard_normal(n) - 0.5 * day_sigma**2) * weather
        kw = world.standard_normal((n, T), dtype=np.float32)
        kw *= noise_sd
        kw += noise_mean
        np.exp(kw, out=kw)
        kw *= sc * shaped_kw + flat_kw * sc.mean(axis=1, keepdims=True)
        kw *= level.astype(np.float32)[:, None]
        energy = kw.sum(axis=1) * dt
        if d >= D - D_bill:
            monthly_kwh[:, bill_month[d]] += energy
        m = d - (D - D_meter)
        if m >= 0:
            profile_sum += kw
            daily_kwh[:, m] = energy
            peak_t = int(kw.sum(axis=0).argmax())
            system_peak[m] = kw[:, peak_t].sum()
            at_peak[:, m] = kw[:, peak_t]
            class_at_peak[:, m] = s[:, peak_t]

    delay_mean = params.payment_delay_days_mean * (
        1.0 + params.payment_delay_per_relative_hazard * rel_hazard)
    delay = streams.fresh("platform:payments").exponential(
        1.0, (n, BILLING_MONTHS)) * delay_mean[:, None]
    coverage = _by_type(ctype, params.household_meter_coverage_share,
                        params.enterprise_meter_coverage_share,
                        params.microgrid_meter_coverage_share)
    metered = streams.fresh("platform:coverage").random(n) < coverage
    interval = metered & (params.granularity == "interval")
    top = np.sort(np.argsort(-system_peak, kind="stable")[:min(PEAK_DAYS, D_meter)])
    hidden = ~interval
    profile = profile_sum / D_meter
    for table in (profile, daily_kwh, at_peak):
        table[hidden] = np.nan
    meter_shapes = shapes[:, D - D_meter:, :]
    class_mean = meter_shapes.mean(axis=1)
    return Observations(
        customer_type=ctype.copy(), sector=sector.copy(), profile_class=klass.copy(),
        monthly_kwh=monthly_kwh, payment_delay_days=delay, interval=interval,
        mean_profile_kw=profile, daily_kwh=daily_kwh, peak_kw=at_peak[:, top].astype(float),
        class_profile=class_mean / class_mean.mean(axis=1, keepdims=True),
        class_daily_kwh_per_kwh=meter_shapes.sum(axis=2) * dt,
        class_billed_share=shapes[:, D - D_bill:, :].sum(axis=(1, 2)) * dt,
        class_peak_kw_per_kwh=class_at_peak[:, top],
        hazard_concentration=scenario.population.default_hazard_concentration,
        **prior)


# ---- processing ----------------------------------------------------------------------------
def estimate(obs: Observations, analytics: str, segments: int = 6,
             seed: int = 0) -> Estimates:
    """The company's estimates from what the platform holds, at an analytics level."""
    if analytics not in ANALYTICS:
        raise ValueError(f"analytics must be one of {ANALYTICS}, got {analytics!r}")
    n = len(obs.customer_type)
    group = obs.customer_type.astype(int) * 4 + obs.sector.astype(int) + 1
    annual_kwh = obs.monthly_kwh.sum(axis=1) / np.maximum(
        obs.class_billed_share[obs.profile_class], 1e-12)
    standard_peak_kw = annual_kwh * obs.class_peak_kw_per_kwh[obs.profile_class].mean(axis=1)
    pay = _payment_feature(obs.payment_delay_days)
    features = [pay]
    eff = obs.prior_efficiency_share.copy()
    flex = obs.prior_flexibility_share.copy()
    peak = standard_peak_kw
    segment = np.full(n, -1, dtype=np.int16)
    rows = np.flatnonzero(obs.interval)
    if analytics != "none" and len(rows):
        eff_c, flex_c = _shape_estimates(obs, rows)
        peak_c = np.nanmean(obs.peak_kw[rows], axis=1)
        if analytics == "segments":
            segment[rows] = _segments(obs, rows, segments, seed)
            eff_c, flex_c = (prior[rows] + _segment_mean(v - prior[rows], segment[rows])
                             for v, prior in ((eff_c, obs.prior_efficiency_share),
                                              (flex_c, obs.prior_flexibility_share)))
            peak_c = annual_kwh[rows] * _segment_mean(peak_c / annual_kwh[rows], segment[rows])
        else:
            features.append(_erratic_feature(obs, rows))
        eff[rows], flex[rows], peak = eff_c, flex_c, peak.copy()
        peak[rows] = peak_c
    risk, reliability = _factor_score(features, group, n)
    return Estimates(
        efficiency_estimate_share=np.clip(eff, 0.0, 0.9),
        flexibility_estimate_share=np.clip(flex, 0.0, 1.0),
        peak_contribution_estimate_kw=peak,
        default_hazard_estimate_per_year=_hazard(risk, reliability, obs, group),
        credit_score=_score(-risk),
        segment=segment)


def _payment_feature(delay_days: np.ndarray) -> tuple:
    """Log of the mean payment delay (higher: riskier) and its sampling variance (months of
    exponential delays: 1 / M)."""
    months = delay_days.shape[1]
    x = np.log(np.maximum(delay_days.mean(axis=1), 1e-6))
    return x, np.full(len(x), 1.0 / months), np.ones(len(x), dtype=bool)


def _erratic_feature(obs: Observations, rows: np.ndarray) -> tuple:
    """Log-sd of each metered customer's daily energy around its standard day (weather
    removed with the day's mean over all metered customers), and its sampling variance."""
    n, days = len(obs.customer_type), obs.daily_kwh.shape[1]
    ratio = np.log(np.maximum(obs.daily_kwh[rows], 1e-9)
                   / np.maximum(obs.class_daily_kwh_per_kwh[obs.profile_class[rows]], 1e-12))
    ratio -= ratio.mean(axis=0, keepdims=True)
    x = np.zeros(n)
    x[rows] = np.log(np.maximum(ratio.std(axis=1, ddof=1), 1e-9)) if days > 1 else 0.0
    mask = np.zeros(n, dtype=bool)
    mask[rows] = days > 1
    return x, np.full(n, 1.0 / (2.0 * max(days - 1, 1))), mask


def _factor_score(features: list[tuple], group: np.ndarray, n: int):
    """Posterior mean of a standard-normal latent risk z given features x = mu + a z + noise
    (noise variances known; a from the spread of x over its group beyond noise). Returns
    z estimates and their reliability (variance of the estimate, 0..1)."""
    num, den = np.zeros(n), np.zeros(n)
    for x, noise_var, mask in features:
        for g in np.unique(group):
            rows = np.flatnonzero((group == g) & mask)
            if len(rows) < MIN_GROUP:
                continue
            spread = x[rows].var()
            signal = max(spread - noise_var[rows].mean(), 0.0)
            if signal <= 1e-12:
                continue
            loading = np.sqrt(signal)
            num[rows] += loading / noise_var[rows] * (x[rows] - x[rows].mean())
            den[rows] += signal / noise_var[rows]
    return num / (1.0 + den), den / (1.0 + den)


def _score(safety: np.ndarray) -> np.ndarray:
    """0..100, higher is safer: the customer's percentile of estimated safety (customers the
    data cannot tell apart share the mean of their percentiles)."""
    from scipy.stats import rankdata

    if len(safety) == 0:
        return np.zeros(0)
    return 100.0 * (rankdata(safety) - 0.5) / len(safety)


def _hazard(risk: np.ndarray, reliability: np.ndarray, obs: Observations,
            group: np.ndarray) -> np.ndarray:
    """Expected annual hazard: the prior mean, moved towards the prior-distribution quantile
    at the customer's risk rank in its group, as far as the risk estimate is reliable."""
    from scipy.stats import rankdata

    mean, conc = obs.prior_hazard_per_year, obs.hazard_concentration
    quantile = np.full(len(risk), 0.5)
    for g in np.unique(group):
        rows = np.flatnonzero(group == g)
        quantile[rows] = (rankdata(risk[rows]) - 0.5) / len(rows)
    a, b = np.maximum(mean * conc, 1e-9), np.maximum((1.0 - mean) * conc, 1e-9)
    at_quantile = beta_dist.ppf(quantile, a, b)
    return (1.0 - reliability) * mean + reliability * at_quantile


def _shape_estimates(obs: Observations, rows: np.ndarray):
    """Savings potential and flexibility of metered customers from their mean profile.

    Centred, the profile is p - 1 = beta (s - 1) + phi (block - 1) + noise, with s the
    standard profile, beta = 1 - e - f and phi = f; fitted by least squares at every
    position of the flexible block, keeping the best fit. Both estimates are then shrunk to
    the published averages by their reliability among customers of the same standard
    profile."""
    group = obs.profile_class
    p = obs.mean_profile_kw[rows]
    p = p / np.maximum(p.mean(axis=1, keepdims=True), 1e-12) - 1.0
    s = obs.class_profile[obs.profile_class[rows]] - 1.0
    n, T = p.shape
    B = max(1, round(FLEX_WINDOW_HOURS * T / 24))
    ss, ps = (s * s).sum(axis=1), (p * s).sum(axis=1)
    best = np.full(n, np.inf)
    slope, flex_raw, var_eff, var_flex = (np.zeros(n) for _ in range(4))
    for k in range(T):
        b = np.full(T, -1.0)
        b[(k + np.arange(B)) % T] += T / B
        sb, bb, pb = s @ b, b @ b, p @ b
        det = np.maximum(ss * bb - sb**2, 1e-12)
        beta_k = (ps * bb - pb * sb) / det
        phi_k = (pb * ss - ps * sb) / det
        rss = ((p - beta_k[:, None] * s - phi_k[:, None] * b) ** 2).sum(axis=1)
        better = rss < best
        noise = rss / max(T - 2, 1)
        best = np.where(better, rss, best)
        slope = np.where(better, beta_k, slope)
        flex_raw = np.where(better, phi_k, flex_raw)
        var_flex = np.where(better, noise * ss / det, var_flex)
        var_eff = np.where(better, noise * (bb + ss + 2 * sb) / det, var_eff)
    flex = _shrink(flex_raw, PERSISTENT * var_flex, obs.prior_flexibility_share, group, rows)
    eff = _shrink(1.0 - slope - flex_raw, PERSISTENT * var_eff, obs.prior_efficiency_share,
                  group, rows)
    return eff, flex


def _shrink(raw: np.ndarray, noise_var: np.ndarray, prior: np.ndarray, group: np.ndarray,
            rows: np.ndarray) -> np.ndarray:
    """Empirical Bayes: prior mean + reliability x (raw - group mean of raw), per group."""
    out = prior[rows].copy()
    g = group[rows]
    for code in np.unique(g):
        idx = np.flatnonzero(g == code)
        if len(idx) < MIN_GROUP:
            continue
        spread = raw[idx].var()
        signal = max(spread - noise_var[idx].mean(), 0.0)
        reliability = signal / (signal + noise_var[idx]) if spread > 0 else 0.0
        out[idx] += reliability * (raw[idx] - raw[idx].mean())
    return out


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
    into the customer table (credit_score, efficiency_estimate_share, ...)."""

    def __init__(self, model):
        self.params = model.scenario.data_platform
        self.observations = acquire(model.scenario, model.customers,
                                    model.type_column("flexibility_share"), model.streams)
        seed = int(model.streams.fresh("platform:segments").integers(2**31 - 1))
        self.estimates = estimate(self.observations, self.params.analytics,
                                  self.params.segments, seed)
        for name, values in self.estimates.columns().items():
            model.customers[name] = values
