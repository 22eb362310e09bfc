from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

import sim

ROOT = Path(__file__).resolve().parent.parent


def node(id: str, role: str = "ward", region: str = "uppsala", country: str = "SE",
         **fields: Any) -> dict[str, Any]:
    return {"id": id, "role": role, "country": country, "region": region, **fields}


def scenario(nodes: list[dict], lanes: list[dict], horizon: int = 10, warmup: int = 0,
             products: dict | None = None, **extra: Any) -> sim.Scenario:
    data = {
        "name": "test",
        "horizon_days": horizon,
        "warmup_days": warmup,
        "products": products or {"p": {"name": "Product", "group": "g", "unit": "unit"}},
        "nodes": copy.deepcopy(nodes),
        "lanes": copy.deepcopy(lanes),
        **extra,
    }
    return sim.from_dict(data)


def series(res: sim.RunResult, node_id: str, column: str, product: str = "p") -> list[int]:
    d = res.daily
    rows = d[(d["node"] == node_id) & (d["product"] == product)].sort_values("day")
    return rows[column].tolist()


@pytest.fixture
def root() -> Path:
    return ROOT
