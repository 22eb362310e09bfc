"""Substitution: unmet own demand for a product is served from another, at a ratio.

Right after a node has served (its own demand, its customers), what is still unserved of
`product` (backorders, and today's unmet demand, or today's lost demand where unmet demand is
lost) is served from the node's remaining stock of `by`, `ratio` units of `by` per unit, as far
as whole units of `by` go (ceil(s x ratio) units of `by` for s units). Older backorders first,
then today's; with care priorities, class by class in the node's tier order. Units served
today count as served on the day asked (fill rate), and as `substituted` at (node, product);
the `by` units count as consumed.
"""

from __future__ import annotations

import numpy as np

from sim.countermeasures.triggers import Trigger
from sim.network import Network, node_mask
from sim.scenario import countermeasures as cm
from sim.state import State

_EPS = 1e-9


class Substitution:
    """One substitution rule."""

    def __init__(self, net: Network, spec: cm.Substitution, trigger: Trigger) -> None:
        self.spec = spec
        self.trigger = trigger
        self.product = net.product_ids.index(spec.product)
        self.by = net.product_ids.index(spec.by)
        self.ratio = spec.ratio
        self.nodes = node_mask(net.nodes, spec.match) & ~net.unlimited & net.has_demand[
            :, self.product]
        self.units = 0

    def apply(self, st: State, a: int, b: int, loses: np.ndarray, classes: int,
              class_order: np.ndarray) -> np.ndarray | None:
        """Substitute at the rule's nodes in rows [a, b); returns (rows, units) or None."""
        rows = a + np.flatnonzero(self.nodes[a:b])
        if not len(rows):
            return None
        j, by = self.product, self.by
        avail = np.floor(st.on_hand[rows, by] / self.ratio + _EPS).astype(np.int64)
        lost = loses[rows]
        if classes == 1:
            today = st.demand[rows, j] - st.served[rows, j]
            wait = np.where(lost, st.lost[rows, j], st.backorder[rows, j])
            s = np.minimum(wait, avail)
            if not s.any():
                return None
            old = np.where(lost, 0, wait - today)
            new = np.maximum(s - old, 0)
            st.served[rows, j] += new
            st.backorder[rows, j] -= np.where(lost, 0, s)
            st.lost[rows, j] -= np.where(lost, s, 0)
        else:
            s = np.zeros(len(rows), dtype=np.int64)
            left = avail.copy()
            order = class_order[rows]
            for r in range(classes):
                c = order[:, r]
                today = st.demand_k[c, rows, j] - st.served_k[c, rows, j]
                wait = np.where(lost, today, st.backorder_k[c, rows, j])
                got = np.minimum(wait, left)
                left -= got
                s += got
                old = np.where(lost, 0, wait - today)
                new = np.maximum(got - old, 0)
                st.served_k[c, rows, j] += new
                st.served[rows, j] += new
                st.backorder_k[c, rows, j] -= np.where(lost, 0, got)
                st.lost[rows, j] -= np.where(lost, got, 0)
            if not s.any():
                return None
            st.backorder[rows, j] = st.backorder_k[:, rows, j].sum(axis=0)
        used = np.ceil(s * self.ratio - _EPS).astype(np.int64)
        st.on_hand[rows, by] -= used
        st.consumed[rows, by] += used
        if st.cohorts is not None and st.cohorts.column[by] >= 0:
            st.cohorts.take_cells(st.cohorts.cells(rows, np.full(len(rows), by)), used)
        # The substitute ran out today: a stockout day of it where it was asked for.
        gone = (st.on_hand[rows, by] == 0) & (used > 0)
        if gone.any():
            # (It had stock when the day's serving ended, so its count of empty days was 0.)
            st.empty_days[rows[gone], by] = 1
            st.short[rows[gone], by] |= st.demand[rows[gone], by] > 0
        self.units += int(s.sum())
        keep = s > 0
        return np.stack([rows[keep], s[keep]])
