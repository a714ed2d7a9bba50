"""Every default has a unit and a source, and the documented table is the code's table."""

from pathlib import Path

from gridvalue.simulation.parameters import parameter_table
from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.schema import parameter_rows

DOC = Path(__file__).resolve().parent.parent / "docs" / "parameters.md"


def test_every_parameter_has_unit_source_and_description():
    rows = parameter_rows(Scenario)
    assert len(rows) > 60
    for row in rows:
        for key in ("unit", "source", "description"):
            assert row[key], f"{row['parameter']} has no {key}"


def test_docs_table_is_current():
    assert DOC.read_text() == parameter_table("markdown"), "run `make params`"
