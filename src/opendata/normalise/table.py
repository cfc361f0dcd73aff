"""One delivery → one clean, typed table (Parquet) in the spec's column order, plus its problems.

Text is NFC and trimmed; blank rows and the footer block under the data are dropped; every value
that does not fit its column's type is counted (and the first ones kept with their file row). The
column ``_source_row`` keeps each record's row number in the agency's file, for receipts; it is
dropped before publishing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..exceptions import InputError
from ..issues import Dimension, RowIssue, Severity
from ..spec.models import ColumnType, DatasetSpec
from .casting import cast_column
from .headers import is_footer, match_headers
from .readers import Grid, kind_of, read_csv, read_excel, read_json

ROW_COLUMN = "_source_row"
FOOTER_SCAN = 50
ARROW_TYPES = {ColumnType.string: pa.string(), ColumnType.integer: pa.int64(), ColumnType.number: pa.float64(),
               ColumnType.boolean: pa.bool_(), ColumnType.date: pa.date32(), ColumnType.datetime: pa.timestamp("s")}


@dataclass
class NormalisedTable:
    parquet: Path
    rows: int
    encoding: str
    issues: list[RowIssue] = field(default_factory=list)
    type_failures: dict[str, int] = field(default_factory=dict)  # column -> values that did not fit
    dropped_rows: int = 0  # footer and title rows under the data

    def manifest(self) -> dict:
        return {"parquet": str(self.parquet), "rows": self.rows, "encoding": self.encoding,
                "issues": [i.asdict() for i in self.issues], "type_failures": self.type_failures,
                "dropped_rows": self.dropped_rows}


def read_grid(spec: DatasetSpec, raw: bytes, original_name: str) -> Grid:
    kind = kind_of(Path(original_name), original_name)
    source = spec.source
    try:
        if kind == "excel":
            return read_excel(raw, spec, original_name, getattr(source, "sheet", None))
        if kind == "json":
            return read_json(raw, spec, original_name, getattr(source, "records_path", None))
        return read_csv(raw, spec, original_name, getattr(source, "encoding", None))
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"{original_name}: không đọc được mã ký tự / cannot decode the text: {exc}",
                         dataset=spec.key, stage="normalise") from exc


def _data_extent(texts: dict[str, pa.ChunkedArray], spec: DatasetSpec, n: int) -> int:
    """How many leading records are data: the block at the end whose key cells are empty (signatures,
    dates, blank lines) or that starts with a footer phrase ('Tổng cộng', 'Người lập biểu') is not."""
    keys = [c for c in spec.primary_key if c in texts] or [c.name for c in spec.columns if c.required and c.name in texts]
    keys = keys or list(texts)
    end = n
    while end > 0 and n - end < FOOTER_SCAN:
        i = end - 1
        first = next((v for v in (texts[c][i].as_py() for c in texts) if v), "")
        if all(texts[c][i].as_py() == "" for c in keys) or is_footer([first]):
            end -= 1
        else:
            break
    return end


def normalise_file(spec: DatasetSpec, raw_path: Path, original_name: str, out_dir: Path) -> NormalisedTable:
    grid = read_grid(spec, raw_path.read_bytes(), original_name)
    mapping = match_headers(grid.header.names, spec, original_name, grid.header_row)
    texts: dict[str, pa.ChunkedArray] = {}
    for pos, name in mapping.items():
        text = grid.columns[pos]
        if grid.needs_nfc:
            text = pc.utf8_normalize(text, "NFC")
        texts[name] = pc.utf8_trim_whitespace(text)
    total = len(grid.rows)
    keep = _data_extent(texts, spec, total) if total else 0
    rows = grid.rows.slice(0, keep)
    texts = {k: v.slice(0, keep) for k, v in texts.items()}

    issues: list[RowIssue] = [
        RowIssue(rule="structure", dimension=Dimension.correct, severity=Severity.blocking,
                 message_vi=f"Dòng không tách được thành các cột: {why}",
                 message_en=f"Row does not split into the columns: {why}",
                 row=row)
        for row, why in grid.bad_rows
    ]
    failures: dict[str, int] = {}
    arrays: dict[str, pa.ChunkedArray | pa.Array] = {}
    for col in spec.columns:
        if col.name not in texts:
            arrays[col.name] = pa.nulls(keep, ARROW_TYPES[col.type])
            continue
        typed, bad = cast_column(col, texts[col.name], rows)
        arrays[col.name] = typed
        if bad:
            failures[col.name] = bad.count
            issues.extend(
                RowIssue(rule=f"type:{col.type.value}", dimension=Dimension.correct, severity=Severity.blocking,
                         message_vi=f"Giá trị '{value}' không phải {bad.expected_vi}",
                         message_en=f"Value '{value}' is not {bad.expected_en}", row=row, column=col.name, value=value)
                for row, value in bad.examples
            )
    arrays[ROW_COLUMN] = rows
    table = pa.table(arrays)
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet = out_dir / f"{raw_path.name}.parquet"
    pq.write_table(table, parquet)
    result = NormalisedTable(parquet, keep, grid.encoding, issues, failures, total - keep)
    (out_dir / f"{raw_path.name}.normalised.json").write_text(json.dumps(result.manifest(), ensure_ascii=False, indent=1))
    return result
