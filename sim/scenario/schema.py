"""The scenario language: one pydantic model per YAML section.

Every model forbids unknown keys (a typo must never vanish) and is frozen (a scenario is a value;
changes go through :meth:`Scenario.with_overrides`). Field docstrings double as the JSON Schema
descriptions that editors show.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)

NodeId = Annotated[str, Field(min_length=1, description="A node id from `nodes`.")]
ProductId = Annotated[str, Field(min_length=1, description="A product id from `products`.")]
Units = Annotated[float, Field(ge=0, description="A quantity in the product's unit.")]
Days = Annotated[float, Field(ge=0, description="A duration in days.")]
PositiveDays = Annotated[float, Field(gt=0, description="A duration in days, above zero.")]
Fraction = Annotated[float, Field(ge=0, le=1, description="A fraction between 0 and 1.")]
Factor = Annotated[float, Field(ge=0, description="A multiplier, 1 is normal.")]
LifeDays = Annotated[int, Field(ge=1, description="Whole days of shelf life left.")]

Role = Literal[
    "manufacturer",
    "importer",
    "wholesaler",
    "hospital_pharmacy",
    "ward",
    "community_pharmacy",
    "municipal_care",
]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]


class Model(BaseModel):
    """Shared base: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# --- distributions ------------------------------------------------------------------------------


class Deterministic(Model):
    """A fixed value."""

    distribution: Literal["deterministic"]
    value: Days


class Uniform(Model):
    """Uniform between `low` and `high`."""

    distribution: Literal["uniform"]
    low: Days
    high: Days

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("'high' must be at least 'low'")
        return self


class Triangular(Model):
    """Triangular with `low` <= `mode` <= `high`."""

    distribution: Literal["triangular"]
    low: Days
    mode: Days
    high: Days

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError("expected low <= mode <= high")
        return self


class Lognormal(Model):
    """Lognormal given by its own mean and standard deviation (not those of the log)."""

    distribution: Literal["lognormal"]
    mean: PositiveDays
    sd: Days


def _dist_tag(value: Any) -> str:
    # Called on raw input when validating and on model instances when serialising.
    if isinstance(value, dict):
        return str(value.get("distribution", "missing"))
    if isinstance(value, BaseModel):
        return str(getattr(value, "distribution", "missing"))
    return "number"


Distribution = Annotated[
    Annotated[float, Tag("number"), Field(ge=0)]
    | Annotated[Deterministic, Tag("deterministic")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Triangular, Tag("triangular")]
    | Annotated[Lognormal, Tag("lognormal")],
    Discriminator(
        _dist_tag,
        custom_error_type="distribution",
        custom_error_message=(
            "expected a number or {distribution: deterministic|uniform|triangular|lognormal, ...}"
        ),
    ),
]
"""A number of days, or a distribution drawn from per use."""


# --- products -----------------------------------------------------------------------------------


class Product(Model):
    """A product (one SKU or a family of interchangeable SKUs)."""

    name: str
    """Display name, as on the package."""
    group: str
    """Product group, used by rules (e.g. `infusion_fluids`, `medical_gases`, `ppe`)."""
    unit: str = "unit"
    """The unit that all quantities of this product are counted in (bag, cylinder, kg, pack)."""
    note: str | None = None
    """Source or assumption behind this product's numbers."""
    shelf_life_days: Annotated[int, Field(ge=1)] | None = None
    """Days a unit can be used from its release; omitted: it never expires. Stock is then held
    in age cohorts and every issue takes the soonest-expiring units first (FEFO)."""
    cold_chain: bool = False
    """Needs a cold room: spoils at a node whose power is cut
    (see `defaults.cold_chain_power_floor`)."""
    spoilage_per_day: Fraction = 1.0
    """Cold chain: the share of the node's stock destroyed each day without cooling."""


# --- per node, per product specifications -------------------------------------------------------


