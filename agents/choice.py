"""The one adoption rule every customer type uses.

In a decision period of length dt (years), an aware customer accepts an offer with
probability

    P = min(1, (p + q * s) * dt * g(v)),   g(v) = 2 / (1 + exp(-beta * (v - inertia)))

where s is the share of its social neighbours who already took the offer, v the offer's NPV
to the customer in years of its own energy bill, beta the benefit weight and inertia the NPV
an offer must bring before it helps. Unaware customers cannot accept. With beta = 0, g = 1:
on a complete graph with everyone aware this is the discrete Bass model,
F[k+1] = F[k] + (p + q F[k]) (1 - F[k]) dt, in expectation.
"""

import numpy as np


def benefit_multiplier(relative_value: np.ndarray, benefit_weight: float,
                       inertia: float) -> np.ndarray:
    """g(v): 1 with the benefit term off, 0..2 rising with value and falling with inertia."""
    if benefit_weight == 0.0:
        return np.ones_like(relative_value, dtype=float)
    return 2.0 / (1.0 + np.exp(-benefit_weight * (relative_value - inertia)))


def acceptance_probability(aware: np.ndarray, neighbour_share: np.ndarray,
                           relative_value: np.ndarray, p_per_year: float, q_per_year: float,
                           dt_years: float, benefit_weight: float, inertia: float) -> np.ndarray:
    """Probability that each customer accepts in this decision period."""
    rate = (p_per_year + q_per_year * neighbour_share) * dt_years
    prob = rate * benefit_multiplier(relative_value, benefit_weight, inertia)
    return np.where(aware, np.clip(prob, 0.0, 1.0), 0.0)
