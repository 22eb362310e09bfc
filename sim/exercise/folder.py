"""The exercise folder: its state, the decision log and what players and controllers read.

```
exercise.json        the state: scenario name and hash, seed, language, start, compress, step,
                     the current day and the decision points so far (written last: the commit)
scenario.yaml        the scenario as resolved when the exercise started, without decisions
decisions.yaml       the decision log: each decision with its day and exercise time stamps
run/                 the run of the days so far, decisions in force (a `beredskap run` folder)
injects.parquet      the injects delivered so far (the MSEL as data)
msel.<lang>.xlsx     the MSEL so far, and msel.<lang>.timeline.png
situation.<lang>.html  the situation report (lägesbild) of the days so far
review.csv           written by `review`: fill with and without the decisions
.lock                held while a command runs on the folder
```

Every file is written atomically (a temporary name, then a rename). The state and the decision
log are the exercise; everything else is made from them, stamped with the day it shows, and
made again when a command was interrupted before the state said it was done.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.export.atomic import atomic_write

STATE = "exercise.json"
SCENARIO = "scenario.yaml"
DECISIONS = "decisions.yaml"
RUN = "run"
INJECTS = "injects.parquet"
REVIEW = "review.csv"
KIND = "beredskap exercise"
FORMAT = 1
LOG_HEADER = (
    "# Decision log of a beredskap exercise (docs/exercise.md). Each decision is applied from\n"
    "# its day; `beredskap exercise DIR replay` re-runs scenario.yaml with these decisions.\n"
)


class ExerciseError(ValueError):
    """An exercise folder or command that cannot be used as asked (a clear message)."""


def msel_file(folder: Path, lang: str) -> Path:
    """The MSEL spreadsheet of an exercise in language `lang`."""
    return folder / f"msel.{lang}.xlsx"


def situation_file(folder: Path, lang: str) -> Path:
    """The situation report of an exercise in language `lang`."""
    return folder / f"situation.{lang}.html"


def write_text(path: Path, text: str) -> None:
    """Write a text file atomically."""
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_state(folder: Path, state: dict[str, Any]) -> None:
    """The commit point of every command: the state, in one atomic write."""
    write_text(folder / STATE, json.dumps({"kind": KIND, "format": FORMAT, **state}, indent=2,
                                          ensure_ascii=False))


def write_log(folder: Path, records: list[dict[str, Any]]) -> None:
    """The decision log (YAML, in the order taken)."""
    body = yaml.safe_dump(records, sort_keys=False, allow_unicode=True) if records else "[]\n"
    write_text(folder / DECISIONS, LOG_HEADER + body)


def write_injects(folder: Path, table: pd.DataFrame) -> None:
    """The injects delivered so far, as data (replay compares them)."""
    atomic_write(folder / INJECTS, lambda tmp: table.to_parquet(tmp, index=False))


def is_exercise(folder: Path) -> bool:
    """The folder holds an exercise state file."""
    return (folder / STATE).is_file()


def read_state(folder: Path) -> dict[str, Any]:
    """The state of the exercise in `folder`, or an ExerciseError saying why it is not one."""
    if not folder.exists():
        raise ExerciseError(f"{folder} does not exist; start an exercise with `beredskap "
                            f"exercise SCENARIO --out {folder}`")
    if not folder.is_dir():
        raise ExerciseError(f"{folder} is a file, not an exercise folder")
    file = folder / STATE
    if not file.is_file():
        raise ExerciseError(f"{folder} is not an exercise folder (no {STATE}); start one with "
                            f"`beredskap exercise SCENARIO --out {folder}`")
    try:
        state = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExerciseError(f"{file} cannot be read: {exc}") from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise ExerciseError(f"{file} is not the state of a beredskap exercise")
    if state.get("format") != FORMAT:
        raise ExerciseError(f"{file}: format {state.get('format')!r}; this version reads "
                            f"format {FORMAT}")
    return state


def read_log(folder: Path) -> list[dict[str, Any]]:
    """The decision log as plain records (checked by the exercise when it applies them)."""
    from sim.scenario.limits import LimitExceeded, load_yaml, read_text

    file = folder / DECISIONS
    if not file.exists():
        return []
    try:
        data, _ = load_yaml(read_text(file, what="decision log"))
    except LimitExceeded as exc:
        raise ExerciseError(f"{file}: {exc.message}") from None
    except yaml.YAMLError as exc:
        raise ExerciseError(f"{file}: not valid YAML: {exc}") from None
    if data is None:
        return []
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ExerciseError(f"{file}: expected a list of decisions")
    return data


def read_scenario_data(folder: Path) -> dict[str, Any]:
    """The exercise's scenario as plain data."""
    from sim.scenario.limits import LimitExceeded, load_yaml, read_text

    file = folder / SCENARIO
    try:
        data, _ = load_yaml(read_text(file, what="scenario"))
    except (LimitExceeded, yaml.YAMLError) as exc:
        raise ExerciseError(f"{file} cannot be read: {exc}") from None
    except ValueError as exc:  # a ScenarioError: missing, binary, too big
        raise ExerciseError(str(exc)) from None
    if not isinstance(data, dict):
        raise ExerciseError(f"{file} is not a scenario")
    return data


def stored_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The tables of the run in the folder (`run/`), as written."""
    from sim.exercise.compare import TABLES

    run = folder / RUN
    return {name: pd.read_parquet(run / f"{name}.parquet") for name in TABLES
            if (run / f"{name}.parquet").exists()}


_HELD: dict[Path, int] = {}
"""Folders this process holds, with how many `locked` blocks hold each: a command holds its
folder from start to end, and the methods it calls take the same lock again."""


@contextmanager
def locked(folder: Path, create: bool = False) -> Iterator[None]:
    """Hold the folder while a command runs; a second command on it meanwhile is refused.

    The batch folders' OS file lock, released with the process, so a killed command never
    leaves the folder locked. Re-entrant within a process. The folder must exist unless
    `create` (starting an exercise).
    """
    from sim.batch.store import lock_folder

    if not create and not folder.is_dir():
        read_state(folder)  # the message for what the folder is instead
    key = folder.resolve()
    if key in _HELD:
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    try:
        handle = lock_folder(folder)
    except BlockingIOError:
        raise ExerciseError(
            f"{folder} is in use by another exercise command (another controller?); wait for "
            "it to finish and try again") from None
    _HELD[key] = 1
    try:
        yield
    finally:
        del _HELD[key]
        if handle is not None:
            handle.close()


__all__ = [
    "DECISIONS", "INJECTS", "REVIEW", "RUN", "SCENARIO", "STATE", "ExerciseError",
    "is_exercise", "locked", "msel_file", "read_log",
    "read_scenario_data", "read_state", "situation_file", "stored_tables", "write_injects",
    "write_log", "write_state", "write_text",
]
