"""Injects about care: rationing started and lifted, admissions postponed and cancelled per
region and day, imperative care short (docs/injects.md, "Where injects come from")."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

import sim
from sim.engine import Engine
from sim.injects import RulesError, load_rules, rules_from_dict
from sim.injects.fields import TEXT_FIELDS
from sim.injects.triggers import find_triggers
from sim.network import network_of

WARMUP, HORIZON = 2, 30
CARE_KINDS = ("rationing_start", "rationing_end", "admissions_deferred", "admissions_cancelled",
              "imperative_short")
CARE_RULES = {"rationing_started", "rationing_ended", "operations_postponed",
              "operations_cancelled", "imperative_care_short"}
REGIONS = {"uppsala": "Region Uppsala", "skane": "Region Skåne"}  # the shipped rules' names
PRODUCTS = {"ringer": {"name": "Ringer-acetat 1000 ml", "group": "infusion_fluids", "unit": "bag"}}
# Each ward: one trauma patient a day staying 2 days (imperative, 1 bag a patient-day) and
# `planned` planned operations a day (deferrable, 2 bags an admission), all deterministic. Normal
# flow: 2 + 2 x planned bags a day; 40 bags on hand, ordered up to 40 each day.
CARE = {
    "categories": {"trauma_severe": {"length_of_stay_days": 2, "priority": "imperative"},
                   "surgery_planned": {"length_of_stay_days": 1, "priority": "deferrable"}},
    "norms": [{"category": "trauma_severe", "product": "ringer", "per_patient_day": 1},
              {"category": "surgery_planned", "product": "ringer", "per_admission": 2}],
    "admissions": [{"category": "trauma_severe", "mean_per_day": 1,
                    "distribution": "deterministic"},
                   {"category": "surgery_planned", "mean_per_day": 1, "per": "planned",
                    "distribution": "deterministic"}],
}
WARDS = (("akademiska", "uppsala", 1, "Akademiska, IVA"),
         ("enkoping", "uppsala", 2, "Enköping, kirurgi"),
         ("lund", "skane", 1, "Lund, IVA"))
# Uppsala rations across the region (its two wards' stock together), Lund on its own.
RATIONING = [
    {"name": "spara_uppsala", "match": {"region": "uppsala", "group": "infusion_fluids"},
     "scope": "region", "below_days": 3, "release_above_days": 5, "defer": ["deferrable"],
     "cancel_after_days": 2, "conserve": 0.9},
    {"name": "spara_lund", "match": {"node": "lund", "product": "ringer"}, "scope": "node",
     "below_days": 3, "release_above_days": 5, "defer": ["deferrable"], "cancel_after_days": 3},
]


def rationed(care: bool = True, uppsala_scope: str = "region") -> sim.Scenario:
    """Three wards cut off from their supplier on days 3-14: stock falls, rationing starts,
    planned operations wait and are cancelled, trauma care runs short, supply returns."""
    wards = [{"id": i, "role": "ward", "country": "SE", "region": region, "name": name,
              "scale": {"planned": planned}, "stock": {"ringer": {"initial": 40}},
              "policy": {"ringer": {"type": "base_stock", "level": 40}},
              **({} if care else {"demand": {"ringer": {
                  "mean_per_day": 2 + 2 * planned, "distribution": "deterministic"}}})}
             for i, region, planned, name in WARDS]
    src = {"id": "src", "role": "manufacturer", "country": "SE", "region": "uppsala",
           "unlimited": True}
    closed = {"type": "transport", "name": "Stängda vägar", "start_day": 3, "duration_days": 12,
              "lanes": {"to": [w["id"] for w in wards]}, "closed": True}
    rules = [{**RATIONING[0], "scope": uppsala_scope}, RATIONING[1]]
    return sim.from_dict({
        "name": "ransonering", "horizon_days": HORIZON, "warmup_days": WARMUP,
        "products": PRODUCTS, "nodes": [src, *wards],
        "lanes": [{"from": "src", "to": w["id"], "lead_time_days": 1} for w in wards],
        "disruptions": [closed],
        **({"care": CARE, "rationing": rules} if care else {})})


@pytest.fixture(scope="module")
def run() -> sim.RunResult:
    return sim.run(rationed(), seed=1, replications=1)


@pytest.fixture(scope="module")
def imperative() -> pd.DataFrame:
    """Imperative care demand and the part of it served, per day and ward, from the engine's
    own state (the same replication as `run`): what the results keep only as totals."""
    net = network_of(rationed())
    engine = Engine(net, 1, 0)
    record = engine.recorder.record
    rows = []

    def spy(t, state):
        for i, node in enumerate(net.node_ids):
            rows.append((t, node, int(state.demand_k[1, i, 0]), int(state.served_k[1, i, 0])))
        record(t, state)

    engine.recorder.record = spy
    engine.run()
    return pd.DataFrame(rows, columns=["day", "node", "asked", "served"])


SHIPPED = load_rules()  # read once: every call below would otherwise parse the file again


@pytest.fixture(scope="module")
def english(run) -> pd.DataFrame:
    """The run's MSEL in English with the shipped rules."""
    return sim.injects(run, lang="en", rules=SHIPPED)


