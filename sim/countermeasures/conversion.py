"""Production conversion: a manufacturer's line turned over to another product.

A `production_conversion` at manufacturer `node` makes `product` on a converted line while its
trigger has it active. The day rules, with `s` the first active day of an activation and
`S`, `R`, `V` the `start_up_days`, `ramp_up_days` and `validation_days` (rounded up to whole
days, as `qc_release_days` is):

- **Planning.** From day `s`, start-up included, the node makes `product`: its reviews send its
  orders for it to production (`production_due`), as a maker's orders for what it makes go to
  its own line, even if it normally buys the product or never has it. A node that has no other
  source of the product (no capacity of its own, no inbound lane with a share of it) orders
  none of it while the measure is not active: nothing could come.
- **Start-up**, days `s .. s+S-1`: the line makes nothing.
- **Ramp-up**, days `s+S .. s+S+R-1`: the line's capacity on day `s+S+i` is
  `capacity x (i + 1) / (R + 1)` (as a plant recovers after a factory loss); from day
  `s+S+R` on, `capacity`. A line of 5 with `R = 3` has 1.25, 2.5, 3.75, then 5 a day.
- **Disruptions** at the node multiply the line's capacity like the rest of its production:
  the production factor of `product` (a factory loss) times the node's capacity factor (power
  after backup, staff absence). Capacity is made in whole units with the fraction carried to
  the next day (tolerance 1e-9; the carry starts at 0 with each activation and runs on days
  with nothing due, as production's does).
- **What is made.** The node's own capacity for `product` (if it has one) works first; the line
  makes what is still due, up to its whole units today. Where inputs hold production back, the
  node's own capacity keeps its share first. `units` counts what the line made over the run
  (warm-up included, held or not).
- **Validation** (once per run): the line's output days are counted over the run (days of an
  activation from `s+S` on). Output made on a day before which the line has run fewer than `V`
  output days is held; at the start of the day the count reaches `V` (day `s+S+V` for one
  activation), before the node releases its QC batches, the held output goes to QC: a batch
  made on day `d` is released on `max(s+S+V, d + max(1, ceil(qc_release_days)))`, so no batch
  skips its QC. Event `conversion_validated` (value: the units that were held). Later output
  follows the node's normal QC release. The count is of calendar days of the output phase: a
  disruption that stops the line does not stop it.
- **Crowding out**: on every active day, start-up included (the line is taken over), the
  node's capacity for each product in `crowds_out` is `max(0, capacity - lost)` before the
  disruption factors (several conversions at one node add their losses).
- **End** (the first day the measure is no longer active): the line stops, the crowding out
  ends. If the node has no capacity of its own for `product`, what was planned on the line and
  not yet made (`production_due`) is cancelled and leaves its `on_order`, so a node with lanes
  for the product orders it there at that day's review; a node that makes the product itself
  keeps it due, for its own capacity. What the line made stays in QC or validation and is
  released as above (output never validated stays in quarantine: it is never stock).
- **Again** (a `when` trigger that releases and fires again): each activation starts with its
  own start-up and ramp-up; validation is not repeated once done, and an unfinished one goes on
  counting.

Events (node, product; detail: the measure's name): `conversion_output_start` on day `s+S` of
each activation (value: the line's capacity that day, in units) and `conversion_validated`.
The manufacturers' actor (`sim/actors/manufacturer.py`) applies these rules at the node's
level; this module keeps each conversion's state.
"""

from __future__ import annotations

import math

import numpy as np

from sim.countermeasures.triggers import Trigger
from sim.network import Network
from sim.scenario import countermeasures as cm

# Whole units of capacity are taken with this tolerance, as production does: 2.5 a day makes
# 2, 3, 2, 3 and a ramp of thirds does not lose a unit to 0.9999...
_EPS = 1e-9


def whole_days(days: float) -> int:
    """Days rounded up to whole days (a fraction of a day takes the whole day)."""
    return max(0, math.ceil(days - _EPS))


class Conversion:
    """One production conversion: its line's state over a replication."""

    def __init__(self, net: Network, spec: cm.ProductionConversion, trigger: Trigger) -> None:
        self.spec = spec
        self.trigger = trigger
        self.node = net.node_ids.index(spec.node)  # engine order
        self.product = net.product_ids.index(spec.product)
        self.capacity = float(spec.capacity)
        self.start_up = whole_days(spec.start_up_days)
        self.ramp_up = whole_days(spec.ramp_up_days)
        self.validation = whole_days(spec.validation_days)
        self.crowds_out = np.zeros(net.n_products)  # capacity lost per product while active
        for pid, lost in spec.crowds_out.items():
            self.crowds_out[net.product_ids.index(pid)] += lost
        # Whether the node has another source of the product: its own capacity, or an inbound
        # lane with a share of it. Without one it orders none of it while not converted.
        into = net.lane_dst == self.node
        self.other_source = bool(net.produces[self.node, self.product]
                                 or (net.lane_share[into, self.product] > 0).any())
        self.units = 0  # made on the converted line over the run
        self.running = False  # active at the node's last phase
        self.start = 0  # first day of the current activation
        self.carry = 0.0  # fraction of a unit of capacity carried to the next day
        self.run_days = 0  # output days over the run, for validation
        self.validated = self.validation == 0
        self.held: list[tuple[int, int]] = []  # (day made, units) awaiting validation
        # Of them, units taken out of the node's on_order when the measure ended unvalidated.
        self.off_order = 0
        self.capacity_today = 0.0  # the line's capacity today (after ramp and disruptions)
        self.output_started_today = False  # today is the first output day of an activation

    def begin(self, t: int) -> None:
        """The measure's first active day: the line is taken over (start-up begins)."""
        self.running = True
        self.start = t
        self.carry = 0.0

    def end(self) -> None:
        """The measure is no longer active: the line goes back to what it made before."""
        self.running = False
        self.carry = 0.0

    def share(self, t: int) -> float:
        """The line's share of `capacity` on day t of the current activation (0 in start-up)."""
        k = t - self.start
        if k < self.start_up:
            return 0.0
        return min(1.0, (k - self.start_up + 1) / (self.ramp_up + 1))

    def output(self, t: int, factor: float) -> int:
        """Whole units the line can make today; called once on each running day.

        `factor` is the node's production factor for the product times its capacity factor.
        Counts the day towards validation if it is an output day.
        """
        k = t - self.start
        self.output_started_today = k == self.start_up
        if k < self.start_up:
            self.capacity_today = 0.0
            return 0
        self.run_days += 1
        self.capacity_today = self.capacity * self.share(t) * factor
        total = self.capacity_today + self.carry
        whole = math.floor(total + _EPS)
        self.carry = total - whole
        return whole

    def made(self, t: int, units: int) -> bool:
        """Book units made on the line today; True if they are held for validation."""
        self.units += units
        if self.validated:
            return False
        if units:
            self.held.append((t, units))
        return True

    def validation_due(self) -> bool:
        """Whether the line has now run its validation days (checked at the day's start)."""
        return not self.validated and self.run_days >= self.validation

    def validate(self) -> list[tuple[int, int]]:
        """The line is validated: returns the held batches (day made, units) for QC."""
        self.validated = True
        held, self.held = self.held, []
        return held


__all__ = ["Conversion", "whole_days"]
