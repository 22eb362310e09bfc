"""The `beredskap` command: thin, it parses, calls the API and prints.

Bad input prints one clean message and exits with code 2, writing nothing; `--debug` shows the
traceback instead.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate healthcare supply chains in crisis: stockpiles, disruptions, shortages.",
    pretty_exceptions_enable=False,
    # Plain (click) help: it wraps long words such as policies[hp_fluids].policy.target_days
    # at any width, where Rich's option table cuts them at 80 columns, and reads brackets as
    # brackets, not markup.
    rich_markup_mode=None,
)
out_console = Console()
err_console = Console(stderr=True)

BAD_INPUT = 2

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: path.to.key=value, list items by "
                 "index or name, e.g. policies[hp_fluids].policy.target_days=45 (repeatable; "
                 "`beredskap paths FILE` lists the paths)."),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]
RoleOption = Annotated[
    list[str] | None,
    typer.Option("--role", help="Summarise only this role, e.g. ward (repeatable)."),
]
GroupOption = Annotated[
    list[str] | None,
    typer.Option("--group", help="Summarise only this product group (repeatable)."),
]
RegionOption = Annotated[
    list[str] | None,
    typer.Option("--region", help="Summarise only nodes in this region (repeatable)."),
]
# Five replications give a 95 % interval (t with 4 degrees of freedom, 2.8 standard errors)
# that is already informative, and keep the three-month national scenario under half a minute.
DEFAULT_REPLICATIONS = 5


def _fail(message: str, debug: bool, exc: BaseException | None = None) -> typer.Exit:
    if debug and exc is not None:
        raise exc
    # Escaped: paths such as policies[hp_fluids] would otherwise be read as Rich markup.
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    return typer.Exit(BAD_INPUT)


def _load(file: Path, sets: list[str] | None, debug: bool) -> Any:
    from sim.scenario import ScenarioError, load_scenario
    from sim.scenario.load import parse_set

    try:
        overrides = dict(parse_set(s) for s in sets or [])
        return load_scenario(file, overrides)
    except ScenarioError as exc:
        raise _fail(exc.render(), debug, exc) from None
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None


def _version(value: bool) -> None:
    if value:
        from sim import __version__

        out_console.print(f"beredskap {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """Simulate healthcare supply chains in crisis."""
    # Consoles per invocation: one built at import keeps the COLUMNS of that moment, so a
    # second invocation in the same process (tests, notebooks) would print at the old width.
    global out_console, err_console
    out_console, err_console = Console(), Console(stderr=True)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    sets: SetOption = None,
    debug: DebugOption = False,
) -> None:
    """Check a scenario and report every problem in it (exit 2 if there are any)."""
    sc = _load(file, sets, debug)
    out_console.print(
        f"[green]ok[/] {escape(str(file))}: scenario '{escape(sc.name)}', {len(sc.nodes)} nodes, "
        f"{len(sc.products)} products, {len(sc.lanes)} lanes, {len(sc.disruptions)} disruptions, "
        f"{sc.horizon_days} days",
        highlight=False,
    )


@app.command()
def run(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: results/<scenario>-<time>)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(  # as a scenario's seed: numpy's range
        min=0, max=2**64 - 1, help="Seed (default: the scenario's).")] = None,
    replications: Annotated[
        int,
        typer.Option("--replications", "-r", min=1,
                     help="Independent replications. The default, 5, is the fewest that give "
                     "a useful 95 % confidence interval (printed as ±) at a cost a laptop "
                     "pays in seconds; use 1 for a quick look, `beredskap batch` for many."),
    ] = DEFAULT_REPLICATIONS,
    sets: SetOption = None,
    role: RoleOption = None,
    group: GroupOption = None,
    region: RegionOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Write CSV copies of the tables.")] = False,
    daily: Annotated[
        str | None,
        typer.Option(help="Daily table by node, region, role, or none (default: the scenario's)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    max_memory: Annotated[
        str | None,
        typer.Option("--max-memory", help="Refuse to start a run estimated to need more, e.g. "
                     "4G (default: 70 % of the memory available)."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the folder.")] = False,
    debug: DebugOption = False,
) -> None:
    """Run a scenario and write its results folder (manifest, resolved scenario, tables)."""
    import sim
    from sim.export import ResultsExistError, default_out_dir, write_results

    if daily is not None and daily not in ("node", "region", "role", "none"):
        raise _fail(f"--daily '{daily}': expected node, region, role or none", debug)
    sc = _load(file, sets, debug)
    try:  # before anything runs: a misspelt --role is a message, not a wasted run
        from sim.results import select

        select(pd_empty_kpis(), sc, role, group, region)
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None
    target = out or default_out_dir(sc.name)
    if target.exists() and not overwrite:
        raise _fail(f"{target} already exists; choose another --out or add --overwrite", debug)
    try:  # before anything is allocated: will it fit, and is no other live run writing there?
        from sim.guard import before_run

        lock = before_run(sc, target, replications, daily, max_memory)
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None
    ctx.call_on_close(lock.release)  # released however the run ends
    started = time.perf_counter()
    with err_console.status("") as status:

        def progress(done: int, total: int) -> None:
            status.update(f"replication {done}/{total}")

        result = sim.run(sc, seed=seed, replications=replications, daily=daily,
                         progress=None if quiet else progress)
    try:
        folder = write_results(result, target, csv=csv, overwrite=overwrite,
                               extra={"command": {"sets": sets or [], "daily": daily}})
    except ResultsExistError as exc:
        raise _fail(str(exc), debug, exc) from None
    elapsed = time.perf_counter() - started
    if quiet:
        out_console.print(str(folder), highlight=False)
        return
    from sim.report import run_report

    _print_report(run_report(result, role, group, region))
    out_console.print(
        f"\n{replications} replication(s) of '{escape(sc.name)}' (seed {result.seed}) in "
        f"{elapsed:.2f} s; results in [bold]{escape(str(folder))}[/]",
        highlight=False,
    )


def pd_empty_kpis() -> Any:
    """An empty KPI table: checks filter names against the scenario before a run."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series(dtype=object) for c in ("role", "group", "region")})


