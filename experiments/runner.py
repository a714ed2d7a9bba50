"""Run a scenario and turn the model's state into tables; write them to a results folder.

`run_scenario` is the notebook API: it returns a `RunResult` of pandas DataFrames.
`write_results` writes Parquet tables, the resolved scenario, `meta.json` and a report into a
temporary folder and renames it into place, so a failed run leaves nothing half-written.
"""

import datetime
import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import gridvalue
from gridvalue.agents.grid_company import ENERGY_SALES
from gridvalue.experiments.atomic import atomic_folder, safe_name
from gridvalue.experiments.screening import screening_curves
from gridvalue.simulation import metrics
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.population import SECTORS, SIZE_CLASSES, TYPE_NAMES
from gridvalue.simulation.profiles import CLASSES
from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.simulation.tariffs import PACKAGE

TABLES = ("daily", "feeders_daily", "system_load", "customers", "transformers", "ledger",
          "writeoffs", "annual", "contracts", "uptake", "decisions")
GRID_TABLES = ("buses", "lines", "power_flow", "hosting")  # with network.power_flow on
COMPETITOR_TABLES = ("competitor_contracts", "competitor_ledger")  # with [competitors]


@dataclass
class RunResult:
    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    summary: dict[str, float | int | str]
    meta: dict = field(default_factory=dict)

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def run_scenario(scenario: "Scenario | str" = "baseline", seed: int | None = None,
                 overrides: "dict | list | None" = None,
                 progress: Callable[[int], None] | None = None) -> RunResult:
    """Build the model, run the whole horizon and return its tables and summary."""
    started = datetime.datetime.now(datetime.UTC)
    clock = time.perf_counter()
    model = GridValueModel(scenario, seed=seed, overrides=overrides)
    model.run(progress)
    tables = model_tables(model)
    summary = summarise(model, tables)
    report = model.scenario.report
    if report.screening_service:
        seeds = [(model.seed + k) % 2**63 for k in range(report.screening_seeds)]
        tables["screening"] = screening_curves(model.scenario, seeds,
                                               report.screening_service,
                                               report.screening_thresholds)
    meta = {
        "scenario": model.scenario.meta.name,
        "seed": model.seed,
        "scenario_hash": model.scenario.hash(),
        "gridvalue_version": gridvalue.__version__,
        "python": platform.python_version(),
        "started_utc": started.isoformat(timespec="seconds"),
        "finished_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(time.perf_counter() - clock, 3),
    }
    return RunResult(model.scenario, tables, summary, meta)


def model_tables(model: GridValueModel) -> dict[str, pd.DataFrame]:
    """The run's result tables (deterministic for a given scenario and seed)."""
    days = pd.to_datetime([d.isoformat() for d in model.dates])
    daily = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    daily["date"] = days
    daily.insert(1, "day", np.arange(len(daily)))

    n_feeders, T = model.topology.n_feeders, model.scenario.meta.intervals_per_day
    feeders_daily = pd.DataFrame({
        "date": np.repeat(days, n_feeders),
        "feeder": np.tile(np.arange(n_feeders), model.days),
        "peak_kw": model.feeder_peak_kw.ravel(),
        "energy_kwh": model.feeder_energy_kwh.ravel(),
        "rating_kw": np.tile(model.topology.feeder_rating_kw, model.days),
    })
    step = pd.Timedelta(hours=24 / T)
    system_load = pd.DataFrame({
        "timestamp": np.repeat(days, T) + np.tile(np.arange(T), model.days) * step,
        "interval": np.tile(np.arange(T), model.days).astype(np.int16),
        "load_kw": model.system_kw.ravel(),
    })
    tables = {
        "daily": daily,
        "feeders_daily": feeders_daily,
        "system_load": system_load,
        "customers": customer_table(model),
        "transformers": transformer_table(model),
        "ledger": model.company.ledger.to_frame(),
        "writeoffs": model.company.ledger.writeoffs_frame(),
        "annual": annual_table(model),
        "contracts": contract_table(model),
        "uptake": model.market.uptake_frame(),
        "decisions": model.company.strategy.frame(),
    }
    if model.gridflow is not None:
        tables |= grid_tables(model)
    if model.scenario.competitors:  # their books, apart from the company's
        books = model.market.competitor_books
        tables["competitor_contracts"] = books.contract_frame()
        tables["competitor_ledger"] = books.ledger_frame()
    return tables


