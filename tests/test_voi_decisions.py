"""Round 6 of the value of information (docs/voi.md): shrinkage of predictive estimates by
their out-of-fold calibration slope, contacts only where they are expected to pay, and the
efficiency services' audit before the contract."""

import dataclasses
import datetime
import os
import subprocess
import sys

import numpy as np
import pytest

from gridvalue.simulation.dataplatform import (
    calibration_slope,
    features,
    fit,
    out_of_fold,
)
from gridvalue.simulation.model import GridValueModel

SMALL = {"population.households": 0, "population.enterprises": 120, "meta.days": 62}


def test_calibration_slope_recovers_a_known_slope():
    """actual = 0.6 x predicted + noise: the least-squares slope is 0.6; slopes outside 0..1
    are clipped, and constant predictions give 0."""
    rng = np.random.default_rng(3)
    predicted = rng.standard_normal(4000)
    actual = 0.6 * predicted + 0.3 * rng.standard_normal(4000) + 2.0
    assert calibration_slope(predicted, actual) == pytest.approx(0.6, abs=0.02)
    assert calibration_slope(predicted, 3.0 * predicted) == 1.0
    assert calibration_slope(predicted, -predicted) == 0.0
    assert calibration_slope(np.ones(10), np.arange(10.0)) == 0.0


def test_out_of_fold_calibration_sees_overfitting():
    """Out of fold, a ridge regression on pure noise (40 labels, 12 features) is shrunk
    nearly to nothing, one on a real linear signal is kept nearly whole."""
    rng = np.random.default_rng(5)
    X = rng.standard_normal((40, 12))
    noise = rng.standard_normal(40)
    assert calibration_slope(out_of_fold(X, noise), noise) < 0.3
    X = rng.standard_normal((200, 6))
    y = X @ np.array([1.0, -0.5, 0.3, 0.0, 0.2, 0.8]) + 0.3 * rng.standard_normal(200)
    assert calibration_slope(out_of_fold(X, y), y) > 0.9


def test_shrinkage_scales_the_regression_toward_the_billing_file_and_none_leaves_it():
    """`cross_validated` multiplies predictive's deviation from the group means by one slope
    in 0..1 (customers without interval readings keep the group means); `none` is the ridge
    regression unshrunk, the default's estimates."""
    model = GridValueModel("value_of_information", seed=3, overrides=SMALL | {
        "data_platform.enterprise_meter_coverage_share": 0.6})
    platform = model.platform
    obs, labels, params = platform.observations, platform.labels, platform.params
    assert params.estimate_shrinkage == "cross_validated"
    seed, adjusted = platform._seed, params.volatility_weather_adjusted
    prior = fit(obs, features(obs, "none", params.segments, seed), labels)
    plain = fit(obs, features(obs, "predictive", params.segments, seed, "none", adjusted),
                labels)
    shrunk = fit(obs, features(obs, "predictive", params.segments, seed, "cross_validated",
                               adjusted), labels)
    np.testing.assert_array_equal(shrunk.efficiency_estimate_share,
                                  model.customers["efficiency_estimate_share"])
    rows = np.flatnonzero(obs.interval)
    others = np.flatnonzero(~obs.interval)
    assert len(rows) > 20 and len(others) > 20
    for name in ("efficiency_estimate_share", "flexibility_estimate_share"):
        p, a, b = (getattr(e, name) for e in (prior, plain, shrunk))
        np.testing.assert_array_equal(a[others], p[others])
        np.testing.assert_array_equal(b[others], p[others])
        inside = rows[(a[rows] > 0) & (a[rows] < 0.9)]  # not clipped
        dev_a, dev_b = a[inside] - p[inside], b[inside] - p[inside]
        slope = (dev_a @ dev_b) / (dev_a @ dev_a)
        assert 0.0 <= slope <= 1.0
        np.testing.assert_allclose(dev_b, slope * dev_a, atol=1e-9)
    assert not np.array_equal(plain.efficiency_estimate_share, shrunk.efficiency_estimate_share)


def test_positive_value_only_never_contacts_a_customer_of_non_positive_value():
    """With `company.contact_positive_value_only` the fixed strategy contacts only customers
    whose expected contact value is above 0 (with the audit: above its cost), even where the
    month's contacts are not all spent; without it, it fills its contacts."""
    picked = {}
    for only in (True, False):
        model = GridValueModel("value_of_information", seed=2, overrides=SMALL | {
            "company.contact_positive_value_only": only})
        svc = model.market.services[0]
        pool = np.flatnonzero(svc.eligible() & ~model.market.aware[0])
        value = svc.expected_contact_value(pool)
        assert (value <= 0).any() and (value > 0).any()  # the test can bite
        model.step()  # the first month's decisions
        contacted = np.flatnonzero(model.market.contacted[0])
        picked[only] = contacted
        if only:
            assert (svc.expected_contact_value(contacted) > 0).all() or len(contacted) == 0
            assert len(contacted) == min(int((value > 0).sum()),
                                         svc.params.contacts_per_month)
    assert len(picked[False]) == model.market.services[0].params.contacts_per_month
    assert len(picked[True]) <= len(picked[False])


