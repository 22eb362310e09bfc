"""Turn replications into tidy pandas tables, built once at the end of a run."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import yaml

from sim.engine import Replication
from sim.kpis import COUNT_COLUMNS, KPI_COLUMNS, kpi_arrays
from sim.network import Network
from sim.records import Ledger
from sim.scenario.schema import Scenario

Aggregation = Literal["node", "region", "role", "none"]
Filter = str | Sequence[str] | None
"""A name or names to keep (`role="ward"`, `group=["ppe", "medical_gases"]`), or None: all."""
DAILY_VALUES: tuple[str, ...] = (
    "on_hand", "backorders", "inbound_in_transit", "demand", "served", "orders",
    "orders_shipped",
)


@dataclass(frozen=True)
class RunResult:
    """The outcome of `sim.run`: tables as DataFrames, plus what produced them."""

    scenario: Scenario
    seed: int
    replications: int
    kpis: pd.DataFrame
    daily: pd.DataFrame
    events: pd.DataFrame
    ledger: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    care: pd.DataFrame = field(default_factory=pd.DataFrame)
    """With care demand: per replication, node and care category, the days after warm-up:
    admissions, deferred_admissions, cancelled_admissions, patient_days (empty without)."""
    countermeasures: pd.DataFrame = field(default_factory=pd.DataFrame)
    """With countermeasures: per replication and countermeasure, its type, the day it was
    triggered, its first active day, its days active and the units it moved (empty without)."""

    @classmethod
    def open(cls, folder: str | Path) -> RunResult:
        """A results folder written by `beredskap run` (or `sim.export.write_results`).

        The scenario is read back from `scenario.resolved.yaml`, the tables from Parquet.
        """
        folder = Path(folder)
        manifest_file = folder / "manifest.json"
        if not manifest_file.exists():
            raise FileNotFoundError(f"{folder} holds no finished run (no manifest.json)")
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
        if "plan" in manifest:
            raise ValueError(f"{folder} is a batch folder: open it with sim.BatchResult.open "
                             "or sim.open")
        from sim.scenario import from_dict

        resolved_file = folder / "scenario.resolved.yaml"
        # The C loader when PyYAML has it, as the scenario loader does: the national network's
        # resolved scenario takes seconds with the pure-Python one (every exercise step and
        # situation report reads it back).
        data = yaml.load(resolved_file.read_text(encoding="utf-8"),
                         Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        scenario = from_dict(data, str(resolved_file))
        tables = {name: pd.read_parquet(folder / f"{name}.parquet")
                  for name in ("kpis", "daily", "events", "ledger")}
        for extra in ("care", "countermeasures"):
            if (folder / f"{extra}.parquet").exists():
                tables[extra] = pd.read_parquet(folder / f"{extra}.parquet")
        return cls(scenario=scenario, seed=int(manifest["seed"]),
                   replications=int(manifest["replications"]),
                   timings=dict(manifest.get("timings_s", {})), **tables)

    def summary(self, role: Filter = None, group: Filter = None,
                region: Filter = None) -> pd.DataFrame:
        """KPIs by role and product group (what `beredskap run` prints), optionally filtered.

        `role`, `group` and `region` take a name or a list of names; see `summarise`.
        """
        return summarise(select(self.kpis, self.scenario, role, group, region), self.scenario)

    def fill_by_product(self, role: Filter = None, group: Filter = None,
                        region: Filter = None) -> pd.DataFrame:
        """Fill rate of own demand per product (with its name), lowest first.

        Over demand points only (nodes with demand of their own), all replications pooled:
        units of different products (gloves, oxygen m3) are never added up.
        """
        kpis = select(self.kpis, self.scenario, role, group, region)
        own = kpis[kpis["demand"] > 0]
        by = own.groupby("product", observed=True)[["served", "demand"]].sum()
        by = by[by["demand"] > 0]
        out = by.assign(fill_rate=by["served"] / by["demand"]).reset_index()
        out["product"] = out["product"].astype(str)
        out.insert(1, "name", out["product"].map(
            {pid: p.name for pid, p in self.scenario.products.items()}))
        return out.sort_values("fill_rate", kind="stable").reset_index(drop=True)

    def crisis(self) -> Crisis:
        """When the crisis starts and the first stockout after it (median over replications).

        The warm-up's end is not a crisis: without disruptions there is no crisis and no
        first stockout to report.
        """
        return crisis_timing(self.events, self.replications)

    def flows(self) -> pd.DataFrame:
        """Expected normal daily flow per node and product (the days-of-supply denominator)."""
        from sim.network import network_of

        net = network_of(self.scenario)
        nodes, products = np.nonzero(net.handles & ~net.unlimited[:, None])
        return pd.DataFrame({
            "node": np.array(net.node_ids, dtype=object)[nodes],
            "role": np.array(net.roles, dtype=object)[nodes],
            "region": np.array(net.regions, dtype=object)[nodes],
            "product": np.array(net.product_ids, dtype=object)[products],
            "group": [self.scenario.products[net.product_ids[j]].group for j in products],
            "normal_flow": net.normal_flow[nodes, products],
        })

    def days_of_supply(self, by: Sequence[str] = ("role", "group")) -> pd.DataFrame:
        """Stock on hand over normal daily flow, per day and group, averaged over replications.

        `by` takes columns of `flows()`: node, role, region, product, group. Needs the daily
        table at node level (the default).
        """
        if "node" not in self.daily.columns:
            raise ValueError("days_of_supply needs the daily table by node (run with daily='node')")
        keys = list(by)
        daily = self.daily[["replication", "day", "node", "product", "on_hand"]].astype(
            {"node": str, "product": str})
        merged = daily.merge(self.flows(), on=["node", "product"])
        grouped = merged.groupby(["replication", "day", *keys], observed=True)[
            ["on_hand", "normal_flow"]].sum()
        grouped["days_of_supply"] = grouped["on_hand"] / grouped["normal_flow"].where(
            grouped["normal_flow"] > 0)
        return grouped.groupby(["day", *keys], observed=True)[
            ["on_hand", "normal_flow", "days_of_supply"]].mean().reset_index()

    def __repr__(self) -> str:
        return (
            f"RunResult(scenario={self.scenario.name!r}, seed={self.seed}, "
            f"replications={self.replications}, kpis={len(self.kpis)} rows, "
            f"daily={len(self.daily)} rows, events={len(self.events)} rows)"
        )


def _categorical(values: Sequence[str] | np.ndarray, categories: Sequence[str]) -> pd.Categorical:
    return pd.Categorical(values, categories=list(dict.fromkeys(categories)))


def _file_order(net: Network) -> np.ndarray:
    """Engine node positions in the order the scenario lists the nodes."""
    return np.argsort(net.scenario_index)


def _cells(net: Network, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (node, product) cells of `mask`, nodes in the scenario's order.

    The engine keeps nodes upstream first; tables read as the file does.
    """
    nodes, products = np.nonzero(mask)
    order = np.lexsort((products, net.scenario_index[nodes]))
    return nodes[order], products[order]


