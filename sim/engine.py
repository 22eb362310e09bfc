"""The day clock: build the SimPy environment for one replication, start the actors, run it.

The order of events within day t (docs/engine.md, tested in tests/test_engine_trace.py):

0. disruptions due at time t switch on or off (SimPy processes at normal priority, so every
   switch due at t happens before any of the day's phases, which run at lower priorities);
1. the clock starts the day: today's effects, start-of-day losses, capacities and own demand
   at every demand point, rationing;
1b. countermeasures (when the scenario has any): transfers due arrive, triggers are evaluated
   on the opening stock, active measures move stock and set today's rules (sim/countermeasures);
2. level by level, downstream first (level 0: nodes without customers), each actor acts for its
   nodes at that level: receive what is due, serve own demand together with its customers'
   backlog and orders of today (one allocation by tier), review and order, so an order placed
   at level h reaches its supplier at level h + 1 or above the same day; manufacturers also
   release QC batches before serving and produce after ordering;
3. the clock ends the day: record.

The phases are SimPy events at time t with priorities 2 (start), 3 (countermeasures), 4 + h
(level h) and 4 + H (end): the scheduler enforces the order, and the events per day are one
per actor kind and level it has nodes at, plus two (three with countermeasures). State is
numpy arrays over (node, product); events never scale with products or nodes.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import simpy

from sim import disruptions as dis
from sim.actors import ACTORS, Actor
from sim.actors.stockholding import RecentDemand, make_block
from sim.care import CareDemand
from sim.countermeasures import Countermeasures
from sim.demand import Demand
from sim.losses import Losses
from sim.network import Network
from sim.rationing import Rationing
from sim.recorder import Recorder
from sim.records import Daily, EventChunk, Ledger
from sim.rng import streams, substream
from sim.scenario import schema
from sim.state import State

# SimPy priorities of the day's phases (disruptions use simpy.events.NORMAL = 1, before them):
# the clock's start, the countermeasures, then the levels.
START, COUNTERMEASURES, FIRST_LEVEL = 2, 3, 4


@dataclass(frozen=True)
class Replication:
    """The raw outcome of one replication: daily arrays, events, ledger."""

    replication: int
    daily: Daily
    events: list[EventChunk]
    ledger: Ledger


class Clock:
    """Hands out the day's phase events and holds today's effects for the actors."""

    def __init__(self, env: simpy.Environment, levels: int) -> None:
        self.env = env
        self.end_rank = FIRST_LEVEL + levels
        self.fx: dis.Effects | None = None  # type: ignore[assignment]

    def phase(self, day: int, level: int) -> simpy.Event:
        """An event that fires at level `level`'s phase of day `day`."""
        return self.at(day, FIRST_LEVEL + level)

    def at(self, day: int, rank: int) -> simpy.Event:
        """An event that fires at day `day`, phase `rank` (SimPy priority)."""
        env = self.env
        # A Timeout at a chosen priority: SimPy's own Timeout always uses NORMAL, which would
        # put the phases among the disruptions' switches instead of after them.
        event = simpy.Event(env)
        event._ok = True
        event._value = None
        env.schedule(event, rank, day - env.now)
        return event


