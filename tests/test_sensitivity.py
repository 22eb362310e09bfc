"""`sim.sensitivity` and `beredskap sensitivity`: Morris ranks a driver above an inert input.

Two wards draw on an unlimited source. The KPI is ward w1's fill; w1's base-stock level drives
it, w2's level cannot touch it: w2 has its own demand stream and the source never runs short.
Under common random numbers (every design point runs with the same seed) the inert input's
elementary effects are exactly zero, so its mu_star is 0, not just small; the driver's
effects are large (closed-form fill goes from 0.05 at level 2 to 0.999 at level 14).
"""

from __future__ import annotations

import json
import math
import re
from statistics import NormalDist

import numpy as np
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
    # Resuming after the scenario was edited names that, not a bare key.
    data["horizon_days"] = 41
    (tmp_path / "wards.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    res = runner.invoke(app, ["sensitivity", str(tmp_path / "s.yaml"), "--workers", "1",
                              "--out", str(tmp_path / "out"), "--resume"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 2, res.output
    assert "ran on another version of scenario" in " ".join(res.output.split())
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


# --- distributions ------------------------------------------------------------------------------

PHI = NormalDist()


def triangular_cdf(x, low, mode, high):
    x = np.asarray(x, dtype=float)
    up = (x - low) ** 2 / ((high - low) * (mode - low))
    down = 1 - (high - x) ** 2 / ((high - low) * (high - mode))
    return np.clip(np.where(x <= mode, up, down), 0, 1)


def triangular_quantile(u, low, mode, high):
    c = (mode - low) / (high - low)
    if u <= c:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))


def normal_cdf(x, mean, sd, low=-math.inf, high=math.inf):
    """The (truncated) normal's CDF, from its definition: Phi rescaled to [low, high]."""
    phi = np.vectorize(lambda v: PHI.cdf((v - mean) / sd) if math.isfinite(v) else float(v > 0))
    a, b = phi(low), phi(high)
    return np.clip((phi(np.asarray(x, dtype=float)) - a) / (b - a), 0, 1)


def normal_quantile(u, mean, sd, low, high):
    a, b = PHI.cdf((low - mean) / sd), PHI.cdf((high - mean) / sd)
    return mean + sd * PHI.inv_cdf(a + u * (b - a))


def lognormal_cdf(x, mean, sd):
    """X = exp(N(mu, s^2)) with E X = mean, sd X = sd: s^2 = ln(1 + (sd/mean)^2)."""
    s = math.sqrt(math.log(1 + (sd / mean) ** 2))
    mu = math.log(mean) - s * s / 2
    return np.vectorize(lambda v: PHI.cdf((math.log(v) - mu) / s))(np.asarray(x, dtype=float))


def test_distributions_are_sampled_as_stated():
    """The values a Sobol design gives the model follow each parameter's stated distribution.

    Saltelli's design is built from two base samples (A and B) of N scrambled Sobol' points; for
    N a power of two each puts exactly one point in every probability stratum [k/N, (k+1)/N),
    and every design row takes each parameter's value from A or B. So a column's empirical CDF
    is within 1/N of the stated CDF everywhere (deterministic, far tighter than a KS test's
    1.95/sqrt(N) at the 0.1 % level). The mean and sd are checked against the stated moments
    with bounds of 4 standard errors for N independent draws (stratified sampling has no more
    variance than that): the mean's sd/sqrt(N), the sd's sd sqrt((kurtosis - 1)/(4N)).
    """
    from sim.research.sensitivity import design, values
    from sim.research.spec import SensitivityFile

    n = 1024
    tri = {"distribution": "triangular", "low": 10, "mode": 20, "high": 60}
    normal = {"distribution": "normal", "mean": 30, "sd": 5}
    lognormal = {"distribution": "lognormal", "mean": 8, "sd": 3}
    cut = {"distribution": "normal", "mean": 1.0, "sd": 0.5, "low": 0.8, "high": 2.5}
    options = SensitivityFile.model_validate({
        "scenario": None, "method": "sobol", "samples": n, "kpi": {},
        "parameters": [{"path": f"p{i}", **d} for i, d in enumerate((tri, normal, lognormal,
                                                                        cut))]})
    _, u = design(options, seed=3)
    x = values(options, u)
    assert x.shape == (n * (4 + 2), 4) and np.isfinite(x).all()
    cdfs = [triangular_cdf(x[:, 0], 10, 20, 60), normal_cdf(x[:, 1], 30, 5),
            lognormal_cdf(x[:, 2], 8, 3), normal_cdf(x[:, 3], 1.0, 0.5, 0.8, 2.5)]
    for column, cdf in zip(x.T, cdfs, strict=True):
        order = np.argsort(column)
        ecdf = np.arange(1, len(column) + 1) / len(column)
        assert np.abs(ecdf - cdf[order]).max() <= 1 / n + 1e-9
    assert x[:, 3].min() >= 0.8 and x[:, 3].max() <= 2.5
    # Stated moments: triangular (a+b+c)/3 and (a^2+b^2+c^2-ab-ac-bc)/18, kurtosis 2.4; normal
    # kurtosis 3; lognormal with w = 1 + cv^2: kurtosis w^4 + 2w^3 + 3w^2 - 3.
    w = 1 + (3 / 8) ** 2
    stated = [(30, math.sqrt((100 + 400 + 3600 - 200 - 600 - 1200) / 18), 2.4),
              (30, 5, 3.0), (8, 3, w**4 + 2 * w**3 + 3 * w**2 - 3)]
    for column, (mean, sd, kurtosis) in zip(x.T, stated, strict=False):
        assert abs(column.mean() - mean) < 4 * sd / math.sqrt(n)
        assert abs(column.std() - sd) < 4 * sd * math.sqrt((kurtosis - 1) / (4 * n))


