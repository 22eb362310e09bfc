"""Batch files: a scenario, named variants and sweeps in YAML, checked like scenarios are.

```yaml
scenario: three_months_degraded.yaml   # relative to this file
replications: 200
seed: 7                                # optional; default: the scenario's
set: {horizon_days: 120}               # optional; applies to every variant
variants:                              # optional named variants
  - name: today
  - name: stockpile 28 days
    set: {policies.0.policy.target_days: 28}
sweep:                                 # optional; crossed with every variant
  disruptions.0.duration_days: [30, 90]
tables: [kpis, daily]                  # optional; also daily, aggregate, chunk
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError

from sim.batch.variants import Variant, check_grid_size, linked_paths
from sim.scenario import Problem, Scenario, ScenarioError, load_scenario
from sim.scenario.errors import did_you_mean
from sim.scenario.limits import read_text
from sim.scenario.load import Source, _locate_error, _message, _read_yaml, apply_overrides
from sim.scenario.numbers import number_problems
from sim.scenario.schema import Model

MAX_REPLICATIONS = 1_000_000
"""Replications (and replications per task) a batch file may ask for."""
TOP_LEVEL = re.compile(r"""^["']?scenario["']?\s*:""", re.MULTILINE)


class VariantSpec(Model):
    """One named variant in a batch file."""

    name: Annotated[str, Field(min_length=1)]
    set: dict[str, Any] = Field(default_factory=dict)


class BatchFile(Model):
    """The batch file's schema."""

    scenario: Annotated[str, Field(min_length=1)]
    replications: Annotated[int, Field(ge=1)] | None = None
    seed: int | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    variants: list[VariantSpec] = Field(default_factory=list)
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = Field(default_factory=dict)
    tables: list[Literal["kpis", "daily", "events", "ledger"]] | None = None
    daily: Literal["node", "region", "role"] | None = None
    aggregate: bool | None = None
    chunk: Annotated[int, Field(ge=1)] | None = None


@dataclass
class BatchSpec:
    """A loaded batch file: its scenario and what to vary."""

    file: Path
    scenario: Scenario
    options: BatchFile
    variants: list[Variant] = field(default_factory=list)

    def label(self, variant: Variant) -> str:
        """Where a variant's overrides are written, for error messages."""
        return f"{self.file}: variant '{variant.name}'" if self.options.variants else (
            f"{self.file}: sweep")


def _number_problems(options: BatchFile) -> list[tuple[tuple[str | int, ...], str]]:
    """Numbers the batch file gives that break a limit, with their paths.

    Its own (replications, chunk, seed), and its overrides' values, each checked by the
    scenario path it sets (days, quantities, seeds).
    """
    found = []
    for key in ("replications", "chunk"):
        value = getattr(options, key)
        if value is not None and value > MAX_REPLICATIONS:
            found.append(((key,), f"{value:,} is more than {MAX_REPLICATIONS:,}; split the "
                                  "study into several batches"))
    if options.seed is not None:
        found += [(("seed",), m) for _, m in number_problems(options.seed, ("seed",))]
    sets = [(("set", key), value) for key, value in options.set.items()]
    sets += [(("variants", i, "set", key), value)
             for i, v in enumerate(options.variants) for key, value in v.set.items()]
    sets += [(("sweep", key, j), value)
             for key, values in options.sweep.items() for j, value in enumerate(values)]
    for where, value in sets:
        dotted = tuple(str(where[-1] if where[0] != "sweep" else where[1]).split("."))
        found += [(where, m) for _, m in number_problems(value, dotted)]
    return found


LINK_KEYS = {"link", "links", "linked", "zip", "together"}
"""Top-level keys a user may try for a linked sweep (it is a comma-separated `sweep` key)."""


def _link_problems(options: BatchFile) -> list[tuple[tuple[str | int, ...], str]]:
    """Steps of a linked sweep (`'a.b, c.d': [[1, 2], ...]`) that do not give one value per path."""
    found = []
    for key, values in options.sweep.items():
        paths = linked_paths(key)
        if len(paths) < 2:
            continue
        for j, step in enumerate(values):
            if not isinstance(step, (list, tuple)) or len(step) != len(paths):
                found.append((("sweep", key, j),
                              f"a linked sweep of {len(paths)} paths needs a list of "
                              f"{len(paths)} values in each step, one per path, e.g. "
                              f"[{', '.join(str(i + 1) for i in range(len(paths)))}]; "
                              f"got {step!r}"))
    return found


def is_batch_file(path: str | Path) -> bool:
    """A batch file names its scenario at the top level; a scenario file does not."""
    try:  # bounded: a device or a huge file is refused by the loader, not read here
        text = read_text(Path(path))
    except ScenarioError:
        return False
    return bool(TOP_LEVEL.search(text))


def load_batch_file(path: str | Path, sets: dict[str, Any] | None = None) -> BatchSpec:
    """Read and check a batch file and the scenario it names (`sets` override that scenario)."""
    file = Path(path)
    data, lines = _read_yaml(file)
    source = Source(str(file), data if isinstance(data, dict) else {}, lines)
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "a batch file is a mapping with a 'scenario' key",
                                     str(file), 1)], str(file))
    try:
        options = BatchFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where, parent, _ = _locate_error(data, err["loc"])
            message = _message(err, parent, where)
            if err["type"] == "extra_forbidden" and len(where) == 1:
                key = str(where[0])
                message = f"unknown key '{key}'{did_you_mean(key, BatchFile.model_fields)}"
                if key.lower() in LINK_KEYS:
                    message += ("; paths that move together are one sweep key naming them "
                                "comma-separated, with one value per path in each step: "
                                "sweep: {'a.b, c.d': [[1, 2], [3, 4]]}")
            problems.append(source.problem(tuple(where), message))
        raise ScenarioError(problems, str(file)) from None
    problems = [source.problem(where, message) for where, message in _number_problems(options)]
    problems += [source.problem(where, message) for where, message in _link_problems(options)]
    try:
        check_grid_size(options.sweep, len(options.variants), options.replications or 1)
    except ValueError as exc:  # before a grid of a billion variants is built
        problems.append(source.problem(("sweep",) if options.sweep else ("variants",), str(exc)))
    if problems:
        raise ScenarioError(problems, str(file))
    scenario_file = (file.parent / options.scenario)
    if not scenario_file.exists():
        problem = source.problem(("scenario",), f"scenario file not found: {scenario_file}")
        raise ScenarioError([problem], str(file))
    scenario = load_scenario(scenario_file)
    if options.set:
        scenario = apply_overrides(scenario, options.set, f"{file}: set")
    if sets:
        scenario = apply_overrides(scenario, sets, "--set")
    variants = [Variant(v.name, dict(v.set)) for v in options.variants]
    return BatchSpec(file, scenario, options, variants)
