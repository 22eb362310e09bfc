"""`sim.size` and `beredskap size`: against a closed form, on two variables, and bad input.

The closed form: a single ward with base-stock level S, Poisson(λ) demand, lead time L and
backorders. Under this engine's day order (receive, serve, order; an order placed on day t
arrives at the start of day t + L) the inventory position after ordering is always S, so the
stock left for day t's demand after clearing backorders is (S - Y)^+ with
Y ~ Poisson((L - 1)λ) (the demand of the L - 1 days whose orders are still out), and

    fill(S) = E[min(D, (S - Y)^+)] / λ,   D ~ Poisson(λ) independent of Y.

`size` must return the smallest S with fill(S) >= target, or the next one up when the one-sided
confidence bound needs it. With 8 replications of 100 days the bound sits
t(0.95, 7) sd / sqrt(8), about 0.67 sd, below the mean, and the per-replication sd of fill near
the answer runs from about 0.01 (λ 3, L 1) to 0.05-0.09 (λ 1, L 5; seed 7): a level whose fill
clears the target by less than that may fail the bound, and the next level is taken. The next
level clears the target by 0.033 or more in every case below (asserted), more than 0.67 sd at
that level, so the answer is never two levels up; a level whose fill is below the target would
need its mean to beat the closed form by several standard errors to be chosen.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
import yaml
from scipy import stats
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.research import SizingInfeasible, size
from tests.conftest import node, scenario

runner = CliRunner()
LEVEL = "nodes[w].policy.p.level"
INITIAL = "nodes[w].stock.p.initial"


def closed_form_fill(S: int, L: int, lam: float) -> float:
    k = np.arange(0, 400)
    waiting = stats.poisson.pmf(k, (L - 1) * lam)  # Y: demand whose replenishment is out
    today = stats.poisson.pmf(k, lam)  # D
    available = np.maximum(S - k, 0)
    served = np.minimum(k[None, :], available[:, None])
    return float((waiting[:, None] * today[None, :] * served).sum() / lam)


def smallest_level(L: int, lam: float, target: float) -> int:
    return next(S for S in range(200) if closed_form_fill(S, L, lam) >= target)


def ward_scenario(lam: float, L: int, wards: tuple[str, ...] = ("w",)) -> sim.Scenario:
    nodes = [node("src", role="manufacturer", unlimited=True)]
    nodes += [node(w, stock={"p": {"initial": 1}}, policy={"p": {"type": "base_stock",
                                                                  "level": 1}},
                   demand={"p": {"mean_per_day": lam}}) for w in wards]
    lanes = [{"from": "src", "to": w, "lead_time_days": L} for w in wards]
    return scenario(nodes, lanes, horizon=120, warmup=20)


def level(low: int, high: int, ward: str = "w", cost: float = 1.0) -> dict:
    # Start full: the initial stock follows the level.
    return {"path": f"nodes[{ward}].policy.p.level", "low": low, "high": high, "cost": cost,
            "follow": {f"nodes[{ward}].stock.p.initial": 0}}


@pytest.fixture(scope="module")
def pool():
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as ex:
        yield ex


@pytest.mark.parametrize(("lam", "L", "target"), [(2.0, 3, 0.95), (1.0, 5, 0.90),
                                                  (3.0, 1, 0.95)])
def test_size_matches_the_closed_form(lam, L, target, pool, tmp_path):
    best = smallest_level(L, lam, target)
    assert closed_form_fill(best + 1, L, lam) - target > 0.03  # the step-up margin above
    res = size({"scenario": ward_scenario(lam, L), "vary": [level(4, 15)],
                "target": {"kpi": "fill_rate", "match": {"node": "w"}, "at_least": target},
                "replications": 8, "seed": 7}, executor=pool, out=tmp_path / "s")
    assert res.feasible
    assert res.best[LEVEL] in (best, best + 1), (res.best, best, res.trials)
    assert res.settings[INITIAL] == res.best[LEVEL]
    assert res.lower >= target
    assert res.method == "bisection"
    # Common random numbers: on the search seed, a higher level never has lower fill.
    searched = res.trials[res.trials["phase"] != "confirm"].sort_values(LEVEL)
    assert searched["kpi"].is_monotonic_increasing
    # Bisection, not a scan: the range has 12 levels (high, low, 4 halvings, a step up).
    assert len(searched) <= 2 + int(np.ceil(np.log2(12))) + 1
    for name in ("trials.csv", "result.json", "sizing.json", "kpi_cost.png"):
        assert (tmp_path / "s" / name).exists()


def test_two_variables_inert_one_stays_at_its_low(pool, tmp_path):
    """The target is w1's fill; w2's level is a second variable that cannot help it.

    Known answer: w2 at its low end, w1 at the one-variable answer (closed form).
    """
    lam, L, target = 2.0, 3, 0.95
    best = smallest_level(L, lam, target)
    spec = {"scenario": ward_scenario(lam, L, ("w1", "w2")),
            "vary": [level(4, 15, "w1"), level(1, 4, "w2", cost=0.5)],
            "target": {"kpi": "fill_rate", "match": {"node": "w1"}, "at_least": target},
            "replications": 8, "seed": 7}
    res = size(spec, executor=pool)
    assert res.method == "marginal analysis"
    assert res.best["nodes[w2].policy.p.level"] == 1
    assert res.best["nodes[w1].policy.p.level"] in (best, best + 1), res.trials
    assert res.cost == res.best["nodes[w1].policy.p.level"] + 0.5


def test_two_variables_both_active_reach_the_closed_form_optimum(pool):
    """Two identical wards (λ 2, L 3), their combined fill ≥ 0.95, levels 4-15 at cost 1 each.

    Equal demand, so the combined fill (by units) is the mean of the two wards' closed-form
    fills; the optimum is the cheapest pair over the whole 12 x 12 grid that meets it. Marginal
    analysis must find that cost, or one level more where the confidence bound needs it.
    """
    lam, L, target = 2.0, 3, 0.95
    levels = range(4, 16)
    fill = {S: closed_form_fill(S, L, lam) for S in levels}
    optimum = min(a + b for a in levels for b in levels if (fill[a] + fill[b]) / 2 >= target)
    # Both must move: one ward alone at its top cannot carry the other at its low.
    assert (fill[15] + fill[4]) / 2 < target
    spec = {"scenario": ward_scenario(lam, L, ("w1", "w2")),
            "vary": [level(4, 15, "w1"), level(4, 15, "w2")],
            "target": {"kpi": "fill_rate", "match": {"role": "ward"}, "at_least": target},
            "replications": 8, "seed": 7}
    res = size(spec, executor=pool)
    a, b = res.best["nodes[w1].policy.p.level"], res.best["nodes[w2].policy.p.level"]
    assert res.feasible and res.lower >= target
    assert res.cost in (optimum, optimum + 1), (optimum, res.best, res.trials)
    assert (fill[a] + fill[b]) / 2 >= target, (a, b)  # truly meets, not by luck of the seed
    assert len(res.trials) < len(levels) ** 2 / 4  # a search, not a scan of the grid


def test_infeasible_target_names_the_best_found(tmp_path):
    spec = {"scenario": ward_scenario(2.0, 3), "vary": [level(2, 6)],
            "target": {"kpi": "fill_rate", "match": {"role": "ward"}, "at_least": 0.95},
            "replications": 3, "seed": 1}
    with pytest.raises(SizingInfeasible) as info:
        size(spec, out=tmp_path / "s")
    message = str(info.value)
    assert "no setting in the ranges meets fill_rate ≥ 0.95" in message
    assert f"the best found, {LEVEL}=6" in message
    assert "raise high" in message
    assert info.value.result.feasible is False
    # The top of the range, and the low end to check that more helps.
    assert list(info.value.result.trials["phase"]) == ["high", "low"]
    # Nothing ran on fresh replications: the numbers are said to be the search seed's.
    assert info.value.result.phase == "high" and info.value.result.seed == 1
    assert "on the search seed" in message and "confirmation" not in message


def test_a_variable_that_lowers_the_kpi_is_named_not_its_worst_end():
    """Longer lead times lower fill: the search's assumption fails, and it says so."""
    spec = {"scenario": ward_scenario(2.0, 1),
            "set": {LEVEL: 8, INITIAL: 8},
            "vary": [{"path": "lanes.0.lead_time_days", "low": 1, "high": 8}],
            "target": {"kpi": "fill_rate", "match": {"node": "w"}, "at_least": 0.9},
            "replications": 3, "seed": 1}
    with pytest.raises(SizingInfeasible) as info:
        size(spec)
    message = str(info.value)
    assert "better at the low end of the ranges (lanes.0.lead_time_days=1" in message
    assert "than at the high end (lanes.0.lead_time_days=8" in message
    assert "assumes more of each variable helps" in message
    assert "the best found" not in message
    assert info.value.result.best == {"lanes.0.lead_time_days": 1}


