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
]
TRIGGER_KINDS: tuple[str, ...] = TriggerKind.__args__  # type: ignore[attr-defined]
DISRUPTION_KINDS: tuple[str, ...] = ("disruption_start", "disruption_end", "recovery_complete")
NODE_KINDS: tuple[str, ...] = tuple(k for k in TRIGGER_KINDS if k not in DISRUPTION_KINDS)
DOS_KINDS: tuple[str, ...] = ("dos_below", "dos_recovered")

GroupKey = Literal["node", "region", "role", "product", "group", "threshold", "disruption"]
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
        "quantity": "units that could not be supplied that day (summed over what is covered)",
    },
    "stockout_resolved": {
        **NODE_FIELDS,
        "stockout_days": "days the node ended short after warm-up",
        "on_hand": "units on hand when the shortage ended",
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
