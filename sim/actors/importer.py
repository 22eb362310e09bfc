"""Importers: bring foreign makers' products in and sell them on to wholesalers.

A day, at its level: receive what arrived (cross-border lanes are where export bans and border
delays bite), serve its customers' backlog and today's orders by tier and pro rata, then review
and order from the foreign makers (falling back to other lanes where one is closed).
"""

from __future__ import annotations

from sim.actors.stockholding import Actor


class Importer(Actor):
    """All importer nodes; the shared stock-holding day (see `Actor.act`)."""

    kind = "importer"
