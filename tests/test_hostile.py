"""Hostile input: every file in tests/hostile/ is refused with its message, exit 2, no
traceback, nothing written, within a second and a few MB; formula-like names run and are
exported as text.

The corpus is written by tests/hostile/make_corpus.py; EXPECT says what each file must
produce. A test also checks that every corpus file is in EXPECT (and the reverse), so a file
added without an expectation fails.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.scenario import ScenarioError

HOSTILE = Path(__file__).resolve().parent / "hostile"
BOMB = "alias expansion bomb"
NEST = "nest"

EXPECT: dict[str, str] = {
    # scenarios
    "scenarios/bomb_lists.yaml": BOMB,
    "scenarios/bomb_maps.yaml": BOMB,
    "scenarios/bomb_merge.yaml": BOMB,
    "scenarios/bomb_in_nodes.yaml": BOMB,
    "scenarios/recursive_alias.yaml": "recursive alias",
    "scenarios/undefined_alias.yaml": "undefined alias",
    "scenarios/deep_lists.yaml": "nested more than 32 levels",
    "scenarios/deep_maps.yaml": "nested more than 32 levels",
    "scenarios/deep_libyaml.yaml": NEST,
    "scenarios/long_string.yaml": "a value of 25,000 characters",
    "scenarios/long_list.yaml": "more than 50,000 entries",
    "scenarios/binary.yaml": "binary data (a NUL byte)",
    "scenarios/utf16.yaml": "looks like UTF-16",
    "scenarios/utf32.yaml": "looks like UTF-32",
    "scenarios/bool_key.yaml": "yes: the key 'yes' is read as true or false (YAML reads",
    "scenarios/csv_list.yaml": "csv_list.yaml:7: nodes[1].csv: expected one CSV file name",
    "scenarios/latin1.yaml": "not UTF-8 text (byte 0xe5)",
    "scenarios/python_tag.yaml": "could not determine a constructor",
    "scenarios/list_at_top.yaml": "a scenario must be a YAML mapping",
    "scenarios/scalar_at_top.yaml": "a scenario must be a YAML mapping",
    "scenarios/empty.yaml": "missing required key 'name'",
    "scenarios/duplicate_keys.yaml": "duplicate key 'horizon_days'",
    "scenarios/nan_demand.yaml": "mean_per_day: not a number (.nan)",
    "scenarios/inf_lead_time.yaml": "lead_time_days: infinite (.inf)",
    "scenarios/inf_as_text.yaml": "mean_per_day: infinite (.inf)",
    "scenarios/overflow_as_text.yaml": "initial: infinite (.inf)",
    "scenarios/huge_demand.yaml": "1e+30 is above the limit of 1e+10",
    "scenarios/int64_level.yaml": "level: a number of 19 digits is above the limit",
    "scenarios/long_integer.yaml": "long_integer.yaml:11: a number of 5,001 digits",
    "scenarios/demand_times_scale.yaml": "demand could add up to 1e+11 units a day",
    "scenarios/surge_overflow.yaml": "demand could add up to 1e+15 units a day",
    "scenarios/horizon_forever.yaml": "horizon_days: 1e+10 days is more than the limit",
    "scenarios/supply_days_huge.yaml": "initial_days: 100000 days of supply is more than",
    "scenarios/negative_seed.yaml": "seed: a seed is a whole number from 0 to 2**64 - 1",
    "scenarios/types_top.yaml": "name: input should be a valid string",
    "scenarios/types_products.yaml": "products: input should be a valid dictionary",
    "scenarios/types_nodes.yaml": "nodes: input should be a valid list",
    "scenarios/types_node_item.yaml": "nodes[1]: input should be a valid dictionary",
    "scenarios/types_node_fields.yaml": "nodes[1].priority: input should be a valid integer",
    "scenarios/types_lane.yaml": "lanes[0].lead_time_days: input should be a valid number",
    "scenarios/types_policy.yaml": "policy.saline.level: input should be a valid number",
    "scenarios/types_disruption.yaml": "disruptions[0].capacity_factor: input should be a valid",
    "scenarios/unknown_top.yaml": "unknown key 'horizon'; did you mean 'horizon_days'?",
    "scenarios/unknown_product.yaml": "products.saline.colour: unknown key 'colour'",
    "scenarios/unknown_node.yaml": "unknown key 'regoin'; did you mean 'region'?",
    "scenarios/unknown_stock.yaml": "unknown key 'inital'; did you mean 'initial'?",
    "scenarios/unknown_policy.yaml": "unknown key 'levle'; did you mean 'level'?",
    "scenarios/unknown_demand.yaml": "unknown key 'mean_per_dya'; did you mean 'mean_per_day'?",
    "scenarios/unknown_lane.yaml": "unknown key 'lead_tme'; did you mean 'lead_time_days'?",
    "scenarios/unknown_distribution.yaml": "unknown key 'hihg'; did you mean 'high'?",
    "scenarios/unknown_disruption.yaml": "disruptions[0].severity: unknown key 'severity'",
    "scenarios/unknown_where.yaml": "disruptions[0].where.role: unknown key 'role'",
    "scenarios/unknown_rule_match.yaml": "unknown key 'rol'; did you mean 'role'?",
    "scenarios/unknown_reporting.yaml": "unknown key 'daly'; did you mean 'daily'?",
    "scenarios/xref_lane_node.yaml": "unknown node 'suplier'; did you mean 'supplier'?",
    "scenarios/xref_no_supplier.yaml": "has demand for saline but no lane brings it",
    "scenarios/xref_product.yaml": "unknown product 'salin'; did you mean 'saline'?",
    "scenarios/xref_cycle.yaml": "lanes form a cycle",
    "scenarios/xref_extends_missing.yaml": "extends: 'nowhere.yaml': no such file",
    "scenarios/xref_extends_self.yaml": "extends itself",
    "scenarios/xref_csv_missing.yaml": "CSV table",
    "scenarios/xref_extends_folder.yaml": "extends: '../rules' is a folder or a device, not a",
    "scenarios/xref_extends_device.yaml": "extends: '/dev/zero' is a folder or a device, not a",
    "scenarios/alias_long_string.yaml": "more than 4 million characters of text",
    "scenarios/alias_long_map.yaml": "more than 4 million characters of text",
    "scenarios/care_admissions.yaml": "care.admissions[0].mean_per_day: care admissions could "
                                      "add up to 1e+10 a day",
    "scenarios/care_demand.yaml": "care.norms[0]: care demand could add up to 2e+11 units",
    "scenarios/many_unknown_keys.yaml": "k49: unknown key 'k49' ... and 2,950 more",
    # CSV tables (each loaded through the scenario of the same name)
    "tables/semicolons.csv": "separated by semicolons here, but must be separated by commas",
    "tables/tabs.csv": "separated by tabs here",
    "tables/ragged.csv": "row has 5 cells, the header has 4 columns",
    "tables/duplicate_header.csv": "region: column 5 repeats column 4",
    "tables/clashing_columns.csv": "column 'scale' is also given whole",
    "tables/unnamed_column.csv": "column 3: has no name",
    "tables/non_numeric.csv": "nodes[1].scale.beds: input should be a valid number",
    "tables/unknown_column.csv": "unknown key 'colour'",
    "tables/binary.csv": "binary data (a NUL byte), not a text CSV table",
    "tables/latin1.csv": "not UTF-8 text",
    "tables/empty.csv": "no header row",
    "tables/long_integer.csv": "long_integer.csv:2: scale.beds: a number of 5,000 digits",
    "tables/nan_cell.csv": "scale.beds: not a number (.nan)",
    "tables/bomb_cell.csv": BOMB,
    # inject rules
    "rules/bomb.yaml": BOMB,
    "rules/unknown_key.yaml": "unknown key 'schedul'; did you mean 'schedule'?",
    "rules/unknown_rule_key.yaml": "unknown key 'wen'; did you mean 'when'?",
    "rules/wrong_type.yaml": "schedule: input should be a valid dictionary",
    "rules/nan.yaml": "spacing_minutes",
    "rules/huge.yaml": "min_gap_days: 1e+11 days is more than the limit",
    "rules/binary.yaml": "binary data",
    "rules/extends_missing.yaml": "no such rules file",
    "rules/deep.yaml": "nested more than 32 levels",
    "rules/format_width.yaml": "placeholder '{node_name:>1500000000}': write just {node_name}",
    # batch files
    "batch/bomb.yaml": BOMB,
    "batch/unknown_key.yaml": "unknown key 'replication'; did you mean 'replications'?",
    "batch/wrong_types.yaml": "replications: input should be a valid integer",
    "batch/scenario_missing.yaml": "scenario file not found",
    "batch/replications_huge.yaml": "is more than 1,000,000",
    "batch/set_inf.yaml": "set.lanes.0.lead_time_days: infinite (.inf)",
    "batch/variant_nan.yaml": "mean_per_day: not a number (.nan)",
    "batch/sweep_huge.yaml": "sweep.horizon_days[1]: 1e+20 days",
    "batch/bad_scenario.yaml": BOMB,
    "batch/sweep_grid.yaml": "sweep_grid.yaml:2: sweep: the batch would have 27,000 variants "
                             "(30 x 30 x 30 sweep values); the limit is 10,000",
    "batch/runs_huge.yaml": "1,100,000 runs; the limit is 1,000,000",
}
"""Corpus file -> a fragment of the message it must produce."""

# Hostile input must be refused without unbounded work (a YAML bomb, an endless device, a
# grid of a billion variants would take minutes or hours). These bounds catch that; they are
# not speed targets (those live in benchmarks/), so they leave room for a loaded machine:
# refusing each file takes milliseconds when the machine is free.
BOUNDED_S = 10.0
PEAK_MB = 32
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _command_built_once():
    """Typer builds the click command on every invoke (0.1 s here); 90 invokes share one."""
    import functools

    import typer.testing

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", functools.cache(typer.testing._get_command))
        yield


def _kind(name: str) -> str:
    return name.split("/")[0]


def _target(name: str) -> Path:
    """The file a command is given: a CSV table goes in through its scenario."""
    path = HOSTILE / name
    return path.with_suffix(".yaml") if path.suffix == ".csv" else path


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run's folder, for inject rules to be tried on."""
    folder = tmp_path_factory.mktemp("hostile") / "run"
    from sim.export import write_results

    write_results(sim.run(sim.load_scenario(HOSTILE / "batch" / "base.yaml"), replications=1),
                  folder)
    return folder


