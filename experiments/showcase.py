"""`make run`: the baseline and a packaged portfolio of services, paired on common random
numbers, side by side.

    python -m gridvalue.experiments.showcase [--out DIR] [--set SECTION.FIELD=VALUE ...]

Both scenarios run with the same seed (the same customers, network, weather and noise), so
the difference is the portfolio's effect. It prints uptake, peaks and profit in both and the
difference, and writes the paired comparison's report (experiments/compare.py) with the run
report of the portfolio run.
"""

import argparse
import datetime
import sys
from pathlib import Path

from gridvalue.experiments.labels import label, npv_note, number

BASELINE, PORTFOLIO = "baseline", "portfolio"
ROWS = ("uptake", "contracts", "system_peak_kw", "household_peak_kw", "peak_reduction_kw",
        "company_margin", "company_npv", "company_npv_lifetime", "customer_bill_total")


def measure(base, other) -> dict[str, tuple[float, float]]:
    """compare.kpi_pair plus contracts signed and the company's cash margin."""
    from gridvalue.experiments.compare import kpi_pair

    def contracts(model) -> int:
        return sum(len(s.contracts) for s in model.market.services)

    return kpi_pair(base, other) | {
        "contracts": (contracts(base), contracts(other)),
        "company_margin": (base.company.ledger.total(), other.company.ledger.total())}


def service_lines(model) -> list[tuple[str, int, float]]:
    """Per service line of a finished run: contracts signed and NPV over the contracts' life
    (the line's discounted cash to date plus its live contracts' remaining value)."""
    ledger, rate = model.company.ledger, model.scenario.company.discount_rate_per_year
    remaining = model.market.remaining_value()
    return [(s.name, len(s.contracts), ledger.npv(rate, s.name) + remaining[s.name])
            for s in model.market.services]


def lines_table(lines: list[tuple[str, int, float]], currency: str) -> str:
    header = ("service line", "contracts", f"NPV over the contracts' life ({currency})")
    rows = [header] + [(name, number(n), number(v)) for name, n, v in lines]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(r[0].ljust(widths[0]) + "  " + r[1].rjust(widths[1]) + "  "
                     + r[2].rjust(widths[2]) for r in rows)


def side_by_side(summary, currency: str, names: tuple[str, str]) -> str:
    """The chosen KPIs as an aligned table: label with unit, both scenarios, difference."""
    rows = summary.set_index("kpi")
    lines = [("", *names, "difference")]
    for key in ROWS:
        row = rows.loc[key]
        base, other = float(row["baseline"]), float(row["scenario"])
        if key == "uptake":
            cells = (f"{100 * base:.1f} %", f"{100 * other:.1f} %",
                     f"{100 * (other - base):+.1f} points")
            text = "Service uptake (share of eligible customers)"
        elif key == "peak_reduction_kw":
            cells = ("", "", number(other))
            text = label(key, currency) + ", paired"
        else:
            delta = other - base
            cells = (number(base), number(other), ("+" if delta > 0 else "") + number(delta))
            text = label(key, currency)
        lines.append((text, *cells))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    return "\n".join(line[0].ljust(widths[0]) + "".join(
        "  " + cell.rjust(w) for cell, w in zip(line[1:], widths[1:], strict=True))
        for line in lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gridvalue.experiments.showcase")
    parser.add_argument("--out", type=Path, help="folder for the reports (default: "
                        "runs/showcase-TIME)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="SECTION.FIELD=VALUE", help="override in both (repeatable)")
    parser.add_argument("--seed", type=int, help="default: the baseline's meta.seed")
    args = parser.parse_args(argv)
    from gridvalue.experiments.cli import _fail
    from gridvalue.simulation.schema import ScenarioError

    try:
        return _run(args)
    except ScenarioError as exc:  # bad input: one line, exit 2, as the CLI
        return _fail(str(exc))


def _run(args) -> int:
    import gridvalue
    from gridvalue.experiments import compare
    from gridvalue.experiments.atomic import atomic_folder, output_lock, preflight
    from gridvalue.experiments.runner import check_out_dir
    from gridvalue.simulation.scenario import load_scenario

    base = load_scenario(BASELINE, args.overrides)
    other = load_scenario(PORTFOLIO, args.overrides)
    seed = base.meta.seed if args.seed is None else args.seed
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"showcase-{stamp}"
    preflight(out, 20_000_000)
    check_out_dir(out)
    currency = base.meta.currency
    print(f"{PORTFOLIO} against {BASELINE}, paired: both with seed {seed} (same customers, "
          f"network, weather and noise); {base.population.households:,} households, "
          f"{base.population.enterprises:,} enterprises, {base.meta.days:,} days",
          file=sys.stderr)
    hook, lines = compare.FirstPair(), []

    def on_pair(r, a, b):
        hook(r, a, b)
        lines.extend(service_lines(b))

    with output_lock(out):
        frame = compare.paired_replicates(base, other, [seed], measure=measure, on_pair=on_pair)
        summary = compare.summarise_pairs(frame)
        info = {"baseline": BASELINE, "scenario": PORTFOLIO,
                "description": other.meta.description, "replicates": 1, "seeds": [seed],
                "version": gridvalue.__version__}
        with atomic_folder(out) as tmp:
            (tmp / "compare.json").write_text(compare.to_json(summary) + "\n")
            compare.write_compare_report(summary, info, hook.curves, tmp / "report.html")
    print(side_by_side(summary, currency, (BASELINE, PORTFOLIO)))
    print()
    print(lines_table(lines, currency))
    rows = summary.set_index("kpi")
    note = npv_note(rows.loc["company_npv", "delta"], rows.loc["company_npv_lifetime", "delta"],
                    currency)
    if note:
        print(f"\nNote: for the portfolio against the baseline: {note}")
    print(f"\nreport: {out / 'report.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
