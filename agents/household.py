"""Residential households."""

from gridvalue.agents.base import CustomerAgent
from gridvalue.simulation.tables import Column


class Household(CustomerAgent):
    table_name = "households"

    size_persons = Column()
    income_per_year = Column()
    roof_kwp = Column()
    default_hazard_per_year = Column()
    flexibility_share = Column()
    discount_rate_per_year = Column()
