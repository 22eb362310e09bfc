"""Stock is conserved to the unit and never negative, in every run (property tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import sim
from tests.strategies import scenarios

FLOWS_IN = ["initial", "initial_in_qc", "received", "produced"]
FLOWS_OUT = ["shipped", "consumed", "expired", "destroyed", "final", "recalled"]


def assert_ledger_balances(res: sim.RunResult) -> None:
    led = res.ledger
    assert list(led.columns) == ["replication", "node", "product", *FLOWS_IN, *FLOWS_OUT,
                                 "in_transit_at_end"]
    inflow = led[FLOWS_IN].sum(axis=1)
    outflow = led[FLOWS_OUT].sum(axis=1)
    assert (inflow == outflow).all(), led[inflow != outflow]
    # What left a supplier was received or is still on its way.
    by = led.groupby(["replication", "product"], observed=True)
    assert (by["shipped"].sum() == by["received"].sum() + by["in_transit_at_end"].sum()).all()
    assert (led[[*FLOWS_IN, *FLOWS_OUT, "in_transit_at_end"]] >= 0).all().all()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_ledger_balances_and_nothing_goes_negative(data):
    sc = sim.from_dict(data)
    res = sim.run(sc, replications=2)
    assert_ledger_balances(res)
    daily = res.daily
    for column in ("on_hand", "backorders", "inbound_in_transit", "demand", "served"):
        assert (daily[column] >= 0).all(), column
    assert (daily["served"] <= daily["demand"]).all()
    kpis = res.kpis
    assert ((kpis["fill_rate"].dropna() >= 0) & (kpis["fill_rate"].dropna() <= 1)).all()
    # The last day's on-hand stock is the ledger's final stock.
    last = daily[daily["day"] == sc.horizon_days - 1].set_index(
        ["replication", "node", "product"])["on_hand"]
    final = res.ledger.set_index(["replication", "node", "product"])["final"]
    assert np.array_equal(last.sort_index().values, final.reindex(last.index).sort_index().values)


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
SHIPPED = sorted(SCENARIOS.rglob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenarios_balance(path):
    # One case per file, so that parallel workers share them out.
    res = sim.run(sim.load_scenario(path), seed=3, replications=1, daily="none")
    assert_ledger_balances(res)
