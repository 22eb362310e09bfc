"""Disruptions as SimPy processes that switch effects on and off.

An effect changes parameters through the same arrays the roles read (a capacity factor on a node,
a lead-time factor or a closure on a lane, a demand multiplier), so roles never special-case a
disruption. Overlapping effects multiply (factors) or combine with "or" (closures, outages).

Timing: a disruption starting at time s for d days is in effect on day t when s <= t < s + d
(the engine processes day t at time t, after any switch due at that instant).

Windows: each disruption draws its windows from its own substream of the replication's
disruption stream (`sim.rng.substream`), either one window (`start_day`, `duration_days`) or an
alternating renewal process (`recurring`), so a disruption's number of draws never shifts
another's windows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from sim.distributions import Sampler
from sim.network import Network, node_mask
from sim.scenario import schema


@dataclass(eq=False)  # effects are switched off by identity, never compared by value
class Effect:
    """One switched-on change; `factor(t)` gives its strength on day t."""

    # power | capacity | production | lead_time | lane_capacity | closure | hold | ordering |
    # intake | demand. Power (after backup) is kept apart from other node capacity factors
    # (staff) because cold-chain spoilage reads it alone.
    kind: str
    mask: np.ndarray
    # A number, or one value per masked cell (power after each node's own backup).
    factor: Callable[[float], float | np.ndarray]
    varies: bool = False


@dataclass
class Effects:
    """The effective parameter arrays for the current day."""

    node_capacity: np.ndarray  # float[n]: production and dispatch, power x staff
    power: np.ndarray  # float[n]: power capacity factor in force today after backup, 1 if none
    production: np.ndarray  # float[n, p]
    lane_lead: np.ndarray  # float[l]
    lane_capacity: np.ndarray  # float[l]
    lane_open: np.ndarray  # bool[l, p]: new loads can be dispatched
    lane_hold: np.ndarray  # bool[l, p]: goods in transit wait for the lane to reopen
    ordering_down: np.ndarray  # bool[n]: places no orders
    intake_down: np.ndarray  # bool[n]: ships nothing on customers' orders
    demand: np.ndarray | None  # float[n, p], None when 1 everywhere
    admissions: np.ndarray | None = None  # float[n, care categories], None when 1 everywhere
    # float[n, p]: dispatch capacity factor where it differs by product (an outside source's
    # production factor times its node factor), None when node_capacity applies to all.
    dispatch: np.ndarray | None = None
    any_closure: bool = False
    any_hold: bool = False
    any_intake_down: bool = False
    any_ordering_down: bool = False
    any_node_capacity: bool = False
    any_lane_capacity: bool = False
    any_lead: bool = False


@dataclass
class Disruptions:
    """Active effects and the arrays they imply."""

    net: Network
    permanent: list[Effect] = field(default_factory=list)
    active: list[Effect] = field(default_factory=list)
    dirty: bool = True
    current: Effects | None = None

    def switch(self, effects: list[Effect], on: bool) -> None:
        """Switch effects on or off; arrays are rebuilt at the next refresh."""
        for effect in effects:
            if on:
                self.active.append(effect)
            else:
                self.active.remove(effect)
        self.dirty = True

    def refresh(self, t: int) -> Effects:
        """The effective arrays for day t (rebuilt only when something changed or varies)."""
        effects = [*self.permanent, *self.active]
        if self.current is not None and not self.dirty and not any(e.varies for e in effects):
            return self.current
        net = self.net
        n, p, lanes = net.n_nodes, net.n_products, net.n_lanes
        fx = Effects(
            node_capacity=np.ones(n),
            power=np.ones(n),
            production=np.ones((n, p)),
            lane_lead=np.ones(lanes),
            lane_capacity=np.ones(lanes),
            lane_open=np.ones((lanes, p), dtype=bool),
            lane_hold=np.zeros((lanes, p), dtype=bool),
            ordering_down=np.zeros(n, dtype=bool),
            intake_down=np.zeros(n, dtype=bool),
            demand=None,
        )
        for e in effects:
            f = e.factor(t)
            if e.kind == "power":
                fx.power[e.mask] *= f
            elif e.kind == "capacity":
                fx.node_capacity[e.mask] *= f
            elif e.kind == "production":
                fx.production[e.mask] *= f
            elif e.kind == "lead_time":
                fx.lane_lead[e.mask] *= f
            elif e.kind == "lane_capacity":
                fx.lane_capacity[e.mask] *= f
            elif e.kind == "closure":
                fx.lane_open &= ~e.mask
            elif e.kind == "hold":
                fx.lane_hold |= e.mask
            elif e.kind == "ordering":
                fx.ordering_down |= e.mask
            elif e.kind == "intake":
                fx.intake_down |= e.mask
            elif e.kind == "demand":
                if fx.demand is None:
                    fx.demand = np.ones((n, p))
                fx.demand[e.mask] *= f
            elif e.kind == "admissions":
                if fx.admissions is None:
                    fx.admissions = np.ones(e.mask.shape)
                fx.admissions[e.mask] *= f
        fx.node_capacity *= fx.power
        outside = net.unlimited
        if outside.any() and (fx.production[outside] < 1).any():
            # An outside source makes what it ships, so a loss of its production is a loss
            # of what it can ship (on top of power and staff).
            fx.dispatch = fx.node_capacity[:, None] * np.where(outside[:, None],
                                                               fx.production, 1.0)
        fx.any_closure = not fx.lane_open.all()
        fx.any_hold = bool(fx.lane_hold.any())
        fx.any_intake_down = bool(fx.intake_down.any())
        fx.any_ordering_down = bool(fx.ordering_down.any())
        fx.any_node_capacity = bool((fx.node_capacity < 1).any()) or fx.dispatch is not None
        fx.any_lane_capacity = bool((fx.lane_capacity < 1).any())
        fx.any_lead = bool((fx.lane_lead != 1).any())
        self.current, self.dirty = fx, False
        return fx


def _constant(value: float) -> Callable[[float], float]:
    return lambda _t: value


def _node_mask(net: Network, where: schema.Where) -> np.ndarray:
    return node_mask(net.nodes, where)


def _product_mask(net: Network, names: list[str] | None) -> np.ndarray:
    if names is None:
        return np.ones(net.n_products, dtype=bool)
    allowed = set(names)
    groups = [net.scenario.products[p].group for p in net.product_ids]
    return np.array(
        [p in allowed or g in allowed for p, g in zip(net.product_ids, groups, strict=True)]
    )


def _lane_mask(net: Network, where: schema.LaneWhere) -> np.ndarray:
    src, dst = net.lane_src, net.lane_dst
    ids, countries, regions, roles = (np.array(a, dtype=object) for a in
                                      (net.node_ids, net.countries, net.regions, net.roles))
    mask = np.ones(net.n_lanes, dtype=bool)

    def isin(values: np.ndarray, wanted: list[str]) -> np.ndarray:
        return np.isin(values, wanted)

    pairs = (
        (where.from_, ids[src]), (where.to, ids[dst]),
        (where.from_country, countries[src]), (where.to_country, countries[dst]),
        (where.from_region, regions[src]), (where.to_region, regions[dst]),
        (where.from_role, roles[src]), (where.to_role, roles[dst]),
    )
    for wanted, values in pairs:
        if wanted is not None:
            mask &= isin(values, wanted)
    if where.countries is not None:
        mask &= isin(countries[src], where.countries) | isin(countries[dst], where.countries)
    if where.regions is not None:
        mask &= isin(regions[src], where.regions) | isin(regions[dst], where.regions)
    if where.cross_border is not None:
        mask &= (countries[src] != countries[dst]) == where.cross_border
    return mask


def effects_of(net: Network, d: Any, start: float, end: float,
               backup: np.ndarray | None = None) -> list[Effect]:
    """The effects a disruption switches on, given its drawn window [start, end).

    `backup` (power outages): whole days of backup power each node has left at the window's
    start (engine node order); the nodes' full `backup_power_days` when omitted. A stock loss
    switches nothing: its stock is destroyed or quarantined on its start day by the engine.
    """
    if isinstance(d, schema.PowerOutage):
        return [_power(net, d, start, backup)]
    if isinstance(d, schema.StaffAbsence):
        # No backup for staff: the factor holds from the first day.
        return [Effect("capacity", _node_mask(net, d.where), _constant(1 - d.absent_share))]
    if isinstance(d, schema.StockLoss):
        return []
    if isinstance(d, schema.ItOutage):
        nodes = _node_mask(net, d.where)
        kinds = {"ordering": ["ordering"], "order_intake": ["intake"],
                 "both": ["ordering", "intake"]}[d.effect]
        return [Effect(kind, nodes, _constant(1.0)) for kind in kinds]
    if isinstance(d, schema.Transport):
        lanes = _lane_mask(net, d.lanes)
        out = []
        if d.lead_time_factor != 1:
            out.append(Effect("lead_time", lanes, _constant(d.lead_time_factor)))
        if d.capacity_factor != 1:
            out.append(Effect("lane_capacity", lanes, _constant(d.capacity_factor)))
        if d.closed:
            cells = lanes[:, None] & _product_mask(net, d.products)[None, :]
            out.append(Effect("closure", cells, _constant(1.0)))
            if d.hold_in_transit:
                out.append(Effect("hold", cells, _constant(1.0)))
        return out
    if isinstance(d, schema.ExportBan):
        countries = np.array(net.countries, dtype=object)
        src, dst = countries[net.lane_src], countries[net.lane_dst]
        lanes = (src == d.country) & (dst != d.country)
        cells = lanes[:, None] & _product_mask(net, d.products)[None, :]
        # A ban stops loading at the border; what is already on its way arrives.
        return [Effect("closure", cells, _constant(1.0))]
    if isinstance(d, schema.FactoryLoss):
        nodes = np.isin(net.node_ids, d.nodes)
        cells = nodes[:, None] & _product_mask(net, d.products)[None, :]
        low, ramp, restart = d.capacity_factor, d.recovery_days, _restart(d)

        def recovering(t: float) -> float:
            # A stopped plant restarts (cleaning, revalidation) at zero before it ramps up.
            if t < end + restart or ramp <= 0:
                return low
            return min(1.0, low + (1 - low) * (t - end - restart + 1) / (ramp + 1))

        return [Effect("production", cells, recovering, varies=ramp > 0)]
    if isinstance(d, schema.DemandSurge):
        nodes = _node_mask(net, d.where)
        peak, ramp = d.factor, d.ramp_days

        def surging(t: float) -> float:
            if ramp <= 0:
                return peak
            return 1 + (peak - 1) * min(1.0, (t - start + 1) / ramp)

        out = []
        # `products` alone: plain demand; `categories` alone: admissions; neither: both.
        if d.products is not None or d.categories is None:
            cells = nodes[:, None] & _product_mask(net, d.products)[None, :]
            out.append(Effect("demand", cells, surging, varies=ramp > 0))
        if net.care is not None and (d.categories is not None or d.products is None):
            wanted = net.care.categories if d.categories is None else d.categories
            cats = np.isin(net.care.categories, wanted)
            out.append(Effect("admissions", nodes[:, None] & cats[None, :], surging,
                              varies=ramp > 0))
        return out
    raise TypeError(f"unknown disruption {d!r}")


def _restart(d: schema.FactoryLoss) -> float:
    """Days of restart after the window: only a loss that stopped the plant needs one."""
    return d.restart_days if d.capacity_factor == 0 else 0.0


def backup_days(net: Network) -> np.ndarray:
    """Each node's `backup_power_days` (engine node order)."""
    return np.array([nd.backup_power_days for nd in net.nodes], dtype=float)


