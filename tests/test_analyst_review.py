"""Fixes from the review of issue 16 (the analyst's first hour): one test per finding."""

from __future__ import annotations

import copy

import pytest
import yaml
from typer.testing import CliRunner

import sim
from sim.cli import app
from sim.scenario.load import apply_overrides
from sim.scenario.paths import settable_paths
from tests.test_analyst import SCENARIO

runner = CliRunner()


def _named_nodes() -> dict:
    """The analyst scenario with display names on its nodes (as the reference networks have)."""
    data = copy.deepcopy(SCENARIO)
    for node in data["nodes"]:
        node["name"] = node["id"].replace("_", " ").title()
    return data


def _write(tmp_path, data: dict, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _bullets(output: str) -> list[str]:
    return [" ".join(line.split()) for line in output.splitlines() if line.startswith("  - ")]


# --- 1. nodes are addressed by id, even when they have a name ----------------------------------


def test_named_nodes_are_set_and_listed_by_id(tmp_path):
    data = _named_nodes()
    sc = sim.from_dict(data)
    out = apply_overrides(sc, {"nodes[ward_south].region": "uppsala"})
    assert out.nodes[3].region == "uppsala"
    paths = [p.path for p in settable_paths(sc, "ward_south")]
    assert "nodes[ward_south].region" in paths
    assert not any("Ward South" in p for p in paths)
    path = _write(tmp_path, data)
    res = runner.invoke(app, ["paths", str(path), "--grep", "nodes[pharmacy].name"])
    assert res.output.strip() == 'nodes[pharmacy].name = "Pharmacy"  # str | null'
    bad = runner.invoke(app, ["validate", str(path), "--set", "nodes[ward_sout].region=x"])
    assert bad.exit_code == 2
    assert "did you mean 'ward_south'?" in bad.output
    # Rules and disruptions still go by name.
    out = apply_overrides(sc, {"disruptions[Slow roads].duration_days": 3})
    assert out.disruptions[0].duration_days == 3
