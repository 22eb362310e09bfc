"""What injects are made from: trigger kinds, the fields each gives templates, the MSEL columns.

One table that the rules loader (placeholder checks), the triggers (what they compute), the
renderer and the docs all agree on.
"""

from __future__ import annotations

from typing import Literal

TriggerKind = Literal[
    "disruption_start",
    "disruption_end",
    "recovery_complete",
    "allocation_cut",
    "allocation_restored",
    "dos_below",
    "dos_recovered",
    "first_stockout",
    "stockout_resolved",
    "rationing_start",
    "rationing_end",
    "admissions_deferred",
    "admissions_cancelled",
    "imperative_short",
    "countermeasure_triggered",
    "countermeasure_start",
    "countermeasure_end",
    "redistributed",
    "released",
    "emergency_supplied",
    "substituted",
    "conversion_output_start",
    "conversion_validated",
]
TRIGGER_KINDS: tuple[str, ...] = TriggerKind.__args__  # type: ignore[attr-defined]
DISRUPTION_KINDS: tuple[str, ...] = ("disruption_start", "disruption_end", "recovery_complete")
NODE_KINDS: tuple[str, ...] = tuple(k for k in TRIGGER_KINDS if k not in DISRUPTION_KINDS)
DOS_KINDS: tuple[str, ...] = ("dos_below", "dos_recovered")
RATIONING_KINDS: tuple[str, ...] = ("rationing_start", "rationing_end")
"""A rationing rule starting or ending at a scope: a node, or a whole region or country (then
without a node)."""
ADMISSION_KINDS: tuple[str, ...] = ("admissions_deferred", "admissions_cancelled")
"""Admissions a node postponed or cancelled on a day: about care, not about a product."""
DECISION_KINDS: tuple[str, ...] = (
    "countermeasure_triggered", "countermeasure_start", "countermeasure_end")
"""A countermeasure decided, in force, ended: about the measure, not a node (no node)."""
EFFECT_KINDS: tuple[str, ...] = ("redistributed", "released", "emergency_supplied", "substituted")
"""Units a countermeasure moved to a node (or served there with a substitute), summed per node,
product and week of the window (a release: per node, product and day)."""
CONVERSION_KINDS: tuple[str, ...] = ("conversion_output_start", "conversion_validated")
"""A converted production line's first output and its validation, at the maker."""
COUNTERMEASURE_KINDS: tuple[str, ...] = (*DECISION_KINDS, *EFFECT_KINDS, *CONVERSION_KINDS)
COUNTERMEASURE_TYPES: tuple[str, ...] = (
    "redistribution", "substitution", "stockpile_release", "emergency_lanes",
    "production_conversion", "allocation", "use_expired")
"""The scenario's countermeasure types (sim/scenario/countermeasures.py), in that order."""

GroupKey = Literal["node", "region", "role", "product", "group", "threshold", "disruption",
                   "rationing", "countermeasure"]
GROUP_KEYS: tuple[str, ...] = GroupKey.__args__  # type: ignore[attr-defined]