def _power(net: Network, d: schema.PowerOutage, start: float,
           backup: np.ndarray | None) -> Effect:
    """Power at `capacity_factor`, after each node's backup runs out.

    The window acts from day ceil(start); a node with `b` days of backup left works at full
    capacity on the window's first `b` days.
    """
    mask = _node_mask(net, d.where)
    left = (backup_days(net) if backup is None else backup)[mask]
    low = d.capacity_factor
    if low >= 1 or not (left > 0).any():
        return Effect("power", mask, _constant(low))
    first = math.ceil(start)

    def after_backup(t: float) -> np.ndarray:
        return np.where(t - first < left, 1.0, low)

    return Effect("power", mask, after_backup, varies=True)


def window_effects(net: Network, windows: list[Window]) -> list[list[Effect]]:
    """The effects of every drawn window, in the order of `windows`.

    Power outages keep count of the backup each node has used: every window starts with the
    nodes' full backup, or, with `backup_refill: false`, with what earlier windows of the same
    outage left (a window uses a day of backup for each of its days while any is left).
    """
    disruptions = net.scenario.disruptions
    full = backup_days(net)
    left: dict[int, np.ndarray] = {}
    out = []
    for w in windows:
        d = disruptions[w.index]
        backup = None
        if isinstance(d, schema.PowerOutage) and not d.backup_refill:
            backup = left.get(w.index, full)
            days = max(0, math.ceil(w.end) - math.ceil(w.start))
            left[w.index] = np.maximum(backup - days, 0.0)
        out.append(effects_of(net, d, w.start, w.end, backup))
    return out


