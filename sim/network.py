"""Compile a scenario into index maps and numpy arrays over (node, product) and (lane, product).

Rules are resolved here: for every node x product the last matching rule wins and a node-level
entry wins over every rule. Expected normal flows (own demand plus what customers draw through a
node) are computed downstream-first; they turn days-of-supply policies and stocks into units.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.care_network import CareArrays, compile_care
from sim.distributions import Sampler
from sim.scenario import schema
from sim.scenario.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from sim.scenario.load import Source

MAX_PROBLEMS_PER_CHECK = 20
# Flows below this (units a day) count as no flow: days of supply over them are undefined.
MIN_FLOW = 1e-9

POLICY_NONE, POLICY_ORDER = 0, 1
DIST_POISSON, DIST_NEGBIN, DIST_DETERMINISTIC = 0, 1, 2
_DIST_CODE = {
    "poisson": DIST_POISSON,
    "negative_binomial": DIST_NEGBIN,
    "deterministic": DIST_DETERMINISTIC,
}


class NetworkError(ValueError):
    """Problems found while resolving the network (reported through ScenarioError)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


@dataclass(frozen=True)
class DemandModifier:
    """A time-varying multiplier on demand at the (node, product) cells in `mask`."""

    mask: np.ndarray
    spec: schema.DemandSpec


@dataclass(frozen=True)
class Network:
    """A scenario as arrays. Lanes are sorted by supplier (`lane_src`)."""

    scenario: schema.Scenario
    nodes: list[schema.Node]  # in the engine's order (see compile_network)
    scenario_index: np.ndarray  # int[n]: each node's position in scenario.nodes
    node_ids: list[str]
    product_ids: list[str]
    roles: list[str]
    regions: list[str]
    countries: list[str]
    unlimited: np.ndarray  # bool[n]
    height: np.ndarray  # int[n]: 0 for nodes with no customers, else 1 + max over customers
    levels: list[np.ndarray]  # node indices by height, downstream first
    priority: np.ndarray  # int[n]
    own_tier: np.ndarray  # int[n]: tier of the node's own demand when it allocates
    class_tier: np.ndarray  # int[n, 4]: tiers of plain demand and care by priority
    fallback: np.ndarray  # bool[n]: sourcing falls back to other lanes
    fallback_after: np.ndarray  # int[n]: days a supplier must have been empty
    hoarding_factor: np.ndarray  # float[n]: levels times this after a supplier's cut
    hoarding_window: np.ndarray  # int[n]: days a cut keeps the node hoarding
    # lanes
    lane_src: np.ndarray  # int[l], sorted
    lane_dst: np.ndarray  # int[l]
    lane_index: np.ndarray  # int[l]: position of each sorted lane in scenario.lanes
    lane_carries: np.ndarray  # bool[l, p]: the lane brings p from a supplier that can have it
    lane_share: np.ndarray  # float[l, p], normalised over the customer's lanes for p
    primary_lane: np.ndarray  # int[n, p], -1 if none
    lane_capacity: np.ndarray  # float[l], inf when not stated
    lane_flow: np.ndarray  # float[l, p]: expected normal daily flow
    lead_time: Sampler  # one column per lane in scenario order (use lane_index)
    # per node x product
    handles: np.ndarray  # bool[n, p]: demand here or downstream
    produces: np.ndarray  # bool[n, p]
    production_capacity: np.ndarray  # float[n, p]
    qc_release_days: np.ndarray  # int[n]
    dispatch_capacity: np.ndarray  # float[n, p], inf when not stated
    initial: np.ndarray  # int64[n, p]
    # The opening QC pipeline, int64[d, n, p]: units in quarantine at the start, due for release
    # on day d < Q at a maker with qc_release_days Q > 0 (initial_qc_pipeline; d = 0 if none).
    initial_in_qc: np.ndarray
    policy_kind: np.ndarray  # int8[n, p]
    reorder_point: np.ndarray  # float[n, p]: order when position <= this
    order_up_to: np.ndarray  # float[n, p]
    review_days: np.ndarray  # int[n, p]
    review_offset: np.ndarray  # int[n, p]
    recent: np.ndarray  # bool[n, p]: days of supply on recent demand
    window_days: np.ndarray  # int[n, p]: moving-average window for recent demand
    reorder_days: np.ndarray  # float[n, p]: days-of-supply policies, else 0
    target_days: np.ndarray  # float[n, p]
    has_demand: np.ndarray  # bool[n, p]: own demand, plain or from care
    plain_demand: np.ndarray  # bool[n, p]: plain per-product demand
    care: CareArrays | None  # demand from care activity
    demand_mean: np.ndarray  # float[n, p]
    demand_dist: np.ndarray  # int8[n, p]
    demand_dispersion: np.ndarray  # float[n, p]
    demand_modifiers: list[DemandModifier]
    normal_flow: np.ndarray  # float[n, p]: own demand + customers' draw, per day
    unmet_lost: np.ndarray  # bool[n]
    # supply mechanics
    shelf_life: np.ndarray  # int[p]: days a unit can be used from release, 0: never expires
    initial_life: np.ndarray  # int[n, p, 2]: remaining shelf life of initial stock, [low, high]
    cold_chain: np.ndarray  # bool[p]
    spoilage: np.ndarray  # float[p]: share of cold-chain stock destroyed a day without power
    inputs: np.ndarray  # float[n, p, p]: input units (last axis) per unit made (middle axis)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_products(self) -> int:
        """Number of products."""
        return len(self.product_ids)

    @property
    def n_lanes(self) -> int:
        """Number of lanes."""
        return len(self.lane_src)

    def lane_lead_mean(self) -> np.ndarray:
        """Mean lead time of each lane, in the engine's lane order."""
        return self.lead_time.mean()[self.lane_index]


