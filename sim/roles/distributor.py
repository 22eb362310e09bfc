"""Suppliers: importers, wholesalers, pharmacies, and manufacturers as sellers.

They receive shipments, fill customer orders under the allocation rule, and ship on lanes.
"""

from __future__ import annotations

import numpy as np

from sim.disruptions import Effects
from sim.policies import allocate, pro_rata
from sim.state import UNLIMITED_STOCK, State


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
    dst = state.net.lane_dst
    state.in_transit -= due
    np.add.at(state.on_hand, dst, due)
    np.add.at(state.received, dst, due)
    np.subtract.at(state.on_order, dst, due)


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
    open_claims = claims * fx.lane_open[lanes] if fx.any_closure else claims
    np.add.at(state.claimed, src, open_claims)
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
    np.add.at(state.granted, src, sent)
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
    np.add.at(state.shipped, src, qty)
    outside = net.unlimited[src]
    if outside.any():
        np.add.at(state.produced, src[outside], qty[outside])
    inside = ~outside
    if inside.any():
        np.subtract.at(state.on_hand, src[inside], qty[inside])
    state.lane_budget[lanes] -= qty.sum(axis=1)
    np.subtract.at(state.dispatch_budget, src, qty)
