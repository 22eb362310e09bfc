"""beredskap against SupplyNetPy on the same one-warehouse / N-retailer network.

    pip install "supplynetpy==0.5.1"        # benchmark only; sim/ never imports it
    python benchmarks/bench_supplynetpy.py [--retailers 50] [--days 500] [--products 40]
                                           [--configs base_stock s_S] [--many s_S]
                                           [--seed 1] [--demand same|independent]

Issue (Engine 2, section 4; benchmark against a peer simulator): build the same network in both,
with matched semantics, and print from one run on the same machine both wall times, their ratio
and both mean retailer fill rates. Targets, one warehouse + N=50 retailers, T=500 days:

- 1 product, base-stock configuration (Poisson(10) per retailer and day, base stock, lead times
  2 and 3 days, backorders at the warehouse, SupplyNetPy placing one order per period):
  >= 20x faster;
- 1 product, the matched (s, S) configuration: >= 12x faster;
- 40 products, where SupplyNetPy needs one network per product: >= 200x faster. The issue does
  not name the configuration: by default the (s, S) one (SupplyNetPy takes about two minutes
  there); `--many base_stock` or `--many both` for the base-stock one, where SupplyNetPy orders
  every day and takes about five minutes for 40 products (so its ratio is the higher one);
- in every case, mean retailer fill rates within 0.5 points of SupplyNetPy's on the same demand
  draws.

By default the script runs the two 1-product cases and the 40-product (s, S) case (about two
and a half minutes, nearly all of it SupplyNetPy). Each ratio is printed against its target.

The network (identical numbers on both sides, all in units and days):

- an unlimited source -> one warehouse -> N retailers, one or more products, each product
  independent of the others and configured the same way;
- lead time 2 days from the warehouse to a retailer, 3 days from the source to the warehouse;
- retailers: Poisson demand, mean 10 a day; unmet demand is lost; a short warehouse backlogs
  (backorders) what it cannot ship and ships it when stock comes in;
- policies, reviewed every day (one order per period at most), on the inventory position (on
  hand + on order - owed); when it is at or below s, order up to S:

  | configuration | retailer | warehouse | start |
  |---|---|---|---|
  | `base_stock` | base stock 30 (s = 29, S = 30) | base stock 1,550 (s = 1,549) | at S |
  | `s_S` | s = 15, S = 35 | s = 2,000, S = 3,000 | at S |

  In beredskap the base-stock configuration uses the `base_stock` policy (`level`), which orders
  `level - position` when the position is at or below `level - 1`: SupplyNetPy's (s, S) policy
  with s = S - 1 and `period=1` does the same, one order a day. Base stock 30 at the retailers
  covers the two-day lead time with a fill rate near 99.7 %; 1,550 at the warehouse is a little
  over its mean three-day draw, so it runs short on some days and backorders. The (s, S)
  configuration gives a fill rate near 93 % (the lost-sales path is exercised often) and keeps
  the warehouse stocked so that it is (almost) never short;
- T days, no warm-up: both count every day from day 0, from the same initial state.

How the semantics are matched. beredskap processes day t as: receive shipments due today, serve
today's demand (the rest is lost), then downstream first: retailers review and order, the
warehouse fills those orders from stock and ships them, then reviews and orders itself; a
shipment sent on day t with lead time L arrives at the start of day t + L. SupplyNetPy is
continuous-time, so day t is the interval [t, t + 1) and every step gets its own time in it:

    t          stock arrives (shipments sent on day t - L; a backlogged one at t - 0.5)
    t + 0.25   the day's customer order at each retailer
    t + 0.5    retailers review and order; the warehouse ships at once if it has the stock
    t + 0.75   the warehouse reviews and orders

- customers: one customer order a day with that day's units (`Demand` with
  `order_arrival_model`/`order_quantity_model`), `consume_available=True` and no tolerance, so a
  short retailer hands out what it has and the rest is a lost sale: served = min(stock, demand),
  as in beredskap. SupplyNetPy rejects orders of 0 units, so the arrival model skips days
  without demand, and its first order always comes when the `Demand` node is built, so each
  retailer's `Demand` is built by a small process at t + 0.25 of its first day with demand;
- retailers: `SSReplenishment` with `period=1`, `first_review_delay=0.5`; the link's lead time is
  L - 0.5, so an order placed at t + 0.5 arrives at t + L, before that day's customer;
- the warehouse: the same policy with `first_review_delay=0.75` (after all retailer orders of
  the day) and an inbound lead time of L - 0.75, so its stock arrives at t + L, before the
  retailer orders of day t + L. An order it had to keep waiting is shipped when stock arrives
  (time t) and reaches the retailer at t + L - 0.5: before the customer of day t + L, as a
  backlog filled at the start of day t in beredskap;
- no two steps that depend on each other share a time. (A first version put customers at
  integer times, the same times as arrivals. SimPy runs same-time events in the order they were
  scheduled, so the outcome depended on history: after a day without demand, the next
  customer's arrival had been scheduled two days ahead, before the shipment due at the same
  instant, and was served first; one retailer-product in 2,000 came out differently);
- both compute the inventory position the same way (SupplyNetPy's `Node.position()`: level + in
  transit + waiting at the supplier - owed), order S - position when it is at or below s, and
  start with the same stock and nothing in transit;
- demand: with `--demand same` (the default), SupplyNetPy is fed the exact daily demand that
  beredskap drew (read from a separate, untimed beredskap run with the daily table: common random
  numbers), so any difference in fill rate comes from the models, not from sampling noise; the
  script then also counts the retailer-products whose served units are identical. With
  `--demand independent`, SupplyNetPy gets its own Poisson draws (numpy, inside its timed part)
  and the fill rates differ by sampling noise; a 95 % interval over retailers is printed;
- fill rate on both sides: units served on the day asked / units demanded, per retailer and
  product; the mean over retailers (and products) is printed. SupplyNetPy has no node fill rate
  of its own (its `LinkStatistics.fill_rate` is about replenishment orders that did not wait),
  so it is computed from its counters: the `Demand` node's `fulfillment_received` units over its
  `demand_placed` units (customer lead time 0, so a served order is received the same day);
- logging is off on both sides: beredskap does not log per event, and every SupplyNetPy node is
  built with `logging=False` and `global_logger.disable_logging()` is called. (SupplyNetPy still
  formats its log messages' f-strings before the muted logger drops them; that is part of its
  cost as shipped.)

Where they still differ:

- a short warehouse: beredskap ships what it has and backlogs the rest, sharing pro rata in whole
  units among the day's orders; SupplyNetPy ships an order only whole and serves waiting orders
  strictly first come, first served (a big waiting order blocks smaller ones behind it). The
  script prints the warehouse's fill (units shipped on the day ordered) on both sides. In the
  (s, S) configuration the warehouse stays stocked (100 % on both), so this difference cannot
  matter and every retailer's served units come out identical. In the base-stock configuration
  the warehouse runs short on some days (about 99.7 % on both): the retailers' orders are small
  (about a day's demand), so whole-order first-come-first-served and pro rata differ little,
  the mean retailer fill rates agree to about 0.05 points, but some retailers' served units
  differ. (A warehouse with big (s, S) orders that runs short gives fill rates several points
  apart.);
- beredskap's lead times are whole days (a shipment arrives at t + max(1, ceil(L))); SupplyNetPy
  takes any real lead time. Only whole-day lead times are used here;
- what is timed: beredskap's `sim.from_dict` (which validates and compiles the network) +
  `sim.run(..., daily="none")` (simulation and KPI tables); SupplyNetPy's network construction
  (nodes, links, customers) + `env.run(until=T)` + reading its counters, one network per
  product. Imports, a tiny warm-up run on each side and the demand-extraction run are not
  timed; with `--demand same` SupplyNetPy is given its draws ready-made (a slight advantage).
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
import warnings
from collections.abc import Generator
from dataclasses import dataclass
from importlib.metadata import version

import numpy as np
import pandas as pd
import simpy

import sim

try:
    import SupplyNetPy.Components as scm
except ImportError as exc:  # pragma: no cover - a benchmark-only dependency
    raise SystemExit("this benchmark needs SupplyNetPy: pip install supplynetpy==0.5.1") from exc

MEAN_DEMAND = 10.0
RETAILER_LEAD, WAREHOUSE_LEAD = 2, 3
# SupplyNetPy times within day t (see the docstring): stock arrives at t (or t - 0.5), the day's
# customer comes at t + 0.25, retailers review at t + 0.5, the warehouse at t + 0.75.
CUSTOMER_AT = 0.25
RETAILER_REVIEW_AT = 0.5
WAREHOUSE_REVIEW_AT = 0.75

TARGET_RATIO_MANY = 200.0  # 40 products, either configuration
TARGET_POINTS = 0.5  # |beredskap - SupplyNetPy| mean retailer fill, percentage points


@dataclass(frozen=True)
class Config:
    """One policy configuration: the same numbers on both sides."""

    key: str
    title: str
    base_stock: bool  # beredskap `base_stock` policy (level = S, s = S - 1) or `s_S`
    retailer_s: int
    retailer_big_s: int
    warehouse_s: int
    warehouse_big_s: int
    target_ratio_1: float  # target speed ratio with 1 product


CONFIGS = {
    "base_stock": Config("base_stock", "base stock", True, 29, 30, 1549, 1550, 20.0),
    "s_S": Config("s_S", "(s, S)", False, 15, 35, 2000, 3000, 12.0),
}


@dataclass
class Side:
    """One simulator's result for one case."""

    wall_s: float
    fill: np.ndarray  # float[products, retailers]: served / demanded
    served: np.ndarray  # int[products, retailers]
    warehouse_asked: int  # units the retailers ordered from the warehouse
    warehouse_sent: int  # of which shipped on the day they were ordered


