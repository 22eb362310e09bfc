"""More initial stock at a ward never lowers its fill rate under the same random draws."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from tests.conftest import node, scenario
from tests.strategies import lead_times


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    initial=st.integers(0, 40),
    extra=st.integers(1, 40),
    level=st.integers(0, 30),
    lam=st.floats(0.1, 6),
    lead=lead_times(),
    unmet=st.sampled_from(["backorder", "lost"]),
    seed=st.integers(0, 10_000),
)
def test_more_initial_stock_never_lowers_fill_rate(initial, extra, level, lam, lead, unmet, seed):
    def fill_rate(stock: int) -> float:
        ward = node("w", stock={"p": {"initial": stock}}, unmet_demand=unmet,
                    policy={"p": {"type": "base_stock", "level": level}},
                    demand={"p": {"mean_per_day": lam}})
        src = node("src", role="manufacturer", unlimited=True)
        sc = scenario([src, ward], [{"from": "src", "to": "w", "lead_time_days": lead}],
                      horizon=80)
        kpis = sim.run(sc, seed=seed).kpis
        return float(kpis["served"].sum() / max(kpis["demand"].sum(), 1))

    assert fill_rate(initial + extra) >= fill_rate(initial)