def injects(res: sim.RunResult | pd.DataFrame, rule: str, lang: str = "en",
            **options) -> pd.DataFrame:
    """One rule's injects, from a run (shipped rules unless given) or an MSEL made already."""
    if isinstance(res, pd.DataFrame):
        table = res
    else:
        table = sim.injects(res, lang=lang, **{"rules": SHIPPED, **options})
    return table[table["rule"] == rule].reset_index(drop=True)


def region_of(node: str) -> str:
    return {i: region for i, region, _, _ in WARDS}[node]


def test_the_run_has_every_story_this_file_tests(run):
    # The scenario does what the tests below rely on; the expectations come from these events.
    kinds = set(run.events["kind"])
    assert {"rationing_start", "rationing_end", "admissions_deferred",
            "admissions_cancelled"} <= kinds
    assert (run.kpis["unmet_imperative"] > 0).any()


def test_rationing_starts_and_ends_on_the_days_the_run_logged(run, english):
    ev = run.events
    logged = ev[ev["kind"].isin(["rationing_start", "rationing_end"])]
    # spara_uppsala logs "spara_uppsala: uppsala" and no node; spara_lund its node.
    where = {"spara_uppsala": "Region Uppsala", "spara_lund": "Lund, IVA"}
    expected = sorted((int(d), k, detail.split(":")[0], float(v)) for d, k, detail, v in zip(
        logged["day"], logged["kind"], logged["detail"], logged["value"], strict=True))
    rows = english[english["rule"].isin(["rationing_started", "rationing_ended"])]
    rule_of = {"rationing_started": "rationing_start", "rationing_ended": "rationing_end"}
    got = []
    for row in rows.itertuples():
        name = re.search(r"rationing plan (\w+)", row.message).group(1)
        dos = re.search(r"lasts (?:only )?([\d.]+) days", row.message).group(1)
        assert f"in {where[name]}" in row.synopsis
        got.append((row.scenario_day, rule_of[row.rule], name, float(dos)))
    assert sorted(got) == [(d, k, n, round(v, 1)) for d, k, n, v in expected]
    # Each start is lifted later: both spells are over within the run.
    assert [k for _, k, _, _ in expected].count("rationing_end") == 2


def test_rationing_says_what_it_does_where_and_for_how_long(run, english):
    started = injects(english, "rationing_started")
    started = started.set_index(started["message"].str.extract(r"plan (\w+)")[0])
    # From the scenario: spara_uppsala postpones deferrable care (planned surgery at its
    # wards), cancels after 2 days and conserves 90 % of infusion fluids; spara_lund does not
    # conserve.
    assert ("While it applies: new admissions for planned surgery are postponed, admissions "
            "that have waited more than 2 days are cancelled and use of infusion fluids is cut "
            "to 90 % of normal.") in started.loc["spara_uppsala", "message"]
    assert ("While it applies: new admissions for planned surgery are postponed and admissions "
            "that have waited more than 3 days are cancelled.") in started.loc[
        "spara_lund", "message"]
    assert started.loc["spara_uppsala", "region"] == "Region Uppsala"
    assert pd.isna(started.loc["spara_uppsala", "node"])  # a region has no node
    assert started.loc["spara_lund", "node"] == "lund"
    ev = run.events
    spells = {}
    for kind, day, detail in zip(ev["kind"], ev["day"], ev["detail"], strict=True):
        if kind in ("rationing_start", "rationing_end"):
            spells.setdefault(detail.split(":")[0], []).append(int(day))
    ended = injects(english, "rationing_ended")
    for row in ended.itertuples():
        name = re.search(r"plan (\w+)", row.message).group(1)
        start, end = spells[name]
        assert f"It applied for {end - start} days, from day {start}." in row.message
        assert row.scenario_day == end


