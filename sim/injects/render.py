"""Injects in words and time: fill each rule's templates, give each inject its clock time.

Templates are filled with `str.format_map` over a mapping that raises on an unknown field, so a
placeholder is either filled or an error; rules.py has already checked them when loading.

Time: injects of one scenario day get clock times from `schedule.day_start` (or the time of
`--start`), `spacing_minutes` apart, squeezed to end before `day_end` on busy days. With
`--start`, scenario day `from_day` (the first day of the window) is the date of `--start`.
With `--compress N`, N scenario days pass per exercise hour: an inject at scenario day d and
clock time t is `((d - from_day) + (t - day_start) / 24 h) / N` hours into the exercise,
rounded to the minute, and at least `schedule.exercise_spacing_minutes` after the inject
before it (`spread`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.disruptions import _lane_mask
from sim.distributions import Sampler
from sim.injects.fields import (
    ABOUT_WORDS,
    ADMISSION_KINDS,
    COUNTERMEASURE_KINDS,
    DECISION_KINDS,
    DISRUPTION_KINDS,
    KIND_FIELDS,
    METADATA_COLUMNS,
    RATIONING_KINDS,
    RATIONING_WORDS,
    TEXT_FIELDS,
)
from sim.injects.measure_fields import MeasureWords
from sim.injects.rules import (
    IT_OUTAGE_EFFECTS,
    RECIPIENT_OF_CUSTOMERS,
    RECIPIENT_OF_NODE,
    Rule,
    RulesFile,
)
from sim.injects.triggers import DisruptionWindow, window_of
from sim.injects.words import Words
from sim.network import network_of, node_mask
from sim.scenario import schema


class UnfilledPlaceholder(KeyError):
    """A template names a field its trigger kind does not provide."""


class _Fields(dict):
    """A mapping that raises on an unknown placeholder instead of leaving it unfilled."""

    def __missing__(self, key: str) -> str:
        raise UnfilledPlaceholder(key)


@dataclass(frozen=True)
class Timing:
    """How scenario days map to clock times, dates and exercise time."""

    from_day: int
    day_start: int
    """Minutes after midnight."""
    day_end: int
    spacing: int
    start: dt.datetime | None = None
    compress: float | None = None
    exercise_spacing: int = 0
    """With compress: minutes at least between two injects' exercise times."""


def clock_minutes(days: np.ndarray, timing: Timing) -> np.ndarray:
    """Minutes after midnight of each inject, given their days in chronological order."""
    out = np.zeros(len(days), dtype=np.int64)
    span = timing.day_end - timing.day_start
    i = 0
    while i < len(days):
        j = i
        while j < len(days) and days[j] == days[i]:
            j += 1
        n = j - i
        step = float(timing.spacing) if span <= 0 else min(timing.spacing, span / n)
        out[i:j] = timing.day_start + np.floor(np.arange(n) * step).astype(np.int64)
        i = j
    return out


def spread(minutes: np.ndarray, gap: int) -> np.ndarray:
    """Exercise minutes in MSEL order, each at least `gap` after the one before.

    Compressing many scenario days into an hour puts a busy day's injects on the same minute;
    a controller cannot deliver them so. An inject is never earlier than its compressed time
    and keeps its place in the order; the delay carries over until a quiet stretch absorbs it.
    """
    out = minutes.astype(np.int64).copy()
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + gap)
    return out


