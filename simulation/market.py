"""The market for services: awareness, targeting, screening, choice, contracts and their cash.

Runs in the model's pipeline: `decide` on the first day of each month (offer + decide), and
`settle` on the last day of each month (contract cash, defaults, term ends). Services supply
what is specific to them (simulation/services/); this module does what is common.

Common random numbers: every random draw is one uniform per customer per service and period,
from that service's own stream (defaults: one uniform per customer and month), so a policy run
and its baseline with the same seed differ only where the policy changes what a customer faces,
and adding or reordering services leaves the others' draws alone.
"""

import dataclasses
import datetime
import time

import numpy as np
import pandas as pd

from gridvalue.agents.choice import NOTHING, Alternatives, price_coefficients
from gridvalue.agents.enterprise import EnterpriseUser
from gridvalue.agents.experience import Experience
from gridvalue.agents.household import Household
from gridvalue.agents.microgrid import Microgrid
from gridvalue.simulation.competitors import CompetitorBooks
from gridvalue.simulation.contracts import COMPLETED, STATUS_NAMES, ContractBook
from gridvalue.simulation.credit import book_defaults
from gridvalue.simulation.ledger import ENERGY_SALES
from gridvalue.simulation.services import registry
from gridvalue.simulation.services.base import SEGMENT_NAMES, Service, segment_codes
from gridvalue.simulation.social import SocialGraph
from gridvalue.simulation.taxes import IncomeTax

DT_YEARS = 1.0 / 12.0  # one decision period: a month
_FIELDS = [f.name for f in dataclasses.fields(Alternatives)]
CURVES = {"pv": "pv", "efficiency": "efficiency", "equipment": "equipment",
          "microgrid": "microgrid"}  # service family -> its ceiling curve (others: pricing)


def _rows_of(values: np.ndarray, rows: np.ndarray, field: str) -> np.ndarray:
    """The given rows of a per-row field of Alternatives (per-alternative fields as they are)."""
    return values[rows] if values.ndim == 2 or field == "taste_bill_years" else values


def _curve(family: str) -> str:
    return CURVES.get(family, "pricing")