def write_files(tmp_path, vary: list[dict], target: dict, **extra) -> str:
    data = ward_scenario(2.0, 3).resolved()
    data["horizon_days"] = 60
    (tmp_path / "ward.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    spec = {"scenario": "ward.yaml", "vary": vary, "target": target, "replications": 3, **extra}
    (tmp_path / "size.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return str(tmp_path / "size.yaml")


def test_cli_runs_prints_the_winner_and_an_infeasible_target_exits_1(tmp_path):
    file = write_files(tmp_path, [level(2, 6)], {"kpi": "fill_rate", "match": {"role": "ward"},
                                                 "at_least": 0.99})
    out = tmp_path / "out"
    res = runner.invoke(app, ["size", file, "--workers", "1", "--out", str(out)],
                        env={"COLUMNS": "160"})
    assert res.exit_code == 1, res.output
    assert "no solution" in res.output and "best found" in res.output
    assert "on the search seed" in res.output and "confirmation run" not in res.output
    assert (out / "result.json").exists()
    file = write_files(tmp_path, [level(2, 16)], {"kpi": "fill_rate", "match": {"role": "ward"},
                                                  "at_least": 0.5})
    res = runner.invoke(app, ["size", file, "--workers", "1", "--out", str(tmp_path / "ok")],
                        env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert "Cheapest setting that meets the target (bisection)" in res.output
    assert "on the confirmation run (fresh seed)" in res.output
    # The same command again on the same folder with --resume runs nothing new.
    again = runner.invoke(app, ["size", file, "--workers", "1", "--out", str(tmp_path / "ok"),
                                "--resume"], env={"COLUMNS": "160"})
    assert again.exit_code == 0, again.output
    assert again.output.splitlines()[-3:-1] == res.output.splitlines()[-3:-1]


@pytest.mark.parametrize(("vary", "target", "message"), [
    ([{"path": "nodes[w].policy.p.levle", "low": 1, "high": 5}],
     {"at_least": 0.9}, "unknown key 'levle'; did you mean 'level'?"),
    ([{"path": "nodes[x].policy.p.level", "low": 1, "high": 5}],
     {"at_least": 0.9}, "nodes has no item named 'x'"),
    ([{"path": LEVEL, "low": 9, "high": 5}], {"at_least": 0.9},
     "vary[0]: empty range: low 9 is above high 5"),
    ([{"path": LEVEL, "low": 1, "high": 5, "step": 0}], {"at_least": 0.9},
     "vary[0].step: input should be greater than 0"),
    ([{"path": LEVEL, "low": 1, "high": 5}], {"kpi": "fil_rate", "at_least": 0.9},
     "did you mean 'fill_rate'?"),
    ([{"path": LEVEL, "low": 1, "high": 5}], {"at_most": 0.9},
     "fill_rate rises with stock: give at_least"),
    ([{"path": LEVEL, "low": 1, "high": 5}], {"match": {"role": "wards"}, "at_least": 0.9},
     "did you mean 'ward'?"),
    ([{"path": LEVEL, "low": 1, "high": 5}], {"match": {"node": "ww"}, "at_least": 0.9},
     "no node 'ww' in scenario 'test'; did you mean 'w'?"),
    ([{"path": LEVEL, "low": 1, "high": 5, "costt": 1}], {"at_least": 0.9},
     "unknown key 'costt'; did you mean 'cost'?"),
    # A KPI with nothing to measure among the matched node-products would be NaN after
    # running every candidate: refused before.
    ([{"path": LEVEL, "low": 1, "high": 5}], {"match": {"node": "src"}, "at_least": 0.9},
     "fill_rate is undefined for match node=src: no own demand"),
    ([{"path": LEVEL, "low": 1, "high": 5}],
     {"kpi": "order_fill_rate", "match": {"role": "ward"}, "at_least": 0.9},
     "order_fill_rate is undefined for match role=ward: no customer orders"),
    # Targets no setting can meet.
    ([{"path": LEVEL, "low": 1, "high": 5}], {"at_least": 1.5},
     "fill_rate is between 0 and 1 (a share): a target of 1.5 is impossible"),
    ([{"path": LEVEL, "low": 1, "high": 5}], {"at_least": -0.2},
     "a target of -0.2 is impossible"),
    ([{"path": LEVEL, "low": 1, "high": 5}], {"kpi": "unmet", "at_most": -1},
     "unmet is 0 or more: a target of -1 is impossible"),
    # Ranges that cannot be walked: infinite or NaN, too many values, high off the grid.
    ([{"path": LEVEL, "low": 1, "high": float("inf")}], {"at_least": 0.9},
     "vary[0].high: input should be a finite number"),
    ([{"path": LEVEL, "low": float("nan"), "high": 5}], {"at_least": 0.9},
     "vary[0].low: input should be a finite number"),
    ([{"path": LEVEL, "low": 0, "high": 1e8}], {"at_least": 0.9},
     "has 1e+08 values, more than 1,000,000: raise step"),
    ([{"path": LEVEL, "low": 0, "high": 10, "step": 20}], {"at_least": 0.9},
     "(high - low) must be a multiple of step"),
    # Below 0.5 the one-sided "bound" is on the wrong side of the mean.
    ([{"path": LEVEL, "low": 1, "high": 5}], {"at_least": 0.9, "confidence": 0.3},
     "target.confidence: input should be greater than or equal to 0.5"),
])
def test_bad_input_is_a_message_exit_2_nothing_written(tmp_path, vary, target, message):
    file = write_files(tmp_path, vary, target)
    out = tmp_path / "never"
    res = runner.invoke(app, ["size", file, "--workers", "1", "--out", str(out)],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "size.yaml:" in res.output  # the file and line
    assert "Traceback" not in res.output
    assert not out.exists()


def test_a_file_for_the_other_command_says_which_command(tmp_path):
    sizing = write_files(tmp_path, [level(2, 6)], {"at_least": 0.5})
    other = tmp_path / "sens.yaml"
    other.write_text(yaml.safe_dump({"scenario": "ward.yaml", "parameters": [
        {"path": LEVEL, "low": 2, "high": 6}], "kpi": {"kpi": "fill_rate"}}))
    for command, file, says in (("size", other, "this is a sensitivity file"),
                                ("sensitivity", sizing, "this is a sizing file")):
        res = runner.invoke(app, [command, str(file), "--out", str(tmp_path / "never")],
                            env={"COLUMNS": "200"})
        assert res.exit_code == 2, res.output
        other_command = "sensitivity" if command == "size" else "size"
        assert says in res.output and f"beredskap {other_command}" in res.output
        assert "missing required key" not in res.output  # no schema dump
    assert not (tmp_path / "never").exists()


def test_unknown_top_level_key_and_missing_target(tmp_path):
    file = tmp_path / "s.yaml"
    file.write_text("scenario: nowhere.yaml\nvary: []\nreplicatons: 3\n")
    res = runner.invoke(app, ["size", str(file), "--out", str(tmp_path / "never")])
    assert res.exit_code == 2
    assert "unknown key 'replicatons'; did you mean 'replications'?" in res.output
    assert "missing required key 'target'" in res.output
    assert "vary: list should have at least 1 item" in res.output
    assert not (tmp_path / "never").exists()


def test_a_folder_that_is_not_a_sizing_folder_is_never_touched(tmp_path):
    file = write_files(tmp_path, [level(2, 6)], {"at_least": 0.5})
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    res = runner.invoke(app, ["size", file, "--workers", "1", "--out", str(other),
                              "--overwrite"])
    assert res.exit_code == 2
    assert "is not a sizing folder" in res.output
    assert (other / "keep.txt").read_text() == "mine"


def test_cli_builds_the_sizing_from_options_on_a_scenario_file(tmp_path):
    file = write_files(tmp_path, [level(2, 6)], {"at_least": 0.5})  # writes ward.yaml too
    scenario_file = str(tmp_path / "ward.yaml")
    res = runner.invoke(app, ["size", scenario_file, "--vary", f"{LEVEL}=2:16:2",
                              "--target", "fill_rate>=0.9", "--match", "role=ward", "-r", "3",
                              "--workers", "1", "--out", str(tmp_path / "opt")],
                        env={"COLUMNS": "160"})
    assert res.exit_code == 0, res.output
    assert f"{LEVEL} = " in res.output
    spec = (tmp_path / "opt" / "sizing.json").read_text()
    assert '"step": 2.0' in spec and '"at_least": 0.9' in spec
    for args, message in (
        ([], "is not a sizing file"),
        (["--vary", f"{LEVEL}=2"], "expected path=low:high[:step[:cost]]"),
        (["--vary", f"{LEVEL}=2:9", "--target", "fill_rate=0.9"], "expected KPI>=VALUE"),
        (["--vary", f"{LEVEL}=2:9", "--target", "fill_rate>=0.9", "--match", "ward"],
         "--match 'ward': expected key=value"),
        (["--vary", f"{LEVEL}=2:9", "--target", "fil_rate>=0.9"], "did you mean 'fill_rate'?"),
    ):
        res = runner.invoke(app, ["size", scenario_file, *args, "--out", str(tmp_path / "no")])
        assert res.exit_code == 2, (args, res.output)
        assert message in res.output
        assert not (tmp_path / "no").exists()
    res = runner.invoke(app, ["size", file, "--vary", f"{LEVEL}=2:9"])
    assert res.exit_code == 2 and "is a sizing file" in res.output


def test_the_confidence_bound_not_the_mean_decides():
    """A target the lowest level's mean meets and its lower bound does not: not chosen there."""
    lam, L = 1.0, 5
    spec = {"scenario": ward_scenario(lam, L), "vary": [level(3, 12)],
            "target": {"kpi": "fill_rate", "match": {"node": "w"}, "at_least": 0.0},
            "replications": 4, "seed": 7}
    first = size(spec).trials
    low = first[(first["phase"] == "low")].iloc[0]
    assert low[LEVEL] == 3 and low["lower"] < low["kpi"] < 1
    target = (low["kpi"] + low["lower"]) / 2  # the mean meets it, the bound does not
    res = size({**spec, "target": {**spec["target"], "at_least": target}})
    t = res.trials
    assert not t[(t["phase"] == "low")].iloc[0]["meets"]
    assert (t[t["meets"]]["lower"] >= target - 1e-12).all()
    assert res.feasible and res.lower >= target
    assert res.best[LEVEL] > 3


@pytest.mark.parametrize("command", ["size", "sensitivity"])
def test_a_missing_folder_or_empty_file_is_named_as_such(tmp_path, command):
    (tmp_path / "empty.yaml").write_text("")
    for given, message in ((tmp_path / "nowhere.yaml", "nowhere.yaml: file not found"),
                           (tmp_path, "is a folder, not a file"),
                           (tmp_path / "empty.yaml", "empty.yaml is empty")):
        res = runner.invoke(app, [command, str(given), "--out", str(tmp_path / "never")],
                            env={"COLUMNS": "200"})
        assert res.exit_code == 2, res.output
        assert message in res.output and "not a sizing file" not in res.output
        assert not (tmp_path / "never").exists()


def test_stockout_days_are_summed_over_the_matched_rows_as_the_batch_summary_does():
    import pandas as pd

    from sim.research.kpi import per_replication
    from sim.research.spec import Kpi

    sc = ward_scenario(2.0, 3, ("w1", "w2"))
    kpis = pd.DataFrame({"variant": "v", "replication": 0, "node": ["w1", "w2", "src"],
                         "product": "p", "demand": [10, 10, 0], "served": [8, 10, 0],
                         "orders": 0, "orders_shipped": 0, "unmet": [2, 0, 0],
                         "stockout_days": [3, 0, 5]})
    one = per_replication(kpis, sc, Kpi(kpi="stockout_days", match={"role": "ward"}))
    assert one["value"].tolist() == [3.0]  # 3 + 0 node-product-days, not their mean 1.5
    share = per_replication(kpis, sc, Kpi(kpi="share_short", match={"role": "ward"}))
    assert share["value"].tolist() == [0.5]
