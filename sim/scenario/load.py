"""Read scenario YAML (with line numbers), resolve `extends` and CSV tables, apply overrides.

Loading is in two stages (CONVENTIONS.md): the shape is checked by pydantic, then named
cross-reference checks run (checks.py). Every problem from either stage is gathered into one
:class:`ScenarioError` that names the file, line and YAML path.
"""

from __future__ import annotations

import copy
import difflib
import functools
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario import schema
from sim.scenario.errors import Problem, ScenarioError, did_you_mean, short, yaml_path
from sim.scenario.limits import MAX_EXTENDS, MAX_NODES, LimitExceeded, load_yaml, read_text
from sim.scenario.numbers import scenario_number_problems
from sim.scenario.tables import cell, read_table

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
        if tuple(path) not in self.lines:
            # A key the file does not write, made by an override below it
            # (`--set nodes[ward_a].stock.salin_1l.initial=3` makes `stock.salin_1l`).
            for set_path_, given in self.overridden.items():
                if path and set_path_[: len(path)] == tuple(path):
                    return Problem(yaml_path(path), message, given)
        hit = self.locate(path)
        file, line = hit if hit else (self.file, None)
        return Problem(yaml_path(path), message, file, line)


# --- YAML with positions ------------------------------------------------------------------------


def _read_yaml(file: Path) -> tuple[Any, dict[Path_, Where]]:
    # Files come from other organisations: bounded reading and composing (limits.py).
    name = str(file)
    text = read_text(file)
    try:
        data, node = load_yaml(text)
    except LimitExceeded as exc:
        raise ScenarioError([Problem("", exc.message, name, exc.line)], name) from None
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


_NOT_TEXT = {"tag:yaml.org,2002:bool": "true or false (YAML reads NO, no, yes, on and off "
                                       "as true/false)",
             "tag:yaml.org,2002:null": "null (nothing)"}
"""Tags of plain keys YAML reads as something other than text (`true:`, `no:`, `~:`)."""


