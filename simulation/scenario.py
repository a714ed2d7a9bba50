"""The scenario schema: its sections (frozen dataclasses whose fields carry default, unit,
source and bounds), `Scenario`, and building one from a file, a name or a dict
(`load_scenario`, `scenario_from_dict`).

What lives where (no import cycle, function-level imports counted: tests/test_imports.py):

- here: the section dataclasses, `Scenario` and its cross-section checks;
- simulation/schema.py: the `param` machinery (bounds, choices, building and validating a
  section from a raw dict, `ScenarioError`, the rows of `gridvalue params`);
- simulation/loader.py: reading files, the packaged scenarios (package data, found with
  `importlib.resources`), `extends` chains, `--set` overrides and the input limits; it
  returns raw dicts and knows nothing of the sections (its names are re-exported here);
- simulation/vocabulary.py: the shared names (segments, tariff kinds);
- simulation/services/: the registry of services, whose parameter classes are the sections
  `[services.NAME]` and `[competitors.NAME.terms]` (reached from `_service_params` when a
  scenario is built; the services never import this module).

A scenario file is TOML. `extends = "baseline"` inherits a packaged scenario (or a file path,
relative to the extending file); `--set section.field=value` overrides one value. Every input
error raises `ScenarioError` naming the field and the problem.
"""

import datetime
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import tomli_w

from gridvalue.simulation.ev import EvParams
from gridvalue.simulation.loader import (
    MAX_FILE_BYTES,
    MAX_NESTING,
    _merge,
    _read_toml,
    _resolve_raw,
    apply_overrides,
    packaged_scenarios,
    parse_override,
)
from gridvalue.simulation.schema import (
    ScenarioError,
    Shares,
    build,
    dynamic_table,
    param,
    parameter_rows,
    registry_table,
    table,
    to_dict,
)
from gridvalue.simulation.vocabulary import SEGMENT_NAMES, TARIFF_KINDS
from gridvalue.simulation.weather import (
    KT_MAX,
    MONTHLY,
    SCALAR,
    clearness_beta,
    normals_for,
    place_names,
)

A = "assumption"
# the registered strategies of agents/strategies/ (a test checks)
STRATEGY_NAMES = ("fixed", "targeted", "peak_targeted", "learning")
MAX_DAYS = 9131  # 25 years


@dataclass(frozen=True)
class Meta:
    name: str = param("baseline", "-", "-", "Scenario name (used in results folder names)")
    description: str = param("", "-", "-", "What the scenario asks, for a strategist")
    seed: int = param(42, "-", "-", "Master seed of all random streams", min=0, max=2**63 - 1)
    start_date: datetime.date = param(datetime.date(2025, 1, 1), "date", A,
                                      "First simulated day (its calendar year sets load shapes)",
                                      min=datetime.date(1900, 1, 1),
                                      max=datetime.date(2200, 12, 31))
    days: int = param(365, "day", A, "Horizon: simulated days, one model step each "
                      "(up to 25 years)", min=1, max=MAX_DAYS)
    years: float = param(0.0, "yr", A, "Horizon in years (365.25 days each); when above 0 it "
                         "sets `days`", min=0, max=25)
    currency: str = param("CNY", "-", "seed paper (a Chinese grid company)",
                          "Currency of every money figure")
    intervals_per_day: int = param(24, "1/day", "BDEW profiles are 15-min; hourly by default",
                                   "Intraday intervals per step", choices=(24, 96))

    def check(self, path: str) -> None:
        if self.years > 0:
            days = round(self.years * 365.25)
            if days < 1:
                raise ScenarioError(f"{path}.years", f"gives {days} days; the horizon needs 1")
            object.__setattr__(self, "days", days)  # the horizon in days follows the years


@dataclass(frozen=True)
class Network:
    customers_per_transformer: int = param(
        40, "households", A + " (urban LV transformers serve tens of households)",
        "Households per MV/LV transformer", min=1, max=1000)
    enterprises_per_transformer: int = param(
        5, "enterprises", A, "Commercial/agricultural enterprises per shared transformer "
        "(industrial enterprises and microgrids get their own)", min=1, max=500)
    transformers_per_feeder: int = param(
        12, "transformers", A + " (10 kV feeders carry about 10-40 transformers)",
        "Transformers per MV feeder; the feeder count follows from it", min=1, max=500)
    transformer_sizing_margin: float = param(
        1.25, "ratio", A, "Mean ratio of transformer rating to its expected diversified peak",
        min=0.1, max=10)
    transformer_sizing_spread: float = param(
        0.2, "ratio", A, "Standard deviation of that ratio across transformers (some are tight)",
        min=0, max=5)
    power_factor: float = param(0.95, "-", A, "Power factor converting kVA ratings to kW",
                                min=0.5, max=1.0)
    feeder_rating_kva: float = param(8000.0, "kVA", A + " (10 kV, about 460 A)",
                                     "Thermal rating of each MV feeder",
                                     min=0, max=10_000_000, min_exclusive=True)
    section_length_km: float = param(0.3, "km", A, "Mean length of an MV line section",
                                     min=0, max=100, min_exclusive=True)
    source: str = param(
        "synthetic", "-", "-", "The network: synthetic (the seeded generator above), a "
        "pandapower network (case33bw, cigre_lv, cigre_mv, kerber_*, lv_schutterwald, "
        "mv_oberrhein) or a SimBench code (optional extra `simbench`)")
    power_flow: str = param(
        "off", "-", "-", "Intervals solved by AC power flow: off, peak_min (each day's peak and "
        "minimum net-load interval), days (every interval of `power_flow_days`) or all",
        choices=("off", "peak_min", "days", "all"))
    power_flow_days: tuple[int, ...] = param(
        (), "day of the horizon", "-", "Days (0 = the first) solved in full when power_flow is "
        "days; with peak_min they are solved in full too", min=0, max=MAX_DAYS - 1)
    grid_load_headroom: float = param(
        1.0, "kW per kW", A + " (a published base case is the load its grid was built for)",
        "On a published network: each load bus hosts customers up to its base-case load times "
        "this; a population whose coincident design peak exceeds the total is refused",
        min=0, min_exclusive=True, max=100)
    mv_kv: float = param(10.0, "kV", "GB/T 156 (10 kV is China's main distribution voltage)",
                         "Nominal voltage of the synthetic MV feeders", min=0.4, max=66)
    line_kind: str = param("cable", "-", A + " (urban feeders are cabled)",
                           "Standard line types of the synthetic MV sections: NA2XS2Y cables or "
                           "AL1/ST1A overhead lines (pandapower standard types)",
                           choices=("cable", "overhead"))
    line_design_factor: float = param(
        0.8, "kVA per kVA rated", A, "Design current of an MV section: the rated kVA of the "
        "transformers below it times this factor (the smallest standard type that carries it "
        "is chosen)", min=0.01, max=5)
    transformer_load_loss_share: float = param(
        0.012, "share of rating", "pandapower 10/0.4 kV standard types: vkr 1.2-1.4 %",
        "Resistive short-circuit voltage (load losses at rated current) of MV/LV transformers",
        min=0, max=0.1)
    source_vm_pu: float = param(1.0, "pu", A, "Voltage set point at the substation busbar",
                                min=0.8, max=1.2)
    voltage_min_pu: float = param(0.93, "pu", "GB/T 12325-2008: 20 kV and below, +/-7 % "
                                  "(recalled)", "Lower edge of the voltage band", min=0, max=1)
    voltage_max_pu: float = param(1.07, "pu", "GB/T 12325-2008: 20 kV and below, +/-7 % "
                                  "(recalled)", "Upper edge of the voltage band", min=1, max=2)
    line_max_loading_share: float = param(1.0, "share of rating", A,
                                          "Loading above which a line or transformer is "
                                          "overloaded", min=0, min_exclusive=True, max=5)

    def check(self, path: str) -> None:
        from gridvalue.simulation.grids import check_source

        check_source(self.source, f"{path}.source")


