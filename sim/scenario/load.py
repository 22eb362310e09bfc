"""Read scenario YAML (with line numbers), resolve `extends` and CSV tables, apply overrides.

Loading is in two stages (CONVENTIONS.md): the shape is checked by pydantic, then named
cross-reference checks run (checks.py). Every problem from either stage is gathered into one
:class:`ScenarioError` that names the file, line and YAML path.
"""

from __future__ import annotations

import copy
import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import schema
from sim.scenario.errors import Problem, ScenarioError, did_you_mean, yaml_path

Path_ = tuple[str | int, ...]
Where = tuple[str, int]  # (file, line)


@dataclass
class Source:
    """Where a scenario came from: its raw merged data and a map from YAML path to file/line."""

    file: str | None
    data: dict[str, Any]
    lines: dict[Path_, Where] = field(default_factory=dict)
    overridden: dict[Path_, str] = field(default_factory=dict)
    """Paths set by overrides, with the override as given (`--set a.b=1`)."""

    def locate(self, path: Path_) -> Where | None:
        """The file and line of the longest prefix of `path` that has one."""
        for cut in range(len(path), -1, -1):
            hit = self.lines.get(tuple(path[:cut]))
            if hit:
                return hit
        return None

    def problem(self, path: Path_, message: str) -> Problem:
        """A problem located at `path` (or at the override that set it)."""
        for cut in range(len(path), 0, -1):
            given = self.overridden.get(tuple(path[:cut]))
            if given is not None:
                return Problem(yaml_path(path), message, given)
        hit = self.locate(path)
        file, line = hit if hit else (self.file, None)
        return Problem(yaml_path(path), message, file, line)


# --- YAML with positions ------------------------------------------------------------------------


def _read_yaml(file: Path) -> tuple[Any, dict[Path_, Where]]:
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem("", "file not found", name)], name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem("", f"cannot read: {exc}", name)], name) from None
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem("", f"not valid YAML: {what}", name, line)], name) from None
    lines: dict[Path_, Where] = {}
    problems: list[Problem] = []
    if node is not None:
        _walk(node, (), name, lines, problems)
    if problems:
        raise ScenarioError(problems, name)
    return data, lines


def _walk(
    node: yaml.Node, path: Path_, file: str, lines: dict[Path_, Where], problems: list[Problem]
) -> None:
    lines.setdefault(path, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(
                    Problem(
                        yaml_path((*path, key)),
                        f"duplicate key '{key}' (first at line {seen[key]}); YAML would keep "
                        "only the last one",
                        file,
                        line,
                    )
                )
            seen[key] = line
            lines[(*path, key)] = (file, line)
            _walk(value_node, (*path, key), file, lines, problems)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = (file, item.start_mark.line + 1)
            _walk(item, (*path, i), file, lines, problems)


# --- extends, CSV tables ------------------------------------------------------------------------


def _merge(
    base: Any, over: Any, path: Path_, base_lines: dict[Path_, Where], over_lines: dict
) -> Any:
    """Deep-merge mappings; lists and scalars from `over` replace; `key+` appends to a list."""
    if not (isinstance(base, dict) and isinstance(over, dict)):
        for key in [k for k in base_lines if k[: len(path)] == path and len(k) > len(path)]:
            del base_lines[key]
        return copy.deepcopy(over)
    out = dict(base)
    for key, value in over.items():
        if isinstance(key, str) and key.endswith("+") and isinstance(value, list):
            target = key[:-1]
            existing = out.get(target, [])
            if not isinstance(existing, list):
                existing = []
            offset = len(existing)
            for sub, where in over_lines.items():
                if sub[: len(path) + 1] == (*path, key) and len(sub) > len(path) + 1:
                    idx = sub[len(path) + 1]
                    if isinstance(idx, int):
                        base_lines[(*path, target, idx + offset, *sub[len(path) + 2 :])] = where
            out[target] = [*existing, *copy.deepcopy(value)]
            continue
        out[key] = _merge(out.get(key), value, (*path, key), base_lines, over_lines)
    return out


def _load_file(file: Path, chain: tuple[Path, ...] = ()) -> tuple[dict, dict[Path_, Where]]:
    data, lines = _read_yaml(file)
    name = str(file)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "a scenario must be a YAML mapping", name, 1)], name)
    data = _expand_csv(data, file, lines)
    parent = data.pop("extends", None)
    if parent is None:
        return data, lines
    if not isinstance(parent, str):
        line = lines.get(("extends",), (name, None))[1]
        raise ScenarioError([Problem("extends", "expected a file name", name, line)], name)
    base_file = (file.parent / parent).resolve()
    if base_file in chain or base_file == file.resolve():
        line = lines.get(("extends",), (name, None))[1]
        raise ScenarioError([Problem("extends", f"'{parent}' extends itself", name, line)], name)
    base, base_lines = _load_file(base_file, (*chain, file.resolve()))
    merged = _merge(base, data, (), base_lines, lines)
    for key, where in lines.items():
        if not (key and isinstance(key[-1], str) and key[-1].endswith("+")):
            base_lines[key] = where
    return merged, base_lines


