"""The validation cases (tests/cases/NAME/{scenario.toml, expect.toml}), one generic runner,
and the check that docs/validation.md is the report of these cases.

Each case's figure must lie in its published bounds (experiments/validate.py). Cases marked
`slow = true` in their expect.toml are marked slow here (`make test-fast` leaves them out).
"""

import pytest

from gridvalue.experiments import validate
from gridvalue.simulation.schema import ScenarioError

CASES = validate.load_cases()
_RESULTS: dict[str, validate.Result] = {}


def _result(case: validate.Case) -> validate.Result:
    if case.name not in _RESULTS:
        _RESULTS[case.name] = validate.evaluate(case)
    return _RESULTS[case.name]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow] * c.slow)
                                  for c in CASES])
def test_case_lies_in_its_published_bounds(case):
    result = _result(case)
    assert result.passed, (case.name, result.figure, case.low, case.high, case.source)


def test_every_case_names_its_source_and_a_known_metric():
    assert len(CASES) >= 10
    for case in CASES:
        assert case.metric in validate.METRICS
        assert "REFERENCES.md" in case.source or "(" in case.source, case.name
        assert case.low <= case.high


def test_the_report_lists_every_case_with_its_bounds_and_source():
    text = validate.REPORT.read_text("utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert sorted(r.split("`")[1] for r in rows) == sorted(c.name for c in CASES)
    for case in CASES:
        row = next(r for r in rows if r.startswith(f"| `{case.name}`"))
        assert validate._cell(case.source) in row
        assert f"{validate._number(case.low)} – {validate._number(case.high)}" in row


@pytest.mark.slow
def test_the_report_is_current():
    """docs/validation.md is what `gridvalue validate --out docs/validation.md` writes now."""
    expected = validate.report([_result(c) for c in CASES])
    assert validate.REPORT.read_text("utf-8") == expected, (
        "docs/validation.md is stale: run `make validate`")


def test_a_bad_case_is_one_line(tmp_path):
    case = tmp_path / "broken"
    case.mkdir()
    (case / "scenario.toml").write_text('extends = "baseline"\n')
    with pytest.raises(ScenarioError, match="broken/expect.toml: missing"):
        validate.load_case(case)
    (case / "expect.toml").write_text('metric = "nope"\nlow = 0\nhigh = 1\nsource = "x"\n'
                                      'description = "x"\n')
    with pytest.raises(ScenarioError, match="expect.toml: metric: unknown metric 'nope'"):
        validate.load_case(case)
    (case / "expect.toml").write_text('metric = "peak_cut"\nlow = 2\nhigh = 1\n'
                                      'source = "x"\ndescription = "x"\n')
    with pytest.raises(ScenarioError, match="low: must be at most high"):
        validate.load_case(case)


def test_a_case_outside_its_bounds_fails(tmp_path):
    """The runner can fail: the h0 case with bounds the figure does not meet."""
    src = next(c for c in CASES if c.name == "bdew_h0_full_load_hours")
    wrong = validate.Case(**{**src.__dict__, "low": 1000.0, "high": 2000.0})
    result = _result(src)
    assert validate.Result(wrong, result.figure).passed is False
    assert "**FAIL**" in validate.report([validate.Result(wrong, result.figure)])


def test_validate_command_runs_a_case_and_refuses_bad_input_in_one_line(tmp_path, capsys):
    from gridvalue.experiments.cli import main

    assert main(["validate", "--case", "case33bw_losses"]) == 0
    assert "pass  case33bw_losses" in capsys.readouterr().out
    assert main(["validate", "--case", "nope"]) == 2
    assert "gridvalue: error: --case: unknown case 'nope'" in capsys.readouterr().err
    assert main(["validate", "--out", str(tmp_path / "no" / "x.md")]) == 2
    assert main(["validate", "--fast", "--out", str(tmp_path / "x.md")]) == 2
    assert not (tmp_path / "x.md").exists()
    broken = tmp_path / "cases" / "broken"
    broken.mkdir(parents=True)
    (broken / "scenario.toml").write_text('extends = "baseline"\n')
    assert main(["validate", "--cases", str(tmp_path / "cases")]) == 2
    assert "broken/expect.toml: missing" in capsys.readouterr().err
