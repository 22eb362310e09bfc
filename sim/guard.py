"""Guards before a run: whether it fits in memory, and whether its results folder is free.

A national scenario over a long horizon with many replications can ask for more memory than
the machine has; the run would then die (or take the machine with it) after minutes. The
estimate here is made before anything is allocated, from the scenario's size alone, and says
what to reduce. The folder lock keeps two live runs from writing one results folder.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

# Bytes per (day, node, product) cell, from peak RSS on the Swedish reference network (323
# nodes, 34 products, 180 days; 1 and 3 replications, writing included), rounded up. Each
# replication keeps its daily arrays until the tables are built (7 int64 and a flag: measured
# 58 B); a node-level daily table adds its rows (measured 122 B: built, concatenated, turned
# into Parquet); region and role tables are sums (3 B). One replication's working state
# (lanes, arrivals, the recorder's shares) comes once. For 3 replications by node: 1.03 GB
# measured, 1.25 GB estimated.
KEEP_PER_CELL = 64
DAILY_PER_CELL = {"node": 124, "region": 8, "role": 8, "none": 0}
WORKING_PER_CELL = 48
FIXED = 64 * 2**20
DEFAULT_SHARE = 0.7
"""Without --max-memory, a run may use this share of the memory available when it starts."""



class RunRefused(ValueError):
    """A run that must not start: too big for the memory, or its folder is in use."""


_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([kmgt]?)i?b?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Estimate:
    """What a run will need, and what it is made of."""

    nodes: int
    products: int
    days: int
    replications: int
    daily: str
    bytes: int

    def describe(self) -> str:
        """'323 nodes x 34 products x 180 days x 3 replications, daily by node'."""
        return (f"{self.nodes:,} nodes x {self.products:,} products x {self.days:,} days x "
                f"{self.replications:,} replication(s), daily table by {self.daily}")


def estimate(scenario: Any, replications: int, daily: str | None = None) -> Estimate:
    """Peak memory of `sim.run` plus writing its folder, from the scenario's size alone."""
    by = daily or scenario.reporting.daily
    cells = len(scenario.nodes) * len(scenario.products) * scenario.horizon_days
    need = cells * (replications * (KEEP_PER_CELL + DAILY_PER_CELL[by]) + WORKING_PER_CELL)
    return Estimate(len(scenario.nodes), len(scenario.products), scenario.horizon_days,
                    replications, by, int(need + FIXED))


def available_memory() -> int | None:
    """Bytes of memory available now (Linux MemAvailable, else free pages), None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def parse_size(text: str) -> int:
    """'4G', '512MB', '1.5 GiB', '2000000' -> bytes; ValueError if not a size."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise RunRefused(f"--max-memory '{text}': expected a size such as 4G, 512M or 2GB")
    unit = " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * 1024**unit)


def human(size: float) -> str:
    """Bytes as '1.2 GB' (binary units, as memory is counted)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def check_memory(scenario: Any, replications: int, daily: str | None,
                 limit: int | None = None) -> Estimate:
    """The estimate, or RunRefused saying what to reduce when it is over `limit`.

    `limit` defaults to `DEFAULT_SHARE` of the memory available now (no check when that is
    unknown).
    """
    need = estimate(scenario, replications, daily)
    if limit is None:
        free = available_memory()
        if free is None:
            return need
        limit = int(free * DEFAULT_SHARE)
        whose = f"{DEFAULT_SHARE:.0%} of the {human(free)} available"
    else:
        whose = "--max-memory"
    if need.bytes <= limit:
        return need
    raise RunRefused(
        f"this run would need about {human(need.bytes)} ({need.describe()}); the limit is "
        f"{human(limit)} ({whose}). Reduce it: {_advice(scenario, need, limit)}; or raise "
        "the limit with --max-memory")


def _advice(scenario: Any, need: Estimate, limit: int) -> str:
    out = []
    fits_alone = False  # whether one of the steps listed is enough by itself
    cells = need.nodes * need.products * need.days
    if need.daily == "node":
        for by in ("region", "none"):
            smaller = estimate(scenario, need.replications, by).bytes
            out.append(f"--daily {by} ({human(smaller)})")
            fits_alone |= smaller <= limit
    if need.replications > 1:
        per_rep = cells * (KEEP_PER_CELL + DAILY_PER_CELL[need.daily])
        fits = max(0, int((limit - FIXED - cells * WORKING_PER_CELL) // max(1, per_rep)))
        if fits >= 1:
            fits_alone = True
            out.append(f"at most {fits} replication(s) per run (--replications), or "
                       "`beredskap batch`, which writes each replication as it finishes")
        else:
            out.append("fewer replications (`beredskap batch` writes each as it finishes)")
    per_day = need.bytes / need.days
    days = int((limit - FIXED) // max(1.0, per_day))
    if days >= 1:
        fits_alone = True
        out.append(f"fewer days (--set horizon_days={min(days, need.days - 1)})")
    if out and not fits_alone:
        return (", ".join(out) + " (none of these fits on its own: combine them, or use a "
                "smaller network)")
    return ", ".join(out) or "a smaller network"


class FolderBusyError(RunRefused):
    """Another live run is writing the results folder."""


class FolderLock:
    """An OS lock on a results folder for as long as a run writes it.

    The lock file sits beside the folder (`.<name>.lock`), since a run builds its folder under
    a temporary name and renames it at the end; a killed run releases the lock with its
    process. A batch folder being written (its own `.lock`, see sim/batch/store.py) is refused
    too.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.file = self.folder.parent / f".{self.folder.name}.lock"
        self._handles: list[TextIO] = []

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the folder, or raise FolderBusyError naming it."""
        if sys.platform == "win32":  # no fcntl; two runs at once are on the user there
            return
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            self._take(self.file, "a run that is still writing it")
            batch_lock = self.folder / ".lock"
            if batch_lock.exists():
                self._take(batch_lock, "a batch that is still running")
        except OSError as exc:
            self.release()
            raise RunRefused(f"cannot write in {self.folder.parent}: "
                             f"{exc.strerror or exc}") from None

    def _take(self, path: Path, who: str) -> None:
        import fcntl

        handle = open(path, "a+")  # held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            self.release()
            raise FolderBusyError(
                f"{self.folder} is in use by {who}; wait for it to finish, or choose "
                "another --out") from None
        self._handles.append(handle)

    def release(self) -> None:
        """Let go of the folder (the lock file beside it is removed)."""
        for handle in self._handles:
            if handle.name == str(self.file):
                Path(handle.name).unlink(missing_ok=True)
            handle.close()
        self._handles.clear()


def before_run(scenario: Any, folder: str | Path, replications: int, daily: str | None,
               max_memory: str | None = None) -> FolderLock:
    """Check the memory estimate, then lock `folder`; RunRefused says why a run cannot start.

    `max_memory` is a size such as '4G' (default: a share of what is available). The caller
    releases the returned lock when the folder is written.
    """
    check_memory(scenario, replications, daily, parse_size(max_memory) if max_memory else None)
    lock = FolderLock(folder)
    lock.acquire()
    return lock
