"""The bounds every reader keeps (spec ``limits``): bytes, rows, columns, cells, depth and wall time.

A delivery over a bound is refused with an :class:`InputError` that names the file, the bound and
what to do, as soon as the bound is seen: before a byte is read where the size tells, otherwise
while reading, so that a hostile file costs seconds and little memory, never a worker.
"""

from __future__ import annotations

import time

import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import InputError
from ..spec.models import DatasetSpec, InputLimits

FIX_VI = "Chia nhỏ tệp, hoặc đề nghị Sở KH&CN nâng giới hạn `limits.{field}` trong đặc tả bộ dữ liệu."
ZIP_RATIO_FLOOR = 8 << 20  # smaller parts unpack in a blink, whatever their ratio
FIX_EN = "Split the file, or ask the portal team to raise `limits.{field}` in the dataset's specification."


class Budget:
    """The limits of one delivery being read, and its deadline."""

    def __init__(self, spec: DatasetSpec, file_name: str, clock=time.monotonic) -> None:
        self.spec = spec
        self.file_name = file_name
        self.limits: InputLimits = spec.limits
        self._clock = clock
        self.deadline = clock() + self.limits.max_seconds

    def refuse(self, field: str, what_vi: str, what_en: str, value, limit) -> InputError:
        return InputError(
            f"{self.file_name}: {what_vi} ({value:,}) vượt giới hạn {limit:,} / {what_en} ({value:,}) exceeds the limit of "
            f"{limit:,}. {FIX_VI.format(field=field)} / {FIX_EN.format(field=field)}",
            dataset=self.spec.key, stage="normalise")

    def size(self, size: int, json: bool = False) -> None:
        if size > self.limits.max_bytes:
            raise self.refuse("max_bytes", "kích thước tệp (byte)", "the file's size in bytes", size, self.limits.max_bytes)
        if json and size > self.limits.max_json_bytes:
            raise self.refuse("max_json_bytes", "kích thước tệp JSON (byte)", "the JSON file's size in bytes", size,
                              self.limits.max_json_bytes)

    def unpacked(self, size: int) -> None:
        if size > self.limits.max_unpacked_bytes:
            raise self.refuse("max_unpacked_bytes", "dung lượng giải nén của tệp Excel (byte)",
                              "the Excel file's unzipped size in bytes", size, self.limits.max_unpacked_bytes)

    def zip_ratio(self, part: str, unpacked: int, packed: int) -> None:
        """A part large unpacked (over 8 MiB) and packed more than ``max_zip_ratio`` times: a zip bomb."""
        ratio = unpacked / max(packed, 1)
        if unpacked > ZIP_RATIO_FLOOR and ratio > self.limits.max_zip_ratio:
            raise InputError(
                f"{self.file_name}: phần '{part[:80]}' của tệp Excel giải nén ra {unpacked:,} byte từ {packed:,} byte (nén "
                f"{ratio:,.0f} lần, giới hạn {self.limits.max_zip_ratio:,} lần): giống một \"bom nén\", không mở / the Excel "
                f"file's part '{part[:80]}' unpacks to {unpacked:,} bytes from {packed:,} (a ratio of {ratio:,.0f} to 1, over "
                f"the limit of {self.limits.max_zip_ratio:,} to 1, limits.max_zip_ratio): it looks like a zip bomb and is not "
                f"opened. {FIX_VI.format(field='max_zip_ratio')} / {FIX_EN.format(field='max_zip_ratio')}",
                dataset=self.spec.key, stage="normalise")

    def refuse_damaged(self, why: str) -> InputError:
        return InputError(f"{self.file_name}: tệp Excel bị hỏng, một phần không giải nén đúng như nó khai ({why}) / the "
                          f"Excel file is damaged: a part does not unpack to what it declares ({why}). Lưu lại tệp bằng "
                          "Excel rồi nộp lại / save it again from Excel and deliver it again.",
                          dataset=self.spec.key, stage="normalise")

    def columns(self, count: int) -> None:
        if count > self.limits.max_columns:
            raise self.refuse("max_columns", "số cột", "the number of columns", count, self.limits.max_columns)

    def rows(self, count: int) -> None:
        if count > self.limits.max_rows:
            raise self.refuse("max_rows", "số dòng", "the number of rows", count, self.limits.max_rows)

    def cells(self, count: int) -> None:
        if count > self.limits.max_cells:
            raise self.refuse("max_cells", "số ô (dòng × cột)", "the number of cells (rows × columns)", count,
                              self.limits.max_cells)

    def depth(self, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise self.refuse("max_depth", "độ sâu lồng nhau của JSON", "the JSON nesting depth", depth, self.limits.max_depth)

    def cell_text(self, text: str, row: int | None = None) -> None:
        if len(text) > self.limits.max_cell_chars:
            where = f" (dòng/row {row})" if row else ""
            raise self.refuse("max_cell_chars", f"độ dài một ô{where}", f"the length of one cell{where}", len(text),
                              self.limits.max_cell_chars)

    def text_columns(self, columns: list[pa.ChunkedArray], rows: pa.ChunkedArray | None) -> None:
        """The longest cell of each column, from Arrow's offsets (no scan of the text itself)."""
        limit = self.limits.max_cell_chars
        for col in columns:
            if not len(col) or (pc.max(pc.binary_length(col)).as_py() or 0) <= limit:
                continue
            lengths = pc.utf8_length(col)
            if (pc.max(lengths).as_py() or 0) <= limit:
                continue  # long in bytes, not in characters
            at = pc.index(pc.greater(lengths, limit), True).as_py()
            row = rows[at].as_py() if rows is not None and at >= 0 else None
            self.cell_text(col[at].as_py(), row)

    def tick(self) -> None:
        """Called every few thousand records by the readers that loop in Python."""
        if self._clock() > self.deadline:
            raise InputError(
                f"{self.file_name}: đọc tệp quá {self.limits.max_seconds:g} giây / reading the file took longer than "
                f"{self.limits.max_seconds:g} s. {FIX_VI.format(field='max_seconds')} / {FIX_EN.format(field='max_seconds')}",
                dataset=self.spec.key, stage="normalise")


def json_depth(value, limit: int) -> int:
    """How deep lists and objects nest in ``value`` (iteratively: a deep value cannot exhaust the stack);
    stops counting once past ``limit``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest
