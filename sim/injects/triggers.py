"""From one replication's events to triggers: one row per thing that could become an inject.

The events table records every transition (a ward that flaps in and out of stockout under
rationing logs one pair a day); triggers keep what an exercise can use:

- disruption_start, disruption_end, recovery_complete: as recorded; a disruption that started
  before the window and still acts starts on the window's first day;
- allocation_cut: each drop of a supplier's delivered share to a lower tenth (value: the
  share; the recorder also logs rises, which are left out);
- allocation_restored: a supplier delivers in full again after its last cut of the run;
- dos_below: each fall below a days-of-supply threshold (value: days of supply);
- dos_recovered: stock back above a threshold for good (no later fall below it);
- first_stockout: a node's first stockout of a product in the window (quantity: units short);
- stockout_resolved: the end of a node's last stockout of a product in the run;
- rationing_start, rationing_end, admissions_deferred, admissions_cancelled, imperative_short:
  care and rationing (care.py);
- countermeasure_triggered, _start, _end, their effects (redistributed, released,
  emergency_supplied, substituted, summed per week) and a converted line's output start and
  validation (countermeasures.py).

Each trigger carries `bonus`, its intensity on a 0-20 scale (how deep the cut, how low the
stock, how much of a day's demand went unmet; care.py for the care kinds), which select.py adds
to the rule's severity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.injects.care import CARE_COLUMNS, care_triggers
from sim.injects.countermeasures import COUNTERMEASURE_COLUMNS, countermeasure_triggers
from sim.network import MIN_FLOW, Network, network_of
from sim.scenario.schema import Scenario

TRIGGER_COLUMNS: tuple[str, ...] = (
    "day", "kind", "node", "product", "value", "threshold", "quantity", "flow", "bonus",
    "disruption", "disruption_index", "disruption_type", "role", "region", "group",
    "stockout_days",
)
MAX_BONUS = 20.0


@dataclass(frozen=True)
class DisruptionWindow:
    """When a disruption acted in one replication (days as logged; None when not logged).

    One per window: a recurring disruption has as many as it had windows.
    """

    name: str
    index: int
    type: str
    start_day: int | None
    end_day: int | None
    recovery_day: int | None


def disruption_names(scenario: Scenario) -> list[str]:
    """Each disruption's name as events record it (its `name`, else `type#index`)."""
    return [d.name or f"{d.type}#{i}" for i, d in enumerate(scenario.disruptions)]


def disruption_windows(events: pd.DataFrame, scenario: Scenario) -> list[DisruptionWindow]:
    """Start, end and recovery days of every disruption's windows, from one replication.

    In scenario order, and each disruption's windows in time order.

    A disruption's windows never overlap, so its k-th end and k-th recovery belong to its k-th
    start. A disruption with no window logged has one entry with no days.
    """
    logged = events[events["kind"].isin(("disruption_start", "disruption_end",
                                         "recovery_complete"))]
    days = {key: group["day"].astype(int).tolist()
            for key, group in logged.groupby(["detail", "kind"], sort=False)}
    out = []
    for i, (name, d) in enumerate(zip(disruption_names(scenario), scenario.disruptions,
                                      strict=True)):
        starts = days.get((name, "disruption_start"), [])
        ends = days.get((name, "disruption_end"), [])
        recoveries = days.get((name, "recovery_complete"), [])

        def nth(values: list[int], k: int) -> int | None:
            return values[k] if k < len(values) else None

        for k in range(max(1, len(starts))):
            out.append(DisruptionWindow(name, i, d.type, nth(starts, k), nth(ends, k),
                                        nth(recoveries, k)))
    return out


def window_of(windows: list[DisruptionWindow], index: int, kind: str,
              day: int) -> DisruptionWindow:
    """The window of disruption `index` a trigger of `kind` on `day` belongs to.

    The window that starts, ends or completes its recovery that day; for a start moved to the
    first day of the exercise (still acting), the last window started by then.
    """
    own = [w for w in windows if w.index == index]
    column = {"disruption_start": "start_day", "disruption_end": "end_day",
              "recovery_complete": "recovery_day"}.get(kind)
    if column is not None:
        for w in own:
            if getattr(w, column) == day:
                return w
    started = [w for w in own if w.start_day is not None and w.start_day <= day]
    return started[-1] if started else own[0]


