"""Sizing and sensitivity files: what to vary, what to measure, checked like scenarios are.

```yaml
scenario: three_months_degraded.yaml        # relative to this file
vary:
  - {path: "policies[hp_oxygen_bulk].policy.target_days", low: 7, high: 91, step: 1, cost: 1.0}
target:
  kpi: fill_rate
  match: {role: ward, product: oxygen_bulk}
  at_least: 0.95
  confidence: 0.95
replications: 50
```

Every mistake is reported at once with the file, line and key, as for a scenario; the scenario
paths are tried at both ends of their ranges before anything runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from sim.scenario import Problem, Scenario, ScenarioError, from_dict, load_scenario
from sim.scenario.errors import did_you_mean
from sim.scenario.load import Source, _locate_error, _message, _read_yaml, apply_overrides
from sim.scenario.schema import Match, Model

KpiName = Literal["fill_rate", "order_fill_rate", "unmet", "stockout_days", "share_short"]
RISING: frozenset[str] = frozenset({"fill_rate", "order_fill_rate"})
"""KPIs that more stock raises; the others (unmet units, stockout days, share short) it lowers."""
SHARES: frozenset[str] = frozenset({"fill_rate", "order_fill_rate", "share_short"})
"""KPIs that are shares, between 0 and 1; the others (unmet units, stockout days) are >= 0."""
MAX_REPLICATIONS = 100_000
MAX_GRID = 1_000_000
"""The most values one sizing variable may take (its grid is built in memory)."""
Finite = Annotated[float, Field(allow_inf_nan=False)]


class Vary(Model):
    """One decision variable: a scenario path, its range and the cost of one unit of it."""

    path: Annotated[str, Field(min_length=1)]
    low: Finite
    high: Finite
    step: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 1.0
    """The grid is low, low + step, ..., high: (high - low) must be a whole number of steps."""
    cost: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 1.0
    """Cost per unit of the value (per day of supply, per unit of stock, ...)."""
    follow: dict[str, Finite] = Field(default_factory=dict)
    """Other paths set to this value plus an offset, e.g. a reorder point 7 days below a target."""

    @model_validator(mode="after")
    def _range(self) -> Vary:
        if self.low > self.high:
            raise ValueError(f"empty range: low {self.low:g} is above high {self.high:g}")
        steps = (self.high - self.low) / self.step
        if steps + 1 > MAX_GRID:
            raise ValueError(f"the range {self.low:g} to {self.high:g} in steps of "
                             f"{self.step:g} has {steps + 1:.3g} values, more than "
                             f"{MAX_GRID:,}: raise step")
        if abs(steps - round(steps)) > 1e-9 * max(1.0, steps):
            # Silently stopping below high would leave the top of the range untried.
            raise ValueError(f"(high - low) must be a multiple of step: {self.high:g} - "
                             f"{self.low:g} is not a whole number of steps of {self.step:g} "
                             f"(try high {self.low + math.floor(steps) * self.step:g} or "
                             f"{self.low + math.ceil(steps) * self.step:g})")
        return self


class Kpi(Model):
    """A KPI over the matched node-products, aggregated by units as the batch summary does."""

    kpi: KpiName = "fill_rate"
    match: Match = Match()


class Target(Kpi):
    """A KPI with the bound it must meet and the confidence of that."""

    at_least: float | None = None
    at_most: float | None = None
    confidence: Annotated[float, Field(ge=0.5, lt=1)] = 0.95
    """The one-sided confidence bound (lower for at_least, upper for at_most) must meet it;
    0.5 or more (below 0.5 the "bound" lies on the wrong side of the mean)."""

    @model_validator(mode="after")
    def _one_bound(self) -> Target:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least and at_most")
        rising = self.kpi in RISING
        if rising and self.at_most is not None:
            raise ValueError(f"{self.kpi} rises with stock: give at_least, not at_most")
        if not rising and self.at_least is not None:
            raise ValueError(f"{self.kpi} falls with stock: give at_most, not at_least")
        bound = self.bound
        share = self.kpi in SHARES
        if not math.isfinite(bound) or bound < 0 or (share and bound > 1):
            within = "between 0 and 1 (a share)" if share else "0 or more"
            raise ValueError(f"{self.kpi} is {within}: a target of {bound:g} is impossible")
        return self

    @property
    def bound(self) -> float:
        """The value the KPI must reach."""
        return float(self.at_least if self.at_least is not None else self.at_most)  # type: ignore[arg-type]


class SizingFile(Model):
    """The sizing file's schema (`beredskap size`, `sim.size`)."""

    scenario: Any
    """A path (relative to the sizing file), a `Scenario`, or plain scenario data."""
    vary: Annotated[list[Vary], Field(min_length=1)]
    target: Target
    replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 20
    confirm_replications: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] | None = None
    """Fresh replications (another seed) that confirm the winner; default: `replications`."""
    seed: int | None = None
    set: dict[str, Any] = Field(default_factory=dict)
    """Overrides applied to the scenario for every candidate."""