def _invoke(name: str, out: Path, results: Path) -> tuple[int, str]:
    kind, target = _kind(name), str(_target(name))
    if kind == "rules":
        args = ["injects", str(results), "--rules", target, "--out", str(out / "msel.xlsx")]
    elif kind == "batch":
        args = ["batch", target, "--out", str(out / "batch"), "--workers", "1"]
    else:
        args = ["run", target, "--out", str(out / "run"), "-r", "1"]
    result = runner.invoke(app, args)
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def _load(name: str, results: Path) -> None:
    """What the command does first: read and check the file (ScenarioError when bad)."""
    kind, target = _kind(name), _target(name)
    if kind == "rules":
        from sim.injects.load import load_rules

        load_rules(target)
    elif kind == "batch":
        from sim.batch.spec import load_batch_file

        load_batch_file(target)
    else:
        sim.load_scenario(target)


def test_the_corpus_and_its_expectations_match():
    files = {str(p.relative_to(HOSTILE)) for p in HOSTILE.rglob("*")
             if p.is_file() and p.suffix in (".yaml", ".csv")}
    tables_scenarios = {n.replace(".csv", ".yaml") for n in EXPECT if n.endswith(".csv")}
    assert files - tables_scenarios - {"batch/base.yaml"} == set(EXPECT)
    assert len(EXPECT) >= 50


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_hostile_file_is_refused_cleanly(name, tmp_path, results):
    before = sorted(results.iterdir())
    code, output = _invoke(name, tmp_path, results)
    assert code == 2, output
    assert EXPECT[name] in " ".join(output.split()), output
    assert "Traceback" not in output
    assert list(tmp_path.iterdir()) == [], "something was written"
    assert sorted(results.iterdir()) == before
    started = time.perf_counter()
    with pytest.raises(ScenarioError):
        _load(name, results)
    assert time.perf_counter() - started < BOUNDED_S
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError):
            _load(name, results)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_MB * 2**20, f"{peak / 2**20:.1f} MB"


