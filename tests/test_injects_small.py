"""Injects from small scenarios: every template renders, merging and limits, time, replication."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

import sim
from sim.injects import (
    DEFAULT_RULES,
    MSEL_COLUMNS,
    RulesFile,
    build_msel,
    load_rules,
    rules_from_dict,
    write_msel,
    write_timeline,
)
from sim.injects.fields import COUNTERMEASURE_KINDS, TEXT_FIELDS, TIME_COLUMNS
from sim.injects.render import Timing, schedule
from sim.injects.select import select_injects
from sim.injects.source import ResultsFolderError, outcome_by_replication, read_results
from sim.injects.triggers import TRIGGER_COLUMNS
from tests.conftest import node, scenario

PRODUCTS = {
    "ringer": {"name": "Ringer-acetat 1000 ml", "group": "infusion_fluids", "unit": "bag"},
    "gloves": {"name": "Undersökningshandske nitril", "group": "ppe", "unit": "piece"},
}
DISRUPTIONS = [
    {"type": "power_outage", "name": "Elbrist", "start_day": 5, "duration_days": 20,
     "where": {"roles": ["manufacturer"], "countries": ["SE"]}, "capacity_factor": 0.5},
    {"type": "transport", "name": "Stängd gräns", "start_day": 5, "duration_days": 10,
     "lanes": {"cross_border": True}, "closed": True},
    {"type": "export_ban", "name": "Exportstopp", "start_day": 6, "duration_days": 10,
     "country": "CN", "products": ["ppe"]},
    {"type": "factory_loss", "name": "Brand i fabriken", "start_day": 8, "duration_days": 5,
     "nodes": ["plant"], "recovery_days": 5},
    {"type": "it_outage", "name": "Cyberangrepp", "start_day": 10, "duration_days": 3,
     "where": {"nodes": ["tamro"]}},
    {"type": "demand_surge", "name": "Masskadehändelse", "start_day": 5, "duration_days": 15,
     "where": {"tags": ["trauma"]}, "factor": 2},
    {"type": "staff_absence", "name": "Sjukfrånvaro", "start_day": 6, "duration_days": 20,
     "where": {"nodes": ["tamro"]}, "absent_share": 0.25},
    {"type": "stock_loss", "name": "Brand i lagret", "start_day": 7,
     "where": {"nodes": ["store"]}, "share": 0.5},
]


def small(horizon: int = 40, demand: str = "poisson",
          disruptions: list[dict] | None = None) -> sim.Scenario:
    """Every role and every disruption type, one node each (two wards)."""
    def ward(id: str, region: str, tags: list[str]) -> dict:
        return node(id, "ward", region=region, name=f"{id.title()}, akutmottagning", tags=tags,
                    demand={"ringer": {"mean_per_day": 20, "distribution": demand},
                            "gloves": {"mean_per_day": 50, "distribution": demand}})

    nodes = [
        node("maker_cn", "manufacturer", region="asia", country="CN", unlimited=True,
             products=["gloves"]),
        node("plant", "manufacturer", name="Fresenius Halden", capacity={"ringer": 30},
             qc_release_days=1),
        node("tamro", "wholesaler", name="Tamro"),
        node("store", "wholesaler", name="Region Uppsala centralförråd", tags=["regional_store"]),
        node("apotek", "hospital_pharmacy", name="Sjukhusapoteket Akademiska"),
        ward("akademiska", "uppsala", ["trauma"]),
        ward("lund", "skane", []),
        node("apoteket", "community_pharmacy", name="Öppenvårdsapotek, Region Uppsala",
             demand={"ringer": {"mean_per_day": 2, "distribution": demand}}),
        node("kommun", "municipal_care", name="Kommunal vård och omsorg, Region Uppsala",
             demand={"ringer": {"mean_per_day": 3, "distribution": demand}}),
    ]
    lanes = [
        {"from": "maker_cn", "to": "store", "lead_time_days": 5},
        {"from": "plant", "to": "tamro", "lead_time_days": 1},
        {"from": "tamro", "to": "apotek", "lead_time_days": 1},
        {"from": "tamro", "to": "apoteket", "lead_time_days": 1},
        {"from": "tamro", "to": "kommun", "lead_time_days": 1},
        {"from": "apotek", "to": "akademiska", "lead_time_days": 1, "products": ["ringer"]},
        {"from": "apotek", "to": "lund", "lead_time_days": 1, "products": ["ringer"]},
        {"from": "store", "to": "akademiska", "lead_time_days": 1, "products": ["gloves"]},
        {"from": "store", "to": "lund", "lead_time_days": 1, "products": ["gloves"]},
    ]
    return scenario(nodes, lanes, horizon=horizon, products=PRODUCTS,
                    disruptions=DISRUPTIONS if disruptions is None else disruptions,
                    policies=[{"policy": {"type": "days_of_supply", "reorder_days": 4,
                                          "target_days": 8}}],
                    stocks=[{"stock": {"initial_days": 8}}])


def event(day: int, kind: str, node_id: str | None = None, product: str | None = None,
          value: float = float("nan"), detail: str = "") -> dict:
    return {"replication": 0, "day": day, "kind": kind, "node": node_id, "product": product,
            "value": value, "detail": detail}


def crafted_events() -> pd.DataFrame:
    """One or more events of every kind, so that every default rule has something to say."""
    rows = [event(2, "disruption_start", detail=d["name"]) for d in DISRUPTIONS]
    share = "share of customer orders delivered"
    rows += [
        event(3, "allocation_cut", "store", "gloves", 0.3, share),
        event(4, "dos_below", "apotek", "ringer", 6.5, "7 days"),
        event(4, "dos_below", "tamro", "ringer", 2.5, "3 days"),
        event(5, "stockout_start", "akademiska", "ringer", 12),
        event(5, "stockout_start", "lund", "ringer", 7),
        event(5, "stockout_start", "apotek", "ringer", 30),
        event(5, "stockout_start", "kommun", "ringer", 1),
        event(5, "stockout_start", "apoteket", "ringer", 2),
        event(8, "disruption_end", detail="Elbrist"),
        event(8, "disruption_end", detail="Cyberangrepp"),
        event(9, "stockout_end", "akademiska", "ringer", 40),
        event(10, "dos_recovered", "apotek", "ringer", 11.0, "7 days"),
        event(12, "allocation_cut", "tamro", "ringer", 0.6, share),
        event(13, "recovery_complete", detail="Brand i fabriken"),
        event(20, "allocation_restored", "tamro", "ringer", 1.0),
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def run():
    return sim.run(small(), seed=1, replications=1)


@pytest.fixture(scope="module")
def crafted(run):
    return dataclasses.replace(run, events=crafted_events())


@pytest.fixture(scope="module")
def crafted_random(run):
    """Random durations that outlast the run (no end logged), onsets before the window."""
    disruptions = [{**d, "duration_days": {"distribution": "uniform", "low": 10, "high": 30}}
                   for d in DISRUPTIONS]
    events = crafted_events()
    events = events[~((events["kind"] == "disruption_end") & (events["detail"] == "Elbrist"))]
    return dataclasses.replace(run, scenario=small(disruptions=disruptions), events=events)


WINDOW_FROM_3 = {"extends": "default", "window": {"from_day": 3}}


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
@pytest.mark.parametrize("variant", ["fixed", "random"])
def test_every_default_rule_renders_with_nothing_left_unfilled(crafted, crafted_random, lang,
                                                               variant):
    if variant == "fixed":
        table = sim.injects(crafted, lang=lang)
    else:  # the onsets on day 2 are before the window: they come on its first day, day 3
        table = sim.injects(crafted_random, lang=lang, rules=WINDOW_FROM_3)
        starts = table[table["kind"] == "disruption_start"]
        assert len(starts) == len(DISRUPTIONS) and (starts["scenario_day"] == 3).all()
        # The texts say when they really started.
        assert all(re.search(r"\b(dag|day) 2\b", m) for m in starts["message"])
        power = starts[starts["rule"] == "power_outage_start"].iloc[0]["message"]
        assert re.search(r"\b20 (dagar|dager|days)\b", power), power  # the mean of 10..30
    # The crafted scenario has no care and no countermeasures: those rules cannot fire here
    # (their rendering is tested in tests/test_injects_care.py and
    # tests/test_injects_countermeasures.py).
    care = {"rationing_start", "rationing_end", "admissions_deferred", "admissions_cancelled",
            "imperative_short", *COUNTERMEASURE_KINDS}
    assert set(table["rule"]) == {rule_id for rule_id, r in load_rules().enabled_rules()
                                  if r.when.kind not in care}
    texts = table[[*TEXT_FIELDS, "to", "method", "region"]]
    for column, values in texts.items():
        for value in values:
            assert value.strip(), column
            assert "{" not in value and "}" not in value, (column, value)
            assert not re.search(r"\bnan\b|\bNone\b|–", value), (column, value)


@pytest.mark.parametrize(("lang", "phrase"), [
    ("sv", "Från dag 12 är tilldelningen från Tamro 60 % av beställd mängd Ringer-acetat 1000 ml."),
    ("nb", "Fra dag 12 er tildelingen fra Tamro 60 % av bestilt mengde Ringer-acetat 1000 ml."),
    ("en", "From day 12 the allocation from Tamro is 60 % of the ordered quantity of "
           "Ringer-acetat 1000 ml."),
])
def test_allocation_cut_names_supplier_product_share_and_day(crafted, lang, phrase):
    table = sim.injects(crafted, lang=lang)
    cut = table[table["rule"] == "supplier_cut"].iloc[0]
    assert phrase in cut["message"]
    assert cut["from"] == "Tamro" and cut["scenario_day"] == 12
    assert cut["to"] == {"sv": "Sjukhusapoteket", "nb": "Sykehusapoteket",
                         "en": "Hospital pharmacy"}[lang]  # Tamro's customers


def test_api_returns_the_hseep_columns(crafted):
    table = sim.injects(crafted, lang="en")
    assert isinstance(table, pd.DataFrame)
    # The HSEEP columns in order, the responsible controller after the synopsis (`after`).
    assert [c for c in table.columns if c in MSEL_COLUMNS] == list(MSEL_COLUMNS)
    assert list(table.columns[:9]) == ["number", *TIME_COLUMNS, "synopsis", "controller",
                                       "method"]
    assert {"controller", "notes", "severity", "kind", "region"} <= set(table.columns)
    assert table["number"].tolist() == list(range(1, len(table) + 1))
    assert table["scenario_day"].is_monotonic_increasing
    assert table["scenario_datetime"].isna().all() and table["exercise_time"].isna().all()
    merged = table[table["rule"] == "ward_first_stockout"].iloc[0]
    assert merged["events"] == 2 and "2 of 2 wards" in merged["message"]
    # The most severe stockout leads: 12 bags short of 20 a day against 7.
    assert merged["message"].startswith("Akademiska, akutmottagning has been out of Ringer")


def test_start_and_compress_give_dates_and_exercise_time(crafted):
    table = sim.injects(crafted, lang="sv", start="2027-03-01T09:30", compress=2)
    first = table.iloc[0]
    assert first["scenario_day"] == 2 and first["time"] == "09:30"
    assert first["scenario_datetime"] == pd.Timestamp("2027-03-03 09:30")  # day 0 = 1 March
    assert first["exercise_elapsed"] == pd.Timedelta(hours=1)  # 2 days at 2 days per hour
    assert first["exercise_time"] == pd.Timestamp("2027-03-01 10:30")
    assert "Från 2027-03-03 " in table[table["rule"] == "power_outage_start"].iloc[0]["message"]
    dated = sim.injects(crafted, lang="en", start=dt.date(2027, 3, 1))
    assert dated.iloc[0]["time"] == "08:00"  # a date alone keeps the schedule's day start


def test_schedule_spreads_a_busy_day_before_day_end():
    timing = Timing(from_day=10, day_start=8 * 60, day_end=9 * 60, spacing=20)
    days = np.array([10, 10, 10, 10, 11])
    out = schedule(days, timing)
    assert out["time"] == ["08:00", "08:15", "08:30", "08:45", "08:00"]
    compressed = schedule(days, dataclasses.replace(timing, compress=1.0))
    # Day 11 at 08:00 is one scenario day after day 10 at 08:00: one exercise hour later.
    assert compressed["exercise_elapsed"][4] == pd.Timedelta(hours=1)
    assert compressed["exercise_elapsed"][1] == pd.Timedelta(minutes=1)  # 15 min / 24, rounded
    assert compressed["exercise_time"].isna().all()  # no start: elapsed time only


def test_bad_options_are_messages(crafted):
    with pytest.raises(ValueError, match=r"start '2027-13-01': expected a date and time"):
        sim.injects(crafted, start="2027-13-01")
    with pytest.raises(ValueError, match="without a time zone"):
        sim.injects(crafted, start="2027-03-01T08:00+01:00")
    with pytest.raises(ValueError, match="must be a number above 0"):
        sim.injects(crafted, compress=0)
    with pytest.raises(ValueError, match=r"replication 4 is not in this run \(replications: 0\)"):
        sim.injects(crafted, replication=4)
    window = {"extends": "default", "window": {"from_day": 30, "to_day": 40}}
    with pytest.raises(ValueError, match=r"days 30-40 are not within the run's days 0-39"):
        sim.injects(crafted, rules=window)
    assert len(sim.injects(crafted, lang="EN")) > 0  # language codes in any case
    with pytest.raises(ValueError, match=r"unknown region 'uppsla'; did you mean 'uppsala'\? "
                                         r"\(scenario 'test' has regions"):
        sim.injects(crafted, regions=["uppsla"])


def test_rules_that_name_missing_things_or_unrecorded_thresholds_are_refused(crafted):
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data["rules"]["ward_first_stockout"]["when"]["groups"] = ["infusion_fluid"]
    data["rules"]["hospital_pharmacy_dos"]["when"]["thresholds"] = [5]
    with pytest.raises(ValueError) as caught:
        sim.injects(crafted, rules=data)
    message = str(caught.value)
    assert "rules.ward_first_stockout.when.groups: 'infusion_fluid' is not in scenario" in message
    assert "did you mean 'infusion_fluids'?" in message
    assert "5 days was not recorded in this run (reporting.dos_thresholds: 14, 7, 3)" in message


def test_regions_keep_their_nodes_and_suppliers(crafted):
    table = sim.injects(crafted, lang="en", regions=["skane"])
    nodes = set(table["node"].dropna())
    # Lund is in Skåne; the hospital pharmacy, regional store, Tamro and the plant supply it.
    assert nodes <= {"lund", "apotek", "store", "tamro", "plant"} and "lund" in nodes
    assert "kommun" not in nodes
    assert (table["kind"] == "disruption_start").sum() == len(DISRUPTIONS)


def rules_with(**rules: dict) -> RulesFile:
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    text = {lang: {"from": "{node_name}", "synopsis": "{share_pct} %", "message": "{count}",
                   "expected_action": "-", "capability": "-"} for lang in data["languages"]}
    data["rules"] = {rule_id: {"to": "customers", "method": "email", "severity": 50,
                               "text": text, **rule} for rule_id, rule in rules.items()}
    return rules_from_dict(data)


def cuts(days: list[int], values: list[float], nodes: list[str] | None = None) -> pd.DataFrame:
    n = len(days)
    return pd.DataFrame({
        "day": days, "kind": "allocation_cut", "node": nodes or ["tamro"] * n,
        "product": "ringer", "value": values, "threshold": np.nan, "quantity": np.nan,
        "flow": 10.0, "bonus": [20 * (1 - v) for v in values], "disruption": None,
        "disruption_index": -1, "disruption_type": None, "role": "wholesaler",
        "region": "uppsala", "group": "infusion_fluids", "stockout_days": np.nan,
    })[list(TRIGGER_COLUMNS)]


def test_rate_limit_keep_and_cap():
    sc = small()
    triggers = cuts([10, 11, 12, 20, 30], [0.5, 0.4, 0.3, 0.7, 0.6])
    when = {"kind": "allocation_cut"}

    def days(**rule: object) -> list[int]:
        rules = rules_with(r={"when": when, "group_by": ["node"], **rule})
        return select_injects(triggers, rules, sc)["day"].tolist()

    assert days() == [10, 11, 12, 20, 30]
    assert days(min_gap_days=5) == [10, 20, 30]
    assert days(keep="first") == [10]
    assert days(keep="last", min_gap_days=5) == [30]
    assert days(max=2) == [11, 12]  # the deepest cuts, in time order
    with_below = rules_with(r={"when": {**when, "below": 0.55}})
    assert select_injects(triggers, with_below, sc)["day"].tolist() == [10, 11, 12]


def test_same_day_triggers_merge_by_key_and_severity_adds_depth_and_breadth():
    sc = small()
    triggers = cuts([10, 10, 10], [0.5, 0.2, 0.9], nodes=["tamro", "store", "plant"])
    merged = select_injects(triggers, rules_with(r={"when": {"kind": "allocation_cut"}}), sc)
    assert len(merged) == 1
    row = merged.iloc[0]
    assert row["lead"] == 1 and sorted(row["members"]) == [0, 1, 2]
    assert row["severity"] == pytest.approx(50 + 20 * 0.8 + 5 * np.log10(3), abs=0.05)
    apart = select_injects(triggers, rules_with(r={"when": {"kind": "allocation_cut"},
                                                   "group_by": ["node"]}), sc)
    assert len(apart) == 3
    assert select_injects(triggers, rules_with(r={"when": {"kind": "allocation_cut"},
                                                  "group_by": ["node"]}), sc,
                          max_injects=1)["lead"].tolist() == [1]


def test_typical_is_the_replication_nearest_the_median_fill_rate(tmp_path):
    result = sim.run(small(), seed=3, replications=5)
    chosen = build_msel(result, lang="en", typical=True)
    # The statistic, computed here independently: per replication, the mean over products of
    # units served over units demanded at the demand points.
    kpis = result.kpis[result.kpis["role"].isin(["ward", "community_pharmacy",
                                                 "municipal_care"])]
    fill = {}
    for k, rows in kpis.groupby("replication"):
        by_product = rows.groupby("product", observed=True)[["served", "demand"]].sum()
        fill[k] = (by_product["served"] / by_product["demand"]).mean()
    values = np.array(list(fill.values()))
    assert len(set(values)) == 5  # the replications differ
    median = np.median(values)
    expected = min(fill, key=lambda k: (abs(fill[k] - median), k))
    assert chosen.replication == expected
    assert outcome_by_replication(result.kpis)[expected] == pytest.approx(fill[expected])
    assert f"replication {expected}, the typical one" in chosen.choice
    assert f"median {median:.2%} over 5 replications" in chosen.choice
    assert (chosen.table["replication"] == expected).all()
    write_msel(build_msel(result, lang="sv", typical=True), tmp_path / "t.xlsx")
    about = dict(load_workbook(tmp_path / "t.xlsx")["Om inspelslistan"].iter_rows(
        min_row=2, values_only=True))
    assert about["Replikat"] == f"{expected} (den typiska, närmast medianen av " \
                                "medelservicegraden vid förbrukningsställena)"
    assert build_msel(result, lang="en").choice.startswith("replication 0 of 5; --typical")
    with pytest.raises(ValueError, match="not both"):
        build_msel(result, replication=1, typical=True)


def test_a_real_small_run_makes_injects(run):
    table = sim.injects(run, lang="sv")
    assert (table["kind"] == "disruption_start").sum() == len(DISRUPTIONS)
    cut = table[table["rule"] == "supplier_cut"]
    assert "Fresenius Halden" in set(cut["from"])
    halden = cut[cut["from"] == "Fresenius Halden"].iloc[0]
    # The plant's only customer is a wholesaler: the regional crisis staff hears of it.
    assert halden["to"] == "Regional särskild sjukvårdsledning"


def test_results_folder_errors(tmp_path, run):
    from sim.export import write_results

    with pytest.raises(ResultsFolderError, match="no such results folder"):
        read_results(tmp_path / "missing")
    with pytest.raises(ResultsFolderError, match=r"it has no manifest\.json"):
        read_results(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"plan": {}}))
    with pytest.raises(ResultsFolderError, match="is a batch folder"):
        read_results(tmp_path)
    folder = write_results(run, tmp_path / "run")
    (folder / "events.parquet").unlink()
    with pytest.raises(ResultsFolderError, match=r"events.parquet missing"):
        read_results(folder)


def test_a_quiet_run_gives_an_empty_msel_that_still_writes(tmp_path):
    sc = scenario([node("maker", "manufacturer", unlimited=True),
                   node("ward", demand={"p": {"mean_per_day": 1}},
                        policy={"p": {"type": "base_stock", "level": 5}},
                        stock={"p": {"initial": 5}})],
                  [{"from": "maker", "to": "ward", "lead_time_days": 1}], horizon=20)
    msel = build_msel(sim.run(sc, seed=1), lang="nb", start="2027-03-01", compress=4)
    assert msel.table.empty
    assert [c for c in msel.table.columns if c in MSEL_COLUMNS] == list(MSEL_COLUMNS)
    for name in ("x.xlsx", "x.csv", "x.md"):
        write_msel(msel, tmp_path / name)
    assert load_workbook(tmp_path / "x.xlsx")["Dreiebok"].max_row == 1
    assert write_timeline(msel, tmp_path / "x.png").read_bytes()[:4] == b"\x89PNG"


def test_the_command_says_why_an_msel_is_empty(tmp_path):
    from typer.testing import CliRunner

    from sim.cli import app
    from sim.export import write_results

    folder = write_results(sim.run(small(), seed=1), tmp_path / "run")
    rules = tmp_path / "none.yaml"
    off = "".join(f"  {rule_id}: {{enabled: false}}\n" for rule_id in load_rules().rules)
    rules.write_text(f"extends: default\nrules:\n{off}", encoding="utf-8")
    result = CliRunner().invoke(app, ["injects", str(folder), "--rules", str(rules), "-q",
                                      "--no-timeline"])
    assert result.exit_code == 0, result.output
    assert "note: no injects: none of the" in result.stderr
    assert "triggers in days 0-39 matched an enabled rule" in result.stderr


def test_a_window_backwards_names_the_rules_file(crafted, tmp_path):
    rules = tmp_path / "back.yaml"
    rules.write_text("extends: default\nwindow: {from_day: 30, to_day: 5}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"window: from_day 30 is after to_day 5 \(rules window "
                                         r"of .*back\.yaml\)"):
        sim.injects(crafted, rules=rules)


def test_a_date_alone_starts_the_exercise_at_the_day_start(crafted):
    table = sim.injects(crafted, lang="sv", start="2027-03-01", compress=1)
    first = table.iloc[0]
    assert first["scenario_day"] == 2 and first["time"] == "08:00"
    assert first["scenario_datetime"] == pd.Timestamp("2027-03-03 08:00")
    # The exercise starts on 1 March at the day start, 08:00 (day 0, the window's first day);
    # day 2 at 08:00 is two scenario days later: two exercise hours at one day per hour.
    assert first["exercise_elapsed"] == pd.Timedelta(hours=2)
    assert first["exercise_time"] == pd.Timestamp("2027-03-01 10:00")
    same = sim.injects(crafted, lang="sv", start="2027-03-01T08:00", compress=1)
    assert (same["exercise_time"] == table["exercise_time"]).all()


def test_a_late_start_keeps_each_day_before_midnight(crafted):
    table = sim.injects(crafted, lang="en", start="2027-03-01T23:00")
    assert (table["time"] >= "23:00").all()
    dates = table["scenario_datetime"]
    assert (dates.dt.normalize() == pd.Timestamp("2027-03-01")
            + pd.to_timedelta(table["scenario_day"], unit="D")).all()
    with pytest.raises(ValueError, match="to the minute"):
        sim.injects(crafted, start="2027-03-01T08:00:30")
    with pytest.raises(ValueError, match="must be a number above 0"):
        sim.injects(crafted, compress=float("inf"))


def test_english_dates_read_like_1_march_2027(crafted):
    table = sim.injects(crafted, lang="en", start="2027-03-01")
    power = table[table["rule"] == "power_outage_start"].iloc[0]["message"]
    assert power.startswith("From 3 March 2027 there is a power shortage")


def test_keep_most_severe_keeps_the_deepest_cut_of_a_supplier(run):
    share = "share of customer orders delivered"
    events = pd.DataFrame([event(12, "allocation_cut", "tamro", "ringer", 0.74, share),
                           event(13, "allocation_cut", "tamro", "ringer", 0.13, share),
                           event(14, "allocation_cut", "tamro", "ringer", 0.03, share)])
    table = sim.injects(dataclasses.replace(run, events=events), lang="en")
    cut = table[table["rule"] == "supplier_cut"]
    assert len(cut) == 1 and cut.iloc[0]["scenario_day"] == 14
    assert "from Tamro is 3 % of the ordered quantity of Ringer" in cut.iloc[0]["message"]


def test_a_cut_of_several_products_gives_the_range_of_shares(run):
    share = "share of customer orders delivered"
    events = pd.DataFrame([event(12, "allocation_cut", "tamro", "ringer", 0.35, share),
                           event(12, "allocation_cut", "store", "gloves", 0.6, share)])
    rules = {"extends": "default",
             "rules": {"supplier_cut": {"group_by": [], "when": {"unless": None}}}}
    table = sim.injects(dataclasses.replace(run, events=events), lang="sv", rules=rules)
    cut = table[table["rule"] == "supplier_cut"].iloc[0]
    assert cut["events"] == 2 and cut["from"] == "Tamro"  # the deepest cut leads
    assert ("tilldelningen från Tamro 35–60 % av beställd mängd Ringer-acetat 1000 ml och "
            "Undersökningshandske nitril.") in cut["message"]
    assert cut["synopsis"] == "Kvotering: Tamro levererar 35 % av Ringer-acetat 1000 ml"


def test_allocation_cuts_are_drops_not_rises(run):
    from sim.injects.triggers import find_triggers

    share = "share of customer orders delivered"
    events = pd.DataFrame([
        event(3, "allocation_cut", "tamro", "ringer", 0.5, share),
        event(4, "allocation_cut", "tamro", "ringer", 0.7, share),  # a rise: not a cut
        event(5, "allocation_cut", "tamro", "ringer", 0.3, share),
        event(6, "allocation_restored", "tamro", "ringer", 1.0),
        event(7, "allocation_cut", "tamro", "ringer", 0.8, share),  # a drop from 100 %
        event(7, "allocation_cut", "store", "gloves", 0.9, share),
    ])
    triggers = find_triggers(events, run.scenario, run.kpis, 0, 39)
    cuts = triggers[triggers["kind"] == "allocation_cut"]
    assert list(zip(cuts["day"], cuts["node"], strict=True)) == [
        (3, "tamro"), (5, "tamro"), (7, "tamro"), (7, "store")]


def test_lists_of_names_with_commas_use_semicolons(crafted):
    from sim.injects.words import Words

    msel = build_msel(crafted, lang="sv")
    w = Words("sv", msel.labels, msel.rules, msel.scenario, 0)
    assert w.listing(["Akademiska, akutmottagning", "Lund, akutmottagning", "C"]) == \
        "Akademiska, akutmottagning; Lund, akutmottagning och C"
    assert w.listing(["A", "B", "C"]) == "A, B och C"


def test_a_factory_stands_still_only_at_zero_and_synopses_do_not_repeat_the_type(crafted):
    table = sim.injects(crafted, lang="sv")
    by_rule = table.set_index("rule")
    assert "produktionen står still" in by_rule.loc["factory_loss_start", "message"]
    # "Exportstopp: Exportstopp" (type, then a name that starts with it) says it once.
    assert by_rule.loc["export_ban_start", "synopsis"] == "Exportstopp"
    assert by_rule.loc["transport_start", "synopsis"] == "Transportstörning: Stängd gräns"
    half = [{**d, "capacity_factor": 0.3} if d["type"] == "factory_loss" else d
            for d in DISRUPTIONS]
    reduced = sim.injects(dataclasses.replace(crafted, scenario=small(disruptions=half)),
                          lang="sv")
    message = reduced.set_index("rule").loc["factory_loss_start", "message"]
    assert "produktionen är nedsatt till 30 % av den normala" in message
    assert "still" not in message


def with_disruption(crafted, kind: str, **fields) -> sim.RunResult:
    """The crafted run with the scenario's disruption of this type changed."""
    changed = [{**d, **fields} if d["type"] == kind else d for d in DISRUPTIONS]
    return dataclasses.replace(crafted, scenario=small(disruptions=changed))