@dataclass(frozen=True)
class SectorShares(Shares):
    industrial: float = param(0.15, "share", A, "Share of enterprises that are industrial",
                              min=0, max=1)
    commercial: float = param(0.6, "share", A, "Share of enterprises that are commercial",
                              min=0, max=1)
    agricultural: float = param(0.25, "share", A, "Share of enterprises that are agricultural",
                                min=0, max=1)


@dataclass(frozen=True)
class Population:
    households: int = param(2000, "customers", A, "Residential households", min=0, max=10_000_000)
    enterprises: int = param(240, "customers", A, "Enterprise users (all sectors)",
                             min=0, max=1_000_000)
    microgrids: int = param(8, "customers", A, "Customer microgrids (PV + battery + members)",
                            min=0, max=100_000)
    sector_shares: SectorShares = table(SectorShares, "Enterprise sector mix")
    household_kwh_median: float = param(
        2000.0, "kWh/yr", A + " (China: about 900 kWh residential use per capita, 2.6 persons)",
        "Median annual consumption of a household", min=0, max=100_000, min_exclusive=True)
    household_kwh_sigma: float = param(0.45, "log-sd", A, "Spread of household annual kWh",
                                       min=0, max=3)
    household_kwh_size_elasticity: float = param(
        0.4, "-", A, "Elasticity of household kWh to household size", min=0, max=2)
    household_kwh_income_elasticity: float = param(
        0.25, "-", A, "Elasticity of household kWh to income per person", min=0, max=2)
    household_size_mean: float = param(2.62, "persons", "China 7th census (2020)",
                                       "Mean household size", min=1, max=20)
    income_per_capita_median: float = param(
        33036.0, "CNY/yr", "NBS 2023 communiqué, median disposable income (recalled)",
        "Median disposable income per person", min=0, max=10_000_000, min_exclusive=True)
    income_sigma: float = param(0.7, "log-sd", A, "Spread of household income", min=0, max=3)
    industrial_kwh_median: float = param(800000.0, "kWh/yr", A,
                                         "Median annual consumption of an industrial enterprise",
                                         min=0, max=1e10, min_exclusive=True)
    commercial_kwh_median: float = param(60000.0, "kWh/yr", A,
                                         "Median annual consumption of a commercial enterprise",
                                         min=0, max=1e8, min_exclusive=True)
    agricultural_kwh_median: float = param(20000.0, "kWh/yr", A,
                                           "Median annual consumption of a farm",
                                           min=0, max=1e8, min_exclusive=True)
    enterprise_kwh_sigma: float = param(0.8, "log-sd", A, "Spread of enterprise annual kWh",
                                        min=0, max=3)
    household_roof_kwp_median: float = param(3.0, "kWp", A, "Median household PV roof potential",
                                             min=0, max=100)
    enterprise_roof_kwp_per_mwh: float = param(
        0.3, "kWp per MWh/yr", A, "Enterprise PV roof potential per annual MWh", min=0, max=10)
    household_pv_share: float = param(0.03, "share", A, "Households that already own PV",
                                      min=0, max=1)
    enterprise_pv_share: float = param(0.05, "share", A, "Enterprises that already own PV",
                                       min=0, max=1)
    existing_pv_roof_use_share: float = param(0.6, "share", A,
                                              "Installed PV as a share of roof potential",
                                              min=0, max=1)
    enterprise_efficiency_potential_mean: float = param(
        0.23, "share of energy", "LBNL/NAESCO ESCO database: median 23 % of the bill",
        "Mean true savings potential of an enterprise retrofit (hidden)", min=0, max=0.9)
    household_efficiency_potential_mean: float = param(
        0.08, "share of energy", A, "Mean true savings potential of a household (hidden)",
        min=0, max=0.9)
    household_default_hazard_mean: float = param(0.01, "1/yr", A,
                                                 "Mean hidden default hazard of a household",
                                                 min=0, max=1)
    enterprise_default_hazard_mean: float = param(
        0.025, "1/yr", A + " (REFERENCES: 1-5 %/yr SME prior)",
        "Mean hidden default hazard of an enterprise", min=0, max=1)
    default_hazard_concentration: float = param(
        2.0, "-", "calibrated: screened borrowers' lifetime default 0-3 % (ACEEE U115)",
        "Beta concentration of default hazards (lower: defaults concentrate in fewer "
        "customers)", min=0, max=1000, min_exclusive=True)
    household_flexibility_mean: float = param(0.10, "share", A,
                                              "Mean shiftable share of a household's daily energy",
                                              min=0, max=1)
    industrial_flexibility_mean: float = param(
        0.03, "share", "Jessoe & Rapson (2015): C&I TOU barely moves load",
        "Mean shiftable share, industry", min=0, max=1)
    commercial_flexibility_mean: float = param(0.05, "share", A, "Mean shiftable share, commerce",
                                               min=0, max=1)
    agricultural_flexibility_mean: float = param(0.30, "share", A + " (irrigation pumps)",
                                                 "Mean shiftable share, farms", min=0, max=1)
    household_discount_rate_mean: float = param(
        0.20, "1/yr", "Hausman (1979) implicit rate for appliance choice (recalled)",
        "Mean discount rate households apply to offers", min=0, max=2)
    enterprise_discount_rate_mean: float = param(0.12, "1/yr", A,
                                                 "Mean discount rate enterprises apply to offers",
                                                 min=0, max=2)
    microgrid_kwh_median: float = param(300000.0, "kWh/yr", A,
                                        "Median annual member consumption of a microgrid",
                                        min=0, max=1e9, min_exclusive=True)
    microgrid_members_mean: float = param(30.0, "members", A,
                                          "Mean member loads per microgrid (smooths its load)",
                                          min=1, max=10_000)
    microgrid_pv_kwp_per_mwh: float = param(0.4, "kWp per MWh/yr", A,
                                            "Microgrid PV size per annual MWh of member load",
                                            min=0, max=10)
    microgrid_battery_power_share: float = param(
        0.3, "kW per kW", A, "Battery power as a share of the microgrid's expected peak",
        min=0, max=5)
    microgrid_battery_hours: float = param(2.0, "h", A, "Battery energy / power", min=0, max=24)
    battery_roundtrip_efficiency: float = param(0.9, "share", A + " (Li-ion, about 85-92 %)",
                                                "Round-trip efficiency of batteries",
                                                min=0, max=1, min_exclusive=True)
    battery_soc_min_share: float = param(0.1, "share", A, "Lowest allowed state of charge",
                                         min=0, max=1)
    battery_soc_max_share: float = param(0.95, "share", A, "Highest allowed state of charge",
                                         min=0, max=1)

    def check(self, path: str) -> None:
        if self.households + self.enterprises + self.microgrids == 0:
            raise ScenarioError(f"{path}.households", "the population has no customers")
        if self.battery_soc_min_share >= self.battery_soc_max_share:
            raise ScenarioError(f"{path}.battery_soc_min_share",
                                "must be below battery_soc_max_share")


@dataclass(frozen=True)
class CommercialProfiles(Shares):
    g0: float = param(0.30, "share", A, "BDEW g0: commerce in general", min=0, max=1)
    g1: float = param(0.25, "share", A, "BDEW g1: weekdays 8-18 h (offices)", min=0, max=1)
    g2: float = param(0.10, "share", A, "BDEW g2: evening consumption", min=0, max=1)
    g3: float = param(0.05, "share", A, "BDEW g3: continuous", min=0, max=1)
    g4: float = param(0.20, "share", A, "BDEW g4: shops, hairdressers", min=0, max=1)
    g5: float = param(0.05, "share", A, "BDEW g5: bakery", min=0, max=1)
    g6: float = param(0.05, "share", A, "BDEW g6: weekend operation", min=0, max=1)


@dataclass(frozen=True)
class AgriculturalProfiles(Shares):
    l0: float = param(0.40, "share", A, "BDEW l0: farms in general", min=0, max=1)
    l1: float = param(0.30, "share", A, "BDEW l1: farms with dairy", min=0, max=1)
    l2: float = param(0.30, "share", A, "BDEW l2: other farms", min=0, max=1)


