"""What shelf life costs: the reference network with and without a shelf life on every product.

    python benchmarks/bench_shelf.py [--repeat 7] [--life 730] [--life 365] [--life 90] [--split]

Issue "Supply-side crisis mechanics": the reference network with shelf lives on every product
stays within 1.5x of its time without. The frozen copy benchmarks/reference/sweden.yaml (180
days) is run as it is and with `shelf_life_days` set on every product (default: 730, 365 and 90
days; the seed reports call under two years short, 001_45ea3db74d157cad.txt, and mention six
months for stock preparations, so 90 is a stress case with most initial stock expiring in the
run). Initial stock gets the default spread over [1, shelf_life_days].

Only the simulation is timed (`sim.engine.run_replication` on a compiled network), with the
variants run in alternation so that a busy machine slows them alike; the first round is a
warm-up. Prints, for each, the median wall time and the median CPU time of the process (which
leaves out the time spent waiting for a core, the main noise on a shared machine) and their
ratios to the run without shelf life, and the units expired, as a check that the mechanism is
at work.

`--split` adds, from one more replication of each (after the timed ones, with timers on the
cohort code: `sim.cohorts.Cohorts` and the stock holders' `_receive_cohorts`/`_ship_cohorts`),
the CPU time spent in the cohorts and in everything else. The rest grows with shelf life not
through the bookkeeping but through what expiry does to the run: with most initial stock
expiring (90 days), stock runs short, so allocation rations pro rata (`policies.pro_rata` costs
about 8 times its time without), backorders, expired events and the recorder's work grow; some
of it is the cohorts' memory traffic slowing the rest. Its ratio to the run without shelf life
is, nearly, a floor that no change to the cohorts alone can go below.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sim
import sim.engine
import sim.network
from sim.actors.stockholding import StockHolder
from sim.cohorts import Cohorts

REFERENCE = Path(__file__).resolve().parent / "reference" / "sweden.yaml"
TARGET_RATIO = 1.5


def with_life(sc: sim.Scenario, days: int | None) -> sim.Scenario:
    """The scenario with `shelf_life_days: days` on every product (None: as it is)."""
    if days is None:
        return sc
    data = sc.resolved()
    for product in data["products"].values():
        product["shelf_life_days"] = days
    return sim.from_dict(data)


def split_time(net: sim.network.Network, seed: int) -> tuple[float, float]:
    """CPU seconds of one replication and of its cohort code (timers on the cohorts' methods)."""
    spent = [0.0]
    inside = [False]  # a cohort method called from another is counted once

    def timed(f: Callable[..., Any]) -> Callable[..., Any]:
        def g(*args: Any, **kwargs: Any) -> Any:
            if inside[0]:
                return f(*args, **kwargs)
            inside[0] = True
            started = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - started
                inside[0] = False
        return g

    targets = [(Cohorts, name) for name, value in vars(Cohorts).items()
               if callable(value) and not isinstance(value, type)]
    targets += [(StockHolder, "_receive_cohorts"), (StockHolder, "_ship_cohorts")]
    saved = [(cls, name, vars(cls)[name]) for cls, name in targets]
    for cls, name, f in saved:
        setattr(cls, name, timed(f))
    try:
        gc.collect()
        started = time.process_time()
        sim.engine.run_replication(net, seed, 0)
        return time.process_time() - started, spent[0]
    finally:
        for cls, name, f in saved:
            setattr(cls, name, f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--life", type=int, action="append")
    parser.add_argument("--split", action="store_true",
                        help="also the CPU time in the cohort code and in the rest")
    args = parser.parse_args()
    lives = args.life or [730, 365, 90]
    base = sim.load_scenario(REFERENCE)
    cases = {None: sim.network.network_of(base)}
    for days in lives:
        cases[days] = sim.network.network_of(with_life(base, days))
    times: dict[int | None, list[float]] = {k: [] for k in cases}
    cpu: dict[int | None, list[float]] = {k: [] for k in cases}
    expired: dict[int | None, int] = {}
    for round_ in range(args.repeat + 1):
        for key, net in cases.items():
            gc.collect()
            started, started_cpu = time.perf_counter(), time.process_time()
            rep = sim.engine.run_replication(net, round_ + 1, 0)
            elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            if round_:
                times[key].append(elapsed)
                cpu[key].append(elapsed_cpu)
            expired[key] = int(rep.ledger.expired.sum())
    plain, plain_cpu = statistics.median(times[None]), statistics.median(cpu[None])
    print(f"reference network, {base.horizon_days} days, median of {args.repeat} "
          f"(alternating runs, simulation only; target: ratio <= {TARGET_RATIO})")
    print(f"{'shelf life':>12} {'wall s':>7} {'ratio':>6} {'CPU s':>7} {'ratio':>6} "
          f"{'expired units':>14}")
    for key in cases:
        wall, used = statistics.median(times[key]), statistics.median(cpu[key])
        label = "none" if key is None else f"{key} d"
        marks = "" if key is None else "  " + " ".join(
            f"{name} {'ok' if ratio <= TARGET_RATIO else 'NOT MET'}"
            for name, ratio in (("wall", wall / plain), ("CPU", used / plain_cpu)))
        print(f"{label:>12} {wall:7.3f} {wall / plain:6.2f} {used:7.3f} {used / plain_cpu:6.2f} "
              f"{expired[key]:14,d}{marks}")
    if args.split:
        print("one more replication each, timers on the cohort code (CPU s; rest ratio: the "
              "floor for the ratio above)")
        print(f"{'shelf life':>12} {'CPU s':>7} {'cohorts':>8} {'rest':>7} {'ratio':>6}")
        split = {key: split_time(net, 1) for key, net in cases.items()}
        rest_none = split[None][0] - split[None][1]
        for key, (total, cohorts) in split.items():
            label = "none" if key is None else f"{key} d"
            rest = total - cohorts
            print(f"{label:>12} {total:7.3f} {cohorts:8.3f} {rest:7.3f} {rest / rest_none:6.2f}")

if __name__ == "__main__":
    main()
