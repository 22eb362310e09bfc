"""`sim.size`: the cheapest stockpile whose KPI meets a target with stated confidence.

The search exploits that more stock never lowers fill (nor raises unmet demand): along each
decision variable the KPI is monotone, so
- with one variable, bisection over its grid finds the smallest value that meets the target in
  about log2(grid points) + 2 evaluations;
- with several, marginal analysis (as in the classic spare-parts methods, Sherbrooke's METRIC):
  from the cheapest corner, repeatedly take the step with the largest KPI gain per unit of cost
  until the target is met, first in coarse strides (an eighth of each range), then bisecting
  each variable back down, most expensive first, while the target still holds. Marginal
  analysis is exact for separable problems with diminishing returns and a good heuristic
  otherwise; no general optimiser is needed where the problem is monotone.
Candidates share common random numbers (the batch seed), so a comparison between two is not
blurred by noise. The winner is then run again with fresh replications (another seed); if the
bound fails there, the search steps up until it holds.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.research.evaluate import Evaluator, Progress
from sim.research.kpi import Estimate, estimate, undefined_problems
from sim.research.spec import (
    SizingFile,
    Target,
    Vary,
    load_spec,
    match_problems,
    path_problems,
    where,
)
from sim.scenario import Problem, ScenarioError

COARSE_STEPS = 8
"""Marginal analysis first walks each range in about this many strides."""


class SizingInfeasible(ValueError):
    """No setting in the ranges meets the target; `.result` holds what was tried."""

    def __init__(self, message: str, result: SizingResult) -> None:
        super().__init__(message)
        self.result = result


def _grid(v: Vary) -> list[Any]:
    """The values a variable can take: low, low + step, ... up to high."""
    n = math.floor((v.high - v.low) / v.step + 1e-9) + 1
    whole = float(v.low).is_integer() and float(v.step).is_integer()
    return [int(v.low + i * v.step) if whole else round(v.low + i * v.step, 10)
            for i in range(n)]


@dataclass
class Trial:
    """One candidate evaluated on one seed."""

    phase: str
    index: tuple[int, ...]
    seed: int
    estimate: Estimate
    meets: bool


@dataclass
class SizingResult:
    """What `sim.size` found.

    - `best`: each varied path with its chosen value (paths that `follow` it are in
      `settings`);
    - `kpi`, `lower`, `upper`: the winner's mean and one-sided confidence bounds on the
      confirmation run (fresh replications, another seed); when nothing met the target on the
      search seed, the best found's on that seed (`phase` and `seed` say which run);
    - `cost`: sum of cost x value;
    - `trials`: one row per candidate evaluation (phase, seed, values, cost, KPI, bounds, meets);
    - `feasible`: False when no setting met the target (then `best` is the best found).
    """

    best: dict[str, Any]
    settings: dict[str, Any]
    kpi: float
    lower: float
    upper: float
    cost: float
    feasible: bool
    target: dict[str, Any]
    trials: pd.DataFrame
    folder: Path | None = None
    replications_run: int = 0
    method: str = ""
    notes: list[str] = field(default_factory=list)
    phase: str = "confirm"
    """The phase of the run `kpi` and the bounds come from: "confirm" (fresh replications) or,
    when no setting met the target on the search seed, the search phase of the best found."""
    seed: int | None = None

    def plot(self, ax: Any = None) -> Any:
        """KPI against cost for every candidate (with its interval), the target and the winner."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        t = self.trials
        for confirm, style in ((False, "o"), (True, "s")):
            rows = t[(t["phase"] == "confirm") == confirm]
            if rows.empty:
                continue
            err = np.vstack([rows["kpi"] - rows["lower"], rows["upper"] - rows["kpi"]])
            err = np.where(np.isfinite(err), err, 0.0)
            ax.errorbar(rows["cost"], rows["kpi"], yerr=err, fmt=style, capsize=3, alpha=0.8,
                        label="confirmation (fresh seed)" if confirm else "candidates")
        ax.axhline(self.target["bound"], color="tab:red", linestyle="--",
                   label=f"target {self.target['bound']:g}")
        ax.plot([self.cost], [self.kpi], marker="*", markersize=16, color="tab:green",
                linestyle="none", label="chosen" if self.feasible else "best found")
        ax.set_xlabel("cost (sum of cost x value)")
        ax.set_ylabel(self.target["kpi"])
        ax.grid(alpha=0.3)
        ax.legend(loc="best", fontsize="small")
        return ax.figure

    def __repr__(self) -> str:
        best = ", ".join(f"{k}={v}" for k, v in self.best.items())
        return (f"SizingResult({best}; {self.target['kpi']} {self.kpi:.4f}, bounds "
                f"[{self.lower:.4f}, {self.upper:.4f}], cost {self.cost:g}, "
                f"feasible={self.feasible}, {len(self.trials)} trials)")


