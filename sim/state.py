"""The mutable stock state of one replication.

Numpy arrays over (node, product) and (lane, product), plus the flows the ledger adds up. Roles
change it; nothing else does.
"""

from __future__ import annotations

import numpy as np

from sim.network import Network
from sim.sums import flat_index, group_sum

# Stands in for an unlimited source's stock when allocating: larger than any order, small
# enough that float ratios over it stay exact.
UNLIMITED_STOCK = np.int64(2**50)


class State:
    """Stock, orders and shipments of one replication."""

    def __init__(self, net: Network, lead_times: np.ndarray) -> None:
        n, p, k = net.n_nodes, net.n_products, net.n_lanes
        self.net = net
        self.lead_times = lead_times  # float[days, lanes], drawn up front
        self.on_hand = net.initial.copy()
        self.backorder = np.zeros((n, p), dtype=np.int64)  # own demand not yet served
        self.owed = np.zeros((k, p), dtype=np.int64)  # customer orders not yet shipped
        self.on_order = np.zeros((n, p), dtype=np.int64)  # ordered, not yet received
        self.in_transit = np.zeros((k, p), dtype=np.int64)
        self.arrivals: dict[int, np.ndarray] = {}  # day -> int[l, p]
        self.quarantine: dict[int, np.ndarray] = {}  # release day -> int[n, p]
        self.production_due = np.zeros((n, p), dtype=np.int64)
        self.production_carry = np.zeros((n, p))
        # Ledger flows (cumulative).
        self.received = np.zeros((n, p), dtype=np.int64)
        self.produced = np.zeros((n, p), dtype=np.int64)
        self.shipped = np.zeros((n, p), dtype=np.int64)
        self.consumed = np.zeros((n, p), dtype=np.int64)
        self.expired = np.zeros((n, p), dtype=np.int64)
        self.destroyed = np.zeros((n, p), dtype=np.int64)
        # Today's flows, reset every day.
        self.new_orders = np.zeros((k, p), dtype=np.int64)
        self.demand_today = np.zeros((n, p), dtype=np.int64)
        self.served_today = np.zeros((n, p), dtype=np.int64)
        self.lost_today = np.zeros((n, p), dtype=np.int64)
        self.claimed = np.zeros((n, p), dtype=np.int64)
        self.granted = np.zeros((n, p), dtype=np.int64)
        # Today's remaining capacities (inf when unconstrained).
        self.lane_budget = np.full(k, np.inf)
        self.dispatch_budget = np.full((n, p), np.inf)
        self.lane_carry = np.zeros(k)
        # Flat indices of (lane supplier, product) and (lane customer, product) for group sums.
        self.src_index = flat_index(net.lane_src, p)
        self.dst_index = flat_index(net.lane_dst, p)
        self.dispatch_carry = np.zeros((n, p))

    def start_day(self) -> None:
        """Reset today's flows."""
        self.new_orders.fill(0)
        self.demand_today.fill(0)
        self.served_today.fill(0)
        self.lost_today.fill(0)
        self.claimed.fill(0)
        self.granted.fill(0)

    def available(self) -> np.ndarray:
        """Stock that can be handed out now; unlimited sources have as much as anyone asks."""
        return np.where(self.net.unlimited[:, None], UNLIMITED_STOCK, self.on_hand)

    def owed_out(self) -> np.ndarray:
        """Units each node owes its customers, int[n, p]."""
        return group_sum(self.owed, self.net.lane_src, self.net.n_nodes, self.src_index)

    def inbound_in_transit(self) -> np.ndarray:
        """Units on their way to each node, int[n, p]."""
        return group_sum(self.in_transit, self.net.lane_dst, self.net.n_nodes, self.dst_index)
