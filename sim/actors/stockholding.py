"""What every stock-holding node does, written once: receive, serve, ship, review and order.

An actor kind (wholesaler, ward, ...) owns one or more *blocks*: its nodes at one level of the
network. The engine orders nodes so that a block is a contiguous range of nodes, and the lanes
out of it a contiguous range of lanes, so all the work here is on numpy views of the block's
rows, over all its products at once.

At its level, after its customers (lower levels) have ordered, a block
1. receives the shipments due to it today (lanes closed with goods held keep theirs);
2. serves, in one allocation, its own demand (backorders and today's), its customers' backlog
   and their orders of today: tier 1 in full before tier 2, backlog before new claims within a
   tier, pro rata in whole units within each; capacity goes only to what actually ships;
3. reviews its inventory position and orders, splitting orders over its inbound lanes (with
   fallback away from closed lanes, suppliers with an IT outage and empty suppliers).
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from sim.countermeasures.allocation import cap_claims
from sim.disruptions import Effects
from sim.network import POLICY_ORDER, Network, days_units
from sim.policies import allocate, order_quantity, split_orders
from sim.state import LEAD_TOLERANCE, UNLIMITED_STOCK, State, inbound_position
from sim.sums import flat_index, group_sum

if TYPE_CHECKING:
    import simpy

    from sim.countermeasures import Countermeasures
    from sim.engine import Clock



@dataclass
class Block:
    """One actor's nodes at one level: nodes [a, b), the lanes out of them [la, lb)."""

    level: int
    a: int
    b: int
    la: int
    lb: int
    lanes_in: np.ndarray  # int[k]: lanes into the block's nodes
    dst_in: np.ndarray  # int[k]: block-local customer row of each inbound lane
    src_out: np.ndarray  # int[lb - la]: block-local supplier row of each outbound lane
    unlimited: bool  # every node of the block is an outside source
    outside: np.ndarray | None  # bool[nb, 1]: which nodes are outside sources, if only some
    orders: bool  # some node of the block orders something
    produces: bool
    inputs: bool  # some node of the block makes something from inputs
    split: bool  # some node-product has more than one inbound lane to split over
    recent: bool  # some node-product orders on recent demand
    ordering: np.ndarray  # bool[nb, p]: cells with an ordering policy (outside sources never)
    loses: bool  # some node of the block loses unmet demand instead of backordering it
    periodic: bool  # some cell reviews less often than daily
    rank: np.ndarray  # int[2 (nb + kl)]: allocation rank of each claim row
    group: np.ndarray  # int[2 (nb + kl)]: block-local supplier row of each claim row
    group_index: np.ndarray  # flat_index(group, p)
    out_starts: np.ndarray  # first outbound lane of each node (every node has one at level > 0)
    in_nodes: np.ndarray  # block rows with inbound lanes (lanes_in is sorted by customer)
    in_starts: np.ndarray  # first inbound lane of each of them
    in_all: bool  # every node of the block has an inbound lane
    in_lane: np.ndarray  # bool[lanes]: the lane brings goods into the block
    classes: int  # own-demand classes: 1, or 4 where a node has care demand (plain + priorities)

    nodes: slice = field(init=False)  # the block's node rows
    lanes: slice = field(init=False)  # the lanes out of it

    def __post_init__(self) -> None:
        self.nodes = slice(self.a, self.b)
        self.lanes = slice(self.la, self.lb)
        self.out_each = _each(self.out_starts, self.lb - self.la)
        self.in_each = _each(self.in_starts, len(self.lanes_in))
        self.lane_ids = np.arange(self.la, self.lb)
        # Filled in by make_block: the inbound lanes' shares, and the share each was owed and
        # not given by the order split so far (the split's carry, changed by `place` only).
        self.in_rows = slice(0, 0)
        self.out_rows = np.zeros(0, dtype=np.int64)
        self.share_in = np.zeros(0)
        self.src_in = np.zeros(0, dtype=np.int64)  # supplier of each inbound lane
        self.fallback_in = np.zeros(0, dtype=bool)  # its customer falls back (`sourcing`)
        self.any_fallback = False
        self.fallback_after_in = np.zeros((0, 1))  # the customer's fallback_after_days
        self.live_in = np.zeros(0, dtype=bool)
        self.split_carry = np.zeros(0)

    def out_sum(self, values: np.ndarray) -> np.ndarray:
        """Per block node, the sum of `values` over its outbound lanes (int[lb - la, p])."""
        return _segment_sum(values, self.out_starts, self.out_each)

    def in_sum(self, values: np.ndarray) -> np.ndarray:
        """Per block node, the sum of `values` over its inbound lanes (rows as `lanes_in`)."""
        summed = _segment_sum(values, self.in_starts, self.in_each)
        if self.in_all:
            return summed
        out = np.zeros((self.b - self.a, values.shape[1]), dtype=summed.dtype)
        out[self.in_nodes] = summed
        return out


