"""`gridvalue calibrate`: fit Bass p, q and the market ceiling to an observed uptake series.

The series is a CSV with columns `date`, `adopters` (cumulative) and `eligible`. Like NREL
dGen's calibration (Willems et al. 2022: scipy `curve_fit` of the Bass form within bounds),
the share adopters / eligible is fitted by least squares to

    F(t) = M (1 - exp(-(p + q) t)) / (1 + (q / p) exp(-(p + q) t))

with t in years since the offer opened (by default one step before the first date: the first
row is the end of the first period). It prints each value with a 95 % confidence interval
(from the fit's covariance) and writes a scenario fragment setting the service's
`innovation_p_per_year`, `imitation_q_per_year` and its family's `choice.max_share_*` (the
ceiling the fit found, at the economics of the observed period).
"""

import datetime
import math
from pathlib import Path

import numpy as np
import pandas as pd
import tomli_w
from scipy.optimize import curve_fit

from gridvalue.simulation.schema import ScenarioError

COLUMNS = ("date", "adopters", "eligible")
DAYS_PER_YEAR = 365.25


def bass_share(t_years: np.ndarray, p: float, q: float, ceiling: float) -> np.ndarray:
    """Cumulative Bass adoption share at time t, scaled by the ceiling M."""
    e = np.exp(-(p + q) * np.asarray(t_years, dtype=float))
    return ceiling * (1.0 - e) / (1.0 + (q / p) * e)


def read_series(path: Path) -> pd.DataFrame:
    """The uptake series, checked: every column present, numbers finite, dates increasing,
    0 <= adopters <= eligible, eligible > 0."""
    name = str(path)
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise ScenarioError(name, "no such file") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ScenarioError(name, f"not a readable CSV ({str(exc).splitlines()[0]})") from None
    for column in COLUMNS:
        if column not in frame.columns:
            raise ScenarioError(name, f"missing column {column!r} (need {', '.join(COLUMNS)})")
    if len(frame) < 4:
        raise ScenarioError(name, f"need at least 4 rows to fit 3 parameters, got {len(frame)}")
    dates = pd.to_datetime(frame["date"], errors="coerce")
    bad = dates.isna()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ScenarioError(f"{name}:date", f"row {row + 1}: not a date: "
                            f"{frame['date'].iloc[row]!r}")
    steps = np.diff(dates.to_numpy()).astype("timedelta64[s]").astype(float)
    if (steps <= 0).any():
        row = int(np.flatnonzero(steps <= 0)[0]) + 1
        raise ScenarioError(f"{name}:date", f"dates must increase: row {row + 1} "
                            f"({dates.iloc[row].date()}) is not after row {row} "
                            f"({dates.iloc[row - 1].date()})")
    for column in ("adopters", "eligible"):
        values = pd.to_numeric(frame[column], errors="coerce")
        if values.isna().any() or not np.isfinite(values).all():
            row = int(np.flatnonzero(~np.isfinite(values.fillna(np.nan)))[0])
            raise ScenarioError(f"{name}:{column}", f"row {row + 1}: not a finite number: "
                                f"{frame[column].iloc[row]!r}")
        if (values < 0).any():
            row = int(np.flatnonzero(values < 0)[0])
            raise ScenarioError(f"{name}:{column}", f"row {row + 1}: negative ({values[row]:g})")
        frame[column] = values.astype(float)
    if (frame["eligible"] <= 0).any():
        row = int(np.flatnonzero(frame["eligible"] <= 0)[0])
        raise ScenarioError(f"{name}:eligible", f"row {row + 1}: must be above 0")
    above = frame["adopters"] > frame["eligible"]
    if above.any():
        row = int(np.flatnonzero(above)[0])
        raise ScenarioError(f"{name}:adopters", f"row {row + 1}: {frame['adopters'][row]:g} "
                            f"adopters above {frame['eligible'][row]:g} eligible")
    frame["date"] = dates
    return frame


def fit(frame: pd.DataFrame, start: datetime.date | None = None,
        p_bounds: tuple[float, float] = (1e-5, 5.0), q_bounds: tuple[float, float] = (0.0, 5.0),
        ceiling_bounds: tuple[float, float] = (1e-3, 1.0)) -> dict:
    """Least-squares fit of (p, q, M) within bounds; each with its 95 % interval."""
    dates = frame["date"].dt.date.to_numpy()
    if start is None:
        start = dates[0] - (dates[1] - dates[0])
    t = np.array([(d - start).days for d in dates], dtype=float) / DAYS_PER_YEAR
    if t[0] <= 0:
        raise ScenarioError("--start", f"must be before the first date ({dates[0]})")
    share = (frame["adopters"] / frame["eligible"]).to_numpy()
    low = [p_bounds[0], q_bounds[0], ceiling_bounds[0]]
    high = [p_bounds[1], q_bounds[1], ceiling_bounds[1]]
    guess = [min(max(v, lo), hi) for v, lo, hi in
             zip((0.03, 0.4, max(share.max(), 1e-3)), low, high, strict=True)]
    try:
        est, cov = curve_fit(bass_share, t, share, p0=guess, bounds=(low, high),
                             max_nfev=20000)
    except (RuntimeError, ValueError) as exc:
        raise ScenarioError("calibrate", f"the fit did not converge ({exc})") from None
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    rmse = float(np.sqrt(np.mean((bass_share(t, *est) - share) ** 2)))
    out = {"rmse_share": rmse, "points": len(t), "start": start}
    for i, key in enumerate(("p", "q", "ceiling")):
        out[key] = {"value": float(est[i]), "ci_low": float(est[i] - 1.96 * se[i]),
                    "ci_high": float(est[i] + 1.96 * se[i]), "bounds": (low[i], high[i])}
    return out


