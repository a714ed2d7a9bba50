"""Figures of the Internet+ scenarios (docs/internet-plus.md), each from paired runs with one
seed: `python -m gridvalue.experiments.internet_plus [--days N] [--households N]`.

- EVs uncontrolled: the households' peak with and without EVs, and the diversified kW per EV
  at each feeder's peak (EV charging on the feeder at its peak interval over its EVs).
- Home batteries: transformer intervals over rating with none, owner and company dispatch
  (the company on its forecast, and with perfect foresight).
- Flexibility fleet: transformer intervals over rating with the devices left to their
  owners, dispatched by the company as a fleet (on its forecast, and with perfect
  foresight), and the company's own batteries instead (both ways); the value of each
  (capacity, deferral, wholesale energy, energy sales, the line's own cash).
- Per-event payment: the fleet paid per kW each month against per event (within the yearly
  cap, and uncapped): events called, payments, hours over rating, value.
- CCHP: the plants' energy balance, grid energy and peak displaced, the line's cash.
- EV smart charging: the EVs' mean load by hour of day under price-responsive charging and
  under the company's managed charging (the rebound when the off-peak begins, and its removal).
"""

import argparse

import numpy as np

from gridvalue.simulation.model import GridValueModel


def run(name: str, overrides: dict, dispatcher: str | None = None
        ) -> tuple[GridValueModel, np.ndarray]:
    """Run a packaged scenario to its end; return it and its feeder loads (days, F, T).
    `dispatcher`: who runs the home batteries, whatever the households signed up for."""
    model = GridValueModel(name, overrides=overrides)
    if dispatcher is not None:
        model.market.services[0].dispatcher = dispatcher
    feeder_kw = np.zeros((model.days, model.topology.n_feeders, model.scenario.meta
                          .intervals_per_day))
    aggregate = model.aggregate

    def recording(day, customer_kw):
        out = aggregate(day, customer_kw)
        feeder_kw[day] = out[1]
        return out

    model.aggregate = recording
    while model.running:
        model.step()
    return model, feeder_kw


def ev_feeder_kw(model: GridValueModel, feeder_kw: np.ndarray, base_kw: np.ndarray) -> dict:
    """Diversified kW per EV at each feeder's peak (EV load there = with EVs - without)."""
    ev_kw = feeder_kw - base_kw
    days, _, T = feeder_kw.shape
    flat = feeder_kw.transpose(1, 0, 2).reshape(feeder_kw.shape[1], -1)
    peak = flat.argmax(axis=1)
    at_peak = ev_kw.transpose(1, 0, 2).reshape(len(peak), -1)[np.arange(len(peak)), peak]
    hh = model.ev.n
    feeder_of = model.topology.customer_feeder[:hh]
    evs = np.bincount(feeder_of[model.ev.owns], minlength=len(peak))
    return {"evs": int(evs.sum()), "kw_per_ev_at_feeder_peak": float(at_peak.sum() / evs.sum()),
            "peak_hours": sorted({int(p % T) for p in peak})}


def batteries(size: dict) -> None:
    """Transformer intervals over rating: no home batteries, the homes dispatch them, the
    company dispatches the same batteries (the same households sign: only who dispatches
    differs)."""
    perfect = {"services.home_battery.fleet_forecast": "perfect"}
    for label, extra in (("none", {"services.home_battery.contacts_per_month": 0}),
                         ("household", {}), ("company, forecast", {}),
                         ("company, perfect foresight", perfect)):
        model, _ = run("home_batteries", size | extra,
                       "company" if label.startswith("company") else None)
        svc = model.market.services[0]
        over = int(model.transformer_intervals_over.sum())
        print(f"home_batteries ({label} dispatch): {len(svc.contracts)} batteries, "
              f"transformer intervals over rating {over}, transformers over rating "
              f"{int((model.transformer_intervals_over > 0).sum())} of "
              f"{model.topology.n_transformers}, household peak "
              f"{model.household_kw.max():.0f} kW, service line cash "
              f"{model.company.ledger.total('home_battery'):.0f} CNY")