def grid_tables(model: GridValueModel) -> dict[str, pd.DataFrame]:
    """Power-flow results: per bus, per branch, per solved interval."""
    flow, topo = model.gridflow, model.topology
    buses, lines = flow.bus_frame(), flow.line_frame()
    intervals = flow.interval_frame(model.dates, model.scenario.meta.intervals_per_day)
    hosting = flow.hosting(topo.transformer_feeder, topo.transformer_rating_kva)
    return {"buses": buses, "lines": lines, "power_flow": intervals, "hosting": hosting}


def contract_table(model: GridValueModel) -> pd.DataFrame:
    """Every contract with its cash to date and its lifetime value (simulation/lifetime.py)."""
    frame = model.market.contract_frame()
    values = model.market.contract_lifetime_values()
    for name in ("remaining_value", "lifetime_value"):
        frame[name] = values[name].to_numpy() if len(values) else np.zeros(0)
    return frame


def annual_table(model: GridValueModel) -> pd.DataFrame:
    """Per calendar year and service line: revenue, costs, margin lost, net cash and the
    contracts live in the year."""
    rows = []
    for service in model.market.services:
        book = service.contracts
        start = np.array([model.dates[d].year for d in book["start_day"]], dtype=int)
        months = book["months_settled"]
        end = np.array([(model.dates[d] + datetime.timedelta(days=30.44 * max(m - 1, 0))).year
                        for d, m in zip(book["start_day"], months, strict=True)], dtype=int)
        rows.append(pd.DataFrame({"service": service.name, "start_year": start,
                                  "end_year": end}))
    contracts = pd.concat(rows, ignore_index=True) if rows else None
    return model.company.ledger.annual_frame(contracts)


def customer_table(model: GridValueModel) -> pd.DataFrame:
    """One row per customer: who, where, what it drew and paid (hidden truths included)."""
    c = model.customers
    frame = c.to_frame().drop(columns=["load_scale"])
    frame.insert(0, "customer", np.arange(len(c)))
    frame["customer_type"] = pd.Categorical.from_codes(c["customer_type"], TYPE_NAMES)
    frame["sector"] = pd.Categorical.from_codes(c["sector"], SECTORS)
    frame["profile_class"] = pd.Categorical.from_codes(c["profile_class"], CLASSES)
    frame["tariff_package"] = pd.Categorical.from_codes(c["tariff_package"], list(PACKAGE))
    frame["transformer"] = model.topology.customer_transformer
    frame["feeder"] = model.topology.customer_feeder
    extras = []
    for name, table in model.tables.items():
        extra = table.to_frame().drop(columns=["sector"], errors="ignore")
        if name == "enterprises":
            extra["size_class"] = pd.Categorical.from_codes(table["size_class"], SIZE_CLASSES)
        extra.index = extra.index + model.customer_offset[name]
        extras.append(extra)
    return frame.join(pd.concat(extras))


def transformer_table(model: GridValueModel) -> pd.DataFrame:
    topo = model.topology
    peak = model.transformer_peak_kw
    frame = pd.DataFrame({
        "transformer": np.arange(topo.n_transformers),
        "feeder": topo.transformer_feeder,
        "customers": np.bincount(topo.customer_transformer, minlength=topo.n_transformers),
        "rating_kva": topo.transformer_rating_kva,
        "peak_kw": peak,
        "peak_utilisation": peak / topo.transformer_rating_kw,
        "intervals_over_rating": model.transformer_intervals_over,
    })
    if model.gridflow is not None:
        frame["intervals_reverse_flow"] = model.transformer_reverse_intervals
        frame["max_reverse_kw"] = model.transformer_reverse_kw
    return frame


