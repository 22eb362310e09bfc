"""Triggers about care: rationing, admissions postponed and cancelled, imperative care short.

- rationing_start, rationing_end: as recorded, one per rule and scope (a node, or a whole region
  or country); a rule that started before the window and is still in force starts on the
  window's first day (its texts say when it really started);
- admissions_deferred, admissions_cancelled: as recorded, one per node and day (value: how many);
  each carries the care categories whose admissions the rules in force there were postponing;
- imperative_short: per node and product, the first day in the window its imperative care
  demand went unserved on the day asked (the recorder's imperative_short_start events; a spell
  that started before the window and has not ended counts from its first day), with the
  crisis's totals from the KPIs (unmet_imperative, fill_imperative).

Which rules are in force where and when is read back from the rationing events, with the
rules' scopes as the engine builds them (sim/rationing.py), so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd

from sim.care_network import PRIORITIES
from sim.injects.fields import ADMISSION_KINDS, RATIONING_KINDS
from sim.network import Network
from sim.rationing import Rationing
from sim.scenario.schema import Scenario
from sim.state import State

CARE_COLUMNS: tuple[str, ...] = (
    "rationing", "rationing_index", "scope", "since", "categories", "nodes",
)
"""Trigger columns of the care kinds (missing or empty for the others): the rationing rule's
name and position in the scenario, the scope (node id, region id or country code; the node for
admissions and imperative care), the day the rule started there, the care categories concerned
(a tuple) and the nodes of the scope (a tuple)."""
MAX_BONUS = 20.0


@dataclass(frozen=True)
class _Scope:
    rule: int
    label: int


class RationingStory:
    """Where and when each rationing rule of a scenario was in force, in one replication."""

    def __init__(self, scenario: Scenario, net: Network, events: pd.DataFrame) -> None:
        self.scenario = scenario
        self.net = net
        # The engine's own scopes: only the rules' matching is used, never the state.
        self.rules = Rationing(net, cast(State, None)).rules
        self.days = scenario.horizon_days
        self.active = [np.zeros((self.days, len(r.labels)), dtype=bool) for r in self.rules]
        self.intervals: dict[_Scope, list[tuple[int, int]]] = {}
        logged = events[events["kind"].isin(RATIONING_KINDS)]
        opened: dict[_Scope, int] = {}
        for day, kind, node, detail in zip(logged["day"], logged["kind"], logged["node"],
                                           logged["detail"], strict=True):
            scope = self.scope_of(str(detail), node)
            if scope is None:
                continue
            if kind == "rationing_start":
                opened[scope] = int(day)
            elif scope in opened:
                self._close(scope, opened.pop(scope), int(day))
        for scope, start in opened.items():
            self._close(scope, start, self.days)
        care = net.care
        self.categories: list[str] = [] if care is None else list(care.categories)
        self.admitted = (np.zeros((net.n_nodes, 0), dtype=bool) if care is None
                         else care.admissions > 0)
        self.priority = np.zeros(0, dtype=np.int64) if care is None else care.priority

    def _close(self, scope: _Scope, start: int, end: int) -> None:
        self.intervals.setdefault(scope, []).append((start, end))
        self.active[scope.rule][start:end, scope.label] = True

    def scope_of(self, detail: str, node: object) -> _Scope | None:
        """The rule and scope of a rationing event (None: not one of the scenario's rules).

        The event's detail is the rule's name, and for a region or country scope ': ' and the
        region or country.
        """
        for r, (rule, spec) in enumerate(zip(self.rules, self.scenario.rationing, strict=True)):
            if spec.scope == "node":
                if detail == rule.name and isinstance(node, str) and node in rule.labels:
                    return _Scope(r, rule.labels.index(node))
            elif detail.startswith(f"{rule.name}: "):
                label = detail[len(rule.name) + 2:]
                if label in rule.labels:
                    return _Scope(r, rule.labels.index(label))
        return None

    def since(self, scope: _Scope, day: int) -> int:
        """The first day of the rule's spell at the scope that starts, holds or ends on `day`."""
        for start, end in self.intervals.get(scope, []):
            if start <= day <= end:
                return start
        return day

    def scope_nodes(self, scope: _Scope) -> np.ndarray:
        """Engine positions of the nodes of a scope (those with a matched cell)."""
        return np.flatnonzero(self.rules[scope.rule].group == scope.label)

    def deferring(self, node: int, day: int) -> tuple[set[str], float]:
        """The priorities the rules in force at a node postpone on a day, and how long.

        The second value is the shortest cancel_after_days among them (inf: never cancelled).
        """
        priorities: set[str] = set()
        cancel = np.inf
        for r, (rule, spec) in enumerate(zip(self.rules, self.scenario.rationing, strict=True)):
            label = rule.group[node]
            if label >= 0 and spec.defer and self.active[r][day, label]:
                priorities |= set(spec.defer)
                cancel = min(cancel, rule.cancel)
        return priorities, cancel

    def categories_at(self, nodes: np.ndarray, priorities: set[str]) -> tuple[str, ...]:
        """Care categories of these priorities admitted at any of the nodes, in scenario order."""
        if not len(self.categories) or not priorities:
            return ()
        wanted = np.isin(np.array(PRIORITIES)[self.priority], sorted(priorities))
        here = self.admitted[nodes].any(axis=0) & wanted
        return tuple(c for c, hit in zip(self.categories, here, strict=True) if hit)


def care_triggers(events: pd.DataFrame, scenario: Scenario, net: Network, kpis: pd.DataFrame,
                  from_day: int, to_day: int) -> pd.DataFrame:
    """The care kinds' triggers of one replication, on days `from_day` to `to_day`.

    Described (role, region, group, intensity bonus) as triggers.py describes the others.
    """
    if net.care is None and not scenario.rationing:
        return pd.DataFrame()
    story = RationingStory(scenario, net, events)
    parts = [_rationing(events, story, from_day), _admissions(events, story),
             _imperative(events, net, kpis, from_day, to_day)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out[(out["day"] >= from_day) & (out["day"] <= to_day)].reset_index(drop=True)


def _rows(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "threshold": np.nan, "quantity": np.nan, "flow": np.nan, "bonus": 0.0,
        "disruption": None, "disruption_index": -1, "disruption_type": None, "product": None,
        "group": None, "rationing": None, "rationing_index": -1, "since": -1, "nodes": None,
    }
    return pd.DataFrame({**base, **columns})


def _rationing(events: pd.DataFrame, story: RationingStory, from_day: int) -> pd.DataFrame:
    net = story.net
    logged = events[events["kind"].isin(RATIONING_KINDS)]
    rows: list[dict[str, object]] = []
    for day, kind, node, value, detail in zip(logged["day"], logged["kind"], logged["node"],
                                              logged["value"], logged["detail"], strict=True):
        scope = story.scope_of(str(detail), node)
        if scope is None:
            continue
        rule, spec = story.rules[scope.rule], story.scenario.rationing[scope.rule]
        day = int(day)
        since = story.since(scope, day)
        if kind == "rationing_start" and day < from_day:
            end = next(e for s, e in story.intervals[scope] if s == day)
            if end <= from_day:
                continue  # over before the window: nothing to tell
            day = from_day  # still in force: the exercise hears of it on its first day
        members = story.scope_nodes(scope)
        label = rule.labels[scope.label]
        roles = {net.roles[i] for i in members}
        products = np.flatnonzero(rule.cells.any(axis=0))
        groups = {net.scenario.products[net.product_ids[j]].group for j in products}
        below = float(spec.below_days)
        dos = float(value)
        rows.append({
            "day": day, "kind": kind,
            "node": label if spec.scope == "node" else None,
            "product": net.product_ids[products[0]] if len(products) == 1 else None,
            "value": dos,
            "threshold": below if kind == "rationing_start" else float(spec.release_above_days),
            "bonus": (MAX_BONUS * float(np.clip(1 - dos / below, 0, 1))
                      if kind == "rationing_start" and below > 0 else 0.0),
            "role": roles.pop() if len(roles) == 1 else None,
            "region": (net.regions[members[0]] if spec.scope == "node"
                       else label if spec.scope == "region" else None),
            "group": groups.pop() if len(groups) == 1 else None,
            "rationing": rule.name, "rationing_index": scope.rule, "scope": label,
            "since": since,
            "categories": story.categories_at(members, set(spec.defer)),
            "nodes": tuple(net.node_ids[i] for i in members),
        })
    return _rows(**{k: [r[k] for r in rows] for k in rows[0]}) if rows else pd.DataFrame()


def _admissions(events: pd.DataFrame, story: RationingStory) -> pd.DataFrame:
    net = story.net
    logged = events[events["kind"].isin(ADMISSION_KINDS)]
    if logged.empty or net.care is None:
        return pd.DataFrame()
    at = pd.Index(net.node_ids).get_indexer(logged["node"])
    keep = at >= 0
    logged, at = logged[keep], at[keep]
    days = logged["day"].to_numpy(dtype=np.int64)
    count = logged["value"].to_numpy(dtype=float)
    categories, cancel = [], []
    for i, day in zip(at.tolist(), days.tolist(), strict=True):
        priorities, days_ = story.deferring(i, day)
        categories.append(story.categories_at(np.array([i]), priorities))
        cancel.append(days_)
    # Intensity: the share of a normal day's admissions at the node.
    per_day = net.care.admissions.sum(axis=1)[at]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(per_day > 0, count / per_day, 1.0)
    kinds = logged["kind"].to_numpy(dtype=object)
    return _rows(
        day=days, kind=kinds, node=logged["node"].to_numpy(dtype=object), value=count,
        quantity=count,
        # admissions_cancelled: how long an admission could wait there that day.
        threshold=np.where(kinds == "admissions_cancelled", cancel, np.nan),
        bonus=MAX_BONUS * np.clip(share, 0, 1),
        role=np.array(net.roles, dtype=object)[at],
        region=np.array(net.regions, dtype=object)[at],
        scope=logged["node"].to_numpy(dtype=object), categories=categories,
    )


def _imperative(events: pd.DataFrame, net: Network, kpis: pd.DataFrame, from_day: int,
                to_day: int) -> pd.DataFrame:
    care = net.care
    if care is None or "unmet_imperative" not in kpis or kpis.empty:
        return pd.DataFrame()
    first = _first_short(events, from_day, to_day)
    if not first:
        return pd.DataFrame()
    cells = kpis.assign(node=kpis["node"].astype(str), product=kpis["product"].astype(str))
    rows = cells[[(n, p) in first for n, p in zip(cells["node"], cells["product"],
                                                  strict=True)]]
    if rows.empty:
        return pd.DataFrame()
    i = pd.Index(net.node_ids).get_indexer(rows["node"])
    j = pd.Index(net.product_ids).get_indexer(rows["product"])
    fill = rows["fill_imperative"].to_numpy(dtype=float)
    uses = (care.per_patient_day + care.per_admission + care.per_shift) > 0  # bool[n, c, p]
    imperative = care.priority == PRIORITIES.index("imperative")
    categories = [tuple(c for c, hit in zip(care.categories, imperative & uses[a, :, b]
                                            & (care.admissions[a] > 0), strict=True) if hit)
                  for a, b in zip(i.tolist(), j.tolist(), strict=True)]
    groups = [net.scenario.products[p].group for p in rows["product"]]
    return _rows(
        day=[first[(n, p)][0] for n, p in zip(rows["node"], rows["product"], strict=True)],
        since=[first[(n, p)][1] for n, p in zip(rows["node"], rows["product"], strict=True)],
        kind="imperative_short", node=rows["node"].to_numpy(dtype=object),
        product=rows["product"].to_numpy(dtype=object), value=fill,
        quantity=rows["unmet_imperative"].to_numpy(dtype=float),
        flow=net.normal_flow[i, j],
        bonus=MAX_BONUS * np.clip(1 - np.nan_to_num(fill, nan=0.0), 0, 1),
        role=np.array(net.roles, dtype=object)[i], region=np.array(net.regions, dtype=object)[i],
        group=groups, scope=rows["node"].to_numpy(dtype=object), categories=categories,
    )


def _first_short(events: pd.DataFrame, from_day: int,
                 to_day: int) -> dict[tuple[str, str], tuple[int, int]]:
    """Per node and product: the first day in the window its imperative care went short.

    With the day that spell started. From the recorder's exact events:
    `imperative_short_start` on a day some imperative demand went unserved on the day asked,
    `imperative_short_end` on the next day it was served in full. A spell that started before
    the window and had not ended by its first day counts from that first day.
    """
    logged = events[events["kind"].isin(("imperative_short_start", "imperative_short_end"))]
    first: dict[tuple[str, str], tuple[int, int]] = {}
    short_since: dict[tuple[str, str], int] = {}
    for day, kind, node, product in zip(logged["day"], logged["kind"], logged["node"],
                                        logged["product"], strict=True):
        cell, day = (str(node), str(product)), int(day)
        if cell in first or day > to_day:
            continue
        if kind == "imperative_short_start":
            if day >= from_day:
                first[cell] = (day, day)
            else:
                short_since[cell] = day
        elif cell in short_since:
            since = short_since.pop(cell)
            if day > from_day:  # still short on the window's first day
                first[cell] = (from_day, since)
    for cell, since in short_since.items():  # short from before the window to the run's end
        first.setdefault(cell, (from_day, since))
    return first
