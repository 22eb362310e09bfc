"""Manufacturers: make products within capacity, hold them in QC quarantine, sell them.

A day, at its level: receive (components or bought-in stock, if any lane brings them),
release the QC batches due today into saleable stock, serve customers' backlog and today's
orders, review its position and plan production for what it makes (buying the rest), then
produce what is due within today's capacity into quarantine. Outside sources (`unlimited`)
ship whatever is ordered and make exactly what they ship.

Production conversions (`sim/countermeasures/conversion.py`, where the day rules are stated)
act here, at the node's level: at the start of its phase a line starts, stops (cancelling
what it had not made, where the node does not make the product itself) or is validated
(its held output goes to QC); while active the node plans the product on the line, its
crowded-out products lose capacity, and the line makes what the node's own capacity leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.actors.stockholding import Actor, Block, RecentDemand
from sim.disruptions import Effects
from sim.network import Network
from sim.state import State

if TYPE_CHECKING:
    from sim.countermeasures import Countermeasures
    from sim.countermeasures.conversion import Conversion


class Manufacturer(Actor):
    """All manufacturer nodes."""

    kind = "manufacturer"

    def __init__(self, net: Network, state: State, blocks: list[Block],
                 recent: RecentDemand | None,
                 countermeasures: Countermeasures | None = None) -> None:
        super().__init__(net, state, blocks, recent, countermeasures)
        # The production conversions at each block's nodes, by the block's first node.
        conversions = [] if countermeasures is None else countermeasures.conversions
        self.conversions: dict[int, list[Conversion]] = {
            blk.a: [c for c in conversions if blk.a <= c.node < blk.b] for blk in blocks}

    def act(self, blk: Block, t: int, fx: Effects) -> None:
        """Receive, release QC, serve, plan production and order, produce."""
        lines = self.conversions.get(blk.a)
        if lines:
            self._start_of_day(blk, t, lines)
        self.receive(blk, t, fx)
        self.release(blk, t)
        self.serve(blk, t, fx)
        if self.cm is not None and self.cm.substituting:
            self.cm.substitute(blk.a, blk.b, blk.classes)
        qty = self.review(blk, t, fx)
        if qty is not None:
            makes = self.net.produces[blk.nodes]
            if lines:
                makes, qty = _plan_lines(blk, lines, makes, qty)
            made = qty * makes
            if made.any():
                self.state.production_due[blk.nodes] += made
                self.state.on_order[blk.nodes] += made
            bought = qty - made
            if bought.any():
                self.place(blk, bought, fx)
        running = [c for c in lines if c.running] if lines else []
        if blk.produces or running:
            self.produce(blk, t, fx, running)

    def _start_of_day(self, blk: Block, t: int, lines: list[Conversion]) -> None:
        """Conversions at the block start, end, or are validated before today's release."""
        st, net = self.state, self.net
        for c in lines:  # starts first, so a line ending today sees one starting on its cell
            if c.trigger.started_today:
                c.begin(t)
        for c in lines:
            if not c.running or c.trigger.active:
                continue
            c.end()
            i, j = c.node, c.product
            # Output held for a validation that may never come is no longer on its way: out
            # of the position until the line is validated (validate puts it back).
            waiting = sum(u for _, u in c.held)
            st.on_order[i, j] -= waiting - c.off_order
            c.off_order = waiting
            still = any(o.running and (o.node, o.product) == (i, j) for o in lines)
            if not net.produces[i, j] and not still:
                # Planned on the line and not made: no longer planned, so the next review
                # orders it from the node's lanes, if it has any.
                due = st.production_due[i, j]
                st.production_due[i, j] = 0
                st.on_order[i, j] -= due
        for c in lines:
            if not c.validation_due():
                continue
            held = c.validate()
            st.on_order[c.node, c.product] += c.off_order
            c.off_order = 0
            qc = max(1, int(net.qc_release_days[c.node]))
            for made_on, units in held:
                day = max(t, made_on + qc)
                batch = st.quarantine.get(day)
                if batch is None:
                    batch = st.quarantine[day] = np.zeros_like(st.on_hand)
                batch[c.node, c.product] += units
            st.log("conversion_validated", np.array([c.node]), np.array([c.product]),
                   np.array([sum(u for _, u in held)]), c.spec.name)

    def release(self, blk: Block, t: int) -> None:
        """Batches whose QC release falls today join saleable stock.

        On days 0..Q-1 they include the opening pipeline (Network.initial_in_qc), booked in the
        ledger's `initial_in_qc`, not in `produced`: it was made before day 0.
        """
        st = self.state
        batch = st.quarantine.get(t)
        if batch is None:
            return
        nodes = blk.nodes
        part = batch[nodes]
        if not part.any():
            return
        st.on_hand[nodes] += part
        st.on_order[nodes] -= part
        opening = self.net.initial_in_qc
        if t < len(opening):  # the opening pipeline (made before day 0) is not produced here
            seeded = opening[t, nodes]
            st.initial_in_qc[nodes] += seeded
            st.produced[nodes] += part - seeded
        else:
            st.produced[nodes] += part
        co = st.cohorts
        if co is not None:
            rows, cols = np.nonzero(part[:, co.products])
            if len(rows):
                products = co.products[cols]
                units = part[rows, products]
                co.add_fresh(blk.a + rows, products, units, t)
        part[...] = 0  # taken; the clock drops the emptied day

    def produce(self, blk: Block, t: int, fx: Effects,
                running: list[Conversion] | None = None) -> None:
        """Make what is due, within today's capacity, into quarantine.

        A batch made on day t is released at the start of day t + max(1, ceil(qc_release_days)).
        Fractional capacity carries over, so 2.5 a day makes 5 every two days. Converted lines
        (`running`) crowd out capacity and make what the node's own capacity leaves due; their
        output before validation is held (sim/countermeasures/conversion.py).
        """
        st, net = self.state, self.net
        nodes = blk.nodes
        produces = net.produces[nodes]
        base = net.production_capacity[nodes]
        if running:
            base = base.copy()
            for c in running:
                base[c.node - blk.a] -= c.crowds_out
            base = np.maximum(base, 0.0)
        factor = fx.production[nodes] * fx.node_capacity[nodes, None]
        total = base * factor + st.production_carry[nodes]
        whole = np.floor(total + 1e-9)
        st.production_carry[nodes] = np.where(produces, total - whole, 0.0)
        made = np.minimum(st.production_due[nodes], whole.astype(np.int64)) * produces
        own = made
        planned: list[tuple[Conversion, int]] = []
        if running:
            made = made.copy()
            for c in running:
                r, j = c.node - blk.a, c.product
                room = c.output(t, float(factor[r, j]))
                if c.output_started_today:
                    st.log("conversion_output_start", np.array([c.node]), np.array([j]),
                           np.array([c.capacity_today]), c.spec.name)
                take = min(room, int(st.production_due[c.node, j] - made[r, j]))
                made[r, j] += take
                planned.append((c, take))
        if blk.inputs:
            made = self._use_inputs(blk, t, made)
        to_qc = made
        if planned:
            # The node's own capacity keeps what inputs allowed first; the lines get the rest,
            # in the order of the countermeasures.
            line_left = made - np.minimum(own, made)
            to_qc = made.copy()
            for c, take in planned:
                r, j = c.node - blk.a, c.product
                got = min(take, int(line_left[r, j]))
                line_left[r, j] -= got
                if c.made(t, got):
                    to_qc[r, j] -= got
        if not made.any():
            return
        st.production_due[nodes] -= made
        qc = net.qc_release_days[nodes]
        for days in np.unique(qc[to_qc.any(axis=1)]).tolist():
            day = t + max(1, days)
            held = st.quarantine.get(day)
            if held is None:
                held = st.quarantine[day] = np.zeros_like(st.on_hand)
            held[nodes] += np.where((qc == days)[:, None], to_qc, 0)

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


def _plan_lines(blk: Block, lines: list[Conversion], makes: np.ndarray, qty: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Today's made-or-bought split with conversions: (makes, qty) for the block's rows.

    A running line makes its product at its node; a node with no other source of a converted
    product orders none of it while its line is not running (nothing could come).
    """
    makes = makes.copy()
    for c in lines:
        if c.running:
            makes[c.node - blk.a, c.product] = True
    idle = [c for c in lines if not c.other_source and not makes[c.node - blk.a, c.product]]
    if idle:
        qty = qty.copy()
        for c in idle:
            qty[c.node - blk.a, c.product] = 0
    return makes, qty
