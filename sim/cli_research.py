"""`beredskap size`, `sensitivity` and `report`: thin commands, registered by `sim.cli`.

They parse, call `sim.research` or `sim.report`, and print.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

# Nothing from sim.cli at import: it imports this module to register the commands, and this
# module may be imported first. Its helpers are imported where they are used.
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Output folder.")]
WorkersOption = Annotated[
    int | None, typer.Option("--workers", "-w", min=1, help="Local processes (default: all cores).")
]
SchedulerOption = Annotated[
    str | None, typer.Option(help="Run on an existing Dask cluster, e.g. tcp://host:8786.")
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the folder.")]


@contextmanager
def executor_for(workers: int | None, scheduler: str | None, debug: bool) -> Iterator[Any]:
    """Local processes (spawned, ended with this process), a Dask client, or none for one core."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from sim.cli import _fail

    if scheduler and workers:
        raise _fail("--workers is for local processes; with --scheduler the cluster decides",
                    debug)
    if scheduler:
        try:
            from distributed import Client
        except ImportError as exc:
            raise _fail("--scheduler needs Dask: pip install '.[dist]'", debug, exc) from None
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise _fail(f"cannot reach the Dask scheduler at {scheduler}: {exc}", debug,
                        exc) from None
        try:
            yield client
        finally:
            client.close()
        return
    n = workers or os.cpu_count() or 1
    if n <= 1:
        yield None
        return
    from sim.batch.runner import exit_with_parent

    pool = ProcessPoolExecutor(n, mp_context=multiprocessing.get_context("spawn"),
                               initializer=exit_with_parent, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:  # an error or Ctrl-C: leave now, without waiting for queued work
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    # Finished: every future is done, so waiting costs nothing, and the pool's management
    # thread is not left writing to pipes the interpreter closes at exit.
    pool.shutdown(wait=True)


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Any]:
    """A bar for the round that runs now: `progress(what, done, total)`."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from sim.cli import err_console

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=err_console, disable=quiet, transient=True)
    task = bar.add_task("", total=1)

    def progress(what: str, done: int, total: int) -> None:
        bar.update(task, description=what, completed=done, total=total)

    with bar:
        yield progress


def _a_file(file: Path) -> None:
    """A file that exists and has something in it, or a ValueError saying which it is not."""
    if not file.exists():
        raise ValueError(f"{file}: file not found")
    if file.is_dir():
        raise ValueError(f"{file} is a folder, not a file")
    if file.is_file() and file.stat().st_size == 0:
        raise ValueError(f"{file} is empty")


def _num(value: float, pattern: str = "{:.4f}") -> str:
    return "–" if value is None or not math.isfinite(value) else pattern.format(value)


def sizing_from_options(scenario: Path, vary: list[str], goal: str | None,
                        match: list[str], confidence: float | None) -> dict[str, Any]:
    """A sizing spec from `--vary`, `--target`, `--match` and `--confidence` on a scenario.

    Raises ValueError naming the option that cannot be read.
    """
    import re

    items = []
    for given in vary:
        path, sep, numbers = given.rpartition("=")
        parts = numbers.split(":")
        if not sep or not path.strip() or not 2 <= len(parts) <= 4:
            raise ValueError(f"--vary '{given}': expected path=low:high[:step[:cost]], e.g. "
                             "'policies[hp_fluids].policy.target_days=30:120:5'")
        try:
            values = [float(p) for p in parts]
        except ValueError:
            raise ValueError(f"--vary '{given}': low, high, step and cost are numbers") from None
        item: dict[str, Any] = {"path": path.strip(), "low": values[0], "high": values[1]}
        item.update(zip(("step", "cost"), values[2:], strict=False))
        items.append(item)
    if goal is None:
        raise ValueError("--vary needs --target, e.g. --target 'fill_rate>=0.95'")
    found = re.fullmatch(r"\s*(\w+)\s*(>=|<=)\s*([-+0-9.eE]+)\s*", goal)
    if found is None:
        raise ValueError(f"--target '{goal}': expected KPI>=VALUE or KPI<=VALUE, e.g. "
                         "'fill_rate>=0.95'")
    try:
        bound = float(found.group(3))
    except ValueError:
        raise ValueError(f"--target '{goal}': {found.group(3)!r} is not a number") from None
    where: dict[str, Any] = {}
    for given in match:
        key, sep, value = given.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ValueError(f"--match '{given}': expected key=value, e.g. role=ward")
        names = [v.strip() for v in value.split(",")]
        where[key.strip()] = names[0] if len(names) == 1 else names
    target: dict[str, Any] = {
        "kpi": found.group(1), "match": where,
        "at_least" if found.group(2) == ">=" else "at_most": bound}
    if confidence is not None:
        target["confidence"] = confidence
    return {"scenario": str(scenario), "vary": items, "target": target}


def size_command(
    file: Annotated[Path, typer.Argument(
        help="Sizing file (YAML: scenario, vary, target), or a scenario file with --vary and "
             "--target.")],
    vary: Annotated[list[str] | None, typer.Option(
        "--vary", help="With a scenario file: a decision variable, path=low:high[:step[:cost]] "
                       "(repeatable).")] = None,
    goal: Annotated[str | None, typer.Option(
        "--target", help="With a scenario file: KPI>=VALUE or KPI<=VALUE, e.g. "
                         "'fill_rate>=0.95'.")] = None,
    match: Annotated[list[str] | None, typer.Option(
        "--match", help="With a scenario file: which node-products the KPI is over, key=value "
                        "(role, group, region, node, ...; repeatable).")] = None,
    confidence: Annotated[float | None, typer.Option(
        help="With a scenario file: confidence of the bound (default 0.95).")] = None,
    replications: Annotated[
        int | None, typer.Option("--replications", "-r", min=2,
                                 help="Replications per candidate (default: the file's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the file's, else the "
                                                  "scenario's); the confirmation uses seed+1.")
                    ] = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    resume: Annotated[bool, typer.Option(help="Finish an interrupted sizing in --out.")] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Find the cheapest stockpile whose KPI meets a target with stated confidence."""
    from sim.batch.spec import is_batch_file
    from sim.cli import _fail, err_console, out_console
    from sim.export import default_out_dir
    from sim.research.folder import SizingFolderError
    from sim.research.size import SizingFile, SizingInfeasible, check, size
    from sim.research.spec import load_spec
    from sim.scenario import ScenarioError

    spec: Any = file
    try:  # every check before anything runs or is written
        _a_file(file)
        given = vary or goal or match or confidence is not None
        if is_batch_file(file) and given:
            raise ValueError(f"{file} is a sizing file; --vary, --target, --match and "
                             "--confidence build one from a scenario file instead")
        if not is_batch_file(file):
            if not vary:
                raise ValueError(f"{file} is not a sizing file (no top-level 'scenario'): give "
                                 "a sizing file, or a scenario file with --vary and --target")
            spec = sizing_from_options(file, vary, goal, match or [], confidence)
        loaded = load_spec(spec, SizingFile, {"replications": replications, "seed": seed})
        check(loaded)
    except ScenarioError as exc:
        raise _fail(exc.render(), debug, exc) from None
    except (ValueError, OSError) as exc:
        raise _fail(str(exc), debug, exc) from None
    if resume and out is None:
        raise _fail("--resume needs --out: the folder of the sizing to finish", debug)
    target = out or default_out_dir(f"{loaded.scenario.name}-size")
    started = time.perf_counter()
    infeasible = None
    with executor_for(workers, scheduler, debug) as executor, progress_bar(quiet) as progress:
        try:
            result = size(spec, executor, target, resume, overwrite, progress, replications,
                          seed)
        except SizingInfeasible as exc:
            result, infeasible = exc.result, str(exc)
        except (SizingFolderError, ScenarioError) as exc:
            raise _fail(str(exc), debug, exc) from None
    if quiet:
        out_console.print(str(result.folder), highlight=False)
    else:
        print_sizing(result, time.perf_counter() - started)
    if infeasible:
        err_console.print(f"[bold red]no solution:[/] {escape(infeasible)}", highlight=False)
        raise typer.Exit(1)


