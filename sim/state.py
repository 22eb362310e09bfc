"""The mutable stock state of one replication.

Numpy arrays over (node, product) and (lane, product), plus the flows the ledger adds up. Each
actor changes only the rows of its own nodes, and the lanes out of them, through the shared
stock-holding code (`sim.actors.stockholding`); the engine's clock resets the day's flows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.cohorts import Cohorts
from sim.network import Network
from sim.records import EventChunk

if TYPE_CHECKING:
    from sim.actors.stockholding import Block
    from sim.countermeasures.transfers import Transfers

# Stands in for an unlimited source's stock when allocating: larger than any order, small
# enough that float ratios over it stay exact.
UNLIMITED_STOCK = np.int64(2**50)
# Lead times times a factor are rounded up with this tolerance: 50 x 1.1 is 55, not 56.
LEAD_TOLERANCE = 1e-9


class State:
    """Stock, orders and shipments of one replication."""

    def __init__(self, net: Network, lead_times: np.ndarray, ring: int) -> None:
        n, p, k = net.n_nodes, net.n_products, net.n_lanes
        self.net = net
        self.lead_times = lead_times  # float[days, lanes], drawn up front
        # The arrival day of a shipment dispatched on day t with no lead-time factor in force.
        days = np.arange(lead_times.shape[0])[:, None]
        self.arrive = days + np.maximum(1, np.ceil(lead_times - LEAD_TOLERANCE)).astype(np.int64)
        self.limited = False  # some capacity is finite today (set by the clock)
        self.t = 0  # today (set by the clock)
        self.events: list = []  # events logged while acting (the recorder's list)
        # Countermeasures' transfers on their way (sim.countermeasures.transfers), if any.
        self.transfers: Transfers | None = None
        # The actors' blocks (set by the engine): per-node sums over lanes go block by block,
        # which is several times faster than one reduceat over every node's lanes.
        self.blocks: list[Block] = []
        # Hoarding: the last day each lane's supplier cut its customer's order of a product
        # (shipped less than claimed, or capped it); None unless some node hoards.
        self.lane_cut_day: np.ndarray | None = None
        # Age cohorts of products with a shelf life (None when none has one).
        self.cohorts = (Cohorts(net.shelf_life, net.initial, net.initial_life,
                                int(lead_times.shape[0])) if net.shelf_life.any() else None)
        self.on_hand = net.initial.copy()
        self.backorder = np.zeros((n, p), dtype=np.int64)  # own demand not yet served
        # With care: own demand in classes (plain, imperative, urgent, deferrable), each its
        # own allocation tier; the totals above are their sums. Blocks without care nodes use
        # the totals only.
        self.classes = 1 if net.care is None else 4
        self.conserved = np.zeros((n, p), dtype=np.int64)  # today's units saved by rationing
        if self.classes > 1:
            self.demand_k = np.zeros((4, n, p), dtype=np.int64)
            self.backorder_k = np.zeros((4, n, p), dtype=np.int64)
            self.served_k = np.zeros((4, n, p), dtype=np.int64)
        self.owed = np.zeros((k, p), dtype=np.int64)  # customer orders not yet shipped
        self.new_orders = np.zeros((k, p), dtype=np.int64)  # placed today, not yet served
        self.on_order = np.zeros((n, p), dtype=np.int64)  # ordered, not yet received
        # Lanes' goods on the way and arrivals are kept in inbound order (lanes sorted by
        # customer): a block receives a contiguous range of rows, views instead of copies.
        self.in_transit = np.zeros((k, p), dtype=np.int64)
        # Shipments by arrival day, in a ring of `ring` days (longer than any delay): slot
        # d % ring holds what arrives on day d; `due` says which slots hold anything.
        # Lanes are sorted by supplier; for sums by customer, an order that sorts them so.
        self._out = _segments(net.lane_src, n)
        self._in_order = np.argsort(net.lane_dst, kind="stable")
        self._in = _segments(net.lane_dst[self._in_order], n)
        self.in_position = inbound_position(net)  # lane -> its row in inbound order
        self.days = lead_times.shape[0]
        self.ring = ring
        self.arrivals = np.zeros((ring, k, p), dtype=np.int64)
        self.due = np.zeros(ring, dtype=bool)
        self.quarantine: dict[int, np.ndarray] = {}  # release day -> int[n, p]
        # Makers with a QC hold start with their pipeline full (Network.initial_in_qc): in
        # quarantine and on order, so the first review plans on it as on any later day (all of
        # it, whatever the horizon, so a short run is the start of a long one).
        for day, batch in enumerate(net.initial_in_qc):
            if batch.any():
                self.quarantine[day] = batch.copy()
        self.on_order += net.initial_in_qc.sum(axis=0)
        self.production_due = np.zeros((n, p), dtype=np.int64)
        self.production_carry = np.zeros((n, p))
        self.empty_days = np.zeros((n, p), dtype=np.int64)  # days ended with nothing on hand
        # Ledger flows (cumulative).
        self.received = np.zeros((n, p), dtype=np.int64)
        self.produced = np.zeros((n, p), dtype=np.int64)  # released from QC, made in the run
        self.initial_in_qc = np.zeros((n, p), dtype=np.int64)  # the opening pipeline released
        self.shipped = np.zeros((n, p), dtype=np.int64)
        self.consumed = np.zeros((n, p), dtype=np.int64)
        self.expired = np.zeros((n, p), dtype=np.int64)
        self.destroyed = np.zeros((n, p), dtype=np.int64)
        # Today's expired and destroyed units (reset only after a day that had some).
        self.expired_today = np.zeros((n, p), dtype=np.int64)
        self.destroyed_today = np.zeros((n, p), dtype=np.int64)
        self.losses_today = False
        # Stock held out of use by a recall: release day -> (nodes, products, units, rows).
        self.recalled: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray,
                                            np.ndarray | None]]] = {}
        # Inputs of production: units taken out but not yet used up (fractions per unit).
        self.input_credit = np.zeros((n, p))
        self.input_short = np.zeros((n, p), dtype=bool)  # production held back by an input
        # Today's flows, reset by the clock at the start of each day.
        self.demand = np.zeros((n, p), dtype=np.int64)  # own demand drawn today
        self.served = np.zeros((n, p), dtype=np.int64)  # of it, served today
        self.lost = np.zeros((n, p), dtype=np.int64)
        self.orders_in = np.zeros((n, p), dtype=np.int64)  # customers' orders received today
        self.orders_shipped = np.zeros((n, p), dtype=np.int64)  # of them, shipped today
        self.claimed = np.zeros((n, p), dtype=np.int64)  # lane claims the supplier could act on
        self.granted = np.zeros((n, p), dtype=np.int64)  # shipped on them
        self.short = np.zeros((n, p), dtype=bool)  # ended the day with nothing, and was asked
        # Today's whole-unit capacities (inf: unlimited) and the fractions carried over.
        self.lane_budget = np.full(k, np.inf)
        self.lane_carry = np.zeros(k)
        self.dispatch_budget = np.full((n, p), np.inf)
        self.dispatch_carry = np.zeros((n, p))

    def start_day(self, t: int) -> None:
        """Reset today's flows."""
        self.t = t
        for a in (self.demand, self.served, self.lost, self.orders_in, self.orders_shipped,
                  self.claimed, self.granted):
            a.fill(0)
        if self.classes > 1:
            self.served_k.fill(0)
        if self.losses_today:
            self.expired_today.fill(0)
            self.destroyed_today.fill(0)
            self.losses_today = False

    def expect(self, day: int | np.ndarray, lanes: np.ndarray, qty: np.ndarray) -> None:
        """Book `qty` (rows for `lanes`, unique) to arrive on `day` (per lane, or one day).

        `lanes` are lane numbers; the ring's rows are in inbound order.

        What would arrive after the horizon is not booked: it stays in transit.
        """
        if not isinstance(day, np.ndarray):
            day = np.full(lanes.shape, day, dtype=np.int64)
        # Every delay is shorter than the ring, so only the last `ring` days can book past
        # the horizon.
        if self.t + self.ring > self.days:
            keep = day < self.days
            if not keep.all():
                day, lanes, qty = day[keep], lanes[keep], qty[keep]
        if not len(lanes):
            return
        slots = day % self.ring
        self.arrivals[slots, self.in_position[lanes]] += qty
        self.due[slots] = True

    def arrived(self, t: int) -> None:
        """Day t is over: its slot of the ring is free for day t + ring."""
        slot = t % self.ring
        if self.due[slot]:
            self.arrivals[slot] = 0
            self.due[slot] = False

    def book_expired(self, nodes: np.ndarray, products: np.ndarray, units: np.ndarray,
                     detail: str) -> None:
        """Units at (node, product) cells (may repeat) leave stock as expired today."""
        np.subtract.at(self.on_hand, (nodes, products), units)
        np.add.at(self.expired, (nodes, products), units)
        np.add.at(self.expired_today, (nodes, products), units)
        self.losses_today = True
        self.log("expired", nodes, products, units, detail)

    def book_destroyed(self, nodes: np.ndarray, products: np.ndarray, units: np.ndarray,
                       detail: str) -> None:
        """Units at unique (node, product) cells are destroyed today."""
        self.on_hand[nodes, products] -= units
        self.destroyed[nodes, products] += units
        self.destroyed_today[nodes, products] += units
        self.losses_today = True
        self.log("destroyed", nodes, products, units, detail)

    def log(self, kind: str, nodes: np.ndarray, products: np.ndarray, values: np.ndarray,
            detail: str) -> None:
        """Events of today, one per (node, product) (node then product order within a kind)."""
        order = np.lexsort((products, self.net.scenario_index[nodes]))
        self.events.append(EventChunk(self.t, kind, nodes[order], products[order],
                                      np.asarray(values, dtype=float)[order], detail))

    def recalled_units(self) -> np.ndarray:
        """Units held by a recall, int[n, p]."""
        out = np.zeros_like(self.on_hand)
        for entries in self.recalled.values():
            for nodes, products, units, _ in entries:
                np.add.at(out, (nodes, products), units)
        return out

    def owed_out(self) -> np.ndarray:
        """Units each node owes its customers, int[n, p]."""
        if not self.blocks:
            return _by_node(self.owed, self._out)
        out = np.zeros_like(self.on_hand)
        for blk in self.blocks:
            if blk.lb > blk.la:
                out[blk.nodes] = blk.out_sum(self.owed[blk.lanes])
        return out

    def inbound_in_transit(self) -> np.ndarray:
        """Units on their way to each node, int[n, p] (countermeasures' transfers included)."""
        if not self.blocks:
            out = _by_node(self.in_transit, self._in)
        else:
            out = np.zeros_like(self.on_hand)
            for blk in self.blocks:
                if len(blk.lanes_in):
                    out[blk.nodes] = blk.in_sum(self.in_transit[blk.in_rows])
        if self.transfers is not None:
            out += self.transfers.in_transit
        return out


def inbound_position(net: Network) -> np.ndarray:
    """Each lane's row in inbound order (lanes sorted by customer, stable), int[lanes]."""
    position = np.empty(net.n_lanes, dtype=np.int64)
    position[np.argsort(net.lane_dst, kind="stable")] = np.arange(net.n_lanes)
    return position


def _segments(keys: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """For rows sorted by `keys`: the nodes that have rows, where their rows start, and n."""
    nodes, starts = np.unique(keys, return_index=True)
    return nodes, starts, n


def _by_node(values: np.ndarray, seg: tuple[np.ndarray, np.ndarray, int]) -> np.ndarray:
    nodes, starts, n = seg
    out = np.zeros((n, values.shape[1]), dtype=np.int64)
    if len(nodes):
        out[nodes] = np.add.reduceat(values, starts, axis=0)
    return out
