"""The day's KPIs travel as a value: a frozen `DayResult` per day, handed to the collector."""

import dataclasses

import pytest

from gridvalue.simulation.dayresult import DAILY_KPIS, FIELDS, DayRecords, DayResult

AGGREGATED = {"system_peak_kw": 900.0, "system_min_kw": 300.0, "energy_kwh": 15_000.0,
              "load_factor": 0.69, "transformer_intervals_over_rating": 3,
              "transformers_over_rating": 1, "feeder_intervals_over_rating": 0}


def test_the_record_is_frozen_and_adds_both_fleets_discharge():
    operated = {"date": "2025-01-01", "pv_kwh": 40.0, "battery_discharge_kwh": 1.5}
    day = DayResult.from_stages(operated, AGGREGATED | {"grid_battery_discharge_kwh": 2.25})
    assert day.battery_discharge_kwh == 3.75 and day.losses_kwh is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        day.system_peak_kw = 0.0
    alone = DayResult.from_stages(operated, AGGREGATED)
    assert alone.battery_discharge_kwh == 1.5


def test_the_collector_records_the_value_it_is_handed():
    records = DayRecords(losses=True)
    day = DayResult.from_stages({"date": "2025-01-02", "pv_kwh": 0.0,
                                 "battery_discharge_kwh": 0.0},
                                AGGREGATED | {"losses_kwh": 120.0})
    records.record(day)
    frame = records.get_model_vars_dataframe()
    assert tuple(frame.columns) == FIELDS
    assert frame.iloc[0].to_dict() == dataclasses.asdict(day)
    with pytest.raises(TypeError, match="record"):
        records.collect(None)


def test_a_run_s_daily_table_is_its_day_records(small_model):
    frame = small_model.datacollector.get_model_vars_dataframe()
    assert tuple(frame.columns) == ("date", *DAILY_KPIS)  # no power flow: no losses column
    assert len(frame) == small_model.days
    assert frame["system_peak_kw"].tolist() == small_model.system_kw.max(axis=1).tolist()
    assert not hasattr(small_model, "today")
