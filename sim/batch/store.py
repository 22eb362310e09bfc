"""A batch's folder on disk: the plan, one part per finished task, and the final tables.

Every write is atomic. A task's part is built in a hidden folder and renamed into
`parts/<task>/` in one step, so a part either exists whole or not at all; `--resume` runs only
the tasks whose part is missing. The final tables are assembled from the parts one at a time
(bounded memory), each renamed into place, and `manifest.json` is written last: a folder with a
manifest is complete.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.batch.stats import merge_moments
from sim.batch.tasks import TaskOutput
from sim.export.atomic import atomic_write
from sim.export.cells import to_csv

PLAN = "plan.json"
SCENARIO = "scenario.json"  # the base scenario, resolved, as the batch ran it
MANIFEST = "manifest.json"
PARTS = "parts"
LOCK = ".lock"


class BatchFolderError(ValueError):
    """The output folder cannot be used for this batch (exists, or holds a different batch)."""


def lock_folder(folder: Path) -> Any:
    """Hold `folder` for this process: an exclusive OS file lock on its `.lock` file.

    The lock lasts while the returned handle is open (close it to let go) and goes with the
    process, so a killed command never leaves the folder locked. Raises BlockingIOError when
    another process holds it. The folder is created if needed. On Windows (no fcntl) nothing
    is locked and None is returned: running two commands on one folder is then on the user.
    Shared by batch folders and exercise folders (sim.exercise.folder).
    """
    folder.mkdir(parents=True, exist_ok=True)
    if sys.platform == "win32":
        return None
    import fcntl

    handle = open(folder / LOCK, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise
    return handle


def _atomic_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class BatchStore:
    """Reads and writes one batch folder."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.parts = self.folder / PARTS
        self._lock: Any = None

    # --- starting and resuming --------------------------------------------------------------

    def _acquire(self) -> None:
        """Hold the folder for this process: two runs writing one folder would corrupt it.

        An OS file lock, so a killed run releases it with its process.
        """
        try:
            handle = lock_folder(self.folder)  # held until the batch ends
        except BlockingIOError:
            raise BatchFolderError(
                f"{self.folder} is in use by a batch that is still running; stop it, or wait "
                "for it to finish"
            ) from None
        self._lock = handle

    def release(self) -> None:
        """Let go of the folder (when the batch ends, finished or not)."""
        if self._lock is not None:
            if self.complete():
                (self.folder / LOCK).unlink(missing_ok=True)
            self._lock.close()
            self._lock = None

    def _entries(self) -> list[Path]:
        if not self.folder.exists():
            return []
        return [p for p in self.folder.iterdir() if p.name != LOCK]

    def start(self, plan: dict[str, Any], resume: bool, overwrite: bool) -> None:
        """Create the folder for `plan`, or check that an existing one holds the same plan.

        The folder stays locked for this process until `release()` or `finish()`.
        """
        try:
            self._start(plan, resume, overwrite)
        except BaseException:
            self.release()
            raise

    def _start(self, plan: dict[str, Any], resume: bool, overwrite: bool) -> None:
        plan_file = self.folder / PLAN
        if self.folder.exists() and not self.folder.is_dir():
            raise BatchFolderError(f"{self.folder} is a file; --out needs a folder")
        if self._entries():
            if not (plan_file.exists() or (self.folder / MANIFEST).exists()):
                # Never delete what is not ours, even with --overwrite.
                raise BatchFolderError(
                    f"{self.folder} exists and is not a batch folder; choose another --out "
                    "(nothing in it was touched)")
            if not resume and not overwrite:
                raise BatchFolderError(
                    f"{self.folder} already exists; add --resume to finish it, --overwrite to "
                    "start again")
            if resume and not plan_file.exists():
                raise BatchFolderError(f"{self.folder} holds no batch plan to resume; choose "
                                       "another --out, or --overwrite")
            self._acquire()
            if resume:
                old = json.loads(plan_file.read_text(encoding="utf-8"))
                # Where the scenario file was read from does not matter (a resume from another
                # directory names it differently); its content is in the variants' hashes.
                changed = sorted(k for k in {*old, *plan}
                                 if k != "source" and old.get(k) != plan.get(k))
                if changed:
                    raise BatchFolderError(
                        f"{self.folder} holds a different batch (it differs in: "
                        f"{', '.join(changed)}); --resume needs the same command, or choose "
                        "another --out"
                    )
                self._clean_temporaries()
                if self.complete():  # killed after the manifest, before the parts went
                    shutil.rmtree(self.parts, ignore_errors=True)
                return
            for entry in self._entries():
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
        else:
            self._acquire()
        self.parts.mkdir(parents=True, exist_ok=True)
        _atomic_text(plan_file, json.dumps(plan, indent=2))

    def keep_scenario(self, text: str) -> None:
        """Keep the base scenario (resolved JSON) beside the plan."""
        _atomic_text(self.folder / SCENARIO, text)

    def _clean_temporaries(self) -> None:
        """Leftovers of a killed run: half-built parts and tables are never used."""
        for place in (self.parts, self.folder):
            if place.exists():
                for tmp in place.glob(".*"):
                    if tmp.name == LOCK:
                        continue
                    if tmp.is_dir():
                        shutil.rmtree(tmp, ignore_errors=True)
                    else:
                        tmp.unlink(missing_ok=True)

    def complete(self) -> bool:
        """The batch finished and its tables are in place."""
        return (self.folder / MANIFEST).exists()

    def done(self) -> set[str]:
        """Tasks whose part is on disk."""
        if not self.parts.exists():
            return set()
        return {p.name for p in self.parts.iterdir() if not p.name.startswith(".")}

    # --- parts --------------------------------------------------------------------------------

    def write(self, output: TaskOutput) -> None:
        """Save one task's results as a part, atomically."""
        final = self.parts / output.task_id
        if final.exists():  # a retried task that finished twice: the first copy stands
            return
        tmp = self.parts / f".{output.task_id}.{uuid.uuid4().hex}"
        tmp.mkdir(parents=True)
        try:
            for name, table in output.tables.items():
                table.to_parquet(tmp / f"{name}.parquet", index=False)
            output.rep_summary.to_parquet(tmp / "replication_kpis.parquet", index=False)
            info = {"pid": output.pid, "host": output.host, "seconds": output.seconds}
            (tmp / "task.json").write_text(json.dumps(info), encoding="utf-8")
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def task_info(self, task_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Where and how long each finished task ran."""
        return [json.loads((self.parts / t / "task.json").read_text(encoding="utf-8"))
                for t in task_ids]

    def _part_tables(self, task_ids: Sequence[str], name: str) -> Iterator[pa.Table]:
        for task_id in task_ids:
            yield pq.read_table(self.parts / task_id / f"{name}.parquet")

    # --- final tables -------------------------------------------------------------------------

    def _stream(self, name: str, tables: Iterable[pa.Table]) -> int:
        """Write tables one after another into `<name>.parquet`, atomically; return the rows."""
        target = self.folder / f"{name}.parquet"
        tmp = self.folder / f".{name}.parquet.{uuid.uuid4().hex}"
        writer = None
        rows = 0
        try:
            for table in tables:
                if writer is None:
                    schema = _uniform_schema(table.schema)
                    writer = pq.ParquetWriter(tmp, schema)
                writer.write_table(table.cast(schema))
                rows += table.num_rows
            if writer is not None:
                writer.close()
                writer = None
                os.replace(tmp, target)
        finally:
            if writer is not None:
                writer.close()
            tmp.unlink(missing_ok=True)
        return rows

    def assemble(self, name: str, task_ids: Sequence[str], variant_names: Sequence[str]) -> int:
        """Concatenate a table's parts, in plan order, into `<name>.parquet`; return its rows."""
        return self._stream(name, (_named_variants(table, variant_names)
                                   for table in self._part_tables(task_ids, name)))

    def assemble_moments(self, name: str, tasks_by_variant: Sequence[Sequence[str]],
                         variant_names: Sequence[str], replications: int,
                         nan_counts: Sequence[str]) -> int:
        """Merge the parts' (count, mean, M2) per variant into mean and sd columns."""
        return self._stream(name, (
            table for variant, task_ids in enumerate(tasks_by_variant)
            if (table := self._merged(name, variant, task_ids, variant_names, replications,
                                      nan_counts)) is not None
        ))

    def _merged(self, name: str, variant: int, task_ids: Sequence[str],
                variant_names: Sequence[str], replications: int,
                nan_counts: Sequence[str]) -> pa.Table | None:
        """One variant's moments, merged over its tasks in plan order."""
        merged: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        keys = None
        for table in self._part_tables(task_ids, name):
            frame = table.to_pandas()
            values = list(dict.fromkeys(c.rsplit("__", 1)[0] for c in frame.columns if "__" in c))
            if keys is None:
                keys = frame[[c for c in frame.columns if "__" not in c]]
            for v in values:
                part = tuple(frame[f"{v}__{s}"].to_numpy() for s in ("n", "mean", "m2"))
                merged[v] = merge_moments(merged[v], part) if v in merged else part
        if keys is None:
            return None
        out = keys.drop(columns=["variant"]).copy()
        out.insert(0, "variant", pd.Categorical.from_codes(
            np.full(len(out), variant), categories=list(variant_names)))
        out["replications"] = replications
        for v, (n, mean, m2) in merged.items():
            with np.errstate(invalid="ignore", divide="ignore"):
                sd = np.where(n > 1, np.sqrt(m2 / np.maximum(n - 1, 1)), np.nan)
            out[f"{v}_mean"] = mean
            out[f"{v}_sd"] = sd
            if v in nan_counts:
                out[f"{v}_n"] = n.astype(np.int64)
        return pa.Table.from_pandas(out, preserve_index=False)

    def replication_kpis(self, task_ids: Sequence[str], variant_names: Sequence[str]
                         ) -> pd.DataFrame:
        """The small per-replication summary of every task, as one DataFrame."""
        return self.small_table("replication_kpis", task_ids, variant_names)

    def small_table(self, name: str, task_ids: Sequence[str], variant_names: Sequence[str]
                    ) -> pd.DataFrame:
        """A small table of every task's part, as one DataFrame (in the order of `task_ids`)."""
        tables = [_named_variants(t, variant_names) for t in self._part_tables(task_ids, name)]
        schema = _uniform_schema(tables[0].schema)
        return pa.concat_tables([t.cast(schema) for t in tables]).to_pandas()

    def having(self, name: str, task_ids: Sequence[str]) -> list[str]:
        """The tasks whose part holds table `name` (care: only variants with care demand)."""
        return [t for t in task_ids if (self.parts / t / f"{name}.parquet").exists()]

    def write_table(self, name: str, frame: pd.DataFrame, csv: bool = True) -> list[str]:
        """Write a small final table (and its CSV) atomically; return the file names."""
        atomic_write(self.folder / f"{name}.parquet",
                     lambda tmp: frame.to_parquet(tmp, index=False))
        if not csv:
            return [f"{name}.parquet"]
        atomic_write(self.folder / f"{name}.csv", lambda tmp: to_csv(frame, tmp))
        return [f"{name}.parquet", f"{name}.csv"]

    def finish(self, manifest: dict[str, Any]) -> None:
        """Write the manifest (the batch is complete from here on) and drop the parts."""
        _atomic_text(self.folder / MANIFEST, json.dumps(manifest, indent=2))
        shutil.rmtree(self.parts, ignore_errors=True)
        (self.folder / LOCK).unlink(missing_ok=True)
        self.release()


def _named_variants(table: pa.Table, names: Sequence[str]) -> pa.Table:
    """The integer variant column as a dictionary of variant names."""
    i = table.schema.get_field_index("variant")
    codes = table.column(i).combine_chunks().cast(pa.int32())
    named = pa.DictionaryArray.from_arrays(codes, pa.array(list(names), type=pa.string()))
    return table.set_column(i, pa.field("variant", named.type), named)


def _uniform_schema(schema: pa.Schema) -> pa.Schema:
    """One schema that every part of a table can be cast to.

    Dictionary columns get int32 indices (parts of different variants have different
    dictionaries). A column that is all None in the first part (events with no node: only
    disruptions happened) has Arrow type null; later parts hold text there.
    """
    fields = []
    for f in schema:
        if pa.types.is_dictionary(f.type):
            f = pa.field(f.name, pa.dictionary(pa.int32(), f.type.value_type), f.nullable)
        elif pa.types.is_null(f.type):
            f = pa.field(f.name, pa.large_string(), True)
        fields.append(f)
    return pa.schema(fields)
