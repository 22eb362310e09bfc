"""The rules and templates file: what triggers an inject, to whom, and what it says.

A planner edits YAML; this module checks its shape (pydantic, unknown keys are errors) and then
what pydantic cannot: every language has every text, recipients and methods exist, and every
template placeholder is a field the rule's trigger kind provides. Every problem is reported at
once, with the file, line and YAML path, and a suggestion for a misspelt name.
"""

from __future__ import annotations

import re
import string
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from sim.injects.fields import (
    ABOUT_WORDS,
    DISRUPTION_KINDS,
    DOS_KINDS,
    KIND_FIELDS,
    METADATA_COLUMNS,
    MSEL_COLUMNS,
    TEXT_FIELDS,
    GroupKey,
    TriggerKind,
)
from sim.scenario.errors import Problem, ScenarioError, did_you_mean, yaml_path
from sim.scenario.load import _merge, _message, _read_yaml
from sim.scenario.schema import ROLES, Role

DEFAULT_RULES = Path(__file__).parent / "data" / "default.yaml"
"""The rules file that ships with beredskap (Swedish, Norwegian bokmål and English)."""

DisruptionType = Literal[
    "power_outage", "transport", "export_ban", "factory_loss", "it_outage", "demand_surge",
]
DISRUPTION_TYPES: tuple[str, ...] = DisruptionType.__args__  # type: ignore[attr-defined]
RECIPIENT_OF_NODE = "node"
RECIPIENT_OF_CUSTOMERS = "customers"

# Names people type for a language, and the code they mean (for the did-you-mean).
LANGUAGE_ALIASES: dict[str, str] = {
    "se": "sv", "swe": "sv", "swedish": "sv", "svenska": "sv", "sv-se": "sv", "sv_se": "sv",
    "no": "nb", "nob": "nb", "nn": "nb", "norwegian": "nb", "norsk": "nb", "bokmål": "nb",
    "bokmal": "nb", "nb-no": "nb", "nb_no": "nb",
    "eng": "en", "english": "en", "engelska": "en", "engelsk": "en", "gb": "en", "uk": "en",
    "us": "en", "en-gb": "en", "en_gb": "en", "en-us": "en", "en_us": "en",
}

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class RulesError(ScenarioError):
    """A rules file that cannot be used, with every problem found in it."""


class Model(BaseModel):
    """Shared base: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


Text = dict[str, str]
"""One text per language code."""


class Filter(Model):
    """Nodes and products a rule applies to. Every given key must match; a list means any of."""

    roles: list[Role] | None = None
    tags: list[str] | None = None
    """Node tags (a node matches when it carries any of them)."""
    regions: list[str] | None = None
    nodes: list[str] | None = None
    groups: list[str] | None = None
    """Product groups."""
    products: list[str] | None = None


class When(Filter):
    """The triggers a rule turns into injects."""

    kind: TriggerKind
    disruption_types: list[DisruptionType] | None = None
    """Disruption kinds only: the disruption types (all when omitted)."""
    thresholds: list[Annotated[float, Field(gt=0)]] | None = None
    """dos_below, dos_recovered: the days-of-supply levels (all the run recorded when omitted)."""
    below: Annotated[float, Field(gt=0, le=1)] | None = None
    """allocation_cut: only cuts to a delivered share below this (0.8 = below 80 %)."""
    unless: Filter | None = None
    """Triggers that also match this are left out (e.g. `unless: {tags: [regional_store]}`)."""


class RuleText(Model):
    """A rule's templates in one language. Placeholders name fields: `{product_name}`."""

    from_: str = Field(alias="from")
    """The simulated originator ("Tamro", "{node_name}", "Elnätsbolaget")."""
    synopsis: str
    """One line for the controller: what happens."""
    message: str
    """What the player receives."""
    expected_action: str
    """What the player is expected to do."""
    capability: str
    """The capability or exercise objective it exercises."""
    columns: dict[str, str] = {}
    """Texts for the file's own `columns`, overriding their defaults for this rule."""


