"""End-of-day recording (step 5): daily arrays and the events derived from them."""

from __future__ import annotations

import numpy as np

from sim.network import MIN_FLOW, Network
from sim.records import Daily, Event
from sim.state import State

# A days-of-supply alarm re-arms only once stock is back above this multiple of the threshold,
# so a stock hovering around a threshold does not raise an event every other day.
DOS_REARM = 1.5


class Recorder:
    """Fills the daily arrays and appends events as tuples."""

    def __init__(self, net: Network, days: int, replication: int, thresholds: list[float]) -> None:
        self.net = net
        self.replication = replication
        self.daily = Daily(days, net.n_nodes, net.n_products)
        self.events: list[Event] = []
        self.watch = net.handles & ~net.unlimited[:, None]
        self.flow = np.where(net.normal_flow > MIN_FLOW, net.normal_flow, np.nan)
        self.thresholds = sorted(thresholds, reverse=True)
        self.low = np.array(self.thresholds, dtype=float)[:, None, None]
        self.high = self.low * DOS_REARM
        dos = net.initial / self.flow
        # armed[k]: the alarm for threshold k can fire (stock was last seen above it).
        self.armed = self._valid(dos)[None] & (dos[None] >= self.low)
        self.short = np.zeros_like(self.watch)
        self.cut = np.full(self.watch.shape, 10, dtype=np.int64)  # tenths delivered; 10 = all

    def _valid(self, dos: np.ndarray) -> np.ndarray:
        return self.watch & np.isfinite(dos)

    def log(self, day: int, kind: str, detail: str, node: str | None = None,
            product: str | None = None, value: float = float("nan")) -> None:
        """Append one event."""
        self.events.append(Event(self.replication, day, kind, node, product, value, detail))

    def _cells(self, day: int, kind: str, mask: np.ndarray, values: np.ndarray,
               detail: str = "") -> None:
        nodes, products = np.nonzero(mask)
        ids, pids = self.net.node_ids, self.net.product_ids
        for i, j, v in zip(nodes.tolist(), products.tolist(), values[mask].tolist(), strict=True):
            self.events.append(Event(self.replication, day, kind, ids[i], pids[j], v, detail))

    def record(self, t: int, state: State) -> None:
        """Store today's end-of-day state and log the transitions it shows."""
        d = self.daily
        owed = state.owed_out()
        backorders = state.backorder + owed
        d.on_hand[t] = state.on_hand
        d.backorders[t] = backorders
        d.inbound_in_transit[t] = state.inbound_in_transit()
        d.demand[t] = state.demand_today
        d.served[t] = state.served_today
        d.unmet[t] = state.demand_today - state.served_today
        short = ((backorders > 0) | (state.lost_today > 0)) & self.watch
        d.short[t] = short

        started, ended = short & ~self.short, ~short & self.short
        if started.any():
            self._cells(t, "stockout_start", started, backorders + state.lost_today)
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
        rearm = ~self.armed & (dos[None] >= self.high) & self.watch[None]
        if below.any() or rearm.any():
            for k, th in enumerate(self.thresholds):
                if below[k].any():
                    self._cells(t, "dos_below", below[k], dos, f"{th:g} days")
                if rearm[k].any():
                    self._cells(t, "dos_recovered", rearm[k], dos, f"{th:g} days")
            self.armed = (self.armed & ~below) | rearm
