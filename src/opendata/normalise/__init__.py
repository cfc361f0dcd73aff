"""From raw bytes to one clean, typed table per delivery (Parquet), plus the row problems found."""

from __future__ import annotations

from pathlib import Path

from ..spec.models import DatasetSpec
from .stream import normalise_stream, streams
from .table import NormalisedTable, normalise_whole_file

__all__ = ["NormalisedTable", "normalise_file"]


def normalise_file(spec: DatasetSpec, raw_path: Path, original_name: str, out_dir: Path,
                   pages_root: Path | None = None) -> NormalisedTable:
    """A large CSV is read in blocks (normalise.stream), in bounded memory; any other delivery whole.
    ``pages_root``: the delivery is a bundle of API pages, all of which must lie there."""
    if streams(spec, raw_path, original_name, pages_root):
        streamed = normalise_stream(spec, raw_path, original_name, out_dir)
        if streamed is not None:
            return streamed
    return normalise_whole_file(spec, raw_path, original_name, out_dir, pages_root)