def _print_report(report: Any) -> None:
    for part in report.parts:
        out_console.print(part, highlight=False)


@app.command()
def batch(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file, or a batch file of variants.")],
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", min=1,
                     help="Replications per variant (default: the batch file's, else 10)."),
    ] = None,
    sweep: Annotated[
        list[str] | None,
        typer.Option("--sweep", help="Vary a value: path.to.key=v1,v2,... (repeatable; "
                     "the grid of all combinations runs)."),
    ] = None,
    link: Annotated[
        list[str] | None,
        typer.Option("--link", help="Vary several values together: path1,path2=a1/a2,b1/b2 "
                     "(repeatable; each step sets every path, steps are not crossed)."),
    ] = None,
    sets: SetOption = None,
    role: RoleOption = None,
    group: GroupOption = None,
    region: RegionOption = None,
    seed: Annotated[int | None, typer.Option(  # as a scenario's seed: numpy's range
        min=0, max=2**64 - 1, help="Batch seed (default: the scenario's).")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o",
                     help="Batch folder (default: results/<scenario>-batch-<time>)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", "-w", min=1, help="Local processes (default: all cores)."),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Run on an existing Dask cluster, e.g. tcp://host:8786 "
                     "(pip install '.[dist]')."),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Finish an interrupted batch in --out: run only what is missing.")
    ] = False,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    tables: Annotated[
        str | None,
        typer.Option(help="Tables to keep per replication: kpis (always), daily, events, ledger; "
                     "comma-separated."),
    ] = None,
    daily: Annotated[
        str | None, typer.Option(help="Level of the daily table: node, region or role.")
    ] = None,
    aggregate: Annotated[
        bool | None,
        typer.Option("--aggregate/--no-aggregate",
                     help="Keep kpis and daily as mean and sd over replications (small output)."),
    ] = None,
    chunk: Annotated[int | None, typer.Option(min=1, help="Replications per task.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the folder.")] = False,
    debug: DebugOption = False,
) -> None:
    """Run many replications of many variants (sweeps, named variants) and summarise them."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from sim.batch import batch as run_batch
    from sim.batch.spec import is_batch_file, load_batch_file
    from sim.batch.store import BatchFolderError
    from sim.batch.variants import parse_link, parse_sweep, sweep_paths
    from sim.export import default_out_dir
    from sim.scenario import ScenarioError
    from sim.scenario.load import parse_set

    try:
        overrides = dict(parse_set(s) for s in sets or [])
        grid = {**parse_sweep(sweep or []), **parse_link(link or [])}
        spec = load_batch_file(file, overrides) if is_batch_file(file) else None
    except ScenarioError as exc:
        raise _fail(exc.render(), debug, exc) from None
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None
    if spec is not None:
        sc, options, variants, label = spec.scenario, spec.options, spec.variants, spec.label
        for key in sweep_paths(grid):
            if key in sweep_paths(options.sweep):
                raise _fail(f"--sweep {key} is also swept in {file}", debug)
        grid = {**options.sweep, **grid}
    else:
        sc = _load(file, sets, debug)
        options, variants = None, []

        def label(variant: Any) -> str:
            return "/".join(name for name, given in (("--sweep", sweep), ("--link", link))
                            if given) or "--sweep"

    def pick(given: Any, key: str, default: Any) -> Any:
        if given is not None:
            return given
        from_file = getattr(options, key, None) if options is not None else None
        return default if from_file is None else from_file

    reps = pick(replications, "replications", 10)
    keep = (["kpis", *[t.strip() for t in tables.split(",") if t.strip()]] if tables
            else pick(None, "tables", ["kpis"]))
    target = out or default_out_dir(f"{sc.name}-batch")
    try:
        from sim.batch import plan_batch

        plan, specs = plan_batch(sc, grid, variants, reps, pick(seed, "seed", None), keep,
                                 pick(daily, "daily", None), pick(aggregate, "aggregate", False),
                                 pick(chunk, "chunk", None), label)
    except ScenarioError as exc:
        raise _fail(exc.render(), debug, exc) from None
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None
    if resume and out is None:
        raise _fail("--resume needs --out: the folder of the batch to finish", debug)
    if scheduler and workers:
        raise _fail("--workers is for local processes; with --scheduler the cluster decides",
                    debug)
    if (role or group or region) and pick(aggregate, "aggregate", False):
        raise _fail("--role, --group and --region need per-replication KPIs: drop --aggregate "
                    "(or filter summary.csv by role and group)", debug)
    try:  # a misspelt --role is a message before the batch runs, not after
        from sim.results import select

        select(pd_empty_kpis(), sc, role, group, region)
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None
    if daily is not None and "daily" not in plan["tables"]:
        raise _fail("--daily sets the level of the daily table; keep it with "
                    "--tables kpis,daily", debug)
    executor, client = None, None
    n_workers = workers or os.cpu_count() or 1
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
        executor = client
    elif n_workers > 1 and len(specs) > 1:
        from sim.batch.runner import exit_with_parent

        # spawn: workers start clean, never a fork of a process that runs threads.
        executor = ProcessPoolExecutor(min(n_workers, len(specs)),
                                       mp_context=multiprocessing.get_context("spawn"),
                                       initializer=exit_with_parent, initargs=(os.getpid(),))
    total = reps * len(plan["variants"])
    # Resuming a finished batch runs nothing: say so instead of a bar and a worker efficiency.
    finished = resume and (target / "manifest.json").exists()
    started = time.perf_counter()
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("ETA"),
                   TimeRemainingColumn(), console=err_console, disable=quiet or finished)
    task = bar.add_task("replications", total=total, rate="")
    first: dict[str, float] = {}

    def progress(done: int, all_: int) -> None:
        now = time.perf_counter()
        first.setdefault("done", done)
        first.setdefault("at", now)
        fresh = done - first["done"]
        rate = f"{fresh / (now - first['at']):.2f} rep/s" if fresh and now > first["at"] else ""
        bar.update(task, completed=done, rate=rate)

    try:
        with bar:
            result = run_batch(
                sc, grid, variants, reps, pick(seed, "seed", None), executor, target, keep,
                pick(daily, "daily", None), pick(aggregate, "aggregate", False),
                pick(chunk, "chunk", None), resume, overwrite, progress, label,
            )
    except (BatchFolderError, OSError) as exc:
        raise _fail(str(exc), debug, exc) from None
    except KeyboardInterrupt:
        again = "the same command" if out is not None else f"the same command with --out {target}"
        err_console.print(
            f"interrupted: finished tasks are saved in {target}; run {again} and --resume to "
            "do only what is missing", highlight=False, markup=False)
        raise typer.Exit(130) from None
    finally:
        if isinstance(executor, ProcessPoolExecutor):
            executor.shutdown(wait=False, cancel_futures=True)
        if client is not None:
            client.close()
    elapsed = time.perf_counter() - started
    if quiet:
        out_console.print(str(result.folder), highlight=False)
        return
    try:
        _print_batch(result, role, group, region)
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None
    if finished:
        out_console.print(
            f"\n{escape(str(result.folder))} was already complete: nothing was run "
            f"({total} replications of '{escape(sc.name)}', seed {plan['seed']})",
            highlight=False)
        return
    timings = result.manifest["timings_s"]
    workers_used = result.manifest["workers"]
    efficiency = ""
    if timings["wall_this_run"] > 0 and result.manifest["tasks_run_here"]:
        eff = timings["task_this_run"] / (timings["wall_this_run"] * workers_used)
        efficiency = f", {workers_used} worker(s) busy {eff:.0%} of the time"
    out_console.print(
        f"\n{total} replications ({len(plan['variants'])} variant(s) x {reps}) of "
        f"'{escape(sc.name)}' (seed {plan['seed']}) in {elapsed:.1f} s{efficiency}; "
        f"results in [bold]{escape(str(result.folder))}[/]",
        highlight=False,
    )


def _print_batch(result: Any, role: Any = None, group: Any = None,
                 region: Any = None) -> None:
    from sim.batch.tasks import DEMAND_POINTS
    from sim.report import batch_report

    reps = result.manifest["plan"]["replications"]
    if role or group or region:
        # One section per role, as `run` has: a supplier's order fill and a demand point's
        # fill of own demand are different measures and never share a table.
        for one_role in [[r] for r in role] if role else [role]:
            fill = result.fill(one_role, group, region)
            kinds = set(fill["fill_of"])
            what = ("Fill of own demand" if kinds == {"demand"} else
                    "Order fill (customers' orders shipped on the day)" if kinds == {"orders"}
                    else "Fill (own demand, or orders for groups with none)")
            chosen = [f"{k} {', '.join(v)}" for k, v in (("role", one_role), ("group", group),
                                                           ("region", region)) if v]
            what += f", {'; '.join(chosen)}"
            _print_report(batch_report(fill, result.variant_names, reps, what,
                                       out_console.width))
    else:
        summary = result.summary
        fill = summary[(summary["kpi"] == "fill_rate") & (summary["role"] == DEMAND_POINTS)]
        what = "Fill rate at demand points"
        _print_report(batch_report(fill, result.variant_names, reps, what, out_console.width))
    out_console.print(
        "Every KPI (unmet units, stockout days, first stockout, lowest days of supply) by role "
        "and group is in summary.csv; per-replication values in replication_kpis.parquet.",
        style="dim", highlight=False,
    )


@app.command()
def injects(
    results: Annotated[Path, typer.Argument(help="Results folder written by `beredskap run`.")],
    lang: Annotated[
        str, typer.Option("--lang", "-l", help="Language: sv, nb or en (those of the rules).")
    ] = "sv",
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help="xlsx, csv, md or openaev (an XLSX for OpenAEV's "
                     "importer; default: from --out, else xlsx)."),
    ] = None,
    replication: Annotated[
        int | None, typer.Option(help="Replication to use (default: the first).")
    ] = None,
    typical: Annotated[
        bool, typer.Option("--typical", help="Use the replication nearest the median outcome.")
    ] = False,
    start: Annotated[
        str | None,
        typer.Option(help="Date and time of the first scenario day, e.g. 2027-03-01T08:00."),
    ] = None,
    compress: Annotated[
        float | None,
        typer.Option(help="Scenario days per exercise hour: adds the exercise time."),
    ] = None,
    max_injects: Annotated[
        int | None,
        typer.Option("--max", min=1, help="Keep the N most severe injects, in time order."),
    ] = None,
    rules: Annotated[
        Path | None, typer.Option(help="Rules and templates YAML (default: the shipped one).")
    ] = None,
    regions: Annotated[
        list[str] | None,
        typer.Option("--region", help="Only injects about this region and its suppliers "
                     "(repeatable)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="MSEL file (default: RESULTS/injects.<lang>.<format>)."),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Results of a run without the crisis (same seed): triggers it also "
                     "has are dropped as normal operations. Default: the same scenario without "
                     "its disruptions is run for this (the run itself when it has none)."),
    ] = None,
    no_baseline: Annotated[
        bool, typer.Option("--no-baseline", help="Compare with nothing: every trigger counts.")
    ] = False,
    tolerance: Annotated[
        int, typer.Option(min=0, help="Days apart a trigger and the baseline's may be and "
                          "still be the same (default 3).")
    ] = 3,
    timeline: Annotated[
        bool, typer.Option(help="Write the timeline figure (PNG) beside the MSEL.")
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the files.")] = False,
    debug: DebugOption = False,
) -> None:
    """Write an exercise MSEL (injects) from a run's results, with a timeline figure."""
    from sim.injects import build_msel, write_msel, write_timeline
    from sim.injects.export import baseline_words, exercise_lag, file_name, format_of
    from sim.scenario import ScenarioError

    started = time.perf_counter()
    folder = out if out is not None and out.is_dir() else None  # --out DIR: the default name
    try:
        if out is not None and folder is None:
            fmt = format_of(out, fmt)
        else:
            fmt = format_of(Path(file_name("x", (fmt or "xlsx").strip().lower())), fmt)
        if baseline is not None and no_baseline:
            raise ValueError("give --baseline or --no-baseline, not both")
        msel = build_msel(results, lang, rules, replication, typical, max_injects, start,
                          compress, regions, False if no_baseline else baseline, tolerance)
    except ScenarioError as exc:
        raise _fail(exc.render(), debug, exc) from None
    except ValueError as exc:
        raise _fail(str(exc), debug, exc) from None
    compared = ("compared with " + baseline_words(msel) if msel.baseline is not None else
                "not compared with normal operations (--no-baseline)")
    target = out if out is not None and folder is None else (
        (folder or results) / file_name(msel.lang, fmt))
    figure = target.with_suffix(".timeline.png")
    try:
        write_msel(msel, target, fmt)
        if timeline:
            write_timeline(msel, figure)
    except OSError as exc:
        raise _fail(f"cannot write {target}: {exc}", debug, exc) from None
    except ValueError as exc:  # an MSEL the chosen format cannot hold (refused before saving)
        raise _fail(f"cannot write {target}: {exc}", debug, exc) from None
    written = [str(target), *([str(figure)] if timeline else [])]
    if msel.table.empty and msel.baseline is not None and msel.triggers == 0:
        # Not a filter problem: every trigger was normal operations (a scenario without
        # disruptions is compared with itself).
        err_console.print(
            f"note: no injects: all {msel.baseline.compared:,} triggers in days "
            f"{msel.from_day}-{msel.to_day} are normal operations (the MSEL has headings only; "
            "--no-baseline lists them)", highlight=False)
    elif msel.table.empty:
        err_console.print(
            f"note: no injects: none of the {msel.triggers:,} triggers in days "
            f"{msel.from_day}-{msel.to_day} matched an enabled rule (the MSEL has headings "
            "only); check --region and the rules' when filters", highlight=False)
    if quiet:
        if typical:  # which replication was picked matters even when quiet
            err_console.print(msel.choice, highlight=False, soft_wrap=True)
        if msel.baseline is not None:  # so that nobody wonders where injects went
            err_console.print(compared, highlight=False, soft_wrap=True)
        out_console.print("\n".join(written), highlight=False, soft_wrap=True)
        return
    _print_injects(msel)
    lag = exercise_lag(msel)  # how far the spacing delays injects behind the compressed clock
    spaced = (f"; exercise times at least {msel.rules.schedule.exercise_spacing_minutes} min "
              f"apart, up to {lag} min after their compressed time on busy days" if lag else "")
    out_console.print(
        f"\n{len(msel.table)} injects from {msel.events:,} events ({msel.choice}), days "
        f"{msel.from_day}-{msel.to_day}, in {time.perf_counter() - started:.1f} s; "
        f"{escape(compared)}{spaced}; written to [bold]{' and '.join(written)}[/]",
        highlight=False,
    )


