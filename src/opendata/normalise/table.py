"""One delivery → one clean, typed table (Parquet) in the spec's column order, plus its problems.

Text is NFC and trimmed; blank rows and the footer block under the data are dropped; every value
that does not fit its column's type is counted (and the first ones kept with their file row). The
column ``_source_row`` keeps each record's row number in the agency's file, for receipts; it is
dropped before publishing.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..arrow_values import FALSE, NULL_TEXT, ZERO
from ..columns import has_few_distinct, in_parallel
from ..exceptions import InputError
from ..issues import ROW_COLUMN, Dimension, RowIssue, Severity
from ..records import records_at
from ..sources.bundle import BUNDLE_SUFFIX, read_bundle
from ..spec.models import ColumnType, DatasetSpec
from .casting import VI_SAMPLE, ColumnFailures, Conventions, cast_column, out_of_range, plain_reading_stands, typed_not_finite
from .encodings import BrokenText
from .excel import read_excel
from .fonts import fix_column, font_issues
from .headers import match_headers
from .jsonfile import parse_json, read_json
from .layout import data_rows, dropped_issues, unnamed_column_issue
from .limits import Budget
from .mapped import delivery_bytes
from .markers import blank_markers, markers_of
from .readers import CsvPlan, Grid, kind_of, plan_csv, read_csv, read_csv_text, read_csv_typed

log = logging.getLogger(__name__)

WORDY = (ColumnType.string, ColumnType.boolean)
ARROW_TYPES = {ColumnType.string: pa.string(), ColumnType.integer: pa.int64(), ColumnType.number: pa.float64(),
               ColumnType.boolean: pa.bool_(), ColumnType.date: pa.date32(), ColumnType.datetime: pa.timestamp("s")}


@dataclass
class NormalisedTable:
    parquet: Path | None  # None: held in memory only (table_of_delivery, for a pre-check that keeps nothing)
    rows: int
    encoding: str
    issues: list[RowIssue] = field(default_factory=list)
    type_failures: dict[str, int] = field(default_factory=dict)  # column -> values that did not fit
    dropped_rows: int = 0  # footer and title rows under the data
    seconds: dict[str, float] = field(default_factory=dict)  # convert (decode, NFC, types) and write

    def saved(self, path: Path) -> NormalisedTable:
        """Itself, once its manifest is written beside the Parquet file."""
        path.write_text(json.dumps(self.manifest(), ensure_ascii=False, indent=1))
        return self

    def manifest(self) -> dict:
        return {"parquet": str(self.parquet), "rows": self.rows, "encoding": self.encoding,
                "issues": [i.asdict() for i in self.issues], "type_failures": self.type_failures,
                "dropped_rows": self.dropped_rows, "seconds": self.seconds}


# Characters that NFC can change: combining marks (cp1258 and decomposed text), Hangul jamo, and the
# few singletons NFC replaces. A column with none of them is already NFC and is left as it is.
_MAYBE_NOT_NFC = ("[\\p{M}\\x{0340}-\\x{0344}\\x{0374}\\x{037E}\\x{0387}\\x{1100}-\\x{11FF}\\x{1F71}-\\x{1FFD}"
                  "\\x{2000}\\x{2001}\\x{2126}\\x{212A}\\x{212B}\\x{2329}\\x{232A}\\x{F900}-\\x{FAFF}\\x{2F800}-\\x{2FA1D}]")


def _trimmed(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trimmed; the column itself when no value changed (a trim and a compare cost a third of a regex scan)."""
    trimmed = pc.utf8_trim_whitespace(text)
    return text if trimmed.equals(text) else trimmed




def clean_text(text: pa.ChunkedArray, needs_nfc: bool) -> pa.ChunkedArray:
    """Trimmed and NFC. A column with few distinct values is cleaned through its dictionary: each
    distinct value once, then taken back (only if cleaning changed any), far cheaper than every cell."""
    if not needs_nfc or pc.all(pc.string_is_ascii(text)).as_py():
        return _trimmed(text)
    encoded = pc.dictionary_encode(text)
    if sum(len(c.dictionary) for c in encoded.chunks) < len(text) // 2:
        chunks, changed = [], False
        for c in encoded.chunks:
            cleaned = pc.utf8_trim_whitespace(pc.utf8_normalize(c.dictionary, "NFC"))
            changed = changed or not cleaned.equals(c.dictionary)
            chunks.append(pc.take(cleaned, c.indices))
        return pa.chunked_array(chunks, pa.string()) if changed else text
    if pc.any(pc.match_substring_regex(text, _MAYBE_NOT_NFC)).as_py():
        text = pc.utf8_normalize(text, "NFC")
    return _trimmed(text)


