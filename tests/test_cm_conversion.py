"""Production conversion: exact traces of start-up, ramp-up, validation and crowding out.

The day rules are stated in sim/countermeasures/conversion.py; every expected number below is
derived from them by hand (or, in the property test, by a plain loop over the same rules).
"""

from __future__ import annotations

import math
from collections import defaultdict
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.countermeasures.conversion import Conversion
from sim.engine import Engine
from sim.network import network_of
from tests.conftest import node, scenario, series
from tests.test_conservation import assert_ledger_balances

PRODUCTS = {"p": {"name": "Converted", "group": "g"}, "a": {"name": "Crowded out", "group": "g"}}
BIG = {"type": "base_stock", "level": 10_000}  # so much due that capacity alone decides
NONE = {"type": "none"}


def fixed(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def conversion(**keys: Any) -> dict:
    return {"type": "production_conversion", "name": "line", "node": "m", "product": "p", **keys}


def maker_and_ward(conv: dict, horizon: int, qc: int = 0, a_capacity: float = 10,
                   **extra: Any) -> sim.Scenario:
    """A maker of `a` with no other source of p, converting a line to p, and one ward."""
    maker = node("m", role="manufacturer", capacity={"a": a_capacity}, qc_release_days=qc,
                 policy={"p": BIG, "a": BIG})
    ward = node("w", demand={"p": fixed(3), "a": fixed(2)},
                policy={"p": {"type": "base_stock", "level": 6},
                        "a": {"type": "base_stock", "level": 4}})
    return scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}],
                    horizon=horizon, products=PRODUCTS, countermeasures=[conv], **extra)


def trace(sc: sim.Scenario, maker: str = "m") -> dict[str, Any]:
    """Per day at the maker: units made, held for validation, released, made on the line.

    Read from the engine's state at each end of day (the recorder's moment): released is the
    change in `produced`, made the change in produced + QC quarantine + validation hold, with
    the opening QC pipeline (made before day 0, tests/test_qc_pipeline.py) counted as there
    from the start.
    """
    net = network_of(sc)
    engine = Engine(net, 1, 0)
    m = net.node_ids.index(maker)
    assert engine.countermeasures is not None
    lines = engine.countermeasures.conversions
    rows: list[tuple[np.ndarray, np.ndarray, np.ndarray, int]] = []
    record = engine.recorder.record

    def spy(t: int, state: Any) -> None:
        qc = np.zeros(net.n_products, dtype=np.int64)
        for day, batch in state.quarantine.items():
            if day > t:
                qc += batch[m]
        held = np.zeros(net.n_products, dtype=np.int64)
        for c in lines:
            held[c.product] += sum(units for _, units in c.held)
        rows.append((state.produced[m].copy(), qc + state.initial_in_qc[m], held,
                     sum(c.units for c in lines)))
        record(t, state)

    engine.recorder.record = spy  # type: ignore[method-assign]
    rep = engine.run()
    out: dict[str, Any] = {"state": engine.state, "m": m, "lines": lines, "ledger": rep.ledger}
    produced = np.array([r[0] for r in rows])
    pipeline = produced + np.array([r[1] + r[2] for r in rows])
    opening = net.initial_in_qc[:, m].sum(axis=0)
    line = np.array([r[3] for r in rows])
    for j, pid in enumerate(net.product_ids):
        out[f"released {pid}"] = np.diff(produced[:, j], prepend=0).tolist()
        out[f"made {pid}"] = np.diff(pipeline[:, j], prepend=opening[j]).tolist()
        out[f"held {pid}"] = [int(r[2][j]) for r in rows]
    out["line"] = np.diff(line, prepend=0).tolist()
    return out


def events(res: sim.RunResult, *kinds: str) -> list[tuple[int, Any, Any, float, str]]:
    ev = res.events[res.events["kind"].isin(kinds)]
    return [(int(d), k, n if isinstance(n, str) else None, v, detail) for d, k, n, v, detail
            in zip(ev["day"], ev["kind"], ev["node"], ev["value"], ev["detail"], strict=True)]


