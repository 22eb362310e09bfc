"""Care activity on the Swedish reference network (issue 10, "The reference network").

The wards' demand comes from patients and staff shifts; its baseline must stay what the plain
per-bed demand was, within 5 % per product group. Checked on the compiled network's expected own
demand (Little's law, as the engine counts stays), so no simulation is needed.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import sim
from sim.network import Network, network_of

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "scenarios" / "reference" / "sweden.yaml"
DEGRADED = ROOT / "scenarios" / "three_months_degraded.yaml"

# Mean own demand a day per kind of ward and product group on the plain-demand network (the
# reference network at commit 2998a50, before care activity): demand_mean x scale.
BEFORE: dict[str, dict[str, float]] = {
    "akut": {"infusion_fluids": 4604.5, "medical_gases": 1180.0, "polymer_devices": 27765.6,
             "ppe": 106897.6, "analgesics": 3123.6, "catecholamines": 925.5,
             "sedatives_relaxants": 462.8, "anticoagulants": 578.4, "haemostatics": 578.4,
             "antibiotics": 925.5},
    "op_iva": {"infusion_fluids": 11760.7, "medical_gases": 8450.1, "polymer_devices": 64822.8,
               "ppe": 213915.2, "analgesics": 6250.8, "catecholamines": 3009.6,
               "sedatives_relaxants": 6945.3, "anticoagulants": 1157.5, "haemostatics": 1157.5,
               "antibiotics": 4861.7},
    "vard": {"infusion_fluids": 34041.4, "medical_gases": 7280.5, "polymer_devices": 177093.9,
             "ppe": 1138320.2, "analgesics": 15741.7, "catecholamines": 0.0,
             "sedatives_relaxants": 0.0, "anticoagulants": 11806.3, "haemostatics": 983.9,
             "antibiotics": 7870.8},
}
TRAUMA = ("trauma_emergency", "trauma_surgery_icu", "trauma_ward")


@cache
def network(path: Path) -> Network:
    return network_of(sim.load_scenario(path))


def make_sweden() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_sweden", ROOT / "scenarios" / "reference" / "make_sweden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_sweden", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(sys.modules["make_sweden"])
    return sys.modules["make_sweden"]


def own_demand(net: Network) -> np.ndarray:
    """Expected own demand a day per node and product: plain demand plus care."""
    care = 0.0 if net.care is None else net.care.expected
    return net.demand_mean * net.plain_demand + care


def ward_kind(node_id: str) -> str:
    return next(k for k in BEFORE if node_id.endswith("_" + k))


def by_kind_and_group(net: Network, demand: np.ndarray) -> dict[str, dict[str, float]]:
    groups = np.array([net.scenario.products[p].group for p in net.product_ids])
    kinds = np.array([ward_kind(n) if r == "ward" else "" for n, r in
                      zip(net.node_ids, net.roles, strict=True)])
    return {k: {g: float(demand[kinds == k][:, groups == g].sum()) for g in BEFORE[k]}
            for k in BEFORE}


def test_the_care_block_is_what_make_sweden_writes():
    # sweden.yaml's care section is generated: edit make_sweden.py and run it, never the YAML.
    mk = make_sweden()
    nodes, _ = mk.build()
    assert mk.care_block(nodes) in REFERENCE.read_text(encoding="utf-8")


def test_wards_have_care_demand_and_no_plain_demand():
    net = network(REFERENCE)
    wards = np.array(net.roles) == "ward"
    assert not net.plain_demand[wards].any()
    assert net.care is not None and (net.care.expected[wards].sum(axis=1) > 0).all()
    others = np.isin(net.roles, ["community_pharmacy", "municipal_care"])
    assert net.plain_demand[others].any() and net.care.expected[others].sum() == 0


def test_baseline_consumption_per_group_stays_within_5_percent_of_the_plain_demand():
    after = by_kind_and_group(network(REFERENCE), own_demand(network(REFERENCE)))
    for kind, groups in BEFORE.items():
        for group, before in groups.items():
            if before == 0:
                assert after[kind][group] == 0, (kind, group)
            else:
                assert after[kind][group] == pytest.approx(before, rel=0.05), (kind, group)
    for group in BEFORE["vard"]:
        total = sum(BEFORE[k][group] for k in BEFORE)
        assert sum(after[k][group] for k in BEFORE) == pytest.approx(total, rel=0.05), group


@pytest.mark.parametrize("path", [REFERENCE, DEGRADED], ids=["reference", "degraded"])
def test_the_care_arrays_survive_the_resolved_round_trip(path):
    # Batches run a variant from its resolved JSON (every default written out); the norms that
    # refine an earlier one carry all their fields, so both give the same care demand.
    sc = sim.load_scenario(path)
    a, b = network_of(sc).care, network_of(sim.from_dict(sc.resolved())).care
    assert a is not None and b is not None
    for name in ("per_patient_day", "per_admission", "per_shift", "admissions", "expected"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_trauma_is_ten_days_of_imperative_care():
    sc = sim.load_scenario(REFERENCE)
    assert sc.care is not None
    cats = sc.care.categories
    assert all(cats[c].priority == "imperative" for c in TRAUMA)
    assert sum(float(cats[c].length_of_stay_days) for c in TRAUMA) == 10
    assert {c for c, spec in cats.items() if spec.priority == "deferrable"} == {
        "surgery_planned", "post_operative"}


def test_the_degraded_trauma_surge_raises_every_group_at_the_wards_ppe_included():
    net = network(DEGRADED)
    sc = net.scenario
    (surge,) = [d for d in sc.disruptions if d.type == "demand_surge"]
    assert surge.categories is not None and set(surge.categories) == set(TRAUMA)
    assert surge.products is None  # plain demand at pharmacies and municipal care is not hit
    care = net.care
    assert care is not None
    trauma = np.isin(care.categories, TRAUMA)
    unit = care.stay_days[None, :, None] * (care.per_patient_day + care.per_shift) + (
        care.per_admission)
    extra = (surge.factor - 1) * np.einsum("nc,ncp->np", care.admissions[:, trauma],
                                           unit[:, trauma])
    rise = by_kind_and_group(net, extra)
    base = by_kind_and_group(net, own_demand(net))
    for kind in BEFORE:
        for group, units in base[kind].items():
            if units > 0:
                assert rise[kind][group] > 0, (kind, group)
    # The war's extra injured, and how many of them are in surgery and intensive care at a time
    # (about 550, the ICU load of the COVID-19 peak the scenario's comment cites).
    column = list(care.categories).index("trauma_surgery_icu")
    extra_admissions = (surge.factor - 1) * care.admissions[:, column].sum()
    assert 250 <= extra_admissions <= 300
    assert 500 <= extra_admissions * care.stay_days[column] <= 600