class StockSpec(Model):
    """Initial stock, in units or in days of normal demand through the node."""

    initial: Units | None = None
    """Initial on-hand stock in units."""
    initial_days: Days | None = None
    """Initial on-hand stock in days of expected normal demand through this node."""
    remaining_shelf_life_days: LifeDays | tuple[LifeDays, LifeDays] | None = None
    """Products with a shelf life: days left on the initial stock, one number for every unit or
    `[low, high]` spread evenly over the units (default: `[1, shelf_life_days]`)."""

    @model_validator(mode="after")
    def _one(self) -> StockSpec:
        if (self.initial is None) == (self.initial_days is None):
            raise ValueError("give exactly one of 'initial' (units) or 'initial_days'")
        life = self.remaining_shelf_life_days
        if isinstance(life, tuple) and life[1] < life[0]:
            raise ValueError("remaining_shelf_life_days: [low, high] needs low <= high")
        return self


class BaseStock(Model):
    """Order up to `level` whenever the inventory position is below it."""

    type: Literal["base_stock"]
    level: Units
    """Order-up-to level in units."""
    review_days: Annotated[int, Field(ge=1)] = 1
    """Review period: the position is reviewed every `review_days` days (on day 0, r, 2r, ...)."""
    review_offset_days: Annotated[int, Field(ge=0)] = 0
    """Review on days t with (t - offset) % review_days == 0, so not every node reviews at once."""


class SS(Model):
    """(s, S): when the inventory position is at or below `s`, order up to `S`."""

    type: Literal["s_S"]
    s: Units
    S: Units
    review_days: Annotated[int, Field(ge=1)] = 1
    review_offset_days: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _ordered(self) -> SS:
        if self.s >= self.S:
            raise ValueError("'s' must be below 'S'")
        return self


class DaysOfSupply(Model):
    """Reorder point and order-up-to level in days of expected normal demand."""

    type: Literal["days_of_supply"]
    reorder_days: Days
    """Order when the inventory position is at or below this many days of normal demand."""
    target_days: Days
    """Order up to this many days of normal demand."""
    review_days: Annotated[int, Field(ge=1)] = 1
    review_offset_days: Annotated[int, Field(ge=0)] = 0
    basis: Literal["normal", "recent"] = "normal"
    """Days of which demand: `normal` (the expected normal flow) or `recent` (the mean demand the
    node saw over the last `window_days`: own demand plus customers' orders, a simple moving
    average), never below the normal flow."""
    window_days: Annotated[int, Field(ge=1)] = 7
    """Window of the moving average for `basis: recent`."""

    @model_validator(mode="after")
    def _ordered(self) -> DaysOfSupply:
        if self.reorder_days >= self.target_days:
            raise ValueError("'reorder_days' must be below 'target_days'")
        return self


class NoOrdering(Model):
    """Never reorder: a stockpile that is only drawn down."""

    type: Literal["none"]


Policy = Annotated[
    BaseStock | SS | DaysOfSupply | NoOrdering,
    Field(discriminator="type"),
]
"""An ordering (or, for manufacturers, production) policy."""


class Surge(Model):
    """A demand multiplier over a window of days."""

    start_day: Days
    duration_days: PositiveDays
    factor: Factor


class Profile(Model):
    """A piecewise-linear demand multiplier: `points` are [day, factor] pairs; flat outside."""

    points: Annotated[list[tuple[Days, Factor]], Field(min_length=1)]

    @model_validator(mode="after")
    def _sorted(self) -> Profile:
        days = [d for d, _ in self.points]
        if days != sorted(days):
            raise ValueError("profile points must be in increasing day order")
        return self


class DemandSpec(Model):
    """Consumption at a demand point."""

    mean_per_day: Units
    """Mean units per day (per unit of `per`, when given)."""
    per: str | None = None
    """Scale the mean by this size factor of the node (a key of the node's `scale`, e.g. beds)."""
    distribution: Literal["poisson", "negative_binomial", "deterministic"] = "poisson"
    dispersion: Annotated[float, Field(gt=0)] | None = None
    """Negative binomial shape k: variance = mean + mean^2 / k. Required for negative_binomial."""
    surges: list[Surge] = []
    """Multiplicative surge windows."""
    profile: Profile | None = None
    """A piecewise-linear multiplier over the horizon."""

    @model_validator(mode="after")
    def _dispersion(self) -> DemandSpec:
        if self.distribution == "negative_binomial" and self.dispersion is None:
            raise ValueError("negative_binomial demand needs 'dispersion' (shape k)")
        return self