class Rule(Model):
    """Which triggers become injects, how they are merged and ranked, and what they say."""

    when: When
    to: str
    """The player who receives it: an actor id, `node` (the actor for the node's role or tag,
    see `recipients`) or `customers` (the actor for the role of the node's customers)."""
    method: str
    """How it is delivered: a key of the labels' `methods` (phone, email, media, sitrep)."""
    severity: Annotated[float, Field(ge=0, le=100)]
    """Base importance 0-100; intensity adds up to 20 and breadth up to 10 (docs/injects.md)."""
    group_by: list[GroupKey] = []
    """Triggers of the same day with equal values of these keys make one inject."""
    keep: Literal["all", "first", "last"] = "all"
    """Per group_by key: every inject, or only the first or the last of the run."""
    min_gap_days: Annotated[int, Field(ge=0)] = 0
    """Per group_by key: at least this many days between two injects (rate limit)."""
    max: Annotated[int, Field(ge=1)] | None = None
    """At most this many injects from this rule (the most severe)."""
    enabled: bool = True
    text: dict[str, RuleText]
    """Templates per language."""


class Forms(Model):
    """A word in the singular and the plural."""

    one: str
    many: str


EFFECTS: dict[str, set[str]] = {
    "lead_time": {"factor"}, "capacity": {"pct"}, "closed": set(), "production": {"pct"},
    "ordering": set(), "demand": {"factor"},
}
"""What a disruption does, in words (labels.effects), and the placeholders each may use."""


class Labels(Model):
    """Words for one language: column headings, methods, roles, groups, units, list joining."""

    title: str
    """Title of the MSEL (document heading, timeline title)."""
    sheet: Annotated[str, Field(min_length=1, max_length=31)]
    """Name of the spreadsheet tab."""
    day: str
    """A scenario day in words; placeholder `{day}` ("dag {day}")."""
    date_format: str = "%Y-%m-%d"
    """strftime format of dates in texts (with --start)."""
    list_and: str
    """The word before the last item of a list ("och", "and")."""
    list_more: str
    """The tail of a long list; placeholder `{count}` ("{count} till")."""
    links: str
    """Transport links in words; placeholder `{count}` ("{count} transportsträckor")."""
    decimal: str = "."
    thousands: str = ","
    whole_country: str
    all_products: str
    headings: dict[str, str]
    """Column headings in files, for every standard column."""
    methods: dict[str, str]
    """Delivery methods: id -> words."""
    roles: dict[Role, Forms]
    groups: dict[str, str] = {}
    """Product groups in words (the group id, spaced, when missing)."""
    units: dict[str, Forms | str] = {}
    """Units in words: one form, or {one, many} (the unit as in the scenario when missing)."""
    effects: dict[str, str]
    """What disruptions do, as phrases joined into the field `effect`: lead_time ({factor}),
    capacity ({pct}), closed, production ({pct}), ordering, demand ({factor})."""
    disruption_types: dict[DisruptionType, str]
    countries: dict[str, str] = {}
    """Country codes in words (the code when missing)."""
    about: dict[str, str] = {}
    """Words for the file's about section and the timeline (see docs/injects.md)."""


class Column(Model):
    """A planner's own column: a heading and a default text per language (templates allowed)."""

    heading: Text
    text: Text = {}


class Schedule(Model):
    """Clock times of injects within a scenario day."""

    day_start: str = "08:00"
    """The first inject of a day (the time of --start replaces it)."""
    day_end: str = "16:00"
    """Injects of a busy day are squeezed to end before this."""
    spacing_minutes: Annotated[int, Field(ge=1)] = 20


class Window(Model):
    """The scenario days that make injects."""

    from_day: Annotated[int, Field(ge=0)] | None = None
    """First day (default: the end of the scenario's warm-up)."""
    to_day: Annotated[int, Field(ge=0)] | None = None
    """Last day (default: the last day of the run)."""