def schedule(days: np.ndarray, timing: Timing) -> dict[str, Any]:
    """Clock time, scenario date-time and exercise time columns for injects in order."""
    minutes = clock_minutes(days, timing)
    n = len(days)
    times = [f"{m // 60 % 24:02d}:{m % 60:02d}" for m in minutes]
    offset_days = (days - timing.from_day) + (minutes - timing.day_start) / 1440.0
    if timing.start is not None:
        midnight = timing.start.replace(hour=0, minute=0, second=0, microsecond=0)
        dates = pd.to_datetime([midnight + dt.timedelta(days=int(d - timing.from_day),
                                                        minutes=int(m))
                                for d, m in zip(days, minutes, strict=True)])
    else:
        dates = pd.DatetimeIndex([pd.NaT] * n)
    if timing.compress is not None:
        ideal = np.round(offset_days / timing.compress * 60).astype(np.int64)
        elapsed = pd.to_timedelta(spread(ideal, timing.exercise_spacing), unit="min")
        clock = (pd.DatetimeIndex([timing.start] * n) + elapsed if timing.start is not None
                 else pd.DatetimeIndex([pd.NaT] * n))
    else:
        elapsed = pd.to_timedelta([pd.NaT] * n)
        clock = pd.DatetimeIndex([pd.NaT] * n)
    return {"scenario_day": days.astype(np.int64), "time": times, "scenario_datetime": dates,
            "exercise_elapsed": elapsed, "exercise_time": clock}


