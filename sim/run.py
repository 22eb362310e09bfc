"""The public entry point for running a scenario: `sim.run`."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sim.engine import run_replication
from sim.network import network_of
from sim.results import (
    Aggregation,
    RunResult,
    care_table,
    countermeasure_table,
    daily_table,
    event_table,
    kpi_table,
    ledger_table,
)
from sim.scenario.schema import Scenario

if TYPE_CHECKING:
    from sim.batch import BatchResult


def run(
    scenario: Scenario,
    seed: int | None = None,
    replications: int = 1,
    daily: Aggregation | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run `replications` independent replications of a scenario and return its tables.

    `seed` defaults to the scenario's own; replication k always uses the k-th child of
    `SeedSequence(seed)`, so results do not depend on how many replications run or where.
    `daily` aggregates the daily table by node (default from the scenario), region or role, or
    drops it ("none") for big runs. `progress(done, total)` is called after each replication.
    """
    if replications < 1:
        raise ValueError("replications must be at least 1")
    seed = scenario.seed if seed is None else int(seed)
    started = time.perf_counter()
    net = network_of(scenario)
    compiled = time.perf_counter()
    reps = []
    for k in range(replications):
        reps.append(run_replication(net, seed, k))
        if progress is not None:
            progress(k + 1, replications)
    simulated = time.perf_counter()
    by = daily or scenario.reporting.daily
    result = RunResult(
        scenario=scenario,
        seed=seed,
        replications=replications,
        kpis=kpi_table(net, reps, scenario.warmup_days),
        daily=daily_table(net, reps, by),
        events=event_table(net, reps),
        ledger=ledger_table(net, reps),
        timings={},
        care=care_table(net, reps),
        countermeasures=countermeasure_table(net, reps),
    )
    result.timings.update(
        compile_s=compiled - started,
        simulate_s=simulated - compiled,
        tables_s=time.perf_counter() - simulated,
    )
    return result


def open_folder(folder: str | Path) -> RunResult | BatchResult:
    """A results folder as a `RunResult` (from `beredskap run`) or `BatchResult` (a batch).

    Exported as `sim.open`.
    """
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{folder} holds no finished run or batch (no manifest.json)")
    if "plan" in json.loads(manifest.read_text(encoding="utf-8")):
        from sim.batch import BatchResult

        return BatchResult.open(folder)
    return RunResult.open(folder)
