"""The random-utility machinery every customer type uses to choose among a month's alternatives.

A customer who considers a market in a month (one PV system, one tariff package, one
efficiency contract, ... per site) weighs the alternatives it really has: the company's open
offers in that market, doing it itself (self-finance) and competitors' offers. Each
alternative j has, for customer i, a utility in years of the customer's own energy bill

    U_ij = beta_i * v_ij - hassle_ij - risk_i * uncertainty_j * |v_ij| + trust_ij + taste_i

with v_ij the alternative's NPV to the customer over its annual bill, beta_i a price (value)
coefficient drawn per customer from a log-normal of mean 1 whose spread is set per segment
(a mixed logit), hassle a transaction cost, a risk premium on uncertain savings, the
customer's trust in the provider and its persistent taste for the market (normal, mean 0,
spread per segment: what money does not explain, e.g. a liking for solar). The customer
picks one alternative by a logit of scale `logit_scale` on utilities relative to its largest
one (mutually exclusive alternatives are chosen together).

Whether it takes it at all is the market ceiling: each customer has a persistent latent draw
u_i ~ U(0, 1) per market and takes its pick only if u_i < M_ij, the maximum market share of
that alternative's economics (NREL dGen's curve of payback for self-financed PV, a documented
curve of utility for the rest: `value_ceiling`). So the long-run share of a market at fixed
economics is the ceiling's share, and a change of economics continues from the current share
(the customers the new ceiling admits are those with u_i below it: dGen's "equivalent time"
without a restart). Diffusion sets the pace: an aware customer considers the market in a
month with probability (p + q * s / M) * dt, s the share of its social neighbours who have
adopted in the market. With one alternative, everyone aware and a complete graph, the share
F follows F[k+1] = F[k] + (M - F[k]) (p + q F[k] / M) dt: the discrete Bass model scaled by
M (dGen's form); with the ceiling off (M = 1) it is the plain Bass model.
"""

from dataclasses import dataclass

import numpy as np

NOTHING = -1  # the chosen-alternative code of "do nothing"

# NREL dGen, NREL_max_market_share.csv (residential, host-owned): payback (yr) -> share
DGEN_PAYBACK_YEARS = np.array([0.0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30])
DGEN_MAX_SHARE = np.array([0.93, 0.93, 0.876, 0.783, 0.709, 0.635, 0.522, 0.409, 0.360,
                           0.261, 0.204, 0.118, 0.045, 0.018, 0.012])


def dgen_max_market_share(payback_years: np.ndarray) -> np.ndarray:
    """dGen's maximum market share at a simple payback (linear between the table's points,
    0.012 beyond 30 years, 0 where the system never pays back: NaN or infinite payback)."""
    payback = np.asarray(payback_years, dtype=float)
    share = np.interp(np.nan_to_num(payback, nan=np.inf, posinf=1e9), DGEN_PAYBACK_YEARS,
                      DGEN_MAX_SHARE)
    return np.where(np.isfinite(payback) & (payback >= 0), share, 0.0)


def value_ceiling(utility: np.ndarray, max_share: np.ndarray | float,
                  scale_bill_years: np.ndarray | float) -> np.ndarray:
    """Maximum market share of an alternative of utility U (bill-years):
    M = max_share * (1 - exp(-U / scale)) for U > 0, 0 otherwise."""
    u = np.maximum(np.asarray(utility, dtype=float), 0.0)
    return max_share * -np.expm1(-u / np.maximum(scale_bill_years, 1e-12))


def price_coefficients(z: np.ndarray, log_sd: np.ndarray) -> np.ndarray:
    """Per-customer price coefficients from standard-normal draws z: log-normal of mean 1."""
    return np.exp(log_sd * z - 0.5 * log_sd**2)


def bass_pace(p_per_year: np.ndarray, q_per_year: np.ndarray, neighbour_share: np.ndarray,
              ceiling: np.ndarray, dt_years: float) -> np.ndarray:
    """Probability of considering the market this period: (p + q * min(1, s / M)) * dt."""
    imitation = np.divide(neighbour_share, ceiling, out=np.ones_like(neighbour_share),
                          where=ceiling > 0)
    return np.clip((p_per_year + q_per_year * np.minimum(imitation, 1.0)) * dt_years, 0.0, 1.0)


def logit_pick(utility: np.ndarray, available: np.ndarray, scale: np.ndarray | float,
               u: np.ndarray) -> np.ndarray:
    """Each row's alternative drawn with logit probabilities exp(scale U / |U|max) over the
    available ones (utilities relative to the row's largest in magnitude, so the pick is the
    same whatever the size of the project against the bill), by inverse CDF of the uniform u
    (one per row); NOTHING where none is available."""
    n, k = utility.shape
    if k == 0:
        return np.full(n, NOTHING)
    size = np.where(available, np.abs(utility), 0.0).max(axis=1, keepdims=True)
    relative = utility / np.maximum(size, 1e-12)
    scaled = np.where(available, np.asarray(scale).reshape(-1, 1) * relative, -np.inf)
    top = scaled.max(axis=1, keepdims=True)
    weight = np.where(available, np.exp(scaled - np.where(np.isfinite(top), top, 0.0)), 0.0)
    total = weight.sum(axis=1)
    cdf = np.cumsum(weight, axis=1)
    pick = (cdf < (u * total)[:, None]).sum(axis=1)
    return np.where(total > 0, np.minimum(pick, k - 1), NOTHING)