@dataclass(frozen=True)
class IndustrialProfiles(Shares):
    one_shift: float = param(0.40, "share", A, "Single day shift, weekdays", min=0, max=1)
    two_shift: float = param(0.35, "share", A, "Two shifts 6-22 h, reduced Saturdays",
                             min=0, max=1)
    three_shift: float = param(0.25, "share", A, "Continuous three-shift operation", min=0, max=1)


NORMALS = "the place's normals (simulation/data/places.toml)"


@dataclass(frozen=True)
class Place:
    """Where the town is: its climate normals make the weather. Every normal can be overridden;
    an empty list keeps the packaged place's value (one value for scalars, 12 for months)."""

    name: str = param("wuhan", "-", "packaged places (simulation/data/places.toml)",
                      "Place whose climate normals drive loads and PV", choices=place_names())
    latitude_deg: tuple[float, ...] = param((), "deg", NORMALS, "Latitude", min=-66, max=66)
    longitude_deg: tuple[float, ...] = param((), "deg", NORMALS, "Longitude (east positive)",
                                             min=-180, max=180)
    altitude_m: tuple[float, ...] = param((), "m", NORMALS, "Altitude above sea level",
                                          min=-500, max=6000)
    utc_offset_hours: tuple[float, ...] = param((), "h", NORMALS,
                                                "Offset of local standard time from UTC",
                                                min=-12, max=14)
    monthly_mean_temperature_c: tuple[float, ...] = param(
        (), "deg C", NORMALS, "Monthly means of the daily mean air temperature (12, January "
        "first)", min=-40, max=40)
    diurnal_range_c: tuple[float, ...] = param(
        (), "K", NORMALS, "Monthly means of the daily temperature range (12)", min=0, max=30)
    temperature_anomaly_sd_c: tuple[float, ...] = param(
        (), "K", NORMALS, "Standard deviation of daily mean temperature anomalies", min=0,
        max=15)
    temperature_persistence: tuple[float, ...] = param(
        (), "-", NORMALS, "Lag-1 autocorrelation of daily temperature anomalies (AR(1))",
        min=0, max=0.99)
    clearness_index_mean: tuple[float, ...] = param(
        (), "-", NORMALS, "Monthly means of the daily clearness index (12)", min=0, max=1,
        min_exclusive=True)
    clearness_index_sd: tuple[float, ...] = param(
        (), "-", NORMALS, "Day-to-day standard deviation of the clearness index", min=0,
        max=0.5, min_exclusive=True)
    clearness_persistence: tuple[float, ...] = param(
        (), "-", NORMALS, "Lag-1 autocorrelation of the daily clearness index", min=0, max=0.99)
    household_ac_share: tuple[float, ...] = param(
        (), "share", NORMALS, "Households that own an air conditioner", min=0, max=1)
    household_electric_heating_share: tuple[float, ...] = param(
        (), "share", NORMALS, "Households that heat with electricity", min=0, max=1)

    def check(self, path: str) -> None:
        for name in MONTHLY:
            if len(getattr(self, name)) not in (0, 12):
                raise ScenarioError(f"{path}.{name}", "expected 12 monthly values (or none, "
                                    f"for the place's), got {len(getattr(self, name))}")
        for name in SCALAR:
            if len(getattr(self, name)) > 1:
                raise ScenarioError(f"{path}.{name}", "expected one value (or none, for the "
                                    f"place's), got {len(getattr(self, name))}")
        normals = normals_for(self)
        for month, mean in enumerate(normals.clearness_index_mean):
            if clearness_beta(mean, normals.clearness_index_sd) is None:
                raise ScenarioError(
                    f"{path}.clearness_index_mean[{month}]",
                    f"{mean:g} with sd {normals.clearness_index_sd:g} is not a distribution "
                    f"on [0, {KT_MAX:g}] (the clearest daily sky)")


@dataclass(frozen=True)
class Profiles:
    standard_profiles: str = param(
        "bdew1999", "-", "BDEW via demandlib 0.2.2", "Standard load profiles: the 1999 BDEW "
        "set (h0/h0_dyn, g0-g6, l0-l2) or the 2025 set (H25 for households, G25 for every "
        "commercial class, L25 for every farm class)", choices=("bdew1999", "bdew2025"))
    household_profile: str = param("h0_dyn", "-", "BDEW via demandlib",
                                   "Household load shape", choices=("h0_dyn", "h0"))
    commercial: CommercialProfiles = table(CommercialProfiles, "Commercial load-shape mix")
    agricultural: AgriculturalProfiles = table(AgriculturalProfiles,
                                               "Agricultural load-shape mix")
    industrial: IndustrialProfiles = table(IndustrialProfiles, "Industrial shift-pattern mix")
    household_interval_sigma: float = param(
        0.43, "log-sd", "calibrated: single-household full-load hours about 1,200 h "
        "(SimBench H0-A 1,222 h)", "Interval noise of one household's load (marginal)",
        min=0, max=3)
    enterprise_interval_sigma: float = param(0.2, "log-sd", A,
                                             "Interval noise of a commercial or farm load",
                                             min=0, max=3)
    industrial_interval_sigma: float = param(
        0.06, "log-sd", "calibrated: two- and three-shift plants 5,000-7,000 full-load hours "
        "(issue 14)", "Interval noise of an industrial load", min=0, max=3)
    interval_persistence: float = param(
        0.6, "-", A, "Hour-to-hour autocorrelation of the interval noise (AR(1), carried "
        "across midnight)", min=0, max=0.99)
    interval_noise: str = param(
        "normal", "-", A + " (speed: issue 19)", "Draws of the interval noise's innovations: "
        "normal (the stream's standard normals) or table (16-bit uniforms indexing a table of "
        "65,536 normal quantiles, unit variance, tails cut at 4.3 sd: about 5x cheaper draws, "
        "other random numbers)", choices=("normal", "table"))
    customer_day_sigma: float = param(0.15, "log-sd", A,
                                      "Day-to-day level noise of each household and commercial "
                                      "or farm customer", min=0, max=3)
    industrial_day_sigma: float = param(0.05, "log-sd", A,
                                        "Day-to-day level noise of an industrial customer",
                                        min=0, max=3)
    day_persistence: float = param(0.5, "-", A, "Day-to-day autocorrelation of a customer's "
                                   "level noise (AR(1))", min=0, max=0.99)
    weather_day_sigma: float = param(0.02, "log-sd", A, "Common daily level factor of all "
                                     "loads beyond what temperature explains", min=0, max=1)
    cooling_base_c: float = param(24.0, "deg C", A, "Air temperature above which cooling runs",
                                  min=-10, max=40)
    heating_base_c: float = param(12.0, "deg C", A, "Air temperature below which electric "
                                  "heating runs", min=-30, max=30)
    household_cooling_per_k: float = param(
        0.12, "1/K", A + " (calibrated: central-China household summer use about 1.8x spring)",
        "Rise of an air-conditioned household's load per K above the cooling base, as a share "
        "of its base shape", min=0, max=2)
    household_heating_per_k: float = param(
        0.06, "1/K", A, "Rise of an electrically heated household's load per K below the "
        "heating base", min=0, max=2)
    commercial_cooling_per_k: float = param(0.08, "1/K", A, "Commercial HVAC: rise per K "
                                            "above the cooling base", min=0, max=2)
    commercial_heating_per_k: float = param(0.015, "1/K", A, "Commercial HVAC: rise per K "
                                            "below the heating base", min=0, max=2)
    industrial_cooling_per_k: float = param(0.008, "1/K", A, "Industrial process cooling and "
                                            "ventilation: rise per K above the cooling base",
                                            min=0, max=2)
    agricultural_irrigation_per_k: float = param(
        0.06, "1/K", A, "Irrigation: rise of a farm's load per K of daily mean temperature "
        "above the cooling base, scaled by the day's clearness over the month's (dry heat)",
        min=0, max=2)
    household_connected_kw_min: float = param(
        4.0, "kW", "JGJ 242 residential design load, at least 4 kW per home (recalled)",
        "Smallest connected load of a household (its load never exceeds it)", min=0,
        min_exclusive=True, max=100)
    household_connected_kw_per_mwh: float = param(
        2.5, "kW per MWh/yr", A, "Connected load of a household per MWh of annual use, above "
        "the minimum", min=0, max=100)
    enterprise_connected_headroom: float = param(
        1.5, "kW per kW", A + " (contracted capacity above the expected maximum demand)",
        "Connected load of an enterprise or microgrid over its class shape's expected peak",
        min=1, max=20)
    pv_specific_yield_kwh_per_kwp: float = param(
        1100.0, "kWh/kWp/yr", A + " (central and eastern China about 1,000-1,400)",
        "Annual PV yield per kWp in a year of normal cloudiness (the pvlib shape is scaled to "
        "it)", min=0, max=2500)
    pv_tilt_deg: float = param(25.0, "deg", A + " (fixed racks near latitude - 5 deg)",
                               "Tilt of PV modules from horizontal", min=0, max=90)
    pv_azimuth_deg: float = param(180.0, "deg", A, "Azimuth PV modules face (180: south)",
                                  min=0, max=360)
    pv_temperature_coefficient_per_k: float = param(
        -0.004, "1/K", "PVWatts-type crystalline silicon, about -0.4 %/K (recalled)",
        "Change of PV power per K of cell temperature above 25 deg C", min=-0.02, max=0)


