"""Every settable path of a scenario, with its current value and type (`beredskap paths`).

Paths are written as `--set`, `--sweep` and batch files take them: list items by name where
they have one (`policies[hp_fluids].policy.target_days`, `nodes[tamro].region`), else by
index (`lanes[3].lead_time_days`); mapping keys with dots (`products.nacl_1l.name`).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from typing import Any, NamedTuple

from pydantic import BaseModel

from sim.scenario.schema import Scenario


class SettablePath(NamedTuple):
    """One value a scenario can be given on the command line or in a batch file."""

    path: str
    value: Any
    type: str


def settable_paths(scenario: Scenario, grep: str | None = None) -> list[SettablePath]:
    """Every leaf value of the scenario (defaults included), optionally only paths with `grep`.

    `grep` is matched case-insensitively against the path.
    """
    out = list(_walk(scenario, "", Scenario))
    if grep:
        needle = grep.lower()
        out = [p for p in out if needle in p.path.lower()]
    return out


def _label(item: Any, index: int) -> str:
    # A node goes by its id even when it has a display name; rules and disruptions by name.
    for key in ("id", "name"):
        value = getattr(item, key, None)
        if isinstance(value, str) and value and not value.lstrip("-").isdigit():
            return value
    return str(index)


def _walk(value: Any, path: str, annotation: Any) -> Iterator[SettablePath]:
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            key = info.alias or name
            yield from _walk(getattr(value, name), f"{path}.{key}" if path else key,
                             info.annotation)
    elif isinstance(value, dict) and value and _is_section(value):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}", _item_type(annotation, dict))
    elif isinstance(value, (list, tuple)) and value and all(
            isinstance(v, BaseModel) for v in value):
        labels = [_label(item, i) for i, item in enumerate(value)]
        for i, item in enumerate(value):
            # A label used twice cannot find its item: those go by index.
            label = labels[i] if labels.count(labels[i]) == 1 else str(i)
            yield from _walk(item, f"{path}[{label}]", _item_type(annotation, list))
    else:
        yield SettablePath(path, _plain(value), type_name(annotation))


def _is_section(value: dict) -> bool:
    """A mapping to walk into (products, node stock by product), not a value (a scale)."""
    return any(isinstance(v, (BaseModel, dict)) for v in value.values()) or all(
        isinstance(v, (int, float)) for v in value.values())


def _item_type(annotation: Any, kind: type) -> Any:
    """The element type of `list[X]` / value type of `dict[K, X]` inside an annotation."""
    for arg in _members(annotation):
        origin = typing.get_origin(arg)
        if origin is kind:
            args = typing.get_args(arg)
            return args[-1] if args else Any
    return Any


def _members(annotation: Any) -> list[Any]:
    """The members of a union (or the annotation itself), with Annotated unwrapped."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _members(arg)]
    return [annotation]


def type_name(annotation: Any) -> str:
    """A short, readable name of a field's type: `int`, `number`, `'a' | 'b'`, `list of str`."""
    names = []
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if member is type(None):
            name = "null"
        elif origin is typing.Literal:
            name = " | ".join(repr(a) for a in typing.get_args(member))
        elif origin is list:
            args = typing.get_args(member)
            inner = type_name(args[0]) if args else "any"
            name = f"list of ({inner})" if " | " in inner else f"list of {inner}"
        elif origin is tuple:
            args = [type_name(a) for a in typing.get_args(member) if a is not Ellipsis]
            name = f"[{', '.join(args)}]"
        elif origin is dict:
            args = typing.get_args(member)
            name = f"map to {type_name(args[-1]) if args else 'any'}"
        elif member is float:
            name = "number"
        elif isinstance(member, type) and issubclass(member, BaseModel):
            name = member.__name__
        elif isinstance(member, type):
            name = member.__name__
        else:
            name = str(member).replace("typing.", "")
        if name not in names:
            names.append(name)
    return " | ".join(names)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
