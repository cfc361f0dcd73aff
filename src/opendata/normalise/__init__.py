"""From raw bytes to one clean, typed table per delivery (Parquet), plus the row problems found."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from ..spec.models import DatasetSpec
from .stream import normalise_stream, streams
from .table import NormalisedTable, normalise_whole_file, table_of_delivery

__all__ = ["NormalisedTable", "normalise_file", "normalise_for_check"]


def _streamed(spec: DatasetSpec, raw_path: Path, original_name: str, out_dir: Path,
              pages_root: Path | None) -> NormalisedTable | None:
    """A large UTF-8 CSV read in blocks (normalise.stream), in bounded memory; None for any other delivery."""
    if streams(spec, raw_path, original_name, pages_root):
        return normalise_stream(spec, raw_path, original_name, out_dir)
    return None


def normalise_file(spec: DatasetSpec, raw_path: Path, original_name: str, out_dir: Path,
                   pages_root: Path | None = None) -> NormalisedTable:
    """A large CSV is read in blocks, in bounded memory; any other delivery whole. ``pages_root``: the
    delivery is a bundle of API pages, all of which must lie there."""
    return _streamed(spec, raw_path, original_name, out_dir, pages_root) or \
        normalise_whole_file(spec, raw_path, original_name, out_dir, pages_root)


def normalise_for_check(spec: DatasetSpec, raw_path: Path, original_name: str,
                        scratch_dir: Path) -> tuple[NormalisedTable, pa.Table | Path]:
    """For a pre-check, which keeps nothing: a delivery read whole stays in memory (no Parquet file written
    and read back, a third of the check's time at 1M rows); a large CSV streams to a Parquet file in
    ``scratch_dir``, in bounded memory, as in a real run. Returns the description and the rows."""
    streamed = _streamed(spec, raw_path, original_name, scratch_dir, None)
    if streamed is not None:
        return streamed, streamed.parquet
    table, described = table_of_delivery(spec, raw_path, original_name)
    return described, table
