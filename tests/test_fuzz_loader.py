"""Structured fuzzing of the loader: valid scenario documents, mutated, never crash it.

Each example takes a valid scenario document (three of them, from one ward to a three-level
network with rules and disruptions), then drops keys, swaps values for ones of other types,
inserts unknown keys and corrupts values (NaN, infinities, huge and negative numbers, long
and formula-like text) anywhere in it, writes it as YAML and loads it the way `beredskap`
does: the answer is always a valid scenario or exit 2 with a message, never a traceback.
Scenarios that stay valid and short also run one replication.
"""

from __future__ import annotations

import copy
import math
import tempfile
from pathlib import Path
from typing import Any

import typer
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim
from sim.cli import _load

ROOT = Path(__file__).resolve().parent.parent
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-loader-"))

ODD_VALUES = st.sampled_from([
    None, True, False, 0, -1, 1, 2**31, 2**63, -(2**63), 10**30, 1e308, 0.5, -0.5,
    math.nan, math.inf, -math.inf, "", "x", "inf", "nan", "1e400", "-3", "=1+1", "é" * 50,
    "x" * 30_000, [], [1, "a"], {}, {"a": 1}, {"distribution": "uniform"},
])


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place in a document: mapping keys and list items, containers included."""
    out = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*path, i))
    return out


def _parent(doc: Any, path: tuple) -> Any:
    for part in path[:-1]:
        doc = doc[part]
    return doc


NETWORK = """
name: three-levels
horizon_days: 30
warmup_days: 5
seed: 3
products:
  saline: {name: Saline, group: fluids, unit: bag}
  gloves: {name: Gloves, group: ppe, unit: pair}
nodes:
  - {id: abroad, role: manufacturer, country: DE, region: abroad, unlimited: true}
  - {id: maker, role: manufacturer, country: SE, region: north, capacity: {saline: 40},
     qc_release_days: 2, stock: {saline: {initial: 50}}}
  - {id: wholesaler, role: wholesaler, country: SE, region: north}
  - {id: ward_a, role: ward, country: SE, region: north, scale: {beds: 20}, tags: [icu],
     demand: {saline: {mean_per_day: 0.2, per: beds, surges: [{start_day: 3,
     duration_days: 4, factor: 2}]}}}
  - {id: ward_b, role: ward, country: SE, region: south, unmet_demand: lost}
lanes:
  - {from: abroad, to: wholesaler, lead_time_days: {distribution: uniform, low: 2, high: 4}}
  - {from: maker, to: wholesaler, lead_time_days: 1, share: 2}
  - {from: wholesaler, to: ward_a, lead_time_days: 1}
  - {from: wholesaler, to: ward_b, lead_time_days: 1.5, capacity_per_day: 100}
policies:
  - {match: {}, policy: {type: days_of_supply, reorder_days: 5, target_days: 10}}
  - {match: {role: ward}, policy: {type: s_S, s: 4, S: 12}}
stocks:
  - {match: {}, stock: {initial_days: 7}}
demands:
  - {match: {node: ward_b}, demand: {mean_per_day: 3, distribution: negative_binomial,
     dispersion: 2}}
disruptions:
  - {type: power_outage, name: outage, where: {roles: [manufacturer]}, start_day: 5,
     duration_days: 10, capacity_factor: 0.3}
  - {type: transport, lanes: {from_country: [DE]}, start_day: 8, duration_days: 5,
     lead_time_factor: 2, closed: false}
  - {type: demand_surge, where: {tags: [icu]}, start_day: 10, duration_days: 5, factor: 1.5}
"""
BASES = [yaml.safe_load(NETWORK),
         yaml.safe_load((ROOT / "scenarios/examples/single_ward.yaml").read_text()),
         yaml.safe_load((ROOT / "tests/hostile/batch/base.yaml").read_text())]


@st.composite
def mutated(draw: st.DrawFn) -> dict:
    """A valid scenario with one to four mutations anywhere in it."""
    doc = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, last = _parent(doc, path), path[-1]
        action = draw(st.sampled_from(["drop", "swap", "unknown", "corrupt", "wrap"]))
        if action == "drop":
            del parent[last]
        elif action == "unknown" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["colour", "lead_tme", "nodes ", "x-y", "42"]))] = 1
        elif action == "wrap":
            parent[last] = [parent[last]] if draw(st.booleans()) else {"value": parent[last]}
        else:
            parent[last] = draw(ODD_VALUES)
    return doc


def _write(doc: dict, number: list[int] = [0]) -> Path:  # noqa: B006 - a counter across calls
    number[0] += 1
    path = FOLDER / f"case{number[0]}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def test_the_documents_are_valid_before_mutation():
    for doc in BASES:
        sim.from_dict(doc)


@settings(max_examples=250, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(mutated())
def test_mutated_scenarios_load_or_fail_with_a_message(doc):
    path = _write(doc)
    try:
        sc = _load(path, None, False)  # what `beredskap validate` and `run` do
    except typer.Exit as exc:
        assert exc.exit_code == 2
        return
    if sc.horizon_days <= 60:
        res = sim.run(sc, replications=1, daily="none")
        assert (res.ledger.select_dtypes("number") >= 0).all().all()
