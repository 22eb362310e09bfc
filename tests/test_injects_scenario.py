"""Injects against the scenario and the engine: disruption names, what an IT outage does."""

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


def test_an_it_outage_inject_says_what_the_engine_does():
    """The engine: the hit node places no orders; its customers are still supplied from its
    stock. The inject must say that, to the node's customers."""
    it = next(d for d in DISRUPTIONS if d["type"] == "it_outage")
    res = sim.run(small(), seed=1)
    days = range(it["start_day"], it["start_day"] + it["duration_days"])
    daily = res.daily
    plant = daily[(daily["node"] == "plant") & daily["day"].isin(days)]
    tamro = daily[(daily["node"] == "tamro") & daily["day"].isin(days)]
    assert (plant["demand"] == 0).all()  # Tamro orders nothing from its supplier
    assert tamro["served"].sum() > 0  # but delivers to its customers from stock
    table = sim.injects(res, lang="en")
    inject = table[table["rule"] == "it_outage_start"].iloc[0]
    assert inject["from"] == "Tamro" and inject["to"] == "Hospital pharmacy"
    assert "We cannot place orders with our suppliers" in inject["message"]
    assert "Deliveries to you come from our current stock" in inject["message"]
    assert "receive" not in inject["message"]
    sv = sim.injects(res, lang="sv")
    message = sv[sv["rule"] == "it_outage_start"].iloc[0]["message"]
    assert "Vi kan inte lägga beställningar hos våra leverantörer" in message
    assert "ta emot" not in message