_CONTROL = "[\\x{00}-\\x{08}\\x{0B}\\x{0C}\\x{0E}-\\x{1F}\\x{7F}-\\x{9F}]"
_UNPRINTABLE = _CONTROL[:-1] + "\\x{FFFD}]"
UNPRINTABLE_EXAMPLES = 5


def printable(name: str, values: pa.ChunkedArray, rows: pa.ChunkedArray) -> tuple[pa.ChunkedArray, list[RowIssue]]:
    """Text that cannot be published, handled on purpose: control characters (NUL included) are removed,
    with a warning naming the rows; U+FFFD (the mark of an earlier wrong decoding: the real letters are
    lost) is a blocking problem. Checked once per distinct value where a column has few."""
    if not len(values):
        return values, []
    probe = pc.unique(values) if has_few_distinct(values) else values
    if not pc.any(pc.match_substring_regex(probe, _UNPRINTABLE)).as_py():
        return values, []
    issues: list[RowIssue] = []
    lost = pc.match_substring(values, "\ufffd")
    if pc.any(lost).as_py():
        for i in pc.indices_nonzero(pc.fill_null(lost, FALSE)).to_pylist()[:UNPRINTABLE_EXAMPLES]:
            issues.append(RowIssue(rule="unprintable", dimension=Dimension.clean, severity=Severity.blocking,
                                   message_vi="Ô chứa ký tự thay thế U+FFFD: chữ gốc đã mất do mã hoá sai trước khi gửi",
                                   message_en="The cell holds U+FFFD replacement characters: the letters were lost by a "
                                              "wrong decoding before the file was sent", row=rows[i].as_py(), column=name,
                                   value=values[i].as_py()[:80]))
    control = pc.fill_null(pc.match_substring_regex(values, _CONTROL), FALSE)
    if pc.any(control).as_py():
        for i in pc.indices_nonzero(control).to_pylist()[:UNPRINTABLE_EXAMPLES]:
            issues.append(RowIssue(rule="unprintable", dimension=Dimension.clean, severity=Severity.warning,
                                   message_vi="Ô chứa ký tự điều khiển (không in được): đã được xoá khi công bố",
                                   message_en="The cell held control characters (not printable): removed before publishing",
                                   row=rows[i].as_py(), column=name, value=repr(values[i].as_py()[:80])))
        values = pc.replace_substring_regex(values, _CONTROL, "")
    return values, issues


@dataclass
class _Typed:
    arrays: dict[str, pa.ChunkedArray]
    rows: pa.ChunkedArray
    issues: list[RowIssue]
    failures: dict[str, int]
    dropped: int
    fonts: set[str] = field(default_factory=set)  # legacy fonts (tcvn3, vni) some of its text columns were typed in


TextOf = Callable[[list[int], int | None], dict[int, pa.ChunkedArray]]  # (positions, first records or all) → text


