"""Each disruption type acts as docs/engine.md says."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import node, scenario, series


def fixed(mean: float) -> dict:
    return {"mean_per_day": mean, "distribution": "deterministic"}


def chain(disruptions: list[dict], horizon: int = 20, maker: dict | None = None) -> sim.Scenario:
    src = node("src", role="manufacturer", country="DE", region="abroad", unlimited=True)
    wh = node("wh", role="wholesaler", policy={"p": {"type": "base_stock", "level": 20}},
              stock={"p": {"initial": 20}})
    ward = node("w", policy={"p": {"type": "base_stock", "level": 6}},
                stock={"p": {"initial": 6}}, demand={"p": fixed(2)})
    nodes = [src, wh, ward]
    lanes = [{"from": "src", "to": "wh", "lead_time_days": 2},
             {"from": "wh", "to": "w", "lead_time_days": 1}]
    if maker is not None:
        nodes.insert(1, maker)
        lanes = [{"from": "m", "to": "wh", "lead_time_days": 1},
                 {"from": "wh", "to": "w", "lead_time_days": 1}]
    return scenario(nodes, lanes, horizon=horizon, disruptions=disruptions)


def received_per_day(res: sim.RunResult, node_id: str) -> np.ndarray:
    on_hand = np.array(series(res, node_id, "on_hand"))
    inbound = np.array(series(res, node_id, "inbound_in_transit"))
    return on_hand, inbound


def test_export_ban_stops_cross_border_shipments():
    ban = {"type": "export_ban", "name": "ban", "country": "DE", "start_day": 3,
           "duration_days": 5}
    res = sim.run(chain([ban]), seed=1)
    # A ban stops loading, not ships at sea: the 2 + 2 dispatched on days 1 and 2 (due days 3
    # and 4) arrive during the ban. Nothing new leaves DE on days 3-7, so the wholesaler draws
    # down; day 8 the 10 owed (5 days x 2) and the day's 2 ship, due day 10.
    # (Before Engine 2 the goods at sea waited at the border too: 16, 14, 12, 10, 8, 6, 8, ...)
    assert series(res, "wh", "on_hand")[2:11] == [16, 16, 16, 14, 12, 10, 8, 6, 16]
    assert series(res, "wh", "inbound_in_transit")[2:11] == [4, 2, 0, 0, 0, 0, 12, 14, 4]


def test_it_outage_stops_orders_but_not_deliveries():
    outage = {"type": "it_outage", "name": "it", "start_day": 2, "duration_days": 4,
              "where": {"nodes": ["w"]}}
    res = sim.run(chain([outage]), seed=1)
    orders_at_wh = series(res, "wh", "orders")
    assert orders_at_wh[2:6] == [0, 0, 0, 0]
    assert orders_at_wh[1] > 0 and orders_at_wh[6] > 0


def test_demand_surge_multiplies_demand_in_its_window():
    surge = {"type": "demand_surge", "name": "trauma", "start_day": 5, "duration_days": 3,
             "where": {"roles": ["ward"]}, "factor": 3}
    res = sim.run(chain([surge]), seed=1)
    assert series(res, "w", "demand")[3:10] == [2, 2, 6, 6, 6, 2, 2]


def test_factory_loss_stops_production_then_recovers():
    maker = node("m", role="manufacturer", capacity={"p": 10},
                 policy={"p": {"type": "base_stock", "level": 10}})
    loss = {"type": "factory_loss", "name": "fire", "nodes": ["m"], "start_day": 2,
            "duration_days": 5, "recovery_days": 0}
    res = sim.run(chain([loss], maker=maker, horizon=12), seed=1)
    events = res.events[res.events["kind"].str.startswith("disruption")]
    assert events[["day", "kind"]].values.tolist() == [[2, "disruption_start"],
                                                       [7, "disruption_end"]]
    # No production on days 2-6: the maker's 8 units cover 4 days, day 7 is short, production
    # made on day 7 is released on day 8.
    assert series(res, "m", "on_hand") == [0, 6, 8, 6, 4, 2, 0, 0, 6, 8, 8, 8]
    assert series(res, "m", "backorders") == [2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]


def test_power_outage_cuts_dispatch_capacity():
    outage = {"type": "power_outage", "name": "power", "start_day": 2, "duration_days": 10,
              "where": {"nodes": ["wh"]}, "capacity_factor": 0.25}
    res = sim.run(chain([outage], horizon=14), seed=1)
    # Normal flow through wh is 2 a day; with headroom 1.5 its capacity is 3, a quarter is 0.75
    # a day: whole units with the fraction carried over, 3 units every 4 days.
    shipped = np.diff([0, *np.cumsum(series(res, "wh", "served"))])
    assert sum(series(res, "wh", "served")[2:10]) <= 6
    assert (shipped[2:12] <= 1).all()


def test_random_disruption_windows_are_drawn_per_replication():
    outage = {"type": "it_outage", "name": "it", "where": {"nodes": ["w"]},
              "start_day": {"distribution": "uniform", "low": 0, "high": 10},
              "duration_days": 2}
    res = sim.run(chain([outage]), seed=1, replications=4)
    starts = res.events[res.events["kind"] == "disruption_start"]["day"].tolist()
    assert len(starts) == 4 and len(set(starts)) > 1
    assert all(0 <= s <= 10 for s in starts)


def test_overlapping_disruptions_switch_off_independently():
    # Regression: switching off one of two active effects must remove that one only.
    inner = {"type": "demand_surge", "name": "inner", "start_day": 4, "duration_days": 2,
             "where": {"roles": ["ward"]}, "factor": 2}
    outer = {"type": "demand_surge", "name": "outer", "start_day": 2, "duration_days": 8,
             "where": {"roles": ["ward"]}, "factor": 1.5}
    res = sim.run(chain([outer, inner], horizon=12), seed=1)
    assert series(res, "w", "demand")[:12] == [2, 2, 3, 3, 6, 6, 3, 3, 3, 3, 2, 2]


def test_tags_and_lane_roles_select_what_they_name():
    from sim.disruptions import _lane_mask, _node_mask
    from sim.network import network_of
    from sim.scenario import schema

    nodes = [node("src", role="manufacturer", unlimited=True),
             node("store", role="wholesaler"),
             node("icu", tags=["trauma", "icu"], policy={"p": {"type": "base_stock", "level": 1}},
                  demand={"p": {"mean_per_day": 1}}),
             node("vard", tags=["inpatient"], policy={"p": {"type": "base_stock", "level": 1}},
                  demand={"p": {"mean_per_day": 2}})]
    lanes = [{"from": "src", "to": "store", "lead_time_days": 1},
             {"from": "store", "to": "icu", "lead_time_days": 1},
             {"from": "store", "to": "vard", "lead_time_days": 1}]
    sc = scenario(nodes, lanes, policies=[
        {"match": {"role": "wholesaler"}, "policy": {"type": "base_stock", "level": 9}},
        {"match": {"tag": "trauma"}, "policy": {"type": "base_stock", "level": 5}}])
    net = network_of(sc)
    # Node-level entries win over rules: the tag rule reaches icu's level only through rules.
    assert net.order_up_to[net.node_ids.index("store"), 0] == 9
    assert net.order_up_to[net.node_ids.index("icu"), 0] == 1
    where = schema.Where(tags=["icu", "nothing"])
    assert [n for n, m in zip(net.node_ids, _node_mask(net, where), strict=True) if m] == ["icu"]
    lane = schema.LaneWhere(from_role=["wholesaler"], to=["vard"])
    chosen = _lane_mask(net, lane)
    assert [(net.node_ids[s], net.node_ids[d]) for s, d, m in
            zip(net.lane_src, net.lane_dst, chosen, strict=True) if m] == [("store", "vard")]


def test_unknown_tag_is_reported_with_a_suggestion():
    nodes = [node("src", role="manufacturer", unlimited=True),
             node("icu", tags=["trauma"], policy={"p": {"type": "base_stock", "level": 1}},
                  demand={"p": {"mean_per_day": 1}})]
    with pytest.raises(sim.ScenarioError, match="did you mean 'trauma'"):
        scenario(nodes, [{"from": "src", "to": "icu", "lead_time_days": 1}],
                 disruptions=[{"type": "it_outage", "start_day": 1, "duration_days": 1,
                               "where": {"tags": ["trama"]}}])
