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

GroupKey = Literal["node", "region", "role", "product", "group", "threshold", "disruption",
                   "rationing"]
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
}
"""The placeholders a template may use, by trigger kind, with what they hold."""

TEXT_FIELDS: tuple[str, ...] = ("from", "synopsis", "message", "expected_action", "capability")
"""The templated parts of an inject, written per rule and language."""

METADATA_COLUMNS: tuple[str, ...] = (
    "severity", "kind", "rule", "region", "node", "product", "group", "events", "replication",
)
TIME_COLUMNS: tuple[str, ...] = (
    "scenario_day", "time", "scenario_datetime", "exercise_elapsed", "exercise_time",
)
MSEL_COLUMNS: tuple[str, ...] = (
    "number", *TIME_COLUMNS, "synopsis", "from", "to", "method", "message", "expected_action",
    "capability",
)
"""The HSEEP columns of an MSEL, in order; planners' own columns follow, then metadata."""

ABOUT_WORDS: dict[str, str] = {
    "about": "About", "scenario": "Scenario", "seed": "Seed", "replication": "Replication",
    "rules": "Rules file", "language": "Language", "created": "Created",
    "events": "Events in the run", "injects": "Injects", "start": "Exercise start",
    "compress": "Scenario days per exercise hour", "regions": "Regions",
    "day": "Scenario day", "date": "Date", "recipient": "Recipient",
    "disruptions": "Disruptions", "severity": "Severity",
    "typical": "the typical one: nearest the median of the mean fill rate at demand points",
}
"""Words of the about sheet, the Markdown heading and the timeline (labels.<lang>.about), with
their English defaults."""

RATIONING_WORDS: dict[str, str] = {
    "defer": "new admissions for {categories} are postponed",
    "cancel": "admissions that have waited more than {days} days are cancelled",
    "conserve": "use of {products} is cut to {pct} % of normal",
    "none": "no measures in care",
}
"""Phrases of the field `measures` (labels.<lang>.rationing), with their English defaults."""
RATIONING_PLACEHOLDERS: dict[str, set[str]] = {
    "defer": {"categories"}, "cancel": {"days"}, "conserve": {"products", "pct"}, "none": set(),
}
"""The placeholders each phrase of labels.<lang>.rationing may use."""
