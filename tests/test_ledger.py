"""The company's books: sales equal bills, energy and capacity costs follow the load."""

import numpy as np
import pytest

from gridvalue.experiments.runner import run_scenario
from gridvalue.simulation.model import GridValueModel


@pytest.fixture(scope="module")
def result():
    return run_scenario("baseline", overrides={"population.households": 300,
                                               "population.enterprises": 40,
                                               "population.microgrids": 2, "meta.days": 45})


def test_energy_revenue_is_what_customers_are_billed(result):
    revenue = result["ledger"].query("item == 'revenue'")["amount"].sum()
    assert revenue == pytest.approx(result["customers"]["bill"].sum(), rel=1e-12)
    assert revenue > 0


def test_flat_wholesale_cost_follows_system_energy():
    result = run_scenario("baseline", overrides={"population.households": 300,
                                                 "population.enterprises": 40, "meta.days": 20,
                                                 "company.wholesale_shape": "flat"})
    s = result.scenario
    energy_kwh = result["system_load"]["load_kw"].clip(lower=0).sum()  # hourly intervals
    cost = -result["ledger"].query("item == 'wholesale_energy'")["amount"].sum()
    assert cost == pytest.approx(energy_kwh * (1 + s.company.loss_share)
                                 * s.company.wholesale_price_per_kwh, rel=1e-9)


def test_seasonal_wholesale_cost_is_load_times_the_hourly_price(result):
    """Recomputed from the written system load and the scenario's peak hours and ratio: each
    day's price is r x off-peak in the peak hours and off-peak otherwise, with an off-peak
    price between 1/r and 1 of the average, so the cost is the load-weighted sum."""
    s = result.scenario
    load = result["system_load"]
    peak = load["interval"].isin(s.company.wholesale_peak_hours_winter)  # January-February
    ratio, price = s.company.wholesale_peak_ratio, s.company.wholesale_price_per_kwh
    kwh = load["load_kw"].clip(lower=0) * (1 + s.company.loss_share)
    cost = -result["ledger"].query("item == 'wholesale_energy'")["amount"].sum()
    # off-peak price x (off-peak kWh + ratio x peak kWh) for one off-peak level per day
    days = load["timestamp"].dt.normalize()
    weighted = (kwh * np.where(peak, ratio, 1.0)).groupby(days).sum()
    flat = kwh.groupby(days).sum()
    assert (weighted / ratio * price).sum() < cost < (weighted * price).sum()
    assert cost != pytest.approx((flat * price).sum(), rel=1e-6)  # the shape matters


def test_capacity_cost_is_the_horizon_share_of_the_peak(result):
    s = result.scenario
    peak = result["system_load"]["load_kw"].max()
    cost = -result["ledger"].query("item == 'capacity'")["amount"].sum()
    assert cost == pytest.approx(peak * s.company.capacity_cost_per_kw_year * 45 / 365, rel=1e-9)
    months = result["ledger"].query("item == 'capacity'")["month"].tolist()
    assert months == ["2025-01", "2025-02"]


def test_npv_discounts_the_margin(result):
    assert result.summary["company_npv"] < result.summary["company_margin"]
    assert result.summary["company_npv"] > 0.98 * result.summary["company_margin"]


def test_a_month_cut_short_by_the_horizon_books_its_share_of_fixed_fees():
    """A 45-day horizon from 1 January: January is settled whole, February's 14 days as
    14/28 of a month, so a fixed monthly subscription fee is half a fee in February."""
    small = {"population.households": 200, "population.enterprises": 150, "meta.days": 45,
             "market.initial_awareness_share": 1.0,
             "population.enterprise_default_hazard_mean": 0.0,
             "services.maintenance_subscription.innovation_p_per_year": 6.0}
    model = GridValueModel("baseline", seed=5, overrides=small).run()
    service = model.market.services[0]
    book = service.contracts
    january = book["start_day"] == 0
    assert january.sum() >= 3
    ledger = model.company.ledger.to_frame()
    revenue = ledger[(ledger["service_line"] == service.name) & (ledger["item"] == "revenue")]
    by_month = dict(zip(revenue["month"], revenue["amount"], strict=True))
    fees = book["fee"][january].sum()
    assert by_month["2025-01"] == pytest.approx(fees)
    february = book["fee"].sum()  # January's and February's subscribers, all active
    assert by_month["2025-02"] == pytest.approx(february * 14 / 28)


def test_every_booking_checks_its_line_and_item():
    """The one booking path refuses a line no one opened and an item outside the vocabulary,
    for cash and write-offs alike; an opened service line books."""
    import datetime

    from gridvalue.simulation.ledger import Ledger

    ledger, day = Ledger(datetime.date(2025, 1, 1)), datetime.date(2025, 1, 5)
    ledger.book(day, "energy_sales", "revenue", 10.0)
    with pytest.raises(ValueError, match="line 'energy_sale'"):
        ledger.book(day, "energy_sale", "revenue", 1.0)
    with pytest.raises(ValueError, match="item 'revenu'"):
        ledger.book(day, "energy_sales", "revenu", 1.0)
    with pytest.raises(ValueError, match="line 'pv'"):
        ledger.write_off(day, "pv", 1.0)
    ledger.open_line("pv")
    ledger.book(day, "pv", "capex", -4.0)
    ledger.write_off(day, "pv", 1.0)
    assert ledger.total() == 6.0 and ledger.writeoff_total("pv") == 1.0