# --- beredskap -----------------------------------------------------------------------------------


def _policy(config: Config, s: int, big_s: int) -> dict:
    if config.base_stock:
        assert s == big_s - 1, "base stock is (s, S) with s = S - 1"
        return {"type": "base_stock", "level": big_s, "review_days": 1}
    return {"type": "s_S", "s": s, "S": big_s, "review_days": 1}


def scenario_data(config: Config, retailers: int, products: int, days: int, seed: int) -> dict:
    """The network as beredskap scenario data (what `sim.from_dict` takes)."""
    nodes: list[dict] = [
        {"id": "factory", "role": "manufacturer", "country": "DE", "region": "eu",
         "unlimited": True},
        {"id": "warehouse", "role": "wholesaler", "country": "SE", "region": "se"},
    ]
    lanes: list[dict] = [{"from": "factory", "to": "warehouse", "lead_time_days": WAREHOUSE_LEAD}]
    for i in range(retailers):
        nodes.append({"id": f"retailer_{i}", "role": "community_pharmacy", "country": "SE",
                      "region": "se", "unmet_demand": "lost"})
        lanes.append({"from": "warehouse", "to": f"retailer_{i}",
                      "lead_time_days": RETAILER_LEAD})
    return {
        "name": f"supplynetpy-peer-{config.key}-{retailers}x{products}",
        "horizon_days": days,
        "seed": seed,
        "products": {f"p{j}": {"name": f"Product {j}", "group": "g"} for j in range(products)},
        "nodes": nodes,
        "lanes": lanes,
        "demands": [{"match": {"role": "community_pharmacy"},
                     "demand": {"mean_per_day": MEAN_DEMAND, "distribution": "poisson"}}],
        "policies": [
            {"match": {"role": "community_pharmacy"},
             "policy": _policy(config, config.retailer_s, config.retailer_big_s)},
            {"match": {"role": "wholesaler"},
             "policy": _policy(config, config.warehouse_s, config.warehouse_big_s)},
        ],
        "stocks": [
            {"match": {"role": "community_pharmacy"},
             "stock": {"initial": config.retailer_big_s}},
            {"match": {"role": "wholesaler"}, "stock": {"initial": config.warehouse_big_s}},
        ],
    }