MIDDAY_AND_EVENING = (10, 11, 12, 13, 17, 18, 19, 20)
FS = "Faruqui & Sergici (2010)"


@dataclass(frozen=True)
class Tariff:
    kind: str = param("flat", "-", "-", "Tariff structure for the segments in `segments`: flat, "
                      "time-of-use (tou), critical-peak (cpp) or real-time (rtp)",
                      choices=TARIFF_KINDS)
    segments: tuple[str, ...] = param(
        SEGMENT_NAMES, "-", "-", "Segments billed on `kind`; the others stay on flat prices "
        "(segment-differentiated packages)", choices=SEGMENT_NAMES)
    residential_price_per_kwh: float = param(
        0.56, "CNY/kWh", A + " (first-block residential prices 0.5-0.6 CNY/kWh)",
        "Household energy price", min=0, max=100)
    commercial_price_per_kwh: float = param(0.80, "CNY/kWh", A, "Commercial energy price",
                                            min=0, max=100)
    industrial_price_per_kwh: float = param(0.65, "CNY/kWh", A, "Industrial energy price",
                                            min=0, max=100)
    agricultural_price_per_kwh: float = param(0.50, "CNY/kWh", A, "Agricultural energy price",
                                              min=0, max=100)
    microgrid_price_per_kwh: float = param(0.65, "CNY/kWh", A, "Microgrid import price",
                                           min=0, max=100)
    export_price_per_kwh: float = param(0.38, "CNY/kWh", A + " (coal benchmark price)",
                                        "Price paid for energy customers export", min=0, max=100)
    summer_months: tuple[int, ...] = param((6, 7, 8, 9), "month", A,
                                           "Months of the summer season (the rest is winter)",
                                           min=1, max=12)
    tou_peak_hours_summer: tuple[int, ...] = param(
        MIDDAY_AND_EVENING, "hour of day", A + " (10-14 h and 17-21 h: the midday and evening "
        "peaks of the h0 household shape)", "Hours in the TOU peak period in summer",
        min=0, max=23)
    tou_peak_hours_winter: tuple[int, ...] = param(
        MIDDAY_AND_EVENING, "hour of day", A + " (10-14 h and 17-21 h: the midday and evening "
        "peaks of the h0 household shape)", "Hours in the TOU peak period in winter",
        min=0, max=23)
    tou_peak_ratio_summer: float = param(
        3.0, "peak/off-peak", FS + ": TOU ratios 2:1-4:1 give 3-6 % peak reduction",
        "Peak over off-peak price in summer (revenue-neutral for the class's expected shape)",
        min=1, max=20)
    tou_peak_ratio_winter: float = param(
        3.0, "peak/off-peak", FS + ": TOU ratios 2:1-4:1 give 3-6 % peak reduction",
        "Peak over off-peak price in winter (revenue-neutral for the class's expected shape)",
        min=1, max=20)
    cpp_event_hours: int = param(4, "h", A + " (CPP events last 2-6 h)",
                                 "Length of a critical-peak event, centred on the hour of the "
                                 "forecast peak", min=1, max=24)
    cpp_price_ratio: float = param(5.0, "x flat price", A + " (CPP event prices 3-10x)",
                                   "Price during an event over the flat price", min=1, max=50)
    cpp_off_event_discount_share: float = param(
        0.03, "share", A + " (about revenue-neutral for 12 events of 4 h at 5x)",
        "Discount on the flat price on days without an event", min=0, max=0.9)
    cpp_max_events_per_year: int = param(12, "events/yr", A + " (CPP programmes call 10-15)",
                                         "Most event days the company may call per 365 days",
                                         min=0, max=365)
    cpp_dispatch: str = param(
        "budgeted", "-", A + " (threshold policy for a fixed number of calls)",
        "How the company calls CPP events from its day-ahead forecast: budgeted (a threshold "
        "that spreads the year's event budget over the rest of the season, from its planning "
        "climatology) or quantile (above cpp_trigger_quantile, first come first served)",
        choices=("budgeted", "quantile"))
    cpp_trigger_quantile: float = param(
        0.9, "quantile", A, "The company calls an event when its day-ahead forecast peak "
        "exceeds this quantile of its planning forecast of daily peaks (raised to at least "
        "1 - max events/365, so the budget goes to the highest days)", min=0, max=1)
    forecast_error_sd: float = param(0.03, "log-sd", A,
                                     "Error of the company's day-ahead system load forecast",
                                     min=0, max=1)
    rtp_load_exponent: float = param(
        2.0, "-", A, "Wholesale price shape: (forecast load / its mean) to this power, "
        "normalised so the forecast load pays the flat price on average", min=0, max=10)
    rtp_noise_sd: float = param(0.1, "log-sd", A,
                                "Interval noise of the wholesale price shape", min=0, max=2)

    def check(self, path: str) -> None:
        if len(set(self.segments)) != len(self.segments):
            raise ScenarioError(f"{path}.segments", "lists a segment twice")


@dataclass(frozen=True)
class Response:
    """How customers answer time-varying prices (PRISM-style for households)."""

    household_substitution_elasticity: float = param(
        -0.095, "-", "PRISM (California SPP), non-CPP days", "Elasticity of the ratio of "
        "consumption between intervals to their price ratio, households", min=-5, max=0)
    household_daily_elasticity: float = param(
        -0.023, "-", "PRISM (California SPP), non-CPP days",
        "Elasticity of daily energy to the day's average price, households", min=-5, max=0)
    household_cpp_substitution_elasticity: float = param(
        -0.097, "-", "PRISM (California SPP), CPP days",
        "Substitution elasticity of households on critical-peak event days", min=-5, max=0)
    household_cpp_daily_elasticity: float = param(
        -0.016, "-", "PRISM (California SPP), CPP days",
        "Daily elasticity of households on critical-peak event days", min=-5, max=0)
    enabling_substitution_boost: float = param(
        -0.095, "-", FS + ": enabling technology about doubles the response (recalled)",
        "Added to the substitution elasticity of a customer with enabling technology",
        min=-5, max=0)
    industrial_substitution_elasticity: float = param(
        -0.01, "-", "Jessoe & Rapson (2015): C&I TOU barely moves load",
        "Substitution elasticity, industry (continuous processes barely shift)", min=-5, max=0)
    commercial_substitution_elasticity: float = param(
        0.0, "-", "Jessoe & Rapson (2015): commercial TOU about zero without enabling tech",
        "Substitution elasticity, commerce", min=-5, max=0)
    agricultural_substitution_elasticity: float = param(
        -0.3, "-", A + " (irrigation pumps shift freely within the day)",
        "Substitution elasticity, farms", min=-5, max=0)
    enterprise_daily_elasticity: float = param(
        0.0, "-", "Jessoe & Rapson (2015): no measurable C&I change",
        "Daily elasticity, enterprises", min=-5, max=0)


