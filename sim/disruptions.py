"""Disruptions as SimPy processes that switch effects on and off.

An effect changes parameters through the same arrays the roles read (a capacity factor on a node,
a lead-time factor or a closure on a lane, a demand multiplier), so roles never special-case a
disruption. Overlapping effects multiply (factors) or combine with "or" (closures, outages).

Timing: a disruption starting at time s for d days is in effect on day t when s <= t < s + d
(the engine processes day t at time t, after any switch due at that instant).
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

    # capacity | production | lead_time | lane_capacity | closure | hold | ordering | intake |
    # demand
    kind: str
    mask: np.ndarray
    factor: Callable[[float], float]
    varies: bool = False


@dataclass
class Effects:
    """The effective parameter arrays for the current day."""

    node_capacity: np.ndarray  # float[n]
    production: np.ndarray  # float[n, p]
    lane_lead: np.ndarray  # float[l]
    lane_capacity: np.ndarray  # float[l]
    lane_open: np.ndarray  # bool[l, p]: new loads can be dispatched
    lane_hold: np.ndarray  # bool[l, p]: goods in transit wait for the lane to reopen
    ordering_down: np.ndarray  # bool[n]: places no orders
    intake_down: np.ndarray  # bool[n]: ships nothing on customers' orders
    demand: np.ndarray | None  # float[n, p], None when 1 everywhere
    any_closure: bool = False
    any_hold: bool = False
    any_intake_down: bool = False
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
            if e.kind == "capacity":
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
        fx.any_closure = not fx.lane_open.all()
        fx.any_hold = bool(fx.lane_hold.any())
        fx.any_intake_down = bool(fx.intake_down.any())
        fx.any_node_capacity = bool((fx.node_capacity < 1).any())
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


def effects_of(net: Network, d: Any, start: float, end: float) -> list[Effect]:
    """The effects a disruption switches on, given its drawn window [start, end)."""
    if isinstance(d, schema.PowerOutage):
        return [Effect("capacity", _node_mask(net, d.where), _constant(d.capacity_factor))]
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
        low, ramp = d.capacity_factor, d.recovery_days

        def recovering(t: float) -> float:
            if t < end or ramp <= 0:
                return low
            return min(1.0, low + (1 - low) * (t - end + 1) / (ramp + 1))

        return [Effect("production", cells, recovering, varies=ramp > 0)]
    if isinstance(d, schema.DemandSurge):
        cells = _node_mask(net, d.where)[:, None] & _product_mask(net, d.products)[None, :]
        peak, ramp = d.factor, d.ramp_days

        def surging(t: float) -> float:
            if ramp <= 0:
                return peak
            return 1 + (peak - 1) * min(1.0, (t - start + 1) / ramp)

        return [Effect("demand", cells, surging, varies=ramp > 0)]
    raise TypeError(f"unknown disruption {d!r}")


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


def draw_windows(net: Network, rng: np.random.Generator) -> list[Window]:
    """Draw every disruption's start and duration (random ones from the disruption stream).

    Each disruption consumes the same amount of randomness whatever its spec, so making one
    disruption random leaves the draws of the others unchanged.
    """
    out = []
    for i, d in enumerate(net.scenario.disruptions):
        sampler = Sampler([d.start_day, d.duration_days])
        start, duration = sampler.sample(rng, 1)[0].tolist()
        recovery = d.recovery_days if isinstance(d, schema.FactoryLoss) else 0.0
        name = d.name or f"{d.type}#{i}"
        out.append(Window(i, name, start, start + duration, start + duration + recovery))
    return out


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
