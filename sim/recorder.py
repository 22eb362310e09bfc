"""End-of-day recording: daily arrays each day, and the events they imply, derived once.

Each day the recorder only copies the end-of-day state into preallocated arrays. The events
(stockouts, allocation cuts, days-of-supply alarms) are transitions in those arrays, so they are
found after the run, over all days at once, exactly as a day-by-day state machine would.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.network import MIN_FLOW, POLICY_ORDER, Network
from sim.records import Daily, EventChunk
from sim.state import State

# A days-of-supply alarm re-arms only once stock is back above this multiple of the threshold,
# so a stock hovering around a threshold does not raise an event every other day.
DOS_REARM = 1.5
_NONE = np.array([-1], dtype=np.int64)
# From this many cells on, `_carry` carries values forward day by day (a call costs about a
# microsecond, a gathered element some nanoseconds).
_CARRY_CELLS = 128
# An event's value: a (days x cells) array like its mask, or a function of the events' days and
# flat node-product cells that looks them up (so whole columns are not gathered for a few).
Values = np.ndarray | Callable[[np.ndarray, np.ndarray], np.ndarray]


class Recorder:
    """Fills the daily arrays; `finish` turns them into events in columnar chunks."""

    def __init__(self, net: Network, days: int, replication: int, thresholds: list[float]) -> None:
        self.net = net
        self.replication = replication
        self.daily = Daily(days, net.n_nodes, net.n_products)
        shape = (days, net.n_nodes, net.n_products)
        # Kept for the events only (not part of the daily table): the share of the day's lane
        # claims a supplier delivered (not finite: not asked), and lost sales where there are
        # any.
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
        # A slice where those rows are one run (wards sit together in engine order): today's
        # imperative demand and service are then read as views, not gathered.
        rows = self.care_rows
        contiguous = len(rows) > 0 and rows[-1] - rows[0] + 1 == len(rows)
        self.care_slice: slice | np.ndarray = (slice(int(rows[0]), int(rows[-1]) + 1)
                                               if contiguous else rows)
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
        np.add(state.backorder, state.owed_out(), out=d.backorders[t])
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
            rows = self.care_slice
            asked = state.demand_k[1, rows]
            np.greater(asked, 0, out=self.imperative_asked[t])
            np.subtract(asked, state.served_k[1, rows], out=self.imperative_unmet[t],
                        casting="unsafe")
            if t >= self.warmup:
                d.care_demand += state.demand_k[1:]
                d.care_served += state.served_k[1:]
        if state.losses_today:
            if d.expired is not None:
                d.expired[t] = state.expired_today
            if d.destroyed is not None:
                d.destroyed[t] = state.destroyed_today
        # One division, no mask: where nothing was claimed the share is 0/0 or x/0, not finite,
        # which `finish` reads as not asked.
        with np.errstate(divide="ignore", invalid="ignore"):
            np.divide(state.granted, state.claimed, out=self.share[t])

    def finish(self) -> list[EventChunk]:
        """Derive the events from the daily arrays; return every event of the run.

        Within a day, events keep the order a day-by-day recorder would log them in: the
        disruption switches, then stock lost (expired, recalled, destroyed) and production held
        back by an input (logged as they happen), then stockout starts and ends, allocation cuts
        and restorations, and the days-of-supply alarms by threshold, highest first.
        """
        d = self.daily
        # Only watched cells are ever short; in place, as the KPIs read it too.
        np.logical_and(d.short, self.watch, out=d.short)
        self._stockouts()
        self._allocation()
        if d.care_demand is not None and len(self.care_rows):
            self._imperative()
        self._days_of_supply()
        return self.events

    def _stockouts(self) -> None:
        """Stockout start (value: units owed) and end (value: units on hand).

        Only cells short on some day can have one: the transitions are found in those
        columns, not over every day x node x product.
        """
        d = self.daily
        days = d.short.shape[0]
        short = d.short.reshape(days, -1)
        cells = np.flatnonzero(short.any(axis=0))
        if not len(cells):
            return
        now = short[:, cells]
        before = np.zeros_like(now)
        before[1:] = now[:-1]
        on_hand, backorders = d.on_hand.reshape(days, -1), d.backorders.reshape(days, -1)
        lost = None if self.lost is None else self.lost.reshape(days, -1)
        width = short.shape[1]

        # By flat position: a 1-D take is several times faster than 2-D fancy indexing.
        def owed(t: np.ndarray, c: np.ndarray) -> np.ndarray:
            at = t * width + c
            units = np.take(backorders, at)
            return units if lost is None else units + np.take(lost, at)

        self._split(("stockout_start", "stockout_end"), cells, now != before, now,
                    (owed, lambda t, c: np.take(on_hand, t * width + c)))

    def _allocation(self) -> None:
        """Allocation cut and restored, on the tenths of today's lane claims delivered.

        Events where the level changes from the last day the supplier was asked (10, all,
        before the first). Only cells ever delivered short can have one.
        """
        days = self.share.shape[0]
        share = self.share.reshape(days, -1)
        cells = np.flatnonzero(((share >= 0) & (share < 1)).any(axis=0) & self.watch.ravel())
        if not len(cells):
            return
        ratio = share[:, cells]
        asked = np.isfinite(ratio)
        ratio[~asked] = -1.0
        tenths = np.where(asked, np.floor(ratio * 10 + 1e-9).astype(np.int64), 10)
        last = _shifted(_carry(tenths, asked, 10), 10)
        self._columns("allocation_cut", cells, asked & (tenths < 10) & (tenths != last),
                      ratio, "share of customer orders delivered")
        self._columns("allocation_restored", cells, asked & (tenths == 10) & (last < 10),
                      ratio)

    def _days_of_supply(self) -> None:
        """Days-of-supply alarms, by threshold, highest first.

        An alarm fires when stock falls below a threshold while armed (dos_below), and re-arms
        once stock is back at 1.5 x the threshold (dos_recovered). Only cells that are ever
        below the threshold, or start below it, can have one.
        """
        days = self.daily.on_hand.shape[0]
        on_hand = self.daily.on_hand.reshape(days, -1)
        flow = self.flow.ravel()
        valid = (self.watch & np.isfinite(self.floor)).ravel()
        floor, start = self.floor.ravel(), (self.net.initial / self.flow).ravel()
        # The lowest stock over the lowest days of supply: dividing by a positive flow is
        # monotone, so this is exactly the lowest of the daily ratios, without a days x cells
        # array of them.
        low_seen = on_hand.min(axis=0) / np.where(valid, flow, np.inf)
        with np.errstate(invalid="ignore"):
            for th in self.thresholds:
                enabled = valid & (th < floor)
                cells = np.flatnonzero(enabled & ((low_seen < th) | ~(start >= th)))
                if not len(cells):
                    continue
                dos = on_hand[:, cells] / flow[cells]
                # +1: stock at or above the re-arm level, -1: below the threshold (exclusive:
                # thresholds are positive, so the re-arm level is above the threshold).
                signal = (dos >= th * DOS_REARM).view(np.int8) - (dos < th).view(np.int8)
                # Armed (+1) or not (-1) after today's signal; an event where that changes.
                initial = np.where(start[cells] >= th, 1, -1)
                now = _carry(signal, signal != 0, initial)
                change = np.empty_like(now, dtype=bool)
                np.not_equal(now[0], initial, out=change[0])
                np.not_equal(now[1:], now[:-1], out=change[1:])
                self._split(("dos_below", "dos_recovered"), cells, change, now == -1,
                            (dos, dos), f"{th:g} days")

    def _imperative(self) -> None:
        """Imperative care short: from a day imperative demand goes unserved to one served in full.

        Start: a day some imperative demand went unserved on the day asked (value: units
        unserved). End: the next day imperative demand is served in full (value 0). Days
        without imperative demand change nothing.
        """
        unmet, asked = self.imperative_unmet, self.imperative_asked
        days = unmet.shape[0]
        unmet, asked = unmet.reshape(days, -1), asked.reshape(days, -1)
        # Only cells short on some day can start or end a shortage.
        columns = np.flatnonzero((unmet > 0).any(axis=0))
        if not len(columns):
            return
        unmet, asked = unmet[:, columns], asked[:, columns]
        # +1 served in full, -1 short, 0 no imperative demand that day.
        signal = np.where(asked, np.where(unmet > 0, -1, 1), 0).astype(np.int8)
        before = _shifted(_carry(signal, asked, 1), 1)
        p = self.net.n_products
        cells = (self.care_rows[:, None] * p + np.arange(p)[None, :]).ravel()[columns]
        self._columns("imperative_short_start", cells, (signal == -1) & (before == 1),
                      unmet, "imperative care demand not served")
        self._columns("imperative_short_end", cells, (signal == 1) & (before == -1), unmet)

    def _columns(self, kind: str, cells: np.ndarray, mask: np.ndarray, values: Values,
                 detail: str = "") -> None:
        """Events where `mask` (days x the flat node-product `cells`) holds.

        `cells` is sorted, so nonzero's (day, column) order is (day, node, product) order.
        """
        days, col = np.nonzero(mask)
        self._emit(kind, cells, days, col, values, detail)

    def _split(self, kinds: tuple[str, str], cells: np.ndarray, change: np.ndarray,
               first: np.ndarray, values: tuple[Values, Values], detail: str = "") -> None:
        """Events of two kinds from one mask, in one nonzero pass.

        Where `change` holds: the first kind where `first` does too, else the second; each
        chunk keeps (day, node, product) order, and the first kind's chunk comes first.
        """
        days, col = np.nonzero(change)
        is_first = first[days, col]
        for kind, keep, vals in ((kinds[0], is_first, values[0]),
                                 (kinds[1], ~is_first, values[1])):
            self._emit(kind, cells, days[keep], col[keep], vals, detail)

    def _emit(self, kind: str, cells: np.ndarray, days: np.ndarray, col: np.ndarray,
              values: Values, detail: str) -> None:
        """One chunk of events on `days` in the columns `col` of `cells` (if any)."""
        if len(days):
            flat = cells[col]
            nodes, products = np.divmod(flat, self.net.n_products)
            got = (values(days, flat) if callable(values)
                   else np.take(values, days * values.shape[1] + col))
            self.events.append(EventChunk(days, kind, nodes, products, got.astype(float),
                                          detail))


def _carry(values: np.ndarray, present: np.ndarray, initial: int | np.ndarray) -> np.ndarray:
    """For each day, the value on the last day up to today where `present` (else `initial`).

    `values` and `present` are days x cells; `initial` is one value or one per cell.
    """
    days, cells = values.shape
    out = np.empty(values.shape, dtype=np.result_type(values, initial))
    if not days:
        return out
    if cells >= _CARRY_CELLS:
        # Day by day: two calls a day, each over a row, about half the time of the vectorised
        # form on thousands of cells (no index arrays, no gather).
        out[0] = initial
        np.copyto(out[0], values[0], where=present[0])
        for t in range(1, days):
            out[t] = out[t - 1]
            np.copyto(out[t], values[t], where=present[t])
        return out
    # Few cells: the last present day by a running maximum, then one gather.
    last = np.where(present, np.arange(days)[:, None], -1)
    np.maximum.accumulate(last, axis=0, out=last)
    taken = np.take_along_axis(values, np.maximum(last, 0), axis=0)
    out[:] = np.where(last >= 0, taken, initial)
    return out


def _shifted(values: np.ndarray, initial: int | np.ndarray) -> np.ndarray:
    """Each day's row is the day before's (`initial` on the first day): the value before today."""
    out = np.empty_like(values)
    if len(values):
        out[0] = initial
        out[1:] = values[:-1]
    return out


def _resupply_days(net: Network) -> np.ndarray:
    """Mean days from an order to its receipt, per (node, product): primary lane or QC."""
    lead = np.maximum(1, np.ceil(net.lane_lead_mean()))
    days = np.zeros((net.n_nodes, net.n_products))
    has_lane = net.primary_lane >= 0
    days[has_lane] = lead[net.primary_lane[has_lane]]
    qc = np.maximum(1, net.qc_release_days)[:, None]
    return np.where(net.produces, np.broadcast_to(qc, days.shape), days)
