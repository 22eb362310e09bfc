"""Helpers that build the result tables, against the plain numpy/pandas forms they replace."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.results import _sort_order, _text


@pytest.mark.parametrize("big", [False, True])
def test_sort_order_is_lexsort(big):
    rng = np.random.default_rng(7)
    n = 5000
    keys = (rng.integers(0, 3, n), rng.integers(0, 40, n), rng.integers(0, 12, n),
            rng.integers(-1, 30, n), rng.integers(-1, 5, n))
    if big:  # ranges too wide for one int64 key: np.lexsort itself
        keys = (keys[0] * 2**40, *keys[1:])
    assert np.array_equal(_sort_order(keys), np.lexsort(keys[::-1]))


def test_sort_order_of_nothing():
    assert len(_sort_order((np.array([], dtype=np.int64),) * 3)) == 0


@pytest.mark.parametrize("codes", [[0, 2, 1, 1, 0, 2], [2, 2], [1], []])
def test_text_is_what_pandas_makes_of_python_strings(codes):
    """Strings and None, only None (object, as pandas infers it), or no rows."""
    labels = ["ward_a", "ward_b", None]
    at = np.array(codes, dtype=np.int64)
    expected = pd.DataFrame({"c": np.array(labels, dtype=object)[at]})["c"]
    got = pd.DataFrame({"c": _text(labels, at)})["c"]
    pd.testing.assert_series_equal(got, expected, check_exact=True)


def _event_table_reference(net, reps):
    """The events table as first written: object columns, np.lexsort over five keys."""
    cols: dict[str, list] = {k: [] for k in ("replication", "day", "kind", "node", "product",
                                             "value", "detail", "chunk")}
    for rep in reps:
        for number, c in enumerate(rep.events):
            n = len(c.nodes)
            cols["chunk"].append(np.full(n, number, dtype=np.int64))
            cols["replication"].append(np.full(n, rep.replication, dtype=np.int64))
            cols["day"].append(np.broadcast_to(np.asarray(c.day, dtype=np.int64), (n,)))
            cols["kind"].append(np.full(n, c.kind, dtype=object))
            cols["node"].append(c.nodes)
            cols["product"].append(c.products)
            cols["value"].append(c.values)
            cols["detail"].append(np.full(n, c.detail, dtype=object))
    flat = {k: np.concatenate(v) for k, v in cols.items()}
    file_node = np.where(flat["node"] >= 0, net.scenario_index[flat["node"]], -1)
    order = np.lexsort((flat["product"], file_node, flat["chunk"], flat["day"],
                        flat["replication"]))
    node_ids = np.array([*net.node_ids, None], dtype=object)
    product_ids = np.array([*net.product_ids, None], dtype=object)
    return pd.DataFrame({
        "replication": flat["replication"][order], "day": flat["day"][order],
        "kind": flat["kind"][order], "node": node_ids[flat["node"][order]],
        "product": product_ids[flat["product"][order]],
        "value": flat["value"][order].astype(float), "detail": flat["detail"][order]})


def test_event_table_matches_the_reference():
    """Two replications of a scenario with stock losses and disruptions, and one whose only
    events name no node or product (an all-missing node column stays object, as before)."""
    from pathlib import Path
    from types import SimpleNamespace

    import sim
    from sim.engine import run_replication
    from sim.network import network_of
    from sim.records import EventChunk
    from sim.results import event_table

    scenario = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "examples"
                                 / "stock_loss.yaml")
    net = network_of(scenario)
    reps = [run_replication(net, 3, k) for k in (1, 0)]
    assert sum(len(c.nodes) for c in reps[0].events) > 10
    pd.testing.assert_frame_equal(event_table(net, reps), _event_table_reference(net, reps),
                                  check_exact=True)
    none = np.array([-1])
    quiet = SimpleNamespace(replication=0, events=[
        EventChunk(4, "disruption_start", none, none, np.array([np.nan]), "strike"),
        EventChunk(2, "disruption_end", none, none, np.array([np.nan]), "flood")])
    pd.testing.assert_frame_equal(event_table(net, [quiet]),
                                  _event_table_reference(net, [quiet]), check_exact=True)
