"""`learning`: the company learns during the run which terms sell and whom to screen out.

Acceptance. For each service and segment, and each level of the service's term menu
(`services.NAME.term_field`, `term_menu`: values of one of the terms a contract fixes at
signing), the company holds a Beta belief on the chance that a customer who faces the offer
signs in a month. Its prior mean is the company's own estimate of the choice model
(`Service.acceptance_estimate` at that level, averaged over the segment's eligible
customers), worth `learning_prior_contacts` observations. Each month it draws one acceptance
per segment and level from its beliefs (Thompson sampling) and offers each segment the level
of highest sampled expected profit over the segment's open customers (acceptance x the
contract's estimated NPV at that level: `Service.term_by_segment`), and after the month's
decisions counts, per segment, the customers who faced the offer and those who signed (its
own offers' outcomes), and updates.
Services without a menu keep their terms and learn their acceptance the same way.

Budget. Marketing is spent as by `targeted` (one budget, highest expected profit per
contact), with the month's sampled acceptance of the customer's segment in place of the
prior estimate, so the split across services and segments follows what it observes (and
explores where its beliefs are still wide).

Screening. For credit-exposed services, the company counts its contracts' months at risk and
defaults by credit-score band (deciles) and holds a Beta belief on the monthly default
chance of each band, its prior mean the platform's estimated hazards of the band's customers,
worth `learning_prior_contracts` contract-months. Its threshold is the lowest band edge
above which every band's believed annual default rate is within
`learning_max_default_per_year` (never below the service's own `score_threshold`).
"""

import numpy as np

from gridvalue.agents.strategies.targeted import Targeted
from gridvalue.simulation.contracts import ACTIVE, DEFAULTED
from gridvalue.simulation.services.base import SEGMENT_NAMES

BANDS = np.arange(0.0, 100.0, 10.0)  # lower edges of the credit-score bands


