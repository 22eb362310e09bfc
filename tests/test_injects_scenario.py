"""Injects against the scenario and the engine: disruption names, what an IT outage does
(by its `effect`)."""

from __future__ import annotations

import pytest
import yaml

import sim
from sim.scenario import ScenarioError
from tests.conftest import node
from tests.test_injects_small import DISRUPTIONS, small


def scenario_data(disruptions: list[dict]) -> dict:
    return {
        "name": "names", "horizon_days": 20, "warmup_days": 0,
        "products": {"p": {"name": "Product", "group": "g", "unit": "unit"}},
        "nodes": [node("maker", "manufacturer", unlimited=True),
                  node("ward", demand={"p": {"mean_per_day": 1}},
                       policy={"p": {"type": "base_stock", "level": 5}},
                       stock={"p": {"initial": 5}})],
        "lanes": [{"from": "maker", "to": "ward", "lead_time_days": 1}],
        "disruptions": disruptions,
    }


def test_disruption_names_are_unique_with_file_and_line(tmp_path):
    # Events name a disruption by its name: two of one name would be mixed up in the injects.
    twice = [{"type": "it_outage", "name": "Cyberangrepp", "start_day": 2, "duration_days": 3,
              "where": {"nodes": ["ward"]}},
             {"type": "demand_surge", "name": "Cyberangrepp", "start_day": 5,
              "duration_days": 3, "where": {"nodes": ["ward"]}, "factor": 2}]
    path = tmp_path / "twice.yaml"
    path.write_text(yaml.safe_dump(scenario_data(twice), sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        sim.load_scenario(path)
    line = [i for i, text in enumerate(path.read_text().splitlines(), start=1)
            if "name: Cyberangrepp" in text][-1]  # the second disruption's name
    message = str(caught.value)
    assert f"{path}:{line}: disruptions[1].name: duplicate disruption name 'Cyberangrepp' " \
           "(also disruptions[0])" in message
    unnamed = [{k: v for k, v in d.items() if k != "name"} for d in twice]
    assert len(sim.from_dict(scenario_data(unnamed)).disruptions) == 2  # type#index names


@pytest.mark.parametrize("effect", ["ordering", "order_intake", "both"])
def test_an_it_outage_inject_says_what_the_engine_does(effect):
    """The engine: an outage with `ordering` places no orders (its customers are still
    supplied from its stock); with `order_intake` it ships nothing on its customers' orders
    while it lasts (they wait: here the customers have no other supplier) and ships them when
    it is back; `both` does both. The inject to the node's customers must say which."""
    it = next(d for d in DISRUPTIONS if d["type"] == "it_outage")
    disruptions = [{**d, "effect": effect} if d is it else d for d in DISRUPTIONS]
    res = sim.run(small(disruptions=disruptions), seed=1)
    days = range(it["start_day"], it["start_day"] + it["duration_days"])
    daily = res.daily.groupby(["node", "day"])[["orders", "orders_shipped", "backorders"]].sum()
    plant, tamro = daily.loc["plant"], daily.loc["tamro"]
    during, last = list(days), days[-1]
    if effect in ("ordering", "both"):
        assert (plant.loc[during, "orders"] == 0).all()  # Tamro orders nothing from its supplier
    if effect == "ordering":
        assert tamro.loc[during, "orders_shipped"].sum() > 0  # but supplies its customers
    else:
        assert (tamro.loc[during, "orders_shipped"] == 0).all()  # ships nothing on their orders
        assert tamro.loc[last, "backorders"] > 0  # which wait (no other supplier here)
        assert tamro.loc[last + 1, "backorders"] < tamro.loc[last, "backorders"]  # until back
    table = sim.injects(res, lang="en")
    inject = table[table["rule"] == "it_outage_start"].iloc[0]
    assert inject["from"] == "Tamro" and inject["to"] == "Hospital pharmacy"
    message = inject["message"]
    if effect == "ordering":
        assert "no orders can be placed with suppliers" in message
        assert "customers are still supplied from stock as long as it lasts" in message
    else:
        assert "nothing is shipped to customers until the system is back" in message
        assert "still supplied" not in message
    sv = sim.injects(res, lang="sv")
    message = sv[sv["rule"] == "it_outage_start"].iloc[0]["message"]
    assert ("kunderna får fortfarande leveranser från lagret" in message) == (effect == "ordering")