class Renderer:
    """Fills templates for one language, scenario and replication."""

    def __init__(self, rules: RulesFile, words: Words, triggers: pd.DataFrame,
                 windows: list[DisruptionWindow], scope: set[str] | None = None) -> None:
        self.rules = rules
        self.words = words
        self.lang = words.lang
        self.triggers = triggers
        self.windows = windows
        self.scenario = words.scenario
        self.net = network_of(self.scenario)
        self.nodes = {n.id: n for n in self.scenario.nodes}
        self.scope = scope
        self._of_counts = self._count_nodes()
        self.net_categories = [] if self.net.care is None else list(self.net.care.categories)
        self.measures = MeasureWords(self)

    def _count_nodes(self) -> dict[tuple[str, str], int]:
        """How many nodes of each role handle each product group (within the scope)."""
        net, sc = self.net, self.scenario
        groups = np.array([sc.products[p].group for p in net.product_ids], dtype=object)
        counts: Counter[tuple[str, str]] = Counter()
        handles = net.handles & ~net.unlimited[:, None]
        for i, node_id in enumerate(net.node_ids):
            if self.scope is not None and node_id not in self.scope:
                continue
            for group in set(groups[handles[i]]):
                counts[(net.roles[i], group)] += 1
        return counts

    def fields(self, kind: str, lead: pd.Series, members: pd.DataFrame) -> dict[str, str]:
        """Every field the trigger kind provides, in words."""
        w = self.words
        day = int(lead["day"])
        out = {"day": str(day), "when": w.when(day)}
        if kind in DISRUPTION_KINDS:
            out["count"] = w.count(members["disruption"].nunique())
            out.update(self._disruption(int(lead["disruption_index"]), kind, day, members))
        elif kind in RATIONING_KINDS:
            out["count"] = w.count(members["scope"].nunique())
            out.update(self._rationing(kind, lead, members))
        elif kind in ADMISSION_KINDS:
            out["count"] = w.count(members["node"].nunique())
            out.update(self._admissions(kind, lead, members))
        elif kind in COUNTERMEASURE_KINDS:
            who = "countermeasure" if kind in DECISION_KINDS else "node"
            out.update(self.measures.fields(kind, lead, members))
            out["count"] = w.count(members[who].nunique())
        else:
            out["count"] = w.count(members["node"].nunique())
            out.update(self._node(kind, lead, members))
        return out

    def node_fields(self, kind: str, lead: pd.Series, members: pd.DataFrame) -> dict[str, str]:
        """The fields of a trigger about a node and product (NODE_FIELDS, and the kind's)."""
        return self._node(kind, lead, members)

    def _node(self, kind: str, lead: pd.Series, members: pd.DataFrame) -> dict[str, str]:
        w = self.words
        role, group = str(lead["role"]), str(lead["group"])
        of = sum(self._of_counts[(r, group)] for r in members["role"].unique())
        out = {
            "node_name": w.node(lead["node"]),
            "node_list": w.listing(w.node(n) for n in members["node"]),
            "role_name": w.role(role),
            "roles_name": w.role(role, many=True),
            "of_count": w.count(of),
            "region_name": w.region(lead["region"]),
            "region_list": w.listing(w.region(r) for r in members["region"]),
            "product_name": w.product(lead["product"]),
            "product_list": w.listing(w.product(p) for p in members["product"]),
            "group_name": w.group(group),
            "unit": w.unit(lead["product"], _or(lead["quantity"], 2.0)),
        }
        if kind == "allocation_cut":
            share = float(lead["value"])
            out["share_pct"] = w.percent(share)
            shares = members["value"].to_numpy(dtype=float)
            low, high = w.percent(float(shares.min())), w.percent(float(shares.max()))
            out["share_range"] = low if low == high else f"{low}–{high}"
            out["shortfall_pct"] = w.integer(100 - round(100 * share))
        elif kind in ("dos_below", "dos_recovered"):
            out["days_of_supply"] = w.decimal(float(lead["value"]))
            out["threshold"] = w.count_number(float(lead["threshold"]))
            out["on_hand"] = w.count(float(lead["quantity"]))
            out["daily_use"] = w.count(float(lead["flow"]))
        elif kind == "first_stockout":
            out["quantity"] = w.count(float(lead["quantity"]))
        elif kind == "stockout_resolved":
            out["stockout_days"] = w.count(float(lead["stockout_days"]))
            out["on_hand"] = w.count(float(lead["quantity"]))
        elif kind == "imperative_short":
            # The lead node's, like fill_pct: the others are listed in node_list.
            quantity = float(lead["quantity"])
            out["quantity"] = w.count(quantity)
            out["unit"] = w.unit(lead["product"], quantity)
            # Rounded down to a tenth: a shortfall never reads as 100 %.
            out["fill_pct"] = w.number(math.floor(1000 * float(lead["value"])) / 10)
            out["categories"] = w.listing(w.category(c) for c in lead["categories"])
        return out

    def _place(self, lead: pd.Series) -> str:
        """Where a rationing rule acts: a node, a region or a country, in words."""
        w = self.words
        scope = self.scenario.rationing[int(lead["rationing_index"])].scope
        label = str(lead["scope"])
        return (w.node(label) if scope == "node" else w.region(label) if scope == "region"
                else w.country(label))

    def _regions(self, regions: Any) -> str:
        """Regions in words; a trigger without one (a country-wide rule) is the whole country."""
        w = self.words
        return w.listing(w.region(r) if isinstance(r, str) else w.labels.whole_country
                         for r in regions)

    def _rationing(self, kind: str, lead: pd.Series, members: pd.DataFrame) -> dict[str, str]:
        w = self.words
        spec = self.scenario.rationing[int(lead["rationing_index"])]
        products = [*_names(spec.match.product), *_names(spec.match.group)]
        rationed = self._products(products or None)
        out = {
            "rationing_name": str(lead["rationing"]),
            "scope_name": self._place(lead),
            "scope_list": w.listing(self._place(m) for _, m in members.iterrows()),
            "region_name": self._regions([lead["region"]]),
            "region_list": self._regions(members["region"]),
            "products_rationed": rationed,
            "days_of_supply": w.decimal(float(lead["value"])),
            "below_days": w.count_number(float(spec.below_days)),
            "release_days": w.count_number(float(spec.release_above_days)),
            "measures": self._measures(spec, lead["categories"], rationed),
            "start_when": w.when(int(lead["since"])),
        }
        if kind == "rationing_end":
            out["duration_days"] = w.count(int(lead["day"]) - int(lead["since"]))
        return out

    def _measures(self, spec: Any, categories: tuple[str, ...], products: str) -> str:
        """What a rationing rule does where it is in force, from labels.rationing."""
        w = self.words
        phrases = {**RATIONING_WORDS, **w.labels.rationing}
        out = []
        # Postponing does something only where care of those priorities is admitted.
        if spec.defer and categories:
            out.append(phrases["defer"].format(
                categories=w.listing(w.category(c) for c in categories)))
            if spec.cancel_after_days is not None:
                out.append(phrases["cancel"].format(days=w.count(spec.cancel_after_days)))
        if spec.conserve < 1:
            out.append(phrases["conserve"].format(products=products,
                                                  pct=w.percent(spec.conserve)))
        return w.listing(out) if out else phrases["none"]

    def _admissions(self, kind: str, lead: pd.Series, members: pd.DataFrame) -> dict[str, str]:
        w = self.words
        role = str(lead["role"])
        regions = set(members["region"])
        # So far: the same kind in the regions covered, from the window's first day.
        so_far = self.triggers[(self.triggers["kind"] == kind)
                               & self.triggers["region"].isin(regions)
                               & (self.triggers["day"] <= int(lead["day"]))]
        categories = [c for c in self.net_categories
                      if any(c in cs for cs in members["categories"])]
        out = {
            "node_name": w.node(lead["node"]),
            "node_list": w.listing(w.node(n) for n in members["node"]),
            "role_name": w.role(role),
            "roles_name": w.role(role, many=True),
            "region_name": w.region(lead["region"]),
            "region_list": w.listing(w.region(r) for r in members["region"]),
            "categories": w.listing(w.category(c) for c in categories),
            "admissions": w.count(float(members["quantity"].sum())),
            "admissions_total": w.count(float(so_far["quantity"].sum())),
        }
        if kind == "admissions_cancelled":
            out["cancel_after_days"] = w.count_number(float(members["threshold"].min()))
        return out

    def _disruption(self, index: int, kind: str, day: int,
                    members: pd.DataFrame) -> dict[str, str]:
        w = self.words
        d = self.scenario.disruptions[index]
        # The trigger's own window: a recurring disruption has many.
        window = window_of(self.windows, index, kind, day)
        # As drawn in this replication when both ends were logged; else as written in the
        # scenario, the distribution's mean when it is random (it ends after the run), the
        # mean down time when it recurs.
        if window.start_day is not None and window.end_day is not None:
            duration = float(window.end_day - window.start_day)
        elif d.recurring is not None:
            duration = float(d.recurring.mean_duration_days)
        else:
            duration = float(Sampler([d.duration_days]).mean()[0])
        end_day = window.end_day
        if end_day is None and window.start_day is not None:
            end_day = window.start_day + int(np.ceil(duration))
        capacity = getattr(d, "capacity_factor", 1.0)
        if isinstance(d, schema.StaffAbsence):  # the staff at work carry on at their share
            capacity = 1 - d.absent_share
        return {
            "disruption_name": window.name,
            "disruption_list": w.listing(members["disruption"]),
            "disruption_type": w.labels.disruption_types.get(d.type, d.type),  # type: ignore[call-overload]
            "affected": self._affected(d),
            "effect": self._effect(d),
            "products_affected": self._products(getattr(d, "products", None)),
            "start_when": w.when(window.start_day),
            "end_when": w.when(end_day),
            "duration_days": w.count(round(duration)),
            "capacity_pct": w.percent(capacity),
            "lead_time_factor": w.number(getattr(d, "lead_time_factor", 1.0)),
            "demand_factor": w.number(getattr(d, "factor", 1.0)),
            "country": self._countries(d),
        }

    def _effect(self, d: Any) -> str:
        w = self.words
        phrases = w.labels.effects
        out = []
        if isinstance(d, schema.PowerOutage):
            out.append(phrases["capacity"].format(pct=w.percent(d.capacity_factor)))
        elif isinstance(d, schema.Transport):
            if d.lead_time_factor != 1:
                out.append(phrases["lead_time"].format(factor=w.number(d.lead_time_factor)))
            if d.capacity_factor != 1:
                out.append(phrases["capacity"].format(pct=w.percent(d.capacity_factor)))
            if d.closed:  # goods on the way wait for the lane to reopen, unless told not to
                out.append(phrases["closed" if d.hold_in_transit else "loading"])
        elif isinstance(d, schema.ExportBan):  # stops new loading; goods on the way arrive
            out.append(phrases["loading"])
        elif isinstance(d, schema.FactoryLoss):
            out.append(phrases["stopped"] if d.capacity_factor == 0 else
                       phrases["production"].format(pct=w.percent(d.capacity_factor)))
        elif isinstance(d, schema.ItOutage):
            out.append(phrases[IT_OUTAGE_EFFECTS[d.effect]])
        elif isinstance(d, schema.DemandSurge):
            out.append(phrases["demand"].format(factor=w.number(d.factor)))
        elif isinstance(d, schema.StaffAbsence):
            out.append(phrases["staff"].format(pct=w.percent(1 - d.absent_share)))
        elif isinstance(d, schema.StockLoss):
            if d.quarantine_days is None:
                out.append(phrases["destroyed"].format(pct=w.percent(d.share)))
            else:
                out.append(phrases["recalled"].format(pct=w.percent(d.share),
                                                      days=w.count(d.quarantine_days)))
        return w.listing(out)

    def _hit_nodes(self, d: Any) -> list[schema.Node]:
        if isinstance(d, schema.FactoryLoss):
            return [self.nodes[n] for n in d.nodes if n in self.nodes]
        if hasattr(d, "where"):
            mask = node_mask(self.scenario.nodes, d.where)
            return [n for n, hit in zip(self.scenario.nodes, mask, strict=True) if hit]
        return []

    def _affected(self, d: Any) -> str:
        w = self.words
        if isinstance(d, schema.Transport):
            return w.labels.links.format(count=w.count(int(_lane_mask(self.net, d.lanes).sum())))
        if isinstance(d, schema.ExportBan):
            countries = np.array(self.net.countries, dtype=object)
            leaving = (countries[self.net.lane_src] == d.country) & (
                countries[self.net.lane_dst] != d.country)
            return w.labels.links.format(count=w.count(int(leaving.sum())))
        return self.nodes_in_words(self._hit_nodes(d))

    def nodes_in_words(self, nodes: list[schema.Node]) -> str:
        """Up to three nodes by name, else how many of each role ('12 sjukhusapotek')."""
        w = self.words
        if len(nodes) <= 3:
            return w.listing(w.node(n.id) for n in nodes)
        roles = Counter(n.role for n in nodes)
        return w.listing(f"{w.integer(k)} {w.role(r, many=k != 1)}" for r, k in roles.items())

    def products_words(self, names: list[str] | None) -> str:
        """Products or groups by id or group name, in words (all products when None)."""
        return self._products(names)

    def _products(self, names: list[str] | None) -> str:
        w = self.words
        if not names:
            return w.labels.all_products
        groups = {p.group for p in self.scenario.products.values()}
        return w.listing(w.group(n) if n in groups and n not in self.scenario.products
                         else w.product(n) for n in names)

    def _countries(self, d: Any) -> str:
        w = self.words
        if isinstance(d, schema.ExportBan):
            return w.country(d.country)
        return w.listing(w.country(c) for c in dict.fromkeys(n.country for n in self._hit_nodes(d)))

    def baseline_words(self, lead: pd.Series) -> str | None:
        """Whether the lead trigger happens without the crisis, and when (None: not compared).

        Only triggers the baseline does not have within the tolerance are left to say this:
        either never, or on another day ("in the run without the crisis: day 45").
        """
        if "baseline_day" not in lead.index:
            return None
        about = {**ABOUT_WORDS, **self.words.labels.about}
        day = lead["baseline_day"]
        if pd.isna(day):
            return about["not_in_baseline"]
        return about["baseline_day"].format(when=self.words.when(int(day)))

    def recipient(self, rule: Rule, lead: pd.Series) -> str:
        """The actor id a rule's inject goes to.

        For a disruption, `node` and `customers` mean the nodes it hits (the most common
        actor among them, or among their customers).
        """
        if rule.to not in (RECIPIENT_OF_NODE, RECIPIENT_OF_CUSTOMERS):
            return rule.to
        if isinstance(lead["node"], str):
            nodes = [self.nodes[lead["node"]]]
        elif rule.when.kind in RATIONING_KINDS:  # a region or country: the nodes it covers
            nodes = [self.nodes[n] for n in lead["nodes"]]
        else:
            nodes = self._hit_nodes(self.scenario.disruptions[int(lead["disruption_index"])])
        if not nodes:  # a disruption of lanes, or one that hits nothing
            return next(iter(self.rules.actors))
        actors: Counter[str] = Counter()
        if rule.to == RECIPIENT_OF_CUSTOMERS:
            ids = {n.id for n in nodes}
            actors.update(self.rules.recipient(self.nodes[lane.to].role,
                                               self.nodes[lane.to].tags)
                          for lane in self.scenario.lanes if lane.from_ in ids)
        if not actors:
            actors.update(self.rules.recipient(n.role, n.tags) for n in nodes)
        return actors.most_common(1)[0][0]

    def texts(self, rule_id: str, rule: Rule, fields: dict[str, str]) -> dict[str, str]:
        """The rule's templates filled (standard texts and the file's own columns)."""
        text = rule.text[self.lang]
        mapping = _Fields(fields)
        out = {}
        try:
            for key in TEXT_FIELDS:
                out[key] = getattr(text, "from_" if key == "from" else key).format_map(mapping)
            out["synopsis"] = _unrepeated(out["synopsis"])
            for col_id, column in self.rules.columns.items():
                template = text.columns.get(col_id, column.text.get(self.lang, ""))
                out[col_id] = template.format_map(mapping)
        except UnfilledPlaceholder as exc:
            raise ValueError(f"rules.{rule_id}: placeholder '{{{exc.args[0]}}}' has no value "
                             f"for {rule.when.kind} injects (it provides: "
                             f"{', '.join(sorted(KIND_FIELDS[rule.when.kind]))})") from None
        return out


