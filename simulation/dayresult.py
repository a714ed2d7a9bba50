"""The day's KPIs as a value: `DayResult`, the frozen record one day of the pipeline gives
(`GridValueModel.step` builds it from what `operate` and `aggregate` measured), and
`DayRecords`, the Mesa DataCollector it is handed to: one row a day, the run's `daily` table.

Nothing reads the day's KPIs off the model; the collector gets the record as an argument.
"""

import dataclasses

import mesa


@dataclasses.dataclass(frozen=True)
class DayResult:
    """One day's system KPIs, in the order of the columns of the `daily` table."""

    date: str  # ISO date
    system_peak_kw: float
    system_min_kw: float
    energy_kwh: float
    load_factor: float
    pv_kwh: float
    battery_discharge_kwh: float  # microgrid and company batteries
    transformer_intervals_over_rating: int
    transformers_over_rating: int
    feeder_intervals_over_rating: int
    losses_kwh: float | None = None  # network losses, with `network.power_flow` on

    @classmethod
    def from_stages(cls, operated: dict, aggregated: dict) -> "DayResult":
        """The record from `operate`'s KPIs (date, PV, microgrid batteries' discharge) and
        `aggregate`'s (system load, ratings, losses; the company batteries' discharge
        `grid_battery_discharge_kwh` where there are company batteries, added to the
        microgrids')."""
        kpis = operated | aggregated
        if "grid_battery_discharge_kwh" in kpis:
            kpis["battery_discharge_kwh"] += kpis.pop("grid_battery_discharge_kwh")
        return cls(**kpis)


FIELDS = tuple(f.name for f in dataclasses.fields(DayResult))
DAILY_KPIS = FIELDS[1:-1]  # every run's, between the date and the losses


class DayRecords(mesa.DataCollector):
    """A Mesa DataCollector fed the day's `DayResult` (`record(day)`): its model variables
    are the record's fields, `get_model_vars_dataframe()` and `mesa.batch_run` read it as
    any DataCollector. `losses`: whether the run has the network losses column."""

    def __init__(self, losses: bool = False):
        names = FIELDS if losses else FIELDS[:-1]
        super().__init__(model_reporters={name: name for name in names})

    def record(self, day: DayResult) -> None:
        for name in self.model_reporters:
            self.model_vars[name].append(getattr(day, name))

    def collect(self, model) -> None:
        raise TypeError("DayRecords records the day's DayResult: call record(day)")