def summarise(model: GridValueModel, tables: dict[str, pd.DataFrame]) -> dict:
    """Headline figures of a run."""
    load = model.system_kw
    peak_at = int(load.argmax())
    peak_day, peak_interval = divmod(peak_at, load.shape[1])
    ledger = model.company.ledger
    ctype = model.customers["customer_type"]
    hours = model.hours_per_interval
    return {
        "households": int((ctype == 0).sum()),
        "enterprises": int((ctype == 1).sum()),
        "microgrids": int((ctype == 2).sum()),
        "feeders": model.topology.n_feeders,
        "transformers": model.topology.n_transformers,
        "days": model.days,
        "system_peak_kw": float(load.max()),
        "system_peak_time": str(tables["system_load"]["timestamp"].iloc[peak_at]),
        "energy_mwh": float(load.sum() * hours / 1000.0),
        "load_factor": metrics.load_factor(load),
        "household_peak_kw": float(model.household_kw.max()),
        "cpp_event_days": len(model.tariffs.event_days),
        "microgrid_import_mwh": float(model.customers["import_kwh"][ctype == 2].sum() / 1000.0),
        "microgrid_export_mwh": float(model.customers["export_kwh"][ctype == 2].sum() / 1000.0),
        "max_feeder_peak_kw": float(model.feeder_peak_kw.max()),
        "transformers_over_rating": int((model.transformer_intervals_over > 0).sum()),
        "transformer_hours_over_rating": float(model.transformer_intervals_over.sum() * hours),
        "energy_revenue": ledger.total(ENERGY_SALES, "revenue"),
        "wholesale_cost": -ledger.total(item="wholesale_energy"),
        "capacity_cost": -ledger.total(item="capacity"),
        "company_margin": ledger.total(),
        "company_npv": model.company_npv(),
        "company_npv_lifetime": model.company_npv(lifetime=True),
        "contracts": len(tables["contracts"]),
        "contracts_defaulted": int((tables["contracts"]["status"] == "defaulted").sum()),
        "service_revenue": ledger.total(item="revenue") - ledger.total(ENERGY_SALES, "revenue"),
        "default_losses": ledger.writeoff_total(),
        "recoveries": ledger.total(item="recoveries"),
        "taxes": -ledger.total(item="vat") - ledger.total(item="income_tax"),
        "subsidies": ledger.total(item="subsidy"),
        "customer_bill_total": float(model.customers["bill"].sum()),
        "customer_service_paid": float(model.customers["service_paid"].sum()),
        "customer_service_received": float(model.customers["service_received"].sum()),
        "peak_day": model.dates[peak_day].isoformat(),
        "peak_interval": peak_interval,
    } | grid_summary(model, tables)


def grid_summary(model: GridValueModel, tables: dict[str, pd.DataFrame]) -> dict:
    """Voltage, loading, losses and reverse-flow KPIs of a run with power flow (else none)."""
    if model.gridflow is None:
        return {}
    hours = model.hours_per_interval
    delivered_mwh = float(np.maximum(model.system_kw, 0).sum() * hours / 1000.0)
    out = model.gridflow.summary()
    hosting = tables.get("hosting")
    if hosting is not None and len(hosting):
        out["min_feeder_hosting_kw"] = float(hosting["hosting_kw"].min())
    return out | {
        "loss_share": out["losses_mwh"] / delivered_mwh if delivered_mwh > 0 else 0.0,
        "transformers_reverse_flow": int((model.transformer_reverse_intervals > 0).sum()),
        "transformer_hours_reverse_flow": float(model.transformer_reverse_intervals.sum()
                                                * hours),
        "max_reverse_flow_kw": float(model.transformer_reverse_kw.max()),
    }


def default_out_dir(result: RunResult, root: Path = Path("runs")) -> Path:
    return default_run_dir(result.scenario.meta.name, result.meta["seed"], root)


def default_run_dir(name: str, seed: int, root: Path = Path("runs")) -> Path:
    """runs/NAME-seedN-TIME, the name made safe (a scenario's name is never a path)."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return root / f"{safe_name(name)}-seed{seed}-{stamp}"


def check_finite(summary: dict) -> None:
    """Refuse a run whose summary holds a NaN or infinity (values the model cannot run)."""
    bad = [k for k, v in summary.items() if isinstance(v, float) and not np.isfinite(v)]
    if bad:
        raise ScenarioError("scenario", f"the run gave a non-finite {bad[0]} ({len(bad)} "
                            "figures); its values are beyond what the model can compute")


def check_out_dir(out: Path) -> None:
    """Refuse an output path that holds anything (raises ScenarioError naming --out)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ScenarioError("--out", f"{out} already exists and is not an empty folder")


def write_results(result: RunResult, out: Path, report: bool = True) -> Path:
    """Write the run's tables, scenario, meta and report to `out`, atomically."""
    check_out_dir(out)
    with atomic_folder(out) as tmp:
        for name, frame in result.tables.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        (tmp / "scenario.toml").write_text(result.scenario.to_toml())
        (tmp / "meta.json").write_text(json.dumps(result.meta | {"summary": result.summary},
                                                  indent=2) + "\n")
        if report:
            from gridvalue.experiments.report import write_run_report

            write_run_report(result, tmp / "report.html")
    return out
