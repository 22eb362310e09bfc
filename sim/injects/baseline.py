"""Crisis against normal: drop the triggers that also happen in a run without the crisis.

A national network has routine stockouts, low stocks and allocation cuts in normal operations
(a ward reordering medical gas runs out for a day now and then). An MSEL should tell the crisis,
so triggers that a baseline run also has are dropped:

- the baseline is the same scenario without its disruptions (and without the countermeasures
  triggered `after` one, which never fire then), run with the same seed and replication, so
  both runs draw the same demand and lead times (common random numbers) and are identical
  until the crisis starts; or a results folder the planner gives (same seed required);
- a trigger is dropped when the baseline has the same thing at the same node and product
  within `tolerance_days` of it (TOLERANCE_DAYS): the same stockout start, the same
  days-of-supply threshold crossed, a cut by the same supplier at least as deep, the same
  rationing rule at the same scope, ... (OCCURRENCE below). A trigger that spans days
  (rationing in force, or imperative care short, since before the window) is compared over
  its span. The baseline's every occurrence counts, not only its first or last: a crisis
  run's "first stockout" on day 32 is normal if the baseline also ran out there on day 31,
  even if that was not its first;
- countermeasures are never dropped: they are the scenario's decisions.

What remains carries the day of the nearest baseline occurrence of the same thing, if any
(`baseline_day`): "in the run without the crisis: day 45" says the crisis brought it
forward.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.engine import run_replication
from sim.network import network_of
from sim.results import RunResult, event_table, kpi_table
from sim.scenario import from_dict
from sim.scenario.schema import Scenario

TOLERANCE_DAYS = 3
"""A trigger within this many days of the same trigger in the baseline is normal operations.

Both runs are identical until the crisis starts; after it, a routine stockout can shift by a
day or two as the crisis changes the timing of orders and deliveries upstream (a ward's
weekly reorder cycle moves when its pharmacy ships late). Three days keeps such shifts out and
still lets a stockout the crisis brings forward by half a week or more count as the crisis's.
"""

OCCURRENCE: dict[str, tuple[str, tuple[str, ...]]] = {
    "disruption_start": ("disruption_start", ("disruption",)),
    "disruption_end": ("disruption_end", ("disruption",)),
    "recovery_complete": ("recovery_complete", ("disruption",)),
    "allocation_cut": ("allocation_cut", ("node", "product")),
    "allocation_restored": ("allocation_restored", ("node", "product")),
    "dos_below": ("dos_below", ("node", "product", "threshold")),
    "dos_recovered": ("dos_recovered", ("node", "product", "threshold")),
    "first_stockout": ("stockout_start", ("node", "product")),
    "stockout_resolved": ("stockout_end", ("node", "product")),
    "rationing_start": ("rationing_start", ("rationing", "scope")),
    "rationing_end": ("rationing_end", ("rationing", "scope")),
    "admissions_deferred": ("admissions_deferred", ("node",)),
    "admissions_cancelled": ("admissions_cancelled", ("node",)),
    "imperative_short": ("imperative_short_start", ("node", "product")),
}
"""Per trigger kind: the baseline's event kind that is the same thing, and the keys it must
share with the trigger (an allocation cut must also be at least as deep in the baseline).