def render(selected: pd.DataFrame, renderer: Renderer, timing: Timing,
           replication: int) -> pd.DataFrame:
    """The MSEL table: one row per selected inject, in order, numbered from 1."""
    rules, words, triggers = renderer.rules, renderer.words, renderer.triggers
    rows: list[dict[str, Any]] = []
    for inject in selected.itertuples(index=False):
        rule = rules.rules[inject.rule]
        lead = triggers.loc[inject.lead]
        members = triggers.loc[list(inject.members)]
        fields = renderer.fields(rule.when.kind, lead, members)
        texts = renderer.texts(inject.rule, rule, fields)
        actor = renderer.recipient(rule, lead)
        node = lead["node"]
        rows.append({
            **texts,
            "to": rules.actor(actor, words.lang),
            "method": words.labels.methods[rule.method],
            "severity": float(inject.severity),
            "kind": rule.when.kind,
            "rule": inject.rule,
            "region": (words.region(lead["region"]) if isinstance(lead["region"], str)
                       else words.labels.whole_country),
            "node": node if isinstance(node, str) else None,
            "product": lead["product"] if isinstance(lead["product"], str) else None,
            "group": lead["group"] if isinstance(lead["group"], str) else None,
            "events": len(members),
            "replication": replication,
            "baseline": renderer.baseline_words(lead),
        })
    table = pd.DataFrame(rows, columns=[*TEXT_FIELDS, *rules.columns, "to", "method",
                                        *METADATA_COLUMNS])
    times = schedule(selected["day"].to_numpy(dtype=np.int64), timing)
    for name, values in times.items():
        table[name] = values
    table["number"] = np.arange(1, len(table) + 1, dtype=np.int64)
    return table[[*rules.column_order(), *METADATA_COLUMNS]]


def _unrepeated(synopsis: str) -> str:
    """'Exportstopp: Exportstopp skyddsutrustning' -> 'Exportstopp skyddsutrustning'."""
    head, colon, rest = synopsis.partition(": ")
    if colon and head and rest.casefold().startswith(head.casefold()):
        return rest
    return synopsis


def _names(value: str | list[str] | None) -> list[str]:
    """A match key's names as a list (one name, several, or none)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _or(value: Any, default: float) -> float:
    """A number, or `default` where it is missing."""
    return default if value is None or pd.isna(value) else float(value)
