"""Countermeasures: exact traces against hand derivations, and conservation with random ones.

Day numbering and rules: docs/countermeasures.md. Every expected number below is derived in the
comments from the contract, not read off a run.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from tests.strategies import scenarios
from tests.test_conservation import assert_ledger_balances

P = {"a": {"name": "A", "group": "g", "unit": "u"}, "b": {"name": "B", "group": "g", "unit": "u"}}


def det(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def node(id_: str, role: str, **kw) -> dict:
    return {"id": id_, "role": role, "country": "SE", "region": kw.pop("region", "R"), **kw}


def run(data: dict, **kw) -> sim.RunResult:
    return sim.run(sim.from_dict(copy.deepcopy(data)), replications=1, **kw)


def events(res: sim.RunResult, kind: str) -> list[tuple]:
    e = res.events[res.events["kind"] == kind]
    return [(int(d), n, p, v) for d, n, p, v in
            zip(e["day"], e["node"], e["product"], e["value"], strict=True)]


def kpi(res: sim.RunResult, node_id: str, product: str, column: str) -> float:
    k = res.kpis
    return float(k[(k["node"] == node_id) & (k["product"] == product)][column].iloc[0])


# -- redistribution ----------------------------------------------------------------------------

TWO_HOSPITALS = {
    "name": "two-hospitals", "horizon_days": 30, "products": {"a": P["a"]},
    "nodes": [
        node("h1", "hospital_pharmacy", stock={"a": {"initial": 0}}, policy={"a": {"type": "none"}},
             demand={"a": det(10)}),
        node("h2", "hospital_pharmacy", stock={"a": {"initial": 500}},
             policy={"a": {"type": "none"}}, demand={"a": det(10)}),
    ],
    "countermeasures": [{"type": "redistribution", "name": "omfordelning", "on_day": 2,
                         "below_days": 2, "donor_floor_days": 10, "lead_time_days": 1}],
}


def test_redistribution_exact_trace_and_floor():
    """h1 starts empty, h2 holds 500; both use 10 a day; h1 asks, when below 2 days (20), for
    4 days (40) after its waiting patients: 40 + backorders - what it can count on.

    Day 2 (before the day's demand): h1 holds 0 and owes 20 (days 0-1) -> asks 60; h2 opens
    with 480 and offers 480 - 100 = 380: 60 sent, arriving day 3, where the backlog of 30 and
    day 3's 10 leave 20. Day 4 opens with 20 (not below 2 days), day 5 with 10 -> asks 30,
    arriving day 6 (day 5's 10 waits a day); from then a 3-day cycle of 30: days 5, 8, 11, 14,
    17. h2 opens day d with 500 - 10 d - what it gave: day 17: 500 - 170 - 60 - 4 x 30 = 150,
    offering 50; day 20: 90, nothing above its floor of 100.
    """
    res = run(TWO_HOSPITALS)
    moved = [(d, v) for d, n, p, v in events(res, "redistributed")]
    assert moved == [(2, 60), (5, 30), (8, 30), (11, 30), (14, 30), (17, 30)]
    assert kpi(res, "h1", "a", "redistributed_in") == 210
    assert kpi(res, "h2", "a", "redistributed_out") == 210
    assert kpi(res, "h1", "a", "fill_rate") > 0  # 0 without the measure
    without = copy.deepcopy(TWO_HOSPITALS)
    without["countermeasures"] = []
    assert kpi(run(without), "h1", "a", "fill_rate") == 0
    # The donor never gives below its floor: opening stock less what it gives >= 100.
    daily = res.daily[res.daily["node"] == "h2"].set_index("day")["on_hand"]
    for day, units in moved:
        assert daily[day - 1] - units >= 100
    # Nothing is created: the two hold and used what h2 had.
    assert_ledger_balances(res)
    led = res.ledger
    assert led["consumed"].sum() + led["final"].sum() == 500


# -- substitution ------------------------------------------------------------------------------

def substitution_scenario(unmet: str = "backorder") -> dict:
    return {
        "name": "substitution", "horizon_days": 4, "products": P,
        "nodes": [node("w", "ward", unmet_demand=unmet,
                       stock={"a": {"initial": 0}, "b": {"initial": 45}},
                       policy={"a": {"type": "none"}, "b": {"type": "none"}},
                       demand={"a": det(10)})],
        "countermeasures": [{"type": "substitution", "name": "byte", "on_day": 0,
                             "product": "a", "by": "b", "ratio": 2}],
    }


@pytest.mark.parametrize("unmet", ["backorder", "lost"])
def test_substitution_exact_trace_ratio_2(unmet):
    """10 a day of a, none in stock; 45 of b at 2 b per a.

    Day 0: floor(45 / 2) = 22 a-units possible -> 10 served, 20 b used, 25 left. Day 1: 12
    possible -> 10, 5 b left. Day 2: 2 possible -> 2 served (4 b), 1 b left, 8 unmet. Day 3:
    none. Served 10, 10, 2, 0; 22 substituted; 44 b consumed.
    """
    res = run(substitution_scenario(unmet))
    w = res.daily[(res.daily["node"] == "w")]
    assert w[w["product"] == "a"]["served"].tolist() == [10, 10, 2, 0]
    assert w[w["product"] == "b"]["on_hand"].tolist() == [25, 5, 1, 1]
    assert [(d, v) for d, n, p, v in events(res, "substituted")] == [(0, 10), (1, 10), (2, 2)]
    assert kpi(res, "w", "a", "substituted") == 22
    led = res.ledger.set_index("product")
    assert led.loc["b", "consumed"] == 44
    assert kpi(res, "w", "a", "fill_rate") == pytest.approx(22 / 40)
    assert_ledger_balances(res)


# -- allocation quotas and hoarding ------------------------------------------------------------

def hoarding_scenario(rule: str) -> dict:
    return {
        "name": "hoarding", "horizon_days": 20, "products": {"a": P["a"]},
        "nodes": [
            node("m", "manufacturer", capacity={"a": 10}, stock={"a": {"initial": 0}},
                 policy={"a": {"type": "base_stock", "level": 100000}}),
            node("c1", "ward", hoarding_factor=2, unmet_demand="lost", demand={"a": det(10)},
                 stock={"a": {"initial": 0}}, policy={"a": {"type": "base_stock", "level": 20}}),
            node("c2", "ward", unmet_demand="lost", demand={"a": det(10)},
                 stock={"a": {"initial": 0}}, policy={"a": {"type": "base_stock", "level": 20}}),
        ],
        "lanes": [{"from": "m", "to": "c1", "lead_time_days": 1},
                  {"from": "m", "to": "c2", "lead_time_days": 1}],
        "countermeasures": [{"type": "allocation", "name": "kvot", "on_day": 0,
                             "match": {"node": "m"}, "rule": rule}],
    }


def shipped_per_day(res: sim.RunResult, ward: str) -> list[int]:
    """Units shipped to `ward` each day: what arrived the next day (lead time 1)."""
    arrived = res.daily[(res.daily["node"] == ward)].set_index("day")
    # inbound in transit at the end of day t is what was shipped on day t (lead time 1 day).
    return arrived["inbound_in_transit"].tolist()


def test_history_allocation_holds_against_a_hoarder_pro_rata_does_not():
    """A maker makes 10 a day (released the next day); two wards use 10 a day, base stock 20;
    c1 hoards (factor 2) after a cut.

    Day 0: both order 20; the maker has nothing: both cut, 20 owed each. Day 1: c1 (cut on day
    0) hoards: level 40, position 20 -> orders 20 more; c2 at 20 orders nothing. The maker has
    10: backlog 20 and 20 first -> 5 and 5 (pro rata and history alike: quota floor(10 x 1/2)).
    Day 2: c1 owes 35 and c2 15; c1 orders 5 (position 35 < 40), c2 5 (15 < 20). Pro rata on
    the backlog of 50: 7 and 3. History: quotas 5 and 5.
    """
    pro = run(hoarding_scenario("pro_rata"))
    hist = run(hoarding_scenario("history"))
    assert shipped_per_day(pro, "c1")[:3] == [0, 5, 7]
    assert shipped_per_day(pro, "c2")[:3] == [0, 5, 3]
    # History: every day from day 1 each gets its quota of the 10 made, 5.
    assert shipped_per_day(hist, "c1")[1:19] == [5] * 18
    assert shipped_per_day(hist, "c2")[1:19] == [5] * 18
    got = {name: sum(shipped_per_day(pro, name)) for name in ("c1", "c2")}
    assert got["c1"] > got["c2"]  # the hoarder gets more than its half under pro rata
    for res in (pro, hist):
        assert_ledger_balances(res)


def test_order_cap_cuts_orders_and_the_cut_is_never_ordered():
    """A ward with base stock 50 and 10 a day (its normal flow) under a 2-day cap: 20 an order.

    Lead time 3. Day 0: position 0 - 10 backlog -> wants 60, orders 20 (the other 40 is never
    ordered: its on-order is 20). Day 1: 20 - 20 backlog = 0 -> 50, cut to 20. Day 2: 40 - 30
    = 10 -> 40, cut to 20.
    """
    data = {
        "name": "cap", "horizon_days": 6, "products": {"a": P["a"]},
        "nodes": [node("s", "manufacturer", unlimited=True),
                  node("wh", "wholesaler", stock={"a": {"initial": 1000}},
                       policy={"a": {"type": "none"}}),
                  node("w", "ward", demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 50}})],
        "lanes": [{"from": "wh", "to": "w", "lead_time_days": 3}],
        "countermeasures": [{"type": "allocation", "name": "tak", "on_day": 0,
                             "match": {"node": "wh"}, "rule": "pro_rata", "order_cap_days": 2}],
    }
    res = run(data)
    orders = res.daily[res.daily["node"] == "wh"]["orders"].tolist()
    assert orders[:3] == [20, 20, 20]
    w = res.daily[res.daily["node"] == "w"]
    # On order (in transit) is only what was ordered: 20, 40, 60 after days 0-2.
    assert w["inbound_in_transit"].tolist()[:3] == [20, 40, 60]
    assert max(orders) <= 20
    assert_ledger_balances(res)


# -- stockpile release and emergency lanes -----------------------------------------------------

def test_stockpile_release_share_pro_rata_to_normal_flow():
    """Half of 1,000 units goes to two wards using 10 and 30 a day: 125 and 375."""
    data = {
        "name": "release", "horizon_days": 5, "products": {"a": P["a"]},
        "nodes": [node("lager", "wholesaler", tags=["national_stockpile"],
                       stock={"a": {"initial": 1000}}, policy={"a": {"type": "none"}}),
                  node("w1", "ward", demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "none"}}),
                  node("w2", "ward", demand={"a": det(30)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "none"}})],
        "countermeasures": [{"type": "stockpile_release", "name": "uttag", "on_day": 1,
                             "from": {"tag": "national_stockpile"}, "to": {"role": "ward"},
                             "share": 0.5, "lead_time_days": 2}],
    }
    res = run(data)
    assert [(d, n, v) for d, n, p, v in events(res, "released")] == [(1, "w1", 125),
                                                                     (1, "w2", 375)]
    # Sent on day 1 with 2 days on the way: in stock from day 3.
    w2 = res.daily[res.daily["node"] == "w2"].set_index("day")["on_hand"]
    assert w2[2] == 0 and w2[3] == 375 - 30 * 1 - 3 * 30  # backlog of days 0-2, then day 3
    assert kpi(res, "w1", "a", "released") == 125
    assert_ledger_balances(res)


def test_emergency_lane_gives_at_most_max_share_a_day():
    """A ward (base stock 30, 10 a day) whose only lane is closed; a neighbour with 100 may give
    10 % of its stock a day: floor(0.1 x 100, 90, 81, 73, 66) = 10, 9, 8, 7, 6 (the ward always
    asks for more than that)."""
    data = {
        "name": "emergency", "horizon_days": 5, "products": {"a": P["a"]},
        "nodes": [node("wh", "manufacturer", unlimited=True),
                  node("nabo", "wholesaler", country="NO", region="Oslo",
                       stock={"a": {"initial": 100}}, policy={"a": {"type": "none"}}),
                  node("w", "ward", demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 30}})],
        "lanes": [{"from": "wh", "to": "w", "lead_time_days": 1}],
        "disruptions": [{"type": "transport", "start_day": 0, "duration_days": 5,
                         "lanes": {"from": ["wh"]}, "closed": True}],
        "countermeasures": [{"type": "emergency_lanes", "name": "nordisk", "on_day": 0,
                             "max_share": 0.1,
                             "lanes": [{"from": "nabo", "to": "w", "lead_time_days": 1}]}],
    }
    res = run(data)
    assert [(d, v) for d, n, p, v in events(res, "emergency_supplied")] == [
        (0, 10), (1, 9), (2, 8), (3, 7), (4, 6)]
    assert kpi(res, "w", "a", "emergency_in") == 40
    assert_ledger_balances(res)  # the last 6 are still on their way


# -- triggers ----------------------------------------------------------------------------------

def release_on_trigger(trigger: dict, horizon: int = 18) -> dict:
    """A ward with 50 using 10 a day; a stockpile gives it 10 days (100) when the measure starts."""
    return {
        "name": "triggers", "horizon_days": horizon, "products": {"a": P["a"]},
        "nodes": [node("lager", "wholesaler", stock={"a": {"initial": 10000}},
                       policy={"a": {"type": "none"}}),
                  node("w", "ward", demand={"a": det(10)}, stock={"a": {"initial": 50}},
                       policy={"a": {"type": "none"}})],
        "disruptions": [{"type": "demand_surge", "name": "anfall", "start_day": 3,
                         "duration_days": 2, "where": {"roles": ["ward"]}, "factor": 1}],
        "countermeasures": [{"type": "stockpile_release", "name": "uttag",
                             "from": {"node": "lager"}, "to": {"node": "w"}, "days": 10,
                             "lead_time_days": 1, **trigger}],
    }


def days_of(res: sim.RunResult, kind: str) -> list[int]:
    return [d for d, *_ in events(res, kind)]


@pytest.mark.parametrize("trigger, triggered, started", [
    ({"on_day": 4}, [4], [4]),
    ({"on_day": 4, "decision_days": 3}, [4], [7]),
    ({"after": "anfall"}, [3], [3]),
    ({"after": "anfall", "decision_days": 2}, [3], [5]),
])
def test_fixed_triggers_fire_on_the_documented_day(trigger, triggered, started):
    res = run(release_on_trigger(trigger))
    assert days_of(res, "countermeasure_triggered") == triggered
    assert days_of(res, "countermeasure_start") == started
    assert days_of(res, "released") == started


def test_when_trigger_with_decision_days_and_release():
    """The ward opens day t with 50 - 10 t: below 2 days (20) first on day 4 (10 < 20).

    Decided a day later: released on day 5 (100, arriving day 6). Day 6 opens with 100 (the
    release arrives before the triggers look): above 5 days, the measure ends. The backlog of
    day 5 (10) and day 6's 10 leave 80; day t > 6 opens with 80 - 10 (t - 7): below 20 first on
    day 14 -> released day 15, arriving 16, ended on 16.
    """
    res = run(release_on_trigger({"when": {"below_days": 2, "scope": "node",
                                           "match": {"node": "w"}},
                                  "decision_days": 1, "release_above_days": 5}))
    assert days_of(res, "countermeasure_triggered") == [4, 14]
    assert days_of(res, "countermeasure_start") == [5, 15]
    assert days_of(res, "countermeasure_end") == [6, 16]
    assert [v for *_, v in events(res, "released")] == [100, 100]
    table = res.countermeasures
    assert table["triggered_day"].tolist() == [4] and table["first_day"].tolist() == [5]
    assert table["days_active"].tolist() == [2] and table["units"].tolist() == [200]


def test_until_day_ends_the_measure():
    res = run(release_on_trigger({"on_day": 2, "until_day": 6}))
    assert days_of(res, "countermeasure_start") == [2]
    assert days_of(res, "countermeasure_end") == [6]
    assert res.countermeasures["days_active"].tolist() == [4]


# -- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    ({"after": "anfal"}, "did you mean 'anfall'"),
    ({"on_day": 1, "when": {"below_days": 2}}, "exactly one trigger"),
    ({"to": {"node": "ww"}}, "did you mean 'w'"),
    ({"release_above_days": 3}, "'release_above_days' ends a 'when' trigger"),
])
def test_bad_countermeasures_are_refused_with_a_message(change, message):
    data = release_on_trigger({"on_day": 1})
    cm = data["countermeasures"][0]
    if "after" in change or "when" in change:
        cm.pop("on_day")
    cm.update(change)
    with pytest.raises(sim.ScenarioError, match=message):
        sim.from_dict(data)


def test_duplicate_names_and_ambiguous_after_are_refused():
    data = release_on_trigger({"on_day": 1})
    data["countermeasures"].append(copy.deepcopy(data["countermeasures"][0]))
    with pytest.raises(sim.ScenarioError, match="duplicate countermeasure name 'uttag'"):
        sim.from_dict(data)
    data = release_on_trigger({"after": "anfall"})
    data["disruptions"].append(copy.deepcopy(data["disruptions"][0]))
    with pytest.raises(sim.ScenarioError, match="more than one disruption is named"):
        sim.from_dict(data)


# -- conservation with random countermeasures --------------------------------------------------

@st.composite
def with_countermeasures(draw: st.DrawFn) -> dict:
    data = draw(scenarios())
    products = [p for p in data["products"] if p != "comp"]
    wards = [n["id"] for n in data["nodes"] if n["role"] == "ward"]
    wholesalers = [n["id"] for n in data["nodes"] if n["role"] == "wholesaler"]
    data["nodes"].append({"id": "lager", "role": "wholesaler", "country": "SE",
                          "region": "Stockholm", "tags": ["national_stockpile"],
                          "stock": {p: {"initial": draw(st.integers(0, 500))} for p in products},
                          "policy": {p: {"type": "none"} for p in products}})
    for w in wards:
        if draw(st.booleans()):
            nd = next(n for n in data["nodes"] if n["id"] == w)
            nd["hoarding_factor"] = draw(st.sampled_from([1.5, 2, 3]))

    def trigger() -> dict:
        kind = draw(st.sampled_from(["on_day", "when"]))
        out: dict = {"decision_days": draw(st.integers(0, 3))}
        if kind == "on_day":
            out["on_day"] = draw(st.integers(0, 10))
            if draw(st.booleans()):
                out["until_day"] = out["on_day"] + draw(st.integers(1, 20))
        else:
            below = draw(st.floats(0.5, 10))
            out["when"] = {"below_days": below, "scope": draw(st.sampled_from(
                ["node", "region", "country"])), "match": {"role": "ward"}}
            if draw(st.booleans()):
                out["release_above_days"] = below + draw(st.floats(0, 10))
        return out

    cms: list[dict] = []
    kinds = draw(st.lists(st.sampled_from(["redistribution", "substitution", "release",
                                           "emergency", "allocation", "expired"]),
                          max_size=4))
    for i, kind in enumerate(kinds):
        base = {"name": f"cm{i}", **trigger()}
        if kind == "redistribution":
            below = draw(st.floats(0.5, 5))
            cms.append({**base, "type": "redistribution", "match": {"role": "ward"},
                        "within": draw(st.sampled_from(["region", "country"])),
                        "below_days": below, "donor_floor_days": below + draw(st.floats(0, 5)),
                        "lead_time_days": draw(st.floats(0.2, 3)),
                        "review_days": draw(st.integers(1, 3))})
        elif kind == "substitution" and len(products) > 1:
            a, b = draw(st.permutations(products))[:2]
            cms.append({**base, "type": "substitution", "product": a, "by": b,
                        "ratio": draw(st.sampled_from([0.5, 1, 1.5, 2]))})
        elif kind == "release":
            amount = ({"share": draw(st.floats(0, 1))} if draw(st.booleans())
                      else {"days": draw(st.floats(0.5, 20))})
            cms.append({**base, "type": "stockpile_release", "from": {"node": "lager"},
                        "to": {"role": draw(st.sampled_from(["ward", "wholesaler"]))},
                        **amount})
        elif kind == "emergency":
            cms.append({**base, "type": "emergency_lanes",
                        "max_share": draw(st.floats(0, 1)),
                        "lanes": [{"from": draw(st.sampled_from(["lager", "src"])),
                                   "to": draw(st.sampled_from(wards + wholesalers)),
                                   "lead_time_days": draw(st.floats(0.5, 3))}]})
        elif kind == "expired":
            cms.append({**base, "type": "use_expired",
                        "match": {"role": draw(st.sampled_from(["ward", "wholesaler"]))},
                        "extend_days": draw(st.integers(1, 10))})
        elif kind == "allocation":
            cms.append({**base, "type": "allocation", "match": {"role": "wholesaler"},
                        "rule": draw(st.sampled_from(["pro_rata", "history"])),
                        **({"order_cap_days": draw(st.floats(0.5, 10))}
                           if draw(st.booleans()) else {})})
    data["countermeasures"] = cms
    return data


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(with_countermeasures())
def test_conservation_with_random_countermeasures(data):
    res = sim.run(sim.from_dict(data), replications=1)
    assert_ledger_balances(res)
    daily = res.daily
    for column in ("on_hand", "backorders", "inbound_in_transit", "demand", "served"):
        assert (daily[column] >= 0).all(), column
    assert (daily["served"] <= daily["demand"]).all()
    k = res.kpis
    assert (k[["redistributed_in", "redistributed_out", "released", "emergency_in",
               "substituted", "used_expired"]] >= 0).all().all()
    # Everything redistributed out of one node went into another (no warm-up here).
    assert k["redistributed_in"].sum() == k["redistributed_out"].sum()
    if data["countermeasures"]:
        table = res.countermeasures
        assert (table["days_active"] <= data["horizon_days"]).all()


def test_crowding_out_a_product_the_maker_does_not_make_is_refused():
    data = {
        "name": "conv", "horizon_days": 5, "products": P,
        "nodes": [node("m", "manufacturer", capacity={"a": 10}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 50}}),
                  node("w", "ward", demand={"a": det(1)})],
        "lanes": [{"from": "m", "to": "w", "lead_time_days": 1}],
        "countermeasures": [{"type": "production_conversion", "name": "linje", "on_day": 1,
                             "node": "m", "product": "a", "capacity": 5,
                             "crowds_out": {"b": 3}}],
    }
    with pytest.raises(sim.ScenarioError, match="'m' does not make b"):
        sim.from_dict(data)


def test_cli_prints_the_countermeasures_and_the_folder_keeps_them(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from sim.cli import app

    data = release_on_trigger({"on_day": 4, "decision_days": 1})
    scenario = tmp_path / "cm.yaml"
    scenario.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "res"
    done = CliRunner().invoke(app, ["run", str(scenario), "--out", str(out),
                                    "--replications", "2"])
    assert done.exit_code == 0, done.output
    assert "Countermeasures" in done.output and "stockpile_release" in done.output
    res = sim.open(out)
    assert res.countermeasures["first_day"].tolist() == [5, 5]
    assert res.countermeasures["units"].tolist() == [100, 100]


def test_a_batch_carries_the_countermeasures_and_their_kpis():
    """Two variants (with and without the release), 3 replications each: the batch summary
    has the released units, the countermeasures tables the days and units (deterministic
    here: every replication releases 100 on day 5)."""
    data = release_on_trigger({"on_day": 4, "decision_days": 1})
    b = sim.batch(sim.from_dict(data), replications=3,
                  variants=[sim.Variant("without", {"countermeasures": []}),
                            sim.Variant("with", {})])
    s = b.summary
    released = s[(s["kpi"] == "released") & (s["role"] == "ward")].set_index("variant")
    assert released.loc["with", "mean"] == 100 and released.loc["without", "mean"] == 0
    reps = b.replication_countermeasures
    assert len(reps) == 3 and set(reps["variant"]) == {"with"}
    assert reps["first_day"].tolist() == [5, 5, 5] and reps["units"].tolist() == [100] * 3
    summary = b.countermeasure_summary.set_index("kpi")
    assert summary.loc["started", "mean"] == 1 and summary.loc["days_active", "mean"] == 13
    # The same numbers as one run of the variant.
    run = sim.run(sim.from_dict(data), replications=1)
    assert run.countermeasures["units"].tolist() == [100]


@pytest.mark.parametrize("trigger, triggered", [
    ({"on_day": 2, "not_before_day": 6}, [6]),
    ({"after": "anfall", "not_before_day": 6}, [6]),
    # The ward is below 2 days from day 4 (10 < 20): looked at from day 8 only.
    ({"when": {"below_days": 2, "scope": "node", "match": {"node": "w"}},
      "not_before_day": 8}, [8]),
])
def test_not_before_day_holds_every_trigger_back(trigger, triggered):
    res = run(release_on_trigger(trigger))
    assert days_of(res, "countermeasure_triggered") == triggered


def test_a_conversion_leaves_the_network_as_it_is_until_it_acts():
    """A maker that does not make b converts a line to it on day 20: before then it holds no b
    (no initial stock from initial_days) and normal flows and initial stocks elsewhere are
    those of the scenario without the measure."""
    from sim.network import network_of

    data = {
        "name": "conv", "horizon_days": 30, "products": P,
        "nodes": [node("src", "manufacturer", unlimited=True),
                  node("m", "manufacturer", capacity={"a": 10}),
                  node("wh", "wholesaler"),
                  node("w", "ward", demand={"a": det(5), "b": det(4)})],
        "lanes": [{"from": "src", "to": "wh", "lead_time_days": 2},
                  {"from": "m", "to": "wh", "lead_time_days": 1},
                  {"from": "wh", "to": "w", "lead_time_days": 1}],
        "policies": [{"match": {}, "policy": {"type": "days_of_supply", "reorder_days": 3,
                                              "target_days": 6}}],
        "stocks": [{"match": {}, "stock": {"initial_days": 6}}],
        "countermeasures": [{"type": "production_conversion", "name": "linje", "on_day": 20,
                             "node": "m", "product": "b", "capacity": 5}],
    }
    with_cm = network_of(sim.from_dict(copy.deepcopy(data)))
    data["countermeasures"] = []
    without = network_of(sim.from_dict(data))
    m = with_cm.node_ids.index("m")
    b = with_cm.product_ids.index("b")
    assert with_cm.initial[m, b] == 0 and with_cm.normal_flow[m, b] == 0
    # The line plans on what its customers would draw from it: half the wholesaler's 4 a day
    # (two lanes in), 6 days of it.
    assert with_cm.order_up_to[m, b] == 12
    order = [without.node_ids.index(i) for i in with_cm.node_ids]
    assert (with_cm.normal_flow == without.normal_flow[order]).all()
    assert (with_cm.initial == without.initial[order]).all()


def test_history_quotas_hold_when_the_supplier_has_demand_of_its_own():
    """A maker makes 30 a day for a hospital pharmacy that uses 10 itself and serves two wards
    of 10 a day, one hoarding (factor 3). By history each ward's quota is a third of the
    pharmacy's stock (its share of the pharmacy's whole normal flow, own use included): 10 a
    day each from day 2; pro rata the hoarder gets more."""
    data = {
        "name": "own", "horizon_days": 12, "products": {"a": P["a"]},
        "nodes": [node("m", "manufacturer", capacity={"a": 30}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 100000}}),
                  node("s", "hospital_pharmacy", stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 1000}},
                       demand={"a": det(10)}),
                  node("w1", "ward", hoarding_factor=3, unmet_demand="lost",
                       demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 20}}),
                  node("w2", "ward", unmet_demand="lost", demand={"a": det(10)},
                       stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 20}})],
        "lanes": [{"from": "m", "to": "s", "lead_time_days": 1},
                  {"from": "s", "to": "w1", "lead_time_days": 1},
                  {"from": "s", "to": "w2", "lead_time_days": 1}],
        "countermeasures": [{"type": "allocation", "name": "k", "on_day": 0,
                             "match": {"node": "s"}, "rule": "history"}],
    }
    res = run(data)
    assert shipped_per_day(res, "w1")[2:] == [10] * 10
    assert shipped_per_day(res, "w2")[2:] == [10] * 10
    data["countermeasures"][0]["rule"] = "pro_rata"
    pro = run(data)
    assert sum(shipped_per_day(pro, "w1")) > sum(shipped_per_day(pro, "w2"))


def test_emergency_lanes_from_one_supplier_share_its_allowance_pro_rata():
    """Two wards asking 30 each of a neighbour with 100 that gives 10 % a day: 5 and 5 on day
    0 (of 10); then 9 of 90: 5 and 4 (the remainder to the lane listed first)."""
    data = {
        "name": "emergency2", "horizon_days": 2, "products": {"a": P["a"]},
        "nodes": [node("wh", "manufacturer", unlimited=True),
                  node("nabo", "wholesaler", country="NO", region="Oslo",
                       stock={"a": {"initial": 100}}, policy={"a": {"type": "none"}}),
                  node("w1", "ward", demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 30}}),
                  node("w2", "ward", demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 30}})],
        "lanes": [{"from": "wh", "to": "w1", "lead_time_days": 1},
                  {"from": "wh", "to": "w2", "lead_time_days": 1}],
        "disruptions": [{"type": "transport", "start_day": 0, "duration_days": 5,
                         "lanes": {"from": ["wh"]}, "closed": True}],
        "countermeasures": [{"type": "emergency_lanes", "name": "nordisk", "on_day": 0,
                             "max_share": 0.1,
                             "lanes": [{"from": "nabo", "to": "w1"},
                                       {"from": "nabo", "to": "w2"}]}],
    }
    res = run(data)
    assert [(d, n, v) for d, n, p, v in events(res, "emergency_supplied")] == [
        (0, "w1", 5), (0, "w2", 5), (1, "w1", 5), (1, "w2", 4)]


def use_expired_scenario(extend: int | None) -> dict:
    """A municipality with 40 units that all expire at the start of day 5 (remaining life 5),
    using 4 a day, no resupply."""
    data = {
        "name": "expired", "horizon_days": 12,
        "products": {"a": {**P["a"], "shelf_life_days": 30}},
        "nodes": [node("k", "municipal_care", demand={"a": det(4)},
                       stock={"a": {"initial": 40, "remaining_shelf_life_days": 5}},
                       policy={"a": {"type": "none"}})],
    }
    if extend is not None:
        data["countermeasures"] = [{"type": "use_expired", "name": "spara", "on_day": 0,
                                    "match": {"node": "k"}, "extend_days": extend}]
    return data


def test_use_expired_keeps_expired_stock_usable_for_extend_days():
    """Without the measure, 20 units are used on days 0-4 and 20 expire on day 5. With
    extend_days 3 (in force from the start of day 1), they expire on day 8 instead: 12 more
    are used on days 5-7 (used_expired 12) and 8 expire on day 8."""
    plain = run(use_expired_scenario(None))
    assert [(d, v) for d, n, p, v in events(plain, "expired")] == [(5, 20)]
    res = run(use_expired_scenario(3))
    assert [(d, v) for d, n, p, v in events(res, "expired")] == [(8, 8)]
    assert [(d, v) for d, n, p, v in events(res, "used_expired")] == [(5, 4), (6, 4), (7, 4)]
    assert kpi(res, "k", "a", "used_expired") == 12
    assert res.countermeasures["units"].tolist() == [12]
    assert_ledger_balances(res)


def test_history_own_quota_goes_to_imperative_care_first():
    """A hospital pharmacy with care demand (imperative trauma and deferrable planned care, 5
    units a day each, unmet demand lost) and one ward customer (10 a day), under history
    allocation: 10 units a day arrive, the pharmacy's own quota is half of them (its share of
    its normal flow), and its own 5 go to imperative care first: imperative fully served every
    day once stock arrives."""
    data = {
        "name": "own-care", "horizon_days": 8, "products": {"a": P["a"]},
        "nodes": [node("m", "manufacturer", capacity={"a": 10}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 100000}}),
                  node("s", "hospital_pharmacy", stock={"a": {"initial": 0}},
                       unmet_demand="lost",
                       policy={"a": {"type": "base_stock", "level": 1000}}),
                  node("w", "ward", unmet_demand="lost", demand={"a": det(10)},
                       stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 20}})],
        "lanes": [{"from": "m", "to": "s", "lead_time_days": 1},
                  {"from": "s", "to": "w", "lead_time_days": 1}],
        "care": {"categories": {"trauma": {"length_of_stay_days": 1, "priority": "imperative"},
                                "planned": {"length_of_stay_days": 1,
                                            "priority": "deferrable"}},
                 "norms": [{"category": "all", "product": "a", "per_admission": 5}],
                 "admissions": [{"match": {"node": "s"}, "category": c, "mean_per_day": 1,
                                 "distribution": "deterministic"}
                                for c in ("trauma", "planned")]},
        "countermeasures": [{"type": "allocation", "name": "k", "on_day": 0,
                             "match": {"node": "s"}, "rule": "history"}],
    }
    res = run(data)
    k = res.kpis.set_index("node")
    # The first 10 reach the pharmacy on day 2 (made day 0, released day 1, a day on the
    # lane): days 0-1 go without; from day 2 trauma's 5 a day are served in full, planned care
    # gets nothing.
    assert k.loc["s", "unmet_imperative"] == 10
    assert k.loc["s", "fill_deferrable"] == 0


def test_a_later_emergency_lane_is_a_backup_for_what_the_first_cannot_give():
    """A ward short of 30 with lanes from n1 (10 units, 10 % a day: 1) and then n2 (1,000: up
    to 100): n1 gives 1, n2 the other 29 on day 0."""
    data = {
        "name": "backup", "horizon_days": 1, "products": {"a": P["a"]},
        "nodes": [node("wh", "manufacturer", unlimited=True),
                  node("n1", "wholesaler", stock={"a": {"initial": 10}},
                       policy={"a": {"type": "none"}}),
                  node("n2", "wholesaler", stock={"a": {"initial": 1000}},
                       policy={"a": {"type": "none"}}),
                  node("w", "ward", demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 30}})],
        "lanes": [{"from": "wh", "to": "w", "lead_time_days": 1}],
        "disruptions": [{"type": "transport", "start_day": 0, "duration_days": 5,
                         "lanes": {"from": ["wh"]}, "closed": True}],
        "countermeasures": [{"type": "emergency_lanes", "name": "nordisk", "on_day": 0,
                             "max_share": 0.1,
                             "lanes": [{"from": "n1", "to": "w"}, {"from": "n2", "to": "w"}]}],
    }
    res = run(data)
    assert kpi(res, "w", "a", "emergency_in") == 30
    led = res.ledger.set_index("node")
    assert (led.loc["n1", "shipped"], led.loc["n2", "shipped"]) == (1, 29)


def test_kept_expired_units_keep_their_expiry_through_a_stock_loss_and_a_shipment():
    """40 units expiring on day 5 at a municipality using 1 a day, kept 5 days more: 30
    expire on day 10 and 5 are used past their shelf life. A fire on day 7 destroying half
    (16 of 33) must not move the kept units' expiry: 14 expire on day 10, 5 used expired.
    And a matched store shipping kept units to a matched ward: they arrive usable."""
    data = use_expired_scenario(5)
    data["horizon_days"] = 14
    data["nodes"][0]["demand"] = {"a": det(1)}
    res = run(data)
    assert [(d, v) for d, n, p, v in events(res, "expired")] == [(10, 30)]
    assert kpi(res, "k", "a", "used_expired") == 5
    data["disruptions"] = [{"type": "stock_loss", "name": "brand", "start_day": 7,
                            "where": {"nodes": ["k"]}, "share": 0.5}]
    res = run(data)
    assert [(d, v) for d, n, p, v in events(res, "destroyed")] == [(7, 16)]
    assert [(d, v) for d, n, p, v in events(res, "expired")] == [(10, 14)]
    assert kpi(res, "k", "a", "used_expired") == 5
    assert_ledger_balances(res)
    # A store with 100 units expiring on day 3, both kept 5 days, supplying a ward of 10 a
    # day (base stock 30, next day): what leaves the store on days 3-7 arrives usable.
    shipped = {
        "name": "kept-shipped", "horizon_days": 9,
        "products": {"a": {**P["a"], "shelf_life_days": 30}},
        "nodes": [node("lager", "wholesaler",
                       stock={"a": {"initial": 100, "remaining_shelf_life_days": 3}},
                       policy={"a": {"type": "none"}}),
                  node("w", "ward", demand={"a": det(10)}, stock={"a": {"initial": 0}},
                       policy={"a": {"type": "base_stock", "level": 30}})],
        "lanes": [{"from": "lager", "to": "w", "lead_time_days": 1}],
        "countermeasures": [{"type": "use_expired", "name": "spara", "on_day": 0,
                             "match": {}, "extend_days": 5}],
    }
    res = run(shipped)
    assert not [e for e in events(res, "expired") if e[0] < 8]
    assert kpi(res, "w", "a", "fill_rate") > 0.8
    assert_ledger_balances(res)
