"""`sim.sensitivity`: which uncertain inputs move a KPI, by Morris screening or Sobol indices.

SALib makes the design and computes the indices; every design point is a batch variant, all
run in one batch on the executor with the same seed, so two points differ by their inputs and
not by noise (common random numbers). The KPI of a point is its mean over `replications`.

- Morris (default): `trajectories` x (parameters + 1) points. mu_star is the mean absolute
  elementary effect: the KPI change for a step of 2/3 of a parameter's range (4 levels)
  divided by that step (SALib's Delta = 2/3, the range scaled to 0-1), so the change per
  unit of the scaled range, i.e. per whole range were the effect linear; a 2/3 step moves the
  KPI by 2/3 mu_star on average. Parameters with different units compare; sigma large against
  mu_star means interaction or non-linearity. Cheap screening.
- Sobol: `samples` x (parameters + 2) points (first and total order, no second order). S1 is
  the share of the KPI's variance a parameter explains alone, ST with its interactions.

Distributions. A parameter is uniform in [low, high] unless it names another distribution
(triangular, normal, lognormal; `spec.Parameter`). SALib makes the design on the unit cube and
each column is mapped through its parameter's inverse CDF here (scipy.stats), rather than
through SALib's `dists`: Morris's grid includes the 0 and 1 quantiles, which SALib turns into
infinities for an unbounded distribution (SALib issue 515), and SALib has no truncated
lognormal. So a Morris grid is on the quantile scale (levels 0, 1/3, 2/3, 1 are the 0, 33, 67
and 100 % quantiles) and mu_star is the KPI change per unit of probability, which is why Morris
needs a normal or lognormal truncated (low and high); Sobol's indices are shares of the
variance under the stated distributions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.research.evaluate import Evaluator, Progress
from sim.research.kpi import undefined_problems
from sim.research.spec import (
    Parameter,
    SensitivityFile,
    load_spec,
    lognormal_log_params,
    match_problems,
    path_problems,
    where,
)
from sim.scenario import ScenarioError

SPEC = "sensitivity.json"


def _salib() -> Any:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise ImportError("sensitivity analysis needs SALib: pip install '.[research]' "
                          "(or pip install SALib)") from None
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    return morris_sample, morris_analyze, sobol_sample, sobol_analyze


def check(loaded: Any) -> None:
    """Every problem at once: parameters that do not apply at either end, unknown match names.

    A parameter's ends are its `low` and `high`; where a normal or lognormal leaves one open,
    the most extreme value the design will draw (the design is fixed by the seed).
    """
    options: SensitivityFile = loaded.options
    problems = []
    paths = [p.path for p in options.parameters]
    problems += [loaded.source.problem(("parameters",), f"path '{p}' is given twice")
                 for p in sorted({p for p in paths if paths.count(p) > 1})]
    if options.method == "morris":
        problems += [loaded.source.problem(("parameters", i), _morris_needs_bounds(p))
                     for i, p in enumerate(options.parameters) if not p.bounded]
    if options.method == "sobol" and options.samples & (options.samples - 1):
        problems.append(loaded.source.problem(
            ("samples",), f"Sobol samples must be a power of 2 (got {options.samples}; "
                          f"try {1 << (options.samples - 1).bit_length()})"))
    # Open ends are taken from the design itself, so it is made only for a valid spec.
    drawn = None
    if not problems and not all(p.bounded for p in options.parameters):
        drawn = values(options, design(options, _seed(loaded))[1])
    for i, p in enumerate(options.parameters):
        if p.bounded:
            assert p.low is not None and p.high is not None
            lo, hi = p.low, p.high
        elif drawn is None:
            continue  # refused above: no design to take its ends from
        else:
            lo = p.low if p.low is not None else float(drawn[:, i].min())
            hi = p.high if p.high is not None else float(drawn[:, i].max())
        found = path_problems(loaded.scenario, [{p.path: _value(p, v)} for v in (lo, hi)],
                              where(loaded.source, ("parameters", i, "path")))
        if found and not p.bounded:
            open_ends = [(side, key, v) for side, key, v, given in
                         (("lowest", "low", lo, p.low), ("highest", "high", hi, p.high))
                         if given is None]
            reached = " and ".join(f"{side} {_value(p, v):g}" for side, _, v in open_ends)
            keys = " and ".join(key for _, key, _ in open_ends)
            found.append(loaded.source.problem(
                ("parameters", i), f"the {p.distribution} is open-ended; the design draws "
                                   f"{reached} from it: give {keys} to truncate it"))
        problems += found
    problems += match_problems(loaded.scenario, options.kpi.match, loaded.source, ("kpi",))
    if not problems:
        problems += undefined_problems(loaded.scenario, options.kpi, loaded.source, ("kpi",))
    if problems:
        raise ScenarioError(problems, loaded.label)


def _morris_needs_bounds(p: Parameter) -> str:
    ends = "infinite" if p.distribution == "normal" else "0 and infinite"
    return (f"method morris puts grid points at the 0 and 100 % quantiles of every parameter, "
            f"which for a {p.distribution} without low and high are {ends}: give low and high "
            f"(a truncated {p.distribution}), or use method sobol")


def _seed(loaded: Any) -> int:
    seed = loaded.options.seed
    return loaded.scenario.seed if seed is None else int(seed)


def _value(parameter: Parameter, x: float) -> Any:
    return int(np.rint(x)) if parameter.integer else float(x)


# Scrambled Sobol points can, rarely, be exactly 0; an open-ended distribution's quantile there is
# infinite. 1e-10 is beyond 6 standard deviations, past anything a design of 2**30 points draws.
_OPEN_END = 1e-10


def quantiles(p: Parameter, u: np.ndarray) -> np.ndarray:
    """The parameter's values at probabilities `u` (its inverse CDF), before any rounding."""
    from scipy import stats

    u = np.asarray(u, dtype=float)
    if not p.bounded:
        u = np.clip(u, _OPEN_END, 1 - _OPEN_END)
    if p.distribution == "uniform":
        assert p.low is not None and p.high is not None
        # The same arithmetic as SALib's uniform scaling: grid points land exactly on values.
        x = u * (p.high - p.low) + p.low
    elif p.distribution == "triangular":
        assert p.low is not None and p.high is not None and p.mode is not None
        width = p.high - p.low
        x = stats.triang.ppf(u, (p.mode - p.low) / width, loc=p.low, scale=width)
    else:
        assert p.mean is not None and p.sd is not None
        mu, s = p.mean, p.sd
        low = -np.inf if p.low is None else p.low
        high = np.inf if p.high is None else p.high
        if p.distribution == "lognormal":
            # ln X is normal: truncate it there, at ln(low) and ln(high).
            mu, s = lognormal_log_params(p.mean, p.sd)
            low = np.log(low) if low > 0 else -np.inf
            high = np.log(high)
        x = stats.truncnorm.ppf(u, (low - mu) / s, (high - mu) / s, loc=mu, scale=s)
        if p.distribution == "lognormal":
            x = np.exp(x)
    # An inverse CDF can land a rounding error outside [low, high], where the scenario's limits
    # were not checked.
    return np.clip(x, -np.inf if p.low is None else p.low, np.inf if p.high is None else p.high)


