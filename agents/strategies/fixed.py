"""`fixed`: the scenario's terms, contact counts and thresholds (the model's behaviour before
strategies)."""

import numpy as np

from gridvalue.agents.strategies.base import Strategy


class Fixed(Strategy):
    """Contact up to `contacts_per_month` customers per service: those with the highest
    expected profit per contact where the service can value a contact
    (`Service.expected_contact_value`), in the random order of `priority` otherwise, among
    equals, and for every service with `company.fixed_contacts = "random"`."""

    name = "fixed"

    def contacts(self, k, service, pool, priority, date) -> np.ndarray:
        n = min(service.params.contacts_per_month, len(pool))
        if n == 0:
            return pool[:0]
        value = service.expected_contact_value(pool)
        if value is None or self.model.scenario.company.fixed_contacts == "random":
            order = np.argsort(priority[pool], kind="stable")
        else:
            order = np.lexsort((priority[pool], -value))
            if self.model.scenario.company.contact_positive_value_only:
                order = order[value[order] > 0]
        picked = pool[order[:n]]
        self.log(date, service, picked, None if value is None else value[order[:n]],
                 service.params.contacts_per_month * service.params.marketing_cost_per_contact)
        return picked
