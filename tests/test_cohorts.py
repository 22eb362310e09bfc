"""sim/cohorts.py against a plain reference: the same staircases, expiry and shipments.

The reference is the first implementation of the cohorts (before the faster bookkeeping of
arrivals and shipping): every arrival rewrites the cell's row to what it holds, `S + R`, with
nothing taken from the front; the shipping step is the stock holders' original one (a lexsort
for the running totals per supplier and product, then `issue`, `take_cells`, `send`). Random
operation sequences must leave both with the same staircases held and give the same units
expired, issued and shipped, day by day.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.cohorts import Cohorts


class Reference:
    """Cells' staircases S, held directly (int[cells, H + 1]); FEFO issue is a clip of S."""

    def __init__(self, co: Cohorts) -> None:
        self.days = co.days
        self.q = co.n_cohort
        self.held = co.stairs.reshape(-1, co.days + 1).copy()
        self.life = co.life

    def expire(self, t: int) -> np.ndarray:
        gone = self.held[:, t].copy()
        self.held = np.maximum(self.held - gone[:, None], 0)
        return gone

    def issue(self, cells: np.ndarray, after: np.ndarray, qty: np.ndarray, t: int
              ) -> np.ndarray:
        return np.clip(self.held[cells, t:] - after[:, None], 0, qty[:, None])

    def take(self, cells: np.ndarray, qty: np.ndarray) -> None:
        for c, k in zip(cells.tolist(), qty.tolist(), strict=True):
            self.held[c] = np.maximum(self.held[c] - k, 0)

    def add(self, cells: np.ndarray, rows: np.ndarray, first: int, t: int) -> np.ndarray:
        rows = rows[:, t - first:]
        dead = rows[:, 0].copy()
        for c, row in zip(cells.tolist(), rows - dead[:, None], strict=True):
            self.held[c, t:] += row
        return dead

    def add_late(self, cells: np.ndarray, qty: np.ndarray) -> None:
        np.add.at(self.held[:, self.days], cells, qty)

    def fresh(self, qty: np.ndarray, cols: np.ndarray, t: int) -> np.ndarray:
        expiry = np.minimum(t + self.life[cols], self.days)
        e = np.arange(t, self.days + 1)
        return np.where(e[None, :] >= expiry[:, None], qty[:, None], 0)

    def take_share(self, cells: np.ndarray, qty: np.ndarray, t: int) -> np.ndarray:
        on_hand = self.held[cells, self.days]
        taken = (self.held[cells, t:] * qty[:, None]) // np.maximum(on_hand, 1)[:, None]
        self.held[cells, t:] -= taken
        return taken


def network(rng: np.random.Generator, days: int, n: int = 6, p: int = 3):
    life = rng.integers(2, 2 * days, p)
    life[rng.random(p) < 0.3] = 0  # some products without a shelf life
    if not (life > 0).any():
        life[0] = days // 2 + 1
    initial = rng.integers(0, 60, (n, p))
    low = rng.integers(1, np.maximum(life, 1) + 1, (n, p))
    high = np.minimum(low + rng.integers(0, 40, (n, p)), np.maximum(life, 1))
    return Cohorts(life, initial, np.stack([low, high], axis=-1), days)


