"""`sim.batch`: run variants x replications on any executor, streaming parts to disk."""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import hashlib
import json
import math
import platform
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.batch.result import BatchResult
from sim.batch.stats import describe
from sim.batch.store import BatchStore
from sim.batch.tasks import SUMMARY_KPIS, TABLES, TaskOutput, TaskSpec, run_task
from sim.batch.variants import Variant, check_grid_size, grid, resolve
from sim.kpis import KPI_COLUMNS
from sim.results import CARE_COLUMNS
from sim.scenario import Scenario

DAILY_LEVELS = ("node", "region", "role")
Progress = Callable[[int, int], None]


def default_chunk(replications: int) -> int:
    """Replications per task: enough tasks to balance load, few enough to keep overhead low.

    It depends only on the batch, never on the number of workers, so a batch splits into the
    same tasks on every executor.
    """
    return max(1, min(10, math.ceil(replications / 8)))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _check_options(tables: Sequence[str], daily: str, aggregate: bool, replications: int,
                   chunk: int) -> None:
    unknown = [t for t in tables if t not in TABLES]
    if unknown:
        raise ValueError(f"unknown table(s) {', '.join(unknown)}; choose from {', '.join(TABLES)}")
    if daily not in DAILY_LEVELS:
        raise ValueError(f"daily '{daily}': expected one of {', '.join(DAILY_LEVELS)}")
    if aggregate and {"events", "ledger"} & set(tables):
        raise ValueError("events and ledger cannot be aggregated over replications; "
                         "keep them only without aggregation")
    if replications < 1:
        raise ValueError("replications must be at least 1")
    if chunk < 1:
        raise ValueError("chunk must be at least 1")


def plan_batch(
    scenario: Scenario,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    variants: Sequence[Variant] | None = None,
    replications: int = 1,
    seed: int | None = None,
    tables: Sequence[str] = ("kpis",),
    daily: str | None = None,
    aggregate: bool = False,
    chunk: int | None = None,
    label: Callable[[Variant], str] = lambda v: "--sweep",
) -> tuple[dict[str, Any], list[TaskSpec]]:
    """Validate every variant and split the batch into tasks; nothing runs yet.

    Raises `ScenarioError` (every problem in every variant) or `ValueError` (bad options).
    """
    daily = daily or (scenario.reporting.daily if scenario.reporting.daily != "none" else "role")
    chunk = default_chunk(replications) if chunk is None else chunk
    tables = ("kpis", *tables)  # the kpis table is always kept
    _check_options(tables, daily, aggregate, replications, chunk)
    tables = tuple(t for t in TABLES if t in set(tables))
    # Plain JSON values from here on (numpy numbers, tuples): the plan is compared with the one
    # read back from disk when resuming, and the overrides go into validation as written.
    sweep = _plain(dict(sweep or {}))
    variants = [Variant(v.name, _plain(v.overrides)) for v in variants or []]
    seed = scenario.seed if seed is None else int(seed)
    check_grid_size(sweep, len(variants), replications)
    chosen = grid(sweep, variants)
    scenarios = resolve(scenario, chosen, label)
    specs: list[TaskSpec] = []
    described = []
    for v, (variant, sc) in enumerate(zip(chosen, scenarios, strict=True)):
        # Key order matters: products and nodes are indexed in the order they are written.
        text = json.dumps(sc.resolved(), separators=(",", ":"))
        digest = _hash(text)
        described.append({"name": variant.name, "overrides": variant.overrides,
                          "scenario_hash": digest})
        for first in range(0, replications, chunk):
            specs.append(TaskSpec(
                variant=v, first=first, count=min(chunk, replications - first), seed=seed,
                scenario_json=text, scenario_hash=digest, tables=tables, daily=daily,
                aggregate=aggregate,
            ))
    plan = {
        "format": 1,
        "scenario": scenario.name,
        "source": getattr(scenario.source, "file", None),
        "seed": seed,
        "replications": replications,
        "chunk": chunk,
        "tables": list(tables),
        "daily": daily if "daily" in tables else None,
        "aggregate": aggregate,
        "sweep": {k: list(v) for k, v in (sweep or {}).items()},
        "variants": described,
        "tasks": len(specs),
    }
    return plan, specs