@dataclass(frozen=True)
class Storage:
    """Battery dispatch: microgrid batteries, and company batteries at transformers."""

    microgrid_dispatch: str = param("site_peak", "-", A,
                                    "Microgrid batteries shave the site's own peak or trade "
                                    "against its price", choices=("site_peak", "price"))
    grid_batteries: int = param(0, "batteries", A,
                                "Company batteries, one at each of the transformers with the "
                                "highest expected peak over rating", min=0, max=100_000)
    grid_battery_power_share: float = param(0.3, "kW per kW rating", A,
                                            "Battery power as a share of its transformer's "
                                            "rating", min=0, max=5)
    grid_battery_hours: float = param(2.0, "h", A, "Battery energy / power", min=0, max=24)
    grid_battery_capex_per_kwh: float = param(
        1000.0, "CNY/kWh", A + " (Li-ion storage systems about 800-1,500 CNY/kWh)",
        "Installed cost of company batteries", min=0, max=100_000)
    grid_battery_life_years: float = param(15.0, "yr", A, "Life over which battery capex is "
                                           "charged to the ledger (annuity at the company's "
                                           "discount rate)", min=1, max=100)
    grid_battery_forecast: str = param(
        "same_weekday", "-", A, "What the company schedules its own batteries on: its "
        "day-ahead forecast from the transformers' meters (the same weekday over the last "
        "forecast_weeks weeks; the default, since the company cannot see the day's load "
        "before it happens) or the day's realised transformer load (perfect foresight: an "
        "upper bound on what the batteries can do)",
        choices=("perfect", "same_weekday"))
    forecast_weeks: int = param(4, "weeks", A, "Weeks of metered same-weekday profiles the "
                                "company's day-ahead load forecast averages (its own "
                                "batteries and its fleet of home batteries)", min=1, max=52)


@dataclass(frozen=True)
class Company:
    discount_rate_per_year: float = param(0.08, "1/yr", A, "The company's discount rate",
                                          min=0, max=1)
    wholesale_price_per_kwh: float = param(0.40, "CNY/kWh", A + " (coal benchmark 0.35-0.45)",
                                           "Cost of energy bought at the substation",
                                           min=0, max=100)
    capacity_cost_per_kw_year: float = param(
        300.0, "CNY/kW/yr", "CPUC 2012 avoided distribution capacity 30.71-57.03 $/kW-yr "
        "at about 7.1 CNY/$", "Cost of the annual system peak", min=0, max=100_000)
    loss_share: float = param(0.05, "share", A, "Network losses as a share of energy delivered",
                              min=0, max=0.5)
    deferral_cost_per_kw_year: float = param(
        300.0, "CNY/kW/yr", "CPUC 2012 avoided distribution capacity 30.71-57.03 $/kW-yr at "
        "about 7.1 CNY/$", "Value of a kW of peak relief on a transformer or feeder whose "
        "rating binds (capacity deferral)", min=0, max=100_000)
    wholesale_shape: str = param(
        "seasonal", "-", A, "Wholesale price per interval: flat, a seasonal time-of-day shape "
        "(peak hours at `wholesale_peak_ratio` x off-peak), or the forecast shape that sets "
        "real-time retail prices (forecast); each day's shape is normalised so the expected "
        "system load pays `wholesale_price_per_kwh` on average",
        choices=("flat", "seasonal", "forecast"))
    wholesale_peak_ratio: float = param(
        2.0, "peak/off-peak", A + " (provincial spot prices in China clear peaks at about "
        "1.5-3x the valley, recalled)", "Peak over off-peak wholesale price (seasonal shape)",
        min=1, max=20)
    wholesale_peak_hours_summer: tuple[int, ...] = param(
        MIDDAY_AND_EVENING, "hour of day", A, "Wholesale peak hours in summer (tariff's "
        "summer months)", min=0, max=23)
    wholesale_peak_hours_winter: tuple[int, ...] = param(
        MIDDAY_AND_EVENING, "hour of day", A, "Wholesale peak hours in winter", min=0, max=23)
    strategy: str = param(
        "fixed", "-", "-", "How the company markets, screens and sets terms "
        "(agents/strategies/): fixed (the services' own contact counts and terms), targeted "
        "(one monthly budget spent on the contacts of highest expected profit across services "
        "and segments), peak_targeted (targeted plus the deferral value of demand-side offers "
        "behind tight transformers), learning (targeted with acceptance, terms and credit "
        "thresholds learnt from its own offers' outcomes)", choices=STRATEGY_NAMES)
    fixed_contacts: str = param(
        "expected_value", "-", A, "fixed: whom each service contacts among the open customers, "
        "by the platform's expected contact value where the service has one (expected_value) "
        "or at random (random: a company that does not act on its data in targeting; it "
        "still screens and prices on its estimates)", choices=("expected_value", "random"))
    contact_positive_value_only: bool = param(
        False, "-", A, "fixed: contact only customers whose expected contact value "
        "(Service.expected_contact_value) is above 0, so the contact budget may go unspent; "
        "false: up to contacts_per_month whatever their value")
    marketing_budget_per_month: float = param(
        0.0, "CNY/month", A, "Monthly marketing budget of the targeted strategies (0: what the "
        "services' contacts_per_month x marketing_cost_per_contact cost, the spend of fixed)",
        min=0, max=1e9)
    budget_split: str = param(
        "shared", "-", "-", "Targeted strategies: one budget shared across services (shared) "
        "or an equal share of it per service (equal)", choices=("shared", "equal"))
    tight_loading_share: float = param(
        0.8, "share of rating", A, "peak_targeted: a transformer is tight when the company's "
        "estimate of its peak (its customers' estimated peak contributions) is at least this "
        "share of its rating", min=0, max=10)
    learning_prior_contacts: float = param(
        20.0, "customer-months", A, "learning: weight of the prior on acceptance (the company's "
        "estimate of the choice model), in months of customers facing the offer",
        min=0, max=1e6, min_exclusive=True)
    learning_prior_signings: float = param(
        0.0, "signings", A, "learning: least weight of the prior's signings at each service, "
        "segment and menu level (optimistic initial values: a level the company's model "
        "rates low is still tried until its own offers' outcomes say otherwise; 0: the "
        "prior's mean is the model's)", min=0, max=1e6)
    learning_prior_contracts: float = param(
        120.0, "contract-months", A, "learning: weight of the prior on each credit-score "
        "band's default rate (the platform's estimated hazards)", min=0, max=1e6,
        min_exclusive=True)
    learning_max_default_per_year: float = param(
        0.15, "1/yr", A, "learning: highest believed annual default rate of a credit-score "
        "band the company still serves on credit-exposed contracts", min=0, max=1)