# Every field is text already formatted for the language (decimal comma, thousands separator),
# so templates name fields and never format numbers themselves.
COMMON_FIELDS: dict[str, str] = {
    "day": "scenario day number, e.g. 42",
    "when": "the day in words ('dag 42', 'day 42'), or its date when --start is given",
    "count": "how many nodes (or disruptions) the inject covers",
}
DISRUPTION_FIELDS: dict[str, str] = {
    **COMMON_FIELDS,
    "disruption_name": "the disruption's name in the scenario",
    "disruption_list": "the names of every disruption the inject covers",
    "disruption_type": "its type in words (power shortage, transport disruption, ...)",
    "affected": "what it hits: node names, or a count of nodes or transport links",
    "products_affected": "the products or groups it is limited to, or 'all products'",
    "start_when": "when it started, in words like `when`",
    "end_when": "when it ends (or ended), in words like `when`",
    "duration_days": "how many days it lasts (as drawn when it ended within the run, else as "
                     "written in the scenario: the mean of a random duration)",
    "effect": "what it does, in words from labels.effects ('ledtiderna blir 2 gånger så långa'); "
              "an IT outage by its `effect` (ordering, order_intake, both)",
    "capacity_pct": "remaining capacity in percent (power outage, transport, factory loss)",
    "lead_time_factor": "lead-time multiplier (transport)",
    "demand_factor": "demand multiplier (demand surge)",
    "country": "the country it concerns (export ban; countries of the hit nodes otherwise)",
}
NODE_FIELDS: dict[str, str] = {
    **COMMON_FIELDS,
    "node_name": "the node's name (the most severe one when several are covered)",
    "node_list": "the names of every node covered ('A, B och 3 till')",
    "role_name": "the node's role in words (vårdavdelning, ward)",
    "roles_name": "the role in the plural (vårdavdelningar, wards)",
    "of_count": "how many nodes of that role handle the product group",
    "region_name": "the node's region (Region Stockholm)",
    "region_list": "every region covered",
    "product_name": "the product's name (the most severe one)",
    "product_list": "every product covered",
    "group_name": "the product group in words (infusionsvätskor, infusion fluids)",
    "unit": "the product's unit in words (påsar, bags)",
}
RATIONING_FIELDS: dict[str, str] = {
    **COMMON_FIELDS,
    "rationing_name": "the rationing rule's name in the scenario",
    "scope_name": "where it starts or ends (the lead one): a node, a region or a country",
    "scope_list": "every place covered",
    "region_name": "the region (the node's, or the region of a region-wide rule; the whole "
                   "country for a country-wide one)",
    "region_list": "every region covered",
    "products_rationed": "the products or groups the rule watches, in words",
    "days_of_supply": "days of normal use on hand at the lead scope, over the rule's products",
    "below_days": "the rule's below_days: rationing starts under this",
    "release_days": "the rule's release_above_days: rationing ends over this",
    "measures": "what the rule does while in force, in words from labels.rationing: admissions "
                "postponed (naming the care categories), cancelled after a wait, use cut",
    "start_when": "when it started at the lead scope, in words like `when`",
}
ADMISSION_FIELDS: dict[str, str] = {
    **COMMON_FIELDS,
    "node_name": "the node's name (the one with the most admissions that day)",
    "node_list": "the names of every node covered",
    "role_name": "the node's role in words",
    "roles_name": "the role in the plural",
    "region_name": "the node's region",
    "region_list": "every region covered",
    "categories": "the care categories whose new admissions the rationing rules in force at the "
                  "nodes covered were postponing that day",
}
MEASURE_FIELDS: dict[str, str] = {
    **COMMON_FIELDS,
    "countermeasure_name": "the countermeasure's name in the scenario",
    "countermeasure_list": "the names of every countermeasure the inject covers",
    "countermeasure_type": "its type in words (labels.countermeasure_types)",
    "measure": "what it does, in words from labels.countermeasures ('infusionsvätskor "
               "omfördelas mellan enheterna inom varje region: ...')",
    "products": "the products or groups it concerns, in words",
    "trigger_reason": "why it was decided: on a planned day, after a disruption started, or "
                      "because stock at some scope fell below its limit",
    "decision_days": "days from the decision to the measure taking effect (decision_days)",
    "start_when": "when it takes (or took) effect, in words like `when`",
}
"""Fields of the decision kinds: countermeasure_triggered, _start and _end."""
START_FIELDS_BY_TYPE: dict[str, dict[str, str]] = {
    "redistribution": {
        "area": "where stock moves: between the units within each region, or in the country",
        "below_days": "a unit below this many days of normal use asks for stock",
        "target_days": "it is topped up to this many days",
        "floor_days": "a donor keeps at least this many days (donor_floor_days)",
        "lead_time_days": "days the stock is on the way",
    },
    "substitution": {
        "product_name": "the product that runs short",
        "by_name": "the substitute",
        "ratio": "units of the substitute per unit of the product",
        "where": "the nodes where it is used, in words",
    },
    "stockpile_release": {
        "source_name": "the stockpile's nodes, in words",
        "receivers": "who receives it, in words",
        "units": "units released that day, every product together",
        "quantities": "units released that day per product ('120 000 påsar Ringer-acetat, ...')",
        "arrival_when": "when the last of it arrives, in words like `when`",
    },
    "emergency_lanes": {
        "suppliers": "the suppliers of the temporary lanes, in words",
        "country": "the suppliers' country",
        "receivers": "the receivers, in words",
        "max_share_pct": "the most a supplier gives a day, in percent of its stock",
    },
    "production_conversion": {
        "maker_name": "the manufacturer that converts a line",
        "product_name": "the product it converts to",
        "capacity": "the line's full output per day, in units",
        "unit": "the product's unit in words (for the capacity)",
        "start_up_days": "days with no output while the line is converted",
        "ramp_up_days": "days over which output rises to full",
        "validation_days": "output days before the line is validated (output held until then)",
        "output_when": "the first output day, in words like `when`",
        "crowded": "what it crowds out per day, in words ('1 000 påsar Ringer-acetat om "
                   "dagen'), or that it crowds out nothing",
    },
    "allocation": {
        "suppliers": "the suppliers that allocate, in words",
        "allocation_rule": "how they share short stock, in words",
        "order_cap": "the cap on orders in words, or that orders are not capped",
    },
    "use_expired": {
        "where": "the nodes that keep expired stock, in words",
        "extend_days": "days expired stock stays usable",
    },
}
"""Fields countermeasure_start gives for each countermeasure type, beyond MEASURE_FIELDS. A
rule uses those of every type its `when.countermeasure_types` lists (all types when omitted)."""
EFFECT_FIELDS: dict[str, str] = {
    **NODE_FIELDS,
    "countermeasure_name": "the countermeasure's name",
    "countermeasure_type": "its type in words",
    "units": "units of the lead product the inject covers, summed over its nodes",
    "quantities": "units per product summed over the nodes covered, largest first ('1 200 "
                  "påsar Ringer-acetat och 300 påsar NaCl')",
    "week_when": "the first day of the week the units are summed over (a release: the day it "
                 "was sent), in words like `when`",
}
"""Fields of the effect kinds: redistributed, released, emergency_supplied, substituted."""
CONVERSION_FIELDS: dict[str, str] = {
    **NODE_FIELDS,
    "countermeasure_name": "the countermeasure's name",
    "capacity": "output of the line that day, in units",
    "full_capacity": "the line's full output per day, in units",
    "ramp_up_days": "days over which output rises to full",
    "validation_days": "output days before the line is validated",
}

