"""Injects about countermeasures: decisions, measures in force and ended, and their effects
(docs/injects.md, "Where injects come from"; the measures: docs/countermeasures.md).

One small run has every countermeasure type. Expected days and units come from the run's own
events (what the engine logged), summed here with plain pandas, or from the scenario's keys by
hand; never from the inject code.
"""

from __future__ import annotations

import re
import typing

import pandas as pd
import pytest

import sim
from sim.injects import RulesError, load_rules, rules_from_dict
from sim.injects.fields import COUNTERMEASURE_KINDS, COUNTERMEASURE_TYPES, TEXT_FIELDS
from sim.scenario import countermeasures as cm
from tests.conftest import node, scenario

HORIZON = 30
NONE = {"type": "none"}
PRODUCTS = {
    "ringer": {"name": "Ringer-acetat 1000 ml", "group": "infusion_fluids", "unit": "bag"},
    "glukos": {"name": "Glukos 50 mg/ml 1000 ml", "group": "infusion_fluids", "unit": "bag"},
}
REGIONS = {"uppsala": "Region Uppsala", "skane": "Region Skåne"}  # the shipped rules' names
SHIPPED = load_rules()
CM_RULES = {rule_id for rule_id, r in SHIPPED.enabled_rules() if r.when.kind in
            COUNTERMEASURE_KINDS}