def _walk(
    node: yaml.Node, path: Path_, file: str, lines: dict[Path_, Where], problems: list[Problem]
) -> None:
    lines.setdefault(path, (file, node.start_mark.line + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        span = (node.start_mark.index, node.end_mark.index)
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if not span[0] <= key_node.start_mark.index <= span[1]:
                # a key brought in by a merge key (`<<: *defaults`), written elsewhere: the
                # mapping's own key of that name overrides it, as YAML intends
                lines[(*path, key)] = (file, line)
                _walk(value_node, (*path, key), file, lines, problems)
                continue
            if key_node.tag in _NOT_TEXT:
                problems.append(Problem(
                    yaml_path((*path, key)), f"the key '{key}' is read as "
                    f"{_NOT_TEXT[key_node.tag]}, not as a name; quote it ('{key}':) if it is "
                    "one", file, line))
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
    if len(chain) + 1 >= MAX_EXTENDS:
        line = lines.get(("extends",), (name, None))[1]
        raise ScenarioError([Problem("extends", f"more than {MAX_EXTENDS} files extend one "
                                     "another (docs/input.md, limits)", name, line)], name)
    if base_file.exists() and not base_file.is_file():
        line = lines.get(("extends",), (name, None))[1]
        raise ScenarioError([Problem("extends", f"'{parent}' is a folder or a device, not a "
                                                "scenario file", name, line)], name)
    if not base_file.is_file():
        line = lines.get(("extends",), (name, None))[1]
        raise ScenarioError([Problem("extends", f"'{parent}': no such file ({base_file}); the "
                                                "path is relative to this file", name, line)],
                            name)
    base, base_lines = _load_file(base_file, (*chain, file.resolve()))
    merged = _merge(base, data, (), base_lines, lines)
    for key, where in lines.items():
        if not (key and isinstance(key[-1], str) and key[-1].endswith("+")):
            base_lines[key] = where
    return merged, base_lines


def _cell(value: str) -> Any:
    """A value given as text ('5' -> 5, '[a, b]' -> list), read as a CSV cell is."""
    try:
        return cell(value)
    except LimitExceeded as exc:
        raise ValueError(f"'{value[:20]}...': {exc.message}") from None


def _read_csv(file: Path, where: Where, budget: list[int] | None = None
              ) -> tuple[list[dict], list[int]]:
    return read_table(file, where, budget)


def _expand_csv(data: dict, file: Path, lines: dict[Path_, Where]) -> dict:
    """Replace `{csv: table.csv}` items in `nodes` and `lanes` with the table's rows.

    All tables of one file share one budget of cells, the YAML value limit (limits.MAX_NODES).
    """
    budget = [MAX_NODES]
    for section in ("nodes", "lanes"):
        items = data.get(section)
        if not isinstance(items, list):
            continue
        out: list[Any] = []
        new_lines: dict[Path_, Where] = {}
        for i, item in enumerate(items):
            if isinstance(item, dict) and set(item) == {"csv"}:
                where = lines.get((section, i), (str(file), 0))
                if not isinstance(item["csv"], str):
                    raise ScenarioError([Problem(
                        yaml_path((section, i, "csv")), "expected one CSV file name, e.g. "
                        "{csv: nodes.csv} (one item per table)", *where)], str(file))
                table = file.parent / str(item["csv"])
                rows, row_lines = _read_csv(table, where, budget)
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


class RuleName(str):
    """A list item named in a path (`policies[hp_fluids]`, `nodes[tamro]`): found by name or id."""


def _split_path(dotted: str) -> list[str | int]:
    """'policies[hp_fluids].policy.target_days' -> ['policies', RuleName('hp_fluids'), ...].

    `a.0.b`, `a[0].b` and `a[name].b` all work; a bracket may hold dots and spaces (disruption
    names have them).
    """
    parts: list[str | int] = []
    pos = 0
    while pos < len(dotted):
        if dotted[pos] == ".":
            pos += 1
        elif dotted[pos] == "[":
            end = dotted.find("]", pos)
            if end < 0:
                raise KeyError(f"'{dotted}': '[' without a closing ']'")
            inner = dotted[pos + 1 : end].strip()
            if not inner:
                raise KeyError(f"'{dotted}': empty []; put an index or a rule name in it")
            parts.append(int(inner) if inner.lstrip("-").isdigit() else RuleName(inner))
            pos = end + 1
        else:
            match = re.match(r"[^.\[]+", dotted[pos:])
            assert match is not None  # pos is at neither '.' nor '['
            token = match.group(0).strip()
            parts.append(int(token) if token.lstrip("-").isdigit() else token)
            pos += len(match.group(0))
    return parts


def _item_label(item: Any) -> str | None:
    """What a list item can be called by in a path: a node's `id`, any other item's `name`.

    Nodes may have a display name too (`name: Tamro`), but they are addressed by id.
    """
    if isinstance(item, dict):
        for key in ("id", "name"):
            if isinstance(item.get(key), str) and item[key]:
                return str(item[key])
    return None


def _named_index(items: list, name: str, done: list, dotted: str) -> int:
    hits = [i for i, item in enumerate(items) if _item_label(item) == name]
    where = yaml_path(done) or "the scenario"
    if len(hits) > 1:
        raise KeyError(f"'{dotted}': {where} has {len(hits)} items named '{name}' "
                       f"({', '.join(f'[{i}]' for i in hits)}); use an index")
    if not hits and not items:
        raise KeyError(f"'{dotted}': {where} is empty (the scenario has none): there is no "
                       f"item named '{name}'")
    if not hits:
        labels = [label for label in map(_item_label, items) if label]
        hint = did_you_mean(name, labels) or (
            f"; its items have no names, use an index 0-{len(items) - 1}" if not labels else "")
        raise KeyError(f"'{dotted}': {where} has no item named '{name}'{hint}")
    return hits[0]


def set_path(data: dict, dotted: str, value: Any) -> list[str | int]:
    """Set `a.b.0.c` or `a[name].c` in nested data; return the path with names as indices.

    Raises KeyError with a did-you-mean when the path is wrong.
    """
    parts = _split_path(dotted)
    if not parts:
        raise KeyError("empty override path")
    target: Any = data
    concrete: list[str | int] = []
    for k, part in enumerate(parts[:-1]):
        target, key = _step(target, part, concrete, dotted, parts[k + 1])
        concrete.append(key)
    last = parts[-1]
    if isinstance(target, list):
        if isinstance(last, str) and not isinstance(last, int):
            last = _named_index(target, str(last), concrete, dotted)
        if not isinstance(last, int) or not -len(target) <= last < len(target):
            raise KeyError(f"'{dotted}': {_no_index(target, last, concrete)}")
        target[last] = value
        concrete.append(last % len(target))
    elif isinstance(target, dict):
        if isinstance(last, RuleName):
            raise KeyError(f"'{dotted}': {yaml_path(concrete)} is a section, not a list; "
                           f"write .{last} instead of [{last}]")
        target[str(last)] = value
        concrete.append(str(last))
    else:
        raise KeyError(f"'{dotted}': {yaml_path(concrete)} is a value, not a section")
    return concrete


def _no_index(items: list, index: Any, done: list) -> str:
    where = yaml_path(done) or "the scenario"
    if not items:
        return f"{where} is empty (the scenario has none): there is no index {index}"
    return f"{where} has {len(items)} items; '{index}' is not an index into it (0-{len(items) - 1})"


def _is_list(done: list, part: str | int, following: str | int | None) -> bool:
    """Whether a key absent from the data holds a list.

    A top-level list section (`policies`), or a key followed by an index or a [name].
    """
    if not done and isinstance(part, str):
        info = schema.Scenario.model_fields.get(part) or next(
            (f for f in schema.Scenario.model_fields.values() if f.alias == part), None)
        if info is not None:
            return typing.get_origin(info.annotation) is list
    return isinstance(following, (int, RuleName))


def _step(target: Any, part: str | int, done: list, dotted: str,
          following: str | int | None = None) -> tuple[Any, str | int]:
    """One level down `part`; returns the child and its concrete key (names become indices)."""
    if isinstance(target, list):
        if isinstance(part, str):
            part = _named_index(target, part, done, dotted)
        if not -len(target) <= part < len(target):
            raise KeyError(f"'{dotted}': {_no_index(target, part, done)}")
        return target[part], part % len(target)
    if isinstance(target, dict):
        if isinstance(part, RuleName):
            raise KeyError(f"'{dotted}': {yaml_path(done)} is a section, not a list; "
                           f"write .{part} instead of [{part}]")
        if part not in target:
            if isinstance(part, int) and str(part) in target:
                return target[str(part)], str(part)
            # A section left at its defaults is absent from the file: create it, and let
            # validation report the key if it is not a real one (with a did-you-mean).
            target[part] = [] if _is_list(done, part, following) else {}
        return target[part], part
    raise KeyError(f"'{dotted}': {yaml_path(done)} is a value, not a section")


def parse_set(assignment: str, label: str = "--set") -> tuple[str, Any]:
    """'a.b=3' -> ('a.b', 3); the value is read as YAML ('true', '[1, 2]', '7.5').

    `label` names the option in messages (`--set`, `--sweep`, `--link`).
    """
    if "=" not in assignment:
        raise ValueError(f"--set '{assignment}': expected path.to.key=value")
    key, raw = assignment.split("=", 1)
    try:
        return key.strip(), _cell(raw) if raw.strip() else ""
    except ValueError as exc:  # a limit broken: name the option it came from
        raise ValueError(f"{label} {key.strip()}: {exc}") from None


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


@functools.lru_cache(maxsize=256)
def _key_candidates(siblings: frozenset[str]) -> list[str]:
    """Field names of the model that best fits the other keys present beside the unknown one."""
    best: set[str] = set()
    score = -1
    for cls in _all_models():
        names = _field_names(cls)
        overlap = len(names & siblings)
        if overlap > score or (overlap == score and len(names) < len(best)):
            best, score = names, overlap
    return sorted(best) if score > 0 else sorted(set().union(*map(_field_names, _all_models())))


_last_keys: list[Any] = [None, frozenset()]


def _known_keys(parent: Any) -> frozenset[str]:
    """The keys of `parent` that are a field of some model (only they tell which model fits).

    The last mapping's answer is kept: its unknown keys, thousands in a hostile file, come one
    after another and must not each rescan it.
    """
    if not isinstance(parent, dict):
        return frozenset()
    if _last_keys[0] is not parent:
        known = _known_fields()
        _last_keys[:] = [parent, frozenset(str(k) for k in parent if str(k) in known)]
    return _last_keys[1]


@functools.lru_cache(maxsize=1)
def _known_fields() -> frozenset[str]:
    return frozenset().union(*map(_field_names, _all_models()))


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
        siblings = _known_keys(parent) - {key}
        # The key itself is a field somewhere else (Node.role): never suggest it back.
        candidates = [k for k in _key_candidates(siblings) if k != key]
        return f"unknown key '{key}'{did_you_mean(key, candidates)}"
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
        return f"got {short(value)}; expected {expected}{did_you_mean(str(value)[:100], options)}"
    message = err["msg"]
    if message.startswith("Value error, "):
        return message[len("Value error, ") :]
    if kind in {"model_type", "dict_type", "list_type"}:
        return f"{message[0].lower()}{message[1:]} (got {type(value).__name__})"
    return f"{message[0].lower()}{message[1:]} (got {short(value)})"


def validate(source: Source) -> schema.Scenario:
    """Check the shape (pydantic) and the cross-references; raise one ScenarioError.

    When the shape is wrong, the cross-reference checks still run on a repaired copy (unknown
    keys dropped or renamed to what they were surely meant to be, bad values set back to their
    defaults, items that cannot be repaired left out), so one pass reports every mistake.
    """
    from sim.scenario.checks import run_checks

    try:
        scenario = schema.Scenario.model_validate(source.data)
    except ValidationError as exc:
        problems, renames = _schema_problems(source, exc.errors())
        from sim.scenario.repair import checks_despite

        try:
            problems.extend(checks_despite(source, exc.errors(), renames, problems))
        except (KeyError, IndexError, TypeError, ValueError, AttributeError):
            # The repaired copy is a best effort on data of the wrong shape; if a check trips
            # over it, the shape problems alone are still the right answer.
            pass
        raise ScenarioError(_dedupe(problems), source.file) from None
    problems = run_checks(scenario, source)
    if problems:
        raise ScenarioError(problems, source.file)
    scenario._source = source
    return scenario


_TYPE_ERRORS = {"list_type", "dict_type", "model_type", "string_type", "int_type", "float_type",
                "bool_type", "none_required", "model_attributes_type", "is_instance_of"}


def _schema_problems(
    source: Source, errors: list[Any]
) -> tuple[list[Problem], dict[tuple, str]]:
    """One problem per mistake, and the misspelt keys as {path of the typo: meant key}.

    A misspelt required key makes pydantic report both 'missing' and 'extra'; that is one
    mistake. A value that fits no member of a union (`role: wards` for a role or a list of
    roles) is one error per member; the one about the value is kept, not 'should be a list'.
    """
    located = []
    for err in errors:
        path, parent, _ = _locate_error(source.data, err["loc"])
        located.append((tuple(path), err, parent))
    renames: dict[tuple, str] = {}
    paired_missing: set[tuple] = set()
    # missing keys by the mapping they are missing from, indexed once (thousands of unknown
    # keys must not rescan every error each)
    missing_in: dict[tuple, list[tuple]] = {}
    for path, err, _parent in located:
        if err["type"] == "missing" and path:
            missing_in.setdefault(path[:-1], []).append(path)
    for path, err, _parent in located:
        if err["type"] != "extra_forbidden" or not path:
            continue
        missing = [p[-1] for p in missing_in.get(path[:-1], ()) if p not in paired_missing]
        if not missing:
            continue
        close = difflib.get_close_matches(str(path[-1]), [str(m) for m in missing], n=1,
                                          cutoff=0.6)
        if close:
            renames[path] = close[0]
            paired_missing.add((*path[:-1], close[0]))
    by_path: dict[tuple, list[tuple[dict, Any]]] = {}
    deeper = {p[:cut] for p, _, _ in located for cut in range(len(p))}
    for path, err, parent in located:
        if err["type"] == "missing" and path in paired_missing:
            continue
        if (path in deeper and isinstance(err.get("input"), (list, dict))
                and err["type"] in {"literal_error", *_TYPE_ERRORS}):
            # `role: [ward, wards]`: the union member for one value says the list is not a
            # role; the list member names the bad item (role[1]), which is the one to keep.
            continue
        by_path.setdefault(path, []).append((err, parent))
    problems = []
    for path, errs in by_path.items():
        specific = [(e, p) for e, p in errs if e["type"] not in _TYPE_ERRORS]
        for err, parent in specific or errs[:1]:
            if path in renames:
                message = f"unknown key '{path[-1]}'; did you mean '{renames[path]}'?"
            elif len(problems) >= _EXPLAINED:
                # past the ones anybody reads: counted, not explained (no did-you-mean search)
                message = str(err["msg"])[:80]
            else:
                message = _message(err, parent, list(path))
            problems.append(source.problem(path, message))
    return problems, renames


_EXPLAINED = 1000
"""Shape problems given a full message (with did-you-mean); a message shows the first 50."""


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
    return validate(_numbers_checked(source))


def from_dict(data: dict[str, Any], name: str | None = None) -> schema.Scenario:
    """Validate a scenario given as plain data (e.g. built in a notebook)."""
    return validate(_numbers_checked(Source(name, copy.deepcopy(data), {})))


def _numbers_checked(source: Source) -> Source:
    """`source`, or a ScenarioError for numbers the engine cannot count exactly.

    Before validation: it compiles the network, which must never see such numbers.
    """
    found = scenario_number_problems(source.data)
    if found:
        raise ScenarioError([source.problem(path, message) for path, message in found],
                            source.file)
    return source


def _overridden(source: Source, overrides: dict[str, Any], label: str = "--set") -> Source:
    data = copy.deepcopy(source.data)
    problems = []
    overridden = dict(source.overridden)
    for dotted, value in overrides.items():
        try:
            concrete = set_path(data, dotted, value)
            overridden[tuple(concrete)] = f"{label} {dotted}={short(value)}"
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
    # Overridden values get the same number checks as the file's own (.inf, 1e30, NaN).
    return validate(_numbers_checked(_overridden(source, overrides, label)))
