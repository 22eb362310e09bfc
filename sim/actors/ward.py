"""Wards: patients consume; the ward's stock is the last buffer before care goes without.

A day, at level 0: receive, serve its own demand from stock (backorders first, then today's),
what cannot be served waits as a backorder or is lost (`unmet_demand`), then review and order
from the hospital pharmacy or regional store, on recent demand where its policy says so.
"""

from __future__ import annotations

from sim.actors.stockholding import Actor


class Ward(Actor):
    """All ward nodes; the shared stock-holding day (see `Actor.act`)."""

    kind = "ward"
