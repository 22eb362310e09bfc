"""Variants of a scenario: a grid of sweeps, named variants, and their validation.

Every variant is validated against the scenario before anything runs, so an unknown path or a
value of the wrong type is reported at once, with the override that caused it.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.scenario import Problem, Scenario, ScenarioError
from sim.scenario.load import apply_overrides, parse_set

FORBIDDEN = {"seed": "the batch has one seed for all variants (common random numbers); "
                     "use --seed to change it"}


MAX_VARIANTS = 10_000
"""Variants in one batch (named variants x every combination of the sweep): each is validated
before anything runs (a few ms each) and gets its own row in the plan; a grid of three keys of
1,000 values (1e9 variants) would never finish being built."""
MAX_RUNS = 1_000_000
"""Variants x replications in one batch."""


def grid_size(sweep: Mapping[str, Sequence[Any]] | None, variants: int = 0) -> int:
    """How many variants `grid` would make, counted without building them."""
    size = max(variants, 1)
    for values in (sweep or {}).values():
        size *= len(values)
    return size


def check_grid_size(sweep: Mapping[str, Sequence[Any]] | None, variants: int = 0,
                    replications: int = 1) -> None:
    """ValueError when the grid is over MAX_VARIANTS, or its runs over MAX_RUNS."""
    size = grid_size(sweep, variants)
    lengths = " x ".join(str(len(v)) for v in (sweep or {}).values())
    what = f"{size:,} variants" + (f" ({lengths} sweep values" + (
        f" x {variants} named variants)" if variants > 1 else ")") if lengths else "")
    if size > MAX_VARIANTS:
        raise ValueError(f"the batch would have {what}; the limit is {MAX_VARIANTS:,} "
                         "(docs/input.md): sweep fewer values, or split the batch")
    if size * replications > MAX_RUNS:
        raise ValueError(f"the batch would have {what} x {replications:,} replications = "
                         f"{size * replications:,} runs; the limit is {MAX_RUNS:,} "
                         "(docs/input.md): fewer replications or fewer variants")


@dataclass(frozen=True)
class Variant:
    """One scenario variant: a name and the dotted-path overrides that make it."""

    name: str
    overrides: dict[str, Any] = field(default_factory=dict)


def split_values(raw: str) -> list[str]:
    """'7,14,[1, 2]' -> ['7', '14', '[1, 2]']: commas inside brackets or quotes do not split."""
    parts, depth, quote, current = [], 0, "", []
    for ch in raw:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_sweep(assignments: Sequence[str]) -> dict[str, list[Any]]:
    """`['a.b=7,14', 'c=30,90']` -> `{'a.b': [7, 14], 'c': [30, 90]}` (values read as YAML)."""
    sweep: dict[str, list[Any]] = {}
    for assignment in assignments:
        if "=" not in assignment:
            raise ValueError(f"--sweep '{assignment}': expected path.to.key=value1,value2,...")
        key, raw = _split_assignment(assignment)
        if key in sweep:
            raise ValueError(f"--sweep '{key}' is given twice; list all its values in one")
        values = [parse_set(f"{key}={v}", "--sweep")[1] for v in split_values(raw)]
        if not values or any(v == "" for v in values):
            raise ValueError(f"--sweep '{assignment}': an empty value")
        sweep[key] = values
    return sweep


def _split_assignment(assignment: str) -> tuple[str, str]:
    """'a[x=1].b=3' -> ('a[x=1].b', '3'): the first '=' outside brackets splits."""
    depth = 0
    for i, ch in enumerate(assignment):
        depth += ch == "["
        depth -= ch == "]"
        if ch == "=" and depth == 0:
            return assignment[:i].strip(), assignment[i + 1 :]
    return assignment.strip(), ""


def linked_paths(key: str) -> list[str]:
    """The paths of a sweep key: one, or several linked ('a.b, c.d' moves a.b and c.d together)."""
    return [p for p in split_values(key) if p]


def parse_link(assignments: Sequence[str]) -> dict[str, list[Any]]:
    """`['a,b,c=30/20/35,45/30/50']` -> `{'a,b,c': [[30, 20, 35], [45, 30, 50]]}`.

    Linked paths move together: the first values of each, then the second, never crossed.
    """
    sweep: dict[str, list[Any]] = {}
    for assignment in assignments:
        key, raw = _split_assignment(assignment)
        paths = linked_paths(key)
        if "=" not in assignment or len(paths) < 2 or not raw.strip():
            raise ValueError(f"--link '{assignment}': expected path1,path2,...=a1/a2/...,b1/b2/..."
                             " (two or more paths, one value per path in each step)")
        steps = []
        for step in split_values(raw):
            values = [parse_set(f"{key}={v}", "--link")[1] for v in step.split("/")]
            if len(values) != len(paths) or any(v == "" for v in values):
                raise ValueError(f"--link '{assignment}': '{step}' has {len(values)} value(s) "
                                 f"for {len(paths)} paths; write one per path, separated by /")
            steps.append(values)
        sweep[", ".join(paths)] = steps
    return sweep


def sweep_paths(sweep: Mapping[str, Sequence[Any]]) -> list[str]:
    """Every path a sweep sets (linked keys split into their paths)."""
    return [p for key in sweep for p in linked_paths(key)]


def _segments(path: str) -> list[str]:
    """A path's parts as written: 'policies[hp].policy.x' -> ['policies', 'hp', 'policy', 'x']."""
    return [s for s in path.replace("[", ".").replace("]", "").split(".") if s]


