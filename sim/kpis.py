"""KPIs per node x product from a replication's daily arrays (warm-up days excluded).

Which KPI to read depends on the role (docs/engine.md, "KPIs"):
- demand, served, unmet, fill_rate: the node's *own* demand (patients at wards, customers at
  community pharmacies, municipal care): units asked, units served on the day asked, the rest
  (backordered or lost), and served / demand; empty (NaN) where the node has no own demand;
- orders, orders_shipped, order_fill_rate: its customers' orders, the units of them shipped on
  the day ordered, and their ratio: what to read for suppliers (manufacturers, importers,
  wholesalers, hospital pharmacies); empty where the node has no customers' orders;
- stockout_days: days that ended with nothing on hand of a product the node had demand or
  claims for that day; first_stockout_day: the first such day after warm-up (absolute day);
- min_days_of_supply: lowest end-of-day on-hand stock over expected normal daily flow;
- mean_on_hand: mean end-of-day on-hand stock;
- expired: units whose shelf life ended while the node held them (0 for products without one);
- fill_imperative, fill_urgent, fill_deferrable, unmet_imperative, unmet_urgent,
  unmet_deferrable and demand_imperative, demand_urgent, demand_deferrable: fill rate, unmet
  units and units asked of the node's care demand of each priority (empty and 0 without care
  demand of that priority);
- conserved: units of demand that rationing's `conserve` saved;
- redistributed_in, redistributed_out, released, emergency_in, substituted, used_expired:
  units the countermeasures moved into and out of the node (redistribution, stockpile
  release, emergency lanes), own demand served by a substitute, and units used after their
  shelf life had ended (docs/countermeasures.md).
"""

from __future__ import annotations

import numpy as np

from sim.countermeasures import KPI_NAMES as CM_KPIS
from sim.network import MIN_FLOW, Network
from sim.records import Daily

KPI_COLUMNS: tuple[str, ...] = (
    "demand", "served", "unmet", "fill_rate", "orders", "orders_shipped", "order_fill_rate",
    "stockout_days", "first_stockout_day", "min_days_of_supply", "mean_on_hand", "expired",
    "fill_imperative", "fill_urgent", "fill_deferrable",
    "unmet_imperative", "unmet_urgent", "unmet_deferrable",
    "demand_imperative", "demand_urgent", "demand_deferrable", "conserved",
    *CM_KPIS,
)
PRIORITIES: tuple[str, ...] = ("imperative", "urgent", "deferrable")
# Integer KPI columns (counts of units or days).
COUNT_COLUMNS: tuple[str, ...] = (
    "demand", "served", "unmet", "orders", "orders_shipped", "stockout_days", "expired",
    "unmet_imperative", "unmet_urgent", "unmet_deferrable",
    "demand_imperative", "demand_urgent", "demand_deferrable", "conserved", *CM_KPIS,
)


def kpi_arrays(net: Network, daily: Daily, warmup: int) -> dict[str, np.ndarray]:
    """Each KPI as a float[n, p] array."""
    sl = slice(warmup, None)
    demand = daily.demand[sl].sum(axis=0)
    served = daily.served[sl].sum(axis=0)
    orders = daily.orders[sl].sum(axis=0)
    shipped = daily.orders_shipped[sl].sum(axis=0)
    short = daily.short[sl]
    any_short = short.any(axis=0)
    first = np.where(any_short, short.argmax(axis=0) + warmup, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(demand > 0, served / np.maximum(demand, 1), np.nan)
        order_fill = np.where(orders > 0, shipped / np.maximum(orders, 1), np.nan)
        flow = np.where(net.normal_flow > MIN_FLOW, net.normal_flow, np.nan)
        dos = daily.on_hand[sl].min(axis=0) / flow
    care: dict[str, np.ndarray] = {}
    for k, name in enumerate(PRIORITIES):
        if daily.care_demand is None:
            care[f"fill_{name}"] = np.full(demand.shape, np.nan)
            care[f"unmet_{name}"] = np.zeros(demand.shape)
            care[f"demand_{name}"] = np.zeros(demand.shape)
            continue
        asked, got = daily.care_demand[k], daily.care_served[k]
        with np.errstate(divide="ignore", invalid="ignore"):
            care[f"fill_{name}"] = np.where(asked > 0, got / np.maximum(asked, 1), np.nan)
        care[f"unmet_{name}"] = (asked - got).astype(float)
        care[f"demand_{name}"] = asked.astype(float)
    care["conserved"] = (daily.conserved.astype(float) if daily.conserved is not None
                         else np.zeros(demand.shape))
    moved = daily.countermeasures or {}
    for name in CM_KPIS:
        care[name] = (moved[name].astype(float) if name in moved else np.zeros(demand.shape))
    return {
        **care,
        "demand": demand.astype(float),
        "served": served.astype(float),
        "unmet": (demand - served).astype(float),
        "fill_rate": fill,
        "orders": orders.astype(float),
        "orders_shipped": shipped.astype(float),
        "order_fill_rate": order_fill,
        "stockout_days": short.sum(axis=0).astype(float),
        "first_stockout_day": first,
        "min_days_of_supply": dos,
        "mean_on_hand": daily.on_hand[sl].mean(axis=0),
        "expired": (daily.expired[sl].sum(axis=0).astype(float) if daily.expired is not None
                    else np.zeros(demand.shape)),
    }