class Market:
    """All services on offer in a run, with their awareness and adoption state. Customers
    decide in agents/ (each type's `decide`, agents/choice.py); this class gathers each
    market's alternatives, asks the types, and signs what they chose."""

    def __init__(self, model):
        self.model = model
        scenario = model.scenario
        self.params = scenario.market
        services = registry()
        self.services: list[Service] = [services[name](params, model)
                                        for name, params in scenario.services.items()]
        for service in self.services:  # the company's books get a line per service
            model.company.ledger.open_line(service.name)
        n = len(model.customers)
        rng = model.streams["social"]
        topo = model.topology
        if self.params.social_graph == "complete":
            self.social = SocialGraph.complete(n)
        else:
            group = (topo.customer_feeder if self.params.social_graph == "feeder"
                     else topo.customer_transformer)
            self.social = SocialGraph(group, self.params.small_world_links, rng)
        k = len(self.services)
        # each service draws from streams of its own, so adding, removing or reordering one
        # service never shifts another's numbers (common random numbers)
        self._choices = [model.streams[f"choices:{s.name}"] for s in self.services]
        self.aware = np.array([model.streams.fresh(f"awareness:{s.name}").random(n)
                               < self.params.initial_awareness_share for s in self.services],
                              dtype=bool).reshape(k, n)
        self.adopted = np.zeros((k, n), dtype=bool)  # ever signed, per service
        self.contacted = np.zeros((k, n), dtype=bool)
        self.holds_group: dict[str, np.ndarray] = {}
        self._defaults = model.streams["defaults"]
        self.taxes = IncomeTax(model, [s.name for s in self.services],
                               {s.name for s in self.services if s.family == "efficiency"})
        self.month_share = 1.0  # share of a calendar month the latest settlement covered
        self.uptake_rows: list[dict] = []
        self.outside_rows: list[dict] = []
        self.segment = segment_codes(model.customers)
        # markets: mutually exclusive alternatives (a service's exclusive group, or itself)
        self.market_of = [s.exclusive_group or s.name for s in self.services]
        self.competitors = []
        for name, spec in scenario.competitors.items():
            rival = services[spec.offer](spec.terms, model)
            rival.name = f"competitor:{name}"
            self.competitors.append((name, spec, rival))
        self.competitor_books = CompetitorBooks(model, self.competitors)
        self.competitor_market = [r.exclusive_group or spec.offer
                                  for _, spec, r in self.competitors]
        self.competitor_aware = np.zeros((len(self.competitors), n), dtype=bool)
        self.competitor_adopted = np.zeros((len(self.competitors), n), dtype=bool)
        self.markets = list(dict.fromkeys(self.market_of))
        self.adopted_market = {m: np.zeros(n, dtype=bool) for m in self.markets}
        self.self_financed = {m: np.zeros(n, dtype=bool) for m in self.markets}
        self._decide = {m: model.streams[f"decide:{m}"] for m in self.markets}
        self._ceiling_draw = {m: model.streams.fresh(f"ceiling:{m}").random(n)
                              for m in self.markets}
        self._churn = {s.name: model.streams[f"churn:{s.name}"] for s in self.services}
        self._rival_streams = [model.streams[f"competitor:{name}"]
                               for name, _, _ in self.competitors]
        self.agent_types = (Household, EnterpriseUser, Microgrid)
        ctype = model.customers["customer_type"]
        sd = np.zeros(n)
        for cls in self.agent_types:
            rows = np.flatnonzero(ctype == cls.customer_type)
            sd[rows] = cls.price_coefficient_sd(scenario.choice, rows, model)
        z = model.streams.fresh("choice:price_coefficient").standard_normal(n)
        self.price_coefficient = price_coefficients(z, sd)
        taste_sd = np.zeros(n)
        for cls in self.agent_types:
            rows = np.flatnonzero(ctype == cls.customer_type)
            taste_sd[rows] = cls.taste_sd(scenario.choice, rows, model)
        family = {m: self.services[self.market_of.index(m)].family for m in self.markets}
        self.taste = {m: taste_sd * getattr(scenario.choice,
                                            f"scale_{_curve(family[m])}_bill_years")
                      * model.streams.fresh(f"taste:{m}").standard_normal(n)
                      for m in self.markets}
        self.experience = Experience(model, self.social, self.markets)
        self.month = 0  # decision periods so far
        self.decide_seconds = 0.0  # wall time spent in decide (benchmarks)
        self.terminated = np.zeros(k, dtype=np.int64)  # contracts ended early, per service
        self.on_notice: dict[str, set] = {}  # contracts whose customer gave notice, per service

    # ---- first day of the month ----------------------------------------------------------
    def decide(self, day: int, date: datetime.date) -> None:
        """Experience, churn, word of mouth and targeted offers; then, per market, each
        customer type decides among its alternatives (agents/)."""
        started = time.perf_counter()
        self.experience.update(self.services)
        self._leave(day, date)
        self.model.company.strategy.plan(self, date)
        n = len(self.model.customers)
        offered = np.zeros((len(self.services), n), dtype=bool)
        eligible_of = []
        new = {k: np.zeros(0, dtype=np.int64) for k in range(len(self.services))}
        for k, service in enumerate(self.services):
            u_word, u_target = self._choices[k].random((2, n))
            share = self.social.neighbour_share(self.adopted[k])
            eligible = service.eligible()
            eligible_of.append(eligible)
            self.aware[k] |= eligible & (u_word < self.params.word_of_mouth_per_year
                                         * DT_YEARS * share)
            open_ = self._open(k, service, eligible)
            self._target(k, service, open_, u_target, date)
            chosen = service.enrol_by_default(open_, day)
            if len(chosen):  # enrolled without a choice (they know: they got a letter)
                self.aware[k, chosen] = True
                self._sign(k, service, chosen, day, date)
                new[k] = chosen
            else:
                offered[k] = open_ & self.aware[k]
        for c, (_, spec, rival) in enumerate(self.competitors):
            u = self._rival_streams[c].random(n)
            self.competitor_aware[c] |= rival.eligible() & (u < spec.awareness_per_year
                                                            * DT_YEARS)
        for market in self.markets:
            ks = [k for k, m in enumerate(self.market_of) if m == market and offered[k].any()]
            for k, who in self._market_decision(market, ks, offered, day, date).items():
                new[k] = who
        for k, service in enumerate(self.services):
            self._record_uptake(date, service.name, k, eligible_of[k], new[k])
        self.model.company.strategy.observe(offered, new, date)
        self.month += 1
        self.decide_seconds += time.perf_counter() - started

    def _market_decision(self, market: str, ks: list[int], offered: np.ndarray, day: int,
                         date) -> dict[int, np.ndarray]:
        """The customers aware of an open company offer in `market` choose among every
        alternative they have; sign the company's, record the others'."""
        model, choice = self.model, self.model.scenario.choice
        customers = model.customers
        n = len(customers)
        if not ks:
            return {}
        u_pick, u_pace, _ = self._decide[market].random((3, n))
        holds = self._group(market)
        cand = np.flatnonzero(offered[ks].any(axis=0) & ~holds
                              & self.experience.may_consider(market, self.month))
        if len(cand) == 0:
            return {}
        bill = np.maximum(customers["annual_kwh"][cand] * customers["price_per_kwh"][cand], 1.0)
        trust = self.experience.trust_bill_years[cand]
        cols = []  # (kind, index) per alternative
        value, avail, hassle, uncertainty, trusted, payback, max_share, scale, p, q = \
            [], [], [], [], [], [], [], [], [], []

        def add(kind, index, v, a, h, unc, t, pb, family, pq):
            cols.append((kind, index))
            value.append(v)
            avail.append(a)
            hassle.append(h)
            uncertainty.append(unc)
            trusted.append(t)
            payback.append(pb)
            max_share.append(getattr(choice, f"max_share_{_curve(family)}"))
            scale.append(getattr(choice, f"scale_{_curve(family)}_bill_years"))
            p.append(pq[0])
            q.append(pq[1])

        nan = np.full(len(cand), np.nan)
        for k in ks:
            service = self.services[k]
            a = offered[k][cand]
            v = np.zeros(len(cand))
            if a.any():
                v[a] = service.customer_value(cand[a]) / bill[a]
            add("service", k, v, a, np.full(len(cand), choice.offer_hassle_bill_years),
                service.value_uncertainty, trust, nan, service.family,
                (service.params.innovation_p_per_year, service.params.imitation_q_per_year))
        lead = self.services[ks[0]]
        rate = np.zeros(len(cand))
        ctype = customers["customer_type"][cand]
        for cls in self.agent_types:
            rows = np.flatnonzero(ctype == cls.customer_type)
            rate[rows] = cls.self_finance_rate(choice, cand[rows], model)
        own = lead.self_finance(cand, rate) if choice.self_finance else None
        if own is not None:
            v, pb = own
            add("self", 0, v / bill, np.ones(len(cand), bool), np.zeros(len(cand)),
                lead.value_uncertainty, np.zeros(len(cand)), pb, lead.family,
                (lead.params.innovation_p_per_year, lead.params.imitation_q_per_year))
        for c, (_, spec, rival) in enumerate(self.competitors):
            if self.competitor_market[c] != market:
                continue
            a = self.competitor_aware[c][cand] & rival.eligible()[cand]
            v = np.zeros(len(cand))
            if a.any():
                v[a] = rival.customer_value(cand[a]) / bill[a]
            add("rival", c, v, a, np.full(len(cand), spec.hassle_bill_years),
                rival.value_uncertainty, np.full(len(cand), spec.trust_bill_years), nan,
                rival.family, (lead.params.innovation_p_per_year,
                               lead.params.imitation_q_per_year))
        alts = Alternatives(np.column_stack(value), np.column_stack(avail),
                            np.column_stack(hassle), np.array(uncertainty, dtype=float),
                            np.column_stack(trusted), np.column_stack(payback),
                            np.array(max_share), np.array(scale), np.array(p), np.array(q),
                            self.taste[market][cand])
        share = self.social.neighbour_share(self.adopted_market[market])[cand]
        chosen = np.full(len(cand), NOTHING)
        refused = np.zeros(len(cand), dtype=bool)
        u_ceiling = self._ceiling_draw[market][cand]
        for cls in self.agent_types:
            rows = np.flatnonzero(ctype == cls.customer_type)
            if len(rows) == 0:
                continue
            sub = Alternatives(*(_rows_of(getattr(alts, f), rows, f) for f in _FIELDS))
            decision = cls.decide(model, cand[rows], sub, self.price_coefficient[cand[rows]],
                                  share[rows], DT_YEARS,
                                  (u_pick[cand[rows]], u_pace[cand[rows]], u_ceiling[rows]))
            chosen[rows] = decision.chosen
            refused[rows] = decision.refused
        self.experience.refused(market, cand[refused], self.month)
        signed = {}
        for j, (kind, index) in enumerate(cols):
            who = cand[chosen == j]
            if len(who) == 0:
                continue
            self.adopted_market[market][who] = True
            holds[who] = True
            if kind == "service":
                self._sign(index, self.services[index], who, day, date)
                signed[index] = who
            elif kind == "self":
                lead.self_install(who)
                self.self_financed[market][who] = True
                self.outside_rows.append({"date": date, "market": market,
                                          "alternative": "self_finance", "new": len(who)})
            else:  # a contract in the competitor's own book
                self.competitor_books.sign(index, who, day, date)
                self.competitor_adopted[index][who] = True
                self.outside_rows.append({"date": date, "market": market,
                                          "alternative": self.competitors[index][2].name,
                                          "new": len(who)})
        return signed

    def _sign(self, k: int, service: Service, chosen: np.ndarray, day: int, date) -> None:
        capex = service.sign(chosen, day)
        self.adopted[k, chosen] = True
        self._group(self.market_of[k])[chosen] = True
        self.adopted_market[self.market_of[k]][chosen] = True
        self.model.company.ledger.book(date, service.name, "capex", -capex.sum())

    def _leave(self, day: int, date) -> None:
        """Churn: customers whose contract cost them more than going without it last month
        may leave it (their type's `keeps_package`); the service's termination terms apply."""
        ctype = self.model.customers["customer_type"]
        for k, service in enumerate(self.services):
            rows = service.contracts.active()
            if len(rows) == 0:
                continue
            costs_more = service.costs_more_than_without(rows)
            u = self._churn[service.name].random(len(self.model.customers))
            if costs_more is None:
                if getattr(service.params, "early_termination", False):
                    self._terminate_early(k, service, rows, u, day, date)
                continue
            who = service.contracts["customer"][rows]
            keep = np.ones(len(rows), dtype=bool)
            for cls in self.agent_types:
                mine = ctype[who] == cls.customer_type
                keep[mine] = cls.keeps_package(self.model, costs_more[mine], u[who[mine]])
            leaving = rows[~keep]
            if len(leaving) == 0:
                continue
            fee = service.terminate(leaving, day)
            leavers = service.contracts["customer"][leaving]
            np.add.at(self.model.customers["service_paid"], leavers, fee)
            self.model.company.ledger.book(date, service.name, "termination_fees", fee.sum())
            self._group(self.market_of[k])[leavers] = False
            self.terminated[k] += len(leaving)

    def _terminate_early(self, k: int, service: Service, rows: np.ndarray, u: np.ndarray,
                         day: int, date) -> None:
        """Early termination on the service's terms: each customer type decides
        (`CustomerAgent.leaves_contract`) from the service's `exit_gain` and fee. Notice
        shortens the term to the notice months (the contract bills through them and ends
        there); the fee is paid when notice is given and booked as `termination_fees`."""
        book = service.contracts
        noticed = self.on_notice.setdefault(service.name, set())
        rows = np.array([r for r in rows if r not in noticed], dtype=np.int64)
        gain = service.exit_gain(rows) if len(rows) else None
        if gain is None:
            return
        fee = service.termination_fee(rows)
        who = book["customer"][rows]
        ctype = self.model.customers["customer_type"][who]
        leave = np.zeros(len(rows), dtype=bool)
        for cls in self.agent_types:
            mine = ctype == cls.customer_type
            leave[mine] = cls.leaves_contract(self.model, gain[mine], fee[mine], u[who[mine]])
        leaving = rows[leave]
        if len(leaving) == 0:
            return
        notice = service.params.termination_notice_months
        if notice:
            fee = fee[leave]
            book["term_months"][leaving] = book["months_settled"][leaving] + notice
            noticed.update(leaving.tolist())
        else:
            back = service.exit_recovery(leaving)  # before the asset leaves the books
            fee = service.terminate(leaving, day)
            self._group(self.market_of[k])[book["customer"][leaving]] = False
            if back.sum():
                book["recovered"][leaving] += back
                self.model.company.ledger.book(date, service.name, "recoveries", back.sum())
        np.add.at(self.model.customers["service_paid"], book["customer"][leaving], fee)
        self.model.company.ledger.book(date, service.name, "termination_fees", fee.sum())
        self.terminated[k] += len(leaving)

    def outside_frame(self) -> pd.DataFrame:
        """New self-financed and competitors' adoptions by month and market."""
        return pd.DataFrame(self.outside_rows, columns=["date", "market", "alternative", "new"])

    def _record_uptake(self, date, name: str, k: int, eligible: np.ndarray,
                       chosen: np.ndarray) -> None:
        """Per segment: eligible, aware, new and total contracts after this decision."""
        seg, size = self.segment, len(SEGMENT_NAMES)
        counts = {
            "eligible": np.bincount(seg[eligible], minlength=size),
            "aware": np.bincount(seg[self.aware[k] & eligible], minlength=size),
            "new_contracts": np.bincount(seg[chosen], minlength=size),
            "contracts_total": np.bincount(seg[self.adopted[k]], minlength=size),
        }
        for s, segment in enumerate(SEGMENT_NAMES):
            if counts["eligible"][s]:
                self.uptake_rows.append({"date": date, "service": name, "segment": segment}
                                        | {key: int(v[s]) for key, v in counts.items()})

    def uptake_frame(self) -> pd.DataFrame:
        columns = ["date", "service", "segment", "eligible", "aware", "new_contracts",
                   "contracts_total"]
        frame = pd.DataFrame(self.uptake_rows, columns=columns)
        frame["date"] = pd.to_datetime(frame["date"])
        frame["uptake_share"] = frame["contracts_total"] / frame["eligible"]
        return frame

    def _group(self, name: str) -> np.ndarray:
        if name not in self.holds_group:
            self.holds_group[name] = np.zeros(len(self.model.customers), dtype=bool)
        return self.holds_group[name]

    def _open(self, k: int, service: Service, eligible: np.ndarray) -> np.ndarray:
        """Customers the company may still sign: eligible, screened, not yet holding it."""
        open_ = eligible & ~self.adopted[k] & ~self._group(self.market_of[k])
        open_ &= self.model.customers["credit_score"] >= self.model.company.strategy \
            .score_threshold(k, service)
        return open_

    def _target(self, k: int, service: Service, open_: np.ndarray, priority: np.ndarray,
                date) -> None:
        """Contact the open customers not yet aware that the company's strategy picks
        (agents/strategies/; `fixed`: up to `contacts_per_month` by expected value or at
        random), and book the marketing."""
        pool = np.flatnonzero(open_ & ~self.aware[k])
        picked = self.model.company.strategy.contacts(k, service, pool, priority, date)
        n = len(picked)
        if n == 0:
            return
        self.aware[k, picked] = True
        self.contacted[k, picked] = True
        self.model.company.ledger.book(date, service.name, "marketing",
                                       -n * service.params.marketing_cost_per_contact
                                       * self.model.company.price_level)
        service.contacted(picked, date)

    # ---- last day of the month -----------------------------------------------------------
    def settle(self, date: datetime.date, month_share: float = 1.0) -> None:
        """Contract cash for the month, then defaults, then contracts reaching their term;
        then the margin that effects outlasting their contracts take (retrofits, PV passed to
        the customer). `month_share`: the share of the calendar month the period covers."""
        self.month_share = month_share
        customers = self.model.customers
        ledger = self.model.company.ledger
        factor = ledger.discount_factor(date, self.model.scenario.company.discount_rate_per_year)
        # one draw per customer and month: a customer who defaults, defaults on every
        # credit-exposed contract it holds, whatever else is on offer
        u_default = self._defaults.random(len(customers))
        for service in self.services:
            book = service.contracts
            after = service.after_rows()  # ended before this month: their effect goes on
            rows = book.active()
            if len(rows):
                self._settle_rows(service, rows, date, factor, month_share)
                if service.credit_exposed:
                    self._defaults_of(service, rows, u_default, date, factor)
                rows = book.active()
                ended = rows[book["months_settled"][rows] >= book["term_months"][rows]]
                book["status"][ended] = COMPLETED
                service.on_end(ended)
            if len(after):
                lost = service.settle_after(after)
                book["npv_to_date"][after] -= lost * factor
                ledger.book(date, service.name, "margin_lost", -lost.sum())
                ledger.book(date, ENERGY_SALES, "margin_lost_to_services", lost.sum())
        self.competitor_books.settle(date, month_share, u_default)
        if date.month == 12 or date == self.model.dates[-1]:
            self.taxes.book_income_tax(date)

    def _subsidy(self, service: Service, flows) -> np.ndarray:
        """Incentives per unit: kWh an efficiency contract saves, kWh the company's PV makes."""
        t = self.model.scenario.taxes
        if service.family == "efficiency" and t.epc_subsidy_per_kwh_saved:
            return t.epc_subsidy_per_kwh_saved * flows.saved_kwh
        if service.family == "pv" and t.pv_subsidy_per_kwh and len(flows.generated_kwh):
            return t.pv_subsidy_per_kwh * flows.generated_kwh
        return np.zeros(len(flows.customer_pays))

    def _settle_rows(self, service: Service, rows: np.ndarray, date, factor: float,
                     month_share: float) -> None:
        customers, ledger, book = self.model.customers, self.model.company.ledger, \
            service.contracts
        new = rows[book["months_settled"][rows] == 0]  # capex was spent in the signing month
        if len(new):
            rate = self.model.scenario.company.discount_rate_per_year
            signed = [self.model.dates[d] for d in book["start_day"][new]]
            book["npv_to_date"][new] -= book["capex"][new] * np.array(
                [ledger.discount_factor(d, rate) for d in signed])
        flows = service.settle_month(rows, month_share)
        if self.model.company.price_level != 1.0:  # upkeep in nominal money (inflation)
            flows.opex = flows.opex * self.model.company.price_level
        who = book["customer"][rows]
        np.add.at(customers["service_paid"], who, flows.customer_pays)
        np.add.at(customers["service_received"], who, flows.company_pays)
        if len(flows.saved_kwh):
            np.add.at(customers["service_saved_kwh"], who, flows.saved_kwh)
        book["received"][rows] += flows.customer_pays
        book["paid_out"][rows] += flows.company_pays + flows.opex
        book["months_settled"][rows] += 1
        vat = flows.customer_pays * (1.0 - service.revenue_kept_share())
        subsidy = self._subsidy(service, flows)
        book["npv_to_date"][rows] += factor * (flows.customer_pays - vat + subsidy
                                               - flows.company_pays - flows.opex
                                               - flows.margin_lost)
        ledger.book(date, service.name, "revenue", flows.customer_pays.sum())
        if vat.sum():
            ledger.book(date, service.name, "vat", -vat.sum())
        if subsidy.sum():
            ledger.book(date, service.name, "subsidy", subsidy.sum())
        self.taxes.depreciate(service, rows, date)
        ledger.book(date, service.name, "payments_to_customers", -flows.company_pays.sum())
        ledger.book(date, service.name, "opex", -flows.opex.sum())
        lost = flows.margin_lost.sum()
        ledger.book(date, service.name, "margin_lost", -lost)
        ledger.book(date, ENERGY_SALES, "margin_lost_to_services", lost)

    def _defaults_of(self, service: Service, rows: np.ndarray, u: np.ndarray, date,
                     factor: float) -> None:
        """Cash only (`credit.book_defaults`); the defaulted contracts' undepreciated capex
        becomes deductible and their recoveries count in their cash to date."""
        defaulted, back = book_defaults(service, rows, u,
                                        self.model.customers["default_hazard_per_year"],
                                        self.model.company.ledger, date)
        if len(defaulted):
            self.taxes.dispose(service, defaulted, date)
            service.contracts["npv_to_date"][defaulted] += back * factor

    # ---- results -----------------------------------------------------------------------------
    def contract_frame(self) -> pd.DataFrame:
        """Every contract of the run: service, customer, terms, status and cash to date."""
        frames = []
        for service in self.services:
            book = service.contracts
            frame = pd.DataFrame({name: book[name] for name in ContractBook.CORE})
            frame.insert(0, "service", service.name)
            frames.append(frame)
        if not frames:
            frames = [pd.DataFrame({"service": []} | {k: [] for k in ContractBook.CORE})]
        out = pd.concat(frames, ignore_index=True)
        out["status"] = pd.Categorical.from_codes(out["status"].astype(int), STATUS_NAMES)
        return out

    def valuation_factor(self) -> float:
        """Discount factor from the end of the last settled month to the start date."""
        ledger = self.model.company.ledger
        return ledger.discount_factor(self.model.dates[-1],
                                      self.model.scenario.company.discount_rate_per_year)

    def remaining_value(self) -> dict[str, float]:
        """Per service, the expected value after the horizon of its contracts (live ones to
        the end of their term, and every effect that outlasts a contract), discounted to the
        start date at the company's rate (simulation/lifetime.py)."""
        factor = self.valuation_factor()
        out = {}
        for s in self.services:
            rows = s.lifetime_rows()
            rest = s.remaining_value(rows)
            if self.model.scenario.taxes.income_tax_in_lifetime:
                rest = rest + s.tax_shield(rows)
            out[s.name] = float(rest.sum() * factor)
        return out

    def contract_lifetime_values(self) -> pd.DataFrame:
        """Every contract's lifetime value at the start date: its discounted cash to date plus
        its expected value after the horizon, with its signing year."""
        factor = self.valuation_factor()
        frames = []
        for s in self.services:
            book = s.contracts
            rest = np.zeros(len(book))
            rows = s.lifetime_rows()
            rest[rows] = s.remaining_value(rows) * factor
            if self.model.scenario.taxes.income_tax_in_lifetime:
                rest[rows] += s.tax_shield(rows) * factor
            signed = np.array([self.model.dates[d].year for d in book["start_day"]], dtype=int)
            frames.append(pd.DataFrame({"service": s.name, "customer": book["customer"],
                                        "start_day": book["start_day"], "signed_year": signed,
                                        "npv_to_date": book["npv_to_date"],
                                        "remaining_value": rest,
                                        "lifetime_value": book["npv_to_date"] + rest}))
        if not frames:
            return pd.DataFrame(columns=["service", "customer", "start_day", "signed_year",
                                         "npv_to_date", "remaining_value", "lifetime_value"])
        return pd.concat(frames, ignore_index=True)
