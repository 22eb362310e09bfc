"""Statistics over replications: Student-t confidence intervals and mergeable moments.

No SciPy at run time: the t quantile comes from the regularised incomplete beta function
(a continued fraction, as in Numerical Recipes 6.4) and bisection. Tests check it against SciPy.
Moments are merged with Chan et al.'s pairwise formula, so partial results from tasks combine
into the same mean and variance however the replications were grouped, up to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd


def _betacf(a: float, b: float, x: float) -> float:
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def _betai(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x)
        + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` degrees of freedom."""
    tail = 0.5 * _betai(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t with `df` degrees of freedom (0 < p < 1)."""
    if not 0.0 < p < 1.0 or df <= 0:
        raise ValueError("need 0 < p < 1 and df > 0")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-13 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


def describe(frame: pd.DataFrame, by: Sequence[str], values: Sequence[str],
             level: float = 0.95) -> pd.DataFrame:
    """Mean, standard deviation and a t confidence interval of `values` over rows, per `by`.

    Long format: one row per group and value, columns `kpi, n, mean, sd, ci95_low, ci95_high`.
    NaN observations (a fill rate with no demand) are left out of their own KPI only.
    """
    long = frame.melt(id_vars=list(by), value_vars=list(values), var_name="kpi",
                      value_name="value")
    grouped = long.groupby([*by, "kpi"], observed=True, sort=False)["value"]
    out = grouped.agg(n="count", mean="mean", sd="std").reset_index()
    # Rows in the order the groups first appear, KPIs in the order asked for.
    out["kpi"] = pd.Categorical(out["kpi"], categories=list(values))
    out = out.sort_values([*by, "kpi"], kind="stable", key=_first_seen).reset_index(drop=True)
    out["kpi"] = out["kpi"].astype(str)
    quantiles = {n: t_quantile(0.5 + level / 2.0, n - 1) for n in out["n"].unique() if n > 1}
    t = out["n"].map(quantiles).astype(float)
    half = t * out["sd"] / np.sqrt(out["n"].where(out["n"] > 0))
    out["ci95_low"] = out["mean"] - half
    out["ci95_high"] = out["mean"] + half
    return out


def _first_seen(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes
    order = {v: i for i, v in enumerate(dict.fromkeys(column))}
    return column.map(order)


# --- mergeable moments --------------------------------------------------------------------------


def moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(count, mean, M2) over axis 0, ignoring NaN; M2 is the sum of squared deviations."""
    valid = ~np.isnan(values)
    n = valid.sum(axis=0).astype(np.float64)
    total = np.where(valid, values, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / np.maximum(n, 1), np.nan)
    dev = np.where(valid, values - mean, 0.0)
    return n, mean, (dev * dev).sum(axis=0)


def merge_moments(
    a: tuple[np.ndarray, np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Combine two (count, mean, M2) summaries of disjoint samples (Chan, Golub, LeVeque 1979)."""
    na, ma, m2a = a
    nb, mb, m2b = b
    n = na + nb
    with np.errstate(invalid="ignore", divide="ignore"):
        delta = np.where(nb > 0, mb, 0.0) - np.where(na > 0, ma, 0.0)
        w = np.where(n > 0, nb / np.maximum(n, 1), 0.0)
        mean = np.where(na > 0, ma, 0.0) + delta * w
        m2 = m2a + m2b + delta * delta * na * w
    mean = np.where(n > 0, mean, np.nan)
    return n, mean, m2