def find_triggers(events: pd.DataFrame, scenario: Scenario, kpis: pd.DataFrame,
                  from_day: int, to_day: int) -> pd.DataFrame:
    """Triggers from one replication's events, on days `from_day` to `to_day` inclusive."""
    net = network_of(scenario)
    ev = events.reset_index(drop=True)
    kinds = ev["kind"].to_numpy()
    parts = [_ongoing(_disruptions(ev[np.isin(kinds, ("disruption_start", "disruption_end",
                                                      "recovery_complete"))], scenario),
                      from_day)]
    parts.append(_cells(_drops(ev), "allocation_cut"))
    parts.append(_final(ev, "allocation_restored", "allocation_cut", ()))
    below = ev[kinds == "dos_below"]
    parts.append(_cells(below, "dos_below"))
    parts.append(_final(ev, "dos_recovered", "dos_below", ("detail",)))
    starts = ev[kinds == "stockout_start"]
    in_window = starts[(starts["day"] >= from_day) & (starts["day"] <= to_day)]
    first = in_window.drop_duplicates(["node", "product"], keep="first")
    parts.append(_cells(first, "first_stockout", quantity=first["value"]))
    resolved = _final(ev, "stockout_end", "stockout_start", ())
    parts.append(resolved.assign(kind="stockout_resolved", quantity=resolved["value"]))
    parts = [p for p in parts if len(p)]
    frames = []
    if parts:
        out = pd.concat(parts, ignore_index=True)
        out = out[(out["day"] >= from_day) & (out["day"] <= to_day)]
        if len(out):
            frames.append(_describe(out, scenario, net))
    # Care kinds come described already: a region-wide rule has no node to look up.
    care = care_triggers(ev, scenario, net, kpis, from_day, to_day)
    if len(care):
        frames.append(care)
    measures = countermeasure_triggers(ev, scenario, net, from_day, to_day)
    if len(measures):
        frames.append(measures)
    if not frames:
        return _empty()
    out = _stockout_days(pd.concat(frames, ignore_index=True), kpis)
    extra = dict.fromkeys([*CARE_COLUMNS, *COUNTERMEASURE_COLUMNS])
    columns = [*TRIGGER_COLUMNS, *(c for c in extra if c in out)]
    return out[columns].sort_values(["day"], kind="stable").reset_index(drop=True)


def _empty() -> pd.DataFrame:
    floats = {"value", "threshold", "quantity", "flow", "bonus", "stockout_days"}
    ints = {"day", "disruption_index"}
    return pd.DataFrame({c: pd.Series(dtype=np.int64 if c in ints else float if c in floats
                                      else object) for c in TRIGGER_COLUMNS})


def _cells(events: pd.DataFrame, kind: str, quantity: pd.Series | None = None) -> pd.DataFrame:
    threshold = pd.to_numeric(events["detail"].str.split(" ").str[0], errors="coerce") if (
        kind in ("dos_below", "dos_recovered")) else np.nan
    return pd.DataFrame({
        "day": events["day"].to_numpy(dtype=np.int64),
        "kind": kind,
        "node": events["node"].to_numpy(dtype=object),
        "product": events["product"].to_numpy(dtype=object),
        "value": events["value"].to_numpy(dtype=float),
        "threshold": threshold,
        "quantity": np.nan if quantity is None else quantity.to_numpy(dtype=float),
        "disruption": None,
        "disruption_index": -1,
        "disruption_type": None,
    })


def _drops(events: pd.DataFrame) -> pd.DataFrame:
    """The allocation cuts that lower a supplier's share of a product.

    The recorder logs every change of tenth below 100 %, rises too; a cut is a drop from the
    previous share of the same supplier and product (100 % at first and after a restore).
    """
    both = events[events["kind"].isin(("allocation_cut", "allocation_restored"))]
    share = both["value"].where(both["kind"] == "allocation_cut", 1.0)
    previous = share.groupby([both["node"], both["product"]], sort=False).shift(1).fillna(1.0)
    drop = (both["kind"] == "allocation_cut") & (share < previous)
    return both[drop.to_numpy()]


def _final(events: pd.DataFrame, kind: str, undo: str, by: tuple[str, ...]) -> pd.DataFrame:
    """The last `kind` event per cell (and `by`) that no later `undo` event follows."""
    keys = ["node", "product", *by]
    both = events[events["kind"].isin((kind, undo))]
    last = both.drop_duplicates(keys, keep="last")
    last = last[last["kind"] == kind]
    return _cells(last, kind)