@dataclass
class Alternatives:
    """One market's alternatives for the customers considering it this month (rows), as
    (rows, alternatives) arrays; per-alternative vectors are (alternatives,)."""

    value_bill_years: np.ndarray  # NPV to the customer over its annual bill
    available: np.ndarray  # bool: the customer may take it (aware, eligible, screened)
    hassle_bill_years: np.ndarray  # transaction cost
    uncertainty: np.ndarray  # (alternatives,) share of the value that is uncertain
    trust_bill_years: np.ndarray  # the customer's trust in each alternative's provider
    payback_years: np.ndarray  # simple payback where the dGen curve applies, else NaN
    max_share: np.ndarray  # (alternatives,) ceiling of the value curve
    scale_bill_years: np.ndarray  # (alternatives,) scale of the value curve
    p_per_year: np.ndarray  # (alternatives,) Bass p
    q_per_year: np.ndarray  # (alternatives,) Bass q
    taste_bill_years: np.ndarray | None = None  # (rows,) the customer's taste for the market


@dataclass
class DecisionRule:
    """A segment's parameters of the choice, one value per row (built by the agent types)."""

    price_coefficient: np.ndarray  # beta_i
    risk_aversion: np.ndarray  # risk premium per unit of uncertain value
    logit_scale: float  # per bill-year
    ceiling_on: bool  # False: every pick is taken (pure Bass)


@dataclass
class Decision:
    """What each considering row did: its pick (or NOTHING) and whether it refused."""

    chosen: np.ndarray  # alternative index, NOTHING where it did not consider or refused
    considered: np.ndarray  # bool
    refused: np.ndarray  # bool: considered, and its ceiling draw kept it out


def utilities(alts: Alternatives, rule: DecisionRule) -> np.ndarray:
    """U_ij in bill-years (see the module docstring)."""
    v = alts.value_bill_years
    u = (rule.price_coefficient[:, None] * v - alts.hassle_bill_years
         - rule.risk_aversion[:, None] * alts.uncertainty[None, :] * np.abs(v)
         + alts.trust_bill_years)
    return u if alts.taste_bill_years is None else u + alts.taste_bill_years[:, None]


def ceilings(alts: Alternatives, utility: np.ndarray, rule: DecisionRule) -> np.ndarray:
    """M_ij: the dGen payback curve where a payback is given, the value curve otherwise."""
    if not rule.ceiling_on:
        return np.ones_like(utility)
    by_value = value_ceiling(utility, alts.max_share[None, :], alts.scale_bill_years[None, :])
    by_payback = dgen_max_market_share(alts.payback_years)
    # the payback curve for a self-financed system, less its hassle, risk and distrust
    return np.where(np.isfinite(alts.payback_years), by_payback * (utility > 0), by_value)


def choose(alts: Alternatives, rule: DecisionRule, neighbour_share: np.ndarray,
           dt_years: float, u_pick: np.ndarray, u_pace: np.ndarray,
           u_ceiling: np.ndarray) -> Decision:
    """The month's decision of each row: pick an alternative by logit, consider the market at
    the Bass pace of that alternative, take it if the ceiling draw admits it."""
    n = len(neighbour_share)
    utility = utilities(alts, rule)
    pick = logit_pick(utility, alts.available, rule.logit_scale, u_pick)
    has = pick != NOTHING
    j = np.where(has, pick, 0)
    rows = np.arange(n)
    if alts.available.shape[1] == 0:
        none = np.zeros(n, bool)
        return Decision(np.full(n, NOTHING), none, none)
    ceiling = ceilings(alts, utility, rule)[rows, j]
    pace = bass_pace(alts.p_per_year[j], alts.q_per_year[j], neighbour_share, ceiling, dt_years)
    considered = has & (u_pace < pace)
    takes = considered & (u_ceiling < ceiling)
    return Decision(np.where(takes, pick, NOTHING), considered, considered & ~takes)


def expected_acceptance(relative_value: np.ndarray, p_per_year: float, dt_years: float,
                        max_share: float, scale_bill_years: float,
                        hassle_bill_years: float) -> np.ndarray:
    """The company's view of the chance a contacted customer signs within a period: the Bass
    base rate times the ceiling of the offer's value to an average customer (mean price
    coefficient, no risk premium or trust known to it)."""
    ceiling = value_ceiling(relative_value - hassle_bill_years, max_share, scale_bill_years)
    return np.clip(p_per_year * dt_years, 0.0, 1.0) * ceiling


def stays_on_package(costs_more: np.ndarray, inertia: float, u: np.ndarray) -> np.ndarray:
    """Power TAC's tariff evaluator: each period a customer re-evaluates with probability
    1 - inertia; one who re-evaluates and finds its package costs more than flat leaves."""
    return ~(costs_more & (u >= inertia))


def leaves_contract(exit_gain: np.ndarray, fee: np.ndarray, inertia: float,
                    u: np.ndarray) -> np.ndarray:
    """A customer who re-evaluates (probability 1 - inertia) leaves a contract when what
    leaving gains it exceeds the termination fee."""
    return (exit_gain > fee) & (u >= inertia)
