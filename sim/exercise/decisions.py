"""Players' decisions: read from YAML or `key=value` text, checked, stamped, applied.

A decision is a countermeasure (an item of a scenario's `countermeasures:`, with its `type`)
or a rationing rule (an item of `rationing:`, given with `type: rationing`). It is taken at a
decision point, the exercise's current day `d`, and acts from that day:

- a countermeasure without a trigger gets `on_day: d`; an `on_day` before `d` is refused; a
  `when` or `after` trigger is kept with `not_before_day: d`, so it is looked at from `d` on
  (a condition that already held fires on `d`);
- a rationing rule gets `from_day: d`: it is looked at from `d` on.
The exercise still checks that the days already run are unchanged (`sim.exercise.compare`),
which now only a production conversion of a product new to the node can fail (it adds lanes'
products from day 0).

Decisions are applied by appending them, in the order taken, to the scenario's lists: the
scenario, the seed and the decision log give the whole exercise again.
"""

from __future__ import annotations

import copy
import re
import shlex
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.scenario import countermeasures as cm
from sim.scenario.errors import Problem, ScenarioError, did_you_mean, short, yaml_path
from sim.scenario.limits import LimitExceeded, load_yaml, read_text

RATIONING = "rationing"
"""The `type` that marks a decision as a rationing rule (the scenario's `rationing:` items
have no type of their own)."""
TRIGGERS = ("on_day", "when", "after")
DEFAULT_NAMES = {"sv": "Beslut", "nb": "Beslutning", "en": "Decision"}
"""Decisions without a name are called this and their number ("Beslut 2"): events, injects
and the review name them."""


def countermeasure_types() -> tuple[str, ...]:
    """The `type` values of the scenario's countermeasures, in the schema's order."""
    union = typing.get_args(typing.get_args(cm.Countermeasure)[0])
    return tuple(typing.get_args(model.model_fields["type"].annotation)[0] for model in union)


def decision_types() -> tuple[str, ...]:
    """Every `type` a decision can have: the countermeasures' and `rationing`."""
    return (*countermeasure_types(), RATIONING)


