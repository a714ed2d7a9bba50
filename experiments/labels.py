"""Human labels with units, and number formatting, for every report and the view.

One table: a KPI key (`system_peak_kw`) maps to a label and a unit ("System peak", "kW"); a
scenario parameter path gets its unit from the scenario schema. `number` writes a value with
thousands separators and never in scientific notation (5.689e+07 is 56,890,000).
"""

import functools
import math

CURRENCY = "{currency}"  # placeholder in a unit, replaced by the scenario's currency

# key: (label, unit). Units: kW, MWh, h, count, share (0-1), %, {currency}, "" (none).
KPIS: dict[str, tuple[str, str]] = {
    "households": ("Households", "count"),
    "enterprises": ("Enterprises", "count"),
    "microgrids": ("Microgrids", "count"),
    "feeders": ("Feeders", "count"),
    "transformers": ("Transformers", "count"),
    "days": ("Days simulated", ""),
    "system_peak_kw": ("System peak", "kW"),
    "system_peak_time": ("System peak at", "time"),
    "energy_mwh": ("Energy delivered", "MWh"),
    "energy_kwh": ("Energy delivered", "kWh"),
    "load_factor": ("Load factor", "share"),
    "household_peak_kw": ("Households' peak", "kW"),
    "cpp_event_days": ("Critical-peak event days", ""),
    "microgrid_import_mwh": ("Microgrid imports", "MWh"),
    "microgrid_export_mwh": ("Microgrid exports", "MWh"),
    "max_feeder_peak_kw": ("Highest feeder peak", "kW"),
    "max_transformer_utilisation": ("Highest transformer loading", "share of rating"),
    "transformers_over_rating": ("Transformers over rating", "count"),
    "transformer_hours_over_rating": ("Transformer-hours over rating", "h"),
    "feeder_days_over_rating": ("Feeder-days over rating", ""),
    "energy_revenue": ("Energy revenue", CURRENCY),
    "wholesale_cost": ("Wholesale energy cost", CURRENCY),
    "capacity_cost": ("Capacity cost of peak", CURRENCY),
    "company_margin": ("Company cash margin", CURRENCY),
    "company_npv": ("Company NPV over the horizon", CURRENCY),
    "company_npv_lifetime": ("Company NPV over the contracts' life", CURRENCY),
    "contracts": ("Service contracts signed", "count"),
    "contracts_defaulted": ("Service contracts defaulted", "count"),
    "service_revenue": ("Service revenue", CURRENCY),
    "default_losses": ("Default losses", CURRENCY),
    "recoveries": ("Recoveries on defaults", CURRENCY),
    "taxes": ("Taxes", CURRENCY),
    "subsidies": ("Subsidies", CURRENCY),
    "customer_bill_total": ("Customers' energy bills", CURRENCY),
    "customer_service_paid": ("Customers' service payments", CURRENCY),
    "customer_service_received": ("Paid to customers by services", CURRENCY),
    "peak_day": ("System peak day", "date"),
    "peak_interval": ("Interval of the system peak", "interval of day"),
    "uptake": ("Service uptake", "share of eligible"),
    "peak_reduction_kw": ("Peak reduction", "kW"),
    "deferral_value": ("Deferral value of the peak reduction", CURRENCY),
    "losses_mwh": ("Network losses", "MWh"),
    "loss_share": ("Network losses", "share of delivered"),
    "min_voltage_pu": ("Lowest voltage", "pu"),
    "min_feeder_hosting_kw": ("Lowest feeder hosting capacity", "kW"),
    "transformers_reverse_flow": ("Transformers with reverse flow", "count"),
    "transformer_hours_reverse_flow": ("Transformer-hours of reverse flow", "h"),
    "max_reverse_flow_kw": ("Largest reverse flow", "kW"),
    # the credit-screening curve
    "threshold": ("Credit-score threshold", "score 0-100"),
    "defaulted": ("Contracts defaulted", "count"),
    "lifetime_default_share": ("Lifetime default probability of those signed", "share"),
    "line_npv_lifetime": ("Service line NPV over the contracts' life", CURRENCY),
    # sweeps and sensitivity
    "y": ("Ishigami function", ""),
    "S1": ("First-order index S1", ""),
    "S1_conf": ("± 95 % CI of S1", ""),
    "ST": ("Total index ST", ""),
    "ST_conf": ("± 95 % CI of ST", ""),
    "mu": ("Mean elementary effect μ", ""),
    "mu_star": ("Mean absolute effect μ*", ""),
    "mu_star_conf": ("± 95 % CI of μ*", ""),
    "sigma": ("Spread of effects σ", ""),
}
NO_UNIT = {"", "time", "date"}


