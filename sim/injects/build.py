"""From a run to an MSEL: choose the replication, find triggers, select, render."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim.injects.baseline import (
    TOLERANCE_DAYS,
    Baseline,
    difference,
    occurrences,
    run_without_crisis,
)
from sim.injects.fields import DOS_KINDS
from sim.injects.load import load_rules, rules_from_dict
from sim.injects.render import Renderer, Timing, render
from sim.injects.rules import RulesFile
from sim.injects.select import select_injects
from sim.injects.source import choose_replication, read_results
from sim.injects.triggers import DisruptionWindow, disruption_windows, find_triggers
from sim.injects.words import Words
from sim.results import RunResult
from sim.scenario.errors import did_you_mean
from sim.scenario.schema import Scenario

Rules = RulesFile | str | Path | dict[str, Any] | None
BaselineArg = RunResult | str | Path | bool | None
"""None (or True): the run without the scenario's disruptions (the run itself when it has
none); False: none; a RunResult or a results folder: that run."""


@dataclass(frozen=True)
class Msel:
    """An MSEL made from one replication of a run, with what is needed to explain it."""

    table: pd.DataFrame
    """One row per inject (columns in docs/injects.md)."""
    rules: RulesFile
    lang: str
    scenario: Scenario
    seed: int
    replication: int
    choice: str
    """Which replication was used, and why (in English, for the console and logs)."""
    typical: bool
    events: int
    """Events of that replication (all kinds, all days)."""
    triggers: int
    """Triggers found in the window, before rules merged and limited them."""
    from_day: int
    to_day: int
    windows: list[DisruptionWindow] = field(default_factory=list)
    start: dt.datetime | None = None
    compress: float | None = None
    regions: tuple[str, ...] = ()
    baseline: Baseline | None = None
    """The run normal operations were compared against (None: no comparison)."""

    @property
    def labels(self) -> Any:
        """The words of the MSEL's language."""
        return self.rules.labels[self.lang]


def as_rules(rules: Rules) -> RulesFile:
    """Rules from a file path, plain data or an already loaded file (the default when None)."""
    if rules is None:
        return load_rules()
    if isinstance(rules, RulesFile):
        return rules
    if isinstance(rules, dict):
        return rules_from_dict(rules)
    return load_rules(rules)


def parse_start(start: dt.datetime | dt.date | str | None) -> tuple[dt.datetime | None, bool]:
    """The exercise start, and whether it carries a time of day."""
    if start is None:
        return None, False
    if isinstance(start, dt.datetime):
        value, timed = start, True
    elif isinstance(start, dt.date):
        value, timed = dt.datetime.combine(start, dt.time()), False
    else:
        text = str(start).strip()
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"start '{start}': expected a date and time like 2027-03-01T08:00 "
                             "(or a date, 2027-03-01)") from None
        timed = "T" in text or " " in text
    if value.tzinfo is not None:
        raise ValueError(f"start '{start}': give the local time without a time zone")
    if value.second or value.microsecond:
        raise ValueError(f"start '{start}': give the time to the minute, like 2027-03-01T08:00")
    return value, timed


LAST_DATE = dt.datetime(2262, 4, 10)
"""The MSEL's dates and exercise times are pandas timestamps, which end on 11 April 2262."""
LONGEST = dt.timedelta(days=100 * 365)
"""The longest exercise time the MSEL can hold (pandas' durations end near 292 years)."""


def check_time_range(start: dt.datetime | None, compress: float | None, from_day: int,
                     to_day: int, injects: int = 0, spacing: int = 0) -> None:
    """Raise a ValueError when the days `from_day`-`to_day` do not fit the MSEL's clock.

    With `start`, their dates must end before LAST_DATE; with `compress`, their exercise time
    (plus `spacing` minutes for each of `injects`, the most the spacing can add) must stay
    within LONGEST, and end before LAST_DATE with `start`. A clear message instead of an
    overflow deep in pandas (`--start 9999-12-31`, `--compress 1e-9`).
    """
    days = dt.timedelta(days=to_day - from_day + 1)
    if start is not None and start > LAST_DATE - days:  # start + days could overflow
        raise ValueError(f"start {start:%Y-%m-%dT%H:%M}: the MSEL's days {from_day}-{to_day} "
                         f"would end after {LAST_DATE:%Y-%m-%d}, the last date its files can "
                         "hold; give an earlier date")
    if compress is None:
        return
    longest = LONGEST / dt.timedelta(hours=1)
    hours = (to_day - from_day + 1) / compress + spacing * injects / 60  # N days an hour
    if hours > longest:
        raise ValueError(f"compress {compress:g}: days {from_day}-{to_day} would take "
                         f"{hours / 24 / 365:,.0f} years of exercise time; give a larger "
                         "number of scenario days per exercise hour")
    if start is not None and start > LAST_DATE - dt.timedelta(hours=hours):
        raise ValueError(f"start {start:%Y-%m-%dT%H:%M} with compress {compress:g}: the "
                         f"exercise would end after {LAST_DATE:%Y-%m-%d}, the last date its "
                         "files can hold; give an earlier date")