def _listify(value: Any) -> list[str] | None:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def node_mask(nodes: list[schema.Node], match: schema.Match | schema.Where) -> np.ndarray:
    """Nodes selected by a rule's `match` or a disruption's `where`.

    Every given key must match (a list means any of); tags match when the node carries any.
    """
    if isinstance(match, schema.Match):
        keys = {"id": match.node, "role": match.role, "region": match.region,
                "country": match.country}
        tags = _listify(match.tag)
    else:
        keys = {"id": match.nodes, "role": match.roles, "region": match.regions,
                "country": match.countries}
        tags = match.tags
    mask = np.ones(len(nodes), dtype=bool)
    for attr, wanted in keys.items():
        values = _listify(wanted)
        if values is not None:
            allowed = set(values)
            mask &= np.array([getattr(n, attr) in allowed for n in nodes], dtype=bool)
    if tags is not None:
        wanted_tags = set(tags)
        mask &= np.array([bool(wanted_tags.intersection(n.tags)) for n in nodes], dtype=bool)
    return mask


class _Index:
    def __init__(self, sc: schema.Scenario, nodes: list[schema.Node]) -> None:
        self.nodes = nodes
        self.node_of = {n.id: i for i, n in enumerate(nodes)}
        self.pids = list(sc.products)
        self.pid_of = {p: j for j, p in enumerate(self.pids)}
        self.groups = [sc.products[p].group for p in self.pids]

    def node_mask(self, match: schema.Match | schema.Where) -> np.ndarray:
        return node_mask(self.nodes, match)

    def product_mask(self, products: Any = None, groups: Any = None) -> np.ndarray:
        mask = np.ones(len(self.pids), dtype=bool)
        for wanted, names in ((products, self.pids), (groups, self.groups)):
            values = _listify(wanted)
            if values is not None:
                allowed = set(values)
                mask &= np.array([name in allowed for name in names], dtype=bool)
        return mask

    def names_mask(self, names: list[str] | None) -> np.ndarray:
        """Products named by id or group (all when None)."""
        if names is None:
            return np.ones(len(self.pids), dtype=bool)
        allowed = set(names)
        return np.array(
            [p in allowed or g in allowed for p, g in zip(self.pids, self.groups, strict=True)],
            dtype=bool,
        )


