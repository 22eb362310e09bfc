"""Care in batches: the care table per replication, its totals and their confidence intervals."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

import sim
from sim.batch import Variant
from sim.results import CARE_COLUMNS
from tests.batch_helpers import scenario as plain_scenario

CARE = {
    "name": "care-batch", "horizon_days": 60, "warmup_days": 10, "seed": 3,
    "products": {"ringer": {"name": "Ringer", "group": "infusion_fluids"},
                 "gloves": {"name": "Gloves", "group": "ppe"}},
    "nodes": [
        {"id": "src", "role": "manufacturer", "country": "SE", "region": "x", "unlimited": True},
        *[{"id": f"w{i}", "role": "ward", "country": "SE", "region": "x",
           "scale": {"beds": 10 * (i + 1)}, "unmet_demand": "lost",
           "policy": {"ringer": {"type": "base_stock", "level": 40 * (i + 1)},
                      "gloves": {"type": "base_stock", "level": 400 * (i + 1)}},
           "stock": {"ringer": {"initial": 40 * (i + 1)}, "gloves": {"initial": 400 * (i + 1)}}}
          for i in range(2)],
    ],
    "lanes": [{"from": "src", "to": f"w{i}", "lead_time_days": 2} for i in range(2)],
    "care": {
        "categories": {
            "surgery_planned": {"length_of_stay_days": 2, "priority": "deferrable",
                                "staff_shifts_per_patient_day": 2},
            "trauma": {"length_of_stay_days": {"distribution": "uniform", "low": 1, "high": 5},
                       "priority": "imperative", "staff_shifts_per_patient_day": 4}},
        # The trauma norm refines the first one with all its fields (see the last test).
        "norms": [{"category": "all", "product": "ringer", "per_patient_day": 1},
                  {"category": "trauma", "product": "ringer", "per_patient_day": 1,
                   "per_admission": 2},
                  {"category": "all", "product": "gloves", "per_staff_shift": 5}],
        "admissions": [{"category": "surgery_planned", "mean_per_day": 0.3, "per": "beds"},
                       {"category": "trauma", "mean_per_day": 0.1, "per": "beds"}]},
    # Ward stock of ringer at about 2 days of normal use: the rule starts and ends in the run.
    "rationing": [{"name": "fluids", "match": {"role": "ward", "product": "ringer"},
                   "below_days": 1.5, "release_above_days": 2.5, "defer": ["deferrable"],
                   "cancel_after_days": 2}],
    "disruptions": [{"type": "demand_surge", "name": "Trauma", "start_day": 20,
                     "duration_days": 20, "where": {"roles": ["ward"]},
                     "categories": ["trauma"], "factor": 3}],
}
WITH_AND_WITHOUT = [Variant("with rationing", {}), Variant("without", {"rationing": []})]


def care_scenario() -> sim.Scenario:
    return sim.from_dict(CARE)


@pytest.fixture(scope="module")
def result() -> sim.BatchResult:
    return sim.batch(care_scenario(), variants=WITH_AND_WITHOUT, replications=5, chunk=2)


def test_the_care_table_of_a_batch_is_that_of_sim_run(result):
    for name, overrides in (("with rationing", {}), ("without", {"rationing": []})):
        data = {**CARE, **overrides}
        run = sim.run(sim.from_dict(data), replications=5).care
        mine = result.care[result.care["variant"] == name].drop(columns="variant")
        pd.testing.assert_frame_equal(mine.reset_index(drop=True), run.reset_index(drop=True),
                                      check_categorical=False)
    rationed = result.care[result.care["variant"] == "with rationing"]
    assert rationed["deferred_admissions"].sum() > 0
    assert rationed["cancelled_admissions"].sum() > 0


def test_care_totals_and_their_confidence_intervals(result):
    care, reps, summary = result.care, result.replication_care, result.care_summary
    totals = care.groupby(["variant", "replication", "category"], observed=True)[
        list(CARE_COLUMNS)].sum()
    mine = reps.set_index(["variant", "replication", "category"])[list(CARE_COLUMNS)]
    assert (mine.sort_index() == totals.sort_index()).all().all()
    assert set(summary["kpi"]) == set(CARE_COLUMNS)
    row = summary[(summary["variant"] == "with rationing") & (summary["category"] ==
                  "surgery_planned") & (summary["kpi"] == "cancelled_admissions")].iloc[0]
    values = reps[(reps["variant"] == "with rationing")
                  & (reps["category"] == "surgery_planned")]["cancelled_admissions"]
    assert row["n"] == 5 and row["role"] == "ward"
    assert row["mean"] == pytest.approx(values.mean())
    half = scipy_stats.t.ppf(0.975, 4) * values.std(ddof=1) / np.sqrt(5)
    assert row["ci95_high"] - row["mean"] == pytest.approx(half)


def test_imperative_fill_in_the_summary_is_served_over_asked_care(result):
    # Pooled over the node-products of a group: with one care product per group, the units
    # asked and served on the day come from the KPI table's fill and unmet by priority.
    summary, kpis = result.summary, result.kpis
    wards = kpis[(kpis["variant"] == "without") & (kpis["product"] == "ringer")]
    unmet = wards.groupby("replication")["unmet_imperative"].sum()
    asked = (wards["unmet_imperative"] / (1 - wards["fill_imperative"])).groupby(
        wards["replication"]).sum()
    assert (unmet > 0).all()  # short at times, so fill < 1 and asked is known from it
    fill = result.replication_kpis
    fill = fill[(fill["variant"] == "without") & (fill["role"] == "ward")
                & (fill["group"] == "infusion_fluids")].set_index("replication")
    np.testing.assert_allclose(fill["fill_imperative"], 1 - unmet / asked, rtol=1e-9)
    row = summary[(summary["variant"] == "without") & (summary["role"] == "ward")
                  & (summary["group"] == "infusion_fluids")
                  & (summary["kpi"] == "fill_imperative")].iloc[0]
    assert row["mean"] == pytest.approx(fill["fill_imperative"].mean())
    # Plain demand only (PPE here is care too): no deferrable care at all would be NaN.
    assert summary[summary["kpi"] == "fill_urgent"]["n"].eq(0).all()


def test_paired_care_differences(result):
    diff = result.compare_care("without")
    reps = result.replication_care
    sel = reps["category"] == "surgery_planned"
    a = reps[sel & (reps["variant"] == "with rationing")].set_index("replication")
    b = reps[sel & (reps["variant"] == "without")].set_index("replication")
    row = diff[(diff["category"] == "surgery_planned")
               & (diff["kpi"] == "admissions")].iloc[0]
    assert row["mean_difference"] == pytest.approx((a["admissions"] - b["admissions"]).mean())
    assert row["mean_difference"] < 0  # rationing deferred and cancelled planned operations


def test_aggregated_care_holds_mean_and_sd_and_the_folder_its_files(tmp_path):
    sc = care_scenario()
    full = sim.batch(sc, replications=5, chunk=2)
    agg = sim.batch(sc, replications=5, chunk=2, aggregate=True, out=tmp_path / "agg")
    expect = full.care.groupby(["node", "category"], observed=True)[
        list(CARE_COLUMNS)].agg(["mean", "std"])
    got = agg.care.set_index(["node", "category"])
    for name in CARE_COLUMNS:
        np.testing.assert_allclose(got[f"{name}_mean"], expect[(name, "mean")], rtol=1e-12)
        np.testing.assert_allclose(got[f"{name}_sd"], expect[(name, "std")], rtol=1e-9)
    manifest = json.loads((tmp_path / "agg" / "manifest.json").read_text())
    for name in ("care.parquet", "replication_care.parquet", "care_summary.csv",
                 "care_summary.parquet"):
        assert name in manifest["files"] and (tmp_path / "agg" / name).exists()
    reopened = sim.BatchResult.open(tmp_path / "agg")
    pd.testing.assert_frame_equal(reopened.care_summary, agg.care_summary)
    pd.testing.assert_frame_equal(reopened.replication_care, full.replication_care)


def test_a_batch_without_care_has_no_care_tables(tmp_path):
    out = tmp_path / "plain"
    b = sim.batch(plain_scenario(), replications=2, out=out)
    assert b.care.empty and b.care_summary.empty and b.replication_care.empty
    assert not (out / "care.parquet").exists()
    assert b.compare_care(b.variant_names[0]).empty


def test_a_norm_giving_one_field_refines_the_same_way_in_a_batch():
    data = {**CARE, "rationing": [], "disruptions": []}
    data["care"] = {**CARE["care"], "norms": [
        {"category": "all", "product": "ringer", "per_patient_day": 1},
        {"category": "trauma", "product": "ringer", "per_admission": 2}]}
    sc = sim.from_dict(data)
    run = sim.run(sc, replications=1).kpis
    batch = sim.batch(sc, replications=1).kpis.drop(columns="variant")
    assert run["demand"].tolist() == batch["demand"].tolist()
