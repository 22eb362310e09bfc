"""Manufacturers: make products within capacity, hold them in QC quarantine, sell them.

A day, at its level: receive (components or bought-in stock, if any lane brings them),
release the QC batches due today into saleable stock, serve customers' backlog and today's
orders, review its position and plan production for what it makes (buying the rest), then
produce what is due within today's capacity into quarantine. Outside sources (`unlimited`)
ship whatever is ordered and make exactly what they ship.
"""

from __future__ import annotations

import numpy as np

from sim.actors.stockholding import Actor, Block
from sim.disruptions import Effects


class Manufacturer(Actor):
    """All manufacturer nodes."""

    kind = "manufacturer"

    def act(self, blk: Block, t: int, fx: Effects) -> None:
        """Receive, release QC, serve, plan production and order, produce."""
        self.receive(blk, t, fx)
        self.release(blk, t)
        self.serve(blk, t, fx)
        qty = self.review(blk, t, fx)
        if qty is not None:
            made = qty * self.net.produces[blk.nodes]
            if made.any():
                self.state.production_due[blk.nodes] += made
                self.state.on_order[blk.nodes] += made
            bought = qty - made
            if bought.any():
                self.place(blk, bought, fx)
        if blk.produces:
            self.produce(blk, t, fx)

    def release(self, blk: Block, t: int) -> None:
        """Batches whose QC release falls today join saleable stock."""
        st = self.state
        batch = st.quarantine.get(t)
        if batch is None:
            return
        nodes = blk.nodes
        part = batch[nodes]
        if not part.any():
            return
        st.on_hand[nodes] += part
        st.produced[nodes] += part
        st.on_order[nodes] -= part
        part[...] = 0  # taken; the clock drops the emptied day

    def produce(self, blk: Block, t: int, fx: Effects) -> None:
        """Make what is due, within today's capacity, into quarantine.

        A batch made on day t is released at the start of day t + max(1, ceil(qc_release_days)).
        Fractional capacity carries over, so 2.5 a day makes 5 every two days.
        """
        st, net = self.state, self.net
        nodes = blk.nodes
        produces = net.produces[nodes]
        capacity = (net.production_capacity[nodes] * fx.production[nodes]
                    * fx.node_capacity[nodes, None])
        total = capacity + st.production_carry[nodes]
        whole = np.floor(total + 1e-9)
        st.production_carry[nodes] = np.where(produces, total - whole, 0.0)
        made = np.minimum(st.production_due[nodes], whole.astype(np.int64)) * produces
        if not made.any():
            return
        st.production_due[nodes] -= made
        qc = net.qc_release_days[nodes]
        for days in np.unique(qc[made.any(axis=1)]).tolist():
            day = t + max(1, days)
            held = st.quarantine.get(day)
            if held is None:
                held = st.quarantine[day] = np.zeros_like(st.on_hand)
            held[nodes] += np.where((qc == days)[:, None], made, 0)