class Recipients(Model):
    """Which player gets an inject about a node (`to: node`, `to: customers`)."""

    roles: dict[Role, str]
    """Node role -> actor id; every role needs one."""
    tags: dict[str, str] = {}
    """Node tag -> actor id; wins over the role (first matching tag in this order)."""


class RulesFile(Model):
    """A rules and templates file (the shipped one is sim/injects/data/default.yaml)."""

    languages: Annotated[list[str], Field(min_length=1)]
    """Language codes every text is written in."""
    schedule: Schedule = Schedule()
    window: Window = Window()
    regions: dict[str, str] = {}
    """Region id -> display name (the id, capitalised, when missing)."""
    actors: dict[str, Text]
    """Players and other roles that injects are addressed to: id -> name per language."""
    recipients: Recipients
    labels: dict[str, Labels]
    columns: dict[str, Column] = {}
    """Planners' own columns, after the standard ones."""
    rules: dict[str, Rule]
    """Rules by id, applied in order; every matching rule makes its injects."""

    _file: str | None = PrivateAttr(default=None)

    @property
    def file(self) -> str | None:
        """Where these rules were read from."""
        return self._file

    def enabled_rules(self) -> list[tuple[str, Rule]]:
        """The rules that make injects, in file order."""
        return [(rid, r) for rid, r in self.rules.items() if r.enabled]

    def actor(self, actor_id: str, lang: str) -> str:
        """An actor's name in a language."""
        return self.actors[actor_id][lang]

    def recipient(self, role: str, tags: list[str] | tuple[str, ...]) -> str:
        """The actor id that receives injects about a node with this role and tags."""
        for tag, actor_id in self.recipients.tags.items():
            if tag in tags:
                return actor_id
        return self.recipients.roles[role]  # type: ignore[index]

    def language(self, lang: str) -> str:
        """`lang` if the file has it; else a ValueError with the choices and a suggestion."""
        if lang in self.languages:
            return lang
        alias = LANGUAGE_ALIASES.get(lang.strip().lower())
        hint = (f"; did you mean '{alias}'?" if alias in self.languages
                else did_you_mean(lang, self.languages))
        where = f" in {self.file}" if self.file else ""
        raise ValueError(f"unknown language '{lang}'{hint} (languages{where}: "
                         f"{', '.join(self.languages)})")


# --- loading ------------------------------------------------------------------------------------

Path_ = tuple[str | int, ...]
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
    return DEFAULT_RULES if parent == "default" else (folder / parent).resolve()


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
    problems = [_problem(lines, file, path, message) for path, message in _checks(rules)]
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


# --- checks pydantic cannot make ----------------------------------------------------------------

Finding = tuple[Path_, str]


def _checks(rules: RulesFile) -> list[Finding]:
    out: list[Finding] = []
    langs = rules.languages
    out += _language_keys(("labels",), rules.labels, langs)
    for actor_id, names in rules.actors.items():
        out += _language_keys(("actors", actor_id), names, langs)
    out += _recipients(rules)
    out += _schedule(rules.schedule)
    for lang, labels in rules.labels.items():
        out += _labels(rules, lang, labels)
    common = set.intersection(*(set(f) for f in KIND_FIELDS.values()))
    standard = {*MSEL_COLUMNS, *METADATA_COLUMNS}
    for col_id, column in rules.columns.items():
        base = ("columns", col_id)
        if col_id in standard:
            out.append((base, f"'{col_id}' is a standard column; give yours another name"))
        out += _language_keys((*base, "heading"), column.heading, langs)
        out += _language_keys((*base, "text"), column.text, langs, required=False)
        for lang, template in column.text.items():
            out += _template((*base, "text", lang), template, common, "every kind")
    for rule_id, rule in rules.rules.items():
        out += _rule(rules, rule_id, rule)
    return out