STILL_SUPPLIED = {"sv": "kunderna får fortfarande leveranser från lagret",
                  "nb": "kundene får fortsatt leveranser fra lageret",
                  "en": "customers are still supplied from stock"}
NOTHING_SHIPPED = {"sv": "inget levereras till kunderna förrän systemet är i gång igen",
                   "nb": "ingenting leveres til kundene før systemet er oppe igjen",
                   "en": "nothing is shipped to customers until the system is back"}


@pytest.mark.parametrize("lang", ["sv", "nb", "en"])
@pytest.mark.parametrize(("effect", "phrase"), [
    ("ordering", {
        "sv": "efter ett IT-angrepp: inga beställningar kan läggas hos leverantörerna, men "
              "kunderna får fortfarande leveranser från lagret så länge det räcker.",
        "nb": "etter et dataangrep: ingen bestillinger kan legges inn hos leverandørene, men "
              "kundene får fortsatt leveranser fra lageret så lenge det rekker.",
        "en": "after a cyber attack: no orders can be placed with suppliers, but customers are "
              "still supplied from stock as long as it lasts."}),
    ("order_intake", {
        "sv": "efter ett IT-angrepp: kundernas beställningar kan inte hanteras, så inget "
              "levereras till kunderna förrän systemet är i gång igen; lagda beställningar "
              "levereras då, och nya bör gå till andra leverantörer.",
        "nb": "etter et dataangrep: kundenes bestillinger kan ikke behandles, så ingenting "
              "leveres til kundene før systemet er oppe igjen; bestillinger som allerede er "
              "lagt inn, leveres da, og nye bør gå til andre leverandører.",
        "en": "after a cyber attack: customer orders cannot be handled, so nothing is shipped "
              "to customers until the system is back; orders already placed are shipped then, "
              "and new ones should go to other suppliers."}),
    ("both", {
        "sv": "efter ett IT-angrepp: varken beställningar till leverantörerna eller kundernas "
              "beställningar kan hanteras, så inget levereras till kunderna förrän systemet är "
              "i gång igen; lagda beställningar levereras då, och nya bör gå till andra "
              "leverantörer.",
        "nb": "etter et dataangrep: verken bestillinger til leverandørene eller kundenes "
              "bestillinger kan behandles, så ingenting leveres til kundene før systemet er "
              "oppe igjen; bestillinger som allerede er lagt inn, leveres da, og nye bør gå til "
              "andre leverandører.",
        "en": "after a cyber attack: neither orders to suppliers nor customer orders can be "
              "handled, so nothing is shipped to customers until the system is back; orders "
              "already placed are shipped then, and new ones should go to other suppliers."}),
])
def test_an_it_outage_says_what_its_effect_does(crafted, lang, effect, phrase):
    # ordering: the node places no orders, its customers are still supplied from its stock;
    # order_intake: it ships nothing on its customers' orders while it lasts; both (default).
    run = with_disruption(crafted, "it_outage", effect=effect)
    inject = sim.injects(run, lang=lang).set_index("rule").loc["it_outage_start"]
    assert inject["from"] == "Tamro"
    assert inject["to"] == {"sv": "Sjukhusapoteket", "nb": "Sykehusapoteket",
                            "en": "Hospital pharmacy"}[lang]  # Tamro's customers
    assert phrase[lang] in inject["message"]
    assert (STILL_SUPPLIED[lang] in inject["message"]) == (effect == "ordering")
    assert (NOTHING_SHIPPED[lang] in inject["message"]) == (effect != "ordering")


