"""Enterprise combined cooling, heat and power: heat and cooling demand, and the plant's
dispatch with its energy balance.

Demand (a documented degree-day model on the place's weather, simulation/weather.py): an
enterprise's heat and cooling per day are proportional to its electric scale (annual kWh / 365
x load scale), heat = base + per_K x HDD and cooling = per_K x CDD, with HDD and CDD the
day's mean temperature below `profiles.heating_base_c` and above `profiles.cooling_base_c`;
within the day they follow the site's electric load (the building or process runs then).

Plant: a gas engine of electric efficiency eta_e and heat recovery eta_h (eta_e + eta_h <=
1), and an absorption chiller of coefficient of performance COP fed by recovered heat. Per
interval, with fuel F (kWh of gas):

    electricity = eta_e F,  recovered = eta_h F = heat_used + chiller_heat + dumped,
    cooling = COP x chiller_heat,  losses = F - electricity - heat_used - chiller_heat,

so fuel = electricity + heat_used + chiller_heat + losses (the balance the tests check).
Heat-led: the engine runs to meet the heat and cooling need (heat first, then the chiller),
at most its capacity and the site's own load (no export). Price-led: it runs at that limit in
every interval where the electricity it makes (at the site's price) plus the heat and cooling
it displaces (at their alternatives' prices) are worth more than the gas it burns.
"""

from dataclasses import dataclass

import numpy as np


@dataclass
class PlantFlows:
    """One day's flows of n plants, each (n, T), in kW (x dt for kWh)."""

    fuel: np.ndarray
    electricity: np.ndarray
    heat_used: np.ndarray
    chiller_heat: np.ndarray
    cooling: np.ndarray
    losses: np.ndarray


def thermal_demand_kw(scale_kwh_per_day: np.ndarray, load_kw: np.ndarray,
                      temperature_c: float, heating_base_c: float, cooling_base_c: float,
                      base_heat_ratio: np.ndarray, heat_per_k: np.ndarray,
                      cooling_per_k: np.ndarray, dt_h: float) -> tuple[np.ndarray, np.ndarray]:
    """Heat and cooling demand (n, T) kW of sites with daily electric scale `scale_kwh_per_day`
    and today's electric load `load_kw` (n, T), on a day of mean temperature `temperature_c`."""
    hdd = max(heating_base_c - temperature_c, 0.0)
    cdd = max(temperature_c - cooling_base_c, 0.0)
    heat_kwh = scale_kwh_per_day * (base_heat_ratio + heat_per_k * hdd)
    cool_kwh = scale_kwh_per_day * cooling_per_k * cdd
    load = np.maximum(load_kw, 0.0)
    day = load.sum(axis=1, keepdims=True) * dt_h
    shape = np.divide(load, day, out=np.full_like(load, 1.0 / (load.shape[1] * dt_h)),
                      where=day > 0)
    return heat_kwh[:, None] * shape, cool_kwh[:, None] * shape


def run_plant(fuel_kw: np.ndarray, heat_kw: np.ndarray, cooling_kw: np.ndarray,
              electric_efficiency: float, heat_efficiency: float, cop: float) -> PlantFlows:
    """Flows of plants burning `fuel_kw` against heat and cooling needs (all (n, T))."""
    recovered = heat_efficiency * fuel_kw
    heat_used = np.minimum(recovered, heat_kw)
    chiller_heat = np.minimum(recovered - heat_used, cooling_kw / cop)
    electricity = electric_efficiency * fuel_kw
    return PlantFlows(fuel_kw, electricity, heat_used, chiller_heat, cop * chiller_heat,
                      fuel_kw - electricity - heat_used - chiller_heat)


def dispatch_plants(mode: str, capacity_kw: np.ndarray, load_kw: np.ndarray,
                    heat_kw: np.ndarray, cooling_kw: np.ndarray, price_per_kwh: np.ndarray,
                    gas_price_per_kwh: float, heat_price_per_kwh: float,
                    electric_efficiency: float, heat_efficiency: float,
                    cop: float) -> PlantFlows:
    """One day of plants of electric `capacity_kw` at sites with electric load `load_kw`.
    `price_per_kwh`: the sites' electricity prices (n, T); `heat_price_per_kwh`: what a kWh
    of heat costs the site otherwise (gas boiler); cooling is valued at the electricity price
    over the electric chiller's COP (3.5)."""
    limit_kw = np.minimum(capacity_kw[:, None], np.maximum(load_kw, 0.0)) / electric_efficiency
    if mode == "heat_led":
        need = heat_kw + cooling_kw / cop
        thermal_fuel = (need / heat_efficiency if heat_efficiency > 0
                        else np.where(need > 0, np.inf, 0.0))
        return run_plant(np.minimum(thermal_fuel, limit_kw), heat_kw, cooling_kw,
                         electric_efficiency, heat_efficiency, cop)
    full = run_plant(limit_kw, heat_kw, cooling_kw, electric_efficiency, heat_efficiency, cop)
    worth = (price_per_kwh * full.electricity + heat_price_per_kwh * full.heat_used
             + price_per_kwh / ELECTRIC_CHILLER_COP * full.cooling)
    on = worth > gas_price_per_kwh * full.fuel
    return run_plant(np.where(on, limit_kw, 0.0), heat_kw, cooling_kw, electric_efficiency,
                     heat_efficiency, cop)


ELECTRIC_CHILLER_COP = 3.5  # the cooling a site would otherwise make electrically (assumption)
