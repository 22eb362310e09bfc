"""Numbers the engine can count exactly: no .nan, no .inf, nothing near its int64 limits.

The engine keeps stock in 64-bit integers and stands in 2**50 for the stock of an unlimited
source. A demand of 1e30, a level of 2**63 or a lead time of .inf would overflow, wrap or
crash it (or, worse, give silently wrong results), so such numbers are refused while the
document is still raw data, before validation compiles the network: by the field they are
in (days, days of supply, seeds, quantities), and for demand, by what it could add up to once
scaled and surged. Text that pydantic would read as a number ('inf', '1e400') counts as one
where the scenario language expects a number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

Path_ = tuple[str | int, ...]

MAX_QUANTITY = 1e10
"""Units: any stated quantity, and the whole scenario's demand a day after scaling and surges.
With days of supply at most `MAX_SUPPLY_DAYS`, no stock exceeds 3.7e13, 1/30 of the engine's
2**50 for unlimited stock, and a century of daily flows (3.7e14) stays far inside int64."""
MAX_DAYS = 36_500
"""Any number of days (horizon, lead time, window, start, duration): a century."""
MAX_SUPPLY_DAYS = 3_650
"""Days of supply (initial_days, reorder_days, target_days): ten years of normal demand."""
MAX_SEED = 2**64 - 1
"""Seeds are non-negative and at most 64 bits."""
SUPPLY_DAYS = frozenset({"initial_days", "reorder_days", "target_days"})
_NUMERIC = re.compile(r"\b(float|int)\b")


def _numeric_keys() -> frozenset[str]:
    """Keys whose values the scenario language reads as numbers (from the schema itself)."""
    from sim.scenario.schema import Model

    keys: set[str] = set()
    todo: list[type] = [Model]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        for name, info in getattr(cls, "model_fields", {}).items():
            if _NUMERIC.search(repr(info.annotation)):
                keys.add(info.alias or name)
    return frozenset(keys)


def _is_days(path: Path_) -> bool:
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


def number_problem(path: Path_, value: float) -> str | None:
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
            return (f"{_show(value)} days of supply is more than the limit of "
                    f"{MAX_SUPPLY_DAYS:,} (ten years)")
        return None
    if _is_days(path):
        if abs(value) > MAX_DAYS:
            return f"{_show(value)} days is more than the limit of {MAX_DAYS:,} days (a century)"
        return None
    if abs(value) > MAX_QUANTITY:
        return (f"{_show(value)} is above the limit of {MAX_QUANTITY:g}: the engine counts "
                "units exactly in 64-bit integers (docs/input.md, numbers)")
    return None


def _as_number(text: str) -> float | None:
    try:
        return float(text)
    except (ValueError, OverflowError):
        return None


def number_problems(value: Any, path: Path_ = (), numeric: frozenset[str] | None = None
                    ) -> Iterator[tuple[Path_, str]]:
    """Every number in a document (plain data or a pydantic model) that breaks a limit.

    With `numeric` (keys read as numbers), text under such a key that reads as a number is
    checked as one: pydantic would take 'inf' or '1e400' for a float.
    """
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from number_problems(getattr(value, name), (*path, info.alias or name),
                                       numeric)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from number_problems(item, (*path, key), numeric)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from number_problems(item, (*path, i), numeric)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        message = number_problem(path, value)
        if message:
            yield path, message
    elif isinstance(value, str) and numeric and any(p in numeric for p in path):
        number = _as_number(value)
        message = number_problem(path, number) if number is not None else None
        if message:
            yield path, message


def _number(value: Any, default: float = 1.0) -> float:
    """A raw value as a float for the demand bound (anything odd: validation reports it)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    number = _as_number(str(value)) if isinstance(value, str) else float(value)
    return default if number is None or not math.isfinite(number) else number


def _items(value: Any) -> list:
    """A raw list, or [] for anything else (validation reports what it should have been)."""
    return value if isinstance(value, list) else []


def _surge(data: dict[str, Any]) -> float:
    """Every demand surge's factor multiplied: the most they could raise demand together."""
    surge = 1.0
    for d in _items(data.get("disruptions")):
        if isinstance(d, dict) and d.get("type") == "demand_surge":
            surge *= max(1.0, _number(d.get("factor")))
    return surge


def demand_problems(data: dict[str, Any]) -> Iterator[tuple[Path_, str]]:
    """Demand that could add up past `MAX_QUANTITY` a day once scaled and surged (raw data).

    A bound, not the engine's exact flow: a demand rule counts once for every node (it may
    match them all), at the largest scale any node has, times every surge that could overlap.
    """
    nodes = [n for n in _items(data.get("nodes")) if isinstance(n, dict)]
    surge = _surge(data)

    def amount(spec: Any, scales: list[dict]) -> float:
        if not isinstance(spec, dict):
            return 0.0
        per = spec.get("per") if isinstance(spec.get("per"), str) else None
        scale = max((_number(s.get(per)) for s in scales if isinstance(s, dict)), default=1.0)
        factors = [1.0, *(_number(s.get("factor")) for s in _items(spec.get("surges"))
                          if isinstance(s, dict))]
        profile = spec.get("profile")
        if isinstance(profile, dict):
            factors += [_number(p[1]) for p in _items(profile.get("points"))
                        if isinstance(p, list | tuple) and len(p) == 2]
        return _number(spec.get("mean_per_day"), 0.0) * (scale if per else 1.0) * max(factors)

    found: list[tuple[float, Path_]] = []
    for i, node in enumerate(_items(data.get("nodes"))):
        if isinstance(node, dict) and isinstance(node.get("demand"), dict):
            for product, spec in node["demand"].items():
                found.append((amount(spec, [node.get("scale") or {}]),
                              ("nodes", i, "demand", product, "mean_per_day")))
    for i, rule in enumerate(_items(data.get("demands"))):
        if isinstance(rule, dict):
            each = amount(rule.get("demand"), [n.get("scale") for n in nodes])
            found.append((each * max(1, len(nodes)), ("demands", i, "demand", "mean_per_day")))
    total = sum(a for a, _ in found) * surge
    if total > MAX_QUANTITY:
        yield max(found, key=lambda f: f[0])[1], (
            f"demand could add up to {total:.3g} units a day (mean_per_day x scale x surge "
            f"factors, over the nodes it applies to); the limit is {MAX_QUANTITY:g} a day, so "
            "that stocks stay far below the engine's 2**50 (docs/input.md, numbers)")