def _run_of(result: Any) -> str:
    """Which run the printed KPI and bounds come from."""
    if getattr(result, "phase", "confirm") == "confirm":
        return "on the confirmation run (fresh seed)"
    return (f"on the search seed ({result.seed}; not confirmed on fresh replications, as "
            "nothing met the target there)")


def print_sizing(result: Any, seconds: float) -> None:
    """The candidates tried (a table) and the winner."""
    from sim.cli import out_console

    t = result.target
    sign = "≥" if t["direction"] == "at_least" else "≤"
    where = ", ".join(f"{k}={v}" for k, v in t["match"].items()) or "all"
    table = Table(title=f"Candidates: {t['kpi']} over {where}, target {sign} {t['bound']:g} "
                        f"at {t['confidence']:.0%} confidence", title_justify="left")
    paths = list(result.best)
    # A path's last key heads its column (a full path would wrap into a tall header).
    short = [p.split(".")[-1] for p in paths]
    heads = short if len(set(short)) == len(short) else paths
    for header in ["phase", "seed", *heads, "cost", "n", t["kpi"], "lower", "upper", "meets"]:
        table.add_column(escape(header), justify="left" if header == "phase" else "right",
                         overflow="fold")
    for d in result.trials.to_dict("records"):
        values = [f"{d[p]:g}" if isinstance(d[p], float) else str(d[p]) for p in paths]
        table.add_row(str(d["phase"]), str(d["seed"]), *values, f"{d['cost']:g}", str(d["n"]),
                      _num(d["kpi"]), _num(d["lower"]), _num(d["upper"]),
                      "yes" if d["meets"] else "no")
    out_console.print(table)
    if heads != paths:
        for head, path in zip(heads, paths, strict=True):
            follow = [k for k in result.settings if k not in paths]
            also = f" (with {', '.join(follow)})" if follow and len(paths) == 1 else ""
            out_console.print(f"{escape(head)}: {escape(path)}{escape(also)}", highlight=False,
                              soft_wrap=True)
    best = ", ".join(f"{k} = {v}" for k, v in result.best.items())
    verdict = "Cheapest setting that meets the target" if result.feasible else "Best found"
    out_console.print(
        f"\n{verdict} ({result.method}): [bold]{escape(best)}[/] (cost {result.cost:g}); "
        f"{t['kpi']} {result.kpi:.4f}, one-sided {t['confidence']:.0%} bounds "
        f"[{result.lower:.4f}, {result.upper:.4f}] {_run_of(result)}",
        highlight=False, soft_wrap=True)
    out_console.print(
        f"{len(result.trials)} evaluations, {result.replications_run} replications in "
        f"{seconds:.1f} s; results in [bold]{escape(str(result.folder))}[/]", highlight=False)


