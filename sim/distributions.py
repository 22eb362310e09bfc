"""Turn `Distribution` specs (a number, deterministic, uniform, triangular, lognormal) into draws.

Draws are made by transforming standard uniforms and normals that are drawn whatever the spec
is, so changing one lane's distribution leaves every other lane's draws unchanged (common random
numbers between variants).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sim.scenario import schema


def _params(spec: object) -> tuple[int, float, float, float]:
    """(kind, a, b, c): 0 fixed a; 1 uniform a..b; 2 triangular a, mode c, b; 3 lognormal."""
    if isinstance(spec, int | float):
        return 0, float(spec), 0.0, 0.0
    if isinstance(spec, schema.Deterministic):
        return 0, spec.value, 0.0, 0.0
    if isinstance(spec, schema.Uniform):
        return 1, spec.low, spec.high, 0.0
    if isinstance(spec, schema.Triangular):
        if spec.high == spec.low:
            return 0, spec.low, 0.0, 0.0
        return 2, spec.low, spec.high, spec.mode
    if isinstance(spec, schema.Lognormal):
        sigma2 = math.log1p((spec.sd / spec.mean) ** 2)
        return 3, math.log(spec.mean) - sigma2 / 2, math.sqrt(sigma2), 0.0
    raise TypeError(f"not a distribution: {spec!r}")


class Sampler:
    """Vectorised sampling of one spec per column."""

    def __init__(self, specs: Sequence[object]) -> None:
        params = np.array([_params(s) for s in specs], dtype=float).reshape(-1, 4)
        self.kind = params[:, 0].astype(int)
        self.a, self.b, self.c = params[:, 1], params[:, 2], params[:, 3]
        self.random = bool((self.kind != 0).any())
        # The one kind every column has, if they all have the same (draws skip the masks).
        kinds = np.unique(self.kind)
        self.only = int(kinds[0]) if len(kinds) == 1 else None

    def mean(self) -> np.ndarray:
        """The mean of each column's distribution."""
        out = self.a.copy()
        uni = self.kind == 1
        out[uni] = (self.a[uni] + self.b[uni]) / 2
        tri = self.kind == 2
        out[tri] = (self.a[tri] + self.b[tri] + self.c[tri]) / 3
        logn = self.kind == 3
        out[logn] = np.exp(self.a[logn] + self.b[logn] ** 2 / 2)
        return out

    def sample_each(self, rng: np.random.Generator, columns: np.ndarray) -> np.ndarray:
        """One draw for each entry of `columns` (column indices); consumes 2 x len numbers.

        For a variable number of draws per column, such as a stay per admission.
        """
        k = len(columns)
        u = rng.random(k)
        z = rng.standard_normal(k)
        if self.only == 3:  # all lognormal, as stays usually are: the same arithmetic, unmasked
            return np.exp(self.a[columns] + self.b[columns] * z)
        sub = Sampler.__new__(Sampler)
        sub.kind, sub.a, sub.b, sub.c = (self.kind[columns], self.a[columns],
                                         self.b[columns], self.c[columns])
        sub.random = bool((sub.kind != 0).any())
        sub.only = None
        return sub._transform(u[None, :], z[None, :])[0]

    def sample(self, rng: np.random.Generator, rows: int) -> np.ndarray:
        """A (rows, columns) array of draws; always consumes 2 x rows x columns numbers."""
        cols = len(self.kind)
        u = rng.random((rows, cols))
        z = rng.standard_normal((rows, cols))
        return self._transform(u, z)

    def _transform(self, u: np.ndarray, z: np.ndarray) -> np.ndarray:
        """Draws from uniforms `u` and standard normals `z`, one column per spec."""
        rows, cols = u.shape
        out = np.broadcast_to(self.a, (rows, cols)).copy()
        if not self.random:
            return out
        uni = self.kind == 1
        out[:, uni] = self.a[uni] + u[:, uni] * (self.b[uni] - self.a[uni])
        tri = self.kind == 2
        if tri.any():
            lo, hi, mode = self.a[tri], self.b[tri], self.c[tri]
            ut = u[:, tri]
            cut = (mode - lo) / (hi - lo)
            left = lo + np.sqrt(ut * (hi - lo) * (mode - lo))
            right = hi - np.sqrt((1 - ut) * (hi - lo) * (hi - mode))
            out[:, tri] = np.where(ut < cut, left, right)
        logn = self.kind == 3
        out[:, logn] = np.exp(self.a[logn] + self.b[logn] * z[:, logn])
        return out
