"""Enterprise users: industrial, commercial and agricultural."""

from gridvalue.agents.base import CustomerAgent
from gridvalue.simulation.population import SECTORS, SIZE_CLASSES
from gridvalue.simulation.tables import Column


class EnterpriseUser(CustomerAgent):
    table_name = "enterprises"

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
