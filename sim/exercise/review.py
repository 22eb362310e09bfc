"""The after-action review: what the players' decisions bought.

The exercise's run (decisions in force) against the same scenario, seed and days without
them: common random numbers, so the differences are the decisions' doing, not noise. Fill of
own demand at demand points (wards, community pharmacies, municipal care) per product group,
for the whole country and per region, over the days after warm-up up to the exercise's day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.results import RunResult

COUNTRY = "all"
"""The `region` of the rows over every region."""
REVIEW_COLUMNS: tuple[str, ...] = (
    "region", "group", "demand", "fill_with", "fill_without", "change_pp", "unmet_with",
    "unmet_without")
"""`demand`: units of own demand asked for with the decisions (rationing lowers it);
`fill_*`: served on the day asked over demand; `change_pp`: fill with less fill without, in
percentage points; `unmet_*`: units not served on the day asked."""


def _fill(kpis: pd.DataFrame) -> pd.DataFrame:
    own = kpis[kpis["demand"] > 0].assign(region=lambda k: k["region"].astype(str),
                                          group=lambda k: k["group"].astype(str))
    country = own.groupby("group", sort=False)[["demand", "served", "unmet"]].sum()
    country = country.reset_index().assign(region=COUNTRY)
    regions = own.groupby(["region", "group"], sort=False)[["demand", "served", "unmet"]].sum()
    both = pd.concat([country, regions.reset_index()], ignore_index=True)
    return both.set_index(["region", "group"])


def review_table(with_decisions: RunResult, without: RunResult) -> pd.DataFrame:
    """Fill at demand points with and without the decisions, per region and product group.

    Rows for the whole country (`region` 'all') first, then each region; groups in the
    scenario's order. Columns: `REVIEW_COLUMNS`.
    """
    a, b = _fill(with_decisions.kpis), _fill(without.kpis)
    keys = a.index.union(b.index, sort=False)
    a, b = a.reindex(keys, fill_value=0), b.reindex(keys, fill_value=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill_a = np.where(a["demand"] > 0, a["served"] / a["demand"], np.nan)
        fill_b = np.where(b["demand"] > 0, b["served"] / b["demand"], np.nan)
    out = pd.DataFrame({
        "region": keys.get_level_values(0), "group": keys.get_level_values(1),
        "demand": a["demand"].to_numpy(), "fill_with": fill_a, "fill_without": fill_b,
        "change_pp": 100 * (fill_a - fill_b), "unmet_with": a["unmet"].to_numpy(),
        "unmet_without": b["unmet"].to_numpy()})
    groups = list(dict.fromkeys(p.group for p in with_decisions.scenario.products.values()))
    order = {g: i for i, g in enumerate(groups)}
    out["_country"] = out["region"] != COUNTRY
    out["_group"] = out["group"].map(order).fillna(len(order))
    out = out.sort_values(["_country", "region", "_group"], kind="stable")
    return out.drop(columns=["_country", "_group"]).reset_index(drop=True)


__all__ = ["COUNTRY", "REVIEW_COLUMNS", "review_table"]
