"""`targeted` and `peak_targeted`: one monthly marketing budget, spent on the contacts with
the highest expected profit across every service and segment.

Each month the company values a contact of each open customer for each service
(`Service.contact_value`: its estimated acceptance, from its own estimate of the choice
model, times the contract's estimated NPV, from the data platform's estimates), less the
contact's cost, and contacts the best ones until the budget is spent (`budget_split =
"shared"`), or spends an equal share of the budget on each service's best
(`"equal"`: the same total, the benchmark of one shared budget).

`peak_targeted` adds to demand-side offers (pricing, efficiency, equipment) the value of the
peak relief they bring behind tight transformers: the estimated acceptance times the relief
(the customer's estimated peak contribution times its estimated flexibility, or savings
share) times the capacity deferral cost per kW-year over the term, where the company's
estimate of the transformer's peak (the sum of its customers' estimated peak contributions)
is at least `tight_loading_share` of its rating.
"""

import numpy as np

from gridvalue.agents.strategies.base import Strategy

DEMAND_SIDE = ("pricing", "efficiency", "equipment")


class Targeted(Strategy):
    name = "targeted"

    def __init__(self, model):
        super().__init__(model)
        self.planned: dict[int, np.ndarray] = {}
        self.values: dict[int, np.ndarray] = {}
        self.budgets: dict[int, float] = {}

    def budget(self, services) -> float:
        """The month's marketing budget (CNY): `company.marketing_budget_per_month`, or where
        that is 0 what the services' own contact counts cost (the same spend as `fixed`)."""
        own = self.model.scenario.company.marketing_budget_per_month
        if own > 0:
            return own
        return float(sum(s.params.contacts_per_month * s.params.marketing_cost_per_contact
                         for s in services))

    def extra_value(self, service, pool: np.ndarray) -> np.ndarray:
        """Value of a contact beyond the contract's cash (peak_targeted: deferral)."""
        return np.zeros(len(pool))

    def value_of_contacts(self, service, pool: np.ndarray, months_left: int) -> np.ndarray:
        """Expected profit of making each customer of `pool` aware now: the chance it signs
        in the months left of the run, 1 - (1 - a)^months with a the estimated acceptance
        per month, times the contract's value (later signings undiscounted)."""
        a = np.clip(service.acceptance_estimate(pool), 0.0, 1.0)
        per_month = service.contact_value(pool) + self.extra_value(service, pool)
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(a > 0, -np.expm1(months_left * np.log1p(-np.minimum(a, 1 - 1e-12)))
                             / a, months_left)
        return per_month * scale

    def plan(self, market, date) -> None:
        services = market.services
        n = len(self.model.customers)
        total = self.budget(services)
        months_left = max(int(round((self.model.days - self.model.steps) / 30.4375)), 1)
        rows = []  # (service index, customers, net value per contact, cost per contact)
        for k, service in enumerate(services):
            pool = np.flatnonzero(market._open(k, service, service.eligible())
                                  & ~market.aware[k])
            value = np.zeros(0)
            if len(pool):
                value = self.value_of_contacts(service, pool, months_left)
            rows.append((k, pool, value, service.params.marketing_cost_per_contact))
        self.planned = {k: np.zeros(n, dtype=bool) for k in range(len(services))}
        self.values = {k: np.zeros(n) for k in range(len(services))}
        split = self.model.scenario.company.budget_split
        groups = [rows] if split == "shared" else [[r] for r in rows]
        share = total if split == "shared" else total / max(len(services), 1)
        for k, pool, value, _ in rows:
            self.values[k][pool] = value
            self.budgets[k] = share if split == "equal" else total
        for group in groups:
            self._spend(group, share)

    def _spend(self, rows, budget: float) -> None:
        """Contact the best (service, customer) pairs of `rows` while the budget lasts: the
        highest net expected profit first (ties: service order, then customer index)."""
        ks = np.concatenate([np.full(len(p), k) for k, p, _, _ in rows]) if rows else []
        if len(ks) == 0:
            return
        who = np.concatenate([p for _, p, _, _ in rows])
        cost = np.concatenate([np.full(len(p), c) for _, p, _, c in rows])
        net = np.concatenate([v for _, _, v, _ in rows]) - cost
        order = np.lexsort((who, ks, -net))
        order = order[net[order] > 0]
        spent = np.cumsum(cost[order])
        take = order[spent <= budget + 1e-9]
        for k in np.unique(ks[take]):
            mine = take[ks[take] == k]
            self.planned[int(k)][who[mine]] = True

    def contacts(self, k, service, pool, priority, date) -> np.ndarray:
        plan = self.planned.get(k)
        picked = pool[plan[pool]] if plan is not None else pool[:0]
        if len(picked) or self.budgets.get(k):
            self.log(date, service, picked, self.values[k][picked], self.budgets.get(k, 0.0))
        return picked


class PeakTargeted(Targeted):
    name = "peak_targeted"

    def __init__(self, model):
        super().__init__(model)
        self._tight = None

    def plan(self, market, date) -> None:
        self._tight = None  # re-read each month: the transformer meters have seen more
        super().plan(market, date)

    def tight_customers(self) -> np.ndarray:
        """Customers behind a transformer whose peak is at least `tight_loading_share` of its
        rating: the larger of the platform's estimate (its customers' estimated peak
        contributions) and the peak the company's own transformer meters have measured in
        the run to date (network data, not a customer's hidden parameter)."""
        if self._tight is None:
            topo, c = self.model.topology, self.model.customers
            peak = np.bincount(topo.customer_transformer,
                               weights=c["peak_contribution_estimate_kw"],
                               minlength=len(topo.transformer_rating_kw))
            peak = np.maximum(peak, self.model.transformer_peak_kw)
            loading = peak / np.maximum(topo.transformer_rating_kw, 1e-9)
            share = self.model.scenario.company.tight_loading_share
            self._tight = (loading >= share)[topo.customer_transformer]
        return self._tight

    def relief_kw(self, service, pool: np.ndarray) -> np.ndarray:
        """The company's estimate of the peak kW a contract would take off: the customer's
        estimated peak contribution times its estimated flexibility (pricing) or savings
        share (efficiency, equipment)."""
        c = self.model.customers
        peak = c["peak_contribution_estimate_kw"][pool]
        if service.family == "pricing":
            return peak * c["flexibility_estimate_share"][pool]
        return peak * c["efficiency_estimate_share"][pool]

    def extra_value(self, service, pool: np.ndarray) -> np.ndarray:
        if service.family not in DEMAND_SIDE:
            return np.zeros(len(pool))
        company = self.model.scenario.company
        years = np.arange(1, service.params.term_months // 12 + 1)
        annuity = float(((1.0 + company.discount_rate_per_year) ** -years).sum())
        value = (self.relief_kw(service, pool) * company.deferral_cost_per_kw_year * annuity
                 * self.tight_customers()[pool])
        return service.acceptance_estimate(pool) * value