def build_msel(result: RunResult | str | Path, lang: str = "sv", rules: Rules = None,
               replication: int | None = None, typical: bool = False,
               max_injects: int | None = None,
               start: dt.datetime | dt.date | str | None = None,
               compress: float | None = None,
               regions: list[str] | tuple[str, ...] | None = None,
               baseline: BaselineArg = None,
               tolerance_days: int = TOLERANCE_DAYS) -> Msel:
    """Make the MSEL of one replication of a run (see `sim.injects.injects`)."""
    loaded = as_rules(rules)
    lang = loaded.language(lang)
    start_at, timed = parse_start(start)
    if compress is not None and not (math.isfinite(compress) and compress > 0):
        raise ValueError(f"compress {compress}: scenario days per exercise hour must be a "
                         "number above 0")
    if max_injects is not None and max_injects < 1:
        raise ValueError(f"max_injects {max_injects}: keep at least 1 inject")
    if not (isinstance(tolerance_days, int) and tolerance_days >= 0):
        raise ValueError(f"tolerance {tolerance_days}: days must be a whole number, 0 or more")
    run = result if isinstance(result, RunResult) else read_results(result)
    scenario = run.scenario
    _check_names(loaded, scenario, regions)
    choice = choose_replication(run, replication, typical)
    events = run.events[run.events["replication"] == choice.replication]
    kpis = run.kpis[run.kpis["replication"] == choice.replication]
    from_day = loaded.window.from_day
    from_day = scenario.warmup_days if from_day is None else from_day
    to_day = loaded.window.to_day
    to_day = scenario.horizon_days - 1 if to_day is None else to_day
    where = f" of {loaded.file}" if loaded.file else ""
    if from_day > to_day:
        raise ValueError(f"window: from_day {from_day} is after to_day {to_day} (rules "
                         f"window{where})")
    if not to_day < scenario.horizon_days:
        raise ValueError(f"window: days {from_day}-{to_day} are not within the run's days "
                         f"0-{scenario.horizon_days - 1} (rules window{where})")
    triggers = find_triggers(events, scenario, kpis, from_day, to_day)
    scope = _scope(scenario, regions)
    if scope is not None:
        node_kind = triggers["node"].notna()
        # A region-wide rationing rule has a region but no node: kept in its own region only.
        elsewhere = ~node_kind & triggers["region"].notna() & ~triggers["region"].isin(
            list(regions or ()))
        keep = (~node_kind & ~elsewhere) | triggers["node"].isin(scope)
        triggers = triggers[keep].reset_index(drop=True)
    compared = _baseline(baseline, run, choice.replication, tolerance_days)
    crisis = triggers
    if compared is not None:
        # Selection sees the crisis's own triggers; the renderer all of them (running totals
        # count every admission postponed), by their row labels.
        crisis, nearest = difference(triggers, occurrences(compared.events, scenario),
                                     tolerance_days)
        triggers = triggers.assign(baseline_day=nearest.reindex(triggers.index))
        compared = replace(compared, dropped=len(triggers) - len(crisis),
                           compared=len(triggers))
    selected = select_injects(crisis, loaded, scenario, max_injects)
    windows = disruption_windows(events, scenario)
    schedule = loaded.schedule
    if start_at is not None and not timed:
        # A date alone: the exercise starts on that date at the schedule's day start.
        start_at = dt.datetime.combine(start_at.date(), dt.time.fromisoformat(schedule.day_start))
    day_start = (start_at.hour * 60 + start_at.minute if start_at is not None
                 else _minutes(schedule.day_start))
    day_end = _minutes(schedule.day_end)
    if day_end <= day_start:  # a late start: squeeze each day's injects in before midnight
        day_end = 24 * 60
    check_time_range(start_at, compress, from_day, to_day, len(selected),
                     schedule.exercise_spacing_minutes)
    timing = Timing(from_day, day_start, day_end, schedule.spacing_minutes, start_at, compress,
                    schedule.exercise_spacing_minutes)
    words = Words(lang, loaded.labels[lang], loaded, scenario, from_day, start_at)
    renderer = Renderer(loaded, words, triggers, windows, scope)
    table = render(selected, renderer, timing, choice.replication)
    return Msel(table=table, rules=loaded, lang=lang, scenario=scenario, seed=run.seed,
                replication=choice.replication, choice=choice.reason, typical=choice.typical,
                events=len(events), triggers=len(crisis), from_day=from_day, to_day=to_day,
                windows=windows, start=start_at, compress=compress, regions=tuple(regions or ()),
                baseline=compared)