def fragment(result: dict, service: str) -> str:
    """A scenario fragment (TOML) with the fitted values for `service`."""
    from gridvalue.simulation.market import _curve
    from gridvalue.simulation.services import registry

    family = registry()[service].family
    body = {"services": {service: {"innovation_p_per_year": round(result["p"]["value"], 6),
                                   "imitation_q_per_year": round(result["q"]["value"], 6)}},
            "choice": {f"max_share_{_curve(family)}": round(result["ceiling"]["value"], 6)}}
    head = (f"# gridvalue calibrate: Bass fit of {result['points']} points from "
            f"{result['start']}, RMSE {result['rmse_share']:.4f} of the share\n"
            "# max_share: the ceiling at the observed period's economics\n")
    return head + tomli_w.dumps(body)


def format_result(result: dict) -> str:
    lines = [f"{'parameter':<10} {'value':>10} {'95 % CI':>24} {'bounds':>20}"]
    for key, label in (("p", "p (1/yr)"), ("q", "q (1/yr)"), ("ceiling", "ceiling")):
        r = result[key]
        ci = f"[{r['ci_low']:.4g}, {r['ci_high']:.4g}]"
        bounds = f"[{r['bounds'][0]:g}, {r['bounds'][1]:g}]"
        lines.append(f"{label:<10} {r['value']:>10.4g} {ci:>24} {bounds:>20}")
    lines.append(f"{result['points']} points from {result['start']}, RMSE of the share "
                 f"{result['rmse_share']:.4f}")
    return "\n".join(lines)


def _bounds(values, name: str) -> tuple[float, float]:
    low, high = values
    if not (math.isfinite(low) and math.isfinite(high)) or low < 0 or low >= high:
        raise ScenarioError(name, f"need 0 <= LOW < HIGH, got {low:g} {high:g}")
    return low, high


def add_parser(sub) -> None:
    cal = sub.add_parser("calibrate", help="fit Bass p, q and the market ceiling to an observed "
                         "uptake series (CSV: date, adopters, eligible)")
    cal.add_argument("series", type=Path, help="CSV with columns date, adopters, eligible")
    cal.add_argument("--service", default="shared_savings",
                     help="service the scenario fragment sets (default: shared_savings)")
    cal.add_argument("--out", type=Path, help="scenario fragment to write "
                     "(default: calibrated-SERVICE.toml)")
    cal.add_argument("--start", type=datetime.date.fromisoformat,
                     help="date the offer opened (default: one step before the first date)")
    cal.add_argument("--p-bounds", nargs=2, type=float, default=(1e-5, 5.0),
                     metavar=("LOW", "HIGH"), help="bounds of p, 1/yr (dGen: 1e-4 2e-3)")
    cal.add_argument("--q-bounds", nargs=2, type=float, default=(0.0, 5.0),
                     metavar=("LOW", "HIGH"), help="bounds of q, 1/yr (dGen: 0.2 0.4)")
    cal.add_argument("--ceiling-bounds", nargs=2, type=float, default=(1e-3, 1.0),
                     metavar=("LOW", "HIGH"), help="bounds of the ceiling share")


def run(args) -> int:
    from gridvalue.simulation.services import registry

    if args.service not in registry():
        raise ScenarioError("--service", f"unknown service {args.service!r} "
                            f"(known: {', '.join(sorted(registry()))})")
    bounds = [_bounds(args.p_bounds, "--p-bounds"), _bounds(args.q_bounds, "--q-bounds"),
              _bounds(args.ceiling_bounds, "--ceiling-bounds")]
    if bounds[0][0] <= 0:
        raise ScenarioError("--p-bounds", "LOW must be above 0")
    if bounds[2][1] > 1:
        raise ScenarioError("--ceiling-bounds", "HIGH must be at most 1")
    out = args.out or Path(f"calibrated-{args.service}.toml")
    if out.is_dir():
        raise ScenarioError("--out", f"is a folder: {out}")
    result = fit(read_series(args.series), args.start, *bounds)
    text = fragment(result, args.service)
    print(format_result(result))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.partial")
    tmp.write_text(text)
    tmp.replace(out)
    print(f"fragment: {out}")
    return 0