def _each(starts: np.ndarray, rows: int) -> int:
    """The rows every segment has, where all have the same number (else 0)."""
    if not len(starts):
        return 0
    lengths = np.diff(np.append(starts, rows))
    return int(lengths[0]) if lengths[0] > 0 and (lengths == lengths[0]).all() else 0


def _segment_sum(values: np.ndarray, starts: np.ndarray, each: int) -> np.ndarray:
    """`np.add.reduceat(values, starts, axis=0)`, faster where segments are all `each` long.

    reduceat makes one reduction per segment (54 us for the wards' 183 pairs of lanes);
    equal segments sum as one reshaped array (pairs as one addition, exact for floats too;
    longer segments only for integers, where the order of the additions cannot matter). With
    one row per segment the result is `values` itself: never modify it in place.
    """
    if each == 1:
        return values  # not a copy: callers never change a sum in place
    if each == 2:
        return values[0::2] + values[1::2]
    if each and values.dtype.kind in "iub":
        # Integers only: numpy's sum over an axis may add floats in another order than
        # reduceat does, and the fallback's float shares must round as they always have.
        return values.reshape(len(starts), each, values.shape[1]).sum(axis=1)
    return np.add.reduceat(values, starts, axis=0)


def make_block(net: Network, level: int, a: int, b: int) -> Block:
    """Precompute a block's index arrays (the engine's node order makes them contiguous)."""
    p = net.n_products
    out = np.flatnonzero((net.lane_src >= a) & (net.lane_src < b))
    la, lb = (int(out[0]), int(out[-1]) + 1) if len(out) else (0, 0)
    assert len(out) == lb - la, "lanes out of a block must be contiguous"
    lanes_in = np.flatnonzero((net.lane_dst >= a) & (net.lane_dst < b))
    # By customer (then lane), so each customer's inbound lanes are contiguous.
    lanes_in = lanes_in[np.argsort(net.lane_dst[lanes_in], kind="stable")]
    dst_in = net.lane_dst[lanes_in] - a
    in_nodes, in_starts = np.unique(dst_in, return_index=True)
    src_out = net.lane_src[la:lb] - a
    nb = b - a
    # Claim rows: own backorders, customers' backlog, own demand today, customers' orders today.
    # Rank 2 x tier, +1 for new claims: tier 1 first, backlog before new within a tier. With
    # care, own demand comes in four classes (plain, imperative, urgent, deferrable), each at
    # its tier: own rows are class by class, the block's nodes within each.
    classes = 4 if net.care is not None and (net.care.admissions[a:b] > 0).any() else 1
    own = net.own_tier[a:b] if classes == 1 else net.class_tier[a:b].T.ravel()
    cust = net.priority[net.lane_dst[la:lb]]
    rank = np.concatenate([2 * own, 2 * cust, 2 * own + 1, 2 * cust + 1])
    mine = np.tile(np.arange(nb), classes)
    group = np.concatenate([mine, src_out, mine, src_out])
    inbound = np.zeros((nb, p), dtype=np.int64)
    np.add.at(inbound, dst_in, net.lane_share[lanes_in] > 0)
    ordering = net.policy_kind[a:b] == POLICY_ORDER
    blk = Block(
        level=level, a=a, b=b, la=la, lb=lb,
        lanes_in=lanes_in, dst_in=dst_in, src_out=src_out,
        unlimited=bool(net.unlimited[a:b].all()),
        outside=net.unlimited[a:b, None].copy() if net.unlimited[a:b].any() else None,
        orders=bool((ordering & ~net.unlimited[a:b, None]).any()),
        produces=bool(net.produces[a:b].any()),
        inputs=bool(net.inputs[a:b].any()),
        split=bool((inbound > 1).any()),
        recent=bool((net.recent[a:b] & ordering).any()),
        ordering=ordering & ~net.unlimited[a:b, None],
        periodic=bool((net.review_days[a:b] > 1).any()),
        loses=bool(net.unmet_lost[a:b].any()),
        rank=rank, group=group,
        group_index=flat_index(group, p),
        out_starts=np.searchsorted(src_out, np.arange(nb)) if len(src_out) else src_out,
        in_nodes=in_nodes, in_starts=in_starts, in_all=len(in_nodes) == nb,
        in_lane=(net.lane_dst >= a) & (net.lane_dst < b),
        classes=classes,
    )
    # Rows in inbound order (lanes sorted by customer, as State keeps goods on the way): the
    # block's inbound lanes are one range there; its outbound lanes are spread out.
    in_position = inbound_position(net)
    first = int((net.lane_dst < a).sum())
    blk.in_rows = slice(first, first + len(lanes_in))
    assert (in_position[lanes_in] == np.arange(first, first + len(lanes_in))).all()
    blk.out_rows = in_position[la:lb]
    blk.share_in = net.lane_share[lanes_in]
    blk.src_in = net.lane_src[lanes_in]
    blk.fallback_in = net.fallback[net.lane_dst[lanes_in]]
    blk.any_fallback = bool(blk.fallback_in.any())
    blk.fallback_after_in = net.fallback_after[net.lane_dst[lanes_in]][:, None]
    blk.live_in = blk.share_in > 0
    blk.split_carry = np.zeros(blk.share_in.shape)
    return blk


