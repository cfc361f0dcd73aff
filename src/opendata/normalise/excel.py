"""Excel deliveries (XLSX streamed in openpyxl's read-only mode, old binary XLS through xlrd) to a Grid.

Every row is bounded as it arrives (the sheet's claimed size is ignored), merged cells are filled with
their top-left value, and text typed in the old TCVN3 or VNI fonts ('Phßng kh¸m') is converted back.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings

import pyarrow as pa

from ..exceptions import InputError
from ..spec.models import DatasetSpec
from .fonts import fix_cells
from .headers import SCAN_ROWS, HeaderLocation, locate_header
from .layout import titles
from .limits import Budget
from .readers import TICK_ROWS, Grid, _cell_text, _error

# What the readers say of a file that changes nothing in its cells: a size that is not a multiple of the
# sector size (xlrd), features openpyxl does not read (data validation, conditional formatting, styles).
_HARMLESS = re.compile(r"sector size|not supported and will be removed|no default style|Unknown extension|"
                       r"Conditional Formatting|Data Validation|Cannot parse header or footer", re.IGNORECASE)


class _XlrdLog(io.StringIO):
    """xlrd writes its notices to a log file (stdout by default): they are kept as warnings instead."""

    def write(self, text: str) -> int:
        text = text.strip()
        if text and not _HARMLESS.search(text):
            warnings.warn(text.removeprefix("WARNING *** ").strip(), stacklevel=2)
        return len(text)


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _merged_ranges(open_part, budget: Budget) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col), 1-based, from the sheet's ``<mergeCells>``: read-only
    mode does not parse them, so the part is scanned as bytes (streamed, no tree kept)."""
    out, tail = [], b""
    with open_part() as src:
        while block := src.read(1 << 20):
            chunk = tail + block
            for m in _MERGE.finditer(chunk):
                c0, r0 = _column_number(m.group(1)), int(m.group(2))
                c1, r1 = (_column_number(m.group(3)), int(m.group(4))) if m.group(3) else (c0, r0)
                out.append((r0, c0, r1, c1))
            tail = chunk[-256:]  # a tag cut by the block boundary is found whole next time (set() drops repeats)
            budget.tick()
    return sorted(set(out))


def _check_zip(raw: bytes, budget: Budget) -> None:
    """The parts of an XLSX are zipped. Before openpyxl sees them: their number, their declared
    unzipped total (limits.max_unpacked_bytes), each large part's compression ratio (limits.max_zip_ratio:
    a bomb packs hundreds of MB of repeated XML into one or two), and then the sizes they really unpack
    to, read once in C without keeping them (a part that unpacks to more or other than it declares is
    damaged: Python's zipfile stops at the declared size and checks the CRC)."""
    import zipfile

    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        infos = zf.infolist()
        if len(infos) > 10_000:
            raise budget.refuse("max_unpacked_bytes", "số phần trong tệp Excel", "the number of parts in the Excel file",
                                len(infos), 10_000)
        budget.unpacked(sum(i.file_size for i in infos))
        for info in infos:
            budget.zip_ratio(info.filename, info.file_size, info.compress_size)
        actual = 0
        for info in infos:
            try:
                with zf.open(info) as part:
                    while block := part.read(1 << 22):
                        actual += len(block)
                        budget.unpacked(actual)
                        budget.tick()
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
                raise budget.refuse_damaged(f"{info.filename}: {type(exc).__name__}") from None


def _excel_rows_xlsx(raw: bytes, sheet: str | int | None, spec: DatasetSpec, file_name: str,
                     budget: Budget) -> list[list[str]]:
    """Streamed (openpyxl's read-only mode, the sheet's claimed size ignored): each row is bounded
    as it arrives, so a far-away cell or a million empty rows cost a refusal, not the memory."""
    import openpyxl

    try:
        _check_zip(raw, budget)
        wb = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise _error(spec, f"{file_name}: không mở được tệp Excel / cannot open the Excel file: {_short(exc)}") from None
    try:
        ws = _pick_sheet(wb.sheetnames, sheet, spec, file_name, lambda n: wb[n])
        ws.reset_dimensions()  # the <dimension> element can claim anything
        limits = budget.limits
        grid: list[list[str]] = []
        cells = 0
        for n, row in enumerate(ws.iter_rows(values_only=True), 1):
            if len(row) > limits.max_columns:
                if any(v is not None and v != "" for v in row[limits.max_columns:]):
                    budget.columns(len(row))
                row = row[: limits.max_columns]
            while row and (row[-1] is None or row[-1] == ""):
                row = row[:-1]
            if not row and n > limits.max_rows:
                budget.rows(n)
            texts = [_cell_text(c) for c in row]
            for t in texts:
                if len(t) > limits.max_cell_chars:
                    budget.cell_text(t, n)
            grid.append(texts)
            cells += len(texts)
            if n % TICK_ROWS == 0:
                budget.tick()
                budget.rows(n)
                budget.cells(cells)
        budget.rows(len(grid))
        budget.cells(cells)
        merged = _merged_ranges(lambda: wb._archive.open(ws._worksheet_path), budget)  # noqa: SLF001 - the part's path
    finally:
        wb.close()
    for r0, c0, r1, c1 in merged:
        if r0 > len(grid) or c1 > limits.max_columns:
            continue
        value = grid[r0 - 1][c0 - 1] if c0 - 1 < len(grid[r0 - 1]) else ""
        for r in range(r0 - 1, min(r1, len(grid))):
            row = grid[r]
            if len(row) < c1:
                row.extend([""] * (c1 - len(row)))
            for c in range(c0 - 1, c1):
                row[c] = value
    return grid


