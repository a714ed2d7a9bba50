"""Agents are rows: their attributes are views onto the model's struct-of-arrays tables."""

import mesa
import numpy as np

from gridvalue.agents.enterprise import EnterpriseUser
from gridvalue.agents.grid_company import GridCompany
from gridvalue.agents.household import Household
from gridvalue.agents.microgrid import Microgrid


def test_one_agent_per_row_of_each_type(small_model):
    m = small_model
    assert len(m.households) == 300 and len(m.enterprises) == 60 and len(m.microgrids) == 3
    assert len(m.agents_by_type[GridCompany]) == 1
    assert {type(a) for a in m.agents} == {Household, EnterpriseUser, Microgrid, GridCompany}
    assert isinstance(m, mesa.Model)


def test_attributes_are_views_onto_table_rows(small_model):
    m = small_model
    h = m.customer_agent(5)
    assert isinstance(h, Household)
    assert h.annual_kwh == m.customers["annual_kwh"][5]
    assert h.size_persons == m.tables["households"]["size_persons"][5]
    e = m.customer_agent(300 + 7)
    assert isinstance(e, EnterpriseUser) and e.row == 7
    assert e.sector in ("industrial", "commercial", "agricultural")
    old = m.customers["load_scale"][307]
    e.load_scale = 0.8  # writing through the agent writes the table
    assert m.customers["load_scale"][307] == 0.8
    m.customers["load_scale"][307] = old
    mg = m.customer_agent(len(m.customers) - 1)
    assert isinstance(mg, Microgrid)
    assert mg.battery_energy_kwh == m.tables["microgrids"]["battery_energy_kwh"][mg.row]
    assert 0 <= mg.feeder < m.topology.n_feeders


def test_heterogeneity_is_drawn_from_named_streams():
    from gridvalue.simulation.model import GridValueModel

    base = {"meta.days": 1, "population.households": 200, "population.enterprises": 20}
    a = GridValueModel("baseline", seed=5, overrides=base)
    b = GridValueModel("baseline", seed=5, overrides=base | {"population.enterprises": 50})
    # more enterprises change nothing about the households (their own stream)
    np.testing.assert_array_equal(a.customers["annual_kwh"][:200],
                                  b.customers["annual_kwh"][:200])
    h, c = a.tables["households"], a.customers
    assert 2.0 < h["size_persons"].mean() < 3.3
    assert ((h["flexibility_share"] >= 0) & (h["flexibility_share"] <= 1)).all()
    assert ((c["default_hazard_per_year"] >= 0) & (c["default_hazard_per_year"] <= 1)).all()
    assert np.std(c["discount_rate_per_year"]) > 0
