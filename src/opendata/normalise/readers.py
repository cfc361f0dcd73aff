"""CSV and JSON deliveries to one shape (a Grid: rows of text with their file row numbers); Excel's
reader (normalise/excel.py) gives the same shape.

CSV takes a fast path through pyarrow when every record is one line; a file with blank lines or
line breaks inside cells takes an exact path through Python's csv module, so that row numbers in
receipts are the ones the agency sees.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..arrow_values import EMPTY_TEXT, from_numpy
from ..exceptions import InputError
from ..spec.models import DatasetSpec
from ..vocabulary import NO_WORDS, YES_WORDS, spellings
from .encodings import SAMPLE_BYTES, detect_and_decode, refuse_broken_utf8, refuse_cut_utf8
from .headers import SCAN_ROWS, HeaderLocation, locate_header
from .layout import Dropped, titles
from .limits import Budget
from .mapped import MappedBytes, arrow_buffer, skip

MAX_BAD_ROWS = 1000
TICK_ROWS = 4096  # readers that loop in Python look at the clock this often


@dataclass
class Grid:
    """Text cells below the header: one string column per header position, '' for empty."""

    header: HeaderLocation
    header_row: int  # 1-based row number of the (last) header row in the file
    columns: list[pa.ChunkedArray]
    rows: pa.ChunkedArray  # file row number of each record
    encoding: str
    needs_nfc: bool  # False when the decoder already produced NFC text
    bad_rows: list[tuple[int, str]] = field(default_factory=list)  # (row, why) for records that could not be split
    typed: frozenset[int] = frozenset()  # positions the CSV parser already gave their spec's type (nulls for empty)
    preamble: list[Dropped] = field(default_factory=list)  # rows above the header (titles), named on the receipt
    notices: list[str] = field(default_factory=list)  # what the file's reader warned of, for the receipt


def _error(spec: DatasetSpec, msg: str) -> InputError:
    return InputError(msg, dataset=spec.key, stage="normalise")


# ------------------------------------------------------------------ CSV


def _sniff_delimiter(head: str) -> str:
    lines = head.splitlines()[:SCAN_ROWS]
    first = next((line for line in lines if line.count(",") + line.count(";") + line.count("\t") >= 2), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    return max(counts, key=counts.get) if first else ","


def looks_utf16(raw: bytes) -> bool:
    head = raw[:4096]
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or head.count(0) > len(head) // 4


@dataclass
class CsvPlan:
    """What is known about a CSV before reading its body: text bytes, header, delimiter, encoding."""

    body: bytes | MappedBytes  # UTF-8; a large file mapped rather than read (normalise.mapped)
    header: HeaderLocation
    header_row: int
    delimiter: str
    encoding: str
    needs_nfc: bool
    simple: bool  # the fast readers may be tried (they give up when records and lines do not match)
    lines_before: int = 0  # a block of a larger file (normalise.stream): the file's lines before ``body``
    bytes_before: int = 0  # and its bytes
    preamble: list[Dropped] = field(default_factory=list)  # rows above the header (titles)


def refuse_nul(raw: bytes | MappedBytes, spec: DatasetSpec, file_name: str, base: int = 0, lines_before: int = 0) -> None:
    """A NUL byte has no place in a text file (that is not UTF-16): say where the first one is."""
    at = raw.find(b"\x00")
    if at >= 0:
        line, at = lines_before + raw.count(b"\n", 0, at) + 1, base + at
        raise _error(spec, f"{file_name}, dòng/line {line}, byte {at:,}: tệp chứa ký tự NUL (0x00), không phải tệp văn bản / "
                           f"the file holds a NUL byte (0x00): it is not a text file. Xuất lại tệp dạng CSV UTF-8 / "
                           f"export it again as CSV UTF-8")


def plan_csv(raw: bytes | MappedBytes, spec: DatasetSpec, file_name: str, forced_encoding: str | None, budget: Budget) -> CsvPlan:
    """UTF-8 goes to pyarrow as it is (NFC is applied per column later); other encodings are decoded
    here first. Detection looks at the first 256 KiB, cut at a line end."""
    utf16 = looks_utf16(raw) and not forced_encoding
    if not utf16 and (forced_encoding or "").lower() not in ("utf-16", "utf16"):
        refuse_nul(raw, spec, file_name)
    if utf16:
        full = detect_and_decode(bytes(raw))
        body, needs_nfc, head, encoding = full.text.encode("utf-8"), False, full.text[:SAMPLE_BYTES], full.encoding
    else:
        head_bytes = raw[:SAMPLE_BYTES]
        head_bytes = head_bytes[: head_bytes.rfind(b"\n") + 1] or head_bytes
        probe = detect_and_decode(head_bytes, forced_encoding)
        encoding, head = probe.encoding, probe.text
        if probe.encoding in ("utf-8", "utf-8-sig"):
            body, needs_nfc = skip(raw, 3 if raw.startswith(b"\xef\xbb\xbf") else 0), True
            refuse_cut_utf8(body)  # before pyarrow, whose row handler would print its own decode error
        else:
            full = detect_and_decode(bytes(raw), probe.encoding)
            body, needs_nfc = full.text.encode("utf-8"), False
    delimiter = _sniff_delimiter(head)
    try:
        top = list(csv.reader(io.StringIO("\n".join(head.splitlines()[: SCAN_ROWS + 2])), delimiter=delimiter))
    except csv.Error as exc:
        raise _error(spec, f"{file_name}: không tách được dòng đầu thành các cột / the first lines do not split into "
                           f"cells: {exc}") from None
    budget.columns(max((len(r) for r in top), default=0))
    for row in top:
        for cell in row:
            budget.cell_text(cell)
    loc = locate_header(top, spec, file_name)
    return CsvPlan(body, loc, loc.index + loc.depth, delimiter, encoding, needs_nfc, True,
                   preamble=titles(top[: loc.index]))


def read_csv(plan: CsvPlan, budget: Budget) -> Grid:
    """Every cell as text, with exact file row numbers."""
    width = len(plan.header.names)
    if plan.simple:
        grid = _csv_fast(plan, width)
        if grid is not None:
            budget.rows(len(grid.rows))
            budget.text_columns(grid.columns, grid.rows)
            return grid
    try:
        text = plan.body.decode("utf-8")
    except UnicodeDecodeError as exc:  # the head was UTF-8: a later part is not, or the file is cut short
        refuse_broken_utf8(plan.body, exc, plan.bytes_before, plan.lines_before)
        raise
    return _csv_exact(text, plan, width, budget)


TYPED_ATTEMPTS = 3  # reads of a file by read_csv_typed: each failed one sets one more column aside as text
_FAILED_COLUMN = re.compile(r"^In CSV column #(\d+):")


def read_csv_typed(plan: CsvPlan, types: dict[int, pa.DataType], budget: Budget) -> Grid | None:
    """The spec's types straight from pyarrow's CSV parser (strict ISO dates, plain numbers): the
    fastest path. A column holding a value that does not fit ('hôm qua', 30/02, '1.234,5') is read again
    as text ('' for empty) for the forgiving rules, the others stay typed (``Grid.typed``). None after
    TYPED_ATTEMPTS reads, or when a record does not fit the lines: the caller then reads it all as text."""
    if not plan.simple:
        return None
    width = len(plan.header.names)
    names = [f"c{i}" for i in range(width)]
    as_text = {i for i in range(width) if i not in types or types[i] == pa.string()}
    failed: set[int] = set()
    irregular: list[int] = []

    def on_invalid(row) -> str:
        irregular.append(row.number)
        return "skip"

    for _ in range(TYPED_ATTEMPTS):
        column_types = {names[i]: pa.string() if i in as_text | failed else types[i] for i in range(width)}
        try:
            table = pacsv.read_csv(
                pa.BufferReader(arrow_buffer(plan.body)),  # not io.BytesIO: a Python file object would read under the GIL
                read_options=pacsv.ReadOptions(skip_rows=plan.header_row, column_names=names, block_size=8 << 20),
                parse_options=pacsv.ParseOptions(delimiter=plan.delimiter, invalid_row_handler=on_invalid),
                convert_options=pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True,
                                                     quoted_strings_can_be_null=True, null_values=[""],
                                                     true_values=TRUE_TEXT, false_values=FALSE_TEXT),
            )
            break
        except pa.ArrowInvalid as exc:
            found = _FAILED_COLUMN.match(str(exc))
            position = int(found.group(1)) if found else -1
            if irregular or position not in types or position in as_text | failed:
                return None  # not a value that does not fit one column: the text path finds and names it
            failed.add(position)
    else:
        return None
    if irregular or not _one_line_per_record(plan.body, plan.header_row, table.num_rows):
        return None
    budget.rows(table.num_rows)
    rows = _numbered(plan.lines_before + plan.header_row + 1, table.num_rows)
    budget.text_columns([table.column(n) for n in names if pa.types.is_string(table.schema.field(n).type)], rows)
    typed = frozenset(i for i in types if i not in failed)
    columns = [table.column(n) for n in names]  # text ('' for empty) where not typed
    columns = [c if i in typed or not c.null_count else pc.fill_null(c, EMPTY_TEXT) for i, c in enumerate(columns)]
    return Grid(plan.header, plan.header_row, columns, rows, plan.encoding, plan.needs_nfc, typed=typed,
                preamble=plan.preamble)


def read_csv_text(plan: CsvPlan, positions: list[int], records: int | None = None) -> dict[int, pa.ChunkedArray]:
    """Some columns of a file read_csv_typed took (one line per record, so lines are records) as text,
    '' for empty: all their values, or the first ``records``."""
    body = plan.body
    if records is not None:
        at = 0
        for _ in range(plan.header_row + records):
            at = body.find(b"\n", at) + 1
            if not at:
                break
        body = body[:at] if at else body
    names = [f"c{i}" for i in range(len(plan.header.names))]
    table = pacsv.read_csv(
        pa.BufferReader(arrow_buffer(body)),
        read_options=pacsv.ReadOptions(skip_rows=plan.header_row, column_names=names, block_size=8 << 20),
        parse_options=pacsv.ParseOptions(delimiter=plan.delimiter),
        convert_options=pacsv.ConvertOptions(include_columns=[names[p] for p in positions],
                                             column_types={names[p]: pa.string() for p in positions},
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    return {p: table.column(names[p]) for p in positions}


def _one_line_per_record(body: bytes, header_rows: int, records: int) -> bool:
    """Row numbers are line numbers only when no line was blank and no cell held a line break."""
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    return lines == header_rows + records


def _numbered(first: int, count: int) -> pa.ChunkedArray:
    """File row numbers first, first+1, … (from numpy's buffer: opendata.arrow_values)."""
    return pa.chunked_array([from_numpy(np.arange(first, first + count, dtype=np.int64))], pa.int64())


TRUE_TEXT, FALSE_TEXT = spellings(YES_WORDS), spellings(NO_WORDS)  # the exact path compares in lower case


def _csv_fast(plan: CsvPlan, width: int) -> Grid | None:
    """pyarrow, all columns as text. None when any record does not split into the header's cells
    (a line break inside a cell, a stray delimiter): the exact path then numbers and reports it."""
    names = [f"c{i}" for i in range(width)]
    irregular: list[int] = []

    def on_invalid(row) -> str:
        irregular.append(row.number)
        return "skip"

    body, header_row = plan.body, plan.header_row
    try:
        table = pacsv.read_csv(
            pa.BufferReader(arrow_buffer(body)),
            read_options=pacsv.ReadOptions(skip_rows=header_row, column_names=names, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(delimiter=plan.delimiter, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None
    if irregular or not _one_line_per_record(body, header_row, table.num_rows):
        return None
    return Grid(plan.header, header_row, [table.column(n) for n in names],
                _numbered(plan.lines_before + header_row + 1, table.num_rows), plan.encoding, plan.needs_nfc,
                preamble=plan.preamble)


def _csv_records(reader, budget: Budget, lines_before: int = 0):
    """csv.reader's records; a cell over the limit or a broken quote is the file's error, with its line."""
    limit = csv.field_size_limit(budget.limits.max_cell_chars)
    try:
        while True:
            try:
                yield next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = lines_before + reader.line_num
                if "field larger than field limit" in str(exc):
                    raise budget.refuse("max_cell_chars", f"độ dài một ô (dòng/line {line})",
                                        f"the length of one cell (line {line})", budget.limits.max_cell_chars + 1,
                                        budget.limits.max_cell_chars) from None
                raise InputError(f"{budget.file_name}, dòng/line {line}: không tách được thành các ô / does not "
                                 f"split into cells: {exc}", dataset=budget.spec.key, stage="normalise") from None
    finally:
        csv.field_size_limit(limit)


def _csv_exact(text: str, plan: CsvPlan, width: int, budget: Budget) -> Grid:
    header_row, lines_before = plan.header_row, plan.lines_before
    reader = csv.reader(io.StringIO(text), delimiter=plan.delimiter)
    cols: list[list[str]] = [[] for _ in range(width)]
    rows: list[int] = []
    bad: list[tuple[int, str]] = []
    last_line = 0
    for record in _csv_records(reader, budget, lines_before):
        start, last_line = last_line + 1, reader.line_num
        if len(rows) % TICK_ROWS == TICK_ROWS - 1:
            budget.tick()
            budget.rows(len(rows))
        if start <= header_row:
            continue
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > width and not any(c.strip() for c in record[width:]):
            record = record[:width]  # trailing empty cells, as Excel writes them
        if len(record) != width:  # never padded or cut: a value in the wrong column is worse than none
            if len(bad) < MAX_BAD_ROWS:
                bad.append((lines_before + start, f"{len(record)} ô thay vì {width} / {len(record)} cells instead of {width}"))
            continue
        for i, cell in enumerate(record):
            cols[i].append(cell)
        rows.append(lines_before + start)
    budget.rows(len(rows))
    return Grid(plan.header, header_row, [pa.chunked_array([pa.array(c, pa.string())]) for c in cols],
                pa.chunked_array([pa.array(rows, pa.int64())]), plan.encoding, plan.needs_nfc, bad, preamble=plan.preamble)


# ------------------------------------------------------------------ Excel


def _cell_text(value) -> str:
    """A spreadsheet or JSON value as the text a person would type: 12 not 12.0, dates ISO, NFC."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return unicodedata.normalize("NFC", str(value))


def kind_of(path: Path, original_name: str) -> str:
    name = original_name.lower()
    if name.endswith((".xlsx", ".xlsm", ".xls")):
        return "excel"
    if name.endswith(".json"):
        return "json"
    return "csv"
