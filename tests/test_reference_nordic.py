"""The Nordic reference network (issue 12, deliverable 2): how it is joined, what is shared, the
baseline criteria in each country, and the national-priority variant.

The composition tests read the compiled networks, without simulating. The baseline tests run one
180-day replication of the Nordic baseline (the figures from longer runs are in the comments);
the national-priority test runs 45 days of the baseline and of the variant (their full runs are in
test_scenarios.py).
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

import sim
from sim.network import Network, network_of

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "reference"
NORDIC = REFERENCE / "nordic.yaml"
BASELINE = ROOT / "scenarios" / "nordic_baseline.yaml"
PRIORITY = ROOT / "scenarios" / "nordic_national_priority.yaml"
COUNTRY_FILES = {"SE": REFERENCE / "sweden.yaml", "NO": REFERENCE / "norway.yaml"}
DEMAND_POINTS = ["ward", "community_pharmacy", "municipal_care"]
SHARED = {"maker_eu", "maker_cn", "maker_in", "fluids_halden"}


@cache
def network(path: Path = NORDIC) -> Network:
    return network_of(sim.load_scenario(path))


@cache
def baseline() -> sim.RunResult:
    return sim.run(sim.load_scenario(BASELINE), seed=1, replications=1)


def make_nordic() -> ModuleType:
    if "make_nordic" not in sys.modules:
        spec = importlib.util.spec_from_file_location("make_nordic", REFERENCE / "make_nordic.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["make_nordic"] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
    return sys.modules["make_nordic"]


def country_of(net: Network) -> np.ndarray:
    """Each node's country, in the network's node order (which is not the scenario's)."""
    country = {n.id: n.country for n in net.scenario.nodes}
    return np.array([country[n] for n in net.node_ids])


# --- composition ---------------------------------------------------------------------------------

def test_the_files_are_what_make_nordic_writes():
    # Generated files: if this fails after a change to sweden.yaml or norway.yaml (or their
    # tables), run `python scenarios/reference/make_nordic.py` and commit what it writes.
    nordic, priority = make_nordic().build()
    assert nordic == NORDIC.read_text(encoding="utf-8")
    assert priority == PRIORITY.read_text(encoding="utf-8")


def test_every_node_of_both_countries_once_and_only_the_suppliers_shared():
    ids = {c: {n.id for n in sim.load_scenario(p).nodes} for c, p in COUNTRY_FILES.items()}
    nordic = [n.id for n in sim.load_scenario(NORDIC).nodes]
    assert len(nordic) == len(set(nordic))
    assert set(nordic) == ids["SE"] | ids["NO"]
    assert ids["SE"] & ids["NO"] == SHARED


def test_each_country_keeps_its_own_rules_demand_and_care():
    # Every rule was restricted to its country: each node that is not a shared supplier has the
    # policy levels, initial days and mean demand it has in its own country's network. (Its
    # normal flow, and so its stock in units, changes only where the flows do: the shared plants
    # and the far-north trusts that now have two gas suppliers.)
    nordic = network()
    for code, path in COUNTRY_FILES.items():
        own = network(path)
        rows = [i for i, n in enumerate(own.node_ids) if n not in SHARED]
        there = [nordic.node_ids.index(own.node_ids[i]) for i in rows]
        cols = [nordic.product_ids.index(p) for p in own.product_ids]
        for name in ("reorder_days", "target_days", "demand_mean"):
            a = getattr(own, name)[rows]
            b = getattr(nordic, name)[np.ix_(there, cols)]
            np.testing.assert_array_equal(a, b, err_msg=f"{code} {name}")
        care_own = own.care.expected[rows] if own.care is not None else 0
        care_nordic = nordic.care.expected[np.ix_(there, cols)] if nordic.care is not None else 0
        np.testing.assert_allclose(care_own, care_nordic, rtol=1e-12, err_msg=f"{code} care")


def test_shared_plants_have_the_whole_capacity_and_both_markets_compete_for_it():
    # Halden: each file gives its own market's part (15 % above its draw); the plant is both,
    # 15 % above the Nordic draw, with lanes to both countries.
    net = network()
    i = net.node_ids.index("fluids_halden")
    made = net.production_capacity[i] > 0
    np.testing.assert_allclose(net.production_capacity[i, made] / net.normal_flow[i, made],
                               1.15, rtol=0.01)
    countries = country_of(net)
    customers = {countries[d] for s, d in zip(net.lane_src, net.lane_dst, strict=True) if s == i}
    assert customers == {"SE", "NO"}
    # Outside sources with a cap in a country file keep its multiple of the draw, Nordic now.
    for node in ("maker_eu", "maker_cn", "maker_in"):
        j = net.node_ids.index(node)
        capped = np.isfinite(net.dispatch_capacity[j]) & (net.normal_flow[j] > 0)
        for path in COUNTRY_FILES.values():
            own = network(path)
            k = own.node_ids.index(node)
            mine = np.isfinite(own.dispatch_capacity[k]) & (own.normal_flow[k] > 0)
            cols = [net.product_ids.index(p) for p, m in zip(own.product_ids, mine,
                                                              strict=True) if m]
            assert capped[cols].all(), node
            np.testing.assert_allclose(
                net.dispatch_capacity[j, cols] / net.normal_flow[j, cols],
                own.dispatch_capacity[k, mine] / own.normal_flow[k, mine], rtol=0.01)


def test_cross_border_lanes_are_the_shared_plants_and_the_ban_covers_them():
    # Between the two countries only plants ship: Halden to Sweden, a Swedish gas maker to the
    # Norwegian far north. National priority bans exactly what they ship across.
    net = network()
    countries = country_of(net)
    across: dict[str, set[str]] = {"SE": set(), "NO": set()}
    for lane in range(net.n_lanes):
        a, b = countries[net.lane_src[lane]], countries[net.lane_dst[lane]]
        if a != b and {a, b} == {"SE", "NO"}:
            assert net.roles[net.lane_src[lane]] == "manufacturer"
            across[a] |= {p for p, c in zip(net.product_ids, net.lane_carries[lane],
                                            strict=True) if c}
    assert across["NO"] and across["SE"] <= {p for p, x in net.scenario.products.items()
                                             if x.group == "medical_gases"} and across["SE"]
    sc = sim.load_scenario(PRIORITY)
    bans = {d.country: d for d in sc.disruptions}
    assert set(bans) == {"SE", "NO"}
    groups = {p: x.group for p, x in sc.products.items()}
    for code, products in across.items():
        ban = bans[code]
        assert ban.type == "export_ban"
        banned = {p for p in groups if p in ban.products or groups[p] in ban.products}
        assert banned == products, code
        assert ban.start_day == sc.warmup_days
        assert ban.start_day + ban.duration_days == sc.horizon_days


# --- baseline -----------------------------------------------------------------------------------

def test_baseline_serves_every_product_and_keeps_stocks_level_in_each_country():
    # One test, so that parallel workers (pytest-xdist) run the 180-day baseline once.
    # The criteria of the country networks, country by country: every product's fill at demand
    # points >= 99.5 %, and stockouts rare noise. One replication here. 4 replications (seed 1)
    # gave every product >= 99.9996 % in Sweden (6 units of tranexamic acid unmet in all) and
    # 100 % in Norway; stockout days at demand points at 1.1e-6 of their cell-days in Sweden
    # (4 in all) and 9.0e-6 in Norway (18), as in the country networks alone.
    res = baseline()
    countries = {n.id: n.country for n in res.scenario.nodes}
    k = res.kpis[res.kpis["role"].isin(DEMAND_POINTS)]
    k = k.assign(country=k["node"].astype(str).map(countries))
    sums = k.groupby(["country", "product"], observed=True)[["served", "demand"]].sum()
    fill = sums["served"] / sums["demand"]
    for code in ("SE", "NO"):
        mine = fill.loc[code]
        assert len(mine) >= 34 and mine.min() >= 0.995, (code, mine.sort_values().head())
        # Below 5e-5 of cell-days, the bound of tests/test_reference_norway.py.
        days = res.scenario.horizon_days - res.scenario.warmup_days
        here = k[k["country"] == code]
        rate = here["stockout_days"].sum() / ((here["demand"] > 0).sum() * days)
        assert rate <= 5e-5, (code, rate)
    stocks_stay_level(res)


def stocks_stay_level(res: sim.RunResult) -> None:
    # As tests/test_reference_norway.py measures it: on-hand stock, mean of the last 30 days
    # against the first 30 after warm-up, per product group summed over each country's chain
    # below the importers, within 5 %. At most 2.9 % over 4 replications (seed 1; Swedish
    # infusion fluids, whose hospital pharmacies order in lots of a week on recent demand).
    sc = res.scenario
    countries = {n.id: n.country for n in sc.nodes}
    first = (sc.warmup_days, sc.warmup_days + 30)
    last = (sc.horizon_days - 30, sc.horizon_days)
    groups = {pid: p.group for pid, p in sc.products.items()}
    daily = res.daily[~res.daily["role"].isin(["importer", "manufacturer"])]
    daily = daily.assign(group=daily["product"].astype(str).map(groups),
                         country=daily["node"].astype(str).map(countries))
    chain = daily.groupby(["day", "country", "group"], observed=True)["on_hand"].sum()
    chain = chain.reset_index()

    def window(days: tuple[int, int]) -> pd.Series:
        inside = chain[(chain["day"] >= days[0]) & (chain["day"] < days[1])]
        return inside.groupby(["country", "group"], observed=True)["on_hand"].mean()

    drift = window(last) / window(first) - 1
    assert drift.abs().max() <= 0.05, drift.sort_values()


# --- national priority ----------------------------------------------------------------------------

def test_national_priority_runs_and_stops_the_plants_exports():
    # 45 days against the baseline's first 45 (same seed, same demand): the bans start on day
    # 30. After it, Halden gets only Norwegian orders (41 % of its capacity is Norway's part) and
    # the Swedish gas maker only Swedish ones: each customer's orders fall back to its other
    # lanes (sourcing `fallback`). Measured (seed 1): Halden's Ringer-acetat orders on days
    # 32-44 are 0.46 of the baseline's (Norway's part of the plant is 41 %), the Swedish gas
    # maker's bulk oxygen orders 0.97 (the far north's half is about 3 % of its draw).
    short = {"horizon_days": 45}
    runs = {name: sim.run(sim.load_scenario(path).with_overrides(short), seed=1, replications=1)
            for name, path in (("baseline", BASELINE), ("priority", PRIORITY))}
    led = runs["priority"].ledger
    inflow = led["initial"] + led["initial_in_qc"] + led["received"] + led["produced"]
    outflow = (led["shipped"] + led["consumed"] + led["expired"] + led["destroyed"]
               + led["final"] + led["recalled"])
    assert (inflow == outflow).all()
    starts = runs["priority"].events.query("kind == 'disruption_start'")
    assert len(starts) == 2 and (starts["day"] == 30).all()

    def orders(name: str, node: str, product: str) -> float:
        d = runs[name].daily
        mine = d[(d["node"] == node) & (d["product"] == product) & (d["day"] >= 32)
                 & (d["day"] < 45)]
        return float(mine["orders"].sum())

    halden = orders("priority", "fluids_halden", "ringer_acetat_1l") / orders(
        "baseline", "fluids_halden", "ringer_acetat_1l")
    assert 0.2 <= halden <= 0.6, halden
    gas = make_nordic().far_north_gas_lanes(*(
        make_nordic().Country(c, p, s, REFERENCE) for c, p, s in make_nordic().COUNTRIES))[1]
    assert orders("priority", gas, "oxygen_bulk") < orders("baseline", gas, "oxygen_bulk")