def ledger(res: sim.RunResult, node_id: str, product: str = "p") -> dict:
    led = res.ledger
    return led[(led["node"] == node_id) & (led["product"] == product)].iloc[0].to_dict()


def table(res: sim.RunResult) -> dict[str, Any]:
    rows = res.countermeasures
    return rows[rows["name"] == "line"].iloc[0].to_dict()


# --- the exact trace --------------------------------------------------------------------------


def test_start_up_ramp_up_validation_and_crowding_out_day_by_day():
    # Maker m makes a (10 a day) and has no source of p but the conversion. Both are planned
    # far above capacity (level 10,000), so capacity alone decides what is made. QC 2 days.
    # Conversion on day 2 (s = 2) until day 13 (active days 2..12): capacity 5, start-up 2,
    # ramp-up 3, validation 4, crowding out 6.5 a day of a.
    sc = maker_and_ward(conversion(capacity=5, on_day=2, until_day=13, start_up_days=2,
                                   ramp_up_days=3, validation_days=4, crowds_out={"a": 6.5}),
                        horizon=16, qc=2)
    tr = trace(sc)
    # Start-up days 2, 3: nothing. Ramp-up days 4, 5, 6 at 1/4, 2/4, 3/4 of 5 = 1.25, 2.5,
    # 3.75, with the fraction carried: 1.25 -> 1 (.25), 2.75 -> 2 (.75), 4.5 -> 4 (.5); full
    # from day 7: 5.5 -> 5 (.5) each day to day 12. From day 13 the line is given back.
    line = [0, 0, 0, 0, 1, 2, 4, 5, 5, 5, 5, 5, 5, 0, 0, 0]
    assert tr["line"] == line
    assert tr["made p"] == line
    # Validation counts output days from day 4: the line has run 4 of them before day 8, so
    # output of days 4..7 (1 + 2 + 4 + 5 = 12) is held until day 8, then QC'd: released on
    # max(8, day made + 2): days 4, 5, 6 -> 8 (7 units), day 7 -> 9. Output from day 8 on has
    # the normal QC: made on day d, released on d + 2 (days 8..12 -> 10..14).
    assert tr["held p"] == [0, 0, 0, 0, 1, 3, 7, 12, 0, 0, 0, 0, 0, 0, 0, 0]
    assert tr["released p"] == [0, 0, 0, 0, 0, 0, 0, 0, 7, 5, 5, 5, 5, 5, 5, 0]
    # Crowding out from the first start-up day while active (2..12): a at 10 - 6.5 = 3.5 a
    # day, carried: 3, 4, 3, 4, ... (the carry from days 0, 1 is 0); back at 10 from day 13,
    # with the half unit left from day 12 carried on (10.5 -> 10, .5 carried).
    made_a = [10, 10, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 10, 10, 10]
    assert tr["made a"] == made_a
    assert tr["released a"] == [0, 0, *made_a[:-2]]
    # Ended on day 13: what was planned on the line and not made is cancelled (m has no
    # capacity of its own for p), so nothing is due and nothing on order once the last
    # batch is out (day 14).
    st_, m = tr["state"], tr["m"]
    assert st_.production_due[m, 0] == 0 and st_.on_order[m, 0] == 0
    assert tr["lines"][0].units == sum(line) == 37

    res = sim.run(sc, seed=1)
    assert events(res, "countermeasure_start", "countermeasure_end", "conversion_output_start",
                  "conversion_validated") == [
        (2, "countermeasure_start", None, pytest.approx(np.nan, nan_ok=True), "line"),
        (4, "conversion_output_start", "m", 1.25, "line"),  # the line's capacity that day
        (8, "conversion_validated", "m", 12.0, "line"),  # units that were held
        (13, "countermeasure_end", None, pytest.approx(np.nan, nan_ok=True), "line"),
    ]
    row = table(res)
    assert (row["first_day"], row["days_active"], row["units"]) == (2, 11, 37)
    led = res.ledger.set_index(["node", "product"])
    assert led.loc[("m", "p"), "produced"] == 37 and led.loc[("m", "a"), "produced"] == sum(
        made_a[:-2])
    assert_ledger_balances(res)


