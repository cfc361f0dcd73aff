"""JSON deliveries (a list of records, found at the spec's ``records_path``, or an object keyed by code) to
a Grid, bounded in size and depth; only the spec's columns are made text."""

from __future__ import annotations

import json

import pyarrow as pa

from ..records import keyed_records, records_at
from ..spec.models import DatasetSpec
from .encodings import detect_and_decode
from .headers import locate_header, spec_column_of
from .limits import Budget, json_depth
from .readers import TICK_ROWS, Grid, _cell_text, _error, _numbered


def parse_json(raw: bytes, spec: DatasetSpec, file_name: str, budget: Budget) -> tuple[object, str]:
    """The JSON document (any encoding detect_and_decode knows), bounded in size and depth."""
    budget.size(len(raw), json=True)
    decoded = detect_and_decode(raw)
    try:
        data = json.loads(decoded.text)
    except json.JSONDecodeError as exc:
        raise _error(spec, f"{file_name}: JSON không hợp lệ ở dòng {exc.lineno}, cột {exc.colno} / invalid JSON at "
                           f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise budget.refuse("max_depth", "độ sâu lồng nhau của JSON", "the JSON nesting depth", 1000,
                            budget.limits.max_depth) from None
    return data, decoded.encoding


def read_json(raw: bytes, spec: DatasetSpec, file_name: str, records_path: str | None, budget: Budget) -> Grid:
    """A list of records, found at ``records_path`` ('data.items') when it is not the top level."""
    data, encoding = parse_json(raw, spec, file_name, budget)
    data = keyed_records(records_at(data, records_path), spec.records_by_key)
    if isinstance(data, dict):
        data = next((v for v in data.values() if isinstance(v, list)), None)
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise _error(spec, f"{file_name}: không thấy danh sách bản ghi ('{records_path or '.'}') / no list of records at "
                           f"'{records_path or '.'}'")
    if not data:
        raise _error(spec, f"{file_name}: không có bản ghi nào / the delivery holds no records")
    budget.rows(len(data))
    names: list[str] = []
    seen: set[str] = set()
    for i, record in enumerate(data):
        for k, v in record.items():
            if k not in seen:
                seen.add(k)
                names.append(k)
                budget.columns(len(names))
            if isinstance(v, dict | list):
                budget.depth(json_depth(v, budget.limits.max_depth) + 2)  # the list of records and the record
        if i % TICK_ROWS == 0:
            budget.tick()
    budget.cells(len(data) * len(names))
    loc = locate_header([names], spec, file_name)
    # only the spec's columns are made text (and bounded): a field outside the spec (a nested list of a
    # record's children, say) is named on the receipt and dropped, never turned into one huge cell
    wanted = {n for n in names if spec_column_of(n, spec) is not None}
    cols = [pa.chunked_array([pa.array([_cell_text(r.get(n)) for r in data] if n in wanted else [""] * len(data),
                                       pa.string())]) for n in names]
    rows = _numbered(1, len(data))
    budget.text_columns(cols, rows)
    return Grid(loc, 0, cols, rows, f"json:{encoding}", False)
