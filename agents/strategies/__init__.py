"""The grid company's strategies: how it spends its marketing, which terms it offers and whom
it screens out, chosen by `[company] strategy`. The market (simulation/market.py) asks the
company's strategy each month whom to contact for each service and which credit threshold to
apply; the strategy decides from the data platform's estimates and what the company has seen
of its own offers, never from a customer's hidden parameters.

- `fixed`: the scenario's terms and contact counts (today's behaviour).
- `targeted`: one monthly marketing budget shared across services and segments, spent on the
  contacts with the highest expected profit (every service: `Service.contact_value`).
- `peak_targeted`: as `targeted`, with the value of deferring network reinforcement added to
  demand-side offers aimed at customers behind tight transformers.
- `learning`: as `targeted`, with acceptance by segment and term level, terms (Thompson
  sampling over each service's term menu) and credit thresholds learnt from what its own
  offers bring (agents/strategies/learning.py).
"""

from gridvalue.agents.strategies.base import Strategy
from gridvalue.agents.strategies.fixed import Fixed
from gridvalue.agents.strategies.learning import Learning
from gridvalue.agents.strategies.targeted import PeakTargeted, Targeted

STRATEGIES: dict[str, type[Strategy]] = {cls.name: cls for cls in (Fixed, Targeted,
                                                                   PeakTargeted, Learning)}


def make_strategy(model) -> Strategy:
    """The strategy `[company] strategy` names, for this model."""
    return STRATEGIES[model.scenario.company.strategy](model)