def test_a_maker_with_its_own_capacity_uses_it_first_and_only_the_line_is_validated():
    # m makes p itself (3 a day) and converts a second line (2 a day) on days 1..5, to be
    # validated over 3 days; QC 0 (released the next day). Only p is planned: 10,000 on day
    # 0, never again (nothing leaves m), so its own 3 and the line's 2 are made every day.
    maker = node("m", role="manufacturer", capacity={"p": 3}, policy={"p": BIG})
    ward = node("w", demand={"p": fixed(0)}, policy={"p": NONE})
    sc = scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}], horizon=9,
                  countermeasures=[conversion(capacity=2, on_day=1, until_day=6,
                                              validation_days=3)])
    tr = trace(sc)
    assert tr["line"] == [0, 2, 2, 2, 2, 2, 0, 0, 0]
    # Own output is released the next day; the line's days 1-3 (6 units) are held until day
    # 4 (= 1 + 0 + 3), its days 4-5 follow QC: released on 5 and 6.
    assert tr["held p"] == [0, 2, 4, 6, 0, 0, 0, 0, 0]
    assert tr["released p"] == [0, 3, 3, 3, 3 + 6, 3 + 2, 3 + 2, 3, 3]
    # m makes p itself, so the end keeps what is due for its own capacity: 10,000 less 9
    # days of 3 and the line's 10; on order also the 3 in QC from day 8.
    st_, m = tr["state"], tr["m"]
    assert st_.production_due[m, 0] == 10_000 - 27 - 10
    assert st_.on_order[m, 0] == 10_000 - 27 - 10 + 3
    res = sim.run(sc, seed=1)
    assert events(res, "conversion_validated") == [(4, "conversion_validated", "m", 6.0, "line")]
    assert_ledger_balances(res)


def test_capacity_disruptions_scale_the_converted_line():
    # Line of 4 a day from day 0 (no start-up, ramp or validation), QC 0. Staff absence of
    # 3/8 at m on days 3-6: 2.5 a day, carried 2, 3, 2, 3; a factory loss of p at m at 0.25
    # on days 8-9: 1 a day; a factory loss of a alone on days 0-11 leaves p alone.
    sc = maker_and_ward(conversion(capacity=4, on_day=0), horizon=12, disruptions=[
        {"type": "staff_absence", "where": {"nodes": ["m"]}, "absent_share": 0.375,
         "start_day": 3, "duration_days": 4},
        {"type": "factory_loss", "nodes": ["m"], "products": ["p"], "capacity_factor": 0.25,
         "start_day": 8, "duration_days": 2},
        {"type": "factory_loss", "nodes": ["m"], "products": ["a"], "capacity_factor": 0.5,
         "start_day": 0, "duration_days": 12},
    ])
    tr = trace(sc)
    line = [4, 4, 4, 2, 3, 2, 3, 4, 1, 1, 4, 4]
    assert tr["line"] == line
    assert tr["released p"] == [0, *line[:-1]]
    assert_ledger_balances(sim.run(sc, seed=1))


