"""Rationing rules: while stock is short, postpone deferrable care and use less.

At the start of each day, before admissions (docs/engine.md, "Rationing"), each rule looks at
the days of supply of its matched node-products at each scope (a node, or all matched nodes of
a region or country): on-hand stock summed over the scope's matched cells, over their summed
normal daily flow. A rule starts at a scope when that is below `below_days` and ends when it is
back above `release_above_days` (`rationing_start`, `rationing_end` events). While it is active
at a node, new admissions of its `defer` priorities wait, and its matched products' care norms
and plain demand are scaled by `conserve`. Overlapping rules combine: deferral if any defers,
the shortest `cancel_after_days`, conservation factors multiply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.care_network import PRIORITIES
from sim.network import MIN_FLOW, Network, node_mask
from sim.records import EventChunk
from sim.state import State


@dataclass
class _Rule:
    name: str
    cells: np.ndarray  # bool[n, p]: watched and rationed
    group: np.ndarray  # int[n]: the node's scope, -1 when it has no matched cell
    labels: list[str]  # per scope
    scope_node: np.ndarray  # int[scopes]: the node of a node scope, else -1
    flow: np.ndarray  # float[scopes]: summed normal flow
    below: float
    release: float
    defer: np.ndarray  # bool[3]: priorities deferred
    cancel: float  # days, inf for never
    conserve: float
    active: np.ndarray  # bool[scopes]
    from_day: int  # not looked at before this day


class Rationing:
    """The rules of a scenario and where each is active today."""

    def __init__(self, net: Network, state: State) -> None:
        self.net = net
        self.state = state
        n, p = net.n_nodes, net.n_products
        self.rules: list[_Rule] = []
        pids = net.product_ids
        groups = [net.scenario.products[pid].group for pid in pids]
        for i, r in enumerate(net.scenario.rationing):
            nodes = node_mask(net.nodes, r.match) & ~net.unlimited
            products = np.ones(p, dtype=bool)
            for wanted, values in ((r.match.product, pids), (r.match.group, groups)):
                if wanted is not None:
                    names = {wanted} if isinstance(wanted, str) else set(wanted)
                    products &= np.array([v in names for v in values])
            cells = nodes[:, None] & products[None, :] & (net.normal_flow > MIN_FLOW)
            has = cells.any(axis=1)
            if r.scope == "node":
                keys = [net.node_ids[j] for j in range(n)]
            else:
                keys = net.regions if r.scope == "region" else net.countries
            labels = sorted({keys[j] for j in np.flatnonzero(has)})
            at = {k: g for g, k in enumerate(labels)}
            group = np.array([at[keys[j]] if has[j] else -1 for j in range(n)], dtype=np.int64)
            rows, cols = np.nonzero(cells)
            flow = np.bincount(group[rows], net.normal_flow[rows, cols], minlength=len(labels))
            scope_node = np.full(len(labels), -1, dtype=np.int64)
            if r.scope == "node":
                scope_node[group[has]] = np.flatnonzero(has)
            self.rules.append(_Rule(
                name=r.name or f"rationing#{i}", cells=cells, group=group, labels=labels,
                scope_node=scope_node, flow=flow, below=r.below_days,
                release=r.release_above_days,
                defer=np.array([pr in r.defer for pr in PRIORITIES]),
                cancel=float(r.cancel_after_days or np.inf), conserve=r.conserve,
                active=np.zeros(len(labels), dtype=bool), from_day=r.from_day or 0))
        # Waiting admissions released a day, as a multiple of the node's mean daily admissions
        # of the category: the largest catch_up of the rules that can hold the node.
        catch_up = np.zeros(n)
        for rule, spec in zip(self.rules, net.scenario.rationing, strict=True):
            held = rule.group >= 0
            catch_up[held] = np.maximum(catch_up[held], spec.catch_up)
        self.catch_up = np.where(catch_up > 0, catch_up, 1.0)
        self.defer = np.zeros((n, 3), dtype=bool)  # priorities deferred at each node today
        self.cancel = np.full((n, 3), np.inf)  # days after which a waiting admission is cancelled
        self.conserve: np.ndarray | None = None  # float[n, p], None when 1 everywhere

    def update(self, t: int) -> None:
        """Start and end rules on day t's opening stock; set today's deferral and conservation."""
        st, net = self.state, self.net
        n, p = net.n_nodes, net.n_products
        defer = np.zeros((n, 3), dtype=bool)
        cancel = np.full((n, 3), np.inf)
        conserve = None
        for rule in self.rules:
            if t < rule.from_day:
                continue
            rows, cols = np.nonzero(rule.cells)
            stock = np.bincount(rule.group[rows], st.on_hand[rows, cols],
                                minlength=len(rule.labels))
            with np.errstate(divide="ignore", invalid="ignore"):
                dos = np.where(rule.flow > 0, stock / rule.flow, np.inf)
            start = ~rule.active & (dos < rule.below)
            end = rule.active & (dos > rule.release)
            if start.any() or end.any():
                rule.active = (rule.active | start) & ~end
                for kind, which in (("rationing_start", start), ("rationing_end", end)):
                    scopes = np.flatnonzero(which)
                    if len(scopes):
                        self._log(t, kind, rule, scopes, dos[scopes])
            if not rule.active.any():
                continue
            on = np.zeros(n, dtype=bool)
            member = rule.group >= 0
            on[member] = rule.active[rule.group[member]]
            hit = on[:, None] & rule.defer[None, :]
            defer |= hit
            cancel = np.where(hit, np.minimum(cancel, rule.cancel), cancel)
            if rule.conserve < 1:
                if conserve is None:
                    conserve = np.ones((n, p))
                conserve[on[:, None] & rule.cells] *= rule.conserve
        self.defer, self.cancel, self.conserve = defer, cancel, conserve

    def _log(self, t: int, kind: str, rule: _Rule, scopes: np.ndarray, dos: np.ndarray) -> None:
        nodes = rule.scope_node[scopes]
        if (nodes >= 0).all():
            self.state.events.append(EventChunk(t, kind, nodes, np.full(len(nodes), -1),
                                                dos.astype(float), rule.name))
            return
        for s, value in zip(scopes.tolist(), dos.tolist(), strict=True):
            self.state.events.append(EventChunk(
                t, kind, np.array([-1]), np.array([-1]), np.array([value]),
                f"{rule.name}: {rule.labels[s]}"))