Countermeasures are not compared: they are the scenario's decisions (the exercise's script)
and what those decisions did, told whether or not the same measure would also act in normal
times. Disruptions are compared by name (a given baseline may have some)."""
SPANNING = frozenset({"rationing_start", "imperative_short"})
"""Kinds whose trigger covers days from `since` to `day` (in force or short before the
window, and still on its first day)."""


@dataclass(frozen=True)
class Baseline:
    """The run normal operations are compared against, and what the comparison dropped."""

    events: pd.DataFrame
    """Its events, of the replication compared."""
    description: str
    """What it is, in English ("the same scenario without its 6 disruptions, ...")."""
    tolerance_days: int
    dropped: int = 0
    """Triggers in the window dropped as normal operations."""
    compared: int = 0
    """Triggers in the window before the comparison."""


def without_crisis(scenario: Scenario) -> Scenario:
    """The resolved scenario with `disruptions: []`.

    Countermeasures that start `after` a disruption go too: they name one that no longer
    exists, and would never fire. Everything else stays: rationing and countermeasures on a
    day or a stock level are part of how the system runs, in normal times too.
    """
    data = scenario.resolved()
    data["disruptions"] = []
    data["countermeasures"] = [c for c in data.get("countermeasures", []) if "after" not in c]
    return from_dict(data, name=f"{scenario.name} without disruptions")


def run_without_crisis(scenario: Scenario, seed: int, replication: int) -> RunResult:
    """Replication `replication` of the scenario without its crisis, with the run's seed.

    Replication k's random numbers depend only on the seed and k (docs/engine.md,
    "Randomness"), so this is replication k of a full run of the baseline, at the cost of one.
    """
    base = without_crisis(scenario)
    net = network_of(base)
    rep = run_replication(net, seed, replication)
    return RunResult(scenario=base, seed=seed, replications=1,
                     kpis=kpi_table(net, [rep], base.warmup_days),
                     daily=pd.DataFrame(), events=event_table(net, [rep]),
                     ledger=pd.DataFrame(), timings={})


def occurrences(events: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The baseline's events as keys the triggers can be compared with.

    Columns: kind (the baseline event kind), day, value, and the keys of OCCURRENCE: node,
    product, threshold, disruption, rationing and scope.
    """
    ev = events.reset_index(drop=True)
    detail = ev["detail"].astype(object).fillna("").astype(str)
    out = pd.DataFrame({
        "kind": ev["kind"].astype(object), "day": ev["day"].to_numpy(dtype=np.int64),
        "value": ev["value"].to_numpy(dtype=float),
        "node": ev["node"].astype(object), "product": ev["product"].astype(object),
        "disruption": detail,
    })
    dos = out["kind"].isin(["dos_below", "dos_recovered"])
    out["threshold"] = np.where(dos, pd.to_numeric(detail.str.split(" ").str[0],
                                                   errors="coerce"), np.nan)
    # A rationing event's detail is the rule's name, and for a region or country scope ': '
    # and the region or country; a node scope has the node.
    names = {r.name for r in scenario.rationing if r.name}
    rule, scope = [], []
    for kind, text, node in zip(out["kind"], detail, out["node"], strict=True):
        if kind not in ("rationing_start", "rationing_end"):
            rule.append(None)
            scope.append(None)
            continue
        name, colon, label = text.rpartition(": ")
        whole = text in names or not colon  # a node scope: the name alone
        rule.append(text if whole else name)
        scope.append(node if whole else label)
    out["rationing"] = rule
    out["scope"] = scope
    return out


def difference(triggers: pd.DataFrame, baseline: pd.DataFrame,
               tolerance: int) -> tuple[pd.DataFrame, pd.Series]:
    """The triggers with no twin in the baseline's occurrences.

    With them, per trigger kept, the day of the nearest baseline occurrence of the same thing
    (NaN: none).
    """
    keep = np.ones(len(triggers), dtype=bool)
    nearest = np.full(len(triggers), np.nan)
    for kind, (logged, keys) in OCCURRENCE.items():
        rows = np.flatnonzero((triggers["kind"] == kind).to_numpy())
        if not len(rows):
            continue
        ours = triggers.iloc[rows]
        theirs = baseline[baseline["kind"] == logged]
        if theirs.empty:
            continue
        ours_keys = list(zip(*(ours[k].map(_key) for k in keys), strict=True))
        days: dict[tuple, list[tuple[int, float]]] = {}
        for key, day, value in zip(zip(*(theirs[k].map(_key) for k in keys), strict=True),
                                   theirs["day"], theirs["value"], strict=True):
            days.setdefault(key, []).append((int(day), float(value)))
        last = ours["day"].to_numpy(dtype=np.int64)
        first = (ours["since"].to_numpy(dtype=float) if kind in SPANNING and "since" in ours
                 else last.astype(float))
        first = np.where(np.isnan(first) | (first < 0), last, first).astype(np.int64)
        share = ours["value"].to_numpy(dtype=float)
        for n, (row, key) in enumerate(zip(rows, ours_keys, strict=True)):
            seen = days.get(key, [])
            if kind == "allocation_cut":  # normal only if the baseline cut at least as deep
                seen = [(d, v) for d, v in seen if v <= share[n] + 1e-9]
            if not seen:
                continue
            gaps = [max(first[n] - d, d - last[n], 0) for d, _ in seen]
            if min(gaps) <= tolerance:
                keep[row] = False
            else:
                nearest[row] = seen[int(np.argmin(gaps))][0]
    kept = triggers[keep]  # the row labels stay: the renderer finds them in the whole table
    return kept, pd.Series(nearest[keep], index=kept.index, name="baseline_day")


def _key(value: object) -> object:
    """A key value comparable across the two tables (NaN and None alike)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, float | np.floating):
        return float(value)
    return str(value)
