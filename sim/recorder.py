"""End-of-day recording (step 5): daily arrays and the events derived from them."""

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
    """Fills the daily arrays and appends events in columnar chunks (one per kind and day)."""

    def __init__(self, net: Network, days: int, replication: int, thresholds: list[float]) -> None:
        self.net = net
        self.replication = replication
        self.daily = Daily(days, net.n_nodes, net.n_products)
        self.events: list[EventChunk] = []
        self.watch = net.handles & ~net.unlimited[:, None]
        self.flow = np.where(net.normal_flow > MIN_FLOW, net.normal_flow, np.nan)
        self.thresholds = sorted(thresholds, reverse=True)
        self.low = np.array(self.thresholds, dtype=float)[:, None, None]
        self.high = self.low * DOS_REARM
        dos = net.initial / self.flow
        # A threshold is watched only below the cell's normal floor: its reorder point less
        # what is used while the order is on its way (its initial stock for a stockpile that
        # is never replenished). A ward that reorders at 3 days with next-day delivery dips to
        # 2 days every week: routine, not news.
        ordering = net.policy_kind == POLICY_ORDER
        floor = np.where(ordering, net.reorder_point / self.flow - _resupply_days(net),
                         net.initial / self.flow)
        self.enabled = self._valid(floor)[None] & (self.low < floor[None])
        # armed[k]: the alarm for threshold k can fire (stock was last seen above it).
        self.armed = self.enabled & (dos[None] >= self.low)
        self.short = np.zeros_like(self.watch)
        self.cut = np.full(self.watch.shape, 10, dtype=np.int64)  # tenths delivered; 10 = all

    def _valid(self, dos: np.ndarray) -> np.ndarray:
        return self.watch & np.isfinite(dos)

    def log(self, day: int, kind: str, detail: str, node: str | None = None,
            product: str | None = None, value: float = float("nan")) -> None:
        """Append one event (node and product by id, or None)."""
        i = _NONE if node is None else np.array([self.net.node_ids.index(node)])
        j = _NONE if product is None else np.array([self.net.product_ids.index(product)])
        self.events.append(EventChunk(day, kind, i, j, np.array([value]), detail))

    def _cells(self, day: int, kind: str, mask: np.ndarray, values: np.ndarray,
               detail: str = "") -> None:
        nodes, products = np.nonzero(mask)
        self.events.append(EventChunk(day, kind, nodes, products,
                                      values[nodes, products].astype(float), detail))

    def record(self, t: int, state: State) -> None:
        """Store today's end-of-day state and log the transitions it shows."""
        d = self.daily
        owed = state.owed_out()
        backorders = state.backorder + owed
        d.on_hand[t] = state.on_hand
        d.backorders[t] = backorders
        d.inbound_in_transit[t] = state.inbound_in_transit()
        d.demand[t] = state.demand
        d.served[t] = state.served
        d.unmet[t] = state.demand - state.served
        d.orders[t] = state.orders_in
        d.orders_shipped[t] = state.orders_shipped
        short = state.short & self.watch
        d.short[t] = short

        started, ended = short & ~self.short, ~short & self.short
        if started.any():
            self._cells(t, "stockout_start", started, backorders + state.lost)
        if ended.any():
            self._cells(t, "stockout_end", ended, state.on_hand)
        self.short = short

        asked = state.claimed > 0
        if asked.any():
            ratio = np.divide(state.granted, state.claimed, out=np.ones(short.shape),
                              where=asked)
            tenths = np.where(asked, np.floor(ratio * 10 + 1e-9).astype(np.int64), self.cut)
            cut = asked & (tenths < 10) & (tenths != self.cut) & self.watch
            restored = asked & (tenths == 10) & (self.cut < 10) & self.watch
            if cut.any():
                self._cells(t, "allocation_cut", cut, ratio,
                            "share of customer orders delivered")
            if restored.any():
                self._cells(t, "allocation_restored", restored, ratio)
            self.cut = np.where(asked, tenths, self.cut)

        dos = state.on_hand / self.flow  # NaN where there is no normal flow
        below = self.armed & (dos[None] < self.low)
        rearm = ~self.armed & (dos[None] >= self.high) & self.enabled
        if below.any() or rearm.any():
            for k, th in enumerate(self.thresholds):
                if below[k].any():
                    self._cells(t, "dos_below", below[k], dos, f"{th:g} days")
                if rearm[k].any():
                    self._cells(t, "dos_recovered", rearm[k], dos, f"{th:g} days")
            self.armed = (self.armed & ~below) | rearm


def _resupply_days(net: Network) -> np.ndarray:
    """Mean days from an order to its receipt, per (node, product): primary lane or QC."""
    lead = np.maximum(1, np.ceil(net.lane_lead_mean()))
    days = np.zeros((net.n_nodes, net.n_products))
    has_lane = net.primary_lane >= 0
    days[has_lane] = lead[net.primary_lane[has_lane]]
    qc = np.maximum(1, net.qc_release_days)[:, None]
    return np.where(net.produces, np.broadcast_to(qc, days.shape), days)