def _short(exc: Exception) -> str:
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def _excel_rows_xls(raw: bytes, sheet: str | int | None, spec: DatasetSpec, file_name: str,
                    budget: Budget) -> list[list[str]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=raw, formatting_info=True, on_demand=True, logfile=_XlrdLog(), verbosity=0)
        ws = _pick_sheet(book.sheet_names(), sheet, spec, file_name, book.sheet_by_name)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _error(spec, f"{file_name}: không mở được tệp Excel (.xls) / cannot open the .xls file: {_short(exc)}") from None
    budget.columns(ws.ncols)
    budget.rows(ws.nrows)
    budget.cells(ws.nrows * ws.ncols)
    grid = []
    for r in range(ws.nrows):
        row = []
        for c in range(ws.ncols):
            cell = ws.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(_cell_text(xlrd.xldate_as_datetime(cell.value, book.datemode)))
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                row.append(_cell_text(bool(cell.value)))
            else:
                row.append(_cell_text(cell.value if cell.ctype != xlrd.XL_CELL_EMPTY else None))
            budget.cell_text(row[-1], r + 1)
        grid.append(row)
        if r % TICK_ROWS == 0:
            budget.tick()
    for r0, r1, c0, c1 in ws.merged_cells:
        for r in range(r0, r1):
            for c in range(c0, c1):
                grid[r][c] = grid[r0][c0]
    return grid


def _pick_sheet(names: list[str], sheet: str | int | None, spec: DatasetSpec, file_name: str, get):
    if sheet is None:
        return get(names[0])
    if isinstance(sheet, int):
        if 0 <= sheet < len(names):
            return get(names[sheet])
    else:
        for n in names:
            if unicodedata.normalize("NFC", n).strip().lower() == unicodedata.normalize("NFC", sheet).strip().lower():
                return get(n)
    raise _error(spec, f"{file_name}: không có trang tính '{sheet}' (có: {', '.join(names)}) / no sheet '{sheet}' "
                       f"(sheets: {', '.join(names)})")


def read_excel(raw: bytes, spec: DatasetSpec, file_name: str, sheet: str | int | None, budget: Budget) -> Grid:
    xls = raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary format, whatever the name says
    with warnings.catch_warnings(record=True) as said:  # a reader's own notices never reach the terminal raw
        warnings.simplefilter("always")
        grid = (_excel_rows_xls if xls else _excel_rows_xlsx)(raw, sheet, spec, file_name, budget)
    notices = [str(w.message) for w in said if not _HARMLESS.search(str(w.message))]
    grid = [[unicodedata.normalize("NFC", c) for c in row] for row in grid]
    head = fix_cells(grid[: SCAN_ROWS + 2])  # a header typed in a legacy font is found too (its data: table.columns)
    loc = locate_header(head, spec, file_name)
    header_row = loc.index + loc.depth
    width = min(max([len(loc.names), *(len(r) for r in grid[header_row:])]), budget.limits.max_columns)
    loc = HeaderLocation(loc.index, loc.depth, loc.names + [""] * (width - len(loc.names)))  # cells past the header: named
    cols: list[list[str]] = [[] for _ in range(width)]
    rows: list[int] = []
    for r in range(header_row, len(grid)):
        record = grid[r][:width] + [""] * max(0, width - len(grid[r]))
        if not any(c.strip() for c in record):
            continue
        for i, c in enumerate(record):
            cols[i].append(c)
        rows.append(r + 1)
    return Grid(loc, header_row, [pa.chunked_array([pa.array(c, pa.string())]) for c in cols],
                pa.chunked_array([pa.array(rows, pa.int64())]), "excel:unicode", False, preamble=titles(head[: loc.index]),
                notices=list(dict.fromkeys(notices))[:5])
