"""Community pharmacies and municipal care: demand points outside the hospitals.

A day, at level 0: receive, serve own demand (backorders first), order from wholesalers.
"""

from __future__ import annotations

from sim.actors.stockholding import Actor


class CommunityPharmacy(Actor):
    """All community-pharmacy nodes; the shared stock-holding day (see `Actor.act`)."""

    kind = "community_pharmacy"


class MunicipalCare(Actor):
    """All municipal-care nodes; the shared stock-holding day (see `Actor.act`)."""

    kind = "municipal_care"