@dataclass(frozen=True)
class Growth:
    """How the town and its prices change from year to year (real terms: rates above
    inflation). Loads and prices step once a year on the anniversary of the start date."""

    household_load_growth_per_year: float = param(
        0.0, "1/yr", A, "Annual growth of each household's demand", min=-0.2, max=0.2)
    industrial_load_growth_per_year: float = param(
        0.0, "1/yr", A, "Annual growth of each industrial enterprise's demand", min=-0.2, max=0.2)
    commercial_load_growth_per_year: float = param(
        0.0, "1/yr", A, "Annual growth of each commercial enterprise's demand", min=-0.2, max=0.2)
    agricultural_load_growth_per_year: float = param(
        0.0, "1/yr", A, "Annual growth of each farm's demand", min=-0.2, max=0.2)
    microgrid_load_growth_per_year: float = param(
        0.0, "1/yr", A, "Annual growth of each microgrid's member demand", min=-0.2, max=0.2)
    tariff_escalation_per_year: float = param(
        0.0, "1/yr", A + " (regulated retail prices in China were near flat in real terms "
        "2015-2023, recalled)", "Real annual change of every retail energy price",
        min=-0.2, max=0.2)
    wholesale_escalation_per_year: float = param(
        0.0, "1/yr", A, "Real annual change of the wholesale energy price", min=-0.2, max=0.2)
    inflation_per_year: float = param(
        0.0, "1/yr", A + " (China CPI about 2 %/yr 2010-2019, recalled)", "General inflation: "
        "0 runs in real terms; above 0 in nominal money (prices, upkeep and marketing "
        "escalate by it, discount rates are nominal by Fisher, contract terms stay fixed; "
        "simulation/inflation.py)",
        min=0, max=0.5)
    pv_degradation_per_year: float = param(
        0.005, "1/yr", "Jordan & Kurtz (2013, NREL): median module degradation 0.5 %/yr "
        "(recalled)", "Annual loss of PV output (every system, from the start date or its "
        "installation)", min=0, max=0.2)

    def load_growth_by_segment(self) -> tuple[float, ...]:
        """The annual load growth of each segment, in SEGMENT_NAMES order (1/yr)."""
        return (self.household_load_growth_per_year, self.industrial_load_growth_per_year,
                self.commercial_load_growth_per_year, self.agricultural_load_growth_per_year,
                self.microgrid_load_growth_per_year)


@dataclass(frozen=True)
class Taxes:
    """Taxes on the company's service income and the incentives for efficiency and PV."""

    income_tax_in_lifetime: bool = param(
        False, "-", A, "Value after the horizon after income tax: the line's rate on the "
        "contracts' remaining cash and recoveries, plus the tax their remaining depreciation "
        "saves (simulation/lifetime.py); off: pre-tax, as before")
    vat_rate: float = param(
        0.06, "share", "China VAT on modern (technical) services 6 % (Caishui [2016] 36, "
        "recalled)", "VAT in the price of service revenue (paid out of it)", min=0, max=0.5)
    income_tax_rate: float = param(
        0.25, "share", "PRC Enterprise Income Tax Law (2008): 25 % (recalled)",
        "Corporate income tax on each service line's yearly taxable income", min=0, max=0.6)
    depreciation_years: float = param(
        10.0, "yr", "PRC EIT implementing rules: machinery at least 10 years (recalled)",
        "Straight-line tax depreciation of capex", min=1, max=40)
    epc_vat_exempt: bool = param(
        True, "-", "Caishui [2010] 110: EPC projects exempt from business tax / VAT "
        "(recalled)", "Efficiency contracts (the efficiency family) pay no VAT")
    epc_income_tax_holiday: bool = param(
        True, "-", "Caishui [2010] 110: EPC income exempt 3 years, halved 3 more (recalled)",
        "Efficiency lines pay no income tax in their first 3 years, half in the next 3 "
        "(counted from the start date)")
    epc_subsidy_per_kwh_saved: float = param(
        0.0, "CNY/kWh", A + "; Caijian [2010] 249 paid 240 + 60 CNY per tce saved by EPC "
        "projects, about 0.09 CNY/kWh at 0.3 kgce/kWh (recalled; the programme has ended)",
        "Subsidy per kWh an efficiency contract saves in its term", min=0, max=10)
    pv_subsidy_per_kwh: float = param(
        0.0, "CNY/kWh", A + "; distributed PV got 0.42 CNY/kWh from 2013, none for new "
        "systems from 2021 (NDRC price notice 2021 No. 833, recalled)",
        "Subsidy per kWh the company's PV generates in its term", min=0, max=10)


@dataclass(frozen=True)
class Market:
    """How customers come to know offers and whom they watch."""

    social_graph: str = param("feeder", "-", A, "Whose adoption a customer sees: customers on its "
                              "feeder, its transformer, or everyone (complete graph)",
                              choices=("feeder", "transformer", "complete"))
    small_world_links: int = param(2, "links/customer", A,
                                   "Random long-range social links per customer (seeded)",
                                   min=0, max=1000)
    word_of_mouth_per_year: float = param(
        1.0, "1/yr", A, "Rate at which adopters make their neighbours aware of an offer",
        min=0, max=365)
    initial_awareness_share: float = param(0.0, "share", A,
                                           "Customers aware of every offer at the start",
                                           min=0, max=1)


POWER_TAC = "Power TAC TariffEvaluator default"
DGEN = "NREL dGen NREL_max_market_share.csv (0-1 yr payback share)"


@dataclass(frozen=True)
class Choice:
    """How customers choose among alternatives (agents/choice.py): utility, market ceilings,
    memory, trust, churn and doing it themselves."""

    ceiling: str = param("curve", "-", "NREL dGen (max market share bounds adoption)",
                         "Market ceiling: 'curve' (dGen payback curve for self-financed PV, the "
                         "value curves below otherwise) or 'off' (every considered pick is "
                         "taken: plain Bass diffusion)", choices=("curve", "off"))
    self_finance: bool = param(True, "-", "-", "Whether customers may do it themselves (buy "
                               "the PV system or the retrofit) instead of taking an offer")
    logit_scale: float = param(
        5.0, "-", A + " (cf. Power TAC rationality 0.9)",
        "Logit scale of the pick among alternatives, on utilities relative to the largest "
        "(0: at random)", min=0, max=1000)
    price_coefficient_sd_household: float = param(
        0.5, "log-sd", A, "Spread across households of the coefficient on an alternative's "
        "value (log-normal, mean 1: a mixed logit)", min=0, max=3)
    price_coefficient_sd_industrial: float = param(
        0.3, "log-sd", A, "Same, industrial enterprises", min=0, max=3)
    price_coefficient_sd_commercial: float = param(
        0.4, "log-sd", A, "Same, commercial enterprises", min=0, max=3)
    price_coefficient_sd_agricultural: float = param(
        0.5, "log-sd", A, "Same, agricultural enterprises", min=0, max=3)
    price_coefficient_sd_microgrid: float = param(
        0.3, "log-sd", A, "Same, microgrids", min=0, max=3)
    taste_sd_household: float = param(
        0.5, "x curve scale", A, "Spread across households of a persistent taste for a market "
        "that money does not explain (normal, mean 0; e.g. a liking for solar), in units of "
        "the market's value-curve scale (PV: 0.5 x 2 = 1 bill-year)", min=0, max=10)
    taste_sd_enterprise: float = param(
        0.2, "x curve scale", A, "Same, enterprises and microgrids", min=0, max=10)
    risk_aversion_household: float = param(
        0.5, "-", A, "Risk premium per unit of an alternative's uncertain value, households",
        min=0, max=10)
    risk_aversion_enterprise: float = param(
        0.3, "-", A, "Same, enterprises and microgrids", min=0, max=10)
    offer_hassle_bill_years: float = param(
        0.02, "bill-years", A + " (cf. Power TAC inconvenience weight 0.2)",
        "Transaction cost of signing a provider's offer", min=0, max=10)
    self_finance_hassle_share: float = param(
        0.3, "share of cost", A, "Transaction cost of doing it oneself (finding an installer, "
        "permits, managing the project, the risk of a bad job), as a share of its price",
        min=0, max=10)
    self_finance_loan_years: float = param(10.0, "yr", A + " (green consumer and SME loans)",
                                           "Term of the loan a customer finances it with",
                                           min=0, min_exclusive=True, max=40)
    self_finance_rate_household_per_year: float = param(
        0.08, "1/yr", A + " (consumer loan rates)", "Loan rate at which a household finances "
        "a system itself (repaid as an annuity, valued at its own discount rate)", min=0, max=1)
    self_finance_rate_enterprise_per_year: float = param(
        0.10, "1/yr", A + " (SME loan rates)", "Loan rate at which an enterprise or microgrid "
        "finances a retrofit or system itself", min=0, max=1)
    self_finance_pv_cost_per_kwp: float = param(
        3800.0, "CNY/kWp", A + " (retail above the company's 3,200 CNY/kWp)",
        "What a customer pays for its own PV system", min=0, max=100_000)
    self_finance_efficiency_cost_markup: float = param(
        0.2, "share", A, "What a customer pays for its own retrofit above the ESCO's cost",
        min=0, max=10)
    max_share_pv: float = param(0.93, "share", DGEN, "Ceiling of the value curve, PV offers",
                                min=0, max=1)
    scale_pv_bill_years: float = param(
        2.0, "bill-years", A, "Scale of the value curve M = max (1 - exp(-U / scale)), PV "
        "offers", min=0, min_exclusive=True, max=100)
    max_share_efficiency: float = param(0.93, "share", A + " (as dGen's)",
                                        "Ceiling of the value curve, efficiency contracts",
                                        min=0, max=1)
    scale_efficiency_bill_years: float = param(
        1.0, "bill-years", A, "Scale of the value curve, efficiency contracts", min=0,
        min_exclusive=True, max=100)
    max_share_equipment: float = param(0.93, "share", A + " (as dGen's)",
                                       "Ceiling of the value curve, equipment deals",
                                       min=0, max=1)
    scale_equipment_bill_years: float = param(
        0.3, "bill-years", A, "Scale of the value curve, equipment deals", min=0,
        min_exclusive=True, max=100)
    max_share_microgrid: float = param(0.93, "share", A + " (as dGen's)",
                                       "Ceiling of the value curve, microgrid services",
                                       min=0, max=1)
    scale_microgrid_bill_years: float = param(
        0.2, "bill-years", A, "Scale of the value curve, microgrid services", min=0,
        min_exclusive=True, max=100)
    max_share_pricing: float = param(0.93, "share", A + " (as dGen's)",
                                     "Ceiling of the value curve, price packages and home "
                                     "energy management", min=0, max=1)
    scale_pricing_bill_years: float = param(
        0.1, "bill-years", A, "Scale of the value curve, price packages and home energy "
        "management", min=0, min_exclusive=True, max=100)
    cooling_off_months: int = param(12, "months", A, "Months before a customer who refused "
                                    "reconsiders a market", min=0, max=600)
    trust_initial_bill_years: float = param(0.0, "bill-years", A,
                                            "Trust in the company before any experience",
                                            min=-10, max=10)
    trust_loss_default_bill_years: float = param(
        0.3, "bill-years", A, "Trust a customer loses in the company when its contract "
        "defaults (repossession included)", min=0, max=10)
    trust_loss_shortfall_bill_years: float = param(
        0.2, "bill-years", A, "Trust a customer loses when its realised savings fall short of "
        "what was promised", min=0, max=10)
    trust_gain_bill_years: float = param(
        0.02, "bill-years", A, "Trust a customer gains when its savings meet the promise",
        min=0, max=10)
    shortfall_tolerance_share: float = param(
        0.2, "share", A, "Realised savings below (1 - this) x promised count as a shortfall",
        min=0, max=1)
    trust_neighbour_share: float = param(
        0.5, "share", A, "Share of a customer's trust change its social neighbours take on "
        "(word of mouth, negative too), spread over them", min=0, max=1)
    package_inertia: float = param(0.8, "probability/month", POWER_TAC + " (inertia 0.8)",
                                   "Chance a package customer does not re-evaluate its package "
                                   "in a month", min=0, max=1)


