"""Write a run's results folder atomically: build it under a temporary name, then rename.

A crash never leaves a half-written folder under the final name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import platform
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.export.cells import to_csv
from sim.results import RunResult

TABLES: tuple[str, ...] = ("kpis", "daily", "events", "ledger")


class ResultsExistError(FileExistsError):
    """The output folder exists and overwriting was not asked for."""


def scenario_hash(resolved: dict[str, Any]) -> str:
    """SHA-256 of the resolved scenario in canonical JSON."""
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def default_out_dir(scenario_name: str, root: str | Path = "results") -> Path:
    """`results/<scenario>-<timestamp>/`."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in scenario_name)
    return Path(root) / f"{safe}-{stamp}"


def write_results(
    result: RunResult,
    out: str | Path,
    csv: bool = False,
    overwrite: bool = False,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write manifest, resolved scenario and tables to `out`; return the folder."""
    from sim import __version__

    out = Path(out)
    if out.exists() and not overwrite:
        raise ResultsExistError(f"{out} already exists; choose another --out or --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        resolved = result.scenario.resolved()
        (tmp / "scenario.resolved.yaml").write_text(
            yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
        files = ["manifest.json", "scenario.resolved.yaml"]
        for name in TABLES:
            table: pd.DataFrame = getattr(result, name)
            table.to_parquet(tmp / f"{name}.parquet", index=False)
            files.append(f"{name}.parquet")
            if csv:
                to_csv(table, tmp / f"{name}.csv")  # text cells never formulas
                files.append(f"{name}.csv")
        # Only scenarios with care demand, or countermeasures, have these.
        for optional in ("care", "countermeasures"):
            table = getattr(result, optional)
            if len(table):
                table.to_parquet(tmp / f"{optional}.parquet", index=False)
                files.append(f"{optional}.parquet")
                if csv:
                    to_csv(table, tmp / f"{optional}.csv")
                    files.append(f"{optional}.csv")
        manifest = {
            "scenario": result.scenario.name,
            "scenario_hash": scenario_hash(resolved),
            "source": getattr(result.scenario.source, "file", None),
            "seed": result.seed,
            "replications": result.replications,
            "horizon_days": result.scenario.horizon_days,
            "warmup_days": result.scenario.warmup_days,
            "package_version": __version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "wall_time_s": round(sum(result.timings.values()), 4),
            "timings_s": {k: round(v, 4) for k, v in result.timings.items()},
            "rows": {name: len(getattr(result, name)) for name in TABLES},
            "files": files,
            **(extra or {}),
        }
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        os.chmod(tmp, 0o755)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
