"""Production conversion: a manufacturer's line turned over to another product.

(Being built: see issue "Countermeasures". Until then a conversion is accepted by the schema
and does nothing in the engine; the loader refuses it, so no run can rely on it.)
"""

from __future__ import annotations

from sim.countermeasures.triggers import Trigger
from sim.network import Network
from sim.scenario import countermeasures as cm


class Conversion:
    """One production conversion."""

    def __init__(self, net: Network, spec: cm.ProductionConversion, trigger: Trigger) -> None:
        self.spec = spec
        self.trigger = trigger
        self.units = 0  # made on the converted line over the run
