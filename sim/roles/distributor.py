"""Suppliers: importers, wholesalers, pharmacies, and manufacturers as sellers.

They receive shipments, fill customer orders under the allocation rule, and ship on lanes.
"""

from __future__ import annotations

import numpy as np

from sim.disruptions import Effects
from sim.policies import allocate, pro_rata
from sim.state import UNLIMITED_STOCK, State
from sim.sums import flat_index, group_sum


def receive(state: State, t: int, fx: Effects) -> None:
    """Step 1: shipments due today arrive; those on a closed lane wait for it to reopen."""
    due = state.arrivals.pop(t, None)
    if due is None:
        return
    if fx.any_closure:
        held = np.where(fx.lane_open, 0, due)
        if held.any():
            later = state.arrivals.get(t + 1)
            if later is None:
                state.arrivals[t + 1] = held
            else:
                later += held
            due = due - held
    net = state.net
    state.in_transit -= due
    arrived = group_sum(due, net.lane_dst, net.n_nodes, state.dst_index)
    state.on_hand += arrived
    state.received += arrived
    state.on_order -= arrived


def _as_units(budget: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(budget), budget, UNLIMITED_STOCK).astype(np.int64)


def _cap_lanes(claims: np.ndarray, budget: np.ndarray) -> np.ndarray:
    """Scale each lane's claims (over products) down to its capacity left today."""
    k, p = claims.shape
    flat = pro_rata(claims.reshape(-1, 1), _as_units(budget)[:, None], np.repeat(np.arange(k), p))
    return flat.reshape(k, p)


def fill(
    state: State, lanes: np.ndarray, claims: np.ndarray, t: int, fx: Effects,
    own: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Hand out stock to claims on `lanes` (and the nodes' own backorders, if given).

    Closed lanes and exhausted capacity hold claims back; the rest is allocated by priority tier
    and pro rata. Returns what each lane shipped and what each node's own backorders got.
    """
    net = state.net
    src = net.lane_src[lanes]
    index = state.src_index if len(lanes) == net.n_lanes else flat_index(src, net.n_products)
    open_claims = claims * fx.lane_open[lanes] if fx.any_closure else claims
    state.claimed += group_sum(open_claims, src, net.n_nodes, index)
    sendable = open_claims
    if np.isfinite(state.lane_budget[lanes]).any():
        sendable = _cap_lanes(sendable, state.lane_budget[lanes])
    if np.isfinite(state.dispatch_budget).any():
        sendable = pro_rata(sendable, _as_units(state.dispatch_budget), src)
    tiers = net.priority[net.lane_dst[lanes]]
    if own is None:
        rows, group = sendable, src
    else:
        n = net.n_nodes
        rows = np.concatenate([sendable, own])
        group = np.concatenate([src, np.arange(n)])
        tiers = np.concatenate([tiers, np.ones(n, dtype=np.int64)])
    given = allocate(rows, state.available(), group, tiers)
    sent = given[: len(lanes)]
    ship(state, lanes, sent, t, fx)
    state.granted += group_sum(sent, src, net.n_nodes, index)
    return sent, (given[len(lanes) :] if own is not None else None)


def ship(state: State, lanes: np.ndarray, qty: np.ndarray, t: int, fx: Effects) -> None:
    """Dispatch `qty` on `lanes` (unique); it arrives at the start of day t + max(1, ceil(L))."""
    moving = qty.any(axis=1)
    if not moving.any():
        return
    lanes, qty = lanes[moving], qty[moving]
    net = state.net
    src = net.lane_src[lanes]
    lead = state.lead_times[t, lanes] * fx.lane_lead[lanes]
    arrive = t + np.maximum(1, np.ceil(lead)).astype(np.int64)
    for day in np.unique(arrive).tolist():
        sel = arrive == day
        bucket = state.arrivals.get(day)
        if bucket is None:
            bucket = state.arrivals[day] = np.zeros_like(state.in_transit)
        bucket[lanes[sel]] += qty[sel]
    state.in_transit[lanes] += qty
    sent = group_sum(qty, src, net.n_nodes)
    state.shipped += sent
    # Unlimited sources produce what they ship; everyone else ships from stock.
    outside = net.unlimited[:, None]
    state.produced += np.where(outside, sent, 0)
    state.on_hand -= np.where(outside, 0, sent)
    state.lane_budget[lanes] -= qty.sum(axis=1)
    state.dispatch_budget -= sent
