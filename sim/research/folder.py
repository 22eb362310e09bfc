"""The sizing folder: the spec it ran, a batch folder per round, the trials, the result, a plot.

```
sizing.json     what was asked (spec without the scenario, scenario name and hash, seed)
rounds/         one batch folder per round of candidates (resumable, see docs/batch.md)
trials.csv      one row per candidate evaluation
result.json     the winner, its KPI and bounds, cost, feasible or not
kpi_cost.png    KPI against cost for every candidate
```
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sim.export.atomic import atomic_write

SPEC = "sizing.json"
RESULT = "result.json"


class SizingFolderError(ValueError):
    """A folder that cannot be used for this sizing (exists, or holds something else)."""


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class SizingFolder:
    """Creates, checks and completes one sizing folder."""

    def __init__(self, path: Path, spec_name: str = SPEC, kind: str = "sizing") -> None:
        self.path = path
        self.spec_name = spec_name
        self.kind = kind

    def start(self, record: dict[str, Any], resume: bool, overwrite: bool) -> None:
        """Make the folder for `record`, or check that an existing one ran the same search."""
        spec_file = self.path / self.spec_name
        if self.path.exists() and not self.path.is_dir():
            raise SizingFolderError(f"{self.path} is a file; --out needs a folder")
        if self.path.exists() and any(self.path.iterdir()):
            if not spec_file.exists():
                # Never delete what is not ours, even with --overwrite.
                raise SizingFolderError(f"{self.path} exists and is not a {self.kind} folder; "
                                        "choose another --out (nothing in it was touched)")
            if resume:
                old = json.loads(spec_file.read_text(encoding="utf-8"))
                differ = [k for k in record if old.get(k) != record[k]]
                if "scenario_hash" in differ and "scenario_hash" not in old:
                    differ.remove("scenario_hash")  # a folder from before the hash was kept
                if differ == ["scenario_hash"]:
                    raise SizingFolderError(
                        f"{self.path} ran on another version of scenario "
                        f"'{record.get('scenario')}' (the scenario has been edited since, or "
                        "its --set/set changed): --overwrite to start again, or choose another "
                        "--out")
                if differ:
                    raise SizingFolderError(
                        f"{self.path} holds another {self.kind} ({', '.join(differ)} differ); "
                        "choose another --out, or --overwrite")
                return
            if not overwrite:
                raise SizingFolderError(f"{self.path} already exists; add --resume to finish "
                                        "it, --overwrite to start again")
            shutil.rmtree(self.path)
        self.path.mkdir(parents=True, exist_ok=True)
        _write_text(spec_file, json.dumps(record, indent=2, default=str))

    def finish(self, record: dict[str, Any], result: Any) -> None:
        """Write the trials, the result and the plot."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from sim import __version__
        from sim.export.cells import to_csv

        atomic_write(self.path / "trials.csv", lambda tmp: to_csv(result.trials, tmp))
        summary = {
            **record, "package_version": __version__, "method": result.method,
            "feasible": result.feasible, "best": result.best, "settings": result.settings,
            "kpi": result.kpi, "lower": result.lower, "upper": result.upper,
            "cost": result.cost, "target": result.target,
            "candidates": int((result.trials["phase"] != "confirm").sum()),
            "replications_run": result.replications_run,
        }
        fig = result.plot()
        try:
            atomic_write(self.path / "kpi_cost.png",
                         lambda tmp: fig.savefig(tmp, format="png", dpi=110,
                                                 bbox_inches="tight"))
        finally:
            plt.close(fig)
        _write_text(self.path / RESULT, json.dumps(summary, indent=2, default=str))
