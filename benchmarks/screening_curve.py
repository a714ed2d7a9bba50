"""The credit-screening curve of `credit_screening` (200 households, 1,000 enterprises),
mean of seeds 0-2, as tests/test_credit.py measures it.

Usage: python benchmarks/screening_curve.py
"""

import pandas as pd

from gridvalue.experiments.screening import screening_curve
from gridvalue.simulation.scenario import load_scenario

pd.set_option("display.width", 200)
scenario = load_scenario("credit_screening", {"population.households": 200,
                                              "population.enterprises": 1000})
th = scenario.report.screening_thresholds
frames = [screening_curve(scenario, seed, "shared_savings", th) for seed in range(3)]
print((sum(f.set_index("threshold") for f in frames) / 3).to_string())
