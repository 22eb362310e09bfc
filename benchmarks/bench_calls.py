"""Function calls per simulated day on the reference network: where a day's time goes.

    python benchmarks/bench_calls.py [--scenario benchmarks/reference/sweden.yaml] [--top 15]
                                     [--pyinstrument]

Issue "Engine 2", section 4 (speed): a day should be a small, fixed number of array operations.
This script profiles one replication of the frozen reference network (benchmarks/reference/,
180 days) with cProfile: `sim.engine.run_replication(net, seed, 0)` on
`net = sim.network.network_of(scenario)` compiled beforehand, after one unprofiled warm-up
replication. It prints, per simulated day:

- all function calls cProfile sees;
- numpy calls: calls of functions that live in numpy (Python functions in numpy's files, and
  builtins named after numpy: `<method '...' of 'numpy.ndarray' objects>`, `<built-in method
  numpy...>`, `<method 'reduce' of 'numpy.ufunc' objects>` and the like); and of those, the
  calls made from outside numpy: each a numpy operation the engine asked for, the rest being
  numpy's own internals. `__array_function__` dispatchers (`_*_dispatcher`) are left out of the
  second figure so that `np.all(x)` counts once; a numpy function written in C shows as its
  Python dispatcher stub (`numpy/_core/multiarray.py(where)` for `np.where`). cProfile does not
  see ufunc calls (`np.add(a, b)`, `np.maximum(a, b)`, ...), operators on arrays (arithmetic,
  comparisons, indexing), so the numpy figures are lower bounds on the numpy work;
- SimPy events: calls of `simpy.core.Environment.step`, one per event processed;
- a profile summary: the top functions of the `sim` package by cumulative time.

Times under cProfile are inflated by its overhead (every call is hooked); the counts are exact.
`--pyinstrument` also prints pyinstrument's statistical profile (low overhead) of a replication.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import time
from pathlib import Path

import numpy as np
import simpy

import sim
import sim.engine
import sim.network

HERE = Path(__file__).resolve().parent
REFERENCE = HERE / "reference" / "sweden.yaml"
SIM_DIR = str(Path(sim.__file__).resolve().parent)
NUMPY_DIR = str(Path(np.__file__).resolve().parent)
SIMPY_CORE = str(Path(simpy.core.__file__).resolve())

Key = tuple[str, int, str]  # (file, line, function) as pstats keys them


def is_numpy(key: Key) -> bool:
    """Whether a profiled function lives in numpy (a Python function or a builtin)."""
    filename, _, name = key
    if filename.startswith(NUMPY_DIR) or "/numpy/" in filename:
        return True
    # builtins: filename '~', name like "<method 'any' of 'numpy.ndarray' objects>",
    # "<built-in method numpy.zeros>", "<built-in method numpy._core._multiarray_umath...>"
    return filename == "~" and "numpy" in name


def is_sim(key: Key) -> bool:
    return key[0].startswith(SIM_DIR)


def short(key: Key) -> str:
    filename, line, name = key
    if filename == "~":
        return name
    if filename.startswith(SIM_DIR):
        filename = "sim" + filename[len(SIM_DIR):]
    elif "site-packages/" in filename:
        filename = filename.split("site-packages/", 1)[1]
    return f"{filename}:{line}({name})"


def profile(net: sim.network.Network, seed: int) -> tuple[pstats.Stats, float]:
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    sim.engine.run_replication(net, seed, 0)
    profiler.disable()
    wall = time.perf_counter() - start
    return pstats.Stats(profiler), wall


def report(stats: pstats.Stats, days: int, top: int) -> None:
    table = stats.stats  # type: ignore[attr-defined]  # {key: (cc, nc, tt, ct, callers)}
    total = sum(nc for _, nc, _, _, _ in table.values())
    numpy_keys = [key for key in table if is_numpy(key)]
    numpy_calls = sum(table[key][1] for key in numpy_keys)
    numpy_entries = 0  # numpy calls made from outside numpy
    entry_by_function: dict[Key, int] = {}
    for key in numpy_keys:
        if key[2].endswith("_dispatcher"):
            continue  # np.f(x) calls f's `__array_function__` dispatcher and f: count f only
        callers = table[key][4]
        outside = sum(value[1] for caller, value in callers.items() if not is_numpy(caller))
        numpy_entries += outside
        if outside:
            entry_by_function[key] = outside
    steps = sum(nc for key, (_, nc, _, _, _) in table.items()
                if key[2] == "step" and key[0] == SIMPY_CORE)
    sim_calls = sum(table[key][1] for key in table if is_sim(key))

    print(f"{'per simulated day':58} {'calls':>10}")
    print("-" * 69)
    print(f"{'all function calls (cProfile)':58} {total / days:10.1f}")
    print(f"{'  of which in the sim package (Python functions)':58} {sim_calls / days:10.1f}")
    print(f"{'  numpy calls (functions living in numpy)':58} {numpy_calls / days:10.1f}")
    print(f"{'    of which called from outside numpy':58} {numpy_entries / days:10.1f}")
    print(f"{'SimPy events (simpy Environment.step calls)':58} {steps / days:10.2f}")
    print(f"\ntotals over {days} days: {total:,} calls, {numpy_calls:,} numpy, "
          f"{numpy_entries:,} numpy from outside, {steps:,} SimPy events")

    print(f"\nnumpy functions most called from outside numpy (top {top}), calls per day:")
    for key, calls in sorted(entry_by_function.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {calls / days:8.1f}  {short(key)}")

    sim_keys = sorted((key for key in table if is_sim(key)), key=lambda k: -table[k][3])
    print(f"\nProfile summary: top {top} functions of the sim package by cumulative time "
          f"(under cProfile)")
    header = f"{'calls/day':>10} {'tottime s':>10} {'cumtime s':>10}  function"
    print(header)
    print("-" * 79)
    for key in sim_keys[:top]:
        _, nc, tt, ct, _ = table[key]
        print(f"{nc / days:10.2f} {tt:10.3f} {ct:10.3f}  {short(key)}")


def run_pyinstrument(net: sim.network.Network, seed: int) -> None:
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("\npyinstrument is not installed (pip install pyinstrument)")
        return
    profiler = Profiler(interval=0.0005)
    profiler.start()
    sim.engine.run_replication(net, seed, 0)
    profiler.stop()
    print("\npyinstrument, one replication:")
    print(profiler.output_text(unicode=True, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(REFERENCE))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--pyinstrument", action="store_true",
                        help="also print pyinstrument's profile of a replication")
    args = parser.parse_args()

    sc = sim.load_scenario(args.scenario)
    net = sim.network.network_of(sc)
    days = sc.horizon_days
    print(f"{sc.name} ({args.scenario}): {len(sc.nodes)} nodes, {len(sc.lanes)} lanes, "
          f"{len(sc.products)} products, {len(sc.disruptions)} disruptions, {days} days")
    print(f"beredskap {sim.__version__}, numpy {np.__version__}, SimPy {simpy.__version__}, "
          f"Python {platform.python_version()}\n")

    start = time.perf_counter()
    sim.engine.run_replication(net, args.seed, 0)  # warm-up, not profiled
    plain = time.perf_counter() - start
    stats, wall = profile(net, args.seed)
    print(f"one replication: {plain:.3f} s without profiler (warm-up), {wall:.3f} s under "
          f"cProfile\n")
    report(stats, days, args.top)
    if args.pyinstrument:
        run_pyinstrument(net, args.seed)


if __name__ == "__main__":
    main()
