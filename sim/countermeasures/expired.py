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
    """All use_expired measures of a run: the cohorts' extension and the units used."""

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
        self.past: list[np.ndarray | None] = [None] * len(rules)  # held past expiry today

    def before_expiry(self, t: int) -> list[tuple[UseExpired, np.ndarray, np.ndarray]]:
        """Book yesterday's use of expired units; set today's extension.

        Returns, per rule with any use, (rule, flat cells, units used yesterday).
        """
        co = self.co
        if co is None:
            return []
        used_out = []
        for k, rule in enumerate(self.rules):
            past = self.past[k]
            if past is not None and t > 0:
                cells = self.flat[k]
                still = np.maximum(co.added[cells, t - 1] - co.front[cells], 0)
                used = np.maximum(past - still, 0)
                if used.any():
                    rule.units += int(used.sum())
                    used_out.append((rule, cells, used))
            self.past[k] = None
        extension = np.zeros(len(co.front), dtype=np.int64)
        for k, rule in enumerate(self.rules):
            if rule.trigger.active:
                cells = self.flat[k]
                extension[cells] = np.maximum(extension[cells], rule.spec.extend_days)
        co.extension = extension if extension.any() else None
        return used_out

    def after_expiry(self, t: int) -> None:
        """Units held past their shelf life at the extended cells after today's expiry."""
        co = self.co
        if co is None or co.extension is None or t >= co.days:
            return
        for k, cells in enumerate(self.flat):
            self.past[k] = np.maximum(co.added[cells, t] - co.front[cells], 0) * (
                co.extension[cells] > 0)