def test_morris_ranks_right_when_the_inputs_are_given_by_distributions(tmp_path):
    """A truncated normal driver and a triangular inert input: the same ranking, on quantiles.

    The grid is on each parameter's quantile scale: the four levels are its 0, 1/3, 2/3 and 1
    quantiles, rounded for an integer path; the rounds' batch plans show the values the model
    got.
    """
    data = two_wards().resolved()
    data["horizon_days"] = 50
    driver = {"path": DRIVER, "distribution": "normal", "mean": 7, "sd": 4, "low": 2,
              "high": 14, "integer": True}
    inert = {"path": INERT, "distribution": "triangular", "low": 2, "mode": 4, "high": 14,
             "integer": True}
    table = sim.sensitivity({"scenario": data, "parameters": [inert, driver],
                             "kpi": {"kpi": "fill_rate", "match": {"node": "w1"}},
                             "replications": 1, "trajectories": 4, "seed": 5},
                            out=tmp_path / "m")
    assert list(table["parameter"]) == [DRIVER, INERT]
    driver_row, inert_row = table.iloc[0], table.iloc[1]
    assert inert_row["mu_star"] == 0.0 and inert_row["sigma"] == 0.0
    assert driver_row["mu"] == pytest.approx(driver_row["mu_star"])
    assert driver_row["mu_star"] - driver_row["mu_star_conf"] > 0.1
    levels = (0, 1 / 3, 2 / 3, 1)
    want = {DRIVER: {round(normal_quantile(q, 7, 4, 2, 14)) for q in levels},
            INERT: {round(triangular_quantile(q, 2, 4, 14)) for q in levels}}
    assert want == {DRIVER: {2, 6, 9, 14}, INERT: {2, 5, 8, 14}}
    (plan,) = (tmp_path / "m" / "rounds").glob("*/plan.json")
    variants = json.loads(plan.read_text(encoding="utf-8"))["variants"]
    assert len(variants) == 4 * (2 + 1)
    for path, values in want.items():
        given = [v["overrides"][path] for v in variants]
        assert all(isinstance(g, int) for g in given)
        assert set(given) <= values and len(set(given)) >= 2
    import pandas as pd

    samples = pd.read_csv(tmp_path / "m" / "samples.csv")
    assert samples[DRIVER].tolist() == [v["overrides"][DRIVER] for v in variants]


