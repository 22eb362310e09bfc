"""The `beredskap` command: thin, it parses, calls the API and prints.

Bad input prints one clean message and exits with code 2, writing nothing; `--debug` shows the
traceback instead.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate healthcare supply chains in crisis: stockpiles, disruptions, shortages.",
    pretty_exceptions_enable=False,
)
out_console = Console()
err_console = Console(stderr=True)

BAD_INPUT = 2

SetOption = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a scenario value: path.to.key=value (repeatable)."),
]
DebugOption = Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")]


def _fail(message: str, debug: bool, exc: BaseException | None = None) -> typer.Exit:
    if debug and exc is not None:
        raise exc
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
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


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    sets: SetOption = None,
    debug: DebugOption = False,
) -> None:
    """Check a scenario and report every problem in it (exit 2 if there are any)."""
    sc = _load(file, sets, debug)
    out_console.print(
        f"[green]ok[/] {file}: scenario '{sc.name}', {len(sc.nodes)} nodes, "
        f"{len(sc.products)} products, {len(sc.lanes)} lanes, {len(sc.disruptions)} disruptions, "
        f"{sc.horizon_days} days",
        highlight=False,
    )


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Scenario YAML file.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Results folder (default: results/<scenario>-<time>)."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: the scenario's).")] = None,
    replications: Annotated[int, typer.Option("--replications", "-r", min=1)] = 1,
    sets: SetOption = None,
    csv: Annotated[bool, typer.Option("--csv", help="Write CSV copies of the tables.")] = False,
    daily: Annotated[
        str | None,
        typer.Option(help="Daily table by node, region, role, or none (default: the scenario's)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing --out folder.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the folder.")] = False,
    debug: DebugOption = False,
) -> None:
    """Run a scenario and write its results folder (manifest, resolved scenario, tables)."""
    import sim
    from sim.export import ResultsExistError, default_out_dir, write_results

    if daily is not None and daily not in ("node", "region", "role", "none"):
        raise _fail(f"--daily '{daily}': expected node, region, role or none", debug)
    sc = _load(file, sets, debug)
    target = out or default_out_dir(sc.name)
    if target.exists() and not overwrite:
        raise _fail(f"{target} already exists; choose another --out or add --overwrite", debug)
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
    _print_kpis(result)
    out_console.print(
        f"\n{replications} replication(s) of '{sc.name}' (seed {result.seed}) in {elapsed:.2f} s; "
        f"results in [bold]{folder}[/]",
        highlight=False,
    )


def _fmt(value: float, pattern: str) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        pattern.format(value)
    )


def _print_kpis(result: Any) -> None:
    summary = result.summary()
    kpis = result.kpis
    table = Table(title=f"KPIs: {result.scenario.name} (after {result.scenario.warmup_days}-day "
                        "warm-up, all replications)")
    for column, justify in (("role", "left"), ("group", "left"), ("fill rate", "right"),
                            ("unmet/rep", "right"), ("short", "right"), ("min DoS", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for row in summary.itertuples(index=False):
        table.add_row(
            str(row.role), str(row.group), _fmt(row.fill_rate, "{:.1%}"),
            _fmt(row.unmet_per_rep, "{:,.0f}"), _fmt(row.share_short, "{:.0%}"),
            _fmt(row.min_dos, "{:.1f}"),
        )
    out_console.print(table)
    out_console.print(
        "unmet/rep: units not served on the day asked, per replication; short: share of "
        "node-products with a stockout day; min DoS: lowest days of supply on hand",
        style="dim", highlight=False,
    )
    first = kpis["first_stockout_day"].min()
    demand_points = kpis[kpis["role"].isin(["ward", "community_pharmacy", "municipal_care"])]
    # Per product: units of different products (gloves, oxygen m3) must not be added up.
    by_product = demand_points.groupby("product", observed=True)[["served", "demand"]].sum()
    by_product = by_product[by_product["demand"] > 0]
    fill = (by_product["served"] / by_product["demand"]).sort_values()
    if len(fill):
        worst = ", ".join(f"{p} {v:.1%}" for p, v in fill.head(3).items())
        headline = (f"Fill rate at demand points, by product: median {fill.median():.1%}, "
                    f"lowest {worst}")
    else:
        headline = "No demand points"
    out_console.print(
        f"{headline}; first stockout anywhere: "
        f"{'none' if math.isnan(first) else f'day {int(first)}'}",
        highlight=False,
    )


@app.command()
def schema() -> None:
    """Print the JSON Schema of the scenario language (for editor completion)."""
    from sim.scenario.schema import Scenario

    out_console.print_json(json.dumps(Scenario.model_json_schema(by_alias=True)))


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
