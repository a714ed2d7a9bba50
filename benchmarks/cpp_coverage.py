"""CPP events against the system's peak days (issue #14's CPP gap).

For each seed: the baseline year of the default town gives the top-10 system peak days (the
evaluation reads the truth; the company never does); the `cpp_events` year under each event
dispatch rule gives the days the company called from its day-ahead forecast. Prints the
share of the top-10 days covered by an event, the events called, and the system peak.

    .venv/bin/python benchmarks/cpp_coverage.py [SEEDS]
"""

import sys

import numpy as np

from gridvalue.simulation.model import GridValueModel

TOP = 10


def main() -> None:
    seeds = [42 + s for s in range(int(sys.argv[1]) if len(sys.argv) > 1 else 3)]
    rows = {"quantile": [], "budgeted": []}
    for seed in seeds:
        base = GridValueModel("baseline", seed=seed).run()
        daily = base.system_kw.max(axis=1)
        top = set(np.argsort(-daily, kind="stable")[:TOP].tolist())
        for rule in rows:
            model = GridValueModel("cpp_events", seed=seed,
                                   overrides={"tariff.cpp_dispatch": rule}).run()
            events = set(model.tariffs.event_days)
            rows[rule].append((len(top & events) / TOP, len(events),
                               model.system_kw.max(), daily.max()))
            print(seed, rule, rows[rule][-1], flush=True)
    print(f"| dispatch | top-{TOP} peak days covered | events | system peak (kW) "
          "| baseline peak (kW) |")
    print("|---|---:|---:|---:|---:|")
    for rule, r in rows.items():
        a = np.array(r)
        print(f"| {rule} | {a[:, 0].mean():.2f} ({', '.join(f'{x:.1f}' for x in a[:, 0])}) "
              f"| {a[:, 1].mean():.1f} | {a[:, 2].mean():,.0f} | {a[:, 3].mean():,.0f} |")


if __name__ == "__main__":
    main()
