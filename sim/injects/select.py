"""Noise control: match triggers to rules, merge them, rate-limit, rank by severity, cap.

Per rule, in this order:
1. match: the triggers its `when` selects (and `unless` does not);
2. merge: triggers of the same day with equal `group_by` values make one inject;
3. rate-limit: per `group_by` key, at least `min_gap_days` between injects, then `keep` only
   the first, the last or the most severe of the run;
4. cap: at most `max` injects, the most severe.
Then over all rules, `max_injects` keeps the most severe and the chronology is restored.

Severity = the rule's `severity` + the most intense trigger's bonus (0-20, triggers.py) +
breadth, 5 x log10 of the nodes (or disruptions) merged, at most 10.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.injects.fields import (
    COUNTERMEASURE_KINDS,
    DECISION_KINDS,
    DISRUPTION_KINDS,
    RATIONING_KINDS,
)
from sim.injects.rules import Filter, Rule, RulesFile, When
from sim.scenario.schema import Scenario

MAX_BREADTH = 10.0
SELECTED_COLUMNS: tuple[str, ...] = ("rule", "rule_order", "day", "severity", "lead", "members")
"""One row per inject: the rule, its day and severity, the most severe trigger (`lead`, a row
of the triggers table) and every trigger merged into it (`members`)."""

def select_injects(triggers: pd.DataFrame, rules: RulesFile, scenario: Scenario,
                   max_injects: int | None = None) -> pd.DataFrame:
    """The injects the rules make from the triggers, in chronological order."""
    tagged = _nodes_by_tag(scenario)
    frames = []
    for order, (rule_id, rule) in enumerate(rules.enabled_rules()):
        mask = matches(triggers, rule.when, tagged)
        if mask.any():
            frames.append(_merge(triggers[mask], rule_id, order, rule))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in SELECTED_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    if max_injects is not None and len(out) > max_injects:
        out = _most_severe(out, max_injects)
    return chronological(out)


def chronological(injects: pd.DataFrame) -> pd.DataFrame:
    """By day; within a day in rule order, most severe first."""
    return injects.sort_values(["day", "rule_order", "severity"],
                               ascending=[True, True, False], kind="stable").reset_index(drop=True)


def _most_severe(injects: pd.DataFrame, n: int) -> pd.DataFrame:
    ranked = injects.sort_values(["severity", "day", "rule_order"],
                                 ascending=[False, True, True], kind="stable")
    return ranked.head(n)


def _nodes_by_tag(scenario: Scenario) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for node in scenario.nodes:
        for tag in node.tags:
            out.setdefault(tag, set()).add(node.id)
    return out


def _filter_mask(triggers: pd.DataFrame, f: Filter, tagged: dict[str, set[str]]) -> np.ndarray:
    mask = np.ones(len(triggers), dtype=bool)
    for key, column in (("roles", "role"), ("regions", "region"), ("nodes", "node"),
                        ("groups", "group"), ("products", "product")):
        wanted = getattr(f, key)
        if wanted is not None:
            mask &= triggers[column].isin(wanted).to_numpy()
    if f.tags is not None:
        nodes = set().union(*(tagged.get(t, set()) for t in f.tags))
        mask &= triggers["node"].isin(nodes).to_numpy()
    return mask


def matches(triggers: pd.DataFrame, when: When, tagged: dict[str, set[str]]) -> np.ndarray:
    """Which triggers a rule's `when` selects."""
    mask = (triggers["kind"] == when.kind).to_numpy(copy=True)
    if when.kind in DISRUPTION_KINDS:
        if when.disruption_types is not None:
            mask &= triggers["disruption_type"].isin(when.disruption_types).to_numpy()
        return mask
    if when.kind in COUNTERMEASURE_KINDS:
        for wanted, column in ((when.countermeasure_types, "countermeasure_type"),
                               (when.countermeasures, "countermeasure")):
            if wanted is not None:
                mask &= triggers[column].isin(wanted).to_numpy() if column in triggers else False
        if when.kind in DECISION_KINDS:
            return mask
    mask &= _filter_mask(triggers, when, tagged)
    if when.thresholds is not None:
        mask &= triggers["threshold"].isin([float(t) for t in when.thresholds]).to_numpy()
    if when.below is not None:
        mask &= (triggers["value"] < when.below).to_numpy()
    if when.rationing is not None:
        mask &= triggers["rationing"].isin(when.rationing).to_numpy() if (
            "rationing" in triggers) else False
    if when.unless is not None:
        mask &= ~_filter_mask(triggers, when.unless, tagged)
    return mask