class StockHolder:
    """The shared stock-holding behaviour; actor kinds subclass it and add their own."""

    def __init__(self, net: Network, state: State, blocks: list[Block],
                 recent: RecentDemand | None,
                 countermeasures: Countermeasures | None = None) -> None:
        self.net = net
        self.state = state
        self.blocks = blocks
        self.recent = recent
        self.cm = countermeasures
        # Blocks whose outside sources' empty days are all 0 (see `_stopped_outside`).
        self._outside_clear: set[int] = set()
        self._refit_index: dict[int, _RefitIndex] = {}  # by the block's first node

    # -- 1. receive ------------------------------------------------------------------------
    def receive(self, blk: Block, t: int, fx: Effects) -> None:
        """Shipments due today arrive; those on a lane closed with goods held wait a day."""
        st = self.state
        slot = t % st.ring
        if not st.due[slot] or not len(blk.lanes_in):
            return
        due = st.arrivals[slot, blk.in_rows]  # a view: read only
        if not due.any():
            return
        if fx.any_hold:
            held = np.where(fx.lane_hold[blk.lanes_in], due, 0)
            if held.any():
                st.expect(t + 1, blk.lanes_in, held)
                due = due - held
        st.in_transit[blk.in_rows] -= due
        arrived = blk.in_sum(due)
        st.on_hand[blk.nodes] += arrived
        st.received[blk.nodes] += arrived
        st.on_order[blk.nodes] -= arrived
        if st.cohorts is not None:
            self._receive_cohorts(blk, t, fx)

    def _receive_cohorts(self, blk: Block, t: int, fx: Effects) -> None:
        """The ages of today's arrivals join the cohorts; what ran out on the way expires."""
        st, co = self.state, self.state.cohorts
        assert co is not None
        for lanes, products, qty, first, rows in co.arrivals(t, blk.in_lane):
            if fx.any_hold:
                held = fx.lane_hold[lanes, products]
                if held.any():
                    co.send(np.full(int(held.sum()), t + 1), lanes[held], products[held],
                            qty[held], None if rows is None else rows[held], first)
                    go = ~held
                    lanes, products, qty = lanes[go], products[go], qty[go]
                    rows = None if rows is None else rows[go]
            nodes = self.net.lane_dst[lanes]
            if rows is None:
                co.add_late(nodes, products, qty)
                continue
            dead = co.add(nodes, products, rows, first, t, unique=not blk.split)
            if dead.any():
                st.book_expired(nodes, products, dead, "shelf life ended on the way")

    # -- 2. serve --------------------------------------------------------------------------
    def serve(self, blk: Block, t: int, fx: Effects) -> None:
        """Own demand, customers' backlog and today's orders, in one allocation."""
        st, _net = self.state, self.net
        nodes, lanes = blk.nodes, blk.lanes
        nb = blk.b - blk.a
        demand, backorder = st.demand[nodes], st.backorder[nodes]
        K = blk.classes
        if K > 1:  # own demand by class: rows class by class (views of the state)
            p = demand.shape[1]
            demand_k = st.demand_k[:, nodes].reshape(K * nb, p)
            backorder_k = st.backorder_k[:, nodes].reshape(K * nb, p)
        else:
            demand_k, backorder_k = demand, backorder
        m = K * nb  # own claim rows
        has_lanes = blk.lb > blk.la
        if has_lanes:
            owed, new = st.owed[lanes], st.new_orders[lanes]
            st.orders_in[nodes] += blk.out_sum(new)
            # Claims the supplier cannot act on today wait: a lane closed to new loads, or
            # the supplier's order intake down.
            actionable = None
            if fx.any_closure:
                actionable = fx.lane_open[lanes]
            if fx.any_intake_down and fx.intake_down[nodes].any():
                intake = ~fx.intake_down[nodes][blk.src_out][:, None]
                actionable = intake if actionable is None else actionable & intake
            if actionable is not None:
                owed_c, new_c = owed * actionable, new * actionable
            else:
                owed_c, new_c = owed, new
        if blk.unlimited:
            self._stopped_outside(blk, fx)
            if not has_lanes or not (owed_c.any() or new_c.any()):
                if has_lanes:
                    self._hold_orders(blk)
                return
            sent_old, sent_new = self._fit_capacity(blk, owed_c, new_c)
            claimed = blk.out_sum(owed_c + new_c)
            self._ship_lanes(blk, owed, new, claimed, sent_old, sent_new, t, fx)
            return
        on_hand = st.on_hand[nodes]
        if blk.outside is not None:  # outside sources among stock holders have all asked
            on_hand = np.where(blk.outside, UNLIMITED_STOCK, on_hand)
        # (These are views of the state: anything needed after it changes is taken first.)
        if not has_lanes:
            asked_here = demand + backorder
            if K == 1:
                # Demand points: one claimant per node, backorders first.
                old = np.minimum(backorder, on_hand)
                fresh = np.minimum(demand, on_hand - old)
            elif (asked_here <= on_hand).all():  # enough for every class: all served
                self._serve_all_classes(blk)
                self._end_serve(blk, asked_here, fx)
                return
            else:  # by tier, then backorders first, pro rata within each
                given = allocate(np.concatenate([backorder_k, demand_k]), on_hand, blk.group,
                                 blk.rank, blk.group_index)
                old, fresh = given[:m], given[m:]
            self._serve_own(blk, old, fresh)
            self._end_serve(blk, asked_here, fx)
            return
        lane_claims = owed_c + new_c
        claimed = blk.out_sum(lane_claims)
        asked_here = demand + backorder + (
            claimed if actionable is None else blk.out_sum(owed + new))
        total = claimed + backorder + demand
        if not total.any():
            self._hold_orders(blk)
            self._end_serve(blk, asked_here, fx)
            return
        limited = st.limited and bool(np.isfinite(st.lane_budget[lanes]).any()
                                      or np.isfinite(st.dispatch_budget[nodes]).any())
        if (total <= on_hand).all() and (not limited or self._fits(blk, lane_claims, claimed)):
            # Enough for every claim (and capacity for every shipment): nothing to allocate.
            self._serve_own(blk, backorder_k.copy(), demand_k.copy())
            self._ship_lanes(blk, owed, new, claimed, owed_c.copy(), new_c.copy(), t, fx)
        else:
            k = blk.lb - blk.la
            rows = np.concatenate([backorder_k, owed_c, demand_k, new_c])
            given = self._allocate(blk, rows, on_hand)
            if limited:
                shipping = given[m:m + k] + given[2 * m + k:]
                if not self._fits(blk, shipping, blk.out_sum(shipping)):
                    given = self._refit(blk, rows, given, on_hand)
            g_old, g_new = given[m:m + k], given[2 * m + k:]
            self._serve_own(blk, given[:m], given[m + k:2 * m + k])
            self._ship_lanes(blk, owed, new, claimed, g_old, g_new, t, fx)
        self._end_serve(blk, asked_here, fx)

    def _allocate(self, blk: Block, rows: np.ndarray, on_hand: np.ndarray) -> np.ndarray:
        """Allocate short stock over the claim rows: by tier, pro rata, or by history quotas.

        Under an `allocation` countermeasure with `rule: history` at the block's suppliers,
        lane claims are first capped at their quotas (sim/countermeasures/allocation.py);
        what that leaves goes by tier and pro rata to the rest of the claims.
        """
        quotas = None if self.cm is None else self.cm.quotas
        if quotas is None or not quotas.any_history or not quotas.history[blk.nodes].any():
            return allocate(rows, on_hand, blk.group, blk.rank, blk.group_index)
        m, k = blk.classes * (blk.b - blk.a), blk.lb - blk.la
        quota = quotas.quota(blk.lanes, blk.src_out, on_hand)
        own = quotas.own_quota(blk.nodes, on_hand)
        first = allocate(cap_claims(rows, quota, m, k, own, blk.rank), on_hand, blk.group,
                         blk.rank, blk.group_index)
        left = on_hand - group_sum(first, blk.group, blk.b - blk.a)
        return first + allocate(rows - first, left, blk.group, blk.rank, blk.group_index)

    def _hold_orders(self, blk: Block) -> None:
        """Nothing ships today: today's orders join the backlog."""
        st = self.state
        st.owed[blk.lanes] += st.new_orders[blk.lanes]
        st.new_orders[blk.lanes] = 0

    def _serve_own(self, blk: Block, old: np.ndarray, fresh: np.ndarray) -> None:
        """Own demand served: backorders `old`, today's `fresh`; the rest waits or is lost.

        With classes, `old` and `fresh` are rows class by class (the block's nodes within each).
        """
        st, net = self.state, self.net
        nodes = blk.nodes
        if blk.classes > 1:
            self._serve_classes(blk, old, fresh)
            return
        unmet = st.demand[nodes] - fresh
        used = old + fresh
        st.on_hand[nodes] -= used
        st.consumed[nodes] += used
        if st.cohorts is not None:
            st.cohorts.take_block(blk.a, used, st.t)
        st.served[nodes] += fresh
        if blk.loses:
            lost = net.unmet_lost[nodes][:, None]
            st.backorder[nodes] += np.where(lost, 0, unmet) - old
            st.lost[nodes] += np.where(lost, unmet, 0)
        else:
            st.backorder[nodes] += unmet - old

    def _serve_classes(self, blk: Block, old: np.ndarray, fresh: np.ndarray) -> None:
        """`_serve_own` for a block with own demand in classes."""
        st, net = self.state, self.net
        nodes = blk.nodes
        nb = blk.b - blk.a
        old = old.reshape(blk.classes, nb, -1)
        fresh = fresh.reshape(blk.classes, nb, -1)
        unmet = st.demand_k[:, nodes] - fresh
        used = old.sum(axis=0) + fresh.sum(axis=0)
        st.on_hand[nodes] -= used
        st.consumed[nodes] += used
        if st.cohorts is not None:
            st.cohorts.take_block(blk.a, used, st.t)
        st.served_k[:, nodes] += fresh
        st.served[nodes] += fresh.sum(axis=0)
        if blk.loses:
            lost = net.unmet_lost[nodes][None, :, None]
            st.backorder_k[:, nodes] += np.where(lost, 0, unmet) - old
            st.lost[nodes] += np.where(lost, unmet, 0).sum(axis=0)
        else:
            st.backorder_k[:, nodes] += unmet - old
        st.backorder[nodes] = st.backorder_k[:, nodes].sum(axis=0)

    def _serve_all_classes(self, blk: Block) -> None:
        """`_serve_classes` where every class's backorders and demand are served in full."""
        st = self.state
        nodes = blk.nodes
        used = st.backorder[nodes] + st.demand[nodes]
        st.on_hand[nodes] -= used
        st.consumed[nodes] += used
        if st.cohorts is not None:
            st.cohorts.take_block(blk.a, used, st.t)
        st.served_k[:, nodes] += st.demand_k[:, nodes]
        st.served[nodes] += st.demand[nodes]
        st.backorder_k[:, nodes] = 0
        st.backorder[nodes] = 0

    def _end_serve(self, blk: Block, asked: np.ndarray, fx: Effects) -> None:
        """A stockout day: nothing left on hand of a product the node was asked for today."""
        st = self.state
        nodes = blk.nodes
        empty = st.on_hand[nodes] == 0
        if blk.outside is not None:
            empty &= ~blk.outside
        st.short[nodes] = empty & (asked > 0)
        days = st.empty_days[nodes]  # a view: one more day where empty, else 0, in place
        if blk.outside is None:
            days += 1
            days *= empty
        else:
            # Outside sources' days are counted by `_stopped_outside` alone (a stopped source
            # in a block with stock holders must reach its customers' fallback_after_days).
            st.empty_days[nodes] = np.where(blk.outside, days, np.where(empty, days + 1, 0))
        if blk.outside is not None:
            self._stopped_outside(blk, fx)

    def _stopped_outside(self, blk: Block, fx: Effects) -> None:
        """Outside sources that can ship nothing of a product today count as empty of it.

        A factory loss or power cut at factor 0: customers fall back to other lanes after
        `fallback_after_days`, as from an empty supplier.
        """
        st = self.state
        if not fx.any_node_capacity:
            # Nothing stopped today: outside sources count as empty of nothing (kept at 0,
            # so once reset this is a no-op).
            if blk.a in self._outside_clear:
                return
            self._outside_clear.add(blk.a)
        else:
            self._outside_clear.discard(blk.a)
        nodes = blk.nodes
        outside = np.ones((blk.b - blk.a, 1), dtype=bool) if blk.outside is None else blk.outside
        factor = fx.node_capacity[nodes, None] if fx.dispatch is None else fx.dispatch[nodes]
        stopped = outside & (factor <= 0)
        days = st.empty_days[nodes]
        st.empty_days[nodes] = np.where(outside, np.where(stopped, days + 1, 0), days)

    def _refit(self, blk: Block, rows: np.ndarray, given: np.ndarray, on_hand: np.ndarray
               ) -> np.ndarray:
        """Fit lane shipments to today's capacity; held-back stock goes to claims that can ship.

        Shipments are fitted to the dispatch capacity (per supplier and product), then to the
        lane capacity (over products). The stock capacity held back is allocated again, by rank,
        to the claims that can still take it: own demand (which uses no capacity) and lanes
        with capacity left; repeated until nothing more can move. Each round that cuts exhausts
        at least one capacity, so this ends. Returns the allocation of every claim row.
        """
        st = self.state
        nb, k = blk.b - blk.a, blk.lb - blk.la
        p = rows.shape[1]
        ix = self._refit_index.get(blk.a)
        if ix is None:
            ix = self._refit_index[blk.a] = _RefitIndex(blk, p)
        lane_rows, own_rows, own_group = ix.lane_rows, ix.own_rows, ix.own_group
        rank, src2, src2_index, lane2 = ix.rank, ix.src2, ix.src2_index, ix.lane2
        lane_left = _units(st.lane_budget[blk.lanes]).copy()
        disp_left = _units(st.dispatch_budget[blk.nodes]).copy()
        out = given.copy()
        out[lane_rows] = 0
        left = on_hand - group_sum(given[own_rows], own_group, nb)
        wanted = rows - out
        offer = given[lane_rows]
        # Shipments over the lanes (every product of a lane in one group), only where some
        # lane of the block has a finite capacity today.
        by_lane = bool(np.isfinite(st.lane_budget[blk.lanes]).any())
        lane_group, lane_rank = ix.lane_group, ix.lane_rank
        while True:
            fit = allocate(offer, disp_left, src2, rank, src2_index)
            if by_lane:
                flat = allocate(fit.reshape(-1, 1), lane_left[:, None], lane_group, lane_rank,
                                lane_group)
                fit = flat.reshape(fit.shape)
            out[lane_rows] += fit
            wanted[lane_rows] -= fit
            shipped = group_sum(fit, src2, nb)
            left -= shipped
            disp_left -= shipped
            lane_left -= group_sum(fit.sum(axis=1, keepdims=True), lane2, k)[:, 0]
            if (fit == offer).all():
                break
            # Claims that can still take stock: own demand, and lanes with capacity left for
            # the supplier-product and over the lane.
            room = np.ones_like(wanted, dtype=bool)
            room[lane_rows] = (lane_left[lane2] > 0)[:, None] & (disp_left[src2] > 0)
            extra = allocate(wanted * room, left, blk.group, blk.rank)
            own = extra[own_rows]
            out[own_rows] += own
            wanted[own_rows] -= own
            left -= group_sum(own, own_group, nb)
            offer = extra[lane_rows]
            if not offer.any():
                break
        return out

    def _fits(self, blk: Block, lane_claims: np.ndarray, claimed: np.ndarray) -> bool:
        """Every lane claim fits today's dispatch and lane capacities (so `_refit` cuts none)."""
        st = self.state
        return bool((claimed <= st.dispatch_budget[blk.nodes]).all()
                    and (lane_claims.sum(axis=1) <= st.lane_budget[blk.lanes]).all())

    def _fit_capacity(self, blk: Block, old: np.ndarray, new: np.ndarray
                      ) -> tuple[np.ndarray, np.ndarray]:
        """An outside source has all it is asked for; only capacity can hold claims back."""
        st = self.state
        if not st.limited or not (np.isfinite(st.lane_budget[blk.lanes]).any()
                                  or np.isfinite(st.dispatch_budget[blk.nodes]).any()):
            return old.copy(), new.copy()  # copies: `old` and `new` may be views of the state
        claims = old + new
        if self._fits(blk, claims, blk.out_sum(claims)):
            return old.copy(), new.copy()
        nb, k = blk.b - blk.a, blk.lb - blk.la
        m = blk.classes * nb
        none = np.zeros((m, old.shape[1]), np.int64)
        rows = np.concatenate([none, old, none, new])
        unlimited = np.full((nb, old.shape[1]), UNLIMITED_STOCK)
        out = self._refit(blk, rows, rows, unlimited)
        return out[m:m + k], out[2 * m + k:]

    def _ship_lanes(self, blk: Block, owed: np.ndarray, new: np.ndarray, claimed: np.ndarray,
                    sent_old: np.ndarray, sent_new: np.ndarray, t: int, fx: Effects) -> None:
        """Ship what was allocated; what was not stays owed to the customer."""
        st = self.state
        nodes, lanes = blk.nodes, blk.lanes
        sent = sent_old + sent_new
        # owed and new are views of the state: read them before they change.
        st.claimed[nodes] += claimed
        if sent_new.any():
            st.orders_shipped[nodes] += blk.out_sum(sent_new)
        if st.lane_cut_day is not None:  # customers that hoard learn of cuts
            cut = sent < owed + new
            if cut.any():
                st.lane_cut_day[lanes][cut] = t
        st.owed[lanes] = owed + new - sent
        st.new_orders[lanes] = 0
        if sent.any():
            st.granted[nodes] += self.ship(blk, sent, t, fx)

    def ship(self, blk: Block, qty: np.ndarray, t: int, fx: Effects) -> np.ndarray:
        """Dispatch `qty` on the block's lanes; returns the units shipped per block node.

        A shipment arrives at the start of day t + max(1, ceil(L)).
        """
        st = self.state
        nodes, lanes = blk.nodes, blk.lanes
        if fx.any_lead:
            lead = st.lead_times[t, lanes] * fx.lane_lead[lanes]
            arrive = t + np.maximum(1, np.ceil(lead - LEAD_TOLERANCE)).astype(np.int64)
        else:
            arrive = st.arrive[t, lanes]
        if len(qty) > 8:  # book only the lanes that carry something
            moving = np.flatnonzero(qty.any(axis=1))
            st.expect(arrive[moving], blk.la + moving, qty[moving])
        else:  # a few lanes: cheaper to book them all, zeros included
            st.expect(arrive, blk.lane_ids, qty)
        if st.cohorts is not None:
            self._ship_cohorts(blk, qty, arrive, t)
        st.in_transit[blk.out_rows] += qty
        sent = blk.out_sum(qty)
        st.shipped[nodes] += sent
        if blk.unlimited:
            st.produced[nodes] += sent  # outside sources make what they ship
        elif blk.outside is not None:
            st.produced[nodes] += np.where(blk.outside, sent, 0)
            st.on_hand[nodes] -= np.where(blk.outside, 0, sent)
        else:
            st.on_hand[nodes] -= sent
        if st.limited:  # unlimited budgets (inf) need no bookkeeping
            st.lane_budget[lanes] -= qty.sum(axis=1)
            st.dispatch_budget[nodes] -= sent
        return sent

    def _ship_cohorts(self, blk: Block, qty: np.ndarray, arrive: np.ndarray, t: int) -> None:
        """Shipments carry their ages: `Cohorts.ship` (FEFO by supplier, its lanes in order)."""
        co = self.state.cohorts
        assert co is not None
        outside = blk.unlimited or (False if blk.outside is None else blk.outside[:, 0])
        co.ship(qty, blk.src_out, blk.a, blk.la, outside, arrive, t)

    # -- 3. review and order ---------------------------------------------------------------
    def review(self, blk: Block, t: int, fx: Effects) -> np.ndarray | None:
        """The units each block node wants to order today (int[nb, p]), or None."""
        st, net = self.state, self.net
        nodes = blk.nodes
        if self.recent is not None and blk.recent:
            self.recent.observe(blk, t)
        if not blk.orders:
            return None
        reviewing = blk.ordering
        if fx.any_ordering_down and fx.ordering_down[nodes].any():
            reviewing = reviewing & ~fx.ordering_down[nodes][:, None]
        if blk.periodic:
            reviewing = reviewing & ((t - net.review_offset[nodes]) % net.review_days[nodes] == 0)
        if not reviewing.any():
            return None
        position = st.on_hand[nodes] + st.on_order[nodes] - st.backorder[nodes]
        if blk.lb > blk.la:
            position = position - blk.out_sum(st.owed[blk.lanes])
        reorder, up_to = net.reorder_point[nodes], net.order_up_to[nodes]
        if self.recent is not None and blk.recent:
            reorder, up_to = self.recent.levels(blk, reorder, up_to)
        if st.lane_cut_day is not None and len(blk.lanes_in):
            reorder, up_to = self._hoard(blk, t, reorder, up_to)
        qty = order_quantity(position, reorder, up_to, reviewing)
        return qty if qty.any() else None

    def _hoard(self, blk: Block, t: int, reorder: np.ndarray, up_to: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Levels times `hoarding_factor` within `hoarding_window_days` of a supplier's cut."""
        st, net = self.state, self.net
        assert st.lane_cut_day is not None
        nodes = blk.nodes
        factor = net.hoarding_factor[nodes]
        if not (factor > 1).any():
            return reorder, up_to
        last = np.full(reorder.shape, -(10**9), dtype=np.int64)
        last[blk.in_nodes] = np.maximum.reduceat(st.lane_cut_day[blk.lanes_in], blk.in_starts,
                                                 axis=0)
        hoarding = (t - last <= net.hoarding_window[nodes][:, None]) & (factor[:, None] > 1)
        if not hoarding.any():
            return reorder, up_to
        f = np.where(hoarding, factor[:, None], 1.0)
        return reorder * f, up_to * f

    def place(self, blk: Block, qty: np.ndarray, fx: Effects) -> None:
        """Send orders to suppliers over the block's inbound lanes (fallback where it applies)."""
        st = self.state
        st.on_order[blk.nodes] += qty
        lanes = blk.lanes_in
        if not len(lanes):
            return
        if not blk.split:
            # One inbound lane per node-product: nowhere to fall back to.
            orders = qty[blk.dst_in] * blk.live_in
        else:
            weight = self._fallback(blk, blk.share_in, fx)
            orders = split_orders(qty, blk.dst_in, weight, blk.split_carry,
                                  (blk.in_nodes, blk.in_starts), blk.in_each)
        quotas = None if self.cm is None else self.cm.quotas
        if quotas is not None and quotas.any_cap:
            orders = self._cap(blk, orders)
        st.new_orders[lanes] += orders

    def _cap(self, blk: Block, orders: np.ndarray) -> np.ndarray:
        """Orders cut to the suppliers' order caps; the cut part is never ordered."""
        st = self.state
        assert self.cm is not None and self.cm.quotas is not None
        cap = self.cm.quotas.cap(blk.lanes_in)
        over = orders > cap
        if not over.any():
            return orders
        capped = np.where(over, cap, orders).astype(np.int64)
        st.on_order[blk.nodes] -= blk.in_sum(orders - capped)
        if st.lane_cut_day is not None:
            st.lane_cut_day[blk.lanes_in[np.nonzero(over)[0]], np.nonzero(over)[1]] = st.t
        return capped

    def _fallback(self, blk: Block, share: np.ndarray, fx: Effects) -> np.ndarray:
        """Lane weights today, with fallback where the customer uses it.

        A lane closed to new loads, a supplier whose order intake is down, or one that has had
        nothing on hand for `fallback_after_days` loses its share to the node's other lanes for
        the product, where another lane can take it.
        """
        st = self.state
        if not blk.any_fallback:
            return share
        lanes, src = blk.lanes_in, blk.src_in
        usable = st.empty_days[src] < blk.fallback_after_in
        if fx.any_closure:
            usable &= fx.lane_open[lanes]
        if fx.any_intake_down:
            usable &= ~fx.intake_down[src][:, None]
        if usable.all():
            return share
        kept = share * usable
        total = blk.in_sum(kept)
        use = (total[blk.dst_in] > 0) & blk.fallback_in[:, None]
        return np.where(use, kept / np.where(use, total[blk.dst_in], 1.0), share)


class _RefitIndex:
    """A block's claim rows as `_refit` splits them: lane shipments and own demand."""

    def __init__(self, blk: Block, p: int) -> None:
        nb, k = blk.b - blk.a, blk.lb - blk.la
        m = blk.classes * nb  # own claim rows
        self.lane_rows = np.r_[m:m + k, 2 * m + k:2 * m + 2 * k]
        self.own_rows = np.r_[0:m, m + k:2 * m + k]
        self.own_group = blk.group[self.own_rows]
        self.rank = blk.rank[self.lane_rows]
        self.src2 = blk.group[self.lane_rows]
        self.src2_index = flat_index(self.src2, p)
        self.lane2 = np.concatenate([np.arange(k), np.arange(k)])
        self.lane_group = np.repeat(self.lane2, p)
        self.lane_rank = np.repeat(self.rank, p)


def _units(budget: np.ndarray) -> np.ndarray:
    """Whole-unit budgets, with unlimited (inf) as a number larger than any claim."""
    return np.where(np.isfinite(budget), budget, UNLIMITED_STOCK).astype(np.int64)


class RecentDemand:
    """Mean daily demand each node saw over its window (own demand plus customers' orders).

    A simple moving average over `window_days`, the buffer starting at the normal flow so the
    mean starts there. Days-of-supply levels on `basis: recent` use it, never below normal.
    """

    def __init__(self, net: Network) -> None:
        cells = net.recent & (net.policy_kind == POLICY_ORDER)
        self.size = int(net.window_days[cells].max()) if cells.any() else 1
        n, p = net.n_nodes, net.n_products
        self.window = np.where(cells, net.window_days, 1)
        self.history = np.broadcast_to(net.normal_flow, (self.size, n, p)).copy()
        self.total = net.normal_flow * self.window
        self.flat = self.history.reshape(self.size, -1)
        self.net = net
        self.state: State | None = None

    def observe(self, blk: Block, t: int) -> None:
        """Add today's demand seen by the block's nodes; drop the day that leaves the window."""
        st = self.state
        assert st is not None
        nodes = blk.nodes
        seen = st.demand[nodes] + st.orders_in[nodes]
        window = self.window[nodes]
        w = int(window.flat[0]) if window.size else 1
        if (window == w).all():  # one window for the block: the leaving day is one row
            leaving = self.history[(t - w) % self.size, nodes]
        else:
            p = self.net.n_products
            cells = np.arange(blk.a * p, blk.b * p)
            leaving = self.flat[(t - window.ravel()) % self.size, cells].reshape(seen.shape)
        self.total[nodes] += seen - leaving
        self.history[t % self.size, nodes] = seen

    def levels(self, blk: Block, reorder: np.ndarray, up_to: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Reorder point and order-up-to level on max(normal, recent) demand where recent."""
        net = self.net
        nodes = blk.nodes
        flow = np.maximum(net.normal_flow[nodes], self.total[nodes] / self.window[nodes])
        recent = net.recent[nodes]
        return (np.where(recent, net.reorder_days[nodes] * flow, reorder),
                np.where(recent, days_units(net.target_days[nodes], flow), up_to))


class Actor(StockHolder):
    """An actor kind: a SimPy process acting each day for all its nodes.

    It acts block by block, at the blocks' levels (the clock orders the phases; `sim.engine`).
    """

    kind = "stock holder"

    def process(self, clock: Clock) -> Generator[simpy.Event, None, None]:
        """Each day, at each of its blocks' levels: act for the block's nodes."""
        t = 0
        while True:
            for blk in self.blocks:
                yield clock.phase(t, blk.level)
                self.act(blk, t, clock.fx)
            t += 1

    def act(self, blk: Block, t: int, fx: Effects) -> None:
        """What every stock holder does at its level: receive, serve, review and order."""
        self.receive(blk, t, fx)
        self.serve(blk, t, fx)
        if self.cm is not None and self.cm.substituting:
            self.cm.substitute(blk.a, blk.b, blk.classes)
        qty = self.review(blk, t, fx)
        if qty is not None:
            self.place(blk, qty, fx)
