"""A timeline figure of an MSEL for the exercise handbook: injects by recipient over time.

x is the scenario day (with dates on top when the MSEL has a start date); one band per
recipient, markers by delivery method (a fixed shape per method), coloured by severity on a
labelled scale and numbered; the disruptions run as bars in a strip underneath. Margins keep
markers on the first and last days whole. Drawn on a bare matplotlib Figure (no pyplot), so it
changes no global state.
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
METHOD_MARKERS: dict[str, str] = {"phone": "o", "email": "s", "media": "^", "sitrep": "D"}
"""The shipped delivery methods' marker shapes: the same in every figure and language."""
LANE_GAP_DAYS = 3.0
"""Injects to one recipient closer than this in days go on separate lanes of its band."""
LANE_HEIGHT = 0.38
MAX_LANES = 8
SEVERITY_RANGE = (20.0, 110.0)
"""Colour scale of severity (rule base 0-100 + intensity up to 20 + breadth up to 10)."""


def method_markers(msel: Msel) -> dict[str, str]:
    """Marker shape per delivery method, in the MSEL's words.

    Fixed by the method's id, not by the order methods first appear in a figure: the shipped
    methods have METHOD_MARKERS, others the remaining shapes in the order of the rules file's
    labels.
    """
    words = msel.labels.methods
    spare = [m for m in MARKERS if m not in METHOD_MARKERS.values()]
    out: dict[str, str] = {}
    for method_id, word in words.items():
        if method_id in METHOD_MARKERS:
            out[word] = METHOD_MARKERS[method_id]
        else:  # more methods than shapes: they repeat, in the file's order
            out[word] = spare.pop(0) if spare else MARKERS[len(out) % len(MARKERS)]
    return out


def write_timeline(msel: Msel, path: str | Path, dpi: int = 150) -> Path:
    """Draw the MSEL's timeline as a PNG at `path`."""
    path = Path(path)
    figure = timeline_figure(msel)
    atomic_write(path, lambda tmp: figure.savefig(tmp, format="png", dpi=dpi))
    return path


def timeline_figure(msel: Msel) -> Any:
    """The timeline as a matplotlib Figure (no pyplot: no global state)."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

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
    marker_of = method_markers(msel)
    methods = [m for m in marker_of if (table["method"] == m).any()]
    severity = table["severity"].to_numpy(dtype=float)
    scatter = None
    low_sev, high_sev = SEVERITY_RANGE
    for method in methods:
        mask = (table["method"] == method).to_numpy()
        scatter = ax.scatter(days[mask], ys[mask], c=severity[mask], cmap="YlOrRd",
                             vmin=low_sev, vmax=high_sev, marker=marker_of[method], s=55,
                             edgecolors="black", linewidths=0.5, zorder=3, clip_on=False,
                             label=method, gid=f"method:{marker_of[method]}")
    for number, x, y in zip(table["number"], days, ys, strict=True):
        ax.annotate(str(number), (x, y), xytext=(3, 3), textcoords="offset points",
                    fontsize=6, zorder=4, annotation_clip=False)
    for k, (_, centre, height) in enumerate(bands):
        if k % 2 == 0:
            ax.axhspan(centre - height / 2, centre + height / 2, color="#eef1f6", zorder=0)
    ax.set_yticks([c for _, c, _ in bands], labels=[n for n, _, _ in bands], fontsize=8)
    # Room around the edges, so that markers and their numbers on the first and last days
    # and in the outer lanes are drawn whole.
    ax.set_ylim(-0.35, top_height + 0.35)
    ax.set_ylabel(about_word(msel, "recipient"), fontsize=8)
    ax.set_xlim(*x_limits(msel))
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
        bar = figure.colorbar(scatter, cax=ax.inset_axes((1.02, 0.12, 0.012, 0.4)))
        bar.set_label(about_word(msel, "severity"), fontsize=7)
        bar.set_ticks([low_sev, 50, 80, high_sev])
        bar.ax.tick_params(labelsize=7)
        # What the scale adds up, under the bar, a term a line: rule + intensity + breadth.
        scale = about_word(msel, "severity_scale").replace(" + ", "\n+ ")
        bar.ax.set_xlabel(scale, fontsize=6, loc="left", labelpad=4)
    return figure


def x_limits(msel: Msel) -> tuple[float, float]:
    """The days shown: the window, with room for a marker and its number at each end."""
    pad = max(2.0, 0.015 * (msel.to_day - msel.from_day))
    return msel.from_day - pad, msel.to_day + pad


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
    low, high = x_limits(msel)
    ticks = [t for t in ax.get_xticks() if low <= t <= high]
    top.set_xticks(ticks, labels=[
        date_text(start + dt.timedelta(days=float(t) - msel.from_day), msel.labels.date_format)
        for t in ticks], fontsize=7)
    top.set_xlabel(about_word(msel, "date"), fontsize=8)
