"""Daily demand draws at every demand point at once.

Common random numbers across variants. The base demand of every cell is drawn from the demand
stream at the cell's own mean, whatever multiplies it today; a surge or a profile above 1 adds
Poisson(mean x (multiplier - 1)) from a separate stream, and a multiplier below 1 thins the base
binomially. Both are exact: a Poisson sum is Poisson, a binomially thinned Poisson is Poisson,
so the day's demand is Poisson(mean x multiplier) as before. But the base draws no longer depend
on surges, so two variants that differ only in a surge, a disruption, stock or policy see the
same base demand at every demand point. Negative binomial demand is drawn as its gamma-Poisson
mixture for the same reason: the gamma factor comes from the demand stream and does not depend
on the mean.

What still shifts the draws: numpy's samplers use a number of random values that depends on the
mean, so a variant that changes a demand point's own mean (`mean_per_day`, adds or removes
demand points) changes the base draws of the cells after it in the stream.
"""

from __future__ import annotations

import numpy as np

from sim.network import DIST_DETERMINISTIC, DIST_NEGBIN, DIST_POISSON, Network


class Demand:
    """Draws one day's demand, int[n, p]: base from `rng`, multiplier changes from `change_rng`.

    Poisson and negative binomial cells are drawn in a fixed order every day; deterministic
    cells accumulate their mean and emit whole units (1.5 a day gives 1, 2, 1, 2, ...).
    """

    def __init__(self, net: Network, rng: np.random.Generator,
                 change_rng: np.random.Generator) -> None:
        self.rng = rng
        self.change_rng = change_rng
        self.shape = (net.n_nodes, net.n_products)
        cells = net.plain_demand
        # Cells are drawn in the scenario's node order, whatever order the engine keeps nodes in.
        p = net.n_products
        rank = (net.scenario_index[:, None] * p + np.arange(p)).ravel()

        def cells_of(kind: int) -> np.ndarray:
            flat = np.flatnonzero((cells & (net.demand_dist == kind)).ravel())
            return flat[np.argsort(rank[flat], kind="stable")]

        self.poisson = cells_of(DIST_POISSON)
        self.negbin = cells_of(DIST_NEGBIN)
        self.fixed = cells_of(DIST_DETERMINISTIC)
        self.mean = net.demand_mean.ravel()
        self.k = net.demand_dispersion.ravel()
        self.carry = np.zeros(len(self.fixed))

    def draw(self, multiplier: np.ndarray | None, into: np.ndarray | None = None) -> np.ndarray:
        """Demand for one day; `multiplier` (float[n, p]) scales the means when given.

        Written into `into` (a contiguous int[n, p], overwritten) when given.
        """
        if into is None:
            into = np.zeros(self.shape, dtype=np.int64)
        else:
            into.fill(0)
        out = into.reshape(-1)  # a view
        factor = None if multiplier is None else multiplier.ravel()
        if len(self.poisson):
            cells = self.poisson
            base = self.mean[cells]
            out[cells] = self._scaled(self.rng.poisson(base), base, cells, factor)
        if len(self.negbin):
            cells = self.negbin
            k = self.k[cells]
            # NB(k, mean m) is Poisson(m x G) with G ~ Gamma(k, 1/k).
            base = self.mean[cells] * self.rng.gamma(k, 1.0 / k)
            out[cells] = self._scaled(self.rng.poisson(base), base, cells, factor)
        if len(self.fixed):
            mean = self.mean[self.fixed] if factor is None else (
                self.mean[self.fixed] * factor[self.fixed])
            total = self.carry + mean
            whole = np.floor(total + 1e-9)
            self.carry = total - whole
            out[self.fixed] = whole.astype(np.int64)
        return into

    def _scaled(self, drawn: np.ndarray, base: np.ndarray, cells: np.ndarray,
                factor: np.ndarray | None) -> np.ndarray:
        """Base draws scaled by today's multiplier: extra demand added, or the base thinned."""
        if factor is None:
            return drawn
        f = factor[cells]
        up, down = f > 1.0, f < 1.0
        if up.any():
            drawn[up] += self.change_rng.poisson(base[up] * (f[up] - 1.0))
        if down.any():
            drawn[down] = self.change_rng.binomial(drawn[down], np.maximum(f[down], 0.0))
        return drawn
