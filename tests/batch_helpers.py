"""A small two-echelon scenario for batch tests: fast, stochastic, with a disruption to sweep."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

import sim

SCENARIO = {
    "name": "batch-test",
    "horizon_days": 60,
    "warmup_days": 10,
    "seed": 11,
    "products": {
        "saline": {"name": "Saline 1 l", "group": "infusion_fluids", "unit": "bag"},
        "gloves": {"name": "Gloves", "group": "ppe", "unit": "pair"},
    },
    "nodes": [
        {"id": "maker", "role": "manufacturer", "country": "SE", "region": "uppsala",
         "unlimited": True},
        {"id": "wholesaler", "role": "wholesaler", "country": "SE", "region": "uppsala",
         "stock": {"saline": {"initial": 60}, "gloves": {"initial": 300}},
         "policy": {"saline": {"type": "base_stock", "level": 60},
                    "gloves": {"type": "base_stock", "level": 300}}},
        *[
            {"id": f"ward_{i}", "role": "ward", "country": "SE", "region": "uppsala",
             "stock": {"saline": {"initial": 8}, "gloves": {"initial": 40}},
             "policy": {"saline": {"type": "base_stock", "level": 8},
                        "gloves": {"type": "base_stock", "level": 40}},
             "demand": {"saline": {"mean_per_day": 2.0, "distribution": "poisson"},
                        "gloves": {"mean_per_day": 10.0, "distribution": "poisson"}},
             "unmet_demand": "lost"}
            for i in range(3)
        ],
    ],
    "lanes": [
        {"from": "maker", "to": "wholesaler", "lead_time_days": 4},
        *[{"from": "wholesaler", "to": f"ward_{i}", "lead_time_days": 1} for i in range(3)],
    ],
    "disruptions": [
        {"type": "transport", "name": "Slow roads", "start_day": 20, "duration_days": 10,
         "lanes": {"from_role": ["manufacturer"]}, "lead_time_factor": 3},
        {"type": "demand_surge", "name": "Trauma at ward 0", "start_day": 25,
         "duration_days": 10, "where": {"nodes": ["ward_0"]}, "factor": 2},
    ],
}

GRID = {"disruptions.0.duration_days": [5, 20],
        "nodes.1.policy.saline.level": [40, 80]}


def scenario() -> sim.Scenario:
    return sim.from_dict(SCENARIO)


def write_scenario(folder: Path) -> Path:
    path = folder / "batch_test.yaml"
    path.write_text(yaml.safe_dump(SCENARIO, sort_keys=False), encoding="utf-8")
    return path


def tables(result: sim.BatchResult) -> dict[str, pd.DataFrame]:
    out = {name: result.table(name) for name in
           ("summary", "replication_kpis", "variants", "kpis", "daily", "events", "ledger")}
    return {k: v for k, v in out.items() if not v.empty}


def assert_same_tables(a: sim.BatchResult, b: sim.BatchResult) -> None:
    ta, tb = tables(a), tables(b)
    assert ta.keys() == tb.keys()
    for name in ta:
        pd.testing.assert_frame_equal(ta[name], tb[name], check_exact=True, obj=name)
