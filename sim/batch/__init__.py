"""Batches: many replications of many variants of a scenario, on any executor, resumable."""

from sim.batch.result import BatchResult
from sim.batch.runner import batch, plan_batch
from sim.batch.variants import Variant, grid, parse_sweep

__all__ = ["BatchResult", "Variant", "batch", "grid", "parse_sweep", "plan_batch"]
