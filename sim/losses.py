"""Stock that leaves without being used, at the start of a day.

Expiry, recalls, stock loss and cold-chain spoilage, in this order, before the day's demand
(docs/engine.md, "Supply mechanics"):
1. units whose shelf life ends today expire (`expired`);
2. recalled stock whose quarantine ends today is back in stock (what expired meanwhile is
   booked as expired);
3. a `stock_loss` disruption starting today destroys (or, with `quarantine_days`, recalls) its
   share of the stock of the matched cells, spread over their cohorts;
4. at nodes whose power, after their backup, is at or below `defaults.cold_chain_power_floor`,
   `spoilage_per_day` of each cold-chain product's stock is destroyed (fractions carry over).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.network import Network, node_mask
from sim.scenario import schema
from sim.state import State

if TYPE_CHECKING:
    from sim.disruptions import Effects

# Shares times stock are floored with this tolerance: 0.3 x 10 is 3, not 2.
_EPS = 1e-9


class Losses:
    """The start-of-day losses of one replication."""

    def __init__(self, net: Network, state: State, windows: list[Any]) -> None:
        self.net = net
        self.state = state
        self.days = state.days
        # Stock-loss windows by start day: (cells, share, quarantine days, name).
        self.hits: dict[int, list[tuple[np.ndarray, float, int | None, str]]] = {}
        for w in windows:
            d = net.scenario.disruptions[w.index]
            if not isinstance(d, schema.StockLoss):
                continue
            day = max(0, math.ceil(w.start))
            if day >= self.days or day >= w.end:  # a window that covers no day
                continue
            cells = node_mask(net.nodes, d.where)[:, None] & _products(net, d.products)[None, :]
            self.hits.setdefault(day, []).append((cells, d.share, d.quarantine_days, w.name))
        self.cold = net.cold_chain
        self.any_cold = bool(net.cold_chain.any())
        self.floor = net.scenario.defaults.cold_chain_power_floor
        self.spoil_carry = np.zeros((net.n_nodes, net.n_products))

    def start_day(self, t: int, fx: Effects) -> None:
        """Expire, release recalls, apply stock losses and spoilage for day t."""
        st = self.state
        co = st.cohorts
        if co is not None:
            gone = co.expire(t)
            if gone is not None:
                rows, cols = np.nonzero(gone)
                st.book_expired(rows, co.products[cols], gone[rows, cols], "shelf life ended")
        if st.recalled:
            self._release(t)
        for cells, share, quarantine, name in self.hits.get(t, ()):
            self._hit(t, cells, share, quarantine, name)
        if self.any_cold:
            power = getattr(fx, "power", None)
            if power is not None:
                self._spoil(t, power)

    def _release(self, t: int) -> None:
        st = self.state
        co = st.cohorts
        for nodes, products, units, rows in st.recalled.pop(t, ()):
            np.add.at(st.on_hand, (nodes, products), units)
            if rows is not None and co is not None:
                life = co.column[products] >= 0
                dead = co.add(nodes[life], products[life], rows, 0, t)
                if dead.any():
                    st.book_expired(nodes[life], products[life], dead,
                                    "shelf life ended in recall quarantine")

    def _hit(self, t: int, cells: np.ndarray, share: float, quarantine: int | None, name: str
             ) -> None:
        st = self.state
        units = np.floor(st.on_hand * share + _EPS).astype(np.int64) * cells
        nodes, products = np.nonzero(units)
        if not len(nodes):
            return
        qty = units[nodes, products]
        rows = self._take_share(nodes, products, qty, t)
        if quarantine is None:
            st.book_destroyed(nodes, products, qty, name)
            return
        st.on_hand[nodes, products] -= qty
        st.log("recalled", nodes, products, qty, name)
        release = t + quarantine
        if release < self.days:
            st.recalled.setdefault(release, []).append((nodes, products, qty, rows))
        else:  # held past the horizon: still recalled at the end
            st.recalled.setdefault(self.days, []).append((nodes, products, qty, rows))

    def _spoil(self, t: int, power: np.ndarray) -> None:
        st = self.state
        dark = (power <= self.floor + _EPS)[:, None] & self.cold[None, :]
        if not dark.any():
            self.spoil_carry.fill(0)
            return
        total = np.where(dark, st.on_hand * self.net.spoilage + self.spoil_carry, 0.0)
        units = np.floor(total + _EPS)
        self.spoil_carry = np.where(dark, np.maximum(total - units, 0.0), 0.0)
        units = np.minimum(units.astype(np.int64), st.on_hand)
        nodes, products = np.nonzero(units)
        if not len(nodes):
            return
        qty = units[nodes, products]
        self._take_share(nodes, products, qty, t)
        st.book_destroyed(nodes, products, qty, "cold chain: no power")

    def _take_share(self, nodes: np.ndarray, products: np.ndarray, qty: np.ndarray, t: int
                    ) -> np.ndarray | None:
        """Take qty from cells' cohorts, spread over them; the staircases taken (full width)."""
        co = self.state.cohorts
        if co is None:
            return None
        life = co.column[products] >= 0
        if not life.any():
            return None
        taken = co.take_share(nodes[life], products[life], qty[life],
                              self.state.on_hand[nodes[life], products[life]], t)
        # Kept from column t on; recalls are released later, so pad to the full width.
        full = np.zeros((len(taken), co.days + 1), dtype=np.int64)
        full[:, t:] = taken
        return full


def _products(net: Network, names: list[str] | None) -> np.ndarray:
    if names is None:
        return np.ones(net.n_products, dtype=bool)
    allowed = set(names)
    return np.array([pid in allowed or net.scenario.products[pid].group in allowed
                     for pid in net.product_ids], dtype=bool)
