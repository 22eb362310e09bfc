"""Exact traces of the day order, computed by hand (docs/engine.md)."""

from __future__ import annotations

import sim
from tests.conftest import node, scenario, series

UNLIMITED = node("src", role="manufacturer", unlimited=True)


def fixed(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def test_single_ward_backorders_and_same_day_orders():
    # Level 4, lead time 3, demand exactly 2 a day: the pipeline cannot cover the lead time.
    ward = node("w", stock={"p": {"initial": 4}},
                policy={"p": {"type": "base_stock", "level": 4}}, demand={"p": fixed(2)})
    sc = scenario([UNLIMITED, ward], [{"from": "src", "to": "w", "lead_time_days": 3}],
                  horizon=6, reporting={"dos_thresholds": [1]})
    res = sim.run(sc, seed=1)
    # day 0: 4 - 2 = 2, order 2 (arrives day 3); day 1: 0, order 2 (day 4);
    # day 2: demand 2 unmet -> backorder 2, order 2 (day 5); day 3 on: 2 arrive, fill the
    # backorder, today's 2 are backordered again.
    assert series(res, "w", "on_hand") == [2, 0, 0, 0, 0, 0]
    assert series(res, "w", "backorders") == [0, 0, 2, 2, 2, 2]
    assert series(res, "w", "inbound_in_transit") == [2, 4, 6, 6, 6, 6]
    assert series(res, "w", "demand") == [2] * 6
    assert series(res, "w", "served") == [2, 2, 0, 0, 0, 0]
    # No days-of-supply alarm: this ward's normal floor (reorder point 3 units = 1.5 days, less
    # 3 days of lead time) is below any threshold, so running low is its routine.
    events = [(e.day, e.kind, e.node) for e in res.events.itertuples()]
    # Day 1 ends with nothing on hand after serving demand: a stockout day (docs/engine.md).
    assert events == [(1, "stockout_start", "w")]
    led = res.ledger.set_index("node").loc["w"]
    assert (led.initial, led.received, led.consumed, led.final, led.in_transit_at_end) == (
        4, 6, 10, 0, 6)


def test_fractional_lead_time_rounds_up():
    ward = node("w", policy={"p": {"type": "base_stock", "level": 1}}, demand={"p": fixed(0)})
    sc = scenario([UNLIMITED, ward], [{"from": "src", "to": "w", "lead_time_days": 1.5}],
                  horizon=4)
    res = sim.run(sc, seed=1)
    # Ordered on day 0 with L = 1.5: received at the start of day ceil(1.5) = 2.
    assert series(res, "w", "on_hand") == [0, 0, 1, 1]


def test_short_supplier_allocates_pro_rata_in_whole_units():
    pharmacy = node("ph", role="hospital_pharmacy", stock={"p": {"initial": 5}},
                    policy={"p": {"type": "none"}})
    w1 = node("w1", policy={"p": {"type": "base_stock", "level": 6}}, demand={"p": fixed(0)})
    w2 = node("w2", policy={"p": {"type": "base_stock", "level": 3}}, demand={"p": fixed(0)})
    lanes = [{"from": "ph", "to": "w1", "lead_time_days": 1},
             {"from": "ph", "to": "w2", "lead_time_days": 1}]
    res = sim.run(scenario([pharmacy, w1, w2], lanes, horizon=3), seed=1)
    # 9 ordered, 5 on hand: shares 3.33 and 1.67 -> 3 and 1, the spare unit to the larger
    # remainder (w2). Orders placed on day 0 are filled on day 0 and arrive on day 1.
    assert series(res, "w1", "on_hand") == [0, 3, 3]
    assert series(res, "w2", "on_hand") == [0, 2, 2]
    assert series(res, "ph", "backorders") == [4, 4, 4]
    # Day 0 delivers 5 of 9; from day 1 nothing of the 4 owed: a new cut level, one event.
    cut = res.events[res.events["kind"] == "allocation_cut"]
    assert cut[["day", "node", "value"]].values.tolist() == [[0, "ph", 5 / 9], [1, "ph", 0.0]]


def test_priority_tier_served_first():
    pharmacy = node("ph", role="hospital_pharmacy", stock={"p": {"initial": 5}},
                    policy={"p": {"type": "none"}})
    w1 = node("w1", priority=2, policy={"p": {"type": "base_stock", "level": 6}},
              demand={"p": fixed(0)})
    w2 = node("w2", priority=1, policy={"p": {"type": "base_stock", "level": 3}},
              demand={"p": fixed(0)})
    lanes = [{"from": "ph", "to": "w1", "lead_time_days": 1},
             {"from": "ph", "to": "w2", "lead_time_days": 1}]
    res = sim.run(scenario([pharmacy, w1, w2], lanes, horizon=2), seed=1)
    assert series(res, "w2", "on_hand") == [0, 3]
    assert series(res, "w1", "on_hand") == [0, 2]


def test_production_waits_for_qc_release():
    maker = node("m", role="manufacturer", capacity={"p": 3}, qc_release_days=2,
                 policy={"p": {"type": "base_stock", "level": 10}})
    ward = node("w", policy={"p": {"type": "base_stock", "level": 4}}, demand={"p": fixed(0)})
    res = sim.run(scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}],
                           horizon=6), seed=1)
    # Day 0: the ward orders 4; m has none, owes 4, plans 14 and makes 3 (released day 2).
    # Day 1: makes 3 (day 3). Day 2: 3 released, 3 shipped (owes 1), makes 3 (day 4).
    # Day 3: 3 released, 1 shipped; m's position is 2 + 6 in production = 8 <= 9, so it plans
    # 2 more; makes 3. Day 4: 3 released -> 5; makes 2 (day 6). Day 5: 3 released -> 8.
    assert series(res, "m", "on_hand") == [0, 0, 0, 2, 5, 8]
    assert series(res, "m", "backorders") == [4, 4, 1, 0, 0, 0]
    assert series(res, "w", "on_hand") == [0, 0, 0, 3, 4, 4]
    led = res.ledger.set_index("node").loc["m"]
    assert (led.produced, led.shipped, led.final) == (12, 4, 8)


