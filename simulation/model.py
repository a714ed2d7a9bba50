"""GridValueModel: the Mesa model of a grid company, its customers and its network."""

import calendar
import dataclasses
import datetime
import functools

import mesa
import networkx as nx
import numpy as np
import tomli_w

from gridvalue.agents.enterprise import EnterpriseUser
from gridvalue.agents.grid_company import GridCompany
from gridvalue.agents.household import Household
from gridvalue.agents.microgrid import Microgrid
from gridvalue.simulation import kernels, metrics
from gridvalue.simulation.dataplatform import DataPlatform
from gridvalue.simulation.dayresult import DayRecords, DayResult
from gridvalue.simulation.ev import EvFleet
from gridvalue.simulation.forecast import SameWeekdayForecast
from gridvalue.simulation.grid_mapping import grid_topology
from gridvalue.simulation.gridflow import GridFlow
from gridvalue.simulation.grids import load_grid, synthetic_grid
from gridvalue.simulation.hosting import feeders_of
from gridvalue.simulation.inflation import nominal_scenario
from gridvalue.simulation.loads import LoadEngine
from gridvalue.simulation.market import Market
from gridvalue.simulation.network import Topology, build_graph, build_topology
from gridvalue.simulation.population import (
    MICROGRID,
    customer_columns,
    draw_enterprises,
    draw_households,
    draw_microgrids,
)
from gridvalue.simulation.prefetch import TwoBuffers
from gridvalue.simulation.prices import DayPrices
from gridvalue.simulation.profiles import CLASS_INDEX, MICROGRID_CLASS
from gridvalue.simulation.response import DemandResponse
from gridvalue.simulation.rng import Streams
from gridvalue.simulation.scenario import Scenario, load_scenario
from gridvalue.simulation.services.base import segment_codes
from gridvalue.simulation.storage import (
    Batteries,
    annuity_factor,
    dispatch_peak_shaving,
    dispatch_price,
    expected_peak_kw,
)
from gridvalue.simulation.tables import Table
from gridvalue.simulation.tariffs import TariffEngine
from gridvalue.simulation.totals import NetTotals
from gridvalue.simulation.worlds import World, degree_days

# Peak of one customer over its share of the class's coincident peak, per unit of noise
# sigma, interval and day together (households in Wuhan: 3,561 h / 1,188 h at 0.455);
# sizing rule only.
INDIVIDUAL_PEAK_PER_SIGMA = 4.5


def _toml_value(value) -> str:
    return tomli_w.dumps({"v": value}).partition("=")[2].strip()