def flexibility(size: dict) -> None:
    """The fleet against the same devices left to their owners, and against the company's
    own batteries at its 10 tightest transformers (paired runs, one seed)."""
    owners, _ = run("flexibility_fleet", size | {"services.flexibility.contacts_per_month": 0})
    runs = [("owners", owners, None)]
    perfect = {"services.home_battery.fleet_forecast": "perfect"}
    for label, extra in (("fleet, forecast", {}), ("fleet, perfect foresight", perfect)):
        runs.append((label, run("flexibility_fleet", size | extra)[0], "flexibility"))
    own = size | {"services.flexibility.contacts_per_month": 0, "storage.grid_batteries": 10}
    for label, extra in (("own batteries, perfect foresight",
                          {"storage.grid_battery_forecast": "perfect"}),
                         ("own batteries, forecast", {})):
        runs.append((label, run("flexibility_fleet", own | extra)[0], "grid_storage"))
    report_fleet(owners, runs)
    print(f"  fleet contracts {len(runs[1][1].market.services[-1].contracts)}")


def report_fleet(owners: GridValueModel, runs: list) -> None:
    """Hours over rating and the value of each run against the owners' run (paired)."""
    from gridvalue.simulation.peaks import paired_peak_value

    rate = owners.scenario.company.discount_rate_per_year

    def energy(model, item):
        return model.company.ledger.total("energy_sales", item)

    for label, model, line in runs:
        over = int(model.transformer_intervals_over.sum())
        print(f"flexibility_fleet ({label}): transformer intervals over rating {over}, "
              f"transformers over rating {int((model.transformer_intervals_over > 0).sum())} "
              f"of {model.topology.n_transformers}, system peak {model.system_kw.max():.0f} kW")
        if line is None:
            continue
        capacity = energy(model, "capacity") - energy(owners, "capacity")
        wholesale = energy(model, "wholesale_energy") - energy(owners, "wholesale_energy")
        sales = energy(model, "revenue") - energy(owners, "revenue")
        deferral = paired_peak_value(owners, model)["deferral_value"]
        cost = model.company.ledger.total(line)
        lifetime = model.company.ledger.npv(rate, line) + model.market.remaining_value().get(
            line, 0.0)
        print(f"  capacity cost avoided {capacity:.0f}, deferral {deferral:.0f}, wholesale "
              f"energy {wholesale:.0f}, energy sales {sales:+.0f}, the line's own cash {cost:.0f}"
              f" CNY: value {capacity + deferral + wholesale + sales + cost:.0f} CNY over "
              f"{model.days} days; the line's lifetime NPV (books) {lifetime:.0f} CNY")


def events(size: dict) -> None:
    """The fleet paid per kW each month against per event, within the yearly cap and
    uncapped: events called, payments, hours over rating and value (paired with owners)."""
    owners, _ = run("flexibility_fleet", size | {"services.flexibility.contacts_per_month": 0})
    runs = [("owners", owners, None)]
    per_event = {"services.flexibility.payment": "per_event"}
    for label, extra in (("per kW", {}), ("per event, cap 15", per_event),
                         ("per event, no cap", per_event
                          | {"services.flexibility.max_events_per_year": 365})):
        model, _ = run("flexibility_fleet", size | extra)
        runs.append((label, model, "flexibility"))
        svc = model.market.services[-1]
        called = np.concatenate([c for _, c in svc.event_log]) if svc.event_log else []
        per = np.bincount(called) if len(called) else np.zeros(1)
        print(f"{label}: {len(svc.contracts)} contracts, {len(svc.event_log)} days with an "
              f"event, most events per participant {int(per.max())}, payments "
              f"{model.company.ledger.total('flexibility', 'payments_to_customers'):.0f} CNY")
    report_fleet(owners, runs)


