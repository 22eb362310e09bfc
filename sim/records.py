"""What a replication records: events in columnar chunks, daily state as arrays. No pandas here."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class EventChunk(NamedTuple):
    """Events of one kind, columnar: day (one, or one per event), node and product indices.

    Index -1 stands for no node or no product.
    """

    day: int | np.ndarray
    kind: str
    nodes: np.ndarray
    products: np.ndarray
    values: np.ndarray
    detail: str


EVENT_KINDS: tuple[str, ...] = (
    "disruption_start",
    "disruption_end",
    "recovery_complete",
    "stockout_start",
    "stockout_end",
    "allocation_cut",
    "allocation_restored",
    "dos_below",
    "dos_recovered",
    "expired",
    "recalled",
    "destroyed",
    "input_shortage",
    "rationing_start",
    "rationing_end",
    "admissions_deferred",
    "admissions_cancelled",
    "imperative_short_start",
    "imperative_short_end",
    "countermeasure_triggered",
    "countermeasure_start",
    "countermeasure_end",
    "redistributed",
    "released",
    "emergency_supplied",
    "substituted",
    "conversion_output_start",
    "conversion_validated",
    "used_expired",
)


class Daily:
    """End-of-day state per (day, node, product), preallocated for the horizon."""

    FIELDS: tuple[str, ...] = (
        "on_hand", "backorders", "inbound_in_transit", "demand", "served", "orders",
        "orders_shipped",
    )

    def __init__(self, days: int, nodes: int, products: int) -> None:
        shape = (days, nodes, products)
        self.on_hand = np.zeros(shape, dtype=np.int64)
        self.backorders = np.zeros(shape, dtype=np.int64)
        self.inbound_in_transit = np.zeros(shape, dtype=np.int64)
        self.demand = np.zeros(shape, dtype=np.int64)
        self.served = np.zeros(shape, dtype=np.int64)
        self.orders = np.zeros(shape, dtype=np.int64)
        self.orders_shipped = np.zeros(shape, dtype=np.int64)
        self.short = np.zeros(shape, dtype=bool)
        # Not in the daily table: units expired and destroyed each day, where the scenario
        # can have any (None otherwise); the `expired` KPI and the events read them.
        self.expired: np.ndarray | None = None
        self.destroyed: np.ndarray | None = None
        # With care: demand and same-day service by priority (imperative, urgent, deferrable),
        # summed over the days after warm-up, int[3, n, p].
        self.care_demand: np.ndarray | None = None
        self.care_served: np.ndarray | None = None
        # With rationing: units conserved after warm-up, int[n, p]; the care table's counts
        # per (node, category) after warm-up.
        self.conserved: np.ndarray | None = None
        self.care_table: dict[str, np.ndarray] | None = None
        # With countermeasures: their KPIs per (node, product) after warm-up, and per
        # countermeasure the columns of the countermeasures table.
        self.countermeasures: dict[str, np.ndarray] | None = None
        self.countermeasure_table: dict[str, list] | None = None


class Ledger(NamedTuple):
    """Cumulative stock flows of one replication, int[n, p] each.

    `initial + initial_in_qc + received + produced = shipped + consumed + expired + destroyed
    + final + recalled` per cell. `initial_in_qc` is the opening QC pipeline of makers with a QC
    hold (made before day 0) as it is released into stock; `produced` is what the run made and
    released.
    """

    initial: np.ndarray
    initial_in_qc: np.ndarray
    received: np.ndarray
    produced: np.ndarray
    shipped: np.ndarray
    consumed: np.ndarray
    expired: np.ndarray
    destroyed: np.ndarray
    final: np.ndarray
    recalled: np.ndarray
    in_transit_at_end: np.ndarray
