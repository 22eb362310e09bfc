"""`BatchResult`: a batch's tables as DataFrames, read from its folder when first asked for."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.batch.stats import describe
from sim.batch.tasks import SUMMARY_KPIS
from sim.results import CARE_COLUMNS

TABLE_NAMES: tuple[str, ...] = (
    "summary", "replication_kpis", "variants", "kpis", "daily", "events", "ledger",
    "care", "replication_care", "care_summary",
    "replication_countermeasures", "countermeasure_summary",
)


class BatchResult:
    """The outcome of `sim.batch`.

    - `summary`: per variant x role x product group x KPI, the mean, standard deviation and
      95 % confidence interval over replications (role `demand_points` is every node-product
      with demand of its own);
    - `replication_kpis`: the same KPIs per replication (paired across variants: replication k
      of every variant saw the same random numbers);
    - `variants`: each variant's name and overrides;
    - `kpis` (and `daily`, `events`, `ledger` when kept): the tidy tables of `sim.run` with a
      `variant` column, or per-variant mean and sd columns for an aggregated batch;
    - with care demand, `care` (admissions, deferred_admissions, cancelled_admissions,
      patient_days per variant, replication, node and care category, or their mean and sd when
      aggregated), `replication_care` (their totals per replication, role and category) and
      `care_summary` (mean, sd and 95 % interval of those totals over replications); empty
      without care.

    Big tables are read from `folder` on first use, so opening a 1,000-replication batch is cheap.
    """

    def __init__(self, folder: Path | None, manifest: dict[str, Any],
                 tables: dict[str, pd.DataFrame] | None = None) -> None:
        self.folder = folder
        self.manifest = manifest
        self._tables: dict[str, pd.DataFrame] = dict(tables or {})

    @classmethod
    def open(cls, folder: str | Path) -> BatchResult:
        """A finished batch folder, as written by `sim.batch` or `beredskap batch`."""
        folder = Path(folder)
        manifest_file = folder / "manifest.json"
        if not manifest_file.exists():
            raise FileNotFoundError(f"{folder} holds no finished batch (no manifest.json)")
        return cls(folder, json.loads(manifest_file.read_text(encoding="utf-8")))

    def table(self, name: str) -> pd.DataFrame:
        """One table by name (see the class docs); an empty frame if it was not kept."""
        if name not in TABLE_NAMES:
            raise KeyError(f"no table '{name}'; tables are {', '.join(TABLE_NAMES)}")
        if name not in self._tables:
            path = None if self.folder is None else self.folder / f"{name}.parquet"
            self._tables[name] = pd.read_parquet(path) if path and path.exists() else (
                pd.DataFrame())
        return self._tables[name]

    def load(self) -> BatchResult:
        """Read every table into memory now (before its folder goes away)."""
        for name in TABLE_NAMES:
            self.table(name)
        return self

    summary = property(lambda self: self.table("summary"), doc="Per-variant KPI statistics.")
    replication_kpis = property(lambda self: self.table("replication_kpis"),
                                doc="Scalar KPIs per variant x replication x role x group.")
    variants = property(lambda self: self.table("variants"), doc="Variants and overrides.")
    kpis = property(lambda self: self.table("kpis"), doc="KPIs per node x product.")
    daily = property(lambda self: self.table("daily"), doc="Daily series (when kept).")
    events = property(lambda self: self.table("events"), doc="Events (when kept).")
    ledger = property(lambda self: self.table("ledger"), doc="Stock ledger (when kept).")
    care = property(lambda self: self.table("care"),
                    doc="Care per node x category (with care demand).")
    replication_care = property(lambda self: self.table("replication_care"),
                                doc="Care totals per variant x replication x role x category.")
    care_summary = property(lambda self: self.table("care_summary"),
                            doc="Care totals' statistics per variant x role x category.")
    replication_countermeasures = property(
        lambda self: self.table("replication_countermeasures"),
        doc="Per variant x replication x countermeasure: triggered and first day, days "
            "active, units (with countermeasures).")
    countermeasure_summary = property(
        lambda self: self.table("countermeasure_summary"),
        doc="Statistics of the countermeasures' days and units per variant (share of "
            "replications where each started as `started`).")

    @property
    def variant_names(self) -> list[str]:
        """Variant names in plan order."""
        return [v["name"] for v in self.manifest["plan"]["variants"]]

    def fill(self, role: Any = None, group: Any = None, region: Any = None) -> pd.DataFrame:
        """Fill per variant and product group over the chosen roles, groups and regions.

        Mean, sd and 95 % interval over replications (as `summary`). Within a group, the fill
        of own demand where the chosen rows have any (demand points), else the order fill
        (suppliers); `fill_of` says which. Needs the per-replication KPI table, so not for an
        aggregated batch, whose `summary` has every role and group.
        """
        from sim.results import select

        kpis = self.kpis
        if "replication" not in kpis.columns:
            raise ValueError("this batch kept KPIs as means over replications (--aggregate); "
                             "filter its summary.csv by role and group instead")
        rows = select(kpis, None, role, group, region)
        per = (rows.assign(variant=rows["variant"].astype(str), group=rows["group"].astype(str))
               .groupby(["variant", "group", "replication"], sort=False)
               [["demand", "served", "orders", "orders_shipped"]].sum().reset_index())
        own = per.groupby(["variant", "group"], sort=False)["demand"].transform("sum") > 0
        demand = per["demand"].astype(float)
        orders = per["orders"].astype(float)
        per["fill"] = (per["served"] / demand.where(demand > 0)).where(
            own, per["orders_shipped"] / orders.where(orders > 0))
        per["fill_of"] = own.map({True: "demand", False: "orders"})
        out = describe(per, ["variant", "group", "fill_of"], ["fill"])
        return out

    def compare(self, reference: str, kpis: Sequence[str] = SUMMARY_KPIS) -> pd.DataFrame:
        """Each variant minus `reference`, paired by replication, with a 95 % interval.

        Replication k of every variant used the same random numbers, so the paired differences
        have far less noise than the difference of two independent means.
        """
        reps = self.replication_kpis
        # A folder written before a KPI existed lacks its column: compare what it has.
        return self._paired(reps, ["role", "group"], [k for k in kpis if k in reps.columns],
                            reference)

    def compare_care(self, reference: str, counts: Sequence[str] = CARE_COLUMNS
                     ) -> pd.DataFrame:
        """Care totals of each variant minus `reference`, paired by replication, 95 % interval.

        Per role and care category: admissions, deferred and cancelled admissions, patient-days.
        """
        return self._paired(self.replication_care, ["role", "category"], list(counts),
                            reference)

    def _paired(self, reps: pd.DataFrame, by: list[str], values: list[str], reference: str
                ) -> pd.DataFrame:
        if reference not in self.variant_names:
            raise KeyError(f"no variant '{reference}'; variants are {self.variant_names}")
        if reps.empty:
            return pd.DataFrame()
        keys = ["replication", *by]
        reps = reps.assign(**{c: reps[c].astype(str) for c in by})
        ref = reps[reps["variant"] == reference].set_index(keys)[values]
        diffs = []
        for name in self.variant_names:
            if name == reference:
                continue
            mine = reps[reps["variant"] == name].set_index(keys)[values]
            diff = (mine - ref.reindex(mine.index)).reset_index()
            diffs.append(diff.assign(variant=name))
        if not diffs:
            return pd.DataFrame()
        table = pd.concat(diffs, ignore_index=True)
        out = describe(table, ["variant", *by], values)
        return out.rename(columns={"mean": "mean_difference"}).assign(reference=reference)

    def __repr__(self) -> str:
        plan = self.manifest.get("plan", {})
        return (f"BatchResult(scenario={plan.get('scenario')!r}, "
                f"variants={len(plan.get('variants', []))}, "
                f"replications={plan.get('replications')}, folder={self.folder})")