# --- rules --------------------------------------------------------------------------------------

OneOrMany = str | list[str]


class Match(Model):
    """Which nodes and products a rule applies to. Every given key must match; lists mean any."""

    node: OneOrMany | None = None
    role: Role | list[Role] | None = None
    region: OneOrMany | None = None
    country: OneOrMany | None = None
    tag: OneOrMany | None = None
    """Node tag: matches nodes carrying any of these tags."""
    group: OneOrMany | None = None
    """Product group."""
    product: OneOrMany | None = None


class PolicyRule(Model):
    """A default ordering policy for the matched nodes and products."""

    name: str | None = None
    """A label for the rule, so that `--set`, `--sweep` and `vary` paths can name it."""
    match: Match = Match()
    policy: Policy


class StockRule(Model):
    """A default initial stock for the matched nodes and products."""

    name: str | None = None
    """A label for the rule, so that `--set`, `--sweep` and `vary` paths can name it."""
    match: Match = Match()
    stock: StockSpec


class DemandRule(Model):
    """A default demand for the matched nodes and products."""

    name: str | None = None
    """A label for the rule, so that `--set`, `--sweep` and `vary` paths can name it."""
    match: Match = Match()
    demand: DemandSpec


# --- care activity ------------------------------------------------------------------------------

Priority = Literal["imperative", "urgent", "deferrable"]


class CareCategory(Model):
    """A kind of care episode: how long patients stay, how urgent it is, how many staff it needs."""

    length_of_stay_days: Distribution
    """Days in care per admission, drawn per admission (a number is exact): an admission on day
    t with a stay of L is in care on days t .. t + max(1, ceil(L)) - 1."""
    priority: Priority = "urgent"
    """`imperative` (never postponed), `urgent` or `deferrable` (planned care that can wait)."""
    staff_shifts_per_patient_day: Units = 0
    """Staff shifts worked per patient in care per day (drives per-shift norms such as PPE)."""


class Norm(Model):
    """What a care category consumes of the matched products."""

    name: str | None = None
    category: str
    """A category of `care.categories`, or `all`."""
    match: Match = Match()
    """The nodes this norm holds at (all when omitted): a later norm overrides an earlier one
    field by field, so a ward's own practice can refine the general norm."""
    product: OneOrMany | None = None
    group: OneOrMany | None = None
    """Product ids or groups; every given key must match (all products when both omitted)."""
    # None: not given, so an earlier norm's value stands (0 where no norm gives one). Not 0 by
    # default: a resolved scenario (what a batch runs) writes every field that has a value.
    per_patient_day: Units | None = None
    per_admission: Units | None = None
    per_staff_shift: Units | None = None


class AdmissionRule(Model):
    """Admissions of one care category at the matched nodes."""

    name: str | None = None
    match: Match = Match()
    category: str
    mean_per_day: Units
    """Mean admissions per day (per unit of `per`, when given)."""
    per: str | None = None
    """Scale the mean by this size factor of the node (a key of the node's `scale`)."""
    distribution: Literal["poisson", "deterministic"] = "poisson"


class Care(Model):
    """Demand from care activity: patients admitted, in care, and the staff who treat them."""

    categories: Annotated[dict[str, CareCategory], Field(min_length=1)]
    norms: list[Norm] = []
    admissions: list[AdmissionRule] = []