def split(co: Cohorts, cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Node rows and product columns of flat cells."""
    return cells // co.n_cohort, co.products[cells % co.n_cohort]


@pytest.mark.parametrize("seed", range(16))
def test_random_operations_hold_what_the_reference_holds(seed):
    rng = np.random.default_rng(seed)
    days = int(rng.integers(5, 40))
    co = network(rng, days)
    ref = Reference(co)
    cells = np.arange(6 * co.n_cohort)
    # Arrival day -> [(customers' cells, rows or None if all outlive the run, the reference's
    # rows, first column)].
    transit: dict[int, list[tuple[np.ndarray, np.ndarray | None, np.ndarray, int]]] = {}
    for t in range(days):
        gone = co.expire(t)
        expected = ref.expire(t)
        assert np.array_equal(expected, np.zeros_like(expected) if gone is None else gone.ravel())
        for dst, rows, ref_rows, first in transit.pop(t, []):
            ref_dead = ref.add(dst, ref_rows, first, t)
            if rows is None:
                co.add_late(*split(co, dst), ref_rows[:, -1])
                assert not ref_dead.any()
                continue
            unique = len(np.unique(dst)) == len(dst) and bool(rng.random() < 0.5)
            dead = co.add(*split(co, dst), rows, first, t, unique=unique)
            assert np.array_equal(dead, ref_dead)
        for _ in range(int(rng.integers(0, 5))):
            op = int(rng.integers(0, 5))
            have = co.units().ravel()
            assert np.array_equal(have, ref.held[:, days])
            if op == 0 and have.any():  # own use: FEFO take from a block of nodes
                a = int(rng.integers(0, 6))
                nb = int(rng.integers(1, 7 - a))
                used = np.zeros((nb, len(co.column)), dtype=np.int64)
                used[:, co.products] = rng.integers(0, have.reshape(6, -1)[a:a + nb] + 1)
                co.take_block(a, used, t)
                ref.take(cells.reshape(6, -1)[a:a + nb].ravel(), used[:, co.products].ravel())
            elif op == 1 and have.any():  # shipments: consecutive slices of FEFO orders
                src = rng.choice(cells, int(rng.integers(1, 8)))
                qty = rng.integers(0, 30, len(src))
                after = np.zeros(len(src), dtype=np.int64)
                left = have.copy()
                for i in range(len(src)):
                    qty[i] = min(qty[i], left[src[i]])
                    after[i] = have[src[i]] - left[src[i]]
                    left[src[i]] -= qty[i]
                go = qty > 0
                src, qty, after = src[go], qty[go], after[go]
                if not len(src):
                    continue
                late, rows = co.issue(src, after, qty, t)
                expected = ref.issue(src, after, qty, t)
                assert np.array_equal(rows, expected[~late])
                assert (expected[late][:, :-1] == 0).all()  # late: all beyond the run
                co.take_cells(src, qty)
                ref.take(src, qty)
                dst = rng.choice(cells, len(src))
                day = t + int(rng.integers(1, 4))
                if late.any():
                    transit.setdefault(day, []).append((dst[late], None, expected[late], t))
                if not late.all():
                    transit.setdefault(day, []).append((dst[~late], rows, expected[~late], t))
            elif op == 2:  # units that all outlive the run
                dst = rng.choice(cells, 3)
                qty = rng.integers(0, 20, 3)
                co.add_late(*split(co, dst), qty)
                ref.add_late(dst, qty)
            elif op == 3:  # production released today with the full shelf life
                dst = np.unique(rng.choice(cells, 3))
                qty = rng.integers(0, 20, len(dst))
                co.add_fresh(*split(co, dst), qty, t)
                cols = dst % co.n_cohort
                assert np.array_equal(co.fresh(qty, co.products[cols], t),
                                      ref.fresh(qty, cols, t))
                ref.add(dst, ref.fresh(qty, cols, t), t, t)
            elif op == 4 and have.any():  # a fire: a share of each cohort
                hit = np.unique(rng.choice(np.flatnonzero(have), 2))
                qty = rng.integers(0, have[hit] + 1)
                taken = co.take_share(*split(co, hit), qty, have[hit], t)
                assert np.array_equal(taken, ref.take_share(hit, qty, t))
            assert np.array_equal(co.stairs.reshape(-1, days + 1), ref.held)


def ship_reference(co: Cohorts, qty, suppliers, node0, lane0, outside, arrive, t):
    """The stock holders' shipping step before `Cohorts.ship` (sim/actors/stockholding.py)."""
    part = qty if co.every_product else qty[:, co.products]
    lanes, cols = np.nonzero(part)
    if not len(lanes):
        return
    products = co.products[cols]
    units = part[lanes, cols]
    src = suppliers[lanes]
    late = np.zeros(len(units), dtype=bool)
    parts = []
    if outside is True:
        out = np.ones(len(units), dtype=bool)
    elif outside is False:
        out = np.zeros(len(units), dtype=bool)
    else:
        out = outside[src]
    if out.any():
        late[out] = t + co.life[co.column[products[out]]] >= co.days
        fresh = np.flatnonzero(out & ~late)
        if len(fresh):
            parts.append((fresh, co.fresh(units[fresh], products[fresh], t)))
    stock = np.flatnonzero(~out)
    if len(stock):
        s_src, s_cols, s_units = src[stock], cols[stock], units[stock]
        order = np.lexsort((lanes[stock], s_cols))
        total = np.cumsum(s_units[order])
        key = (s_cols * (int(suppliers.max()) + 1) + s_src)[order]
        first = np.r_[True, key[1:] != key[:-1]]
        start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
        upto = np.empty_like(total)
        upto[order] = total - np.where(start > 0, total[start - 1], 0)
        cells = co.cells(node0 + s_src, products[stock])
        stock_late, stock_rows = co.issue(cells, upto - s_units, s_units, t)
        late[stock[stock_late]] = True
        if len(stock_rows):
            parts.append((stock[~stock_late], stock_rows))
        co.take_cells(cells, s_units)
    day, lanes = arrive[lanes], lane0 + lanes
    if late.any():
        co.send(day[late], lanes[late], products[late], units[late], None, t)
    for at, rows in parts:
        co.send(day[at], lanes[at], products[at], units[at], rows, t)


def shipments(co: Cohorts, lanes: int) -> list[tuple]:
    """Everything on its way, line by line: (day, lane, product, units, staircase or None)."""
    out = []
    for day in sorted(set(co.transit) | set(co.beyond)):
        for lane, product, units, first, rows in co.arrivals(day, np.ones(lanes, dtype=bool)):
            for i in range(len(lane)):
                row = None if rows is None else tuple(rows[i, day - first:].tolist())
                out.append((day, int(lane[i]), int(product[i]), int(units[i]), row))
    return sorted(out, key=lambda line: (line[:4], line[4] or ()))


@pytest.mark.parametrize("seed", range(20))
def test_ship_is_the_stock_holders_shipping_step(seed):
    rng = np.random.default_rng(100 + seed)
    days = int(rng.integers(6, 40))
    co = network(rng, days, n=8, p=4)
    t = int(rng.integers(0, days - 1))
    for d in range(t + 1):  # some stock has expired, some has been used
        co.expire(d)
    co.take_cells(np.arange(8 * co.n_cohort),
                  rng.integers(0, co.units().ravel() // 2 + 1))
    node0, nb = int(rng.integers(0, 3)), int(rng.integers(1, 6))
    suppliers = np.sort(rng.integers(0, nb, int(rng.integers(1, 9))))
    k, p = len(suppliers), len(co.column)
    kind = rng.integers(0, 3)
    outside = (True if kind == 0 else False if kind == 1
               else rng.random(nb) < 0.5)
    # Lanes share their supplier's stock of each product (consecutive slices in lane order).
    qty = np.zeros((k, p), dtype=np.int64)
    have = co.units()[node0:node0 + nb]
    for j in range(k):
        take = rng.integers(0, have[suppliers[j]] + 1) * (rng.random(co.n_cohort) < 0.7)
        have[suppliers[j]] -= take
        qty[j, co.products] = take
    qty[:, co.column < 0] = rng.integers(0, 9, (k, int((co.column < 0).sum())))
    arrive = t + rng.integers(1, 5, k)
    lane0 = int(rng.integers(0, 4))
    ref = copy.deepcopy(co)
    co.ship(qty, suppliers, node0, lane0, outside, arrive, t)
    ship_reference(ref, qty, suppliers, node0, lane0, outside, arrive, t)
    assert np.array_equal(co.front, ref.front)
    assert np.array_equal(co.stairs, ref.stairs)
    assert shipments(co, lane0 + k) == shipments(ref, lane0 + k)
