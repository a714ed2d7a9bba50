"""The company's day-ahead load forecast from what it has metered (no foresight).

Each site's (a transformer's, the system's) forecast for a day is the mean of its metered
profile on the same weekday over the last `weeks` weeks; while fewer than seven days have
been metered it is the last metered day's profile, and on the first day there is none. The
company schedules its batteries on the forecast; the grid sees the realised load.
"""

import numpy as np

FORECASTS = ("perfect", "same_weekday")


class SameWeekdayForecast:
    """A ring of the last `weeks` weeks of metered profiles of `sites` sites, T intervals."""

    def __init__(self, sites: int, intervals: int, weeks: int):
        self.span = 7 * weeks
        self._kw = np.zeros((self.span, sites, intervals))
        self._days = 0  # days metered so far

    def observe(self, day: int, kw: np.ndarray) -> None:
        """The metered profile (sites, T) of `day` (days come in order)."""
        self._kw[day % self.span] = kw
        self._days = day + 1

    def predict(self, day: int) -> np.ndarray | None:
        """The forecast (sites, T) for `day`, from the days metered before it; None on the
        first day."""
        seen = min(self._days, day)
        if seen == 0:
            return None
        same = [d for d in range(day - 7, day - 1 - self.span, -7) if d >= day - seen]
        if not same:
            return self._kw[(day - 1) % self.span].copy()
        return self._kw[[d % self.span for d in same]].mean(axis=0)
