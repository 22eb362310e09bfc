"""`sim.sensitivity` and `beredskap sensitivity`: Morris ranks a driver above an inert input.

Two wards draw on an unlimited source. The KPI is ward w1's fill; w1's base-stock level drives
it, w2's level cannot touch it: w2 has its own demand stream and the source never runs short.
Under common random numbers (every design point runs with the same seed) the inert input's
elementary effects are exactly zero, so its mu_star is 0, not just small; the driver's
effects are large (closed-form fill goes from 0.05 at level 2 to 0.999 at level 14).
"""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim.cli import app
from tests.conftest import node, scenario

runner = CliRunner()
DRIVER = "nodes[w1].policy.p.level"
INERT = "nodes[w2].policy.p.level"


def two_wards() -> sim.Scenario:
    nodes = [node("src", role="manufacturer", unlimited=True)]
    nodes += [node(w, stock={"p": {"initial": 6}},
                   policy={"p": {"type": "base_stock", "level": 6}},
                   demand={"p": {"mean_per_day": 2.0}}) for w in ("w1", "w2")]
    lanes = [{"from": "src", "to": w, "lead_time_days": 3} for w in ("w1", "w2")]
    return scenario(nodes, lanes, horizon=80, warmup=10)


def spec(**extra) -> dict:
    return {"scenario": two_wards(),
            "parameters": [{"path": INERT, "low": 2, "high": 14, "integer": True},
                           {"path": DRIVER, "low": 2, "high": 14, "integer": True}],
            "kpi": {"kpi": "fill_rate", "match": {"node": "w1"}},
            "replications": 2, "trajectories": 6, "seed": 5, **extra}


def test_morris_ranks_the_driver_first_and_the_inert_input_at_zero(tmp_path):
    table = sim.sensitivity(spec(), out=tmp_path / "m")
    assert list(table.columns) == ["parameter", "mu_star", "mu_star_conf", "sigma", "mu"]
    assert list(table["parameter"]) == [DRIVER, INERT]
    driver, inert = table.iloc[0], table.iloc[1]
    assert inert["mu_star"] == 0.0 and inert["sigma"] == 0.0
    # More stock never lowers fill: every effect of the driver is positive (mu = mu_star),
    # and its interval stays clear of zero.
    assert driver["mu"] == pytest.approx(driver["mu_star"])
    assert driver["mu_star"] - driver["mu_star_conf"] > 0.1
    assert table.attrs["model_points"] == 6 * (2 + 1)
    for name in ("indices.csv", "samples.csv", "sensitivity.png", "result.json"):
        assert (tmp_path / "m" / name).exists()
    # What mu_star means (docs/research.md): the mean |KPI change| over a step of 2/3 of the
    # range divided by that step (SALib's Delta = 2/3 on the 0-1 scale), so a step moves the
    # KPI by 2/3 mu_star on average, not by mu_star.
    import pandas as pd

    points = pd.read_csv(tmp_path / "m" / "samples.csv")
    changes = []
    for start in range(0, len(points), 3):  # a trajectory: parameters + 1 points
        t = points.iloc[start:start + 3]
        moved = t[DRIVER].diff().abs().to_numpy()[1:]
        dy = t["kpi"].diff().abs().to_numpy()[1:]
        assert set(moved[moved > 0]) <= {8.0}  # 2/3 of the range 2-14
        changes += list(dy[moved > 0])
    assert len(changes) == 6
    assert sum(changes) / len(changes) == pytest.approx(2 / 3 * driver["mu_star"])


def test_sobol_gives_the_inert_input_zero_indices():
    table = sim.sensitivity(spec(method="sobol", samples=4, replications=1))
    assert list(table.columns) == ["parameter", "S1", "S1_conf", "ST", "ST_conf"]
    assert list(table["parameter"]) == [DRIVER, INERT]
    assert table.iloc[1][["S1", "ST"]].tolist() == [0.0, 0.0]
    assert table.iloc[0]["ST"] > 0.3
    assert table.attrs["model_points"] == 4 * (2 + 2)


def test_cli_prints_the_indices_and_refuses_bad_input(tmp_path):
    data = two_wards().resolved()
    data["horizon_days"] = 40
    (tmp_path / "wards.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    good = {"scenario": "wards.yaml", "kpi": {"match": {"node": "w1"}},
            "parameters": [{"path": DRIVER, "low": 2, "high": 14, "integer": True}],
            "replications": 1, "trajectories": 2}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(good, sort_keys=False))
    res = runner.invoke(app, ["sensitivity", str(tmp_path / "s.yaml"), "--workers", "1",
                              "--out", str(tmp_path / "out")], env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "Morris indices of fill_rate" in res.output and "mu_star" in res.output
    bad = {**good, "method": "sobl", "kpi": {"kpi": "fill", "match": {"role": "wards"}},
           "parameters": [{"path": "nodes[w1].policy.p.levl", "low": 5, "high": 5}]}
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad, sort_keys=False))
    res = runner.invoke(app, ["sensitivity", str(tmp_path / "bad.yaml"), "--out",
                              str(tmp_path / "never")], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    for message in ("did you mean 'sobol'?", "did you mean 'fill_rate'?",
                    "did you mean 'ward'?", "empty range: low 5 must be below high 5"):
        assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "never").exists()
    typo = {**good, "parameters": [{"path": "nodes[w1].policy.p.levl", "low": 2, "high": 9}]}
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump(typo, sort_keys=False))
    res = runner.invoke(app, ["sensitivity", str(tmp_path / "typo.yaml"), "--out",
                              str(tmp_path / "never")], env={"COLUMNS": "200"})
    assert res.exit_code == 2
    assert "typo.yaml:" in res.output and "did you mean 'level'?" in res.output
    assert not (tmp_path / "never").exists()
    # A KPI undefined for the match (no own demand at the source) is refused before running.
    supplier = {**good, "kpi": {"kpi": "fill_rate", "match": {"node": "src"}}}
    (tmp_path / "src.yaml").write_text(yaml.safe_dump(supplier, sort_keys=False))
    res = runner.invoke(app, ["sensitivity", str(tmp_path / "src.yaml"), "--workers", "1",
                              "--out", str(tmp_path / "never")], env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert "fill_rate is undefined for match node=src: no own demand" in res.output
    assert not (tmp_path / "never").exists()


def test_sensitivity_notebook_executes():
    from tests.test_notebook import execute

    outputs = execute("sensitivity.ipynb")
    assert any("image/png" in o.get("data", {}) for o in outputs)
    text = " ".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                    for o in outputs)
    assert "mu_star" in text and "10 model points" in text
