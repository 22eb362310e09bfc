"""Stock moved by a countermeasure between two nodes, outside the ordinary lanes.

Redistribution, stockpile release and emergency lanes all move stock the same way: the giver's
stock leaves (soonest-expiring first, so the units keep their ages) into the ledger's `shipped`
column, travels `lead_time_days` (a transfer sent on day t arrives at the start of day
t + max(1, ceil(L)), as on a lane), and joins the receiver's stock into `received`. While on the
way it counts in the receiver's `on_order` (so it does not order the same units again) and in
its inbound stock in transit.
"""

from __future__ import annotations

import math

import numpy as np

from sim.state import LEAD_TOLERANCE, State


def arrival_day(t: int, lead_time_days: float | np.ndarray) -> np.ndarray:
    """The day a transfer sent on day t arrives."""
    lead = np.asarray(lead_time_days, dtype=float)
    return t + np.maximum(1, np.ceil(lead - LEAD_TOLERANCE)).astype(np.int64)


class Transfers:
    """Transfers on their way, by arrival day; each is booked per (giver, receiver, product)."""

    def __init__(self, state: State) -> None:
        self.state = state
        n, p = state.on_hand.shape
        self.in_transit = np.zeros((n, p), dtype=np.int64)  # by receiver
        # arrival day -> [(receivers, products, units, kind, first column, rows or None)]
        self.due: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray, str, int,
                                       np.ndarray | None, np.ndarray]]] = {}

    def send(self, t: int, givers: np.ndarray, receivers: np.ndarray, products: np.ndarray,
             units: np.ndarray, arrive: np.ndarray, kind: str) -> None:
        """Dispatch `units` from givers to receivers (rows may repeat) on day t.

        Outside sources (`unlimited`) make what they give; others give from stock, which must
        hold it (callers never give more than a giver has).
        """
        st = self.state
        keep = units > 0
        if not keep.all():
            givers, receivers, products = givers[keep], receivers[keep], products[keep]
            units, arrive = units[keep], arrive[keep]
        if not len(units):
            return
        net = st.net
        outside = net.unlimited[givers]
        np.add.at(st.shipped, (givers, products), units)
        if outside.any():
            np.add.at(st.produced, (givers[outside], products[outside]), units[outside])
        stock = ~outside
        np.subtract.at(st.on_hand, (givers[stock], products[stock]), units[stock])
        rows = late = None
        co = st.cohorts
        aged = None
        if co is not None:
            aged = co.column[products] >= 0
            late = np.zeros(len(units), dtype=bool)
            rows = np.zeros((len(units), co.days + 1 - t), dtype=np.int64)
            fresh = aged & outside
            if fresh.any():
                late[fresh] = t + co.life[co.column[products[fresh]]] >= co.days
                made = fresh & ~late
                if made.any():
                    rows[made] = co.fresh(units[made], products[made], t)
            taken = aged & stock
            if taken.any():
                idx = np.flatnonzero(taken)
                cells = co.cells(givers[idx], products[idx])
                # A giver's transfers of a product take consecutive parts of its FEFO order.
                order = np.argsort(cells, kind="stable")
                sorted_cells, sorted_units = cells[order], units[idx][order]
                total = np.cumsum(sorted_units)
                first = np.r_[True, sorted_cells[1:] != sorted_cells[:-1]]
                start = np.maximum.accumulate(np.where(first, np.arange(len(total)), 0))
                before = total - sorted_units - np.where(start > 0, total[start - 1], 0)
                after = np.empty_like(before)
                after[order] = before
                is_late, got = co.issue(cells, after, units[idx], t)
                late[idx[is_late]] = True
                if len(got):
                    rows[idx[~is_late]] = got
                co.take_cells(cells, units[idx])
        np.add.at(self.in_transit, (receivers, products), units)
        np.add.at(st.on_order, (receivers, products), units)
        for day in np.unique(arrive).tolist():
            on = arrive == day
            entry_rows = None
            if co is not None:
                entry_rows = np.where((aged & ~late)[on][:, None], rows[on], 0)
            flag = (aged & ~late)[on] if co is not None else np.zeros(int(on.sum()), dtype=bool)
            self.due.setdefault(int(day), []).append(
                (receivers[on], products[on], units[on], kind, t, entry_rows, flag))

    def arrive(self, t: int) -> None:
        """Transfers due today join the receivers' stock."""
        entries = self.due.pop(t, None)
        if not entries:
            return
        st = self.state
        co = st.cohorts
        for receivers, products, units, _kind, first, rows, aged in entries:
            np.add.at(st.on_hand, (receivers, products), units)
            np.add.at(st.received, (receivers, products), units)
            np.subtract.at(st.on_order, (receivers, products), units)
            np.subtract.at(self.in_transit, (receivers, products), units)
            if co is None:
                continue
            with_life = co.column[products] >= 0
            late = with_life & ~aged
            if late.any():
                co.add_late(receivers[late], products[late], units[late])
            if aged.any():
                dead = co.add(receivers[aged], products[aged], rows[aged], first, t)
                if dead.any():
                    st.book_expired(receivers[aged], products[aged], dead,
                                    "shelf life ended on the way")

    def pending_after(self, days: int) -> bool:
        """Whether anything is due after the run (it stays in transit)."""
        return any(day >= days for day in self.due)