DistributionName = Literal["uniform", "triangular", "normal", "lognormal"]
DISTRIBUTION_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("mean", "sd"), ("low", "high")),
}
"""Per distribution: the keys it needs and the keys it may take (low/high truncate)."""
_SALIB_NAMES = {"unif": "uniform", "triang": "triangular", "norm": "normal",
                "truncnorm": "normal", "lognorm": "lognormal"}
_TOO_LITTLE_MASS = 1e-6


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def lognormal_log_params(mean: float, sd: float) -> tuple[float, float]:
    """The mean and sd of ln(X) for a lognormal X with the given mean and sd (of X itself)."""
    s2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - s2 / 2, math.sqrt(s2)


class Parameter(Model):
    """One uncertain input: a scenario path and how its values are drawn.

    `distribution` is `uniform` (the default: `low`, `high`), `triangular` (`low`, `mode`,
    `high`), `normal` (`mean`, `sd`) or `lognormal` (`mean`, `sd` of the value itself, not of
    its logarithm); a normal or lognormal is truncated to `low`/`high` when they are given.
    """

    path: Annotated[str, Field(min_length=1)]
    distribution: DistributionName = "uniform"
    low: Finite | None = None
    high: Finite | None = None
    mode: Finite | None = None
    """Triangular: the most likely value, within [low, high]."""
    mean: Finite | None = None
    """Normal, lognormal: the mean of the untruncated distribution."""
    sd: Finite | None = None
    """Normal, lognormal: the standard deviation of the untruncated distribution (above 0)."""
    integer: bool = False
    """Round sampled values to whole numbers (levels in units, whole days)."""

    @field_validator("distribution", mode="before")
    @classmethod
    def _salib_name(cls, value: Any) -> Any:
        # SALib users write its short names; point them to ours rather than a bare list.
        if isinstance(value, str) and value in _SALIB_NAMES:
            ours = _SALIB_NAMES[value]
            how = " with low and high (a truncated normal)" if value == "truncnorm" else ""
            raise ValueError(f"unknown distribution '{value}' (SALib's name); write "
                             f"'{ours}'{how}")
        return value

    @model_validator(mode="after")
    def _shape(self) -> Parameter:
        need, may = DISTRIBUTION_KEYS[self.distribution]
        given = [k for k in ("low", "mode", "high", "mean", "sd") if getattr(self, k) is not None]
        missing = [k for k in need if k not in given]
        stray = [k for k in given if k not in need + may]
        takes = _keys(list(need)) + (f", optionally {_keys(list(may))}" if may else "")
        problems = []
        if missing:
            problems.append(f"{self.distribution} needs {_keys(missing)}")
        if stray:
            problems.append(f"{_keys(stray)} {'is' if len(stray) == 1 else 'are'} not for "
                            f"{self.distribution}, which takes {takes}")
        if problems and "distribution" not in self.model_fields_set:
            problems.append("a parameter is uniform unless its `distribution` says otherwise "
                            "(triangular, normal, lognormal)")
        if problems:
            raise ValueError("; ".join(problems))
        low, high = self.low, self.high
        if low is not None and high is not None and not low < high:
            problems.append(f"empty range: low {low:g} must be below high {high:g}")
        elif self.distribution == "triangular":
            assert low is not None and high is not None and self.mode is not None
            if not low <= self.mode <= high:
                problems.append(f"mode {self.mode:g} is outside the range [{low:g}, {high:g}]")
        if (self.integer and low is not None and high is not None
                and math.ceil(low) > math.floor(high)):
            problems.append(f"integer: true, but the range [{low:g}, {high:g}] holds no whole "
                            "number: widen it to include one, or drop integer")
        if self.sd is not None and not self.sd > 0:
            problems.append(f"sd must be above 0 (got {self.sd:g})")
        if self.distribution == "lognormal":
            if self.mean is not None and not self.mean > 0:
                problems.append(f"a lognormal's mean must be above 0 (got {self.mean:g})")
            if low is not None and low < 0:
                problems.append(f"low {low:g} is below 0, where a lognormal has no values: give "
                                "low 0 or more, or leave it out")
            if high is not None and not high > 0:
                problems.append(f"high {high:g} leaves nothing of a lognormal, whose values are "
                                "above 0")
        if not problems and self.distribution in ("normal", "lognormal"):
            mass = self.mass()
            if mass < _TOO_LITTLE_MASS:
                problems.append(
                    f"the range {_range(low, high)} holds almost none of the "
                    f"{self.distribution} with mean {self.mean:g} and sd {self.sd:g} "
                    f"(probability {mass:.1e}); check the units, or use a uniform or triangular "
                    "range")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def mass(self) -> float:
        """Normal, lognormal: the probability the untruncated distribution gives [low, high]."""
        assert self.mean is not None and self.sd is not None
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        mu, s = self.mean, self.sd
        if self.distribution == "lognormal":
            # ln X is normal; a low of 0 (or none) cuts nothing off.
            mu, s = lognormal_log_params(self.mean, self.sd)
            low = math.log(low) if low > 0 else -math.inf
            high = math.log(high)
        return _normal_cdf((high - mu) / s) - _normal_cdf((low - mu) / s)

    @property
    def bounded(self) -> bool:
        """True when every value lies in a stated, finite [low, high]."""
        return self.low is not None and self.high is not None


