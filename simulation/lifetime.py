"""One contract-lifetime valuation for every service.

A contract's expected value from a valuation date on is the discounted sum, month by month,
of three streams (each (contracts, months) arrays, column k being month k + 1 after the date):

- `contract_net`: cash the contract moves while it runs (revenue less upkeep and payments to
  the customer), paid in month k only if the customer has not defaulted before it;
- `effect`: what the contract's physical effect does to the company's margin (the energy-
  sales margin a saving or PV takes, negative), in the term and after it (savings that
  persist, PV that passes to the customer); `effect_survives_default` says whether it goes
  on after a default (a retrofit stays; repossessed panels or kit stop);
- `recovery`: cash a repossessed asset brings back if the customer defaults in month k.

Survival comes from the company's own estimate of each customer's annual default hazard
(`default_hazard_estimate_per_year`, written by the data platform), never the hidden hazard:
the chance a contract is still paying in month k is (1 - h)^((k - 1) / 12), and the chance it
defaults at the end of month k is (1 - h)^((k - 1) / 12) - (1 - h)^(k / 12). Money in month k
is discounted by (1 + r)^(-k / 12) at the valuation date.

The same engine values an offer for the customer (over the offer's whole term, at the
customer's own rate) and what is left of the company's contracts at the end of the horizon,
so the lifetime value of a contract does not depend on where the horizon cuts it.
"""

import numpy as np


def survival(hazard_per_year: np.ndarray, months: int,
             until: np.ndarray | None = None) -> np.ndarray:
    """(n, months + 1): the chance of no default through month 0..months (no default risk
    after month `until`, the end of the term, where given)."""
    h = np.clip(np.asarray(hazard_per_year, dtype=float), 0.0, 1.0)[:, None]
    k = np.broadcast_to(np.arange(months + 1)[None, :], (len(h), months + 1))
    if until is not None:
        k = np.minimum(k, np.asarray(until)[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(h < 1.0, (1.0 - h) ** (k / 12.0), (k == 0).astype(float))


def discount(rate_per_year: "float | np.ndarray", months: int) -> np.ndarray:
    """(n or 1, months): (1 + r)^(-k/12) for k = 1..months."""
    r = np.atleast_1d(np.asarray(rate_per_year, dtype=float))
    return (1.0 + r[:, None]) ** (-np.arange(1, months + 1)[None, :] / 12.0)


def expected_value(rate_per_year: "float | np.ndarray", hazard_per_year: np.ndarray,
                   contract_net: np.ndarray, effect: np.ndarray | None = None,
                   effect_survives_default: bool = True,
                   recovery: np.ndarray | None = None,
                   term_months: np.ndarray | None = None,
                   tax_rate: "float | np.ndarray" = 0.0) -> np.ndarray:
    """Expected discounted value of each contract's streams from the valuation date (see the
    module docstring); arrays are (n, months), zero where a stream has ended. `term_months`:
    months left in each contract's term (no default risk after it). `tax_rate`: income tax
    on the contract's cash and recoveries, a float or one rate per month (its taxable income,
    simulation/taxes.py; the margin its effect takes is not a service line's income), so the
    value is after tax."""
    contract_net = np.asarray(contract_net, dtype=float)
    n, months = contract_net.shape
    if n == 0 or months == 0:
        return np.zeros(n)
    alive = survival(hazard_per_year, months, term_months)
    paying, d = alive[:, :-1], discount(rate_per_year, months)
    tax = np.asarray(tax_rate, dtype=float)
    if tax.any():  # after tax: rate per month k (a float or (months,))
        kept = d * (1.0 - np.broadcast_to(tax, (months,)))[None, :]
        value = (contract_net * paying * kept).sum(axis=1)
        if recovery is not None:
            value += (recovery * (alive[:, :-1] - alive[:, 1:]) * kept).sum(axis=1)
        if effect is not None:
            weight = 1.0 if effect_survives_default else paying
            value += (effect * weight * d).sum(axis=1)
        return value
    value = (contract_net * paying * d).sum(axis=1)
    if effect is not None:
        weight = 1.0 if effect_survives_default else paying
        value += (effect * weight * d).sum(axis=1)
    if recovery is not None:
        value += (recovery * (alive[:, :-1] - alive[:, 1:]) * d).sum(axis=1)
    return value


def depreciation_shield(rate_per_year: float, capex: np.ndarray, months_depreciated: np.ndarray,
                        life_months: float, tax_rate: "float | np.ndarray") -> np.ndarray:
    """Value of the tax the rest of each contract's straight-line depreciation saves:
    tax_rate (a float or one rate per month k = 1..) x capex / life a month over the months
    of its tax life left, discounted (a default brings the rest forward as a disposal,
    simulation/taxes.py; that is ignored)."""
    left = np.clip(np.ceil(life_months - np.asarray(months_depreciated, float)), 0, None)
    months = int(left.max()) if len(left) else 0
    if months == 0:
        return np.zeros(len(left))
    tax = np.asarray(tax_rate, dtype=float)
    tax = np.broadcast_to(tax, (months,)) if tax.ndim == 0 else tax[:months]
    if len(tax) < months:
        tax = np.r_[tax, np.full(months - len(tax), tax[-1] if len(tax) else 0.0)]
    d = discount(rate_per_year, months)[0] * tax
    annuity = np.concatenate([[0.0], np.cumsum(d)])[left.astype(int)]
    return np.asarray(capex, float) / life_months * annuity

def window(start_month: np.ndarray, end_month: np.ndarray, months: int) -> np.ndarray:
    """(n, months) mask of months k = 1..months with start < k <= end (a stream that runs
    from after month `start` to month `end`, counted from the valuation date)."""
    k = np.arange(1, months + 1)[None, :]
    return (k > np.asarray(start_month)[:, None]) & (k <= np.asarray(end_month)[:, None])


def ramp(rate_per_year: float, months: int, offset_months: np.ndarray | None = None,
         n: int = 1) -> np.ndarray:
    """(n, months) growth factors (1 + g)^((offset + k) / 12): escalation of a monthly flow
    from its level at month -offset."""
    offset = np.zeros(n) if offset_months is None else np.asarray(offset_months, dtype=float)
    k = np.arange(1, months + 1)[None, :]
    return (1.0 + rate_per_year) ** ((offset[:, None] + k) / 12.0)