class RationingRule(Model):
    """Rationing while stock is short: postpone deferrable care, use less of the matched products.

    Active at a scope (a node, or all matched nodes of a region or country) from the day its
    days of supply of the matched products fall below `below_days` until they are back above
    `release_above_days` (hysteresis).
    """

    name: str | None = None
    match: Match = Match()
    """The nodes and products watched and rationed."""
    below_days: Days
    """Start when on-hand stock over normal daily flow, summed over the matched node-products of
    the scope, is below this."""
    scope: Literal["node", "region", "country"] = "node"
    release_above_days: Days
    """End when the scope's days of supply are back above this."""
    defer: list[Priority] = []
    """New admissions of these priorities wait while the rule is active (admitted first when it
    ends)."""
    cancel_after_days: Annotated[int, Field(ge=1)] | None = None
    """An admission that has waited longer than this is cancelled (never, when omitted)."""
    from_day: Annotated[int, Field(ge=0)] | None = None
    """The rule is not looked at before this day (a decision taken during an exercise)."""
    catch_up: Annotated[float, Field(gt=0)] = 1.0
    """Once the rule ends, waiting admissions are admitted oldest first, at most this multiple
    of the node's mean daily admissions of the category a day on top of new ones (1: planned
    activity at most doubled while the backlog is worked off)."""
    conserve: Fraction = 1.0
    """While active, the matched products' care norms and plain demand times this."""

    @model_validator(mode="after")
    def _hysteresis(self) -> RationingRule:
        if self.release_above_days < self.below_days:
            raise ValueError("'release_above_days' must be at least 'below_days'")
        return self


# --- nodes and lanes ----------------------------------------------------------------------------


class Node(Model):
    """A place that holds stock: a manufacturer, importer, wholesaler, pharmacy, ward, ..."""

    id: str = Field(min_length=1)
    role: Role
    country: str
    region: str
    name: str | None = None
    unlimited: bool = False
    """An outside-the-model source: ships whatever is ordered, at once."""
    products: list[ProductId] | None = None
    """For unlimited sources: the products or product groups it supplies (all when omitted)."""
    tags: list[str] = []
    """Free labels that rules and disruptions can match (e.g. `icu`, `trauma_centre`)."""
    scale: dict[str, Units] = {}
    """Size factors that demand rules scale by (e.g. beds, population)."""
    stock: dict[ProductId, StockSpec] = {}
    policy: dict[ProductId, Policy] = {}
    demand: dict[ProductId, DemandSpec] = {}
    unmet_demand: Literal["backorder", "lost"] = "backorder"
    """What happens to own demand that cannot be served today."""
    capacity: dict[ProductId, Units] = {}
    """Manufacturers: production capacity per day, per product."""
    qc_release_days: Days = 0
    """Manufacturers: produced stock is quarantined this many days before it can ship. With a
    hold (> 0) the maker starts with its QC pipeline full: that many days of its normal flow
    (at most its capacity) in quarantine, as if it had been producing before day 0."""
    inputs: dict[ProductId, dict[ProductId, Annotated[float, Field(gt=0)]]] = {}
    """Manufacturers: per product made, the input products (active substance, components) and
    the quantity of each per unit. Inputs are held here like any product; production stops
    when one runs out."""
    backup_power_days: Annotated[int, Field(ge=0)] = 0
    """Days this node works at full capacity on backup power in a power outage (generators,
    fuel), before the outage's capacity factor applies."""
    dispatch_capacity: dict[ProductId, Units] = {}
    """Units per day this node can ship, per product (unlimited when omitted)."""
    priority: Annotated[int, Field(ge=1)] = 1
    """Allocation tier when its supplier is short: tier 1 is served in full before tier 2."""
    own_tier: Annotated[int, Field(ge=1)] = 1
    """The tier of this node's own demand when it allocates its stock, on the same scale as its
    customers' `priority` (1: own patients first, alongside tier-1 customers)."""
    care_tiers: dict[Literal["imperative", "urgent", "deferrable"],
                     Annotated[int, Field(ge=1)]] = {}
    """Allocation tiers of care demand by priority, on the scale of `own_tier` and customers'
    `priority` (default: imperative at `own_tier`, urgent one below, deferrable two below)."""
    sourcing: Literal["fixed", "fallback"] | None = None
    """How orders are split over inbound lanes: `fixed` by share always; `fallback` moves the
    part for a closed lane, a supplier with an IT outage or an empty supplier to the other
    lanes (default: `defaults.sourcing`)."""
    fallback_after_days: Annotated[int, Field(ge=1)] | None = None
    """A supplier counts as empty after this many days with nothing on hand of the product
    (default: `defaults.fallback_after_days`)."""
    hoarding_factor: Annotated[float, Field(ge=1)] | None = None
    """While a supplier has cut this node's orders of a product within `hoarding_window_days`,
    its reorder and order-up-to levels for the product are this factor times their normal
    values (default: `defaults.hoarding_factor`, 1: no hoarding)."""
    hoarding_window_days: Annotated[int, Field(ge=1)] = 7

    @model_validator(mode="after")
    def _role_fields(self) -> Node:
        if self.capacity and self.role != "manufacturer":
            raise ValueError("'capacity' is production capacity: only for role manufacturer")
        if self.inputs and self.role != "manufacturer":
            raise ValueError("'inputs' are inputs of production: only for role manufacturer")
        if self.inputs and self.unlimited:
            raise ValueError("an unlimited source has no 'inputs': it is outside the model")
        if self.unlimited and self.role != "manufacturer":
            raise ValueError("'unlimited' is for outside-the-model sources (role manufacturer)")
        if self.products is not None and not self.unlimited:
            raise ValueError("'products' lists what an unlimited source supplies")
        return self


