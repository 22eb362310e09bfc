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
        co = st.cohorts
        if co is not None:
            rows, cols = np.nonzero(part[:, co.products])
            if len(rows):
                products = co.products[cols]
                units = part[rows, products]
                co.add_fresh(blk.a + rows, products, units, t)
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
        if blk.inputs:
            made = self._use_inputs(blk, t, made)
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

    def _use_inputs(self, blk: Block, t: int, planned: np.ndarray) -> np.ndarray:
        """Production within the inputs on hand; the inputs of what is made are used up.

        A unit of product j needs inputs[j, m] of each input m, taken when it starts. Inputs
        are counted in whole units: a fraction per unit is taken out whole and the rest is
        credited to the next units made. An input shared by several products is shared pro
        rata to what each would make. A product held back by a missing input starts an
        `input_shortage` event (value: units not made that day).
        """
        st, net = self.state, self.net
        nodes = blk.nodes
        per = net.inputs[nodes]  # [nb, p made, p input]
        have = st.on_hand[nodes] + st.input_credit[nodes]  # [nb, p input]
        needs = per > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            room = np.where(needs, np.floor(have[:, None, :] / np.where(needs, per, 1) + 1e-9),
                            np.inf).min(axis=2)
        made = np.minimum(planned, np.where(np.isfinite(room), room, planned)).astype(np.int64)
        use = np.einsum("ij,ijm->im", made, per)
        over = use > have + 1e-9
        if over.any():  # a shared input: cut every product using it pro rata
            ratio = np.where(over, have / np.where(over, use, 1), 1.0)
            cut = np.where(needs, ratio[:, None, :], 1.0).min(axis=2)
            made = np.floor(made * cut + 1e-9).astype(np.int64)
            # What the rounding left goes out product by product while every input covers
            # it, so no input is left idle while a product using it waits (rare: a loop over
            # the products that use inputs).
            for j in np.flatnonzero(needs.any(axis=(0, 2))).tolist():
                left = have - np.einsum("ij,ijm->im", made, per)
                need = needs[:, j, :]
                fits = np.where(need, np.floor(np.maximum(left, 0) / np.where(need, per[:, j, :], 1)
                                               + 1e-9), np.inf).min(axis=1)
                fits = np.where(np.isfinite(fits), fits, 0).astype(np.int64)
                made[:, j] += np.clip(planned[:, j] - made[:, j], 0, fits)
            use = np.einsum("ij,ijm->im", made, per)
        short = made < planned
        if short.any():
            began = short & ~st.input_short[nodes]
            rows, cols = np.nonzero(began)
            if len(rows):
                st.log("input_shortage", blk.a + rows, cols, (planned - made)[rows, cols],
                       "production held back by a missing input")
        st.input_short[nodes] = short
        credit = st.input_credit[nodes]
        take = np.maximum(np.ceil(use - credit - 1e-9), 0).astype(np.int64)
        take = np.where(use > 0, take, 0)
        # The credit pays for part of today's use whether or not anything is taken out.
        st.input_credit[nodes] = np.maximum(np.where(use > 0, credit + take - use, credit), 0.0)
        if take.any():
            st.on_hand[nodes] -= take
            st.consumed[nodes] += take
            if st.cohorts is not None:
                st.cohorts.take_block(blk.a, take, t)
        return made