def design(options: SensitivityFile, seed: int) -> tuple[dict[str, Any], np.ndarray]:
    """The SALib problem and its design on the unit cube (one row per model point).

    Each column is a probability; `values` maps it to the parameter's values.
    """
    morris_sample, _, sobol_sample, _ = _salib()
    k = len(options.parameters)
    problem = {"num_vars": k, "names": [p.path for p in options.parameters],
               "bounds": [[0.0, 1.0]] * k}
    if options.method == "morris":
        u = morris_sample.sample(problem, options.trajectories, num_levels=options.levels,
                                 seed=seed)
    else:
        u = sobol_sample.sample(problem, options.samples, calc_second_order=False, seed=seed)
    return problem, u


def values(options: SensitivityFile, u: np.ndarray) -> np.ndarray:
    """The design in the parameters' units (unrounded): each column through its inverse CDF.

    Under Sobol, a uniform integer parameter takes each whole value from low to high with equal
    probability (low + floor(u x (high - low + 1))): rounding a continuous draw instead would
    give the two end values half the weight of the others. Morris keeps its grid on the range
    (its levels are the values).
    """
    columns = []
    for i, p in enumerate(options.parameters):
        if options.method == "sobol" and p.integer and p.distribution == "uniform":
            assert p.low is not None and p.high is not None
            low, high = int(np.ceil(p.low)), int(np.floor(p.high))
            columns.append(np.minimum(low + np.floor(u[:, i] * (high - low + 1)), high))
        else:
            columns.append(quantiles(p, u[:, i]))
    return np.column_stack(columns)


