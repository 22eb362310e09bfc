"""Hospital pharmacies: the hospital's store, supplying its wards.

A day, at its level (after its wards have ordered): receive, serve the wards' backlog and
today's orders (and any own demand) in one allocation, then review and order, on recent demand
where its policy says so, so that a surge at the wards moves its levels with it.
"""

from __future__ import annotations

from sim.actors.stockholding import Actor


class HospitalPharmacy(Actor):
    """All hospital-pharmacy nodes; the shared stock-holding day (see `Actor.act`)."""

    kind = "hospital_pharmacy"