def _by_retailer(kpis: pd.DataFrame, column: str, retailers: int, products: int) -> np.ndarray:
    """A KPI column as [products, retailers] (retailer_0 first)."""
    k = kpis[kpis["role"] == "community_pharmacy"].astype({"node": str, "product": str})
    table = k.pivot(index="product", columns="node", values=column)
    rows = [f"p{j}" for j in range(products)]
    table = table.loc[rows, [f"retailer_{i}" for i in range(retailers)]]
    return table.to_numpy(dtype=float)


def _warehouse_orders(kpis: pd.DataFrame) -> tuple[int, int]:
    """Units the retailers ordered from the warehouse, and of them shipped on the day ordered.

    Engine 2 reports customer orders in their own columns (`orders`, `orders_shipped`); before
    it, a supplier's `demand` and `served` counted them.
    """
    w = kpis[kpis["node"].astype(str) == "warehouse"]
    if "orders" in w.columns and "orders_shipped" in w.columns:
        return int(w["orders"].sum()), int(w["orders_shipped"].sum())
    return int(w["demand"].sum()), int(w["served"].sum())


def run_beredskap(config: Config, retailers: int, products: int, days: int, seed: int) -> Side:
    """Compile and run the network once (one replication, no daily table), timed end to end."""
    data = scenario_data(config, retailers, products, days, seed)
    start = time.perf_counter()
    scenario = sim.from_dict(data)
    result = sim.run(scenario, seed=seed, replications=1, daily="none")
    wall = time.perf_counter() - start
    k = result.kpis
    asked, sent = _warehouse_orders(k)
    return Side(
        wall_s=wall,
        fill=_by_retailer(k, "fill_rate", retailers, products),
        served=_by_retailer(k, "served", retailers, products).astype(np.int64),
        warehouse_asked=asked,
        warehouse_sent=sent,
    )


