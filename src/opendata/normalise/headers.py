"""Finding the header in an agency's sheet, and matching it to the spec's columns.

Agency Excel exports put title rows above the header ("UBND THÀNH PHỐ ĐÀ NẴNG / SỞ Y TẾ / DANH
SÁCH …"), sometimes a two-row header under merged cells ("Tọa độ" over "Vĩ độ | Kinh độ"), and
footers below the data ("Người lập biểu", "Tổng cộng"). Matching ignores case, accents and spacing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..exceptions import InputError
from ..spec.models import DatasetSpec
from .text import fold_key

SCAN_ROWS = 40


@dataclass(frozen=True)
class HeaderLocation:
    index: int  # 0-based row of the (first) header row among the rows scanned
    depth: int  # 1, or 2 for a header under merged cells
    names: list[str]  # one name per column, as written (parent + child for two-row headers)


def _wanted(spec: DatasetSpec) -> dict[str, str]:
    keys: dict[str, str] = {}
    for col in spec.columns:
        for text in (col.name, col.label.vi, col.label.en):
            if text:
                keys[fold_key(text)] = col.name
    return keys


def _forward_fill(row: list[str]) -> list[str]:
    out, last = [], ""
    for cell in row:
        last = cell if cell.strip() else last
        out.append(last)
    return out


def _two_row_names(parent: list[str], child: list[str]) -> list[str]:
    parent = _forward_fill(parent)
    names = []
    for i in range(max(len(parent), len(child))):
        p = parent[i] if i < len(parent) else ""
        c = child[i] if i < len(child) else ""
        names.append(c if not p or p == c else (p if not c else f"{p} / {c}"))
    return names


def _score(names: list[str], wanted: dict[str, str]) -> int:
    return len({_match(n, wanted) for n in names} - {None})


def _match(name: str, wanted: dict[str, str]) -> str | None:
    key = fold_key(name)
    if key in wanted:
        return wanted[key]
    if " / " in name:  # two-row header: the child alone, or parent and child together
        parent, child = name.split(" / ", 1)
        return wanted.get(fold_key(child)) or wanted.get(fold_key(f"{parent} {child}"))
    return None


def locate_header(rows: list[list[str]], spec: DatasetSpec, file_name: str) -> HeaderLocation:
    wanted = _wanted(spec)
    best: HeaderLocation | None = None
    best_score = 0
    for i, row in enumerate(rows[:SCAN_ROWS]):
        candidates = [HeaderLocation(i, 1, row)]
        if i + 1 < len(rows) and len({c.strip() for c in row if c.strip()}) >= 2:  # one value (a title, merged) is no parent
            candidates.append(HeaderLocation(i, 2, _two_row_names(row, rows[i + 1])))
        for cand in candidates:
            score = _score(cand.names, wanted)
            if score > best_score:
                best, best_score = cand, score
    needed = max(1, (sum(1 for c in spec.columns if c.required) + 1) // 2)
    if best is None or best_score < needed:
        labels = ", ".join(f"'{c.label.vi}'" for c in spec.columns[:6])
        raise InputError(
            f"{file_name}: không tìm thấy dòng tiêu đề cột (cần các cột như {labels}) trong {min(len(rows), SCAN_ROWS)} "
            f"dòng đầu / no header row with the spec's columns in the first {min(len(rows), SCAN_ROWS)} rows",
            dataset=spec.key, stage="normalise",
        )
    return best


def spec_column_of(name: str, spec: DatasetSpec) -> str | None:
    """The spec column a header names, or None (a column outside the spec)."""
    return _match(name, _wanted(spec))


SERIAL_NUMBER = {"stt", "tt", "so tt", "so thu tu", "thu tu", "no", "so", "#", "n o"}  # 'STT', 'Số TT', 'No.'


def is_serial_number(name: str) -> bool:
    """The row-number column almost every government sheet starts with: never data, always dropped."""
    return fold_key(name) in SERIAL_NUMBER or name.strip() == "#"


def match_headers(names: list[str], spec: DatasetSpec, file_name: str, header_row: int,
                  extra: list[str] | None = None) -> dict[int, str]:
    """Column position → spec column name. A serial-number column ('STT') is dropped; other columns
    outside the spec are dropped and named in ``extra`` (a warning on the receipt), or refused when the
    spec says ``extra_columns: reject``; a missing required column is always an error."""
    wanted = _wanted(spec)
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for pos, name in enumerate(names):
        if not name.strip():
            continue  # an empty header cell over an empty spacer column
        col = _match(name, wanted)
        if col is None and is_serial_number(name):
            continue
        if col is None:
            unknown.append(name)
        elif col in mapping.values():
            raise InputError(f"{file_name}, dòng/row {header_row}: cột '{name}' lặp lại / column '{name}' appears twice",
                             dataset=spec.key, stage="normalise")
        else:
            mapping[pos] = col
    missing = [c for c in spec.columns if c.required and c.name not in mapping.values()]
    if unknown and spec.extra_columns == "warn" and not missing:
        if extra is not None:
            extra.extend(unknown)
        unknown = []
    if missing or unknown:
        parts_vi, parts_en = [], []
        if missing:
            parts_vi.append("thiếu cột bắt buộc " + ", ".join(f"'{c.label.vi}'" for c in missing))
            parts_en.append("missing required column(s) " + ", ".join(repr(c.name) for c in missing))
        if unknown:
            parts_vi.append("cột không có trong đặc tả " + ", ".join(repr(u) for u in unknown))
            parts_en.append("column(s) not in the spec " + ", ".join(repr(u) for u in unknown))
        raise InputError(
            f"{file_name}, dòng/row {header_row} (tiêu đề/header): {'; '.join(parts_vi)} / {'; '.join(parts_en)}",
            dataset=spec.key, stage="normalise",
        )
    return mapping
