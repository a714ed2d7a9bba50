"""Sweeps with paired outputs: each run against its baseline twin on the same seed."""

import pytest

from gridvalue.experiments.compare import kpi_pair
from gridvalue.experiments.sweep import Executor, load_sweep, run_sweep
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.viz.twin import baseline_twin

SET = {"meta.days": 45, "population.households": 150, "population.enterprises": 0,
       "population.microgrids": 0, "services.pv_lease.innovation_p_per_year": 3.0,
       "services.pv_lease.contacts_per_month": 80}
PRICE = "services.pv_lease.lease_per_kwp_month"
SWEEP = """
[sweep]
scenario = "pv_investment"
design = "grid"
seed = 9
outputs = ["peak_reduction_kw", "deferral_value", "uptake", "delta.company_npv_lifetime",
           "delta.energy_revenue", "pv_lease.contracts", "pv_lease.npv_lifetime",
           "company_npv"]

[set]
""" + "\n".join(f'"{k}" = {v}' for k, v in SET.items()) + f"""

[parameters]
"{PRICE}" = {{ levels = [15.0, 60.0] }}
"""


def test_paired_outputs_match_the_run_against_its_twin_on_the_same_seed(tmp_path):
    (tmp_path / "s.toml").write_text(SWEEP)
    store = run_sweep(tmp_path / "s.toml", tmp_path / "out", Executor("inline"))
    frame = store.read().set_index(PRICE)
    assert (frame["status"] == "ok").all(), frame["error"].tolist()
    seed = int(frame["seed"].iloc[0])
    for price in (15.0, 60.0):
        scenario = load_scenario("pv_investment", SET | {PRICE: price})
        twin = GridValueModel(baseline_twin(scenario), seed=seed).run()
        run = GridValueModel(scenario, seed=seed).run()
        pair = kpi_pair(twin, run)
        row = frame.loc[price]
        for name in ("peak_reduction_kw", "deferral_value", "pv_lease.contracts",
                     "pv_lease.npv_lifetime", "uptake"):
            assert row[name] == pytest.approx(pair[name][1]), name
        life = pair["company_npv_lifetime"]
        assert row["delta.company_npv_lifetime"] == pytest.approx(life[1] - life[0])
        assert row["company_npv"] == pytest.approx(pair["company_npv"][1])
    # a cheaper lease signs more contracts; the twin sells no PV, so it sells more energy
    assert frame.loc[15.0, "pv_lease.contracts"] > frame.loc[60.0, "pv_lease.contracts"]
    assert frame.loc[15.0, "delta.energy_revenue"] <= 0


@pytest.mark.parametrize("output", ["delta.nothing", "pv_lease.colour", "peak_reduction"])
def test_unknown_paired_output_is_refused(tmp_path, output):
    (tmp_path / "s.toml").write_text(SWEEP.replace('"company_npv"]', f'"{output}"]'))
    with pytest.raises(ScenarioError, match=r"sweep.outputs\[7\]: unknown output"):
        load_sweep(tmp_path / "s.toml")