def beredskap_demand(
    config: Config, retailers: int, products: int, days: int, seed: int
) -> np.ndarray:
    """The daily demand beredskap drew, int[products, retailers, days] (an untimed extra run)."""
    scenario = sim.from_dict(scenario_data(config, retailers, products, days, seed))
    daily = sim.run(scenario, seed=seed, replications=1, daily="node").daily
    daily = daily.astype({"node": str, "product": str})
    daily = daily[daily["node"].str.startswith("retailer_")]
    cube = daily.pivot_table(index=["product", "node"], columns="day", values="demand")
    order = [(f"p{j}", f"retailer_{i}") for j in range(products) for i in range(retailers)]
    return cube.loc[order].to_numpy(dtype=np.int64).reshape(products, retailers, days)


# --- SupplyNetPy ---------------------------------------------------------------------------------


class DailyOrders:
    """One customer order a day, of that day's units, for a SupplyNetPy `Demand` node.

    `Demand.behavior` calls `gap()` (time to the next order), then `units_now()` (this order),
    starts the customer, then waits `gap`. Orders of 0 units are rejected by SupplyNetPy, so
    days without demand are skipped. The constructor's validation calls both functions before the
    run; until `armed` they answer 1 without using up a day.
    """

    def __init__(self, units: np.ndarray, horizon: int) -> None:
        self.units = [int(u) for u in units]
        self.days = [d for d, u in enumerate(self.units) if u > 0]
        self.horizon = horizon
        self.k = 0
        self.armed = False

    def gap(self) -> float:
        if not self.armed:
            return 1.0
        if self.k + 1 < len(self.days):
            return float(self.days[self.k + 1] - self.days[self.k])
        return float(self.horizon + 1)  # no more orders before the run ends

    def units_now(self) -> int:
        if not self.armed:
            return 1
        units = self.units[self.days[self.k]]
        self.k += 1
        return units


def _start_customers(
    env: simpy.Environment, retailer: scm.InventoryNode, orders: DailyOrders, index: int
) -> Generator[simpy.Event, None, scm.Demand]:
    """Start the retailer's customers at t + 0.25 of the first day t with demand (SupplyNetPy's
    first customer order comes at the time the `Demand` node is built)."""
    yield env.timeout(orders.days[0] + CUSTOMER_AT)
    customers = scm.Demand(
        env=env, ID=f"C{index}", name=f"customers {index}",
        order_arrival_model=orders.gap, order_quantity_model=orders.units_now,
        demand_node=retailer, consume_available=True, tolerance=0.0, logging=False,
    )
    orders.armed = True
    return customers