def _humanise(key: str) -> str:
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@functools.cache
def _parameter_units() -> dict[str, str]:
    from gridvalue.simulation.scenario import Scenario
    from gridvalue.simulation.schema import parameter_rows

    return {r["parameter"]: r["unit"] or "" for r in parameter_rows(Scenario)}


def unit(key: str, currency: str = "CNY") -> str:
    """The unit of a KPI key or a scenario parameter path ('' when it has none)."""
    if key in KPIS:
        found = KPIS[key][1]
    else:
        found = _parameter_units().get(key, "")
        found = "" if found == "-" else found
    return found.replace(CURRENCY, currency)


def label(key: str, currency: str = "CNY", with_unit: bool = True) -> str:
    """'System peak (kW)' for `system_peak_kw`; 'Tariff · residential price per kwh (CNY/kWh)'
    for a parameter path; an unknown key is humanised."""
    if key in KPIS:
        text = KPIS[key][0]
    elif "." in key:
        parts = key.split(".")
        text = " · ".join([parts[0].replace("_", " ").capitalize()]
                          + [p.replace("_", " ") for p in parts[1:]])
    else:
        text = _humanise(key)
    found = unit(key, currency)
    return f"{text} ({found})" if with_unit and found not in NO_UNIT else text


def number(value, digits: int | None = None) -> str:
    """A number with thousands separators, never in scientific notation: whole numbers as
    such, large values rounded to units, small ones to about three significant digits.
    `digits` forces that many decimals. NaN is '–'."""
    if isinstance(value, bool) or value is None:
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
    if math.isnan(value):
        return "–"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if digits is None:
        size = abs(value)
        if size >= 100 or value == round(value):
            digits = 0
        elif size >= 1:
            digits = 2
        elif size >= 1e-6:
            digits = min(8, 2 - math.floor(math.log10(size)))
        else:
            return "0"
    text = f"{value:,.{digits}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


def money(value: float, currency: str = "CNY", signed: bool = False) -> str:
    """'1,234,567 CNY'; with `signed`, '+1,234,567 CNY'."""
    text = number(float(round(value)))
    if signed and round(value) > 0:
        text = "+" + text
    return f"{text} {currency}"


def npv_note(horizon: float, lifetime: float, currency: str = "CNY") -> str:
    """A sentence on why the horizon NPV and the lifetime NPV differ, where their signs do
    ('' where they agree)."""
    if round(horizon) == 0 or round(lifetime) == 0 or (horizon > 0) == (lifetime > 0):
        return ""
    if lifetime > 0:
        why = ("the company pays for equipment, installation and marketing when a contract is "
               "signed, and most of the contract's income arrives after the days simulated")
    else:
        why = ("the contracts' income so far outweighs what they will still cost or lose "
               "(upkeep, margin lost, expected defaults) after the days simulated")
    return (f"Over the contracts' life the NPV is {money(lifetime, currency, True)}; over the "
            f"days simulated it is {money(horizon, currency, True)}. They differ in sign "
            f"because {why}. The lifetime figure adds each live contract's expected value "
            "after the horizon, discounted at the company's rate.")
