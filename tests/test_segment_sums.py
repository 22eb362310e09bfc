"""Per-node sums over lanes: the fast path for equal segments is reduceat's result."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.actors.stockholding import _each, _segment_sum


@given(st.lists(st.integers(1, 4), min_size=1, max_size=8), st.integers(1, 3), st.data())
def test_segment_sums_equal_reduceat(lengths, p, data):
    rows = sum(lengths)
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
    values = data.draw(hnp.arrays(np.int64, (rows, p), elements=st.integers(-50, 50)))
    each = _each(starts, rows)
    # Equal lengths take the reshaped path, unequal ones reduceat.
    assert each == (lengths[0] if len(set(lengths)) == 1 else 0)
    assert (_segment_sum(values, starts, each) == np.add.reduceat(values, starts, axis=0)).all()


@given(st.integers(1, 6), st.integers(1, 5), st.integers(1, 3), st.data())
def test_segment_sums_of_floats_add_in_reduceats_order(nodes, each, p, data):
    # The fallback sums float shares: they must round exactly as reduceat adds them.
    starts = np.arange(0, nodes * each, each)
    values = data.draw(hnp.arrays(float, (nodes * each, p),
                                  elements=st.floats(0, 1, allow_nan=False)))
    got = _segment_sum(values, starts, _each(starts, nodes * each))
    assert (got == np.add.reduceat(values, starts, axis=0)).all()
