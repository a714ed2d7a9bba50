"""The scenario: sections, defaults (with unit and source), TOML loading, `extends` and overrides.

A scenario file is TOML. `extends = "baseline"` inherits a packaged scenario (or a file path,
relative to the extending file); `--set section.field=value` overrides one value. Every input
error raises `ScenarioError` naming the field and the problem.
"""

import copy
import datetime
import hashlib
import json
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomli_w

from gridvalue.simulation.schema import (
    ScenarioError,
    Shares,
    build,
    param,
    registry_table,
    table,
    to_dict,
)
from gridvalue.simulation.weather import (
    KT_MAX,
    MONTHLY,
    SCALAR,
    clearness_beta,
    normals_for,
    place_names,
)

A = "assumption"


@dataclass(frozen=True)
class Meta:
    name: str = param("baseline", "-", "-", "Scenario name (used in results folder names)")
    description: str = param("", "-", "-", "What the scenario asks, for a strategist")
    seed: int = param(42, "-", "-", "Master seed of all random streams", min=0)
    start_date: datetime.date = param(datetime.date(2025, 1, 1), "date", A,
                                      "First simulated day (its calendar year sets load shapes)")
    days: int = param(365, "day", A, "Horizon: simulated days, one model step each",
                      min=1, max=3660)
    currency: str = param("CNY", "-", "seed paper (a Chinese grid company)",
                          "Currency of every money figure")
    intervals_per_day: int = param(24, "1/day", "BDEW profiles are 15-min; hourly by default",
                                   "Intraday intervals per step", choices=(24, 96))


@dataclass(frozen=True)
class Network:
    customers_per_transformer: int = param(
        40, "households", A + " (urban LV transformers serve tens of households)",
        "Households per MV/LV transformer", min=1)
    enterprises_per_transformer: int = param(
        5, "enterprises", A, "Commercial/agricultural enterprises per shared transformer "
        "(industrial enterprises and microgrids get their own)", min=1)
    transformers_per_feeder: int = param(
        12, "transformers", A + " (10 kV feeders carry about 10-40 transformers)",
        "Transformers per MV feeder; the feeder count follows from it", min=1)
    transformer_sizing_margin: float = param(
        1.25, "ratio", A, "Mean ratio of transformer rating to its expected diversified peak",
        min=0.1, max=10)
    transformer_sizing_spread: float = param(
        0.2, "ratio", A, "Standard deviation of that ratio across transformers (some are tight)",
        min=0, max=5)
    power_factor: float = param(0.95, "-", A, "Power factor converting kVA ratings to kW",
                                min=0.5, max=1.0)
    feeder_rating_kva: float = param(8000.0, "kVA", A + " (10 kV, about 460 A)",
                                     "Thermal rating of each MV feeder", min=0, min_exclusive=True)
    section_length_km: float = param(0.3, "km", A, "Mean length of an MV line section",
                                     min=0, min_exclusive=True)


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
    households: int = param(2000, "customers", A, "Residential households", min=0)
    enterprises: int = param(240, "customers", A, "Enterprise users (all sectors)", min=0)
    microgrids: int = param(8, "customers", A, "Customer microgrids (PV + battery + members)",
                            min=0)
    sector_shares: SectorShares = table(SectorShares, "Enterprise sector mix")
    household_kwh_median: float = param(
        2000.0, "kWh/yr", A + " (China: about 900 kWh residential use per capita, 2.6 persons)",
        "Median annual consumption of a household", min=0, min_exclusive=True)
    household_kwh_sigma: float = param(0.45, "log-sd", A, "Spread of household annual kWh",
                                       min=0, max=3)
    household_kwh_size_elasticity: float = param(
        0.4, "-", A, "Elasticity of household kWh to household size", min=0, max=2)
    household_kwh_income_elasticity: float = param(
        0.25, "-", A, "Elasticity of household kWh to income per person", min=0, max=2)
    household_size_mean: float = param(2.62, "persons", "China 7th census (2020)",
                                       "Mean household size", min=1)
    income_per_capita_median: float = param(
        33036.0, "CNY/yr", "NBS 2023 communiqué, median disposable income (recalled)",
        "Median disposable income per person", min=0, min_exclusive=True)
    income_sigma: float = param(0.7, "log-sd", A, "Spread of household income", min=0, max=3)
    industrial_kwh_median: float = param(800000.0, "kWh/yr", A,
                                         "Median annual consumption of an industrial enterprise",
                                         min=0, min_exclusive=True)
    commercial_kwh_median: float = param(60000.0, "kWh/yr", A,
                                         "Median annual consumption of a commercial enterprise",
                                         min=0, min_exclusive=True)
    agricultural_kwh_median: float = param(20000.0, "kWh/yr", A,
                                           "Median annual consumption of a farm",
                                           min=0, min_exclusive=True)
    enterprise_kwh_sigma: float = param(0.8, "log-sd", A, "Spread of enterprise annual kWh",
                                        min=0, max=3)
    household_roof_kwp_median: float = param(3.0, "kWp", A, "Median household PV roof potential",
                                             min=0)
    enterprise_roof_kwp_per_mwh: float = param(
        0.3, "kWp per MWh/yr", A, "Enterprise PV roof potential per annual MWh", min=0)
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
        "customers)", min=0, min_exclusive=True)
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
                                        min=0, min_exclusive=True)
    microgrid_members_mean: float = param(30.0, "members", A,
                                          "Mean member loads per microgrid (smooths its load)",
                                          min=1)
    microgrid_pv_kwp_per_mwh: float = param(0.4, "kWp per MWh/yr", A,
                                            "Microgrid PV size per annual MWh of member load",
                                            min=0)
    microgrid_battery_power_share: float = param(
        0.3, "kW per kW", A, "Battery power as a share of the microgrid's expected peak",
        min=0, max=5)
    microgrid_battery_hours: float = param(2.0, "h", A, "Battery energy / power", min=0)
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
        min_exclusive=True)
    household_connected_kw_per_mwh: float = param(
        2.5, "kW per MWh/yr", A, "Connected load of a household per MWh of annual use, above "
        "the minimum", min=0)
    enterprise_connected_headroom: float = param(
        1.5, "kW per kW", A + " (contracted capacity above the expected maximum demand)",
        "Connected load of an enterprise or microgrid over its class shape's expected peak",
        min=1)
    pv_specific_yield_kwh_per_kwp: float = param(
        1100.0, "kWh/kWp/yr", A + " (central and eastern China about 1,000-1,400)",
        "Annual PV yield per kWp in a year of normal cloudiness (the pvlib shape is scaled to "
        "it)", min=0)
    pv_tilt_deg: float = param(25.0, "deg", A + " (fixed racks near latitude - 5 deg)",
                               "Tilt of PV modules from horizontal", min=0, max=90)
    pv_azimuth_deg: float = param(180.0, "deg", A, "Azimuth PV modules face (180: south)",
                                  min=0, max=360)
    pv_temperature_coefficient_per_k: float = param(
        -0.004, "1/K", "PVWatts-type crystalline silicon, about -0.4 %/K (recalled)",
        "Change of PV power per K of cell temperature above 25 deg C", min=-0.02, max=0)
    pv_degradation_per_year: float = param(
        0.005, "1/yr", "Jordan & Kurtz (2013): median 0.5 %/yr (recalled)",
        "Loss of PV output per year from the start date", min=0, max=0.1)


