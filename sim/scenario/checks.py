"""Named cross-reference checks, run after the shape is valid.

Each check yields problems located by YAML path; `run_checks` gathers them all so a user sees
every mistake at once. Semantic checks that need the resolved network (a demand point with no
supplier, a node with no policy) run when the network is compiled (`sim/network.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from sim.scenario import schema
from sim.scenario.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from sim.scenario.load import Path_, Source

Check = Callable[[schema.Scenario, "Source"], Iterator[Problem]]


def _unknown(kind: str, value: str, known: Iterable[str]) -> str:
    return f"unknown {kind} '{value}'{did_you_mean(value, known)}"


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def duplicate_node_ids(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Node ids are unique."""
    seen: dict[str, int] = {}
    for i, node in enumerate(sc.nodes):
        if node.id in seen:
            yield src.problem(
                ("nodes", i, "id"), f"duplicate node id '{node.id}' (also nodes[{seen[node.id]}])"
            )
        seen.setdefault(node.id, i)


def lane_ends(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Lanes join known, distinct nodes, once per pair, and never into an unlimited source."""
    ids = {n.id for n in sc.nodes}
    unlimited = {n.id for n in sc.nodes if n.unlimited}
    pairs: dict[tuple[str, str], int] = {}
    for i, lane in enumerate(sc.lanes):
        for key, value in (("from", lane.from_), ("to", lane.to)):
            if value not in ids:
                yield src.problem(("lanes", i, key), _unknown("node", value, ids))
        if lane.from_ == lane.to:
            yield src.problem(("lanes", i), f"lane from '{lane.from_}' to itself")
        if lane.to in unlimited:
            yield src.problem(
                ("lanes", i, "to"), f"'{lane.to}' is an unlimited source and cannot be supplied"
            )
        pair = (lane.from_, lane.to)
        if pair in pairs:
            yield src.problem(
                ("lanes", i), f"duplicate lane {pair[0]} -> {pair[1]} (also lanes[{pairs[pair]}])"
            )
        pairs.setdefault(pair, i)


def product_references(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Every product id a node or lane names exists; `products` lists may name groups."""
    products = set(sc.products)
    groups = {p.group for p in sc.products.values()}
    for i, node in enumerate(sc.nodes):
        for section in ("stock", "policy", "demand", "capacity", "dispatch_capacity"):
            for pid in getattr(node, section):
                if pid not in products:
                    yield src.problem(
                        ("nodes", i, section, pid), _unknown("product", pid, products)
                    )
        for j, name in enumerate(node.products or []):
            if name not in products and name not in groups:
                yield src.problem(
                    ("nodes", i, "products", j),
                    _unknown("product or group", name, products | groups),
                )
    for i, lane in enumerate(sc.lanes):
        for j, name in enumerate(lane.products or []):
            if name not in products and name not in groups:
                yield src.problem(
                    ("lanes", i, "products", j),
                    _unknown("product or group", name, products | groups),
                )


def rule_matches(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Rule `match` keys name things that exist (a typo would silently match nothing)."""
    known = {
        "node": {n.id for n in sc.nodes},
        "region": {n.region for n in sc.nodes},
        "country": {n.country for n in sc.nodes},
        "tag": {t for n in sc.nodes for t in n.tags},
        "group": {p.group for p in sc.products.values()},
        "product": set(sc.products),
    }
    for section in ("policies", "stocks", "demands", "rationing"):
        for i, rule in enumerate(getattr(sc, section)):
            for key, names in known.items():
                for value in _as_list(getattr(rule.match, key)):
                    if value not in names:
                        yield src.problem((section, i, "match", key), _unknown(key, value, names))
    if sc.care is not None:
        for section, rules in (("norms", sc.care.norms), ("admissions", sc.care.admissions)):
            for i, rule in enumerate(rules):
                base: Path_ = ("care", section, i)
                for key, names in known.items():
                    for value in _as_list(getattr(rule.match, key)):
                        if value not in names:
                            yield src.problem((*base, "match", key), _unknown(key, value, names))
                for key in ("product", "group"):
                    for value in _as_list(getattr(rule, key, None)):
                        if value not in known[key]:
                            yield src.problem((*base, key), _unknown(key, value, known[key]))


def demand_scale_keys(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """A node-level demand scaled `per` a size factor needs that factor in the node's `scale`."""
    for i, node in enumerate(sc.nodes):
        for pid, spec in node.demand.items():
            if spec.per is not None and spec.per not in node.scale:
                yield src.problem(
                    ("nodes", i, "demand", pid, "per"),
                    f"node '{node.id}' has no scale '{spec.per}'"
                    f"{did_you_mean(spec.per, node.scale)}; add scale: {{{spec.per}: ...}}",
                )


def manufacturer_fields(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Unlimited sources hold no stock, demand or policy of their own."""
    for i, node in enumerate(sc.nodes):
        if node.unlimited:
            for section in ("stock", "policy", "demand", "capacity"):
                if getattr(node, section):
                    yield src.problem(
                        ("nodes", i, section),
                        f"unlimited source '{node.id}' has no {section}: remove it or set "
                        "unlimited: false",
                    )


def no_cycles(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Goods flow one way: the lanes form no cycle."""
    out: dict[str, list[str]] = {}
    for lane in sc.lanes:
        out.setdefault(lane.from_, []).append(lane.to)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in out.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state.get(nxt) is None:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in list(out):
        if state.get(node) is None:
            cycle = visit(node)
            if cycle:
                yield src.problem(("lanes",), "lanes form a cycle: " + " -> ".join(cycle))
                return


def disruption_targets(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Disruptions name existing nodes, regions, countries and products."""
    by_id = {n.id: n for n in sc.nodes}
    regions = {n.region for n in sc.nodes}
    countries = {n.country for n in sc.nodes}
    products = set(sc.products) | {p.group for p in sc.products.values()}
    for i, d in enumerate(sc.disruptions):
        base: Path_ = ("disruptions", i)
        where = getattr(d, "where", None)
        if where is not None:
            for key, names, kind in (
                ("nodes", set(by_id), "node"),
                ("regions", regions, "region"),
                ("countries", countries, "country"),
                ("tags", {t for n in sc.nodes for t in n.tags}, "tag"),
            ):
                for j, value in enumerate(getattr(where, key) or []):
                    if value not in names:
                        yield src.problem((*base, "where", key, j), _unknown(kind, value, names))
        lanes = getattr(d, "lanes", None)
        if lanes is not None:
            for key, names, kind in (
                ("from", set(by_id), "node"),
                ("to", set(by_id), "node"),
                ("from_country", countries, "country"),
                ("to_country", countries, "country"),
                ("countries", countries, "country"),
                ("from_region", regions, "region"),
                ("to_region", regions, "region"),
                ("regions", regions, "region"),
            ):
                attr = "from_" if key == "from" else key
                for j, value in enumerate(getattr(lanes, attr) or []):
                    if value not in names:
                        yield src.problem((*base, "lanes", key, j), _unknown(kind, value, names))
        for j, value in enumerate(getattr(d, "products", None) or []):
            if value not in products:
                yield src.problem(
                    (*base, "products", j), _unknown("product or group", value, products)
                )
        if isinstance(d, schema.ExportBan) and d.country not in countries:
            yield src.problem((*base, "country"), _unknown("country", d.country, countries))
        if isinstance(d, schema.FactoryLoss):
            for j, node_id in enumerate(d.nodes):
                node = by_id.get(node_id)
                if node is None:
                    yield src.problem((*base, "nodes", j), _unknown("node", node_id, by_id))
                elif node.role != "manufacturer":
                    # Outside sources (`unlimited`) are manufacturers too: a loss there cuts
                    # what they ship (docs/engine.md, disruptions on outside sources).
                    yield src.problem(
                        (*base, "nodes", j),
                        f"'{node_id}' is not a manufacturer (a maker or an outside source)",
                    )


def duplicate_disruption_names(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Disruption names are unique: events and exercise injects find a disruption by its name."""
    seen: dict[str, int] = {}
    for i, d in enumerate(sc.disruptions):
        if d.name is None:
            continue
        if d.name in seen:
            yield src.problem(
                ("disruptions", i, "name"),
                f"duplicate disruption name '{d.name}' (also disruptions[{seen[d.name]}]); "
                "events name disruptions, so give each its own name",
            )
        seen.setdefault(d.name, i)


def rule_names(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Rule names are unique within their list and not numbers: override paths find rules by them.

    `policies[hp_fluids]` must mean one rule; `policies[3]` always means the fourth.
    """
    for section in ("policies", "stocks", "demands", "rationing"):
        seen: dict[str, int] = {}
        for i, rule in enumerate(getattr(sc, section)):
            if rule.name is None:
                continue
            if rule.name.strip().lstrip("-").isdigit() or not rule.name.strip():
                yield src.problem((section, i, "name"),
                                  f"rule name '{rule.name}' would read as an index in "
                                  f"{section}[...]; use a word")
            elif rule.name in seen:
                yield src.problem(
                    (section, i, "name"),
                    f"duplicate rule name '{rule.name}' (also {section}[{seen[rule.name]}]); "
                    f"paths such as {section}[{rule.name}].… must find one rule",
                )
            seen.setdefault(rule.name, i)


def countermeasure_targets(sc: schema.Scenario, src: Source) -> Iterator[Problem]:
    """Countermeasures have unique names and name things that exist.

    Nodes, products, matches and disruptions; `after` names exactly one disruption.
    """
    from sim.scenario import countermeasures as cm

    by_id = {n.id: n for n in sc.nodes}
    known = {
        "node": set(by_id),
        "region": {n.region for n in sc.nodes},
        "country": {n.country for n in sc.nodes},
        "tag": {t for n in sc.nodes for t in n.tags},
        "group": {p.group for p in sc.products.values()},
        "product": set(sc.products),
    }
    products = set(sc.products)
    named = products | known["group"]
    disruption_names: dict[str, int] = {}
    for d in sc.disruptions:
        if d.name is not None:
            disruption_names[d.name] = disruption_names.get(d.name, 0) + 1
    seen: dict[str, int] = {}
    for i, c in enumerate(sc.countermeasures):
        base: Path_ = ("countermeasures", i)
        if c.name in seen:
            yield src.problem((*base, "name"), f"duplicate countermeasure name '{c.name}' (also "
                              f"countermeasures[{seen[c.name]}]); events and injects name it")
        seen.setdefault(c.name, i)
        if c.after is not None:
            if c.after not in disruption_names:
                yield src.problem((*base, "after"), _unknown("disruption name", c.after,
                                                             disruption_names)
                                  + " (give the disruption a 'name')")
            elif disruption_names[c.after] > 1:
                yield src.problem((*base, "after"), f"more than one disruption is named "
                                  f"'{c.after}': 'after' must name one")
        matches: list[tuple[Path_, schema.Match]] = []
        if c.when is not None:
            matches.append(((*base, "when", "match"), c.when.match))
        for key in ("match", "from_", "to"):
            value = getattr(c, key, None)
            if isinstance(value, schema.Match):
                matches.append(((*base, key.rstrip("_")), value))
        for path, match in matches:
            for key, names in known.items():
                for value in _as_list(getattr(match, key)):
                    if value not in names:
                        yield src.problem((*path, key), _unknown(key, value, names))

        def product(path: Path_, value: str, allowed: set[str] = products) -> Iterator[Problem]:
            if value not in allowed:
                kind = "product" if allowed is products else "product or group"
                yield src.problem(path, _unknown(kind, value, allowed))

        def node(path: Path_, value: str) -> Iterator[Problem]:
            if value not in by_id:
                yield src.problem(path, _unknown("node", value, by_id))

        for j, value in enumerate(getattr(c, "products", None) or []):
            yield from product((*base, "products", j), value, named)
        if isinstance(c, cm.Substitution):
            yield from product((*base, "product"), c.product)
            yield from product((*base, "by"), c.by)
            if c.product == c.by:
                yield src.problem((*base, "by"), "a product cannot substitute for itself")
        elif isinstance(c, cm.ProductionConversion):
            yield from node((*base, "node"), c.node)
            if c.node in by_id and (by_id[c.node].role != "manufacturer"
                                    or by_id[c.node].unlimited):
                yield src.problem((*base, "node"), f"'{c.node}' is not a manufacturer in the "
                                  "model (a line to convert needs a maker, not an outside source)")
            yield from product((*base, "product"), c.product)
            for pid in c.crowds_out:
                yield from product((*base, "crowds_out", pid), pid)
                if pid in products and c.node in by_id and pid not in by_id[c.node].capacity:
                    yield src.problem((*base, "crowds_out", pid),
                                      f"'{c.node}' does not make {pid}: crowding it out "
                                      "changes nothing (list products it has capacity for)")
        elif isinstance(c, cm.EmergencyLanes):
            for j, lane in enumerate(c.lanes):
                yield from node((*base, "lanes", j, "from"), lane.from_)
                yield from node((*base, "lanes", j, "to"), lane.to)
                if lane.from_ == lane.to:
                    yield src.problem((*base, "lanes", j), f"lane from '{lane.from_}' to itself")
                if lane.to in by_id and by_id[lane.to].unlimited:
                    yield src.problem((*base, "lanes", j, "to"), f"'{lane.to}' is an unlimited "
                                      "source and cannot be supplied")
                for k, value in enumerate(lane.products or []):
                    yield from product((*base, "lanes", j, "products", k), value, named)


CHECKS: tuple[Check, ...] = (
    duplicate_node_ids,
    duplicate_disruption_names,
    rule_names,
    lane_ends,
    product_references,
    rule_matches,
    demand_scale_keys,
    manufacturer_fields,
    no_cycles,
    disruption_targets,
    countermeasure_targets,
)


def run_checks(sc: schema.Scenario, src: Source) -> list[Problem]:
    """All structural problems; when there are none, the network-level ones from compiling."""
    problems = [p for check in CHECKS for p in check(sc, src)]
    if problems:
        return problems
    from sim.network import NetworkError, compile_network

    try:
        sc._network = compile_network(sc, src)  # cached for the run that usually follows
    except NetworkError as exc:
        return exc.problems
    return []
