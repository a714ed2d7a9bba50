"""Corporate income tax on each service line, with the EPC tax holiday.

A line's taxable income in a calendar year is its cash booked in the ledger that year except
capex and the margin its effects take (service revenue less VAT, subsidies, recoveries, less
upkeep, payments to customers and marketing), less straight-line tax depreciation of its capex
(`taxes.depreciation_years`) and the undepreciated capex of contracts that defaulted. The tax
is `income_tax_rate` x max(taxable income, 0) (no loss carry-forward), booked as
`income_tax` in December or at the horizon's last settlement. Efficiency lines pay nothing
in the first three calendar years of the run and half in the next three where
`epc_income_tax_holiday` (Caishui [2010] 110, recalled).

VAT and subsidies are booked with each month's contract cash (simulation/market.py).
"""

from collections import defaultdict

import numpy as np

from gridvalue.simulation.contracts import DEFAULTED

UNTAXED = ("capex", "margin_lost", "income_tax")


class IncomeTax:
    """Depreciation and disposals by line and year, and the yearly income tax."""

    def __init__(self, model, lines: list[str], efficiency_lines: set[str]):
        self.model = model
        self.lines = lines
        self.efficiency = efficiency_lines
        self._deductions: dict[tuple[int, str], float] = defaultdict(float)
        self.booked_years: set[int] = set()

    def _life_months(self) -> float:
        return self.model.scenario.taxes.depreciation_years * 12.0

    def depreciate(self, service, rows: np.ndarray, date) -> None:
        """One month of depreciation of these contracts' capex (not defaulted, in life)."""
        book = service.contracts
        live = rows[(book["status"][rows] != DEFAULTED)
                    & (book["months_settled"][rows] <= self._life_months())]
        self._deductions[(date.year, service.name)] += book["capex"][live].sum() / \
            self._life_months()

    def dispose(self, service, rows: np.ndarray, date) -> None:
        """Defaulted contracts: their undepreciated capex is deductible."""
        book = service.contracts
        left = np.clip(1.0 - book["months_settled"][rows] / self._life_months(), 0.0, 1.0)
        self._deductions[(date.year, service.name)] += (book["capex"][rows] * left).sum()

    def holiday_factor(self, line: str, year: int) -> float:
        t = self.model.scenario.taxes
        if line not in self.efficiency or not t.epc_income_tax_holiday:
            return 1.0
        age = year - self.model.scenario.meta.start_date.year
        return 0.0 if age < 3 else 0.5 if age < 6 else 1.0

    def taxable_income(self, line: str, year: int) -> float:
        cash = self.model.company.ledger.year_total(line, year, UNTAXED)
        return cash - self._deductions[(year, line)]

    def book_income_tax(self, date) -> None:
        """The year's income tax of every line (once per calendar year)."""
        if date.year in self.booked_years:
            return
        self.booked_years.add(date.year)
        rate = self.model.scenario.taxes.income_tax_rate
        for line in self.lines:
            tax = rate * self.holiday_factor(line, date.year) * max(
                self.taxable_income(line, date.year), 0.0)
            if tax:
                self.model.company.ledger.book(date, line, "income_tax", -tax)
