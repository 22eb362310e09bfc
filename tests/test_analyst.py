"""The analyst's first hour (issue 16): named paths, linked sweeps, tables, filters, reopening.

All on a tiny two-region scenario with named rules, run in-process, so the file takes seconds.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim.batch.variants import grid, parse_link, parse_sweep
from sim.cli import app
from sim.report import variant_headers
from sim.scenario.load import apply_overrides
from sim.scenario.paths import settable_paths

runner = CliRunner()

WARD = {"country": "SE", "role": "ward",
        "demand": {"saline": {"mean_per_day": 3.0}, "gloves": {"mean_per_day": 12.0}}}
SCENARIO = {
    "name": "analyst",
    "horizon_days": 50,
    "warmup_days": 10,
    "seed": 5,
    "products": {
        "saline": {"name": "Natriumklorid 9 mg/ml 1000 ml", "group": "infusion_fluids",
                   "unit": "bag"},
        "gloves": {"name": "Undersökningshandske nitril", "group": "ppe", "unit": "pair"},
    },
    "nodes": [
        {"id": "maker", "role": "manufacturer", "country": "SE", "region": "uppsala",
         "unlimited": True},
        {"id": "pharmacy", "role": "hospital_pharmacy", "country": "SE", "region": "uppsala"},
        {"id": "ward_north", "region": "uppsala", **WARD},
        {"id": "ward_south", "region": "skane", **WARD},
    ],
    "lanes": [
        {"from": "maker", "to": "pharmacy", "lead_time_days": 3},
        {"from": "pharmacy", "to": "ward_north", "lead_time_days": 1},
        {"from": "pharmacy", "to": "ward_south", "lead_time_days": 1},
    ],
    "policies": [
        {"name": "default", "policy": {"type": "days_of_supply", "reorder_days": 3,
                                       "target_days": 6}},
        {"name": "hp_fluids", "match": {"role": "hospital_pharmacy", "group": "infusion_fluids"},
         "policy": {"type": "days_of_supply", "reorder_days": 5, "target_days": 10}},
    ],
    "stocks": [
        {"name": "default", "stock": {"initial_days": 6}},
        {"name": "hp_fluids", "match": {"role": "hospital_pharmacy", "group": "infusion_fluids"},
         "stock": {"initial_days": 10}},
    ],
    "disruptions": [
        {"type": "transport", "name": "Slow roads", "start_day": 20, "duration_days": 10,
         "lanes": {"from_role": ["manufacturer"]}, "lead_time_factor": 4},
    ],
}
LINK = ("stocks[hp_fluids].stock.initial_days,policies[hp_fluids].policy.reorder_days,"
        "policies[hp_fluids].policy.target_days=8/4/8,20/10/25")


@pytest.fixture
def scenario_file(tmp_path):
    path = tmp_path / "analyst.yaml"
    path.write_text(yaml.safe_dump(SCENARIO, sort_keys=False), encoding="utf-8")
    return path


def _lines(output: str) -> list[str]:
    return output.splitlines()


def _flat(output: str) -> str:
    """The output as one line: the console wraps long lines where it likes."""
    return " ".join(output.split())


# --- named paths ---------------------------------------------------------------------------------


def test_named_paths_set_the_named_rule():
    sc = sim.from_dict(SCENARIO)
    out = apply_overrides(sc, {"policies[hp_fluids].policy.target_days": 30,
                               "stocks.hp_fluids.stock.initial_days": 25})
    assert out.policies[1].policy.target_days == 30
    assert out.policies[0].policy.target_days == 6
    assert out.stocks[1].stock.initial_days == 25


def test_a_misspelt_rule_name_is_one_message_with_a_suggestion(scenario_file):
    res = runner.invoke(app, ["validate", str(scenario_file),
                              "--set", "policies[hp_fluid].policy.target_days=30"])
    assert res.exit_code == 2
    assert "policies[hp_fluid].policy.target_days" in res.output  # brackets not eaten as markup
    assert "did you mean 'hp_fluids'?" in res.output
    assert "Traceback" not in res.output


def test_duplicate_rule_names_are_refused():
    data = {**SCENARIO, "policies": [*SCENARIO["policies"], SCENARIO["policies"][1]]}
    with pytest.raises(sim.ScenarioError, match="duplicate rule name 'hp_fluids'"):
        sim.from_dict(data)


def test_paths_lists_values_and_types(scenario_file):
    res = runner.invoke(app, ["paths", str(scenario_file), "--grep", "hp_fluids"])
    assert res.exit_code == 0, res.output
    lines = _lines(res.output)
    assert "policies[hp_fluids].policy.target_days = 10.0  # number" in lines
    assert "stocks[hp_fluids].stock.initial_days = 10.0  # number | null" in lines
    assert all("hp_fluids" in line for line in lines)
    # Every listed path can be set as listed.
    sc = sim.from_dict(SCENARIO)
    for item in settable_paths(sc, "hp_fluids"):
        if item.value is not None and not item.path.endswith(".name"):
            apply_overrides(sc, {item.path: item.value})
    nodes = runner.invoke(app, ["paths", str(scenario_file), "--grep", "ward_south].region"])
    assert nodes.output.strip() == 'nodes[ward_south].region = "skane"  # str'
    none = runner.invoke(app, ["paths", str(scenario_file), "--grep", "no_such_thing"])
    assert none.exit_code == 2 and "no path" in none.output


# --- linked sweeps -------------------------------------------------------------------------------


def test_linked_sweep_moves_paths_together_and_crosses_with_a_sweep():
    sweep = {**parse_link([LINK]), **parse_sweep(["disruptions.0.duration_days=5,20"])}
    variants = grid(sweep)
    assert [v.name for v in variants] == [
        "initial_days/reorder_days/target_days=8/4/8 duration_days=5",
        "initial_days/reorder_days/target_days=8/4/8 duration_days=20",
        "initial_days/reorder_days/target_days=20/10/25 duration_days=5",
        "initial_days/reorder_days/target_days=20/10/25 duration_days=20",
    ]
    assert variants[2].overrides == {
        "stocks[hp_fluids].stock.initial_days": 20,
        "policies[hp_fluids].policy.reorder_days": 10,
        "policies[hp_fluids].policy.target_days": 25,
        "disruptions.0.duration_days": 5,
    }


def test_a_link_with_the_wrong_number_of_values_is_a_message():
    with pytest.raises(ValueError, match="'8/4' has 2 value"):
        parse_link(["a.b,c.d,e.f=8/4,1/2/3"])
    with pytest.raises(ValueError, match="two or more paths"):
        parse_link(["a.b=1,2"])


def test_rule_names_tell_sweep_variants_apart():
    variants = grid({"policies[hp_fluids].policy.target_days": [10],
                     "policies[default].policy.target_days": [6]})
    assert variants[0].name == "hp_fluids.target_days=10 default.target_days=6"


def test_linked_sweep_in_a_batch_file_runs_exact_variants(scenario_file, tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(yaml.safe_dump({
        "scenario": scenario_file.name, "replications": 2,
        "sweep": {"stocks[hp_fluids].stock.initial_days, policies[hp_fluids].policy.target_days":
                  [[8, 8], [20, 25]]},
    }), encoding="utf-8")
    res = runner.invoke(app, ["batch", str(study), "--workers", "1", "--out",
                              str(tmp_path / "b")], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    variants = pd.read_csv(tmp_path / "b" / "variants.csv")
    assert variants["variant"].tolist() == ["initial_days/target_days=8/8",
                                            "initial_days/target_days=20/25"]
    assert variants["policies[hp_fluids].policy.target_days"].tolist() == [8, 25]


# --- tables --------------------------------------------------------------------------------------


def _headers(output: str) -> list[str]:
    """The header cells of each table (the lines above a ─── rule), joined per column."""
    lines = _lines(output)
    found = []
    for i, line in enumerate(lines):
        if set(line.strip()) == {"─"} and i > 0:
            found.append([c for c in re.split(r"\s{2,}", lines[i - 1].strip()) if c])
    return found


@pytest.mark.parametrize("width", [80, 200])
def test_run_table_fits_and_cuts_no_names(scenario_file, tmp_path, width):
    res = runner.invoke(app, ["run", str(scenario_file), "--out", str(tmp_path / "r")],
                        env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    assert max(map(len, _lines(res.output))) <= width
    assert "…" not in res.output
    for name in ("hospital_pharmacy", "infusion_fluids", "ward", "ppe"):
        assert name in res.output
    headers = _headers(res.output)[0]
    assert len(headers) == len(set(headers))
    assert "mean of 5 replications" in res.output  # the default: enough for an interval
    assert re.search(r"\d+\.\d% ±\d+\.\d", res.output)
    # Suppliers' fill is order fill, said in their section.
    assert re.search(r"hospital_pharmacy\s+orders", res.output)
    assert re.search(r"\n ward\s+demand", res.output)
    # Product names, not ids, and the crisis start rather than the end of warm-up.
    assert "Natriumklorid 9 mg/ml 1000 ml" in _flat(res.output)
    assert "first disruption starts on day 20" in _flat(res.output)


def test_without_disruptions_there_is_no_crisis(scenario_file, tmp_path):
    res = runner.invoke(app, ["run", str(scenario_file), "-r", "2", "--set", "disruptions=[]",
                              "--out", str(tmp_path / "r")], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    assert "No disruptions: no crisis" in res.output and "(none)" in res.output


def test_variant_headers_use_labels_and_a_legend_when_names_do_not_fit():
    names = ["initial_days/reorder_days/target_days=8/4/8",
             "initial_days/reorder_days/target_days=20/10/25"]
    headers, legend = variant_headers(names, 11)
    assert headers == ["V1", "V2"]
    assert legend == [f"V1: {names[0]}", f"V2: {names[1]}"]
    assert variant_headers(["a=1 b=2", "a=2 b=2"], 11) == (["a=1 b=2", "a=2 b=2"], [])


@pytest.mark.parametrize("width", [80, 200])
def test_batch_table_fits_with_distinct_headers(scenario_file, tmp_path, width):
    res = runner.invoke(app, [
        "batch", str(scenario_file), "-r", "2", "--workers", "1", "--link", LINK,
        "--sweep", "disruptions.0.duration_days=5,20", "--out", str(tmp_path / "b"),
    ], env={"COLUMNS": str(width)})
    assert res.exit_code == 0, res.output
    assert max(map(len, _lines(res.output))) <= width
    assert "…" not in res.output
    headers = [h for table in _headers(res.output) for h in table if h != "group"]
    assert headers == ["V1", "V2", "V3", "V4"]
    # --sweep axes first, then --link axes (typer does not keep their order among each other)
    names = grid({**parse_sweep(["disruptions.0.duration_days=5,20"]), **parse_link([LINK])})
    flat = _flat(res.output)
    for i, variant in enumerate(names):
        assert f"V{i + 1}: {variant.name}" in flat


# --- filters -------------------------------------------------------------------------------------


def test_run_filters_by_role_group_and_region(scenario_file, tmp_path):
    res = runner.invoke(app, ["run", str(scenario_file), "-r", "2", "--role", "ward",
                              "--region", "skane", "--group", "infusion_fluids",
                              "--out", str(tmp_path / "r")], env={"COLUMNS": "120"})
    assert res.exit_code == 0, res.output
    assert "hospital_pharmacy" not in res.output and " ppe" not in res.output
    result = sim.open(tmp_path / "r")
    summary = result.summary(role="ward", region="skane", group="infusion_fluids")
    assert summary[["role", "group"]].values.tolist() == [["ward", "infusion_fluids"]]
    south = result.kpis[(result.kpis["node"] == "ward_south")
                        & (result.kpis["product"] == "saline")]
    assert summary["fill_rate"].iloc[0] == pytest.approx(
        south["served"].sum() / south["demand"].sum())


def test_a_misspelt_filter_is_a_message_before_anything_runs(scenario_file, tmp_path):
    out = tmp_path / "r"
    res = runner.invoke(app, ["run", str(scenario_file), "--role", "wards", "--out", str(out)])
    assert res.exit_code == 2 and "did you mean 'ward'?" in res.output
    assert not out.exists()


def test_a_misspelt_batch_filter_is_a_message_before_anything_runs(scenario_file, tmp_path):
    out = tmp_path / "b"
    res = runner.invoke(app, ["batch", str(scenario_file), "-r", "2", "--workers", "1",
                              "--region", "skåne", "--out", str(out)])
    assert res.exit_code == 2 and "did you mean 'skane'?" in res.output
    assert not out.exists()


def test_batch_filters_use_order_fill_for_suppliers(scenario_file, tmp_path):
    out = tmp_path / "b"
    res = runner.invoke(app, ["batch", str(scenario_file), "-r", "3", "--workers", "1",
                              "--sweep", "disruptions.0.duration_days=5,20",
                              "--role", "hospital_pharmacy", "--out", str(out)],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Order fill" in res.output and "role hospital_pharmacy" in res.output
    fill = sim.open(out).fill(role="hospital_pharmacy")
    assert set(fill["fill_of"]) == {"orders"}
    kpis = pd.read_parquet(out / "kpis.parquet")
    rows = kpis[(kpis["role"] == "hospital_pharmacy") & (kpis["group"] == "ppe")
                & (kpis["variant"] == "duration_days=20")]
    per_rep = rows.groupby("replication")[["orders_shipped", "orders"]].sum()
    expected = (per_rep["orders_shipped"] / per_rep["orders"]).mean()
    got = fill[(fill["variant"] == "duration_days=20") & (fill["group"] == "ppe")]
    assert got["mean"].iloc[0] == pytest.approx(expected)


# --- results you can work with -------------------------------------------------------------------


def test_a_run_folder_reopens_with_the_same_tables(scenario_file, tmp_path):
    out = tmp_path / "r"
    res = runner.invoke(app, ["run", str(scenario_file), "-r", "2", "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    again = sim.RunResult.open(out)
    assert isinstance(sim.open(out), sim.RunResult)
    fresh = sim.run(sim.load_scenario(scenario_file), replications=2)
    pd.testing.assert_frame_equal(again.kpis, fresh.kpis)
    pd.testing.assert_frame_equal(again.daily, fresh.daily)
    assert again.scenario.resolved() == fresh.scenario.resolved()
    assert again.seed == 5 and again.replications == 2
    pd.testing.assert_frame_equal(again.summary(), fresh.summary())
    with pytest.raises(FileNotFoundError):
        sim.open(tmp_path)


def test_daily_carries_categorical_role_region_and_group():
    daily = sim.run(sim.from_dict(SCENARIO), replications=1).daily
    for column in ("role", "region", "group"):
        assert isinstance(daily[column].dtype, pd.CategoricalDtype)
    south = daily[daily["node"] == "ward_south"]
    assert set(south["region"]) == {"skane"} and set(south["role"]) == {"ward"}
    assert set(daily.loc[daily["product"] == "saline", "group"]) == {"infusion_fluids"}
    by_region = sim.run(sim.from_dict(SCENARIO), daily="region").daily
    assert "group" in by_region.columns and "role" not in by_region.columns


# --- validation ----------------------------------------------------------------------------------


BROKEN = """\
name: broken
horizon_days: 40
products:
  saline: {name: Saline, group: infusion_fluids, unit: bag}