def exit_with_parent(parent: int) -> None:
    """Worker initializer: leave when the client process is gone.

    A client killed with SIGKILL cannot shut its pool down, and the workers would wait on
    their task queue for ever; a watcher thread ends them instead.
    """
    import os
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _plain(data: Any) -> Any:
    """Data as it reads back from JSON: lists for tuples and arrays, Python numbers."""

    def default(value: Any) -> Any:
        if isinstance(value, (np.ndarray, np.generic)):
            return value.tolist()
        raise TypeError(f"cannot use {type(value).__name__} as a scenario value")

    try:
        return json.loads(json.dumps(data, default=default))
    except TypeError as exc:
        raise ValueError(str(exc)) from None


def _as_executor(executor: Any) -> cf.Executor | None:
    """A concurrent.futures executor from what the user gave (a Dask client is asked for one)."""
    if executor is None or isinstance(executor, cf.Executor):
        return executor
    if hasattr(executor, "get_executor"):  # a distributed.Client
        # pure=False: every task runs; retries: a task lost with its worker is run again.
        return executor.get_executor(pure=False, retries=3)
    raise TypeError(f"executor must be a concurrent.futures.Executor or a Dask client, "
                    f"not {type(executor).__name__}")


def _max_workers(executor: cf.Executor | None) -> int:
    if executor is None:
        return 1
    workers = getattr(executor, "_max_workers", None)
    if workers:
        return int(workers)
    client = getattr(executor, "_client", None)
    if client is not None:
        try:
            return max(1, sum(client.nthreads().values()))
        except Exception:  # a cluster that cannot say still runs tasks
            return 2
    return 2


def execute(specs: Iterable[TaskSpec], executor: cf.Executor | None,
            on_done: Callable[[TaskOutput], None], in_flight: int) -> None:
    """Run tasks, handing each output to `on_done` as it finishes (in the caller's thread).

    At most `in_flight` tasks are submitted at once, so memory does not grow with the batch.
    """
    todo = iter(specs)
    if executor is None:
        for spec in todo:
            on_done(run_task(spec))
        return
    pending: set[cf.Future] = set()
    try:
        for spec in todo:
            pending.add(executor.submit(run_task, spec))
            if len(pending) >= in_flight:
                break
        while pending:
            finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                on_done(future.result())
                nxt = next(todo, None)
                if nxt is not None:
                    pending.add(executor.submit(run_task, nxt))
    finally:
        for future in pending:
            future.cancel()


def batch(
    scenario: Scenario,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    variants: Sequence[Variant] | None = None,
    replications: int = 1,
    seed: int | None = None,
    executor: Any = None,
    out: str | Path | None = None,
    tables: Sequence[str] = ("kpis",),
    daily: str | None = None,
    aggregate: bool = False,
    chunk: int | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: Progress | None = None,
    label: Callable[[Variant], str] = lambda v: "--sweep",
) -> BatchResult:
    """Run every variant of `scenario` for `replications` replications; return a `BatchResult`.

    - `sweep`: `{"dotted.path": [values]}`; the grid of all combinations, crossed with
      `variants` (named override sets) when both are given.
    - `seed`: one seed for the batch (default: the scenario's). Replication k of every variant
      uses the same child seed, `SeedSequence(seed, spawn_key=(k, ...))`: common random numbers,
      so variants differ by their overrides, not by noise.
    - `executor`: None runs here, serially; any `concurrent.futures.Executor` (a
      `ProcessPoolExecutor`, a Dask client's `get_executor()`) or a `distributed.Client`.
      Results are identical on all of them.
    - `out`: the batch folder. Each finished task is written there at once as a part; with
      `resume=True` an interrupted batch runs only its missing tasks. Without `out` the batch
      runs in a temporary folder and the result holds its tables in memory.
    - `tables`: which of kpis, daily, events, ledger to keep per replication; `daily` is its
      level (node, region, role); `aggregate=True` keeps kpis and daily as mean and sd over
      replications instead, so a big batch stays small.
    - `chunk`: replications per task (default from `replications` alone, never from workers).
    - `progress(done, total)`: replications finished so far.
    - `label(variant)`: how error messages name where a variant's overrides came from.
    """
    plan, specs = plan_batch(scenario, sweep, variants, replications, seed, tables, daily,
                             aggregate, chunk, label)
    if out is None:
        with tempfile.TemporaryDirectory(prefix="beredskap-batch-") as tmp:
            result = _run(plan, specs, Path(tmp) / "batch", executor, False, False, progress,
                          scenario)
            result.load()
            result.folder = None
            return result
    return _run(plan, specs, Path(out), executor, resume, overwrite, progress, scenario)


