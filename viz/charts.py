"""The page's charts as Matplotlib figures drawn from a `Snapshot` (no pyplot state).

Each function returns a `matplotlib.figure.Figure`; Solara shows it as an image. Drawing the
network uses positions computed once (viz/layout.py) and one marker per transformer.
"""

import hashlib

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from gridvalue.simulation.scenario import SEGMENT_NAMES
from gridvalue.viz.layout import NetworkLayout
from gridvalue.viz.snapshot import Snapshot

POLICY = "#1f6feb"
BASELINE = "#6e7781"
FLEET = "#bf8700"  # the company's dispatched fleet on the peak-day chart
GOOD = "#2da44e"
BAD = "#cf222e"
SEGMENT_COLOURS = dict(zip(SEGMENT_NAMES, ("#1f6feb", "#bf8700", "#8250df", "#2da44e", "#cf222e"),
                           strict=True))
ITEM_COLOURS = {"revenue": "#2da44e", "capex": "#cf222e", "marketing": "#fb8f44",
                "opex": "#bf8700", "payments_to_customers": "#8250df",
                "default_losses": "#a40e26", "margin_lost": "#e16f24",
                "margin_lost_to_services": "#57ab5a", "wholesale_energy": "#54aeff",
                "capacity": "#0550ae"}
SIZE = (6.2, 3.1)


def data_key(*parts) -> str:
    """A digest of the data a chart draws: the page redraws a chart only when it changes."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        if isinstance(part, pd.DataFrame):
            digest.update(pd.util.hash_pandas_object(part, index=True).to_numpy().tobytes())
            digest.update(repr(list(part.columns)).encode())
        elif isinstance(part, np.ndarray):
            digest.update(np.ascontiguousarray(part).tobytes())
        else:
            digest.update(repr(part).encode())
    return digest.hexdigest()


def key(draw, snap: Snapshot, *extra) -> str:
    """The data key of chart function `draw` for this snapshot."""
    parts = {
        peak_day: (snap.peak_day, snap.peak_day_policy_kw, snap.peak_day_baseline_kw,
                   snap.shows_households, snap.peak_day_households_policy_kw,
                   *(part for item in snap.peak_day_fleet_kw.items() for part in item)),
        uptake: (snap.services, snap.uptake),
        pnl: (snap.pnl_delta,),
        bills: (snap.bill_change_pct.round(2),),
        network: (snap.transformer_uptake_share, snap.transformer_loading.round(3),
                  snap.transformer_vm_min.round(4)),
    }[draw]
    extra = [e.transformer_xy if isinstance(e, NetworkLayout) else e for e in extra]
    return data_key(draw.__name__, snap.scenario, snap.currency, *parts, *extra)


def _figure(size=SIZE, **margins) -> tuple[Figure, object]:
    fig = Figure(figsize=size, dpi=100)
    fig.subplots_adjust(**({"left": 0.1, "right": 0.98, "top": 0.9, "bottom": 0.17} | margins))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8)
    ax.grid(axis="y", color="#d0d7de", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig, ax


def _legend_right(fig: Figure, ax, **kwargs) -> None:
    """The legend in a margin to the right of the axes, off the data."""
    fig.subplots_adjust(right=0.72)
    ax.legend(**({"fontsize": 7, "frameon": False, "loc": "upper left",
                  "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0} | kwargs))


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", color=BASELINE, fontsize=10,
            transform=ax.transAxes)
    ax.axis("off")


def peak_day(snap: Snapshot) -> Figure:
    """System load on the baseline's peak day to date, policy against baseline."""
    fig, ax = _figure()
    if not snap.started:
        _empty(ax, "Step or run to see the load")
        return fig
    h = snap.hours
    base, pol = snap.peak_day_baseline_kw / 1000, snap.peak_day_policy_kw / 1000
    ax.plot(h, base, color=BASELINE, linewidth=2, linestyle="--", label="baseline twin")
    ax.plot(h, pol, color=POLICY, linewidth=2, label=snap.scenario)
    ax.fill_between(h, pol, base, where=pol < base, color=GOOD, alpha=0.25, interpolate=True,
                    label="shaved")
    ax.fill_between(h, pol, base, where=pol > base, color=BAD, alpha=0.25, interpolate=True,
                    label="added")
    if snap.shows_households and len(snap.peak_day_households_policy_kw):
        ax.plot(h, snap.peak_day_households_baseline_kw / 1000, color=BASELINE, linewidth=1.2,
                linestyle=":", label="households, baseline")
        ax.plot(h, snap.peak_day_households_policy_kw / 1000, color="#8250df", linewidth=1.4,
                label=f"households, {snap.scenario}")
    fleet_styles = ("-.", (0, (3, 1, 1, 1)), (0, (1, 1)))
    for (device, kw), style in zip(snap.peak_day_fleet_kw.items(), fleet_styles, strict=False):
        ax.plot(h, kw / 1000, color=FLEET, linewidth=1.3, linestyle=style,
                label=f"fleet: {device}")
    ax.set_xlabel("hour of day", fontsize=8)
    ax.set_ylabel("system load (MW)", fontsize=8)
    ax.set_xlim(0, 24)
    ax.set_xticks(range(0, 25, 3))
    ax.set_title(f"peak day to date: {snap.peak_day}", fontsize=9, loc="left")
    _legend_right(fig, ax)
    return fig