def demand_profile_effects(net: Network) -> list[Effect]:
    """Surges and profiles written into demand specs: always-on, time-varying effects."""
    out = []
    for mod in net.demand_modifiers:
        spec = mod.spec

        def factor(t: float, spec: schema.DemandSpec = spec) -> float:
            f = 1.0
            for s in spec.surges:
                if s.start_day <= t < s.start_day + s.duration_days:
                    f *= s.factor
            if spec.profile is not None:
                days = [d for d, _ in spec.profile.points]
                values = [v for _, v in spec.profile.points]
                f *= float(np.interp(t, days, values))
            return f

        out.append(Effect("demand", mod.mask, factor, varies=True))
    return out


@dataclass(frozen=True)
class Window:
    """A drawn disruption window."""

    index: int
    name: str
    start: float
    end: float
    recovery_end: float


# Recurring up and down times are drawn this many pairs at a time: a fixed block, so a longer
# horizon extends the same window sequence instead of drawing a different one.
RENEWAL_BLOCK = 64


def draw_windows(net: Network, stream: Callable[[int], np.random.Generator],
                 horizon: float) -> list[Window]:
    """Draw every disruption's windows, disruption `i` from its own generator `stream(i)`.

    A disruption with `start_day`/`duration_days` has one window; a `recurring` one has the
    down times of an alternating renewal process that starts in working order on day 0 and
    runs to `horizon` (down times that contain no whole day act on no day and are left out).
    Windows are in scenario order, each disruption's in time order.
    """
    out = []
    for i, d in enumerate(net.scenario.disruptions):
        rng = stream(i)
        name = d.name or f"{d.type}#{i}"
        after = d.recovery_days + _restart(d) if isinstance(d, schema.FactoryLoss) else 0.0
        if d.recurring is None:
            start, duration = Sampler([d.start_day, d.duration_days]).sample(rng, 1)[0].tolist()
            spans = [(start, start + duration)]
        else:
            spans = renewal_windows(d.recurring, rng, horizon)
        out.extend(Window(i, name, start, end, end + after) for start, end in spans)
    return out


