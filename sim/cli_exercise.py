"""`beredskap exercise`: a live exercise, thin over `sim.Exercise`; registered by `sim.cli`.

One command whose first argument says what it works on, as the issue wrote it:

    beredskap exercise SCENARIO --out DIR [--step 7] ...    start, run to the first decision point
    beredskap exercise DIR                                  where the exercise stands
    beredskap exercise DIR decide 'TEXT' | --file FILE      log the players' decision
    beredskap exercise DIR next [--step N | --to DAY]       run to the next decision point
    beredskap exercise DIR replay                           prove it reproduces, bit for bit
    beredskap exercise DIR review                           what the decisions bought

A scenario file starts an exercise; a folder is one to continue. Options that do not belong to
the action are refused, not ignored.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

# Nothing from sim.cli at import: it imports this module to register the command.
ACTIONS = ("status", "decide", "next", "replay", "review")
REPLAY_DIFFERS = 1
"""Exit code of a replay that does not give the stored results (not bad input: a finding)."""
OPTIONS_OF = {
    "start": {"--out", "--seed", "--lang", "--start", "--compress", "--step", "--to", "--set",
              "--overwrite", "--no-figures"},
    "status": set(),
    "decide": {"--file"},
    "next": {"--step", "--to", "--no-figures"},
    "replay": set(),
    "review": set(),
}


def exercise_command(
    target: Annotated[Path, typer.Argument(
        help="A scenario file (starts an exercise, with --out) or an exercise folder.")],
    words: Annotated[list[str] | None, typer.Argument(
        help="With a folder: decide TEXT, next, replay or review (nothing: where it stands). "
             "TEXT is YAML or key=value words, e.g. 'redistribution within=region "
             "below_days=2 donor_floor_days=5'.", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Start: the exercise folder.")] = None,
    seed: Annotated[int | None, typer.Option(help="Start: seed (default: the scenario's).")
                    ] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", "-l", help="Start: language of the MSEL and situation report, sv, nb or en "
                             "(default sv).")] = None,
    start: Annotated[str | None, typer.Option(
        help="Start: date and time of the first day after warm-up, e.g. 2027-03-01T08:00.")
                     ] = None,
    compress: Annotated[float | None, typer.Option(
        help="Start: scenario days per exercise hour (adds exercise times).")] = None,
    step: Annotated[int | None, typer.Option(
        min=1, help="Start, next: days to the next decision point (default: the exercise's, "
                    "7 unless given at the start).")] = None,
    to: Annotated[str | None, typer.Option(
        "--to", help="Start, next: run to this scenario day (a number, or a date with "
                     "--start).")] = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--set", help="Start: override a scenario value, path.to.key=value (repeatable).")
                    ] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", "-f", help="Decide: the decision(s) in a YAML file.")] = None,
    overwrite: Annotated[bool, typer.Option(
        help="Start: replace an exercise already in --out (its decision log too).")] = False,
    no_figures: Annotated[bool, typer.Option(
        "--no-figures", help="Start, next: leave out the timeline and situation report.")
                          ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the essentials.")
                     ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Run a live exercise: players' decisions change the simulation (docs/exercise.md)."""
    from sim.cli import _fail
    from sim.exercise import ExerciseError
    from sim.exercise.folder import locked
    from sim.scenario import ScenarioError

    given = {name for name, value in (
        ("--out", out), ("--seed", seed), ("--lang", lang), ("--start", start),
        ("--compress", compress), ("--step", step), ("--to", to), ("--set", sets),
        ("--file", file), ("--overwrite", overwrite or None),
        ("--no-figures", no_figures or None)) if value is not None}
    words = list(words or [])
    try:
        action = _action(target, words)
        wrong = sorted(given - OPTIONS_OF[action])
        if wrong:
            raise ExerciseError(f"{', '.join(wrong)}: not an option of `{_usage(action)}`")
        if step is not None and to is not None:
            raise ExerciseError("give --step or --to, not both")
        if action == "start":
            _start(target, out, seed, lang, start, compress, step, to, sets, overwrite,
                   not no_figures, quiet, debug)
            return
        # Held from the first read to the last write: a second controller's command waits
        # for nothing and is refused.
        with locked(target):
            if action == "decide":
                _decide(target, words[1:], file, quiet)
            elif action == "next":
                _next(target, step, to, not no_figures, quiet)
            elif action == "replay":
                _replay(target, quiet)
            elif action == "review":
                _review(target, quiet)
            else:
                _status(target)
    except ScenarioError as exc:
        raise _fail(exc.render(), debug, exc) from None
    except ValueError as exc:  # ExerciseError and bad values of options
        raise _fail(str(exc), debug, exc) from None
    except OSError as exc:
        raise _fail(f"cannot write the exercise in {out or target}: {exc}", debug, exc) from None