def _baseline(baseline: BaselineArg, run: RunResult, replication: int,
              tolerance: int) -> Baseline | None:
    """The run to compare against, with that replication's events (None: no comparison)."""
    scenario = run.scenario
    if baseline is False:
        return None
    if baseline is None or baseline is True:
        if not scenario.disruptions:
            # The scenario without its disruptions is the scenario itself, and with the same
            # seed and replication its run is this run, event for event: everything in it is
            # normal operations (the baseline's own MSEL is empty but for countermeasures).
            # Its events serve as the baseline instead of a second, identical run.
            return Baseline(run.events[run.events["replication"] == replication],
                            f"the run itself: scenario '{scenario.name}' has no disruptions, "
                            f"so it is normal operations (seed {run.seed}, replication "
                            f"{replication}; --no-baseline lists its triggers)", tolerance)
        base = run_without_crisis(scenario, run.seed, replication)
        n = len(scenario.disruptions)
        description = (f"the same scenario without its {n} disruption{'s' * (n != 1)} "
                       f"(seed {run.seed}, replication {replication})")
        return Baseline(base.events, description, tolerance)
    base = baseline if isinstance(baseline, RunResult) else read_results(baseline)
    if base.seed != run.seed:
        raise ValueError(f"baseline seed {base.seed} differs from the run's seed {run.seed}: "
                         "the comparison needs the same random numbers; run the baseline "
                         f"with --seed {run.seed}")
    present = set(base.events["replication"].unique()) | set(base.kpis["replication"].unique())
    if replication not in present:
        raise ValueError(f"replication {replication} is not in the baseline run (it has "
                         f"{len(present)}); run it with --replications {replication + 1} or "
                         "more")
    name = base.scenario.name if isinstance(baseline, RunResult) else str(baseline)
    return Baseline(base.events[base.events["replication"] == replication],
                    f"{name} (seed {base.seed}, replication {replication})", tolerance)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _check_names(rules: RulesFile, scenario: Scenario, regions: Any) -> None:
    """Check the rules and regions against the scenario, or raise a ValueError.

    Names must exist (a typo would silently match nothing), and days-of-supply thresholds must
    be ones the run recorded.
    """
    known = {
        "regions": {n.region for n in scenario.nodes},
        "nodes": {n.id for n in scenario.nodes},
        "groups": {p.group for p in scenario.products.values()},
        "products": set(scenario.products),
    }
    unknown = [f"unknown region '{wanted}'{did_you_mean(wanted, known['regions'])} "
               f"(scenario '{scenario.name}' has regions {', '.join(sorted(known['regions']))})"
               for wanted in regions or () if wanted not in known["regions"]]
    if unknown:
        raise ValueError("; ".join(unknown))
    problems = []
    recorded = [float(t) for t in scenario.reporting.dos_thresholds]
    for rule_id, rule in rules.enabled_rules():
        for part, where in ((rule.when, "when"), (rule.when.unless, "when.unless")):
            if part is None:
                continue
            for key, names in known.items():
                for name in getattr(part, key) or ():
                    if name not in names:
                        problems.append(f"rules.{rule_id}.{where}.{key}: '{name}' is not in "
                                        f"scenario '{scenario.name}'{did_you_mean(name, names)}")
        rationing = [r.name or f"rationing#{i}" for i, r in enumerate(scenario.rationing)]
        for name in rule.when.rationing or ():
            if name not in rationing:
                listed = f" (it has {', '.join(rationing)})" if rationing else (
                    " (it has no rationing rules)")
                problems.append(f"rules.{rule_id}.when.rationing: '{name}' is not a rationing "
                                f"rule of scenario '{scenario.name}'"
                                f"{did_you_mean(name, rationing)}{listed}")
        measures = [c.name for c in scenario.countermeasures]
        for name in rule.when.countermeasures or ():
            if name not in measures:
                listed = f" (it has {', '.join(measures)})" if measures else (
                    " (it has no countermeasures)")
                problems.append(f"rules.{rule_id}.when.countermeasures: '{name}' is not a "
                                f"countermeasure of scenario '{scenario.name}'"
                                f"{did_you_mean(name, measures)}{listed}")
        if rule.when.kind in DOS_KINDS and rule.when.thresholds is not None:
            for threshold in rule.when.thresholds:
                if float(threshold) not in recorded:
                    problems.append(
                        f"rules.{rule_id}.when.thresholds: {threshold:g} days was not recorded "
                        f"in this run (reporting.dos_thresholds: "
                        f"{', '.join(f'{t:g}' for t in recorded)}); run the scenario again "
                        f"with --set 'reporting.dos_thresholds=[...]' to record it")
    if problems:
        where = f" ({rules.file})" if rules.file else ""
        raise ValueError(f"the rules{where} do not fit this run:\n  - " + "\n  - ".join(problems))


def _scope(scenario: Scenario, regions: Any) -> set[str] | None:
    """Nodes in the regions, and the suppliers that deliver to them (None: everywhere)."""
    if not regions:
        return None
    wanted = set(regions)
    inside = {n.id for n in scenario.nodes if n.region in wanted}
    suppliers = {lane.from_ for lane in scenario.lanes if lane.to in inside}
    return inside | suppliers