def _cell(value: str) -> Any:
    """A CSV cell is read as a YAML scalar or flow value ('5' -> 5, '[a, b]' -> list)."""
    value = value.strip()
    if value == "":
        return None
    try:
        return yaml.safe_load(value)
    except yaml.YAMLError:
        return value


def _read_csv(file: Path, where: Where) -> tuple[list[dict], list[int]]:
    try:
        with file.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows, row_lines = [], []
            for row in reader:
                item: dict[str, Any] = {}
                for column, raw in row.items():
                    if column is None:
                        continue
                    value = _cell(raw or "")
                    if value is None:
                        continue
                    *parents, leaf = column.strip().split(".")
                    target = item
                    for parent in parents:
                        target = target.setdefault(parent, {})
                    target[leaf] = value
                rows.append(item)
                row_lines.append(reader.line_num)
            return rows, row_lines
    except FileNotFoundError:
        raise ScenarioError(
            [Problem("", f"CSV table '{file}' not found", *where)], where[0]
        ) from None


def _expand_csv(data: dict, file: Path, lines: dict[Path_, Where]) -> dict:
    """Replace `{csv: table.csv}` items in `nodes` and `lanes` with the table's rows."""
    for section in ("nodes", "lanes"):
        items = data.get(section)
        if not isinstance(items, list):
            continue
        out: list[Any] = []
        new_lines: dict[Path_, Where] = {}
        for i, item in enumerate(items):
            if isinstance(item, dict) and set(item) == {"csv"}:
                where = lines.get((section, i), (str(file), 0))
                table = file.parent / str(item["csv"])
                rows, row_lines = _read_csv(table, where)
                for row, line in zip(rows, row_lines, strict=True):
                    new_lines[(section, len(out))] = (str(table), line)
                    for key in row:
                        new_lines[(section, len(out), key)] = (str(table), line)
                    out.append(row)
            else:
                for key, where in lines.items():
                    if key[:2] == (section, i):
                        new_lines[(section, len(out), *key[2:])] = where
                out.append(item)
        for key in [k for k in lines if k[:1] == (section,) and len(k) > 1]:
            del lines[key]
        lines.update(new_lines)
        data[section] = out
    return data


# --- overrides ----------------------------------------------------------------------------------


def _split_path(dotted: str) -> list[str | int]:
    return [int(p) if p.lstrip("-").isdigit() else p for p in dotted.split(".") if p != ""]


def set_path(data: dict, dotted: str, value: Any) -> None:
    """Set `a.b.0.c` in nested data; raises KeyError with a did-you-mean when the path is wrong."""
    parts = _split_path(dotted)
    if not parts:
        raise KeyError("empty override path")
    target: Any = data
    for i, part in enumerate(parts[:-1]):
        target = _step(target, part, parts[: i + 1], dotted)
    last = parts[-1]
    if isinstance(target, list):
        if not isinstance(last, int) or not -len(target) <= last < len(target):
            raise KeyError(f"'{dotted}': index {last} is out of range ({len(target)} items)")
        target[last] = value
    elif isinstance(target, dict):
        target[str(last)] = value
    else:
        raise KeyError(f"'{dotted}': {yaml_path(parts[:-1])} is a value, not a section")


def _step(target: Any, part: str | int, done: list, dotted: str) -> Any:
    if isinstance(target, list):
        if not isinstance(part, int) or not -len(target) <= part < len(target):
            raise KeyError(
                f"'{dotted}': {yaml_path(done[:-1])} has {len(target)} items; '{part}' is not "
                "an index into it"
            )
        return target[part]
    if isinstance(target, dict):
        if part not in target:
            if isinstance(part, int) and str(part) in target:
                return target[str(part)]
            # A section left at its defaults is absent from the file: create it, and let
            # validation report the key if it is not a real one (with a did-you-mean).
            target[part] = {}
        return target[part]
    raise KeyError(f"'{dotted}': {yaml_path(done[:-1])} is a value, not a section")


def parse_set(assignment: str) -> tuple[str, Any]:
    """'a.b=3' -> ('a.b', 3); the value is read as YAML ('true', '[1, 2]', '7.5')."""
    if "=" not in assignment:
        raise ValueError(f"--set '{assignment}': expected path.to.key=value")
    key, raw = assignment.split("=", 1)
    return key.strip(), _cell(raw) if raw.strip() else ""


# --- validation ---------------------------------------------------------------------------------


def _all_models() -> list[type[BaseModel]]:
    out, todo = [], [schema.Model]
    while todo:
        cls = todo.pop()
        out.append(cls)
        todo.extend(cls.__subclasses__())
    return out