class _Search:
    """The state of one sizing search: grids, evaluations so far, and the steps it takes."""

    def __init__(self, options: SizingFile, evaluator: Evaluator, seed: int) -> None:
        self.vary = options.vary
        self.target: Target = options.target
        self.grids = [_grid(v) for v in self.vary]
        self.evaluator = evaluator
        self.replications = options.replications
        self.confirm_replications = options.confirm_replications or options.replications
        self.seed = seed
        self.confirm_seed = seed + 1
        self.trials: list[Trial] = []
        self._seen: dict[tuple[tuple[int, ...], int], Trial] = {}

    # --- candidates ------------------------------------------------------------------------

    def values(self, index: Sequence[int]) -> list[Any]:
        return [g[i] for g, i in zip(self.grids, index, strict=True)]

    def overrides(self, index: Sequence[int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for v, value in zip(self.vary, self.values(index), strict=True):
            out[v.path] = value
            for path, offset in v.follow.items():
                shifted = value + offset
                out[path] = int(shifted) if float(shifted).is_integer() and isinstance(
                    value, int) else shifted
        return out

    def cost(self, index: Sequence[int]) -> float:
        return float(sum(v.cost * x for v, x in zip(self.vary, self.values(index), strict=True)))

    def meets(self, e: Estimate) -> bool:
        if e.n == 0:
            return False
        if self.target.at_least is not None:
            return e.lower >= self.target.at_least - 1e-12
        return e.upper <= self.target.bound + 1e-12

    def gain(self, a: Trial, b: Trial) -> float:
        """How much better b is than a, in the direction the target wants."""
        diff = b.estimate.mean - a.estimate.mean
        return diff if self.target.at_least is not None else -diff

    def ratio(self, a: Trial, b: Trial) -> float:
        """KPI gained per unit of cost going from a to b (a free gain counts as infinite)."""
        extra = self.cost(b.index) - self.cost(a.index)
        g = self.gain(a, b)
        return g / extra if extra > 0 else (math.inf if g >= 0 else g)

    def evaluate(self, indices: Sequence[tuple[int, ...]], phase: str,
                 confirm: bool = False) -> list[Trial]:
        seed = self.confirm_seed if confirm else self.seed
        reps = self.confirm_replications if confirm else self.replications
        todo = [i for i in dict.fromkeys(indices) if (i, seed) not in self._seen]
        if todo:
            series = self.evaluator.run([self.overrides(i) for i in todo], reps, seed, phase)
            for i, s in zip(todo, series, strict=True):
                e = estimate(s.to_numpy(dtype=float), self.target.confidence)
                trial = Trial(phase, i, seed, e, self.meets(e))
                self._seen[(i, seed)] = trial
                self.trials.append(trial)
        return [self._seen[(i, seed)] for i in indices]

    # --- the search --------------------------------------------------------------------------

    def top(self) -> tuple[int, ...]:
        return tuple(len(g) - 1 for g in self.grids)

    def bisect(self, dim: int, base: tuple[int, ...], lo: int, hi: int, phase: str) -> int:
        """Smallest index in (lo, hi] of variable `dim` that meets, given that hi meets."""
        while hi - lo > 1:
            mid = (lo + hi) // 2
            point = (*base[:dim], mid, *base[dim + 1:])
            if self.evaluate([point], phase)[0].meets:
                hi = mid
            else:
                lo = mid
        return hi

    def one_dimension(self) -> tuple[int, ...]:
        low = self.evaluate([(0,)], "low")[0]
        if low.meets:
            return (0,)
        return (self.bisect(0, (0,), 0, self.top()[0], "bisect"),)

    def marginal(self) -> tuple[int, ...]:
        top = self.top()
        strides = [max(1, math.ceil(len(g) / COARSE_STEPS)) for g in self.grids]
        x = tuple(0 for _ in self.grids)
        current = self.evaluate([x], "low")[0]
        while not current.meets:
            steps = [(*x[:d], min(x[d] + strides[d], top[d]), *x[d + 1:])
                     for d in range(len(x)) if x[d] < top[d]]
            trials = self.evaluate(steps, "marginal")
            good = [(self.cost(t.index), t) for t in trials if t.meets]
            if good:
                current = min(good, key=lambda ct: ct[0])[1]
            else:
                current = max(trials, key=lambda t, base=current: self.ratio(base, t))
            x = current.index
        # Coarse strides overshoot: bring each variable back down while the target holds,
        # the one whose steps cost most first.
        # The whole range below, not just the last stride: the others have grown since.
        order = sorted(range(len(x)), key=lambda d: -self.vary[d].cost * self.vary[d].step)
        for d in order:
            x = (*x[:d], self.bisect(d, x, -1, x[d], "refine"), *x[d + 1:])
        return x

    def confirm(self, x: tuple[int, ...]) -> tuple[tuple[int, ...], Trial | None]:
        """Run `x` on fresh replications; step up (cheapest gain first) until the bound holds."""
        top = self.top()
        while True:
            check = self.evaluate([x], "confirm", confirm=True)[0]
            if check.meets:
                return x, check
            steps = [(*x[:d], x[d] + 1, *x[d + 1:]) for d in range(len(x)) if x[d] < top[d]]
            if not steps:
                return x, None
            base = self.evaluate([x], "step up")[0]
            trials = self.evaluate(steps, "step up")
            x = max(trials, key=lambda t, base=base: self.ratio(base, t)).index


def _table(search: _Search) -> pd.DataFrame:
    rows = []
    for t in search.trials:
        row: dict[str, Any] = {"phase": t.phase, "seed": t.seed}
        row.update(zip([v.path for v in search.vary], search.values(t.index), strict=True))
        row.update(cost=search.cost(t.index), n=t.estimate.n, kpi=t.estimate.mean,
                   sd=t.estimate.sd, lower=t.estimate.lower, upper=t.estimate.upper,
                   meets=t.meets)
        rows.append(row)
    return pd.DataFrame(rows)


def check(loaded: Any) -> None:
    """Every problem of a loaded sizing spec at once.

    Paths varied twice, paths that do not apply at either end of their ranges, names in the
    target's match that do not exist.
    """
    options: SizingFile = loaded.options
    paths = [v.path for v in options.vary]
    paths += [p for v in options.vary for p in v.follow]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    problems: list[Problem] = [loaded.source.problem(("vary",), f"path '{p}' is varied twice")
                               for p in twice]
    grids = [_grid(v) for v in options.vary]

    def corner(end: int, only: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, (v, g) in enumerate(zip(options.vary, grids, strict=True)):
            if only is None or i == only:
                out[v.path] = g[end]
                out.update({p: g[end] + off for p, off in v.follow.items()})
        return out

    # Each variable alone first, so one bad path does not hide another; then all together
    # (a reorder point above a target shows only when both move).
    found = []
    for i in range(len(grids)):
        found += path_problems(loaded.scenario, [corner(0, i), corner(-1, i)],
                               where(loaded.source, ("vary", i, "path")))
    problems += found or path_problems(loaded.scenario, [corner(0), corner(-1)],
                                       where(loaded.source, ("vary",)))
    problems += match_problems(loaded.scenario, options.target.match, loaded.source, ("target",))
    if not problems:
        problems += undefined_problems(loaded.scenario, options.target, loaded.source, ("target",))
    if problems:
        raise ScenarioError(problems, loaded.label)


def size(spec: Any, executor: Any = None, out: str | Path | None = None, resume: bool = False,
         overwrite: bool = False, progress: Progress | None = None,
         replications: int | None = None, seed: int | None = None) -> SizingResult:
    """Find the cheapest setting of `vary` whose KPI meets `target` with the stated confidence.

    `spec` is a sizing file's path or the same keys as a dict (`scenario` may be a path, a
    `Scenario` or plain scenario data). Candidates run as batches on `executor` (None: here;
    a `concurrent.futures.Executor` or a Dask client), all with the same seed (common random
    numbers); the winner is confirmed on `confirm_replications` fresh replications (seed + 1).
    With `out`, every round is kept there as a batch folder and the folder gets `trials.csv`,
    `sizing.json`, `result.json` and `kpi_cost.png`; `resume=True` reuses the rounds already
    done. `replications` and `seed` replace the spec's. Raises `ScenarioError` for a bad spec
    (before anything runs) and `SizingInfeasible` (with `.result`) when no setting in the
    ranges meets the target.
    """
    from sim.research.folder import SizingFolder

    loaded = load_spec(spec, SizingFile, {"replications": replications, "seed": seed})
    check(loaded)
    options: SizingFile = loaded.options
    seed = loaded.scenario.seed if options.seed is None else int(options.seed)
    record = {"spec": options.model_dump(mode="json", exclude={"scenario"}),
              "scenario": loaded.scenario.name, "scenario_hash": scenario_hash(loaded.scenario),
              "seed": seed}
    folder = SizingFolder(Path(out)) if out is not None else None
    if folder is not None:
        folder.start(record, resume, overwrite)
    evaluator = Evaluator(loaded.scenario, options.target, executor,
                          folder.path if folder else None, progress, f"{loaded.label}: vary")
    try:
        search = _Search(options, evaluator, seed)
        top = search.evaluate([search.top()], "high")[0]
        method = "bisection" if len(options.vary) == 1 else "marginal analysis"
        if not top.meets:
            # The search assumes more of each variable helps; the low end tells if not.
            low = search.evaluate([tuple(0 for _ in search.grids)], "low")[0]
            backwards = search.gain(top, low) > 0
            best = low if backwards else top
            result = _result(search, best.index, best, False, method, evaluator)
            message = _infeasible_message(search, result, top if backwards else None)
        else:
            x = search.one_dimension() if len(options.vary) == 1 else search.marginal()
            x, confirmed = search.confirm(x)
            feasible = confirmed is not None
            chosen = confirmed or search.evaluate([x], "confirm", confirm=True)[0]
            result = _result(search, x, chosen, feasible, method, evaluator)
            message = "" if feasible else _infeasible_message(search, result)
    finally:
        evaluator.close()
    if folder is not None:
        result.folder = folder.path
        folder.finish(record, result)
    if message:
        raise SizingInfeasible(message, result)
    return result


def scenario_hash(scenario: Any) -> str:
    """SHA-256 of the resolved scenario: a resume checks the scenario has not changed."""
    import hashlib

    text = json.dumps(scenario.resolved(), separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _result(search: _Search, x: tuple[int, ...], chosen: Trial, feasible: bool, method: str,
            evaluator: Evaluator) -> SizingResult:
    target = search.target
    info = {"kpi": target.kpi, "match": target.match.model_dump(exclude_none=True),
            "bound": target.bound, "direction": "at_least" if target.at_least is not None
            else "at_most", "confidence": target.confidence}
    return SizingResult(
        best=dict(zip([v.path for v in search.vary], search.values(x), strict=True)),
        settings=search.overrides(x), kpi=chosen.estimate.mean, lower=chosen.estimate.lower,
        upper=chosen.estimate.upper, cost=search.cost(x), feasible=feasible, target=info,
        trials=_table(search), replications_run=evaluator.replications_run, method=method,
        phase=chosen.phase, seed=chosen.seed)


def _infeasible_message(search: _Search, result: SizingResult,
                        backwards: Trial | None = None) -> str:
    """Why no setting was chosen; `backwards` is the high end when the low end beat it."""
    t = search.target
    sign = "≥" if t.at_least is not None else "≤"
    bound = "lower" if t.at_least is not None else "upper"
    value = result.lower if t.at_least is not None else result.upper
    where = ", ".join(f"{k}={v}" for k, v in result.target["match"].items()) or "everything"
    best = ", ".join(f"{k}={v}" for k, v in result.best.items())
    on = "on the confirmation run" if result.phase == "confirm" else "on the search seed"
    if backwards is not None:
        high = ", ".join(f"{k}={v}" for k, v in zip(
            result.best, search.values(backwards.index), strict=True))
        return (f"{t.kpi} ({where}) is better at the low end of the ranges ({best}: "
                f"{result.kpi:.4f}) than at the high end ({high}: "
                f"{backwards.estimate.mean:.4f}); the search assumes more of each variable "
                f"helps the target ({t.kpi} {sign} {t.bound:g}), so it cannot size this: vary "
                "something that more of helps (stock, a level, capacity), or run a sweep "
                "(`beredskap batch --sweep`) to see how the KPI moves")
    return (f"no setting in the ranges meets {t.kpi} {sign} {t.bound:g} at {t.confidence:.0%} "
            f"confidence ({where}): the best found, {best} (cost {result.cost:g}), gives "
            f"{result.kpi:.4f} with a {bound} bound of {value:.4f} {on}; widen the ranges (raise "
            "high), lower the target or its confidence, or add replications")
