"""The parameter table: every scenario default with its unit and source, from the schema."""

import csv
import io

from gridvalue.simulation.scenario import Scenario
from gridvalue.simulation.schema import parameter_rows


def parameter_table(fmt: str = "markdown") -> str:
    """All parameters as a Markdown table (for the docs) or CSV."""
    rows = parameter_rows(Scenario)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()
    lines = ["| parameter | default | unit | range | source | description |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        cells = [f"`{r['parameter']}`", f"`{r['default']}`", r["unit"], r["range"], r["source"],
                 r["description"]]
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
