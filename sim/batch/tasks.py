"""One unit of batch work: some replications of one variant, run wherever an executor puts it.

A task carries its variant as resolved JSON (small, and the same bytes on any machine) and
returns plain DataFrames; it writes nothing, so the client that submitted it decides where
results go. Replication k of every variant uses the same seed (common random numbers).
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.batch.stats import moments
from sim.countermeasures import KPI_NAMES as CM_KPIS
from sim.engine import Replication, run_replication
from sim.kpis import KPI_COLUMNS
from sim.network import Network, network_of
from sim.results import (
    CARE_COLUMNS,
    DAILY_VALUES,
    care_table,
    countermeasure_table,
    daily_table,
    event_table,
    kpi_table,
    ledger_table,
)
from sim.scenario import Scenario, from_dict

TABLES: tuple[str, ...] = ("kpis", "daily", "events", "ledger")
SUMMARY_KPIS: tuple[str, ...] = (
    "fill_rate", "order_fill_rate", "unmet", "share_short", "stockout_days",
    "first_stockout_day", "min_days_of_supply", "expired",
    "fill_imperative", "fill_urgent", "fill_deferrable",
    "unmet_imperative", "unmet_urgent", "unmet_deferrable", "conserved",
    *CM_KPIS,
)
PRIORITIES: tuple[str, ...] = ("imperative", "urgent", "deferrable")
CARE_KEYS: tuple[str, ...] = ("node", "role", "region", "category")
"""The care table's keys: per replication, node and care category (`sim.results.care_table`)."""
DEMAND_POINTS = "demand_points"
"""Pseudo-role in the replication summary: every node-product with demand of its own."""


@dataclass(frozen=True)
class TaskSpec:
    """Replications `first .. first + count - 1` of variant number `variant`."""

    variant: int
    first: int
    count: int
    seed: int
    scenario_json: str
    scenario_hash: str
    tables: tuple[str, ...] = ("kpis",)
    daily: str = "role"
    aggregate: bool = False

    @property
    def task_id(self) -> str:
        """Stable name of the task: its part folder on disk."""
        return f"v{self.variant:04d}-r{self.first:06d}"


@dataclass
class TaskOutput:
    """What a task hands back: its tables, a per-replication summary, and where it ran.

    With care demand, `tables` also holds `care` (per replication, node and category, or their
    moments when aggregated) and `rep_care` the care totals per replication, role and category.
    """

    task_id: str
    tables: dict[str, pd.DataFrame]
    rep_summary: pd.DataFrame
    pid: int
    host: str
    seconds: float


_CACHE: dict[str, Scenario] = {}


def _scenario(spec: TaskSpec) -> Scenario:
    """Validate a variant once per worker process, not once per task."""
    sc = _CACHE.get(spec.scenario_hash)
    if sc is None:
        if len(_CACHE) >= 8:
            _CACHE.pop(next(iter(_CACHE)))
        sc = from_dict(json.loads(spec.scenario_json))
        _CACHE[spec.scenario_hash] = sc
    return sc


def run_task(spec: TaskSpec) -> TaskOutput:
    """Run the task's replications one at a time, turning each into rows before the next.

    A replication's raw daily arrays are large (days x nodes x products, several fields), so
    only its rows are kept.
    """
    started = time.perf_counter()
    sc = _scenario(spec)
    net = network_of(sc)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in (*TABLES, "summary")}
    care: list[pd.DataFrame] = []
    measures: list[pd.DataFrame] = []
    for k in range(spec.first, spec.first + spec.count):
        rep = run_replication(net, spec.seed, k)
        kpis = kpi_table(net, [rep], sc.warmup_days)
        parts["kpis"].append(kpis)
        parts["summary"].append(replication_summary(net, kpis, rep))
        if net.care is not None:
            care.append(care_table(net, [rep]))
        if sc.countermeasures:
            measures.append(countermeasure_table(net, [rep]))
        if "daily" in spec.tables:
            parts["daily"].append(daily_table(net, [rep], spec.daily))  # type: ignore[arg-type]
        if "events" in spec.tables:
            parts["events"].append(event_table(net, [rep]))
        if "ledger" in spec.tables:
            parts["ledger"].append(ledger_table(net, [rep]))
        del rep
    tables: dict[str, pd.DataFrame] = {}
    for name in spec.tables:
        frames = parts[name]
        if spec.aggregate and name == "kpis":
            tables[name] = kpi_moments(frames)
        elif spec.aggregate and name == "daily":
            tables[name] = daily_moments(frames)
        else:
            tables[name] = pd.concat(frames, ignore_index=True)
        tables[name].insert(0, "variant", np.int32(spec.variant))
    if care:
        tables["care"] = care_moments(care) if spec.aggregate else pd.concat(
            care, ignore_index=True)
        tables["rep_care"] = replication_care(pd.concat(care, ignore_index=True))
        for name in ("care", "rep_care"):
            tables[name].insert(0, "variant", np.int32(spec.variant))
    if measures:
        tables["rep_countermeasures"] = pd.concat(measures, ignore_index=True)
        tables["rep_countermeasures"].insert(0, "variant", np.int32(spec.variant))
    summary = pd.concat(parts["summary"], ignore_index=True)
    summary.insert(0, "variant", np.int32(spec.variant))
    return TaskOutput(spec.task_id, tables, summary, os.getpid(), socket.gethostname(),
                      time.perf_counter() - started)


