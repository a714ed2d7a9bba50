"""The small money helpers services share."""

import numpy as np

from gridvalue.simulation.services.base import (
    in_segments,
    resale_value,
    segment_codes,
    surviving_discount_sum,
)


def test_surviving_discount_sum_is_the_explicit_sum():
    months = np.array([0, 1, 12, 100])
    hazard = np.array([0.0, 0.02, 0.1, 0.3])
    got = surviving_discount_sum(months, 0.08, hazard)
    for m, h, g in zip(months, hazard, got, strict=True):
        k = np.arange(1, m + 1)
        assert abs(g - ((1 - h) ** (k / 12) * 1.08 ** (-k / 12)).sum()) < 1e-9
    assert surviving_discount_sum(np.array([24]), 0.0, np.array([0.0]))[0] == 24


def test_resale_value_is_a_share_of_straight_line_book_value():
    capex = np.array([1000.0, 1000.0, 1000.0])
    np.testing.assert_allclose(resale_value(capex, np.array([0, 60, 200]), 120.0, 0.5),
                               [500.0, 250.0, 0.0])


def test_segments_split_enterprises_by_sector():
    customers = {"customer_type": np.array([0, 1, 1, 1, 2]), "sector": np.array([-1, 0, 1, 2, -1])}
    np.testing.assert_array_equal(segment_codes(customers), [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(in_segments(customers, ("household", "agricultural")),
                                  [True, False, False, True, False])