def _labels(path: str) -> list[str]:
    """Ways to name a path, shortest first.

    Its last part, a named or numbered item with the last part, then longer and longer tails.
    """
    parts = _segments(path)
    out = [parts[-1]]
    out += [f"{parts[i]}.{parts[-1]}" for i in range(len(parts) - 2, -1, -1)]
    out += [".".join(parts[-cut:]) for cut in range(2, len(parts) + 1)]
    return [*dict.fromkeys(out), path]


def _short_keys(paths: Sequence[str]) -> dict[str, str]:
    """The shortest name of each path that tells it apart from the others.

    A named rule keeps its name: `policies[hp_fluids].policy.target_days` beside
    `policies[ward].policy.target_days` reads `hp_fluids.target_days`.
    """
    labels = {path: _labels(path) for path in paths}
    out = {}
    for path in paths:
        others = [set(v) for p, v in labels.items() if p != path]
        out[path] = next((c for c in labels[path] if not any(c in o for o in others)), path)
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _steps(key: str, values: Sequence[Any]) -> list[dict[str, Any]]:
    """A sweep key's values as override dicts, one per step (linked keys set several paths)."""
    paths = linked_paths(key)
    if len(paths) == 1:
        return [{paths[0]: v} for v in values]
    out = []
    for step in values:
        if not isinstance(step, (list, tuple)) or len(step) != len(paths):
            raise ValueError(f"linked sweep '{key}': each value must list {len(paths)} values, "
                             f"one per path, e.g. [{', '.join('…' for _ in paths)}]; got {step!r}")
        out.append(dict(zip(paths, step, strict=True)))
    return out


def grid(
    sweep: Mapping[str, Sequence[Any]] | None = None,
    variants: Sequence[Variant] | None = None,
) -> list[Variant]:
    """Named variants (or one unnamed base) crossed with every combination of the sweep.

    A sweep key naming several paths, comma-separated, is a linked sweep: its values are lists
    with one value per path, and those paths move together instead of being crossed.
    """
    base = list(variants) if variants else [Variant("base")]
    sweep = dict(sweep or {})
    if not sweep:
        return base
    check_grid_size(sweep, len(base))
    paths = sweep_paths(sweep)
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} is swept twice; sweep each path once")
    for variant in base:
        clash = sorted(set(variant.overrides) & set(paths))
        if clash:
            raise ValueError(f"variant '{variant.name}' sets {', '.join(clash)}, which is also "
                             "swept; set it in the variant or sweep it, not both")
    short = _short_keys(paths)
    axes = [_steps(key, values) for key, values in sweep.items()]
    out = []
    for variant in base:
        for combo in itertools.product(*axes):
            overrides = dict(variant.overrides)
            words = []
            for step in combo:
                overrides.update(step)
                words.append("/".join(short[k] for k in step) + "="
                             + "/".join(_fmt(v) for v in step.values()))
            label = " ".join(words)
            name = label if not variants else f"{variant.name} {label}"
            out.append(Variant(name, overrides))
    return out


def resolve(scenario: Scenario, variants: Sequence[Variant],
            label: Callable[[Variant], str] = lambda v: "--sweep") -> list[Scenario]:
    """Each variant as a validated scenario; every problem in every variant in one error.

    `label(variant)` says where an override came from in messages (`--sweep`, a batch file).
    The same mistake in several variants of a grid is reported once.
    """
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    names = [v.name for v in variants]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(Problem("", f"two variants are named '{name}'", "batch"))
    out = []
    for variant in variants:
        found = [Problem(key, f"cannot vary '{key}': {why}", label(variant))
                 for key, why in FORBIDDEN.items() if key in variant.overrides]
        if not found:
            try:
                out.append(apply_overrides(scenario, variant.overrides, label(variant)))
            except ScenarioError as exc:
                # A problem the overrides did not point at (a cross-field check such as
                # warm-up below horizon) still needs to say which variant has it.
                where = label(variant)
                found = [p if (p.file or "").startswith(where) else
                         Problem(p.path, f"{p.message} (in variant '{variant.name}')", p.file,
                                 p.line)
                         for p in exc.problems]
        for p in found:
            if (p.path, p.message) not in seen:
                seen.add((p.path, p.message))
                problems.append(p)
    if problems:
        raise ScenarioError(problems, getattr(scenario.source, "file", None) or scenario.name)
    return out