def _merge(matched: pd.DataFrame, rule_id: str, order: int, rule: Rule) -> pd.DataFrame:
    """Merge a rule's triggers by day and key, then rate-limit, keep and cap."""
    keys = list(rule.group_by)  # group_by keys are trigger columns
    score = rule.severity + matched["bonus"].to_numpy(dtype=float)
    # What breadth counts: disruptions, the places a rationing rule covers (a region-wide
    # rule has no node), countermeasures decided, or nodes.
    who = ("disruption" if rule.when.kind in DISRUPTION_KINDS
           else "scope" if rule.when.kind in RATIONING_KINDS
           else "countermeasure" if rule.when.kind in DECISION_KINDS else "node")
    frame = pd.DataFrame({
        "day": matched["day"].to_numpy(),
        **{k: matched[k].to_numpy(dtype=object) for k in keys},
        "who": matched[who].to_numpy(dtype=object),
        "score": score,
        "row": matched.index.to_numpy(),
    })
    frame = frame.sort_values("day", kind="stable")
    group = frame.groupby(["day", *keys], sort=False, dropna=False).ngroup().to_numpy()
    # Rows of a group together (groups in order of first appearance, so by day), most severe
    # first: the first row of each group leads it.
    frame = frame.iloc[np.lexsort((-frame["score"].to_numpy(), group))]
    group = np.sort(group)
    starts = np.flatnonzero(np.r_[True, np.diff(group) != 0])
    ends = np.r_[starts[1:], len(frame)]
    rows = frame["row"].to_numpy()
    lead = frame.iloc[starts]
    distinct = frame["who"].groupby(group, sort=True).nunique(dropna=False).to_numpy()
    breadth = np.minimum(MAX_BREADTH, 5 * np.log10(np.maximum(distinct, 1)))
    merged = pd.DataFrame({
        "rule": rule_id,
        "rule_order": order,
        "day": lead["day"].to_numpy(dtype=np.int64),
        "severity": np.round(lead["score"].to_numpy() + breadth, 1),
        "lead": lead["row"].to_numpy(),
        "members": [rows[a:b] for a, b in zip(starts, ends, strict=True)],
        "key": list(zip(*(lead[k].map(_key_value) for k in keys), strict=True)) if keys
        else [()] * len(lead),
    })
    merged = _rate_limit(merged, rule)
    if rule.max is not None and len(merged) > rule.max:
        merged = _most_severe(merged, rule.max).sort_values("day", kind="stable")
    return merged[list(SELECTED_COLUMNS)]


def _key_value(value: object) -> object:
    return None if isinstance(value, float) and np.isnan(value) else value


def _rate_limit(merged: pd.DataFrame, rule: Rule) -> pd.DataFrame:
    kept: list[int] = []
    last_day: dict[tuple, int] = {}
    for i, (key, day) in enumerate(zip(merged["key"], merged["day"], strict=True)):
        previous = last_day.get(key)
        if previous is not None and day - previous < rule.min_gap_days:
            continue
        last_day[key] = int(day)
        kept.append(i)
    merged = merged.iloc[kept]
    if rule.keep == "most_severe":
        ranked = merged.sort_values(["severity", "day"], ascending=[False, True], kind="stable")
        merged = ranked.drop_duplicates("key", keep="first").sort_values("day", kind="stable")
    elif rule.keep != "all":
        merged = merged.drop_duplicates("key", keep=rule.keep)
    return merged.reset_index(drop=True)

