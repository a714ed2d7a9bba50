"""`make run`: the baseline and the portfolio paired, side by side, and bad input refused."""

import json

from gridvalue.experiments import showcase

TOWN = ["--set", "population.households=120", "--set", "population.enterprises=20",
        "--set", "population.microgrids=0", "--set", "meta.days=40"]


def test_prints_uptake_peak_and_profit_side_by_side(tmp_path, capsys):
    out = tmp_path / "show"
    assert showcase.main([*TOWN, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    header = text.splitlines()[0].split()
    assert header == ["baseline", "portfolio", "difference"]
    for row in ("Service uptake (share of eligible customers)", "System peak (kW)",
                "Households' peak (kW)", "Company NPV over the contracts' life (CNY)"):
        assert row in text
    saved = {r["kpi"]: r for r in json.loads((out / "compare.json").read_text())}
    assert saved["uptake"]["baseline"] == 0 and saved["uptake"]["scenario"] > 0
    assert saved["contracts"]["scenario"] > 0
    signed = f"{round(saved['contracts']['scenario']):,}"
    assert "Service contracts signed (count)" in text and signed in text
    assert f"report: {out / 'report.html'}" in text and (out / "report.html").exists()
    for line in ("shared_savings", "pv_lease", "price_packages"):
        assert line in text


def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "bad"
    assert showcase.main(["--set", "population.households=-1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["gridvalue: error: population.households: must be at least 0, got -1"]
    assert not out.exists()
