"""Limits on untrusted input: YAML that cannot hang, exhaust memory or overflow the engine.

Scenario, rules and batch files are exchanged between regions and agencies, so the reader
assumes the worst. A file is read in bounded bytes; before anything is composed, one pass over
the YAML event stream counts every node, aliases at their expanded size, so an alias bomb (a
few hundred bytes that expand to billions of nodes) stops after `MAX_NODES` nodes, not after
gigabytes. Depth, string length and collection length are bounded the same way. The numbers of
a validated document are then checked against what the engine can count exactly
(:func:`number_problems`). docs/input.md lists every limit and why it has the value it has.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from sim.scenario.errors import Problem, ScenarioError, yaml_path

MAX_FILE_BYTES = 2 * 1024 * 1024
"""A YAML file (scenario, rules, batch): 36x the largest shipped one (the inject rules, 56 kB)."""
MAX_NODES = 100_000
"""YAML nodes in one file, an alias counted at the size of what it repeats: 35x the Swedish
reference network's 2,900, and what this machine composes in well under a second."""
MAX_DEPTH = 32
"""Nesting of mappings and lists; the deepest shipped file nests 7 levels."""
MAX_STRING = 20_000
"""Characters in one string: an inject template is a few hundred."""
MAX_ITEMS = 50_000
"""Entries in one list or mapping."""
MAX_CSV_BYTES = 16 * 1024 * 1024
"""A CSV table: 200x the Swedish lane table."""
MAX_CSV_ROWS = 100_000
"""Rows in one CSV table (the Swedish reference network has 709 lanes)."""
MAX_QUANTITY = 1e10
"""Units: any stated quantity, and the whole scenario's demand a day after scaling and surges.
With days of supply at most `MAX_SUPPLY_DAYS`, no stock exceeds 3.7e13, 1/30 of the engine's
2**50 for unlimited stock, and a century of daily flows (3.7e14) stays far inside int64."""
MAX_DAYS = 36_500
"""Any number of days (horizon, lead time, window, start, duration): a century."""
MAX_SUPPLY_DAYS = 3_650
"""Days of supply (initial_days, reorder_days, target_days): ten years of normal demand."""
MAX_SEED = 2**64 - 1
"""Seeds are non-negative and at most 64 bits (what numpy's SeedSequence is given by users)."""

