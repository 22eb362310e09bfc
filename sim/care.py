"""Demand from care activity: admissions, the census of patients in care, and what they use.

Each day, at the start (docs/engine.md, "Care activity"):
1. patients whose stay ends today leave the census;
2. today's admissions are drawn per (node, category): Poisson at the mean admissions (or
   whole units of a deterministic mean, fractions carried), in the scenario's node order from
   the admissions stream; a `demand_surge` on categories adds Poisson(mean x (factor - 1))
   from a separate stream (or thins binomially below 1), so surges never shift the base draws;
3. each admission draws its stay from the stay stream, in the same order, and joins the census
   for max(1, ceil(stay)) days (an admission on day t is in care on days t .. t + days - 1);
4. the units each node needs of each product are census x (per patient-day + staff shifts per
   patient-day x per shift) + admissions x per admission, summed over the categories of each
   priority; whole units are taken with the fraction carried to the next day, per node,
   priority and product.

Only admissions and stays are random: norms multiply them, so a variant that changes a norm
sees exactly the same patients everywhere, and the same demand at every other node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.network import Network
from sim.records import EventChunk

if TYPE_CHECKING:
    from sim.rationing import Rationing

# Whole units of an expected amount are taken with this tolerance: 0.1 x 30 is 3, not 2.
_EPS = 1e-9


class CareDemand:
    """Patients in care at every node and the units they use each day."""

    def __init__(self, net: Network, admissions: np.random.Generator,
                 stays: np.random.Generator, change: np.random.Generator, days: int) -> None:
        ca = net.care
        assert ca is not None
        self.net = net
        self.care = ca
        self.admission_rng, self.stay_rng, self.change_rng = admissions, stays, change
        self.days = days
        n, c = ca.admissions.shape
        self.shape = (n, c)
        # Cells drawn in the scenario's node order, whatever order the engine keeps nodes in.
        rank = (net.scenario_index[:, None] * c + np.arange(c)).ravel()

        def cells_of(mask: np.ndarray) -> np.ndarray:
            flat = np.flatnonzero(mask.ravel())
            return flat[np.argsort(rank[flat], kind="stable")]

        self.poisson = cells_of((ca.admissions > 0) & ~ca.fixed)
        self.fixed = cells_of((ca.admissions > 0) & ca.fixed)
        self.mean = ca.admissions.ravel()
        self.fixed_carry = np.zeros(len(self.fixed))
        self.census = np.zeros((n, c), dtype=np.int64)
        # Patients leaving at the start of each day (day `days`: still in care at the end).
        self.leaving = np.zeros((days + 1, n, c), dtype=np.int64)
        # Only nodes with admissions have patients: the norms are applied to their rows alone.
        self.rows = np.flatnonzero((ca.admissions > 0).any(axis=1))
        self.per_census = (ca.per_patient_day + ca.per_shift)[self.rows]  # float[r, c, p]
        self.per_admission = ca.per_admission[self.rows]
        self.carry = np.zeros((3, n, net.n_products))
        # Which priority each category has, one-hot: float[3, c].
        self.by_priority = (ca.priority[None, :] == np.arange(3)[:, None]).astype(float)
        # Admissions waiting under a rationing rule, by the day they came.
        self.waiting = np.zeros((days + 1, n, c), dtype=np.int64)
        self.any_waiting = False
        # Per (node, category), summed over the days after warm-up: the care table.
        self.warmup = 0
        self.tally = {k: np.zeros((n, c), dtype=np.int64) for k in (
            "admissions", "deferred_admissions", "cancelled_admissions", "patient_days")}
        # Rationing: demand as it would be without conservation, and what it saved.
        self.shadow_carry = np.zeros((3, len(self.rows), net.n_products))
        self.conserved = np.zeros((n, net.n_products), dtype=np.int64)  # today
        self.conserving = False  # carry or conserved may be non-zero
        self.events: list[EventChunk] = []  # where deferrals and cancellations are logged

    def draw(self, t: int, multiplier: np.ndarray | None, rationing: Rationing | None = None
             ) -> np.ndarray:
        """Today's care demand by priority (imperative, urgent, deferrable), int[3, n, p].

        `multiplier` (float[n, c]) scales admissions; `rationing` defers admissions and
        conserves products where its rules are active today.
        """
        self.census -= self.leaving[t]
        admitted = self._admit(multiplier)
        deferred = cancelled = None
        if rationing is not None:
            admitted, deferred, cancelled = self._ration(t, admitted, rationing)
            for kind, counts in (("admissions_deferred", deferred),
                                 ("admissions_cancelled", cancelled)):
                per_node = counts.sum(axis=1)
                nodes = np.flatnonzero(per_node)
                if len(nodes):
                    nodes = nodes[np.argsort(self.net.scenario_index[nodes], kind="stable")]
                    self.events.append(EventChunk(t, kind, nodes, np.full(len(nodes), -1),
                                                  per_node[nodes].astype(float), ""))
        flat = admitted.ravel()
        total = int(flat.sum())
        if total:
            cells = np.repeat(np.arange(flat.size), flat)
            category = cells % self.shape[1]
            stay = self.care.stay.sample_each(self.stay_rng, category)
            days = np.maximum(1, np.ceil(stay - _EPS)).astype(np.int64)
            # On the flat array: numpy's one-dimensional add.at is many times faster.
            leave = np.minimum(t + days, self.days) * flat.size + cells
            np.add.at(self.leaving.reshape(-1), leave, 1)
            self.census += admitted
        if t >= self.warmup:
            tally = self.tally
            tally["admissions"] += admitted
            tally["patient_days"] += self.census
            if deferred is not None:
                tally["deferred_admissions"] += deferred
                tally["cancelled_admissions"] += cancelled
        rows = self.rows
        units = (self.census[rows, :, None] * self.per_census
                 + admitted[rows, :, None] * self.per_admission)
        expected = np.einsum("kc,ncp->knp", self.by_priority, units)
        whole_rows = np.floor(expected + self.shadow_carry + _EPS)
        self.shadow_carry = np.maximum(expected + self.shadow_carry - whole_rows, 0.0)
        conserve = None if rationing is None else rationing.conserve
        if conserve is None:
            if self.conserving:
                self.carry.fill(0.0)
                self.conserved.fill(0)
                self.conserving = False
            out = np.zeros(self.carry.shape, dtype=np.int64)
            out[:, rows] = whole_rows
            return out
        self.conserving = True
        whole = np.zeros(self.carry.shape)
        whole[:, rows] = whole_rows
        # Conservation thins the day's whole units: (1 - conserve) of them are saved, whole
        # units with the fraction carried per cell (self.carry), so 0 <= saved <= asked every
        # day and `conserved` is exactly what the same draws would have used without it.
        share = np.broadcast_to(1.0 - conserve[None], whole.shape)
        saved = np.floor(whole * share + self.carry + _EPS)
        saved = np.minimum(saved, whole)
        self.carry = np.where(share > 0, np.maximum(whole * share + self.carry - saved, 0.0),
                              0.0)
        kept = whole - saved
        self.conserved = saved.sum(axis=0).astype(np.int64)
        return kept.astype(np.int64)

    def _ration(self, t: int, admitted: np.ndarray, rationing: Rationing
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """New admissions of deferred priorities wait.

        The waiting are admitted once no rule defers them any more, oldest first, at most
        ceil(catch_up x the node's mean daily admissions of the category) a day (at least one)
        on top of the day's new admissions; or cancelled once they have waited longer than
        `cancel_after_days` while deferred.
        """
        prio = self.care.priority
        defer = rationing.defer[:, prio]  # bool[n, c]
        deferred = np.where(defer, admitted, 0)
        cancelled = np.zeros_like(admitted)
        if deferred.any():
            self.waiting[t] += deferred
            admitted = admitted - deferred
            self.any_waiting = True
        if self.any_waiting:
            released = ~defer
            if released.any():
                # Oldest first, at most the catch-up a day on top of new admissions: working
                # through the backlog at once would empty the wards' stocks in a day.
                mean = self.mean.reshape(self.shape)
                cap = np.where(released, np.maximum(np.ceil(
                    rationing.catch_up[:, None] * mean - 1e-9), 1), 0).astype(np.int64)
                waiting = self.waiting[: t + 1]
                before = np.cumsum(waiting, axis=0) - waiting
                take = np.minimum(waiting, np.maximum(cap[None] - before, 0))
                admitted = admitted + take.sum(axis=0)
                waiting -= take
            cancel = rationing.cancel[:, prio]  # days, inf for never
            if np.isfinite(cancel).any():
                came = np.arange(t + 1)[:, None, None]
                late = (t - came > cancel[None]) & defer[None]
                gone = np.where(late, self.waiting[: t + 1], 0)
                cancelled = gone.sum(axis=0)
                self.waiting[: t + 1] -= gone
            self.any_waiting = bool(self.waiting.any())
        return admitted, deferred, cancelled

    def _admit(self, multiplier: np.ndarray | None) -> np.ndarray:
        out = np.zeros(self.shape[0] * self.shape[1], dtype=np.int64)
        factor = None if multiplier is None else multiplier.ravel()
        if len(self.poisson):
            cells = self.poisson
            base = self.mean[cells]
            drawn = self.admission_rng.poisson(base)
            if factor is not None:
                f = factor[cells]
                up, down = f > 1.0, f < 1.0
                if up.any():
                    drawn[up] += self.change_rng.poisson(base[up] * (f[up] - 1.0))
                if down.any():
                    drawn[down] = self.change_rng.binomial(drawn[down], np.maximum(f[down], 0))
            out[cells] = drawn
        if len(self.fixed):
            mean = self.mean[self.fixed]
            if factor is not None:
                mean = mean * factor[self.fixed]
            total = self.fixed_carry + mean
            whole = np.floor(total + _EPS)
            self.fixed_carry = total - whole
            out[self.fixed] = whole.astype(np.int64)
        return out.reshape(self.shape)
