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
        key, raw = assignment.split("=", 1)
        key = key.strip()
        if key in sweep:
            raise ValueError(f"--sweep '{key}' is given twice; list all its values in one")
        values = [parse_set(f"{key}={v}")[1] for v in split_values(raw)]
        if not values or any(v == "" for v in values):
            raise ValueError(f"--sweep '{assignment}': an empty value")
        sweep[key] = values
    return sweep


def _short_keys(paths: Sequence[str]) -> dict[str, str]:
    """The shortest dotted suffix of each path that tells it apart from the others."""
    out = {}
    for path in paths:
        parts = path.split(".")
        for cut in range(1, len(parts) + 1):
            suffix = ".".join(parts[-cut:])
            if not any(o != path and (o == suffix or o.endswith("." + suffix)) for o in paths):
                break
        out[path] = suffix
    return out


def _fmt(value: Any) -> str:
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def grid(
    sweep: Mapping[str, Sequence[Any]] | None = None,
    variants: Sequence[Variant] | None = None,
) -> list[Variant]:
    """Named variants (or one unnamed base) crossed with every combination of the sweep."""
    base = list(variants) if variants else [Variant("base")]
    sweep = dict(sweep or {})
    if not sweep:
        return base
    for variant in base:
        clash = sorted(set(variant.overrides) & set(sweep))
        if clash:
            raise ValueError(f"variant '{variant.name}' sets {', '.join(clash)}, which is also "
                             "swept; set it in the variant or sweep it, not both")
    short = _short_keys(list(sweep))
    out = []
    for variant in base:
        for combo in itertools.product(*sweep.values()):
            overrides = dict(variant.overrides)
            overrides.update(zip(sweep, combo, strict=True))
            label = " ".join(f"{short[k]}={_fmt(v)}" for k, v in zip(sweep, combo, strict=True))
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
