"""Fixes from the review of issue 16 (the analyst's first hour): one test per finding."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.scenario.load import apply_overrides
from sim.scenario.paths import settable_paths
from tests.test_analyst import SCENARIO

runner = CliRunner()


def _named_nodes() -> dict:
    """The analyst scenario with display names on its nodes (as the reference networks have)."""
    data = copy.deepcopy(SCENARIO)
    for node in data["nodes"]:
        node["name"] = node["id"].replace("_", " ").title()
    return data


def _write(tmp_path, data: dict, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def scenario_file(tmp_path):
    return _write(tmp_path, SCENARIO, "analyst.yaml")


def _bullets(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.splitlines() if line.startswith("  - ")]


# --- 1. nodes are addressed by id, even when they have a name ----------------------------------


def test_named_nodes_are_set_and_listed_by_id(tmp_path):
    data = _named_nodes()
    sc = sim.from_dict(data)
    out = apply_overrides(sc, {"nodes[ward_south].region": "uppsala"})
    assert out.nodes[3].region == "uppsala"
    paths = [p.path for p in settable_paths(sc, "ward_south")]
    assert "nodes[ward_south].region" in paths
    assert not any("Ward South" in p for p in paths)
    path = _write(tmp_path, data)
    res = runner.invoke(app, ["paths", str(path), "--grep", "nodes[pharmacy].name"])
    assert res.output.strip() == 'nodes[pharmacy].name = "Pharmacy"  # str | null'
    bad = runner.invoke(app, ["validate", str(path), "--set", "nodes[ward_sout].region=x"])
    assert bad.exit_code == 2
    assert "did you mean 'ward_south'?" in bad.output
    # Rules and disruptions still go by name.
    out = apply_overrides(sc, {"disruptions[Slow roads].duration_days": 3})
    assert out.disruptions[0].duration_days == 3


# --- 2. a shape error inside an item does not hide the item's references -----------------------

ITEM_ERRORS = """\
name: items
horizon_days: 40
products:
  saline: {name: S, group: infusion_fluids, unit: bag}
nodes:
  - {id: maker, role: manufacturer, country: SE, region: r, unlimited: true}
  - {id: ward_a, role: ward, country: SE, region: r}
lanes:
  - {from: maker, to: ward_a, lead_time_days: 2}
policies:
  - {match: {product: salin}, extra: 1, policy: {type: base_stock, level: 3}}
  - {match: {product: salin}, policy: {type: s_S, s: 10, S: 5}}
demands:
  - {match: {group: fluids}, demand: {mean_per_day: -1}}
