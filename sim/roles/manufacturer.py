"""Manufacturers: production within capacity, then quarantine until QC release."""

from __future__ import annotations

import numpy as np

from sim.disruptions import Effects
from sim.state import State


def release(state: State, t: int) -> None:
    """Step 2: batches whose QC release falls today join saleable stock."""
    batch = state.quarantine.pop(t, None)
    if batch is None:
        return
    state.on_hand += batch
    state.produced += batch
    state.on_order -= batch


def produce(state: State, t: int, fx: Effects) -> None:
    """End of step 4: make what is due, within today's capacity, into quarantine.

    A batch made on day t is released at the start of day t + max(1, ceil(qc_release_days)).
    Fractional capacity carries over, so 2.5 a day makes 5 every two days.
    """
    net = state.net
    if not net.produces.any():
        return
    capacity = net.production_capacity * fx.production * fx.node_capacity[:, None]
    total = capacity + state.production_carry
    whole = np.floor(total)
    state.production_carry = np.where(net.produces, total - whole, 0.0)
    made = np.minimum(state.production_due, whole.astype(np.int64)) * net.produces
    if not made.any():
        return
    state.production_due -= made
    for qc in np.unique(net.qc_release_days[made.any(axis=1)]).tolist():
        rows = (net.qc_release_days == qc)[:, None]
        day = t + max(1, qc)
        batch = np.where(rows, made, 0)
        held = state.quarantine.get(day)
        if held is None:
            state.quarantine[day] = batch
        else:
            held += batch