def _action(target: Path, words: list[str]) -> str:
    from sim.exercise import ExerciseError
    from sim.scenario.errors import did_you_mean

    if not words:
        if target.is_dir():
            return "status"
        if target.is_file():
            return "start"
        raise ExerciseError(f"{target}: no such scenario file or exercise folder")
    action = words[0]
    if action not in ACTIONS[1:]:
        raise ExerciseError(f"unknown action '{action}'{did_you_mean(action, ACTIONS[1:])} "
                            f"(actions on an exercise folder: {', '.join(ACTIONS[1:])})")
    if target.is_file():
        raise ExerciseError(f"{target} is a file; `{action}` works on an exercise folder (start "
                            f"one with `beredskap exercise {target} --out DIR`)")
    if action != "decide" and len(words) > 1:
        raise ExerciseError(f"unexpected words after {action}: {' '.join(words[1:])}")
    return action


def _usage(action: str) -> str:
    return ("beredskap exercise SCENARIO --out DIR" if action == "start"
            else f"beredskap exercise DIR{'' if action == 'status' else ' ' + action}")


def _to_day(to: str | None, start: str | None, warmup: int) -> int | None:
    """`--to` as a scenario day: a number, or a date counted from `--start`.

    `start` is the date of the first day after warm-up.
    """
    from sim.exercise import ExerciseError

    if to is None:
        return None
    text = to.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise ExerciseError(f"--to '{to}': a scenario day (a number) or a date like "
                            "2027-03-15") from None
    if start is None:
        raise ExerciseError(f"--to {to}: a date needs the exercise's --start (give a day "
                            "number instead)")
    return warmup + (date - dt.date.fromisoformat(start[:10])).days


def _start(file: Path, out: Path | None, seed: int | None, lang: str | None,
           start: str | None, compress: float | None, step: int | None, to: str | None,
           sets: list[str] | None, overwrite: bool, figures: bool, quiet: bool,
           debug: bool) -> None:
    from sim.cli import _load
    from sim.exercise import DEFAULT_STEP, Exercise, ExerciseError
    from sim.exercise.folder import locked
    from sim.injects import parse_start

    if out is None:
        raise ExerciseError("starting an exercise needs --out DIR: the folder it lives in")
    sc = _load(file, sets, debug)
    started = time.perf_counter()
    # --to is checked before the folder is made (Exercise checks the rest first): bad input
    # writes nothing.
    first, _ = parse_start(start)
    target = _to_day(to, None if first is None else first.date().isoformat(), sc.warmup_days)
    if target is not None and target <= sc.warmup_days:
        raise ExerciseError(f"--to {to}: the exercise starts on day {sc.warmup_days} (after the "
                            "warm-up); give a later day")
    # Checks every option, then makes the folder (locked while it writes).
    ex = Exercise(sc, seed=seed, out=out, lang=lang or "sv", start=start, compress=compress,
                  step_days=step or DEFAULT_STEP, figures=figures, overwrite=overwrite)
    with locked(out):
        new = ex.step(to_day=target)
    _report_step(ex, new, started, quiet, first=True)


def _open(folder: Path, figures: bool = True) -> Any:
    from sim.cli import err_console
    from sim.exercise import Exercise

    ex = Exercise.open(folder, figures=figures)
    if ex.repaired:
        err_console.print(f"note: the last command on {folder} was interrupted; the outputs of "
                          f"day {ex.day} were made again from the state and decision log",
                          highlight=False, soft_wrap=True)
    return ex


def _next(folder: Path, step: int | None, to: str | None, figures: bool, quiet: bool) -> None:
    started = time.perf_counter()
    ex = _open(folder, figures)
    new = ex.step(days=step, to_day=_to_day(to, ex.start, ex.state()["warmup_days"]))
    _report_step(ex, new, started, quiet, first=False)