"""


def test_a_bad_field_in_an_item_keeps_the_items_references_checked(tmp_path):
    path = tmp_path / "items.yaml"
    path.write_text(ITEM_ERRORS, encoding="utf-8")
    res = runner.invoke(app, ["validate", str(path)], env={"COLUMNS": "300"})
    assert res.exit_code == 2
    bullets = _bullets(res.output)
    expected = [
        ":11: policies[0].extra: unknown key 'extra'",
        ":11: policies[0].match.product: unknown product 'salin'; did you mean 'saline'?",
        ":12: policies[1].policy.s_S: 's' must be below 'S'",
        ":12: policies[1].match.product: unknown product 'salin'; did you mean 'saline'?",
        ":14: demands[0].demand.mean_per_day: input should be greater than or equal to 0",
        ":14: demands[0].match.group: unknown group 'fluids'; did you mean 'infusion_fluids'?",
    ]
    assert len(bullets) == len(expected), res.output
    for want in expected:
        assert sum(want in line for line in bullets) == 1, (want, res.output)


def test_a_bad_lead_time_set_on_the_command_line_keeps_the_lanes_ends_checked(scenario_file):
    res = runner.invoke(app, ["validate", str(scenario_file), "--set", "lanes.1.to=ward_nort",
                              "--set", "lanes.1.lead_time_days=-1"], env={"COLUMNS": "300"})
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "lanes[1].lead_time_days: input should be greater than or equal to 0" in text
    assert "lanes[1].to: unknown node 'ward_nort'; did you mean 'ward_north'?" in text


# --- 3. a batch filtered by several roles shows each role ---------------------------------------


def test_batch_with_two_roles_shows_a_section_per_role(scenario_file, tmp_path):
    out = tmp_path / "b"
    res = runner.invoke(app, ["batch", str(scenario_file), "-r", "2", "--workers", "1",
                              "--sweep", "disruptions.0.duration_days=5,20",
                              "--role", "hospital_pharmacy", "--role", "ward",
                              "--out", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    titles = [line for line in res.output.splitlines() if "(mean ± 95 % CI" in line]
    assert len(titles) == 2, res.output
    assert titles[0].startswith("Order fill") and "role hospital_pharmacy" in titles[0]
    assert titles[1].startswith("Fill of own demand") and "role ward" in titles[1]
    assert "hospital_pharmacy, ward" not in res.output
    # The pharmacy's section shows its order fill, not the wards' fill.
    orders = sim.open(out).fill(role="hospital_pharmacy")
    first = orders[(orders["variant"] == "duration_days=5") & (orders["group"] == "ppe")]
    section = res.output.split(titles[1])[0]
    assert f"{first['mean'].iloc[0]:.1%}" in section


# --- 4. a bad item in a list of roles is one message --------------------------------------------


def test_a_bad_role_in_a_list_is_one_message_about_that_item():
    data = copy.deepcopy(SCENARIO)
    data["policies"][1]["match"]["role"] = ["ward", "wards"]
    with pytest.raises(sim.ScenarioError) as caught:
        sim.from_dict(data)
    found = [(p.path, p.message) for p in caught.value.problems]
    assert len(found) == 1, found
    assert found[0][0] == "policies[1].match.role[1]"
    assert found[0][1].startswith("got 'wards'; expected")
    assert found[0][1].endswith("did you mean 'ward'?")


# --- 5. a path into a list the scenario leaves empty --------------------------------------------


@pytest.mark.parametrize(("assignment", "says"), [
    ("policies[x].policy.level=3", "policies is empty (the scenario has none): there is no "
                                   "item named 'x'"),
    ("policies.0.policy.level=3", "policies is empty (the scenario has none): there is no "
                                  "index 0"),
    ("disruptions[x].start_day=3", "disruptions is empty (the scenario has none): there is no "
                                   "item named 'x'"),
])
def test_a_path_into_an_empty_list_says_it_is_empty(tmp_path, assignment, says):
    data = {k: v for k, v in SCENARIO.items() if k not in ("policies", "disruptions")}
    data["disruptions"] = []
    path = _write(tmp_path, data)
    res = runner.invoke(app, ["validate", str(path), "--set", assignment],
                        env={"COLUMNS": "300"})
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert says in text, text
    for wrong in ("a section, not a list", "valid list", "0--1"):
        assert wrong not in text


# --- 6. a key made by --set is blamed on the --set ----------------------------------------------


def test_a_key_made_by_an_override_is_blamed_on_the_override(scenario_file):
    res = runner.invoke(app, ["validate", str(scenario_file),
                              "--set", "nodes[ward_north].stock.salin.initial=3"],
                        env={"COLUMNS": "300"})
    assert res.exit_code == 2
    bullets = _bullets(res.output)
    assert len(bullets) == 1, res.output
    assert bullets[0].startswith("- --set nodes[ward_north].stock.salin.initial=3: "
                                 "nodes[2].stock.salin: unknown product 'salin'"), bullets
    assert "analyst.yaml" not in bullets[0]


# --- 10. the width is the invocation's, not the one exported when sim.cli was imported ---------


def test_the_console_width_is_read_per_invocation(scenario_file, tmp_path, monkeypatch):
    from rich.console import Console

    import sim.cli

    # As if sim.cli had been imported in a shell with COLUMNS=300 exported.
    monkeypatch.setattr(sim.cli, "out_console", Console(width=300))
    res = runner.invoke(app, ["run", str(scenario_file), "-r", "2", "--out",
                              str(tmp_path / "r")], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(map(len, res.output.splitlines())) <= 80


# --- 7. help is wrapped, never cut, at 80 columns -----------------------------------------------


@pytest.mark.parametrize(("command", "wanted"), [
    ("run", "policies[hp_fluids].policy.target_days=45"),
    ("batch", "path1,path2=a1/a2,b1/b2"),
    ("batch", "pip install '.[dist]'"),
    ("paths", "nodes[tamro].region"),
])
def test_help_reads_whole_at_80_columns(command, wanted):
    res = runner.invoke(app, [command, "--help"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(map(len, res.output.splitlines())) <= 80
    assert "…" not in res.output and "\\[" not in res.output
    assert wanted in res.output  # on one line: not cut, not broken


# --- 8. a crisis start that differs between replications says it is a median -------------------


def test_a_recurring_crisis_start_is_a_median_with_its_range():
    from sim.report import crisis_text
    from sim.results import crisis_timing

    events = pd.DataFrame({
        "replication": [0, 0, 1, 1, 2, 2],
        "kind": ["disruption_start", "stockout_start"] * 3,
        "day": [40, 50, 124, 130, 160, 170],
    })
    crisis = crisis_timing(events, 3)
    assert (crisis.start_day, crisis.start_range) == (124, (40, 160))
    text = crisis_text(crisis)
    assert text.startswith("The first disruption starts on day 124 (a median over "
                           "replications; in each, between day 40 and 160);"), text
    fixed = crisis_timing(events.assign(day=[30, 50, 30, 130, 30, 170]), 3)
    assert crisis_text(fixed).startswith("The first disruption starts on day 30;")


# --- 9. batch files: `link:` and a wrong-shaped linked sweep -------------------------------------


def test_a_link_key_in_a_batch_file_points_to_the_comma_separated_sweep(scenario_file, tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(f"scenario: {scenario_file.name}\nlink:\n  a.b, c.d: [[1, 2]]\n",
                     encoding="utf-8")
    res = runner.invoke(app, ["batch", str(study), "--out", str(tmp_path / "o")],
                        env={"COLUMNS": "300"})
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "study.yaml:2: link: unknown key 'link'; paths that move together are one sweep key" \
        in text, text
    assert not (tmp_path / "o").exists()


def test_a_wrong_shaped_linked_sweep_in_a_batch_file_names_file_and_line(scenario_file,
                                                                         tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text(f"""\
scenario: {scenario_file.name}
sweep:
  "stocks[hp_fluids].stock.initial_days, policies[hp_fluids].policy.target_days":
    - [8, 8]
    - 20
""", encoding="utf-8")
    res = runner.invoke(app, ["batch", str(study), "--out", str(tmp_path / "o")],
                        env={"COLUMNS": "300"})
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "study.yaml:5:" in text, text
    assert "a linked sweep of 2 paths needs a list of 2 values in each step" in text
    assert "got 20" in text and "Traceback" not in text
    assert not (tmp_path / "o").exists()