KIND_FIELDS: dict[str, dict[str, str]] = {
    "disruption_start": DISRUPTION_FIELDS,
    "disruption_end": DISRUPTION_FIELDS,
    "recovery_complete": DISRUPTION_FIELDS,
    "allocation_cut": {
        **NODE_FIELDS,
        "share_pct": "share of ordered units the supplier delivers, in percent (the lead "
                     "product's, the lowest covered)",
        "share_range": "the shares of every product covered, lowest to highest ('35–60'), or "
                       "one share when they agree",
        "shortfall_pct": "share not delivered, in percent",
    },
    "allocation_restored": NODE_FIELDS,
    "dos_below": {
        **NODE_FIELDS,
        "days_of_supply": "days of normal use on hand (lowest covered)",
        "threshold": "the threshold crossed, in days",
        "on_hand": "units on hand",
        "daily_use": "normal use per day, in units",
    },
    "dos_recovered": {
        **NODE_FIELDS,
        "days_of_supply": "days of normal use on hand",
        "threshold": "the threshold that is safe again, in days",
        "on_hand": "units on hand",
        "daily_use": "normal use per day, in units",
    },
    "first_stockout": {
        **NODE_FIELDS,
        "quantity": "units that could not be supplied that day at the lead node",
    },
    "stockout_resolved": {
        **NODE_FIELDS,
        "stockout_days": "days the node ended short after warm-up",
        "on_hand": "units on hand when the shortage ended",
    },
    "rationing_start": RATIONING_FIELDS,
    "rationing_end": {
        **RATIONING_FIELDS,
        "duration_days": "how many days it was in force at the lead scope",
    },
    "admissions_deferred": {
        **ADMISSION_FIELDS,
        "admissions": "admissions postponed that day, summed over the nodes covered",
        "admissions_total": "admissions postponed in the regions covered from the first day of "
                            "the window to this one",
    },
    "admissions_cancelled": {
        **ADMISSION_FIELDS,
        "admissions": "admissions cancelled that day, summed over the nodes covered",
        "admissions_total": "admissions cancelled in the regions covered from the first day of "
                            "the window to this one",
        "cancel_after_days": "how long an admission may wait before it is cancelled, in days "
                             "(the rationing rule's cancel_after_days; the shortest that applies)",
    },
    "imperative_short": {
        **NODE_FIELDS,
        "categories": "the imperative care categories at the lead node that use the product",
        "quantity": "units of imperative care demand at the lead node not served on the day "
                    "asked after warm-up (KPI unmet_imperative)",
        "fill_pct": "share of the lead node's imperative care demand for the product served on "
                    "the day asked after warm-up, in percent rounded down to a tenth (KPI "
                    "fill_imperative)",
    },
    "countermeasure_triggered": {
        **MEASURE_FIELDS,
        "delay": "when it takes effect in words: at once, or from a day, some days after the "
                 "decision (labels.countermeasures delay and delay_none)",
    },
    "countermeasure_start": {
        **MEASURE_FIELDS,
        **{k: v for fields in START_FIELDS_BY_TYPE.values() for k, v in fields.items()},
    },
    "countermeasure_end": {
        **MEASURE_FIELDS,
        "duration_days": "how many days it was in force",
        "outcome": "what it did while in force, in words from labels.countermeasures (units "
                   "moved, substituted, or what returns to normal)",
    },
    "redistributed": EFFECT_FIELDS,
    "released": {**EFFECT_FIELDS, "source_name": "the stockpile's nodes, in words"},
    "emergency_supplied": {
        **EFFECT_FIELDS,
        "suppliers": "the suppliers of the lead node's temporary lanes, in words",
        "country": "their country",
    },
    "substituted": {
        **EFFECT_FIELDS,
        "by_name": "the substitute given instead",
        "ratio": "units of the substitute per unit of the product",
    },
    "conversion_output_start": {
        **CONVERSION_FIELDS,
        "validated_when": "when the line will have run its validation days, in words like "
                          "`when`",
    },
    "conversion_validated": {
        **CONVERSION_FIELDS,
        "units": "units made before validation and held until now",
    },
}
"""The placeholders a template may use, by trigger kind, with what they hold."""

