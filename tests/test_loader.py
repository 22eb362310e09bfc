"""Loading: extends, CSV tables, overrides, and the Python-side copy semantics."""

from __future__ import annotations

import textwrap

import pytest

import sim
from sim.scenario.load import parse_set

BASE = """\
name: base
horizon_days: 30
products:
  saline: {name: Saline, group: infusion_fluids, unit: bag}
nodes:
  - {id: src, role: manufacturer, country: SE, region: uppsala, unlimited: true}
  - {csv: wards.csv}
lanes:
  - {csv: lanes.csv}
policies:
  - match: {role: ward}
    policy: {type: days_of_supply, reorder_days: 3, target_days: 7}
demands:
  - match: {role: ward}
    demand: {mean_per_day: 0.5, per: beds}
disruptions:
  - {type: it_outage, name: it, start_day: 5, duration_days: 2, where: {roles: [ward]}}
"""

WARDS = """\
id,role,country,region,scale.beds,priority
ward_a,ward,SE,uppsala,10,1
ward_b,ward,SE,uppsala,4,2
"""

LANES = """\
from,to,lead_time_days
src,ward_a,2
src,ward_b,3
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "wards.csv").write_text(WARDS)
    (tmp_path / "lanes.csv").write_text(LANES)
    return tmp_path


def test_csv_tables_become_nodes_and_lanes(files):
    sc = sim.load_scenario(files / "base.yaml")
    assert [n.id for n in sc.nodes] == ["src", "ward_a", "ward_b"]
    assert sc.nodes[1].scale == {"beds": 10}
    assert sc.nodes[2].priority == 2
    assert [(ln.from_, ln.to, ln.lead_time_days) for ln in sc.lanes] == [
        ("src", "ward_a", 2), ("src", "ward_b", 3)]
    res = sim.run(sc, seed=1)
    assert set(res.kpis["node"]) == {"ward_a", "ward_b"}


def test_extends_merges_mappings_replaces_lists_and_appends_with_plus(files):
    (files / "variant.yaml").write_text(textwrap.dedent("""\
        extends: base.yaml
        name: variant
        policies:
          - match: {role: ward}
            policy: {type: base_stock, level: 9}
        disruptions+:
          - {type: demand_surge, name: surge, start_day: 10, duration_days: 5,
             where: {roles: [ward]}, factor: 2}
        """))
    sc = sim.load_scenario(files / "variant.yaml")
    assert sc.name == "variant"
    assert sc.horizon_days == 30
    assert len(sc.policies) == 1 and sc.policies[0].policy.type == "base_stock"
    assert [d.name for d in sc.disruptions] == ["it", "surge"]


def test_errors_in_an_extending_file_point_at_that_file(files):
    (files / "variant.yaml").write_text("extends: base.yaml\nhorizon_dayz: 3\n")
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(files / "variant.yaml")
    problem = err.value.problems[0]
    assert problem.file.endswith("variant.yaml") and problem.line == 2
    assert "did you mean 'horizon_days'" in problem.message


def test_errors_in_a_csv_row_point_at_the_row(files):
    (files / "wards.csv").write_text(WARDS + "ward_c,wardd,SE,uppsala,3,1\n")
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(files / "base.yaml")
    problem = err.value.problems[0]
    assert problem.file.endswith("wards.csv") and problem.line == 4
    assert problem.path == "nodes[3].role" and "did you mean 'ward'" in problem.message


def test_extends_cycle_is_an_error(files):
    (files / "a.yaml").write_text("extends: b.yaml\n")
    (files / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(sim.ScenarioError, match="extends itself"):
        sim.load_scenario(files / "a.yaml")


def test_with_overrides_returns_a_changed_copy(files):
    sc = sim.load_scenario(files / "base.yaml")
    other = sc.with_overrides({"policies.0.policy.target_days": 14, "horizon_days": 40})
    assert other.policies[0].policy.target_days == 14 and other.horizon_days == 40
    assert sc.policies[0].policy.target_days == 7 and sc.horizon_days == 30
    with pytest.raises(sim.ScenarioError, match="did you mean 'target_days'"):
        sc.with_overrides({"policies.0.policy.target_dayz": 14})
    with pytest.raises(sim.ScenarioError, match="policies has 1 items"):
        sc.with_overrides({"policies.3.policy.target_days": 14})


def test_overrides_reach_sections_left_at_defaults(files):
    sc = sim.load_scenario(files / "base.yaml", {"defaults.capacity_headroom": 2.5})
    assert sc.defaults.capacity_headroom == 2.5


def test_parse_set_reads_yaml_values():
    assert parse_set("a.b=3") == ("a.b", 3)
    assert parse_set("a=true") == ("a", True)
    assert parse_set("a=[1, 2]") == ("a", [1, 2])
    assert parse_set("a=text") == ("a", "text")
    with pytest.raises(ValueError, match=r"expected path\.to\.key=value"):
        parse_set("novalue")


def test_duplicate_yaml_keys_are_reported(tmp_path):
    (tmp_path / "dup.yaml").write_text("name: a\nname: b\nhorizon_days: 3\n")
    with pytest.raises(sim.ScenarioError, match="duplicate key 'name' \\(first at line 1\\)"):
        sim.load_scenario(tmp_path / "dup.yaml")


def test_python_object_tags_are_refused(tmp_path):
    (tmp_path / "evil.yaml").write_text("name: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(sim.ScenarioError, match="not valid YAML"):
        sim.load_scenario(tmp_path / "evil.yaml")


def test_resolved_scenario_round_trips(files):
    sc = sim.load_scenario(files / "base.yaml")
    again = sim.from_dict(sc.resolved())
    assert again.resolved() == sc.resolved()


def test_an_unknown_key_never_suggests_itself(tmp_path):
    # `role` is a field of nodes and rule matches, not of a disruption's `where` (`roles`).
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: x\nhorizon_days: 10\nproducts: {p: {name: P, group: g}}\n"
        "nodes:\n  - {id: w, role: ward, country: SE, region: r, stock: {p: {initial: 5}},"
        " policy: {p: {type: none}}, demand: {p: {mean_per_day: 1}}}\n"
        "disruptions:\n  - {type: power_outage, start_day: 1, duration_days: 2,"
        " capacity_factor: 0.5, where: {role: [ward]}}\n", encoding="utf-8")
    with pytest.raises(sim.ScenarioError) as err:
        sim.load_scenario(bad)
    assert "unknown key 'role'; did you mean 'roles'?" in str(err.value)
