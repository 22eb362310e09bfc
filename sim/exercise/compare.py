"""Comparing runs: a decision must not change the past, and a replay must equal the original.

- `history_change`: a run with a new decision against the run without it, both over the days
  before the decision day. Any difference means the decision acted before it was taken
  (triggers and rules are held back to the decision day by `not_before_day` and `from_day`,
  so in practice a production conversion's lanes, which exist from day 0): the message says
  where first.
- `table_differences`: two runs' tables cell by cell, bit for bit (NaN equals NaN), after the
  same Parquet round trip the results folder makes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from sim.results import RunResult

TABLES: tuple[str, ...] = ("kpis", "daily", "events", "ledger", "care", "countermeasures")
"""A run's tables, as in its results folder."""
ACTED = ("countermeasure_triggered", "countermeasure_start", "rationing_start")
"""Events by which a decision shows it acted."""


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Labels as plain text, index dropped.

    Categorical and string columns differ in dtype by how a table was built (an empty events
    table has object columns); the values are what matters.
    """
    out = frame.reset_index(drop=True).copy()
    for column in out.columns:
        values = out[column]
        if isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(values):
            out[column] = values.astype(object).where(values.notna(), None)
    return out


def first_difference(a: pd.DataFrame, b: pd.DataFrame,
                     names: tuple[str, str] = ("first", "second")) -> str | None:
    """Where two tables first differ (row, column, both values), or None when they are equal.

    `names` say which table is which in the message.
    """
    if a.reset_index(drop=True).equals(b.reset_index(drop=True)):
        return None  # the common case, and fast; the dtypes must agree for it
    a, b = _plain(a), _plain(b)
    if list(a.columns) != list(b.columns):
        return f"columns differ: {list(a.columns)} and {list(b.columns)}"
    rows = min(len(a), len(b))
    for column in a.columns:
        x, y = a[column].to_numpy()[:rows], b[column].to_numpy()[:rows]
        same = _equal(x, y)
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            return (_where(a, row) + f": {column}: {names[0]} {_show(x[row])}, {names[1]} "
                    f"{_show(y[row])}")
    if len(a) != len(b):
        longer = a if len(a) > len(b) else b
        return _where(longer, rows) + (f": a row only one has ({names[0]} {len(a)} rows, "
                                       f"{names[1]} {len(b)})")
    return None


def _equal(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "fc" or y.dtype.kind in "fc":
        xf, yf = x.astype(float), y.astype(float)
        return (xf == yf) | (np.isnan(xf) & np.isnan(yf))
    u, v = pd.Series(x, dtype=object), pd.Series(y, dtype=object)
    return (u.eq(v) | (u.isna() & v.isna())).to_numpy(dtype=bool)


def _show(value: object) -> str:
    item = getattr(value, "item", None)  # a numpy scalar as the plain number it holds
    return repr(item() if callable(item) else value)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _where(frame: pd.DataFrame, row: int) -> str:
    labels = [f"{c} {frame[c].iloc[row]}" for c in ("day", "kind", "node", "product", "detail")
              if c in frame.columns and not _missing(frame[c].iloc[row])]
    return f"row {row}" + (f" ({', '.join(labels)})" if labels else "")


def history_change(before: RunResult, after: RunResult, name: str, day: int) -> str | None:
    """How adding the decision `name` changed the days before `day`, or None if it did not.

    Both runs end at `day`. The countermeasures table gains the decision's row and is not
    compared; KPI columns the first run lacks are not compared either.
    """
    events = after.events
    if len(events):
        acted = events[events["kind"].astype(str).isin(ACTED) & (
            (events["detail"].astype(str) == name)
            | events["detail"].astype(str).str.startswith(f"{name}: "))]
        if len(acted):
            first = acted.iloc[0]
            kind = str(first["kind"])
            what = ("its rule would have started rationing" if kind == "rationing_start"
                    else "its trigger would have fired")
            return (f"{what} on day {int(first['day'])}, before the decision was taken (day "
                    f"{day}): a decision cannot act in the past")
    if len(before.daily) != len(after.daily):
        return (f"it changes the network from day 0: the daily table has {len(before.daily):,} "
                f"rows without it and {len(after.daily):,} with it (node-products it adds)")
    for table in ("daily", "events", "ledger", "care", "kpis"):
        a, b = getattr(before, table), getattr(after, table)
        if table == "kpis":
            b = b[[c for c in a.columns if c in b.columns]]
        found = first_difference(a, b, ("without it", "with it"))
        if found is not None:
            return f"it changes the days before day {day} ({table} table, {found})"
    return None


def roundtrip(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as the results folder gives it back (Parquet), for bit-for-bit comparison."""
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    buffer.seek(0)
    return pd.read_parquet(buffer)


def table_differences(stored: dict[str, pd.DataFrame], result: RunResult) -> list[str]:
    """The tables of `result` that differ from `stored` (read from a results folder).

    Tables are compared cell by cell with their dtypes after the same Parquet round trip: a
    replay must give the same bits, not close numbers.
    """
    out = []
    for name in TABLES:
        mine = getattr(result, name)
        theirs = stored.get(name)
        if theirs is None:
            if len(mine):
                out.append(f"{name}: the folder has no {name} table; the replay has "
                           f"{len(mine):,} rows")
            continue
        again = roundtrip(mine)
        if list(again.dtypes.astype(str)) != list(theirs.dtypes.astype(str)):
            out.append(f"{name}: column types differ")
            continue
        found = first_difference(theirs, again, ("stored", "replay"))
        if found is not None:
            out.append(f"{name}: {found}")
    return out


__all__ = ["TABLES", "first_difference", "history_change", "roundtrip", "table_differences"]
