"""Nominal terms: general inflation (`growth.inflation_per_year`).

The model runs in real terms by default (every price and rate above inflation). With an
inflation rate i > 0 it runs in nominal money instead:

- retail and wholesale energy prices rise each year by (1 + g)(1 + i) - 1, g their real
  escalation (`[growth]`);
- every discount rate (the company's and the customers' mean rates) is nominal by Fisher,
  (1 + r)(1 + i) - 1, so a real flow inflated at i and discounted at the nominal rate has its
  real value (tests/test_inflation.py);
- the company's costs rise with inflation (`GridCompany.price_level`, one step a year): the
  capacity charge, the data platform's operating and analytics costs, every service's upkeep
  (`MonthFlows.opex`: O&M, maintenance, platform and billing costs, CCHP gas) and marketing
  contacts, in the booked cash (simulation/market.py) and in the value after the horizon,
  where upkeep grows from today's level at the inflation rate (`Service.inflated`);
- the PV export price stays fixed in nominal money (China pays the coal benchmark price for
  exports, unchanged for years; recalled);
- contract terms stay fixed in nominal money (lease rates, fees), as signed contracts do,
  and tax depreciation is on historical cost, so inflation erodes fixed receipts and the
  depreciation tax shield: the real effects of inflation. The capex of a contract signed in
  a later year is not indexed (its cost parameters stay in nominal money; a simplification:
  PV and equipment prices have fallen faster than inflation).
"""

import dataclasses


def nominal_rate(real_rate_per_year: float, inflation_per_year: float) -> float:
    """Fisher: the nominal rate of a real rate under general inflation."""
    return (1.0 + real_rate_per_year) * (1.0 + inflation_per_year) - 1.0


def nominal_scenario(scenario):
    """The scenario in nominal terms (itself when inflation is 0)."""
    g = scenario.growth
    i = g.inflation_per_year
    if not i:
        return scenario
    growth = dataclasses.replace(
        g, tariff_escalation_per_year=nominal_rate(g.tariff_escalation_per_year, i),
        wholesale_escalation_per_year=nominal_rate(g.wholesale_escalation_per_year, i))
    company = dataclasses.replace(
        scenario.company,
        discount_rate_per_year=nominal_rate(scenario.company.discount_rate_per_year, i))
    p = scenario.population
    population = dataclasses.replace(
        p, household_discount_rate_mean=nominal_rate(p.household_discount_rate_mean, i),
        enterprise_discount_rate_mean=nominal_rate(p.enterprise_discount_rate_mean, i))
    return dataclasses.replace(scenario, growth=growth, company=company, population=population)