def sensitivity(spec: Any, executor: Any = None, out: str | Path | None = None,
                resume: bool = False, overwrite: bool = False,
                progress: Progress | None = None, replications: int | None = None,
                seed: int | None = None, method: str | None = None) -> pd.DataFrame:
    """Sensitivity indices of a KPI to scenario parameters; one row per parameter.

    `spec` is a sensitivity file's path or a dict with `scenario`, `method` (morris or sobol),
    `parameters` (a list of `{path, low, high}`, sampled uniformly, or with a `distribution`:
    `triangular` with `low`, `mode`, `high`; `normal` or `lognormal` with `mean`, `sd` and, for
    a truncated one, `low`, `high`; `integer: true` to round), `kpi` (as a sizing
    target without the bound), `replications`, and `trajectories` (Morris) or `samples`
    (Sobol). Columns: `parameter` and `mu_star`, `mu_star_conf`, `sigma`, `mu` (Morris) or
    `S1`, `S1_conf`, `ST`, `ST_conf` (Sobol); `.attrs` holds the method, model points and
    replications run. With `out`, the folder gets the batch round, `indices.csv`,
    `samples.csv` (inputs and KPI per point) and `sensitivity.png`.
    """
    from sim.research.folder import SizingFolder
    from sim.research.size import scenario_hash

    changes = {"replications": replications, "seed": seed, "method": method}
    loaded = load_spec(spec, SensitivityFile, changes)
    check(loaded)
    options: SensitivityFile = loaded.options
    seed = _seed(loaded)
    problem, u = design(options, seed)
    points = [{p.path: _value(p, v) for p, v in zip(options.parameters, row, strict=True)}
              for row in values(options, u)]
    record = {"spec": options.model_dump(mode="json", exclude={"scenario"}),
              "scenario": loaded.scenario.name, "scenario_hash": scenario_hash(loaded.scenario),
              "seed": seed}
    folder = SizingFolder(Path(out), SPEC, "sensitivity") if out is not None else None
    if folder is not None:
        folder.start(record, resume, overwrite)
    evaluator = Evaluator(loaded.scenario, options.kpi, executor,
                          folder.path if folder else None, progress,
                          where(loaded.source, ("parameters",)))
    try:
        series = evaluator.run(points, options.replications, seed, options.method)
    finally:
        evaluator.close()
    y = np.array([float(np.nanmean(s.to_numpy(dtype=float))) if len(s) else np.nan
                  for s in series])
    if np.isnan(y).any():
        raise ValueError(f"the KPI {options.kpi.kpi} is undefined at some points (no demand "
                         "or orders among the matched node-products); widen kpi.match")
    # Morris reads only which input moved and which way; the unit design says that as well as
    # the values do (inverse CDFs are increasing) and keeps grid steps apart that rounding to
    # whole numbers would merge.
    table = _indices(options, problem, u, y, seed)
    table.attrs.update(method=options.method, model_points=len(points),
                       replications=options.replications, kpi=options.kpi.kpi,
                       simulated_replications=evaluator.replications_run)
    if folder is not None:
        _finish(folder.path, record, table, points, y, options)
    return table


def _indices(options: SensitivityFile, problem: dict[str, Any], x: np.ndarray, y: np.ndarray,
             seed: int) -> pd.DataFrame:
    _, morris_analyze, _, sobol_analyze = _salib()
    names = problem["names"]
    if options.method == "morris":
        r = morris_analyze.analyze(problem, x, y, num_levels=options.levels, seed=seed)
        columns = ("mu_star", "mu_star_conf", "sigma", "mu")
    else:
        r = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        columns = ("S1", "S1_conf", "ST", "ST_conf")
    data = {"parameter": names, **{c: np.asarray(r[c], dtype=float) for c in columns}}
    out = pd.DataFrame(data)
    key = "mu_star" if options.method == "morris" else "ST"
    return out.sort_values(key, ascending=False, kind="stable").reset_index(drop=True)


def plot(table: pd.DataFrame, ax: Any = None) -> Any:
    """μ* against σ for Morris (with μ* intervals), bars with intervals for Sobol."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if "mu_star" in table:
        ax.errorbar(table["mu_star"], table["sigma"], xerr=table["mu_star_conf"], fmt="o",
                    capsize=3)
        for row in table.itertuples(index=False):
            ax.annotate(str(row.parameter), (row.mu_star, row.sigma), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel("μ* (mean absolute elementary effect)")
        ax.set_ylabel("σ (spread of the effects)")
    else:
        pos = np.arange(len(table))
        ax.bar(pos - 0.2, table["S1"], 0.4, yerr=table["S1_conf"], capsize=3, label="S1")
        ax.bar(pos + 0.2, table["ST"], 0.4, yerr=table["ST_conf"], capsize=3, label="ST")
        ax.set_xticks(pos, labels=list(table["parameter"]), rotation=20, ha="right",
                      fontsize=7)
        ax.set_ylabel("Sobol index")
        ax.legend()
    ax.grid(alpha=0.3)
    return ax.figure


def _finish(path: Path, record: dict[str, Any], table: pd.DataFrame,
            points: list[dict[str, Any]], y: np.ndarray, options: SensitivityFile) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.export.atomic import atomic_write
    from sim.export.cells import to_csv

    # The values the model ran with (rounded where integer), one row per design point.
    samples = pd.DataFrame(points, columns=[p.path for p in options.parameters]).assign(kpi=y)
    # parameter paths come from the study file: text cells never formulas (cells.py)
    atomic_write(path / "samples.csv", lambda tmp: to_csv(samples, tmp))
    atomic_write(path / "indices.csv", lambda tmp: to_csv(table, tmp))
    fig = plot(table)
    try:
        atomic_write(path / "sensitivity.png",
                     lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(fig)
    done = {**record, **table.attrs}
    atomic_write(path / "result.json", lambda tmp: tmp.write_text(
        json.dumps(done, indent=2, default=str), encoding="utf-8"))