def _run(plan: dict[str, Any], specs: list[TaskSpec], folder: Path, executor: Any,
         resume: bool, overwrite: bool, progress: Progress | None,
         scenario: Scenario | None = None) -> BatchResult:
    store = BatchStore(folder)
    store.start(plan, resume, overwrite)
    if scenario is not None:
        # The scenario the variants' overrides apply to, as run (--set overrides included),
        # so a report can describe the batch after the source file changed or was given
        # overrides on the command line.
        store.keep_scenario(json.dumps(scenario.resolved(), separators=(",", ":")))
    try:
        if store.complete():
            if progress is not None:  # nothing left to run: all of it is done
                total = plan["replications"] * len(plan["variants"])
                progress(total, total)
            return BatchResult.open(folder)
        return _execute_and_assemble(plan, specs, store, executor, progress)
    finally:
        store.release()


def _execute_and_assemble(plan: dict[str, Any], specs: list[TaskSpec], store: BatchStore,
                          executor: Any, progress: Progress | None) -> BatchResult:
    from sim import __version__

    folder = store.folder
    started = time.perf_counter()
    done = store.done()
    todo = [s for s in specs if s.task_id not in done]
    total = plan["replications"] * len(plan["variants"])
    count = {"done": total - sum(s.count for s in todo), "seconds": 0.0}
    reps_of = {s.task_id: s.count for s in specs}
    if progress is not None:
        progress(count["done"], total)

    def on_done(output: TaskOutput) -> None:
        store.write(output)
        count["done"] += reps_of[output.task_id]
        count["seconds"] += output.seconds
        if progress is not None:
            progress(count["done"], total)

    pool = _as_executor(executor)
    workers = _max_workers(pool)
    execute(todo, pool, on_done, in_flight=2 * workers)
    simulated = time.perf_counter()

    task_ids = [s.task_id for s in specs]
    names = [v["name"] for v in plan["variants"]]
    rows: dict[str, int] = {}
    files: list[str] = []
    for name in plan["tables"]:
        if plan["aggregate"] and name in ("kpis", "daily"):
            by_variant = [[s.task_id for s in specs if s.variant == v] for v in range(len(names))]
            nan_counts = (["fill_rate", "first_stockout_day", "min_days_of_supply"]
                          if name == "kpis" else [])
            rows[name] = store.assemble_moments(name, by_variant, names, plan["replications"],
                                                nan_counts)
        else:
            rows[name] = store.assemble(name, task_ids, names)
        files.append(f"{name}.parquet")
    rep_kpis = store.replication_kpis(task_ids, names)
    files += store.write_table("replication_kpis", rep_kpis, csv=False)
    variants = variant_table(plan)
    files += store.write_table("variants", variants)
    summary = describe(rep_kpis, ["variant", "role", "group"], SUMMARY_KPIS)
    files += store.write_table("summary", summary)
    rows.update(replication_kpis=len(rep_kpis), summary=len(summary), variants=len(variants))
    files += _assemble_care(plan, specs, store, names, rows)
    files += _assemble_countermeasures(specs, store, names, rows)
    info = store.task_info(task_ids)
    task_seconds = float(sum(i["seconds"] for i in info))
    wall = time.perf_counter() - started
    manifest = {
        "plan": plan,
        "complete": True,
        "seeds": "replication k of every variant, purpose j (0 demand, 1 lead times, "
                 "2 disruption timing): numpy SeedSequence(seed, spawn_key=(k, j))",
        "package_version": __version__,
        "versions": _versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "executor": type(pool).__name__ if pool is not None else "serial",
        "workers": workers,
        "timings_s": {
            "wall_this_run": round(wall, 3),
            "simulate_this_run": round(simulated - started, 3),
            "tables": round(time.perf_counter() - simulated, 3),
            "task_total": round(task_seconds, 3),
            "task_this_run": round(count["seconds"], 3),
        },
        "tasks_run_here": len(todo),
        "processes": sorted({f"{i['host']}:{i['pid']}" for i in info}),
        "kpi_columns": list(KPI_COLUMNS),
        "rows": rows,
        "files": ["manifest.json", "plan.json", *files],
    }
    store.finish(manifest)
    return BatchResult(folder, manifest)


