"""Daily demand draws at every demand point at once."""

from __future__ import annotations

import numpy as np

from sim.network import DIST_DETERMINISTIC, DIST_NEGBIN, DIST_POISSON, Network


class Demand:
    """Draws one day's demand, int[n, p], from the demand stream.

    Poisson and negative binomial cells are drawn in a fixed order every day; deterministic
    cells accumulate their mean and emit whole units (1.5 a day gives 1, 2, 1, 2, ...).
    """

    def __init__(self, net: Network, rng: np.random.Generator) -> None:
        self.rng = rng
        self.shape = (net.n_nodes, net.n_products)
        cells = net.has_demand
        self.poisson = np.flatnonzero((cells & (net.demand_dist == DIST_POISSON)).ravel())
        self.negbin = np.flatnonzero((cells & (net.demand_dist == DIST_NEGBIN)).ravel())
        self.fixed = np.flatnonzero((cells & (net.demand_dist == DIST_DETERMINISTIC)).ravel())
        self.mean = net.demand_mean.ravel()
        self.k = net.demand_dispersion.ravel()
        self.carry = np.zeros(len(self.fixed))

    def draw(self, multiplier: np.ndarray | None) -> np.ndarray:
        """Demand for one day; `multiplier` (float[n, p]) scales the means when given."""
        mean = self.mean if multiplier is None else self.mean * multiplier.ravel()
        out = np.zeros(self.shape[0] * self.shape[1], dtype=np.int64)
        if len(self.poisson):
            out[self.poisson] = self.rng.poisson(mean[self.poisson])
        if len(self.negbin):
            m, k = mean[self.negbin], self.k[self.negbin]
            out[self.negbin] = self.rng.negative_binomial(k, k / (k + m))
        if len(self.fixed):
            total = self.carry + mean[self.fixed]
            whole = np.floor(total + 1e-9)
            self.carry = total - whole
            out[self.fixed] = whole.astype(np.int64)
        return out.reshape(self.shape)
