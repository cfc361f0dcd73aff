"""Cells that mean "no value": the dataset's markers ('-', 'N/A', the city's list) and a column's own
('vắng' for an absent candidate), read as empty before typing. Compared trimmed and case-folded."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import EMPTY_TEXT, array
from ..spec.models import DatasetSpec


def markers_of(spec: DatasetSpec, column: str) -> list[str]:
    own = spec.column(column).missing_values
    return sorted({m.strip().casefold() for m in [*spec.missing_values, *own] if m.strip()})


def blank_markers(values: pa.ChunkedArray, markers: list[str]) -> pa.ChunkedArray:
    """Text cells equal to a marker become '' (empty); the column itself when none is."""
    if not markers or not len(values) or values.type != pa.string():
        return values
    found = pc.is_in(pc.utf8_lower(pc.utf8_trim_whitespace(values)), value_set=array(markers, pa.string()))
    if not pc.any(found).as_py():
        return values
    return pc.if_else(found, EMPTY_TEXT, values)
