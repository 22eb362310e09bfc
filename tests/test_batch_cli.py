"""`beredskap batch` from the command line: grids, batch files, bad input, resume."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim.cli import app
from tests.batch_helpers import assert_same_tables, write_scenario

runner = CliRunner()


@pytest.fixture
def scenario_file(tmp_path):
    return write_scenario(tmp_path)


def test_grid_runs_and_prints_a_summary(scenario_file, tmp_path):
    out = tmp_path / "grid"
    res = runner.invoke(app, [
        "batch", str(scenario_file), "-r", "4", "--workers", "1",
        "--sweep", "disruptions.0.duration_days=5,20",
        "--sweep", "nodes.1.policy.saline.level=40,80",
        "--out", str(out),
    ], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Fill rate at demand points" in res.output
    assert "duration_days=20 level=80" in res.output
    summary = pd.read_csv(out / "summary.csv")
    assert summary["variant"].nunique() == 4
    assert {"n", "mean", "sd", "ci95_low", "ci95_high"} <= set(summary.columns)
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert len(kpis) == 4 * 4 * len(kpis[(kpis["variant"] == kpis["variant"].iloc[0])
                                       & (kpis["replication"] == 0)])


@pytest.mark.parametrize(("args", "message"), [
    (["--sweep", "disruptions.0.duraton_days=5,20"], "did you mean 'duration_days'"),
    (["--sweep", "horizon_days=long,short"], "valid integer"),
    (["--sweep", "seed=1,2"], "cannot vary 'seed'"),
    (["--sweep", "horizon_days"], "expected path.to.key=value1"),
    (["--tables", "kpis,weather"], "unknown table(s) weather"),
    (["--daily", "ward"], "daily 'ward'"),
    (["--tables", "events", "--aggregate"], "cannot be aggregated"),
])
def test_bad_input_is_one_message_exit_2_nothing_written(scenario_file, tmp_path, args,
                                                          message):
    out = tmp_path / "never"
    res = runner.invoke(app, ["batch", str(scenario_file), "-r", "2", "--workers", "1",
                              "--out", str(out), *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert not out.exists()


def test_batch_file_with_named_variants_and_sweep(scenario_file, tmp_path):
    spec = tmp_path / "study.yaml"
    spec.write_text(yaml.safe_dump({
        "scenario": scenario_file.name,
        "replications": 3,
        "seed": 5,
        "variants": [
            {"name": "today"},
            {"name": "bigger store", "set": {"nodes.1.policy.saline.level": 90}},
        ],
        "sweep": {"disruptions.0.duration_days": [5, 20]},
    }, sort_keys=False))
    out = tmp_path / "study"
    res = runner.invoke(app, ["batch", str(spec), "--workers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    result = sim.BatchResult.open(out)
    assert result.variant_names == ["today duration_days=5", "today duration_days=20",
                                    "bigger store duration_days=5",
                                    "bigger store duration_days=20"]
    assert result.manifest["plan"]["seed"] == 5
    assert result.replication_kpis["replication"].nunique() == 3


def test_batch_file_mistakes_name_file_line_and_key(scenario_file, tmp_path):
    spec = tmp_path / "study.yaml"
    spec.write_text(f"scenario: {scenario_file.name}\nreplication: 3\nvariants:\n"
                    "  - name: x\n    set: {nodes.1.policy.saline.levle: 90}\n")
    res = runner.invoke(app, ["batch", str(spec), "--out", str(tmp_path / "never")])
    assert res.exit_code == 2, res.output
    assert "study.yaml:2" in res.output and "did you mean 'replications'" in res.output
    spec.write_text(f"scenario: {scenario_file.name}\nvariants:\n"
                    "  - name: x\n    set: {nodes.1.policy.saline.levle: 90}\n")
    res = runner.invoke(app, ["batch", str(spec), "--out", str(tmp_path / "never")])
    assert res.exit_code == 2, res.output
    assert "variant 'x'" in res.output and "levle" in res.output
    assert not (tmp_path / "never").exists()


def test_existing_folder_needs_resume_or_overwrite(scenario_file, tmp_path):
    out = tmp_path / "b"
    base = ["batch", str(scenario_file), "-r", "3", "--workers", "1", "--out", str(out), "-q"]
    assert runner.invoke(app, base).exit_code == 0
    first = sim.BatchResult.open(out)
    res = runner.invoke(app, base)
    assert res.exit_code == 2 and "--resume" in res.output
    res = runner.invoke(app, [*base[:3], "5", *base[4:], "--resume"])
    assert res.exit_code == 2 and "different batch" in res.output
    assert runner.invoke(app, [*base, "--resume"]).exit_code == 0
    assert runner.invoke(app, [*base, "--overwrite"]).exit_code == 0
    assert_same_tables(first, sim.BatchResult.open(out))


def test_resume_from_another_directory_and_markup_in_names(scenario_file, tmp_path,
                                                           monkeypatch):
    spec = tmp_path / "odd.yaml"
    spec.write_text(yaml.safe_dump({
        "scenario": scenario_file.name, "replications": 2,
        "variants": [{"name": "wards [b]14[/b] days"},
                     {"name": "x [/]", "set": {"nodes.1.policy.saline.level": 90}}],
    }, sort_keys=False))
    out = tmp_path / "odd"
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(app, ["batch", "odd.yaml", "--workers", "1", "--out", str(out)],
                          env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    assert "wards [b]14[/b] days" in first.output
    monkeypatch.chdir(tmp_path.parent)
    again = runner.invoke(app, ["batch", str(spec), "--workers", "1", "--out", str(out),
                                "--resume", "-q"])
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(("args", "message"), [
    (["--resume"], "--resume needs --out"),
    (["--daily", "role"], "keep it with --tables kpis,daily"),
    (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "with --scheduler the cluster"),
    (["--scheduler", "no-port-here"], "cannot reach the Dask scheduler"),
])
def test_more_option_mistakes_exit_2(scenario_file, tmp_path, args, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["batch", str(scenario_file), "-r", "2", *args])
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert not (tmp_path / "results").exists()


def test_out_pointing_at_a_file_is_a_message(scenario_file, tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    res = runner.invoke(app, ["batch", str(scenario_file), "-r", "1", "--workers", "1",
                              "--out", str(target)])
    assert res.exit_code == 2 and "is a file" in res.output
    assert target.read_text() == "x"


def test_default_local_processes(scenario_file, tmp_path):
    # No --workers: all cores, through the CLI's own process pool.
    out = tmp_path / "pool"
    res = runner.invoke(app, ["batch", str(scenario_file), "-r", "4", "--chunk", "1",
                              "--sweep", "disruptions.0.duration_days=5,20", "--out", str(out),
                              "-q"])
    assert res.exit_code == 0, res.output
    pooled = sim.BatchResult.open(out)
    assert pooled.manifest["executor"] == "ProcessPoolExecutor"
    import os

    pids = {int(p.rsplit(":", 1)[1]) for p in pooled.manifest["processes"]}
    assert os.getpid() not in pids
    here = sim.batch(sim.load_scenario(scenario_file),
                     sweep={"disruptions.0.duration_days": [5, 20]}, replications=4, chunk=1)
    assert_same_tables(here, pooled)
