"""One KPI per replication over the node-products a `match` selects, and its confidence bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.batch.stats import t_quantile
from sim.network import node_mask
from sim.research.spec import Kpi
from sim.scenario import Scenario


def matched(scenario: Scenario, kpi: Kpi) -> tuple[set[str], set[str]]:
    """The node ids and product ids the KPI's `match` selects."""
    mask = node_mask(list(scenario.nodes), kpi.match)
    nodes = {n.id for n, keep in zip(scenario.nodes, mask, strict=True) if keep}
    m = kpi.match
    products = set(scenario.products)
    for wanted, attr in ((m.product, None), (m.group, "group")):
        if wanted is None:
            continue
        names = {wanted} if isinstance(wanted, str) else set(wanted)
        products = {p for p in products
                    if (p if attr is None else scenario.products[p].group) in names}
    return nodes, products


def per_replication(kpis: pd.DataFrame, scenario: Scenario, kpi: Kpi) -> pd.DataFrame:
    """The KPI per variant and replication: columns `variant`, `replication`, `value`.

    Fill is by units over all matched node-products (served over demand, as the batch summary
    does), not a mean of per-node fills; unmet units and stockout days are summed over the
    matched node-products (node-product-days short), as the batch summary does; share_short is
    the share of them with a stockout day.
    """
    nodes, products = matched(scenario, kpi)
    rows = kpis[kpis["node"].astype(str).isin(nodes) & kpis["product"].astype(str).isin(products)]
    rows = rows.assign(variant=rows["variant"].astype(str),
                       short=(rows["stockout_days"] > 0).astype(float))
    per = rows.groupby(["variant", "replication"], sort=False).agg(
        demand=("demand", "sum"), served=("served", "sum"), orders=("orders", "sum"),
        orders_shipped=("orders_shipped", "sum"), unmet=("unmet", "sum"),
        stockout_days=("stockout_days", "sum"), share_short=("short", "mean"),
    ).reset_index()
    if kpi.kpi == "fill_rate":
        value = per["served"] / per["demand"].astype(float).where(per["demand"] > 0)
    elif kpi.kpi == "order_fill_rate":
        value = per["orders_shipped"] / per["orders"].astype(float).where(per["orders"] > 0)
    else:
        value = per[kpi.kpi].astype(float)
    return pd.DataFrame({"variant": per["variant"], "replication": per["replication"],
                         "value": value.to_numpy(dtype=float)})


@dataclass(frozen=True)
class Estimate:
    """Mean of a KPI over replications with one-sided confidence bounds (Student t)."""

    n: int
    mean: float
    sd: float
    lower: float
    upper: float


def estimate(values: np.ndarray, confidence: float) -> Estimate:
    """Mean and one-sided `confidence` bounds of `values` (NaN left out)."""
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return Estimate(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(values.mean())
    if n == 1:
        return Estimate(1, mean, math.nan, -math.inf, math.inf)
    sd = float(values.std(ddof=1))
    half = t_quantile(confidence, n - 1) * sd / math.sqrt(n)
    return Estimate(n, mean, sd, mean - half, mean + half)


def undefined_problems(scenario: Scenario, kpi: Kpi, source: Any, where: tuple) -> list[Any]:
    """The KPI has nothing to measure among the matched node-products (it would be NaN).

    fill_rate needs own demand there, order_fill_rate customers' orders (a lane out of a
    matched node carrying a matched product to a node that handles it); any KPI needs at least
    one matched node-product. Checked before anything runs, on the scenario as given.
    """
    from sim.network import network_of

    nodes, products = matched(scenario, kpi)
    net = network_of(scenario)
    rows = np.array([n in nodes for n in net.node_ids])
    cols = np.array([p in products for p in net.product_ids])
    what = ", ".join(f"{k}={v}" for k, v in kpi.match.model_dump(exclude_none=True).items())
    what = f"match {what}" if what else "the whole scenario"
    if not rows.any() or not cols.any():
        return [source.problem((*where, "match"),
                               f"{what} selects no node-product, so {kpi.kpi} is undefined")]
    if kpi.kpi == "fill_rate" and not net.has_demand[np.ix_(rows, cols)].any():
        return [source.problem(
            (*where, "kpi"), f"fill_rate is undefined for {what}: no own demand among the "
            "matched node-products (suppliers serve orders: use order_fill_rate)")]
    if kpi.kpi == "order_fill_rate":
        out = rows[net.lane_src]
        ordered = (net.lane_carries & net.handles[net.lane_dst]) & out[:, None] & cols[None, :]
        if not ordered.any():
            return [source.problem(
                (*where, "kpi"), f"order_fill_rate is undefined for {what}: no customer "
                "orders a matched product from a matched node (demand points: use fill_rate)")]
    return []
