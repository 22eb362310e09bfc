"""`sim.Exercise`: a live exercise where players' decisions change the simulation.

The exercise stands at a decision point, a scenario day `day`: days 0 .. day-1 have been run.
It starts where the warm-up ends (the MSEL's first day). `step` runs on to the next decision
point; `decide` logs a decision that acts from the current day. Every step re-runs the scenario
from day 0 with the decisions taken so far (the engine is fast): the scenario, the seed and
the decision log are the whole exercise, and give it again bit for bit.

Two rules keep what players have seen true:
- a decision never changes the days already run: `decide` runs the days so far with it and
  refuses it if anything differs (`sim.exercise.compare.history_change`);
- injects, once delivered, stay as delivered: each step adds the injects of its own days
  (recovery injects, for example, are only said when the run so far shows no later cut; a
  later step may show one, but what was said was said).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from sim.exercise import folder as fs
from sim.exercise.compare import history_change, roundtrip, table_differences
from sim.exercise.decisions import (
    RATIONING,
    Decision,
    item_path,
    parse_text,
    prepare,
    relabel,
    scenario_data,
)
from sim.exercise.folder import ExerciseError
from sim.exercise.review import review_table
from sim.results import RunResult
from sim.scenario import Scenario, ScenarioError, from_dict, load_scenario

DEFAULT_STEP = 7
"""Days between decision points unless told otherwise: a week of crisis per round."""
OUTPUTS = "outputs.json"
"""Written after the outputs of a day, removed before they are rewritten: outputs without it
(or for another day than the state's) come from an interrupted command and are made again."""
OWN_FILES = re.compile(r"^(exercise\.json|scenario\.yaml|decisions\.yaml|run|injects\.parquet"
                       r"|outputs\.json|review\.csv|msel\.[\w-]+\.(xlsx|timeline\.png)"
                       r"|situation\.[\w-]+\.html)$")
"""Names of what an exercise writes (a temporary one has a dot in front and a suffix)."""

Decisions = dict[str, Any] | str | list[dict[str, Any]]


class Exercise:
    """A simulation cell for tabletop and functional exercises.

    `scenario` is a `Scenario`, a scenario file or plain data; `seed` defaults to the
    scenario's. With `out`, the exercise lives in that folder (docs/exercise.md): state,
    decision log, the run so far, the MSEL so far and the situation report, each written
    atomically, the folder locked while a method writes it. `lang` (sv, nb, en) is the
    language of the MSEL and the report; `start` dates the first day after warm-up (e.g.
    "2027-03-01T08:00"); `compress` is scenario days per exercise hour (adds exercise times to
    the MSEL and to decisions); `step_days` is the default step. `figures=False` leaves out the
    timeline and the situation report (faster). `overwrite` replaces an exercise already in
    `out` (its decision log too).
    """

    def __init__(self, scenario: Scenario | str | Path | dict[str, Any], seed: int | None = None,
                 out: str | Path | None = None, lang: str = "sv",
                 start: str | dt.datetime | dt.date | None = None,
                 compress: float | None = None, step_days: int = DEFAULT_STEP,
                 figures: bool = True, overwrite: bool = False) -> None:
        sc = _scenario(scenario)
        self._base: dict[str, Any] = sc.resolved()
        self._scenario = from_dict(self._base, sc.name)
        self.seed = _seed(sc.seed if seed is None else seed)
        self._rules = _default_rules()
        self.lang = _language(lang, self._rules)
        self.start = _start_text(start)
        self.compress = _compress(compress)
        # Here, before the folder is made, not at the first step's MSEL: bad input writes
        # nothing (the MSEL checks again with its injects' spacing).
        from sim.injects import parse_start
        from sim.injects.build import check_time_range

        try:
            check_time_range(parse_start(self.start)[0], self.compress,
                             self._scenario.warmup_days, self._scenario.horizon_days - 1)
        except ValueError as exc:
            raise ExerciseError(str(exc)) from None
        self.step_days = _days(step_days, "step_days")
        self.figures = figures
        self.day = self._scenario.warmup_days
        self.steps: list[int] = []
        self._decisions: list[Decision] = []
        self._result: RunResult | None = None
        self._delivered = pd.DataFrame()
        self._msel: Any = None
        self.out = None if out is None else Path(out)
        self.repaired = False
        """`open` made the outputs again (a command on the folder had been interrupted)."""
        self.source = getattr(sc.source, "file", None)  # the file it was read from, if any
        if self.out is not None:
            _check_new(self.out, overwrite)  # before the lock makes the folder
            with fs.locked(self.out, create=True):
                _check_new(self.out, overwrite)  # and again: another start may have won
                if overwrite:
                    _remove_own(self.out)
                fs.write_text(self.out / fs.SCENARIO, yaml.safe_dump(
                    self._base, sort_keys=False, allow_unicode=True))
                fs.write_log(self.out, [])
                self._commit()

    # --- opening a folder ---------------------------------------------------------------------

    @classmethod
    def open(cls, out: str | Path, figures: bool = True) -> Exercise:
        """The exercise in folder `out`, to continue it.

        Outputs left behind by an interrupted command are made again from the state and the
        decision log (`repaired` says so).
        """
        folder = Path(out)
        with fs.locked(folder):
            ex = cls._read(folder, figures)
            if ex._outputs_current():
                if ex.steps:
                    ex._delivered = pd.read_parquet(folder / fs.INJECTS)
            else:
                again = cls._replayed(ex)
                ex._result, ex._delivered, ex._msel = again._result, again._delivered, again._msel
                ex._write_outputs()
                ex.repaired = True
        return ex

    @classmethod
    def replay(cls, out: str | Path) -> Exercise:
        """The exercise in `out` run again, in memory, from its scenario, seed and decision log.

        Each step and each decision is taken again at its day (each decision checked again);
        the returned exercise's `result()` and `msel()` equal the original's when the exercise
        is reproducible (`beredskap exercise DIR replay` checks that).
        """
        return cls._replayed(cls._read(Path(out), figures=False))

    @classmethod
    def _read(cls, folder: Path, figures: bool) -> Exercise:
        state = fs.read_state(folder)
        data = fs.read_scenario_data(folder)
        from sim.export.tables import scenario_hash

        if scenario_hash(data) != state.get("scenario_hash"):
            raise ExerciseError(f"{folder / fs.SCENARIO} has changed since the exercise started "
                                "(its hash differs); the exercise cannot be continued or "
                                "replayed from it")
        try:
            ex = cls(data, seed=_int(state, "seed"), lang=str(state.get("lang")),
                     start=state.get("start"), compress=state.get("compress"),
                     step_days=_int(state, "step_days"), figures=figures)
        except ScenarioError as exc:
            raise ExerciseError(f"{folder / fs.SCENARIO}: {exc.render()}") from None
        ex.out = folder
        ex._base = data  # as stored (and hashed), not resolved once more
        ex.source = state.get("source")
        steps = state.get("steps")
        if not isinstance(steps, list) or not all(isinstance(s, int) for s in steps):
            raise ExerciseError(f"{folder / fs.STATE}: 'steps' is not a list of days")
        ex.steps = list(steps)
        ex.day = _int(state, "day")
        points = [ex._scenario.warmup_days, *ex.steps]
        if ex.day != points[-1] or points != sorted(set(points)):
            raise ExerciseError(f"{folder / fs.STATE}: day {ex.day} and steps {ex.steps} do not "
                                "fit together")
        ex._decisions = _decisions_from_log(fs.read_log(folder), points, folder)
        return ex

    @classmethod
    def _replayed(cls, ex: Exercise) -> Exercise:
        """A fresh in-memory exercise taking `ex`'s steps and decisions again."""
        again = cls(ex._base, seed=ex.seed, lang=ex.lang, start=ex.start, compress=ex.compress,
                    step_days=ex.step_days, figures=False)
        pending = list(ex._decisions)
        for target in [*ex.steps, None]:
            while pending and pending[0].day == again.day:
                logged = pending.pop(0)
                again._take([{"type": RATIONING, **logged.item} if logged.kind == RATIONING
                             else logged.item], logged.given, stamps=logged)
            if target is not None:
                again._advance(target)
        return again

    # --- the exercise -------------------------------------------------------------------------

    def step(self, days: int | None = None, to_day: int | None = None) -> pd.DataFrame:
        """Run to the next decision point: `days` on (default `step_days`), or to `to_day`.

        A step past the scenario's last day stops there. Returns the injects of the days
        just run (the MSEL's new rows).
        """
        horizon = self._scenario.horizon_days
        if self.day >= horizon:
            raise ExerciseError(f"the exercise is at the scenario's end (day {horizon}); "
                                "review or replay it")
        if to_day is not None and days is not None:
            raise ExerciseError("give the days to run or the day to run to, not both")
        if to_day is None:
            target = self.day + _days(self.step_days if days is None else days, "step")
        else:
            target = int(to_day)
            if target <= self.day:
                raise ExerciseError(f"day {target} is not after the exercise's day "
                                    f"({self.day})")
        target = min(target, horizon)
        with self._session():
            before = len(self._delivered)
            self._advance(target)
            if self.out is not None:
                self._write_outputs()
                self._commit()
        return self._delivered.iloc[before:].reset_index(drop=True)

    def decide(self, decision: Decisions, given: str | None = None) -> Decision:
        """Take a decision now: it acts from the exercise's current day.

        `decision` is a countermeasure as in a scenario's `countermeasures:` list (a dict
        with `type`, `name` optional), a rationing rule with `type: rationing`, or the same as
        YAML or `key=value` text ("redistribution within=region below_days=2 ..."). A
        countermeasure without a trigger acts on the current day (`on_day`); a `when` or
        `after` trigger is kept with `not_before_day` set to today, and a rationing rule gets
        `from_day` today, so a condition that already held acts from today. A decision that
        would change the days already run (a production conversion of a product new to its
        node) is refused. Several decisions (a list) are checked together and logged only if
        all pass.
        Returns the (last) decision as logged. Raises ScenarioError for a decision the
        scenario refuses, ExerciseError for one the exercise refuses.
        """
        if isinstance(decision, str):
            items = parse_text(decision, f"decision {len(self._decisions) + 1}")
            given = decision if given is None else given
        else:
            items = decision if isinstance(decision, list) else [decision]
            for item in items:
                if not isinstance(item, dict):
                    raise ExerciseError(f"a decision is a mapping (a countermeasure or "
                                        f"rationing rule), got {type(item).__name__}")
        if given is None:
            given = yaml.safe_dump(items[0] if len(items) == 1 else items, sort_keys=False,
                                   allow_unicode=True, default_flow_style=True).strip()
        with self._session():
            taken = self._take(items, given)
            if self.out is not None:
                fs.write_log(self.out, [d.record() for d in self._decisions])
                self._commit()
        return taken[-1]

    def msel(self) -> pd.DataFrame:
        """The injects delivered so far (the MSEL's rows, numbered from 1)."""
        return self._delivered.copy()

    @property
    def injects(self) -> Any:
        """The injects delivered so far as an `sim.injects.Msel`, or None.

        With its rules, language and scenario, for writing and printing; None before the first
        step of this session (`msel()` has the rows in any case).
        """
        return self._msel

    def result(self) -> RunResult:
        """The run of the days so far (0 .. day-1) with the decisions in force."""
        if self._result is None:
            if not self.steps:
                raise ExerciseError(f"nothing has been run yet: the exercise starts where the "
                                    f"warm-up ends (day {self.day}); step() first")
            self._result = self._run(self.day, self._decisions)
        return self._result

    def decisions(self) -> list[Decision]:
        """The decisions taken so far, in order."""
        return list(self._decisions)

    def state(self) -> dict[str, Any]:
        """Where the exercise stands: scenario, seed, day, decision points, decisions, clock."""
        sc = self._scenario
        return {
            "scenario": sc.name, "seed": self.seed, "day": self.day,
            "warmup_days": sc.warmup_days, "horizon_days": sc.horizon_days,
            "steps": list(self.steps), "step_days": self.step_days, "lang": self.lang,
            "start": self.start, "compress": self.compress,
            **{k: v for k, v in self._clock(self.day).items() if v is not None},
            "decisions": [d.record() for d in self._decisions],
            "injects": len(self._delivered), "folder": None if self.out is None else str(self.out),
            "finished": self.day >= sc.horizon_days,
        }

    def review(self) -> pd.DataFrame:
        """Fill at demand points with and without the decisions, over the days so far.

        The same scenario, seed and days without the decisions (common random numbers), per
        product group for the whole country (`region` 'all') and per region; columns in
        `sim.exercise.review.REVIEW_COLUMNS`. With `out`, also written to `review.csv`.
        """
        with self._session():
            table = review_table(self.result(), self._run(self.day, []))
            if self.out is not None:
                from sim.export.atomic import atomic_write
                from sim.export.cells import to_csv

                atomic_write(self.out / fs.REVIEW, lambda tmp: to_csv(table, tmp))
        return table

    def differences(self, out: str | Path) -> list[str]:
        """How this exercise's run and injects differ from those stored in folder `out`.

        Empty when they are identical, bit for bit.
        """
        folder = Path(out)
        found = table_differences(fs.stored_tables(folder), self.result())
        stored = folder / fs.INJECTS
        if stored.exists():
            from sim.exercise.compare import first_difference

            theirs = pd.read_parquet(stored)
            where = first_difference(theirs, roundtrip(self._delivered), ("stored", "replay"))
            if where is not None:
                found.append(f"injects: {where}")
        elif len(self._delivered):
            found.append(f"injects: the folder has none; the replay has {len(self._delivered)}")
        return found

    # --- inside -------------------------------------------------------------------------------

    def _run(self, day: int, decisions: list[Decision]) -> RunResult:
        import sim

        data = scenario_data(self._base, decisions, horizon=day)
        if day <= self._scenario.warmup_days:
            # Only the warm-up so far (a decision before the first step): a scenario needs a
            # day after its warm-up, and the warm-up only decides which days KPIs count.
            data["warmup_days"] = 0
        try:
            sc = from_dict(data, self._scenario.name)
        except ScenarioError as exc:
            if decisions:
                raise relabel(exc, item_path(self._base, decisions, len(decisions) - 1),
                              _label(decisions[-1])) from None
            raise
        return sim.run(sc, seed=self.seed, replications=1)

    def _take(self, items: list[dict[str, Any]], given: str,
              stamps: Decision | None = None) -> list[Decision]:
        """Check `items` as decisions taken now and add them (all or none)."""
        sc = self._scenario
        if self.day >= sc.horizon_days:
            raise ExerciseError(f"the exercise is at the scenario's end (day "
                                f"{sc.horizon_days}): a decision now would never act")
        taken = [c.name for c in sc.countermeasures] + [
            r.name for r in sc.rationing if r.name is not None] + [
            d.name for d in self._decisions]
        decisions = list(self._decisions)
        before = (self.result() if self.steps else self._run(self.day, decisions)
                  if self.day > 0 else None)
        new = []
        for item in items:
            number = len(decisions) + 1
            label = f"decision {number} (day {self.day})"
            kind, applied = prepare(item, self.day, number, self.lang, taken, label)
            clock = self._clock(self.day)
            decision = Decision(
                number=number, day=self.day, kind=kind, item=applied, given=given,
                entered=(stamps.entered if stamps is not None else
                         dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
                exercise_elapsed=clock["exercise_elapsed"],
                exercise_time=clock["exercise_time"], scenario_date=clock["scenario_date"])
            decisions.append(decision)
            if before is not None:
                after = self._run(self.day, decisions)
                change = history_change(before, after, decision.name, self.day)
                if change is not None:
                    raise ExerciseError(f"{label}, '{decision.name}': {change}. "
                                        + _advice(applied))
                before = after
            else:  # nothing run yet: the scenario's checks only
                self._check(decisions)
            taken.append(decision.name)
            new.append(decision)
        self._decisions = decisions
        self._result = before if self.steps else None
        return new

    def _check(self, decisions: list[Decision]) -> None:
        data = scenario_data(self._base, decisions)
        try:
            from_dict(data, self._scenario.name)
        except ScenarioError as exc:
            raise relabel(exc, item_path(self._base, decisions, len(decisions) - 1),
                          _label(decisions[-1])) from None

    def _advance(self, target: int) -> None:
        """Run to `target` and deliver the injects of the days since the last point."""
        from sim.injects import build_msel

        result = self._run(target, self._decisions)
        msel = build_msel(result, lang=self.lang, rules=self._rules, start=self.start,
                          compress=self.compress)
        table = msel.table
        new = table[(table["scenario_day"] >= self.day) & (table["scenario_day"] < target)]
        new = self._after_point(new)
        if len(self._delivered) and len(new):
            delivered = pd.concat([self._delivered, new], ignore_index=True)
        else:  # concat with an empty frame would guess dtypes from it
            delivered = (self._delivered if len(self._delivered) else new).reset_index(drop=True)
        delivered = delivered.assign(number=range(1, len(delivered) + 1))
        # As the folder stores them: the same dtypes whether continued from disk or not.
        self._delivered = roundtrip(delivered)
        self._msel = replace(msel, table=delivered)
        self._result = result
        self.day = target
        self.steps.append(target)

    def _start_at(self) -> dt.datetime | None:
        """The exercise's start as a date and time (a date alone: the MSEL's day start)."""
        from sim.injects import parse_start

        start, timed = parse_start(self.start)
        if start is not None and not timed:  # as injects do
            start = dt.datetime.combine(
                start.date(), dt.time.fromisoformat(self._rules.schedule.day_start))
        return start

    def _point_minutes(self, day: int) -> int | None:
        """Exercise minutes of decision point `day`, or None without `compress`.

        The compressed time of the start of `day`, but not before the last inject delivered
        for the days before it, plus the spacing: the spacing delays a busy stretch's injects
        (docs/injects.md, Time), and players decide after they have received them.
        """
        if self.compress is None:
            return None
        offset = day - self._scenario.warmup_days
        minutes = round(offset / self.compress * 60)
        delivered = self._delivered
        if len(delivered):
            before = delivered.loc[delivered["scenario_day"] < day, "exercise_elapsed"]
            if len(before):
                last = round(pd.Timedelta(before.max()).total_seconds() / 60)
                minutes = max(minutes, last + self._rules.schedule.exercise_spacing_minutes)
        return minutes

    def _after_point(self, new: pd.DataFrame) -> pd.DataFrame:
        """The new injects' exercise times, none before the decision point they follow.

        Each step makes its MSEL afresh from its run, and its injects of earlier days (never
        re-delivered) need not be those delivered, so the spacing there is not the spacing
        here: the new injects are spaced again from the decision point, in order, each at
        least the spacing after the one before and never before its own time.
        """
        point = self._point_minutes(self.day)
        if point is None or not len(new):
            return new
        gap = self._rules.schedule.exercise_spacing_minutes
        minutes, prev = [], point - gap
        for value in new["exercise_elapsed"]:
            prev = max(round(pd.Timedelta(value).total_seconds() / 60), prev + gap)
            minutes.append(prev)
        elapsed = pd.to_timedelta(minutes, unit="min")
        start = self._start_at()
        out = new.assign(exercise_elapsed=elapsed.to_numpy())
        if start is not None:
            out["exercise_time"] = (pd.DatetimeIndex([start] * len(new)) + elapsed).to_numpy()
        return out

    def _clock(self, day: int) -> dict[str, str | None]:
        """Scenario date and exercise time of decision point `day` (None where not set)."""
        offset = day - self._scenario.warmup_days
        start = self._start_at()
        minutes = self._point_minutes(day)
        return {
            "scenario_date": None if start is None else (
                start + dt.timedelta(days=offset)).date().isoformat(),
            "exercise_elapsed": None if minutes is None else f"{minutes // 60}:{minutes % 60:02d}",
            "exercise_time": None if start is None or minutes is None else (
                start + dt.timedelta(minutes=minutes)).isoformat(timespec="minutes"),
        }

    @contextmanager
    def _session(self) -> Iterator[None]:
        """Hold the folder, and check nobody else moved the exercise on since we read it."""
        if self.out is None:
            yield
            return
        with fs.locked(self.out):
            state = fs.read_state(self.out)
            log = fs.read_log(self.out)
            if state.get("day") != self.day or len(log) != len(self._decisions):
                raise ExerciseError(
                    f"{self.out} has been changed by another command since this exercise read "
                    f"it (it is at day {state.get('day')} with {len(log)} decisions, this at "
                    f"day {self.day} with {len(self._decisions)}); open it again")
            yield

    def _outputs_current(self) -> bool:
        import json

        assert self.out is not None
        if not self.steps:
            return True  # nothing has been run: nothing to show
        try:
            shown = json.loads((self.out / OUTPUTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        files = [self.out / fs.RUN / "manifest.json", self.out / fs.INJECTS,
                 fs.msel_file(self.out, self.lang)]
        return (isinstance(shown, dict) and shown.get("day") == self.day
                and all(f.exists() for f in files))

    def _write_outputs(self) -> None:
        """The run, the injects, the MSEL and the report of the current day, then the stamp."""
        import json

        from sim.export import write_results
        from sim.injects import write_msel, write_timeline

        assert self.out is not None
        folder = self.out
        _clean_temporaries(folder)
        (folder / OUTPUTS).unlink(missing_ok=True)
        write_results(self.result(), folder / fs.RUN, overwrite=True,
                      extra={"exercise_day": self.day, "exercise_steps": self.steps})
        fs.write_injects(folder, self._delivered)
        msel = fs.msel_file(folder, self.lang)
        write_msel(self._msel, msel, "xlsx")
        timeline = msel.with_suffix(".timeline.png")
        situation = fs.situation_file(folder, self.lang)
        if self.figures:
            write_timeline(self._msel, timeline)
            from sim.situation import situation_report

            situation_report(folder / fs.RUN, out=situation, lang=self.lang)
        else:  # an older day's figures must not pass for today's
            timeline.unlink(missing_ok=True)
            situation.unlink(missing_ok=True)
        fs.write_text(folder / OUTPUTS, json.dumps({"day": self.day, "steps": self.steps}))

    def _commit(self) -> None:
        """Write the state: the last write of every command that moves the exercise on."""
        from sim import __version__
        from sim.export.tables import scenario_hash

        assert self.out is not None
        fs.write_state(self.out, {
            "scenario": self._scenario.name, "scenario_hash": scenario_hash(self._base),
            "source": self.source, "seed": self.seed, "lang": self.lang, "start": self.start,
            "compress": self.compress, "step_days": self.step_days, "day": self.day,
            "steps": self.steps, "decisions": len(self._decisions),
            "package_version": __version__,
            "updated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        })

    def __repr__(self) -> str:
        return (f"Exercise(scenario={self._scenario.name!r}, seed={self.seed}, day={self.day}, "
                f"decisions={len(self._decisions)}, injects={len(self._delivered)})")


# --- helpers ------------------------------------------------------------------------------------


@functools.cache
def _default_rules() -> Any:
    """The shipped inject rules, read once per process.

    Every step makes its injects with them, and they are immutable.
    """
    from sim.injects import load_rules

    return load_rules()


def _scenario(scenario: Scenario | str | Path | dict[str, Any]) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return from_dict(scenario)
    return load_scenario(scenario)


def _language(lang: str, rules: Any) -> str:
    from sim.scenario.errors import did_you_mean
    from sim.situation.texts import LANGUAGES

    lang = rules.language(str(lang))
    if lang not in LANGUAGES:
        raise ExerciseError(f"language '{lang}': the situation report is in "
                            f"{', '.join(LANGUAGES)}{did_you_mean(lang, LANGUAGES)}")
    return lang


def _start_text(start: str | dt.datetime | dt.date | None) -> str | None:
    from sim.injects import parse_start

    value, timed = parse_start(start)
    if value is None:
        return None
    return value.isoformat(timespec="minutes") if timed else value.date().isoformat()


def _compress(compress: float | None) -> float | None:
    if compress is None:
        return None
    value = float(compress)
    if not (math.isfinite(value) and value > 0):
        raise ExerciseError(f"compress {compress}: scenario days per exercise hour must be a "
                            "number above 0")
    return value


def _seed(seed: Any) -> int:
    """The seed as a scenario takes it: a whole number from 0 to 2**64 - 1."""
    import numbers

    if (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)
            or not 0 <= seed <= 2**64 - 1):
        raise ExerciseError(f"seed {seed!r}: a whole number from 0 to 2**64 - 1")
    return int(seed)


def _days(days: Any, what: str) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ExerciseError(f"{what} {days!r}: a whole number of days, at least 1")
    return days


def _int(state: dict[str, Any], key: str) -> int:
    value = state.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ExerciseError(f"{fs.STATE}: '{key}' is not a whole number ({value!r})")
    return value


def _label(decision: Decision) -> str:
    return f"decision {decision.number} (day {decision.day})"


def _advice(item: dict[str, Any]) -> str:
    """What the controller can do about a decision refused for changing the past."""
    if item.get("type") == "production_conversion":
        # The engine makes a converting node a maker of the product from day 0 (its lanes
        # carry it), which a decision mid-exercise cannot be.
        return ("A production conversion of a product the node does not make changes the "
                "network from day 0; put it in the scenario before the exercise starts (with "
                "a when trigger, it acts only when needed), or convert a product the node "
                "already makes (docs/exercise.md, Decisions)")
    return ("A decision acts from the day it is taken; this one would change what the players "
            "have already seen (docs/exercise.md, Decisions)")


def _decisions_from_log(records: list[dict[str, Any]], points: list[int],
                        folder: Path) -> list[Decision]:
    """The logged decisions, checked for shape and order.

    Their content is checked when they are applied.
    """
    where = folder / fs.DECISIONS
    out = []
    for i, r in enumerate(records):
        number, day, kind_, item = (r.get("number"), r.get("day"), r.get("kind"), r.get("item"))
        if number != i + 1:
            raise ExerciseError(f"{where}: decision [{i}] has number {number!r}, expected {i + 1}")
        if not isinstance(day, int) or day not in points:
            raise ExerciseError(f"{where}: decision {number} is stamped day {day!r}, which is not "
                                f"a decision point of the exercise ({', '.join(map(str, points))})")
        if out and day < out[-1].day:
            raise ExerciseError(f"{where}: decision {number} (day {day}) comes after a decision "
                                f"of day {out[-1].day}")
        if kind_ not in ("countermeasure", RATIONING) or not isinstance(item, dict):
            raise ExerciseError(f"{where}: decision {number} needs kind countermeasure or "
                                "rationing and an item (a mapping)")
        stamps = {k: (str(r[k]) if r.get(k) is not None else None) for k in (
            "exercise_elapsed", "exercise_time", "scenario_date")}
        out.append(Decision(number=number, day=day, kind=kind_, item=item,
                            given=str(r.get("given", "")), entered=str(r.get("entered", "")),
                            **stamps))
    return out


def _check_new(folder: Path, overwrite: bool) -> None:
    if folder.exists() and not folder.is_dir():
        raise ExerciseError(f"{folder} is a file; --out needs a folder")
    if not folder.exists() or not any(p.name != ".lock" for p in folder.iterdir()):
        return
    if not fs.is_exercise(folder):
        raise ExerciseError(f"{folder} exists and is not an exercise folder; choose another "
                            "--out (nothing in it was touched)")
    if not overwrite:
        raise ExerciseError(f"{folder} already holds an exercise; continue it (`beredskap "
                            f"exercise {folder} next`), or --overwrite to start again (its "
                            "decision log is lost)")


def _remove_own(folder: Path) -> None:
    """An old exercise's files (nothing else in the folder is touched)."""
    for entry in folder.iterdir():
        if OWN_FILES.match(entry.name):
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    _clean_temporaries(folder)


def _clean_temporaries(folder: Path) -> None:
    """Temporary files and folders of writes a kill interrupted (`.name.XXXX`)."""
    for entry in folder.glob(".*"):
        name = entry.name[1:].rsplit(".", 1)[0]
        if entry.name != ".lock" and OWN_FILES.match(name):
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(
                missing_ok=True)


__all__ = ["DEFAULT_STEP", "Exercise"]
