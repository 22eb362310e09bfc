"""Countermeasures: what planners decide in a crisis, as a SimPy process with its own phase.

Each day, after the clock has started the day (losses, demand, rationing) and before the
actors' levels (docs/countermeasures.md):
1. transfers due today arrive;
2. each countermeasure's trigger is evaluated on that opening stock (`triggers.py`);
3. active stock-moving measures send today's transfers (`moves.py`);
4. active substitution and allocation rules are set for the actors, who apply them while they
   serve and order (`substitution.py`, `allocation.py`).

KPIs per node and product (after warm-up): `redistributed_in`, `redistributed_out`,
`released`, `emergency_in`, `substituted`; per countermeasure and replication: the day it was
triggered, its first active day, its days active and the units it moved.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import numpy as np

from sim.countermeasures.allocation import Allocation, Quotas
from sim.countermeasures.conversion import Conversion
from sim.countermeasures.expired import ExpiredUse, UseExpired
from sim.countermeasures.moves import MOVES, Move
from sim.countermeasures.substitution import Substitution
from sim.countermeasures.transfers import Transfers
from sim.countermeasures.triggers import Trigger, first_starts
from sim.network import Network
from sim.records import EventChunk
from sim.scenario import countermeasures as cm
from sim.state import State

if TYPE_CHECKING:
    import simpy

    from sim.engine import Clock

KPI_NAMES: tuple[str, ...] = (
    "redistributed_in", "redistributed_out", "released", "emergency_in", "substituted",
    "used_expired")
TABLE_COLUMNS: tuple[str, ...] = (
    "triggered_day", "first_day", "days_active", "units")


class Countermeasures:
    """The countermeasures of one replication."""

    def __init__(self, net: Network, state: State, windows: list, warmup: int) -> None:
        self.net = net
        self.state = state
        self.warmup = warmup
        self.transfers = Transfers(state)
        state.transfers = self.transfers
        starts = first_starts(net, windows)
        self.triggers: list[Trigger] = []
        self.moves: list[tuple[Trigger, Move]] = []
        self.substitutions: list[Substitution] = []
        self.conversions: list[Conversion] = []  # read by the manufacturers' actor
        allocations: list[Allocation] = []
        expired: list[UseExpired] = []
        for spec in net.scenario.countermeasures:
            trigger = Trigger(net, spec, starts)
            self.triggers.append(trigger)
            if spec.type in MOVES:
                self.moves.append((trigger, MOVES[spec.type](net, spec)))
            elif isinstance(spec, cm.Substitution):
                self.substitutions.append(Substitution(net, spec, trigger))
            elif isinstance(spec, cm.Allocation):
                allocations.append(Allocation(net, spec, trigger))
            elif isinstance(spec, cm.ProductionConversion):
                self.conversions.append(Conversion(net, spec, trigger))
            elif isinstance(spec, cm.UseExpired):
                expired.append(UseExpired(net, spec, trigger))
        self.quotas = Quotas(net, allocations) if allocations else None
        self.expired = ExpiredUse(net, state, expired) if expired else None
        n, p = net.n_nodes, net.n_products
        self.kpis = {name: np.zeros((n, p), dtype=np.int64) for name in KPI_NAMES}
        self.substituting: list[Substitution] = []  # active today
        # Tier order of each node's own-demand classes, for substitution with care priorities.
        self.class_order = np.argsort(net.class_tier, axis=1, kind="stable")

    def process(self, clock: Clock, rank: int) -> Generator[simpy.Event, None, None]:
        """Each day at its phase: arrivals, triggers, transfers, today's rules."""
        for t in range(self.state.days):
            yield clock.at(t, rank)
            self.day(t)

    def before_expiry(self, t: int) -> None:
        """At the start of day t, before its expiry: use of expired stock (see expired.py)."""
        if self.expired is None:
            return
        p = self.net.n_products
        co = self.state.cohorts
        for rule, cells, used in self.expired.before_expiry(t):
            assert co is not None  # only cells with a shelf life are extended
            nodes = cells // co.n_cohort
            products = co.products[cells % co.n_cohort]
            if t - 1 >= self.warmup:
                np.add.at(self.kpis["used_expired"], (nodes, products), used)
            keep = used > 0
            flat, where = np.unique(nodes[keep] * p + products[keep], return_inverse=True)
            self.state.events.append(EventChunk(
                t - 1, "used_expired", flat // p, flat % p,
                np.bincount(where, used[keep]).astype(float), rule.spec.name))

    def day(self, t: int) -> None:
        """Day t's countermeasure phase."""
        st = self.state
        if self.expired is not None:
            self.expired.after_expiry(t)
        self.transfers.arrive(t)
        for trigger in self.triggers:
            trigger.update(t, st.on_hand, st.events)
        counting = t >= self.warmup
        for trigger, move in self.moves:
            if not trigger.active:
                continue
            sent = move.act(t, st, self.transfers, trigger.started_today)
            if sent is None:
                continue
            givers, receivers, products, units = sent
            if counting:
                np.add.at(self.kpis[move.kpi], (receivers, products), units)
                if move.kpi == "redistributed_in":
                    np.add.at(self.kpis["redistributed_out"], (givers, products), units)
            self._log(move.event, receivers, products, units, move.spec.name)
        self.substituting = [s for s in self.substitutions if s.trigger.active]
        if self.quotas is not None:
            self.quotas.update()

    def substitute(self, a: int, b: int, classes: int) -> None:
        """Apply today's active substitutions at nodes [a, b), after they have served."""
        st = self.state
        for rule in self.substituting:
            done = rule.apply(st, a, b, self.net.unmet_lost, classes, self.class_order)
            if done is None:
                continue
            rows, units = done
            if st.t >= self.warmup:
                np.add.at(self.kpis["substituted"], (rows, rule.product), units)
            self._log("substituted", rows, np.full(len(rows), rule.product), units,
                      rule.spec.name)

    def _log(self, kind: str, nodes: np.ndarray, products: np.ndarray, units: np.ndarray,
             name: str) -> None:
        """One event per (node, product) and day, with the units."""
        p = self.net.n_products
        flat, where = np.unique(nodes * p + products, return_inverse=True)
        summed = np.bincount(where, units)
        self.state.log(kind, flat // p, flat % p, summed, name)

    def table(self) -> dict[str, list]:
        """Per countermeasure: name, type and the TABLE_COLUMNS (NaN where not applicable)."""
        rows: dict[str, list] = {"name": [], "type": [], **{c: [] for c in TABLE_COLUMNS}}
        units = {move.spec.name: move.units for _, move in self.moves}
        units.update({s.spec.name: s.units for s in self.substitutions})
        units.update({c.spec.name: c.units for c in self.conversions})
        if self.expired is not None:
            units.update({r.spec.name: r.units for r in self.expired.rules})
        for trigger in self.triggers:
            spec = trigger.spec
            rows["name"].append(spec.name)
            rows["type"].append(spec.type)
            rows["triggered_day"].append(_day(trigger.triggered_day))
            rows["first_day"].append(_day(trigger.first_active))
            rows["days_active"].append(trigger.days_active)
            rows["units"].append(float(units.get(spec.name, np.nan)))
        return rows


def _day(value: int | None) -> float:
    return float("nan") if value is None else float(value)


__all__ = ["KPI_NAMES", "TABLE_COLUMNS", "Countermeasures"]
