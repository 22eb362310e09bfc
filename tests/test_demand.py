"""Demand distributions and time-varying multipliers."""

from __future__ import annotations

import numpy as np
from scipy import stats

import sim
from tests.conftest import node, scenario, series


def ward_with(demand: dict, horizon: int = 10) -> sim.Scenario:
    src = node("src", role="manufacturer", unlimited=True)
    ward = node("w", policy={"p": {"type": "base_stock", "level": 100}}, demand={"p": demand})
    return scenario([src, ward], [{"from": "src", "to": "w", "lead_time_days": 1}],
                    horizon=horizon)


def test_deterministic_demand_emits_whole_units_with_the_exact_mean():
    res = sim.run(ward_with({"mean_per_day": 1.5, "distribution": "deterministic"}), seed=1)
    assert series(res, "w", "demand") == [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]


def test_surge_and_profile_multiply_the_mean():
    demand = {"mean_per_day": 2, "distribution": "deterministic",
              "surges": [{"start_day": 2, "duration_days": 2, "factor": 3}],
              "profile": {"points": [[6, 1.0], [8, 2.0]]}}
    res = sim.run(ward_with(demand), seed=1)
    # Surge x3 on days 2-3; the profile is 1 until day 6, rises to 2 by day 8, flat after.
    assert series(res, "w", "demand") == [2, 2, 6, 6, 2, 2, 2, 3, 4, 4]


def _moments_ci(values: np.ndarray, level: float = 0.99) -> tuple[tuple, tuple]:
    """CIs for the mean and the variance of i.i.d. draws.

    The variance interval uses the asymptotic variance of the sample variance,
    (mu4 - sigma^4 (n - 3) / (n - 1)) / n, which holds for heavy-tailed counts too (a
    chi-square interval assumes normal data and is too narrow for negative binomials).
    """
    n = len(values)
    mean, var = values.mean(), values.var(ddof=1)
    z = stats.norm.ppf(0.5 + level / 2)
    half = stats.t.ppf(0.5 + level / 2, n - 1) * np.sqrt(var / n)
    mu4 = ((values - mean) ** 4).mean()
    se_var = np.sqrt((mu4 - var**2 * (n - 3) / (n - 1)) / n)
    return (mean - half, mean + half), (var - z * se_var, var + z * se_var)


def test_poisson_and_negative_binomial_moments():
    for demand, mean, variance in (
        ({"mean_per_day": 4.0}, 4.0, 4.0),
        ({"mean_per_day": 4.0, "distribution": "negative_binomial", "dispersion": 2.0},
         4.0, 4.0 + 16.0 / 2.0),
    ):
        res = sim.run(ward_with(demand, horizon=4000), seed=9)
        draws = np.array(series(res, "w", "demand"), dtype=float)
        (m_lo, m_hi), (v_lo, v_hi) = _moments_ci(draws)
        assert m_lo <= mean <= m_hi
        assert v_lo <= variance <= v_hi


def test_demand_rules_scale_per_bed():
    src = node("src", role="manufacturer", unlimited=True)
    wards = [node(f"w{i}", scale={"beds": beds}) for i, beds in enumerate((10, 30))]
    sc = scenario(
        [src, *wards],
        [{"from": "src", "to": f"w{i}", "lead_time_days": 1} for i in range(2)],
        horizon=4,
        demands=[{"match": {"role": "ward"},
                  "demand": {"mean_per_day": 0.2, "per": "beds", "distribution": "deterministic"}}],
        policies=[{"match": {"role": "ward"},
                   "policy": {"type": "days_of_supply", "reorder_days": 2, "target_days": 5}}],
        stocks=[{"match": {"role": "ward"}, "stock": {"initial_days": 5}}],
    )
    res = sim.run(sc, seed=1)
    assert series(res, "w0", "demand") == [2, 2, 2, 2]
    assert series(res, "w1", "demand") == [6, 6, 6, 6]
    initial = res.ledger.set_index("node")["initial"]
    assert (initial["w0"], initial["w1"]) == (10, 30)
