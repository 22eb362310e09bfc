"""The self-contained HTML situation report (lägesbild) of a run or batch folder."""

from sim.situation.build import situation_report
from sim.situation.data import NotAResultsFolder

__all__ = ["NotAResultsFolder", "situation_report"]
