"""Ordering decisions and allocation when a supplier is short.

Both work on whole arrays: every node under review, every claim on a supplier, every product at
once. Quantities are integers (units); allocation hands out whole units exactly.
"""

from __future__ import annotations

import numpy as np

from sim.sums import flat_index, group_sum

# Pro rata's remainder: up to this many (request, request, product) comparisons, ranks are
# counted pairwise rather than sorted (many small allocations: a sort's fixed cost dominates).
_PAIRWISE = 30_000
_EARLIER = np.tri(173, k=-1, dtype=bool)  # [i, m]: request m comes before request i (m < i)


def order_quantity(
    position: np.ndarray, reorder_point: np.ndarray, order_up_to: np.ndarray, reviewing: np.ndarray
) -> np.ndarray:
    """Units to order: up to `order_up_to` where reviewing and the position is <= the reorder point.

    Covers base stock (s = S - 1), (s, S) and days of supply; 0 elsewhere.
    """
    due = reviewing & (position <= reorder_point)
    qty = np.subtract(order_up_to, position, dtype=float)
    np.maximum(qty, 0.0, out=qty)
    qty[~due] = 0.0  # not `*= due`: an unbounded level times 0 would be NaN
    return qty.astype(np.int64)


def split_orders(qty: np.ndarray, dst: np.ndarray, weight: np.ndarray, carry: np.ndarray,
                 groups: tuple[np.ndarray, np.ndarray] | None = None, each: int = 0
                 ) -> np.ndarray:
    """Split each node's order over its inbound lanes by `weight`, in whole units.

    `qty` is int[n, p] over the customers; `dst` gives each lane's customer row, sorted (each
    customer's lanes together), `weight` (float[l, p]) sums to 1 over a customer's lanes for
    every product it orders. Each lane gets the floor of its exact share; the units left over go
    one each to the lanes with the largest fractional part plus `carry`, the share each lane was
    owed and not given on earlier days (updated in place); ties go to the earlier lane. A 1:1
    split of 1 unit a day thus alternates between the two lanes instead of always sending the
    unit to the same one. Lanes of weight 0 get nothing and keep their carry. Exact: every
    node-product's lane quantities add up to its order. `groups` may pass
    `np.unique(dst, return_index=True)`; `each`, the number of lanes every customer has,
    where they all have the same number (a faster path, same result).
    """
    nodes, starts = np.unique(dst, return_index=True) if groups is None else groups
    exact = qty[dst] * weight
    lane_qty = np.floor(exact + 1e-9).astype(np.int64)
    if each:
        rest = qty[nodes] - lane_qty.reshape(len(nodes), each, -1).sum(axis=1)
    else:
        rest = qty[nodes] - np.add.reduceat(lane_qty, starts, axis=0)
    if rest.any():
        score = np.where(weight > 0, exact - lane_qty + carry, -np.inf)
        if each:
            lane_qty += _top_each(score, each, rest)
        else:
            lane_qty += _largest_remainder(score, starts, rest)
    live = weight > 0
    carry += np.where(live, exact - lane_qty, 0.0)
    return lane_qty


def _largest_remainder(score: np.ndarray, starts: np.ndarray, units: np.ndarray) -> np.ndarray:
    """One unit each to the `units[g, j]` rows of group g with the largest `score[:, j]`.

    Groups are contiguous rows from `starts`; ties go to the earlier row; rows scored -inf get
    nothing. A group gets at most one unit per row, so this takes at most as many rounds as a
    group has rows. Returns int[k, p] of 0 and 1.
    """
    k, p = score.shape
    counts = np.diff(np.append(starts, k))
    score = score.copy()
    units = units.copy()
    bonus = np.zeros((k, p), dtype=np.int64)
    row = np.arange(k)[:, None]
    while True:
        top = np.maximum.reduceat(score, starts, axis=0)
        give = (units > 0) & np.isfinite(top)
        if not give.any():
            return bonus
        at_top = score == np.repeat(top, counts, axis=0)
        first = np.minimum.reduceat(np.where(at_top, row, k), starts, axis=0)
        groups, cols = np.nonzero(give)
        rows = first[groups, cols]
        bonus[rows, cols] = 1
        score[rows, cols] = -np.inf
        units[groups, cols] -= 1


