"""A timeline figure of an MSEL for the exercise handbook: injects by recipient over time.

x is the scenario day (the date with --start); one row per recipient, markers by delivery
method, coloured by severity and labelled with the inject number; the disruptions run as bars
underneath. Drawn on a bare matplotlib Figure (no pyplot), so it changes no global state.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from sim.injects.build import Msel
from sim.injects.export import _atomic, about_word

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
STACK = (0.0, 0.22, -0.22)


def write_timeline(msel: Msel, path: str | Path, dpi: int = 150) -> Path:
    """Draw the MSEL's timeline as a PNG at `path`."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    path = Path(path)
    table = msel.table
    recipients = list(dict.fromkeys(table["to"]))
    windows = [w for w in msel.windows
               if w.start_day is not None and w.start_day <= msel.to_day
               and (w.end_day is None or w.end_day >= msel.from_day)]
    rows = len(recipients) + len(windows)
    figure = Figure(figsize=(12, 1.8 + 0.5 * max(rows, 1)), layout="constrained")
    ax = figure.subplots()
    # Recipients top-down, disruptions below them.
    y_of = {name: len(windows) + len(recipients) - 1 - i for i, name in enumerate(recipients)}
    methods = list(dict.fromkeys(table["method"]))
    marker_of = {m: MARKERS[i % len(MARKERS)] for i, m in enumerate(methods)}
    days = table["scenario_day"].to_numpy(dtype=float)
    ys = np.array([y_of[t] for t in table["to"]], dtype=float)
    # Injects to one recipient on one day stack a little, so each number stays readable.
    seen: Counter[tuple[float, float]] = Counter()
    for i, key in enumerate(zip(days, ys, strict=True)):
        ys[i] += STACK[seen[key] % len(STACK)]
        seen[key] += 1
    severity = table["severity"].to_numpy(dtype=float)
    scatter = None
    for method in methods:
        mask = (table["method"] == method).to_numpy()
        scatter = ax.scatter(days[mask], ys[mask], c=severity[mask], cmap="YlOrRd",
                             vmin=20, vmax=110, marker=marker_of[method], s=70,
                             edgecolors="black", linewidths=0.5, zorder=3)
    for number, x, y in zip(table["number"], days, ys, strict=True):
        ax.annotate(str(number), (x, y), xytext=(4, 4), textcoords="offset points",
                    fontsize=6, zorder=4)
    for k, w in enumerate(windows):
        start = max(w.start_day, msel.from_day)  # type: ignore[type-var]
        end = min(w.end_day if w.end_day is not None else msel.to_day, msel.to_day)
        ax.barh(len(windows) - 1 - k, max(end - start, 0.5), left=start, height=0.5,
                color="#b8c4d6", edgecolor="#5b6b82", zorder=2)
    labels = [*(w.name for w in windows)][::-1] + recipients[::-1]
    ax.set_yticks(range(rows), labels=labels, fontsize=8)
    if windows and recipients:
        ax.axhline(len(windows) - 0.5, color="grey", linewidth=0.6)
    ax.set_xlim(msel.from_day - 1, msel.to_day + 1)
    ax.set_ylim(-0.7, rows - 0.3)
    ax.grid(axis="x", color="#dddddd", linewidth=0.5)
    ax.set_xlabel(about_word(msel, "day"))
    if msel.start is not None:
        _date_axis(ax, msel)
    ax.set_title(f"{msel.labels.title}: {msel.scenario.name} ({about_word(msel, 'replication')} "
                 f"{msel.replication}, {len(table)} {about_word(msel, 'injects').lower()})",
                 fontsize=10)
    handles = [Line2D([], [], marker=marker_of[m], linestyle="", color="grey", label=m)
               for m in methods]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8,
                  frameon=False)
    if scatter is not None:
        bar = figure.colorbar(scatter, ax=ax, fraction=0.03, pad=0.12)
        bar.set_label(about_word(msel, "severity"), fontsize=8)
    _atomic(path, lambda tmp: figure.savefig(tmp, format="png", dpi=dpi))
    return path


def _date_axis(ax: object, msel: Msel) -> None:
    """Label a second x axis with dates (scenario day from_day is the start date)."""
    import datetime as dt

    start = msel.start
    assert start is not None

    def to_date(day: float) -> float:
        return day

    top = ax.secondary_xaxis("top", functions=(to_date, to_date))  # type: ignore[attr-defined]
    ticks = ax.get_xticks()  # type: ignore[attr-defined]
    top.set_xticks(ticks, labels=[
        (start + dt.timedelta(days=float(t) - msel.from_day)).strftime("%Y-%m-%d")
        for t in ticks], fontsize=7)
    top.set_xlabel(about_word(msel, "date"), fontsize=8)
