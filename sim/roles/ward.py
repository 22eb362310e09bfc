"""Demand points (wards, community pharmacies, municipal care): patients consume."""

from __future__ import annotations

import numpy as np

from sim.state import State


def serve_backorders(state: State, given: np.ndarray) -> None:
    """Step 3a: stock allocated to own backlogged demand is consumed."""
    state.on_hand -= given
    state.backorder -= given
    state.consumed += given


def serve_demand(state: State, demand: np.ndarray) -> None:
    """Step 3b: today's demand is served from what is left; the rest is backordered or lost."""
    served = np.minimum(demand, state.on_hand)
    state.on_hand -= served
    state.consumed += served
    unmet = demand - served
    lost = state.net.unmet_lost[:, None]
    state.backorder += np.where(lost, 0, unmet)
    state.lost_today += np.where(lost, unmet, 0)
    state.demand_today += demand
    state.served_today += served
