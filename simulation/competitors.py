"""Competitors' contract books: who chose a competitor, on what terms, what they pay it.

A competitor (`[competitors.NAME]`) offers one registered service's contract on its own terms;
its offer is that service's class built with those terms (`rival`). A customer who takes it
signs a contract in the competitor's own book (`rival.contracts`), and the rival's own
machinery then does what the company's contract would: its PV generates on the roof
(`apply_load`), its retrofit lowers the load, its contract bills each month (`settle_month`),
defaults on the customer's monthly default draw (the one the company's contracts use) and
ends at its term.

The money goes to the competitor's own ledger (`ledger`, one line per competitor), never to
the company's ledger, its NPV or its taxes: the customer's payments to it (`revenue`), what it
pays the customer (`payments_to_customers`), its upkeep (`opex`), the installed cost
(`capex`) and what a repossessed asset brings back (`recoveries`). Per customer it keeps what
customers paid competitors and received from them (`paid`, `received`), for the all-party
money identity (tests/test_books.py). The bill effect, per contract: the month's bill
saving the contract brings its customer at its own prices (`bill_saving`: self-used PV at its
tariff plus the export credit, or saved kWh at its tariff), and the company's energy margin
that saving takes (`margin_taken`), both informative, not cash between parties.
"""

import numpy as np
import pandas as pd

from gridvalue.simulation.contracts import ACTIVE, COMPLETED, STATUS_NAMES
from gridvalue.simulation.credit import book_defaults
from gridvalue.simulation.ledger import Ledger

CONTRACT_COLUMNS = ["competitor", "offer", "customer", "start_day", "term_months",
                    "months_settled", "status", "capex", "received", "paid_out", "recovered",
                    "bill_saving", "margin_taken"]


class CompetitorBooks:
    """Every competitor's contracts and cash in a run (empty when there are none)."""

    def __init__(self, model, competitors: list):
        """`competitors`: the market's (name, spec, rival) triples."""
        self.model = model
        self.names = [name for name, _, _ in competitors]
        self.offers = [spec.offer for _, spec, _ in competitors]
        self.rivals = [rival for _, _, rival in competitors]
        self.ledger = Ledger(model.dates[0], lines=tuple(r.name for r in self.rivals))
        n = len(model.customers)
        self.paid = np.zeros(n)  # customer -> competitors, to date
        self.received = np.zeros(n)  # competitors -> customer, to date
        self.bill_saving = [np.zeros(0) for _ in self.rivals]  # per contract, to date
        self.margin_taken = [np.zeros(0) for _ in self.rivals]

    # ---- signing and each day ------------------------------------------------------------
    def sign(self, index: int, customers: np.ndarray, day: int, date) -> None:
        """These customers chose competitor `index`: its contracts, its capex."""
        rival = self.rivals[index]
        capex = rival.sign(customers, day)
        grow = len(rival.contracts) - len(self.bill_saving[index])
        self.bill_saving[index] = np.concatenate([self.bill_saving[index], np.zeros(grow)])
        self.margin_taken[index] = np.concatenate([self.margin_taken[index], np.zeros(grow)])
        self.ledger.book(date, rival.name, "capex", -np.sum(capex))

    def apply_load(self, day: int, net_kw: np.ndarray, prices) -> None:
        for rival in self.rivals:
            rival.apply_load(day, net_kw, prices)

    def observe_day(self, day: int, net_kw: np.ndarray, prices) -> None:
        for rival in self.rivals:
            rival.observe_day(day, net_kw, prices)

    # ---- the last day of the month -------------------------------------------------------
    def settle(self, date, month_share: float, u_default: np.ndarray) -> None:
        """Each competitor's month: contract cash, then defaults (the customers' monthly
        draw `u_default`), then contracts reaching their term; then the effects that outlast
        their contracts."""
        for index, rival in enumerate(self.rivals):
            book = rival.contracts
            after = rival.after_rows()
            rows = book.active()
            if len(rows):
                self._settle_rows(index, rows, date, month_share)
                if rival.credit_exposed:
                    book_defaults(rival, rows, u_default,
                                  self.model.customers["default_hazard_per_year"], self.ledger,
                                  date)
                rows = book.active()
                ended = rows[book["months_settled"][rows] >= book["term_months"][rows]]
                book["status"][ended] = COMPLETED
                rival.on_end(ended)
            if len(after):
                self.margin_taken[index][after] += rival.settle_after(after)

    def _settle_rows(self, index: int, rows: np.ndarray, date, month_share: float) -> None:
        rival = self.rivals[index]
        book = rival.contracts
        flows = rival.settle_month(rows, month_share)
        who = book["customer"][rows]
        np.add.at(self.paid, who, flows.customer_pays)
        np.add.at(self.received, who, flows.company_pays)
        book["received"][rows] += flows.customer_pays
        book["paid_out"][rows] += flows.company_pays + flows.opex
        book["months_settled"][rows] += 1
        self.bill_saving[index][rows] += bill_saving(self.model, who, flows)
        self.margin_taken[index][rows] += flows.margin_lost
        ledger = self.ledger
        ledger.book(date, rival.name, "revenue", flows.customer_pays.sum())
        ledger.book(date, rival.name, "payments_to_customers", -flows.company_pays.sum())
        ledger.book(date, rival.name, "opex", -flows.opex.sum())

    # ---- results -------------------------------------------------------------------------
    def contract_frame(self) -> pd.DataFrame:
        """Every competitor contract: who, the offer, status, cash and bill effect, then the
        columns its offer's service keeps per contract (its terms and meters: a PV system's
        kWp and metered kWh, a retrofit's shares, ...; empty where a competitor's offer has
        no such column)."""
        frames = []
        for index, rival in enumerate(self.rivals):
            book = rival.contracts
            if len(book) == 0:
                continue
            frame = pd.DataFrame({name: book[name] for name in CONTRACT_COLUMNS[2:11]})
            frame.insert(0, "offer", self.offers[index])
            frame.insert(0, "competitor", self.names[index])
            frame["bill_saving"] = self.bill_saving[index]
            frame["margin_taken"] = self.margin_taken[index]
            # the offer's own columns (no npv_to_date: the company's NPV, never theirs)
            for name in sorted(set(book.columns) - set(frame.columns) - {"npv_to_date"}):
                frame[name] = book[name]
            frames.append(frame)
        if not frames:
            out = pd.DataFrame({name: [] for name in CONTRACT_COLUMNS})
            out["status"] = out["status"].astype(np.int8)
        else:
            out = pd.concat(frames, ignore_index=True)
        out["status"] = pd.Categorical.from_codes(out["status"].astype(int), STATUS_NAMES)
        return out

    def ledger_frame(self) -> pd.DataFrame:
        """The competitors' cash by month, competitor line and item (+ received, - paid)."""
        return self.ledger.to_frame()

    def active_count(self) -> int:
        return int(sum((r.contracts["status"] == ACTIVE).sum() for r in self.rivals))


def bill_saving(model, customers: np.ndarray, flows) -> np.ndarray:
    """What a contract's month takes off its customer's grid bill at the customer's prices:
    PV (`generated_kwh` given): the self-used kWh at the tariff plus the export credit of the
    rest; efficiency: the saved kWh at the tariff; other services: 0 (not measured)."""
    price = model.customers["price_per_kwh"][customers]
    saved = flows.saved_kwh if len(flows.saved_kwh) else np.zeros(len(customers))
    if len(flows.generated_kwh):
        export = model.scenario.tariff.export_price_per_kwh
        return saved * price + (flows.generated_kwh - saved) * export
    return saved * price