def _print_injects(msel: Any, rows: int = 20) -> None:
    table = Table(title=f"{msel.labels.title}: {escape(msel.scenario.name)}")
    headings = msel.labels.headings
    for column, justify in (("number", "right"), ("scenario_day", "right"), ("time", "left")):
        table.add_column(headings[column], justify=justify,  # type: ignore[arg-type]
                         no_wrap=True, min_width=len(headings[column]))
    table.add_column(headings["to"], no_wrap=True, overflow="ellipsis", max_width=24)
    table.add_column(headings["synopsis"], min_width=16)
    for row in msel.table.head(rows).itertuples(index=False):
        table.add_row(str(row.number), str(row.scenario_day), row.time, escape(row.to),
                      escape(row.synopsis))
    out_console.print(table)
    if len(msel.table) > rows:
        out_console.print(f"... and {len(msel.table) - rows} more", style="dim")


@app.command()
def paths(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    grep: Annotated[
        str | None, typer.Option(help="Only paths containing this text (any case).")
    ] = None,
    sets: SetOption = None,
    debug: DebugOption = False,
) -> None:
    """List every path --set, --sweep, --link and batch files can change, with value and type.

    Rules and disruptions go by name where they have one, nodes by id:
    policies[hp_fluids].policy.target_days, nodes[tamro].region.
    """
    from sim.scenario.paths import settable_paths

    sc = _load(file, sets, debug)
    found = settable_paths(sc, grep)
    if not found:
        raise _fail(f"no path in {file} contains '{grep}'", debug)
    for item in found:
        value = json.dumps(item.value, ensure_ascii=False)
        out_console.print(f"{item.path} = {value}  # {item.type}", markup=False,
                          highlight=False, soft_wrap=True)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language (for editor completion)."""
    from sim.scenario.schema import Scenario

    out_console.print_json(json.dumps(Scenario.model_json_schema(by_alias=True)))


def _register_research() -> None:
    # The research commands live in their own module; it imports this one's helpers.
    from sim import cli_research

    app.command("size")(cli_research.size_command)
    app.command("report")(cli_research.report_command)
    app.command("sensitivity")(cli_research.sensitivity_command)


_register_research()


def _register_exercise() -> None:
    # `beredskap exercise` lives in its own module (docs/exercise.md); it imports this one's
    # helpers.
    from sim import cli_exercise

    app.command("exercise")(cli_exercise.exercise_command)


_register_exercise()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
