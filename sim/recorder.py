"""End-of-day recording: daily arrays each day, and the events they imply, derived once.

Each day the recorder only copies the end-of-day state into preallocated arrays. The events
(stockouts, allocation cuts, days-of-supply alarms) are transitions in those arrays, so they are
found after the run, over all days at once, exactly as a day-by-day state machine would.
"""

from __future__ import annotations

import numpy as np

from sim.network import MIN_FLOW, POLICY_ORDER, Network
from sim.records import Daily, EventChunk
from sim.state import State

# A days-of-supply alarm re-arms only once stock is back above this multiple of the threshold,
# so a stock hovering around a threshold does not raise an event every other day.
DOS_REARM = 1.5
_NONE = np.array([-1], dtype=np.int64)


class Recorder:
    """Fills the daily arrays; `finish` turns them into events in columnar chunks."""

    def __init__(self, net: Network, days: int, replication: int, thresholds: list[float]) -> None:
        self.net = net
        self.replication = replication
        self.daily = Daily(days, net.n_nodes, net.n_products)
        shape = (days, net.n_nodes, net.n_products)
        # Kept for the events only (not part of the daily table): the share of the day's lane
        # claims a supplier delivered (-1: not asked), and lost sales where there are any.
        self.share = np.empty(shape)
        self.lost = np.zeros(shape, dtype=np.int64) if net.unmet_lost.any() else None
        self.events: list[EventChunk] = []
        self.watch = net.handles & ~net.unlimited[:, None]
        self.flow = np.where(net.normal_flow > MIN_FLOW, net.normal_flow, np.nan)
        self.thresholds = sorted(thresholds, reverse=True)
        # A threshold is watched only below the cell's normal floor: its reorder point less
        # what is used while the order is on its way (its initial stock for a stockpile that
        # is never replenished). A ward that reorders at 3 days with next-day delivery dips to
        # 2 days every week: routine, not news.
        ordering = net.policy_kind == POLICY_ORDER
        self.floor = np.where(ordering, net.reorder_point / self.flow - _resupply_days(net),
                              net.initial / self.flow)

    def watch_care(self, warmup: int) -> None:
        """Sum care demand and service by priority over the days after warm-up."""
        n, p = self.net.n_nodes, self.net.n_products
        self.warmup = warmup
        self.daily.care_demand = np.zeros((3, n, p), dtype=np.int64)
        self.daily.care_served = np.zeros((3, n, p), dtype=np.int64)
        # Imperative care left unserved each day, kept for the nodes with care only (for the
        # imperative_short events): units, and whether any imperative demand came that day.
        care = self.net.care
        assert care is not None
        self.care_rows = np.flatnonzero((care.admissions > 0).any(axis=1))
        days = self.daily.on_hand.shape[0]
        self.imperative_unmet = np.zeros((days, len(self.care_rows), p), dtype=np.int32)
        self.imperative_asked = np.zeros((days, len(self.care_rows), p), dtype=bool)

    def watch_conserved(self, warmup: int) -> None:
        """Sum the units rationing conserved over the days after warm-up."""
        self.warmup = warmup
        self.daily.conserved = np.zeros((self.net.n_nodes, self.net.n_products), dtype=np.int64)

    def watch_losses(self, expiry: bool, destruction: bool) -> None:
        """Keep daily expired (and destroyed) units, where the scenario can have any."""
        shape = self.daily.on_hand.shape
        if expiry:
            self.daily.expired = np.zeros(shape, dtype=np.int64)
        if destruction:
            self.daily.destroyed = np.zeros(shape, dtype=np.int64)

    def log(self, day: int, kind: str, detail: str, node: str | None = None,
            product: str | None = None, value: float = float("nan")) -> None:
        """Append one event (node and product by id, or None)."""
        i = _NONE if node is None else np.array([self.net.node_ids.index(node)])
        j = _NONE if product is None else np.array([self.net.product_ids.index(product)])
        self.events.append(EventChunk(day, kind, i, j, np.array([value]), detail))

    def record(self, t: int, state: State) -> None:
        """Store today's end-of-day state."""
        d = self.daily
        d.on_hand[t] = state.on_hand
        d.backorders[t] = state.backorder + state.owed_out()
        d.inbound_in_transit[t] = state.inbound_in_transit()
        d.demand[t] = state.demand
        d.served[t] = state.served
        d.orders[t] = state.orders_in
        d.orders_shipped[t] = state.orders_shipped
        d.short[t] = state.short
        if self.lost is not None:
            self.lost[t] = state.lost
        if d.conserved is not None and t >= self.warmup:
            d.conserved += state.conserved
        if d.care_demand is not None:
            asked = state.demand_k[1, self.care_rows]
            self.imperative_asked[t] = asked > 0
            self.imperative_unmet[t] = asked - state.served_k[1, self.care_rows]
            if t >= self.warmup:
                d.care_demand += state.demand_k[1:]
                d.care_served += state.served_k[1:]
        if state.losses_today:
            if d.expired is not None:
                d.expired[t] = state.expired_today
            if d.destroyed is not None:
                d.destroyed[t] = state.destroyed_today
        share = self.share[t]
        share.fill(-1.0)
        np.divide(state.granted, state.claimed, out=share, where=state.claimed > 0)

    def finish(self) -> list[EventChunk]:
        """Derive the events from the daily arrays; return every event of the run.

        Within a day, events keep the order a day-by-day recorder would log them in: the
        disruption switches, then stock lost (expired, recalled, destroyed) and production held
        back by an input (logged as they happen), then stockout starts and ends, allocation cuts
        and restorations, and the days-of-supply alarms by threshold, highest first.
        """
        d, watch = self.daily, self.watch
        short = d.short & watch
        d.short[:] = short
        before = np.concatenate([np.zeros_like(short[:1]), short[:-1]])
        owed = d.backorders if self.lost is None else d.backorders + self.lost
        self._cells("stockout_start", short & ~before, owed)
        self._cells("stockout_end", ~short & before, d.on_hand)

        # Allocation: tenths of today's lane claims delivered; events where the level changes
        # from the last day the supplier was asked (10, all, before the first). Only cells
        # ever delivered short can have one.
        days = short.shape[0]
        share = self.share.reshape(days, -1)
        cells = np.flatnonzero(((share >= 0) & (share < 1)).any(axis=0) & watch.ravel())
        if len(cells):
            ratio = share[:, cells]
            asked = ratio >= 0
            tenths = np.where(asked, np.floor(ratio * 10 + 1e-9).astype(np.int64), 10)
            last = _previous(tenths, asked, initial=10)
            self._columns("allocation_cut", cells, asked & (tenths < 10) & (tenths != last),
                          ratio, "share of customer orders delivered")
            self._columns("allocation_restored", cells, asked & (tenths == 10) & (last < 10),
                          ratio)

        if d.care_demand is not None and len(self.care_rows):
            self._imperative()

        # Days of supply: an alarm fires when stock falls below a threshold while armed, and
        # re-arms once it is back at 1.5 x the threshold. Only cells that are ever below the
        # threshold, or start below it, can have one.
        flow = self.flow.ravel()
        on_hand = d.on_hand.reshape(days, -1)
        valid = (watch & np.isfinite(self.floor)).ravel()
        floor, start = self.floor.ravel(), (self.net.initial / self.flow).ravel()
        low_seen = (on_hand / np.where(valid, flow, np.inf)).min(axis=0)
        with np.errstate(invalid="ignore"):
            for th in self.thresholds:
                enabled = valid & (th < floor)
                cells = np.flatnonzero(enabled & ((low_seen < th) | ~(start >= th)))
                if not len(cells):
                    continue
                dos = on_hand[:, cells] / flow[cells]
                # +1: stock at or above the re-arm level, -1: below the threshold.
                signal = np.where(dos >= th * DOS_REARM, 1, np.where(dos < th, -1, 0))
                state = _previous(signal, signal != 0,
                                  initial=np.where(start[cells] >= th, 1, -1))
                now = np.where(signal != 0, signal, state)
                self._columns("dos_below", cells, (state == 1) & (now == -1), dos,
                              f"{th:g} days")
                self._columns("dos_recovered", cells, (state == -1) & (now == 1), dos,
                              f"{th:g} days")
        return self.events

    def _imperative(self) -> None:
        """Imperative care short: from a day imperative demand goes unserved to one served in full.

        Start: a day some imperative demand went unserved on the day asked (value: units
        unserved). End: the next day imperative demand is served in full (value 0). Days
        without imperative demand change nothing.
        """
        unmet, asked = self.imperative_unmet, self.imperative_asked
        short = unmet > 0
        # +1 served in full, -1 short, 0 no imperative demand that day.
        signal = np.where(asked, np.where(short, -1, 1), 0).astype(np.int8)
        before = _previous(signal, asked, initial=1)
        p = self.net.n_products
        cells = (self.care_rows[:, None] * p + np.arange(p)[None, :]).ravel()
        days = unmet.shape[0]
        flat = signal.reshape(days, -1)
        prior = before.reshape(days, -1)
        self._columns("imperative_short_start", cells, (flat == -1) & (prior == 1),
                      unmet.reshape(days, -1), "imperative care demand not served")
        self._columns("imperative_short_end", cells, (flat == 1) & (prior == -1),
                      unmet.reshape(days, -1))

    def _columns(self, kind: str, cells: np.ndarray, mask: np.ndarray, values: np.ndarray,
                 detail: str = "") -> None:
        """Events where `mask` (days x the flat node-product `cells`) holds.

        `cells` is sorted, so nonzero's (day, column) order is (day, node, product) order.
        """
        days, col = np.nonzero(mask)
        if len(days):
            nodes, products = np.divmod(cells[col], self.net.n_products)
            self.events.append(EventChunk(days, kind, nodes, products,
                                          values[days, col].astype(float), detail))

    def _cells(self, kind: str, mask: np.ndarray, values: np.ndarray, detail: str = "") -> None:
        days, nodes, products = np.nonzero(mask)
        if len(days):
            self.events.append(EventChunk(days, kind, nodes, products,
                                          values[days, nodes, products].astype(float), detail))


def _previous(values: np.ndarray, present: np.ndarray, initial: int | np.ndarray) -> np.ndarray:
    """For each day, the value on the last earlier day where `present` (else `initial`)."""
    days = np.arange(values.shape[0]).reshape(-1, *([1] * (values.ndim - 1)))
    last = np.where(present, days, -1)
    np.maximum.accumulate(last, axis=0, out=last)
    # Shift by a day: the value before today.
    prior = np.concatenate([np.full_like(last[:1], -1), last[:-1]])
    taken = np.take_along_axis(values, np.maximum(prior, 0), axis=0)
    return np.where(prior >= 0, taken, initial)


def _resupply_days(net: Network) -> np.ndarray:
    """Mean days from an order to its receipt, per (node, product): primary lane or QC."""
    lead = np.maximum(1, np.ceil(net.lane_lead_mean()))
    days = np.zeros((net.n_nodes, net.n_products))
    has_lane = net.primary_lane >= 0
    days[has_lane] = lead[net.primary_lane[has_lane]]
    qc = np.maximum(1, net.qc_release_days)[:, None]
    return np.where(net.produces, np.broadcast_to(qc, days.shape), days)