class Engine:
    """One replication of a compiled network."""

    def __init__(self, net: Network, seed: int, replication: int) -> None:
        sc = net.scenario
        self.net = net
        self.days = sc.horizon_days
        self.replication = replication
        rng = streams(seed, replication)
        # Lead times are drawn per scenario lane (common random numbers whatever the engine's
        # lane order), then put in that order.
        lead = net.lead_time.sample(rng.lead_time, self.days)[:, net.lane_index]
        # The arrival ring must outlast the longest delay: the longest lead time drawn, times
        # every lead-time factor the scenario could stack on it.
        factor = 1.0
        for d in sc.disruptions:
            if isinstance(d, schema.Transport):
                factor *= d.lead_time_factor
        longest = int(np.ceil(lead.max() * factor)) if lead.size else 1
        ring = min(self.days, max(1, longest)) + 1
        self.state = State(net, np.ascontiguousarray(lead), ring)
        self.demand = Demand(net, rng.demand, rng.demand_change)
        self.care = (None if net.care is None else CareDemand(
            net, rng.admissions, rng.length_of_stay, rng.admissions_change, self.days))
        self.recorder = Recorder(net, self.days, replication, list(sc.reporting.dos_thresholds))
        if self.care is not None:
            self.recorder.watch_care(sc.warmup_days)
            self.care.warmup = sc.warmup_days
            self.care.events = self.recorder.events
        self.rationing = Rationing(net, self.state) if sc.rationing else None
        if self.rationing is not None:
            self.conservation = rng.conservation
            self.recorder.watch_conserved(sc.warmup_days)
        self.disruptions = dis.Disruptions(net, permanent=dis.demand_profile_effects(net))
        # One substream per disruption: a recurring one's variable number of draws never
        # shifts another's windows.
        self.windows = dis.draw_windows(
            net, lambda i: substream(seed, replication, "disruption", i), self.days)
        self.losses = Losses(net, self.state, self.windows)
        self.state.events = self.recorder.events
        self.recorder.watch_losses(self.state.cohorts is not None,
                                   bool(net.cold_chain.any()) or bool(self.losses.hits))
        self.recent = RecentDemand(net) if net.recent.any() else None
        if self.recent is not None:
            self.recent.state = self.state
        self.countermeasures = (Countermeasures(net, self.state, self.windows, sc.warmup_days)
                                if sc.countermeasures else None)
        if (net.hoarding_factor > 1).any():
            self.state.lane_cut_day = np.full((net.n_lanes, net.n_products), -(10**9),
                                              dtype=np.int64)
        self.actors = self._actors()
        self.state.blocks = [blk for actor in self.actors for blk in actor.blocks]
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
        self.limited = False
        self.cut_carry = True  # the first day takes the long way (see _budgets)
        self.lane_finite = np.flatnonzero(np.isfinite(net.lane_capacity))
        self.node_finite = np.flatnonzero(np.isfinite(net.dispatch_capacity).ravel())
        self.any_capacity = bool(np.isfinite(net.dispatch_capacity).any()
                                 or np.isfinite(net.lane_capacity).any())

    def _actors(self) -> list[Actor]:
        """One actor per kind present, owning its nodes level by level (contiguous blocks)."""
        net = self.net
        blocks: dict[str, list] = {}
        n = net.n_nodes
        start = 0
        for i in range(1, n + 1):
            if i == n or (net.height[i], net.roles[i]) != (net.height[start], net.roles[start]):
                level, role = int(net.height[start]), net.roles[start]
                blocks.setdefault(role, []).append(make_block(net, level, start, i))
                start = i
        actors = []
        for role, kind in ACTORS.items():
            if role in blocks:
                # Lowest level first: an actor's day goes downstream to upstream.
                own = sorted(blocks[role], key=lambda b: b.level)
                actors.append(kind(net, self.state, own, self.recent, self.countermeasures))
        return actors

    def run(self) -> Replication:
        """Run the horizon and return what was recorded."""
        env = simpy.Environment()
        clock = Clock(env, len(self.net.levels))
        processes = []
        for window, effects in zip(self.windows, dis.window_effects(self.net, self.windows),
                                   strict=True):
            processes.append(
                dis.disrupt(env, self.disruptions, effects, window, self._log_disruption))
        processes.append(self._days(clock))
        if self.countermeasures is not None:
            processes.append(self.countermeasures.process(clock, COUNTERMEASURES))
        processes.extend(actor.process(clock) for actor in self.actors)
        for generator in processes:
            env.process(generator)
        env.run(until=self.days)
        # Processes still waiting at the horizon sit in reference cycles (SimPy events and
        # their callbacks) that would keep this engine's arrays, some 100 MB on the national
        # network, alive until the cyclic garbage collector happens to run. Closing the
        # generators drops their frames, so the memory goes as soon as the caller is done.
        for generator in processes:
            generator.close()
        if self.countermeasures is not None:  # the last day's use of expired stock
            self.countermeasures.before_expiry(self.days)
        events = self.recorder.finish()
        if self.care is not None:
            self.recorder.daily.care_table = self.care.tally
        if self.countermeasures is not None:
            self.recorder.daily.countermeasures = self.countermeasures.kpis
            self.recorder.daily.countermeasure_table = self.countermeasures.table()
        return Replication(self.replication, self.recorder.daily, events,
                           self._ledger())

    def _log_disruption(self, day: int, kind: str, name: str) -> None:
        # A window ending within the last day ends "on day H", after the run: not an event.
        if day < self.days:
            self.recorder.log(day, kind, name)

    def _days(self, clock: Clock) -> Generator[simpy.Event, None, None]:
        """The clock's own process: start each day before the actors, end it after them."""
        st = self.state
        for t in range(self.days):
            yield clock.at(t, START)
            fx = clock.fx = self.disruptions.refresh(t)
            st.start_day(t)
            if self.countermeasures is not None:
                self.countermeasures.before_expiry(t)
            self.losses.start_day(t, fx)
            self._budgets(fx)
            self.demand.draw(fx.demand, into=st.demand)
            if self.rationing is not None:
                self._ration(t)
            if self.care is not None:
                st.demand_k[0] = st.demand
                st.demand_k[1:] = self.care.draw(t, fx.admissions, self.rationing)
                st.demand += st.demand_k[1:].sum(axis=0)
                if self.rationing is not None:
                    st.conserved += self.care.conserved
            yield clock.at(t, clock.end_rank)
            self.recorder.record(t, st)
            st.arrived(t)
            st.quarantine.pop(t, None)

    def _ration(self, t: int) -> None:
        """Rules start and end on today's opening stock; plain demand is conserved.

        Each unit of plain demand at a conserving cell is kept with probability `conserve`
        (binomial thinning from the conservation stream), so `conserved` is exactly the units
        the same draws would have asked for without rationing.
        """
        st = self.state
        rationing = self.rationing
        assert rationing is not None
        rationing.update(t)
        st.conserved.fill(0)
        factor = rationing.conserve
        if factor is None:
            return
        cells = (factor < 1) & (st.demand > 0)
        if cells.any():
            asked = st.demand[cells]
            kept = self.conservation.binomial(asked, factor[cells])
            st.conserved[cells] = asked - kept
            st.demand[cells] = kept

    def _budgets(self, fx: dis.Effects) -> None:
        """Today's whole-unit capacities; fractions carry over to the next day."""
        st, net = self.state, self.net
        if not (self.any_capacity or fx.any_node_capacity or fx.any_lane_capacity):
            if self.limited:  # a capacity cut just ended: back to unlimited
                st.lane_budget.fill(np.inf)
                st.dispatch_budget.fill(np.inf)
                st.lane_carry.fill(0)
                st.dispatch_carry.fill(0)
                self.limited = st.limited = False
            return
        self.limited = st.limited = True
        if not (fx.any_node_capacity or fx.any_lane_capacity or self.cut_carry):
            # No cut today (nor carries left by one): only the capacities that are finite
            # anyway have budgets to work out, the same way.
            st.lane_budget = _whole_at(net.lane_capacity, st.lane_carry, self.lane_finite)
            st.dispatch_budget = _whole_at(net.dispatch_capacity, st.dispatch_carry,
                                           self.node_finite)
            return
        # Under a cut, carries build up where capacity is otherwise unlimited; the first day
        # without one clears them (below), after which the short way above applies again.
        self.cut_carry = fx.any_node_capacity or fx.any_lane_capacity
        lane = np.where(fx.lane_capacity < 1, self.nominal_lane * fx.lane_capacity,
                        net.lane_capacity)
        # Per node, or per node and product where an outside source lost production: it ships
        # at most factor x headroom x its normal flow (0 at factor 0).
        factor = fx.node_capacity[:, None] if fx.dispatch is None else fx.dispatch
        node = np.where(factor < 1, self.nominal_dispatch * factor, net.dispatch_capacity)
        st.lane_budget, st.lane_carry = _whole(lane, st.lane_carry)
        st.dispatch_budget, st.dispatch_carry = _whole(node, st.dispatch_carry)

    def _ledger(self) -> Ledger:
        st = self.state
        return Ledger(
            initial=self.net.initial.copy(),
            initial_in_qc=st.initial_in_qc,
            received=st.received,
            produced=st.produced,
            shipped=st.shipped,
            consumed=st.consumed,
            expired=st.expired,
            destroyed=st.destroyed,
            final=st.on_hand,
            recalled=st.recalled_units(),
            in_transit_at_end=st.inbound_in_transit(),  # transfers included
        )


def _whole(budget: np.ndarray, carry: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    finite = np.isfinite(budget)
    if not finite.any():
        return budget, np.zeros_like(carry)
    total = np.where(finite, budget + carry, 0.0)
    # With a tolerance, as production: 1.8 a day carried over five days makes 9 units, not 8
    # for a carry of 0.19999... short of 0.2.
    whole = np.floor(total + 1e-9)
    return np.where(finite, whole, np.inf), np.maximum(total - whole, 0.0)


def _whole_at(capacity: np.ndarray, carry: np.ndarray, finite: np.ndarray) -> np.ndarray:
    """`_whole` where only the flat cells `finite` are finite and carry nothing elsewhere.

    Returns the budget; `carry` is updated in place.
    """
    budget = capacity.copy()
    if len(finite):
        total = capacity.flat[finite] + carry.flat[finite]
        whole = np.floor(total + 1e-9)
        budget.flat[finite] = whole
        carry.flat[finite] = np.maximum(total - whole, 0.0)
    return budget


def run_replication(net: Network, seed: int, replication: int) -> Replication:
    """Run replication `replication` of a compiled network with the run's `seed`."""
    return Engine(net, seed, replication).run()
