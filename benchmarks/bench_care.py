"""What care demand costs: the reference network with care activity against plain demand.

    python benchmarks/bench_care.py [--repeat 7]

Issue 10 ("Demand from care activity"): the reference network with care demand stays within
1.5x of its time with plain demand. scenarios/reference/sweden.yaml (180 days) is run as it is,
the wards' demand coming from patients (nine care categories, about 13,000 admissions a day, a
length of stay drawn for each), and as its plain-demand equivalent: the same network with the
care section taken out and each ward given plain Poisson demand at the expected care demand
of each product (`net.care.expected`), so both ask the same units on average. The frozen
benchmarks/reference/sweden.yaml is not used: it predates care, and its policies differ.

Only the simulation is timed (`sim.engine.run_replication` on a compiled network), with the
variants run in alternation so that a busy machine slows them alike; the first round is a
warm-up. Prints the median time of each, their ratio, and the mean daily demand at the wards in
each, as a check that both ask the same.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

import numpy as np

import sim
import sim.engine
import sim.network

REFERENCE = Path(__file__).resolve().parent.parent / "scenarios" / "reference" / "sweden.yaml"
TARGET_RATIO = 1.5


def plain_equivalent(sc: sim.Scenario) -> sim.Scenario:
    """The scenario without care, each ward's expected care demand as plain Poisson demand."""
    net = sim.network.network_of(sc)
    assert net.care is not None, "the reference network has care demand"
    data = sc.resolved()
    data.pop("care")
    expected = net.care.expected
    for node in data["nodes"]:
        i = net.node_ids.index(node["id"])
        cells = np.flatnonzero(expected[i] > 0)
        if len(cells):
            node["demand"] = {
                **node.get("demand", {}),
                **{net.product_ids[j]: {"mean_per_day": float(expected[i, j])} for j in cells},
            }
    return sim.from_dict(data)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    care = sim.load_scenario(REFERENCE)
    cases = {"plain demand": sim.network.network_of(plain_equivalent(care)),
             "care demand": sim.network.network_of(care)}
    times: dict[str, list[float]] = {k: [] for k in cases}
    demand: dict[str, list[float]] = {k: [] for k in cases}
    for round_ in range(args.repeat + 1):
        for key, net in cases.items():
            gc.collect()
            started = time.perf_counter()
            rep = sim.engine.run_replication(net, round_ + 1, 0)
            elapsed = time.perf_counter() - started
            if round_:
                times[key].append(elapsed)
            wards = np.array(net.roles) == "ward"
            demand[key].append(float(rep.daily.demand[care.warmup_days:, wards].sum(axis=(1, 2))
                                     .mean()))
    plain = statistics.median(times["plain demand"])
    print(f"reference network, {care.horizon_days} days, median of {args.repeat} "
          f"(alternating runs, simulation only)")
    print(f"{'demand':>13} {'median s':>9} {'ratio':>6} {'target':>7} {'ward units/day':>15}")
    for key, values in times.items():
        median = statistics.median(values)
        ratio = median / plain
        care_row = key == "care demand"
        mark = ("ok" if ratio <= TARGET_RATIO else "NOT MET") if care_row else ""
        print(f"{key:>13} {median:9.3f} {ratio:6.2f} {'<= 1.5' if care_row else '':>7} "
              f"{statistics.fmean(demand[key]):15,.0f} {mark}")


if __name__ == "__main__":
    main()