def test_closed_lane_holds_goods_in_transit_until_it_reopens():
    ward = node("w", policy={"p": {"type": "base_stock", "level": 2}}, demand={"p": fixed(0)})
    closure = {"type": "transport", "name": "border", "start_day": 1, "duration_days": 3,
               "lanes": {"to": ["w"]}, "closed": True}
    sc = scenario([UNLIMITED, ward], [{"from": "src", "to": "w", "lead_time_days": 2}],
                  horizon=6, disruptions=[closure])
    res = sim.run(sc, seed=1)
    # Shipped day 0, due day 2, but the lane is closed on days 1-3: it arrives on day 4.
    assert series(res, "w", "on_hand") == [0, 0, 0, 0, 2, 2]
    assert series(res, "w", "inbound_in_transit") == [2, 2, 2, 2, 0, 0]
    kinds = res.events[res.events["kind"].str.startswith("disruption")]
    assert kinds[["day", "kind", "detail"]].values.tolist() == [
        [1, "disruption_start", "border"], [4, "disruption_end", "border"]]


def test_lost_sales_are_not_backordered():
    ward = node("w", stock={"p": {"initial": 3}}, policy={"p": {"type": "none"}},
                demand={"p": fixed(2)}, unmet_demand="lost")
    sc = scenario([UNLIMITED, ward], [{"from": "src", "to": "w", "lead_time_days": 1}],
                  horizon=3)
    res = sim.run(sc, seed=1)
    assert series(res, "w", "on_hand") == [1, 0, 0]
    assert series(res, "w", "served") == [2, 1, 0]
    assert series(res, "w", "backorders") == [0, 0, 0]
    assert res.kpis["unmet"].iloc[0] == 3
    assert res.kpis["stockout_days"].iloc[0] == 2


def test_order_through_two_echelons_same_day():
    # An order placed by the ward on day t reaches the pharmacy on day t, whose own order
    # reaches the source the same day (downstream before upstream).
    pharmacy = node("ph", role="hospital_pharmacy",
                    policy={"p": {"type": "base_stock", "level": 5}})
    ward = node("w", policy={"p": {"type": "base_stock", "level": 5}}, demand={"p": fixed(0)})
    lanes = [{"from": "src", "to": "ph", "lead_time_days": 1},
             {"from": "ph", "to": "w", "lead_time_days": 1}]
    res = sim.run(scenario([UNLIMITED, pharmacy, ward], lanes, horizon=4), seed=1)
    # Day 0: w orders 5, ph owes 5 and orders 10 (position -5); day 1: 10 arrive, 5 shipped.
    assert series(res, "ph", "on_hand") == [0, 5, 5, 5]
    assert series(res, "w", "on_hand") == [0, 0, 5, 5]


def _alarm_case(thresholds: list[float], outage: bool) -> sim.RunResult:
    # Level 10, next-day delivery, 2 a day: on hand is 8 (4 days) at every day's end; the
    # normal floor is (10 - 1) / 2 - 1 = 3.5 days.
    ward = node("w", stock={"p": {"initial": 10}},
                policy={"p": {"type": "base_stock", "level": 10}}, demand={"p": fixed(2)})
    disruptions = [{"type": "it_outage", "start_day": 2, "duration_days": 3,
                    "where": {"nodes": ["w"]}}] if outage else []
    sc = scenario([UNLIMITED, ward], [{"from": "src", "to": "w", "lead_time_days": 1}],
                  horizon=8, reporting={"dos_thresholds": thresholds}, disruptions=disruptions)
    return sim.run(sc, seed=1)


def test_days_of_supply_alarm_fires_below_threshold_and_rearms_at_one_and_a_half_times():
    res = _alarm_case([2], outage=True)
    # No orders on days 2-4: on hand 8, 8, 8, 6, 4, then 2 on day 5 (1 day < 2: alarm); the
    # day-5 order of 8 arrives on day 6: 10 - 2 = 8, 4 days >= 1.5 x 2 (re-armed).
    assert series(res, "w", "on_hand") == [8, 8, 8, 6, 4, 2, 8, 8]
    alarms = res.events[res.events["kind"].str.startswith("dos")]
    assert [(e.day, e.kind, e.value, e.detail) for e in alarms.itertuples()] == [
        (5, "dos_below", 1.0, "2 days"), (6, "dos_recovered", 4.0, "2 days")]


def test_days_of_supply_alarm_ignores_thresholds_above_the_normal_floor():
    # 4 days on hand every day is below 4.5, but the policy's own floor is 3.5 days: routine.
    res = _alarm_case([4.5], outage=False)
    assert series(res, "w", "on_hand") == [8] * 8
    assert not res.events["kind"].str.startswith("dos").any()