def test_an_it_outage_hits_both_ways_by_default(crafted):
    default = sim.injects(crafted, lang="en").set_index("rule").loc["it_outage_start"]
    both = sim.injects(with_disruption(crafted, "it_outage", effect="both"), lang="en")
    assert default["message"] == both.set_index("rule").loc["it_outage_start", "message"]
    assert "neither orders to suppliers nor customer orders" in default["message"]


EFFECT_ONLY = {"extends": "default", "rules": {
    rule: {"text": {lang: {"message": "{effect}"} for lang in ("sv", "nb", "en")}}
    for rule in ("transport_start", "export_ban_start")}}


def test_export_bans_and_closures_say_what_happens_to_goods_on_the_way(crafted):
    # An export ban stops new loading: goods already dispatched arrive.
    table = sim.injects(crafted, lang="en").set_index("rule")
    ban = table.loc["export_ban_start", "message"]
    assert "Goods already dispatched will arrive, but nothing more is loaded for export" in ban
    assert "fail" not in ban
    sv = sim.injects(crafted, lang="sv").set_index("rule").loc["export_ban_start", "message"]
    assert "Varor som redan har skickats kommer fram, men inget nytt lastas för export" in sv
    effects = sim.injects(crafted, lang="en", rules=EFFECT_ONLY).set_index("rule")["message"]
    assert effects["export_ban_start"] == ("nothing new is loaded, but goods already on the "
                                           "way arrive")
    # A closed lane holds goods on the way by default; hold_in_transit: false lets them arrive.
    assert effects["transport_start"] == "no deliveries get through"
    through = with_disruption(crafted, "transport", hold_in_transit=False)
    nb = sim.injects(through, lang="nb", rules=EFFECT_ONLY).set_index("rule")["message"]
    assert nb["transport_start"] == ("ingenting nytt lastes, men varer som allerede er "
                                     "underveis, kommer fram")
