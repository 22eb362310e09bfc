"""The recorder's end-of-run helpers and the daily table's layouts, against plain references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.recorder import _CARRY_CELLS, _carry, _shifted
from sim.results import DAILY_VALUES

EXAMPLES = Path(__file__).resolve().parents[1] / "scenarios" / "examples"


def _carry_reference(values: np.ndarray, present: np.ndarray, initial: np.ndarray) -> np.ndarray:
    """Day by day, cell by cell: the last value present up to today, else the initial one."""
    out = np.empty(values.shape, dtype=np.int64)
    for c in range(values.shape[1]):
        current = initial[c]
        for t in range(values.shape[0]):
            if present[t, c]:
                current = values[t, c]
            out[t, c] = current
    return out


# Both forms of `_carry`: few cells (vectorised) and many (carried day by day).
@pytest.mark.parametrize("cells", [1, 5, _CARRY_CELLS - 1, _CARRY_CELLS, _CARRY_CELLS + 40])
@pytest.mark.parametrize("days", [1, 2, 30])
def test_carry_matches_a_day_by_day_reference(cells, days):
    rng = np.random.default_rng(cells * 100 + days)
    values = rng.integers(-3, 12, (days, cells))
    present = rng.random((days, cells)) < 0.3
    initial = rng.integers(-1, 2, cells)
    expected = _carry_reference(values, present, initial)
    assert np.array_equal(_carry(values, present, initial), expected)
    assert np.array_equal(_carry(values.astype(np.int8), present, 10),
                          _carry_reference(values, present, np.full(cells, 10)))
    before = _shifted(expected, initial)
    assert np.array_equal(before[0], initial) and np.array_equal(before[1:], expected[:-1])


def test_carry_of_no_days_is_empty():
    assert _carry(np.zeros((0, 3), dtype=np.int64), np.zeros((0, 3), dtype=bool), 1).shape == (0, 3)


def test_daily_by_region_and_role_sum_the_node_table():
    """The aggregated daily tables are the node table's sums, over two replications."""
    scenario = sim.load_scenario(EXAMPLES / "inputs_of_production.yaml")
    by_node = sim.run(scenario, replications=2, daily="node").daily
    for by in ("region", "role"):
        table = sim.run(scenario, replications=2, daily=by).daily
        expected = (by_node.groupby(["replication", "day", by, "product"], observed=True,
                                    sort=False)[list(DAILY_VALUES)].sum().reset_index())
        got = table[["replication", "day", by, "product", *DAILY_VALUES]]
        merged = got.astype({by: str, "product": str}).merge(
            expected.astype({by: str, "product": str}), on=["replication", "day", by, "product"],
            suffixes=("", "_nodes"), how="outer", validate="one_to_one")
        assert len(merged) == len(got) == len(expected)
        for v in DAILY_VALUES:
            assert (merged[v] == merged[f"{v}_nodes"]).all(), (by, v)
        # Rows go replication by replication, then day by day.
        assert table["replication"].is_monotonic_increasing
        assert (table.groupby("replication")["day"].apply(lambda d: d.is_monotonic_increasing)
                .all())
        assert isinstance(table[by].dtype, pd.CategoricalDtype)
