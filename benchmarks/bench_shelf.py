"""What shelf life costs: the reference network with and without a shelf life on every product.

    python benchmarks/bench_shelf.py [--repeat 7] [--life 730] [--life 365] [--life 90]

Issue "Supply-side crisis mechanics": the reference network with shelf lives on every product
stays within 1.5x of its time without. The frozen copy benchmarks/reference/sweden.yaml (180
days) is run as it is and with `shelf_life_days` set on every product (default: 730, 365 and 90
days; the seed reports call under two years short, 001_45ea3db74d157cad.txt, and mention six
months for stock preparations, so 90 is a stress case with most initial stock expiring in the
run). Initial stock gets the default spread over [1, shelf_life_days].

Only the simulation is timed (`sim.engine.run_replication` on a compiled network), with the
variants run in alternation so that a busy machine slows them alike; the first round is a
warm-up. Prints the median time of each and the ratio to the run without shelf life, and the
units expired, as a check that the mechanism is at work.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from pathlib import Path

import sim
import sim.engine
import sim.network

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--life", type=int, action="append")
    args = parser.parse_args()
    lives = args.life or [730, 365, 90]
    base = sim.load_scenario(REFERENCE)
    cases = {None: sim.network.network_of(base)}
    for days in lives:
        cases[days] = sim.network.network_of(with_life(base, days))
    times: dict[int | None, list[float]] = {k: [] for k in cases}
    expired: dict[int | None, int] = {}
    for round_ in range(args.repeat + 1):
        for key, net in cases.items():
            gc.collect()
            started = time.perf_counter()
            rep = sim.engine.run_replication(net, round_ + 1, 0)
            elapsed = time.perf_counter() - started
            if round_:
                times[key].append(elapsed)
            expired[key] = int(rep.ledger.expired.sum())
    plain = statistics.median(times[None])
    print(f"reference network, {base.horizon_days} days, median of {args.repeat} "
          f"(alternating runs, simulation only)")
    print(f"{'shelf life':>12} {'median s':>9} {'ratio':>6} {'target':>7} {'expired units':>14}")
    for key, values in times.items():
        median = statistics.median(values)
        label = "none" if key is None else f"{key} d"
        ratio = median / plain
        mark = "" if key is None else ("ok" if ratio <= TARGET_RATIO else "NOT MET")
        print(f"{label:>12} {median:9.3f} {ratio:6.2f} {'<= 1.5' if key else '':>7} "
              f"{expired[key]:14,d} {mark}")


if __name__ == "__main__":
    main()
