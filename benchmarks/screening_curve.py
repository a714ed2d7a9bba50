"""The credit-screening curve of `credit_screening` (200 households, 1,000 enterprises) over
seeds 0-2, as tests/test_credit.py measures it: the mean and the min-max over the seeds.

Usage: python benchmarks/screening_curve.py
"""

import pandas as pd

from gridvalue.experiments.labels import number
from gridvalue.experiments.screening import curve_bands, screening_curves
from gridvalue.simulation.scenario import load_scenario

pd.set_option("display.width", 200)
scenario = load_scenario("credit_screening", {"population.households": 200,
                                              "population.enterprises": 1000})
curves = screening_curves(scenario, range(3), "shared_savings",
                          scenario.report.screening_thresholds)
print(curves.drop(columns="seed").groupby("threshold").mean().to_string(float_format=number))
print()
print("line_npv_lifetime over seeds:")
print(curve_bands(curves, "line_npv_lifetime").to_string(float_format=number))
