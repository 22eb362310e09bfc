"""Batch throughput on this machine: 1,000 replications of the Swedish reference network.

    python benchmarks/bench_batch.py [--replications 1000] [--workers 2] [--serial-sample 20]
                                     [--scenario PATH] [--target-minutes M]

Prints, from one run:
- the wall time of `sim.batch(sweden, replications=N)` on a pool of local processes, against
  the target for 1,000 replications on 2 cores: 10 minutes for the national network
  (scenarios/reference/sweden.yaml, the default; issue 12), 5 for the frozen copy
  benchmarks/reference/sweden.yaml (issue 8), 20 for anything else (the first batch issue);
  `--target-minutes` sets it;
- parallel efficiency: replications per second on the pool over `workers` times the serial
  rate (measured on `--serial-sample` replications in this process), target >= 90 %;
- peak memory: the largest resident set of the client process and of any worker process,
  with the kept tables (kpis per replication x node x product) streamed to disk;
- the size of the batch folder.
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--serial-sample", type=int, default=20)
    parser.add_argument("--target-minutes", type=float, default=None)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios/reference/sweden.yaml"))
    args = parser.parse_args()

    sc = sim.load_scenario(args.scenario)
    print(f"{sc.name}: {len(sc.nodes)} nodes, {len(sc.products)} products, "
          f"{sc.horizon_days} days; Python {platform.python_version()}, "
          f"{multiprocessing.cpu_count()} cores")

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "batch"
        ctx = multiprocessing.get_context("spawn")
        last = {"t": time.perf_counter()}

        def progress(done: int, total: int) -> None:
            now = time.perf_counter()
            if now - last["t"] > 60 or done == total:
                last["t"] = now
                print(f"  {done}/{total} replications, {now - started:.0f} s", flush=True)

        started = time.perf_counter()
        last["t"] = started
        with ProcessPoolExecutor(args.workers, mp_context=ctx) as pool:
            result = sim.batch(sc, replications=args.replications, executor=pool, out=out,
                               progress=progress)
        wall = time.perf_counter() - started
        size = folder_size(out)
        rows = result.manifest["rows"]
        busy = result.manifest["timings_s"]["task_this_run"] / (wall * args.workers)

    client_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    # Serial rate, in this process after the batch (so the client's peak above is its own).
    sim.batch(sc, replications=1)
    started = time.perf_counter()
    sim.batch(sc, replications=args.serial_sample)
    serial_s = time.perf_counter() - started
    serial_rate = args.serial_sample / serial_s
    print(f"serial: {args.serial_sample} replications in {serial_s:.1f} s "
          f"({serial_rate:.3f} rep/s)")

    rate = args.replications / wall
    efficiency = rate / (args.workers * serial_rate)
    scenario = Path(args.scenario).resolve()
    minutes = args.target_minutes or {
        (ROOT / "scenarios/reference/sweden.yaml").resolve(): 10.0,
        (ROOT / "benchmarks/reference/sweden.yaml").resolve(): 5.0,
    }.get(scenario, 20.0)
    target_s = minutes * 60 * args.replications / 1000
    print(f"batch: {args.replications} replications on {args.workers} processes in "
          f"{wall:.0f} s ({wall / 60:.1f} min; target <= {target_s / 60:.1f} min: "
          f"{'met' if wall <= target_s else 'NOT met'})")
    print(f"parallel efficiency: {efficiency:.0%} (pool rate {rate:.3f} rep/s over "
          f"{args.workers} x serial {serial_rate:.3f} rep/s; target >= 90 %: "
          f"{'met' if efficiency >= 0.9 else 'NOT met'}); workers busy {busy:.0%} of the wall time")
    print(f"peak memory: client {client_mb:.0f} MB, largest worker {worker_mb:.0f} MB")
    print(f"output: {size / 1e6:.1f} MB; rows {rows}")


if __name__ == "__main__":
    main()
