"""Answers built on batches: stockpile sizing (`size`) and sensitivity analysis (`sensitivity`)."""

from sim.research.sensitivity import sensitivity
from sim.research.size import SizingInfeasible, SizingResult, size

__all__ = ["SizingInfeasible", "SizingResult", "sensitivity", "size"]
