"""From raw bytes to one clean, typed table per delivery (Parquet), plus the row problems found."""

from .table import NormalisedTable, normalise_file

__all__ = ["NormalisedTable", "normalise_file"]