def test_a_conversion_after_a_factory_loss_starts_after_its_decision_days():
    # src -> m -> w for p, lead 1 each; w uses 2 a day (level 4, 4 on hand), m holds level 4.
    # The source's plant stops on day 3 ("src_fire"); the conversion of m's line to p (1 a
    # day, start-up 1) is decided 2 days later: triggered on 3, active from 5, output from 6.
    # m orders 2 a day from src on days 0-4 (what w ordered), then from its line.
    src = node("src", role="manufacturer", unlimited=True, products=["p"])
    maker = node("m", role="manufacturer", policy={"p": {"type": "base_stock", "level": 4}},
                 stock={"p": {"initial": 4}})
    ward = node("w", demand={"p": fixed(2)}, policy={"p": {"type": "base_stock", "level": 4}},
                stock={"p": {"initial": 4}})
    sc = scenario(
        [src, maker, ward],
        [{"from": "src", "to": "m", "lead_time_days": 1}, {"from": "m", "to": "w",
                                                             "lead_time_days": 1}],
        horizon=12,
        disruptions=[{"type": "factory_loss", "name": "src_fire", "nodes": ["src"],
                      "start_day": 3, "duration_days": 100}],
        countermeasures=[conversion(capacity=1, after="src_fire", decision_days=2,
                                    start_up_days=1)])
    res = sim.run(sc, seed=1)
    assert events(res, "countermeasure_triggered", "countermeasure_start",
                  "conversion_output_start") == [
        (3, "countermeasure_triggered", None, pytest.approx(np.nan, nan_ok=True), "line"),
        (5, "countermeasure_start", None, pytest.approx(np.nan, nan_ok=True), "line"),
        (6, "conversion_output_start", "m", 1.0, "line"),
    ]
    # src shipped m's orders of days 0-2; those of days 3 and 4 are still owed at the end:
    # from day 5, m orders on its line, not from src.
    assert ledger(res, "src")["shipped"] == 6
    tr = trace(sc)
    assert tr["state"].owed[0].tolist() == [4]  # the lane src -> m (lanes sort by supplier)
    # m's orders on the line (2 a day from day 5) outrun its 1 a day, so it makes 1 on each
    # of days 6..11, released the next day: 5 within the horizon.
    row = table(res)
    assert (row["triggered_day"], row["first_day"], row["days_active"], row["units"]) == (
        3, 5, 7, 6)
    assert ledger(res, "m")["produced"] == 5
    assert_ledger_balances(res)


def test_a_maker_that_buys_the_product_makes_it_while_converted_and_buys_again_after():
    # src -> m -> w, lead 1; w uses 2 a day (level 4, 4 on hand); m holds level 10 (10 on
    # hand) and normally buys p. Converted on days 2..5 (1 a day, start-up 1): its orders go
    # to the line (2 a day), which makes 1 on each of days 3, 4, 5 (released the next day).
    # Day 6 the line stops: the 5 planned and not made (4 x 2 - 3) are cancelled, so m's
    # review orders 7 from src: the day's 2 plus the 5.
    src = node("src", role="manufacturer", unlimited=True, products=["p"])
    maker = node("m", role="manufacturer", policy={"p": {"type": "base_stock", "level": 10}},
                 stock={"p": {"initial": 10}})
    ward = node("w", demand={"p": fixed(2)}, policy={"p": {"type": "base_stock", "level": 4}},
                stock={"p": {"initial": 4}})
    sc = scenario(
        [src, maker, ward],
        [{"from": "src", "to": "m", "lead_time_days": 1}, {"from": "m", "to": "w",
                                                             "lead_time_days": 1}],
        horizon=10, countermeasures=[conversion(capacity=1, on_day=2, until_day=6,
                                                start_up_days=1)])
    res = sim.run(sc, seed=1)
    # src ships what m orders the same day, and it arrives the next: m's orders of each day
    # are its stock in transit at the end of the day.
    assert series(res, "m", "inbound_in_transit") == [2, 2, 0, 0, 0, 0, 7, 2, 2, 2]
    # m ships 2 a day; receives 2 from src the day after each order, 1 a day from the line
    # on days 4-6, and the 7 on day 7.
    assert series(res, "m", "on_hand") == [8, 8, 8, 6, 5, 4, 3, 8, 8, 8]
    assert series(res, "w", "served") == [2] * 10
    assert table(res)["units"] == 3
    assert_ledger_balances(res)


# --- the line's state across activations ------------------------------------------------------