class Lane(Model):
    """A transport link from a supplier to a customer."""

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    lead_time_days: Distribution
    """Days from dispatch to receipt; a shipment sent on day t arrives at the start of day
    t + max(1, ceil(L))."""
    capacity_per_day: Units | None = None
    """Units per day over all products (unlimited when omitted)."""
    products: list[str] | None = None
    """Products or product groups carried (all the supplier offers when omitted)."""
    share: Annotated[float, Field(gt=0)] = 1.0
    """Weight of this lane among the customer's lanes for the same product (orders are split)."""


# --- disruptions --------------------------------------------------------------------------------


class Recurring(Model):
    """Random failures that come and go: an alternating renewal process over the horizon.

    Starting in working order on day 0, up times (mean `mean_days_between`) and down times
    (mean `mean_duration_days`) alternate; each down time is a window of the disruption.
    """

    mean_days_between: PositiveDays
    """Mean days from the end of one window to the start of the next."""
    mean_duration_days: PositiveDays
    """Mean length of a window in days."""
    distribution: Literal["exponential", "lognormal"] = "exponential"
    cv: Annotated[float, Field(gt=0)] | None = None
    """Lognormal only: coefficient of variation (sd / mean) of both up and down times
    (default 1)."""

    @model_validator(mode="after")
    def _sensible(self) -> Recurring:
        # A day is the model's step: cycles of failure and repair far shorter than one would
        # only cost time (the windows are drawn one by one).
        if self.mean_days_between + self.mean_duration_days < 0.1:
            raise ValueError("mean_days_between + mean_duration_days must be at least 0.1 day")
        if self.cv is not None and self.distribution != "lognormal":
            raise ValueError("'cv' is for distribution: lognormal")
        return self


class Window(Model):
    """When a disruption acts.

    From `start_day` for `duration_days` (each may be random), or in windows that recur at
    random (`recurring`).
    """

    name: str | None = None
    """A label used in events and injects."""
    start_day: Distribution | None = None
    duration_days: Distribution | None = None
    recurring: Recurring | None = None
    """Instead of `start_day` and `duration_days`: windows that come and go at random."""

    @model_validator(mode="after")
    def _when(self) -> Window:
        if self.recurring is not None:
            if self.start_day is not None or "duration_days" in self.model_fields_set:
                raise ValueError("give either 'recurring' or 'start_day'/'duration_days', not both")
        elif self.start_day is None or self.duration_days is None:
            missing = [k for k in ("start_day", "duration_days") if getattr(self, k) is None]
            raise ValueError(f"missing {' and '.join(repr(k) for k in missing)} "
                             "(or give 'recurring')")
        return self


