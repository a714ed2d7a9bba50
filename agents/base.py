"""Customer agents: Mesa agents whose state is a row of the model's struct-of-arrays tables."""

from typing import ClassVar

import mesa
import numpy as np

from gridvalue.agents.choice import (
    Alternatives,
    Decision,
    DecisionRule,
    choose,
    leaves_contract,
    stays_on_package,
)
from gridvalue.simulation.tables import Column


class CustomerAgent(mesa.Agent):
    """A customer: `row` in its type table, `customer` in the shared customer table."""

    table_name: ClassVar[str]
    customer_type: ClassVar[int]  # population.HOUSEHOLD, ENTERPRISE or MICROGRID

    annual_kwh = Column("customers")
    load_scale = Column("customers")
    pv_kwp = Column("customers")
    price_per_kwh = Column("customers")
    import_kwh = Column("customers")
    export_kwh = Column("customers")
    bill = Column("customers")
    peak_kw = Column("customers")
    default_hazard_per_year = Column("customers")
    discount_rate_per_year = Column("customers")
    efficiency_potential_share = Column("customers")
    credit_score = Column("customers")
    service_paid = Column("customers")
    service_received = Column("customers")

    def __init__(self, model: mesa.Model, row: int, customer: int):
        super().__init__(model)
        self.row = row
        self.customer = customer

    @property
    def transformer(self) -> int:
        return int(self.model.topology.customer_transformer[self.customer])

    @property
    def feeder(self) -> int:
        return int(self.model.topology.customer_feeder[self.customer])

    def __repr__(self) -> str:
        return f"{type(self).__name__}(row={self.row}, customer={self.customer})"

    # ---- decisions, vectorised over all rows of the type ---------------------------------
    @classmethod
    def price_coefficient_sd(cls, choice, customers: np.ndarray, model) -> np.ndarray:
        """Log-sd of the price coefficient of each of these customers (its segment's)."""
        raise NotImplementedError

    @classmethod
    def risk_aversion(cls, choice, customers: np.ndarray, model) -> np.ndarray:
        """Risk premium per unit of uncertain value of each of these customers."""
        raise NotImplementedError

    @classmethod
    def taste_sd(cls, choice, customers: np.ndarray, model) -> np.ndarray:
        """Spread of these customers' persistent taste for a market, in units of the
        market's value-curve scale."""
        return np.full(len(customers), choice.taste_sd_enterprise)

    @classmethod
    def self_finance_rate(cls, choice, customers: np.ndarray, model) -> np.ndarray:
        """Cost of capital at which each of these customers would finance it itself."""
        return np.full(len(customers), choice.self_finance_rate_enterprise_per_year)

    @classmethod
    def decide(cls, model, customers: np.ndarray, alternatives: Alternatives,
               price_coefficient: np.ndarray, neighbour_share: np.ndarray, dt_years: float,
               uniforms: tuple[np.ndarray, np.ndarray, np.ndarray]) -> Decision:
        """One month's choice of these customers (all of this type considering a market):
        the random-utility pick with the type's risk aversion and price coefficients, at the
        Bass pace, within the market ceiling (agents/choice.py)."""
        choice = model.scenario.choice
        rule = DecisionRule(price_coefficient, cls.risk_aversion(choice, customers, model),
                            choice.logit_scale, choice.ceiling == "curve")
        u_pick, u_pace, u_ceiling = uniforms
        return choose(alternatives, rule, neighbour_share, dt_years, u_pick, u_pace, u_ceiling)

    @classmethod
    def leaves_contract(cls, model, exit_gain: np.ndarray, fee: np.ndarray,
                        u: np.ndarray) -> np.ndarray:
        """Early termination: a customer re-evaluates its contract in a month with
        probability 1 - inertia (Power TAC's evaluator, as for packages) and gives notice
        when staying is worth less to it than paying the fee and leaving."""
        return leaves_contract(exit_gain, fee, model.scenario.choice.package_inertia, u)

    @classmethod
    def keeps_package(cls, model, costs_more: np.ndarray, u: np.ndarray) -> np.ndarray:
        """Power TAC's tariff evaluator: a customer re-evaluates its contract in a month with
        probability 1 - inertia and leaves it if last month it cost more than going without."""
        return stays_on_package(costs_more, model.scenario.choice.package_inertia, u)
