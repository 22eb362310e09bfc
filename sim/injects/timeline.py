"""A timeline figure of an MSEL for the exercise handbook: injects by recipient over time.

x is the scenario day (with dates on top when the MSEL has a start date); one band per
recipient, markers by delivery method, coloured by severity and labelled with the inject
number; the disruptions run as bars in a strip underneath. Drawn on a bare matplotlib Figure
(no pyplot), so it changes no global state.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.export.atomic import atomic_write
from sim.injects.build import Msel
from sim.injects.export import about_word
from sim.injects.words import date_text

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LANE_GAP_DAYS = 3.0
"""Injects to one recipient closer than this in days go on separate lanes of its band."""
LANE_HEIGHT = 0.38
MAX_LANES = 8


def write_timeline(msel: Msel, path: str | Path, dpi: int = 150) -> Path:
    """Draw the MSEL's timeline as a PNG at `path`."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    path = Path(path)
    table = msel.table
    recipients = list(dict.fromkeys(table["to"]))
    days = table["scenario_day"].to_numpy(dtype=float)
    ys, bands = _positions(table, recipients, days)
    windows = [w for w in msel.windows
               if w.start_day is not None and w.start_day <= msel.to_day
               and (w.end_day is None or w.end_day >= msel.from_day)]
    top_height = max(sum(height for _, _, height in bands), 1.0)
    rows = len({w.index for w in windows})  # a recurring disruption's windows share a row
    strip = 0.45 * rows
    figure = Figure(figsize=(12, 1.6 + 0.55 * top_height + 0.3 * rows),
                    layout="constrained")
    if windows:
        ax, low = figure.subplots(2, 1, sharex=True,
                                  gridspec_kw={"height_ratios": [top_height, max(strip, 0.6)]})
    else:
        ax, low = figure.subplots(), None
    methods = list(dict.fromkeys(table["method"]))
    marker_of = {m: MARKERS[i % len(MARKERS)] for i, m in enumerate(methods)}
    severity = table["severity"].to_numpy(dtype=float)
    scatter = None
    for method in methods:
        mask = (table["method"] == method).to_numpy()
        scatter = ax.scatter(days[mask], ys[mask], c=severity[mask], cmap="YlOrRd", vmin=20,
                             vmax=110, marker=marker_of[method], s=55, edgecolors="black",
                             linewidths=0.5, zorder=3)
    for number, x, y in zip(table["number"], days, ys, strict=True):
        ax.annotate(str(number), (x, y), xytext=(3, 3), textcoords="offset points",
                    fontsize=6, zorder=4)
    for k, (_, centre, height) in enumerate(bands):
        if k % 2 == 0:
            ax.axhspan(centre - height / 2, centre + height / 2, color="#eef1f6", zorder=0)
    ax.set_yticks([c for _, c, _ in bands], labels=[n for n, _, _ in bands], fontsize=8)
    ax.set_ylim(-0.05, top_height + 0.05)
    ax.set_ylabel(about_word(msel, "recipient"), fontsize=8)
    ax.set_xlim(msel.from_day - 1, msel.to_day + 1)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_title(f"{msel.labels.title}: {msel.scenario.name} ({about_word(msel, 'replication')} "
                 f"{msel.replication}, {len(table)} {about_word(msel, 'injects').lower()})",
                 fontsize=10)
    bottom = ax
    if low is not None:
        _disruptions(low, windows, msel)
        bottom = low
    bottom.set_xlabel(about_word(msel, "day"))
    if msel.start is not None:
        _date_axis(ax, msel)
    handles = [Line2D([], [], marker=marker_of[m], linestyle="", color="grey", label=m)
               for m in methods]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                  frameon=False)
    if scatter is not None:
        # Under the legend, in the margin the legend already takes.
        bar = figure.colorbar(scatter, cax=ax.inset_axes((1.02, 0.04, 0.012, 0.5)))
        bar.set_label(about_word(msel, "severity"), fontsize=8)
        bar.ax.tick_params(labelsize=7)
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=dpi))
    return path


def _positions(table: pd.DataFrame, recipients: list[str],
               days: np.ndarray) -> tuple[np.ndarray, list[tuple[str, float, float]]]:
    """The height of every inject, and each recipient's band (name, centre, height), top first.

    Within a band, injects go on lanes so that two on one lane are at least LANE_GAP_DAYS
    apart: busy days spread out instead of printing numbers over each other.
    """
    ys = np.zeros(len(table))
    lanes_of: dict[str, list[int]] = {}
    for recipient in recipients:
        rows = np.flatnonzero((table["to"] == recipient).to_numpy())
        last: list[float] = []
        lanes = []
        for i in rows:
            free = [k for k, x in enumerate(last) if days[i] - x >= LANE_GAP_DAYS]
            if free:
                lane = free[0]
            elif len(last) < MAX_LANES:
                lane = len(last)
                last.append(-np.inf)
            else:
                lane = int(np.argmin(last))
            last[lane] = days[i]
            lanes.append(lane)
        lanes_of[recipient] = lanes
    bands = []
    top = sum(max(1, max(lanes_of[r]) + 1) * LANE_HEIGHT + 0.3 for r in recipients)
    edge = top
    for recipient in recipients:
        n_lanes = max(lanes_of[recipient]) + 1
        height = max(1, n_lanes) * LANE_HEIGHT + 0.3
        centre = edge - height / 2
        rows = np.flatnonzero((table["to"] == recipient).to_numpy())
        offsets = (np.array(lanes_of[recipient]) - (n_lanes - 1) / 2) * LANE_HEIGHT
        ys[rows] = centre - offsets
        bands.append((recipient, centre, height))
        edge -= height
    return ys, bands


def _disruptions(ax: Any, windows: list, msel: Msel) -> None:
    """One row per disruption, one bar per window (a recurring disruption has several)."""
    names = {w.index: w.name for w in windows}
    row = {index: k for k, index in enumerate(names)}
    for w in windows:
        start = max(w.start_day, msel.from_day)
        end = min(w.end_day if w.end_day is not None else msel.to_day, msel.to_day)
        ax.barh(len(names) - 1 - row[w.index], max(end - start, 0.5), left=start, height=0.6,
                color="#b8c4d6", edgecolor="#5b6b82", zorder=2)
    ax.set_yticks(range(len(names)), labels=list(names.values())[::-1], fontsize=7)
    ax.set_ylim(-0.6, len(names) - 0.4)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_ylabel(about_word(msel, "disruptions"), fontsize=8)


def _date_axis(ax: Any, msel: Msel) -> None:
    """Dates along the top: scenario day `from_day` is the start date."""
    start = msel.start
    assert start is not None

    def same(day: Any) -> Any:
        return day

    top = ax.secondary_xaxis("top", functions=(same, same))
    ticks = [t for t in ax.get_xticks() if msel.from_day - 1 <= t <= msel.to_day + 1]
    top.set_xticks(ticks, labels=[
        date_text(start + dt.timedelta(days=float(t) - msel.from_day), msel.labels.date_format)
        for t in ticks], fontsize=7)
    top.set_xlabel(about_word(msel, "date"), fontsize=8)
