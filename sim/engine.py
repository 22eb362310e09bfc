"""Build the SimPy environment for one replication and run it.

The order of events within day t (documented in docs/engine.md, tested in tests/test_engine.py):

0. disruptions due at time t switch on or off (SimPy processes; they run before the day);
1. receive shipments due today (closed lanes hold theirs);
2. release finished QC batches (manufacturers);
3. fill backlogged customer orders and own backorders (allocation rule when short), then serve
   today's own demand;
4. level by level, downstream first: suppliers fill the orders their customers placed today,
   then the level's nodes review and order (an order reaches its supplier the same day);
   manufacturers then produce what is due within capacity;
5. record.

State is numpy arrays over (node, product): the SimPy events scale with days and disruptions,
not with products or nodes.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import simpy

from sim import disruptions as dis
from sim.demand import Demand
from sim.network import POLICY_ORDER, Network
from sim.policies import order_quantity, split_orders
from sim.recorder import Recorder
from sim.records import Daily, EventChunk, Ledger
from sim.rng import streams
from sim.roles import distributor, manufacturer, ward
from sim.state import State
from sim.sums import flat_index, group_sum


@dataclass(frozen=True)
class Replication:
    """The raw outcome of one replication: daily arrays, events, ledger."""

    replication: int
    daily: Daily
    events: list[EventChunk]
    ledger: Ledger


class Engine:
    """One replication of a compiled network."""

    def __init__(self, net: Network, seed: int, replication: int) -> None:
        sc = net.scenario
        self.net = net
        self.days = sc.horizon_days
        self.replication = replication
        rng = streams(seed, replication)
        self.state = State(net, net.lead_time.sample(rng.lead_time, self.days))
        self.demand = Demand(net, rng.demand, rng.demand_change)
        self.recorder = Recorder(net, self.days, replication, list(sc.reporting.dos_thresholds))
        self.disruptions = dis.Disruptions(net, permanent=dis.demand_profile_effects(net))
        self.windows = dis.draw_windows(net, rng.disruption)
        self.level_lanes = [
            np.flatnonzero(np.isin(net.lane_src, level)) for level in net.levels
        ]
        self.level_index = [
            flat_index(net.lane_src[lanes], net.n_products) for lanes in self.level_lanes
        ]
        self.level_mask = [np.isin(np.arange(net.n_nodes), level) for level in net.levels]
        ordering = (net.policy_kind == POLICY_ORDER) & ~net.unlimited[:, None]
        self.level_orders = [bool(ordering[mask].any()) for mask in self.level_mask]
        self.daily_review = bool((net.review_days == 1).all())
        headroom = sc.defaults.capacity_headroom
        outflow = np.zeros((net.n_nodes, net.n_products))
        np.add.at(outflow, net.lane_src, net.lane_flow)
        # Capacity a capacity-factor disruption scales where none is stated (an assumption).
        self.nominal_dispatch = np.where(
            np.isfinite(net.dispatch_capacity), net.dispatch_capacity, headroom * outflow
        )
        self.nominal_lane = np.where(
            np.isfinite(net.lane_capacity), net.lane_capacity, headroom * net.lane_flow.sum(axis=1)
        )

    def run(self) -> Replication:
        """Run the horizon and return what was recorded."""
        env = simpy.Environment()
        processes = []
        for window in self.windows:
            d = self.net.scenario.disruptions[window.index]
            effects = dis.effects_of(self.net, d, window.start, window.end)
            processes.append(
                dis.disrupt(env, self.disruptions, effects, window, self._log_disruption))
        processes.append(self._days(env))
        for generator in processes:
            env.process(generator)
        env.run(until=self.days)
        # Processes still waiting at the horizon sit in reference cycles (SimPy events and
        # their callbacks) that would keep this engine's arrays, some 100 MB on the national
        # network, alive until the cyclic garbage collector happens to run. Closing the
        # generators drops their frames, so the memory goes as soon as the caller is done.
        for generator in processes:
            generator.close()
        return Replication(self.replication, self.recorder.daily, self.recorder.events,
                           self._ledger())

    def _log_disruption(self, day: int, kind: str, name: str) -> None:
        self.recorder.log(day, kind, name)

    def _days(self, env: simpy.Environment) -> Generator[simpy.Event, None, None]:
        for t in range(self.days):
            # Yield once at time t so that every switch due at t has happened first.
            yield env.timeout(0)
            self.day(t)
            yield env.timeout(1)

    def _budgets(self, fx: dis.Effects) -> None:
        """Today's whole-unit capacities; fractions carry over to the next day."""
        st, net = self.state, self.net
        lane = np.where(fx.lane_capacity < 1, self.nominal_lane * fx.lane_capacity,
                        net.lane_capacity)
        node = np.where((fx.node_capacity < 1)[:, None],
                        self.nominal_dispatch * fx.node_capacity[:, None], net.dispatch_capacity)
        st.lane_budget, st.lane_carry = _whole(lane, st.lane_carry)
        st.dispatch_budget, st.dispatch_carry = _whole(node, st.dispatch_carry)

    def day(self, t: int) -> None:
        """Steps 1-5 of day t."""
        st, net = self.state, self.net
        fx = self.disruptions.refresh(t)
        st.start_day()
        self._budgets(fx)
        # 1. receive
        distributor.receive(st, t, fx)
        # 2. QC release
        manufacturer.release(st, t)
        # 3. backlog (customer orders and own backorders), then today's own demand
        all_lanes = np.arange(net.n_lanes)
        if st.owed.any() or st.backorder.any():
            sent, own = distributor.fill(st, all_lanes, st.owed.copy(), t, fx, own=st.backorder)
            st.owed -= sent
            if own is not None and own.any():
                ward.serve_backorders(st, own)
        ward.serve_demand(st, self.demand.draw(fx.demand))
        # 4. orders, downstream first
        for h in range(len(net.levels)):
            lanes = self.level_lanes[h]
            if len(lanes):
                orders = st.new_orders[lanes]
                if orders.any():
                    sent, _ = distributor.fill(st, lanes, orders, t, fx)
                    st.owed[lanes] += orders - sent
                    src, index = net.lane_src[lanes], self.level_index[h]
                    st.demand_today += group_sum(orders, src, net.n_nodes, index)
                    st.served_today += group_sum(sent, src, net.n_nodes, index)
            if self.level_orders[h]:
                self._review(self.level_mask[h], t, fx)
        manufacturer.produce(st, t, fx)
        # 5. record
        self.recorder.record(t, st)

    def _review(self, level: np.ndarray, t: int, fx: dis.Effects) -> None:
        """Step 4 for one level: review the inventory position and order (or plan production)."""
        st, net = self.state, self.net
        active = level & ~net.unlimited & ~fx.ordering_down
        reviewing = active[:, None] & (net.policy_kind == POLICY_ORDER)
        if not self.daily_review:
            reviewing &= t % net.review_days == 0
        if not reviewing.any():
            return
        position = st.on_hand + st.on_order - st.backorder - st.owed_out()
        qty = order_quantity(position, net.reorder_point, net.order_up_to, reviewing)
        if not qty.any():
            return
        made = qty * net.produces
        bought = qty - made
        st.production_due += made
        st.on_order += qty
        if bought.any():
            st.new_orders += split_orders(bought, net.lane_dst, net.lane_share, net.primary_lane)

    def _ledger(self) -> Ledger:
        st = self.state
        return Ledger(
            initial=self.net.initial.copy(),
            received=st.received,
            produced=st.produced,
            shipped=st.shipped,
            consumed=st.consumed,
            expired=st.expired,
            destroyed=st.destroyed,
            final=st.on_hand,
            in_transit_at_end=st.inbound_in_transit(),
        )


def _whole(budget: np.ndarray, carry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(budget)
    if not finite.any():
        return budget, np.zeros_like(carry)
    total = np.where(finite, budget + carry, 0.0)
    whole = np.floor(total)
    return np.where(finite, whole, np.inf), total - whole


def run_replication(net: Network, seed: int, replication: int) -> Replication:
    """Run replication `replication` of a compiled network with the run's `seed`."""
    return Engine(net, seed, replication).run()
