"""The domain's actors, one module per kind; each is a SimPy process acting for all its nodes.

| kind | module | a day at its level |
|---|---|---|
| manufacturer | `manufacturer.py` | receive, release QC, serve, plan production, order, produce |
| importer | `importer.py` | receive, serve, order |
| wholesaler | `wholesaler.py` | receive, serve, order |
| hospital pharmacy | `hospital_pharmacy.py` | receive, serve its wards, order |
| ward | `ward.py` | receive, treat patients (own demand), order |
| community pharmacy, municipal care | `demand_points.py` | receive, serve own demand, order |

What every stock holder shares (receive, allocate, ship, review, order with fallback) is in
`stockholding.py`, written once.
"""

from __future__ import annotations

from sim.actors.demand_points import CommunityPharmacy, MunicipalCare
from sim.actors.hospital_pharmacy import HospitalPharmacy
from sim.actors.importer import Importer
from sim.actors.manufacturer import Manufacturer
from sim.actors.stockholding import Actor
from sim.actors.ward import Ward
from sim.actors.wholesaler import Wholesaler

ACTORS: dict[str, type[Actor]] = {
    "manufacturer": Manufacturer,
    "importer": Importer,
    "wholesaler": Wholesaler,
    "hospital_pharmacy": HospitalPharmacy,
    "ward": Ward,
    "community_pharmacy": CommunityPharmacy,
    "municipal_care": MunicipalCare,
}

__all__ = ["ACTORS", "Actor"]
