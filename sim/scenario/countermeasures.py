"""The scenario's `countermeasures:`: what planners decide in a crisis, and when.

Each item has a `type`, a unique `name`, one trigger (`on_day`, `when` or `after`) and the
keys of its type. The engine's side is `sim/countermeasures/`; docs/countermeasures.md gives
the semantics and exact traces.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

# Imported by sim.scenario.schema at its end, when these are defined.
from sim.scenario.schema import Days, Fraction, Match, Model, PositiveDays, ProductId, Units

Scope = Literal["node", "region", "country"]


class When(Model):
    """Start when the days of supply at some scope fall below `below_days`.

    Days of supply at a scope are on-hand stock summed over the matched node-products of the
    scope over their summed normal daily flow, as rationing measures them.
    """

    below_days: Days
    scope: Scope = "country"
    match: Match = Match()


class Trigger(Model):
    """When a countermeasure starts and ends (one of `on_day`, `when`, `after`)."""

    name: str = Field(min_length=1)
    """Unique among the countermeasures: events and exercise injects name it."""
    on_day: Annotated[int, Field(ge=0)] | None = None
    """Start on this day."""
    when: When | None = None
    """Start on the first day the days of supply at some scope are below `below_days`."""
    after: str | None = None
    """Start on the first start day of the disruption with this `name`."""
    decision_days: Annotated[int, Field(ge=0)] = 0
    """Days from the trigger to the action (deciding, procuring, organising)."""
    not_before_day: Annotated[int, Field(ge=0)] | None = None
    """The trigger is not looked at before this day: a `when` condition counts from it, and an
    `on_day` or `after` day before it fires on it (a decision taken during an exercise)."""
    until_day: Annotated[int, Field(ge=1)] | None = None
    """End at the start of this day (active on the days before it)."""
    release_above_days: Days | None = None
    """With `when`: end on the first day every scope is back above this many days of supply
    (the measure can then start it again)."""

    @model_validator(mode="after")
    def _one_trigger(self) -> Trigger:
        given = [k for k in ("on_day", "when", "after") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one trigger: 'on_day', 'when' or 'after'"
                             + (f" (got {', '.join(repr(k) for k in given)})" if given else ""))
        if self.release_above_days is not None:
            if self.when is None:
                raise ValueError("'release_above_days' ends a 'when' trigger: give 'when'")
            if self.release_above_days < self.when.below_days:
                raise ValueError("'release_above_days' must be at least 'when.below_days'")
        if self.until_day is not None and self.on_day is not None and self.until_day <= self.on_day:
            raise ValueError("'until_day' must be after 'on_day'")
        return self


class Redistribution(Trigger):
    """Stock moves from nodes above a floor to nodes below a level, within a region or country.

    Every `review_days` while active: a matched node-product below `below_days` of its normal
    flow asks for enough to reach `target_days`; nodes of the same region (or country) above
    `donor_floor_days` give pro rata to their stock above the floor, never below it.
    """

    type: Literal["redistribution"]
    match: Match = Match()
    """Who takes part (nodes and products)."""
    within: Literal["region", "country"] = "region"
    below_days: PositiveDays
    target_days: PositiveDays | None = None
    """Default: twice `below_days`."""
    donor_floor_days: Days
    lead_time_days: PositiveDays = 1.0
    review_days: Annotated[int, Field(ge=1)] = 1

    @model_validator(mode="after")
    def _levels(self) -> Redistribution:
        target = self.target_days if self.target_days is not None else 2 * self.below_days
        if target < self.below_days:
            raise ValueError("'target_days' must be at least 'below_days'")
        if self.donor_floor_days < self.below_days:
            raise ValueError("'donor_floor_days' must be at least 'below_days': a donor must "
                             "not be left where it would ask for stock itself")
        return self


class Substitution(Trigger):
    """Unmet own demand for `product` is served from `by`, `ratio` units of `by` per unit."""

    type: Literal["substitution"]
    product: ProductId
    by: ProductId
    ratio: Annotated[float, Field(gt=0)] = 1.0
    match: Match = Match()
    """The nodes where the substitute is used (all with own demand for `product`)."""


class StockpileRelease(Trigger):
    """A stockpile is released to receivers once, when the measure starts."""

    type: Literal["stockpile_release"]
    from_: Match = Field(alias="from")
    """The nodes holding the stockpile (e.g. `{tag: national_stockpile}`)."""
    to: Match
    """The receivers."""
    products: list[ProductId] | None = None
    """Products or groups released (all the stockpile holds when omitted)."""
    share: Fraction | None = None
    """Release this share of the stockpile, to receivers pro rata to their normal flow."""
    days: PositiveDays | None = None
    """Or: give each receiver this many days of its normal flow (as far as the stock goes)."""
    lead_time_days: PositiveDays | None = None
    """Days on the way; default: the mean lead time of a lane from the stockpile to the
    receiver where there is one, else 1."""

    @model_validator(mode="after")
    def _amount(self) -> StockpileRelease:
        if (self.share is None) == (self.days is None):
            raise ValueError("give exactly one of 'share' and 'days'")
        return self


class EmergencyLane(Model):
    """A lane that exists only while its measure is active."""

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    lead_time_days: PositiveDays = 1.0
    products: list[ProductId] | None = None
    """Products or groups carried (all the receiver handles when omitted)."""


class EmergencyLanes(Trigger):
    """Temporary supply (a neighbour country, another maker) while active.

    Each day, a receiver asks over its emergency lanes for what tops its stock up to its
    order-up-to level (counting stock on hand, less what it owes, plus emergency shipments on
    the way; ordinary orders still owed are not counted, as in a crisis they may never come);
    a supplier gives at most `max_share` of its stock a day over all its emergency lanes.
    """

    type: Literal["emergency_lanes"]
    lanes: Annotated[list[EmergencyLane], Field(min_length=1)]
    max_share: Fraction = 1.0
    """Share of the supplier's on-hand stock it may give a day (a neighbour keeps its own)."""


class ProductionConversion(Trigger):
    """A manufacturer converts a line to `product`: start-up, ramp-up, validation, crowding out."""

    type: Literal["production_conversion"]
    node: str
    product: ProductId
    capacity: Units
    start_up_days: Days = 0
    ramp_up_days: Days = 0
    validation_days: Days = 0
    crowds_out: dict[ProductId, Units] = Field(default_factory=dict)
    """Capacity per day lost for these products while the line is converted."""


class Allocation(Trigger):
    """Allocation quotas at suppliers: by history, and caps on orders (anti-hoarding)."""

    type: Literal["allocation"]
    match: Match = Match()
    """The suppliers (nodes) and products."""
    rule: Literal["pro_rata", "history"] = "history"
    """`history`: short stock is shared by the customers' shares of normal flow (what is left
    then goes pro rata to the rest of the claims); `pro_rata`: by today's claims."""
    order_cap_days: PositiveDays | None = None
    """An order above this many days of the customer's normal flow is cut to it."""


class UseExpired(Trigger):
    """Expired stock stays usable for `extend_days` (municipalities keep it for a crisis)."""

    type: Literal["use_expired"]
    match: Match = Match()
    products: list[ProductId] | None = None
    extend_days: Annotated[int, Field(ge=1)]


Countermeasure = Annotated[
    Redistribution | Substitution | StockpileRelease | EmergencyLanes | ProductionConversion
    | Allocation | UseExpired,
    Field(discriminator="type"),
]

__all__ = [
    "Allocation", "Countermeasure", "EmergencyLane", "EmergencyLanes",
    "ProductionConversion", "Redistribution", "StockpileRelease", "Substitution", "Trigger",
    "UseExpired", "When",
]
