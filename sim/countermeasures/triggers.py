"""When each countermeasure is active: its trigger, the decision delay, its end.

Evaluated at the start of each day, after the day's losses and the transfers that arrive, on
that opening stock (docs/countermeasures.md, "Triggers"):
- `on_day: N` triggers on day N; `after: NAME` on the first day the named disruption is in
  effect; `when` on the first day the days of supply at some scope are below `below_days`;
  none of them before `not_before_day` (an `on_day` or `after` day before it fires on it);
- the measure is active from the trigger day plus `decision_days`;
- it ends at the start of `until_day`, or (with `when`) on the first active day every scope is
  back above `release_above_days`, after which the `when` condition can trigger it again.
Events: `countermeasure_triggered` on the trigger day, `countermeasure_start` on the first
active day, `countermeasure_end` on the first day no longer active.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sim.network import MIN_FLOW, Network, node_mask
from sim.records import EventChunk
from sim.scenario import countermeasures as cm
from sim.state import State


def match_products(net: Network, match: object) -> np.ndarray:
    """Products a match names by `product` and `group` (all when neither is given)."""
    pids = net.product_ids
    groups = [net.scenario.products[pid].group for pid in pids]
    products = np.ones(len(pids), dtype=bool)
    for wanted, values in ((getattr(match, "product", None), pids),
                           (getattr(match, "group", None), groups)):
        if wanted is not None:
            names = {wanted} if isinstance(wanted, str) else set(wanted)
            products &= np.array([v in names for v in values])
    return products


def named_products(net: Network, names: list[str] | None) -> np.ndarray:
    """Products named by id or group (all when None)."""
    if names is None:
        return np.ones(net.n_products, dtype=bool)
    allowed = set(names)
    return np.array([pid in allowed or net.scenario.products[pid].group in allowed
                     for pid in net.product_ids])


@dataclass
class _Measure:
    """Days of supply over the scopes of a `when` trigger."""

    rows: np.ndarray
    cols: np.ndarray
    group: np.ndarray  # scope of each cell
    flow: np.ndarray  # float[scopes]

    def days(self, on_hand: np.ndarray) -> np.ndarray:
        stock = np.bincount(self.group, on_hand[self.rows, self.cols], minlength=len(self.flow))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.flow > 0, stock / self.flow, np.inf)


def _measure(net: Network, when: cm.When) -> _Measure:
    nodes = node_mask(net.nodes, when.match) & ~net.unlimited
    cells = nodes[:, None] & match_products(net, when.match)[None, :] & (
        net.normal_flow > MIN_FLOW)
    rows, cols = np.nonzero(cells)
    if when.scope == "node":
        keys: list[str] = list(net.node_ids)
    else:
        keys = net.regions if when.scope == "region" else net.countries
    labels = sorted({keys[i] for i in rows.tolist()})
    at = {k: g for g, k in enumerate(labels)}
    group = np.array([at[keys[i]] for i in rows.tolist()], dtype=np.int64)
    flow = np.bincount(group, net.normal_flow[rows, cols], minlength=len(labels))
    return _Measure(rows, cols, group, flow)


class Trigger:
    """One countermeasure's trigger state over a replication."""

    def __init__(self, net: Network, spec: cm.Trigger, first_start: dict[str, int]) -> None:
        self.spec = spec
        self.name = spec.name
        self.measure = _measure(net, spec.when) if spec.when is not None else None
        self.fixed: int | None = None  # the day of an on_day or after trigger
        if spec.on_day is not None:
            self.fixed = spec.on_day
        elif spec.after is not None:
            self.fixed = first_start.get(spec.after)  # None: the disruption never starts
        self.not_before = spec.not_before_day or 0
        if self.fixed is not None:
            self.fixed = max(self.fixed, self.not_before)
        self.start_day: int | None = None  # set when triggered: first active day
        self.active = False
        self.done = False  # a fixed trigger acts once
        self.first_active: int | None = None
        self.triggered_day: int | None = None
        self.days_active = 0
        self.started_today = False

    def update(self, t: int, on_hand: np.ndarray, events: list[EventChunk]) -> bool:
        """Whether the measure is active on day t (logging its transitions)."""
        spec = self.spec
        self.started_today = False
        if self.active:
            end = spec.until_day is not None and t >= spec.until_day
            if not end and spec.release_above_days is not None and self.measure is not None:
                days = self.measure.days(on_hand)
                end = bool((days > spec.release_above_days).all())
            if end:
                self.active = False
                self.start_day = None
                _event(events, t, "countermeasure_end", self.name)
        elif self.start_day is None and not self.done and (
                spec.until_day is None or t < spec.until_day):
            fired = False
            if self.fixed is not None:
                fired = t == self.fixed
            elif self.measure is not None and t >= self.not_before:
                days = self.measure.days(on_hand)
                fired = bool((days < spec.when.below_days).any()) if len(days) else False
            if fired:
                self.triggered_day = t if self.triggered_day is None else self.triggered_day
                self.start_day = t + spec.decision_days
                self.done = self.fixed is not None
                _event(events, t, "countermeasure_triggered", self.name)
        if not self.active and self.start_day is not None and t >= self.start_day:
            if spec.until_day is not None and t >= spec.until_day:
                self.start_day = None  # decided too late: the measure never starts
            else:
                self.active = True
                self.started_today = True
                if self.first_active is None:
                    self.first_active = t
                _event(events, t, "countermeasure_start", self.name)
        if self.active:
            self.days_active += 1
        return self.active


def _event(events: list[EventChunk], t: int, kind: str, name: str) -> None:
    events.append(EventChunk(t, kind, np.array([-1]), np.array([-1]), np.array([math.nan]),
                             name))


def first_starts(net: Network, windows: list) -> dict[str, int]:
    """The first day each named disruption is in effect (windows cover days ceil(start) ..)."""
    out: dict[str, int] = {}
    for w in windows:
        name = net.scenario.disruptions[w.index].name
        if name is None:
            continue
        day = max(0, math.ceil(w.start))
        if day >= w.end or day >= net.scenario.horizon_days:
            continue
        out[name] = min(out.get(name, day), day)
    return out


__all__ = ["State", "Trigger", "first_starts", "match_products", "named_products"]
