"""Read a rules file: YAML with line numbers, `extends`, and one error listing every problem.

Problems name the file, line and YAML path, with a suggestion for a misspelt name: the shape
is checked by pydantic, then checks.py checks what pydantic cannot.
"""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ValidationError

from sim.injects.checks import Path_, run_checks
from sim.injects.rules import DEFAULT_RULES, RulesFile
from sim.scenario.errors import Problem, ScenarioError, did_you_mean, yaml_path
from sim.scenario.limits import MAX_EXTENDS
from sim.scenario.load import _merge, _message, _read_yaml
from sim.scenario.numbers import number_problems


class RulesError(ScenarioError):
    """A rules file that cannot be used, with every problem found in it."""


Lines = dict[Path_, tuple[str, int]]


def load_rules(path: str | Path | None = None) -> RulesFile:
    """Read and check a rules file (the shipped default when `path` is None)."""
    file = DEFAULT_RULES if path is None else Path(path)
    data, lines = _load(file, ())
    return _validate(data, lines, str(file))


def rules_from_dict(data: dict[str, Any], name: str | None = None) -> RulesFile:
    """Check rules given as plain data; `extends: default` (or a path) merges onto that file."""
    lines: Lines = {}
    data = dict(data)
    parent = data.pop("extends", None)
    if parent is not None:
        base, lines = _load(_parent_file(parent, Path.cwd(), name or "rules", lines), ())
        data = _merge(base, data, (), lines, {})
    return _validate(data, lines, name)


def _parent_file(parent: Any, folder: Path, name: str, lines: Lines) -> Path:
    if not isinstance(parent, str):
        line = lines.get(("extends",), (name, 0))[1]
        raise RulesError([Problem("extends", "expected 'default' or a file name", name, line)],
                         name)
    file = DEFAULT_RULES if parent == "default" else (folder / parent).resolve()
    if not file.is_file():
        line = lines.get(("extends",), (name, 0))[1]
        raise RulesError([Problem("extends", f"'{parent}': no such rules file ({file}); write "
                                             "'default' or a path relative to this file",
                                  name, line)], name)
    return file


def _load(file: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], Lines]:
    name = str(file)
    try:
        data, lines = _read_yaml(file)
    except ScenarioError as exc:
        raise RulesError(exc.problems, name) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RulesError([Problem("", "a rules file must be a YAML mapping", name, 1)], name)
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    base_file = _parent_file(parent, file.parent, name, lines)
    if base_file.resolve() in (*chain, file.resolve()):
        line = lines.get(("extends",), (name, 0))[1]
        raise RulesError([Problem("extends", f"'{parent}' extends itself", name, line)], name)
    if len(chain) + 1 >= MAX_EXTENDS:
        line = lines.get(("extends",), (name, 0))[1]
        raise RulesError([Problem("extends", f"more than {MAX_EXTENDS} files extend one "
                                  "another (docs/input.md, limits)", name, line)], name)
    base, base_lines = _load(base_file, (*chain, file.resolve()))
    merged = _merge(base, data, (), base_lines, lines)
    base_lines.update(lines)
    return merged, base_lines


def _where(lines: Lines, file: str | None, path: Path_) -> tuple[str | None, int | None]:
    for cut in range(len(path), -1, -1):
        hit = lines.get(tuple(path[:cut]))
        if hit:
            return hit
    return file, None


def _problem(lines: Lines, file: str | None, path: Path_, message: str) -> Problem:
    where_file, line = _where(lines, file, path)
    return Problem(yaml_path(path), message, where_file, line)


def _validate(data: dict[str, Any], lines: Lines, file: str | None) -> RulesFile:
    try:
        rules = RulesFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            path, parent = _locate(data, err["loc"])
            if err["type"] == "extra_forbidden":
                key = str(path[-1]) if path else "?"
                message = f"unknown key '{key}'{did_you_mean(key, _fields_at(path[:-1]))}"
            else:
                message = _message(err, parent, path)
                if err["type"] == "string_type" and isinstance(err.get("input"), bool):
                    message += "; YAML reads NO, no, yes, on and off as true/false: quote it"
            problems.append(_problem(lines, file, tuple(path), message))
        raise RulesError(problems, file) from None
    found = [*number_problems(rules), *run_checks(rules)]
    problems = [_problem(lines, file, path, message) for path, message in found]
    if problems:
        raise RulesError(problems, file)
    rules._file = file
    return rules


def _locate(data: Any, loc: tuple) -> tuple[list[str | int], Any]:
    """A pydantic location as a YAML path (dict-key markers dropped), and the parent value."""
    path: list[str | int] = []
    current, parent = data, None
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, bool):  # a YAML key read as true/false (NO, yes, on)
            part = str(part).lower()
        if isinstance(current, dict) and part in current:
            parent, current = current, current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            parent, current = current, current[part]
        else:
            parent, current = current, None
        path.append(part)
    return path, parent


def _fields_at(path: list[str | int]) -> list[str]:
    """Field names of the model found at a YAML path (for did-you-mean on unknown keys)."""
    annotation: Any = RulesFile
    for part in path:
        model = _model_in(annotation)
        if model is not None and isinstance(part, str):
            fields = {f.alias or n: f for n, f in model.model_fields.items()}
            if part not in fields:
                return []
            annotation = fields[part].annotation
            continue
        args = typing.get_args(_strip(annotation))
        if not args:
            return []
        annotation = args[-1]  # dict[str, X] and list[X]: the item type
    model = _model_in(annotation)
    return [f.alias or n for n, f in model.model_fields.items()] if model else []


def _strip(annotation: Any) -> Any:
    """`X | None` -> X; Annotated[X, ...] -> X."""
    if typing.get_origin(annotation) is Annotated:
        return typing.get_args(annotation)[0]
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) in (typing.Union, type(int | None)) and len(args) == 1:
        return _strip(args[0])
    return annotation


def _model_in(annotation: Any) -> type[BaseModel] | None:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None
