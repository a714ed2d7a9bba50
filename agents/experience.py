"""Customers' memory: trust in the company from their own and their neighbours' experience,
and the cooling-off after a refusal.

Each month (before the decisions) every contract that defaulted since the last look costs its
customer `trust_loss_default` of trust in the company (a repossession is a default), and every
contract judged for the first time, once a month of savings has been measured, costs
`trust_loss_shortfall` when its realised savings fell short of the promise by more than the
tolerance and earns `trust_gain` when they met it. Customers see their neighbours' experience
too: each takes `trust_neighbour_share` of the mean change of its social neighbours who hold
or held contracts (word of mouth, negative as well as positive). Trust adds to the utility of
the company's offers (agents/choice.py).
"""

import numpy as np

from gridvalue.simulation.contracts import DEFAULTED


class Experience:
    """Trust per customer, and per market the month from which a refuser reconsiders."""

    def __init__(self, model, social, markets: list[str]):
        self.model = model
        self.social = social
        choice = model.scenario.choice
        self.params = choice
        n = len(model.customers)
        self.trust_bill_years = np.full(n, choice.trust_initial_bill_years)
        self.reconsider_month = {m: np.zeros(n, dtype=np.int64) for m in markets}
        self.holder = np.zeros(n, dtype=bool)  # ever held a company contract
        self._defaults_seen: dict[str, np.ndarray] = {}
        self._judged: dict[str, np.ndarray] = {}

    def may_consider(self, market: str, month: int) -> np.ndarray:
        return self.reconsider_month[market] <= month

    def refused(self, market: str, customers: np.ndarray, month: int) -> None:
        self.reconsider_month[market][customers] = month + 1 + self.params.cooling_off_months

    def update(self, services) -> np.ndarray:
        """Take in the experience since the last call; return the change of trust."""
        p, n = self.params, len(self.trust_bill_years)
        own = np.zeros(n)
        for service in services:
            book = service.contracts
            size = len(book)
            if size == 0:
                continue
            who = book["customer"]
            self.holder[who] = True
            seen = _grown(self._defaults_seen, service.name, size)
            new = (book["status"] == DEFAULTED) & ~seen
            np.add.at(own, who[new], -p.trust_loss_default_bill_years)
            seen |= new
            judged = _grown(self._judged, service.name, size)
            rows = np.flatnonzero(~judged & (book["months_settled"] >= 1)
                                  & (book["status"] != DEFAULTED))
            ratio = service.realised_vs_promised(rows) if len(rows) else None
            if ratio is not None:
                short = ratio < 1.0 - p.shortfall_tolerance_share
                np.add.at(own, who[rows], np.where(short, -p.trust_loss_shortfall_bill_years,
                                                   np.where(ratio >= 1.0,
                                                            p.trust_gain_bill_years, 0.0)))
                judged[rows] = True
        if not own.any():
            return own
        # the mean change of a customer's neighbours who hold contracts: what it hears
        heard = self.social.neighbour_share(own)
        holders = self.social.neighbour_share(self.holder)
        word = np.divide(heard, holders, out=np.zeros(n), where=holders > 0)
        change = own + p.trust_neighbour_share * word
        self.trust_bill_years += change
        return change


def _grown(store: dict[str, np.ndarray], name: str, size: int) -> np.ndarray:
    """The flag array of `name`, grown to `size` rows (new rows False)."""
    old = store.get(name, np.zeros(0, dtype=bool))
    if len(old) < size:
        old = np.concatenate([old, np.zeros(size - len(old), dtype=bool)])
        store[name] = old
    return old
