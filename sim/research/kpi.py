"""One KPI per replication over the node-products a `match` selects, and its confidence bounds."""

from __future__ import annotations

import math
from dataclasses import dataclass

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
    does), not a mean of per-node fills; stockout days are per matched node-product.
    """
    nodes, products = matched(scenario, kpi)
    rows = kpis[kpis["node"].astype(str).isin(nodes) & kpis["product"].astype(str).isin(products)]
    rows = rows.assign(variant=rows["variant"].astype(str),
                       short=(rows["stockout_days"] > 0).astype(float))
    per = rows.groupby(["variant", "replication"], sort=False).agg(
        demand=("demand", "sum"), served=("served", "sum"), orders=("orders", "sum"),
        orders_shipped=("orders_shipped", "sum"), unmet=("unmet", "sum"),
        stockout_days=("stockout_days", "mean"), share_short=("short", "mean"),
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