def per_region_and_day(run: sim.RunResult, kind: str) -> pd.DataFrame:
    """The run's admissions events summed per region and day, with the running total."""
    ev = run.events[run.events["kind"] == kind]
    ev = ev[ev["day"] >= WARMUP]
    out = (ev.assign(region=ev["node"].map(region_of))
           .groupby(["region", "day"])["value"].sum().astype(int).reset_index())
    out["total"] = out.groupby("region")["value"].cumsum()
    return out


@pytest.mark.parametrize(("rule", "kind", "verb"), [
    ("operations_postponed", "admissions_deferred", "postponed"),
    ("operations_cancelled", "admissions_cancelled", "cancelled"),
])
def test_admissions_are_counted_per_region_and_day(run, rule, kind, verb):
    daily = {"extends": "default", "rules": {rule: {"min_gap_days": 0}}}
    table = injects(run, rule, rules=daily)
    expected = per_region_and_day(run, kind)
    assert len(expected) > 2 and expected["region"].nunique() == 2
    got = []
    for row in table.itertuples():
        region, count = re.fullmatch(rf"Admissions {verb} in (.+): (\d+) today",
                                     row.synopsis).groups()
        total = re.search(rf"so far in {region}: (\d+)", row.message).group(1)
        assert "for planned surgery at" in row.message
        got.append((row.scenario_day, region, int(count), int(total)))
    assert sorted(got) == sorted(
        (d, REGIONS[r], v, t) for r, d, v, t in expected.itertuples(index=False))
    if kind == "admissions_cancelled":  # each region's rule says how long admissions wait
        waits = {"Region Uppsala": 2, "Region Skåne": 3}
        for row in table.itertuples():
            assert f"waited more than {waits[row.region]} days" in row.message


def test_the_shipped_rules_report_admissions_at_most_once_a_week_per_region(run, english):
    for rule, kind in (("operations_postponed", "admissions_deferred"),
                       ("operations_cancelled", "admissions_cancelled")):
        expected = []
        for region, days in per_region_and_day(run, kind).groupby("region")["day"]:
            last = None
            for day in days:
                if last is None or day - last >= 7:
                    expected.append((int(day), REGIONS[region]))
                    last = day
        table = injects(english, rule)
        assert sorted(zip(table["scenario_day"], table["region"], strict=True)) == sorted(
            expected)


def test_imperative_care_short_comes_on_the_first_day_imperative_care_went_unserved(
        run, imperative, english):
    after = imperative[imperative["day"] >= WARMUP]
    unserved = after[after["served"] < after["asked"]]
    first = unserved.groupby("node")["day"].min()
    totals = after.groupby("node")[["asked", "served"]].sum()
    assert len(first) == 2  # two wards, one in each region
    triggers = find_triggers(run.events, run.scenario, run.kpis, WARMUP, HORIZON - 1)
    short = triggers[triggers["kind"] == "imperative_short"].set_index("node")
    assert set(short.index) == set(first.index)
    # Exactly the first day imperative care went short (the recorder's
    # imperative_short_start events).
    assert short["day"].to_dict() == first.to_dict()
    table = injects(english, "imperative_care_short")
    assert sorted(zip(table["scenario_day"], table["node"], strict=True)) == sorted(
        (int(d), n) for n, d in first.items())
    for row in table.itertuples():
        asked, served = totals.loc[row.node]
        assert f"{asked - served} bags for it cannot be given" in row.message
        # Rounded down to a tenth (a shortfall never reads 100 %), a whole number without one.
        assert f"only {math.floor(1000 * served / asked) / 10:g} % of its need" in row.message
        assert "imperative care (severe trauma care)" in row.message
        assert row.region == REGIONS[region_of(row.node)]