SEGMENT_NAMES = ("household", "industrial", "commercial", "agricultural", "microgrid")
TARIFF_KINDS = ("flat", "tou", "cpp", "rtp")
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
        "Household energy price", min=0)
    commercial_price_per_kwh: float = param(0.80, "CNY/kWh", A, "Commercial energy price", min=0)
    industrial_price_per_kwh: float = param(0.65, "CNY/kWh", A, "Industrial energy price", min=0)
    agricultural_price_per_kwh: float = param(0.50, "CNY/kWh", A, "Agricultural energy price",
                                              min=0)
    microgrid_price_per_kwh: float = param(0.65, "CNY/kWh", A, "Microgrid import price", min=0)
    export_price_per_kwh: float = param(0.38, "CNY/kWh", A + " (coal benchmark price)",
                                        "Price paid for energy customers export", min=0)
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
        min=1)
    tou_peak_ratio_winter: float = param(
        3.0, "peak/off-peak", FS + ": TOU ratios 2:1-4:1 give 3-6 % peak reduction",
        "Peak over off-peak price in winter (revenue-neutral for the class's expected shape)",
        min=1)
    cpp_event_hours: int = param(4, "h", A + " (CPP events last 2-6 h)",
                                 "Length of a critical-peak event, centred on the hour of the "
                                 "forecast peak", min=1, max=24)
    cpp_price_ratio: float = param(5.0, "x flat price", A + " (CPP event prices 3-10x)",
                                   "Price during an event over the flat price", min=1)
    cpp_off_event_discount_share: float = param(
        0.03, "share", A + " (about revenue-neutral for 12 events of 4 h at 5x)",
        "Discount on the flat price on days without an event", min=0, max=0.9)
    cpp_max_events_per_year: int = param(12, "events/yr", A + " (CPP programmes call 10-15)",
                                         "Most event days the company may call per 365 days",
                                         min=0, max=365)
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
        "consumption between intervals to their price ratio, households", max=0)
    household_daily_elasticity: float = param(
        -0.023, "-", "PRISM (California SPP), non-CPP days",
        "Elasticity of daily energy to the day's average price, households", max=0)
    household_cpp_substitution_elasticity: float = param(
        -0.097, "-", "PRISM (California SPP), CPP days",
        "Substitution elasticity of households on critical-peak event days", max=0)
    household_cpp_daily_elasticity: float = param(
        -0.016, "-", "PRISM (California SPP), CPP days",
        "Daily elasticity of households on critical-peak event days", max=0)
    enabling_substitution_boost: float = param(
        -0.095, "-", FS + ": enabling technology about doubles the response (recalled)",
        "Added to the substitution elasticity of a customer with enabling technology", max=0)
    industrial_substitution_elasticity: float = param(
        -0.01, "-", "Jessoe & Rapson (2015): C&I TOU barely moves load",
        "Substitution elasticity, industry (continuous processes barely shift)", max=0)
    commercial_substitution_elasticity: float = param(
        0.0, "-", "Jessoe & Rapson (2015): commercial TOU about zero without enabling tech",
        "Substitution elasticity, commerce", max=0)
    agricultural_substitution_elasticity: float = param(
        -0.3, "-", A + " (irrigation pumps shift freely within the day)",
        "Substitution elasticity, farms", max=0)
    enterprise_daily_elasticity: float = param(
        0.0, "-", "Jessoe & Rapson (2015): no measurable C&I change",
        "Daily elasticity, enterprises", max=0)


