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
destroyed).

Taking from the front is deferred: a cell keeps the staircase `A` of what it was given and the
count `T` of units taken from its front since, and holds `S = max(A - T, 0)`. An issue adds to
T, and so does expiry, which takes every unit expiring today, the front of the order:
`T = max(T, A[t])`; neither touches a row. Units that all outlive the run join the last column
only (they are later than anything held, so T stands). Other arrivals and losses spread over
the cohorts rewrite a row (`A = S + R, T = 0`), on the columns t .. H and only for the cells
concerned.
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
        q = len(self.products)
        self.column = np.full(p, -1, dtype=np.int64)  # product -> cohort column
        self.column[self.products] = np.arange(q)
        self.life = shelf_life[self.products]
        self.every_product = len(self.products) == p  # cohort columns are product columns
        self.days = days
        n = initial.shape[0]
        self.n_cohort = q
        # Initial stock: unit i of N gets low + floor(i (high - low + 1) / N) days, so the units
        # with at most e days number ceil((e - low + 1) N / w), w = high - low + 1.
        units = initial[:, self.products][..., None]
        low = initial_life[:, self.products, 0][..., None]
        width = (initial_life[:, self.products, 1] - initial_life[:, self.products, 0] + 1
                 )[..., None]
        e = np.arange(days + 1)
        count = -((-(e - low + 1) * units) // width)  # ceiling division, exact in integers
        added = np.clip(count, 0, units).astype(np.int64)
        added[..., days] = units[..., 0]
        self.added = np.ascontiguousarray(added.reshape(n * q, days + 1))  # A, by flat cell
        self.front = np.zeros(n * q, dtype=np.int64)  # T: units taken from the front since
        # Shipments on their way: arrival day -> [(lanes, products, units, first column, rows)],
        # rows None for units that all outlive the run.
        self.transit: dict[int, list[Shipment]] = {}

    def cells(self, nodes: np.ndarray, products: np.ndarray) -> np.ndarray:
        """Flat cell index of (node, product) pairs (products with a shelf life)."""
        return nodes * self.n_cohort + self.column[products]

    @property
    def stairs(self) -> np.ndarray:
        """The staircases held, int[n, cohort products, H + 1] (a copy; for checks)."""
        held = np.maximum(self.added - self.front[:, None], 0)
        return held.reshape(-1, self.n_cohort, self.days + 1)

    def units(self) -> np.ndarray:
        """On-hand units per (node, cohort product)."""
        return (self.added[:, self.days] - self.front).reshape(-1, self.n_cohort)

    # -- whole-network steps at the start of a day ---------------------------------------
    def expire(self, t: int) -> np.ndarray | None:
        """Units expiring at the start of day t, removed; int[n, cohort products] or None."""
        if t >= self.days:
            return None
        due = self.added[:, t]
        gone = due - self.front
        if not (gone > 0).any():
            return None
        np.maximum(gone, 0, out=gone)
        np.maximum(self.front, due, out=self.front)
        return gone.reshape(-1, self.n_cohort)

    # -- issue ---------------------------------------------------------------------------
    def take_block(self, a: int, used: np.ndarray, t: int) -> None:
        """FEFO take of `used` (int[nb, p]) from the block of nodes starting at row a."""
        q = self.n_cohort
        self.front[a * q:a * q + used.shape[0] * q] += used[:, self.products].ravel()

    def take_cells(self, cells: np.ndarray, qty: np.ndarray) -> None:
        """FEFO take of `qty` from flat cells (which may repeat)."""
        np.add.at(self.front, cells, qty)

    def issue(self, cells: np.ndarray, after: np.ndarray, qty: np.ndarray, t: int
              ) -> tuple[np.ndarray, np.ndarray]:
        """The units [after, after + qty) of each cell's FEFO order, without taking them.

        Returns which of them all outlive the run (`late`: no row needed) and, for the others,
        their staircases (columns t .. H). The caller takes the cell's total afterwards.
        """
        skip = self.front[cells] + after
        # All beyond the last day when no more than `skip` units expire within the run.
        late = self.added[cells, self.days - 1] <= skip
        if late.all():
            return late, np.empty((0, self.days + 1 - t), dtype=np.int64)
        early = ~late
        rows = np.clip(self.added[cells[early], t:] - skip[early, None], 0, qty[early, None])
        return late, rows

    def take_share(self, nodes: np.ndarray, products: np.ndarray, qty: np.ndarray,
                   on_hand: np.ndarray, t: int) -> np.ndarray:
        """Take `qty` of each cell's `on_hand` units spread over its cohorts, not FEFO.

        A fire or a warm cold room hits old and new stock alike: each cohort loses about the
        same share, `floor(S * qty / on_hand)` in staircase form (exact: its last column is
        qty). Cells must be unique. Returns the staircases taken (columns t .. H).
        """
        cells = self.cells(nodes, products)
        held = np.maximum(self.added[cells, t:] - self.front[cells, None], 0)
        taken = (held * qty[:, None]) // np.maximum(on_hand, 1)[:, None]
        self.added[cells, t:] = held - taken
        self.added[cells, :t] = 0  # nothing taken from the front any more: nothing before t
        self.front[cells] = 0
        return taken

    def add_late(self, nodes: np.ndarray, products: np.ndarray, qty: np.ndarray) -> None:
        """Add units that all outlive the run (cells may repeat); no row changes but the last.

        They are later than anything a cell holds, so the count taken from its front stands.
        """
        np.add.at(self.added[:, self.days], self.cells(nodes, products), qty)

    def add_fresh(self, nodes: np.ndarray, products: np.ndarray, qty: np.ndarray, t: int
                  ) -> None:
        """Add units released on day t with their full shelf life (unique cells)."""
        late = t + self.life[self.column[products]] >= self.days
        if late.any():
            self.add_late(nodes[late], products[late], qty[late])
        if not late.all():
            early = ~late
            self.add(nodes[early], products[early], self.fresh(qty[early], products[early], t),
                     t, t, unique=True)

    def add(self, nodes: np.ndarray, products: np.ndarray, rows: np.ndarray, first: int, t: int,
            unique: bool = False) -> np.ndarray:
        """Add staircases (columns first .. H) to cells on day t; returns units already expired.

        Units whose expiry day is t or earlier (they ran out on the way) are not added: the
        caller books them as expired at the cell. Cells may repeat unless `unique`.
        """
        rows = rows[:, t - first:]
        dead = rows[:, 0].copy()
        live = rows - dead[:, None]
        cells = self.cells(nodes, products)
        if not unique:
            uniq, where = np.unique(cells, return_inverse=True)
            if len(uniq) < len(cells):
                summed = np.zeros((len(uniq), live.shape[1]), dtype=np.int64)
                np.add.at(summed, where, live)
                cells, live = uniq, summed
        # Units that all expire after the run join without rewriting the row.
        late = ~live[:, :-1].any(axis=1)
        if late.any():
            self.added[cells[late], self.days] += live[late, -1]
        if not late.all():
            early = cells[~late]
            held = np.maximum(self.added[early, t:] - self.front[early, None], 0)
            self.added[early, t:] = held + live[~late]
            self.added[early, :t] = 0
            self.front[early] = 0
        return dead

    def fresh(self, qty: np.ndarray, products: np.ndarray, t: int) -> np.ndarray:
        """Staircases (columns t .. H) of `qty` units released on day t with full shelf life."""
        expiry = np.minimum(t + self.life[self.column[products]], self.days)
        e = np.arange(t, self.days + 1)
        return np.where(e[None, :] >= expiry[:, None], qty[:, None], 0).astype(np.int64)

    # -- shipments -----------------------------------------------------------------------
    def send(self, day: np.ndarray, lanes: np.ndarray, products: np.ndarray, qty: np.ndarray,
             rows: np.ndarray | None, first: int) -> None:
        """Book aged shipments to arrive on `day`.

        `rows` are their staircases from column `first`, or None for units that all outlive
        the run.
        """
        keep = day < self.days
        if not keep.all():
            day, lanes, products, qty = day[keep], lanes[keep], products[keep], qty[keep]
            rows = None if rows is None else rows[keep]
        if not len(day):
            return
        first_day = int(day[0])
        if (day == first_day).all():
            self.transit.setdefault(first_day, []).append((lanes, products, qty, first, rows))
            return
        for d in np.unique(day).tolist():
            on = day == d
            self.transit.setdefault(d, []).append(
                (lanes[on], products[on], qty[on], first, None if rows is None else rows[on]))

    def arrivals(self, t: int, into: np.ndarray) -> list[Shipment]:
        """Take today's shipments on the lanes marked in `into` (bool over lanes)."""
        entries = self.transit.get(t)
        if not entries:
            return []
        out, rest = [], []
        for entry in entries:
            mine = into[entry[0]]
            if mine.all():
                out.append(entry)
            elif mine.any():
                out.append(_part(entry, mine))
                rest.append(_part(entry, ~mine))
            else:
                rest.append(entry)
        if rest:
            self.transit[t] = rest
        else:
            del self.transit[t]
        return out


Shipment = tuple[np.ndarray, np.ndarray, np.ndarray, int, "np.ndarray | None"]


def _part(entry: Shipment, mask: np.ndarray) -> Shipment:
    lanes, products, qty, first, rows = entry
    return lanes[mask], products[mask], qty[mask], first, None if rows is None else rows[mask]
