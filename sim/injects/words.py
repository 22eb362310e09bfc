"""Names and numbers in a language: nodes, regions, products, groups, units, lists, days."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from sim.injects.rules import Labels, RulesFile
from sim.scenario.schema import Scenario

MAX_LISTED = 3
_NUMBER_SIGN = re.compile(r"(?<!\S)#(?!\w)")


class Count(str):
    """A number in words that can choose the form of what follows it.

    `format(count, "# dag|# dagar")` gives "1 dag" for exactly 1 and "5 dagar" otherwise, `#`
    standing for the number as written ("12 400"). Without a spec it is the number. Any other
    spec is an error: fields are text already formatted for the language.
    """

    value: float

    def __new__(cls, text: str, value: float) -> Count:
        """The number as written, and its value (which picks the form)."""
        out = super().__new__(cls, text)
        out.value = value
        return out

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(self)
        one, bar, many = spec.partition("|")
        if not bar:
            raise ValueError(f"'{spec}': write the singular and the plural, as '# day|# days'")
        # '#' on its own stands for the number; one inside a word or name ('Avd #3') stays.
        text = str(self)
        return _NUMBER_SIGN.sub(lambda _: text, one if self.value == 1 else many)


def readable(identifier: str) -> str:
    """A display name from an id: 'vastra_gotaland' -> 'Vastra gotaland', 'tamro' -> 'Tamro'."""
    text = identifier.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Words:
    """Everything a template needs turned into words, for one language and scenario."""

    lang: str
    labels: Labels
    rules: RulesFile
    scenario: Scenario
    from_day: int
    start: dt.datetime | None = None

    def node(self, node_id: str) -> str:
        """A node's name (its `name`, else from its id)."""
        found = self._nodes.get(node_id)
        return found if found else readable(node_id)

    @cached_property
    def _nodes(self) -> dict[str, str | None]:
        return {n.id: n.name for n in self.scenario.nodes}

    def region(self, region_id: str) -> str:
        """A region's display name (the rules' `regions`, else from its id)."""
        return self.rules.regions.get(region_id) or readable(region_id)

    def product(self, product_id: str) -> str:
        """A product's name as in the scenario."""
        product = self.scenario.products.get(product_id)
        return product.name if product else readable(product_id)

    def group(self, group_id: str) -> str:
        """A product group in words."""
        return self.labels.groups.get(group_id) or group_id.replace("_", " ")

    def category(self, category_id: str) -> str:
        """A care category in words (the id, spaced, when the labels do not name it)."""
        return self.labels.care_categories.get(category_id) or category_id.replace("_", " ")

    def unit(self, product_id: str, quantity: float = 2) -> str:
        """The unit of a product in words, singular for a quantity of one."""
        product = self.scenario.products.get(product_id)
        unit = product.unit if product else "unit"
        words = self.labels.units.get(unit, unit)
        if isinstance(words, str):
            return words
        return words.one if round(quantity) == 1 else words.many

    def role(self, role: str, many: bool = False) -> str:
        """A role in words."""
        names = self.labels.roles.get(role)  # type: ignore[call-overload]
        if names is None:
            return role.replace("_", " ")
        return names.many if many else names.one

    def country(self, code: str) -> str:
        """A country in words."""
        return self.labels.countries.get(code, code)

    def listing(self, items: Iterable[str]) -> str:
        """'A', 'A och B', 'A, B och C', 'A, B, C och 4 till' (duplicates dropped).

        When a name has a comma of its own ('Akademiska, akutmottagning'), items are separated
        by '; ' instead, so the list stays unambiguous.
        """
        unique = list(dict.fromkeys(i for i in items if i))
        separator = "; " if any("," in i for i in unique) else ", "
        if len(unique) > MAX_LISTED + 1:
            more = self.labels.list_more.format(count=self.count(len(unique) - MAX_LISTED))
            unique = [*unique[:MAX_LISTED], more]
        if len(unique) <= 1:
            return unique[0] if unique else ""
        return f"{separator.join(unique[:-1])} {self.labels.list_and} {unique[-1]}"

    def integer(self, value: float) -> str:
        """A whole number with the language's thousands separator ('12 400')."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return f"{round(value):,d}".replace(",", self.labels.thousands)

    def count(self, value: float) -> Count:
        """A whole number that templates can follow with a noun in the right form."""
        value = float(value)
        if math.isnan(value):
            return Count("–", value)
        return Count(self.integer(value), float(round(value)))

    def count_number(self, value: float) -> Count:
        """A threshold or duration, whole when whole (like `number`), that can choose a form."""
        value = float(value)
        return Count(self.number(value), value)

    def decimal(self, value: float, places: int = 1) -> str:
        """A number with the language's decimal sign ('2,5')."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        text = f"{value:,.{places}f}"
        return text.replace(",", "\0").replace(".", self.labels.decimal).replace(
            "\0", self.labels.thousands)

    def number(self, value: float) -> str:
        """A factor or threshold: whole when whole, else one decimal ('3', '2,5')."""
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "–"
        return self.integer(value) if float(value).is_integer() else self.decimal(value)

    def percent(self, share: float) -> str:
        """A share as a whole percentage ('60')."""
        return self.integer(100 * share)

    def when(self, day: int | None) -> str:
        """A scenario day in words, or as a date when the exercise has a start date."""
        if day is None:
            return "–"
        if self.start is None:
            return self.labels.day.format(day=day)
        return date_text(self.start + dt.timedelta(days=day - self.from_day),
                         self.labels.date_format)


def date_text(date: dt.date, fmt: str) -> str:
    """A date in a strftime format, where %-d and %-m (no leading zero) work everywhere."""
    fmt = fmt.replace("%-d", str(date.day)).replace("%-m", str(date.month))
    return date.strftime(fmt)