@dataclass(frozen=True)
class Storage:
    """Battery dispatch: microgrid batteries, and company batteries at transformers."""

    microgrid_dispatch: str = param("site_peak", "-", A,
                                    "Microgrid batteries shave the site's own peak or trade "
                                    "against its price", choices=("site_peak", "price"))
    grid_batteries: int = param(0, "batteries", A,
                                "Company batteries, one at each of the transformers with the "
                                "highest expected peak over rating", min=0)
    grid_battery_power_share: float = param(0.3, "kW per kW rating", A,
                                            "Battery power as a share of its transformer's "
                                            "rating", min=0, max=5)
    grid_battery_hours: float = param(2.0, "h", A, "Battery energy / power", min=0)
    grid_battery_capex_per_kwh: float = param(
        1000.0, "CNY/kWh", A + " (Li-ion storage systems about 800-1,500 CNY/kWh)",
        "Installed cost of company batteries", min=0)
    grid_battery_life_years: float = param(15.0, "yr", A, "Life over which battery capex is "
                                           "charged to the ledger (annuity at the company's "
                                           "discount rate)", min=1)


@dataclass(frozen=True)
class Company:
    discount_rate_per_year: float = param(0.08, "1/yr", A, "The company's discount rate",
                                          min=0, max=1)
    wholesale_price_per_kwh: float = param(0.40, "CNY/kWh", A + " (coal benchmark 0.35-0.45)",
                                           "Cost of energy bought at the substation", min=0)
    capacity_cost_per_kw_year: float = param(
        300.0, "CNY/kW/yr", "CPUC 2012 avoided distribution capacity 30.71-57.03 $/kW-yr "
        "at about 7.1 CNY/$", "Cost of the annual system peak", min=0)
    loss_share: float = param(0.05, "share", A, "Network losses as a share of energy delivered",
                              min=0, max=0.5)
    deferral_cost_per_kw_year: float = param(
        300.0, "CNY/kW/yr", "CPUC 2012 avoided distribution capacity 30.71-57.03 $/kW-yr at "
        "about 7.1 CNY/$", "Value of a kW of peak relief on a transformer or feeder whose "
        "rating binds (capacity deferral)", min=0)


@dataclass(frozen=True)
class Market:
    """How customers come to know and take offers (the shared choice rule)."""

    social_graph: str = param("feeder", "-", A, "Whose adoption a customer sees: customers on its "
                              "feeder, its transformer, or everyone (complete graph)",
                              choices=("feeder", "transformer", "complete"))
    small_world_links: int = param(2, "links/customer", A,
                                   "Random long-range social links per customer (seeded)", min=0)
    benefit_weight: float = param(
        8.0, "1 per bill-year", A + " (logit rationality, cf. Power TAC)",
        "How strongly an offer's NPV (in years of the customer's bill) moves acceptance; "
        "0 switches the benefit term off (pure Bass diffusion)", min=0)
    inertia: float = param(0.1, "bill-years", A + " (cf. Power TAC inertia)",
                           "NPV an offer must bring before it helps acceptance (switching cost)",
                           min=0)
    word_of_mouth_per_year: float = param(
        1.0, "1/yr", A, "Rate at which adopters make their neighbours aware of an offer", min=0)
    initial_awareness_share: float = param(0.0, "share", A,
                                           "Customers aware of every offer at the start",
                                           min=0, max=1)


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
    segments: int = param(6, "segments", A, "k of the k-means load-shape segmentation",
                          min=2, max=50)
    shape_idiosyncrasy_sd: float = param(
        0.1, "log-sd", A, "World: persistent per-interval deviation of a customer's load "
        "shape from its standard profile (no history length removes it)", min=0, max=2)
    erratic_per_relative_hazard: float = param(
        0.5, "-", A, "World: rise of a customer's day-to-day consumption log-sd per unit of "
        "its default hazard over its type's mean hazard", min=0)
    payment_delay_days_mean: float = param(
        3.0, "days", A, "World: mean days a customer without default risk pays after the due "
        "date (each month's delay is exponential)", min=0, min_exclusive=True)
    payment_delay_per_relative_hazard: float = param(
        1.0, "-", A, "World: rise of a customer's mean payment delay per unit of its default "
        "hazard over its type's mean hazard", min=0)