def _top_each(score: np.ndarray, each: int, units: np.ndarray) -> np.ndarray:
    """`_largest_remainder` for groups of `each` rows, all at once instead of a round per unit.

    Row r of a group ranks by score, highest first, ties to the earlier row; the `units` best
    ranks with a finite score get one unit each.
    """
    k, p = score.shape
    grouped = score.reshape(k // each, each, p)
    # Rank by counting, for each row, the rows of its group ranked before it (groups are a few
    # lanes): a higher score, or the same score on an earlier row.
    mine, other = grouped[:, :, None, :], grouped[:, None, :, :]
    before = other > mine
    earlier = _EARLIER if each <= len(_EARLIER) else np.tri(each, k=-1, dtype=bool)
    before |= (other == mine) & earlier[:each, :each, None]
    rank = before.sum(axis=2)
    bonus = (rank < units[:, None, :]) & np.isfinite(grouped)
    return bonus.reshape(k, p).astype(np.int64)


def pro_rata(requests: np.ndarray, available: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Share `available[g, p]` among the requests of group g, in proportion, in whole units.

    Where a group has enough, every request is met. Where it is short, each request gets the
    floor of its proportional share and the units left over go one each to the largest fractional
    parts (ties: the earlier request). Exact: no unit is created or lost.
    """
    if requests.size == 0:
        return requests.copy()
    return _pro_rata(requests, available, group)[0]


def _pro_rata(requests: np.ndarray, available: np.ndarray, group: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """`pro_rata`, and the units it hands out per group (int[groups, p])."""
    groups, width = available.shape
    index = flat_index(group, width)
    total = group_sum(requests, group, groups, index)
    short = total > available
    if not short.any():
        return requests.copy(), total
    ratio = np.where(short, available / np.maximum(total, 1), 1.0)
    exact = requests * ratio[group]
    given = np.minimum(np.floor(exact).astype(np.int64), requests)
    handed = group_sum(given, group, groups, index)
    left = np.where(short, available - handed, 0)
    if left.any():
        frac = exact - given
        # Rank each request within its group and product column by (group, -fraction), earlier
        # requests first on ties, and give one unit to the first `left` of each group.
        key = group[:, None] + (1.0 - frac) * 0.5
        k = len(group)
        if k * k * width <= _PAIRWISE:
            # Few requests: count, for each, the requests of its group ranked before it (one
            # comparison of every pair) instead of sorting; the same ranks as the stable sort.
            before = key[None, :, :] < key[:, None, :]
            before |= (key[None, :, :] == key[:, None, :]) & _EARLIER[:k, :k, None]
            before &= (group[:, None] == group[None, :])[:, :, None]
            bonus = before.sum(axis=1) < left[group]
        else:
            order = np.argsort(key, axis=0, kind="stable")
            sorted_group = group[order]
            counts = np.bincount(group, minlength=available.shape[0])
            start = np.concatenate(([0], np.cumsum(counts)[:-1]))
            rank = np.arange(len(group))[:, None] - start[sorted_group]
            cols = np.broadcast_to(np.arange(requests.shape[1]), order.shape)
            bonus_sorted = rank < left[sorted_group, cols]
            bonus = np.zeros_like(bonus_sorted)
            np.put_along_axis(bonus, order, bonus_sorted, axis=0)
        extra = bonus & (given < requests)
        given = given + extra
        handed = handed + group_sum(extra, group, groups, index)
    return given, handed


def allocate(
    requests: np.ndarray, available: np.ndarray, group: np.ndarray,
    tier: np.ndarray | None = None, index: np.ndarray | None = None,
) -> np.ndarray:
    """Allocate by rank (`tier`: lowest first, each in full before the next), pro rata within.

    `index` may pass a precomputed `flat_index(group, p)`.

    Only the claims on a supplier that is short of some product go through the tiers and the
    pro-rata rounding (usually a few rows of many); every other claim is met in full.
    """
    if requests.size == 0:
        return requests.copy()
    total = group_sum(requests, group, available.shape[0], index)
    short = total > available
    if not short.any():
        return requests.copy()
    # Products are allocated independently of each other, so only the columns where some
    # supplier is short, and only the rows of suppliers short of something, need the work.
    rows = np.flatnonzero(short.any(axis=1)[group])
    cols = np.flatnonzero(short.any(axis=0))
    sub = requests[rows[:, None], cols]
    # Rows that ask for none of these products take no part: pro rata gives them nothing and
    # ranks them after every request with a fraction to round up.
    live = sub.any(axis=1)
    if not live.all():
        rows, sub = rows[live], sub[live]
    given = requests.copy()
    sub_tier = None if tier is None else tier[rows]
    given[rows[:, None], cols] = _by_tier(sub, available[:, cols], group[rows], sub_tier)
    return given


def _by_tier(requests: np.ndarray, available: np.ndarray, group: np.ndarray,
             tier: np.ndarray | None) -> np.ndarray:
    if tier is None:
        return pro_rata(requests, available, group)
    tiers = np.unique(tier)
    if len(tiers) == 1:
        return pro_rata(requests, available, group)
    given = np.zeros_like(requests)
    left = available.copy()
    for t in tiers.tolist():
        rows = tier == t
        part, handed = _pro_rata(requests[rows], left, group[rows])
        given[rows] = part
        left -= handed
        if not left.any():  # nothing left for the later tiers
            break
    return given
