"""Residential households, and how they choose."""

import numpy as np

from gridvalue.agents.base import CustomerAgent
from gridvalue.simulation.population import HOUSEHOLD
from gridvalue.simulation.tables import Column


class Household(CustomerAgent):
    """A household chooses like every customer (`CustomerAgent.decide`), with households'
    spread of price coefficients, their risk aversion and a consumer loan rate for doing it
    itself; on a price package it re-evaluates now and then and goes back to flat prices when
    the package cost it more (`CustomerAgent.keeps_package`, Power TAC's evaluator)."""

    table_name = "households"
    customer_type = HOUSEHOLD

    size_persons = Column()
    income_per_year = Column()
    roof_kwp = Column()
    flexibility_share = Column()

    @classmethod
    def price_coefficient_sd(cls, choice, customers, model) -> np.ndarray:
        return np.full(len(customers), choice.price_coefficient_sd_household)

    @classmethod
    def risk_aversion(cls, choice, customers, model) -> np.ndarray:
        return np.full(len(customers), choice.risk_aversion_household)

    @classmethod
    def taste_sd(cls, choice, customers, model) -> np.ndarray:
        return np.full(len(customers), choice.taste_sd_household)

    @classmethod
    def self_finance_rate(cls, choice, customers, model) -> np.ndarray:
        return np.full(len(customers), choice.self_finance_rate_household_per_year)