def _codebook(labels: Sequence[str],
              order: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """Each label's category code, and the categories (the distinct labels).

    Categories come in the order of `labels`, or of `labels` taken at the positions `order`.
    The codes are in the integer type pandas keeps for that many categories, so a column built
    from them is not converted again, row by row.
    """
    listed = labels if order is None else [labels[i] for i in order.tolist()]
    unique = list(dict.fromkeys(listed))
    position = {name: i for i, name in enumerate(unique)}
    dtype = np.int8 if len(unique) < 127 else np.int16 if len(unique) < 32767 else np.int32
    return np.array([position[name] for name in labels], dtype=dtype), unique


def _coded(codes: np.ndarray, labels: Sequence[str],
           order: np.ndarray | None = None) -> pd.Categorical:
    """A categorical column from integer positions into `labels` (which may repeat).

    Categories come in the order of `labels`, or of `labels` taken at the positions `order`.
    """
    remap, unique = _codebook(labels, order)
    return pd.Categorical.from_codes(remap[codes], categories=unique)


def _repeated(cells: np.ndarray, labels: Sequence[str], times: int,
              order: np.ndarray | None = None) -> pd.Categorical:
    """The categorical column of `_coded(np.tile(cells, times), labels, order)`, built cheaply.

    The codes are looked up once per cell and tiled in their small integer type, not looked up
    row by row (a table has a row per day and replication for each cell).
    """
    remap, unique = _codebook(labels, order)
    # The codes come from the categories' own positions: nothing to validate.
    return pd.Categorical.from_codes(np.tile(remap[cells], times), categories=unique,
                                     validate=False)


def _groups(net: Network) -> list[str]:
    """Each product's group, in product order."""
    return [net.scenario.products[pid].group for pid in net.product_ids]


def kpi_table(net: Network, reps: list[Replication], warmup: int) -> pd.DataFrame:
    """One row per replication x node x product that the node handles or holds at the start.

    A stockpile nobody draws on has rows too: its stock can expire.
    """
    watch = (net.handles | (net.initial > 0)) & ~net.unlimited[:, None]
    nodes, products = _cells(net, watch)
    file_order = _file_order(net)
    parts: dict[str, list[np.ndarray]] = {c: [] for c in KPI_COLUMNS}
    for rep in reps:
        arrays = kpi_arrays(net, rep.daily, warmup)
        for col in KPI_COLUMNS:
            parts[col].append(arrays[col][nodes, products])
    k = len(reps)
    frame: dict[str, Any] = {
        "replication": np.repeat(np.array([rep.replication for rep in reps], dtype=np.int64),
                                 len(nodes)),
        "node": _repeated(nodes, net.node_ids, k, file_order),
        "role": _repeated(nodes, net.roles, k, file_order),
        "region": _repeated(nodes, net.regions, k, file_order),
        "product": _repeated(products, net.product_ids, k),
        "group": _repeated(products, _groups(net), k),
    }
    counts = set(COUNT_COLUMNS)
    for col in KPI_COLUMNS:
        values = np.concatenate(parts[col])
        # Counts are whole numbers carried as floats by kpi_arrays: integer columns here,
        # converted before the frame is built (not column by column in it).
        frame[col] = values.astype(np.int64) if col in counts else values
    return pd.DataFrame(frame)


def daily_table(net: Network, reps: list[Replication], by: Aggregation) -> pd.DataFrame:
    """End-of-day values per day x node (or region or role) x product.

    Rows go replication by replication, day by day, and within a day cell by cell (nodes, or
    regions or roles, in the scenario's order, then products).
    """
    if by == "none":
        return pd.DataFrame(columns=["replication", "day", "node", "role", "region", "product",
                                     "group", *DAILY_VALUES])
    watch = (net.handles | (net.initial > 0)) & ~net.unlimited[:, None]
    file_order = _file_order(net)
    p = net.n_products
    if by == "node":
        rows, products = _cells(net, watch)
        aggregate = None
    else:
        keys = net.regions if by == "region" else net.roles
        code, categories = _codebook(keys, file_order)
        cells = np.zeros((len(categories), p), dtype=bool)
        np.logical_or.at(cells, code, watch)
        rows, products = np.nonzero(cells)
        aggregate = _Aggregate(code, watch)
    days = reps[0].daily.on_hand.shape[0] if reps else 0
    k = len(rows)
    # Where each table cell sits in a day's flattened (node or key) x product array.
    flat = rows * p + products
    per_rep = days * k
    # The integer columns as one 2-D block, a column per row of it, each filled in place (no
    # per-column temporaries, no concatenation of replications): pandas keeps the block as is
    # instead of copying column by column into a consolidated block.
    block = np.empty((2 + len(DAILY_VALUES), len(reps) * per_rep), dtype=np.int64)
    if len(reps):
        block[1, :per_rep].reshape(days, k)[:] = np.arange(days, dtype=np.int64)[:, None]
    for r, rep in enumerate(reps):
        part = block[:, r * per_rep:(r + 1) * per_rep]
        part[0] = rep.replication
        if r:
            part[1] = block[1, :per_rep]
        for c, v in enumerate(DAILY_VALUES):
            values = getattr(rep.daily, v)
            if aggregate is not None:
                values = aggregate.sum(values)
            # mode="clip": the indices are valid, and with "raise" take buffers its output.
            np.take(values.reshape(days, -1), flat, axis=1, out=part[2 + c].reshape(days, k),
                    mode="clip")
    frame = pd.DataFrame(block.T, columns=["replication", "day", *DAILY_VALUES], copy=False)
    times = len(reps) * days
    if by == "node":
        # Categorical: a code per row, so a join with the KPI table is never needed for these
        # and the table stays about as small.
        frame.insert(2, "node", _repeated(rows, net.node_ids, times, file_order))
        frame.insert(3, "role", _repeated(rows, net.roles, times, file_order))
        frame.insert(4, "region", _repeated(rows, net.regions, times, file_order))
        at = 5
    else:
        frame.insert(2, by, _repeated(rows, categories, times))
        at = 3
    frame.insert(at, "product", _repeated(products, net.product_ids, times))
    frame.insert(at + 1, "group", _repeated(products, _groups(net), times))
    return frame


class _Aggregate:
    """Sums a day x node x product array over the nodes of each region (or role)."""

    def __init__(self, code: np.ndarray, watch: np.ndarray) -> None:
        # Nodes grouped by key (stable: in engine order within a key), so that each key's
        # nodes are one run that np.add.reduceat sums; every key has at least one node.
        self.order = np.argsort(code, kind="stable")
        self.starts = np.flatnonzero(np.diff(code[self.order], prepend=-1))
        self.watch = watch[self.order]

    def sum(self, values: np.ndarray) -> np.ndarray:
        """int[days, keys, products]: the watched cells' values summed per key (exact)."""
        grouped = values[:, self.order]
        grouped *= self.watch
        return np.add.reduceat(grouped, self.starts, axis=1)


def event_table(net: Network, reps: list[Replication]) -> pd.DataFrame:
    """All events, in the order they happened within each replication."""
    chunks = [(rep.replication, c) for rep in reps for c in rep.events]
    if not chunks:
        return pd.DataFrame({k: pd.Series(dtype=t) for k, t in (
            ("replication", np.int64), ("day", np.int64), ("kind", object), ("node", object),
            ("product", object), ("value", float), ("detail", object))})
    # Per chunk: its replication, its number within it, kind and detail (as codes into the
    # distinct names); per event: which chunk. Nothing per event is a Python object.
    kinds: dict[str, int] = {}
    details: dict[str, int] = {}
    sizes = np.array([len(c.nodes) for _, c in chunks], dtype=np.int64)
    numbers = np.concatenate([np.arange(len(rep.events), dtype=np.int64) for rep in reps])
    of_chunk = {
        "replication": np.array([r for r, _ in chunks], dtype=np.int64),
        "kind": np.array([kinds.setdefault(c.kind, len(kinds)) for _, c in chunks]),
        "detail": np.array([details.setdefault(c.detail, len(details)) for _, c in chunks]),
    }
    chunk = np.repeat(np.arange(len(chunks)), sizes)
    day = np.concatenate([np.broadcast_to(np.asarray(c.day, dtype=np.int64), (len(c.nodes),))
                          for _, c in chunks])
    node = np.concatenate([c.nodes for _, c in chunks])
    product = np.concatenate([c.products for _, c in chunks])
    value = np.concatenate([c.values for _, c in chunks])
    replication = of_chunk["replication"][chunk]
    # Within a day, events keep the order they were logged in (disruptions as they switch,
    # then kind by kind); within a kind, nodes in the scenario's order, then products.
    file_node = np.where(node >= 0, net.scenario_index[node], -1)
    order = _sort_order((replication, day, numbers[chunk], file_node, product))
    chunk = chunk[order]
    node, product = node[order], product[order]
    return pd.DataFrame({
        "replication": replication[order],
        "day": day[order],
        "kind": _text(list(kinds), of_chunk["kind"][chunk]),
        # Index -1 is no node (or product): the last label, None.
        "node": _text([*net.node_ids, None], np.where(node >= 0, node, net.n_nodes)),
        "product": _text([*net.product_ids, None],
                         np.where(product >= 0, product, net.n_products)),
        "value": value[order].astype(float),
        "detail": _text(list(details), of_chunk["detail"][chunk]),
    })


def _sort_order(keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """The stable order of rows sorted by `keys` (integers), the first key most significant.

    As np.lexsort, from one int64 key when the keys' ranges multiply to less than 2**62 (five
    times faster on 176,000 events); else np.lexsort.
    """
    lows = [int(k.min()) if len(k) else 0 for k in keys]
    spans = [int(k.max()) - low + 1 if len(k) else 1 for k, low in zip(keys, lows, strict=True)]
    if math.prod(spans) >= 2**62:
        return np.lexsort(keys[::-1])
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for k, low, span in zip(keys, lows, spans, strict=True):
        combined *= span
        combined += k
        combined -= low
    return np.argsort(combined, kind="stable")


def _text(labels: list[str | None], codes: np.ndarray) -> Any:
    """A column of strings: `labels` at `codes` (None: missing), as pandas stores such a column.

    With pandas' Arrow-backed str dtype (pandas 3), built by an Arrow take: not a Python
    object per row that pandas then converts one by one (a tenth of a second for the degraded
    scenario's events). Otherwise an object array, which pandas treats as it always has.
    """
    dtype = pd.Series(np.array([""], dtype=object)).dtype
    # pandas infers str only from at least one string (no rows, or only None: object).
    named = np.array([label is not None for label in labels])
    if (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
            and named[codes].any()):
        import pyarrow as pa

        return pd.array(pa.array(labels, type=pa.large_string()).take(pa.array(codes)),
                        dtype=dtype)
    return np.array(labels, dtype=object)[codes]


def countermeasure_table(net: Network, reps: list[Replication]) -> pd.DataFrame:
    """Per replication and countermeasure: type, triggered_day, first_day, days_active, units."""
    if not net.scenario.countermeasures:
        return pd.DataFrame()
    frames = []
    for rep in reps:
        table = rep.daily.countermeasure_table or {}
        frame = pd.DataFrame(table)
        frame.insert(0, "replication", rep.replication)
        frames.append(frame)
    out = pd.concat(frames, ignore_index=True)
    out["days_active"] = out["days_active"].astype(np.int64)
    return out


CARE_COLUMNS: tuple[str, ...] = (
    "admissions", "deferred_admissions", "cancelled_admissions", "patient_days")


def care_table(net: Network, reps: list[Replication]) -> pd.DataFrame:
    """Care per replication, node and category (nodes with admissions), after warm-up."""
    care = net.care
    if care is None:
        return pd.DataFrame()
    nodes, cats = np.nonzero(care.admissions > 0)
    order = np.lexsort((cats, net.scenario_index[nodes]))
    nodes, cats = nodes[order], cats[order]
    frames = []
    for rep in reps:
        table = rep.daily.care_table or {}
        frame: dict[str, Any] = {
            "replication": np.full(len(nodes), rep.replication, dtype=np.int64),
            "node": _coded(nodes, net.node_ids, _file_order(net)),
            "role": pd.Categorical([net.roles[i] for i in nodes.tolist()]),
            "region": pd.Categorical([net.regions[i] for i in nodes.tolist()]),
            "category": _coded(cats, care.categories),
        }
        for name in CARE_COLUMNS:
            frame[name] = table[name][nodes, cats] if name in table else np.zeros(
                len(nodes), dtype=np.int64)
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


def ledger_table(net: Network, reps: list[Replication]) -> pd.DataFrame:
    """Stock flows per replication x node x product, for every cell that holds or moves stock."""
    frames = []
    for rep in reps:
        led = rep.ledger
        moved = np.zeros((net.n_nodes, net.n_products), dtype=bool)
        for arr in led:
            moved |= arr != 0
        nodes, products = _cells(net, moved | net.handles)
        frame: dict[str, Any] = {
            "replication": np.full(len(nodes), rep.replication, dtype=np.int64),
            "node": _coded(nodes, net.node_ids, _file_order(net)),
            "product": _coded(products, net.product_ids),
        }
        for name in Ledger._fields:
            frame[name] = getattr(led, name)[nodes, products].astype(np.int64)
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


def select(kpis: pd.DataFrame, scenario: Scenario | None, role: Filter = None, group: Filter = None,
           region: Filter = None) -> pd.DataFrame:
    """The KPI rows of the given roles, product groups and regions (None keeps all).

    Raises ValueError naming the unknown value, with a did-you-mean, if one matches nothing in
    the scenario.
    """
    from sim.scenario.errors import did_you_mean

    if scenario is not None:
        known = {
            "role": list(dict.fromkeys(n.role for n in scenario.nodes)),
            "group": list(dict.fromkeys(p.group for p in scenario.products.values())),
            "region": list(dict.fromkeys(n.region for n in scenario.nodes)),
        }
        name = scenario.name
    else:  # a batch's table: what its rows hold
        known = {c: list(dict.fromkeys(kpis[c].astype(str))) for c in ("role", "group", "region")}
        name = "the batch"
    keep = np.ones(len(kpis), dtype=bool)
    for column, wanted in (("role", role), ("group", group), ("region", region)):
        if wanted is None:
            continue
        names = [wanted] if isinstance(wanted, str) else list(wanted)
        for wanted_name in names:
            if wanted_name not in known[column]:
                raise ValueError(f"--{column} '{wanted_name}': no {column} of that name in "
                                 f"'{name}'{did_you_mean(wanted_name, known[column])} "
                                 f"(there are {', '.join(known[column])})")
        values = kpis[column] if column in kpis else _group_column(kpis, scenario)
        keep &= values.astype(str).isin(names).to_numpy()
    return kpis[keep]


def _group_column(kpis: pd.DataFrame, scenario: Scenario | None) -> pd.Series:
    """The product group of each KPI row (tables written before the group column had it)."""
    if "group" in kpis or scenario is None:
        return kpis["group"]
    groups = {pid: p.group for pid, p in scenario.products.items()}
    return kpis["product"].astype(str).map(groups)


def summarise(kpis: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """Fill, unmet units and stockouts by role and product group, over all replications.

    `fill` is the KPI to read for the role: the fill rate of own demand where the role has own
    demand (demand points), else the order fill rate (customers' orders shipped on the day
    ordered: suppliers); `fill_of` says which. It is the mean over replications of each
    replication's fill, and `fill_ci95` the half-width of its 95 % t interval (NaN with one
    replication). `unmet_per_rep` counts the same units. `share_short` is the share of
    node-products with a stockout day, `stockout_days` the mean number of such days per
    node-product and replication, `min_dos` the lowest days of supply on hand.
    """
    from sim.batch.stats import t_quantile

    df = kpis.assign(group=_group_column(kpis, scenario).astype(str).to_numpy(),
                     role=kpis["role"].astype(str).to_numpy())
    per_rep = (
        df.groupby(["role", "group", "replication"], sort=False)
        .agg(
            demand=("demand", "sum"),
            served=("served", "sum"),
            unmet=("unmet", "sum"),
            orders=("orders", "sum"),
            orders_shipped=("orders_shipped", "sum"),
            stockout_days=("stockout_days", "mean"),
            cells=("node", "size"),
            cells_short=("stockout_days", lambda s: int((s > 0).sum())),
            min_dos=("min_days_of_supply", "min"),
        )
        .reset_index()
    )
    own_total = per_rep.groupby(["role", "group"], sort=False)["demand"].transform("sum") > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_rep["fill"] = np.where(
            own_total, per_rep["served"] / per_rep["demand"].where(per_rep["demand"] > 0),
            per_rep["orders_shipped"] / per_rep["orders"].where(per_rep["orders"] > 0))
    per_rep["missed"] = np.where(own_total, per_rep["unmet"],
                                 per_rep["orders"] - per_rep["orders_shipped"])
    out = (
        per_rep.groupby(["role", "group"], sort=False)
        .agg(
            replications=("replication", "nunique"),
            fill=("fill", "mean"),
            fill_sd=("fill", "std"),
            fill_n=("fill", "count"),
            demand=("demand", "sum"),
            served=("served", "sum"),
            orders=("orders", "sum"),
            orders_shipped=("orders_shipped", "sum"),
            unmet_per_rep=("missed", "mean"),
            cells=("cells", "sum"),
            cells_short=("cells_short", "sum"),
            stockout_days=("stockout_days", "mean"),
            min_dos=("min_dos", "min"),
        )
        .reset_index()
    )
    t = out["fill_n"].map(lambda n: t_quantile(0.975, n - 1) if n > 1 else np.nan)
    out["fill_ci95"] = t * out["fill_sd"] / np.sqrt(out["fill_n"])
    out["fill_rate"] = out["served"] / out["demand"].where(out["demand"] > 0)
    out["order_fill_rate"] = out["orders_shipped"] / out["orders"].where(out["orders"] > 0)
    out["fill_of"] = np.where(out["demand"] > 0, "demand", "orders")
    out["share_short"] = out["cells_short"] / out["cells"]
    return out[["role", "group", "fill", "fill_ci95", "fill_of", "fill_rate", "order_fill_rate",
                "unmet_per_rep", "share_short", "stockout_days", "min_dos", "replications"]]


class Crisis(NamedTuple):
    """When a run's crisis starts and the first stockout after it, over its replications."""

    start_day: float | None
    """Median day the first disruption started (None: the scenario has no disruptions)."""
    first_stockout_day: float | None
    """Median day of the first stockout after that start day, over the replications with
    one (None: none had a stockout, or there was no crisis)."""
    earliest: float | None
    """The earliest such day in any replication."""
    replications_short: int
    """Replications with a stockout after the crisis started."""
    replications: int
    start_range: tuple[float, float] | None = None
    """Earliest and latest day the first disruption started over the replications (they
    differ when disruptions recur at random)."""


def crisis_timing(events: pd.DataFrame, replications: int) -> Crisis:
    """The crisis start and first stockout after it, from a run's events table."""
    starts = events[events["kind"] == "disruption_start"].groupby("replication")["day"].min()
    if starts.empty:
        return Crisis(None, None, None, 0, replications)
    outs = events[events["kind"] == "stockout_start"][["replication", "day"]]
    outs = outs.assign(start=outs["replication"].map(starts))
    # Strictly after: on its first day a disruption has not yet moved any stock, and slow
    # movers at small wards run out now and then in normal operation too.
    after = outs[outs["day"] > outs["start"]].groupby("replication")["day"].min()
    spread = (float(starts.min()), float(starts.max()))
    if after.empty:
        return Crisis(float(starts.median()), None, None, 0, replications, spread)
    return Crisis(float(starts.median()), float(after.median()), float(after.min()), len(after),
                  replications, spread)