def run_supplynetpy_network(
    config: Config, units: np.ndarray, days: int
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Build and run one single-product network; `units` is int[retailers, days].

    Returns each retailer's fill rate and served units, the units the retailers ordered from the
    warehouse and how many of them it shipped at once (orders that did not wait).
    """
    env = simpy.Environment()
    inf = float("inf")
    factory = scm.Supplier(env=env, ID="F", name="factory", node_type="infinite_supplier",
                           logging=False)
    warehouse = scm.InventoryNode(
        env=env, ID="W", name="warehouse", node_type="warehouse", capacity=inf,
        initial_level=config.warehouse_big_s, inventory_holding_cost=0.0,
        replenishment_policy=scm.SSReplenishment,
        policy_param={"s": config.warehouse_s, "S": config.warehouse_big_s, "period": 1,
                      "first_review_delay": WAREHOUSE_REVIEW_AT},
        product_sell_price=0.0, product_buy_price=0.0, logging=False,
    )
    scm.Link(env=env, ID="L_F_W", source=factory, sink=warehouse, cost=0.0,
             lead_time=WAREHOUSE_LEAD - WAREHOUSE_REVIEW_AT)
    customer_starts, links = [], []
    for i, row in enumerate(units):
        retailer = scm.InventoryNode(
            env=env, ID=f"R{i}", name=f"retailer {i}", node_type="retailer", capacity=inf,
            initial_level=config.retailer_big_s, inventory_holding_cost=0.0,
            replenishment_policy=scm.SSReplenishment,
            policy_param={"s": config.retailer_s, "S": config.retailer_big_s, "period": 1,
                          "first_review_delay": RETAILER_REVIEW_AT},
            product_sell_price=0.0, product_buy_price=0.0, logging=False,
        )
        links.append(scm.Link(env=env, ID=f"L_W_R{i}", source=warehouse, sink=retailer,
                              cost=0.0, lead_time=RETAILER_LEAD - RETAILER_REVIEW_AT))
        orders = DailyOrders(row, days)
        if orders.days:
            customer_starts.append(env.process(_start_customers(env, retailer, orders, i)))
        else:
            customer_starts.append(None)
    env.run(until=days)  # events at time `days` do not run: days 0 .. days-1, as in beredskap

    fill = np.full(len(units), np.nan)
    served = np.zeros(len(units), dtype=np.int64)
    for i, started in enumerate(customer_starts):
        if started is None or not started.triggered:
            continue
        stats = started.value.stats
        placed, received = stats.demand_placed[1], stats.fulfillment_received[1]
        served[i] = int(received)
        fill[i] = received / placed if placed > 0 else np.nan
    asked = sum(link.stats.demand_placed[1] for link in links)
    waited = sum(link.stats.waited[1] for link in links)
    return fill, served, int(asked), int(asked - waited)


def run_supplynetpy(config: Config, demand: np.ndarray | None, retailers: int, products: int,
                    days: int, seed: int) -> Side:
    """One network per product, run one after the other, timed in total.

    `demand` is int[products, retailers, days], or None to draw Poisson demand here (timed).
    """
    scm.global_logger.disable_logging()
    fills, served, asked, sent = [], [], 0, 0
    start = time.perf_counter()
    for j in range(products):
        if demand is None:
            rng = np.random.default_rng([seed, j])
            units = rng.poisson(MEAN_DEMAND, size=(retailers, days))
        else:
            units = demand[j]
        f, s, a, w = run_supplynetpy_network(config, units, days)
        fills.append(f)
        served.append(s)
        asked += a
        sent += w
    wall = time.perf_counter() - start
    return Side(wall, np.array(fills), np.array(served), asked, sent)


# --- report --------------------------------------------------------------------------------------


def ci95(values: np.ndarray) -> float:
    """Half-width of a normal 95 % interval for the mean of `values`."""
    v = values[~np.isnan(values)]
    return 1.96 * statistics.stdev(v) / math.sqrt(len(v)) if len(v) > 1 else math.nan


@dataclass
class Row:
    """One case: a configuration and a number of products, both sides' results."""

    config: Config
    products: int
    target_ratio: float
    ours: Side
    peer: Side


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--retailers", type=int, default=50)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--products", type=int, default=40,
                        help="products in the many-product case(s); 1 or 0 to skip them")
    parser.add_argument("--configs", nargs="*", choices=sorted(CONFIGS),
                        default=["base_stock", "s_S"],
                        help="configurations of the 1-product cases (default: both)")
    parser.add_argument("--many", choices=[*sorted(CONFIGS), "both"], default="s_S",
                        help="configuration of the many-product case (default: s_S)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--demand", choices=["same", "independent"], default="same",
                        help="same: SupplyNetPy gets beredskap's demand draws (default); "
                             "independent: its own Poisson draws")
    args = parser.parse_args()
    warnings.simplefilter("default")

    print(f"beredskap {sim.__version__}, SupplyNetPy {version('supplynetpy')}, "
          f"SimPy {version('simpy')}, Python {platform.python_version()}, {platform.machine()}")
    print(f"{args.retailers} retailers, {args.days} days, seed {args.seed}, "
          f"demand: {args.demand}; one timed run per simulator and case\n")

    # Untimed warm-up of both sides (lazy imports, first-call caches), then the timed cases.
    for config in CONFIGS.values():
        run_beredskap(config, 2, 1, 10, args.seed)
        run_supplynetpy(config, None, 2, 1, 10, args.seed)

    cases = [(CONFIGS[key], 1, CONFIGS[key].target_ratio_1) for key in args.configs]
    if args.products > 1:
        many = sorted(CONFIGS) if args.many == "both" else [args.many]
        many.sort(key=lambda key: key != "base_stock")
        cases += [(CONFIGS[key], args.products, TARGET_RATIO_MANY) for key in many]
    rows = []
    for config, products, target_ratio in cases:
        ours = run_beredskap(config, args.retailers, products, args.days, args.seed)
        demand = None
        if args.demand == "same":
            demand = beredskap_demand(config, args.retailers, products, args.days, args.seed)
        peer = run_supplynetpy(config, demand, args.retailers, products, args.days, args.seed)
        rows.append(Row(config, products, target_ratio, ours, peer))
        print(f"  done: {config.title}, {products} product(s)", flush=True)
    print()

    header = (f"{'configuration':>13} {'products':>8} {'SupplyNetPy s':>14} {'beredskap s':>12} "
              f"{'ratio':>8} {'target':>7} {'met':>4} {'SNP fill':>9} {'ber. fill':>9} "
              f"{'diff pts':>9} {'met':>4}")
    print(header)
    print("-" * len(header))
    for row in rows:
        ours, peer = row.ours, row.peer
        ratio = peer.wall_s / ours.wall_s
        f_peer, f_ours = np.nanmean(peer.fill), np.nanmean(ours.fill)
        diff = 100 * (f_ours - f_peer)
        met_ratio = "yes" if ratio >= row.target_ratio else "NO"
        met_fill = "yes" if abs(diff) <= TARGET_POINTS else "NO"
        print(f"{row.config.title:>13} {row.products:8d} {peer.wall_s:14.2f} {ours.wall_s:12.3f} "
              f"{ratio:7.1f}x {row.target_ratio:6.0f}x {met_ratio:>4} {100 * f_peer:8.2f}% "
              f"{100 * f_ours:8.2f}% {diff:+9.2f} {met_fill:>4}")

    print("\nChecks on the matching (per case):")
    for row in rows:
        ours, peer = row.ours, row.peer
        cells = ours.served.size
        same = int((ours.served == peer.served).sum())
        print(f"  {row.config.title}, {row.products} product(s): retailer fill 95% interval over "
              f"retailers: SupplyNetPy +/- {100 * ci95(peer.fill.ravel()):.2f} pts, "
              f"beredskap +/- {100 * ci95(ours.fill.ravel()):.2f} pts")
        if args.demand == "same":
            print(f"    same demand draws: retailer-products with identical served units: "
                  f"{same}/{cells}")
        w_peer = 100 * peer.warehouse_sent / max(peer.warehouse_asked, 1)
        w_ours = 100 * ours.warehouse_sent / max(ours.warehouse_asked, 1)
        print(f"    warehouse fill (units shipped on the day the retailers ordered them): "
              f"SupplyNetPy {w_peer:.2f}% of {peer.warehouse_asked:,}, "
              f"beredskap {w_ours:.2f}% of {ours.warehouse_asked:,}")
    print(f"\nratio = SupplyNetPy wall / beredskap wall, met if >= target; fill = mean over "
          f"retailers (and products)\nof served / demanded units; diff pts = beredskap - "
          f"SupplyNetPy, in percentage points, met if within {TARGET_POINTS}.\nberedskap wall "
          f"includes compiling the network and building the KPI tables; SupplyNetPy wall "
          f"includes\nbuilding its networks (one per product).")


if __name__ == "__main__":
    main()
