"""Customer microgrids: member loads behind one connection point, with PV and a battery."""

import numpy as np

from gridvalue.agents.base import CustomerAgent
from gridvalue.simulation.population import MICROGRID
from gridvalue.simulation.tables import Column


class Microgrid(CustomerAgent):
    """A microgrid operator chooses like every customer (`CustomerAgent.decide`) with
    microgrids' spread of price coefficients, enterprises' risk aversion and their loan
    rate."""

    table_name = "microgrids"
    customer_type = MICROGRID

    members = Column()
    battery_power_kw = Column()
    battery_energy_kwh = Column()

    @property
    def battery_soc_kwh(self) -> float:
        return float(self.model.batteries.soc_kwh[self.row])

    @classmethod
    def price_coefficient_sd(cls, choice, customers, model) -> np.ndarray:
        return np.full(len(customers), choice.price_coefficient_sd_microgrid)

    @classmethod
    def risk_aversion(cls, choice, customers, model) -> np.ndarray:
        return np.full(len(customers), choice.risk_aversion_enterprise)
