"""Residential households."""

from gridvalue.agents.base import CustomerAgent
from gridvalue.simulation.tables import Column


class Household(CustomerAgent):
    table_name = "households"

    size_persons = Column()
    income_per_year = Column()
    roof_kwp = Column()
    flexibility_share = Column()