def _columns(spec: DatasetSpec, grid: Grid, mapping: dict[int, str], last: bool = True,
             conventions: Conventions | None = None, text_of: TextOf | None = None, first: bool = True) -> _Typed:
    """The spec's columns of a grid: those the CSV parser typed (``grid.typed``) kept as they are, the
    others converted from their text with the forgiving rules (Vietnamese numbers, dd/mm/yyyy …).
    Text is trimmed and NFC; ``last``: the grid ends the file (only there is a footer looked for);
    ``text_of`` reads typed columns again as text, for numbers whose convention is in doubt."""
    def prepared(item: tuple[int, str]) -> pa.ChunkedArray:
        # words are cleaned first; numbers and dates are digits and separators: the cast tries them as
        # they are and trims only if that fails
        pos, name = item
        values = grid.columns[pos]
        values = blank_markers(values, markers_of(spec, name))  # text only: a typed column had none (they fail the type)
        wordy = spec.column(name).type == ColumnType.string or (pos not in grid.typed and spec.column(name).type in WORDY)
        if not wordy:
            return values, None
        values, verdict = fix_column(values)
        return clean_text(values, grid.needs_nfc), verdict

    prepared_columns = in_parallel(prepared, mapping.items())
    columns = {name: values for name, (values, _) in zip(mapping.values(), prepared_columns, strict=True)}
    fonts = {name: verdict for name, (_, verdict) in zip(mapping.values(), prepared_columns, strict=True)
             if verdict is not None and (verdict.encoding or verdict.undecided)}
    from_text = {name for pos, name in mapping.items() if pos not in grid.typed}
    total = len(grid.rows)
    sheet = {str(pos): columns[mapping[pos]] if pos in mapping else grid.columns[pos] for pos in range(len(grid.columns))}
    start, keep, dropped = data_rows(columns, spec, grid.rows, first, last, sheet) if total else (0, 0, [])
    columns = {name: values.slice(start, keep - start) for name, values in columns.items()}
    rows = grid.rows.slice(start, keep - start)
    keep -= start
    if text_of is not None:
        from_text |= _numbers_in_doubt(spec, grid, mapping, columns, keep, text_of)
    issues: list[RowIssue] = [
        RowIssue(rule="structure", dimension=Dimension.correct, severity=Severity.blocking,
                 message_vi=f"Dòng không tách được thành các cột: {why}",
                 message_en=f"Row does not split into the columns: {why}", row=row)
        for row, why in grid.bad_rows
    ]
    issues += dropped_issues([*(grid.preamble if first else []), *dropped]) + font_issues(fonts)
    if first:
        issues += _unnamed_columns(grid, mapping, start, keep)
        issues += [RowIssue(rule="reader_notice", dimension=Dimension.correct, severity=Severity.warning,
                            message_vi=f"Trình đọc tệp cảnh báo: {text[:200]}",
                            message_en=f"The file's reader warns: {text[:200]}")
                   for text in grid.notices]

    def finished(item: tuple[str, pa.ChunkedArray]) -> tuple[pa.ChunkedArray, ColumnFailures | None, list[RowIssue]]:
        name, values = item
        col, values = spec.column(name), values.slice(0, keep)
        if col.type != ColumnType.string:
            if name in from_text:
                return (*cast_column(col, values, rows, conventions), [])
            return (*typed_not_finite(col, values, rows), [])
        values, found = printable(name, values, rows)
        # empty is null: '' (text) or cells of spaces, which became '' when trimmed
        if len(values) and (pc.min(pc.binary_length(values)).as_py() or 0) == 0 and pc.count(values).as_py():
            values = pc.if_else(pc.equal(pc.binary_length(values), ZERO), NULL_TEXT, values)
        return values, None, found

    failures: dict[str, int] = {}
    arrays: dict[str, pa.ChunkedArray] = {}
    for name, (typed, bad, found) in zip(columns, in_parallel(finished, columns.items()), strict=True):
        col = spec.column(name)
        issues.extend(found)
        arrays[name] = typed
        if bad:
            failures[name] = bad.count
            issues.extend(
                RowIssue(rule=f"type:{col.type.value}", dimension=Dimension.correct, severity=Severity.blocking,
                         message_vi=f"Giá trị không phải {bad.expected_vi}", message_en=f"The value is not {bad.expected_en}",
                         row=row, column=name, value=value, total=bad.count)
                for row, value in bad.examples
            )
    return _Typed(arrays, rows, issues, failures, total - keep, {v.encoding for v in fonts.values() if v.encoding})


def _unnamed_columns(grid: Grid, mapping: dict[int, str], start: int, keep: int) -> list[RowIssue]:
    """Columns with values under an empty header cell: named on the receipt by letter and first values."""
    out = []
    for pos, name in enumerate(grid.header.names):
        if pos in mapping or name.strip() or pos >= len(grid.columns):
            continue
        text = pc.utf8_trim_whitespace(pc.cast(grid.columns[pos].slice(start, keep), pa.string()))
        filled = pc.filter(text, pc.fill_null(pc.greater(pc.binary_length(text), ZERO), FALSE))
        if len(filled):
            out.append(unnamed_column_issue(pos, filled.slice(0, 3).to_pylist(), len(filled), grid.header_row))
    return out


def _numbers_in_doubt(spec: DatasetSpec, grid: Grid, mapping: dict[int, str], columns: dict[str, pa.ChunkedArray],
                      keep: int, text_of: TextOf) -> set[str]:
    """Typed number columns out of their spec's range may be the other convention ('1.250' meant 1250).
    Their first values' text settles most; the others are put back as text in ``columns`` (named in the
    result), for the forgiving rules to decide on all of it."""
    doubtful = [pos for pos, name in mapping.items() if pos in grid.typed and spec.column(name).type == ColumnType.number
                and out_of_range(spec.column(name), columns[name].slice(0, keep))]
    if not doubtful:
        return set()
    heads = text_of(doubtful, min(keep, VI_SAMPLE))
    undecided = [pos for pos in doubtful if not plain_reading_stands(
        spec.column(mapping[pos]), heads[pos], columns[mapping[pos]].slice(0, keep))]
    texts = text_of(undecided, None) if undecided else {}
    for pos, text in texts.items():
        columns[mapping[pos]] = text
    return {mapping[pos] for pos in texts}


