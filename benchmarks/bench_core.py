"""Speed of the simulation core: prints the median wall time per replication against its target.

    python benchmarks/bench_core.py [--repeat 5]

Cases (issue: simulation core):
- one warehouse, N=50 retailers, T=500 days, Poisson(10) demand, base stock; 1 and 40 products
  (target <= 0.25 s and <= 0.5 s per replication);
- the Swedish reference network over 180 days (target <= 2 s per replication), and the
  three-month degraded scenario on it for information.

A replication's time is `sim.run(scenario, replications=1)` end to end: simulation plus
building the result tables (not loading YAML or writing files). The first run of each case is a
warm-up and is not counted.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent


def one_warehouse(retailers: int = 50, products: int = 1, days: int = 500) -> sim.Scenario:
    """An unlimited source, one warehouse, `retailers` retailers with Poisson(10) demand.

    Base stock: retailers order up to 40 (lead time 1 day), the warehouse up to 2,000 per
    product (lead time 2 days): enough for fill rates near 100 %, so the benchmark measures
    normal operations, not a pile-up of backorders.
    """
    nodes = [
        {"id": "factory", "role": "manufacturer", "country": "DE", "region": "eu",
         "unlimited": True},
        {"id": "warehouse", "role": "wholesaler", "country": "SE", "region": "se"},
    ]
    lanes = [{"from": "factory", "to": "warehouse", "lead_time_days": 2}]
    for i in range(retailers):
        nodes.append({"id": f"retailer_{i}", "role": "community_pharmacy", "country": "SE",
                      "region": "se"})
        lanes.append({"from": "warehouse", "to": f"retailer_{i}", "lead_time_days": 1})
    return sim.from_dict({
        "name": f"one-warehouse-{retailers}x{products}",
        "horizon_days": days,
        "products": {f"p{j}": {"name": f"Product {j}", "group": "g"} for j in range(products)},
        "nodes": nodes,
        "lanes": lanes,
        "demands": [{"match": {"role": "community_pharmacy"},
                     "demand": {"mean_per_day": 10, "distribution": "poisson"}}],
        "policies": [
            {"match": {"role": "community_pharmacy"},
             "policy": {"type": "base_stock", "level": 40}},
            {"match": {"role": "wholesaler"}, "policy": {"type": "base_stock", "level": 2000}},
        ],
        "stocks": [
            {"match": {"role": "community_pharmacy"}, "stock": {"initial": 40}},
            {"match": {"role": "wholesaler"}, "stock": {"initial": 2000}},
        ],
    })


def median_time(sc: sim.Scenario, repeat: int) -> tuple[float, float, sim.RunResult]:
    """Median and minimum wall time of `repeat` single-replication runs (after one warm-up)."""
    res = sim.run(sc, seed=1, replications=1)
    times = []
    for k in range(repeat):
        start = time.perf_counter()
        res = sim.run(sc, seed=1 + k, replications=1)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case")
    args = parser.parse_args()

    cases = [
        ("1 warehouse + 50 retailers, 500 d, 1 product", one_warehouse(products=1), 0.25),
        ("1 warehouse + 50 retailers, 500 d, 40 products", one_warehouse(products=40), 0.5),
        ("reference/sweden.yaml, 180 d", sim.load_scenario(
            ROOT / "scenarios/reference/sweden.yaml"), 2.0),
        ("three_months_degraded.yaml, 180 d", sim.load_scenario(
            ROOT / "scenarios/three_months_degraded.yaml"), None),
    ]
    print(f"beredskap {sim.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, median of {args.repeat} runs (1 replication each)\n")
    header = f"{'case':50} {'median s':>9} {'min s':>7} {'target s':>9} {'met':>4}  fill"
    print(header)
    print("-" * len(header))
    for name, sc, target in cases:
        med, best, res = median_time(sc, args.repeat)
        k = res.kpis
        demand_points = k[k["role"].isin(["ward", "community_pharmacy", "municipal_care"])]
        fill = demand_points["fill_rate"].mean()
        met = "-" if target is None else ("yes" if med <= target else "NO")
        shown = "-" if target is None else f"{target:.2f}"
        print(f"{name:50} {med:9.3f} {best:7.3f} {shown:>9} {met:>4}  {fill:.4f}")
    print("\nfill: mean fill rate over demand-point node-products (a sanity check, not a target)")


if __name__ == "__main__":
    main()