@dataclass(frozen=True)
class Decision:
    """One decision as logged: what was given, what is applied, and when it was taken."""

    number: int
    """1, 2, ... in the order taken."""
    day: int
    """The scenario day it was taken at (a decision point); it acts from this day."""
    kind: str
    """`countermeasure` or `rationing`."""
    item: dict[str, Any]
    """The scenario item applied: a `countermeasures:` or `rationing:` entry (no `type` for
    rationing)."""
    given: str = ""
    """The text or YAML as the controller entered it."""
    entered: str = ""
    """Wall-clock time it was entered (UTC, ISO 8601): for the after-action review only."""
    exercise_elapsed: str | None = None
    """Exercise time since the start (H:MM), with `compress`."""
    exercise_time: str | None = None
    """The exercise clock (date and time), with `start` and `compress`."""
    scenario_date: str | None = None
    """The scenario date of `day`, with `start`."""

    @property
    def name(self) -> str:
        """The decision's name (events and injects use it)."""
        return str(self.item["name"])

    def record(self) -> dict[str, Any]:
        """The decision as a plain mapping for the log (empty time stamps left out)."""
        out: dict[str, Any] = {"number": self.number, "day": self.day}
        for key in ("scenario_date", "exercise_elapsed", "exercise_time"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        out.update(entered=self.entered, kind=self.kind, given=self.given, item=self.item)
        return out


def parse_text(text: str, label: str = "decision") -> list[dict[str, Any]]:
    """Decisions from YAML or from `key=value` words.

    YAML: `{type: redistribution, within: region, ...}`, a mapping or a list of them; words:
    `redistribution within=region below_days=2 match.role=[ward]`. A text is YAML when it
    starts with `{`, `-` or `key:`, or has several lines. In the word form the first word
    without `=` is the type; dotted keys make nested mappings; values are read as YAML
    scalars, `[a, b]` lists or `{k: v}` mappings (anything else is text). Raises a
    ScenarioError naming `label` when the text cannot be read.
    """
    stripped = text.strip()
    if not stripped:
        raise _error(label, "", "no decision given; e.g. 'redistribution within=region "
                                "below_days=2 donor_floor_days=5'")
    if not (stripped.startswith(("{", "-")) or "\n" in stripped
            or re.match(r"[A-Za-z_][\w.-]*\s*:(\s|$)", stripped)):
        return [_from_words(stripped, label)]
    try:
        data, _ = load_yaml(stripped)
    except LimitExceeded as exc:
        raise _error(label, "", exc.message) from None
    except yaml.YAMLError as exc:
        what = getattr(exc, "problem", None) or str(exc)
        raise _error(label, "", f"not valid YAML: {what}") from None
    return _items(data, label)


def _items(data: Any, label: str) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else [data]
    if not items or not all(isinstance(i, dict) for i in items):
        raise _error(label, "", "expected a decision (a mapping with a 'type') or a list of "
                                f"them, got {type(data).__name__}")
    return items


def _from_words(text: str, label: str) -> dict[str, Any]:
    try:
        words = shlex.split(text)
    except ValueError as exc:  # an unclosed quote
        raise _error(label, "", f"cannot split the words: {exc}") from None
    out: dict[str, Any] = {}
    given: set[str] = set()
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            if "type" in out:
                raise _error(label, "", f"'{word}' is not key=value (the type is already "
                                        f"'{out['type']}'); quote values with spaces")
            out["type"] = word
            continue
        key = key.strip()
        if not key or any(not part for part in key.split(".")):
            raise _error(label, "", f"'{word}': expected key=value, e.g. below_days=2")
        if key in given:
            raise _error(label, key, "given twice")
        given.add(key)
        parsed = _value(value)
        target = out
        parts = key.split(".")
        for depth, part in enumerate(parts[:-1]):
            nxt = target.setdefault(part, {})
            if not isinstance(nxt, dict):
                raise _error(label, ".".join(parts[: depth + 1]), "has a value and keys below it")
            target = nxt
        if isinstance(target.get(parts[-1]), dict):
            raise _error(label, key, "has keys below it and a value")
        target[parts[-1]] = parsed
    return out


def _value(value: str) -> Any:
    """A word's value: a YAML scalar, or a `[...]` list or `{...}` mapping; else the text.

    `name=Omfördelning: Skåne` stays text (YAML would read a mapping from it).
    """
    try:
        parsed, _ = load_yaml(value) if value.strip() else (None, None)
    except (yaml.YAMLError, LimitExceeded):
        return value
    if isinstance(parsed, dict | list) and not value.lstrip().startswith(("{", "[")):
        return value
    return parsed


def read_file(file: Path) -> list[dict[str, Any]]:
    """The decisions in a YAML file: one mapping, or a list of them."""
    name = str(file)
    text = read_text(file, what="decision file")
    try:
        data, _ = load_yaml(text)
    except LimitExceeded as exc:
        raise ScenarioError([Problem("", exc.message, name, exc.line)], name) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem("", f"not valid YAML: {what}", name,
                                     mark.line + 1 if mark else None)], name) from None
    return _items(data, name)


