"""The `beredskap` command, driven as a user would."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app

runner = CliRunner()

KPI_COLUMNS = ["replication", "node", "role", "region", "product", "group", "demand", "served",
               "unmet", "fill_rate", "orders", "orders_shipped", "order_fill_rate", "stockout_days",
               "first_stockout_day", "min_days_of_supply", "mean_on_hand", "expired",
               "fill_imperative", "fill_urgent", "fill_deferrable", "unmet_imperative",
               "unmet_urgent", "unmet_deferrable", "demand_imperative", "demand_urgent",
               "demand_deferrable", "conserved", "redistributed_in",
               "redistributed_out", "released", "emergency_in", "substituted",
               "used_expired"]
DAILY_COLUMNS = ["replication", "day", "node", "role", "region", "product", "group", "on_hand",
                 "backorders", "inbound_in_transit", "demand", "served", "orders", "orders_shipped"]
EVENT_COLUMNS = ["replication", "day", "kind", "node", "product", "value", "detail"]
LEDGER_COLUMNS = ["replication", "node", "product", "initial", "initial_in_qc", "received",
                  "produced", "shipped",
                  "consumed", "expired", "destroyed", "final", "recalled",
                  "in_transit_at_end"]


@pytest.fixture
def example(root, tmp_path):
    path = tmp_path / "single_ward.yaml"
    shutil.copy(root / "scenarios/examples/single_ward.yaml", path)
    return path


def test_run_writes_a_results_folder(example, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(example), "--out", str(out), "--seed", "3",
                                 "--replications", "2", "--csv"])
    assert result.exit_code == 0, result.output
    assert "fill" in result.output and str(out) in result.output.replace("\n", "")
    names = {p.name for p in out.iterdir()}
    assert names == {"manifest.json", "scenario.resolved.yaml", "kpis.parquet", "daily.parquet",
                     "events.parquet", "ledger.parquet", "kpis.csv", "daily.csv", "events.csv",
                     "ledger.csv"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["scenario"] == "single-ward" and manifest["seed"] == 3
    assert manifest["replications"] == 2 and len(manifest["scenario_hash"]) == 64
    assert manifest["wall_time_s"] > 0 and manifest["package_version"]
    assert list(pd.read_parquet(out / "kpis.parquet").columns) == KPI_COLUMNS
    assert list(pd.read_parquet(out / "daily.parquet").columns) == DAILY_COLUMNS
    assert list(pd.read_parquet(out / "events.parquet").columns) == EVENT_COLUMNS
    assert list(pd.read_parquet(out / "ledger.parquet").columns) == LEDGER_COLUMNS
    assert sorted(pd.read_parquet(out / "kpis.parquet")["replication"].unique()) == [0, 1]
    assert "name: single-ward" in (out / "scenario.resolved.yaml").read_text()


def test_default_folder_is_under_results(example, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["run", str(example), "--quiet"])
    assert result.exit_code == 0, result.output
    folders = list((tmp_path / "results").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("single-ward-")
    assert result.output.strip() == str(folders[0].relative_to(tmp_path))


def test_set_overrides_and_daily_aggregation(example, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(example), "--out", str(out), "--set",
                                 "horizon_days=60", "--set", "warmup_days=0",
                                 "--daily", "region"])
    assert result.exit_code == 0, result.output
    daily = pd.read_parquet(out / "daily.parquet")
    assert "region" in daily.columns and daily["day"].max() == 59


def test_existing_folder_is_not_overwritten_without_asking(example, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    result = runner.invoke(app, ["run", str(example), "--out", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert (out / "keep.txt").exists()
    result = runner.invoke(app, ["run", str(example), "--out", str(out), "--overwrite"])
    assert result.exit_code == 0 and not (out / "keep.txt").exists()


def test_validate_ok(example):
    result = runner.invoke(app, ["validate", str(example)])
    assert result.exit_code == 0 and "ok" in result.output


def test_schema_is_json_schema():
    result = runner.invoke(app, ["schema"])
    schema = json.loads(result.output)
    assert result.exit_code == 0 and "horizon_days" in schema["properties"]
    assert schema["additionalProperties"] is False


BAD_CASES = {
    "misspelt key": ("lead_time_days: 5", "lead_tme: 5",
                     ["unknown key 'lead_tme'", "did you mean 'lead_time_days'"], 19),
    "unknown node": ("{from: supplier,", "{from: suplier,",
                     ["unknown node 'suplier'", "did you mean 'supplier'"], 19),
    "unknown product": ("stock: {saline_1l:", "stock: {salin_1l:",
                        ["unknown product 'salin_1l'", "did you mean 'saline_1l'"], 14),
    "wrong type": ("horizon_days: 500", "horizon_days: lots",
                   ["horizon_days", "valid integer"], 3),
    "bad literal": ("distribution: poisson", "distribution: poison",
                    ["did you mean 'poisson'"], 16),
    "bad policy type": ("type: base_stock", "type: base_stok",
                        ["unknown type 'base_stok'", "did you mean 'base_stock'"], 15),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_a_message_exit_2_and_nothing_written(case, example, tmp_path):
    old, new, expected, line = BAD_CASES[case]
    text = example.read_text()
    assert old in text
    example.write_text(text.replace(old, new, 1))
    out = tmp_path / "out"
    for command in (["validate", str(example)], ["run", str(example), "--out", str(out)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        message = " ".join(result.output.split())
        assert "Traceback" not in message
        assert f"{example.name}:{line}:" in message, message
        for part in expected:
            assert part in message, message
        assert not out.exists()


def test_every_problem_is_reported_at_once(example):
    text = example.read_text().replace("lead_time_days: 5", "lead_tme: 5")
    text = text.replace("{from: supplier,", "{from: suplier,").replace("poisson", "poison")
    example.write_text(text)
    result = runner.invoke(app, ["validate", str(example)])
    message = " ".join(result.output.split())
    assert result.exit_code == 2
    for part in ("lead_tme", "suplier", "poison"):
        assert part in message


def test_missing_file_and_bad_set_and_bad_daily(example, tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "file not found" in result.output
    result = runner.invoke(app, ["run", str(example), "--set", "horizon_days"])
    assert result.exit_code == 2 and "path.to.key=value" in result.output
    result = runner.invoke(app, ["run", str(example), "--set", "nodes.9.id=x"])
    assert result.exit_code == 2 and "nodes has 2 items" in " ".join(result.output.split())
    result = runner.invoke(app, ["run", str(example), "--daily", "county"])
    assert result.exit_code == 2 and "--daily" in result.output


def test_debug_shows_the_traceback(example):
    example.write_text(example.read_text().replace("lead_time_days: 5", "lead_tme: 5"))
    result = runner.invoke(app, ["validate", str(example), "--debug"])
    assert result.exit_code != 0 and result.exception is not None


def test_lines_of_a_demand_point_without_supplier(example):
    text = example.read_text().replace("  - {from: supplier, to: ward_a, lead_time_days: 5}\n",
                                       "")
    example.write_text(text.replace("lanes:\n", "lanes: []\n"))
    result = runner.invoke(app, ["validate", str(example)])
    message = " ".join(result.output.split())
    assert result.exit_code == 2 and "has demand for saline_1l but no lane brings it" in message
