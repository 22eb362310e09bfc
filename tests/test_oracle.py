"""Analytic oracle: a single ward with base stock S, Poisson demand, lead time L, backorders.

With this engine's day order (receive, serve, order; an order placed on day t arrives at the
start of day t + L), the inventory position after ordering is always S, so:
- stock available for day t's demand after clearing backorders is (S - Y)^+, Y ~ Poisson((L-1)λ),
  and the fill rate is E[min(D, (S - Y)^+)] / λ with D ~ Poisson(λ) independent of Y;
- end-of-day backorders are (X - S)^+ with X ~ Poisson(Lλ).
The simulated means over independent replications must contain the closed form in their
99 % confidence interval (Student t over replication means).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import sim
from tests.conftest import node, scenario


def closed_form(S: int, L: int, lam: float) -> tuple[float, float]:
    k = np.arange(0, 400)
    y = stats.poisson.pmf(k, (L - 1) * lam)
    d = stats.poisson.pmf(k, lam)
    available = np.maximum(S - k, 0)
    fill = (y[:, None] * d[None, :] * np.minimum(k[None, :], available[:, None])).sum() / lam
    backorders = (stats.poisson.pmf(k, L * lam) * np.maximum(k - S, 0)).sum()
    return float(fill), float(backorders)


def ci(values: np.ndarray, level: float = 0.99) -> tuple[float, float]:
    n = len(values)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / np.sqrt(n)
    return values.mean() - half, values.mean() + half


@pytest.mark.parametrize(("S", "L", "lam"), [(8, 5, 1.0), (12, 3, 3.0), (3, 1, 2.0)])
def test_base_stock_poisson_matches_closed_form(S, L, lam):
    ward = node("w", stock={"p": {"initial": S}},
                policy={"p": {"type": "base_stock", "level": S}},
                demand={"p": {"mean_per_day": lam}})
    src = node("src", role="manufacturer", unlimited=True)
    warmup = 50
    sc = scenario([src, ward], [{"from": "src", "to": "w", "lead_time_days": L}],
                  horizon=2000, warmup=warmup)
    res = sim.run(sc, seed=2024, replications=20)
    fill, backorders = closed_form(S, L, lam)
    lo, hi = ci(res.kpis["fill_rate"].to_numpy())
    assert lo <= fill <= hi, (lo, fill, hi)
    d = res.daily[res.daily["day"] >= warmup]
    per_rep = d.groupby("replication")["backorders"].mean().to_numpy()
    lo, hi = ci(per_rep)
    assert lo <= backorders <= hi, (lo, backorders, hi)