def fixed(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def pharmacy(id_: str, region: str, ringer: int, name: str, ordering: bool = False) -> dict:
    policy = ({"ringer": {"type": "base_stock", "level": 60},
               "glukos": {"type": "base_stock", "level": 40}} if ordering
              else {"ringer": NONE, "glukos": NONE})
    return node(id_, "hospital_pharmacy", region=region, name=name, policy=policy,
                demand={"ringer": fixed(10), "glukos": fixed(4)},
                stock={"ringer": {"initial": ringer}, "glukos": {"initial": 40}})


COUNTERMEASURES = [
    {"type": "redistribution", "name": "Omfördelning inom regionen", "after": "Stängda vägar",
     "decision_days": 2, "match": {"role": "hospital_pharmacy"}, "within": "region",
     "below_days": 2, "donor_floor_days": 5, "lead_time_days": 1},
    {"type": "stockpile_release", "name": "Uttag ur säkerhetslagret",
     "when": {"below_days": 3, "scope": "node",
              "match": {"role": "hospital_pharmacy", "product": "ringer"}},
     "decision_days": 1, "from": {"tag": "national_stockpile"},
     "to": {"role": "hospital_pharmacy"}, "products": ["ringer"], "days": 5,
     "lead_time_days": 2},
    {"type": "emergency_lanes", "name": "Nordiskt stöd", "after": "Stängda vägar",
     "decision_days": 3, "max_share": 0.1, "until_day": 25,
     "lanes": [{"from": "nabo", "to": "h3", "lead_time_days": 2, "products": ["ringer"]}]},
    {"type": "production_conversion", "name": "Omställning till glukos", "on_day": 3,
     "node": "plant", "product": "glukos", "capacity": 10, "start_up_days": 2,
     "ramp_up_days": 2, "validation_days": 3, "crowds_out": {"ringer": 5}},
    {"type": "substitution", "name": "Glukos i stället för Ringer", "on_day": 8,
     "until_day": 20, "product": "ringer", "by": "glukos", "ratio": 2,
     "match": {"node": "h4"}},
    {"type": "allocation", "name": "Kvotering hos Tamro", "on_day": 5,
     "match": {"node": "tamro"}, "rule": "history", "order_cap_days": 7},
    {"type": "use_expired", "name": "Utgångna produkter", "on_day": 6, "until_day": 12,
     "products": ["ringer"], "extend_days": 30, "match": {"role": "hospital_pharmacy"}},
]
SPEC = {c["name"]: c for c in COUNTERMEASURES}


def measures() -> sim.Scenario:
    """Every countermeasure type on a small network cut off from its wholesaler on days 5-16.

    Uppsala: h1 (20 bags of Ringer) and h2 (400) with no ordering, so redistribution moves
    stock from h2 to h1. Skåne: h3 orders from Tamro and gets Norwegian emergency supply; h4
    has no Ringer and serves its demand with glucose (2 bags a bag). A node-scope trigger
    releases 5 days of the national stockpile to every hospital pharmacy on day 1 (h1 opens
    day 0 with 2 days). The plant converts a line to glucose from day 3.
    """
    nodes = [
        node("plant", "manufacturer", name="Fresenius Kabi Uppsala", capacity={"ringer": 40},
             policy={"ringer": {"type": "base_stock", "level": 200},
                     "glukos": {"type": "base_stock", "level": 100}}),
        node("tamro", "wholesaler", name="Tamro",
             policy={"ringer": {"type": "base_stock", "level": 150},
                     "glukos": {"type": "base_stock", "level": 60}}),
        node("lager", "wholesaler", name="Statligt säkerhetslager", region="stockholm",
             tags=["national_stockpile"], policy={"ringer": NONE, "glukos": NONE},
             stock={"ringer": {"initial": 1000}, "glukos": {"initial": 0}}),
        node("nabo", "wholesaler", name="Norske grossister", country="NO", region="oslo",
             stock={"ringer": {"initial": 500}}, policy={"ringer": NONE}),
        pharmacy("h1", "uppsala", 20, "Akademiska sjukhusapoteket"),
        pharmacy("h2", "uppsala", 400, "Enköpings sjukhusapotek"),
        pharmacy("h3", "skane", 30, "Sjukhusapoteket Lund", ordering=True),
        node("h4", "hospital_pharmacy", region="skane", name="Sjukhusapoteket Ystad",
             demand={"ringer": fixed(10)}, policy={"ringer": NONE, "glukos": NONE},
             stock={"ringer": {"initial": 0}, "glukos": {"initial": 200}}),
    ]
    lanes = [{"from": "plant", "to": "tamro", "lead_time_days": 1},
             {"from": "tamro", "to": "h3", "lead_time_days": 1}]
    closed = [{"type": "transport", "name": "Stängda vägar", "start_day": 5, "duration_days": 12,
               "lanes": {"from": ["tamro"]}, "closed": True}]
    return scenario(nodes, lanes, horizon=HORIZON, products=PRODUCTS, disruptions=closed,
                    countermeasures=COUNTERMEASURES)


@pytest.fixture(scope="module")
def run() -> sim.RunResult:
    return sim.run(measures(), seed=1)


@pytest.fixture(scope="module")
def english(run) -> pd.DataFrame:
    return sim.injects(run, lang="en", rules=SHIPPED)


def logged(run: sim.RunResult, kind: str) -> pd.DataFrame:
    return run.events[run.events["kind"] == kind]


def of_rule(table: pd.DataFrame, *rules: str) -> pd.DataFrame:
    return table[table["rule"].isin(rules)].reset_index(drop=True)


def test_the_scenario_types_are_the_ones_injects_know():
    # The injects' list of types is the scenario schema's (a new type needs words and a rule).
    union = typing.get_args(typing.get_args(cm.Countermeasure)[0])
    types = tuple(typing.get_args(m.model_fields["type"].annotation)[0] for m in union)
    assert types == COUNTERMEASURE_TYPES
    assert {c["type"] for c in COUNTERMEASURES} == set(COUNTERMEASURE_TYPES)


def test_the_run_has_every_story_this_file_tests(run):
    kinds = set(run.events["kind"])
    assert set(COUNTERMEASURE_KINDS) - {"countermeasure_triggered", "countermeasure_start",
                                        "countermeasure_end"} <= kinds
    starts = logged(run, "countermeasure_start")
    assert set(starts["detail"]) == set(SPEC)  # every measure comes into force
    assert set(logged(run, "redistributed")["node"].map(
        {"h1": "uppsala", "h4": "skane"})) == {"uppsala", "skane"}


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
def test_every_countermeasure_rule_renders_in_every_language(run, lang):
    table = sim.injects(run, lang=lang, rules=SHIPPED)
    ours = table[table["rule"].isin(CM_RULES)]
    assert set(ours["rule"]) == CM_RULES
    for column in [*TEXT_FIELDS, "to", "method", "region"]:
        for value in ours[column]:
            assert value.strip(), column
            assert "{" not in value and "}" not in value and "#" not in value, (column, value)
            assert not re.search(r"\bnan\b|\bNone\b|–", value), (column, value)
            # A count of one takes the singular.
            assert not re.search(r"(?<![\d ,.])1 (dagar|dager|days|enheter|units|påsar|poser|"
                                 r"bags)\b", value), (column, value)


def test_a_decision_comes_on_its_trigger_day_and_says_when_it_applies(run, english):
    triggered = logged(run, "countermeasure_triggered")
    decided = of_rule(english, "countermeasure_decided")
    expected = sorted((int(d), n) for d, n in zip(triggered["day"], triggered["detail"],
                                                  strict=True))
    got = sorted((int(d), s.removeprefix("Decision: ")) for d, s in zip(
        decided["scenario_day"], decided["synopsis"], strict=True))
    assert got == expected
    for row in decided.itertuples():
        name = row.synopsis.removeprefix("Decision: ")
        delay = SPEC[name].get("decision_days", 0)
        if delay == 0:
            assert row.message.endswith("applies with immediate effect.")
        else:
            unit = "day" if delay == 1 else "days"
            assert row.message.endswith(f"applies from day {row.scenario_day + delay}, "
                                        f"{delay} {unit} after the decision.")
    # Why: the release fired on its node-scope stock limit, redistribution after the closure.
    reason = dict(zip(decided["synopsis"], decided["message"], strict=True))
    assert ("when stocks of Ringer-acetat 1000 ml at a unit fell below 3 days' use"
            in reason["Decision: Uttag ur säkerhetslagret"])
    assert ("after the disruption Stängda vägar began"
            in reason["Decision: Omfördelning inom regionen"])


def test_each_measure_comes_into_force_with_its_own_rule(run, english):
    starts = logged(run, "countermeasure_start")
    start_day = dict(zip(starts["detail"], starts["day"].astype(int), strict=True))
    table = english[english["kind"] == "countermeasure_start"]
    assert sorted(table["rule"]) == sorted(f"{c['type']}_start" for c in COUNTERMEASURES)
    rule_of = {f"{c['type']}_start": c["name"] for c in COUNTERMEASURES}
    for row in table.itertuples():
        assert row.scenario_day == start_day[rule_of[row.rule]]
    text = {r.rule: (r.synopsis, r.message) for r in table.itertuples()}
    # Released on its first day: 5 days of each receiver's 10 a day, 4 receivers (by hand);
    # sent on day 1 with 2 days on the way: there by day 3.
    released = logged(run, "released")
    assert released["value"].sum() == 4 * 5 * 10 and set(released["day"]) == {1}
    assert text["stockpile_release_start"][0] == (
        "Statligt säkerhetslager released: 200 units of Ringer-acetat 1000 ml")
    assert "The last deliveries arrive by day 3." in text["stockpile_release_start"][1]
    assert text["emergency_lanes_start"][0] == "Norway supplies Ringer-acetat 1000 ml"
    assert ("Norske grossister supplies Ringer-acetat 1000 ml to Sjukhusapoteket Lund, at most "
            "10 % of its own stock a day") in text["emergency_lanes_start"][1]
    # The line: decided and in force day 3, 2 days' start-up: output from day 5.
    assert ("Converting takes 2 days without output; from day 5 output rises over 2 days to 10 "
            "bags a day") in text["production_conversion_start"][1]
    assert "crowds out 5 bags of Ringer-acetat 1000 ml a day" in text[
        "production_conversion_start"][1]
    assert "at Sjukhusapoteket Ystad" in text["substitution_start"][1]
    assert "(ratio 2:1)" in text["substitution_start"][1]
    assert ("Tamro shares short stock of all products by customers' normal use, not by what "
            "they order; orders above 7 days' normal use are cut.") in text["allocation_start"][1]
    assert "for 30 more days at 4 hospital pharmacies" in text["use_expired_start"][1]
    assert ("topped up to 4 days' use from units holding more than 5 days' use. Deliveries "
            "take 1 day.") in text["redistribution_start"][1]


def test_a_measure_ends_with_how_long_it_was_in_force_and_what_it_did(run, english):
    ev = run.events
    ends = logged(run, "countermeasure_end")
    table = of_rule(english, "countermeasure_ended")
    assert sorted(zip(table["scenario_day"], table["synopsis"], strict=True)) == sorted(
        (int(d), f"Measure ends: {n}") for d, n in zip(ends["day"], ends["detail"], strict=True))
    message = {r.synopsis.removeprefix("Measure ends: "): r.message for r in table.itertuples()}
    for name, end in zip(ends["detail"], ends["day"].astype(int), strict=True):
        start = int(ev[(ev["kind"] == "countermeasure_start") & (ev["detail"] == name)]["day"]
                    .iloc[0])
        assert f"after {end - start} days in force from day {start}" in message[name]
    # Units over the spell, from the effect events of the measure.
    nordic = ev[(ev["kind"] == "emergency_supplied") & (ev["detail"] == "Nordiskt stöd")]
    assert message["Nordiskt stöd"].endswith(
        f": {int(nordic['value'].sum())} bags of Ringer-acetat 1000 ml were moved.")
    swapped = ev[(ev["kind"] == "substituted")]
    assert message["Glukos i stället för Ringer"].endswith(
        f": {int(swapped['value'].sum())} bags of Ringer-acetat 1000 ml were replaced by "
        "Glukos 50 mg/ml 1000 ml.")
    assert message["Utgångna produkter"].endswith(": expired stock is discarded again.")


def weekly(run: sim.RunResult, kind: str, by: str) -> list[tuple[int, str, int]]:
    """(report day, region or node, units) per week of days 0-6, 7-13, ..., told on the week's
    last day (day 29 at the latest)."""
    ev = logged(run, kind)
    region = {"h1": "uppsala", "h2": "uppsala", "h3": "skane", "h4": "skane"}
    key = ev["node"].map(region) if by == "region" else ev["node"]
    week = ev["day"] // 7
    sums = ev.groupby([key, week])["value"].sum()
    return sorted((min(7 * w + 6, HORIZON - 1), k, int(v)) for (k, w), v in sums.items())


@pytest.mark.parametrize(("rule", "kind", "by", "pattern"), [
    ("redistributed_weekly", "redistributed", "region",
     r"Redistributed in (.+): (\d+) bags? of Ringer-acetat 1000 ml"),
    ("substituted_weekly", "substituted", "region",
     r"Substitute in (.+): (\d+) bags? of Ringer-acetat 1000 ml"),
    ("emergency_supplied_weekly", "emergency_supplied", "node",
     r"Emergency supply to (.+): (\d+) bags? of Ringer-acetat 1000 ml"),
])
def test_effects_are_weekly_sums_per_region_or_receiver(run, english, rule, kind, by, pattern):
    names = {"h3": "Sjukhusapoteket Lund"} if by == "node" else REGIONS
    expected = [(d, names[k], u) for d, k, u in weekly(run, kind, by)]
    assert len(expected) >= 2
    got = []
    for row in of_rule(english, rule).itertuples():
        where, units = re.fullmatch(pattern, row.synopsis).groups()
        got.append((row.scenario_day, where, int(units)))
        week = row.scenario_day // 7 * 7
        assert f"since day {week}, " in row.message
    assert sorted(got) == expected


def test_a_release_is_told_per_region_on_the_day_it_is_sent(run, english):
    table = of_rule(english, "released_per_region")
    # 50 bags to each of h1, h2 (Uppsala) and h3, h4 (Skåne), all on day 1.
    assert sorted(zip(table["scenario_day"], table["synopsis"], strict=True)) == [
        (1, "Stockpile to Region Skåne: 100 bags of Ringer-acetat 1000 ml"),
        (1, "Stockpile to Region Uppsala: 100 bags of Ringer-acetat 1000 ml")]
    uppsala = table[table["region"] == "Region Uppsala"].iloc[0]
    assert ("Statligt säkerhetslager has sent 100 bags of Ringer-acetat 1000 ml to Akademiska "
            "sjukhusapoteket and Enköpings sjukhusapotek in Region Uppsala") in uppsala.message


def test_a_converted_line_reports_its_first_output_and_validation(run, english):
    # In force day 3, 2 start-up days: output from day 5 at 10 x 1/3, then 10 x 2/3 and 10;
    # validated after 3 output days, on day 8, releasing what was held: 10/3 + 20/3 + 10 = 20.
    output = of_rule(english, "conversion_output").iloc[0]
    assert output.scenario_day == 5
    assert ": 3 bags today, up to 10 a day within 2 days" in output.message
    assert output.message.endswith("until the line is validated, day 8.")
    validated = of_rule(english, "conversion_validated").iloc[0]
    assert validated.scenario_day == 8
    assert "what was held until now, 20 bags of Glukos 50 mg/ml 1000 ml, goes to release" in (
        validated.message)


def test_a_measure_in_force_before_the_window_is_told_on_its_first_day(run):
    table = sim.injects(run, lang="en", rules={"extends": "default", "window": {"from_day": 10}})
    expired = table[table["rule"] == "use_expired_start"]
    assert expired["scenario_day"].tolist() == [10]
    assert expired.iloc[0]["message"].startswith("From day 6 expired stock")
    # Decided on day 3 and in force since: nothing before the window is told again.
    assert not (table["scenario_day"] < 10).any()
    assert "countermeasure_decided" not in set(table[table["synopsis"].str.contains(
        "Omställning")]["rule"])


def test_a_region_keeps_its_effects_and_every_decision(run, english):
    skane = sim.injects(run, lang="en", rules=SHIPPED, regions=["skane"])
    effects = skane[skane["kind"].isin(["redistributed", "released", "substituted"])]
    assert set(effects["region"]) == {"Region Skåne"}
    decided = skane[skane["kind"] == "countermeasure_triggered"]
    assert len(decided) == len(of_rule(english, "countermeasure_decided"))


PLAIN = {lang: {"from": "x", "synopsis": "{countermeasure_name}", "message": "{start_when}",
                "expected_action": "x", "capability": "x"} for lang in ("sv", "nb", "en")}


def test_filters_by_type_and_name(run):
    def only(**when: object) -> dict:
        return {"extends": "default", "rules": {"only": {
            "when": {"kind": "countermeasure_start", **when}, "to": "regional_crisis_staff",
            "method": "phone", "severity": 99, "text": PLAIN}}}

    table = sim.injects(run, lang="en", rules=only(countermeasures=["Nordiskt stöd"]))
    assert of_rule(table, "only")["scenario_day"].tolist() == [8]
    table = sim.injects(run, lang="en", rules=only(
        countermeasure_types=["allocation", "use_expired"]))
    assert sorted(of_rule(table, "only")["synopsis"]) == ["Kvotering hos Tamro",
                                                          "Utgångna produkter"]
    with pytest.raises(ValueError, match=r"'Nordisk stöd' is not a countermeasure of scenario "
                                         r"'test'; did you mean 'Nordiskt stöd'"):
        sim.injects(run, rules=only(countermeasures=["Nordisk stöd"]))


def problems(rule: dict, base: str = "countermeasure_decided") -> str:
    text = SHIPPED.rules[base].model_dump(by_alias=True)["text"]
    with pytest.raises(RulesError) as caught:
        rules_from_dict({"extends": "default", "rules": {"r": {
            "to": "regional_crisis_staff", "method": "email", "severity": 50, "text": text,
            **rule}}})
    return str(caught.value)


def test_rules_that_cannot_fit_countermeasures_are_refused():
    assert "countermeasure_triggered concerns a countermeasure, not nodes" in problems(
        {"when": {"kind": "countermeasure_triggered", "roles": ["ward"]}})
    assert "'node': countermeasure_end concerns a countermeasure, not a node" in problems(
        {"when": {"kind": "countermeasure_end"}, "to": "node"})
    assert "countermeasure_types applies to the countermeasure kinds" in problems(
        {"when": {"kind": "first_stockout", "countermeasure_types": ["allocation"]}},
        base="ward_first_stockout")
    assert "'region': countermeasure_start injects can only group by countermeasure" in problems(
        {"when": {"kind": "countermeasure_start"}, "group_by": ["region"]})
    # A start rule for redistribution cannot use a conversion's capacity.
    text = SHIPPED.rules["redistribution_start"].model_dump(by_alias=True)["text"]
    text["en"]["message"] += " {capacity}"
    found = problems({"when": {"kind": "countermeasure_start",
                               "countermeasure_types": ["redistribution"]}, "text": text})
    assert "unknown placeholder '{capacity}'" in found
    assert "countermeasure_start of redistribution provides" in found
    assert "unknown phrase 'moove'; did you mean 'moved'" in problems_of_labels(
        {"en": {"countermeasures": {"moove": "x"}}})


def problems_of_labels(labels: dict) -> str:
    with pytest.raises(RulesError) as caught:
        rules_from_dict({"extends": "default", "labels": labels})
    return str(caught.value)


def test_a_count_chooses_the_singular_for_exactly_one():
    from sim.injects.words import Count

    assert format(Count("1", 1), "# dag|# dagar") == "1 dag"
    assert format(Count("0", 0), "# dag|# dagar") == "0 dagar"
    assert format(Count("12\u00a0400", 12400), "# bag|# bags") == "12\u00a0400 bags"
    assert format(Count("Tamro", 1), "# shares|# share") == "Tamro shares"
    assert f"{Count('3', 3)}" == "3"
    with pytest.raises(ValueError, match="write the singular and the plural"):
        format(Count("3", 3), ">10")
    assert "(a count can choose the form of its noun" in problems(
        {"when": {"kind": "countermeasure_end"}, "text": {
            **SHIPPED.rules["countermeasure_ended"].model_dump(by_alias=True)["text"],
            "en": {**SHIPPED.rules["countermeasure_ended"].model_dump(by_alias=True)["text"][
                "en"], "synopsis": "{duration_days:>5}"}}})
