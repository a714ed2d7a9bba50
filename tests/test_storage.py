"""Microgrid batteries: state of charge within limits, energy balance closed by the losses."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gridvalue.simulation.storage import Batteries, dispatch_peak_shaving


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