def cchp(size: dict) -> None:
    """CCHP plants' energy balance, the grid energy and peak they displace, the line's cash."""
    none, _ = run("cchp_services", size | {"services.cchp.contacts_per_month": 0})
    model, _ = run("cchp_services", size)
    svc = model.market.services[0]
    t = svc.totals
    rate = model.scenario.company.discount_rate_per_year
    lifetime = model.company.ledger.npv(rate, "cchp") + model.market.remaining_value()["cchp"]
    print(f"cchp_services: {len(svc.contracts)} plants, "
          + ", ".join(f"{k} {v / 1000:.0f} MWh" for k, v in t.items()))
    print(f"  balance: fuel - (electricity + heat + chiller heat + losses) = "
          f"{t['fuel'] - t['electricity'] - t['heat_used'] - t['chiller_heat'] - t['losses']:.3g}"
          f" kWh; system energy {none.system_kw.sum() / 1000:.0f} -> "
          f"{model.system_kw.sum() / 1000:.0f} MWh, peak {none.system_kw.max():.0f} -> "
          f"{model.system_kw.max():.0f} kW; line cash {model.company.ledger.total('cchp'):.0f}"
          f" CNY, lifetime NPV {lifetime:.0f} CNY")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--households", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--part", choices=("all", "ev", "batteries", "flexibility", "events",
                                        "cchp"), default="all")
    args = ap.parse_args(argv)
    size = {"meta.days": args.days, "population.households": args.households,
            "meta.seed": args.seed}
    if args.part in ("all", "flexibility"):
        flexibility(size)
    if args.part in ("all", "batteries"):
        batteries(size)
    if args.part in ("all", "events"):
        events(size)
    if args.part in ("all", "cchp"):
        cchp(size)
    if args.part in ("batteries", "flexibility", "events", "cchp"):
        return
    ev, ev_feeders = run("ev_uncontrolled", size)
    none, none_feeders = run("ev_uncontrolled", size | {"ev.share": 0.0,
                                                        "ev.share_growth_per_year": 0.0})
    print("ev_uncontrolled: EV owners at the end", ev.ev.count, "of", ev.ev.n)
    print(f"  household peak without EVs {none.household_kw.max():.0f} kW, with "
          f"{ev.household_kw.max():.0f} kW "
          f"(+{100 * (ev.household_kw.max() / none.household_kw.max() - 1):.1f} %)")
    print(f"  system peak without {none.system_kw.max():.0f} kW, with {ev.system_kw.max():.0f} kW")
    print("  at the feeder peak:", ev_feeder_kw(ev, ev_feeders, none_feeders))
    at = np.unravel_index(ev.household_kw.argmax(), ev.household_kw.shape)
    print(f"  at the households' own peak (day {at[0]}, interval {at[1]}): "
          f"{ev.ev.day_kw[at] / ev.ev.count:.2f} kW per EV")
    at = np.unravel_index(none.household_kw.argmax(), none.household_kw.shape)
    print(f"  at the households' peak without EVs (day {at[0]}, interval {at[1]}): "
          f"{ev.ev.day_kw[at] / ev.ev.count:.2f} kW per EV")
    weekday = np.array([d.weekday() < 5 for d in ev.dates[:ev.days]])
    summer = weekday & np.array([d.month in (6, 7, 8) for d in ev.dates[:ev.days]])
    without = ev.household_kw[summer] - ev.ev.day_kw[summer]
    at_peak = ev.ev.day_kw[summer][np.arange(summer.sum()), without.argmax(axis=1)]
    print(f"  summer weekdays, at each day's household peak (load without EVs): "
          f"{at_peak.mean() / ev.ev.count:.2f} kW per EV")
    hours = ev.hours_per_interval * np.arange(ev.system_kw.shape[1])
    for label, days in (("weekdays", weekday), ("weekends", ~weekday)):
        profile = ev.ev.day_kw[days].mean(axis=0) / ev.ev.count
        print(f"  {label}: mean kW per EV by hour " + " ".join(
            f"{h:.0f}h:{kw:.2f}" for h, kw in zip(hours, profile, strict=True)))
    hours = ev.hours_per_interval * np.arange(ev.system_kw.shape[1])
    for label in ("price_responsive", "managed"):
        overrides = size | ({"services.ev_smart_charging.contacts_per_month": 0}
                            if label == "price_responsive" else
                            {"services.ev_smart_charging.innovation_p_per_year": 12.0,
                             "services.ev_smart_charging.contacts_per_month": 100000})
        model, _ = run("ev_smart_charging", overrides)
        profile = model.ev.day_kw.mean(axis=0) / max(model.ev.count, 1)
        managed = int(model.ev.managed.sum())
        print(f"ev_smart_charging ({label}, {managed} managed of {model.ev.count} EVs): "
              f"mean kW per EV by hour")
        print("  " + " ".join(f"{h:.0f}h:{kw:.2f}" for h, kw in zip(hours, profile,
                                                                   strict=True)))
        ratio = profile.max() / profile.mean()
        print(f"  peak hour {hours[profile.argmax()]:.0f} h, max/mean {ratio:.2f};"
              f" household peak {model.household_kw.max():.0f} kW, system peak "
              f"{model.system_kw.max():.0f} kW")


if __name__ == "__main__":
    main()