def report_command(
    folder: Annotated[Path, typer.Argument(help="A run or batch results folder.")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="HTML file (default: report.<lang>.html in the folder).")] = None,
    lang: Annotated[str, typer.Option(help="Language: sv, nb or en.")] = "en",
    variant: Annotated[str | None, typer.Option(
        help="Batch variant for the maps and tables (default: the first).")] = None,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Write a self-contained HTML situation report (lägesbild) of a run or batch."""
    from sim.cli import _fail, out_console
    from sim.situation import situation_report

    started = time.perf_counter()
    try:
        path = situation_report(folder, out, lang, variant)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc), debug, exc) from None
    if quiet:
        out_console.print(str(path), highlight=False)
        return
    out_console.print(f"report ({lang}, {path.stat().st_size / 1e6:.2f} MB) in "
                      f"{time.perf_counter() - started:.1f} s: [bold]{escape(str(path))}[/]",
                      highlight=False)


def sensitivity_command(
    file: Annotated[Path, typer.Argument(help="Sensitivity file (YAML): scenario, parameters, "
                                              "kpi.")],
    method: Annotated[str | None, typer.Option(
        help="morris (screening, the default) or sobol (variance shares).")] = None,
    replications: Annotated[
        int | None, typer.Option("--replications", "-r", min=1,
                                 help="Replications per model point (default: the file's).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the design and the runs.")] = None,
    out: OutOption = None,
    workers: WorkersOption = None,
    scheduler: SchedulerOption = None,
    resume: Annotated[bool, typer.Option(help="Finish an interrupted analysis in --out.")
                      ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    quiet: QuietOption = False,
    debug: DebugOption = False,
) -> None:
    """Rank scenario parameters by their effect on a KPI (Morris or Sobol, with SALib)."""
    from sim.cli import _fail, out_console
    from sim.export import default_out_dir
    from sim.research.folder import SizingFolderError
    from sim.research.sensitivity import _salib, check, sensitivity
    from sim.research.spec import SensitivityFile, load_spec
    from sim.scenario import ScenarioError

    try:  # every check before anything runs or is written
        _a_file(file)
        _salib()
        loaded = load_spec(file, SensitivityFile,
                           {"replications": replications, "seed": seed, "method": method})
        check(loaded)
    except ScenarioError as exc:
        raise _fail(exc.render(), debug, exc) from None
    except (ValueError, OSError, ImportError) as exc:
        raise _fail(str(exc), debug, exc) from None
    if resume and out is None:
        raise _fail("--resume needs --out: the folder of the analysis to finish", debug)
    target = out or default_out_dir(f"{loaded.scenario.name}-sensitivity")
    started = time.perf_counter()
    with executor_for(workers, scheduler, debug) as executor, progress_bar(quiet) as progress:
        try:
            table = sensitivity(file, executor, target, resume, overwrite, progress,
                                replications, seed, method)
        except (SizingFolderError, ScenarioError, ValueError) as exc:
            raise _fail(str(exc), debug, exc) from None
    if quiet:
        out_console.print(str(target), highlight=False)
        return
    a = table.attrs
    grid = Table(title=f"{a['method'].capitalize()} indices of {a['kpi']} "
                       f"(95 % confidence half-widths)", title_justify="left")
    for c in table.columns:
        grid.add_column(escape(c), justify="left" if c == "parameter" else "right",
                        overflow="fold")
    for row in table.itertuples(index=False):
        grid.add_row(escape(str(row[0])), *(_num(float(v)) for v in row[1:]))
    out_console.print(grid)
    out_console.print(
        f"{a['model_points']} model points x {a['replications']} replication(s) in "
        f"{time.perf_counter() - started:.1f} s; results in [bold]{escape(str(target))}[/]",
        highlight=False)
