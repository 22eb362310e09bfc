"""Supply mechanics: shelf life (FEFO, expiry, aged shipments), inputs of production, stock loss
and recalls, cold chain. Exact traces computed by hand and closed forms (docs/engine.md,
"Supply mechanics")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

import sim
from sim.engine import Engine
from sim.network import network_of
from tests.conftest import node, scenario, series
from tests.strategies import scenarios


def fixed(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def product(life: int | None = None, **extra) -> dict:
    return {"p": {"name": "Product", "group": "g", "shelf_life_days": life, **extra}}


NONE = {"type": "none"}


def ledger(res: sim.RunResult, node_id: str, product: str = "p") -> dict:
    led = res.ledger
    return led[(led["node"] == node_id) & (led["product"] == product)].iloc[0].to_dict()


def events(res: sim.RunResult, kind: str) -> list[tuple[int, str, str, float]]:
    ev = res.events[res.events["kind"] == kind]
    return list(zip(ev["day"], ev["node"], ev["product"], ev["value"], strict=True))


# --- shelf life -------------------------------------------------------------------------------


@pytest.mark.parametrize(("stock", "d", "life"), [(30, 4, 5), (20, 4, 5), (17, 3, 9),
                                                  (5, 2, 1), (100, 7, 12)])
def test_expiry_matches_the_closed_form(stock, d, life):
    # Deterministic demand d a day, stock S all with remaining life L, no resupply: the units
    # can be used on days 0 .. L-1, so min(S, dL) are consumed and max(0, S - dL) expire at
    # the start of day L.
    ward = node("w", demand={"p": fixed(d)}, policy={"p": NONE},
                stock={"p": {"initial": stock, "remaining_shelf_life_days": life}})
    res = sim.run(scenario([ward], [], horizon=life + 5, products=product(60)), seed=1)
    led = ledger(res, "w")
    assert led["consumed"] == min(stock, d * life)
    assert led["expired"] == max(0, stock - d * life)
    expired = events(res, "expired")
    assert expired == ([(life, "w", "p", float(stock - d * life))] if stock > d * life else [])
    on_hand = series(res, "w", "on_hand")
    assert on_hand[life - 1] == max(0, stock - d * life) and on_hand[life] == 0
    assert res.kpis.set_index("node").loc["w", "expired"] == max(0, stock - d * life)


def test_first_expiry_first_out_with_two_cohorts():
    # 10 units spread over [2, 3] days: units 0-4 have 2 days, 5-9 have 3. Demand 3 a day:
    # day 0 takes three 2-day units, day 1 the last two and one 3-day unit, day 2 three 3-day
    # units; the one left expires at the start of day 3. Last in, first out would lose 2 on
    # day 2 instead.
    ward = node("w", demand={"p": fixed(3)}, policy={"p": NONE},
                stock={"p": {"initial": 10, "remaining_shelf_life_days": [2, 3]}})
    res = sim.run(scenario([ward], [], horizon=6, products=product(30)), seed=1)
    assert events(res, "expired") == [(3, "w", "p", 1.0)]
    assert series(res, "w", "on_hand") == [7, 4, 1, 0, 0, 0]
    assert ledger(res, "w")["consumed"] == 9


def test_initial_spread_gives_each_unit_its_documented_life():
    # Unit i of n gets low + floor(i (high - low + 1) / n) days: 7 units over [1, 3] have
    # lives 1,1,1,2,2,3,3, so with no demand 3, 2 and 2 expire on days 1, 2 and 3.
    ward = node("w", policy={"p": NONE},
                stock={"p": {"initial": 7, "remaining_shelf_life_days": [1, 3]}})
    res = sim.run(scenario([ward, node("x", demand={"p": fixed(0)}, policy={"p": NONE})],
                           [], horizon=5, products=product(30)), seed=1)
    assert [(d, v) for d, n, _, v in events(res, "expired") if n == "w"] == [
        (1, 3.0), (2, 2.0), (3, 2.0)]


def test_default_spread_is_over_the_whole_shelf_life():
    # Without remaining_shelf_life_days: [1, shelf_life_days]; 4 units over [1, 4] expire one
    # a day on days 1 to 4.
    ward = node("w", policy={"p": NONE}, stock={"p": {"initial": 4}})
    res = sim.run(scenario([ward], [], horizon=6, products=product(4)), seed=1)
    assert [(d, v) for d, _, _, v in events(res, "expired")] == [(d, 1.0) for d in range(1, 5)]


def test_shipments_keep_their_age():
    # A wholesaler holds 100 units with 4 days left and never reorders; the ward orders up to
    # 10 with next-day delivery. Day 0: the ward is short 1, orders 11; day 1 it gets them,
    # serves 2 and orders 1, and so on. At the start of day 4 everything is 4 days older
    # than on day 0: the ward's 9 expire, the unit arriving on day 4 arrives expired, and the
    # wholesaler's 86 expire.
    wholesaler = node("wh", role="wholesaler", policy={"p": NONE},
                      stock={"p": {"initial": 100, "remaining_shelf_life_days": 4}})
    ward = node("w", demand={"p": fixed(1)}, policy={"p": {"type": "base_stock", "level": 10}})
    sc = scenario([wholesaler, ward], [{"from": "wh", "to": "w", "lead_time_days": 1}],
                  horizon=6, products=product(100))
    res = sim.run(sc, seed=1)
    assert ledger(res, "w")["expired"] == 10
    assert ledger(res, "wh")["expired"] == 86
    # The ward's 9 expire on its shelf, the unit on the way on arrival: two events.
    ev = res.events[res.events["kind"] == "expired"]
    assert sorted(zip(ev["day"], ev["node"], ev["value"], ev["detail"], strict=True)) == [
        (4, "w", 1.0, "shelf life ended on the way"), (4, "w", 9.0, "shelf life ended"),
        (4, "wh", 86.0, "shelf life ended")]
    assert series(res, "w", "on_hand") == [0, 9, 9, 9, 0, 0]


def test_an_outside_source_ships_fresh_units():
    # Units leave an outside source with their full shelf life (5 days) and spend 2 days on
    # the lane: a stockpile filled on day 0 expires at the start of day 5.
    src = node("src", role="manufacturer", unlimited=True)
    ward = node("w", policy={"p": {"type": "s_S", "s": 0, "S": 8}},
                demand={"p": fixed(0)})
    sc = scenario([src, ward], [{"from": "src", "to": "w", "lead_time_days": 2}], horizon=7,
                  products=product(5))
    res = sim.run(sc, seed=1)
    assert series(res, "w", "on_hand")[:5] == [0, 0, 8, 8, 8]
    assert (5, "w", "p", 8.0) in events(res, "expired")


def test_production_starts_with_the_full_shelf_life():
    maker = node("m", role="manufacturer", capacity={"p": 5}, policy={"p": {
        "type": "base_stock", "level": 5}}, stock={"p": {"initial": 0}})
    ward = node("w", demand={"p": fixed(0)}, policy={"p": NONE})
    sc = scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}], horizon=9,
                  products=product(3))
    res = sim.run(sc, seed=1)
    # Made on day 0, released on day 1 with 3 days: usable on days 1-3, expired on day 4,
    # when the maker makes the next 5 (released on day 5, expired on day 8).
    assert series(res, "m", "on_hand") == [0, 5, 5, 5, 0, 5, 5, 5, 0]
    assert [(d, v) for d, n, _, v in events(res, "expired")] == [(4, 5.0), (8, 5.0)]


# --- inputs of production ---------------------------------------------------------------------

INPUTS = {"p": {"name": "Product", "group": "g"}, "c": {"name": "Component", "group": "components"}}


def maker_with_inputs(per_unit: float, comp_stock: int, horizon: int,
                      comp_policy: dict | None = None) -> sim.Scenario:
    src = node("src", role="manufacturer", unlimited=True, products=["c"])
    maker = node("m", role="manufacturer", capacity={"p": 10}, inputs={"p": {"c": per_unit}},
                 stock={"p": {"initial": 0}, "c": {"initial": comp_stock}},
                 policy={"p": {"type": "base_stock", "level": 1000},
                         "c": comp_policy or NONE})
    ward = node("w", demand={"p": fixed(10)}, policy={"p": {"type": "base_stock", "level": 10}})
    return scenario([src, maker, ward],
                    [{"from": "src", "to": "m", "lead_time_days": 3, "products": ["c"]},
                     {"from": "m", "to": "w", "lead_time_days": 1}],
                    horizon=horizon, products=INPUTS)


@pytest.mark.parametrize("k", [0, 1, 7, 23])
def test_a_maker_with_inputs_for_k_units_makes_exactly_k(k):
    # Capacity 10 a day, 2 components a unit, components for exactly k units, none to come.
    res = sim.run(maker_with_inputs(2, 2 * k, horizon=12), seed=1)
    assert ledger(res, "m")["produced"] == k
    assert ledger(res, "m", "c")["consumed"] == 2 * k
    assert ledger(res, "m", "c")["final"] == 0
    starts = [d for d, n, p, _ in events(res, "input_shortage")]
    assert starts == [k // 10]  # held back from the day the components run short


def test_production_resumes_when_the_input_arrives():
    # Components for 7 units; the maker reorders 20 components ((s, S) = (0, 20)) when it has
    # none: on day 1 (reviews come before production), arriving on day 4, which makes 10
    # units; it orders again on day 5 (arrive day 8). Released a day after they are made.
    res = sim.run(maker_with_inputs(2, 14, horizon=10,
                                    comp_policy={"type": "s_S", "s": 0, "S": 20}), seed=1)
    assert ledger(res, "m")["produced"] == 7 + 10 + 10
    assert [d for d, *_ in events(res, "input_shortage")] == [0, 5, 9]
    assert ledger(res, "m", "c")["consumed"] == 14 + 20 + 20
    assert series(res, "m", "on_hand", "c") == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0]


def test_fractional_inputs_are_taken_whole_and_credited():
    # Half a component per unit: 10 units need 5; 3 units need 1.5, so 2 are taken and half a
    # component is credited to the next unit.
    res = sim.run(maker_with_inputs(0.5, 7, horizon=6), seed=1)
    assert ledger(res, "m")["produced"] == 14
    assert ledger(res, "m", "c")["consumed"] == 7


@pytest.mark.parametrize(("per_unit", "comps", "capacity", "made"), [
    (0.5, 1, 1, 2), (1 / 3, 7, 2, 21), (0.1, 3, 7, 30), (0.25, 5, 3, 20)])
def test_fractional_inputs_make_exactly_what_the_inputs_allow(per_unit, comps, capacity, made):
    # Components for exactly floor(comps / per_unit) units, none to come, at any capacity:
    # the credit pays for units only once.
    sc = maker_with_inputs(per_unit, comps, horizon=40)
    data = sc.resolved()
    data["nodes"][1]["capacity"] = {"p": capacity}
    res = sim.run(sim.from_dict(data), seed=1)
    assert ledger(res, "m")["produced"] == made
    assert ledger(res, "m", "c")["consumed"] == comps


@pytest.mark.parametrize("comps", [1, 3, 19])
def test_a_shared_input_is_used_to_the_last_unit(comps):
    # Two products, one component each; 10 a day of each would be made. Every component
    # goes into a unit.
    products = {**INPUTS, "q": {"name": "Q", "group": "g"}}
    src = node("src", role="manufacturer", unlimited=True, products=["c"])
    maker = node("m", role="manufacturer", capacity={"p": 10, "q": 10},
                 inputs={"p": {"c": 1}, "q": {"c": 1}},
                 stock={"p": {"initial": 0}, "q": {"initial": 0}, "c": {"initial": comps}},
                 policy={"p": {"type": "base_stock", "level": 1000},
                         "q": {"type": "base_stock", "level": 1000}, "c": NONE})
    ward = node("w", demand={"p": fixed(10), "q": fixed(10)},
                policy={"p": {"type": "base_stock", "level": 10},
                        "q": {"type": "base_stock", "level": 10}})
    sc = scenario([src, maker, ward],
                  [{"from": "src", "to": "m", "lead_time_days": 3, "products": ["c"]},
                   {"from": "m", "to": "w", "lead_time_days": 1}],
                  horizon=10, products=products)
    res = sim.run(sc, seed=1)
    assert ledger(res, "m")["produced"] + ledger(res, "m", "q")["produced"] == comps
    assert ledger(res, "m", "c")["final"] == 0


def test_an_input_of_an_input_gets_its_flow():
    # The maker makes a (2 b a unit) and b (3 c a unit): 10 a a day draw 20 b and 60 c.
    products = {x: {"name": x, "group": "g"} for x in "abc"}
    src = node("src", role="manufacturer", unlimited=True, products=["c"])
    maker = node("m", role="manufacturer", capacity={"a": 20, "b": 40},
                 inputs={"a": {"b": 2}, "b": {"c": 3}},
                 policy={x: {"type": "base_stock", "level": 100} for x in "abc"})
    ward = node("w", demand={"a": fixed(10)}, policy={"a": {"type": "base_stock", "level": 10}})
    sc = scenario([src, maker, ward],
                  [{"from": "src", "to": "m", "lead_time_days": 3, "products": ["c"]},
                   {"from": "m", "to": "w", "lead_time_days": 1}], products=products)
    net = network_of(sc)
    m = net.node_ids.index("m")
    assert net.normal_flow[m].tolist() == [10, 20, 60]
    assert net.handles[m].all()


def test_inputs_add_their_flow_to_the_makers_normal_flow():
    net = network_of(maker_with_inputs(2, 0, horizon=5))
    m, c, p = net.node_ids.index("m"), net.product_ids.index("c"), net.product_ids.index("p")
    assert net.normal_flow[m, c] == pytest.approx(2 * net.normal_flow[m, p])
    assert net.handles[m, c]


def test_inputs_of_something_not_made_is_an_error():
    maker = node("m", role="manufacturer", capacity={"p": 10}, inputs={"x": {"c": 1}})
    with pytest.raises(sim.ScenarioError, match="does not make"):
        scenario([maker, node("w", demand={"p": fixed(1)})],
                 [{"from": "m", "to": "w", "lead_time_days": 1}], products={
                     **INPUTS, "x": {"name": "X", "group": "g"}})


# --- stock loss and recalls -------------------------------------------------------------------


def test_stock_loss_destroys_its_share_on_the_start_day():
    ward = node("w", demand={"p": fixed(1)}, policy={"p": NONE}, stock={"p": {"initial": 40}})
    loss = {"type": "stock_loss", "name": "fire", "start_day": 3, "where": {"nodes": ["w"]},
            "share": 0.25}
    res = sim.run(scenario([ward], [], horizon=6, disruptions=[loss]), seed=1)
    # Day 3 starts with 37: floor(0.25 x 37) = 9 destroyed before the day's demand.
    assert series(res, "w", "on_hand") == [39, 38, 37, 27, 26, 25]
    assert events(res, "destroyed") == [(3, "w", "p", 9.0)]
    assert res.events[res.events["kind"] == "destroyed"]["detail"].tolist() == ["fire"]
    assert ledger(res, "w")["destroyed"] == 9
    # A window that covers no day destroys nothing.
    none = sim.run(scenario([ward], [], horizon=6, disruptions=[{**loss, "duration_days": 0}]),
                   seed=1)
    assert ledger(none, "w")["destroyed"] == 0


def test_a_recall_holds_stock_out_of_use_then_returns_it():
    ward = node("w", demand={"p": fixed(1)}, policy={"p": NONE}, stock={"p": {"initial": 10}})
    recall = {"type": "stock_loss", "name": "recall", "start_day": 2, "where": {},
              "share": 1.0, "quarantine_days": 3}
    res = sim.run(scenario([ward], [], horizon=8, disruptions=[recall]), seed=1)
    # 8 recalled at the start of day 2, back at the start of day 5, when the 3 units
    # backordered meanwhile and the day's 1 are served.
    assert series(res, "w", "on_hand") == [9, 8, 0, 0, 0, 4, 3, 2]
    assert events(res, "recalled") == [(2, "w", "p", 8.0)]
    assert ledger(res, "w")["destroyed"] == 0
    short = sim.run(scenario([ward], [], horizon=4, disruptions=[recall]), seed=1)
    assert ledger(short, "w")["recalled"] == 8  # still held at the end of the run


def test_recalled_stock_that_expires_in_quarantine_expires_on_release():
    ward = node("w", demand={"p": fixed(1)}, policy={"p": NONE},
                stock={"p": {"initial": 10, "remaining_shelf_life_days": 4}})
    recall = {"type": "stock_loss", "name": "recall", "start_day": 1, "where": {},
              "share": 1.0, "quarantine_days": 5}
    res = sim.run(scenario([ward], [], horizon=8, products=product(10), disruptions=[recall]),
                  seed=1)
    assert events(res, "expired") == [(6, "w", "p", 9.0)]
    assert ledger(res, "w")["expired"] == 9


# --- cold chain -------------------------------------------------------------------------------


def test_cold_chain_stock_spoils_only_after_the_backup_power():
    # Power at 0.3 (below the 0.5 floor) from day 2 for 4 days; 2 days of backup power: the
    # cold room holds on days 2 and 3, then half the stock spoils each day on days 4 and 5
    # (fractions carried). Stock without a cold chain is untouched.
    products = {"v": {"name": "Vaccine", "group": "g", "cold_chain": True,
                      "spoilage_per_day": 0.5},
                "t": {"name": "Tablets", "group": "g"}}
    ward = node("w", backup_power_days=2, policy={"v": NONE, "t": NONE},
                stock={"v": {"initial": 41}, "t": {"initial": 41}},
                demand={"v": fixed(0), "t": fixed(0)})
    outage = {"type": "power_outage", "name": "storm", "start_day": 2, "duration_days": 4,
              "where": {"nodes": ["w"]}, "capacity_factor": 0.3}
    res = sim.run(scenario([ward], [], horizon=8, products=products, disruptions=[outage]),
                  seed=1)
    # 41 -> 41 x 0.5 = 20.5: 20 spoil, 0.5 carried; 21 x 0.5 + 0.5 = 11 spoil.
    assert series(res, "w", "on_hand", "v") == [41, 41, 41, 41, 21, 10, 10, 10]
    assert series(res, "w", "on_hand", "t") == [41] * 8
    assert [(d, v) for d, _, p, v in events(res, "destroyed")] == [(4, 20.0), (5, 11.0)]


def test_rotating_disconnections_above_the_floor_keep_the_cold_chain():
    products = {"v": {"name": "Vaccine", "group": "g", "cold_chain": True}}
    ward = node("w", policy={"v": NONE}, stock={"v": {"initial": 10}}, demand={"v": fixed(0)})
    outage = {"type": "power_outage", "start_day": 0, "duration_days": 5,
              "where": {}, "capacity_factor": 0.6}
    res = sim.run(scenario([ward], [], horizon=5, products=products, disruptions=[outage]),
                  seed=1)
    assert series(res, "w", "on_hand", "v") == [10] * 5
    at_floor = {**outage, "capacity_factor": 0.5}
    res = sim.run(scenario([ward], [], horizon=5, products=products, disruptions=[at_floor]),
                  seed=1)
    assert series(res, "w", "on_hand", "v") == [0] * 5  # spoilage_per_day defaults to 1


# --- every mechanism together: conservation and the cohorts' own invariants ------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_cohorts_stay_consistent_with_stock(data):
    sc = sim.from_dict(data)
    engine = Engine(network_of(sc), sc.seed, 0)
    rep = engine.run()
    st = engine.state
    led = rep.ledger
    assert np.array_equal(led.initial + led.initial_in_qc + led.received + led.produced,
                          led.shipped + led.consumed + led.expired + led.destroyed + led.final
                          + led.recalled)
    co = st.cohorts
    if co is None:
        return
    stairs = co.stairs
    assert np.array_equal(co.units(), st.on_hand[:, co.products])
    assert (stairs >= 0).all() and (np.diff(stairs, axis=2) >= 0).all()
    # Nothing on hand has outlived its shelf life: after the last day's expiry every column
    # but the last (units expiring after the run) is empty.
    assert (stairs[:, :, : sc.horizon_days] == 0).all()


def test_remaining_shelf_life_must_fit_the_product():
    ward = node("w", demand={"p": fixed(1)}, policy={"p": NONE},
                stock={"p": {"initial": 5, "remaining_shelf_life_days": 50}})
    with pytest.raises(sim.ScenarioError, match="more than the shelf life"):
        scenario([ward], [], products=product(10))
    with pytest.raises(sim.ScenarioError, match="has no shelf_life_days"):
        scenario([ward], [], products=product(None))


def test_an_untouched_stockpile_has_kpi_rows_with_what_expired():
    # A store nobody draws on still shows in the KPI and daily tables, with its expiry.
    store = node("store", role="wholesaler", policy={"p": NONE},
                 stock={"p": {"initial": 6, "remaining_shelf_life_days": 3}})
    ward = node("w", demand={"p": fixed(1)}, policy={"p": NONE}, stock={"p": {"initial": 9}})
    res = sim.run(scenario([store, ward], [], horizon=5, products=product(30)), seed=1)
    k = res.kpis.set_index("node")
    assert k.loc["store", "expired"] == 6 and k.loc["w", "expired"] == 0
    assert series(res, "store", "on_hand") == [6, 6, 6, 0, 0]