def test_cli_refuses_bad_distributions_with_exit_2_and_writes_nothing(tmp_path):
    data = two_wards().resolved()
    (tmp_path / "wards.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    base = {"scenario": "wards.yaml", "kpi": {"match": {"node": "w1"}}, "replications": 1,
            "trajectories": 2}
    cases = {
        "shape.yaml": ([{"path": DRIVER, "distribution": "normal", "mean": 8, "sd": 0,
                         "low": 2, "high": 14},
                        {"path": INERT, "distribution": "triangular", "low": 2, "mode": 20,
                         "high": 14},
                        {"path": "nodes[src].policy.p.level", "distribution": "norml",
                         "mean": 5, "sd": 1},
                        {"path": "nodes[w1].stock.p.initial", "mean": 5, "sd": 1}],
                       ["parameters[0]: sd must be above 0 (got 0)",
                        "parameters[1]: mode 20 is outside the range [2, 14]",
                        "did you mean 'normal'?",
                        "uniform needs low and high",
                        "a parameter is uniform unless its `distribution` says otherwise"]),
        "open.yaml": ([{"path": DRIVER, "distribution": "normal", "mean": 8, "sd": 3}],
                      ["method morris puts grid points at the 0 and 100 % quantiles",
                       "give low and high (a truncated normal), or use method sobol"]),
        "negative.yaml": ([{"path": DRIVER, "distribution": "normal", "mean": 3, "sd": 2,
                            "high": 14, "integer": True}],
                          ["greater than or equal to 0",
                           "the normal is open-ended; the design draws lowest -",
                           "give low to truncate it"]),
        # Whole values only, and none in the range: would run outside it.
        "integer.yaml": ([{"path": DRIVER, "low": 4.2, "high": 4.4, "integer": True}],
                         ["integer: true, but the range [4.2, 4.4] holds no whole number"]),
    }
    for name, (parameters, messages) in cases.items():
        spec = {**base, "parameters": parameters}
        if name in ("negative.yaml", "integer.yaml"):
            spec |= {"method": "sobol", "samples": 16}
        (tmp_path / name).write_text(yaml.safe_dump(spec, sort_keys=False))
        res = runner.invoke(app, ["sensitivity", str(tmp_path / name), "--workers", "1",
                                  "--out", str(tmp_path / "never")], env={"COLUMNS": "200"})
        assert res.exit_code == 2, (name, res.output)
        flat = " ".join(res.output.split())
        for message in messages:
            assert message in flat, (name, message, res.output)
        assert f"{name}:" in res.output and "Traceback" not in res.output
        assert not (tmp_path / "never").exists()


def test_sensitivity_notebook_executes():
    """What the masks study finds (docs/research.md): the stores' days of masks drive the wards'
    mask fill; every effect is monotone with the expected sign; trauma matters least and steadily.
    """
    from tests.test_notebook import execute

    outputs = execute("sensitivity.ipynb")
    assert any("image/png" in o.get("data", {}) for o in outputs)
    text = "\n".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                      for o in outputs)
    assert "mu_star" in text and "10 model points" in text
    stores = "policies[regional_store_mask_iir].policy.target_days"
    assert f"most influential: {stores}" in text
    effects = {m.group(1): (float(m.group(2)), float(m.group(3)), float(m.group(4)))
               for m in re.finditer(r"^(\S+): mu_star ([-0-9.]+), mu ([-0-9.]+), "
                                    r"sigma ([-0-9.]+)$", text, re.MULTILINE)}
    assert len(effects) == 4, text
    # Every elementary effect of a parameter has the same sign: |mu| is mu_star.
    for mu_star, mu, _ in effects.values():
        assert mu_star > 0 and abs(abs(mu) - mu_star) < 1e-4, effects
    assert effects[stores][1] > 0  # more masks at the stores help
    for hurts in ("disruptions.2.lead_time_factor", "disruptions.3.duration_days",
                  "disruptions.4.factor"):
        assert effects[hurts][1] < 0, effects  # slower imports, a longer ban, more trauma
    trauma = effects["disruptions.4.factor"]
    assert trauma[0] == min(e[0] for e in effects.values())  # matters least
    assert trauma[2] < trauma[0]  # and steadily: its effects vary less than their size


def test_sobol_gives_every_whole_value_of_an_integer_range_the_same_weight():
    """Uniform integer 2..5 under Sobol: each of the four values takes a quarter of the design.

    Each base sample (N a power of two) puts one point in every stratum [k/N, (k+1)/N), and
    the value is 2 + floor(4u): exactly N/4 points of each base sample per value, so exactly a
    quarter of the design rows. Rounding a draw on [2, 5] would give 2 and 5 a sixth each.
    """
    from sim.research.sensitivity import design, values
    from sim.research.spec import SensitivityFile

    n = 256
    options = SensitivityFile.model_validate({
        "scenario": None, "method": "sobol", "samples": n, "kpi": {},
        "parameters": [{"path": "p0", "low": 2, "high": 5, "integer": True},
                       {"path": "p1", "low": 0, "high": 1}]})
    _, u = design(options, seed=3)
    x = values(options, u)[:, 0]
    counts = {v: int((x == v).sum()) for v in (2, 3, 4, 5)}
    assert set(np.unique(x)) == {2, 3, 4, 5}
    assert counts == {v: len(x) // 4 for v in (2, 3, 4, 5)}
