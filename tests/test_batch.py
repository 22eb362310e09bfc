"""Batches: common random numbers, agreement with `sim.run`, statistics, aggregation, files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

import sim
from sim.batch import plan_batch
from sim.batch.stats import describe, merge_moments, moments, t_quantile
from sim.batch.store import BatchFolderError
from sim.batch.variants import Variant, grid, parse_sweep, split_values
from tests.batch_helpers import GRID, assert_same_tables, scenario


def test_t_quantile_matches_scipy():
    for df in (1, 2, 3, 4, 7, 19, 30, 99, 999):
        for p in (0.6, 0.9, 0.975, 0.995):
            assert t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), rel=1e-9)
            assert t_quantile(1 - p, df) == pytest.approx(scipy_stats.t.ppf(1 - p, df), rel=1e-9)


def test_describe_gives_mean_sd_and_t_interval():
    rng = np.random.default_rng(3)
    x = rng.normal(5.0, 2.0, size=12)
    frame = pd.DataFrame({"variant": "a", "fill_rate": x, "unmet": np.r_[x[:11], np.nan]})
    out = describe(frame, ["variant"], ["fill_rate", "unmet"]).set_index("kpi")
    half = scipy_stats.t.ppf(0.975, 11) * x.std(ddof=1) / np.sqrt(12)
    assert out.loc["fill_rate", "n"] == 12
    assert out.loc["fill_rate", "mean"] == pytest.approx(x.mean(), rel=1e-12)
    assert out.loc["fill_rate", "sd"] == pytest.approx(x.std(ddof=1), rel=1e-12)
    assert out.loc["fill_rate", "ci95_low"] == pytest.approx(x.mean() - half, rel=1e-12)
    assert out.loc["fill_rate", "ci95_high"] == pytest.approx(x.mean() + half, rel=1e-12)
    assert out.loc["unmet", "n"] == 11  # the NaN is left out of its own KPI only


def test_merged_moments_equal_moments_of_the_whole():
    rng = np.random.default_rng(5)
    values = rng.gamma(2.0, 3.0, size=(23, 4))
    values[[1, 7, 8], 2] = np.nan
    values[:, 3] = np.nan  # a cell that never has a value
    whole = moments(values)
    merged = moments(values[:5])
    for cut in ((5, 6), (6, 15), (15, 23)):
        merged = merge_moments(merged, moments(values[slice(*cut)]))
    np.testing.assert_array_equal(merged[0], whole[0])
    np.testing.assert_allclose(merged[1][:3], whole[1][:3], rtol=1e-12)
    np.testing.assert_allclose(merged[2][:3], whole[2][:3], rtol=1e-10)
    assert np.isnan(merged[1][3])


def test_sweep_parsing_and_grid_names():
    assert split_values("7,14, [1, 2],'a,b'") == ["7", "14", "[1, 2]", "'a,b'"]
    sweep = parse_sweep(["policies.0.policy.target_days=7,14,28",
                         "disruptions.0.duration_days=30,90"])
    assert sweep == {"policies.0.policy.target_days": [7, 14, 28],
                     "disruptions.0.duration_days": [30, 90]}
    variants = grid(sweep)
    assert len(variants) == 6
    assert variants[0] == Variant("target_days=7 duration_days=30",
                                  {"policies.0.policy.target_days": 7,
                                   "disruptions.0.duration_days": 30})
    named = grid({"a.x": [1, 2]}, [Variant("today"), Variant("more", {"b": 3})])
    assert [v.name for v in named] == ["today x=1", "today x=2", "more x=1", "more x=2"]
    assert named[3].overrides == {"b": 3, "a.x": 2}
    with pytest.raises(ValueError, match=r"expected path\.to\.key=value1"):
        parse_sweep(["nothing"])


def test_bad_sweeps_are_all_reported_before_anything_runs(tmp_path):
    sc = scenario()
    with pytest.raises(sim.ScenarioError) as info:
        sim.batch(sc, sweep={"disruptions.0.duraton_days": [5, 6], "horizon_days": ["long"]},
                  replications=2, out=tmp_path / "never")
    text = info.value.render()
    assert "did you mean 'duration_days'" in text
    assert "horizon_days" in text and "valid integer" in text
    assert len(info.value.problems) == 2  # one report per mistake, not one per variant
    assert not (tmp_path / "never").exists()
    with pytest.raises(sim.ScenarioError, match="cannot vary 'seed'"):
        plan_batch(sc, {"seed": [1, 2]})


def test_common_random_numbers_and_agreement_with_run():
    sc = scenario()
    result = sim.batch(sc, sweep=GRID, replications=5)
    kpis = result.kpis
    ward = kpis[kpis["role"] == "ward"]
    # Own demand at a ward does not depend on the variant's stock levels or disruption length:
    # replication k of every variant draws the same demand.
    demand = ward.pivot_table(index=["replication", "node", "product"], columns="variant",
                              values="demand", observed=True)
    wards = kpis["role"] == "ward"
    assert (demand.nunique(axis=1) == 1).all()
    assert demand.groupby(level=0).sum().iloc[:, 0].nunique() == 5  # but differs by replication
    # The variants differ where they should: a longer disruption leaves more unmet demand.
    # (Upstream, that is customers' orders not shipped on the day ordered.)
    upstream = kpis[~wards]
    unmet = (upstream["orders"] - upstream["orders_shipped"]).groupby(
        upstream["variant"], observed=True).sum()
    assert unmet["duration_days=20 level=40"] > unmet["duration_days=5 level=40"]
    # Each variant's replications are exactly what sim.run gives for that variant.
    variant = sc.with_overrides({"disruptions.0.duration_days": 20,
                                 "nodes.1.policy.saline.level": 80})
    alone = sim.run(variant, replications=5).kpis
    mine = kpis[kpis["variant"] == "duration_days=20 level=80"].drop(columns="variant")
    pd.testing.assert_frame_equal(mine.reset_index(drop=True).astype(alone.dtypes.to_dict()),
                                  alone, check_exact=True, check_categorical=False)


def test_a_surge_sweep_leaves_the_other_demand_points_demand_unchanged():
    # Surges add demand from their own stream, so the base draws stay common to all variants.
    result = sim.batch(scenario(), sweep={"disruptions.1.factor": [1.5, 3]}, replications=4)
    kpis = result.kpis
    wards = kpis[kpis["role"] == "ward"]
    demand = wards.pivot_table(index=["replication", "node", "product"], columns="variant",
                               values="demand", observed=True)
    others = demand.drop(index="ward_0", level="node")
    assert (others["factor=1.5"] == others["factor=3"]).all()
    surged = demand.xs("ward_0", level="node").groupby(level="replication").sum()
    assert (surged["factor=3"] > surged["factor=1.5"]).all()


def test_summary_is_the_statistics_of_replication_kpis():
    result = sim.batch(scenario(), sweep={"disruptions.0.duration_days": [5, 20]},
                       replications=6)
    reps = result.replication_kpis
    summary = result.summary
    assert set(summary["kpi"]) == {"fill_rate", "order_fill_rate", "unmet", "share_short",
                                   "stockout_days",
                                   "first_stockout_day", "min_days_of_supply", "expired",
                                   "fill_imperative", "fill_urgent", "fill_deferrable",
                                   "unmet_imperative", "unmet_urgent", "unmet_deferrable",
                                   "conserved", "redistributed_in", "redistributed_out",
                                   "released", "emergency_in", "substituted",
                                   "used_expired"}
    row = summary[(summary["variant"] == "duration_days=20") & (summary["role"] == "ward")
                  & (summary["group"] == "ppe") & (summary["kpi"] == "unmet")].iloc[0]
    values = reps[(reps["variant"] == "duration_days=20") & (reps["role"] == "ward")
                  & (reps["group"] == "ppe")]["unmet"]
    assert row["n"] == 6
    assert row["mean"] == pytest.approx(values.mean())
    half = scipy_stats.t.ppf(0.975, 5) * values.std(ddof=1) / np.sqrt(6)
    assert row["ci95_high"] - row["mean"] == pytest.approx(half)
    # Demand points: every node-product with demand of its own (here the three wards).
    points = reps[(reps["role"] == "demand_points")].drop(columns="role")
    wards = reps[(reps["role"] == "ward")].drop(columns="role")
    pd.testing.assert_frame_equal(points.reset_index(drop=True), wards.reset_index(drop=True))


def test_paired_comparison_uses_replication_pairs():
    result = sim.batch(scenario(), sweep={"disruptions.0.duration_days": [5, 20]},
                       replications=8)
    diff = result.compare("duration_days=5")
    reps = result.replication_kpis
    sel = (reps["role"] == "wholesaler") & (reps["group"] == "infusion_fluids")
    a = reps[sel & (reps["variant"] == "duration_days=20")].set_index("replication")["unmet"]
    b = reps[sel & (reps["variant"] == "duration_days=5")].set_index("replication")["unmet"]
    row = diff[(diff["role"] == "wholesaler") & (diff["group"] == "infusion_fluids")
               & (diff["kpi"] == "unmet")].iloc[0]
    assert row["mean_difference"] == pytest.approx((a - b).mean())
    assert row["sd"] == pytest.approx((a - b).std(ddof=1))


def test_aggregated_tables_hold_mean_and_sd_over_replications(tmp_path):
    sc = scenario()
    sweep = {"disruptions.0.duration_days": [5, 20]}
    full = sim.batch(sc, sweep=sweep, replications=7, tables=("kpis", "daily"), daily="node",
                     chunk=3)
    agg = sim.batch(sc, sweep=sweep, replications=7, tables=("kpis", "daily"), daily="node",
                    chunk=3, aggregate=True, out=tmp_path / "agg")
    assert len(agg.kpis) == len(full.kpis) / 7
    expect = full.kpis.groupby(["variant", "node", "product"], observed=True)[
        ["unmet", "fill_rate"]].agg(["mean", "std"])
    got = agg.kpis.set_index(["variant", "node", "product"])
    for kpi in ("unmet", "fill_rate"):
        np.testing.assert_allclose(got[f"{kpi}_mean"], expect[(kpi, "mean")], rtol=1e-12)
        np.testing.assert_allclose(got[f"{kpi}_sd"], expect[(kpi, "std")], rtol=1e-9)
    assert (agg.kpis["replications"] == 7).all()
    daily = full.daily.groupby(["variant", "day", "node", "product"], observed=True)[
        "on_hand"].mean()
    got_daily = agg.daily.set_index(["variant", "day", "node", "product"])["on_hand_mean"]
    np.testing.assert_allclose(got_daily, daily.loc[got_daily.index], rtol=1e-12)
    with pytest.raises(ValueError, match="cannot be aggregated"):
        sim.batch(sc, replications=2, tables=("kpis", "events"), aggregate=True)


def test_folder_layout_manifest_and_refusals(tmp_path):
    sc = scenario()
    out = tmp_path / "b"
    result = sim.batch(sc, sweep={"disruptions.0.duration_days": [5, 20]}, replications=4,
                       out=out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] and manifest["plan"]["seed"] == 11
    assert [v["name"] for v in manifest["plan"]["variants"]] == result.variant_names
    for name in manifest["files"]:
        assert (out / name).exists(), name
    assert not (out / "parts").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    reopened = sim.BatchResult.open(out)
    assert_same_tables(result, reopened)
    with pytest.raises(BatchFolderError, match="already exists"):
        sim.batch(sc, replications=4, out=out)
    with pytest.raises(BatchFolderError, match="different batch"):
        sim.batch(sc, replications=5, sweep={"disruptions.0.duration_days": [5, 20]}, out=out,
                  resume=True)
    # Resuming a finished batch runs nothing and gives the same result.
    again = sim.batch(sc, sweep={"disruptions.0.duration_days": [5, 20]}, replications=4,
                      out=out, resume=True)
    assert_same_tables(result, again)


def test_progress_reports_every_replication():
    calls = []
    sim.batch(scenario(), sweep={"disruptions.0.duration_days": [5, 20]}, replications=5,
              chunk=2, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 10) and calls[-1] == (10, 10)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_a_replication_is_freed_without_waiting_for_the_garbage_collector():
    # A batch task runs replications one after another; each one's arrays must go as soon as
    # its rows are taken, or memory grows with the chunk (it did: SimPy reference cycles).
    import gc
    import weakref

    from sim.engine import run_replication
    from sim.network import network_of

    net = network_of(scenario())
    gc.disable()
    try:
        rep = run_replication(net, 1, 0)
        daily = weakref.ref(rep.daily)
        del rep
        assert daily() is None
    finally:
        gc.enable()


def test_a_folder_in_use_by_a_running_batch_is_refused(tmp_path):
    from sim.batch.store import BatchStore

    sc = scenario()
    out = tmp_path / "b"
    plan, _ = plan_batch(sc, replications=2)
    running = BatchStore(out)
    running.start(plan, resume=False, overwrite=False)  # as a live run holds it
    try:
        with pytest.raises(BatchFolderError, match="still running"):
            sim.batch(sc, replications=2, out=out, resume=True)
    finally:
        running.release()
    done = sim.batch(sc, replications=2, out=out, resume=True)
    assert done.manifest["complete"] and not (out / ".lock").exists()


def test_events_table_assembles_when_the_first_part_has_no_node_events(tmp_path):
    # The first variant is calm (its events are only the disruptions: node and product None),
    # the second runs short; the events table must still come together.
    calm = {"nodes.1.policy.saline.level": 100000, "nodes.1.stock.saline.initial": 100000,
            "nodes.1.policy.gloves.level": 100000, "nodes.1.stock.gloves.initial": 100000}
    for i in range(3):
        calm |= {f"nodes.{2 + i}.policy.saline.level": 1000,
                 f"nodes.{2 + i}.stock.saline.initial": 1000,
                 f"nodes.{2 + i}.policy.gloves.level": 1000,
                 f"nodes.{2 + i}.stock.gloves.initial": 1000}
    variants = [Variant("calm", calm), Variant("tight", {"nodes.1.policy.saline.level": 5})]
    result = sim.batch(scenario(), variants=variants, replications=2, chunk=1,
                       tables=("kpis", "events"), out=tmp_path / "b")
    events = result.events
    assert set(events[events["variant"] == "calm"]["kind"]) <= {
        "disruption_start", "disruption_end"}
    tight = events[events["variant"] == "tight"]
    assert (tight["kind"] == "stockout_start").any()
    assert set(tight["node"].dropna()) >= {"wholesaler"}


def test_plans_from_numpy_and_tuples_resume(tmp_path):
    sc = scenario()
    out = tmp_path / "b"
    sweep = {"disruptions.0.duration_days": np.array([5, 20])}
    first = sim.batch(sc, sweep=sweep, replications=2, out=out)
    again = sim.batch(sc, sweep={"disruptions.0.duration_days": (5, 20)}, replications=2,
                      out=out, resume=True)
    assert first.variant_names == again.variant_names == ["duration_days=5", "duration_days=20"]


def test_a_variant_and_a_sweep_of_the_same_key_is_an_error():
    with pytest.raises(ValueError, match="also swept"):
        plan_batch(scenario(), sweep={"horizon_days": [40, 50]},
                   variants=[Variant("a", {"horizon_days": 45})])


def test_a_cross_field_problem_names_its_variant():
    with pytest.raises(sim.ScenarioError, match="in variant 'horizon_days=5'"):
        plan_batch(scenario(), sweep={"horizon_days": [5, 60]})


def test_overwrite_never_deletes_a_folder_that_is_not_a_batch(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious")
    with pytest.raises(BatchFolderError, match="not a batch folder"):
        sim.batch(scenario(), replications=1, out=mine, overwrite=True)
    with pytest.raises(BatchFolderError, match="not a batch folder"):
        sim.batch(scenario(), replications=1, out=mine, resume=True)
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]