def test_a_second_activation_starts_up_again_but_is_not_validated_again():
    # Capacity 4, start-up 1, ramp-up 1 (1/2, then full), validation 3. Active on days 0-2,
    # then again from day 5 (a `when` trigger releasing and firing again).
    sc = maker_and_ward(conversion(capacity=4, on_day=0, start_up_days=1, ramp_up_days=1,
                                   validation_days=3), horizon=10)
    trig = SimpleNamespace(active=False, started_today=False)
    c = Conversion(network_of(sc), sc.countermeasures[0], trig)  # type: ignore[arg-type]
    c.begin(0)
    assert [c.output(t, 1.0) for t in range(3)] == [0, 2, 4]  # start-up, ramp 1/2, full
    assert [c.made(t, u) for t, u in ((1, 2), (2, 4))] == [True, True]  # before validation
    c.end()
    assert not c.validation_due()  # 2 output days run of 3
    c.begin(5)
    assert c.output(5, 1.0) == 0 and c.output_started_today is False  # start-up again
    assert c.output(6, 1.0) == 2 and c.output_started_today  # ramp again; 3rd output day
    assert c.made(6, 2)
    assert c.validation_due()  # at the start of day 7
    assert c.validate() == [(1, 2), (2, 4), (6, 2)]
    assert c.output(7, 0.5) == 2 and not c.made(7, 2)  # validated: normal QC from now on
    c.end()
    c.begin(9)
    assert not c.validation_due() and c.validated  # once per run
    assert c.units == 10


# --- a plain loop over the documented day rules -----------------------------------------------


def reference(horizon: int, on: int, until: int | None, capacity: float, start_up: int,
              ramp_up: int, validation: int, qc: int, a_cap: float, lost: float
              ) -> tuple[list[int], list[int], list[int]]:
    """Line output, p released and a made per day, by the rules as the docstring states them."""
    end = horizon if until is None else until
    q = max(1, qc)
    line, made_a = [], []
    release: dict[int, int] = defaultdict(int)
    held: list[tuple[int, int]] = []
    carry = carry_a = 0.0
    run, validated = 0, validation == 0
    for t in range(horizon):
        if not validated and run >= validation:
            validated = True
            for d, u in held:
                release[max(t, d + q)] += u
            held = []
        active = on <= t < end
        made = 0
        k = t - on
        if active and k >= start_up:
            run += 1
            total = capacity * min(1.0, (k - start_up + 1) / (ramp_up + 1)) + carry
            made = math.floor(total + 1e-9)
            carry = total - made
            if validated:
                release[t + q] += made
            else:
                held.append((t, made))
        line.append(made)
        total_a = (max(0.0, a_cap - lost) if active else a_cap) + carry_a
        made_a.append(math.floor(total_a + 1e-9))
        carry_a = total_a - made_a[-1]
    return line, [release[t] for t in range(horizon)], made_a


@settings(max_examples=25, deadline=None)
@given(on=st.integers(0, 4), length=st.none() | st.integers(1, 12),
       capacity=st.integers(0, 28).map(lambda x: x / 4), start_up=st.integers(0, 3),
       ramp_up=st.integers(0, 4), validation=st.integers(0, 6), qc=st.integers(0, 3),
       lost=st.integers(0, 24).map(lambda x: x / 2))
def test_the_engine_follows_a_plain_loop_over_the_day_rules(on, length, capacity, start_up,
                                                            ramp_up, validation, qc, lost):
    horizon = 18
    until = None if length is None else on + length
    keys = dict(capacity=capacity, on_day=on, start_up_days=start_up, ramp_up_days=ramp_up,
                validation_days=validation, crowds_out={"a": lost})
    if until is not None:
        keys["until_day"] = until
    sc = maker_and_ward(conversion(**keys), horizon=horizon, qc=qc, a_capacity=7.5)
    tr = trace(sc)
    line, released, made_a = reference(horizon, on, until, capacity, start_up, ramp_up,
                                       validation, qc, 7.5, lost)
    assert tr["line"] == line
    assert tr["released p"] == released
    assert tr["made a"] == made_a
    led = tr["ledger"]  # the stock ledger of the run balances in every cell
    assert np.array_equal(led.initial + led.initial_in_qc + led.received + led.produced,
                          led.shipped + led.consumed + led.expired + led.destroyed + led.final
                          + led.recalled)


# --- scenario checks --------------------------------------------------------------------------