def _audit_model(**overrides):
    return GridValueModel("value_of_information", seed=4, overrides=SMALL | overrides)


def test_the_audit_sets_the_offer_and_the_retrofit_and_is_booked():
    """Contacted customers are audited: the offer is made on the audit's reading (not the
    platform's estimate), the retrofit's capex is the audited saving's value times the simple
    payback, each audit is booked on the service's `audit` line, and the platform's
    estimates never see an audit."""
    model = _audit_model(**{"services.shared_savings.innovation_p_per_year": 12.0})
    svc, c = model.market.services[0], model.customers
    assert svc.params.audit_before_contract
    model.run()
    audited, withdrawn = svc._audit()
    who = np.flatnonzero(~np.isnan(audited))
    assert len(who) == int(model.market.contacted[0].sum()) > 0
    np.testing.assert_array_equal(svc._estimate(who), audited[who])
    assert not np.allclose(audited[who], c["efficiency_estimate_share"][who])
    truth = c["efficiency_potential_share"][who]
    ok = truth > 0.01
    log_error = np.log(audited[who][ok] / truth[ok])
    assert abs(log_error.std() - svc.params.audit_error_sd) < 0.06
    book = svc.contracts
    assert len(book) > 0
    signed = book["customer"].astype(int)
    bill = c["annual_kwh"][signed] * c["price_per_kwh"][signed]
    np.testing.assert_allclose(book["capex"],
                               audited[signed] * bill * svc.params.simple_payback_years)
    np.testing.assert_allclose(book["estimate_share"], audited[signed])
    booked = model.company.ledger.total("shared_savings", "audit")
    assert booked == pytest.approx(-len(who) * svc.params.audit_cost_cny, rel=1e-9)


def test_the_company_withdraws_an_offer_the_audit_shows_not_to_pay():
    """Where the audited contract value is not above 0 (here: commercial customers when a
    saved kWh costs the company more margin, at a low wholesale price) the offer is
    withdrawn: the customer is no longer eligible; offers that pay stay open."""
    model = _audit_model(**{"company.wholesale_price_per_kwh": 0.3})
    svc = model.market.services[0]
    who = np.flatnonzero(svc.eligible())
    svc.contacted(who, datetime.date(2025, 1, 1))
    _, withdrawn = svc._audit()
    value = svc.contract_value_estimate(who)
    np.testing.assert_array_equal(withdrawn[who], value <= 0)
    assert withdrawn[who].any() and not withdrawn[who].all()
    assert not svc.eligible()[who[withdrawn[who]]].any()
    assert svc.eligible()[who[~withdrawn[who]]].all()


def test_audits_off_change_nothing():
    """`audit_before_contract = false`: the offer is on the platform's estimate and
    `contacted` audits no one."""
    model = _audit_model(**{"services.shared_savings.audit_before_contract": False})
    svc, c = model.market.services[0], model.customers
    who = np.flatnonzero(svc.eligible())
    svc.contacted(who, datetime.date(2025, 1, 1))
    assert not hasattr(svc, "_audited")
    np.testing.assert_array_equal(svc._estimate(who), c["efficiency_estimate_share"][who])
    svc.params = dataclasses.replace(svc.params, audit_before_contract=True)
    assert np.isnan(svc._audit()[0]).all()


@pytest.mark.parametrize("setting, field", [
    ("services.shared_savings.audit_error_sd=-0.1", "services.shared_savings.audit_error_sd"),
    ("services.shared_savings.audit_cost_cny=-5", "services.shared_savings.audit_cost_cny"),
    ('data_platform.estimate_shrinkage="bayes"', "data_platform.estimate_shrinkage"),
    ("company.contact_positive_value_only=3", "company.contact_positive_value_only"),
    ("data_platform.volatility_weather_adjusted=3", "data_platform.volatility_weather_adjusted"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(tmp_path, setting, field):
    proc = subprocess.run(
        [sys.executable, "-m", "gridvalue.experiments.cli", "run", "value_of_information",
         "--set", setting, "--out", str(tmp_path / "out")],
        capture_output=True, text=True, cwd=tmp_path,
        env=os.environ | {"PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], proc.stderr
    assert list(tmp_path.iterdir()) == []