def _decide(folder: Path, words: list[str], file: Path | None, quiet: bool) -> None:
    from sim.cli import out_console
    from sim.exercise import ExerciseError
    from sim.exercise.decisions import read_file

    if file is not None and words:
        raise ExerciseError("give the decision as text or with --file, not both")
    if file is None and not words:
        raise ExerciseError("decide what? e.g. beredskap exercise DIR decide 'redistribution "
                            "within=region below_days=2 donor_floor_days=5', or --file "
                            "decision.yaml")
    items: Any = read_file(file) if file is not None else " ".join(words)
    given = file.read_text(encoding="utf-8").strip() if file is not None else None
    ex = _open(folder)
    before = len(ex.decisions())
    ex.decide(items, given=given)
    for d in ex.decisions()[before:]:
        when = ", ".join(v for v in (d.scenario_date, d.exercise_elapsed and
                                     f"exercise {d.exercise_elapsed}") if v)
        what = d.item.get("type", "rationing")
        out_console.print(
            f"Decision {d.number}: {escape(what)} '{escape(d.name)}', taken on day {d.day}"
            f"{f' ({escape(when)})' if when else ''}; in force from the next step",
            highlight=False, soft_wrap=True)
    if not quiet:
        out_console.print(f"Logged in {escape(str(folder / 'decisions.yaml'))}; run "
                          f"`beredskap exercise {escape(str(folder))} next` to go on",
                          style="dim", highlight=False, soft_wrap=True)


def _replay(folder: Path, quiet: bool) -> None:
    from sim.cli import err_console, out_console
    from sim.exercise import Exercise

    started = time.perf_counter()
    ex = _open(folder, figures=False)
    again = Exercise.replay(folder)
    found = again.differences(folder)
    steps, decisions = len(ex.steps), len(ex.decisions())
    if found:
        err_console.print(
            f"[bold red]replay differs:[/] {steps} step(s) and {decisions} decision(s) of "
            f"{escape(str(folder))} re-run from scenario.yaml, seed {ex.seed} and decisions.yaml "
            "do not give the stored results:", highlight=False, soft_wrap=True)
        for line in found:
            err_console.print(f"  - {escape(line)}", highlight=False, soft_wrap=True)
        raise typer.Exit(REPLAY_DIFFERS)
    result = again.result()
    rows = ", ".join(f"{name} {len(getattr(result, name)):,}"
                     for name in ("kpis", "daily", "events", "ledger"))
    out_console.print(
        f"Replay identical, bit for bit: {steps} step(s) to day {again.day} and {decisions} "
        f"decision(s) from scenario.yaml, seed {again.seed} and decisions.yaml give the stored "
        f"run ({rows} rows) and the {len(again.msel())} injects delivered"
        + ("" if quiet else f", in {time.perf_counter() - started:.1f} s"),
        highlight=False, soft_wrap=True)


def _review(folder: Path, quiet: bool) -> None:
    from sim.cli import out_console

    ex = _open(folder, figures=False)
    table = ex.review()
    view = Table(title=f"What the decisions bought: fill at demand points, days "
                       f"{ex.state()['warmup_days']}-{ex.day - 1} (with / without)")
    for heading in ("region", "group", "fill with", "without", "change", "unmet with / without"):
        view.add_column(heading, justify="left" if heading in ("region", "group") else "right",
                        no_wrap=heading == "group")
    # Every region's every group is in review.csv; on screen the country, and the regions
    # where the decisions changed something (a national scenario has hundreds of rows).
    changed = (table["region"] == "all") | (table["unmet_with"] != table["unmet_without"]) | (
        table["change_pp"].abs() >= 0.05)
    for row in table[changed].itertuples(index=False):
        view.add_row(escape(str(row.region)), escape(str(row.group)), _pct(row.fill_with),
                     _pct(row.fill_without), _pp(row.change_pp),
                     f"{row.unmet_with:,.0f} / {row.unmet_without:,.0f}")
    out_console.print(view)
    hidden = int((~changed).sum())
    if hidden:
        out_console.print(f"{hidden} rows of regions the decisions did not change are left out "
                          "(all are in review.csv)", style="dim", highlight=False)
    measures = ex.result().countermeasures
    names = {d.name for d in ex.decisions()}
    if len(measures):
        mine = measures[measures["name"].astype(str).isin(names)]
        if len(mine):
            done = Table(title="The decisions' countermeasures")
            for heading in ("name", "type", "first day", "days active", "units"):
                done.add_column(heading, justify="left" if heading in ("name", "type")
                                else "right")
            for row in mine.itertuples(index=False):
                done.add_row(escape(str(row.name)), escape(str(row.type)),
                             _day(row.first_day), str(int(row.days_active)), _units(row.units))
            out_console.print(done)
    if not ex.decisions():
        out_console.print("No decisions were taken: with and without are the same run.",
                          highlight=False)
    if not quiet:
        out_console.print(f"Written to {escape(str(folder / 'review.csv'))} (same scenario, seed "
                          "and days without the decisions: common random numbers)",
                          style="dim", highlight=False, soft_wrap=True)