def _resolve(
    idx: _Index, rules: list[Any], attr: str, node_attr: str
) -> tuple[np.ndarray, list[Any], list[tuple[str, int, int]]]:
    """Spec index per (node, product) (-1 none); node-level entries after all rules."""
    n, p = len(idx.nodes), len(idx.pids)
    choice = np.full((n, p), -1, dtype=np.int64)
    specs: list[Any] = []
    origin: list[tuple[str, int, int]] = []  # (section, rule or node index, product)
    for i, rule in enumerate(rules):
        specs.append(getattr(rule, attr))
        origin.append(("rule", i, -1))
        node_mask = idx.node_mask(rule.match)
        prod_mask = idx.product_mask(rule.match.product, rule.match.group)
        choice[np.ix_(node_mask, prod_mask)] = len(specs) - 1
    for i, node in enumerate(idx.nodes):
        for pid, spec in getattr(node, node_attr).items():
            specs.append(spec)
            origin.append(("node", i, idx.pid_of[pid]))
            choice[i, idx.pid_of[pid]] = len(specs) - 1
    return choice, specs, origin


def _heights(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    customers: dict[int, list[int]] = defaultdict(list)
    for s, d in zip(src.tolist(), dst.tolist(), strict=True):
        customers[s].append(d)
    height = np.full(n, -1, dtype=np.int64)

    def visit(i: int) -> int:
        if height[i] < 0:
            kids = customers.get(i, [])
            height[i] = 0 if not kids else 1 + max(visit(k) for k in kids)
        return int(height[i])

    for i in range(n):
        visit(i)
    return height


def days_units(days: np.ndarray | float, flow: np.ndarray) -> np.ndarray:
    """Whole units for a number of days of `flow`.

    A positive target over a positive flow is at least one unit, so a slow mover (0.1 a day,
    4 days) still holds one.
    """
    units = np.rint(days * flow)
    return np.where((units < 1) & (np.asarray(days) * flow > 0), 1.0, units)


def compile_network(sc: schema.Scenario, src: Source | None = None) -> Network:
    """Resolve rules and build the arrays the engine runs on; raise NetworkError on problems.

    Nodes are put in the engine's order: upstream first (by height, highest first), then by
    role, then as in the scenario. Every (height, role) block is then contiguous, and so are
    the lanes out of it (lanes are sorted by supplier): an actor works on views, not copies.
    """
    n_all = len(sc.nodes)
    scenario_of = {nd.id: i for i, nd in enumerate(sc.nodes)}
    raw_src = np.array([scenario_of[ln.from_] for ln in sc.lanes], dtype=np.int64)
    raw_dst = np.array([scenario_of[ln.to] for ln in sc.lanes], dtype=np.int64)
    raw_height = _heights(n_all, raw_src, raw_dst)
    role_rank = {r: k for k, r in enumerate(schema.ROLES)}
    node_order = np.array(sorted(
        range(n_all), key=lambda i: (-raw_height[i], role_rank[sc.nodes[i].role], i)),
        dtype=np.int64)
    nodes = [sc.nodes[i] for i in node_order.tolist()]
    idx = _Index(sc, nodes)
    n, p = len(nodes), len(idx.pids)
    problems: list[Problem] = []

    def problem(path: tuple, message: str) -> Problem:
        if path[:1] == ("nodes",):  # messages name the node's place in the file
            path = ("nodes", int(node_order[path[1]]), *path[2:])
        return src.problem(path, message) if src is not None else Problem(
            ".".join(map(str, path)), message
        )

    unlimited = np.array([nd.unlimited for nd in nodes], dtype=bool)

    # Lanes, sorted by supplier so per-supplier sums are contiguous.
    order = sorted(range(len(sc.lanes)), key=lambda i: (idx.node_of[sc.lanes[i].from_], i))
    lanes = [sc.lanes[i] for i in order]
    lane_src = np.array([idx.node_of[ln.from_] for ln in lanes], dtype=np.int64)
    lane_dst = np.array([idx.node_of[ln.to] for ln in lanes], dtype=np.int64)
    height = raw_height[node_order]

    produces = np.zeros((n, p), dtype=bool)
    capacity = np.zeros((n, p))
    inputs = np.zeros((n, p, p))
    for i, nd in enumerate(nodes):
        for pid, cap in nd.capacity.items():
            produces[i, idx.pid_of[pid]] = True
            capacity[i, idx.pid_of[pid]] = cap
        for pid, needs in nd.inputs.items():
            if pid not in nd.capacity:
                problems.append(problem(
                    ("nodes", i, "inputs", pid),
                    f"inputs of {pid}, which node '{nd.id}' does not make; add "
                    f"capacity: {{{pid}: ...}} or remove the entry"))
                continue
            for input_id, per_unit in needs.items():
                if input_id not in idx.pid_of:
                    problems.append(problem(
                        ("nodes", i, "inputs", pid, input_id),
                        f"unknown product '{input_id}'{did_you_mean(input_id, idx.pids)}"))
                elif input_id == pid:
                    problems.append(problem(
                        ("nodes", i, "inputs", pid, input_id),
                        f"{pid} cannot be an input of itself"))
                else:
                    inputs[i, idx.pid_of[pid], idx.pid_of[input_id]] = per_unit

    # Initial stock specs (values need the flows below). Stock given in units means the node
    # has the product, from a rule or its own entry; stock in days is days of a flow, which
    # only a product the node makes or gets by lane has, so it adds nothing here.
    s_choice, s_specs, s_origin = _resolve(idx, sc.stocks, "stock", "stock")
    stocked = np.zeros((n, p), dtype=bool)
    for s, spec in enumerate(s_specs):
        if (spec.initial or 0) > 0:
            stocked |= s_choice == s

    # What each node can ever have, upstream first: what it makes, what an outside source
    # offers, stock it starts with, and what a lane brings from a node that can have it. A lane
    # carries a product only from such a supplier, so orders never go where nothing can come.
    names = np.array([idx.names_mask(ln.products) for ln in lanes], dtype=bool).reshape(-1, p)
    # A production conversion makes its product at its node while active: the node can have
    # it, so its lanes carry it and it may order it (sim/countermeasures/conversion.py).
    converted = np.zeros((n, p), dtype=bool)
    for c in sc.countermeasures:
        if c.type == "production_conversion" and c.node in idx.node_of and c.product in idx.pid_of:
            converted[idx.node_of[c.node], idx.pid_of[c.product]] = True
    in_lanes: dict[int, list[int]] = defaultdict(list)
    for k, d in enumerate(lane_dst.tolist()):
        in_lanes[d].append(k)

    def reach(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        have = start.copy()
        for i, nd in enumerate(nodes):
            if nd.unlimited:
                have[i] = idx.names_mask(nd.products)
        carry = np.zeros((len(lanes), p), dtype=bool)
        for i in range(n):  # upstream first: a supplier's height is above its customer's
            for k in in_lanes.get(i, []):
                carry[k] = names[k] & have[lane_src[k]]
                have[i] |= carry[k]
        return have, carry

    can_have, carries = reach(produces | stocked | converted)
    # Cells only a conversion makes: their lanes carry the product (the line's output can
    # leave), but they hold no initial stock and draw no normal flow, so the network before
    # the measure starts is the network without it (normal flows, days-of-supply levels and
    # initial stock elsewhere unchanged).
    conversion_only = converted & ~reach(produces | stocked)[0]
    weights = carries * np.array([ln.share for ln in lanes])[:, None]
    flow_weights = weights * ~conversion_only[lane_src]
    flow_inbound = np.zeros((n, p))
    np.add.at(flow_inbound, lane_dst, flow_weights)
    flow_share = np.divide(flow_weights, flow_inbound[lane_dst],
                           out=np.zeros_like(flow_weights), where=flow_inbound[lane_dst] > 0)
    inbound = np.zeros((n, p))
    np.add.at(inbound, lane_dst, weights)
    share = np.divide(weights, inbound[lane_dst], out=np.zeros_like(weights),
                      where=inbound[lane_dst] > 0)
    primary = np.full((n, p), -1, dtype=np.int64)
    best = np.zeros((n, p))
    for k in range(len(lanes)):
        better = share[k] > best[lane_dst[k]]  # a lane of share 0 never becomes primary
        primary[lane_dst[k], better] = k
        best[lane_dst[k], better] = share[k, better]

    # Demand.
    d_choice, d_specs, d_origin = _resolve(idx, sc.demands, "demand", "demand")
    has_demand = d_choice >= 0
    demand_mean = np.zeros((n, p))
    demand_dist = np.zeros((n, p), dtype=np.int8)
    demand_k = np.ones((n, p))
    modifiers: list[DemandModifier] = []
    missing_scale: dict[tuple[int, str], list[str]] = defaultdict(list)
    for s, spec in enumerate(d_specs):
        cells = d_choice == s
        if not cells.any():
            continue
        rows, cols = np.nonzero(cells)
        scale = np.ones(len(rows))
        if spec.per is not None:
            for j, r in enumerate(rows.tolist()):
                if spec.per in nodes[r].scale:
                    scale[j] = nodes[r].scale[spec.per]
                elif d_origin[s][0] == "rule":
                    missing_scale[(d_origin[s][1], spec.per)].append(nodes[r].id)
        demand_mean[rows, cols] = spec.mean_per_day * scale
        demand_dist[rows, cols] = _DIST_CODE[spec.distribution]
        demand_k[rows, cols] = spec.dispersion or 1.0
        if spec.surges or spec.profile is not None:
            modifiers.append(DemandModifier(cells, spec))
    for (rule, per), ids in missing_scale.items():
        shown = ", ".join(sorted(set(ids))[:5])
        problems.append(problem(
            ("demands", rule, "demand", "per"),
            f"{len(set(ids))} matched node(s) have no scale '{per}' ({shown}); add scale: "
            f"{{{per}: ...}} to them or narrow the rule's match",
        ))
    has_demand &= ~unlimited[:, None]
    plain_demand = has_demand.copy()

    # Care activity: its expected demand is own demand like any other.
    care = compile_care(sc, nodes, idx.node_mask, idx.product_mask, problem, problems,
                        outside=unlimited)
    care_expected = np.zeros((n, p)) if care is None else care.expected
    has_demand |= care_expected > 0

    # Flows and which products each node handles, downstream first.
    handles = has_demand.copy()
    normal_flow = demand_mean * plain_demand + care_expected
    lane_flow = np.zeros((len(lanes), p))
    line_flow = np.zeros((n, p))  # at cells only a conversion makes: what the line would serve
    out_lanes: dict[int, list[int]] = defaultdict(list)
    for k, s in enumerate(lane_src.tolist()):
        out_lanes[s].append(k)
    max_height = int(height.max()) if n else 0
    levels = [np.flatnonzero(height == h) for h in range(max_height + 1)]
    for level in levels:
        for i in level.tolist():
            for k in out_lanes.get(i, []):
                d = lane_dst[k]
                lane_flow[k] = flow_share[k] * normal_flow[d]
                normal_flow[i] += lane_flow[k]
                if conversion_only[i].any():  # what its customers would draw on the line
                    line_flow[i] += np.where(conversion_only[i], share[k] * normal_flow[d], 0)
                handles[i] |= handles[d] & carries[k]
            if inputs[i].any():
                # What the node makes draws its inputs: their flow is made x per unit, and an
                # input it makes itself draws its own inputs in turn (to a fixed point).
                drawn = normal_flow[i].copy()
                for _ in range(p + 1):
                    made = np.where(produces[i], normal_flow[i], 0.0)
                    flow = drawn + made @ inputs[i]
                    used = handles[i] | (((handles[i] & produces[i]) @ (inputs[i] > 0)) > 0)
                    if np.allclose(flow, normal_flow[i]) and (used == handles[i]).all():
                        break
                    normal_flow[i], handles[i] = flow, used
                else:
                    problems.append(problem(("nodes", i, "inputs"),
                                            f"the inputs of node '{nodes[i].id}' go round in a "
                                            "cycle (a product needs itself, at one remove)"))

    # Policies. A node orders a product only where a lane brings it or it makes it (with its
    # own capacity or on a converted line).
    sources = produces | (inbound > 0) | converted
    p_choice, p_specs, p_origin = _resolve(idx, sc.policies, "policy", "policy")
    policy_kind = np.zeros((n, p), dtype=np.int8)
    reorder = np.full((n, p), -np.inf)
    up_to = np.zeros((n, p))
    review = np.ones((n, p), dtype=np.int64)
    offset = np.zeros((n, p), dtype=np.int64)
    recent = np.zeros((n, p), dtype=bool)
    window = np.ones((n, p), dtype=np.int64)
    reorder_days = np.zeros((n, p))
    target_days = np.zeros((n, p))
    stockpile = np.zeros((n, p), dtype=bool)
    for s, spec in enumerate(p_specs):
        cells = p_choice == s
        if isinstance(spec, schema.NoOrdering):
            stockpile |= cells
        if not cells.any() or isinstance(spec, schema.NoOrdering):
            continue
        section, where, product = p_origin[s]
        if section == "node" and not sources[where, product]:
            problems.append(problem(
                ("nodes", where, "policy", idx.pids[product]),
                f"node '{nodes[where].id}' has an ordering policy for {idx.pids[product]} but "
                "no lane brings it and it does not make it (nor converts a line to it); add a "
                "lane from a supplier that has it, or use type: none for a stock that is never "
                "replenished",
            ))
            continue
        # A rule broader than a node's sources is skipped where nothing could come.
        cells = cells & sources
        policy_kind[cells] = POLICY_ORDER
        review[cells] = spec.review_days
        offset[cells] = spec.review_offset_days
        if isinstance(spec, schema.BaseStock):
            up_to[cells] = np.rint(spec.level)
            reorder[cells] = np.rint(spec.level) - 1
        elif isinstance(spec, schema.SS):
            up_to[cells] = np.rint(spec.S)
            reorder[cells] = spec.s
        else:
            # A converting maker plans its line on the flow its customers would draw from it.
            flow = np.where(conversion_only, line_flow, normal_flow)[cells]
            up_to[cells] = days_units(spec.target_days, flow)
            reorder[cells] = spec.reorder_days * flow
            reorder_days[cells] = spec.reorder_days
            target_days[cells] = spec.target_days
            recent[cells] = spec.basis == "recent"
            window[cells] = spec.window_days
    no_policy = handles & (p_choice < 0) & ~unlimited[:, None]
    for i in np.flatnonzero(no_policy.any(axis=1))[:MAX_PROBLEMS_PER_CHECK].tolist():
        names_ = [idx.pids[j] for j in np.flatnonzero(no_policy[i])]
        problems.append(problem(
            ("nodes", i),
            f"node '{nodes[i].id}' handles {', '.join(names_)} but has no ordering policy; "
            "add one under policy: or a policies: rule (type: none for a stock that is never "
            "replenished)",
        ))

    # Every handled product needs a source.
    supplied = unlimited[:, None] & can_have | sources
    # ...unless it is a stockpile that is never replenished (policy type none).
    orphan = handles & ~supplied & ~stockpile
    for i in np.flatnonzero(orphan.any(axis=1))[:MAX_PROBLEMS_PER_CHECK].tolist():
        names_ = [idx.pids[j] for j in np.flatnonzero(orphan[i])]
        what = "has demand for" if has_demand[i, orphan[i]].any() else "must supply"
        problems.append(problem(
            ("nodes", i),
            f"node '{nodes[i].id}' {what} {', '.join(names_)} but no lane brings "
            f"{'it' if len(names_) == 1 else 'them'}; add a lane to it from a supplier",
        ))

    # Initial stock.
    initial = np.zeros((n, p), dtype=np.int64)
    for s, spec in enumerate(s_specs):
        cells = s_choice == s
        if not cells.any():
            continue
        if spec.initial is not None:
            initial[cells] = round(spec.initial)
        else:
            initial[cells] = days_units(spec.initial_days, normal_flow[cells]).astype(np.int64)
    initial[unlimited] = 0
    initial[conversion_only & (s_choice >= 0)] = np.where(
        [s_specs[c].initial is not None for c in s_choice[conversion_only & (s_choice >= 0)]],
        initial[conversion_only & (s_choice >= 0)], 0)

    # Shelf life: initial stock's remaining life, [low, high] per cell (default [1, life]).
    products = [sc.products[pid] for pid in idx.pids]
    shelf_life = np.array([pr.shelf_life_days or 0 for pr in products], dtype=np.int64)
    initial_life = np.empty((n, p, 2), dtype=np.int64)
    initial_life[..., 0] = 1
    initial_life[..., 1] = np.maximum(shelf_life, 1)
    for s, spec in enumerate(s_specs):
        life = spec.remaining_shelf_life_days
        if life is None:
            continue
        low, high = life if isinstance(life, tuple) else (life, life)
        section, where, product = s_origin[s]
        path = (("stocks", where, "stock", "remaining_shelf_life_days") if section == "rule"
                else ("nodes", where, "stock", idx.pids[product], "remaining_shelf_life_days"))
        cells = s_choice == s
        if section == "node" and not shelf_life[product]:
            problems.append(problem(path, f"{idx.pids[product]} has no shelf_life_days: give "
                                          "the product one, or remove this"))
            continue
        longest = int(shelf_life[cells.any(axis=0)].max(initial=0))
        if high > longest > 0:
            problems.append(problem(path, f"{high} days left is more than the shelf life "
                                          f"({longest} days) of the products it applies to"))
            continue
        initial_life[cells] = (low, high)

    qc_days = np.array([int(np.ceil(nd.qc_release_days)) for nd in nodes], dtype=np.int64)
    initial_in_qc = initial_qc_pipeline(qc_days, produces & ~unlimited[:, None],
                                        np.minimum(normal_flow, capacity))

    dispatch = np.full((n, p), np.inf)
    for i, nd in enumerate(nodes):
        for pid, cap in nd.dispatch_capacity.items():
            dispatch[i, idx.pid_of[pid]] = cap

    if problems:
        raise NetworkError(problems)

    d = sc.defaults
    return Network(
        scenario=sc,
        nodes=nodes,
        scenario_index=node_order,
        node_ids=[nd.id for nd in nodes],
        product_ids=idx.pids,
        roles=[nd.role for nd in nodes],
        regions=[nd.region for nd in nodes],
        countries=[nd.country for nd in nodes],
        unlimited=unlimited,
        height=height,
        levels=levels,
        priority=np.array([nd.priority for nd in nodes], dtype=np.int64),
        own_tier=np.array([nd.own_tier for nd in nodes], dtype=np.int64),
        class_tier=np.array([[nd.own_tier, nd.care_tiers.get("imperative", nd.own_tier),
                              nd.care_tiers.get("urgent", nd.own_tier + 1),
                              nd.care_tiers.get("deferrable", nd.own_tier + 2)]
                             for nd in nodes], dtype=np.int64).reshape(-1, 4),
        fallback=np.array([(nd.sourcing or d.sourcing) == "fallback" for nd in nodes],
                          dtype=bool),
        fallback_after=np.array([nd.fallback_after_days or d.fallback_after_days
                                 for nd in nodes], dtype=np.int64),
        hoarding_factor=np.array([nd.hoarding_factor or d.hoarding_factor for nd in nodes]),
        hoarding_window=np.array([nd.hoarding_window_days for nd in nodes], dtype=np.int64),
        lane_src=lane_src,
        lane_dst=lane_dst,
        lane_index=np.array(order, dtype=np.int64),
        lane_carries=carries,
        lane_share=share,
        primary_lane=primary,
        lane_capacity=np.array(
            [np.inf if ln.capacity_per_day is None else ln.capacity_per_day for ln in lanes]
        ),
        lane_flow=lane_flow,
        lead_time=Sampler([ln.lead_time_days for ln in sc.lanes]),
        handles=handles,
        produces=produces & ~unlimited[:, None],
        production_capacity=capacity,
        qc_release_days=qc_days,
        dispatch_capacity=dispatch,
        initial=initial,
        initial_in_qc=initial_in_qc,
        policy_kind=policy_kind,
        reorder_point=reorder,
        order_up_to=up_to,
        review_days=review,
        review_offset=offset,
        recent=recent,
        window_days=window,
        reorder_days=reorder_days,
        target_days=target_days,
        has_demand=has_demand,
        plain_demand=plain_demand,
        care=care,
        demand_mean=demand_mean,
        demand_dist=demand_dist,
        demand_dispersion=demand_k,
        demand_modifiers=modifiers,
        normal_flow=normal_flow,
        unmet_lost=np.array([nd.unmet_demand == "lost" for nd in nodes], dtype=bool),
        shelf_life=shelf_life,
        initial_life=initial_life,
        cold_chain=np.array([pr.cold_chain for pr in products], dtype=bool),
        spoilage=np.array([pr.spoilage_per_day for pr in products]),
        inputs=inputs,
    )


def initial_qc_pipeline(qc_days: np.ndarray, produces: np.ndarray, flow: np.ndarray
                        ) -> np.ndarray:
    """The QC pipeline a maker holds at the start, as if it had been producing before day 0.

    A batch made on day t is released on day t + Q (Q = qc_release_days >= 1), so a maker that
    made `flow` a day (its normal flow, at most its capacity) on days -Q..-1 has batches due for
    release on days 0..Q-1, and the releases run on without a gap into those of what it makes
    from day 0. Whole units by production's own carry rule (floor with a tolerance of 1e-9,
    the fraction carried, from nothing on day -Q): 2.5 a day over 3 days is 2, 3, 2, and the
    pipeline holds floor(Q x flow) in all. Makers without a QC hold (Q = 0) get none: their
    outputs stay as they were. Returns int64[max Q, n, p] (day d's batches in row d).
    """
    n, p = flow.shape
    held = produces & (qc_days > 0)[:, None] & (flow > 0)
    depth = int(qc_days[held.any(axis=1)].max(initial=0))
    out = np.zeros((depth, n, p), dtype=np.int64)
    if not depth:
        return out
    made = np.where(held, flow, 0.0)
    carry = np.zeros((n, p))
    for d in range(depth):  # day d - Q's output, as Manufacturer.produce rounds it
        total = made + carry
        whole = np.floor(total + 1e-9)
        carry = total - whole
        out[d] = np.where((d < qc_days)[:, None], whole.astype(np.int64), 0)
    return out


def network_of(sc: schema.Scenario) -> Network:
    """The compiled network of a validated scenario (cached on it by validation)."""
    cached = getattr(sc, "_network", None)
    if cached is None:
        cached = compile_network(sc)
        sc._network = cached
    return cached