@dataclass(frozen=True)
class DataPlatform:
    """What the meter-data platform acquires and infers (simulation/dataplatform.py), and how
    hidden traits show in the data ("World:")."""

    analytics: str = param(
        "predictive", "-", A, "What the platform infers: none (billing file only), segments "
        "(k-means load-shape segments), predictive (per-customer estimates)",
        choices=("none", "segments", "predictive"))
    household_meter_coverage_share: float = param(
        1.0, "share", A + " (State Grid's smart-meter rollout is near universal)",
        "Households with a smart meter", min=0, max=1)
    enterprise_meter_coverage_share: float = param(
        1.0, "share", A, "Enterprises with a smart meter", min=0, max=1)
    microgrid_meter_coverage_share: float = param(
        1.0, "share", A, "Microgrids with a smart meter", min=0, max=1)
    granularity: str = param(
        "interval", "-", A, "What smart meters deliver: interval readings (at the model's "
        "resolution) or monthly totals only", choices=("interval", "monthly"))
    measurement_noise_sd: float = param(
        0.02, "log-sd", A + " (accuracy class 1-2 meters: 1-2 % error)",
        "Noise of each interval reading", min=0, max=1)
    history_months: int = param(12, "months", A, "Months of data held before the start date",
                                min=1, max=60)
    history: str = param(
        "when_read", "-", A, "When the history is simulated: when_read (only if a service "
        "reads the company's estimates; otherwise the estimate columns are NaN) or always",
        choices=("when_read", "always"))
    segments: int = param(6, "segments", A, "k of the k-means load-shape segmentation",
                          min=2, max=50)
    shape_idiosyncrasy_sd: float = param(
        0.1, "log-sd", A, "World: persistent per-interval deviation of a customer's load "
        "shape from its standard profile (no history length removes it)", min=0, max=2)
    erratic_per_relative_hazard: float = param(
        0.01, "-", A, "World: rise of a customer's day-to-day consumption log-sd per unit of "
        "its default hazard over its type's mean hazard", min=0, max=10)
    payment_delay_days_mean: float = param(
        3.0, "days", A, "World: mean days a customer pays after the due date (each month's "
        "delay is exponential around the customer's typical delay)", min=0, max=365,
        min_exclusive=True)
    payment_hazard_correlation: float = param(
        0.5, "-", A + " (set so that bills alone rank defaults with an AUC of about 0.7)",
        "World: correlation of a customer's liquidity stress (which sets its typical payment "
        "delay) with its standardised log default hazard", min=-1, max=1)
    payment_delay_spread_sd: float = param(
        0.6, "log-sd", A, "World: spread of customers' typical payment delays", min=0, max=3)
    world: str = param(
        "always_on", "-", A, "World: how hidden traits show in consumption "
        "(simulation/worlds.py): always_on (flat waste), operating_hours (waste in operating "
        "hours), weather_sensitive (waste in operating hours by degree-days), mixed (a "
        "customer-specific blend), no_signature (no trace in consumption)",
        choices=("always_on", "operating_hours", "weather_sensitive", "mixed", "no_signature"))
    pilot_share: float = param(
        0.1, "share", A, "Customers whose savings and flexibility the company measured in a "
        "past pilot (its first labelled outcomes)", min=0, max=1)
    pilot_measurement_sd: float = param(
        0.03, "share of energy", A, "Error of a pilot measurement of a savings or flexibility "
        "share", min=0, max=1)
    pilot_realisation_sd: float = param(
        0.25, "log-sd", A + " (as efficiency services' realisation_sd)",
        "World: scatter of a pilot retrofit's realised savings around the potential", min=0,
        max=5)
    mv_baseline: str = param(
        "change_point", "-", "ASHRAE Guideline 14; CalTRACK billing methods (eemeter)",
        "Option C baseline of measured savings (simulation/measurement.py): change_point "
        "(balance points fitted from the bills, models chosen by adjusted R^2) or "
        "degree_day (fixed 18.3 degC base)", choices=("change_point", "degree_day"))
    learn_in_run: bool = param(
        True, "-", A, "Whether the platform adds the savings it measures and the defaults it "
        "sees during the run to its labels and refits each month")
    estimate_shrinkage: str = param(
        "none", "-", A + " (calibration slope: Steyerberg, Clinical Prediction Models, 2009; "
        "the winner's curse of ranking on noisy estimates)", "How predictive savings and "
        "flexibility estimates are shrunk toward the billing file's group means: none, or "
        "cross_validated (the regression's prediction times its out-of-fold calibration "
        "slope on the labels, clipped to 0..1)", choices=("none", "cross_validated"))
    volatility_weather_adjusted: bool = param(
        False, "-", A + " (weather normalisation as in IPMVP / CalTRACK baselines; "
        "docs/voi.md, round 6b)", "Whether predictive analytics' day-to-day volatility "
        "feature (credit and load) is the sd of each metered customer's daily energy after "
        "its own least-squares slope on degree-days; false: around its class's standard day "
        "only, so a customer whose load follows the weather reads as erratic")
    reread_loads_in_run: bool = param(
        False, "-", A, "Whether the platform also re-reads its interval customers' load "
        "features each month from the run's meter readings (with measurement_noise_sd), the "
        "month's days taking their share of the history_months window, and refits; off: load "
        "features from the history before the start only")
    interval_meter_capex_per_meter: float = param(
        600.0, "CNY/meter", A + " (three-phase smart meter with interval readings, installed)",
        "Capital cost of a meter with interval readings", min=0, max=100000)
    monthly_meter_capex_per_meter: float = param(
        300.0, "CNY/meter", A, "Capital cost of a meter read for monthly totals", min=0,
        max=100000)
    meter_life_years: float = param(10.0, "yr", A + " (meters are replaced after 8-10 years)",
                                    "Life of a meter (its capital charge is an annuity)",
                                    min=1, max=50)
    platform_opex_per_customer_month: float = param(
        2.0, "CNY/customer/month", A, "Data platform's operating cost per metered customer "
        "(communication, storage, processing)", min=0, max=10000)
    segments_cost_per_month: float = param(
        5000.0, "CNY/month", A, "Analytics cost of load-shape segmentation", min=0, max=1e8)
    predictive_cost_per_month: float = param(
        20000.0, "CNY/month", A, "Analytics cost of predictive models (data scientists, "
        "tools)", min=0, max=1e8)