MAX_ADMISSIONS = 1e6
"""Care admissions a day over the whole network (after `per` scaling and surges): the engine
draws a length of stay for every admission, so 1e6 a day (over 250 times Sweden's daily hospital
admissions) is what it can draw in well under a second a day."""


def _largest(value: Any) -> float:
    """The largest number in a raw value (a length of stay, or a distribution's parameters)."""
    if isinstance(value, dict):
        return max((_largest(v) for v in value.values()), default=0.0)
    if isinstance(value, list):
        return max((_largest(v) for v in value), default=0.0)
    return _number(value, 0.0)


def care_problems(data: dict[str, Any], surge: float) -> Iterator[tuple[Path_, str]]:
    """Care admissions over `MAX_ADMISSIONS` a day, or care demand over `MAX_QUANTITY` (raw data).

    A bound like the demand bound: an admission rule counts for every node at its own scale,
    times every surge; a stay at its longest (or the horizon); every norm of a
    category for every admission and patient-day of it.
    """
    care = data.get("care")
    if not isinstance(care, dict):
        return
    nodes = [n for n in _items(data.get("nodes")) if isinstance(n, dict)]
    categories = care.get("categories") if isinstance(care.get("categories"), dict) else {}
    admitted: dict[Any, float] = {}
    worst: tuple[float, Path_] = (0.0, ("care",))
    for i, rule in enumerate(_items(care.get("admissions"))):
        if not isinstance(rule, dict):
            continue
        per = rule.get("per") if isinstance(rule.get("per"), str) else None
        # Every node the rule could match, at its own scale (a matched node without the scale
        # is refused when the network compiles).
        if per:
            scale = sum(_number((n.get("scale") or {}).get(per), 0.0) for n in nodes
                        if isinstance(n.get("scale") or {}, dict))
        else:
            scale = float(max(1, len(nodes)))
        each = _number(rule.get("mean_per_day"), 0.0) * scale * surge
        key = rule.get("category") if isinstance(rule.get("category"), str) else None
        admitted[key] = admitted.get(key, 0.0) + each
        worst = max(worst, (each, ("care", "admissions", i, "mean_per_day")))
    total = sum(admitted.values())
    if total > MAX_ADMISSIONS:
        yield worst[1], (
            f"care admissions could add up to {total:.3g} a day (mean_per_day x scale x surge "
            f"factors, over the nodes the rule may match); the limit is {MAX_ADMISSIONS:g} a day "
            "over the network: the engine draws a stay for every admission (docs/input.md)")
        return
    horizon = _number(data.get("horizon_days"), float(MAX_DAYS))
    demand = 0.0
    worst = (0.0, ("care",))
    for i, norm in enumerate(_items(care.get("norms"))):
        if not isinstance(norm, dict):
            continue
        name = norm.get("category")
        for category, spec in categories.items():
            if name not in (category, "all") or not isinstance(spec, dict):
                continue
            daily = admitted.get(category, 0.0)
            stay = min(max(1.0, _largest(spec.get("length_of_stay_days"))), max(1.0, horizon))
            shifts = _number(spec.get("staff_shifts_per_patient_day"), 0.0)
            each = daily * (_number(norm.get("per_admission"), 0.0)
                            + stay * _number(norm.get("per_patient_day"), 0.0)
                            + stay * shifts * _number(norm.get("per_staff_shift"), 0.0))
            demand += each
            worst = max(worst, (each, ("care", "norms", i)))
    if demand > MAX_QUANTITY:
        yield worst[1], (
            f"care demand could add up to {demand:.3g} units a day (admissions a day x "
            "(per_admission + stay x (per_patient_day + staff shifts x per_staff_shift))); the "
            f"limit is {MAX_QUANTITY:g} a day, as for plain demand (docs/input.md, numbers)")


def scenario_number_problems(data: Any) -> list[tuple[Path_, str]]:
    """Every number of a raw scenario document the engine cannot count exactly."""
    found = list(number_problems(data, (), _numeric_keys()))
    if not found and isinstance(data, dict):
        try:
            found = list(demand_problems(data))
            if not found:
                found = list(care_problems(data, _surge(data)))
        except (TypeError, AttributeError, ValueError):
            # A document of the wrong shape: validation says what is wrong with it, and it
            # never reaches the network compiler this bound protects.
            found = []
    return found