def _assemble_care(plan: dict[str, Any], specs: list[TaskSpec], store: BatchStore,
                   names: list[str], rows: dict[str, int]) -> list[str]:
    """The care tables, when any variant has care demand; return their file names.

    `care` per variant, replication, node and category (mean and sd over replications when
    aggregated); `replication_care` the totals per replication, role and category; and
    `care_summary` their mean, sd and 95 % interval over replications.
    """
    with_care = store.having("care", [s.task_id for s in specs])
    if not with_care:
        return []
    if plan["aggregate"]:
        by_variant = [[s.task_id for s in specs if s.variant == v and s.task_id in with_care]
                      for v in range(len(names))]
        rows["care"] = store.assemble_moments("care", by_variant, names, plan["replications"],
                                              [])
    else:
        rows["care"] = store.assemble("care", with_care, names)
    rep_care = store.small_table("rep_care", with_care, names)
    files = ["care.parquet", *store.write_table("replication_care", rep_care, csv=False)]
    care_summary = describe(rep_care, ["variant", "role", "category"], CARE_COLUMNS)
    files += store.write_table("care_summary", care_summary)
    rows.update(replication_care=len(rep_care), care_summary=len(care_summary))
    return files


def _assemble_countermeasures(specs: list[TaskSpec], store: BatchStore, names: list[str],
                              rows: dict[str, int]) -> list[str]:
    """The countermeasures tables, when any variant has countermeasures; their file names.

    `replication_countermeasures`: per variant, replication and countermeasure the day it was
    triggered, its first active day, days active and units; `countermeasure_summary`: their
    mean, sd and 95 % interval over the replications (days over those where it happened).
    """
    having = store.having("rep_countermeasures", [s.task_id for s in specs])
    if not having:
        return []
    table = store.small_table("rep_countermeasures", having, names)
    files = store.write_table("replication_countermeasures", table, csv=False)
    summary = describe(table.assign(started=table["first_day"].notna().astype(float)),
                       ["variant", "name", "type"],
                       ["started", "triggered_day", "first_day", "days_active", "units"])
    files += store.write_table("countermeasure_summary", summary)
    rows.update(replication_countermeasures=len(table), countermeasure_summary=len(summary))
    return files


def _versions() -> dict[str, str]:
    """Versions of what produced the numbers."""
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("numpy", "pandas", "simpy", "pyarrow", "pydantic", "distributed"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            continue
    return out


def variant_table(plan: dict[str, Any]) -> pd.DataFrame:
    """One row per variant: its name and the value of each override (as JSON text)."""
    paths = list(dict.fromkeys(k for v in plan["variants"] for k in v["overrides"]))
    rows = []
    for v in plan["variants"]:
        row = {"variant": v["name"]}
        for path in paths:
            value = v["overrides"].get(path)
            row[path] = None if value is None else json.dumps(value)
        rows.append(row)
    return pd.DataFrame(rows, columns=["variant", *paths])
