"""What pydantic cannot check in a rules file.

Every language has every text, recipients and methods exist, filters fit the trigger kind, and
every template placeholder is a field that kind provides (with a suggestion when it is not).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Any

from sim.injects.fields import (
    ABOUT_WORDS,
    ADMISSION_KINDS,
    COUNT_FIELDS,
    COUNTERMEASURE_KINDS,
    COUNTERMEASURE_PLACEHOLDERS,
    COUNTERMEASURE_TYPES,
    COUNTERMEASURE_WORDS,
    DECISION_KINDS,
    DISRUPTION_KINDS,
    DOS_KINDS,
    KIND_FIELDS,
    METADATA_COLUMNS,
    MSEL_COLUMNS,
    OPTIONAL_HEADINGS,
    RATIONING_KINDS,
    RATIONING_PLACEHOLDERS,
    RATIONING_WORDS,
    START_FIELDS_BY_TYPE,
    TEXT_FIELDS,
)
from sim.injects.rules import (
    DISRUPTION_TYPES,
    EFFECTS,
    RECIPIENT_OF_CUSTOMERS,
    RECIPIENT_OF_NODE,
    Labels,
    Rule,
    RulesFile,
    Schedule,
)
from sim.injects.words import Count
from sim.scenario.errors import did_you_mean
from sim.scenario.schema import ROLES

Path_ = tuple[str | int, ...]
Finding = tuple[Path_, str]
_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
LANE_TYPES: tuple[str, ...] = ("transport", "export_ban")
"""Disruption types that hit transport links rather than nodes."""
SHEET_FORBIDDEN = "[]:*?/\\"
"""Characters Excel does not allow in a sheet name (which is also at most 31 long)."""
PHRASE_COUNTS: frozenset[str] = frozenset({
    "days", "below_days", "target_days", "floor_days", "units", "suppliers", "source",
    "receivers", "where"})
"""Placeholders of labels.<lang>.countermeasures that are counts (can choose a form)."""


def run_checks(rules: RulesFile) -> list[Finding]:
    """Every problem pydantic cannot see, as (YAML path, message)."""
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
        if column.after is not None and column.after not in MSEL_COLUMNS:
            out.append(((*base, "after"), f"'{column.after}' is not a standard column"
                                          f"{did_you_mean(column.after, MSEL_COLUMNS)} "
                                          f"({', '.join(MSEL_COLUMNS)})"))
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
        out += _template((*base, key), getattr(labels, key), fields, f"labels.{key}",
                         {"count"})
    out += _sheet_name((*base, "sheet"), labels.sheet)
    if "about" in labels.about:
        out += _sheet_name((*base, "about", "about"), labels.about["about"])
    out += _date_format((*base, "date_format"), labels.date_format)
    missing = [c for c in (*MSEL_COLUMNS, *METADATA_COLUMNS)
               if c not in labels.headings and c not in OPTIONAL_HEADINGS]
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
                             f"labels.effects.{key}", {"days"})
    for key in labels.effects:
        if key not in EFFECTS:
            out.append(((*base, "effects", key),
                        f"unknown effect '{key}'{did_you_mean(key, EFFECTS)} (effects: "
                        f"{', '.join(EFFECTS)})"))
    if "baseline_day" in labels.about:
        out += _template((*base, "about", "baseline_day"), labels.about["baseline_day"],
                         {"when"}, "labels.about.baseline_day")
    for key in labels.about:
        if key not in ABOUT_WORDS:
            out.append(((*base, "about", key),
                        f"unknown word '{key}'{did_you_mean(key, ABOUT_WORDS)} (about: "
                        f"{', '.join(ABOUT_WORDS)})"))
    for key, phrase in labels.rationing.items():
        if key not in RATIONING_WORDS:
            out.append(((*base, "rationing", key),
                        f"unknown phrase '{key}'{did_you_mean(key, RATIONING_WORDS)} "
                        f"(rationing: {', '.join(RATIONING_WORDS)})"))
        else:
            out += _template((*base, "rationing", key), phrase, RATIONING_PLACEHOLDERS[key],
                             f"labels.rationing.{key}", {"days"})
    for key, phrase in labels.countermeasures.items():
        if key not in COUNTERMEASURE_WORDS:
            out.append(((*base, "countermeasures", key),
                        f"unknown phrase '{key}'{did_you_mean(key, COUNTERMEASURE_WORDS)} "
                        f"(countermeasures: {', '.join(COUNTERMEASURE_WORDS)})"))
        else:
            out += _template((*base, "countermeasures", key), phrase,
                             COUNTERMEASURE_PLACEHOLDERS[key], f"labels.countermeasures.{key}",
                             PHRASE_COUNTS)
    missing_types = [t for t in DISRUPTION_TYPES if t not in labels.disruption_types]
    if missing_types:
        out.append(((*base, "disruption_types"),
                    f"no words for disruption type(s) {', '.join(missing_types)}"))
    return out


def _sheet_name(path: Path_, name: str) -> list[Finding]:
    """Excel refuses sheet names with any of SHEET_FORBIDDEN or longer than 31 characters."""
    out: list[Finding] = []
    bad = sorted({c for c in name if c in SHEET_FORBIDDEN})
    if bad:
        out.append((path, f"'{name}' names a spreadsheet tab, which cannot contain "
                          f"{' '.join(bad)} (Excel forbids {' '.join(SHEET_FORBIDDEN)})"))
    if len(name) > 31:
        out.append((path, f"'{name}' names a spreadsheet tab, which is at most 31 characters "
                          f"long (this is {len(name)})"))
    return out


DATE_DIRECTIVES = set("aAbBdmyYHIpMSjUWGuVzZ%")
"""strftime directives a date_format may use (portable ones); %-d and %-m drop the zero."""


def _date_format(path: Path_, fmt: str) -> list[Finding]:
    out: list[Finding] = []
    for match in re.finditer(r"%(-?)(.?)", fmt):
        flag, code = match.groups()
        if (flag and code not in ("d", "m")) or (not flag and code not in DATE_DIRECTIVES):
            out.append((path, f"'%{flag}{code}' in '{fmt}' is not a date directive (use "
                              "%d %m %Y %y %b %B %a %A %H %M, %-d and %-m for no leading zero)"))
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
    decision = kind in DECISION_KINDS
    if decision and (node_filters or when.unless is not None):
        keys = [*node_filters, *(["unless"] if when.unless is not None else [])]
        yield ((*base, "when", keys[0]),
               f"{', '.join(keys)}: {kind} concerns a countermeasure, not nodes or products; "
               "use countermeasure_types or countermeasures")
    for key in ("countermeasure_types", "countermeasures"):
        if getattr(when, key) is not None and kind not in COUNTERMEASURE_KINDS:
            yield ((*base, "when", key),
                   f"{key} applies to the countermeasure kinds ({', '.join(COUNTERMEASURE_KINDS)})"
                   f", not {kind}")
    if when.thresholds is not None and kind not in DOS_KINDS:
        yield ((*base, "when", "thresholds"),
               f"thresholds apply to dos_below and dos_recovered, not {kind}")
    if when.below is not None and kind != "allocation_cut":
        yield (*base, "when", "below"), f"below applies to allocation_cut, not {kind}"
    if when.rationing is not None and kind not in RATIONING_KINDS:
        yield ((*base, "when", "rationing"),
               f"rationing applies to rationing_start and rationing_end, not {kind}")
    if kind in ADMISSION_KINDS:
        # Admissions are counted per node and day, over every product: nothing to match.
        for part, where in ((when, ("when",)), (when.unless, ("when", "unless"))):
            for key in ("groups", "products"):
                if part is not None and getattr(part, key) is not None:
                    yield ((*base, *where, key),
                           f"{key}: {kind} counts admissions at a node, not products; use "
                           "roles, tags, regions or nodes")
    for i, key in enumerate(rule.group_by):
        if disruption and key != "disruption":
            yield (*base, "group_by", i), f"'{key}': {kind} injects can only group by disruption"
        if not disruption and key == "disruption":
            yield (*base, "group_by", i), f"'disruption': {kind} is not a disruption trigger"
        if key == "threshold" and kind not in DOS_KINDS:
            yield (*base, "group_by", i), f"'threshold': {kind} has no threshold"
        if key == "rationing" and kind not in RATIONING_KINDS:
            yield (*base, "group_by", i), f"'rationing': {kind} is not a rationing trigger"
        if key == "countermeasure" and kind not in COUNTERMEASURE_KINDS:
            yield (*base, "group_by", i), f"'countermeasure': {kind} is not a countermeasure kind"
        if decision and key != "countermeasure":
            yield ((*base, "group_by", i),
                   f"'{key}': {kind} injects can only group by countermeasure")
        if key in ("product", "group") and kind in ADMISSION_KINDS:
            yield ((*base, "group_by", i),
                   f"'{key}': {kind} counts admissions at a node, not products")
    if rule.to in (RECIPIENT_OF_NODE, RECIPIENT_OF_CUSTOMERS) and decision:
        yield ((*base, "to"), f"'{rule.to}': {kind} concerns a countermeasure, not a node; name "
                              f"an actor ({', '.join(rules.actors)})")
    elif rule.to in (RECIPIENT_OF_NODE, RECIPIENT_OF_CUSTOMERS):
        lanes = [t for t in (when.disruption_types or DISRUPTION_TYPES) if t in LANE_TYPES]
        if disruption and lanes:
            node_types = ", ".join(t for t in DISRUPTION_TYPES if t not in LANE_TYPES)
            yield ((*base, "to"), f"'{rule.to}': {', '.join(lanes)} disruptions hit transport "
                                  f"links, not nodes; limit when.disruption_types to "
                                  f"{node_types} or name an actor ({', '.join(rules.actors)})")
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
    fields, owner = set(KIND_FIELDS[kind]), kind
    if kind == "countermeasure_start":
        fields, owner = start_fields(when.countermeasure_types)
    for lang, text in rule.text.items():
        for key in TEXT_FIELDS:
            attr = "from_" if key == "from" else key
            yield from _template((*base, "text", lang, key), getattr(text, attr), fields, owner)
        for col_id, template in text.columns.items():
            where = (*base, "text", lang, "columns", col_id)
            if col_id not in rules.columns:
                yield where, (f"unknown column '{col_id}'"
                              f"{did_you_mean(col_id, rules.columns)} (declare it in columns)")
            yield from _template(where, template, fields, owner)


def start_fields(types: list[str] | None) -> tuple[set[str], str]:
    """The fields a countermeasure_start rule for these types may use, and who provides them.

    Those of every countermeasure and those every listed type gives (all types when None).
    """
    listed = list(types or COUNTERMEASURE_TYPES)
    common = set.intersection(*(set(START_FIELDS_BY_TYPE[t]) for t in listed))
    fields = {k for k in KIND_FIELDS["countermeasure_start"]
              if k not in {f for t in START_FIELDS_BY_TYPE.values() for f in t} or k in common}
    return fields, f"countermeasure_start of {', '.join(listed)}"


_FORMATTER = string.Formatter()


def placeholders(template: str) -> list[str]:
    """The field names a template uses, including those nested in format specs."""
    return [name for name, _ in _parsed(template)]


def _parsed(template: str) -> list[tuple[str, str | None]]:
    """(field name, conversion) of every placeholder, including those nested in specs."""
    return [(field, conversion) for field, _, conversion in _placeholders(template)]


def _placeholders(template: str) -> list[tuple[str, str, str | None]]:
    """(field name, format spec, conversion) of every placeholder, nested ones too."""
    out: list[tuple[str, str, str | None]] = []
    for _, field, spec, conversion in _FORMATTER.parse(template):
        if field is not None:
            out.append((field, spec or "", conversion))
            if spec:
                out.extend(_placeholders(spec))
    return out


def _template(path: Path_, template: str, fields: set[str], owner: str,
              counts: frozenset[str] | set[str] = COUNT_FIELDS) -> list[Finding]:
    """Problems with one template: braces, unknown or non-plain placeholders, format specs.

    The one spec allowed is a count's choice of form, `{count:# ward|# wards}`.
    """
    try:
        parsed = _placeholders(template)
    except ValueError as exc:
        return [(path, f"{exc}; write {{{{ and }}}} for a literal brace")]
    out: list[Finding] = []
    for name, spec, conversion in parsed:
        if spec and name in fields and name in counts and "|" in spec:
            continue  # singular|plural; its nested placeholders are checked on their own
        if spec:
            # refused before anything is formatted: `{x:>1500000000}` pads to gigabytes
            hint = (f" (a count can choose the form of its noun: {{{name}:# day|# days}})"
                    if name in counts and name in fields else "")
            out.append((path, f"placeholder '{{{name}:{spec[:20]}}}': write just {{{name}}}; "
                              "fields are text already formatted for the language, so use no "
                              f"number formats, widths or alignment{hint}"))
            continue
        if conversion is not None:
            out.append((path, f"placeholder '{{{name}!{conversion}}}': write just {{{name}}} "
                              "(fields are text already)"))
            continue
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
        template.format_map({name: Count("x", 2) if name in counts else "x" for name in fields})
    except (ValueError, TypeError) as exc:
        out.append((path, f"{exc}: fields are text already formatted for the language, so "
                          "use no number formats"))
    return out
