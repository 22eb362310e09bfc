"""Compile a scenario's `care:` section into arrays.

Admissions per (node, category), stays per category, and the norms that turn patients and
staff shifts into units of each product.

A node's expected care demand at normal admissions, per product, is

    sum over categories c of  lambda_c (E[stay_c] n_c + a_c + E[stay_c] s_c m_c)

(`n` per patient-day, `a` per admission, `s` staff shifts per patient-day, `m` per shift): by
Little's law the mean census is lambda x E[stay], with stays counted in whole days,
max(1, ceil(L)). It is part of the node's normal flow.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.distributions import Sampler
from sim.scenario import schema
from sim.scenario.errors import Problem, did_you_mean

PRIORITIES: tuple[str, ...] = ("imperative", "urgent", "deferrable")


@dataclass(frozen=True)
class CareArrays:
    """The care section as arrays (categories in the order of `care.categories`)."""

    categories: list[str]
    priority: np.ndarray  # int[c]: index in PRIORITIES
    stay: Sampler  # one column per category
    stay_days: np.ndarray  # float[c]: E[max(1, ceil(stay))]
    admissions: np.ndarray  # float[n, c]: mean admissions per day
    fixed: np.ndarray  # bool[n, c]: deterministic admissions (else Poisson)
    per_patient_day: np.ndarray  # float[n, c, p]
    per_admission: np.ndarray  # float[n, c, p]
    per_shift: np.ndarray  # float[n, c, p]: per staff shift, times the category's shifts a day
    expected: np.ndarray  # float[n, p]: expected care demand per day at normal admissions


def stay_days_mean(spec: Any) -> float:
    """E[max(1, ceil(L))] for a stay L given as a number or a distribution (exact sums)."""
    if not isinstance(spec, schema.BaseModel) or isinstance(spec, schema.Deterministic):
        value = spec if not isinstance(spec, schema.Deterministic) else spec.value
        return float(max(1, math.ceil(float(value) - 1e-9)))
    survival = _survival(spec)
    # E[max(1, ceil L)] = 1 + sum_{k >= 1} P(L > k).
    total, k = 1.0, 1
    while True:
        term = survival(k)
        total += term
        k += 1
        if term < 1e-12 or k > 100_000:
            return total


def _survival(spec: Any) -> Callable[[float], float]:
    if isinstance(spec, schema.Uniform):
        lo, hi = spec.low, spec.high
        return lambda x: 1.0 if x < lo else (0.0 if x >= hi or hi == lo else (hi - x) / (hi - lo))
    if isinstance(spec, schema.Triangular):
        lo, mode, hi = spec.low, spec.mode, spec.high

        def tri(x: float) -> float:
            if x < lo:
                return 1.0
            if x >= hi:
                return 0.0
            if x <= mode:  # (mode > lo here: at mode == lo, x <= mode means x == lo)
                return 1.0 if mode == lo else 1.0 - (x - lo) ** 2 / ((hi - lo) * (mode - lo))
            return (hi - x) ** 2 / ((hi - lo) * (hi - mode))

        return tri
    # Lognormal by its own mean and sd.
    sigma2 = math.log(1 + (spec.sd / spec.mean) ** 2)
    mu, sigma = math.log(spec.mean) - sigma2 / 2, math.sqrt(sigma2)
    if sigma == 0:
        return lambda x: 1.0 if x < spec.mean else 0.0
    return lambda x: 0.5 * math.erfc((math.log(x) - mu) / (sigma * math.sqrt(2)))


def compile_care(sc: schema.Scenario, nodes: list[schema.Node], node_mask: Callable,
                 product_mask: Callable, problem: Callable[[tuple, str], Problem],
                 problems: list[Problem], outside: np.ndarray) -> CareArrays | None:
    """The care arrays of a scenario (None without `care:`); problems are appended.

    Outside sources (`outside`, bool per node) admit no patients.
    """
    care = sc.care
    surges = [(i, d) for i, d in enumerate(sc.disruptions)
              if isinstance(d, schema.DemandSurge) and d.categories is not None]
    if care is None:
        for i, _ in surges:
            problems.append(problem(("disruptions", i, "categories"),
                                    "care categories given, but the scenario has no care: "
                                    "section"))
        return None
    cats = list(care.categories)
    c, n, p = len(cats), len(nodes), len(sc.products)
    index = {name: i for i, name in enumerate(cats)}

    def category(name: str, path: tuple, allow_all: bool = False) -> list[int] | None:
        if allow_all and name == "all":
            return list(range(c))
        if name in index:
            return [index[name]]
        problems.append(problem(path, f"unknown care category '{name}'"
                                f"{did_you_mean(name, cats)}"))
        return None

    for i, d in surges:
        for j, name in enumerate(d.categories or []):
            category(name, ("disruptions", i, "categories", j))
    per_pd, per_adm, per_shift = (np.zeros((n, c, p)) for _ in range(3))
    for i, norm in enumerate(care.norms):
        rows = category(norm.category, ("care", "norms", i, "category"), allow_all=True)
        if rows is None:
            continue
        at = np.flatnonzero(node_mask(norm.match))
        cols = np.flatnonzero(product_mask(norm.product, norm.group))
        # A later norm overrides an earlier one, field by field, for the cells both match.
        for field, target in (("per_patient_day", per_pd), ("per_admission", per_adm),
                              ("per_staff_shift", per_shift)):
            if getattr(norm, field) is not None:
                target[np.ix_(at, rows, cols)] = getattr(norm, field)
    shifts = np.array([care.categories[k].staff_shifts_per_patient_day for k in cats])
    per_shift = per_shift * shifts[None, :, None]

    admissions = np.zeros((n, c))
    fixed = np.zeros((n, c), dtype=bool)
    for i, rule in enumerate(care.admissions):
        rows = category(rule.category, ("care", "admissions", i, "category"))
        if rows is None:
            continue
        mask = node_mask(rule.match) & ~outside  # outside sources admit no patients
        scale = np.ones(n)
        if rule.per is not None:
            missing = [nd.id for j, nd in enumerate(nodes) if mask[j] and rule.per not in nd.scale]
            if missing:
                problems.append(problem(
                    ("care", "admissions", i, "per"),
                    f"{len(missing)} matched node(s) have no scale '{rule.per}' "
                    f"({', '.join(sorted(missing)[:5])}); add scale: {{{rule.per}: ...}} to "
                    "them or narrow the rule's match"))
                continue
            scale = np.array([nd.scale.get(rule.per, 0.0) for nd in nodes])
        admissions[mask, rows[0]] = rule.mean_per_day * scale[mask]
        fixed[mask, rows[0]] = rule.distribution == "deterministic"
    stay = Sampler([care.categories[k].length_of_stay_days for k in cats])
    stay_days = np.array([stay_days_mean(care.categories[k].length_of_stay_days) for k in cats])
    unit = stay_days[None, :, None] * (per_pd + per_shift) + per_adm
    return CareArrays(
        categories=cats,
        priority=np.array([PRIORITIES.index(care.categories[k].priority) for k in cats]),
        stay=stay, stay_days=stay_days, admissions=admissions, fixed=fixed,
        per_patient_day=per_pd, per_admission=per_adm, per_shift=per_shift,
        expected=np.einsum("nc,ncp->np", admissions, unit),
    )