COUNT_FIELDS: frozenset[str] = frozenset({
    "count", "of_count", "duration_days", "quantity", "on_hand", "daily_use", "stockout_days",
    "threshold", "below_days", "release_days", "admissions", "admissions_total",
    "cancel_after_days", "decision_days", "target_days", "floor_days", "lead_time_days",
    "units", "capacity", "full_capacity", "start_up_days", "ramp_up_days", "validation_days",
    "extend_days", "suppliers", "source_name", "receivers", "where",
})
"""Fields that are a number of something: a template can pick the singular or the plural form of
what follows with `{field:one|many}`, `#` standing for the number: `{duration_days:# dag|#
dagar}` reads "1 dag", "5 dagar" (the singular for exactly 1). The node fields suppliers,
source_name, receivers and where count their nodes, `#` standing for the names: `{suppliers:#
shares|# share}`."""

TEXT_FIELDS: tuple[str, ...] = ("from", "synopsis", "message", "expected_action", "capability")
"""The templated parts of an inject, written per rule and language."""

METADATA_COLUMNS: tuple[str, ...] = (
    "severity", "kind", "rule", "region", "node", "product", "group", "events", "replication",
    "baseline",
)
OPTIONAL_HEADINGS: dict[str, str] = {"baseline": "Baseline"}
"""Columns whose heading a rules file may leave out (English then): added after files were
written with the others."""
TIME_COLUMNS: tuple[str, ...] = (
    "scenario_day", "time", "scenario_datetime", "exercise_elapsed", "exercise_time",
)
MSEL_COLUMNS: tuple[str, ...] = (
    "number", *TIME_COLUMNS, "synopsis", "method", "from", "to", "message", "expected_action",
    "capability",
)
"""The HSEEP MSEL columns, in the HSEEP template's order (inject number, scenario time, event
synopsis, inject mode, from, to, message, expected player action, objective / core
capability); planners' own columns go where their `after` says (the responsible controller
after the synopsis) or follow, then metadata."""

ABOUT_WORDS: dict[str, str] = {
    "about": "About", "scenario": "Scenario", "seed": "Seed", "replication": "Replication",
    "rules": "Rules file", "language": "Language", "created": "Created",
    "events": "Events in the run", "injects": "Injects", "start": "Exercise start",
    "compress": "Scenario days per exercise hour", "regions": "Regions",
    "day": "Scenario day", "date": "Date", "recipient": "Recipient",
    "disruptions": "Disruptions", "severity": "Severity",
    "severity_scale": "rule 0-100 + intensity 0-20 + breadth 0-10",
    "typical": "the typical one: nearest the median of the mean fill rate at demand points",
    "baseline": "Compared with",
    "not_in_baseline": "not in the run without the crisis",
    "baseline_day": "in the run without the crisis: {when}",
}
"""Words of the about sheet, the Markdown heading and the timeline (labels.<lang>.about), with
their English defaults."""

