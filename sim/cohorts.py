"""Stock in age cohorts, for products with a shelf life: expiry, FEFO issue, aged shipments.

Each (node, product) cell of a product with a shelf life keeps a *staircase* over expiry days:
`A[e]`, e = 0 .. H - 1 (H: the horizon), counts the units given to the cell that expire at the
start of day e or earlier, and `A[H]` counts all of them (those that expire after the run
included). A unit with remaining shelf life r at the start of day t expires at the start of day
t + r: it can be used on days t .. t + r - 1.

Taking from the front of the first-expiry-first-out order is deferred: the cell keeps the count
`T` of units taken from its front and holds `S = max(A - T, 0)`, so its on-hand stock is
`A[H] - T`. An issue adds to T, and so does expiry, which takes every unit expiring today, the
front of the order: `T = max(T, A[t])`; neither touches a column. The units [k, k + q) of a
cell's order are the clip `min(max(A - T - k, 0), q)`, itself a staircase, so a shipment
carries its ages to the customer.

An arrival R (a staircase from its day t on, R[t] = d units that ran out on the way) joins
without rewriting the row: the columns t .. H become `max(A, T) + R` and T grows by d. Then
`max(A', T') - T' = max(A - T, 0) + R - d` on those columns (R >= d there), what the cell held
plus what arrived alive; the columns before t hold nothing either way (expiry has taken them,
A <= T) and A still rises. Units that all outlive the run only add to the last column (A[H]
>= T, so nothing else changes) and travel without a row. Losses spread over the cohorts
rewrite the hit cells' rows to what they hold, with T = 0.

The costs are in the rows that move: a shipment with units expiring within the run is a row
of H + 1 - t columns from its supplier's row to its customer's. `ship` does a block's whole
shipping step (FEFO slices per supplier in lane order, the take, the booking) in one call.
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
        # with at most e days number ceil(k N / w), k = clip(e - low + 1, 0, w), w = high - low
        # + 1: exact in integers, 0 before low and N from high on. Worked out only for the
        # cells with stock and the days up to the latest high (a replication's setup).
        units = initial[:, self.products].reshape(-1)
        low = initial_life[:, self.products, 0].reshape(-1)
        width = initial_life[:, self.products, 1].reshape(-1) - low + 1
        self.added = np.zeros((n * q, days + 1), dtype=np.int64)  # A, by flat cell
        stocked = np.flatnonzero(units)
        if len(stocked):
            units, low, width = units[stocked], low[stocked], width[stocked]
            band = min(int((low + width).max()), days + 1)  # from here on every cell has N
            k = np.arange(band)[None, :] - (low - 1)[:, None]
            np.clip(k, 0, width[:, None], out=k)
            k *= units[:, None]
            k += (width - 1)[:, None]
            k //= width[:, None]
            self.added[stocked, :band] = k
            self.added[stocked, band:] = units[:, None]
            self.added[stocked, days] = units
        self.front = np.zeros(n * q, dtype=np.int64)  # T: units taken from the front since
        # Days of extended use of expired stock per flat cell (use_expired), or None.
        self.extension: np.ndarray | None = None
        # Shipments on their way: arrival day -> [(lanes, products, units, first column, rows,
        # lines not yet arrived or None for all)], rows None for units that all outlive the run.
        self.transit: dict[int, list[_OnTheWay]] = {}
        # Units that all outlive the run, by arrival day: [(lanes, products, units)].
        self.beyond: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}

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
        due = self.added[:, t].copy()  # one pass over the column (strided), then contiguous
        if self.extension is not None:
            # Cells where expired stock stays usable `extension` days longer (a countermeasure):
            # what expires today is what expired `extension` days ago.
            held = np.flatnonzero(self.extension)
            cols = t - self.extension[held]
            due[held] = np.where(cols >= 0, self.added[held, np.maximum(cols, 0)], 0)
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
        part = used if self.every_product else used[:, self.products]
        self.front[a * q:a * q + used.shape[0] * q] += part.ravel()

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
        if late.any():
            early = ~late
            cells, skip, qty = cells[early], skip[early], qty[early]
        # clip(A - skip, 0, qty), in place on the one copy of the rows.
        rows = self.added[cells, t:]
        rows -= skip[:, None]
        np.maximum(rows, 0, out=rows)
        np.minimum(rows, qty[:, None], out=rows)
        return late, rows

    def take_share(self, nodes: np.ndarray, products: np.ndarray, qty: np.ndarray,
                   on_hand: np.ndarray, t: int) -> np.ndarray:
        """Take `qty` of each cell's `on_hand` units spread over its cohorts, not FEFO.

        A fire or a warm cold room hits old and new stock alike: each cohort loses about the
        same share, `floor(S * qty / on_hand)` in staircase form (exact: its last column is
        qty). Cells must be unique. Returns the staircases taken (columns t .. H).
        """
        cells = self.cells(nodes, products)
        # Expired units kept by use_expired sit in the columns just before t: keep those
        # columns too, so the kept units keep their expiry days.
        lo = self._kept_from(t)
        held = np.maximum(self.added[cells, lo:] - self.front[cells, None], 0)
        taken = (held * qty[:, None]) // np.maximum(on_hand, 1)[:, None]
        self.added[cells, lo:] = held - taken
        self.added[cells, :lo] = 0  # nothing taken from the front any more: nothing before
        self.front[cells] = 0
        return taken[:, t - lo:]

    def _kept_from(self, t: int) -> int:
        """The first column that can hold expired units kept by use_expired on day t."""
        if self.extension is None:
            return t
        return max(0, t - int(self.extension.max()))

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
        cells = self.cells(nodes, products)
        if self.extension is not None and self.extension[cells].any():
            return self._add_kept(cells, rows, first, t, unique)
        rows = rows[:, t - first:]
        dead = rows[:, 0].copy()
        if not unique and len(cells) > 1:
            order = np.argsort(cells, kind="stable")
            ordered = cells[order]
            new = np.empty(len(ordered), dtype=bool)
            new[0] = True
            np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
            if not new.all():
                heads = np.flatnonzero(new)
                cells, rows = ordered[heads], np.add.reduceat(rows[order], heads, axis=0)
        # The cell holds S = max(A - T, 0) and is to hold S + R - d, d = R[t] the units that
        # ran out on the way: A' = max(A, T) + R on the columns t .. H, with T' = T + d, does
        # it, since max(A', T') - T' = max(A - T, 0) + R - d there (R >= d from t on), and the
        # columns before t hold nothing either way (expiry has taken them: A <= T there, and A'
        # still rises). Nothing is rewritten or reset.
        held = self.added[cells, t:]
        np.maximum(held, self.front[cells, None], out=held)
        held += rows
        self.added[cells, t:] = held
        self.front[cells] += rows[:, 0]
        return dead

    def _add_kept(self, cells: np.ndarray, rows: np.ndarray, first: int, t: int,
                  unique: bool) -> np.ndarray:
        """`add` where use_expired keeps expired units at some of the cells.

        At a cell kept `e` days, units whose shelf life ended on days t - e + 1 .. t arrive
        usable (and expire e days late); only those that ended on or before t - e are dead.
        The same update as `add` runs over the columns from the earliest kept day, so kept
        units keep their expiry days: A' = max(A, T) + R there, T' = T + dead.
        """
        lo = self._kept_from(t)
        width = self.days + 1 - lo
        full = np.zeros((len(cells), width), dtype=np.int64)
        start = max(first, lo)
        full[:, start - lo:] = rows[:, start - first:]
        ext = self.extension[cells]
        at = t - ext  # the last expiry day that is dead at each cell
        dead = np.where(at >= first, full[np.arange(len(cells)), np.maximum(at - lo, 0)], 0)
        if not unique and len(cells) > 1:
            uniq, where = np.unique(cells, return_inverse=True)
            if len(uniq) < len(cells):
                summed = np.zeros((len(uniq), width), dtype=np.int64)
                np.add.at(summed, where, full)
                dead_sum = np.bincount(where, dead, minlength=len(uniq)).astype(np.int64)
                held = self.added[uniq, lo:]
                np.maximum(held, self.front[uniq, None], out=held)
                held += summed
                self.added[uniq, lo:] = held
                self.front[uniq] += dead_sum
                return dead
        held = self.added[cells, lo:]
        np.maximum(held, self.front[cells, None], out=held)
        held += full
        self.added[cells, lo:] = held
        self.front[cells] += dead
        return dead

    def fresh(self, qty: np.ndarray, products: np.ndarray, t: int) -> np.ndarray:
        """Staircases (columns t .. H) of `qty` units released on day t with full shelf life."""
        expiry = np.minimum(t + self.life[self.column[products]], self.days)
        e = np.arange(t, self.days + 1)
        return np.where(e[None, :] >= expiry[:, None], qty[:, None], 0).astype(np.int64)

    # -- shipments -----------------------------------------------------------------------
    def ship(self, qty: np.ndarray, suppliers: np.ndarray, node0: int, lane0: int,
             outside: np.ndarray | bool, arrive: np.ndarray, t: int) -> None:
        """Shipments on consecutive lanes carry their ages; takes them from the suppliers.

        `qty` int[k, p]: units on lanes lane0 .. lane0 + k - 1 by product; `suppliers` int[k]:
        each lane's supplier, node0 + suppliers[j] its node row, ascending (a supplier's lanes
        are consecutive); `outside`: which suppliers (bool by supplier row) are outside
        sources, or one bool for all; `arrive` int[k]: each lane's arrival day.

        Each supplier issues soonest-expiring first: its own use (already taken) before its
        lanes, and its lanes in order. Lane j of a supplier takes the units [Q(j-1), Q(j)) of
        its FEFO order, Q the running total of what its lanes take: in staircase form
        min(S, Q(j)) - min(S, Q(j-1)). An outside source ships units released today, with their
        full shelf life.
        """
        part = qty if self.every_product else qty[:, self.products]
        moving = np.flatnonzero(part)  # (one pass, cheaper than a 2-d nonzero)
        if not len(moving):
            return
        lanes, cols = np.divmod(moving, part.shape[1])
        units = part.ravel()[moving]
        products = self.products[cols]
        parts: list[tuple[np.ndarray, np.ndarray]] = []  # (lines, their rows), in send order
        if outside is True:
            late = t + self.life[cols] >= self.days
            aged = np.flatnonzero(~late)
            if len(aged):
                parts.append((aged, self.fresh(units[aged], products[aged], t)))
        else:
            stock = None  # the lines shipped from stock, None for all
            if outside is not False:
                fresh = outside[suppliers[lanes]]
                if fresh.any():
                    late = np.zeros(len(units), dtype=bool)
                    late[fresh] = t + self.life[cols[fresh]] >= self.days
                    aged = np.flatnonzero(fresh & ~late)
                    if len(aged):
                        parts.append((aged, self.fresh(units[aged], products[aged], t)))
                    stock = np.flatnonzero(~fresh)
            if stock is None:
                cells = (node0 + suppliers[lanes]) * self.n_cohort + cols
                late, rows = self._issue_lanes(cells, units, t)
                if rows is not None:
                    parts.append((np.flatnonzero(~late), rows))
            elif len(stock):
                cells = (node0 + suppliers[lanes[stock]]) * self.n_cohort + cols[stock]
                late_s, rows = self._issue_lanes(cells, units[stock], t)
                late[stock[late_s]] = True
                if rows is not None:
                    parts.append((stock[~late_s], rows))
        day, lanes = arrive[lanes], lane0 + lanes
        if late.all():
            self.send(day, lanes, products, units, None, t)
            return
        if late.any():
            self.send(day[late], lanes[late], products[late], units[late], None, t)
        for at, rows in parts:
            if len(at) == len(day):
                self.send(day, lanes, products, units, rows, t)
            else:
                self.send(day[at], lanes[at], products[at], units[at], rows, t)

    def _issue_lanes(self, cells: np.ndarray, units: np.ndarray, t: int
                     ) -> tuple[np.ndarray, np.ndarray | None]:
        """Issue and take `units` from cells in line order (a cell's lines: lanes in order).

        Returns which lines are late and the rows of the others (None if all are late).
        """
        days = self.days
        front = self.front
        if (self.added[cells, days - 1] <= front[cells]).all():
            # No cell has a unit left that expires within the run: every line is late.
            np.add.at(front, cells, units)
            return np.ones(len(cells), dtype=bool), None
        # What a cell's earlier lines take: a running sum over its lines, in lane order.
        order = np.argsort(cells, kind="stable")
        ordered = cells[order]
        new = np.empty(len(cells), dtype=bool)
        new[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        if new.all():
            late, rows = self.issue(cells, np.zeros(len(cells), dtype=np.int64), units, t)
            front[cells] += units
        else:
            heads = np.flatnonzero(new)
            taken = units[order]
            ahead = np.cumsum(taken)
            ahead -= taken  # by the cell's earlier lines and the cells sorted before it
            base = ahead[heads]
            ahead -= np.repeat(base, np.diff(heads, append=len(cells)))
            after = np.empty_like(ahead)
            after[order] = ahead
            late, rows = self.issue(cells, after, units, t)
            total = np.add.reduceat(taken, heads)
            front[ordered[heads]] += total
        return late, (rows if len(rows) else None)

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
        # Units that all outlive the run go to one shipment a day, put together when it
        # arrives (they only join the last column: their order does not matter).
        if rows is None:
            first_day = int(day[0])
            if (day == first_day).all():
                self.beyond.setdefault(first_day, []).append((lanes, products, qty))
                return
            for d in np.unique(day).tolist():
                on = day == d
                self.beyond.setdefault(d, []).append((lanes[on], products[on], qty[on]))
            return
        first_day = int(day[0])
        if (day == first_day).all():
            self.transit.setdefault(first_day, []).append(
                (lanes, products, qty, first, rows, None))
            return
        for d in np.unique(day).tolist():
            on = day == d
            self.transit.setdefault(d, []).append(
                (lanes[on], products[on], qty[on], first, rows[on], None))

    def arrivals(self, t: int, into: np.ndarray) -> list[Shipment]:
        """Take today's shipments on the lanes marked in `into` (bool over lanes)."""
        beyond = self.beyond.pop(t, None)
        if beyond is not None:
            late = tuple(np.concatenate(parts) for parts in zip(*beyond, strict=True))
            self.transit.setdefault(t, []).insert(0, (*late, t, None, None))
        entries = self.transit.get(t)
        if not entries:
            return []
        out, rest = [], []
        for entry in entries:
            lanes, products, qty, first, rows, left = entry
            mine = into[lanes]
            if left is not None:
                mine &= left
            if not mine.any():
                rest.append(entry)
            elif left is None and mine.all():
                out.append((lanes, products, qty, first, rows))
            else:
                # A part arrives: take it and mark it gone, leaving the rows where they are
                # (another receiver's part comes later the same day).
                out.append((lanes[mine], products[mine], qty[mine], first,
                            None if rows is None else rows[mine]))
                left = ~mine if left is None else left & ~mine
                if left.any():
                    rest.append((lanes, products, qty, first, rows, left))
        if rest:
            self.transit[t] = rest
        else:
            del self.transit[t]
        return out


Shipment = tuple[np.ndarray, np.ndarray, np.ndarray, int, "np.ndarray | None"]
_OnTheWay = tuple[np.ndarray, np.ndarray, np.ndarray, int, "np.ndarray | None",
                  "np.ndarray | None"]
