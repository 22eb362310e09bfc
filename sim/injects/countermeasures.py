"""Triggers about countermeasures: decisions, measures in force and ended, and their effects.

- countermeasure_triggered, countermeasure_start, countermeasure_end: as recorded, one per
  countermeasure (the event's detail is its name; its type and keys are looked up in the
  scenario). A measure that started before the window and is still in force starts on the
  window's first day (its texts say when it really started);
- redistributed, emergency_supplied, substituted: the engine logs units per receiving node,
  product and day; an exercise wants a weekly picture, so they are summed per countermeasure,
  node, product and week of the window (weeks counted from its first day) and told on the
  week's last day (the window's last day for a week it cuts short);
- released: a release is sent on one day (the measure's first day in force), and told then,
  per countermeasure, node and product;
- conversion_output_start, conversion_validated: as recorded, at the maker.

Intensity (bonus, 0-20): an effect's units over a week of the node's normal use; 0 otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.injects.fields import CONVERSION_KINDS, DECISION_KINDS, EFFECT_KINDS
from sim.network import MIN_FLOW, Network
from sim.scenario.schema import Scenario

COUNTERMEASURE_COLUMNS: tuple[str, ...] = (
    "countermeasure", "countermeasure_index", "countermeasure_type", "since", "moved")
"""Trigger columns of the countermeasure kinds: the name, its position in the scenario, its
type, the day a spell started (decisions: the planned first day in force; start: the real
start; end: its spell's start; effects: the first day of the week) and, for start and end, the
units it moved (or substituted) per product that day or over the spell, as (product, units)
pairs, largest first."""
WEEK = 7
MAX_BONUS = 20.0


def countermeasure_triggers(events: pd.DataFrame, scenario: Scenario, net: Network,
                            from_day: int, to_day: int) -> pd.DataFrame:
    """The countermeasure kinds' triggers of one replication, on days `from_day` to `to_day`."""
    if not scenario.countermeasures:
        return pd.DataFrame()
    index = {spec.name: i for i, spec in enumerate(scenario.countermeasures)}
    ours = events[events["detail"].isin(list(index))]
    parts = [_decisions(ours, scenario, index, from_day),
             _effects(ours, scenario, net, index, from_day, to_day),
             _conversions(ours, scenario, net, index)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[(out["day"] >= from_day) & (out["day"] <= to_day)].reset_index(drop=True)


def _rows(scenario: Scenario, names: list[str], index: dict[str, int],
          **columns: object) -> pd.DataFrame:
    at = [index[n] for n in names]
    base: dict[str, object] = {
        "node": None, "product": None, "value": np.nan, "threshold": np.nan,
        "quantity": np.nan, "flow": np.nan, "bonus": 0.0, "disruption": None,
        "disruption_index": -1, "disruption_type": None, "role": None, "region": None,
        "group": None, "countermeasure": names, "countermeasure_index": at,
        "countermeasure_type": [scenario.countermeasures[i].type for i in at],
    }
    return pd.DataFrame({**base, **columns})


def _decisions(events: pd.DataFrame, scenario: Scenario, index: dict[str, int],
               from_day: int) -> pd.DataFrame:
    logged = events[events["kind"].isin(DECISION_KINDS)]
    if logged.empty:
        return pd.DataFrame()
    effects = events[events["kind"].isin(EFFECT_KINDS)]
    by_name = {name: frame for name, frame in effects.groupby("detail", sort=False)}
    rows: list[tuple[int, str, str, int, tuple[tuple[str, float], ...]]] = []
    for name, spells in logged.groupby("detail", sort=False):
        started: int | None = None
        own = by_name.get(name)
        for day, kind in zip(spells["day"].astype(int), spells["kind"], strict=True):
            if kind == "countermeasure_triggered":
                decision = scenario.countermeasures[index[name]].decision_days
                rows.append((day, kind, name, day + decision, ()))
            elif kind == "countermeasure_start":
                started = day
                rows.append((day, kind, name, day, _moved(own, day, day + 1)))
            else:
                since = day if started is None else started
                rows.append((day, kind, name, since, _moved(own, since, day)))
                started = None
    days = np.array([r[0] for r in rows], dtype=np.int64)
    kinds = np.array([r[1] for r in rows], dtype=object)
    names = [r[2] for r in rows]
    # A measure in force before the window that has not ended by its first day: the exercise
    # hears of it then.
    for i in np.flatnonzero((kinds == "countermeasure_start") & (days < from_day)):
        ended = [j for j in range(i + 1, len(rows)) if names[j] == names[i]
                 and kinds[j] == "countermeasure_end"]
        if not ended or days[ended[0]] > from_day:
            days[i] = from_day
    moved = [r[4] for r in rows]
    return _rows(scenario, names, index, day=days, kind=kinds,
                 quantity=[sum(u for _, u in m) for m in moved],
                 since=[r[3] for r in rows], moved=moved)


def _moved(effects: pd.DataFrame | None, first: int, end: int) -> tuple[tuple[str, float], ...]:
    """Units a measure moved (or substituted) per product on days first .. end - 1.

    As (product, units) pairs, largest first (ties by product id).
    """
    if effects is None:
        return ()
    days = effects[(effects["day"] >= first) & (effects["day"] < end)]
    summed = days.groupby("product")["value"].sum()
    return tuple(sorted(((str(p), float(u)) for p, u in summed.items() if u > 0),
                        key=lambda pu: (-pu[1], pu[0])))


def _cells(frame: pd.DataFrame, net: Network) -> dict[str, np.ndarray]:
    """Role, region, group and normal flow of each row's node and product."""
    i = pd.Index(net.node_ids).get_indexer(frame["node"])
    j = pd.Index(net.product_ids).get_indexer(frame["product"])
    flow = net.normal_flow[i, j].astype(float)
    flow[flow <= MIN_FLOW] = np.nan
    groups = [net.scenario.products[net.product_ids[b]].group for b in j]
    return {"role": np.array(net.roles, dtype=object)[i],
            "region": np.array(net.regions, dtype=object)[i],
            "group": np.array(groups, dtype=object), "flow": flow}


def _effects(events: pd.DataFrame, scenario: Scenario, net: Network, index: dict[str, int],
             from_day: int, to_day: int) -> pd.DataFrame:
    logged = events[events["kind"].isin(EFFECT_KINDS)]
    logged = logged[(logged["day"] >= from_day) & (logged["day"] <= to_day)]
    if logged.empty:
        return pd.DataFrame()
    # A release happens on one day and is told that day; the others run day after day and are
    # told weekly, on the week's last day (or the window's).
    once = (logged["kind"] == "released").to_numpy()
    week = (logged["day"].to_numpy() - from_day) // WEEK
    first = np.where(once, logged["day"].to_numpy(), from_day + WEEK * week)
    summed = (logged.assign(first=first)
              .groupby(["kind", "detail", "node", "product", "first"], sort=False)["value"]
              .sum().reset_index())
    first = summed["first"].to_numpy(dtype=np.int64)
    once = (summed["kind"] == "released").to_numpy()
    days = np.where(once, first, np.minimum(first + WEEK - 1, to_day))
    cells = _cells(summed, net)
    units = summed["value"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.nan_to_num(units / (WEEK * cells["flow"]), nan=1.0)
    return _rows(scenario, summed["detail"].tolist(), index, day=days,
                 kind=summed["kind"].to_numpy(dtype=object),
                 node=summed["node"].to_numpy(dtype=object),
                 product=summed["product"].to_numpy(dtype=object),
                 value=units, quantity=units, bonus=MAX_BONUS * np.clip(share, 0, 1),
                 since=first, **cells)


def _conversions(events: pd.DataFrame, scenario: Scenario, net: Network,
                 index: dict[str, int]) -> pd.DataFrame:
    logged = events[events["kind"].isin(CONVERSION_KINDS)]
    if logged.empty:
        return pd.DataFrame()
    values = logged["value"].to_numpy(dtype=float)
    return _rows(scenario, logged["detail"].tolist(), index,
                 day=logged["day"].to_numpy(dtype=np.int64),
                 kind=logged["kind"].to_numpy(dtype=object),
                 node=logged["node"].to_numpy(dtype=object),
                 product=logged["product"].to_numpy(dtype=object),
                 value=values, quantity=values,
                 since=logged["day"].to_numpy(dtype=np.int64), **_cells(logged, net))