def _field_names(cls: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in cls.model_fields.items()}


def _key_candidates(siblings: set[str]) -> list[str]:
    """Field names of the model that best fits the other keys present beside the unknown one."""
    best: set[str] = set()
    score = -1
    for cls in _all_models():
        names = _field_names(cls)
        overlap = len(names & siblings)
        if overlap > score or (overlap == score and len(names) < len(best)):
            best, score = names, overlap
    return sorted(best) if score > 0 else sorted(set().union(*map(_field_names, _all_models())))


def _locate_error(data: Any, loc: tuple) -> tuple[list[str | int], Any, Any]:
    """Turn a pydantic location into a YAML path, dropping union tags; return the parent too."""
    path: list[str | int] = []
    current, parent = data, None
    for i, part in enumerate(loc):
        if isinstance(current, dict) and part in current:
            parent, current = current, current[part]
            path.append(part)
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            parent, current = current, current[part]
            path.append(part)
        elif i == len(loc) - 1 and isinstance(part, str) and isinstance(current, dict):
            parent, current = current, None
            path.append(part)
        # otherwise: a union tag or model name, not a place in the file
    return path, parent, current


def _message(err: dict, parent: Any, path: list) -> str:
    kind, ctx = err["type"], err.get("ctx", {})
    value = err.get("input")
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        siblings = {str(k) for k in parent} - {key} if isinstance(parent, dict) else set()
        return f"unknown key '{key}'{did_you_mean(key, _key_candidates(siblings))}"
    if kind == "missing":
        return f"missing required key '{path[-1]}'" if path else "missing required key"
    if kind == "union_tag_invalid":
        expected = ctx.get("expected_tags", "")
        tag = ctx.get("tag", "")
        options = [t.strip().strip("'") for t in str(expected).split(",")]
        return (
            f"unknown {str(ctx.get('discriminator', 'type')).strip(chr(39))} '{tag}'; "
            f"expected one of {expected}"
            f"{did_you_mean(str(tag), options)}"
        )
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [t.strip().strip("'") for t in expected.replace(" or ", ", ").split(",")]
        return f"got {value!r}; expected {expected}{did_you_mean(str(value), options)}"
    message = err["msg"]
    if message.startswith("Value error, "):
        return message[len("Value error, ") :]
    if kind in {"model_type", "dict_type", "list_type"}:
        return f"{message[0].lower()}{message[1:]} (got {type(value).__name__})"
    return f"{message[0].lower()}{message[1:]} (got {value!r})"


def validate(source: Source) -> schema.Scenario:
    """Check the shape (pydantic), then the cross-references; raise one ScenarioError."""
    from sim.scenario.checks import run_checks

    try:
        scenario = schema.Scenario.model_validate(source.data)
    except ValidationError as exc:
        from sim.scenario.checks import raw_checks

        problems = []
        for err in exc.errors():
            path, parent, _ = _locate_error(source.data, err["loc"])
            problems.append(source.problem(tuple(path), _message(err, parent, path)))
        problems.extend(raw_checks(source))
        raise ScenarioError(_dedupe(problems), source.file) from None
    problems = run_checks(scenario, source)
    if problems:
        raise ScenarioError(problems, source.file)
    scenario._source = source
    return scenario


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> schema.Scenario:
    """Load, resolve and validate a scenario file; `overrides` maps dotted paths to values."""
    file = Path(path)
    data, lines = _load_file(file)
    source = Source(str(path), data, lines)
    if overrides:
        source = _overridden(source, overrides)
    return validate(source)


def from_dict(data: dict[str, Any], name: str | None = None) -> schema.Scenario:
    """Validate a scenario given as plain data (e.g. built in a notebook)."""
    return validate(Source(name, copy.deepcopy(data), {}))


def _overridden(source: Source, overrides: dict[str, Any], label: str = "--set") -> Source:
    data = copy.deepcopy(source.data)
    problems = []
    overridden = dict(source.overridden)
    for dotted, value in overrides.items():
        try:
            set_path(data, dotted, value)
            overridden[tuple(_split_path(dotted))] = f"{label} {dotted}={value!r}"
        except KeyError as exc:
            problems.append(Problem("", str(exc.args[0]), f"{label} {dotted}"))
    if problems:
        raise ScenarioError(problems, source.file)
    return Source(source.file, data, dict(source.lines), overridden)


def apply_overrides(
    scenario: schema.Scenario, overrides: dict[str, Any], label: str = "--set"
) -> schema.Scenario:
    """A validated copy of `scenario` with dotted-path overrides applied.

    Problems name the override as `label path=value` (`--set`, `--sweep`, a variant's name).
    """
    source = scenario.source
    if source is None:
        source = Source(None, scenario.resolved(), {})
    return validate(_overridden(source, overrides, label))
