"""Demand from care activity: admissions, stays, norms (docs/engine.md, "Care activity")."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

import sim
from sim.care_network import stay_days_mean
from sim.engine import Engine, run_replication
from sim.network import network_of
from sim.scenario import schema

# Two-sided 99 % quantile of Student's t with 29 degrees of freedom (30 replications).
T_99_29 = 2.7564
REPS = 30
WARMUP, HORIZON = 30, 160

PRODUCTS = {"ringer": {"name": "Ringer", "group": "infusion_fluids"},
            "gloves": {"name": "Gloves", "group": "ppe"},
            "iv_set": {"name": "IV set", "group": "devices"}}


def ward(id: str, beds: float = 10, region: str = "x") -> dict:
    big = {"type": "base_stock", "level": 100_000}
    return {"id": id, "role": "ward", "country": "SE", "region": region, "scale": {"beds": beds},
            "policy": {p: big for p in PRODUCTS}}


def care_scenario(care: dict, wards: list[dict] | None = None, **extra) -> sim.Scenario:
    wards = wards or [ward("w")]
    return sim.from_dict({
        "name": "care", "horizon_days": HORIZON, "warmup_days": WARMUP, "seed": 11,
        "products": PRODUCTS,
        "nodes": [{"id": "src", "role": "manufacturer", "country": "SE", "region": "x",
                   "unlimited": True}, *wards],
        "lanes": [{"from": "src", "to": w["id"], "lead_time_days": 1} for w in wards],
        "care": care, **extra})


def demand_series(sc: sim.Scenario, node: str, product: str) -> np.ndarray:
    """Daily demand at one node, int[replications, days] (the engine's own records)."""
    net = network_of(sc)
    i, j = net.node_ids.index(node), net.product_ids.index(product)
    return np.array([run_replication(net, 5, r).daily.demand[:, i, j] for r in range(REPS)])


def daily_means(sc: sim.Scenario, node: str, product: str) -> list[float]:
    """Mean daily demand after warm-up, one value per replication."""
    return demand_series(sc, node, product)[:, WARMUP:].mean(axis=1).tolist()


def assert_in_99_interval(values: list[float], expected: float) -> None:
    mean, sd = statistics.fmean(values), statistics.stdev(values)
    half = T_99_29 * sd / math.sqrt(len(values))
    assert abs(mean - expected) <= half, (mean, half, expected)


TRAUMA = {"length_of_stay_days": 10, "priority": "imperative",
          "staff_shifts_per_patient_day": 6}


def test_littles_law_per_patient_day_and_per_admission():
    # Poisson admissions 0.3 a day per bed x 10 beds, stay 10 days: census 30 in the mean;
    # 4 bags a patient-day and 2 per admission: 30 x 4 + 3 x 2 = 126 a day.
    care = {"categories": {"trauma": TRAUMA},
            "norms": [{"category": "trauma", "product": "ringer", "per_patient_day": 4,
                       "per_admission": 2}],
            "admissions": [{"match": {"role": "ward"}, "category": "trauma",
                            "mean_per_day": 0.3, "per": "beds"}]}
    sc = care_scenario(care)
    assert_in_99_interval(daily_means(sc, "w", "ringer"), 3 * 10 * 4 + 3 * 2)
    net = network_of(sc)
    assert net.normal_flow[net.node_ids.index("w"), net.product_ids.index("ringer")] == 126


def test_littles_law_for_staff_shifts_and_random_stays():
    # Stays uniform on [2, 6] days are counted in whole days, max(1, ceil(L)): 3, 4, 5 or 6
    # with probability 1/4 each, mean 4.5; 6 shifts a patient-day, 10 gloves a shift, 2
    # admissions a day: 2 x 4.5 x 6 x 10 = 540 gloves a day.
    care = {"categories": {"trauma": {**TRAUMA, "length_of_stay_days": {
                "distribution": "uniform", "low": 2, "high": 6}}},
            "norms": [{"category": "all", "group": "ppe", "per_staff_shift": 10}],
            "admissions": [{"category": "trauma", "mean_per_day": 2,
                            "match": {"node": "w"}}]}
    sc = care_scenario(care)
    assert stay_days_mean(sc.care.categories["trauma"].length_of_stay_days) == pytest.approx(4.5)
    assert_in_99_interval(daily_means(sc, "w", "gloves"), 540)


@pytest.mark.parametrize(("spec", "expected"), [
    (3.0, 3.0), (2.2, 3.0), (0.4, 1.0),
    ({"distribution": "uniform", "low": 0, "high": 2}, 1.5),  # ceil: 1 w.p. 1/2, 2 w.p. 1/2
    ({"distribution": "triangular", "low": 0, "mode": 1, "high": 2}, 1.5),
    # mode at an end: P(L > 1) = (2 - 1)^2 / 4 = 1/4 with mode = low, 3/4 with mode = high.
    ({"distribution": "triangular", "low": 0, "mode": 0, "high": 2}, 1.25),
    ({"distribution": "triangular", "low": 0, "mode": 2, "high": 2}, 1.75),
    ({"distribution": "triangular", "low": 2, "mode": 2, "high": 2}, 2.0),
])
def test_stay_days_mean_in_whole_days(spec, expected):
    parsed = schema.CareCategory(length_of_stay_days=spec).length_of_stay_days
    assert stay_days_mean(parsed) == pytest.approx(expected)


def test_lognormal_stay_days_mean_matches_a_sample():
    parsed = schema.CareCategory(length_of_stay_days={
        "distribution": "lognormal", "mean": 5, "sd": 3}).length_of_stay_days
    rng = np.random.default_rng(1)
    sigma2 = math.log(1 + (3 / 5) ** 2)
    draws = rng.lognormal(math.log(5) - sigma2 / 2, math.sqrt(sigma2), 400_000)
    days = np.maximum(1, np.ceil(draws))
    se = days.std() / math.sqrt(len(days))
    assert abs(stay_days_mean(parsed) - days.mean()) < 4 * se


def test_deterministic_admissions_give_an_exact_trace():
    # 0.5 admissions a day, whole ones with the fraction carried: 0, 1, 0, 1, ...; a stay of 3
    # days; 1 bag per patient-day: census 0, 1, 1, 2, 1, 2, 1, ... from day 1 on.
    care = {"categories": {"c": {"length_of_stay_days": 3}},
            "norms": [{"category": "c", "product": "ringer", "per_patient_day": 1}],
            "admissions": [{"category": "c", "mean_per_day": 0.5,
                            "distribution": "deterministic"}]}
    res = sim.run(care_scenario(care), seed=1)
    d = res.daily
    demand = d[(d["node"] == "w") & (d["product"] == "ringer")].sort_values("day")["demand"]
    assert demand.tolist()[:8] == [0, 1, 1, 2, 1, 2, 1, 2]


def test_a_norm_changed_at_one_ward_changes_nothing_else():
    # Common random numbers: norms multiply patients, they are never drawn, so changing one
    # ward's norm leaves every node's patients and every other node's demand as they were.
    base = {"categories": {"trauma": TRAUMA, "planned": {
                "length_of_stay_days": {"distribution": "lognormal", "mean": 3, "sd": 2},
                "priority": "deferrable", "staff_shifts_per_patient_day": 3}},
            "norms": [{"category": "all", "product": "ringer", "per_patient_day": 2},
                      {"category": "all", "group": "ppe", "per_staff_shift": 8},
                      {"category": "planned", "product": "iv_set", "per_admission": 12}],
            "admissions": [{"category": "trauma", "mean_per_day": 0.05, "per": "beds"},
                           {"category": "planned", "mean_per_day": 0.2, "per": "beds"}]}
    wards = [ward("a", 12), ward("b", 30), ward("c", 8)]
    changed = {**base, "norms": [*base["norms"], {"category": "planned", "product": "iv_set",
                                                   "per_admission": 20,
                                                   "match": {"node": "b"}}]}
    one = sim.run(care_scenario(base, wards), replications=2, seed=3).daily
    two = sim.run(care_scenario(changed, wards), replications=2, seed=3).daily
    key = ["replication", "day", "node", "product"]
    one, two = one.set_index(key)["demand"], two.set_index(key)["demand"]
    b_iv = (one.index.get_level_values("node") == "b") & (
        one.index.get_level_values("product") == "iv_set")
    assert (one[~b_iv] == two[~b_iv]).all()
    # At ward b, 20 instead of 12 per planned admission: the same admissions behind both.
    assert (two[b_iv] * 12 == one[b_iv] * 20).all() and one[b_iv].sum() > 0


def test_a_surge_on_a_category_raises_its_admissions_and_what_they_use():
    # Trauma admissions x 3 from day 60; the planned category and plain demand stay as they
    # were. Gloves follow the trauma patients' staff shifts.
    care = {"categories": {"trauma": TRAUMA, "planned": {"length_of_stay_days": 2}},
            "norms": [{"category": "trauma", "group": "ppe", "per_staff_shift": 10},
                      {"category": "planned", "product": "iv_set", "per_admission": 5}],
            "admissions": [{"category": "trauma", "mean_per_day": 0.2, "match": {"node": "w"}},
                           {"category": "planned", "mean_per_day": 4,
                            "match": {"node": "w"}}]}
    surge = {"type": "demand_surge", "name": "trauma", "start_day": 60, "duration_days": 1000,
             "where": {"roles": ["ward"]}, "factor": 3, "categories": ["trauma"]}
    calm, hot = care_scenario(care), care_scenario(care, disruptions=[surge])
    late = slice(70, HORIZON)  # a stay after the surge began
    # Gloves: 0.2 x 3 admissions x 10 days x 6 shifts x 10 = 360 a day.
    assert_in_99_interval(demand_series(hot, "w", "gloves")[:, late].mean(axis=1).tolist(), 360)
    # Planned care untouched, draw for draw (the surge's extra patients come from their own
    # stream).
    assert np.array_equal(demand_series(hot, "w", "iv_set"), demand_series(calm, "w", "iv_set"))


def test_care_errors_name_the_category():
    care = {"categories": {"trauma": TRAUMA},
            "norms": [{"category": "truama", "product": "ringer", "per_patient_day": 1}]}
    with pytest.raises(sim.ScenarioError, match="unknown care category 'truama'; did you mean "
                                                "'trauma'"):
        care_scenario(care)
    surge = {"type": "demand_surge", "start_day": 1, "duration_days": 2, "where": {},
             "factor": 2, "categories": ["trauma"]}
    with pytest.raises(sim.ScenarioError, match="no care: section"):
        sim.from_dict({**care_scenario({"categories": {"trauma": TRAUMA}}).resolved(),
                       "care": None, "disruptions": [surge]})


def test_stock_in_days_counts_care_demand():
    care = {"categories": {"trauma": TRAUMA},
            "norms": [{"category": "trauma", "product": "ringer", "per_patient_day": 4}],
            "admissions": [{"category": "trauma", "mean_per_day": 0.5}]}
    sc = care_scenario(care, stocks=[{"match": {}, "stock": {"initial_days": 7}}])
    net = network_of(sc)
    w, r = net.node_ids.index("w"), net.product_ids.index("ringer")
    assert net.initial[w, r] == 7 * 0.5 * 10 * 4
    assert net.has_demand[w, r] and not net.plain_demand[w, r]


# --- priorities -------------------------------------------------------------------------------


def short_ward(care_tiers: dict | None = None) -> sim.Scenario:
    # No resupply, 12 units: imperative patients use 3 a day, deferrable ones 2 (one admission
    # of each a day, a day's stay, per admission).
    care = {"categories": {"trauma": {"length_of_stay_days": 1, "priority": "imperative"},
                           "planned": {"length_of_stay_days": 1, "priority": "deferrable"}},
            "norms": [{"category": "trauma", "product": "ringer", "per_admission": 3},
                      {"category": "planned", "product": "ringer", "per_admission": 2}],
            "admissions": [{"category": c, "mean_per_day": 1, "distribution": "deterministic"}
                           for c in ("trauma", "planned")]}
    node = {"id": "w", "role": "ward", "country": "SE", "region": "x",
            "stock": {"ringer": {"initial": 12}}, "policy": {"ringer": {"type": "none"}}}
    if care_tiers:
        node["care_tiers"] = care_tiers
    return sim.from_dict({"name": "short", "horizon_days": 4, "products": {
        "ringer": PRODUCTS["ringer"]}, "nodes": [node], "care": care})


def test_imperative_care_is_served_before_deferrable_care_when_short():
    # Days 0 and 1 serve everyone (5 a day); day 2 has 2 left: all to trauma (tier 1), the
    # planned patients (tier 3) get none; day 3 nothing. Trauma: 8 of 12 on the day asked,
    # planned 4 of 8.
    k = sim.run(short_ward(), seed=1).kpis.iloc[0]
    assert (k["fill_imperative"], k["unmet_imperative"]) == (pytest.approx(8 / 12), 4)
    assert (k["fill_deferrable"], k["unmet_deferrable"]) == (pytest.approx(4 / 8), 4)
    assert np.isnan(k["fill_urgent"]) and k["unmet_urgent"] == 0
    assert (k["demand"], k["served"]) == (20, 12)


def test_imperative_short_events_start_on_the_first_day_imperative_care_goes_unserved():
    # As above: day 2 leaves 1 of trauma's 3 unserved; day 3 all 3 (still short: no end).
    # With the tiers turned round, day 2's 2 units go to the planned patients: 3 unserved.
    for tiers, unmet in ((None, 1), ({"imperative": 3, "deferrable": 1}, 3)):
        ev = sim.run(short_ward(tiers), seed=1).events
        starts = ev[ev["kind"] == "imperative_short_start"]
        assert starts[["day", "node", "product", "value"]].values.tolist() == [
            [2, "w", "ringer", unmet]]
        assert not (ev["kind"] == "imperative_short_end").any()


def test_imperative_short_ends_on_the_first_day_imperative_care_is_served_in_full():
    # short_ward resupplied: base stock 12 from a source 3 days away. Days 0 and 1 use 5 each
    # and order 5 each (arriving days 3 and 4); day 2 has 2: trauma short by 1 (start). Day 3:
    # 5 arrive: trauma's backorder 1 and today's 3 first (tier 1), the planned backlog gets 1:
    # imperative care served in full again (end, value 0).
    data = short_ward().resolved()
    data["horizon_days"] = 6
    data["nodes"][0]["policy"] = {"ringer": {"type": "base_stock", "level": 12}}
    data["nodes"].append({"id": "src", "role": "manufacturer", "country": "SE", "region": "x",
                          "unlimited": True})
    data["lanes"] = [{"from": "src", "to": "w", "lead_time_days": 3}]
    ev = sim.run(sim.from_dict(data), seed=1).events
    short = ev[ev["kind"].isin(["imperative_short_start", "imperative_short_end"])]
    assert short[["day", "kind", "value"]].values.tolist() == [
        [2, "imperative_short_start", 1], [3, "imperative_short_end", 0]]


def test_the_headline_names_imperative_cares_lowest_fill():
    from sim.report import headline

    # 8 of 12, rounded down so that a shortfall never reads as full.
    assert ("Imperative care: lowest fill 66.6% (Ringer, over its nodes; most unserved at w)."
            in headline(sim.run(short_ward(), seed=1)))


def test_the_imperative_headline_weighs_nodes_by_their_demand():
    # Two wards: w (as short_ward: 8 of 12 imperative units served) and a big one that serves
    # all of its 3 x 100 a day for 4 days: Ringer's imperative fill over both is
    # 1 - 4 / 1212, not w's 66.7 %.
    from sim.report import headline

    data = short_ward().resolved()
    big = {**data["nodes"][0], "id": "big", "stock": {"ringer": {"initial": 5000}},
           "scale": {"beds": 100}}
    data["nodes"].append(big)
    data["care"]["admissions"].append({"match": {"node": "big"}, "category": "trauma",
                                       "mean_per_day": 1, "per": "beds",
                                       "distribution": "deterministic"})
    text = headline(sim.run(sim.from_dict(data), seed=1))
    shown = math.floor((1 - 4 / 1212) * 1000) / 10  # 99.67 %, rounded down
    assert f"lowest fill {shown:.1f}% (Ringer, over its nodes; most unserved at w)" in text


def test_the_batch_summary_carries_unmet_care_by_priority():
    res = sim.batch(short_ward(), sweep={"care.categories.trauma.length_of_stay_days": [1]},
                    replications=2)
    s = res.summary
    row = s[(s["kpi"] == "unmet_imperative") & (s["role"] == "ward")]
    assert row["mean"].tolist() == [4.0]


def test_care_tiers_set_the_order():
    # Planned care first (tier 1), trauma last: day 2's 2 units go to the planned patients.
    k = sim.run(short_ward({"imperative": 3, "deferrable": 1}), seed=1).kpis.iloc[0]
    assert (k["unmet_imperative"], k["unmet_deferrable"]) == (6, 2)


# --- rationing --------------------------------------------------------------------------------


def rationed_ward(rule: dict, horizon: int = 8) -> sim.Scenario:
    # One planned (deferrable) admission a day, a day's stay, one bag per admission: a normal
    # flow of 1 a day. The ward starts with 3 bags and orders up to 10, but its lane is closed
    # on days 0-4: the order of day 0 ships on day 5 and arrives on day 6.
    care = {"categories": {"planned": {"length_of_stay_days": 1, "priority": "deferrable"}},
            "norms": [{"category": "planned", "product": "ringer", "per_admission": 1}],
            "admissions": [{"category": "planned", "mean_per_day": 1,
                            "distribution": "deterministic"}]}
    ward = {"id": "w", "role": "ward", "country": "SE", "region": "x",
            "stock": {"ringer": {"initial": 3}},
            "policy": {"ringer": {"type": "base_stock", "level": 10}}}
    src = {"id": "src", "role": "manufacturer", "country": "SE", "region": "x",
           "unlimited": True}
    closed = {"type": "transport", "start_day": 0, "duration_days": 5, "lanes": {"to": ["w"]},
              "closed": True}
    return sim.from_dict({"name": "rationed", "horizon_days": horizon,
                          "products": {"ringer": PRODUCTS["ringer"]}, "nodes": [src, ward],
                          "lanes": [{"from": "src", "to": "w", "lead_time_days": 1}],
                          "care": care, "rationing": [rule], "disruptions": [closed]})


# catch_up 3: the three admissions still waiting when the rule ends are all admitted that day
# (test_waiting_admissions_are_worked_off_at_the_catch_up_rate has the default).
RULE = {"name": "spara", "match": {"role": "ward", "product": "ringer"}, "below_days": 2.5,
        "release_above_days": 5, "defer": ["deferrable"], "cancel_after_days": 2,
        "catch_up": 3}


def test_deferred_admissions_wait_are_cancelled_after_their_limit_and_admitted_on_release():
    # Day 0: 3 bags (3 days), the day's patient uses one. Day 1 opens at 2 days: rationing
    # starts, the day's admission waits; it stays active at 2 days (it ends only above 5:
    # hysteresis). An admission that has waited more than 2 days is cancelled: those of days
    # 1, 2 and 3 on days 4, 5 and 6. The 8 bags arrive on day 6; day 7 opens at 10 days:
    # rationing ends and the 3 still waiting are admitted with the day's own.
    engine = Engine(network_of(rationed_ward(RULE)), 1, 0)
    rep = engine.run()
    table = rep.daily.care_table
    assert (table["admissions"].sum(), table["deferred_admissions"].sum(),
            table["cancelled_admissions"].sum(), table["patient_days"].sum()) == (5, 6, 3, 5)
    events = [(c.kind, int(np.asarray(c.day).ravel()[0]), c.detail) for c in rep.events
              if c.kind.startswith("rationing")]
    assert events == [("rationing_start", 1, "spara"), ("rationing_end", 7, "spara")]
    w = engine.net.node_ids.index("w")
    assert rep.daily.demand[:, w, 0].tolist() == [1, 0, 0, 0, 0, 0, 0, 4]


def test_waiting_admissions_are_worked_off_at_the_catch_up_rate():
    # As above with the default catch_up of 1 (the node's mean, 1 admission a day): on day 7
    # the oldest waiting admission (of day 4) comes with the day's own, then one a day: 2, 2, 2
    # on days 7-9, none cancelled once the rule has ended.
    engine = Engine(network_of(rationed_ward({**RULE, "catch_up": 1}, horizon=10)), 1, 0)
    rep = engine.run()
    w = engine.net.node_ids.index("w")
    assert rep.daily.demand[:, w, 0].tolist() == [1, 0, 0, 0, 0, 0, 0, 2, 2, 2]
    assert rep.daily.care_table["cancelled_admissions"].sum() == 3


def test_hysteresis_keeps_a_rule_on_between_its_two_thresholds():
    # rationed_ward ordering up to 4 bags: day 0 uses 1 and orders 2 (the lane is closed to
    # day 5: they arrive on day 6); day 1 opens at 2 days and rationing starts; the 2 bags of
    # day 6 make day 7 open at 4 days: above below_days (2.5) but not above 5, so the rule
    # stays on; with release_above_days 2.5 it ends on day 7 (and, with the waiting patients
    # back, soon starts again).
    def ends(release: float) -> list[int]:
        sc = rationed_ward({**RULE, "release_above_days": release}, horizon=10)
        data = sc.resolved()
        data["nodes"][1]["policy"] = {"ringer": {"type": "base_stock", "level": 4}}
        rep = Engine(network_of(sim.from_dict(data)), 1, 0).run()
        return [int(np.asarray(c.day).ravel()[0]) for c in rep.events
                if c.kind == "rationing_end"]

    assert ends(5) == []
    assert ends(2.5)[0] == 7


def test_a_rule_with_from_day_is_not_looked_at_before_it():
    # RULE would start on day 1 (2 days of stock); from_day 3 holds it to day 3, so days 1 and
    # 2 admit their patients (the stock goes 3 -> 2 -> 1 -> 0) and deferral starts on day 3.
    engine = Engine(network_of(rationed_ward({**RULE, "from_day": 3})), 1, 0)
    rep = engine.run()
    starts = [int(np.asarray(c.day).ravel()[0]) for c in rep.events
              if c.kind == "rationing_start"]
    assert starts == [3]
    w = engine.net.node_ids.index("w")
    assert rep.daily.demand[:3, w, 0].tolist() == [1, 1, 1]


def test_care_table_and_events_of_a_run():
    res = sim.run(rationed_ward(RULE), seed=1)
    row = res.care.iloc[0]
    assert (row["node"], row["category"], row["admissions"], row["deferred_admissions"],
            row["cancelled_admissions"], row["patient_days"]) == ("w", "planned", 5, 6, 3, 5)
    ev = res.events
    deferred = ev[ev["kind"] == "admissions_deferred"]
    assert deferred["day"].tolist() == [1, 2, 3, 4, 5, 6] and (deferred["value"] == 1).all()
    cancelled = ev[ev["kind"] == "admissions_cancelled"]
    assert cancelled["day"].tolist() == [4, 5, 6] and (cancelled["node"] == "w").all()


def test_without_a_cancel_limit_every_deferred_admission_is_admitted():
    # Days 1-6 wait (6); from day 7, three of them a day with the day's own: all 10 days'
    # admissions are in by day 8.
    rep = Engine(network_of(rationed_ward({**RULE, "cancel_after_days": None}, horizon=10)),
                 1, 0).run()
    table = rep.daily.care_table
    assert (table["admissions"].sum(), table["cancelled_admissions"].sum()) == (10, 0)


def test_conserved_is_the_reduction_in_consumption_on_the_same_draws():
    # Rationing active all along (below 1,000 days), conserving 20 % of ringer; plenty of
    # stock, so consumption is demand. Plain Poisson demand and care demand both.
    care = {"categories": {"trauma": TRAUMA},
            "norms": [{"category": "trauma", "product": "ringer", "per_patient_day": 1.5}],
            "admissions": [{"category": "trauma", "mean_per_day": 0.7}]}
    rule = {"match": {"product": "ringer"}, "below_days": 1000, "release_above_days": 2000,
            "conserve": 0.8}
    wards = [{**ward("w"), "demand": {"ringer": {"mean_per_day": 6}}}]
    plain = care_scenario(care, wards)
    rationed = care_scenario(care, wards, rationing=[rule])
    a, b = (sim.run(sc, seed=2, replications=2) for sc in (plain, rationed))
    la = a.ledger.set_index(["replication", "node", "product"])
    lb = b.ledger.set_index(["replication", "node", "product"])
    kb = b.kpis.set_index(["replication", "node", "product"])
    # KPIs count after warm-up; the ledger over the whole run: compare over the whole run.
    assert WARMUP > 0
    full = sim.run(sim.from_dict({**rationed.resolved(), "warmup_days": 0}), seed=2,
                   replications=2).kpis.set_index(["replication", "node", "product"])
    saved = (la["consumed"] - lb["consumed"]).xs(("w", "ringer"), level=("node", "product"))
    conserved = full["conserved"].xs(("w", "ringer"), level=("node", "product"))
    assert saved.tolist() == conserved.tolist()
    assert (saved > 0).all()
    # After warm-up the KPI counts less than over the whole run, and nothing where no rule
    # conserves.
    assert (kb["conserved"].xs("ringer", level="product") <= conserved.values).all()
    assert (a.kpis["conserved"] == 0).all()


def test_conservation_never_saves_more_than_a_day_asks_for():
    # 1 admission a day using half a bag, conserve 0.9: the day's whole units are thinned,
    # so each day saves between 0 and what it asked for (before: a day could save -1).
    care = {"categories": {"trauma": {**TRAUMA, "length_of_stay_days": 1}},
            "norms": [{"category": "trauma", "product": "ringer", "per_admission": 0.5}],
            "admissions": [{"category": "trauma", "mean_per_day": 1,
                            "distribution": "deterministic"}]}
    rule = {"match": {"product": "ringer"}, "below_days": 1000,
            "release_above_days": 2000, "conserve": 0.9}
    small = {"type": "base_stock", "level": 100}  # 200 days: always below 1,000
    sc = care_scenario(care, [{**ward("w"), "policy": {p: small for p in PRODUCTS}}],
                       rationing=[rule])
    engine = Engine(network_of(sc), 1, 0)
    saved = []
    original = engine.care.draw

    def draw(*args, **kw):
        out = original(*args, **kw)
        saved.append(int(engine.care.conserved.sum()))
        return out

    engine.care.draw = draw
    rep = engine.run()
    w = engine.net.node_ids.index("w")
    asked = rep.daily.demand[:, w, 0] + np.array(saved)
    assert all(0 <= s <= a for s, a in zip(saved, asked, strict=True))
    # Over the run a tenth of what was asked is saved, in whole units (the rest carried).
    assert sum(saved) == int(np.floor(asked.sum() * 0.1 + 1e-9)) > 0


def test_a_region_scope_rationing_rule_sums_its_nodes():
    # Two wards in one region: a has 1 day of stock, b 9 days; together 5 days, above
    # below_days 3: no rationing at region scope, while node scope rations ward a alone.
    care = {"categories": {"planned": {"length_of_stay_days": 1, "priority": "deferrable"}},
            "norms": [{"category": "planned", "product": "ringer", "per_admission": 10}],
            "admissions": [{"category": "planned", "mean_per_day": 1,
                            "distribution": "deterministic"}]}
    wards = [{"id": w, "role": "ward", "country": "SE", "region": "r",
              "stock": {"ringer": {"initial": units}}, "policy": {"ringer": {"type": "none"}}}
             for w, units in (("a", 10), ("b", 90))]
    rule = {"name": "r", "match": {"product": "ringer"}, "below_days": 3,
            "release_above_days": 6, "defer": ["deferrable"]}

    def starts(scope: str, b: int = 90) -> list[tuple[int, str | None, str]]:
        wards[1]["stock"]["ringer"]["initial"] = b
        sc = sim.from_dict({"name": "two", "horizon_days": 1, "nodes": wards, "care": care,
                            "products": {"ringer": PRODUCTS["ringer"]},
                            "rationing": [{**rule, "scope": scope}]})
        ev = sim.run(sc, seed=1).events
        ev = ev[ev["kind"] == "rationing_start"]
        return [(d, None if n != n else n, x)  # no node (region scope): NaN in the table
                for d, n, x in zip(ev["day"], ev["node"], ev["detail"], strict=True)]

    assert starts("node") == [(0, "a", "r")]
    assert starts("region") == []
    # With 20 units at b the region has 30 over 20 a day: 1.5 days, so it rations as a whole.
    assert starts("region", b=20) == [(0, None, "r: r")]


@pytest.mark.parametrize("where, value, message", [
    (("rationing", 0, "match", "group"), "infusion_fluid", "unknown group 'infusion_fluid'"),
    (("care", "norms", 0, "product"), "ringr", "unknown product 'ringr'; did you mean 'ringer'"),
    (("care", "admissions", 0, "match", "node"), "ww", "unknown node 'ww'"),
])
def test_typos_in_care_and_rationing_names_are_refused(where, value, message):
    data = rationed_ward(RULE).resolved()
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    with pytest.raises(sim.ScenarioError, match=message):
        sim.from_dict(data)


def test_the_run_report_shows_care_by_priority_and_activity():
    from rich.console import Console

    from sim.report import run_report

    console = Console(width=120, record=True)
    for part in run_report(sim.run(short_ward(), seed=1)).parts:
        console.print(part)
    text = console.export_text()
    # short_ward: trauma 8 of 12 (66.6 % rounded down), planned 4 of 8; one admission of each
    # a day for 4 days.
    assert "Care demand: fill by priority" in text and "Care activity per replication" in text
    care = text[text.index("Care demand: fill by priority"):].splitlines()
    row = next(line for line in care if line.strip().startswith("infusion_fluids"))
    assert row.split()[1:] == ["66.6%", "–", "50.0%"]
    trauma = next(line for line in care if line.strip().startswith("trauma"))
    assert trauma.split()[1:] == ["4", "0", "0", "4"]