def renewal_windows(spec: schema.Recurring, rng: np.random.Generator,
                    horizon: float) -> list[tuple[float, float]]:
    """The down times [start, end) of an alternating renewal process, up first at day 0.

    Up times have mean `mean_days_between`, down times `mean_duration_days`; exponential, or
    lognormal with coefficient of variation `cv`. Only windows acting on a day before
    `horizon` (some whole day t with start <= t < end) are kept.
    """
    def draw(mean: float) -> np.ndarray:
        if spec.distribution == "exponential":
            return rng.exponential(mean, RENEWAL_BLOCK)
        sigma2 = math.log1p((1.0 if spec.cv is None else spec.cv) ** 2)
        return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2), RENEWAL_BLOCK)

    out: list[tuple[float, float]] = []
    t = 0.0
    while True:
        ups, downs = draw(spec.mean_days_between), draw(spec.mean_duration_days)
        for up, down in zip(ups.tolist(), downs.tolist(), strict=True):
            start = t + up
            if math.ceil(start) >= horizon:
                return out
            t = start + down
            if math.ceil(start) < math.ceil(t):
                out.append((start, t))


def disrupt(
    env: simpy.Environment,
    state: Disruptions,
    effects: list[Effect],
    window: Window,
    log: Callable[[int, str, str], None],
) -> Generator[simpy.Event, None, None]:
    """A disruption's life: wait for its start, switch on, wait, switch off (after recovery)."""
    yield env.timeout(window.start)
    state.switch(effects, on=True)
    log(math.ceil(window.start), "disruption_start", window.name)
    yield env.timeout(window.end - window.start)
    log(math.ceil(window.end), "disruption_end", window.name)
    if window.recovery_end > window.end:
        yield env.timeout(window.recovery_end - window.end)
        log(math.ceil(window.recovery_end), "recovery_complete", window.name)
    state.switch(effects, on=False)
