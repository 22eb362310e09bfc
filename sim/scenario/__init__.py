"""The scenario language: schema, loading, checks."""

from sim.scenario.errors import Problem, ScenarioError
from sim.scenario.load import from_dict, load_scenario
from sim.scenario.schema import Scenario

__all__ = ["Problem", "Scenario", "ScenarioError", "from_dict", "load_scenario"]
