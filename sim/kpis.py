"""KPIs per node x product from a replication's daily arrays (warm-up days excluded).

- demand: own demand plus customer orders received, in units;
- served: what was served or shipped on the day it was asked for;
- unmet = demand - served (backordered or lost); fill_rate = served / demand;
- stockout_days: days ending with unserved demand (a backlog owed, or demand lost);
- first_stockout_day: the first such day after warm-up (absolute day number), else NaN;
- min_days_of_supply: lowest end-of-day on-hand stock over expected normal daily demand;
- mean_on_hand: mean end-of-day on-hand stock.
"""

from __future__ import annotations

import numpy as np

from sim.network import MIN_FLOW, Network
from sim.records import Daily

KPI_COLUMNS: tuple[str, ...] = (
    "demand", "served", "unmet", "fill_rate", "stockout_days", "first_stockout_day",
    "min_days_of_supply", "mean_on_hand",
)


def kpi_arrays(net: Network, daily: Daily, warmup: int) -> dict[str, np.ndarray]:
    """Each KPI as a float[n, p] array."""
    sl = slice(warmup, None)
    demand = daily.demand[sl].sum(axis=0)
    served = daily.served[sl].sum(axis=0)
    short = daily.short[sl]
    any_short = short.any(axis=0)
    first = np.where(any_short, short.argmax(axis=0) + warmup, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(demand > 0, served / np.maximum(demand, 1), np.nan)
        flow = np.where(net.normal_flow > MIN_FLOW, net.normal_flow, np.nan)
        dos = daily.on_hand[sl].min(axis=0) / flow
    return {
        "demand": demand.astype(float),
        "served": served.astype(float),
        "unmet": (demand - served).astype(float),
        "fill_rate": fill,
        "stockout_days": short.sum(axis=0).astype(float),
        "first_stockout_day": first,
        "min_days_of_supply": dos,
        "mean_on_hand": daily.on_hand[sl].mean(axis=0),
    }
