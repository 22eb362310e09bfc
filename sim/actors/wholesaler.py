"""Wholesalers (national distributors and regional stores): stock for pharmacies and care.

A day, at its level: receive, serve its customers' backlog and today's orders in one
allocation (tier 1 in full before tier 2, backlog before new orders within a tier, pro rata in
whole units), then review and order from importers and makers. An IT outage stops both its
ordering and, by default, its order intake: customers' orders wait, or go to other suppliers.
"""

from __future__ import annotations

from sim.actors.stockholding import Actor


class Wholesaler(Actor):
    """All wholesaler nodes; the shared stock-holding day (see `Actor.act`)."""

    kind = "wholesaler"