nodes:
  - {id: maker, role: manufacturer, country: SE, region: r, unlimited: true}
  - {id: ward_a, role: ward, country: SE, reigon: r, demand: {salin: {mean_per_day: 2}}}
lanes:
  - {from: maker, to: ward_b, lead_tme: 2}
policies:
  - {match: {role: wards}, policy: {type: days_of_supply, reorder_days: 3, target_days: 6}}
  - {match: {node: ward_c}, policy: {type: days_of_supply, reorder_days: 3, target_days: 6}}
"""


def test_schema_and_cross_reference_problems_are_reported_together_once(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2
    bullets = [line for line in _lines(res.output) if line.startswith("  - ")]
    expected = [
        ":7: nodes[1].reigon: unknown key 'reigon'; did you mean 'region'?",
        ":9: lanes[0].lead_tme: unknown key 'lead_tme'; did you mean 'lead_time_days'?",
        ":11: policies[0].match.role: got 'wards'; expected",
        ":7: nodes[1].demand.salin: unknown product 'salin'; did you mean 'saline'?",
        ":9: lanes[0].to: unknown node 'ward_b'; did you mean 'ward_a'?",
        ":12: policies[1].match.node: unknown node 'ward_c'; did you mean 'ward_a'?",
    ]
    assert len(bullets) == len(expected), res.output
    for want in expected:
        assert sum(want in line for line in bullets) == 1, (want, res.output)
    assert "missing" not in res.output  # a misspelt key is not also a missing one
    assert "valid list" not in res.output  # no second line for the other union member


def test_items_left_out_of_the_check_keep_their_own_indices(tmp_path):
    # Two nodes with a bad role cannot be checked; the lanes after them still can, and are
    # reported at their place in the file, not at an index shifted by the nodes left out.
    path = tmp_path / "shifted.yaml"
    path.write_text("""\