def _keys(keys: list[str]) -> str:
    return ", ".join(keys[:-1]) + " and " + keys[-1] if len(keys) > 1 else keys[0]


def _range(low: float | None, high: float | None) -> str:
    if low is None:
        return f"below {high:g}"
    return f"above {low:g}" if high is None else f"[{low:g}, {high:g}]"


class SensitivityFile(Model):
    """The sensitivity file's schema (`beredskap sensitivity`, `sim.sensitivity`)."""

    scenario: Any
    method: Literal["morris", "sobol"] = "morris"
    parameters: Annotated[list[Parameter], Field(min_length=1)]
    kpi: Kpi
    replications: Annotated[int, Field(ge=1, le=MAX_REPLICATIONS)] = 5
    trajectories: Annotated[int, Field(ge=2, le=10_000)] = 10
    """Morris: number of trajectories (each costs parameters + 1 model points)."""
    levels: Annotated[int, Field(ge=2, le=100)] = 4
    """Morris: grid levels per parameter."""
    samples: Annotated[int, Field(ge=2, le=1_000_000)] = 64
    """Sobol: base sample size N (costs N x (parameters + 2) points: first and total order, no
    second order; a power of 2)."""
    seed: int | None = None
    set: dict[str, Any] = Field(default_factory=dict)


def _field_names() -> list[str]:
    """Keys of the nested sections (a misspelt one is matched against these)."""
    models = (Vary, Target, Match, Parameter, Kpi)
    return list(dict.fromkeys(name for m in models for name in m.model_fields))


@dataclass
class Loaded:
    """A checked spec: its options, the scenario it runs on, and where it came from."""

    options: Any
    scenario: Scenario
    label: str
    source: Source


_KINDS = {"sizing": ("size", ("vary", "target")),
          "sensitivity": ("sensitivity", ("parameters", "kpi"))}


def _other_kind(model: type[Model], data: dict[str, Any]) -> str:
    """A sensitivity file given where a sizing file is wanted (or the reverse): what to run."""
    want, other = ("sizing", "sensitivity") if model is SizingFile else ("sensitivity", "sizing")
    own = _KINDS[want][1]
    command, keys = _KINDS[other]
    if any(k in data for k in own) or not any(k in data for k in keys):
        return ""
    has = " and ".join(f"'{k}'" for k in keys if k in data)
    return (f"this is a {other} file (it has {has}, not {' and '.join(repr(k) for k in own)}): "
            f"run it with `beredskap {command}`")


