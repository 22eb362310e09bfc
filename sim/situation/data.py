"""What the situation report shows, computed from a run or batch folder as plain tables.

- days of supply per region x product group x day: stock held in the region (every node there
  that holds stock) over the region's own normal daily use, per product, and for a group the
  lowest of its products (the one that runs out first decides); per replication, then the
  median (and 10th and 90th percentiles) over replications;
- first stockout at demand points per region and product group (median over replications);
- fill per product group at demand points with its 95 % interval, and per role the KPI that
  suits it (own demand at demand points, customers' orders at suppliers);
- the disruption windows, from the events (first replication) or the scenario.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.batch.stats import describe
from sim.network import network_of
from sim.scenario import Scenario


class NotAResultsFolder(ValueError):
    """The folder holds no finished run or batch."""


@dataclass
class Situation:
    """Everything the template needs, as tables and plain values."""

    kind: str  # "run" or "batch"
    folder: Path
    manifest: dict[str, Any]
    scenario: Scenario | None
    variant: str | None
    variants: list[str]
    replications: int
    dos: pd.DataFrame | None  # region, group, day, median, p10, p90
    dos_note: str = ""
    first_stockout: pd.DataFrame = field(default_factory=pd.DataFrame)
    fill_groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    fill_roles: pd.DataFrame = field(default_factory=pd.DataFrame)
    windows: pd.DataFrame = field(default_factory=pd.DataFrame)  # name, start, end


def _scenario_of_batch(folder: Path, plan: dict[str, Any],
                       variant: int) -> tuple[Scenario | None, str]:
    """The batch's scenario: the copy the batch folder keeps, else read again from its file.

    None with the reason ("no_scenario", "changed_scenario") when neither is there, it no longer
    loads, or no longer hashes to what the batch ran: an edited file must not describe an old
    run.
    """
    from sim.batch.runner import _hash
    from sim.scenario import ScenarioError, from_dict, load_scenario
    from sim.scenario.load import apply_overrides

    kept = folder / "scenario.json"  # the base scenario as run (batches since this version)
    source = plan.get("source")
    if not kept.is_file() and (not source or not Path(source).is_file()):
        return None, "no_scenario"
    try:
        described = plan["variants"][variant]
        if kept.is_file():
            base = from_dict(json.loads(kept.read_text(encoding="utf-8")), str(kept))
        else:
            base = load_scenario(source)
        sc = apply_overrides(base, described["overrides"], "variant")
    except (ScenarioError, OSError, LookupError, TypeError, ValueError):
        return None, "no_scenario"
    text = json.dumps(sc.resolved(), separators=(",", ":"))
    if _hash(text) != described.get("scenario_hash"):
        return None, "changed_scenario"
    return sc, ""


def _plan_ok(plan: Any) -> bool:
    """The parts of a batch plan the report reads are there, with the right types."""
    if not isinstance(plan, dict) or not isinstance(plan.get("variants"), list):
        return False
    reps = plan.get("replications")
    return bool(plan["variants"]) and isinstance(reps, int) and reps > 0 and all(
        isinstance(v, dict) and isinstance(v.get("name"), str)
        and isinstance(v.get("overrides", {}), dict) for v in plan["variants"])


def open_situation(folder: str | Path, variant: str | None = None) -> Situation:
    """Read a run or batch folder and compute the report's tables.

    Raises `NotAResultsFolder` for a folder without a finished run or batch, and `ValueError`
    for an unknown variant.
    """
    from sim.batch import BatchResult
    from sim.results import RunResult
    from sim.scenario.errors import did_you_mean

    folder = Path(folder)
    manifest_file = folder / "manifest.json"
    if not folder.exists():
        raise NotAResultsFolder(f"{folder} does not exist; give the folder of a finished "
                                "`beredskap run` or `beredskap batch`")
    if not folder.is_dir() or not manifest_file.is_file():
        raise NotAResultsFolder(f"{folder} is not a results folder (no manifest.json); give "
                                "the folder of a finished `beredskap run` or `beredskap batch`")
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotAResultsFolder(f"{manifest_file} cannot be read: {exc}") from None
    if not isinstance(manifest, dict):
        raise NotAResultsFolder(f"{manifest_file} is not a results manifest")
    missing = ""
    if "plan" in manifest:
        if not _plan_ok(manifest["plan"]):
            raise NotAResultsFolder(f"{folder} is not a results folder: its manifest.json has "
                                    "no readable batch plan (variants, replications)")
        b = BatchResult(folder, manifest)
        names = b.variant_names
        chosen = names[0] if variant is None else variant
        if chosen not in names:
            raise ValueError(f"--variant '{variant}': no variant of that name"
                             f"{did_you_mean(str(variant), names)} (there are "
                             f"{', '.join(names)})")
        sc, missing = _scenario_of_batch(folder, manifest["plan"], names.index(chosen))
        kpis, daily, events = b.kpis, b.daily, b.events
        reps = int(manifest["plan"]["replications"])
        if kpis is None or kpis.empty:
            raise NotAResultsFolder(f"{folder} is not a finished batch: it has no KPI table")
        if "replication" not in kpis.columns:
            raise ValueError(f"{folder} kept its KPIs as means over replications "
                             "(--aggregate); the report needs per-replication KPIs")
        if "variant" in kpis:
            kpis = kpis[kpis["variant"].astype(str) == chosen]
        if "variant" in daily:
            daily = daily[daily["variant"].astype(str) == chosen]
        if "variant" in events:
            events = events[events["variant"].astype(str) == chosen]
        s = Situation("batch", folder, manifest, sc, chosen, names, reps, None)
        s.fill_groups = _batch_fill_groups(b)
    else:
        if variant is not None:
            raise ValueError("--variant is for batch folders; this is a run")
        try:
            r = RunResult.open(folder)
        except (OSError, ValueError, KeyError) as exc:
            raise NotAResultsFolder(f"{folder} cannot be read as a run: {exc}") from None
        sc, kpis, daily, events, reps = r.scenario, r.kpis, r.daily, r.events, r.replications
        s = Situation("run", folder, manifest, sc, None, [], reps, None)
        s.fill_groups = _fill_groups(kpis)
    s.dos, s.dos_note = _days_of_supply(sc, daily)
    if sc is None and s.kind == "batch":
        s.dos_note = missing
    s.first_stockout = _first_stockout(kpis)
    s.fill_roles = _fill_roles(kpis)
    s.windows = _windows(sc, events)
    return s


def _demand_rows(kpis: pd.DataFrame) -> pd.DataFrame:
    return kpis[kpis["demand"] > 0]


def _fill_groups(kpis: pd.DataFrame) -> pd.DataFrame:
    """Fill of own demand at demand points per group: mean and 95 % interval over replications."""
    own = _demand_rows(kpis).assign(group=lambda d: d["group"].astype(str))
    per = own.groupby(["group", "replication"], sort=False)[["served", "demand"]].sum()
    per = per.assign(fill=per["served"] / per["demand"]).reset_index()
    out = describe(per.assign(variant=""), ["variant", "group"], ["fill"])
    return out[["variant", "group", "n", "mean", "ci95_low", "ci95_high"]]


def _batch_fill_groups(b: Any) -> pd.DataFrame:
    s = b.summary
    rows = s[(s["role"] == "demand_points") & (s["kpi"] == "fill_rate")]
    return rows[["variant", "group", "n", "mean", "ci95_low", "ci95_high"]].reset_index(drop=True)


def _fill_roles(kpis: pd.DataFrame) -> pd.DataFrame:
    """Per role and group: fill of own demand where the role has any, else order fill."""
    k = kpis.assign(role=kpis["role"].astype(str), group=kpis["group"].astype(str))
    per = k.groupby(["role", "group", "replication"], sort=False)[
        ["demand", "served", "orders", "orders_shipped"]].sum().reset_index()
    own = per.groupby(["role", "group"], sort=False)["demand"].transform("sum") > 0
    per["fill"] = np.where(own, per["served"] / per["demand"].where(per["demand"] > 0),
                           per["orders_shipped"] / per["orders"].where(per["orders"] > 0))
    per["of"] = np.where(own, "demand", "orders")
    out = describe(per, ["role", "of", "group"], ["fill"])
    return out[["role", "of", "group", "n", "mean", "ci95_low", "ci95_high"]]


def _first_stockout(kpis: pd.DataFrame) -> pd.DataFrame:
    """Per region and group at demand points: the first stockout day.

    Median over replications, the earliest, and the share of replications with one; ranked
    earliest first within a region.
    """
    own = _demand_rows(kpis).assign(region=lambda d: d["region"].astype(str),
                                    group=lambda d: d["group"].astype(str))
    per = own.groupby(["region", "group", "replication"], sort=False)[
        "first_stockout_day"].min().reset_index()
    out = per.groupby(["region", "group"], sort=False)["first_stockout_day"].agg(
        median="median", earliest="min", share=lambda s: s.notna().mean()).reset_index()
    out = out[out["share"] > 0]
    return out.sort_values(["region", "median", "group"], kind="stable").reset_index(drop=True)


def _days_of_supply(sc: Scenario | None,
                    daily: pd.DataFrame) -> tuple[pd.DataFrame | None, str]:
    if sc is None:
        return None, "no_scenario"
    if daily is None or daily.empty or "region" not in daily.columns:
        return None, "no_daily"
    if "on_hand" not in daily.columns:  # an aggregated batch keeps means
        return None, "no_daily"
    net = network_of(sc)
    own = np.where(net.has_demand & (net.height == 0)[:, None], net.normal_flow, 0.0)
    regions = pd.Series(net.regions)
    use = pd.DataFrame(own, columns=net.product_ids).groupby(regions.to_numpy()).sum()
    use = use.stack().rename("use").rename_axis(["region", "product"]).reset_index()
    use = use[use["use"] > 0]
    d = daily.assign(region=daily["region"].astype(str), product=daily["product"].astype(str),
                     group=daily["group"].astype(str))
    d = d[d["day"] >= sc.warmup_days]
    stock = d.groupby(["replication", "day", "region", "product", "group"], sort=False,
                      observed=True)["on_hand"].sum().reset_index()
    stock = stock.merge(use, on=["region", "product"], how="inner")
    stock["dos"] = stock["on_hand"] / stock["use"]
    weakest = stock.groupby(["replication", "day", "region", "group"], sort=False)["dos"].min()
    q = weakest.groupby(["region", "group", "day"], sort=False).quantile([0.1, 0.5, 0.9])
    out = q.unstack().rename(columns={0.1: "p10", 0.5: "median", 0.9: "p90"}).reset_index()
    return out, ""


def _windows(sc: Scenario | None, events: pd.DataFrame) -> pd.DataFrame:
    """Disruption windows: from the events of the first replication, else the scenario."""
    rows = []
    if events is not None and not events.empty and "kind" in events:
        first = events[events["replication"] == events["replication"].min()]
        starts = first[first["kind"] == "disruption_start"]
        ends = first[first["kind"] == "disruption_end"]
        recovered = first[first["kind"] == "recovery_complete"]
        for name, group in starts.groupby("detail", sort=False):
            stops = sorted(ends[ends["detail"] == name]["day"].tolist())
            back = sorted(recovered[recovered["detail"] == name]["day"].tolist())
            for i, start in enumerate(sorted(group["day"].tolist())):
                end = stops[i] if i < len(stops) else None
                rows.append({"name": str(name), "start": int(start),
                             "end": None if end is None else int(end), "phase": "window"})
                # A factory's restart and recovery follow its window: until the
                # recovery_complete event after this end (or the horizon).
                if end is not None and any(b > end for b in back):
                    rows.append({"name": str(name), "start": int(end),
                                 "end": int(min(b for b in back if b > end)),
                                 "phase": "recovery"})
    elif sc is not None:
        for i, d in enumerate(sc.disruptions):
            start, duration = getattr(d, "start_day", None), getattr(d, "duration_days", None)
            if isinstance(start, (int, float)) and isinstance(duration, (int, float)):
                name = getattr(d, "name", None) or f"disruption {i}"
                end = start + duration
                rows.append({"name": name, "start": int(np.ceil(start)),
                             "end": int(np.ceil(end)), "phase": "window"})
                after = getattr(d, "recovery_days", 0) or 0
                if getattr(d, "capacity_factor", None) == 0:
                    after += getattr(d, "restart_days", 0) or 0
                if isinstance(after, (int, float)) and after > 0:
                    rows.append({"name": name, "start": int(np.ceil(end)),
                                 "end": int(np.ceil(end + after)), "phase": "recovery"})
    return pd.DataFrame(rows, columns=["name", "start", "end", "phase"])
