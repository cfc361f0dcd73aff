"""A CSV larger than memory, normalised in line-aligned blocks: bounded memory at any size.

The whole-file path (normalise.table) holds the file's bytes and every column at once: fine up to a
few hundred MiB, not for the 5 GB exports a city's sensors or registers produce. Above
``STREAM_FROM_BYTES`` a UTF-8 CSV is read ``BLOCK_BYTES`` at a time, each block cut at the last line
end outside a quoted cell, and each block goes through the same conversion as a whole file
(``table.convert_csv``: pyarrow's typed parser, or text and the forgiving rules) into one row group of
the Parquet file. Row numbers stay the file's own; the footer is looked for in the last block only;
the receipt keeps the first examples of each problem and counts all of them. Other encodings (whose
decoding needs the whole text) and bundles take the whole-file path, under the spec's ``max_bytes``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..exceptions import InputError
from ..issues import MAX_EXAMPLES, ROW_COLUMN, RowIssue
from ..settings import stream_sizes
from ..spec.models import DatasetSpec
from .casting import Conventions
from .encodings import SAMPLE_BYTES, refuse_cut_utf8
from .headers import match_headers
from .limits import Budget
from .mapped import MappedBytes, skip, window
from .readers import MAX_BAD_ROWS, CsvPlan, kind_of, looks_utf16, plan_csv, refuse_nul
from .table import ARROW_TYPES, UNPRINTABLE_EXAMPLES, NormalisedTable, convert_csv, extra_columns_issue, reading

STREAM_FROM_BYTES, BLOCK_BYTES = stream_sizes()
EXAMPLES = {"structure": MAX_BAD_ROWS, "unprintable": UNPRINTABLE_EXAMPLES}  # else MAX_EXAMPLES per rule and column


def streams(spec: DatasetSpec, raw_path: Path, original_name: str, pages_root: Path | None) -> bool:
    """Is this delivery read in blocks? A CSV file (not a bundle of API pages) of STREAM_FROM_BYTES or more."""
    try:
        size = raw_path.stat().st_size
    except OSError:
        return False  # the whole-file path says what is wrong with it
    return pages_root is None and kind_of(raw_path, original_name) == "csv" and size >= STREAM_FROM_BYTES


@dataclass(frozen=True)
class Block:
    body: bytes | MappedBytes  # a view of the mapped file (normalise.mapped), or bytes
    bytes_before: int  # the file's bytes before this block
    lines_before: int  # and its line ends
    last: bool


def line_blocks(data: bytes | MappedBytes, size: int, limit: int, name: str, spec: DatasetSpec,
                first: int = 0) -> Iterator[Block]:
    """The file in blocks of about ``size`` bytes, each ending at a line end that lies outside quotes
    (an even number of '"' before it: RFC 4180 doubles a quote inside a quoted cell); the first holds at
    least ``first`` bytes (the header). A quote that never closes would make one block of the rest of
    the file: refused once a block passes ``limit`` bytes. The last block holds the rest of the file."""
    total, offset, lines = len(data), 0, 0
    while offset < total:
        end = min(total, offset + (max(size, first) if offset == 0 else size))
        while True:
            body = window(data, offset, end)
            if end == total:
                break
            cut = _cut(body)
            if cut > 0 and (offset > 0 or cut >= first):
                body = window(data, offset, offset + cut)
                break
            if end - offset > limit:
                raise InputError(
                    f"{name}, dòng/line {lines + 1}: không tìm thấy cuối dòng ngoài dấu ngoặc kép trong {end - offset:,} byte "
                    f"(một ô mở dấu \" mà không đóng?) / no line end outside quotes in {end - offset:,} bytes (a cell opens a "
                    "quote that never closes?). Kiểm tra dấu ngoặc kép / check the quotes", dataset=spec.key, stage="normalise")
            end = min(total, end + size)
        block = Block(body, offset, lines, offset + len(body) == total)
        offset += len(body)
        lines += body.count(b"\n")  # before the block is handed on: its reader lets its pages go (MappedBytes.release)
        yield block


def _cut(buf: bytes | MappedBytes) -> int:
    """Just past the last line end of ``buf`` with an even number of quotes before it; 0 if none."""
    end, quotes_before = len(buf), buf.count(b'"')
    while (at := buf.rfind(b"\n", 0, end)) >= 0:
        quotes_before -= buf.count(b'"', at, end)
        if quotes_before % 2 == 0:
            return at + 1
        end = at
    return 0


class _Issues:
    """The problems of every block: all counted, the first examples of each kept (bounded memory)."""

    def __init__(self) -> None:
        self.kept: list[RowIssue] = []
        self.seen: Counter = Counter()

        self.totals: Counter = Counter()  # a problem's cells over all blocks (each block counts its own)

    def add(self, issues: list[RowIssue]) -> None:
        block_totals: dict[tuple, int] = {}
        for issue in issues:
            key = (issue.rule, issue.column, issue.severity)
            self.seen[key] += 1
            block_totals[key] = max(block_totals.get(key, 0), issue.total or 1)
            if self.seen[key] <= EXAMPLES.get(issue.rule, MAX_EXAMPLES):
                self.kept.append(issue)
        self.totals.update(block_totals)

    def counted(self) -> list[RowIssue]:
        """The kept examples, each with its problem's total over the whole file."""
        return [replace(i, total=self.totals[(i.rule, i.column, i.severity)]) if i.total else i for i in self.kept]


