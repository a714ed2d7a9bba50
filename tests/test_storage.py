"""Microgrid batteries: state of charge within limits, energy balance closed by the losses."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridvalue.simulation.storage import (
    Batteries,
    dispatch_peak_shaving,
    dispatch_price,
    shaving_threshold,
)


@settings(max_examples=60, deadline=None)
@given(net=arrays(np.float64, (3, 24), elements=st.floats(-300, 800)),
       power=st.floats(1, 200), hours=st.floats(0.5, 6), soc_share=st.floats(0, 1),
       efficiency=st.floats(0.6, 1.0), days=st.integers(1, 3))
def test_soc_limits_and_energy_balance(net, power, hours, soc_share, efficiency, days):
    energy = power * hours
    b = Batteries(power_kw=np.full(3, power), energy_kwh=np.full(3, energy),
                  soc_kwh=np.full(3, energy * (0.1 + 0.85 * soc_share)),
                  roundtrip_efficiency=efficiency, soc_min_share=0.1, soc_max_share=0.95)
    for _ in range(days):
        start = b.soc_kwh.copy()
        battery_kw, losses = dispatch_peak_shaving(b, net, 1.0)
        assert (b.soc_kwh >= b.soc_min_kwh - 1e-9).all()
        assert (b.soc_kwh <= b.soc_max_kwh + 1e-9).all()
        assert (np.abs(battery_kw) <= power + 1e-9).all()
        # energy in from the site minus energy out equals storage gain plus losses
        np.testing.assert_allclose(battery_kw.sum(axis=1), b.soc_kwh - start + losses, atol=1e-6)
        assert (losses >= -1e-12).all()


def test_dispatch_shaves_the_peak_without_raising_it():
    t = np.arange(24)
    net = (100 + 80 * np.exp(-((t - 19) ** 2) / 4.0))[None, :]
    b = Batteries(power_kw=np.array([40.0]), energy_kwh=np.array([120.0]),
                  soc_kwh=np.array([108.0]), roundtrip_efficiency=0.9,
                  soc_min_share=0.1, soc_max_share=0.95)
    battery_kw, _ = dispatch_peak_shaving(b, net, 1.0)
    after = net + battery_kw
    assert after.max() < net.max() - 25
    assert battery_kw[0, 19] < 0  # discharges at the evening peak


# ---- the NumPy dispatch the compiled loops replaced (reference; its bisection is
# storage.shaving_threshold, which the home-battery fleet still uses) ------------------------
def _ref_peak_shaving(batteries: Batteries, net_kw: np.ndarray,
                          hours_per_interval: float) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch one day against each site's own peak, with perfect day-ahead foresight.

    Discharge above a threshold sized to the usable energy at the start of the day plus the
    PV surplus it can store; charge from PV surplus (net load < 0) and, below the day's mean
    net load, from the grid back up to the maximum state of charge. Returns the battery
    power (n, T) and the losses (n,) in kWh. Mutates `batteries.soc_kwh`.
    """
    eta = batteries.one_way_efficiency
    dt = hours_per_interval
    soc = batteries.soc_kwh
    soc_min, soc_max, p_max = batteries.soc_min_kwh, batteries.soc_max_kwh, batteries.power_kw
    surplus_kwh = np.minimum(np.maximum(-net_kw, 0.0), p_max[:, None]).sum(axis=1) * dt * eta
    usable_kwh = np.minimum(np.maximum(soc - soc_min, 0.0) + surplus_kwh, soc_max - soc_min) * eta
    threshold = shaving_threshold(net_kw, usable_kwh, p_max, dt)
    valley = net_kw.mean(axis=1)
    power = np.zeros_like(net_kw)
    losses = np.zeros(len(soc))
    for t in range(net_kw.shape[1]):
        load = net_kw[:, t]
        discharge = np.minimum.reduce([np.maximum(load - threshold, 0.0), p_max,
                                       np.maximum(soc - soc_min, 0.0) * eta / dt])
        charge_wanted = np.where(load < 0.0, -load, np.maximum(valley - load, 0.0))
        charge_wanted = np.where(load > threshold, 0.0, charge_wanted)
        charge = np.minimum.reduce([charge_wanted, p_max,
                                    np.maximum(soc_max - soc, 0.0) / (eta * dt)])
        soc += charge * eta * dt - discharge * dt / eta
        losses += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
        power[:, t] = charge - discharge
    np.clip(soc, soc_min, soc_max, out=soc)  # guards rounding only; limits hold by construction
    return power, losses


