"""Load KPIs shared by the model's collector, the CLI, experiments and the view."""

import numpy as np


def load_factor(load_kw: np.ndarray) -> float:
    """Mean load over peak load (0..1); 0 for a load that never rises above zero."""
    peak = float(np.max(load_kw))
    return float(np.mean(load_kw)) / peak if peak > 0 else 0.0


def full_load_hours(load_kw: np.ndarray, hours_per_interval: float) -> float:
    """Energy over peak power, h: the hours at peak that deliver the same energy."""
    peak = float(np.max(load_kw))
    return float(np.sum(load_kw)) * hours_per_interval / peak if peak > 0 else 0.0


def coincidence_factor(member_kw: np.ndarray) -> float:
    """Peak of the group's sum over the sum of members' own peaks; member_kw is (n, time)."""
    own_peaks = member_kw.max(axis=1).sum()
    return float(member_kw.sum(axis=0).max() / own_peaks) if own_peaks > 0 else 0.0


def intervals_above(load_kw: np.ndarray, rating_kw: np.ndarray) -> np.ndarray:
    """Per row of (rows, T) loads, the number of intervals above its rating."""
    return (load_kw > rating_kw[:, None]).sum(axis=1)