@pytest.mark.parametrize(("from_day", "expected"), [
    (2, 3),    # the first start in the window
    (4, 4),    # short since day 3, not served in full until day 6: short on day 4
    (6, 8),    # the first spell ended on day 6 (served in full that day): the next start
    (9, None),  # the second spell ended on day 9: nothing short in days 9-29
])
def test_imperative_care_short_follows_the_exact_events_into_the_window(run, from_day, expected):
    # Crafted spells at Lund: short days 3-5 (served in full again day 6), short day 8.
    def event(day: int, kind: str) -> dict:
        return {"replication": 0, "day": day, "kind": kind, "node": "lund",
                "product": "ringer", "value": 4.0 if kind.endswith("start") else 0.0,
                "detail": ""}

    others = run.events[~run.events["kind"].str.startswith("imperative_short")]
    events = pd.concat([others, pd.DataFrame([
        event(3, "imperative_short_start"), event(6, "imperative_short_end"),
        event(8, "imperative_short_start"), event(9, "imperative_short_end")])])
    triggers = find_triggers(events, run.scenario, run.kpis, from_day, HORIZON - 1)
    short = triggers[triggers["kind"] == "imperative_short"]
    assert short["day"].tolist() == ([] if expected is None else [expected])
    assert set(short["node"]) <= {"lund"}


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
def test_every_care_rule_renders_in_every_language(run, lang):
    table = sim.injects(run, lang=lang, rules=SHIPPED)
    care = table[table["rule"].isin(CARE_RULES)]
    assert set(care["rule"]) == CARE_RULES
    assert set(care["kind"]) == set(CARE_KINDS)
    for column in [*TEXT_FIELDS, "to", "method", "region"]:
        for value in care[column]:
            assert value.strip(), column
            assert "{" not in value and "}" not in value, (column, value)
            assert not re.search(r"\bnan\b|\bNone\b|–", value), (column, value)
    words = {"sv": "planerad kirurgi", "nb": "planlagt kirurgi", "en": "planned surgery"}[lang]
    postponed = care[care["rule"] == "operations_postponed"]
    assert postponed["message"].str.contains(words).all()


def test_a_country_wide_rule_names_the_country_and_region_filters_keep_their_own(run):
    country = sim.run(rationed(uppsala_scope="country"), seed=1, replications=1)
    started = injects(country, "rationing_started", regions=["skane"])
    uppsala = started[started["message"].str.contains("spara_uppsala")]
    assert len(uppsala) == 1
    assert uppsala.iloc[0]["region"] == "Whole country"
    assert "in Sweden" in uppsala.iloc[0]["synopsis"]
    # A region-wide rule belongs to its region: --region skane leaves Uppsala's out.
    started = injects(run, "rationing_started", regions=["skane"])
    assert started["message"].str.contains("spara_lund").all() and len(started) == 1
    picked = rules_from_dict({"extends": "default", "rules": {
        "rationing_started": {"when": {"kind": "rationing_start", "rationing": ["spara_lund"]}}}})
    assert injects(run, "rationing_started", rules=picked)["node"].tolist() == ["lund"]


def test_without_care_there_are_no_care_injects():
    res = sim.run(rationed(care=False), seed=1, replications=1)
    triggers = find_triggers(res.events, res.scenario, res.kpis, WARMUP, HORIZON - 1)
    assert not triggers["kind"].isin(CARE_KINDS).any()
    table = sim.injects(res, lang="sv", rules=SHIPPED)
    assert "ward_first_stockout" in set(table["rule"])  # the same shortage, told otherwise
    assert not table["rule"].isin(CARE_RULES).any()


def test_care_filters_that_cannot_match_are_refused(run):
    def problems(rule: dict) -> str:
        with pytest.raises(RulesError) as caught:
            rules_from_dict({"extends": "default", "rules": {"r": {
                "to": "regional_crisis_staff", "method": "email", "severity": 50,
                "text": load_rules().rules["operations_postponed"].model_dump(by_alias=True)[
                    "text"], **rule}}})
        return str(caught.value)

    assert "counts admissions at a node, not products" in problems(
        {"when": {"kind": "admissions_deferred", "groups": ["ppe"]}})
    assert "'group': admissions_cancelled counts admissions" in problems(
        {"when": {"kind": "admissions_cancelled"}, "group_by": ["group"]})
    assert "rationing applies to rationing_start and rationing_end" in problems(
        {"when": {"kind": "admissions_deferred", "rationing": ["spara_lund"]}})
    with pytest.raises(RulesError, match=r"unknown phrase 'deffer'; did you mean 'defer'"):
        rules_from_dict({"extends": "default", "labels": {"en": {"rationing": {"deffer": "x"}}}})
    misspelt = {"extends": "default", "rules": {"rationing_started": {
        "when": {"kind": "rationing_start", "rationing": ["spara_lnud"]}}}}
    with pytest.raises(ValueError, match=r"'spara_lnud' is not a rationing rule of scenario "
                                         r"'ransonering'; did you mean 'spara_lund'"):
        sim.injects(run, rules=misspelt)