def _validate(model: type[Model], data: Any, source: Source) -> Any:
    if not isinstance(data, dict):
        raise ScenarioError([Problem("", "expected a mapping with a 'scenario' key",
                                     source.file, 1)], source.file)
    wrong = _other_kind(model, data)
    if wrong:
        raise ScenarioError([Problem("", wrong, source.file, 1)], source.file or "spec")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where, parent, _ = _locate_error(data, err["loc"])
            message = _message(err, parent, where)
            if err["type"] == "extra_forbidden" and where:
                key = str(where[-1])
                known = model.model_fields if len(where) == 1 else _field_names()
                message = f"unknown key '{key}'{did_you_mean(key, set(known) - {key})}"
            problems.append((err["type"], source.problem(tuple(where), message)))
        # A bad value for a one-or-many key fails both ways; the list complaint is noise.
        paths = {p.path for kind, p in problems if kind != "list_type"}
        kept = [p for kind, p in problems if kind != "list_type" or p.path not in paths]
        raise ScenarioError(kept, source.file or "spec") from None


def _scenario(value: Any, base: Path | None, source: Source) -> Scenario:
    if isinstance(value, Scenario):
        return value
    if isinstance(value, dict):
        return from_dict(value)
    if isinstance(value, (str, Path)) and str(value):
        file = Path(value) if base is None else base / value
        if not file.is_file():
            raise ScenarioError([source.problem(("scenario",),
                                                f"scenario file not found: {file}")],
                                source.file or "spec")
        return load_scenario(file)
    raise ScenarioError([source.problem(("scenario",), "expected a scenario file name, a "
                                        f"Scenario or scenario data (got {type(value).__name__})")],
                        source.file or "spec")


def load_spec(spec: Any, model: type[Model], changes: dict[str, Any] | None = None) -> Loaded:
    """A sizing or sensitivity spec from a YAML file or a dict, with its scenario loaded.

    `changes` replace top-level keys (command-line options such as `--replications`). Raises
    `ScenarioError` with every problem found (file, line, key, did-you-mean).
    """
    if isinstance(spec, (str, Path)):
        file = Path(spec)
        data, lines = _read_yaml(file)
        source = Source(str(file), data if isinstance(data, dict) else {}, lines)
        base: Path | None = file.parent
        label = str(file)
    else:
        data = dict(spec) if isinstance(spec, dict) else spec
        source = Source(None, data if isinstance(data, dict) else {}, {})
        base, label = None, "spec"
    if changes and isinstance(data, dict):
        data = {**data, **{k: v for k, v in changes.items() if v is not None}}
    options = _validate(model, data, source)
    scenario = _scenario(options.scenario, base, source)
    if options.set:
        scenario = apply_overrides(scenario, options.set, f"{label}: set")
    return Loaded(options, scenario, label, source)


def path_problems(scenario: Scenario, corners: list[dict[str, Any]],
                  label: str) -> list[Problem]:
    """Apply each set of overrides to the scenario; the problems found, each once."""
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for overrides in corners:
        try:
            apply_overrides(scenario, overrides, label)
        except ScenarioError as exc:
            for p in exc.problems:
                if (p.path, p.message) not in seen:
                    seen.add((p.path, p.message))
                    problems.append(p)
    return problems


def where(source: Source, path: tuple) -> str:
    """`file:line: key` of a spec entry, to name it in messages about what it sets."""
    hit = source.locate(path)
    from sim.scenario.errors import yaml_path

    return f"{hit[0]}:{hit[1]}: {yaml_path(path)}" if hit else f"{source.file or 'spec'}: " + (
        yaml_path(path))


def match_problems(scenario: Scenario, match: Match, source: Source,
                   where: tuple) -> list[Problem]:
    """Names in `match` exist in the scenario (a typo would silently match nothing)."""
    known = {
        "node": [n.id for n in scenario.nodes],
        "role": list(dict.fromkeys(n.role for n in scenario.nodes)),
        "region": list(dict.fromkeys(n.region for n in scenario.nodes)),
        "country": list(dict.fromkeys(n.country for n in scenario.nodes)),
        "tag": list(dict.fromkeys(t for n in scenario.nodes for t in n.tags)),
        "group": list(dict.fromkeys(p.group for p in scenario.products.values())),
        "product": list(scenario.products),
    }
    problems = []
    for key, names in known.items():
        given = getattr(match, key)
        for value in [given] if isinstance(given, str) else list(given or []):
            if value not in names:
                problems.append(source.problem(
                    (*where, "match", key),
                    f"no {key} '{value}' in scenario '{scenario.name}'"
                    f"{did_you_mean(value, names)}"))
    return problems
