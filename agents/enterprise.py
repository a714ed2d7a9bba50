"""Enterprise users: industrial, commercial and agricultural, and how they choose."""

import numpy as np

from gridvalue.agents.base import CustomerAgent
from gridvalue.simulation.population import ENTERPRISE, SECTORS, SIZE_CLASSES
from gridvalue.simulation.tables import Column


class EnterpriseUser(CustomerAgent):
    """An enterprise chooses like every customer (`CustomerAgent.decide`) with its sector's
    spread of price coefficients (industry the narrowest: engineers compare offers on their
    numbers; farms the widest), enterprises' risk aversion and an SME loan rate for doing it
    itself."""

    table_name = "enterprises"
    customer_type = ENTERPRISE

    sector_code = Column(column="sector")
    size_class_code = Column(column="size_class")
    roof_kwp = Column()
    flexibility_share = Column()

    @property
    def sector(self) -> str:
        return SECTORS[self.sector_code]

    @property
    def size_class(self) -> str:
        return SIZE_CLASSES[self.size_class_code]

    @classmethod
    def price_coefficient_sd(cls, choice, customers, model) -> np.ndarray:
        by_sector = np.array([getattr(choice, f"price_coefficient_sd_{s}") for s in SECTORS])
        return by_sector[model.customers["sector"][customers]]

    @classmethod
    def risk_aversion(cls, choice, customers, model) -> np.ndarray:
        return np.full(len(customers), choice.risk_aversion_enterprise)
