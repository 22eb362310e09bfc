"""Soak test: many random valid scenarios through the loader and the engine, ledger checked.

    python benchmarks/soak.py                 # 1,000 scenarios, 2 replications each
    python benchmarks/soak.py -n 5000 --seed 3

Each scenario is drawn by the test suite's strategy (tests/strategies.py: a layered network of
1-3 products, makers, wholesalers, wards, random lead times, policies, demand and
disruptions), written as YAML, loaded with `sim.load_scenario` and run. Every run must balance
its ledger to the unit (in = out for every node and product, shipped = received + in transit)
with nothing negative (tests/test_conservation.py's check, so a new ledger column is noticed),
and its daily on-hand stock must end at the ledger's final stock.
Prints the count, failures and time; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, seed, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sim
from tests.strategies import scenarios
from tests.test_conservation import assert_ledger_balances


def check(res: sim.RunResult, horizon: int) -> None:
    """Raise AssertionError unless the ledger balances, nothing is negative, and the last
    day's stock on hand is the ledger's final stock (the test suite's own checks)."""
    assert_ledger_balances(res)
    daily = res.daily
    for column in ("on_hand", "backorders", "inbound_in_transit", "demand", "served"):
        assert (daily[column] >= 0).all(), f"daily: negative {column}"
    last = daily[daily["day"] == horizon - 1].set_index(["replication", "node", "product"])
    final = res.ledger.set_index(["replication", "node", "product"])["final"]
    assert np.array_equal(last["on_hand"].sort_index().values,
                          final.reindex(last.index).sort_index().values), "final != on hand"


def main() -> int:
    """Run the soak and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--scenarios", type=int, default=1000)
    parser.add_argument("-r", "--replications", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    stats = {"scenarios": 0, "failures": 0, "days": 0, "node_products": 0}
    failures: list[str] = []
    started = time.perf_counter()

    @seed(args.seed)
    @settings(max_examples=args.scenarios, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(scenarios())
    def soak(data: dict) -> None:
        number = stats["scenarios"]
        path = folder / f"scenario{number}.yaml"
        path.write_text(yaml.safe_dump(data), encoding="utf-8")
        stats["scenarios"] += 1
        try:
            sc = sim.load_scenario(path)
            res = sim.run(sc, replications=args.replications)
            check(res, sc.horizon_days)
            stats["days"] += sc.horizon_days * args.replications
            stats["node_products"] += len(res.ledger)
        except Exception:  # counted and shown, so one failure does not hide the next
            stats["failures"] += 1
            failures.append(f"{path}:\n{traceback.format_exc(limit=3)}")
            if stats["failures"] > 10:  # the rest would say the same
                raise
        else:
            path.unlink()
        if stats["scenarios"] % 100 == 0:
            print(f"  {stats['scenarios']:,} scenarios, {stats['failures']} failed, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)

    soak()
    elapsed = time.perf_counter() - started
    for failure in failures[:5]:
        print(failure)
    print(f"{stats['scenarios']:,} random valid scenarios loaded and run "
          f"({args.replications} replications each, {stats['days']:,} simulated days, "
          f"{stats['node_products']:,} ledger rows), {stats['failures']} failed; the ledger "
          f"balanced in all the others; {elapsed:.0f} s ({elapsed / max(1, stats['scenarios']):.2f}"
          " s a scenario)")
    return 1 if stats["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