def _unbundle(raw: bytes, original_name: str, pages_root: Path, budget: Budget) -> tuple[bytes, str]:
    """Several API pages (each kept as it came) read as one file: JSON records joined, CSV bodies joined.
    Every page must lie in ``pages_root`` (the archive's objects)."""
    bundle = read_bundle(raw, pages_root, original_name)
    budget.size(sum(p.stat().st_size for p in bundle.pages))
    pages = [p.read_bytes() for p in bundle.pages]
    stem = original_name.removesuffix(BUNDLE_SUFFIX)
    if bundle.format == "csv":
        first, rest = pages[0], [p.split(b"\n", 1)[1] if b"\n" in p else b"" for p in pages[1:]]
        return b"".join([first if first.endswith(b"\n") else first + b"\n", *rest]), f"{stem}.csv"
    records: list = []
    for n, page in enumerate(pages, 1):
        data = records_at(parse_json(page, budget.spec, f"{original_name} (page {n})", budget)[0], bundle.records_path)
        records.extend(data or [])
    return json.dumps(records, ensure_ascii=False).encode("utf-8"), f"{stem}.json"


def _convert(spec: DatasetSpec, raw: bytes, original_name: str, budget: Budget,
             pages_root: Path | None) -> tuple[_Typed, str]:
    records_path = getattr(spec.source, "records_path", None)
    if pages_root is not None:
        raw, original_name = _unbundle(raw, original_name, pages_root, budget)
        records_path = None
    elif spec.source.kind == "sql":
        records_path = "records"
    kind = kind_of(Path(original_name), original_name)
    extra: list[str] = []
    typed, encoding = _read_typed(spec, raw, original_name, budget, kind, records_path, extra)
    if extra:
        typed.issues.append(extra_columns_issue(extra))
    return typed, encoding


def extra_columns_issue(extra: list[str]) -> RowIssue:
    """Columns outside the spec: named on the receipt, never published."""
    names = ", ".join(f"'{n}'" for n in extra)
    return RowIssue(rule="extra_column", dimension=Dimension.correct, severity=Severity.warning,
                    message_vi="Cột không có trong đặc tả, không được công bố: " + names,
                    message_en="Column(s) not in the specification, not published: " + names, column=", ".join(extra))


def _read_typed(spec: DatasetSpec, raw: bytes, original_name: str, budget: Budget, kind: str, records_path: str | None,
                extra: list[str]) -> tuple[_Typed, str]:
    source = spec.source
    try:
        if kind == "csv":
            plan = plan_csv(raw, spec, original_name, getattr(source, "encoding", None), budget)
            mapping = match_headers(plan.header.names, spec, original_name, plan.header_row, extra)
            return convert_csv(spec, plan, mapping, budget), plan.encoding
        if kind == "excel":
            grid = read_excel(raw, spec, original_name, getattr(source, "sheet", None), budget)
        else:
            grid = read_json(raw, spec, original_name, records_path, budget)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        where = f" (byte {exc.start:,}, dòng/line {line})" if isinstance(exc.object, bytes) else ""
        raise InputError(f"{original_name}: không đọc được mã ký tự / cannot decode the text{where}: {exc.reason}",
                         dataset=spec.key, stage="normalise") from None
    except LookupError as exc:
        raise InputError(f"{original_name}: không đọc được mã ký tự / cannot decode the text: {exc}",
                         dataset=spec.key, stage="normalise") from None
    mapping = match_headers(grid.header.names, spec, original_name, grid.header_row, extra)
    typed = _columns(spec, grid, mapping)
    encoding = grid.encoding
    if typed.fonts and encoding.endswith(":unicode"):  # a workbook whose text (some of it) was typed in a legacy font
        encoding = encoding.replace(":unicode", ":" + "+".join(sorted(typed.fonts)))
    return typed, encoding