def _ref_price(batteries: Batteries, net_kw: np.ndarray, price_per_kwh: np.ndarray,
                   hours_per_interval: float) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch one day against each site's prices (n, T), with day-ahead prices known.

    Per row: charge in the cheapest intervals and discharge in the dearest, as many of each
    as filling the usable capacity takes at full power, and only where the dear price times
    the round-trip efficiency beats the cheap one. Discharge never exceeds the site's own
    net import (no export from the battery). Same sign convention, limits and energy balance
    as `dispatch_peak_shaving`; returns battery power (n, T) and losses (n,) in kWh.
    """
    eta = batteries.one_way_efficiency
    dt = hours_per_interval
    soc = batteries.soc_kwh
    soc_min, soc_max, p_max = batteries.soc_min_kwh, batteries.soc_max_kwh, batteries.power_kw
    n, T = net_kw.shape
    power = np.zeros_like(net_kw)
    losses = np.zeros(n)
    if n == 0:
        return power, losses
    fill = np.divide(soc_max - soc_min, p_max * eta * dt, out=np.zeros(n), where=p_max > 0)
    k = np.clip(np.ceil(fill), 1, max(T // 2, 1)).astype(int)
    ordered = np.sort(price_per_kwh, axis=1)
    low = ordered[np.arange(n), k - 1]
    high = ordered[np.arange(n), T - k]
    trade = high * batteries.roundtrip_efficiency > low
    for t in range(T):
        price, load = price_per_kwh[:, t], net_kw[:, t]
        discharge = np.where(trade & (price >= high), np.minimum.reduce(
            [p_max, np.maximum(soc - soc_min, 0.0) * eta / dt, np.maximum(load, 0.0)]), 0.0)
        charge = np.where(trade & (price <= low) & (discharge == 0), np.minimum(
            p_max, np.maximum(soc_max - soc, 0.0) / (eta * dt)), 0.0)
        soc += charge * eta * dt - discharge * dt / eta
        losses += charge * dt * (1.0 - eta) + discharge * dt * (1.0 / eta - 1.0)
        power[:, t] = charge - discharge
    np.clip(soc, soc_min, soc_max, out=soc)  # guards rounding only
    return power, losses


def annuity_factor(rate_per_year: float, years: float) -> float:
    """Capital recovery factor: the yearly payment that repays 1 over `years` at `rate`."""

@settings(max_examples=40, deadline=None)
@given(net=arrays(np.float64, (4, 24), elements=st.floats(-300, 800)),
       power=st.floats(1, 200), hours=st.floats(0.5, 6), soc_share=st.floats(0, 1),
       efficiency=st.floats(0.6, 1.0), prices=arrays(np.float64, (4, 24),
                                                     elements=st.floats(0.1, 2.0)))
def test_compiled_dispatch_equals_the_numpy_reference(net, power, hours, soc_share, efficiency,
                                                       prices):
    """Both rules, compiled, give the NumPy reference's power, losses and state of charge."""
    def batteries():
        energy = power * hours
        return Batteries(power_kw=np.full(4, power), energy_kwh=np.full(4, energy),
                         soc_kwh=np.full(4, energy * (0.1 + 0.85 * soc_share)),
                         roundtrip_efficiency=efficiency, soc_min_share=0.1, soc_max_share=0.95)
    for compiled, reference, args in ((dispatch_peak_shaving, _ref_peak_shaving, (net,)),
                                      (dispatch_price, _ref_price, (net, prices))):
        a, b = batteries(), batteries()
        power_a, losses_a = compiled(a, *args, 1.0)
        power_b, losses_b = reference(b, *args, 1.0)
        np.testing.assert_allclose(power_a, power_b, atol=1e-6)
        np.testing.assert_allclose(losses_a, losses_b, atol=1e-6)
        np.testing.assert_allclose(a.soc_kwh, b.soc_kwh, atol=1e-6)
