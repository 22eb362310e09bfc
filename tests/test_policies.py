"""Allocation and ordering arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim import policies
from sim.policies import allocate, order_quantity, pro_rata, split_orders


@st.composite
def claims(draw):
    k = draw(st.integers(1, 12))
    p = draw(st.integers(1, 4))
    g = draw(st.integers(1, 4))
    requests = draw(hnp.arrays(np.int64, (k, p), elements=st.integers(0, 1000)))
    group = draw(hnp.arrays(np.int64, k, elements=st.integers(0, g - 1)))
    available = draw(hnp.arrays(np.int64, (g, p), elements=st.integers(0, 3000)))
    tier = draw(hnp.arrays(np.int64, k, elements=st.integers(1, 3)))
    return requests, available, group, tier


@given(claims())
def test_pro_rata_is_exact_and_proportional(case):
    requests, available, group, _ = case
    given_ = pro_rata(requests, available, group)
    assert (given_ >= 0).all() and (given_ <= requests).all()
    total = np.zeros_like(available)
    np.add.at(total, group, requests)
    handed = np.zeros_like(available)
    np.add.at(handed, group, given_)
    # Everything available is handed out, up to what was asked.
    assert (handed == np.minimum(total, available)).all()
    # Each claim is within one unit of its exact proportional share.
    share = np.where(total > 0, np.minimum(available, total) / np.maximum(total, 1), 0)
    assert (np.abs(given_ - requests * share[group]) < 1 + 1e-9).all()


@given(claims())
def test_tiers_are_served_in_order(case):
    requests, available, group, tier = case
    given_ = allocate(requests, available, group, tier)
    handed = np.zeros_like(available)
    np.add.at(handed, group, given_)
    total = np.zeros_like(available)
    np.add.at(total, group, requests)
    assert (handed == np.minimum(total, available)).all()
    # A claim short in tier t means every claim of a later tier on that supplier got nothing.
    for i in range(len(requests)):
        for j in range(len(requests)):
            if group[i] == group[j] and tier[j] > tier[i]:
                short = given_[i] < requests[i]
                assert not (short & (given_[j] > 0)).any()


@given(claims())
def test_allocation_is_the_same_done_product_by_product_and_tier_by_tier(case):
    # `allocate` only works on the products and suppliers that are short, skips rows that ask
    # for none of them and stops once nothing is left: the plain computation, every product
    # on its own and every tier in turn over all rows, must give the same units.
    requests, available, group, tier = case
    expected = np.zeros_like(requests)
    for j in range(requests.shape[1]):
        left = available[:, j:j + 1].copy()
        for t in np.unique(tier):
            rows = np.flatnonzero(tier == t)
            part = pro_rata(requests[rows, j:j + 1], left, group[rows])
            expected[rows, j:j + 1] = part
            np.subtract.at(left, group[rows], part)
    assert (allocate(requests, available, group, tier) == expected).all()


@given(claims())
def test_pro_rata_ranks_the_same_pairwise_and_sorted(case):
    # Small allocations rank the remainders by comparing every pair, larger ones by a stable
    # sort: both must hand out the same units.
    requests, available, group, _ = case
    pairwise = pro_rata(requests, available, group)
    saved = policies._PAIRWISE
    policies._PAIRWISE = 0
    try:
        sorted_ = pro_rata(requests, available, group)
    finally:
        policies._PAIRWISE = saved
    assert (pairwise == sorted_).all()


def test_largest_remainder_breaks_ties_by_order():
    given_ = pro_rata(np.array([[1], [1], [1]]), np.array([[2]]), np.array([0, 0, 0]))
    assert given_.ravel().tolist() == [1, 1, 0]


def test_order_quantity_policies():
    position = np.array([[3.0, 10.0, -2.0]])
    reviewing = np.array([[True, True, False]])
    qty = order_quantity(position, np.array([[4.0, 4.0, 4.0]]), np.array([[8.0, 8.0, 8.0]]),
                         reviewing)
    assert qty.tolist() == [[5, 0, 0]]


def test_split_orders_by_share_in_whole_units():
    qty = np.array([[0], [7]])
    dst = np.array([1, 1])
    share = np.array([[2 / 3], [1 / 3]])
    carry = np.zeros((2, 1))
    assert split_orders(qty, dst, share, carry).ravel().tolist() == [5, 2]
    # 4.67 and 2.33 were owed: the 0.33 short on the first lane is carried to the next split.
    assert carry.ravel() == pytest.approx([-1 / 3, 1 / 3])
    assert split_orders(qty, dst, share, carry).ravel().tolist() == [4, 3]
    assert split_orders(qty, dst, share, carry).ravel().tolist() == [5, 2]
    # 14 and 7 of 21: exactly 2:1, nothing carried.
    assert carry.ravel() == pytest.approx([0, 0])


@given(st.lists(st.integers(0, 20), min_size=1, max_size=40),
       st.lists(st.floats(0.1, 5), min_size=2, max_size=4))
def test_split_orders_keep_shares_in_the_long_run(orders, weights):
    w = np.array(weights) / sum(weights)
    k = len(w)
    dst = np.zeros(k, dtype=np.int64)
    carry = np.zeros((k, 1))
    total = np.zeros(k, dtype=np.int64)
    for q in orders:
        got = split_orders(np.array([[q]]), dst, w[:, None], carry)[:, 0]
        assert got.sum() == q and (got >= 0).all()
        total += got
    # Every lane is within one unit of its exact share of everything ordered.
    assert (np.abs(total - w * sum(orders)) < 1 + 1e-9).all()


def test_split_ties_go_to_the_earlier_lane_in_turn():
    dst = np.zeros(3, dtype=np.int64)
    carry = np.zeros((3, 1))
    third = np.full((3, 1), 1 / 3)
    got = [split_orders(np.array([[1]]), dst, third, carry)[:, 0].tolist() for _ in range(3)]
    assert got == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]


@st.composite
def splits(draw):
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=5))
    p = draw(st.integers(1, 3))
    dst = np.repeat(np.arange(len(sizes)), sizes)
    raw = draw(hnp.arrays(float, (len(dst), p), elements=st.sampled_from([0.0, 0.5, 1.0, 2.0])))
    raw[np.r_[0, np.cumsum(sizes)[:-1]]] += 1.0  # every node-product has a lane with weight
    total = np.zeros((len(sizes), p))
    np.add.at(total, dst, raw)
    weight = raw / total[dst]
    qty = draw(hnp.arrays(np.int64, (len(sizes), p), elements=st.integers(0, 9)))
    carry = draw(hnp.arrays(float, (len(dst), p), elements=st.floats(-0.9, 0.9)))
    return qty, dst, weight, carry * (weight > 0)


@given(splits())
def test_split_orders_match_a_plain_largest_remainder(case):
    qty, dst, weight, carry = case
    expected = np.zeros_like(weight, dtype=np.int64)
    for g in range(qty.shape[0]):
        rows = np.flatnonzero(dst == g)
        for j in range(qty.shape[1]):
            exact = qty[g, j] * weight[rows, j]
            base = np.floor(exact + 1e-9).astype(np.int64)
            score = [(-(e - b + c), r) for e, b, c, r, w in
                     zip(exact, base, carry[rows, j], rows, weight[rows, j], strict=True) if w > 0]
            for _, r in sorted(score)[: qty[g, j] - base.sum()]:
                base[rows == r] += 1
            expected[rows, j] = base
    got = split_orders(qty, dst, weight, carry.copy())
    assert (got == expected).all()
    sums = np.zeros_like(qty)
    np.add.at(sums, dst, got)
    assert (sums == qty).all()


@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3), st.data())
def test_split_orders_equal_groups_path_gives_the_same_split(nodes, each, p, data):
    # The faster path for customers that all have `each` lanes must split exactly as the
    # general one, carry included.
    dst = np.repeat(np.arange(nodes), each)
    raw = data.draw(hnp.arrays(float, (len(dst), p), elements=st.sampled_from([0.0, 0.5, 1.0])))
    raw[::each] += 1.0
    total = raw.reshape(nodes, each, p).sum(axis=1)
    weight = raw / total[dst]
    carry = data.draw(hnp.arrays(float, (len(dst), p), elements=st.floats(-0.9, 0.9)))
    carry = carry * (weight > 0)
    for _ in range(3):
        qty = data.draw(hnp.arrays(np.int64, (nodes, p), elements=st.integers(0, 9)))
        slow_carry, fast_carry = carry.copy(), carry.copy()
        slow = split_orders(qty, dst, weight, slow_carry)
        fast = split_orders(qty, dst, weight, fast_carry, each=each)
        assert (slow == fast).all()
        assert (slow_carry == fast_carry).all()
        carry = slow_carry
