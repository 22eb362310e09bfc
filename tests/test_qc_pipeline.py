"""Makers with a QC hold start with their pipeline full (issue 12; docs/engine.md, "QC release").

A batch made on day t is released on day t + Q. Before, every maker started with an empty
quarantine, so nothing was released on days 0..Q-1 and a maker running at its capacity lost Q
days of output for good: the Halden plant's saleable stock dipped just as the crisis scenarios
started. Now the pipeline is seeded as if the maker had made its normal flow (at most its
capacity) on days -Q..-1, counted in its position and booked in the ledger's `initial_in_qc`.
"""

from __future__ import annotations

import numpy as np

import sim
from sim.network import initial_qc_pipeline, network_of
from tests.conftest import node, scenario, series
from tests.test_conservation import assert_ledger_balances


def fixed(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def maker_and_ward(capacity: float, demand: float, qc: float, level: int, initial: int = 20,
                   horizon: int = 8) -> sim.Scenario:
    """A maker (base stock `level`, `initial` on hand) and a ward drawing `demand` a day."""
    maker = node("m", role="manufacturer", capacity={"p": capacity}, qc_release_days=qc,
                 stock={"p": {"initial": initial}},
                 policy={"p": {"type": "base_stock", "level": level}})
    ward = node("w", stock={"p": {"initial": 10}}, demand={"p": fixed(demand)},
                policy={"p": {"type": "base_stock", "level": 10}})
    return scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}],
                    horizon=horizon)


def test_a_maker_at_capacity_keeps_its_stock_from_day_0():
    # Capacity 5 = the ward's demand 5 a day, QC 3 days. The pipeline holds 5 due on days 0, 1
    # and 2; each day 5 are released, 5 shipped, and the maker's position (20 on hand + 10 still
    # in QC after shipping) is 30 <= 34, so it plans 5 more (level 35 = 20 + 15 in the
    # pipeline). Saleable stock stays at 20 for 2Q days and beyond. Before, nothing came out of
    # QC on days 0-2: 15, 10, 5, and it stayed at 5 (no capacity to catch up).
    res = sim.run(maker_and_ward(capacity=5, demand=5, qc=3, level=35), seed=1)
    assert series(res, "m", "on_hand") == [20] * 8
    assert series(res, "m", "orders_shipped") == [5] * 8
    assert series(res, "w", "served") == [5] * 8
    led = res.ledger.set_index("node").loc["m"]
    # 15 from before day 0, 5 a day made on days 0-4 and released on days 3-7.
    assert (led.initial, led.initial_in_qc, led.produced, led.shipped, led.final) == (
        20, 15, 25, 40, 20)
    assert_ledger_balances(res)


def test_the_production_plan_counts_the_opening_pipeline():
    # Capacity 10, twice the draw: a plan that did not see the 15 units in QC would order 15 on
    # day 0 and make 10 at once, and the maker's stock would rise to 30 on day 3. With the
    # pipeline in its position it makes exactly what it ships.
    res = sim.run(maker_and_ward(capacity=10, demand=5, qc=3, level=35), seed=1)
    assert series(res, "m", "on_hand") == [20] * 8
    assert_ledger_balances(res)


def test_the_pipeline_is_the_normal_flow_in_whole_units_by_the_carry_rule():
    # 2.5 a day over 3 days: 2, 3, 2 (production's carry: floor with the fraction carried), 7
    # in all, floor(3 x 2.5); at a capacity of 1.5 below the flow, the capacity: 1, 2, 1.
    for capacity, expected in ((10, [2, 3, 2]), (1.5, [1, 2, 1])):
        net = network_of(maker_and_ward(capacity=capacity, demand=2.5, qc=3, level=20))
        m = net.node_ids.index("m")
        assert net.initial_in_qc[:, m, 0].tolist() == expected
    # Several makers with different QC days: each is seeded for its own days only.
    flow = np.array([[2.5], [1.0], [4.0]])
    pipe = initial_qc_pipeline(np.array([3, 1, 0]), np.ones((3, 1), dtype=bool), flow)
    assert pipe[:, :, 0].tolist() == [[2, 1, 0], [3, 0, 0], [2, 0, 0]]


def test_makers_without_a_qc_hold_start_as_before():
    # qc_release_days 0: no pipeline, so outputs of such scenarios are unchanged. Such a maker
    # still releases a batch the day after it is made (docs/engine.md), so its day 0 has no
    # release: at capacity it is one day's output short for good, 15 where a QC maker keeps 20.
    sc = maker_and_ward(capacity=5, demand=5, qc=0, level=25)
    net = network_of(sc)
    assert net.initial_in_qc.shape[0] == 0
    res = sim.run(sc, seed=1)
    assert series(res, "m", "on_hand") == [15] * 8
    assert res.ledger["initial_in_qc"].eq(0).all()
    assert_ledger_balances(res)


def test_a_horizon_shorter_than_the_qc_days_books_what_was_released():
    # 2 days of a 3-day pipeline: 10 of the 15 units come out; the rest stays in QC, not stock,
    # like any batch still in QC at the end. The ledger balances to the unit.
    res = sim.run(maker_and_ward(capacity=5, demand=5, qc=3, level=35, horizon=2), seed=1)
    led = res.ledger.set_index("node").loc["m"]
    assert (led.initial_in_qc, led.produced) == (10, 0)
    assert_ledger_balances(res)


def test_the_pipeline_gets_a_full_shelf_life_at_release():
    # Batches of the opening pipeline are released like any other: with the full shelf life,
    # into the age cohorts (the ledger and the cohorts agree, tests/test_supply.py).
    products = {"p": {"name": "Product", "group": "g", "unit": "unit", "shelf_life_days": 30}}
    maker = node("m", role="manufacturer", capacity={"p": 5}, qc_release_days=3,
                 stock={"p": {"initial": 20}},
                 policy={"p": {"type": "base_stock", "level": 35}})
    ward = node("w", stock={"p": {"initial": 10}}, demand={"p": fixed(5)},
                policy={"p": {"type": "base_stock", "level": 10}})
    sc = scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}],
                  horizon=40, products=products)
    res = sim.run(sc, seed=1)
    assert_ledger_balances(res)
    assert res.ledger.set_index("node").loc["m"].initial_in_qc == 15