class Where(Model):
    """Which nodes a disruption hits. Every given key must match; omitted keys match all."""

    nodes: list[str] | None = None
    roles: list[Role] | None = None
    regions: list[str] | None = None
    countries: list[str] | None = None
    tags: list[str] | None = None
    """Nodes carrying any of these tags."""


class LaneWhere(Model):
    """Which lanes a disruption hits; `country`/`region` match either end of a lane."""

    from_: list[str] | None = Field(default=None, alias="from")
    to: list[str] | None = None
    from_country: list[str] | None = None
    to_country: list[str] | None = None
    from_region: list[str] | None = None
    to_region: list[str] | None = None
    from_role: list[Role] | None = None
    """Lanes whose supplier has one of these roles."""
    to_role: list[Role] | None = None
    """Lanes whose customer has one of these roles (e.g. to spare hospital-internal lanes)."""
    countries: list[str] | None = None
    regions: list[str] | None = None
    cross_border: bool | None = None
    """Only lanes whose ends are in different countries (True) or the same country (False)."""


class PowerOutage(Window):
    """Nodes in the hit area work at `capacity_factor` of their capacity (production, dispatch)."""

    type: Literal["power_outage"]
    where: Where
    capacity_factor: Fraction
    backup_refill: bool = True
    """Each window starts with a full backup (`backup_power_days` of the node); false: the
    backup used in earlier windows of this outage is gone."""


class Transport(Window):
    """Slower, thinner or closed lanes. Goods in transit on a closed lane wait until it reopens."""

    type: Literal["transport"]
    lanes: LaneWhere
    lead_time_factor: Annotated[float, Field(ge=1)] = 1.0
    capacity_factor: Fraction = 1.0
    closed: bool = False
    products: list[str] | None = None
    """Closure only: products or groups stopped (all when omitted)."""
    hold_in_transit: bool = True
    """Closure only: goods already on a closed lane wait until it reopens (false: they arrive)."""


class ExportBan(Window):
    """A producing country stops exports: lanes leaving it for another country close.

    They take no new loads; goods already dispatched arrive.
    """

    type: Literal["export_ban"]
    country: str
    products: list[str] | None = None
    """Products or groups banned (all when omitted)."""


class FactoryLoss(Window):
    """Manufacturers lose production (to zero by default), then recover over `recovery_days`."""

    type: Literal["factory_loss"]
    nodes: Annotated[list[str], Field(min_length=1)]
    products: list[str] | None = None
    capacity_factor: Fraction = 0.0
    """Capacity while the loss lasts."""
    recovery_days: Days = 0
    """After the window (and the restart), capacity rises linearly back to normal over this
    many days."""
    restart_days: Days = 0
    """After a window that stopped the plant (capacity factor 0): days of restart, cleaning and
    revalidation with no output, before the recovery starts."""


class ItOutage(Window):
    """Ordering systems down: the hit nodes place no orders and take in no customer orders."""

    type: Literal["it_outage"]
    where: Where
    effect: Literal["ordering", "order_intake", "both"] = "both"
    """`ordering`: the nodes place no orders; `order_intake`: they ship nothing on their
    customers' orders (which wait, or go to other suppliers under `fallback` sourcing); `both`."""


class StaffAbsence(Window):
    """Staff off sick or called up: production and dispatch capacity times 1 - absent_share."""

    type: Literal["staff_absence"]
    where: Where
    absent_share: Fraction


class StockLoss(Window):
    """Fire, flood, sabotage or a quality recall.

    On the window's start day, `share` of the stock of the matched products at the matched
    nodes is destroyed, or with `quarantine_days` held unusable for that long and then returned.
    """

    type: Literal["stock_loss"]
    duration_days: Distribution | None = 1.0
    where: Where
    products: list[str] | None = None
    """Products or groups hit (all when omitted)."""
    share: Fraction = 1.0
    quarantine_days: Annotated[int, Field(ge=1)] | None = None
    """A recall: the stock is unusable for this many days, then back in stock."""


