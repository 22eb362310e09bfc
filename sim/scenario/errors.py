"""One error type for every problem in a scenario, gathered and reported at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem: where it is and what to do about it."""

    path: str
    """YAML path, e.g. `nodes[3].lead_time_days`."""
    message: str
    file: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        elif self.line:
            where = f"line {self.line}: "
        path = f"{self.path}: " if self.path else ""
        return f"{where}{path}{self.message}"


class ScenarioError(ValueError):
    """A scenario that cannot be run, with every problem found in it."""

    def __init__(self, problems: Iterable[Problem], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def __reduce__(self) -> tuple:
        # Rebuilt from its problems, not its message: errors raised in batch worker processes
        # cross back pickled.
        return (type(self), (self.problems, self.source))

    def render(self) -> str:
        """The message users see: a headline and one bullet per problem."""
        n = len(self.problems)
        head = f"{self.source or 'scenario'}: {n} problem{'s' if n != 1 else ''}"
        shown = [f"  - {p}" for p in self.problems[:MAX_SHOWN]]
        if n > MAX_SHOWN:
            shown.append(f"  ... and {n - MAX_SHOWN:,} more (fix these first)")
        return "\n".join([head, *shown])


MAX_SHOWN = 50
"""Problems printed in one message; the rest are counted (a file with thousands of mistakes
must not print megabytes)."""


def short(value: object, limit: int = 40) -> str:
    """`repr(value)` cut to about `limit` characters, for messages about untrusted values."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A ' did you mean ...?' suffix, or '' when nothing is close."""
    candidates = list(candidates)
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    if not close and len(word) >= 3:
        # A part of a longer name ('fluids' for 'infusion_fluids'), when only one has it.
        close = [c for c in candidates
                 if isinstance(c, str) and word.lower() in c.lower().replace("-", "_").split("_")]
        close = close if len(close) == 1 else []
    return f"; did you mean '{close[0]}'?" if close else ""


def yaml_path(parts: Iterable[str | int]) -> str:
    """('nodes', 3, 'id') -> 'nodes[3].id'."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
