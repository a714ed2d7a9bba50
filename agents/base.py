"""Customer agents: Mesa agents whose state is a row of the model's struct-of-arrays tables."""

from typing import ClassVar

import mesa

from gridvalue.simulation.tables import Column


class CustomerAgent(mesa.Agent):
    """A customer: `row` in its type table, `customer` in the shared customer table."""

    table_name: ClassVar[str]

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