name: shifted
horizon_days: 40
products:
  a: {name: A, group: g, unit: u}
nodes:
  - {id: maker, role: manufacturer, country: SE, region: r, unlimited: true}
  - {id: w1, role: warf, country: SE, region: r}
  - {id: w2, role: ward, country: SE, region: r}
  - {id: w3, role: wardd, country: SE, region: r}
lanes:
  - {from: maker, to: w1, lead_time_days: 2}
  - {from: maker, to: w2, lead_time_days: 2}
  - {from: makr, to: w3, lead_time_days: 2}
""", encoding="utf-8")
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario(path)
    found = [(p.path, p.line) for p in caught.value.problems]
    assert found == [("nodes[1].role", 7), ("nodes[3].role", 9), ("lanes[2].from", 13)]


# --- small bugs ----------------------------------------------------------------------------------


def test_batch_help_shows_the_dist_extra():
    res = runner.invoke(app, ["batch", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "pip install '.[dist]'" in res.output
    for command in ("validate", "paths"):
        text = _flat(runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"}).output)
        assert "policies[hp_fluids].policy.target_days" in text


def test_resuming_a_finished_batch_says_it_ran_nothing(scenario_file, tmp_path):
    out = tmp_path / "b"
    args = ["batch", str(scenario_file), "-r", "2", "--workers", "1", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    res = runner.invoke(app, [*args, "--resume"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "already complete: nothing was run" in res.output
    assert "busy" not in res.output and "0/2" not in res.output
    seen = []
    sim.batch(sim.load_scenario(scenario_file), replications=2, out=out, resume=True,
              progress=lambda done, total: seen.append((done, total)))
    assert seen == [(2, 2)]