def uptake(snap: Snapshot) -> Figure:
    """Share of eligible customers holding each service, by segment, month by month."""
    fig, ax = _figure(bottom=0.2)
    frame = snap.uptake
    if not snap.services:
        _empty(ax, "No services on offer in this scenario")
        return fig
    if frame.empty:
        _empty(ax, "No offers made yet")
        return fig
    styles = ("-", "--", ":", "-.")
    for i, (service, rows) in enumerate(frame.groupby("service", sort=True)):
        for segment, seg_rows in rows.groupby("segment", sort=False):
            ax.plot(seg_rows["date"], 100 * seg_rows["uptake_share"], marker=".",
                    linestyle=styles[i % len(styles)], color=SEGMENT_COLOURS[segment],
                    label=f"{service.replace('_', ' ')} · {segment}")
    ax.set_ylabel("uptake (% of eligible)", fontsize=8)
    ax.set_ylim(bottom=0)
    _legend_right(fig, ax)
    fig.autofmt_xdate()
    return fig


def pnl(snap: Snapshot) -> Figure:
    """The company's cash to date by service line and item, change against the baseline."""
    fig, ax = _figure(left=0.17, bottom=0.36, top=0.95)
    table = snap.pnl_delta
    if table.empty or not len(table.columns):
        _empty(ax, "No change against the baseline yet")
        return fig
    scale, unit = (1e6, "million") if table.abs().to_numpy().max() >= 1e6 else (1e3, "thousand")
    table = table / scale
    y = np.arange(len(table))
    left_pos, left_neg = np.zeros(len(table)), np.zeros(len(table))
    for item in table.columns:
        values = table[item].to_numpy()
        left = np.where(values >= 0, left_pos, left_neg)
        ax.barh(y, values, left=left, height=0.55, label=item.replace("_", " "),
                color=ITEM_COLOURS.get(item))
        left_pos += np.maximum(values, 0)
        left_neg += np.minimum(values, 0)
    net = table.sum(axis=1).to_numpy()
    ax.scatter(net, y, color="black", zorder=3, s=22, label="net")
    for yi, value in zip(y, net, strict=True):
        ax.annotate(f"{value:+,.2f}", (value, yi), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=7)
    ax.set_yticks(y, [line.replace("_", " ") for line in table.index], fontsize=8)
    ax.axvline(0, color=BASELINE, linewidth=0.8)
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#d0d7de", linewidth=0.6)
    ax.set_xlabel(f"{unit} {snap.currency} to date, against the baseline", fontsize=8)
    ax.legend(fontsize=7, frameon=False, ncol=4, loc="upper center",
              bbox_to_anchor=(0.45, -0.2))
    return fig


def bills(snap: Snapshot) -> Figure:
    """Distribution of customers' cost change (energy bill plus services) against the
    baseline, for the customers whose cost changed, by segment."""
    fig, ax = _figure()
    change = snap.bill_change_pct
    moved = np.abs(change) > 0.01 if len(change) else np.zeros(0, bool)
    if not moved.any():
        _empty(ax, "No customer's bill has changed yet")
        return fig
    low, high = np.percentile(change[moved], [1, 99])
    span = max(abs(low), abs(high), 0.5)
    bins = np.linspace(-span, span, 31)
    stacked = np.zeros(len(bins) - 1)
    for s, segment in enumerate(SEGMENT_NAMES):
        rows = change[moved & (snap.segment == s)]
        if len(rows):
            counts, _ = np.histogram(np.clip(rows, -span, span), bins=bins)
            ax.stairs(stacked + counts, bins, baseline=stacked, fill=True,
                      color=SEGMENT_COLOURS[segment], label=f"{segment} ({len(rows)})")
            stacked = stacked + counts
    ax.axvline(0, color=BASELINE, linewidth=0.8)
    mean_all = float(change.mean())
    ax.set_title(f"{moved.sum()} customers' cost changed; mean over all customers "
                 f"{mean_all:+.2f} %", fontsize=9, loc="left")
    ax.set_xlabel("change of energy bill + service payments against the baseline (%)",
                  fontsize=8)
    ax.set_ylabel("customers", fontsize=8)
    _legend_right(fig, ax)
    return fig


def network(snap: Snapshot, layout: NetworkLayout, colour_by: str) -> Figure:
    """The feeder network, one marker per transformer (size: customers served), coloured by
    the uptake share of its customers, by its loading (peak to date over rating) or, with
    power flow on, by the lowest voltage solved at it to date."""
    fig = Figure(figsize=(4.6, 4.1), dpi=100)
    ax = fig.add_axes((0.02, 0.2, 0.96, 0.78))
    ax.set_aspect("equal")
    ax.axis("off")
    ax.add_collection(LineCollection(layout.segments, colors="#afb8c1", linewidths=0.7,
                                     zorder=1))
    sizes = 12 + 5 * np.sqrt(snap.transformer_customers)
    if colour_by == "uptake":
        values = 100 * snap.transformer_uptake_share
        cmap, vmin, vmax = "Greens", 0, max(5.0, float(values.max()) if len(values) else 5.0)
        label = "customers with a service contract (%)"
    elif colour_by == "voltage":
        values = snap.transformer_vm_min
        cmap, vmin, vmax = "RdYlGn", 0.9, 1.0
        label = "lowest voltage solved to date (pu)"
    else:
        values = 100 * snap.transformer_loading
        cmap, vmin, vmax = "RdYlGn_r", 0, 150
        label = "peak loading to date (% of rating)"
    points = ax.scatter(layout.transformer_xy[:, 0], layout.transformer_xy[:, 1], s=sizes,
                        c=values, cmap=cmap, vmin=vmin, vmax=vmax, edgecolors="#57606a",
                        linewidths=0.5, zorder=2)
    ax.scatter([0], [0], marker="s", s=60, color="#24292f", zorder=3)
    ax.autoscale_view()
    bar = fig.colorbar(points, cax=fig.add_axes((0.15, 0.12, 0.7, 0.03)),
                       orientation="horizontal")
    bar.set_label(label, fontsize=8)
    bar.ax.tick_params(labelsize=7)
    return fig