def _status(folder: Path) -> None:
    from sim.cli import out_console

    ex = _open(folder, figures=False)
    s = ex.state()
    clock = ", ".join(v for v in (s.get("scenario_date"), s.get("exercise_elapsed") and
                                  f"exercise {s['exercise_elapsed']}") if v)
    out_console.print(
        f"Exercise '{escape(s['scenario'])}' (seed {s['seed']}): day {s['day']} of "
        f"{s['horizon_days']}{f' ({escape(clock)})' if clock else ''}, decision points "
        f"{', '.join(map(str, s['steps'])) or 'none yet'}, {s['injects']} injects delivered"
        + ("; finished" if s["finished"] else ""), highlight=False, soft_wrap=True)
    for d in ex.decisions():
        out_console.print(f"  {d.number}. day {d.day}: {escape(d.item.get('type', 'rationing'))} "
                          f"'{escape(d.name)}'", highlight=False, soft_wrap=True)


def _report_step(ex: Any, new: Any, started: float, quiet: bool, first: bool) -> None:
    from dataclasses import replace

    from sim.cli import _print_injects, out_console

    s = ex.state()
    folder = ex.out
    files = [folder / f"msel.{ex.lang}.xlsx", folder / "run"]
    if ex.figures:
        files += [folder / f"msel.{ex.lang}.timeline.png", folder / f"situation.{ex.lang}.html"]
    if quiet:
        out_console.print("\n".join(str(f) for f in files), highlight=False, soft_wrap=True)
        return
    if len(new) and ex.injects is not None:
        _print_injects(replace(ex.injects, table=new))
    else:
        out_console.print("No new injects in these days.", highlight=False)
    fill = _fill_so_far(ex.result())
    if fill:
        out_console.print(f"Fill at demand points so far: {fill}", highlight=False,
                          soft_wrap=True)
    clock = ", ".join(v for v in (s.get("scenario_date"), s.get("exercise_elapsed") and
                                  f"exercise {s['exercise_elapsed']}") if v)
    what = "Started" if first else "Ran on"
    end = ("; the scenario's last day: `review` and `replay` remain" if s["finished"]
           else "; waiting for decisions (`decide`, then `next`)")
    out_console.print(
        f"\n{what}: day {s['day']} of {s['horizon_days']}{f' ({escape(clock)})' if clock else ''}"
        f", {len(ex.decisions())} decision(s) in force, {s['injects']} injects so far, in "
        f"{time.perf_counter() - started:.1f} s{end}; written to [bold]"
        f"{escape(', '.join(str(f) for f in files))}[/]", highlight=False, soft_wrap=True)


def _fill_so_far(result: Any) -> str:
    k = result.kpis
    own = k[k["demand"] > 0]
    if own.empty:
        return ""
    by = own.groupby(own["group"].astype(str), sort=False)[["served", "demand"]].sum()
    return ", ".join(f"{escape(g)} {_pct(r.served / r.demand)}" for g, r in by.iterrows())


def _pct(value: float) -> str:
    # Rounded down to a tenth, as the injects do: a shortfall never reads as 100.0%.
    return "–" if value != value else f"{math.floor(1000 * value) / 10:.1f}%"


def _pp(value: float) -> str:
    return "–" if value != value else f"{value:+.1f} pp"


def _day(value: Any) -> str:
    return "–" if value is None or value != value else str(int(value))


def _units(value: Any) -> str:
    return "–" if value is None or value != value else f"{value:,.0f}"