@dataclass(frozen=True)
class Report:
    """Extra analyses a run report includes."""

    screening_service: str = param("", "-", "-", "Service whose credit threshold the report "
                                   "sweeps (empty: no screening curve)")
    screening_thresholds: tuple[float, ...] = param(
        (), "score 0-100", "-", "Thresholds of the screening curve: the same scenario and seed "
        "re-run at each", min=0, max=100)
    screening_seeds: int = param(
        1, "seeds", "assumption", "Seeds the screening curve is drawn over (the run's seed and "
        "the next ones; the report draws the mean and the min-max band)", min=1, max=20)


def _service_params() -> dict:
    from gridvalue.simulation.services import params_registry

    return params_registry()


@dataclass(frozen=True)
class Competitor:
    """A competing provider (an ESCO, an installer, a retailer): it offers one registered
    service's contract on its own terms (`[competitors.NAME.terms]`, that service's fields)."""

    offer: str = param("pv_lease", "-", "-", "Registered service whose contract it offers")
    awareness_per_year: float = param(
        0.5, "1/yr", A, "Rate at which its marketing makes eligible customers aware of it",
        min=0, max=365)
    trust_bill_years: float = param(0.0, "bill-years", A, "Customers' trust in it", min=-10, max=10)
    hassle_bill_years: float = param(0.02, "bill-years", A, "Transaction cost of its offer",
                                     min=0, max=10)
    terms: object = None  # the offer's parameters, built from [competitors.NAME.terms]


def _build_competitors(data, path: str) -> dict:
    if not isinstance(data, dict):
        raise ScenarioError(path, f"expected a table, got {type(data).__name__}")
    registry = _service_params()
    built = {}
    for name, entry in data.items():
        where = f"{path}.{name}"
        if not isinstance(entry, dict):
            raise ScenarioError(where, f"expected a table, got {type(entry).__name__}")
        entry = dict(entry)
        terms = entry.pop("terms", {})
        competitor = build(Competitor, entry, where)
        if competitor.offer not in registry:
            raise ScenarioError(f"{where}.offer", f"unknown service {competitor.offer!r} "
                                f"(known: {', '.join(sorted(registry))})")
        built[name] = replace(competitor, terms=build(registry[competitor.offer], terms,
                                                      f"{where}.terms"))
    return built


def _competitor_rows(path: str) -> list[dict]:
    rows = [r for r in parameter_rows(Competitor, f"{path}.NAME")
            if r["parameter"] != f"{path}.NAME.terms"]
    return rows + [{"parameter": f"{path}.NAME.terms", "default": "{}", "unit": "-", "range": "-",
                    "source": "-", "description": "The offer's terms: the fields of "
                    "services.OFFER (defaults: the service's)"}]


@dataclass(frozen=True)
class Scenario:
    meta: Meta = table(Meta, "Name, seed, horizon, resolution")
    network: Network = table(Network, "Synthetic radial distribution network")
    population: Population = table(Population, "Customers and their heterogeneity")
    place: Place = table(Place, "Where the town is: the climate normals of its weather")
    profiles: Profiles = table(Profiles, "Load and PV shapes and their noise")
    tariff: Tariff = table(Tariff, "Energy prices and their structure")
    response: Response = table(Response, "Demand response to time-varying prices")
    storage: Storage = table(Storage, "Battery dispatch and company batteries")
    company: Company = table(Company, "The grid company's finance")
    growth: Growth = table(Growth, "Load growth, price escalation, PV degradation")
    taxes: Taxes = table(Taxes, "Taxes and incentives on service income")
    market: Market = table(Market, "Awareness and imitation")
    choice: Choice = table(Choice, "How customers choose, remember and leave")
    data_platform: DataPlatform = table(DataPlatform, "The meter-data platform")
    services: dict = registry_table(_service_params, "Services on offer, by registered name")
    competitors: dict = dynamic_table(_build_competitors, _competitor_rows,
                                      "Competing providers' offers, by name")
    report: Report = table(Report, "Extra analyses in the run report")
    ev: EvParams = table(EvParams, "Household electric vehicles (Internet+; none by default)")

    def check(self, path: str) -> None:
        name = self.report.screening_service
        if name and name not in self.services:
            raise ScenarioError("report.screening_service", f"{name!r} is not on offer")
        net = self.network
        for i, day in enumerate(net.power_flow_days):
            if day >= self.meta.days:
                raise ScenarioError(f"network.power_flow_days[{i}]", f"day {day} is beyond the "
                                    f"horizon of {self.meta.days} days (0 is the first)")
        for name, service in self.services.items():
            if getattr(service, "grid_aware", False) and net.power_flow == "off":
                raise ScenarioError(f"services.{name}.grid_aware", "needs network.power_flow "
                                    "(the company's power-flow model of its grid)")
        for name, service in self.services.items():
            where = f"services.{name}"
            if service.term_field and service.term_field not in service.signed_terms:
                allowed = ", ".join(service.signed_terms) or "none"
                raise ScenarioError(f"{where}.term_field", f"{service.term_field!r} is not a "
                                    f"term its contracts fix at signing (allowed: {allowed})")
            if service.term_field and not service.term_menu:
                raise ScenarioError(f"{where}.term_menu", "is empty; a term_field needs at "
                                    "least one value to offer")
            if service.term_menu and not service.term_field:
                raise ScenarioError(f"{where}.term_field", "is empty; name the term that "
                                    "term_menu lists")
        if net.power_flow == "days" and not net.power_flow_days:
            raise ScenarioError("network.power_flow_days", "power_flow = \"days\" needs at "
                                "least one day")

    def to_dict(self) -> dict:
        return to_dict(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    def hash(self) -> str:
        """SHA-256 of the resolved scenario: same inputs, same hash."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def n_customers(self) -> int:
        p = self.population
        return p.households + p.enterprises + p.microgrids


# The loader's names stay importable from here (`from gridvalue.simulation.scenario import
# packaged_scenarios` and the sweep loader's helpers).
REEXPORTED = (MAX_FILE_BYTES, MAX_NESTING, _merge, _read_toml, packaged_scenarios,
              parse_override)


def load_scenario(ref: "str | Path" = "baseline",
                  overrides: list[str] | dict[str, Any] | None = None) -> Scenario:
    """Load a packaged scenario by name or a TOML file by path, with inheritance and overrides."""
    raw = _resolve_raw(str(ref), None, ())
    if overrides:
        raw = apply_overrides(raw, overrides)
    return build(Scenario, raw, "")


def scenario_from_dict(raw: dict) -> Scenario:
    """Build a scenario from a plain dict (as read from TOML), validating it."""
    return build(Scenario, raw, "")