def normalise_stream(spec: DatasetSpec, raw_path: Path, original_name: str, out_dir: Path) -> NormalisedTable | None:
    """The delivery through the block path; None when its head is not UTF-8 (the whole-file path decodes it)."""
    started = time.perf_counter()
    budget = Budget(spec, original_name)
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet = out_dir / f"{raw_path.name}.parquet"
    schema = pa.schema([pa.field(c.name, ARROW_TYPES[c.type]) for c in spec.columns] + [pa.field(ROW_COLUMN, pa.int64())])
    issues, failures, rows, dropped, extra = _Issues(), Counter(), 0, 0, []
    conventions: Conventions = {}  # a file writes its numbers one way: the first block that shows it decides
    writing = 0.0
    with reading(spec, original_name, budget):
        size = raw_path.stat().st_size
        budget.size(size)
        data = MappedBytes.of(raw_path) if size else b""
        head = data[:SAMPLE_BYTES]  # what the encoding, delimiter and header are judged on, as a whole file's
        forced = getattr(spec.source, "encoding", None)
        if looks_utf16(head) or (forced or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8", "utf-8-sig"):
            return None
        cut = head.rfind(b"\n") + 1 or len(head)
        plan = plan_csv(head[:cut], spec, original_name, forced, budget)
        if plan.encoding not in ("utf-8", "utf-8-sig"):
            return None
        mapping = match_headers(plan.header.names, spec, original_name, plan.header_row, extra)
        header_bytes = _after_lines(head, plan.header_row)
        writer = pq.ParquetWriter(parquet, schema, compression="lz4")
        try:
            for block in line_blocks(data, BLOCK_BYTES, 4 * BLOCK_BYTES, original_name, spec, header_bytes):
                budget.tick()
                typed = _block(spec, plan, mapping, budget, block, conventions)
                if isinstance(block.body, MappedBytes):
                    block.body.release()  # its rows are typed now: its pages are let go
                rows += len(typed.rows)
                budget.rows(rows)
                issues.add(typed.issues)
                failures.update(typed.failures)
                dropped += typed.dropped
                began = time.perf_counter()
                writer.write_table(_table(spec, typed, schema))
                writing += time.perf_counter() - began
        except BaseException:
            writer.close()
            parquet.unlink(missing_ok=True)  # a refused file leaves no half-written table for anyone to read
            raise
        writer.close()
    if extra:
        issues.add([extra_columns_issue(extra)])
    total = time.perf_counter() - started
    seconds = {"convert": round(total - writing, 3), "write": round(writing, 3)}
    return NormalisedTable(parquet, rows, plan.encoding, issues.counted(), dict(failures), dropped,
                           seconds).saved(out_dir / f"{raw_path.name}.normalised.json")


def _after_lines(head: bytes, lines: int) -> int:
    """The byte offset just past the first ``lines`` line ends (the header's end)."""
    at = 0
    for _ in range(lines):
        at = head.index(b"\n", at) + 1
    return at


def _block(spec: DatasetSpec, plan: CsvPlan, mapping: dict[int, str], budget: Budget, block: Block,
           conventions: Conventions):
    body = block.body
    if block.bytes_before == 0 and body.startswith(b"\xef\xbb\xbf"):
        body = skip(body, 3)
    refuse_nul(body, spec, budget.file_name, block.bytes_before, block.lines_before)
    if block.last:
        refuse_cut_utf8(body, block.bytes_before, block.lines_before)
    part = replace(plan, body=body, header_row=plan.header_row if block.bytes_before == 0 else 0,
                   lines_before=block.lines_before, bytes_before=block.bytes_before)
    try:
        return convert_csv(spec, part, mapping, budget, block.last, conventions)
    except UnicodeDecodeError as exc:  # the head was UTF-8 (or plain ASCII), this block is not: where, in the file
        line = block.lines_before + body.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{budget.file_name}: không đọc được mã ký tự / cannot decode the text (byte "
                         f"{block.bytes_before + exc.start:,}, dòng/line {line}): {exc.reason}",
                         dataset=spec.key, stage="normalise") from None


def _table(spec: DatasetSpec, typed, schema: pa.Schema) -> pa.Table:
    """One block's columns in the file's schema (a column all empty in one block is still typed)."""
    n = len(typed.rows)
    arrays = [typed.arrays.get(c.name, pa.nulls(n, ARROW_TYPES[c.type])) for c in spec.columns] + [typed.rows]
    return pa.Table.from_arrays(arrays, names=schema.names).cast(schema)
