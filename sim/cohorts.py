"""Stock in age cohorts, for products with a shelf life: expiry, FEFO issue, aged shipments.

Each (node, product) cell of a product with a shelf life keeps a *staircase* over expiry days:
`stairs[i, c, e]` is the number of units on hand that expire at the start of day `e` or
earlier, for e = 0 .. H-1 (H: the horizon), and column H counts every unit (those that expire
after the run included), so it equals the cell's on-hand stock. A unit with remaining shelf
life r at the start of day t expires at the start of day t + r: it can be used on days
t .. t + r - 1.

A staircase makes first-expiry-first-out a single clip: taking q units, soonest-expiring first,
leaves `max(S - q, 0)` and takes `min(S, q)`, itself the staircase of what was taken, so a
shipment carries its ages to the customer. Staircases add (arrivals) and scale (a share
destroyed: `floor(S * share)` is again a staircase, and its last column is the whole units
destroyed). Columns before today are always zero: expiry at the start of day t removes column t
from every later column. All work is on the columns t .. H and on the cells that move.
"""

from __future__ import annotations

import numpy as np


class Cohorts:
    """Staircases of the cells of products with a shelf life, and the shipments carrying them.

    Cells are addressed by node row and product column (the network's indices); products
    without a shelf life are ignored by every method.
    """

    def __init__(self, shelf_life: np.ndarray, initial: np.ndarray, initial_life: np.ndarray,
                 days: int) -> None:
        self.products = np.flatnonzero(shelf_life > 0)  # product columns with a shelf life
        p = len(shelf_life)
        self.column = np.full(p, -1, dtype=np.int64)  # product -> cohort column
        self.column[self.products] = np.arange(len(self.products))
        self.life = shelf_life[self.products]
        self.days = days
        n = initial.shape[0]
        # Initial stock: unit i of N gets low + floor(i (high - low + 1) / N) days, so the units
        # with at most e days number ceil((e - low + 1) N / w), w = high - low + 1.
        units = initial[:, self.products][..., None]
        low = initial_life[:, self.products, 0][..., None]
        width = (initial_life[:, self.products, 1] - initial_life[:, self.products, 0] + 1
                 )[..., None]
        e = np.arange(days + 1)
        count = -((-(e - low + 1) * units) // width)  # ceiling division, exact in integers
        self.stairs = np.clip(count, 0, units).astype(np.int64)
        self.stairs[..., days] = units[..., 0]
        self.stairs = np.ascontiguousarray(self.stairs.reshape(n, len(self.products), days + 1))
        # Shipments on their way: arrival day -> [(lanes, cohort columns, first column, rows)].
        self.transit: dict[int, list[tuple[np.ndarray, np.ndarray, int, np.ndarray]]] = {}

    # -- whole-network steps at the start of a day ---------------------------------------
    def expire(self, t: int) -> np.ndarray | None:
        """Units expiring at the start of day t, removed; int[n, cohort products] or None."""
        if t >= self.days:
            return None
        col = self.stairs[:, :, t]
        gone = col.copy()
        if not gone.any():
            return None
        rows, cols = np.nonzero(gone)
        self.stairs[rows, cols, t:] -= gone[rows, cols, None]
        return gone

    # -- issue ---------------------------------------------------------------------------
    def take(self, nodes: np.ndarray, products: np.ndarray, qty: np.ndarray, t: int
             ) -> np.ndarray:
        """Take `qty` units from each (node, product) cell, soonest-expiring first.

        Cells must be unique and hold the units. Returns the staircases taken (rows over
        columns t .. H).
        """
        cols = self.column[products]
        held = self.stairs[nodes, cols, t:]
        taken = np.minimum(held, qty[:, None])
        self.stairs[nodes, cols, t:] = held - taken
        return taken

    def take_block(self, a: int, used: np.ndarray, t: int) -> None:
        """FEFO take of `used` (int[nb, p]) from the block of nodes starting at row a."""
        part = used[:, self.products]
        rows, cols = np.nonzero(part)
        if len(rows):
            held = self.stairs[a + rows, cols, t:]
            self.stairs[a + rows, cols, t:] = np.maximum(held - part[rows, cols, None], 0)

    def take_share(self, nodes: np.ndarray, products: np.ndarray, qty: np.ndarray,
                   on_hand: np.ndarray, t: int) -> np.ndarray:
        """Take `qty` of each cell's `on_hand` units spread over its cohorts, not FEFO.

        A fire or a warm cold room hits old and new stock alike: each cohort loses about the
        same share, `floor(S * qty / on_hand)` in staircase form (exact: its last column is
        qty). Returns the staircases taken.
        """
        cols = self.column[products]
        held = self.stairs[nodes, cols, t:]
        taken = (held * qty[:, None]) // np.maximum(on_hand, 1)[:, None]
        self.stairs[nodes, cols, t:] = held - taken
        return taken

    def add(self, nodes: np.ndarray, products: np.ndarray, rows: np.ndarray, first: int, t: int
            ) -> np.ndarray:
        """Add staircases (columns first .. H) to cells on day t; returns units already expired.

        Units whose expiry day is t or earlier (they ran out on the way) are not added: the
        caller books them as expired at the cell. Cells may repeat.
        """
        rows = rows[:, t - first:]
        dead = rows[:, 0].copy()
        live = rows - dead[:, None]
        cols = self.column[products]
        if len(np.unique(nodes * len(self.products) + cols)) == len(nodes):
            self.stairs[nodes, cols, t:] += live
        else:
            np.add.at(self.stairs[:, :, t:], (nodes, cols), live)
        return dead

    def fresh(self, qty: np.ndarray, products: np.ndarray, t: int) -> np.ndarray:
        """Staircases (columns t .. H) of `qty` units released on day t with full shelf life."""
        expiry = np.minimum(t + self.life[self.column[products]], self.days)
        e = np.arange(t, self.days + 1)
        return np.where(e[None, :] >= expiry[:, None], qty[:, None], 0).astype(np.int64)

    # -- shipments -----------------------------------------------------------------------
    def send(self, day: np.ndarray, lanes: np.ndarray, products: np.ndarray, rows: np.ndarray,
             first: int) -> None:
        """Book aged shipments (staircase rows from column `first`) to arrive on `day`."""
        keep = day < self.days
        if not keep.all():
            day, lanes, products, rows = day[keep], lanes[keep], products[keep], rows[keep]
        for d in np.unique(day).tolist():
            on = day == d
            self.transit.setdefault(d, []).append((lanes[on], products[on], first, rows[on]))

    def arrivals(self, t: int, lane_lo: np.ndarray, keep: np.ndarray | None = None
                 ) -> list[tuple[np.ndarray, np.ndarray, int, np.ndarray]]:
        """Take today's shipments whose lane passes `lane_lo` (bool over lanes)."""
        entries = self.transit.get(t)
        if not entries:
            return []
        out, rest = [], []
        for lanes, products, first, rows in entries:
            mine = lane_lo[lanes]
            if mine.all():
                out.append((lanes, products, first, rows))
            elif mine.any():
                out.append((lanes[mine], products[mine], first, rows[mine]))
                rest.append((lanes[~mine], products[~mine], first, rows[~mine]))
            else:
                rest.append((lanes, products, first, rows))
        if rest:
            self.transit[t] = rest
        else:
            del self.transit[t]
        return out

    def units(self) -> np.ndarray:
        """On-hand units per (node, cohort product): the last column."""
        return self.stairs[:, :, self.days]
