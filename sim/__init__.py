"""beredskap: discrete-event simulation of healthcare supply chains in crisis.

import sim
sc = sim.load_scenario("scenarios/three_months_degraded.yaml")
res = sim.run(sc, seed=1, replications=5)
res.kpis, res.daily, res.events, res.ledger   # pandas DataFrames
"""

from importlib.metadata import PackageNotFoundError, version

from sim.results import RunResult
from sim.run import run
from sim.scenario import Problem, Scenario, ScenarioError, from_dict, load_scenario

try:
    __version__ = version("beredskap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "Problem",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "from_dict",
    "load_scenario",
    "run",
]