def _language_keys(path: Path_, texts: dict[str, Any], langs: list[str],
                   required: bool = True) -> list[Finding]:
    out: list[Finding] = []
    if required:
        for lang in langs:
            if lang not in texts:
                out.append((path, f"no text for language '{lang}' (languages: "
                                  f"{', '.join(langs)})"))
    for lang in texts:
        if lang not in langs:
            out.append(((*path, lang), f"'{lang}' is not one of the languages "
                                       f"({', '.join(langs)}){did_you_mean(lang, langs)}"))
    return out


def _recipients(rules: RulesFile) -> list[Finding]:
    out: list[Finding] = []
    missing = [r for r in ROLES if r not in rules.recipients.roles]
    if missing:
        out.append((("recipients", "roles"), f"no recipient for role(s) {', '.join(missing)}"))
    for section, mapping in (("roles", rules.recipients.roles), ("tags", rules.recipients.tags)):
        for key, actor_id in mapping.items():
            if actor_id not in rules.actors:
                out.append((("recipients", section, key),
                            f"unknown actor '{actor_id}'{did_you_mean(actor_id, rules.actors)}"))
    return out


def _schedule(schedule: Schedule) -> list[Finding]:
    out: list[Finding] = []
    for key in ("day_start", "day_end"):
        value = getattr(schedule, key)
        if not _CLOCK.match(value):
            out.append((("schedule", key), f"'{value}' is not a clock time like 08:00"))
    return out


def _labels(rules: RulesFile, lang: str, labels: Labels) -> list[Finding]:
    base: Path_ = ("labels", lang)
    out: list[Finding] = []
    for key, fields in (("day", {"day"}), ("list_more", {"count"}), ("links", {"count"})):
        out += _template((*base, key), getattr(labels, key), fields, f"labels.{key}")
    missing = [c for c in (*MSEL_COLUMNS, *METADATA_COLUMNS) if c not in labels.headings]
    if missing:
        out.append(((*base, "headings"), f"no heading for column(s) {', '.join(missing)}"))
    missing_roles = [r for r in ROLES if r not in labels.roles]
    if missing_roles:
        out.append(((*base, "roles"), f"no words for role(s) {', '.join(missing_roles)}"))
    for key, fields in EFFECTS.items():
        if key not in labels.effects:
            out.append(((*base, "effects"), f"no words for the effect '{key}'"))
        else:
            out += _template((*base, "effects", key), labels.effects[key], fields,
                             f"labels.effects.{key}")
    for key in labels.effects:
        if key not in EFFECTS:
            out.append(((*base, "effects", key),
                        f"unknown effect '{key}'{did_you_mean(key, EFFECTS)} (effects: "
                        f"{', '.join(EFFECTS)})"))
    for key in labels.about:
        if key not in ABOUT_WORDS:
            out.append(((*base, "about", key),
                        f"unknown word '{key}'{did_you_mean(key, ABOUT_WORDS)} (about: "
                        f"{', '.join(ABOUT_WORDS)})"))
    missing_types = [t for t in DISRUPTION_TYPES if t not in labels.disruption_types]
    if missing_types:
        out.append(((*base, "disruption_types"),
                    f"no words for disruption type(s) {', '.join(missing_types)}"))
    return out


