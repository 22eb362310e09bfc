"""Live exercise mode: players' decisions change the simulation (docs/exercise.md).

import sim
ex = sim.Exercise("scenarios/three_months_degraded.yaml", seed=1, out="exercises/ovning")
ex.step(7)                                   # to the first decision point
ex.decide({"type": "redistribution", "within": "region", "below_days": 2,
           "donor_floor_days": 5, "match": {"role": ["hospital_pharmacy", "ward"]}})
ex.step()                                    # on, with the decision in force
ex.msel(), ex.result(), ex.review()          # injects so far, the run so far, what it bought
sim.Exercise.replay("exercises/ovning").result()   # the same, bit for bit

`beredskap exercise` is the command line (sim/cli_exercise.py).
"""

from sim.exercise.decisions import Decision, decision_types
from sim.exercise.folder import ExerciseError
from sim.exercise.review import REVIEW_COLUMNS, review_table
from sim.exercise.runner import DEFAULT_STEP, Exercise

__all__ = [
    "DEFAULT_STEP",
    "REVIEW_COLUMNS",
    "Decision",
    "Exercise",
    "ExerciseError",
    "decision_types",
    "review_table",
]