def whole_shares(total: np.ndarray, weights: np.ndarray, key: np.ndarray, n_keys: int
                 ) -> np.ndarray:
    """Split `total[k]` whole units over the rows of each key k pro rata to `weights`.

    Largest remainder (ties to the earlier row), so the parts sum to the total exactly.
    Rows with no weight get nothing; a key whose weights are all zero gets nothing.
    """
    wsum = np.bincount(key, weights, minlength=n_keys)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = np.where(wsum[key] > 0, total[key] * weights / np.where(wsum[key] > 0,
                                                                         wsum[key], 1), 0.0)
    base = np.floor(exact + 1e-9).astype(np.int64)
    left = np.where(wsum > 0, total - np.bincount(key, base, minlength=n_keys), 0)
    if left.any():
        frac = np.where(weights > 0, exact - base, -1.0)
        order = np.lexsort((np.arange(len(key)), -frac, key))
        k_sorted = key[order]
        first = np.r_[True, k_sorted[1:] != k_sorted[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(order)), 0))
        rank = np.arange(len(order)) - start
        extra = np.zeros(len(key), dtype=np.int64)
        extra[order] = (rank < left[k_sorted]).astype(np.int64)
        base += extra
    return base


def pair_up(give: np.ndarray, get: np.ndarray, give_key: np.ndarray, get_key: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Match givers to receivers within each key: (giver row, receiver row, units).

    For each key the givers' units and the receivers' units sum alike; givers are laid end to
    end in row order, receivers likewise, and each overlap is one transfer (at most
    givers + receivers - 1 transfers per key).
    """
    g_order = np.lexsort((np.arange(len(give)), give_key))
    r_order = np.lexsort((np.arange(len(get)), get_key))
    g_end = np.cumsum(give[g_order])
    r_end = np.cumsum(get[r_order])
    if not len(g_end) or g_end[-1] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    assert g_end[-1] == r_end[-1], "givers and receivers must balance"
    cuts = np.union1d(g_end, r_end)
    starts = np.r_[0, cuts[:-1]]
    units = cuts - starts
    keep = units > 0
    starts, units = starts[keep], units[keep]
    gi = g_order[np.searchsorted(g_end, starts, side="right")]
    ri = r_order[np.searchsorted(r_end, starts, side="right")]
    return gi, ri, units


def ceil_units(x: np.ndarray) -> np.ndarray:
    """Whole units at least x (with a tolerance: 2 x 1.5 days is 3 units, not 4)."""
    return np.ceil(np.asarray(x) - 1e-9).astype(np.int64)


__all__ = ["Transfers", "arrival_day", "ceil_units", "math", "pair_up", "whole_shares"]
