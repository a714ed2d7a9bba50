"""What every strategy answers, and its monthly decision log (decisions.parquet)."""

import numpy as np
import pandas as pd

DECISION_COLUMNS = ["date", "strategy", "service", "segment", "budget_cny", "contacts",
                    "marketing_cny", "expected_value_cny", "score_threshold", "term",
                    "term_value"]


class Strategy:
    """Base class. `plan` runs at the start of each month's decisions; `contacts` and
    `score_threshold` are asked per service by the market."""

    name = ""

    def __init__(self, model):
        self.model = model
        self.rows: list[dict] = []

    def plan(self, market, date) -> None:
        """Prepare the month's decisions (before any service's targeting). Default: none."""

    def contacts(self, k: int, service, pool: np.ndarray, priority: np.ndarray,
                 date) -> np.ndarray:
        """Which customers of `pool` (open, not yet aware) to contact this month for service
        `k`; `priority` holds one uniform per customer (the random order among equals)."""
        raise NotImplementedError

    def score_threshold(self, k: int, service) -> float:
        """The lowest credit score the company accepts for service `k` this month."""
        return service.params.score_threshold

    def term(self, k: int, service, segment: int) -> tuple[str, float]:
        """The term the strategy sets for service `k` and its value offered to `segment` (an
        index into SEGMENT_NAMES) this month (none: "")."""
        field = service.params.term_field
        if not field:
            return "", np.nan
        if service.term_by_segment is not None:
            return field, float(service.term_by_segment[segment])
        return field, float(getattr(service.params, field))

    def observe(self, offered: np.ndarray, signed: dict, date) -> None:
        """After the month's decisions: `offered` (services, customers) who faced each
        service's offer, `signed` service index -> customers who signed. Default: nothing."""

    def logged_segments(self, k: int, service) -> np.ndarray:
        """Segments (a mask over SEGMENT_NAMES) logged every month even without contacts
        (learning: those it sets terms for). Default: none, only the segments contacted."""
        from gridvalue.simulation.services.base import SEGMENT_NAMES

        return np.zeros(len(SEGMENT_NAMES), dtype=bool)

    def log(self, date, service, picked: np.ndarray, value: np.ndarray | None,
            budget_cny: float) -> None:
        """One row per segment of the month's contacts for `service` (the decision log)."""
        from gridvalue.simulation.services.base import SEGMENT_NAMES

        segment = self.model.market.segment[picked]
        counts = np.bincount(segment, minlength=len(SEGMENT_NAMES))
        values = (np.bincount(segment, weights=value, minlength=len(SEGMENT_NAMES))
                  if value is not None else np.full(len(SEGMENT_NAMES), np.nan))
        cost = service.params.marketing_cost_per_contact
        k = self.model.market.services.index(service)
        threshold = self.score_threshold(k, service)
        shown = self.logged_segments(k, service)
        for s, name in enumerate(SEGMENT_NAMES):
            if counts[s] or shown[s]:
                term, term_value = self.term(k, service, s)
                self.rows.append({"date": date, "strategy": self.name, "service": service.name,
                                  "segment": name, "budget_cny": float(budget_cny),
                                  "contacts": int(counts[s]),
                                  "marketing_cny": float(counts[s] * cost),
                                  "expected_value_cny": float(values[s]),
                                  "score_threshold": float(threshold), "term": term,
                                  "term_value": term_value})

    def frame(self) -> pd.DataFrame:
        """The decision log: per month, service and segment, the budget, the contacts, their
        cost and expected profit, and the credit threshold."""
        frame = pd.DataFrame(self.rows, columns=DECISION_COLUMNS)
        frame["date"] = pd.to_datetime(frame["date"])
        return frame
