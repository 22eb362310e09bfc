"""Where injects come from: a run in memory or a results folder, and which replication to use."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.results import RunResult
from sim.scenario import ScenarioError, from_dict

RUN_FILES: tuple[str, ...] = ("manifest.json", "scenario.resolved.yaml", "kpis.parquet",
                              "events.parquet")
DEMAND_ROLES: tuple[str, ...] = ("ward", "community_pharmacy", "municipal_care")


class ResultsFolderError(ValueError):
    """A folder that is not the results folder of `beredskap run`."""


def read_results(folder: str | Path, tables: tuple[str, ...] = ("kpis", "events")) -> RunResult:
    """A run's results folder (written by `beredskap run`) as a RunResult.

    Only `tables` are read (the daily table of a national run is large and injects do not need
    it); the others are empty.
    """
    folder = Path(folder)
    how = "write one with `beredskap run SCENARIO --out FOLDER`"
    if not folder.exists():
        raise ResultsFolderError(f"{folder}: no such results folder; {how}")
    if not folder.is_dir():
        raise ResultsFolderError(f"{folder} is a file, not a results folder; {how}")
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():
        raise ResultsFolderError(f"{folder} is not a results folder: it has no manifest.json; "
                                 f"{how}")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsFolderError(f"{manifest_file}: unreadable manifest ({exc})") from None
    if not isinstance(manifest, dict):
        raise ResultsFolderError(f"{manifest_file}: not a results manifest")
    if "plan" in manifest or "variants" in manifest:
        raise ResultsFolderError(
            f"{folder} is a batch folder; injects are made from one run: "
            "`beredskap run SCENARIO --out FOLDER` (add --replications N for --typical)")
    needed = [*RUN_FILES[:2], *(f"{t}.parquet" for t in tables)]
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise ResultsFolderError(f"{folder} is not a complete results folder: "
                                 f"{', '.join(missing)} missing; {how}")
    try:
        resolved = yaml.load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"),
                             Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        scenario = from_dict(resolved, name=str(folder / "scenario.resolved.yaml"))
    except (yaml.YAMLError, ScenarioError, TypeError, OSError) as exc:
        raise ResultsFolderError(f"{folder}: its scenario.resolved.yaml cannot be read back: "
                                 f"{exc}") from None
    frames = {}
    for name in ("kpis", "daily", "events", "ledger"):
        frames[name] = pd.read_parquet(folder / f"{name}.parquet") if name in tables else (
            pd.DataFrame())
    return RunResult(
        scenario=scenario,
        seed=int(manifest.get("seed", scenario.seed)),
        replications=int(manifest.get("replications", 1)),
        timings=dict(manifest.get("timings_s", {})),
        **frames,
    )


@dataclass(frozen=True)
class Choice:
    """The replication injects are made from, and why."""

    replication: int
    reason: str
    typical: bool = False


def replications_of(result: RunResult) -> list[int]:
    """The replication numbers present in a result."""
    numbers = set(result.kpis["replication"].unique()) if len(result.kpis) else set()
    if len(result.events):
        numbers |= set(result.events["replication"].unique())
    return sorted(int(k) for k in numbers) or [0]


def outcome_by_replication(kpis: pd.DataFrame) -> pd.Series:
    """Per replication: mean over products of the fill rate at demand points.

    A product's fill rate is its units served on the day asked over units demanded, summed over
    the wards, community pharmacies and municipal care it has demand at (after warm-up). Units
    of different products are never added together.
    """
    points = kpis[kpis["role"].isin(DEMAND_ROLES)]
    sums = points.groupby(["replication", "product"], observed=True)[["served", "demand"]].sum()
    sums = sums[sums["demand"] > 0]
    fill = sums["served"] / sums["demand"]
    return fill.groupby(level="replication").mean()


def choose_replication(result: RunResult, replication: int | None = None,
                       typical: bool = False) -> Choice:
    """The replication asked for, the typical one, or the first."""
    available = replications_of(result)
    if replication is not None and typical:
        raise ValueError("give either a replication or typical, not both")
    if replication is not None:
        if replication not in available:
            raise ValueError(f"replication {replication} is not in this run (replications: "
                             f"{_ranges(available)})")
        return Choice(replication, f"replication {replication}, as asked")
    if not typical:
        more = (f" of {len(available)}; --typical picks the one nearest the median outcome"
                if len(available) > 1 else "")
        return Choice(available[0], f"replication {available[0]}{more}")
    outcome = outcome_by_replication(result.kpis)
    if outcome.empty:
        return Choice(available[0], f"replication {available[0]}: no demand points to compare "
                                    "replications by")
    median = float(np.median(outcome.to_numpy()))
    distance = (outcome - median).abs()
    # Nearest the median; ties go to the lower replication number.
    pick = int(distance.sort_index().idxmin())
    return Choice(pick, (
        f"replication {pick}, the typical one: mean fill rate at demand points "
        f"{outcome[pick]:.2%}, nearest the median {median:.2%} over {len(outcome)} "
        "replications"), typical=True)


def _ranges(numbers: list[int]) -> str:
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}" if len(numbers) == 1 else f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(map(str, numbers))