def _rule(rules: RulesFile, rule_id: str, rule: Rule) -> Iterator[Finding]:
    base: Path_ = ("rules", rule_id)
    when, kind = rule.when, rule.when.kind
    disruption = kind in DISRUPTION_KINDS
    node_filters = [k for k in ("roles", "tags", "regions", "nodes", "groups", "products")
                    if getattr(when, k) is not None]
    if disruption and (node_filters or when.unless is not None):
        keys = [*node_filters, *(["unless"] if when.unless is not None else [])]
        yield ((*base, "when", keys[0]),
               f"{', '.join(keys)}: {kind} concerns a disruption, not nodes or products; "
               "use disruption_types")
    if when.disruption_types is not None and not disruption:
        yield (*base, "when", "disruption_types"), f"disruption_types does not apply to {kind}"
    if when.thresholds is not None and kind not in DOS_KINDS:
        yield ((*base, "when", "thresholds"),
               f"thresholds apply to dos_below and dos_recovered, not {kind}")
    if when.below is not None and kind != "allocation_cut":
        yield (*base, "when", "below"), f"below applies to allocation_cut, not {kind}"
    for i, key in enumerate(rule.group_by):
        if disruption and key != "disruption":
            yield (*base, "group_by", i), f"'{key}': {kind} injects can only group by disruption"
        if not disruption and key == "disruption":
            yield (*base, "group_by", i), f"'disruption': {kind} is not a disruption trigger"
        if key == "threshold" and kind not in DOS_KINDS:
            yield (*base, "group_by", i), f"'threshold': {kind} has no threshold"
    if rule.to in (RECIPIENT_OF_NODE, RECIPIENT_OF_CUSTOMERS):
        if disruption:
            yield ((*base, "to"), f"'{rule.to}': {kind} has no node; name an actor "
                                  f"({', '.join(rules.actors)})")
    elif rule.to not in rules.actors:
        choices = [*rules.actors, RECIPIENT_OF_NODE, RECIPIENT_OF_CUSTOMERS]
        yield (*base, "to"), f"unknown actor '{rule.to}'{did_you_mean(rule.to, choices)}"
    for lang, labels in rules.labels.items():
        if rule.method not in labels.methods:
            yield ((*base, "method"), f"unknown method '{rule.method}' (labels.{lang}.methods: "
                                      f"{', '.join(labels.methods)})"
                                      f"{did_you_mean(rule.method, labels.methods)}")
            break
    yield from _language_keys((*base, "text"), rule.text, rules.languages)
    fields = set(KIND_FIELDS[kind])
    for lang, text in rule.text.items():
        for key in TEXT_FIELDS:
            attr = "from_" if key == "from" else key
            yield from _template((*base, "text", lang, key), getattr(text, attr), fields, kind)
        for col_id, template in text.columns.items():
            where = (*base, "text", lang, "columns", col_id)
            if col_id not in rules.columns:
                yield where, (f"unknown column '{col_id}'"
                              f"{did_you_mean(col_id, rules.columns)} (declare it in columns)")
            yield from _template(where, template, fields, kind)


_FORMATTER = string.Formatter()


def placeholders(template: str) -> list[str]:
    """The field names a template uses, including those nested in format specs."""
    names = []
    for _, field, spec, _ in _FORMATTER.parse(template):
        if field is not None:
            names.append(field)
            if spec:
                names.extend(placeholders(spec))
    return names


def _template(path: Path_, template: str, fields: set[str], owner: str) -> list[Finding]:
    """Problems with one template: braces, unknown or non-plain placeholders, format specs."""
    try:
        names = placeholders(template)
    except ValueError as exc:
        return [(path, f"{exc}; write {{{{ and }}}} for a literal brace")]
    out: list[Finding] = []
    for name in names:
        if name == "" or name.isdigit():
            out.append((path, "a placeholder needs a field name, e.g. {product_name}"))
        elif name not in fields:
            plain = re.split(r"[.\[]", name, maxsplit=1)[0]
            if plain in fields:
                out.append((path, f"placeholder '{{{name}}}': write just {{{plain}}}"))
            else:
                out.append((path, f"unknown placeholder '{{{name}}}'"
                                  f"{did_you_mean(name, fields)} ({owner} provides: "
                                  f"{', '.join(sorted(fields))})"))
    if out:
        return out
    try:
        template.format_map({name: "x" for name in fields})
    except (ValueError, TypeError) as exc:
        out.append((path, f"{exc}: fields are text already formatted for the language, so "
                          "use no number formats"))
    return out