def convert_csv(spec: DatasetSpec, plan: CsvPlan, mapping: dict[int, str], budget: Budget, last: bool = True,
                conventions: Conventions | None = None) -> _Typed:
    """A CSV body (the whole file, or one block of it: ``last`` says whether it ends the file) typed by
    pyarrow's parser where the values fit, the other columns read as text and converted with the
    forgiving rules. A number column out of its spec's range may be the other convention ('1.250' meant
    1250): its first values' text decides, or else all of it. A column that earlier blocks of the file
    showed in Vietnamese numbers is never read plainly."""
    types = {pos: ARROW_TYPES[spec.column(name).type] for pos, name in mapping.items()
             if (conventions or {}).get(name) != "vi"}
    grid = read_csv_typed(plan, types, budget)
    first = plan.lines_before == 0
    if grid is None:
        return _columns(spec, read_csv(plan, budget), mapping, last, conventions, first=first)
    return _columns(spec, grid, mapping, last, conventions,
                    lambda positions, records: read_csv_text(plan, positions, records), first=first)


@contextmanager
def reading(spec: DatasetSpec, original_name: str, budget: Budget):
    """Whatever goes wrong while reading a delivery is the delivery's :class:`InputError`, naming the
    file: a limit, a damaged file, or a reader's own failure. Never a traceback, never a retry."""
    try:
        yield
    except BrokenText as exc:
        raise InputError(f"{original_name}: {exc.message_vi} / {exc.message_en}", dataset=spec.key, stage="normalise") from None
    except InputError as exc:
        exc.dataset = exc.dataset or spec.key
        raise
    except MemoryError:
        raise InputError(f"{original_name}: tệp cần nhiều bộ nhớ hơn máy chủ có / reading the file needs more memory than "
                         "the worker has. Chia nhỏ tệp / split the file", dataset=spec.key, stage="normalise") from None
    except RecursionError:
        raise budget.refuse("max_depth", "độ sâu lồng nhau", "the nesting depth", 1000, spec.limits.max_depth) from None
    except Exception as exc:  # noqa: BLE001 - any reader's failure on hostile bytes is the file's problem
        log.warning("%s: reading failed: %s", original_name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        raise InputError(f"{original_name}: không đọc được tệp / the file cannot be read ({type(exc).__name__}: "
                         f"{str(exc)[:200]}). Kiểm tra định dạng tệp / check the file's format",
                         dataset=spec.key, stage="normalise") from None


def read_delivery(spec: DatasetSpec, raw_path: Path, original_name: str, pages_root: Path | None = None) -> tuple[_Typed, str]:
    budget = Budget(spec, original_name)
    with reading(spec, original_name, budget):
        budget.size(raw_path.stat().st_size)
        mappable = pages_root is None and kind_of(Path(original_name), original_name) == "csv"
        return _convert(spec, delivery_bytes(raw_path) if mappable else raw_path.read_bytes(), original_name, budget,
                        pages_root)


def table_of_delivery(spec: DatasetSpec, raw_path: Path, original_name: str,
                      pages_root: Path | None = None) -> tuple[pa.Table, NormalisedTable]:
    """The delivery read whole into one typed table, and its description, whose ``parquet`` is None:
    nothing is written (a pre-check keeps nothing; normalise_whole_file writes it). ``pages_root``: it
    is a bundle of API pages, all of which must lie there."""
    started = time.perf_counter()
    converted, encoding = read_delivery(spec, raw_path, original_name, pages_root)
    keep = len(converted.rows)
    arrays = {c.name: converted.arrays.get(c.name, pa.nulls(keep, ARROW_TYPES[c.type])) for c in spec.columns}
    arrays[ROW_COLUMN] = converted.rows
    return pa.table(arrays), NormalisedTable(None, keep, encoding, converted.issues, converted.failures,
                                             converted.dropped, {"convert": round(time.perf_counter() - started, 3)})


def normalise_whole_file(spec: DatasetSpec, raw_path: Path, original_name: str, out_dir: Path,
                         pages_root: Path | None = None) -> NormalisedTable:
    """The delivery read whole, written as one Parquet file in ``out_dir`` with its manifest."""
    table, described = table_of_delivery(spec, raw_path, original_name, pages_root)
    began = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet = out_dir / f"{raw_path.name}.parquet"
    pq.write_table(table, parquet, compression="lz4")
    seconds = {**described.seconds, "write": round(time.perf_counter() - began, 3)}
    return replace(described, parquet=parquet, seconds=seconds).saved(out_dir / f"{raw_path.name}.normalised.json")