# libyaml when present: parsing and composing at C speed; the limits are checked on the event
# stream first, so nothing is composed or constructed before the whole document passed them.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class LimitExceeded(yaml.YAMLError):
    """A YAML document broke one of the limits; `line` says where."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.message = message
        self.line = mark.line + 1 if mark is not None else None


_OPEN = (SequenceStartEvent, MappingStartEvent)
_CLOSE = (SequenceEndEvent, MappingEndEvent)


def _too_many(mark: Any) -> LimitExceeded:
    return LimitExceeded(
        f"more than {MAX_NODES:,} YAML values (an alias counts at the size of what it "
        "repeats): too big for a scenario, or an alias expansion bomb", mark)


def check_events(text: str) -> None:
    """Walk the YAML event stream once and raise LimitExceeded at the first limit broken.

    Sizes are counted as the document would be expanded: an alias adds the size of the node
    its anchor names, so repeated aliases of aliases (the "billion laughs") are caught while
    the stream is still a few hundred events long.
    """
    count = 0
    stack: list[list[Any]] = []  # per open collection: [count at its start, anchor, mark, items]
    sizes: dict[str, int] = {}  # anchor -> expanded size of the node it names
    opened: set[str] = set()  # anchors of collections not yet closed
    for event in yaml.parse(text, Loader=_Loader):
        kind = type(event)
        if kind is ScalarEvent:
            if len(event.value) > MAX_STRING:
                raise LimitExceeded(f"a value of {len(event.value):,} characters (at most "
                                    f"{MAX_STRING:,})", event.start_mark)
            count += 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
        elif kind is AliasEvent:
            if event.anchor in opened:
                raise LimitExceeded(f"alias *{event.anchor} repeats the list or mapping it is "
                                    "inside (a recursive alias)", event.start_mark)
            count += sizes.get(event.anchor, 1)  # an undefined alias: the composer says so
        elif kind in _OPEN:
            count += 1
            if stack:
                stack[-1][3] += 1
            stack.append([count - 1, event.anchor, event.start_mark, 0])
            if len(stack) > MAX_DEPTH:
                raise LimitExceeded(f"nested more than {MAX_DEPTH} levels deep",
                                    event.start_mark)
            if event.anchor is not None:
                opened.add(event.anchor)
            continue
        elif kind in _CLOSE:
            start, anchor, mark, items = stack.pop()
            if kind is MappingEndEvent:
                items //= 2
            if items > MAX_ITEMS:
                raise LimitExceeded(f"{items:,} entries in one list or mapping (at most "
                                    f"{MAX_ITEMS:,})", mark)
            if anchor is not None:
                sizes[anchor] = count - start
                opened.discard(anchor)
            continue
        else:
            continue
        if stack:
            stack[-1][3] += 1
        if count > MAX_NODES:
            raise _too_many(event.start_mark)


def read_text(file: Path, limit: int = MAX_FILE_BYTES, what: str = "file") -> str:
    """A text file's content, refused (ScenarioError) when too big, binary or not UTF-8.

    At most `limit` + 1 bytes are read, so a device or a pipe cannot exhaust memory.
    """
    name = str(file)
    try:
        with file.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise ScenarioError([Problem("", f"{what} not found", name)], name) from None
    except IsADirectoryError:
        raise ScenarioError([Problem("", f"is a folder, not a {what}", name)], name) from None
    except OSError as exc:
        raise ScenarioError([Problem("", f"cannot read: {exc.strerror or exc}", name)],
                            name) from None
    if len(raw) > limit:
        raise ScenarioError([Problem("", f"{what} is over {limit // 1024:,} kB; that is too "
                                         "big to be read safely (docs/input.md, limits)",
                                     name)], name)
    nul = raw.find(b"\x00")
    if nul >= 0:
        line = raw[:nul].count(b"\n") + 1
        hint = "; it looks like UTF-16: save it as UTF-8" if raw[:2] in (
            b"\xff\xfe", b"\xfe\xff") else ""
        raise ScenarioError([Problem("", f"binary data (a NUL byte), not a text {what}{hint}",
                                     name, line)], name)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(
            "", f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); save the file as UTF-8",
            name, line)], name) from None
    return text.removeprefix("\ufeff")  # a byte-order mark, as some editors write


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """Parse one YAML document within the limits: (data, root node), data None when empty.

    Raises yaml.YAMLError (LimitExceeded for a limit) with the position of the problem.
    """
    check_events(text)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise LimitExceeded(f"cannot read a value: {exc}", None) from None
    finally:
        loader.dispose()
    return data, node


# --- numbers --------------------------------------------------------------------------------


SUPPLY_DAYS = frozenset({"initial_days", "reorder_days", "target_days"})


def _is_days(path: tuple[str | int, ...]) -> bool:
    """Whether the number at `path` counts days (by the field names of the scenario language)."""
    for i, part in enumerate(path):
        if isinstance(part, str) and (part.endswith("_days") or
                                      part in ("start_day", "dos_thresholds")):
            return True
        if part == "points" and path[i + 2 : i + 3] == (0,):
            return True  # a profile point is [day, factor]
    return False


def _show(value: float) -> str:
    """A number for a message; a huge integer by its size (str() refuses 4,300+ digits)."""
    if isinstance(value, int) and abs(value) >= 10**15:
        return f"a number of {int(math.log10(abs(value))) + 1:,} digits"
    return f"{value:g}"


def number_problem(path: tuple[str | int, ...], value: float) -> str | None:
    """What is wrong with one number of a document at `path`, or None."""
    if isinstance(value, float) and math.isnan(value):
        return "not a number (.nan): give a number"
    if isinstance(value, float) and math.isinf(value):
        hint = ""
        if any(isinstance(p, str) and "capacity" in p for p in path):
            hint = "; for no limit leave the key out"
        return f"infinite (.inf): give a finite number{hint}"
    if path and path[-1] == "seed":
        if not 0 <= value <= MAX_SEED:
            return f"a seed is a whole number from 0 to 2**64 - 1 (got {_show(value)})"
        return None
    if path and path[-1] in SUPPLY_DAYS:
        if abs(value) > MAX_SUPPLY_DAYS:
            return (f"{_show(value)} days of supply is more than the limit of {MAX_SUPPLY_DAYS:,} "
                    "(ten years)")
        return None
    if _is_days(path):
        if abs(value) > MAX_DAYS:
            return f"{_show(value)} days is more than the limit of {MAX_DAYS:,} days (a century)"
        return None
    if abs(value) > MAX_QUANTITY:
        return (f"{_show(value)} is above the limit of {MAX_QUANTITY:g}: the engine counts units "
                "exactly in 64-bit integers (docs/input.md, numbers)")
    return None


def number_problems(value: Any, path: tuple[str | int, ...] = ()
                    ) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every number in a validated model (or plain data) that breaks a limit, with its path."""
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from number_problems(getattr(value, name), (*path, info.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from number_problems(item, (*path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from number_problems(item, (*path, i))
    elif isinstance(value, int | float) and not isinstance(value, bool):
        message = number_problem(path, value)
        if message:
            yield path, message


def demand_problems(scenario: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Demand that would add up past `MAX_QUANTITY` a day once scaled and surged.

    A bound, not the engine's exact flow: a rule counts once for every node (it may match them
    all), at the largest scale any node has, times every surge that could overlap.
    """
    nodes = scenario.nodes
    surge = 1.0
    for d in scenario.disruptions:
        if getattr(d, "type", None) == "demand_surge":
            surge *= max(1.0, d.factor)

    def largest(spec: Any) -> float:
        factors = [1.0, *(s.factor for s in spec.surges)]
        if spec.profile is not None:
            factors += [f for _, f in spec.profile.points]
        return max(factors) * surge

    total, biggest = 0.0, ((), 0.0)
    for i, node in enumerate(nodes):
        for product, spec in node.demand.items():
            scale = node.scale.get(spec.per, 1.0) if spec.per else 1.0
            amount = spec.mean_per_day * scale * largest(spec)
            total += amount
            if amount > biggest[1]:
                biggest = (("nodes", i, "demand", product, "mean_per_day"), amount)
    for i, rule in enumerate(scenario.demands):
        spec = rule.demand
        scale = max((n.scale.get(spec.per, 1.0) for n in nodes), default=1.0) if spec.per else 1
        amount = spec.mean_per_day * scale * largest(spec) * len(nodes)
        total += amount
        if amount > biggest[1]:
            biggest = (("demands", i, "demand", "mean_per_day"), amount)
    if total > MAX_QUANTITY:
        yield biggest[0], (
            f"demand could add up to {total:.3g} units a day (mean_per_day x scale x surge "
            f"factors, over the nodes it applies to); the limit is {MAX_QUANTITY:g} a day, so "
            "that stocks stay far below the engine's 2**50 (docs/input.md, numbers)")


def scenario_problems(scenario: Any, source: Any) -> list[Problem]:
    """Every number of a validated scenario the engine cannot count exactly, as Problems."""
    found = list(number_problems(scenario))
    if not found:
        found = list(demand_problems(scenario))
    if source is None:
        return [Problem(yaml_path(path), message) for path, message in found]
    return [source.problem(path, message) for path, message in found]


def check_scenario(scenario: Any) -> Any:
    """`scenario`, or a ScenarioError listing the numbers the engine cannot count exactly."""
    source = scenario.source
    problems = scenario_problems(scenario, source)
    if problems:
        raise ScenarioError(problems, getattr(source, "file", None))
    return scenario
