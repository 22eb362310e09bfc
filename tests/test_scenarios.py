"""Every shipped scenario runs, balances, and tells the story its comments claim."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(p for p in (ROOT / "scenarios").rglob("*.yaml"))
DEMAND_POINTS = ["ward", "community_pharmacy", "municipal_care"]


@cache
def result(relative: str) -> sim.RunResult:
    return sim.run(sim.load_scenario(ROOT / relative), replications=1)


def fill_by(res: sim.RunResult, key: str, roles: list[str] = DEMAND_POINTS) -> pd.Series:
    k = res.kpis[res.kpis["role"].isin(roles)]
    sums = k.groupby(key, observed=True)[["served", "demand"]].sum()
    return sums["served"] / sums["demand"]


def group_of(res: sim.RunResult) -> dict[str, str]:
    return {pid: p.group for pid, p in res.scenario.products.items()}


def test_scenarios_are_shipped():
    names = {p.relative_to(ROOT / "scenarios").as_posix() for p in SHIPPED}
    assert {"reference/sweden.yaml", "baseline.yaml", "three_months_degraded.yaml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shipped_scenario_runs_and_balances(path: Path):
    res = result(path.relative_to(ROOT).as_posix())
    led = res.ledger
    assert len(res.kpis) and len(res.daily) and len(led)
    inflow = led["initial"] + led["initial_in_qc"] + led["received"] + led["produced"]
    outflow = (led["shipped"] + led["consumed"] + led["expired"] + led["destroyed"]
               + led["final"] + led["recalled"])
    assert (inflow == outflow).all()
    totals = led.groupby("product", observed=True)[["shipped", "received",
                                                    "in_transit_at_end"]].sum()
    assert (totals["shipped"] == totals["received"] + totals["in_transit_at_end"]).all()
    assert (res.daily["on_hand"] >= 0).all()


def test_reference_network_has_the_promised_shape():
    sc = sim.load_scenario(ROOT / "scenarios/reference/sweden.yaml")
    roles = pd.Series([n.role for n in sc.nodes])
    regions = {n.region for n in sc.nodes if n.country == "SE" and n.role == "hospital_pharmacy"}
    groups = {p.group for p in sc.products.values()}
    focus = {"infusion_fluids", "medical_gases", "polymer_devices", "ppe"}
    in_focus = sum(p.group in focus for p in sc.products.values())
    assert len(regions) == 21
    assert 55 <= (roles == "hospital_pharmacy").sum() <= 65
    assert (roles == "ward").sum() >= 2 * (roles == "hospital_pharmacy").sum()
    assert {n.id for n in sc.nodes if n.role == "wholesaler" and not n.tags} == {"tamro", "oriola"}
    assert focus <= groups and in_focus >= 24
    domestic = {n.id for n in sc.nodes if n.role == "manufacturer" and n.country == "SE"}
    made = {sc.products[p].group if sc.products[p].group != "ppe" else p
            for n in sc.nodes if n.id in domestic for p in n.capacity}
    assert {"infusion_fluids", "medical_gases", "visor", "apron"} <= made


def test_baseline_serves_nearly_all_demand_and_stocks_stay_level():
    res = result("scenarios/baseline.yaml")
    fill = fill_by(res, "product")
    assert fill.min() >= 0.995, fill.sort_values().head()
    # Stocks are stable: at every echelon, mean days of supply over the second half of the
    # measured period is within 10 % of the first half. Importers order in cycles of about 80
    # days (reorder at 30 days, order up to 90), so a 180-day run's halves catch different
    # phases of one cycle (-24 % with nothing drifting); 420 days give each half about two and
    # a half cycles.
    long = sim.run(sim.load_scenario(ROOT / "scenarios/baseline.yaml")
                   .with_overrides({"horizon_days": 420}), replications=1)
    dos = long.days_of_supply(by=["role"])
    dos = dos[dos["day"] >= long.scenario.warmup_days]
    middle = (long.scenario.warmup_days + long.scenario.horizon_days) / 2
    halves = dos.groupby(["role", dos["day"] >= middle])["days_of_supply"].mean().unstack()
    drift = (halves[True] / halves[False] - 1).abs()
    assert drift.max() <= 0.10, drift


def test_degraded_scenario_runs_short_where_stock_rules_say_it_should():
    res = result("scenarios/three_months_degraded.yaml")
    groups = group_of(res)
    k = res.kpis[res.kpis["role"].isin(DEMAND_POINTS)].copy()
    k["group"] = k["product"].astype(str).map(groups)
    sums = k.groupby("group")[["served", "demand"]].sum()
    fill = sums["served"] / sums["demand"]
    # Since the recalibration (issue 12; README): PPE runs short under the two-month Chinese
    # export ban, because the regions hold Jämtland's 28 days of most PPE and 14 of type IIR
    # masks instead of 20 weeks of everything (the 2025 report expects PPE shortage); medical
    # gases hold (gas makers can make twice their normal draw, 1.2 times at 60 % power, and the
    # larger hospitals make their own medical air); fluids and trauma medicines hold (a month at
    # the hospitals, months at the importers against about 15 % and 40 % more use). Imperative
    # care is served first: at wards nearly all of it is served.
    assert fill["ppe"] < 0.99, fill["ppe"]
    for group in ("medical_gases", "infusion_fluids", "catecholamines", "sedatives_relaxants"):
        assert fill[group] >= 0.99, (group, fill[group])
    imperative = k.loc[k["role"] == "ward", "fill_imperative"].dropna()
    assert imperative.mean() >= 0.99 and imperative.median() == 1.0, imperative.describe()
    # Nothing runs out before the crisis begins on day 30.
    crisis = min(d.start_day for d in res.scenario.disruptions)
    first = res.kpis["first_stockout_day"].dropna()
    assert first.min() >= crisis
    # The crisis, not noise: the same network without disruptions does not run short.
    # The baseline loses at most half a percent of any product (test above); the crisis at
    # least twenty times that of its lowest (type IIR masks).
    base = fill_by(result("scenarios/baseline.yaml"), "product")
    assert base.min() - fill_by(res, "product").min() > 20 * (1 - 0.995)


def test_degraded_scenario_events_name_its_disruptions():
    res = result("scenarios/three_months_degraded.yaml")
    ev = res.events
    starts = ev[ev["kind"] == "disruption_start"]
    assert set(starts["detail"]) == {d.name for d in res.scenario.disruptions}
    for kind in ("stockout_start", "allocation_cut", "dos_below"):
        assert (ev["kind"] == kind).any(), kind
    assert np.isfinite(ev.loc[ev["kind"] == "dos_below", "value"]).all()
