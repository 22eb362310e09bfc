"""All randomness: a `SeedSequence` per run, a child per replication, a stream per purpose.

Replication k of a run with seed s always gets `SeedSequence(s, spawn_key=(k,))` (the k-th child
of `SeedSequence(s)`), and purpose j inside it `spawn_key=(k, j)`. The seeds are computed, not
spawned statefully, so the same (seed, replication) gives the same numbers on any executor and in
any order. Each purpose has its own stream so two variants of a scenario see the same demand and
the same lead-time draws (common random numbers). Inputs with a variable number of draws get a
substream each within their purpose (`spawn_key=(k, j, i)`, see `substream`): each disruption
draws its windows from its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# New purposes go at the end: a purpose's seed is its position, so existing ones keep theirs.
PURPOSES: tuple[str, ...] = ("demand", "lead_time", "disruption", "demand_change",
                             "admissions", "length_of_stay", "admissions_change",
                             "conservation")


@dataclass(frozen=True)
class Streams:
    """The named random streams of one replication."""

    demand: np.random.Generator
    lead_time: np.random.Generator
    disruption: np.random.Generator
    demand_change: np.random.Generator
    """Surges and profiles: extra demand on top of the base, or thinning below it."""
    admissions: np.random.Generator
    """Care: admissions per node and category."""
    length_of_stay: np.random.Generator
    """Care: one stay per admission."""
    admissions_change: np.random.Generator
    """Care: surges on admissions, on top of the base draws."""
    conservation: np.random.Generator
    """Rationing: which units of plain demand conservation saves."""


def replication_seed(seed: int, replication: int) -> np.random.SeedSequence:
    """The seed sequence of replication `replication` of a run seeded with `seed`."""
    return np.random.SeedSequence(seed, spawn_key=(replication,))


def streams(seed: int, replication: int) -> Streams:
    """Independent generators, one per purpose, for one replication."""
    gens = {
        name: np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(replication, j)))
        )
        for j, name in enumerate(PURPOSES)
    }
    return Streams(**gens)


def substream(seed: int, replication: int, purpose: str, index: int) -> np.random.Generator:
    """Stream `index` within purpose `purpose` of one replication (`spawn_key=(k, j, index)`).

    For inputs that use a variable number of draws each (a disruption's recurring windows), so
    that one of them never shifts another's numbers. Computed like the purpose streams, not
    spawned statefully: the same (seed, replication, purpose, index) gives the same numbers
    on any executor.
    """
    key = (replication, PURPOSES.index(purpose), index)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
