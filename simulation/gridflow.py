"""Power flow during a run: which intervals are solved, and what they add up to.

Each day `GridFlow.day` solves AC power flow (simulation/powerflow.py) on the intervals that
`network.power_flow` selects and keeps, per bus, the lowest and highest voltage and the hours
outside the band, per branch (lines and transformers) the highest loading and the hours over
the limit, and the losses of every solved interval. The day's losses in kWh come from the
solved intervals: all of them when every interval is solved; otherwise DistFlow over every
interval (the fast path) scaled to the AC losses of the solved ones.

Hours outside the band and over the limit count solved intervals only (each for its length).
"""

import datetime
import math

import numpy as np
import pandas as pd

from gridvalue.simulation.grids import Grid
from gridvalue.simulation.powerflow import AcPowerFlow, LinDistFlow, PowerFlowError
from gridvalue.simulation.schema import ScenarioError


class GridFlow:
    """Solves the selected intervals of each day on `grid`, whose load l carries the net
    load of topology connection point `load_point[l]` (a transformer of the synthetic
    network, a load bus of a published one), or where that is -1, its published generation.

    `bus_point`, `bus_feeder` and `branch_feeder` place buses and branches for the result
    tables (-1: none); `independent_feeders` says the feeders share only an ideal source."""

    def __init__(self, grid: Grid, load_point: np.ndarray, params, power_factor: float,
                 hours_per_interval: float, bus_point: np.ndarray, bus_feeder: np.ndarray,
                 branch_feeder: np.ndarray, independent_feeders: bool = False):
        self.grid = grid
        self.load_point = load_point
        self.params = params
        self.tan_phi = math.tan(math.acos(power_factor))
        self.dt = hours_per_interval
        self.customer_load = load_point >= 0
        self.base_p_kw = np.where(self.customer_load, 0.0, grid.load_p_kw)
        self.base_q_kvar = np.where(self.customer_load, 0.0, grid.load_q_kvar)
        self.bus_point, self.bus_feeder, self.branch_feeder = bus_point, bus_feeder, branch_feeder
        self.independent_feeders = independent_feeders
        self.ac = AcPowerFlow(grid)
        try:
            self.fast = LinDistFlow(grid, passes=0)
        except ValueError:  # meshed or several sources: losses scale with the system load
            self.fast = None
        self.full_days = set(params.power_flow_days)
        n, nb = grid.n_bus, grid.n_branch
        self.vm_min = np.full(n, np.inf)
        self.vm_max = np.full(n, -np.inf)
        self.hours_low = np.zeros(n)
        self.hours_high = np.zeros(n)
        self.loading_max = np.full(nb, np.nan)
        self.hours_over = np.zeros(nb)
        self.intervals: list[tuple[int, int, float, float, float, float]] = []
        self.losses_kwh = 0.0
        self.lightest: tuple | None = None  # (system kW, day, interval, p, q): lightest noon

    def select(self, day: int, system_kw: np.ndarray) -> np.ndarray:
        """Interval indices to solve today."""
        mode = self.params.power_flow
        if mode == "all" or day in self.full_days:
            return np.arange(len(system_kw))
        if mode == "days":
            return np.zeros(0, dtype=np.int64)
        return np.unique([int(np.argmax(system_kw)), int(np.argmin(system_kw))])

    def loads(self, point_kw: np.ndarray, intervals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(K, n_load) active and reactive power at the grid's loads; customers' reactive
        power follows the power factor of imports (exports at unity power factor)."""
        p = np.repeat(self.base_p_kw[None, :], len(intervals), axis=0)
        on = self.customer_load
        p[:, on] = point_kw[self.load_point[on]][:, intervals].T
        q = np.where(on[None, :], np.maximum(p, 0.0) * self.tan_phi, self.base_q_kvar[None, :])
        return p, q

    def day(self, day: int, date: datetime.date, point_kw: np.ndarray,
            system_kw: np.ndarray) -> float | None:
        """Solve today's selected intervals; return the day's losses in kWh (None when no
        interval is solved). Non-convergence raises ScenarioError naming day and interval."""
        noon = len(system_kw) // 2  # the interval starting at 12:00, PV's peak
        if self.lightest is None or system_kw[noon] < self.lightest[0]:
            p_noon, q_noon = self.loads(point_kw, np.array([noon]))
            self.lightest = (float(system_kw[noon]), day, noon, p_noon[0], q_noon[0])
        intervals = self.select(day, system_kw)
        if len(intervals) == 0:
            return None
        p, q = self.loads(point_kw, intervals)
        try:
            res = self.ac.solve(p, q)
        except PowerFlowError as exc:
            t = int(intervals[exc.scenario])
            minutes = round(t * self.dt * 60)
            raise ScenarioError("network.power_flow", f"did not converge on {date.isoformat()} "
                                f"(day {day}), interval {t} ({minutes // 60:02d}:"
                                f"{minutes % 60:02d}): {exc}") from None
        self._record(day, intervals, res, system_kw)
        if len(intervals) == len(system_kw):
            losses = float(res.losses_kw.sum() * self.dt)
        else:
            losses = self._estimate(point_kw, system_kw, intervals, res.losses_kw)
        self.losses_kwh += losses
        return losses

    def _estimate(self, point_kw, system_kw, intervals, ac_losses_kw) -> float:
        """The day's losses, kWh: the series losses of every interval's lossless branch flows
        (DistFlow's first pass), scaled so they match AC at the solved intervals (without a
        radial fast path, c x system kW^2)."""
        every = np.arange(len(system_kw))
        if self.fast is not None:
            p, q = self.loads(point_kw, every)
            estimate = self.fast.loss_shape(p, q)
        else:
            estimate = system_kw.astype(float) ** 2
        solved = estimate[intervals].sum()
        scale = ac_losses_kw.sum() / solved if solved > 0 else 0.0
        return float(estimate.sum() * scale * self.dt)

    def _record(self, day, intervals, res, system_kw) -> None:
        p, dt = self.params, self.dt
        np.minimum(self.vm_min, res.vm_pu.min(axis=0), out=self.vm_min)
        np.maximum(self.vm_max, res.vm_pu.max(axis=0), out=self.vm_max)
        self.hours_low += (res.vm_pu < p.voltage_min_pu).sum(axis=0) * dt
        self.hours_high += (res.vm_pu > p.voltage_max_pu).sum(axis=0) * dt
        self.loading_max = np.fmax(self.loading_max, np.fmax.reduce(res.loading, axis=0))
        self.hours_over += (np.nan_to_num(res.loading) > p.line_max_loading_share).sum(axis=0) * dt
        for k, t in enumerate(intervals):
            self.intervals.append((day, int(t), float(system_kw[t]), float(res.losses_kw[k]),
                                   float(res.vm_pu[k].min()), float(res.vm_pu[k].max())))

    def hosting(self, point_feeder: np.ndarray, point_weight: np.ndarray) -> pd.DataFrame:
        """PV hosting capacity per feeder (simulation/hosting.py) on the least-loaded 12:00
        interval of the run, PV spread over each feeder's connection points by
        `point_weight`."""
        if self.lightest is None:
            return pd.DataFrame()
        _, day, interval, p, q = self.lightest
        frame = self.hosting_on(p, q, point_feeder, point_weight)
        frame["base_day"], frame["base_interval"] = day, interval
        return frame

    def hosting_on(self, p: np.ndarray, q: np.ndarray, point_feeder: np.ndarray,
                   point_weight: np.ndarray) -> pd.DataFrame:
        """Hosting capacity per feeder on the base case of grid loads `p`, `q` (n_load,)."""
        from gridvalue.simulation.hosting import hosting_capacity

        on, lp = self.customer_load, np.maximum(self.load_point, 0)
        load_feeder = np.where(on, point_feeder[lp], -1)
        weights = np.where(on, point_weight[lp], 0.0)
        independent = ((self.bus_feeder, self.branch_feeder) if self.independent_feeders
                       else None)
        return hosting_capacity(self.ac, p, q, load_feeder, weights,
                                self.params.voltage_max_pu, self.params.line_max_loading_share,
                                independent=independent)

    # ---- results ------------------------------------------------------------------------
    def bus_frame(self) -> pd.DataFrame:
        g = self.grid
        return pd.DataFrame({
            "bus": np.arange(g.n_bus), "label": [str(x) for x in g.bus_label],
            "vn_kv": g.bus_kv, "transformer": self.bus_point, "feeder": self.bus_feeder,
            "vm_min_pu": self.vm_min, "vm_max_pu": self.vm_max,
            "hours_below_band": self.hours_low, "hours_above_band": self.hours_high,
        })

    def line_frame(self) -> pd.DataFrame:
        g = self.grid
        kinds = ["line"] * g.n_line + ["transformer"] * g.n_trafo
        rating = np.concatenate([g.line_max_a, np.full(g.n_trafo, np.nan)])
        return pd.DataFrame({
            "branch": np.arange(g.n_branch),
            "kind": pd.Categorical(kinds, categories=["line", "transformer"]),
            "label": [str(x) for x in g.line_label] + [str(x) for x in g.trafo_label],
            "from_bus": g.branch_from, "to_bus": g.branch_to, "feeder": self.branch_feeder,
            "rating_a": rating,
            "rating_kva": np.concatenate([np.sqrt(3) * g.bus_kv[g.line_from] * g.line_max_a,
                                          g.trafo_sn_kva]),
            "r_ohm": np.concatenate([g.line_r_ohm, np.full(g.n_trafo, np.nan)]),
            "x_ohm": np.concatenate([g.line_x_ohm, np.full(g.n_trafo, np.nan)]),
            "max_loading": self.loading_max,
            "hours_over_limit": self.hours_over,
        })

    def interval_frame(self, dates: list, intervals_per_day: int) -> pd.DataFrame:
        cols = ["day", "interval", "system_kw", "losses_kw", "vm_min_pu", "vm_max_pu"]
        frame = pd.DataFrame(self.intervals, columns=cols)
        step = pd.Timedelta(hours=24 / intervals_per_day)
        days = pd.to_datetime([dates[d].isoformat() for d in frame["day"]])
        frame.insert(0, "timestamp", days + frame["interval"].to_numpy() * step)
        frame["interval"] = frame["interval"].astype(np.int16)
        return frame

    def summary(self) -> dict:
        p = self.params
        lines = self.loading_max[:self.grid.n_line]
        trafos = self.loading_max[self.grid.n_line:]
        solved = len(self.intervals)
        return {
            "power_flow_intervals": solved,
            "min_voltage_pu": float(self.vm_min.min()) if solved else math.nan,
            "max_voltage_pu": float(self.vm_max.max()) if solved else math.nan,
            "buses_outside_band": int(((self.vm_min < p.voltage_min_pu)
                                       | (self.vm_max > p.voltage_max_pu)).sum()),
            "bus_hours_outside_band": float((self.hours_low + self.hours_high).sum()),
            "max_line_loading": float(np.nanmax(lines)) if np.isfinite(lines).any() else math.nan,
            "max_transformer_loading": float(np.nanmax(trafos))
            if np.isfinite(trafos).any() else math.nan,
            "branch_hours_over_limit": float(self.hours_over.sum()),
            "losses_mwh": self.losses_kwh / 1000.0,
        }
