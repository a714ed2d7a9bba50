"""The memory estimate follows the history-when-read model: the platform's history counts only
where something reads the estimates, and grows with its months."""

from gridvalue.experiments import limits
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario


def test_the_history_counts_only_when_something_reads_the_estimates():
    n = {"population.households": 99_752}
    baseline = load_scenario("baseline", n)
    forced = load_scenario("baseline", n | {"data_platform.history": "always"})
    packages = load_scenario("price_packages", n)
    longer = load_scenario("price_packages", n | {"data_platform.history_months": 24})
    assert not limits.reads_history(baseline)
    assert limits.reads_history(forced) and limits.reads_history(packages)
    history = limits.run_memory_bytes(forced) - limits.run_memory_bytes(baseline)
    assert history == limits.BYTES_PER_CUSTOMER_HISTORY_DAY * 31 * 12 * baseline.n_customers
    assert limits.run_memory_bytes(longer) - limits.run_memory_bytes(packages) == history


def test_the_estimate_agrees_with_what_the_model_builds():
    """`reads_history` is the model's own rule: the history exists exactly when it says."""
    over = {"meta.days": 1, "population.households": 200, "population.enterprises": 20,
            "population.microgrids": 1}
    for name in ("baseline", "tou_pricing", "price_packages"):
        scenario = load_scenario(name, over)
        model = GridValueModel(name, overrides=over)
        assert limits.reads_history(scenario) == (model.platform.observations is not None), name


def test_no_report_writes_the_same_tables_without_the_charts(tmp_path, capsys):
    """`gridvalue run --no-report` skips report.html (its charts); the tables are the same
    bytes as a run with the report."""
    import hashlib

    from gridvalue.experiments.cli import main

    over = ["--set", "meta.days=3", "--set", "population.households=100", "--set",
            "population.enterprises=10", "--set", "population.microgrids=1", "--quiet"]
    assert main(["run", "baseline", *over, "--out", str(tmp_path / "with")]) == 0
    assert main(["run", "baseline", *over, "--no-report", "--out", str(tmp_path / "without")]) == 0
    assert "report:" not in capsys.readouterr().out.split("results:")[-1]
    assert (tmp_path / "with" / "report.html").exists()
    assert not (tmp_path / "without" / "report.html").exists()

    def digests(folder):
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.glob("*.parquet"))}

    assert digests(tmp_path / "with") == digests(tmp_path / "without") != {}
