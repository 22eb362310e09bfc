"""Use of expired stock: at matched nodes, expired stock stays usable `extend_days` longer.

Norwegian municipalities keep expired medicines for a crisis (DOMAIN.md). While the measure
is in force, a unit at a matched node-product whose shelf life ends on day e expires at the
start of day e + extend_days instead; issues take soonest-expiring units first as always, so
expired units go first. The extension is set at the start of each day, before that day's
expiry, from the measure's state on the day before (it acts from the day after its first
active day until the day after it ends: the triggers are looked at after the day's expiry).
When it ends, what it kept expires at the next start of a day.

`used_expired` counts, per node and product, units used (consumed, shipped or given) after
their shelf life had ended: at each matched cell the units held past their shelf life after
the day's expiry, less those still held at the start of the next day.
"""

from __future__ import annotations

import numpy as np

from sim.countermeasures.triggers import Trigger, match_products, named_products
from sim.network import Network, node_mask
from sim.scenario import countermeasures as cm
from sim.state import State


class UseExpired:
    """One use_expired measure."""

    def __init__(self, net: Network, spec: cm.UseExpired, trigger: Trigger) -> None:
        self.spec = spec
        self.trigger = trigger
        products = (named_products(net, spec.products) & match_products(net, spec.match)
                    & (net.shelf_life > 0))
        self.cells = (node_mask(net.nodes, spec.match) & ~net.unlimited)[:, None] & products
        self.units = 0


class ExpiredUse:
    """All use_expired measures of a run: the cohorts' extension and the units used.

    Where measures overlap, a cell's extension is the longest of the active ones, and its use
    is counted once, to the first of them with that extension.
    """

    def __init__(self, net: Network, state: State, rules: list[UseExpired]) -> None:
        self.rules = rules
        self.state = state
        co = state.cohorts
        self.co = co
        self.flat: list[np.ndarray] = []
        if co is not None:
            for r in rules:
                rows, cols = np.nonzero(r.cells)
                self.flat.append(co.cells(rows, cols))
        self.cells = np.zeros(0, dtype=np.int64)  # extended cells today
        self.owner = np.zeros(0, dtype=np.int64)  # the rule each is counted to
        self.past: np.ndarray | None = None  # units held past expiry there after expiry

    def before_expiry(self, t: int) -> list[tuple[UseExpired, np.ndarray, np.ndarray]]:
        """Book yesterday's use of expired units; set today's extension.

        Returns, per rule with any use, (rule, flat cells, units used yesterday).
        """
        co = self.co
        if co is None:
            return []
        used_out = []
        if self.past is not None and t > 0 and len(self.cells):
            still = np.maximum(co.added[self.cells, t - 1] - co.front[self.cells], 0)
            used = np.maximum(self.past - still, 0)
            for k, rule in enumerate(self.rules):
                mine = (self.owner == k) & (used > 0)
                if mine.any():
                    rule.units += int(used[mine].sum())
                    used_out.append((rule, self.cells[mine], used[mine]))
        self.past = None
        extension = np.zeros(len(co.front), dtype=np.int64)
        owner = np.full(len(co.front), -1, dtype=np.int64)
        for k, rule in enumerate(self.rules):
            if rule.trigger.active:
                cells = self.flat[k]
                longer = rule.spec.extend_days > extension[cells]
                extension[cells[longer]] = rule.spec.extend_days
                owner[cells[longer]] = k
        self.cells = np.flatnonzero(extension)
        self.owner = owner[self.cells]
        co.extension = extension if len(self.cells) else None
        return used_out

    def after_expiry(self, t: int) -> None:
        """Units held past their shelf life at the extended cells after today's expiry."""
        co = self.co
        if co is None or not len(self.cells) or t >= co.days:
            return
        self.past = np.maximum(co.added[self.cells, t] - co.front[self.cells], 0)