RATIONING_WORDS: dict[str, str] = {
    "defer": "new admissions for {categories} are postponed",
    "cancel": "admissions that have waited more than {days:# day|# days} are cancelled",
    "conserve": "use of {products} is cut to {pct} % of normal",
    "none": "no measures in care",
}
"""Phrases of the field `measures` (labels.<lang>.rationing), with their English defaults."""
RATIONING_PLACEHOLDERS: dict[str, set[str]] = {
    "defer": {"categories"}, "cancel": {"days"}, "conserve": {"products", "pct"}, "none": set(),
}
"""The placeholders each phrase of labels.<lang>.rationing may use."""

COUNTERMEASURE_WORDS: dict[str, str] = {
    "quantity": "{units} {unit} of {product}",
    "redistribution": "{products} are redistributed {area}: a unit with less than "
                      "{below_days:# day's|# days'} use in stock is topped up to "
                      "{target_days:# day's|# days'} use from units holding more than "
                      "{floor_days:# day's|# days'} use",
    "within_region": "between the units of each region",
    "within_country": "between units across the country",
    "substitution": "where {product} runs short, {by} is given instead (ratio {ratio}:1)",
    "stockpile_release_share": "{pct} % of the {products} in {source} is released to "
                               "{receivers}",
    "stockpile_release_days": "{source:# releases|# release} {days:# day's|# days'} use of "
                              "{products} to {receivers}",
    "emergency_lanes": "{suppliers:# supplies|# supply} {products} to {receivers}, at most "
                       "{pct} % of {suppliers:its|their} own stock a day",
    "production_conversion": "{maker} converts a line to {product}, {capacity} a day once "
                             "converted",
    "allocation_history": "{suppliers:# shares|# share} short stock of {products} by "
                          "customers' normal use, not by what they order",
    "allocation_pro_rata": "{suppliers:# shares|# share} short stock of {products} in "
                           "proportion to customers' orders",
    "order_cap": "orders above {days:# day's|# days'} normal use are cut",
    "no_order_cap": "orders are not capped",
    "use_expired": "expired stock of {products} stays in use for {days:# more day|# more "
                   "days} at {where}",
    "on_day": "as planned for {when}",
    "after": "after the disruption {disruption} began",
    "below": "when stocks of {products} {scope} fell below {days:# day's|# days'} use",
    "scope_node": "at a unit",
    "scope_region": "in a region",
    "scope_country": "in the country",
    "delay_none": "with immediate effect",
    "delay": "from {when}, {days:# day|# days} after the decision",
    "moved": "{quantities} were moved",
    "substituted": "{quantities} were replaced by {by}",
    "nothing_moved": "no units needed moving",
    "crowded": "{quantities} a day",
    "crowds_nothing": "no other production",
    "conversion_ended": "the line returns to its normal production",
    "allocation_ended": "ordinary allocation applies again",
    "use_expired_ended": "expired stock is discarded again",
}
"""Phrases of the countermeasure fields (labels.<lang>.countermeasures), with their English
defaults."""
COUNTERMEASURE_PLACEHOLDERS: dict[str, set[str]] = {
    "quantity": {"units", "unit", "product"},
    "redistribution": {"products", "area", "below_days", "target_days", "floor_days"},
    "within_region": set(), "within_country": set(),
    "substitution": {"product", "by", "ratio"},
    "stockpile_release_share": {"pct", "products", "source", "receivers"},
    "stockpile_release_days": {"days", "products", "source", "receivers"},
    "emergency_lanes": {"suppliers", "products", "receivers", "pct"},
    "production_conversion": {"maker", "product", "capacity"},
    "allocation_history": {"suppliers", "products"},
    "allocation_pro_rata": {"suppliers", "products"},
    "order_cap": {"days"}, "no_order_cap": set(),
    "use_expired": {"products", "days", "where"},
    "on_day": {"when"}, "after": {"disruption"}, "below": {"products", "days", "scope"},
    "scope_node": set(), "scope_region": set(), "scope_country": set(),
    "delay_none": set(), "delay": {"when", "days"},
    "moved": {"quantities"}, "substituted": {"quantities", "by"}, "nothing_moved": set(),
    "crowded": {"quantities"}, "crowds_nothing": set(),
    "conversion_ended": set(), "allocation_ended": set(), "use_expired_ended": set(),
}
"""The placeholders each phrase of labels.<lang>.countermeasures may use."""