def test_a_node_level_policy_for_a_product_only_a_conversion_makes_is_accepted():
    maker = node("m", role="manufacturer", capacity={"a": 1}, policy={"p": BIG, "a": BIG})
    ward = node("w", demand={"p": fixed(1)}, policy={"p": NONE}, stock={"p": {"initial": 5}})
    lanes = [{"from": "m", "to": "w", "lead_time_days": 1}]
    scenario([maker, ward], lanes, products=PRODUCTS,
             countermeasures=[conversion(capacity=1, on_day=1)])
    with pytest.raises(sim.ScenarioError, match="node 'm' has an ordering policy for p but no "
                                                "lane brings it"):
        scenario([maker, ward], lanes, products=PRODUCTS)


@pytest.mark.parametrize(("target", "message"), [
    ("mx", r"countermeasures\[0\]\.node: unknown node 'mx'; did you mean 'm'\?"),
    ("w", r"countermeasures\[0\]\.node: 'w' is not a manufacturer in the model"),
    ("src", r"countermeasures\[0\]\.node: 'src' is not a manufacturer in the model \(a line "
            r"to convert needs a maker, not an outside source\)"),
])
def test_a_conversion_must_name_a_manufacturer_that_is_not_an_outside_source(target, message):
    src = node("src", role="manufacturer", unlimited=True, products=["a"])
    maker = node("m", role="manufacturer", policy={"a": BIG}, capacity={"a": 1})
    ward = node("w", demand={"a": fixed(1)}, policy={"a": {"type": "base_stock", "level": 2}})
    lanes = [{"from": "src", "to": "m", "lead_time_days": 1},
             {"from": "m", "to": "w", "lead_time_days": 1}]
    with pytest.raises(sim.ScenarioError, match=message):
        scenario([src, maker, ward], lanes, products=PRODUCTS,
                 countermeasures=[conversion(node=target, capacity=1, on_day=1)])


def test_a_conversion_names_known_products():
    maker = node("m", role="manufacturer", capacity={"a": 1}, policy={"a": BIG})
    ward = node("w", demand={"a": fixed(1)}, policy={"a": {"type": "base_stock", "level": 2}})
    with pytest.raises(sim.ScenarioError) as err:
        scenario([maker, ward], [{"from": "m", "to": "w", "lead_time_days": 1}],
                 products=PRODUCTS, countermeasures=[conversion(
                     product="q", capacity=1, on_day=1, crowds_out={"b": 1})])
    text = str(err.value)
    assert "countermeasures[0].product: unknown product 'q'" in text
    assert "countermeasures[0].crowds_out.b: unknown product 'b'" in text


def test_output_never_validated_leaves_the_makers_position():
    """A maker that buys p (base stock 30) runs a line on days 2-5, validation 10 days: the
    line's 12 units are held and never validated. They must not stay on order: the maker
    settles where it settles without the measure (24 on hand, 6 on their way)."""
    products = {"p": {"name": "P", "group": "g"}}
    det = {"mean_per_day": 3, "distribution": "deterministic"}
    nodes = [{"id": "src", "role": "manufacturer", "country": "DE", "region": "r",
              "unlimited": True},
             {"id": "m", "role": "manufacturer", "country": "SE", "region": "r",
              "policy": {"p": {"type": "base_stock", "level": 30}},
              "stock": {"p": {"initial": 30}}},
             {"id": "w", "role": "ward", "country": "SE", "region": "r", "demand": {"p": det},
              "policy": {"p": {"type": "base_stock", "level": 6}},
              "stock": {"p": {"initial": 6}}}]
    lanes = [{"from": "src", "to": "m", "lead_time_days": 2},
             {"from": "m", "to": "w", "lead_time_days": 1}]
    conv = {"type": "production_conversion", "name": "line", "node": "m", "product": "p",
            "on_day": 2, "until_day": 6, "capacity": 5, "validation_days": 10}
    ends = []
    for cms in ([], [conv]):
        res = sim.run(sim.from_dict({"name": "held", "horizon_days": 40, "products": products,
                                     "nodes": nodes, "lanes": lanes,
                                     "countermeasures": cms}), replications=1)
        d = res.daily[(res.daily["node"] == "m") & (res.daily["day"] >= 35)]
        ends.append(d[["on_hand", "inbound_in_transit"]].to_numpy().tolist())
    assert ends[0] == ends[1] == [[24, 6]] * 5