class Learning(Targeted):
    name = "learning"

    def __init__(self, model):
        super().__init__(model)
        self.rng = model.streams["strategy:learning"]  # its own stream: shifts no other draws
        self.levels: dict[int, tuple[float, ...]] = {}
        self.alpha: dict[int, np.ndarray] = {}  # (segments, levels) acceptance beliefs
        self.beta: dict[int, np.ndarray] = {}
        self.level: dict[int, np.ndarray] = {}  # (segments,) the menu level offered
        self.acceptance: dict[int, np.ndarray] = {}  # (segments,) believed at chosen level
        self.thresholds: dict[int, float] = {}
        self._at_risk = np.zeros(len(BANDS))
        self._defaults = np.zeros(len(BANDS))
        self._seen_default: dict[int, np.ndarray] = {}
        self._started = False

    # ---- beliefs ------------------------------------------------------------------------
    def _segments(self) -> np.ndarray:
        return self.model.market.segment

    def _offer_level(self, service, values) -> None:
        """Offer `term_field` at `values` (one per segment, or one for all segments)."""
        if service.params.term_field:
            service.term_by_segment = np.broadcast_to(
                np.asarray(values, dtype=float), (len(SEGMENT_NAMES),)).copy()

    def _start(self, market) -> None:
        """Priors from the company's estimate of the choice model, per segment and level."""
        strength = self.model.scenario.company.learning_prior_contacts
        seg, n_seg = self._segments(), len(SEGMENT_NAMES)
        for k, service in enumerate(market.services):
            p = service.params
            levels = p.term_menu if p.term_field else (0.0,)
            self.levels[k] = tuple(levels)
            prior = np.zeros((n_seg, len(levels)))
            eligible = np.flatnonzero(service.eligible())
            for j, value in enumerate(levels):
                self._offer_level(service, value)
                if len(eligible):
                    a = np.clip(service.acceptance_estimate(eligible), 1e-6, 1 - 1e-6)
                    total = np.bincount(seg[eligible], weights=a, minlength=n_seg)
                    count = np.bincount(seg[eligible], minlength=n_seg)
                    prior[:, j] = np.where(count > 0, total / np.maximum(count, 1), a.mean())
                else:
                    prior[:, j] = 1e-3
            # optimism: at least `learning_prior_signings` pseudo-signings per level, so that
            # levels the company's model rates low are still tried (0: the model's mean)
            self.alpha[k] = np.maximum(strength * prior,
                                       self.model.scenario.company.learning_prior_signings)
            self.beta[k] = strength * (1.0 - prior)
            self.level[k] = np.zeros(n_seg, dtype=np.int64)  # the menu's first level
            self._offer_level(service, levels[0])
        self._started = True

    def _observe_defaults(self, market) -> None:
        """Months at risk and new defaults of the company's credit-exposed contracts, by the
        credit-score band of their customers."""
        score = self.model.customers["credit_score"]
        for k, service in enumerate(market.services):
            if not service.credit_exposed:
                continue
            book = service.contracts
            if len(book) == 0:
                continue
            seen = self._seen_default.get(k, np.zeros(0, dtype=bool))
            seen = np.concatenate([seen, np.zeros(len(book) - len(seen), dtype=bool)])
            status = book["status"]
            band = np.minimum((score[book["customer"]] // 10).astype(int), len(BANDS) - 1)
            new = (status == DEFAULTED) & ~seen
            self._defaults += np.bincount(band[new], minlength=len(BANDS))
            self._at_risk += np.bincount(band[(status == ACTIVE) | new], minlength=len(BANDS))
            self._seen_default[k] = seen | new

    def _default_rates(self) -> np.ndarray:
        """Believed annual default rate of each score band."""
        c, company = self.model.customers, self.model.scenario.company
        band = np.minimum((c["credit_score"] // 10).astype(int), len(BANDS) - 1)
        hazard = np.clip(c["default_hazard_estimate_per_year"], 0.0, 1.0)
        monthly = 1.0 - (1.0 - hazard) ** (1.0 / 12.0)
        count = np.bincount(band, minlength=len(BANDS))
        prior = np.where(count > 0, np.bincount(band, weights=monthly, minlength=len(BANDS))
                         / np.maximum(count, 1), monthly.mean())
        s = company.learning_prior_contracts
        month = (self._defaults + s * prior) / (self._at_risk + s)
        return 1.0 - (1.0 - month) ** 12

    def _threshold(self, service, rates: np.ndarray) -> float:
        limit = self.model.scenario.company.learning_max_default_per_year
        ok = rates <= limit
        edge = 100.0
        for b in range(len(BANDS) - 1, -1, -1):  # the lowest edge above which all bands pass
            if not ok[b]:
                break
            edge = BANDS[b]
        return max(service.params.score_threshold, edge)

    # ---- the month --------------------------------------------------------------------------
    def plan(self, market, date) -> None:
        if not self._started:
            self._start(market)
        self._observe_defaults(market)
        rates = self._default_rates()
        seg = self._segments()
        for k, service in enumerate(market.services):
            self.thresholds[k] = (self._threshold(service, rates) if service.credit_exposed
                                  else service.params.score_threshold)
        n_seg = len(SEGMENT_NAMES)
        for k, service in enumerate(market.services):
            draw = self.rng.beta(self.alpha[k], self.beta[k])  # (segments, levels)
            levels = self.levels[k]
            if len(levels) > 1:
                open_ = np.flatnonzero(market._open(k, service, service.eligible()))
                worth = np.zeros((n_seg, len(levels)))  # sampled expected profit
                for j, value in enumerate(levels):
                    self._offer_level(service, value)
                    if len(open_):
                        worth[:, j] = np.bincount(
                            seg[open_], minlength=n_seg,
                            weights=draw[seg[open_], j] * service.contract_value_estimate(open_))
                self.level[k] = worth.argmax(axis=1)  # per segment (ties: the first level)
                self._offer_level(service, np.asarray(levels)[self.level[k]])
            self.acceptance[k] = draw[np.arange(n_seg), self.level[k]]  # it explores too
        super().plan(market, date)

    def value_of_contacts(self, service, pool, months_left) -> np.ndarray:
        """As `targeted`, with the acceptance learnt for the customer's segment."""
        k = self.model.market.services.index(service)
        a = np.clip(self.acceptance[k][self._segments()[pool]], 1e-9, 1 - 1e-9)
        eventually = -np.expm1(months_left * np.log1p(-a))
        return eventually * service.contract_value_estimate(pool)

    def logged_segments(self, k: int, service) -> np.ndarray:
        """The segments a service with a menu is offered to: their terms are logged monthly."""
        shown = np.zeros(len(SEGMENT_NAMES), dtype=bool)
        if len(self.levels.get(k, ())) > 1:
            shown[np.unique(self._segments()[service.eligible()])] = True
        return shown

    def score_threshold(self, k: int, service) -> float:
        return self.thresholds.get(k, service.params.score_threshold)

    def observe(self, offered: np.ndarray, signed: dict, date) -> None:
        """After the month's decisions: per service and segment, who faced the offer at its
        level and who signed."""
        seg = self._segments()
        n_seg = len(SEGMENT_NAMES)
        for k in self.alpha:
            faced = np.bincount(seg[offered[k]], minlength=n_seg).astype(float)
            took = np.bincount(seg[signed.get(k, np.zeros(0, dtype=np.int64))],
                               minlength=n_seg).astype(float)
            took = np.minimum(took, faced)
            rows, j = np.arange(n_seg), self.level[k]
            self.alpha[k][rows, j] += took
            self.beta[k][rows, j] += faced - took
