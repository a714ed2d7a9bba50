"""Customer microgrids: member loads behind one connection point, with PV and a battery."""

from gridvalue.agents.base import CustomerAgent
from gridvalue.simulation.tables import Column


class Microgrid(CustomerAgent):
    table_name = "microgrids"

    members = Column()
    battery_power_kw = Column()
    battery_energy_kwh = Column()

    @property
    def battery_soc_kwh(self) -> float:
        return float(self.model.batteries.soc_kwh[self.row])
