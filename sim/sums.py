"""Fast exact group sums of integer arrays (the engine's replacement for `np.add.at`).

`np.bincount` with weights is several times faster than `np.add.at` on 2-D arrays. It sums in
float64, which is exact for integers below 2**53; stock quantities stay far below that.
"""

from __future__ import annotations

import numpy as np


def flat_index(group: np.ndarray, width: int) -> np.ndarray:
    """Index of (group[i], j) in a flattened (groups, width) array, for every i and j."""
    return (group[:, None] * width + np.arange(width)).ravel()


def group_sum(values: np.ndarray, group: np.ndarray, groups: int,
              index: np.ndarray | None = None) -> np.ndarray:
    """Sum the rows of int `values` (k, p) into (groups, p) by `group`; exact for |x| < 2**53.

    `index` may pass a precomputed `flat_index(group, p)`.
    """
    width = values.shape[1]
    if index is None:
        index = flat_index(group, width)
    summed = np.bincount(index, weights=values.ravel(), minlength=groups * width)
    return summed.reshape(groups, width).astype(np.int64)