def prepare(given: dict[str, Any], day: int, number: int, lang: str, taken: list[str],
            label: str) -> tuple[str, dict[str, Any]]:
    """(kind, scenario item) for a decision taken on `day`, or a ScenarioError.

    Checks what only the exercise knows (the type, the name is new, the day is not in the
    past); the scenario's own checks run when the decision is applied. `taken` are the names
    in use (the scenario's countermeasures and rationing rules, earlier decisions).
    """
    item = copy.deepcopy(given)
    kind_ = item.pop("type", None)
    types = decision_types()
    if kind_ is None:
        raise _error(label, "type", f"missing: say what the decision is, one of "
                                    f"{', '.join(types)}")
    if kind_ not in types:
        raise _error(label, "type", f"unknown type {short(kind_)}"
                                    f"{did_you_mean(str(kind_), types)} (types: "
                                    f"{', '.join(types)})")
    name = item.get("name")
    if name is None:
        name = f"{DEFAULT_NAMES.get(lang, DEFAULT_NAMES['en'])} {number}"
        while name in taken:  # a scenario item that already has the default name
            name += "'"
    elif not isinstance(name, str) or not name.strip():
        raise _error(label, "name", f"expected a name (text), got {short(name)}")
    elif name in taken:
        raise _error(label, "name", f"'{name}' is already the name of a countermeasure, "
                                    "rationing rule or earlier decision; events and injects "
                                    "tell them apart by name: choose another")
    if kind_ == RATIONING:
        return RATIONING, {"name": name, **{k: v for k, v in item.items() if k != "name"},
                           "from_day": day}
    out: dict[str, Any] = {"type": kind_, "name": name}
    if not any(item.get(t) is not None for t in TRIGGERS):
        out["on_day"] = day  # no trigger: the decision acts from the day it is taken
    elif item.get("on_day") is None:
        out["not_before_day"] = day  # a when or after trigger: looked at from today
    on_day = item.get("on_day")
    if isinstance(on_day, int) and not isinstance(on_day, bool) and on_day < day:
        raise _error(label, "on_day", f"day {on_day} is before the day the decision is taken "
                                      f"(day {day}): a decision cannot act in the past; leave "
                                      "on_day out to act from today")
    until = item.get("until_day")
    if isinstance(until, int) and not isinstance(until, bool) and until <= day:
        raise _error(label, "until_day", f"day {until} is not after the day the decision is "
                                         f"taken (day {day}): it would never act")
    out.update((k, v) for k, v in item.items() if k != "name")
    return "countermeasure", out


def scenario_data(base: dict[str, Any], decisions: list[Decision],
                  horizon: int | None = None) -> dict[str, Any]:
    """The base scenario's data with the decisions appended to its lists, in order.

    `horizon` sets `horizon_days` (the exercise runs the days up to its current day).
    """
    data = copy.deepcopy(base)
    measures = list(data.get("countermeasures") or [])
    rules = list(data.get("rationing") or [])
    for d in decisions:
        (rules if d.kind == RATIONING else measures).append(copy.deepcopy(d.item))
    data["countermeasures"] = measures
    data["rationing"] = rules
    if horizon is not None:
        data["horizon_days"] = horizon
    return data


def item_path(base: dict[str, Any], decisions: list[Decision], index: int) -> tuple[str, int]:
    """Where decision `index` lands: ('countermeasures', k) or ('rationing', k)."""
    kind_ = decisions[index].kind
    key = "rationing" if kind_ == RATIONING else "countermeasures"
    before = sum(1 for d in decisions[:index] if d.kind == kind_)
    return key, len(base.get(key) or []) + before


def relabel(exc: ScenarioError, at: tuple[str, int], label: str) -> ScenarioError:
    """The scenario's problems about the decision at `at`, named by the decision's keys."""
    prefix = yaml_path(at)
    problems = []
    for p in exc.problems:
        if p.path == prefix or p.path.startswith((f"{prefix}.", f"{prefix}[")):
            rest = p.path[len(prefix):].lstrip(".")
            problems.append(Problem(rest, p.message, label))
        else:
            problems.append(p)
    return ScenarioError(problems, label)


def _error(label: str, path: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(path, message, label)], label)


__all__ = [
    "RATIONING",
    "Decision",
    "countermeasure_types",
    "decision_types",
    "item_path",
    "parse_text",
    "prepare",
    "read_file",
    "relabel",
    "scenario_data",
]
