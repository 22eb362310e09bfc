"""Writers for results: tables (Parquet/CSV) now; plots, reports and injects build on them."""

from sim.export.tables import ResultsExistError, default_out_dir, write_results

__all__ = ["ResultsExistError", "default_out_dir", "write_results"]
