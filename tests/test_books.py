"""The company's books: cash-only defaults, lifetime value, hourly wholesale cost, taxes,
long horizons and a whole-system money identity checked against independent accumulators."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridvalue.experiments.runner import run_scenario
from gridvalue.simulation.lifetime import expected_value
from gridvalue.simulation.model import GridValueModel
from gridvalue.simulation.scenario import load_scenario
from gridvalue.simulation.schema import ScenarioError
from gridvalue.simulation.services import registry

ALL_SERVICES = sorted(registry())
CREDIT_EXPOSED = sorted(n for n, cls in registry().items() if cls.credit_exposed)


@pytest.fixture(scope="module")
def small_overrides(small) -> dict:
    return small(150, 80, 3, days=None, **{"market.initial_awareness_share": 1.0})


@pytest.fixture(scope="module")
def offer(small_overrides):
    def offer(names, **extra) -> dict:
        out = dict(small_overrides)
        for name in names:
            out[f"services.{name}.innovation_p_per_year"] = 6.0
            out[f"services.{name}.contacts_per_month"] = 60
        if "microgrid_energy_management" in names:
            out["services.microgrid_energy_management.added_battery_share"] = 0.5
        return out | extra
    return offer


# ---- the lifetime engine against closed forms -------------------------------------------
def test_engine_is_an_annuity_with_survival():
    """A level payment a for n months with no risk is the annuity a (1 - v^n) / (1 - v),
    v = (1 + r)^(-1/12); with hazard h each month k is weighted by (1 - h)^((k - 1) / 12)."""
    r, n, a = 0.08, 60, 100.0
    v = (1 + r) ** (-1 / 12)
    got = expected_value(r, np.zeros(1), np.full((1, n), a))[0]
    assert got == pytest.approx(a * v * (1 - v**n) / (1 - v), rel=1e-12)
    h = 0.2
    x = v * (1 - h) ** (1 / 12)
    risky = expected_value(r, np.array([h]), np.full((1, n), a))[0]
    assert risky == pytest.approx(a * v * (1 - x**n) / (1 - x), rel=1e-12)
    # recovery: the chance of a default in month k times what comes back then
    rec = expected_value(r, np.array([h]), np.zeros((1, n)), recovery=np.full((1, n), 1.0))[0]
    k = np.arange(1, n + 1)
    s = (1 - h) ** (k / 12)
    assert rec == pytest.approx(((np.r_[1, s[:-1]] - s) * v**k).sum(), rel=1e-12)
    # an effect that survives default is not weighted by survival
    eff = expected_value(r, np.array([h]), np.zeros((1, n)), np.full((1, n), -1.0))[0]
    assert eff == pytest.approx(-v * (1 - v**n) / (1 - v), rel=1e-12)


# ---- cash-only defaults ---------------------------------------------------------------------
@pytest.mark.parametrize("name", CREDIT_EXPOSED)
def test_when_every_contract_defaults_the_cash_loss_is_at_most_capex_plus_costs(name, offer):
    """Hazard 1/yr: every contract defaults at its first settlement. The line's cash loss is
    what it spent less what came back, never the capex twice; the write-off stays apart."""
    hazards = {"population.enterprise_default_hazard_mean": 1.0,
               "population.household_default_hazard_mean": 1.0, "meta.days": 62}
    model = GridValueModel("baseline", seed=4, overrides=offer([name], **hazards)).run()
    service = model.market.services[0]
    book, ledger = service.contracts, model.company.ledger
    assert len(book) >= 1, name  # few microgrids: one contract is enough to check
    assert (book["status"] == 2).all()  # all defaulted
    frame = ledger.to_frame()
    line = frame[frame["service_line"] == name]
    assert "default_losses" not in set(frame["item"])
    capex = book["capex"].sum()
    spent = -line[line["amount"] < 0]["amount"].sum()  # capex, upkeep, marketing, margin...
    recoveries = line.query("item == 'recoveries'")["amount"].sum()
    loss = -line["amount"].sum()
    assert loss <= spent - recoveries + 1e-6
    assert loss <= capex + (spent - capex) - recoveries + 1e-6
    assert -line.query("item == 'capex'")["amount"].sum() == pytest.approx(capex)
    if capex > 0:
        assert loss < 1.5 * capex  # never about twice the capex
        assert ledger.writeoff_total(name) > 0
    written = ledger.writeoffs_frame()
    assert set(written["service_line"]) <= {name}


# ---- lifetime value does not depend on the horizon ----------------------------------------
def cohort_value(model, year: int) -> float:
    values = model.market.contract_lifetime_values()
    return float(values.loc[values["signed_year"] == year, "lifetime_value"].sum())


def test_a_contract_s_lifetime_value_does_not_depend_on_the_horizon(offer):
    """The same contracts (signed in the first 6 months, same seed) valued from a 1-year and
    a 2-year horizon: booked cash to date plus expected value after the horizon agree. They
    differ only by realised noise against expectations (loads, defaults)."""
    base = offer(["shared_savings", "pv_ppa", "equipment_instalments"],
                 **{"population.enterprise_default_hazard_mean": 0.0})
    values = []
    for days in (183, 365, 730):
        model = GridValueModel("baseline", seed=2, overrides=base | {"meta.days": days}).run()
        frame = model.market.contract_lifetime_values()
        frame = frame[frame["start_day"] < 150]
        values.append(frame.groupby("service")["lifetime_value"].sum())
    for other in values[1:]:
        np.testing.assert_allclose(other.to_numpy(), values[0].to_numpy(), rtol=0.08)
    assert (values[0].abs() > 1000).all()


def test_the_remaining_value_counts_the_margin_lost_after_the_term(monkeypatch, offer):
    """Shared savings: a live contract's remaining value is its share payments less the
    margin its saving takes to the end of measure life (15 years, past the 7-year term)."""
    model = GridValueModel("ee_shared_savings", seed=1, overrides=offer(["shared_savings"]) |
                           {"meta.days": 90}).run()
    service = model.market.services[0]
    rows = service.contracts.active()
    assert len(rows) >= 2
    full = service.remaining_value(rows)
    _, in_term, kwh, effect, _ = service._streams(rows)
    assert effect.shape[1] > in_term.sum(axis=1).max()  # the effect outlasts the term
    monkeypatch.setattr(service, "margin_path",
                        lambda r, m: np.zeros((len(r), m)))
    no_margin = service.remaining_value(rows)
    assert (full < no_margin).all()
    rate = model.scenario.company.discount_rate_per_year
    lost = expected_value(rate, service.hazard_estimate(rows), np.zeros_like(effect), effect)
    np.testing.assert_allclose(full - no_margin, lost, rtol=1e-9)


def test_pv_offer_value_does_not_depend_on_the_horizon():
    """The same households value the same 20-year lease alike from a 60-day and a 365-day
    run (the offer is valued over its whole term on a year of shapes)."""
    over = {"population.households": 300, "population.enterprises": 0,
            "population.microgrids": 0}
    values = []
    for days in (60, 365):
        model = GridValueModel("pv_investment", seed=0, overrides=over | {"meta.days": days})
        service = next(s for s in model.market.services if s.name == "pv_lease")
        who = np.flatnonzero(service.eligible())[:50]
        values.append(service.customer_value(who))
    np.testing.assert_allclose(values[0], values[1], rtol=1e-9)


# ---- hourly wholesale cost ----------------------------------------------------------------
def test_load_moved_out_of_dear_hours_lowers_the_energy_cost():
    """Households on TOU whose peak hours are the wholesale peak hours: with price response
    (energy conserved: daily elasticity 0) the company buys less in dear hours and its
    wholesale cost falls; with flat wholesale prices it does not move (energy is the same)."""
    over = {"population.households": 1500, "population.enterprises": 0,
            "population.microgrids": 0, "meta.days": 31, "tariff.kind": "tou",
            "response.household_daily_elasticity": 0.0}
    cost = {}
    for shape in ("seasonal", "flat"):
        for sigma in (0.0, -0.3):
            model = GridValueModel("baseline", seed=3, overrides=over | {
                "company.wholesale_shape": shape,
                "response.household_substitution_elasticity": sigma}).run()
            cost[shape, sigma] = -model.company.ledger.total(item="wholesale_energy")
    assert cost["seasonal", -0.3] < cost["seasonal", 0.0] * 0.999
    assert cost["flat", -0.3] == pytest.approx(cost["flat", 0.0], rel=2e-4)


def test_rtp_retail_prices_follow_the_wholesale_shape():
    model = GridValueModel("realtime_pricing", seed=0, overrides={
        "population.households": 100, "population.enterprises": 20, "meta.days": 3,
        "company.wholesale_shape": "forecast"})
    model.step()
    prices = model.tariffs.latest  # the day's published prices
    customer = prices.rows[0]
    assert model.customers["tariff_package"][customer] == 3  # rtp
    retail = prices.import_price_per_kwh[0] / prices.flat_price_per_kwh[customer]
    np.testing.assert_allclose(prices.wholesale_multipliers, retail, rtol=1e-12)


# ---- long horizons and growth -------------------------------------------------------------
def test_years_set_the_horizon_up_to_25():
    assert load_scenario("baseline", {"meta.years": 25}).meta.days == 9131
    assert load_scenario("baseline", {"meta.years": 3}).meta.days == 1096
    for bad, field in (({"meta.days": 9132}, "meta.days"), ({"meta.years": 26}, "meta.years"),
                       ({"growth.tariff_escalation_per_year": 0.5},
                        "growth.tariff_escalation_per_year"),
                       ({"taxes.vat_rate": 1.5}, "taxes.vat_rate"),
                       ({"meta.years": 25.5}, "meta.years"),
                       ({"taxes.income_tax_rate": -0.1}, "taxes.income_tax_rate")):
        with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
            load_scenario("baseline", bad)


def test_load_grows_and_prices_escalate_once_a_year():
    over = {"population.households": 100, "population.enterprises": 10,
            "population.microgrids": 0, "meta.days": 730,
            "growth.household_load_growth_per_year": 0.1,
            "growth.tariff_escalation_per_year": 0.05}
    model = GridValueModel("baseline", seed=1, overrides=over)
    price = model.customers["price_per_kwh"].copy()
    model.run()
    np.testing.assert_allclose(model.customers["price_per_kwh"], price * 1.05)
    hh = model.household_kw
    ratio = hh[365:730].sum() / hh[:365].sum()
    assert 1.07 < ratio < 1.13  # 10 % more demand (noise, weather)


def test_annual_table_sums_to_the_ledger(offer):
    result = run_scenario("ee_shared_savings", seed=3, overrides=offer(["shared_savings"]) |
                          {"meta.days": 400})
    annual, ledger = result["annual"], result["ledger"]
    assert sorted(annual["year"].unique()) == [2025, 2026]
    assert annual["net_cash"].sum() == pytest.approx(ledger["amount"].sum(), rel=1e-12)
    line = annual[annual["service_line"] == "shared_savings"]
    assert (line["contracts"] > 0).all()
    assert line["revenue"].sum() == pytest.approx(ledger.query(
        "service_line == 'shared_savings' and item == 'revenue'")["amount"].sum())


# ---- taxes and incentives -------------------------------------------------------------------
def test_vat_and_income_tax_follow_the_rates(offer):
    over = offer(["maintenance_subscription"]) | {"meta.days": 365}
    model = GridValueModel("baseline", seed=2, overrides=over).run()
    ledger, t = model.company.ledger, model.scenario.taxes
    name = "maintenance_subscription"
    revenue = ledger.total(name, "revenue")
    assert -ledger.total(name, "vat") == pytest.approx(revenue * t.vat_rate / (1 + t.vat_rate))
    taxable = (revenue + ledger.total(name, "vat") + ledger.total(name, "opex")
               + ledger.total(name, "marketing"))  # no capex to depreciate
    assert -ledger.total(name, "income_tax") == pytest.approx(
        t.income_tax_rate * max(taxable, 0.0))


def test_epc_lines_are_exempt_and_get_the_subsidy(offer):
    over = offer(["shared_savings"]) | {"meta.days": 365,
                                        "taxes.epc_subsidy_per_kwh_saved": 0.09}
    model = GridValueModel("baseline", seed=2, overrides=over).run()
    ledger = model.company.ledger
    assert ledger.total("shared_savings", "vat") == 0
    assert ledger.total("shared_savings", "income_tax") == 0  # holiday
    saved = model.customers["service_saved_kwh"].sum()
    assert ledger.total("shared_savings", "subsidy") == pytest.approx(0.09 * saved)


# ---- the whole-system identity --------------------------------------------------------------
def month_ends(model):
    """Step the model; yield after each settled month."""
    while model.running:
        model.step()
        date = model.dates[model.steps - 1]
        if model.steps < model.days and date.month == model.dates[model.steps].month:
            continue
        yield date


def seasonal_prices(model, day: int) -> np.ndarray:
    """Wholesale prices of a day recomputed here from the scenario: peak hours at r x the
    off-peak price, the off-peak price set so the expected load of the town as built pays
    the average price."""
    s, loads = model.scenario, model.loads
    c0 = model._initial_class_kwh
    expected = c0 @ loads.shapes_kw_per_kwh[:, day, :]
    summer = model.dates[day].month in s.tariff.summer_months
    hours = (s.company.wholesale_peak_hours_summer if summer
             else s.company.wholesale_peak_hours_winter)
    T = s.meta.intervals_per_day
    peak = np.isin(np.arange(T) * 24 // T, hours)
    r = s.company.wholesale_peak_ratio
    off = expected.sum() / (expected[~peak].sum() + r * expected[peak].sum())
    return s.company.wholesale_price_per_kwh * off * np.where(peak, r, 1.0)


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), hazard=st.floats(0.0, 0.5),
       names=st.lists(st.sampled_from(ALL_SERVICES), min_size=1, max_size=4, unique=True),
       vat=st.sampled_from([0.0, 0.06]))
def test_money_balances_between_all_parties_every_month(seed, hazard, names, vat, offer):
    """Each month the company's net cash in the ledger equals, from each party's own
    accumulators: what customers paid (bills, service payments) less what they received,
    less what the company paid generators (recomputed from the system load and the hourly
    wholesale prices), suppliers (capex of the contracts signed, upkeep, marketing
    contacts) and the state (VAT at its rate on revenue), plus what came back from resale
    and subsidies; the margin services take from energy sales nets to zero."""
    over = offer(names, **{"meta.days": 95, "population.enterprise_default_hazard_mean": hazard,
                           "population.household_default_hazard_mean": hazard,
                           "taxes.vat_rate": vat, "taxes.income_tax_rate": 0.0})
    model = GridValueModel("baseline", seed=seed, overrides=over)
    assert balance_every_month(model) == 4


def balance_every_month(model) -> int:
    """Step the model to its end; at each month end check the money identities of every
    party (the company; each competitor; all of them with customers, generators, suppliers
    and the state). Returns the months checked."""
    c0 = np.bincount(model.customers["profile_class"], model.customers["annual_kwh"]
                     * model.customers["load_scale"],
                     minlength=model.loads.shapes_kw_per_kwh.shape[0])
    model._initial_class_kwh = c0
    s = model.scenario
    rivals = model.market.competitor_books
    prev = {"paid": 0.0, "received": 0.0, "bill": 0.0, "out": 0.0, "recovered": 0.0,
            "rival_paid": 0.0, "rival_received": 0.0, "rival_out": 0.0,
            "rival_recovered": 0.0}
    checked = 0
    first = 0
    for date in month_ends(model):
        last = model.steps
        month = f"{date.year:04d}-{date.month:02d}"
        ledger = model.company.ledger.to_frame()
        ledger = ledger[ledger["month"] == month]
        c = model.customers
        books = [svc.contracts for svc in model.market.services]
        theirs = [r.contracts for r in rivals.rivals]
        now = {"paid": c["service_paid"].sum(), "received": c["service_received"].sum(),
               "bill": c["bill"].sum(),
               "out": sum(b["paid_out"].sum() for b in books),
               "recovered": sum(b["recovered"].sum() for b in books),
               # customers' own accumulators of their money with competitors
               "rival_paid": rivals.paid.sum(), "rival_received": rivals.received.sum(),
               "rival_out": sum(b["paid_out"].sum() for b in theirs),
               "rival_recovered": sum(b["recovered"].sum() for b in theirs)}
        delta = {k: now[k] - prev.get(k, 0) for k in now}
        wholesale = sum(float(np.maximum(model.system_kw[d], 0) * model.hours_per_interval
                              * (1 + s.company.loss_share) @ seasonal_prices(model, d))
                        for d in range(first, last))

        capex = signed_capex(books, first, last)
        opex = delta["out"] - delta["received"]
        marketing = 0.0
        for k, svc in enumerate(model.market.services):
            marketing += (svc.params.marketing_cost_per_contact
                          * (model.market.contacted[k].sum() - prev.get(f"contacts{k}", 0)))
            now[f"contacts{k}"] = int(model.market.contacted[k].sum())
        vat = 0.0
        for svc in model.market.services:
            rev = ledger.query(f"service_line == '{svc.name}' and item == 'revenue'")[
                "amount"].sum()
            vat += rev * (1 - svc.revenue_kept_share())
        capacity = -ledger.query("item == 'capacity'")["amount"].sum()
        # meters, platform and analytics (simulation/dataplatform.py), paid to suppliers
        platform = -ledger.query("service_line == 'data_platform'")["amount"].sum()
        expected = (delta["bill"] + delta["paid"] - delta["received"] - wholesale - capacity
                    - platform - capex - opex - marketing - vat + delta["recovered"])
        total = ledger["amount"].sum()
        assert total == pytest.approx(expected, rel=1e-6, abs=1e-3), (month, total, expected)
        margin = ledger[ledger["item"].isin(["margin_lost", "margin_lost_to_services"])]
        assert margin["amount"].sum() == pytest.approx(0.0, abs=1e-6)
        # each competitor: what its customers paid it less what it paid them, its suppliers
        # (the systems it installed, their upkeep), plus what repossession brought back
        frame = rivals.ledger_frame()
        frame = frame[frame["month"] == month]
        rival_capex = signed_capex(theirs, first, last)
        rival_opex = delta["rival_out"] - delta["rival_received"]
        rival_expected = (delta["rival_paid"] - delta["rival_received"] - rival_capex
                          - rival_opex + delta["rival_recovered"])
        rival_total = frame["amount"].sum()
        assert rival_total == pytest.approx(rival_expected, rel=1e-6, abs=1e-3), month
        # the whole system: what leaves the customers reaches the company, the competitors,
        # the generators, the suppliers and the state
        customers_out = (delta["bill"] + delta["paid"] + delta["rival_paid"]
                         - delta["received"] - delta["rival_received"])
        others = (total + rival_total + wholesale + capacity + platform + capex + rival_capex
                  + opex + rival_opex + marketing + vat - delta["recovered"]
                  - delta["rival_recovered"])
        assert customers_out == pytest.approx(others, rel=1e-6, abs=1e-3), month
        prev = now
        first = last
        checked += 1
    return checked


def signed_capex(books, first: int, last: int) -> float:
    """Capex of the contracts these books signed on days first..last-1."""
    return sum(b["capex"][(b["start_day"] >= first) & (b["start_day"] < last)].sum()
               for b in books)


def competitor_run(offer, days: int = 95, seed: int = 3, **extra):
    """A small town offered the company's lease, where a solar installer's cheaper lease
    takes share."""
    over = offer(["pv_lease"], **{"meta.days": days, "choice.self_finance": False,
                                  "competitors.solar_co.offer": "pv_lease",
                                  "competitors.solar_co.awareness_per_year": 12.0,
                                  "competitors.solar_co.terms.segments": ["household"],
                                  "competitors.solar_co.terms.lease_per_kwp_month": 20.0,
                                  "population.household_default_hazard_mean": 0.3,
                                  "taxes.income_tax_rate": 0.0} | extra)  # as above
    return GridValueModel("baseline", seed=seed, overrides=over)


def test_money_balances_between_all_parties_with_a_competitor(offer):
    """The identities above with a competitor's lease on offer: its customers' lease
    payments, its capex and upkeep are in its own books, and every month the customers'
    money reaches the company, the competitor and the rest to 1e-6."""
    model = competitor_run(offer)
    assert balance_every_month(model) == 4
    books = model.market.competitor_books
    assert len(books.rivals[0].contracts) > 5  # the competitor has customers
    assert books.ledger.total(item="revenue") > 0
    assert model.company.ledger.lines.isdisjoint(books.ledger.lines)


def test_dropping_competitor_payments_breaks_the_identity(monkeypatch, offer):
    """The check can fail: if the competitor's books leave out what its customers pay it,
    the identity does not balance."""
    from gridvalue.simulation import competitors

    settle = competitors.CompetitorBooks._settle_rows

    def dropped(self, index, rows, date, month_share):
        settle(self, index, rows, date, month_share)
        self.ledger._amounts[(f"{date.year:04d}-{date.month:02d}", self.rivals[index].name,
                              "revenue")] = 0.0

    monkeypatch.setattr(competitors.CompetitorBooks, "_settle_rows", dropped)
    with pytest.raises(AssertionError):
        balance_every_month(competitor_run(offer))


@pytest.mark.slow
def test_shared_savings_lifetime_value_from_1_3_and_7_years_agree():
    """ee_shared_savings on a small town, paired seeds: the lifetime value of the contracts
    signed in the first year is the same whether the run lasts 1, 3 or 7 years (the 95 %
    t-interval of the paired differences spans 0). Without defaults (a realised default is
    one large draw against its expectation) each seed's values also agree within 10 %:
    what is left is load noise against the expected saving."""
    over = {"population.households": 50, "population.enterprises": 150,
            "population.microgrids": 0, "population.enterprise_default_hazard_mean": 0.0}
    values = {}
    for years in (1, 3, 7):
        values[years] = np.array([cohort_value(GridValueModel(
            "ee_shared_savings", seed=seed, overrides=over | {"meta.years": years}).run(), 2025)
            for seed in range(3)])
    assert (values[1] != 0).all()
    for years in (3, 7):
        diff = values[years] - values[1]
        half = 4.303 * diff.std(ddof=1) / np.sqrt(len(diff))  # t(0.975, 2)
        assert abs(diff.mean()) <= half + 1e-6 * abs(values[1]).mean(), (years, diff)
        assert (np.abs(diff) <= 0.1 * np.abs(values[1])).all(), (years, diff, values[1])
