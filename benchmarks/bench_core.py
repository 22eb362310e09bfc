"""Speed of the simulation core: prints median wall times against their targets.

    python benchmarks/bench_core.py [--repeat 5] [--quick] [--part all|cases|scaling]

Two parts (issue "Engine 2", section 4, speed):

1. Cases, end to end: the median wall time of `sim.run(scenario, replications=1)`, simulation
   plus building the result tables (not loading YAML or writing files):
   - one warehouse, N=50 retailers, T=500 days, Poisson(10) demand, base stock; 1 and 40
     products (targets <= 0.25 s and <= 0.5 s per replication, from the first speed issue);
   - the Swedish reference network over 180 days, target <= 0.5 s per replication, and the
     three-month degraded scenario on it, target <= 0.7 s. Both are frozen copies in
     benchmarks/reference/ (see their header comments), so that changes to scenarios/ do not
     move the benchmark.

2. How cost grows: an unlimited source -> one warehouse -> N retailers x P products, 500 days,
   Poisson(10) demand, base stock, for N in {1, 10, 50, 200, 1000} and P in {1, 10}. Only the
   simulation is timed: `sim.engine.run_replication(net, seed, 0)` on
   `net = sim.network.network_of(scenario)` compiled beforehand (no scenario validation, network
   compilation or result tables; the engine's own set-up per replication, such as drawing the
   lead times, is in, spread over the days). The time per day is fitted as

       time_per_day = fixed + per_node_product * (N + 2) * P

   by least squares on relative residuals (each case weighs the same, whatever its size; plain
   least squares is printed too, for comparison), and printed against the targets:
   - fixed cost per day <= 0.12 ms (the SimPy scheduler included);
   - cost per node-product-day <= 0.15 us;
   - N=50, P=1, 500 days <= 65 ms; N=1000, P=10, 500 days <= 0.85 s (measured, not fitted).

The first run of each case is a warm-up and is not counted; then the median of `--repeat` runs
(seeds 1, 2, ...). `--quick` is a smoke check: a smaller grid (N in {1, 10, 50}, P in {1, 10};
the N=1000 target is then shown from the fit, marked as such) and `--repeat 1` unless given.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import sim
import sim.engine
import sim.network

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference" / "sweden.yaml"
DEGRADED = HERE / "reference" / "three_months_degraded.yaml"
DEMAND_ROLES = ["ward", "community_pharmacy", "municipal_care"]

SCALING_DAYS = 500
GRID_N = [1, 10, 50, 200, 1000]
GRID_P = [1, 10]
QUICK_N = [1, 10, 50]
TARGET_FIXED_MS = 0.12  # per day
TARGET_PER_NODE_PRODUCT_US = 0.15  # per node-product-day
TARGET_CASES = [(50, 1, 0.065), (1000, 10, 0.85)]  # (N, P, seconds for 500 days)


def one_warehouse(retailers: int = 50, products: int = 1, days: int = 500) -> sim.Scenario:
    """An unlimited source, one warehouse, `retailers` retailers with Poisson(10) demand.

    Base stock: retailers order up to 40 (lead time 1 day), the warehouse up to 40 per retailer
    and product, at least 2,000 (lead time 2 days): enough for fill rates near 100 % at every
    size, so the benchmark measures normal operations, not a pile-up of backorders. (With 50
    retailers the warehouse level is 2,000, as in the first version of this benchmark.)
    """
    warehouse_level = max(2000, 40 * retailers)
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
            {"match": {"role": "wholesaler"},
             "policy": {"type": "base_stock", "level": warehouse_level}},
        ],
        "stocks": [
            {"match": {"role": "community_pharmacy"}, "stock": {"initial": 40}},
            {"match": {"role": "wholesaler"}, "stock": {"initial": warehouse_level}},
        ],
    })


def timed(run: Callable[[int], object], repeat: int) -> tuple[float, float, object]:
    """Median and minimum wall time of `run(seed)` for seeds 1..repeat, after a warm-up (seed 0).

    The garbage of the previous run is collected before each timed run (untimed).
    """
    out = run(0)
    times = []
    for k in range(repeat):
        gc.collect()
        start = time.perf_counter()
        out = run(1 + k)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), out


def demand_fill(res: sim.RunResult) -> float:
    """Mean fill rate over demand-point node-products (a sanity check)."""
    k = res.kpis
    return float(k[k["role"].isin(DEMAND_ROLES)]["fill_rate"].mean())


def met(value: float, target: float) -> str:
    return "yes" if value <= target else "NO"


# --- 1. cases, end to end ------------------------------------------------------------------------


def run_cases(repeat: int) -> None:
    cases = [
        ("1 warehouse + 50 retailers, 500 d, 1 product", lambda: one_warehouse(products=1),
         0.25),
        ("1 warehouse + 50 retailers, 500 d, 40 products", lambda: one_warehouse(products=40),
         0.5),
        ("reference network (frozen sweden.yaml), 180 d",
         lambda: sim.load_scenario(REFERENCE), 0.5),
        ("three_months_degraded (frozen), 180 d", lambda: sim.load_scenario(DEGRADED), 0.7),
    ]
    print("1. Cases, end to end: sim.run(scenario, replications=1), simulation + result tables\n")
    header = f"{'case':48} {'median s':>9} {'min s':>7} {'target s':>9} {'met':>4}  fill"
    print(header)
    print("-" * len(header))
    for name, build, target in cases:
        sc = build()
        med, best, res = timed(lambda seed, sc=sc: sim.run(sc, seed=seed, replications=1),
                               repeat)
        print(f"{name:48} {med:9.3f} {best:7.3f} {target:9.2f} {met(med, target):>4}  "
              f"{demand_fill(res):.4f}", flush=True)
    print("\nfill: mean fill rate over demand-point node-products (a sanity check, not a target)")


# --- 2. how cost grows ---------------------------------------------------------------------------


def fit(size: np.ndarray, per_day: np.ndarray, relative: bool) -> tuple[float, float]:
    """Least-squares (fixed, per_size) in per_day = fixed + per_size * size.

    With `relative`, the residuals are divided by the measured time: each case weighs the same.
    """
    a = np.column_stack([np.ones_like(size), size])
    b = per_day.copy()
    if relative:
        a = a / per_day[:, None]
        b = np.ones_like(per_day)
    (fixed, slope), *_ = np.linalg.lstsq(a, b, rcond=None)
    return float(fixed), float(slope)


def run_scaling(repeat: int, grid_n: list[int], grid_p: list[int], check_fill: bool) -> None:
    days = SCALING_DAYS
    print(f"2. How cost grows: sim.engine.run_replication(net, seed, 0), {days} days, network "
          f"compiled beforehand\n")
    header = (f"{'N':>5} {'P':>3} {'(N+2)P':>7} {'median s':>9} {'min s':>7} {'ms/day':>8} "
              f"{'fit ms/day':>10} {'resid':>6}" + ("  fill" if check_fill else ""))
    rows: list[tuple[int, int, int, float, float]] = []
    fills: list[float | None] = []
    for p in grid_p:
        for n in grid_n:
            sc = one_warehouse(retailers=n, products=p, days=days)
            net = sim.network.network_of(sc)
            med, best, _ = timed(
                lambda seed, net=net: sim.engine.run_replication(net, seed, 0), repeat)
            rows.append((n, p, (n + 2) * p, med, best))
            fills.append(demand_fill(sim.run(sc, seed=1, replications=1, daily="none"))
                         if check_fill else None)
            print(f"  measured N={n}, P={p}: {med:.3f} s", flush=True)

    size = np.array([r[2] for r in rows], dtype=float)
    per_day = np.array([r[3] for r in rows]) / days
    fixed, slope = fit(size, per_day, relative=True)
    fixed_ols, slope_ols = fit(size, per_day, relative=False)

    print()
    print(header)
    print("-" * len(header))
    for (n, p, np_, med, best), fill in zip(rows, fills, strict=True):
        predicted = fixed + slope * np_
        resid = (med / days - predicted) / predicted
        line = (f"{n:5d} {p:3d} {np_:7d} {med:9.4f} {best:7.4f} {1e3 * med / days:8.4f} "
                f"{1e3 * predicted:10.4f} {100 * resid:+5.0f}%")
        if fill is not None:
            line += f"  {fill:.4f}"
        print(line)
    print("\nresid: measured over fitted time per day, minus 1" +
          ("; fill: mean retailer fill rate (sim.run, seed 1, untimed), a sanity check"
           if check_fill else ""))
    print(f"fit on relative residuals: fixed {1e3 * fixed:.4f} ms/day, "
          f"{1e6 * slope:.4f} us per node-product-day")
    print(f"plain least squares:       fixed {1e3 * fixed_ols:.4f} ms/day, "
          f"{1e6 * slope_ols:.4f} us per node-product-day (for comparison; dominated by the "
          f"largest cases)\n")

    measured = {(r[0], r[1]): r[3] for r in rows}
    header = f"{'target':52} {'value':>10} {'target':>10} {'met':>4}"
    print(header)
    print("-" * len(header))
    print(f"{'fixed cost per day (scheduler included), ms':52} {1e3 * fixed:10.4f} "
          f"{TARGET_FIXED_MS:10.2f} {met(1e3 * fixed, TARGET_FIXED_MS):>4}")
    print(f"{'cost per node-product-day, us':52} {1e6 * slope:10.4f} "
          f"{TARGET_PER_NODE_PRODUCT_US:10.2f} {met(1e6 * slope, TARGET_PER_NODE_PRODUCT_US):>4}")
    for n, p, target in TARGET_CASES:
        value = measured.get((n, p))
        how = "measured"
        if value is None:
            value = days * (fixed + slope * (n + 2) * p)
            how = "FITTED, not measured"
        name = f"N={n}, P={p}, {days} days, s ({how})"
        print(f"{name:52} {value:10.4f} {target:10.3f} {met(value, target):>4}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs per case (default 5, 1 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: smaller grid, --repeat 1 unless given")
    parser.add_argument("--part", choices=["all", "cases", "scaling"], default="all")
    parser.add_argument("--no-fill", action="store_true",
                        help="skip the untimed fill-rate check of each scaling case")
    args = parser.parse_args()
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 5)
    grid_n = QUICK_N if args.quick else GRID_N

    print(f"beredskap {sim.__version__}, numpy {np.__version__}, Python "
          f"{platform.python_version()}, {platform.machine()}; median of {repeat} timed runs "
          f"after a warm-up{', QUICK' if args.quick else ''}\n")
    if args.part in ("all", "cases"):
        run_cases(repeat)
        print()
    if args.part in ("all", "scaling"):
        run_scaling(repeat, grid_n, GRID_P, check_fill=not args.no_fill)


if __name__ == "__main__":
    main()
