"""Countermeasures in words: the fields of the countermeasure kinds (fields.py lists them).

What a measure does, why it was decided and what it achieved are phrases of
labels.<lang>.countermeasures (English defaults in fields.COUNTERMEASURE_WORDS), filled from the
measure's keys in the scenario; the names of nodes, products and countries come from Words.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.injects.fields import COUNTERMEASURE_WORDS, DECISION_KINDS, EFFECT_KINDS
from sim.injects.words import Count
from sim.network import node_mask
from sim.scenario import countermeasures as cm
from sim.scenario import schema

if TYPE_CHECKING:
    from sim.injects.render import Renderer


class MeasureWords:
    """Fields of the countermeasure kinds, for one renderer (language, scenario, run)."""

    def __init__(self, renderer: Renderer) -> None:
        self.r = renderer
        self.w = renderer.words
        self.net = renderer.net
        self.phrases = {**COUNTERMEASURE_WORDS, **self.w.labels.countermeasures}

    def phrase(self, key: str, **values: Any) -> str:
        """A phrase of labels.countermeasures, filled."""
        return self.phrases[key].format(**values)

    def fields(self, kind: str, lead: pd.Series, members: pd.DataFrame) -> dict[str, str]:
        """Every field the kind provides, for the lead trigger and the triggers merged."""
        spec = self.r.scenario.countermeasures[int(lead["countermeasure_index"])]
        if kind in DECISION_KINDS:
            out = self._decision(spec, kind, lead, members)
        else:
            out = self.r.node_fields(kind, lead, members)
            out["countermeasure_name"] = spec.name
            out["countermeasure_type"] = self.type_words(spec.type)
            if kind in EFFECT_KINDS:
                out.update(self._effect(spec, kind, lead, members))
            else:
                out.update(self._conversion(spec, kind, lead))
        return out

    def type_words(self, kind: str) -> str:
        """A countermeasure type in words."""
        return (self.w.labels.countermeasure_types.get(kind)  # type: ignore[call-overload]
                or kind.replace("_", " "))

    # --- nodes, products and quantities in words --------------------------------------------

    def nodes(self, match: schema.Match) -> list[int]:
        """Engine positions of the nodes a match selects (outside sources left out)."""
        mask = node_mask(self.net.nodes, match) & ~self.net.unlimited
        return np.flatnonzero(mask).tolist()

    def nodes_words(self, positions: list[int]) -> Count:
        """Up to three nodes by name, else how many of each role.

        A count of the nodes, so that a template can agree with it: '{suppliers:# levererar|#
        levererar}', 'Tamro shares' but 'Norske grossister share' in English.
        """
        text = self.r.nodes_in_words([self.net.nodes[i] for i in positions])
        return Count(text, len(positions))

    def quantities(self, moved: Any) -> str:
        """'1 200 påsar Ringer-acetat 1000 ml och 300 påsar NaCl' from (product, units) pairs."""
        w = self.w
        return w.listing(self.phrase("quantity", units=w.count(u), unit=w.unit(p, u),
                                     product=w.product(p)) for p, u in moved)

    def products(self, spec: Any) -> str:
        """The products or groups a measure concerns, in words."""
        names: list[str] = []
        if isinstance(spec, cm.Substitution | cm.ProductionConversion):
            return self.w.product(spec.product)
        if isinstance(spec, cm.StockpileRelease | cm.UseExpired):
            names = list(spec.products or [])
        elif isinstance(spec, cm.EmergencyLanes):
            carried = [lane.products for lane in spec.lanes]
            if all(c is not None for c in carried):
                names = list(dict.fromkeys(p for c in carried for p in c or []))
        else:
            match = spec.match
            names = [*_names(match.product), *_names(match.group)]
        return self.r.products_words(names or None)

    def countries(self, positions: list[int]) -> str:
        """The countries of these nodes, in words."""
        w = self.w
        return w.listing(w.country(c) for c in dict.fromkeys(self.net.countries[i]
                                                             for i in positions))

    # --- decided, in force, ended -----------------------------------------------------------

    def measure(self, spec: Any) -> str:
        """What a measure does, in words."""
        w = self.w
        products = self.products(spec)
        if isinstance(spec, cm.Redistribution):
            target = spec.target_days if spec.target_days is not None else 2 * spec.below_days
            return self.phrase("redistribution", products=products,
                               area=self.phrase(f"within_{spec.within}"),
                               below_days=w.count_number(spec.below_days),
                               target_days=w.count_number(target),
                               floor_days=w.count_number(spec.donor_floor_days))
        if isinstance(spec, cm.Substitution):
            return self.phrase("substitution", product=products, by=w.product(spec.by),
                               ratio=w.number(spec.ratio))
        if isinstance(spec, cm.StockpileRelease):
            where = {"source": self.nodes_words(self.nodes(spec.from_)),
                     "receivers": self.nodes_words(self.nodes(spec.to)), "products": products}
            if spec.share is not None:
                return self.phrase("stockpile_release_share", pct=w.percent(spec.share), **where)
            return self.phrase("stockpile_release_days", days=w.count_number(spec.days or 0),
                               **where)
        if isinstance(spec, cm.EmergencyLanes):
            suppliers, receivers = self._lanes(spec)
            return self.phrase("emergency_lanes", suppliers=self.nodes_words(suppliers),
                               receivers=self.nodes_words(receivers), products=products,
                               pct=w.percent(spec.max_share))
        if isinstance(spec, cm.ProductionConversion):
            return self.phrase("production_conversion", maker=w.node(spec.node),
                               product=products, capacity=self._capacity(spec))
        if isinstance(spec, cm.Allocation):
            rule = self.phrase(f"allocation_{spec.rule}",
                               suppliers=self.nodes_words(self.nodes(spec.match)),
                               products=products)
            return w.listing([rule, self._order_cap(spec)]) if (
                spec.order_cap_days is not None) else rule
        assert isinstance(spec, cm.UseExpired)
        return self.phrase("use_expired", products=products,
                           days=w.count(spec.extend_days),
                           where=self.nodes_words(self.nodes(spec.match)))

    def _decision(self, spec: Any, kind: str, lead: pd.Series,
                  members: pd.DataFrame) -> dict[str, str]:
        w = self.w
        since = int(lead["since"])
        out = {
            "countermeasure_name": spec.name,
            "countermeasure_list": w.listing(members["countermeasure"]),
            "countermeasure_type": self.type_words(spec.type),
            "measure": self.measure(spec),
            "products": self.products(spec),
            "trigger_reason": self._reason(spec),
            "decision_days": w.count(spec.decision_days),
            "start_when": w.when(since),
        }
        if kind == "countermeasure_triggered":
            out["delay"] = (self.phrase("delay_none") if spec.decision_days == 0 else
                            self.phrase("delay", when=w.when(since),
                                        days=w.count(spec.decision_days)))
        elif kind == "countermeasure_start":
            out.update(self._start(spec, lead))
        else:
            out["duration_days"] = w.count(int(lead["day"]) - since)
            out["outcome"] = self._outcome(spec, lead["moved"])
        return out

    def _reason(self, spec: Any) -> str:
        w = self.w
        if spec.on_day is not None:
            return self.phrase("on_day", when=w.when(spec.on_day))
        if spec.after is not None:
            return self.phrase("after", disruption=spec.after)
        when = spec.when
        names = [*_names(when.match.product), *_names(when.match.group)]
        return self.phrase("below", products=self.r.products_words(names or None),
                           days=w.count_number(when.below_days),
                           scope=self.phrase(f"scope_{when.scope}"))

    def _start(self, spec: Any, lead: pd.Series) -> dict[str, str]:
        """The fields of the measure's type (fields.START_FIELDS_BY_TYPE)."""
        w = self.w
        day = int(lead["day"])
        if isinstance(spec, cm.Redistribution):
            target = spec.target_days if spec.target_days is not None else 2 * spec.below_days
            return {"area": self.phrase(f"within_{spec.within}"),
                    "below_days": w.count_number(spec.below_days),
                    "target_days": w.count_number(target),
                    "floor_days": w.count_number(spec.donor_floor_days),
                    "lead_time_days": w.count_number(spec.lead_time_days)}
        if isinstance(spec, cm.Substitution):
            return {"product_name": w.product(spec.product), "by_name": w.product(spec.by),
                    "ratio": w.number(spec.ratio), "where": self._substitution_nodes(spec)}
        if isinstance(spec, cm.StockpileRelease):
            moved = lead["moved"]
            return {"source_name": self.nodes_words(self.nodes(spec.from_)),
                    "receivers": self.nodes_words(self.nodes(spec.to)),
                    "units": w.count(sum(u for _, u in moved)),
                    "quantities": self.quantities(moved) or "0",
                    "arrival_when": w.when(day + self._release_days(spec))}
        if isinstance(spec, cm.EmergencyLanes):
            suppliers, receivers = self._lanes(spec)
            return {"suppliers": self.nodes_words(suppliers),
                    "country": self.countries(suppliers),
                    "receivers": self.nodes_words(receivers),
                    "max_share_pct": w.percent(spec.max_share)}
        if isinstance(spec, cm.ProductionConversion):
            return {"maker_name": w.node(spec.node), "product_name": w.product(spec.product),
                    "capacity": w.count(spec.capacity),
                    "unit": w.unit(spec.product, spec.capacity),
                    "start_up_days": w.count_number(spec.start_up_days),
                    "ramp_up_days": w.count_number(spec.ramp_up_days),
                    "validation_days": w.count_number(spec.validation_days),
                    "output_when": w.when(day + math.ceil(spec.start_up_days)),
                    "crowded": self._crowded(spec)}
        if isinstance(spec, cm.Allocation):
            return {"suppliers": self.nodes_words(self.nodes(spec.match)),
                    "allocation_rule": self.phrase(
                        f"allocation_{spec.rule}",
                        suppliers=self.nodes_words(self.nodes(spec.match)),
                        products=self.products(spec)),
                    "order_cap": self._order_cap(spec)}
        assert isinstance(spec, cm.UseExpired)
        return {"where": self.nodes_words(self.nodes(spec.match)),
                "extend_days": w.count(spec.extend_days)}

    def _outcome(self, spec: Any, moved: Any) -> str:
        if isinstance(spec, cm.ProductionConversion):
            return self.phrase("conversion_ended")
        if isinstance(spec, cm.Allocation):
            return self.phrase("allocation_ended")
        if isinstance(spec, cm.UseExpired):
            return self.phrase("use_expired_ended")
        if not moved:
            return self.phrase("nothing_moved")
        if isinstance(spec, cm.Substitution):
            return self.phrase("substituted", quantities=self.quantities(moved),
                               by=self.w.product(spec.by))
        return self.phrase("moved", quantities=self.quantities(moved))

    def _order_cap(self, spec: cm.Allocation) -> str:
        if spec.order_cap_days is None:
            return self.phrase("no_order_cap")
        return self.phrase("order_cap", days=self.w.count_number(spec.order_cap_days))

    def _capacity(self, spec: cm.ProductionConversion) -> str:
        w = self.w
        return f"{w.integer(spec.capacity)} {w.unit(spec.product, spec.capacity)}"

    def _crowded(self, spec: cm.ProductionConversion) -> str:
        if not spec.crowds_out:
            return self.phrase("crowds_nothing")
        lost = sorted(spec.crowds_out.items(), key=lambda pu: (-pu[1], pu[0]))
        return self.phrase("crowded", quantities=self.quantities(lost))

    def _lanes(self, spec: cm.EmergencyLanes) -> tuple[list[int], list[int]]:
        at = {node_id: i for i, node_id in enumerate(self.net.node_ids)}
        suppliers = list(dict.fromkeys(at[lane.from_] for lane in spec.lanes))
        receivers = list(dict.fromkeys(at[lane.to] for lane in spec.lanes))
        return suppliers, receivers

    def _substitution_nodes(self, spec: cm.Substitution) -> str:
        """The matched nodes that use the product (where a substitute can serve demand)."""
        j = self.net.product_ids.index(spec.product)
        mask = node_mask(self.net.nodes, spec.match) & ~self.net.unlimited
        return self.nodes_words(np.flatnonzero(mask & self.net.handles[:, j]).tolist())

    def _release_days(self, spec: cm.StockpileRelease) -> int:
        """Days until the last of a release arrives, at least one.

        Its lead time, else the longest lane from the stockpile to a receiver (1 day where
        there is none).
        """
        if spec.lead_time_days is not None:
            return max(1, math.ceil(spec.lead_time_days))
        givers, takers = set(self.nodes(spec.from_)), set(self.nodes(spec.to))
        means = self.net.lane_lead_mean()
        leads = [float(means[k]) for k in range(self.net.n_lanes)
                 if int(self.net.lane_src[k]) in givers and int(self.net.lane_dst[k]) in takers]
        return max(1, math.ceil(max(leads, default=1.0)))

    # --- effects and conversion -------------------------------------------------------------

    def _effect(self, spec: Any, kind: str, lead: pd.Series,
                members: pd.DataFrame) -> dict[str, str]:
        w = self.w
        per_product = members.groupby("product")["quantity"].sum()
        moved = sorted(((str(p), float(u)) for p, u in per_product.items()),
                       key=lambda pu: (-pu[1], pu[0]))
        units = float(per_product.get(lead["product"], 0.0))
        out = {"units": w.count(units), "unit": w.unit(lead["product"], units),
               "quantities": self.quantities(moved), "week_when": w.when(int(lead["since"]))}
        if kind == "released":
            out["source_name"] = self.nodes_words(self.nodes(spec.from_))
        elif kind == "emergency_supplied":
            suppliers, _ = self._lanes(spec)
            node = self.net.node_ids.index(lead["node"])
            own = [self.net.node_ids.index(lane.from_) for lane in spec.lanes
                   if self.net.node_ids.index(lane.to) == node]
            out["suppliers"] = self.nodes_words(own or suppliers)
            out["country"] = self.countries(own or suppliers)
        elif kind == "substituted":
            out["by_name"] = w.product(spec.by)
            out["ratio"] = w.number(spec.ratio)
        return out

    def _conversion(self, spec: cm.ProductionConversion, kind: str,
                    lead: pd.Series) -> dict[str, str]:
        w = self.w
        value = float(lead["value"])
        out = {"capacity": w.count(value if kind == "conversion_output_start" else spec.capacity),
               "full_capacity": w.count(spec.capacity),
               "ramp_up_days": w.count_number(spec.ramp_up_days),
               "validation_days": w.count_number(spec.validation_days),
               "unit": w.unit(spec.product, value)}
        if kind == "conversion_output_start":
            out["validated_when"] = w.when(int(lead["day"]) + math.ceil(spec.validation_days))
        else:
            out["units"] = w.count(value)
        return out


def _names(value: str | list[str] | None) -> list[str]:
    """A match key's names as a list (one name, several, or none)."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
