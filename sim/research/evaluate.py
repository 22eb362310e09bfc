"""Run candidate settings as batches and read one KPI back, each round in its own batch folder.

A round (the candidates one step of a search looks at) is one `sim.batch` with a variant per
candidate, so its candidates run in parallel on the executor and share the batch's common random
numbers. Its folder name is a hash of what it runs, so a search run again on the same folder
finds the rounds it already did (and `sim.batch` resumes a round that was cut short): since the
search is deterministic, it takes the same steps and only the missing work runs.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.batch import Variant, batch
from sim.research.kpi import per_replication
from sim.research.spec import Kpi
from sim.scenario import Scenario

Progress = Callable[[str, int, int], None]
"""progress(what, done, total): replications finished in the round that runs now."""


class Evaluator:
    """Runs rounds of candidates and returns their per-replication KPI values."""

    def __init__(self, scenario: Scenario, kpi: Kpi, executor: Any = None,
                 folder: Path | None = None, progress: Progress | None = None,
                 label: str = "spec") -> None:
        self.scenario = scenario
        self.kpi = kpi
        self.executor = executor
        self.progress = progress
        self.label = label
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="beredskap-research-")
            folder = Path(self._tmp.name)
        self.rounds = folder / "rounds"
        self.count = 0
        self.replications_run = 0

    def close(self) -> None:
        """Remove the temporary folder, if this evaluator made one."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def run(self, overrides: Sequence[dict[str, Any]], replications: int, seed: int,
            what: str = "round") -> list[pd.Series]:
        """Per-replication KPI values (a Series indexed by replication) for each override set."""
        key = json.dumps([list(overrides), replications, seed], sort_keys=True, default=str)
        digest = hashlib.sha256(key.encode()).hexdigest()[:12]
        folder = self.rounds / f"r{self.count:03d}-{digest}"
        self.count += 1
        variants = [Variant(f"c{i}", dict(o)) for i, o in enumerate(overrides)]

        def progress(done: int, total: int) -> None:
            if self.progress is not None:
                self.progress(what, done, total)

        result = batch(self.scenario, variants=variants, replications=replications, seed=seed,
                       executor=self.executor, out=folder, tables=("kpis",), resume=True,
                       progress=progress, label=lambda v: self.label)
        self.replications_run += replications * len(variants)
        values = per_replication(result.kpis, self.scenario, self.kpi)
        return [values[values["variant"] == v.name].set_index("replication")["value"]
                for v in variants]
