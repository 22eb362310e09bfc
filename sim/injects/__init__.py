"""Exercise injects: an MSEL (master scenario events list) made from a simulation run.

import sim
res = sim.run(sim.load_scenario("scenarios/three_months_degraded.yaml"), seed=1)
msel = sim.injects(res, lang="sv")              # a DataFrame, one row per inject
sim.injects("results/my-run", lang="en", typical=True, max_injects=30)

`beredskap injects RESULTS_DIR` writes it as XLSX, CSV or Markdown with a timeline figure.
Rules and templates live in a YAML file (`DEFAULT_RULES`; docs/injects.md explains it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from sim.injects.baseline import TOLERANCE_DAYS, without_crisis
from sim.injects.build import BaselineArg, Msel, Rules, build_msel, parse_start
from sim.injects.export import FORMATS, write_msel
from sim.injects.fields import KIND_FIELDS, MSEL_COLUMNS, TRIGGER_KINDS
from sim.injects.load import RulesError, load_rules, rules_from_dict
from sim.injects.rules import DEFAULT_RULES, RulesFile
from sim.injects.source import ResultsFolderError, choose_replication, read_results
from sim.injects.timeline import timeline_figure, write_timeline
from sim.results import RunResult


def injects(result: RunResult | str | Path, lang: str = "sv", rules: Rules = None,
            replication: int | None = None, typical: bool = False,
            max_injects: int | None = None,
            start: dt.datetime | dt.date | str | None = None,
            compress: float | None = None,
            regions: list[str] | None = None,
            baseline: BaselineArg = None,
            tolerance_days: int = TOLERANCE_DAYS) -> pd.DataFrame:
    """The injects of one replication of a run, as a DataFrame (one row per inject).

    `result` is a RunResult or a results folder written by `beredskap run`. `lang` is a
    language of the rules file (sv, nb, en with the default rules); `rules` a rules file, plain
    data or a loaded `RulesFile`. The first replication is used unless `replication` is given,
    or `typical` asks for the one nearest the median outcome. `max_injects` keeps the most
    severe, in chronological order. `start` (e.g. "2027-03-01T08:00") dates the first scenario
    day of the window; `compress` maps scenario days onto exercise hours (N scenario days per
    exercise hour). `regions` keeps injects about nodes in those regions and their suppliers.

    Crisis against normal: the same scenario without its disruptions is run (same seed and
    replication; a scenario without disruptions is its own baseline, and its run is used) and
    triggers it also has, within `tolerance_days`, are dropped as normal operations;
    `baseline` gives another run (a RunResult or a results folder, same seed), or False for
    no comparison (docs/injects.md, "Crisis against normal").
    """
    return build_msel(result, lang, rules, replication, typical, max_injects, start, compress,
                      regions, baseline, tolerance_days).table


__all__ = [
    "DEFAULT_RULES",
    "FORMATS",
    "KIND_FIELDS",
    "MSEL_COLUMNS",
    "TOLERANCE_DAYS",
    "TRIGGER_KINDS",
    "Msel",
    "ResultsFolderError",
    "RulesError",
    "RulesFile",
    "build_msel",
    "choose_replication",
    "injects",
    "load_rules",
    "parse_start",
    "read_results",
    "rules_from_dict",
    "timeline_figure",
    "without_crisis",
    "write_msel",
    "write_timeline",
]
