"""beredskap: discrete-event simulation of healthcare supply chains in crisis.

import sim
sc = sim.load_scenario("scenarios/three_months_degraded.yaml")
res = sim.run(sc, seed=1, replications=5)
res.kpis, res.daily, res.events, res.ledger   # pandas DataFrames
res.summary(role="ward")                       # fill with its 95 % CI, by role and group
again = sim.open("results/three-months-degraded-...")   # a run or batch folder, reopened
b = sim.batch(sc, sweep={"disruptions.0.duration_days": [30, 90]}, replications=20)
b.summary                                      # mean, sd, 95 % CI per variant and KPI
best = sim.size("study.yaml")                  # cheapest stockpile meeting a target
sim.sensitivity("screen.yaml")                 # Morris or Sobol indices (a DataFrame)
ex = sim.Exercise(sc, seed=1, out="ovning")    # a live exercise: step, decide, review
"""

from importlib.metadata import PackageNotFoundError, version

from sim.batch import BatchResult, Variant, batch
from sim.exercise import Exercise
from sim.injects import injects
from sim.research import SizingResult, sensitivity, size
from sim.results import RunResult
from sim.run import open_folder as open
from sim.run import run
from sim.scenario import Problem, Scenario, ScenarioError, from_dict, load_scenario

try:
    __version__ = version("beredskap")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "BatchResult",
    "Exercise",
    "Problem",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "SizingResult",
    "Variant",
    "__version__",
    "batch",
    "from_dict",
    "injects",
    "load_scenario",
    "open",
    "run",
    "sensitivity",
    "size",
]
