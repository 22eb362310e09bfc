"""The report's figures as PNG data URIs: inlined, so the file needs no network and no folder.

PNG rather than SVG: a heatmap of 21 regions x 150 days is 3,000 rectangles, which as SVG is
several times larger than as a compressed image and slower to draw on an office PC.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

DPI = 90


def _uri(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight",
                metadata={"Software": None})  # no version stamp: the same input, same bytes
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def heatmap(table: pd.DataFrame, thresholds: Sequence[float], title: str, days_label: str,
            legend: Sequence[str]) -> str:
    """Days of supply, regions down and days across, coloured by the threshold bands."""
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    plt = _pyplot()
    grid = table.pivot(index="region", columns="day", values="median")
    cuts = sorted(float(t) for t in thresholds)
    colours = ["#8b0000", "#d7301f", "#fc8d59", "#fdcc8a", "#d9f0d3", "#1a9850"]
    colours = [*colours[:len(cuts)], "#1a9850"]
    bounds = [0.0, *cuts, 1e12]
    cmap = ListedColormap(colours[:len(bounds) - 1]).with_extremes(bad="#eeeeee")
    fig, ax = plt.subplots(figsize=(9, 0.16 * len(grid) + 1.2))
    values = np.ma.masked_invalid(grid.to_numpy(dtype=float))
    days = grid.columns.to_numpy()
    # imshow, not pcolormesh: one image instead of a patch per cell, ten times faster to draw.
    ax.imshow(values, cmap=cmap, norm=BoundaryNorm(bounds, cmap.N), aspect="auto",
              interpolation="nearest",
              extent=(days[0] - 0.5, days[-1] + 0.5, len(grid) - 0.5, -0.5))
    ax.set_yticks(np.arange(len(grid)), labels=list(grid.index), fontsize=7)
    ax.set_xlabel(days_label)
    ax.set_title(title, fontsize=10, loc="left")
    handles = [Patch(color=c, label=label) for c, label in zip(colours, legend, strict=False)]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7,
              frameon=False)
    return _uri(fig)


def timeline(windows: pd.DataFrame, horizon: int, days_label: str) -> str:
    """The disruption windows as bars, one row per disruption."""
    plt = _pyplot()
    names = list(dict.fromkeys(windows["name"]))
    fig, ax = plt.subplots(figsize=(9, 0.35 * len(names) + 1.0))
    for i, name in enumerate(names):
        rows = windows[windows["name"] == name]
        spans = [(s, (horizon if pd.isna(e) else e) - s) for s, e in zip(rows["start"],
                                                                          rows["end"],
                                                                          strict=True)]
        recovery = "phase" in rows and (rows["phase"] == "recovery").all()
        ax.broken_barh(spans, (i + 0.15, 0.7), color="#fc8d59" if recovery else "#d7301f")
    ax.set_yticks(np.arange(len(names)) + 0.5, labels=names, fontsize=8)
    ax.set_ylim(0, len(names))
    ax.invert_yaxis()
    ax.set_xlim(0, horizon)
    ax.set_xlabel(days_label)
    ax.grid(axis="x", alpha=0.3)
    return _uri(fig)
