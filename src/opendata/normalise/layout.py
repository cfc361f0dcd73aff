"""Which records of a sheet are data, and what is left out, named for the receipt.

Government sheets wrap the table: title rows above the header, a row of column numbers or units under
it ("(1) (2) (3)", "(người) (ha)"), and after the data a total ("Tổng cộng"), notes ("Ghi chú: …") and
a signature block ("Đà Nẵng, ngày … tháng … năm 2026", "Người lập biểu", "GIÁM ĐỐC", "(Ký, ghi rõ họ
tên)", then names). Those are dropped, and every dropped row or column is named on the receipt (its
line, its first cells, why): nothing leaves the table without a word. A row with data in the spec's
key or required columns is never taken for a footer, except the names under a signature line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from ..issues import Dimension, RowIssue, Severity
from ..spec.models import DatasetSpec
from ..vocabulary import DropReason
from .text import fold_key

FOOTER_SCAN = 50  # rows from the end looked at for a footer
HEAD_SCAN = 3  # rows under the header looked at for column numbers or units
SHOWN_CELLS = 3
SIGNATURE_NAMES = 3  # rows of names that may follow a signature line, after a blank row
_NUMBERING = re.compile(r"^\(?\s*(\d{1,3}|[A-Z])\s*\)?$")  # (1) 2 (3) A B: the column numbers under a header
_UNIT = re.compile(r"^\(.{1,40}\)$")  # (người) (ha) (đồng/m2)
# A footer cell starts with one of these (folded: no case, accents or punctuation), or is a signing date
FOOTER_STARTS = ("tong cong", "ghi chu", "chu thich", "nguoi lap", "lap bieu", "thu truong", "giam doc", "pho giam doc",
                 "hieu truong", "pho hieu truong", "chu tich", "pho chu tich", "truong phong", "ke toan truong",
                 "ky ten", "ky ghi ro", "ky dong dau", "dong dau", "xac nhan", "kt ", "tm ", "q ", "ngay thang nam")
FOOTER_ALONE = ("cong", "tong", "tong so", "cong so")  # a total row's label
_SIGNED_ON = re.compile(r"ngay \d{1,2} thang \d{1,2} nam \d{4}|ngay thang nam")  # "Đà Nẵng, ngày 15 tháng 11 năm 2026"


@dataclass(frozen=True)
class Dropped:
    first: int  # file row (line) numbers
    last: int
    reason: DropReason
    cells: str  # the first cells, as the agency wrote them


def _text(value) -> str:
    return "" if value is None else (value if isinstance(value, str) else str(value)).strip()


def _cells(columns: dict[str, pa.ChunkedArray], i: int) -> list[str]:
    return [_text(columns[c][i].as_py()) for c in columns]


def first_cells(cells: list[str]) -> str:
    shown = list(dict.fromkeys(c for c in cells if c))[:SHOWN_CELLS]  # a merged cell's value once
    return " | ".join(c[:60] for c in shown)


def caption_rows(columns: dict[str, pa.ChunkedArray], n: int) -> int:
    """How many records under the header are column numbers or units, not data: every filled cell is a
    number in sequence ('1 2 3', '(1) (2)'), a column letter, or words in parentheses, two cells at least."""
    count = 0
    while count < min(n, HEAD_SCAN):
        filled = [c for c in _cells(columns, count) if c]
        numbered = [m.group(1) for c in filled if (m := _NUMBERING.match(c))]
        in_sequence = len(numbered) == len(filled) and _consecutive(numbered)
        in_parentheses = all(_UNIT.match(c) for c in filled)  # (1) (2) or (người) (ha)
        if len(filled) < 2 or not (in_sequence or in_parentheses):
            break
        count += 1
    return count


def _consecutive(marks: list[str]) -> bool:
    values = [int(m) if m.isdigit() else ord(m) for m in marks]
    return all(b == a + 1 for a, b in zip(values, values[1:], strict=False))


def _is_phrase(cell: str) -> bool:
    """A cell that is a footer's words ('Tổng cộng', 'Ghi chú: …', 'Người lập biểu', 'KT. GIÁM ĐỐC', a signing
    date), not a value that merely holds such a word ('Công ty kế toán …')."""
    folded = fold_key(cell)
    if not folded:
        return False
    return (folded in FOOTER_ALONE or bool(_SIGNED_ON.search(folded))
            or (len(folded) <= 120 and (folded + " ").startswith(FOOTER_STARTS)))


def _reason(cells: list[str], signature: bool) -> DropReason:
    folded = fold_key(" ".join(c for c in cells if c and not c.isdigit()))  # past an STT number
    if folded.startswith(("tong", "cong")):
        return DropReason.total
    if folded.startswith("ghi chu") or folded.startswith("chu thich"):
        return DropReason.note
    return DropReason.signature if signature else DropReason.no_key


def data_rows(columns: dict[str, pa.ChunkedArray], spec: DatasetSpec, rows: pa.ChunkedArray, first: bool,
              last: bool, sheet: dict[str, pa.ChunkedArray] | None = None) -> tuple[int, int, list[Dropped]]:
    """(start, end, dropped): records [start, end) are data. ``columns``: the spec's; ``sheet``: every column of
    the sheet in its order (an STT column holds the '(1)' and the notes too), for the words of a footer and
    what the receipt shows. ``first``/``last``: the records begin/end the file."""
    sheet = sheet or columns
    n = len(rows)
    start = caption_rows(sheet, n) if first and n else 0
    dropped = [Dropped(rows[i].as_py(), rows[i].as_py(), DropReason.caption, first_cells(_cells(sheet, i)))
               for i in range(start)]
    if not last or n <= start:
        return start, n, dropped
    keys = [c for c in dict.fromkeys([*spec.primary_key, *(c.name for c in spec.columns if c.required)]) if c in columns]
    keys = keys or list(columns)
    offset = max(start, n - FOOTER_SCAN - 1)
    line = rows.slice(offset).to_pylist()  # the file lines of the rows looked at (never the whole column)

    def key_data(cells: dict[str, str]) -> bool:
        return any(cells[k] and not _is_phrase(cells[k]) for k in keys)

    def full(cells: dict[str, str]) -> bool:
        return all(cells[k] and not _is_phrase(cells[k]) for k in keys)

    window = range(max(start, n - FOOTER_SCAN), n)
    named = {i: dict(zip(columns, _cells(columns, i), strict=True)) for i in window}
    whole = {i: _cells(sheet, i) for i in window}
    end = n
    signature = None
    for i in reversed(window):  # the earliest footer line with no full data row after it, but names after a blank row
        cells = named[i]
        if any(_is_phrase(c) for c in whole[i]) and not key_data(cells):
            later = [j for j in range(i + 1, n) if full(named[j])]
            if len(later) <= SIGNATURE_NAMES and all(line[j - offset] - line[i - offset] > j - i for j in later):
                signature = i
    if signature is not None:
        end = signature
    while end > start and n - end < FOOTER_SCAN and not key_data(named[end - 1]):
        end -= 1
    for i in range(end, n):
        cells = whole[i]
        reason = _reason(cells, signature is not None and i >= signature)
        dropped.append(Dropped(line[i - offset], line[i - offset], reason, first_cells(cells)))
    return start, end, dropped


def titles(above: list[list[str]]) -> list[Dropped]:
    """The filled rows above the header (0-based rows of the file: line = index + 1)."""
    return [Dropped(i + 1, i + 1, DropReason.title, first_cells([c.strip() for c in row]))
            for i, row in enumerate(above) if any(c.strip() for c in row)]


def merged(dropped: list[Dropped]) -> list[Dropped]:
    """Neighbouring rows dropped for the same reason as one block (its first cells are its first row's)."""
    out: list[Dropped] = []
    for d in sorted(dropped, key=lambda d: d.first):
        if out and out[-1].reason == d.reason and d.first - out[-1].last <= 3:
            out[-1] = Dropped(out[-1].first, d.last, d.reason, out[-1].cells)
        else:
            out.append(d)
    return out


def dropped_issues(dropped: list[Dropped]) -> list[RowIssue]:
    """One warning per block of rows left out of the table: where, why, and its first cells."""
    from ..vocabulary import DROP_REASON_LABELS

    issues = []
    for d in merged(dropped):
        vi, en = DROP_REASON_LABELS[d.reason]
        where_vi = f"dòng {d.first}" if d.first == d.last else f"dòng {d.first}–{d.last}"
        where_en = f"line {d.first}" if d.first == d.last else f"lines {d.first}–{d.last}"
        issues.append(RowIssue(rule="dropped_rows", dimension=Dimension.complete, severity=Severity.warning,
                               message_vi=f"Không đưa vào bảng ({where_vi}): {vi}",
                               message_en=f"Left out of the table ({where_en}): {en}",
                               row=d.first, value=d.cells, total=d.last - d.first + 1))
    return issues


def column_letter(position: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how Excel names a column."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def unnamed_column_issue(position: int, values: list[str], total: int, header_row: int) -> RowIssue:
    """A column with values but no header: never published, and said so."""
    letter = column_letter(position)
    shown = " | ".join(v[:40] for v in values[:SHOWN_CELLS])
    return RowIssue(rule="unnamed_column", dimension=Dimension.complete, severity=Severity.warning,
                    message_vi=f"Cột {letter} có giá trị nhưng không có tiêu đề (dòng {header_row}), không được công bố",
                    message_en=f"Column {letter} holds values but has no header (line {header_row}): not published",
                    column=letter, value=shown, total=total)

