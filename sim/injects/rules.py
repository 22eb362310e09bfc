"""The rules and templates file: what triggers an inject, to whom, and what it says.

One pydantic model per YAML section; unknown keys are errors. Loading with line numbers is in
load.py, the checks pydantic cannot make (languages, recipients, placeholders) in checks.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from sim.injects.fields import MSEL_COLUMNS, GroupKey, TriggerKind
from sim.scenario.errors import did_you_mean
from sim.scenario.schema import Role

DEFAULT_RULES = Path(__file__).parent / "data" / "default.yaml"
"""The rules file that ships with beredskap (Swedish, Norwegian bokmål and English)."""

DisruptionType = Literal[
    "power_outage", "transport", "export_ban", "factory_loss", "it_outage", "demand_surge",
    "staff_absence", "stock_loss",
]
DISRUPTION_TYPES: tuple[str, ...] = DisruptionType.__args__  # type: ignore[attr-defined]
CountermeasureType = Literal[
    "redistribution", "substitution", "stockpile_release", "emergency_lanes",
    "production_conversion", "allocation", "use_expired",
]
"""The scenario's countermeasure types (fields.COUNTERMEASURE_TYPES; a test keeps them equal to
the scenario schema's)."""
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
    rationing: list[str] | None = None
    """rationing_start, rationing_end: the scenario's rationing rules, by name (all when
    omitted)."""
    countermeasure_types: list[CountermeasureType] | None = None
    """Countermeasure kinds only: the countermeasure types (all when omitted)."""
    countermeasures: list[str] | None = None
    """Countermeasure kinds only: the scenario's countermeasures, by name (all when omitted)."""
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
    keep: Literal["all", "first", "last", "most_severe"] = "all"
    """Per group_by key: every inject, or only the first, the last or the most severe of the
    run (most_severe: for cuts, the deepest; ties go to the earlier day)."""
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
    "lead_time": {"factor"}, "capacity": {"pct"}, "closed": set(), "loading": set(),
    "production": {"pct"}, "stopped": set(), "ordering": set(), "order_intake": set(),
    "ordering_and_intake": set(), "demand": {"factor"}, "staff": {"pct"}, "destroyed": {"pct"},
    "recalled": {"pct", "days"},
}
"""What a disruption does, in words (labels.effects), and the placeholders each may use."""
IT_OUTAGE_EFFECTS: dict[str, str] = {
    "ordering": "ordering", "order_intake": "order_intake", "both": "ordering_and_intake",
}
"""An IT outage's `effect` in the scenario -> its phrase in labels.effects."""


class Labels(Model):
    """Words for one language: column headings, methods, roles, groups, units, list joining."""

    title: str
    """Title of the MSEL (document heading, timeline title)."""
    sheet: Annotated[str, Field(min_length=1)]
    """Name of the spreadsheet tab (at most 31 characters, none of []:*?/\\; checks.py)."""
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
    capacity ({pct}), closed (a closed lane: nothing gets through, goods on the way wait),
    loading (an export ban, or a closure with `hold_in_transit: false`: nothing new is loaded,
    goods on the way arrive), production ({pct}), stopped (production at 0 %), demand
    ({factor}); an IT outage by its `effect`: ordering (the node places no orders, its customers
    are still supplied from its stock), order_intake (it ships nothing on its customers' orders
    while it lasts) and ordering_and_intake (`both`)."""
    disruption_types: dict[DisruptionType, str]
    countermeasure_types: dict[CountermeasureType, str] = {}
    """Countermeasure types in words (the type, spaced, when missing)."""
    countermeasures: dict[str, str] = {}
    """Phrases of the countermeasure fields `measure`, `trigger_reason`, `delay`, `outcome`,
    `area`, `crowded`, `allocation_rule`, `order_cap` (English when missing; the keys and their
    placeholders are in sim/injects/fields.py, COUNTERMEASURE_WORDS)."""
    countries: dict[str, str] = {}
    """Country codes in words (the code when missing)."""
    care_categories: dict[str, str] = {}
    """The scenario's care categories in words (the id, spaced, when missing)."""
    rationing: dict[str, str] = {}
    """What a rationing rule does, as phrases joined into the field `measures`: defer
    ({categories}), cancel ({days}), conserve ({products}, {pct}), none (English when missing)."""
    about: dict[str, str] = {}
    """Words for the file's about section and the timeline (see docs/injects.md)."""


class Column(Model):
    """A planner's own column: a heading and a default text per language (templates allowed)."""

    heading: Text
    text: Text = {}
    after: str | None = None
    """A standard column (MSEL_COLUMNS) this one follows, as in the HSEEP MSEL template's
    "responsible controller" after the event synopsis; at the end when omitted."""


class Schedule(Model):
    """Clock times of injects within a scenario day."""

    day_start: str = "08:00"
    """The first inject of a day (the time of --start replaces it)."""
    day_end: str = "16:00"
    """Injects of a busy day are squeezed to end before this."""
    spacing_minutes: Annotated[int, Field(ge=1)] = 20
    exercise_spacing_minutes: Annotated[int, Field(ge=0)] = 3
    """With --compress: an inject's exercise time is at least this many minutes after the one
    before it (in order; 0: as compressed)."""


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

    def column_order(self) -> list[str]:
        """The standard MSEL columns with the file's own columns where their `after` says."""
        out: list[str] = []
        for standard in MSEL_COLUMNS:
            out.append(standard)
            out += [c for c, col in self.columns.items() if col.after == standard]
        return out + [c for c, col in self.columns.items() if col.after is None]

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
        if lang.strip().lower() in self.languages:
            return lang.strip().lower()
        alias = LANGUAGE_ALIASES.get(lang.strip().lower())
        hint = (f"; did you mean '{alias}'?" if alias in self.languages
                else did_you_mean(lang, self.languages))
        where = f" in {self.file}" if self.file else ""
        raise ValueError(f"unknown language '{lang}'{hint} (languages{where}: "
                         f"{', '.join(self.languages)})")