def replication_summary(net: Network, kpis: pd.DataFrame, rep: Replication | None = None
                        ) -> pd.DataFrame:
    """Scalar KPIs of one replication by role and product group, plus all demand points.

    With care demand (`rep` given), also the fill of care demand by priority: units of it
    served on the day over units asked, summed over the group's node-products.
    """
    groups = {pid: p.group for pid, p in net.scenario.products.items()}
    nodes = kpis["node"].cat.codes.to_numpy()
    positions = {name: i for i, name in enumerate(net.node_ids)}
    node_index = np.array([positions[n] for n in kpis["node"].cat.categories])[nodes]
    product_index = np.array(
        [net.product_ids.index(p) for p in kpis["product"].cat.categories]
    )[kpis["product"].cat.codes.to_numpy()]
    own = net.has_demand[node_index, product_index]
    df = pd.DataFrame({
        "replication": kpis["replication"].to_numpy(),
        "role": kpis["role"].astype(str).to_numpy(),
        "group": kpis["product"].astype(str).map(groups).to_numpy(),
        "demand": kpis["demand"].to_numpy(),
        "served": kpis["served"].to_numpy(),
        "unmet": kpis["unmet"].to_numpy(),
        "orders": kpis["orders"].to_numpy(),
        "orders_shipped": kpis["orders_shipped"].to_numpy(),
        "stockout_days": kpis["stockout_days"].to_numpy(),
        "short": (kpis["stockout_days"] > 0).to_numpy(),
        "first_stockout_day": kpis["first_stockout_day"].to_numpy(),
        "min_days_of_supply": kpis["min_days_of_supply"].to_numpy(),
        "expired": kpis["expired"].to_numpy(),
        **{k: kpis[k].to_numpy() for k in ("unmet_imperative", "unmet_urgent",
                                            "unmet_deferrable", "conserved", *CM_KPIS)},
        **_care_by_priority(rep, node_index, product_index),
    })
    both = pd.concat([df, df[own].assign(role=DEMAND_POINTS)], ignore_index=True)
    out = both.groupby(["replication", "role", "group"], sort=False).agg(
        demand=("demand", "sum"), served=("served", "sum"), unmet=("unmet", "sum"),
        orders=("orders", "sum"), orders_shipped=("orders_shipped", "sum"),
        stockout_days=("stockout_days", "sum"), share_short=("short", "mean"),
        first_stockout_day=("first_stockout_day", "min"),
        min_days_of_supply=("min_days_of_supply", "min"),
        expired=("expired", "sum"),
        unmet_imperative=("unmet_imperative", "sum"), unmet_urgent=("unmet_urgent", "sum"),
        unmet_deferrable=("unmet_deferrable", "sum"), conserved=("conserved", "sum"),
        **{k: (k, "sum") for k in CM_KPIS},
        **{f"{k}_{p}": (f"{k}_{p}", "sum") for p in PRIORITIES for k in ("asked", "got")},
    ).reset_index()
    for p in PRIORITIES:
        asked = out[f"asked_{p}"].astype(float)
        out[f"fill_{p}"] = out[f"got_{p}"] / asked.where(asked > 0)
    demand = out["demand"].astype(float)
    out["fill_rate"] = out["served"] / demand.where(demand > 0)
    orders = out["orders"].astype(float)
    out["order_fill_rate"] = out["orders_shipped"] / orders.where(orders > 0)
    out["unmet"] = out["unmet"].astype(float)
    out["stockout_days"] = out["stockout_days"].astype(float)
    return out[["replication", "role", "group", *SUMMARY_KPIS]]


def _care_by_priority(rep: Replication | None, nodes: np.ndarray, products: np.ndarray
                      ) -> dict[str, np.ndarray]:
    """Care demand asked and served on the day, by priority, for the KPI rows' node-products."""
    daily = None if rep is None else rep.daily
    out: dict[str, np.ndarray] = {}
    for k, p in enumerate(PRIORITIES):
        if daily is None or daily.care_demand is None or daily.care_served is None:
            out[f"asked_{p}"] = out[f"got_{p}"] = np.zeros(len(nodes), dtype=np.int64)
            continue
        out[f"asked_{p}"] = daily.care_demand[k][nodes, products]
        out[f"got_{p}"] = daily.care_served[k][nodes, products]
    return out


def replication_care(care: pd.DataFrame) -> pd.DataFrame:
    """Care totals per replication, role and category (summed over nodes), from `care_table`."""
    return (care.groupby(["replication", "role", "category"], observed=True, sort=False)
            [list(CARE_COLUMNS)].sum().reset_index()
            .astype({c: "int64" for c in CARE_COLUMNS}))


def care_moments(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Count, mean and M2 of the care counts per node x category over the task's replications."""
    keys = frames[0][list(CARE_KEYS)].reset_index(drop=True)
    stacked = {c: np.stack([f[c].to_numpy(dtype=float) for f in frames]) for c in CARE_COLUMNS}
    return _moment_columns(keys, stacked)


def _moment_columns(keys: pd.DataFrame, stacked: dict[str, np.ndarray]) -> pd.DataFrame:
    out: dict[str, Any] = {c: keys[c] for c in keys.columns}
    for name, values in stacked.items():
        n, mean, m2 = moments(values)
        out[f"{name}__n"] = n
        out[f"{name}__mean"] = mean
        out[f"{name}__m2"] = m2
    return pd.DataFrame(out)


def kpi_moments(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Count, mean and M2 of every KPI per node x product over the task's replications."""
    keys = frames[0][["node", "role", "region", "product"]].reset_index(drop=True)
    stacked = {c: np.stack([f[c].to_numpy(dtype=float) for f in frames]) for c in KPI_COLUMNS}
    return _moment_columns(keys, stacked)


def daily_moments(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Count, mean and M2 of the daily values per day x node/region/role x product."""
    keys = frames[0].drop(columns=["replication", *DAILY_VALUES]).reset_index(drop=True)
    stacked = {c: np.stack([f[c].to_numpy(dtype=float) for f in frames]) for c in DAILY_VALUES}
    return _moment_columns(keys, stacked)
