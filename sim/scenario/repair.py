"""Cross-reference checks for a scenario whose shape is wrong, on a repaired copy.

So that one pass reports every mistake: unknown keys are dropped (or renamed to the key they
surely meant), bad values go back to their defaults, a bad payload (a rule's policy, stock or
demand, a lane's lead time) gets a stand-in so that the item's references are still checked,
and items that still do not fit are left out; the named checks then run on what remains, and
their problems are located in the original file. Problems about something already reported,
or naming an item that was left out, are not repeated.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import ValidationError

from sim.scenario import schema
from sim.scenario.errors import Problem
from sim.scenario.load import Path_, Source, _item_label, _locate_error


class _Repaired(Source):
    """A repaired copy of a source whose list indices are mapped back to the original's."""

    kept: dict[str, list[int]]

    def problem(self, path: Path_, message: str) -> Problem:
        """A problem at `path` of the repaired data, located in the original file."""
        if len(path) > 1 and isinstance(path[1], int) and str(path[0]) in self.kept:
            path = (path[0], self.kept[str(path[0])][path[1]], *path[2:])
        return super().problem(path, message)


def checks_despite(source: Source, errors: list[Any], renames: dict[tuple, str],
                   reported: list[Problem]) -> list[Problem]:
    """The cross-reference problems of a file whose shape is wrong, from a repaired copy."""
    from sim.scenario.checks import CHECKS

    data = copy.deepcopy(source.data)
    if not isinstance(data, dict):
        return []
    kept = {k: list(range(len(v))) for k, v in data.items() if isinstance(v, list)}
    removed: set[str] = set()
    first = True
    for _ in range(4):
        # Located before anything changes: dropping an item shifts the indices after it.
        paths = [(_locate_error(data, err["loc"])[0], err["type"]) for err in errors]
        if any(not path for path, _ in paths):
            return []  # a problem with the whole file: nothing to check against
        if first:
            meant = {(*p[:-1], m) for p, m in renames.items()}
            for path, kind in paths:
                if not (kind == "missing" and tuple(path) in meant):
                    _repair(data, path, renames.get(tuple(path)), kind == "missing")
        else:
            # A bad payload (what no cross-reference check reads) gets a stand-in, so the item
            # stays and its references are still checked.
            paths = [(p, k) for p, k in paths if not _stand_in(data, p)]
            # Last item first, so the indices of the others still hold.
            items = {tuple(path[:2]): path for path, _ in paths}
            for key in sorted(items, key=lambda k: (str(k[0]), -_index(k)), reverse=False):
                _drop_item(data, items[key], kept, removed)
        try:
            scenario = schema.Scenario.model_validate(data)
            break
        except ValidationError as exc:
            errors, first = exc.errors(), False
    else:
        return []
    repaired = _Repaired(source.file, data, source.lines, source.overridden)
    repaired.kept = kept
    seen = {p.path for p in reported}
    out = []
    for check in CHECKS:
        for problem in check(scenario, repaired):
            if any(problem.path == s or problem.path.startswith((f"{s}.", f"{s}[")) for s in seen):
                continue  # inside something already reported
            if any(f"'{name}'" in problem.message for name in removed):
                continue  # names an item left out of the repaired copy: not a second mistake
            out.append(problem)
    return out


def _index(key: tuple) -> int:
    """The list index in a (section, index) key, or 0 for a mapping key."""
    return key[1] if len(key) > 1 and isinstance(key[1], int) else 0


def _repair(data: dict, path: list, rename: str | None, missing: bool) -> None:
    """Drop the key at `path` (its default applies), or rename a misspelt one."""
    parent: Any = data
    for part in path[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return
    key = path[-1]
    if missing or not isinstance(parent, dict) or key not in parent:
        return
    value = parent.pop(key)
    if rename is not None:
        parent[rename] = value


# Stand-ins for required top-level values that are wrong or missing, so the cross-references
# can still be checked; long enough that no window or warm-up check fires because of them.
_STAND_INS: dict[str, Any] = {"horizon_days": 10**6, "name": "?"}


# Stand-ins for an item's payload that the cross-reference checks never read: a rule's policy,
# stock or demand, a lane's lead time. Its own problem is already reported.
_PAYLOAD_STAND_INS: dict[str, dict[str, Any]] = {
    "policies": {"policy": {"type": "none"}},
    "stocks": {"stock": {"initial": 0}},
    "demands": {"demand": {"mean_per_day": 0}},
    "lanes": {"lead_time_days": 1},
}


def _stand_in(data: dict, path: list) -> bool:
    """Give the payload that `path` is in a stand-in; False when `path` is not in a payload."""
    stand_ins = _PAYLOAD_STAND_INS.get(str(path[0])) if path else None
    if not stand_ins or len(path) < 3 or not isinstance(path[1], int) or path[2] not in stand_ins:
        return False
    section = data.get(path[0])
    if not (isinstance(section, list) and path[1] < len(section)
            and isinstance(section[path[1]], dict)):
        return False
    section[path[1]][path[2]] = copy.deepcopy(stand_ins[path[2]])
    return True


def _drop_item(data: dict, path: list, kept: dict[str, list[int]], removed: set[str]) -> None:
    """Leave out the top-level item that `path` is in (a node, lane, product, rule)."""
    section = data.get(path[0]) if path else None
    if len(path) < 2:
        if path and path[0] in data:
            data.pop(path[0])  # a top-level value: its default applies
        elif path and _STAND_INS.get(str(path[0])) is not None:
            data[path[0]] = _STAND_INS[str(path[0])]  # required, and already reported
        return
    if isinstance(section, list) and isinstance(path[1], int) and path[1] < len(section):
        label = _item_label(section[path[1]])
        if label:
            removed.add(label)
        del section[path[1]]
        del kept[str(path[0])][path[1]]
    elif isinstance(section, dict) and path[1] in section:
        removed.add(str(path[1]))
        section.pop(path[1])