def _disruptions(events: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    index = {name: i for i, name in reversed(list(enumerate(disruption_names(scenario))))}
    positions = events["detail"].map(index)
    known = positions.notna().to_numpy()
    events, positions = events[known], positions[known].astype(np.int64)
    return pd.DataFrame({
        "day": events["day"].to_numpy(dtype=np.int64),
        "kind": events["kind"].to_numpy(dtype=object),
        "node": None,
        "product": None,
        "value": np.nan,
        "threshold": np.nan,
        "quantity": np.nan,
        "disruption": events["detail"].to_numpy(dtype=object),
        "disruption_index": positions.to_numpy(),
        "disruption_type": [scenario.disruptions[i].type for i in positions],
    })


def _ongoing(disruptions: pd.DataFrame, from_day: int) -> pd.DataFrame:
    """Disruptions that started before the window and still act start on its first day.

    So that the exercise hears of them; the texts say when they really started (start_when).
    """
    kinds = disruptions["kind"]
    # A disruption's k-th end closes its k-th start (its windows never overlap).
    nth = disruptions.groupby(["disruption", "kind"], sort=False).cumcount()
    ended = kinds == "disruption_end"
    ends = pd.Series(disruptions["day"][ended].to_numpy(),
                     index=pd.MultiIndex.from_arrays([disruptions["disruption"][ended],
                                                      nth[ended]]))
    start = (kinds == "disruption_start").to_numpy()
    early = start & (disruptions["day"] < from_day).to_numpy()
    keys = pd.MultiIndex.from_arrays([disruptions["disruption"], nth])
    end = ends.reindex(keys).to_numpy(dtype=float)
    ongoing = early & ~(end <= from_day)  # no end logged (NaN), or a later one
    out = disruptions.copy()
    out.loc[ongoing, "day"] = from_day
    return out


def _describe(out: pd.DataFrame, scenario: Scenario, net: Network) -> pd.DataFrame:
    """Role, region, group, normal flow and intensity bonus of each trigger."""
    out = out.reset_index(drop=True)
    node_at = pd.Index(net.node_ids).get_indexer(out["node"])
    product_at = pd.Index(net.product_ids).get_indexer(out["product"])
    cell = (node_at >= 0) & (product_at >= 0)
    flow = np.full(len(out), np.nan)
    flow[cell] = net.normal_flow[node_at[cell], product_at[cell]]
    flow[flow <= MIN_FLOW] = np.nan
    roles = np.array([*net.roles, None], dtype=object)
    regions = np.array([*net.regions, None], dtype=object)
    groups = np.array([*(scenario.products[p].group for p in net.product_ids), None],
                      dtype=object)
    out["flow"] = flow
    out["role"] = roles[node_at]
    out["region"] = regions[node_at]
    out["group"] = groups[product_at]
    kind, value = out["kind"].to_numpy(), out["value"].to_numpy()
    dos = np.isin(kind, ("dos_below", "dos_recovered"))
    out.loc[dos, "quantity"] = value[dos] * flow[dos]  # units on hand
    top = max(scenario.reporting.dos_thresholds, default=1.0)
    threshold = out["threshold"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        bonus = np.select(
            [kind == "allocation_cut", kind == "dos_below", kind == "first_stockout"],
            [1 - value, 1 - np.minimum(value, threshold) / top,
             out["quantity"].to_numpy(dtype=float) / flow],
            0.0,
        )
    out["bonus"] = MAX_BONUS * np.clip(np.nan_to_num(bonus, nan=0.0), 0.0, 1.0)
    return out[[c for c in TRIGGER_COLUMNS if c != "stockout_days"]]


def _stockout_days(out: pd.DataFrame, kpis: pd.DataFrame) -> pd.DataFrame:
    days = kpis.astype({"node": str, "product": str}).set_index(["node", "product"])[
        "stockout_days"]
    resolved = (out["kind"] == "stockout_resolved").to_numpy()
    out = out.copy()
    out["stockout_days"] = np.nan
    if resolved.any():
        keys = pd.MultiIndex.from_arrays([out.loc[resolved, "node"],
                                          out.loc[resolved, "product"]])
        out.loc[resolved, "stockout_days"] = days.reindex(keys).to_numpy(dtype=float)
    return out