class DemandSurge(Window):
    """Demand at the hit nodes rises by `factor` (trauma, pandemic)."""

    type: Literal["demand_surge"]
    where: Where
    products: list[str] | None = None
    """Plain per-product demand: products or groups affected (all when omitted)."""
    categories: list[str] | None = None
    """Care: the admissions of these categories at the matched nodes rise by `factor` (all
    categories when omitted)."""
    factor: Factor
    ramp_days: Days = 0
    """Demand rises linearly to `factor` over this many days from the start."""


Disruption = Annotated[
    PowerOutage | Transport | ExportBan | FactoryLoss | ItOutage | DemandSurge | StaffAbsence
    | StockLoss,
    Field(discriminator="type"),
]


# --- the scenario -------------------------------------------------------------------------------


class Defaults(Model):
    """Scenario-wide assumptions."""

    capacity_headroom: Annotated[float, Field(ge=1)] = 1.5
    """A node or lane with no stated capacity is assumed to manage this multiple of its normal
    daily flow; a capacity-factor disruption scales that (an assumption, see docs/engine.md)."""
    sourcing: Literal["fixed", "fallback"] = "fallback"
    """Nodes' default sourcing (see `Node.sourcing`)."""
    fallback_after_days: Annotated[int, Field(ge=1)] = 1
    """Nodes' default days before an empty supplier's share goes to other lanes."""
    hoarding_factor: Annotated[float, Field(ge=1)] = 1.0
    """Nodes' default `hoarding_factor` (1: no hoarding)."""
    cold_chain_power_floor: Fraction = 0.5
    """Cold-chain stock spoils at a node whose power capacity factor, after its backup, is at
    or below this (rotating disconnections at 0.6 keep the cold rooms cold)."""


class Reporting(Model):
    """What the run records."""

    dos_thresholds: list[PositiveDays] = [14, 7, 3]
    """Days-of-supply levels whose crossings are events."""
    daily: Literal["node", "region", "role", "none"] = "node"
    """Aggregation of the daily table."""


class Scenario(Model):
    """A complete scenario: products, network, policies, demand and disruptions."""

    name: str = Field(min_length=1)
    description: str | None = None
    horizon_days: Annotated[int, Field(ge=1)]
    warmup_days: Annotated[int, Field(ge=0)] = 0
    """KPIs exclude these first days."""
    seed: int = 0
    defaults: Defaults = Defaults()
    reporting: Reporting = Reporting()
    products: Annotated[dict[str, Product], Field(min_length=1)]
    nodes: Annotated[list[Node], Field(min_length=1)]
    lanes: list[Lane] = []
    policies: list[PolicyRule] = []
    stocks: list[StockRule] = []
    demands: list[DemandRule] = []
    care: Care | None = None
    """Demand from care activity (adds to plain per-product demand)."""
    rationing: list[RationingRule] = []
    """Rules that postpone deferrable care and conserve products while stock is short."""
    disruptions: list[Disruption] = []
    countermeasures: list[Countermeasure] = []
    """What planners decide in a crisis, and when (docs/countermeasures.md)."""

    _source: Any = PrivateAttr(default=None)
    _network: Any = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _warmup(self) -> Scenario:
        if self.warmup_days >= self.horizon_days:
            raise ValueError("'warmup_days' must be below 'horizon_days'")
        return self

    # Loading and overrides live in load.py; these thin methods make them part of the API.
    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """Return a validated copy with `{"dotted.path": value}` overrides applied."""
        from sim.scenario.load import apply_overrides

        return apply_overrides(self, overrides)

    @property
    def source(self) -> Any:
        """Where this scenario came from (file, raw data, line map)."""
        return self._source

    def resolved(self) -> dict[str, Any]:
        """The fully resolved scenario as plain data (inherited and CSV parts inlined)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


# The countermeasures' models use the types above; Scenario refers to them by name.
from sim.scenario.countermeasures import Countermeasure  # noqa: E402

Scenario.model_rebuild()