@dataclass(frozen=True)
class Report:
    """Extra analyses a run report includes."""

    screening_service: str = param("", "-", "-", "Service whose credit threshold the report "
                                   "sweeps (empty: no screening curve)")
    screening_thresholds: tuple[float, ...] = param(
        (), "score 0-100", "-", "Thresholds of the screening curve: the same scenario and seed "
        "re-run at each", min=0, max=100)


def _service_params() -> dict:
    from gridvalue.simulation.services import params_registry

    return params_registry()


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
    market: Market = table(Market, "Awareness, imitation and choice")
    data_platform: DataPlatform = table(DataPlatform, "The meter-data platform")
    services: dict = registry_table(_service_params, "Services on offer, by registered name")
    report: Report = table(Report, "Extra analyses in the run report")

    def check(self, path: str) -> None:
        name = self.report.screening_service
        if name and name not in self.services:
            raise ScenarioError("report.screening_service", f"{name!r} is not on offer")

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


SCENARIO_PACKAGE = "gridvalue.experiments"


def packaged_scenarios() -> dict[str, Path]:
    """Packaged scenario names and their files."""
    folder = resources.files(SCENARIO_PACKAGE) / "scenarios"
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}


def _locate(ref: str, relative_to: Path | None) -> Path:
    if ref.endswith(".toml") or "/" in ref:
        path = Path(ref)
        if not path.is_absolute() and relative_to is not None:
            path = relative_to / path
        return path
    packaged = packaged_scenarios()
    if ref not in packaged:
        raise ScenarioError("scenario", f"no packaged scenario named {ref!r} "
                            f"(packaged: {', '.join(sorted(packaged))}); give a .toml path")
    return packaged[ref]


def _read_toml(path: Path) -> dict:
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ScenarioError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), f"cannot read file: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), f"malformed TOML: {exc}") from None


def _merge(base: dict, child: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in child.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _resolve_raw(ref: str, relative_to: Path | None, chain: tuple[str, ...]) -> dict:
    path = _locate(ref, relative_to).resolve()
    if str(path) in chain:
        raise ScenarioError("extends", f"circular inheritance through {path.name}")
    raw = _read_toml(path)
    raw.setdefault("meta", {})
    if isinstance(raw["meta"], dict):
        raw["meta"].setdefault("name", path.stem)
    parent = raw.pop("extends", None)
    if parent is None:
        return raw
    if not isinstance(parent, str):
        raise ScenarioError("extends", f"expected a scenario name or path, got {parent!r}")
    base = _resolve_raw(parent, path.parent, chain + (str(path),))
    base.get("meta", {}).pop("description", None)  # a child describes itself
    return _merge(base, raw)


def parse_override(text: str) -> tuple[list[str], Any]:
    """Parse `section.field=value` (the value in TOML syntax, or a bare string)."""
    key, sep, value_text = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError("--set", f"expected section.field=value, got {text!r}")
    parts = key.split(".")
    if len(parts) < 2 or not all(parts):
        raise ScenarioError(f"--set {key}", "expected a dotted path section.field")
    try:
        value = tomllib.loads(f"v = {value_text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = value_text.strip()
    return parts, value


def apply_overrides(raw: dict, overrides: list[str] | dict[str, Any]) -> dict:
    """Set each dotted path in the raw scenario dict (validated later, with the rest)."""
    raw = copy.deepcopy(raw)
    items = ([parse_override(o) for o in overrides] if isinstance(overrides, list)
             else [(k.split("."), v) for k, v in overrides.items()])
    for parts, value in items:
        node = raw
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                where = ".".join(parts[: i + 1])
                raise ScenarioError(where, f"is a value, not a table; cannot set {'.'.join(parts)}")
            node = child
        node[parts[-1]] = value
    return raw


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