class GridValueModel(mesa.Model):
    """A distribution grid company and its customers, one step per day.

    Each step runs a fixed pipeline:

    1. offer + decide (first day of each month): word of mouth spreads awareness, the company
       contacts targeted customers who pass its credit screen, and every aware customer decides
       on each open offer with the shared choice rule (agents/choice.py); signing a contract
       books its capex and applies its effect (a retrofit lowers the load, PV is installed...).
    2. operate: the day's prices (simulation/tariffs.py; the company calls critical-peak
       events from its day-ahead forecast), every customer's demand for the day (vectorised)
       and its response to time-varying prices (simulation/response.py), minus PV, plus
       microgrid battery dispatch (against the site's peak or its prices); aggregated to
       transformer, feeder and system load per interval, with company batteries shaving
       their transformers' peaks.
    3. settle: customers' bills; the company books energy sales, wholesale energy and the
       capacity cost of the year's peak; on the last day of a month, every active contract's
       cash for the month, then defaults, then contracts reaching their term.
    4. record: the day's KPIs, a `DayResult` record (simulation/dayresult.py), handed to the
       Mesa DataCollector (`DayRecords`); the interval arrays.

    Before the first step the data platform (simulation/dataplatform.py) acquires the months
    before the start and writes the company's estimates; at the start of every later month it
    adds the savings it measured and the defaults it saw to its labels and refits, and at
    every month end it books its costs (`data_platform` ledger line).
    """

    def __init__(self, scenario: "Scenario | str" = "baseline", seed: int | None = None,
                 rng=None, overrides: "dict | list | None" = None, **params):
        """`params` are flat overrides for `mesa.batch_run` and notebooks: `meta__days=30`
        sets `meta.days` (`__` stands for the dot), merged after `overrides`."""
        if params:
            flat = {k.replace("__", "."): v for k, v in params.items()}
            if isinstance(overrides, list):
                overrides = overrides + [f"{k}={_toml_value(v)}" for k, v in flat.items()]
            else:
                overrides = dict(overrides or {}) | flat
        if isinstance(scenario, Scenario):
            if overrides:
                raise ValueError("overrides need a scenario name or path, not a Scenario")
        else:
            scenario = load_scenario(scenario, overrides)
        if seed is not None and rng is not None:
            raise ValueError("give seed or rng, not both")
        if rng is not None:
            seed = int(rng) if isinstance(rng, int | np.integer) else int(
                np.random.default_rng(rng).integers(2**31 - 1))
        seed = scenario.meta.seed if seed is None else int(seed)
        super().__init__(seed=seed)
        self.seed = seed
        self.scenario = nominal_scenario(dataclasses.replace(
            scenario, meta=dataclasses.replace(scenario.meta, seed=seed)))
        self.streams = Streams(seed)
        meta = self.scenario.meta
        self.days = meta.days
        self.hours_per_interval = 24.0 / meta.intervals_per_day
        self.dates = [meta.start_date + datetime.timedelta(days=d) for d in range(meta.days)]

        self.loads = LoadEngine(self.scenario, self.streams)
        # the daily mean temperature of the place's weather over the horizon (the loads' own)
        self.temperature_c = self.loads.weather.daily_mean_c
        self._build_population()
        self._build_network()
        self._build_power_flow()
        self.company = GridCompany(self, self.scenario.company, self.scenario.tariff,
                                   meta.start_date)
        self.world = World(self.scenario.data_platform.world, self.streams,
                           len(self.customers), self.loads.normals)
        self._company_view()
        self.tariffs = TariffEngine(self)
        self.response = DemandResponse(self)
        self._build_agents()
        self.ev = EvFleet(self)  # household EVs (none unless [ev] asks)
        self._build_grid_batteries()
        self._build_records()
        self.market = Market(self)
        self._settled_through = -1  # last day whose month has been settled
        self.net_totals: NetTotals | None = None  # the day's, once `operate` has run
        self._day_kw = TwoBuffers()  # the day's net loads, written over two days later
        self.running = True

    # ---- construction -------------------------------------------------------------------
    def _build_population(self) -> None:
        flh = self._class_full_load_hours()
        households = draw_households(self.scenario, self.streams)
        enterprises = draw_enterprises(self.scenario, self.streams)
        microgrids = draw_microgrids(self.scenario, self.streams, flh[CLASS_INDEX[MICROGRID_CLASS]])
        self.customers = Table("customers", customer_columns(  # moves the shared columns
            self.scenario, households, enterprises, microgrids,
            self.loads.class_peak_kw_per_kwh))
        self.tables = {
            "households": Table("households", households),
            "enterprises": Table("enterprises", enterprises),
            "microgrids": Table("microgrids", microgrids),
        }
        self.customer_offset = {"households": 0, "enterprises": len(self.tables["households"]),
                                "microgrids": len(self.tables["households"])
                                + len(self.tables["enterprises"])}
        self.class_full_load_hours = flh

    def _company_view(self) -> None:
        """What the company believes about each customer: the data platform acquires the
        history and writes its estimates (credit score, savings potential, ...) as columns."""
        self.platform = DataPlatform(self, needed=self.reads_estimates())

    def reads_estimates(self) -> bool:
        """Whether anything in the run reads the data platform's estimates: a service or a
        competitor's offer whose class `reads_estimates`, a company strategy other than
        `fixed` (they rank contacts by the estimates), or `data_platform.history =
        "always"`. Without, no history is simulated (the company's view stays empty)."""
        from gridvalue.simulation.services import reads_estimates

        return reads_estimates(self.scenario)

    def _class_full_load_hours(self) -> np.ndarray:
        """Full-load hours of each class's expected shape over a year (for design peaks)."""
        return self.loads.class_full_load_hours

    def _build_network(self) -> None:
        c = self.customers
        coincident_kw = c["annual_kwh"] / self.class_full_load_hours[c["profile_class"]]
        sigma = np.hypot(c["interval_sigma"], c["day_sigma"])
        individual_kw = np.minimum(coincident_kw * (1.0 + INDIVIDUAL_PEAK_PER_SIGMA * sigma),
                                   c["connected_kw"])
        params = self.scenario.network
        self.published_grid = None
        if params.source == "synthetic":
            self.topology: Topology = build_topology(
                c["customer_type"], c["sector"], coincident_kw, individual_kw,
                params, self.streams["network"], connected_kw=c["connected_kw"])
            return
        grid = load_grid(params.source)
        self.topology, load_point = grid_topology(grid, c["customer_type"], c["sector"],
                                                  coincident_kw, params)
        self.published_grid = (grid, load_point)

    def _build_power_flow(self) -> None:
        """The AC power flow of the network, when `network.power_flow` asks for one."""
        params = self.scenario.network
        self.transformer_reverse_intervals = np.zeros(self.topology.n_transformers, np.int64)
        self.transformer_reverse_kw = np.zeros(self.topology.n_transformers)
        self.gridflow = None
        if params.power_flow == "off":
            return
        topo = self.topology
        if self.published_grid is None:
            # bus 0 substation, 1..n_tx transformer MV sides, then their LV sides
            grid, n_tx = synthetic_grid(self.graph, topo, params), topo.n_transformers
            bus_point = np.concatenate([[-1], np.arange(n_tx), np.arange(n_tx)])
            bus_feeder = np.concatenate([[-1], topo.transformer_feeder, topo.transformer_feeder])
            branch_feeder = topo.transformer_feeder[np.concatenate([grid.line_to - 1,
                                                                    np.arange(n_tx)])]
            self.gridflow = GridFlow(grid, np.arange(n_tx), params, params.power_factor,
                                     self.hours_per_interval, bus_point, bus_feeder,
                                     branch_feeder, independent_feeders=True)
            return
        grid, load_point = self.published_grid
        bus_feeder, branch_feeder = feeders_of(grid)
        bus_point = np.full(grid.n_bus, -1)
        on = load_point >= 0
        bus_point[grid.load_bus[on]] = load_point[on]
        self.gridflow = GridFlow(grid, load_point, params, params.power_factor,
                                 self.hours_per_interval, bus_point, bus_feeder, branch_feeder)

    @functools.cached_property
    def graph(self) -> nx.Graph:
        """The network graph (built on first use from its own stream)."""
        return build_graph(self.topology, self.scenario.network, self.streams.fresh("graph"))

    def _build_agents(self) -> None:
        self._agent_of_customer = []
        for name, cls in (("households", Household), ("enterprises", EnterpriseUser),
                          ("microgrids", Microgrid)):
            offset = self.customer_offset[name]
            self._agent_of_customer += [cls(self, row, offset + row)
                                        for row in range(len(self.tables[name]))]
        mg = self.tables["microgrids"]
        p = self.scenario.population
        self.batteries = Batteries(
            power_kw=mg["battery_power_kw"].astype(float),
            energy_kwh=mg["battery_energy_kwh"].astype(float),
            soc_kwh=mg["battery_energy_kwh"] * 0.5,
            roundtrip_efficiency=p.battery_roundtrip_efficiency,
            soc_min_share=p.battery_soc_min_share, soc_max_share=p.battery_soc_max_share)
        self.battery_losses_kwh = 0.0
        self._microgrid_rows = np.flatnonzero(self.customers["customer_type"] == MICROGRID)
        self._pv_rows = np.flatnonzero(self.customers["pv_kwp"] > 0)

    def _build_grid_batteries(self) -> None:
        """Company batteries at the transformers with the highest expected peak over rating."""
        s, topo, c = self.scenario.storage, self.topology, self.customers
        count = min(s.grid_batteries, topo.n_transformers)
        self.grid_battery_sites = np.zeros(0, dtype=np.int64)
        self.grid_battery_capex = 0.0
        if count == 0:
            self.grid_batteries = None
            return
        expected = expected_peak_kw(topo.customer_to_transformer, c["profile_class"],
                                    c["annual_kwh"] * c["load_scale"], self.loads.shapes_kw_per_kwh)
        utilisation = expected / topo.transformer_rating_kw
        self.grid_battery_sites = np.sort(np.argsort(-utilisation, kind="stable")[:count])
        power = topo.transformer_rating_kw[self.grid_battery_sites] * s.grid_battery_power_share
        energy = power * s.grid_battery_hours
        p = self.scenario.population
        self.grid_batteries = Batteries(
            power_kw=power, energy_kwh=energy, soc_kwh=energy * 0.5,
            roundtrip_efficiency=p.battery_roundtrip_efficiency,
            soc_min_share=p.battery_soc_min_share, soc_max_share=p.battery_soc_max_share)
        self.grid_battery_capex = float(energy.sum() * s.grid_battery_capex_per_kwh)
        if s.grid_battery_forecast != "perfect":  # what their transformers' meters read
            self._grid_forecast = SameWeekdayForecast(
                count, self.scenario.meta.intervals_per_day, s.forecast_weeks)

    def _build_records(self) -> None:
        T, topo = self.scenario.meta.intervals_per_day, self.topology
        self.system_kw = np.zeros((self.days, T))
        self.household_kw = np.zeros((self.days, T))
        self.grid_battery_losses_kwh = 0.0
        self.feeder_peak_kw = np.zeros((self.days, topo.n_feeders))
        self.feeder_energy_kwh = np.zeros((self.days, topo.n_feeders))
        self.transformer_peak_kw = np.zeros(topo.n_transformers)
        self.transformer_intervals_over = np.zeros(topo.n_transformers, dtype=np.int64)
        self.datacollector = DayRecords(losses=self.gridflow is not None)

    # ---- the daily pipeline -----------------------------------------------------------------
    def step(self) -> None:
        day = self.steps - 1  # Mesa counts the step before calling it
        date = self.dates[day]
        if day and day % 365 == 0:
            self._new_year()
        if date.day == 1 or day == 0:
            for name in ("month_demand_kwh", "month_bill"):
                self.customers[name][:] = 0.0
            if day > 0:
                self.platform.start_month()
            self.market.decide(day, date)
        prices = self.tariffs.start_day(day)
        for service in self.market.services:
            service.plan_day(day, prices)
        customer_kw, operated = self.operate(day, prices)
        for service in self.market.services:
            service.observe_day(day, customer_kw, prices)
        self.market.competitor_books.observe_day(day, customer_kw, prices)
        self.platform.observe_day(day, customer_kw)
        _, _, system_kw, aggregated = self.aggregate(day, customer_kw)
        result = DayResult.from_stages(operated, aggregated)
        self.company.settle_day(date, day, customer_kw, system_kw, self.hours_per_interval,
                                prices, losses_kwh=result.losses_kwh)
        last_day = self.steps >= self.days
        if last_day or (date + datetime.timedelta(days=1)).day == 1:
            month_days = calendar.monthrange(date.year, date.month)[1]
            share = min((day - self._settled_through) / month_days, 1.0)
            self._settled_through = day
            self.market.settle(date, share)
            self._book_grid_batteries(date, share)
            self.platform.book_month(date, share)
        self.datacollector.record(result)
        if last_day:
            self.running = False

    def _new_year(self) -> None:
        """A year on (every 365 days): demand grows by customer class, retail and wholesale
        prices escalate (`[growth]`, one multiplicative step a year)."""
        g, c = self.scenario.growth, self.customers
        growth = np.array(g.load_growth_by_segment())[segment_codes(c)]
        if growth.any():
            c["load_scale"] *= 1.0 + growth
        if g.tariff_escalation_per_year:
            c["price_per_kwh"] *= 1.0 + g.tariff_escalation_per_year
        self.company.wholesale_index *= 1.0 + g.wholesale_escalation_per_year
        self.company.price_level *= 1.0 + g.inflation_per_year

    def pv_degradation(self, age_days: "int | np.ndarray") -> "float | np.ndarray":
        """Share of its first-year output a PV system of this age still gives."""
        return (1.0 - self.scenario.growth.pv_degradation_per_year) ** (np.asarray(age_days)
                                                                         / 365.0)

    def _book_grid_batteries(self, date: datetime.date, month_share: float) -> None:
        """A month (or `month_share` of one) of the company batteries' capital charge (annuity
        over their life)."""
        if self.grid_battery_capex:
            s, rate = self.scenario.storage, self.scenario.company.discount_rate_per_year
            self.company.ledger.book(date, "grid_storage", "capex_annuity",
                                     -self.grid_battery_capex
                                     * annuity_factor(rate, s.grid_battery_life_years) / 12.0
                                     * month_share)

    def operate(self, day: int, prices: DayPrices) -> tuple[np.ndarray, dict]:
        """Net load of every customer for `day`, kW, (n_customers, T): demand after price
        response to the day's `prices` - PV + battery; and the day's KPIs it measured (date,
        PV, microgrid batteries' discharge: `DayResult` fields)."""
        (day_kw,) = self._day_kw.next((len(self.customers), self.loads.intervals_per_day))
        customer_kw = self.loads.gross_kw(self.customers, day, out=day_kw, ahead=False)
        factor = self.world.horizon_day_factor(self.customers["efficiency_potential_share"],
                                               float(degree_days(self.temperature_c[day])))
        if factor is not None:  # weather-sensitive waste follows the day's degree-days
            customer_kw *= factor[:, None]
        self.response.apply(customer_kw, prices)  # its passes shared with the worker thread,
        self.loads.draw_ahead(len(self.customers), day)  # which then draws tomorrow's noise
        demand_kw = np.empty(len(customer_kw))
        kernels.row_sums(customer_kw, demand_kw)  # customer_kw.sum(axis=1), compiled
        self.customers["month_demand_kwh"] += demand_kw * self.hours_per_interval
        self.ev.add_charging(day, customer_kw, prices)  # EV charging, after the price response
        pv_kw = self.loads.pv_kw(self.customers["pv_kwp"][self._pv_rows]
                                 * self.pv_degradation(day), day)
        customer_kw[self._pv_rows] -= pv_kw
        for service in self.market.services:
            service.apply_load(day, customer_kw, prices)
        self.market.competitor_books.apply_load(day, customer_kw, prices)
        rows = self._microgrid_rows
        battery_kw = np.zeros((0, customer_kw.shape[1]))
        if len(rows):
            battery_kw, losses = self.dispatch_microgrids(self.batteries, customer_kw[rows], rows,
                                                          prices)
            customer_kw[rows] += battery_kw
            self.battery_losses_kwh += float(losses.sum())
        # one compiled pass: peaks, the households' sum, imports and exports (the bills'), the
        # transformers' sums (`aggregate`'s)
        self.net_totals = NetTotals.of(customer_kw, len(self.tables["households"]),
                                       self.customers["peak_kw"],
                                       self.topology.customer_transformer,
                                       self.topology.n_transformers)
        self.customers["peak_kw"] = self.net_totals.peak_kw
        self.household_kw[day] = self.net_totals.household_kw
        dt = self.hours_per_interval
        return customer_kw, {"date": self.dates[day].isoformat(),
                             "pv_kwh": float(pv_kw.sum() * dt),
                             "battery_discharge_kwh": float(np.maximum(-battery_kw, 0).sum() * dt)}

    def dispatch_microgrids(self, batteries: Batteries, net_kw: np.ndarray,
                            rows: np.ndarray, prices: DayPrices) -> tuple[np.ndarray, np.ndarray]:
        """Battery power (n, T) and losses of the microgrids at customer `rows` with net loads
        `net_kw`, by the scenario's dispatch rule (against the site's peak or its `prices`)."""
        if self.scenario.storage.microgrid_dispatch == "price":
            return dispatch_price(batteries, net_kw, prices.of(rows), self.hours_per_interval)
        return dispatch_peak_shaving(batteries, net_kw, self.hours_per_interval)

    def aggregate(self, day: int, customer_kw: np.ndarray):
        """Aggregate up the feeders; record the day's interval and peak statistics. Returns
        transformer, feeder and system kW and the day's KPIs it measured (`DayResult`
        fields, and the company batteries' `grid_battery_discharge_kwh`)."""
        topo, dt = self.topology, self.hours_per_interval
        totals = self.net_totals  # its transformer sums, if these are its loads
        summed = totals.transformer_kw if totals and totals.matches(customer_kw) else None
        transformer_kw, feeder_kw, system_kw = topo.aggregate(customer_kw, summed)
        kpis = {}
        if self.grid_batteries is not None:
            sites = self.grid_battery_sites
            plan = self._grid_battery_plan(day, transformer_kw[sites])
            battery_kw, losses = dispatch_peak_shaving(self.grid_batteries, plan, dt)
            transformer_kw[sites] += battery_kw
            np.add.at(feeder_kw, topo.transformer_feeder[sites], battery_kw)
            system_kw = feeder_kw.sum(axis=0)
            self.grid_battery_losses_kwh += float(losses.sum())
            kpis["grid_battery_discharge_kwh"] = float(np.maximum(-battery_kw, 0).sum() * dt)
        tx_over = metrics.intervals_above(transformer_kw, topo.transformer_rating_kw)
        feeder_over = metrics.intervals_above(feeder_kw, topo.feeder_rating_kw)
        self.system_kw[day] = system_kw
        self.feeder_peak_kw[day] = feeder_kw.max(axis=1)
        self.feeder_energy_kwh[day] = feeder_kw.sum(axis=1) * dt
        np.maximum(self.transformer_peak_kw, transformer_kw.max(axis=1),
                   out=self.transformer_peak_kw)
        self.transformer_intervals_over += tx_over
        reverse = transformer_kw < 0
        self.transformer_reverse_intervals += reverse.sum(axis=1)
        np.maximum(self.transformer_reverse_kw, -transformer_kw.min(axis=1),
                   out=self.transformer_reverse_kw)
        kpis |= {
            "system_peak_kw": float(system_kw.max()),
            "system_min_kw": float(system_kw.min()),
            "energy_kwh": float(system_kw.sum() * dt),
            "load_factor": metrics.load_factor(system_kw),
            "transformer_intervals_over_rating": int(tx_over.sum()),
            "transformers_over_rating": int((tx_over > 0).sum()),
            "feeder_intervals_over_rating": int(feeder_over.sum()),
        }
        if self.gridflow is not None:
            kpis["losses_kwh"] = self.gridflow.day(day, self.dates[day], transformer_kw,
                                                   system_kw)
        return transformer_kw, feeder_kw, system_kw, kpis

    def _grid_battery_plan(self, day: int, site_kw: np.ndarray) -> np.ndarray:
        """The load the company schedules its batteries on: the day's realised load at their
        transformers (`storage.grid_battery_forecast = "perfect"`), or its forecast from
        their meters (zero on the first day: idle)."""
        if self.scenario.storage.grid_battery_forecast == "perfect":
            return site_kw
        plan = self._grid_forecast.predict(day)
        self._grid_forecast.observe(day, site_kw)
        return np.zeros_like(site_kw) if plan is None else plan

    def run(self, progress=None) -> "GridValueModel":
        """Step to the end of the horizon; `progress(days_done)` is called after each day."""
        while self.running:
            self.step()
            if progress is not None:
                progress(self.steps)
        return self

    def type_column(self, name: str) -> np.ndarray:
        """A column of the per-type tables (households, enterprises, microgrids) in customer
        order, 0 for customers whose type table has no such column."""
        out = np.zeros(len(self.customers))
        for table_name, table in self.tables.items():
            if name in table:
                start = self.customer_offset[table_name]
                out[start:start + len(table)] = table[name]
        return out

    # ---- results ----------------------------------------------------------------------------
    def company_npv(self, lifetime: bool = False) -> float:
        """The company's NPV at the start date of its cash over the horizon; with `lifetime`,
        plus the discounted net cash still expected from live contracts after it."""
        npv = self.company.ledger.npv(self.scenario.company.discount_rate_per_year)
        return npv + sum(self.market.remaining_value().values()) if lifetime else npv

    def refresh_pv_rows(self) -> None:
        """Customers with their own PV (after some installed systems during the run)."""
        self._pv_rows = np.flatnonzero(self.customers["pv_kwp"] > 0)

    # ---- agents by type ---------------------------------------------------------------------
    @property
    def households(self) -> mesa.agent.AgentSet:
        return self.agents_by_type[Household]

    @property
    def enterprises(self) -> mesa.agent.AgentSet:
        return self.agents_by_type[EnterpriseUser]

    @property
    def microgrids(self) -> mesa.agent.AgentSet:
        return self.agents_by_type[Microgrid]

    def customer_agent(self, customer: int):
        """The agent at a customer index (households, enterprises, microgrids in that order)."""
        return self._agent_of_customer[customer]