def test_a_file_over_the_size_limit_is_not_read(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("# padding\n" * 300_000)
    result = runner.invoke(app, ["validate", str(big)])
    assert result.exit_code == 2 and "too big to be read safely" in result.output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_not_read_to_the_end():
    started = time.perf_counter()
    result = runner.invoke(app, ["validate", "/dev/zero"])
    assert result.exit_code == 2 and "too big" in result.output
    assert time.perf_counter() - started < BOUNDED_S


def test_a_byte_order_mark_is_accepted(tmp_path):
    """Excel's "CSV UTF-8" starts with one; the first column is still 'id'."""
    (tmp_path / "n.csv").write_bytes("\ufeffid,role,country,region\nward,ward,SE,uppsala\n"
                                     .encode())
    text = (HOSTILE / "tables" / "semicolons.yaml").read_text()
    (tmp_path / "s.yaml").write_text(text.replace("semicolons.csv", "n.csv"))
    sc = sim.load_scenario(tmp_path / "s.yaml")
    assert [n.id for n in sc.nodes] == ["supplier", "ward"]


MEMORY_PROBE = """
import resource, sys
import sim
from sim.scenario import ScenarioError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for name in sys.argv[1:]:
    try:
        sim.load_scenario(name)
    except ScenarioError:
        pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_bombs_stay_small_in_a_real_process():
    """Peak RSS of a fresh process grows by less than 20 MB while it refuses the bombs."""
    names = ["bomb_lists.yaml", "bomb_maps.yaml", "bomb_merge.yaml", "long_list.yaml",
             "deep_libyaml.yaml"]
    done = subprocess.run([sys.executable, "-c", MEMORY_PROBE,
                           *(str(HOSTILE / "scenarios" / n) for n in names)],
                          capture_output=True, text=True, timeout=60, check=True)
    assert int(done.stdout.strip()) < 20 * 1024  # kB


def test_the_command_line_shows_no_traceback_for_a_bomb(tmp_path):
    done = subprocess.run([sys.executable, "-c", "from sim.cli import main; main()", "run",
                           str(HOSTILE / "scenarios/bomb_maps.yaml"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and BOMB in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


# --- names that look like formulas ----------------------------------------------------------

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+46 8 123", "-fluids",
            "@SUM(A1:A9)", "\tindent", "=1+1"]


def _formula_scenario() -> dict:
    name, plus, minus, at, tab, one = FORMULAS
    return {
        "name": name,
        "horizon_days": 40,
        "products": {one: {"name": name, "group": minus, "unit": at}},
        "nodes": [
            {"id": plus, "name": tab, "role": "manufacturer", "country": "SE",
             "region": at, "unlimited": True},
            {"id": one, "name": name, "role": "ward", "country": "SE", "region": at,
             "stock": {one: {"initial": 3}},
             "policy": {one: {"type": "base_stock", "level": 3}},
             "demand": {one: {"mean_per_day": 2.0}}},
        ],
        "lanes": [{"from": plus, "to": one, "lead_time_days": 3}],
        "disruptions": [{"type": "demand_surge", "name": name, "where": {"roles": ["ward"]},
                         "start_day": 5, "duration_days": 20, "factor": 3}],
    }


def _cells_of_csv(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    delimiter = ";" if text.splitlines()[0].count(";") > text.splitlines()[0].count(",") else ","
    return [c for row in csv.reader(io.StringIO(text), delimiter=delimiter) for c in row]


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


def test_formula_like_names_run_and_every_exported_cell_is_text(tmp_path):
    import yaml

    scenario = tmp_path / "formulas.yaml"
    scenario.write_text(yaml.safe_dump(_formula_scenario(), allow_unicode=True))
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--csv", "-r", "1",
                                 "-q"])
    assert result.exit_code == 0, result.output
    written = []
    for fmt in ("xlsx", "csv"):
        for lang in ("en", "sv"):
            target = tmp_path / f"msel.{lang}.{fmt}"
            result = runner.invoke(app, ["injects", str(out), "--lang", lang, "--out",
                                         str(target), "--no-timeline", "-q"])
            assert result.exit_code == 0, result.output
            written.append(target)
    csvs = [*out.glob("*.csv"), *[w for w in written if w.suffix == ".csv"]]
    assert len(csvs) >= 5
    seen = set()
    for path in csvs:
        for cell in _cells_of_csv(path):
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                assert _is_number(cell), f"{path.name}: {cell!r} would be a formula"
            seen.add(cell)
    assert "'" + FORMULAS[0] in seen and "'=1+1" in seen  # escaped, not dropped
    for path in (w for w in written if w.suffix == ".xlsx"):
        from openpyxl import load_workbook

        book = load_workbook(path)
        texts = set()
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", f"{path.name} {cell.coordinate}: formula"
                    if isinstance(cell.value, str):
                        texts.add(cell.value)
        assert any(FORMULAS[0] in t for t in texts)  # shown as written, as text
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.startswith("xl/worksheets/"):
                    assert b"<f>" not in archive.read(member)


def test_numbers_stay_numbers_in_csv(tmp_path):
    import pandas as pd

    from sim.export.cells import csv_safe

    frame = pd.DataFrame({"node": ["=a", "b"], "on_hand": [-3, 4], "fill": [0.5, -0.25]})
    safe = csv_safe(frame)
    assert safe["on_hand"].tolist() == [-3, 4] and safe["fill"].tolist() == [0.5, -0.25]
    assert safe["node"].tolist() == ["'=a", "b"]


def test_names_with_terminal_markup_are_printed_as_written(tmp_path):
    """Rich reads '[/]' as markup; a name must never be taken for it (it crashed validate)."""
    name = "[/] oops [bold"
    text = (HOSTILE / "batch" / "base.yaml").read_text().replace("name: base",
                                                                  f"name: '{name}'")
    scenario = tmp_path / "markup.yaml"
    scenario.write_text(text)
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 0 and name in result.output
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "-r", "1"])
    assert result.exit_code == 0 and name in result.output
    result = runner.invoke(app, ["injects", str(out), "--lang", "en", "--no-timeline"])
    assert result.exit_code == 0, result.output


def test_a_long_value_is_quoted_short_in_the_message(tmp_path):
    """A 19,000-character value where a number belongs: the message quotes its start only."""
    file = tmp_path / "long.yaml"
    file.write_text((HOSTILE / "batch" / "base.yaml").read_text().replace(
        "horizon_days: 20", "horizon_days: " + "x" * 19_000))
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(file)
    message = str(err.value)
    assert "horizon_days: input should be a valid integer" in message
    assert "(19,002 characters)" in message and len(message) < 500


def test_a_sweep_grid_on_the_command_line_is_bounded_before_it_is_built(tmp_path):
    """Three --sweep keys of 1,000 values: 1e9 variants, refused at once, nothing written."""
    values = ",".join(str(i) for i in range(1, 1001))
    args = ["batch", str(HOSTILE / "batch" / "base.yaml"), "--out", str(tmp_path / "b")]
    for key in ("horizon_days", "lanes.0.lead_time_days", "nodes.1.stock.saline.initial"):
        args += ["--sweep", f"{key}={values}"]
    start = time.perf_counter()
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "1,000,000,000 variants (1000 x 1000 x 1000 sweep values)" in result.output
    assert time.perf_counter() - start < BOUNDED_S and not (tmp_path / "b").exists()


def test_care_within_the_bounds_is_accepted():
    """The bound refuses the hostile care files only: a tenth of their size passes."""
    import yaml

    from sim.scenario.numbers import scenario_number_problems

    for name in ("care_admissions.yaml", "care_demand.yaml"):
        text = (HOSTILE / "scenarios" / name).read_text()
        small = text.replace("mean_per_day: 100000,", "mean_per_day: 1,").replace(
            "per_patient_day: 100000, per_staff_shift: 100000",
            "per_patient_day: 1000, per_staff_shift: 1000")
        assert small != text
        assert scenario_number_problems(yaml.safe_load(small)) == []


@pytest.mark.parametrize("kind", ["scenario", "rules"])
def test_a_long_extends_chain_is_refused_with_its_file_and_line(tmp_path, kind):
    """60 files each extending the next: a located message, not a RecursionError."""
    first = (HOSTILE / "batch" / "base.yaml").read_text() if kind == "scenario" else (
        "extends: default\n")
    (tmp_path / "e0.yaml").write_text(first)
    for i in range(1, 61):
        (tmp_path / f"e{i}.yaml").write_text(f"extends: e{i - 1}.yaml\n")
    if kind == "scenario":
        load = sim.load_scenario
    else:
        from sim.injects.load import load_rules as load
    with pytest.raises(ScenarioError) as err:
        load(tmp_path / "e60.yaml")
    assert "e11.yaml:1: extends: more than 50 files extend one another" in str(err.value)
    # 50 files are within the limit (for rules, `extends: default` is one of them)
    load(tmp_path / ("e49.yaml" if kind == "scenario" else "e48.yaml"))


@pytest.mark.parametrize("option", ["--set", "--sweep"])
def test_a_long_integer_on_the_command_line_names_its_option(tmp_path, option):
    """Python reads at most 4,300 digits: the message names the option, not sys.set_int_..."""
    base = str(HOSTILE / "batch" / "base.yaml")
    value = "9" * 5000
    args = (["validate", base, "--set", f"horizon_days={value}"] if option == "--set" else
            ["batch", base, "--out", str(tmp_path / "b"), "--sweep", f"horizon_days={value},3"])
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    output = result.output + (result.stderr if result.stderr_bytes else "")
    assert f"{option} horizon_days: '99999" in output and "5,000 digits" in output
    assert "set_int_max_str_digits" not in output and not (tmp_path / "b").exists()


def test_a_merge_key_override_is_not_a_duplicate_key(tmp_path):
    """`{<<: *lane, lead_time_days: 3}` overrides the merged value (docs/input.md allows
    merge keys); writing a key twice in the mapping itself is still a duplicate."""
    text = (HOSTILE / "batch" / "base.yaml").read_text()
    text = text.replace("  - id: ward\n", "  - &ward\n    id: ward\n").replace(
        "lanes:\n  - {from: supplier, to: ward, lead_time_days: 2}\n",
        "  - {<<: *ward, id: ward2}\nlanes:\n  - &lane {from: supplier, to: ward, "
        "lead_time_days: 2}\n  - {<<: *lane, to: ward2, lead_time_days: 3}\n")
    file = tmp_path / "merge.yaml"
    file.write_text(text)
    scenario = sim.load_scenario(file)
    assert [lane.lead_time_days for lane in scenario.lanes] == [2, 3]
    file.write_text(text.replace("lead_time_days: 3}", "lead_time_days: 3, to: ward}"))
    with pytest.raises(ScenarioError, match=r"lanes\[1\]\.to: duplicate key 'to'"):
        sim.load_scenario(file)


def test_csv_tables_share_the_value_limit_of_their_scenario(tmp_path):
    """Two tables of 13,000 rows x 4 cells: 104,000 values, over the 100,000 of a YAML file."""
    rows = "".join(f"w{i},ward,SE,uppsala\n" for i in range(13_000))
    for name in ("a.csv", "b.csv"):
        (tmp_path / name).write_text("id,role,country,region\n" + rows)
    text = (HOSTILE / "tables" / "empty.yaml").read_text().replace(
        "  - {csv: empty.csv}\n", "  - {csv: a.csv}\n  - {csv: b.csv}\n")
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError) as err:
        sim.load_scenario(tmp_path / "s.yaml")
    assert "b.csv:12002: more than 100,000 values in the CSV tables" in str(err.value)
