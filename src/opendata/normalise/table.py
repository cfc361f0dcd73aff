"""Read a delivered CSV as the spec describes it and write the typed table as Parquet.

Values that do not fit their column's type become nulls plus a blocking 'đúng' issue naming the
row, column and value, so the quality stage reports every one instead of stopping at the first.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..exceptions import InputError
from ..issues import Dimension, RowIssue, Severity
from ..spec.models import ColumnSpec, ColumnType, DatasetSpec
from .text import decode, fold_key

TRUE_WORDS = {"true", "1", "co", "yes", "x"}
FALSE_WORDS = {"false", "0", "khong", "no"}


@dataclass
class NormalisedTable:
    parquet: Path
    rows: int
    encoding: str
    issues: list[RowIssue] = field(default_factory=list)

    def manifest(self) -> dict:
        return {"parquet": str(self.parquet), "rows": self.rows, "encoding": self.encoding,
                "issues": [i.asdict() for i in self.issues]}


def match_headers(headers: list[str], spec: DatasetSpec, file_name: str) -> dict[str, str]:
    """Map the file's headers to the spec's column names; a clear error for missing or unknown ones."""
    wanted = {}
    for col in spec.columns:
        wanted[fold_key(col.label.vi)] = col.name
        wanted[fold_key(col.name)] = col.name
        if col.label.en:
            wanted[fold_key(col.label.en)] = col.name
    mapping, unknown = {}, []
    for h in headers:
        name = wanted.get(fold_key(h))
        if name is None:
            unknown.append(h)
        else:
            mapping[h] = name
    missing = [c for c in spec.columns if c.name not in mapping.values() and c.required]
    if missing or unknown:
        parts_vi, parts_en = [], []
        if missing:
            labels = ", ".join(f"'{c.label.vi}'" for c in missing)
            parts_vi.append(f"thiếu cột bắt buộc {labels}")
            parts_en.append(f"missing required column(s) {', '.join(repr(c.name) for c in missing)}")
        if unknown:
            parts_vi.append(f"cột không có trong đặc tả {', '.join(repr(u) for u in unknown)}")
            parts_en.append(f"column(s) not in the spec {', '.join(repr(u) for u in unknown)}")
        raise InputError(
            f"{file_name}, dòng/row 1 (tiêu đề/header): {'; '.join(parts_vi)} / {'; '.join(parts_en)}",
            dataset=spec.key, stage="normalise",
        )
    return mapping


def _type_issue(spec_col: ColumnSpec, row: int, value: str, expected_vi: str, expected_en: str) -> RowIssue:
    return RowIssue(
        rule=f"type:{spec_col.type.value}", dimension=Dimension.correct, severity=Severity.blocking,
        message_vi=f"Giá trị '{value}' không phải {expected_vi}", message_en=f"Value '{value}' is not {expected_en}",
        row=row, column=spec_col.name, value=value,
    )


def _to_number(s: pd.Series) -> pd.Series:
    """'15.5', '15,5' and '1.234,5' all read as numbers: the last separator is the decimal one."""
    s = s.str.replace(" ", "", regex=False).str.replace("\u00a0", "", regex=False)
    both = s.str.contains(",", regex=False) & s.str.contains(".", regex=False)
    comma_last = s.str.rfind(",") > s.str.rfind(".")
    fixed = s.where(~(both & comma_last), s.str.replace(".", "", regex=False))
    fixed = fixed.where(~(both & ~comma_last), fixed.str.replace(",", "", regex=False))
    fixed = fixed.str.replace(",", ".", regex=False)
    return pd.to_numeric(fixed, errors="coerce")


def _to_date(s: pd.Series, with_time: bool) -> pd.Series:
    iso = pd.to_datetime(s, errors="coerce", format="ISO8601")
    vn = pd.to_datetime(s, errors="coerce", format="%d/%m/%Y %H:%M:%S" if with_time else "%d/%m/%Y")
    out = iso.fillna(vn)
    return out if with_time else out.dt.date


def _cast(col: ColumnSpec, raw: pd.Series, issues: list[RowIssue], first_row: int) -> pd.Series:
    present = raw != ""
    if col.type == ColumnType.string:
        return raw.where(present, None).astype("string")
    if col.type in (ColumnType.integer, ColumnType.number):
        num = _to_number(raw)
        if col.type == ColumnType.integer:
            bad = present & (num.isna() | (num % 1 != 0))
            out = num.where(~bad).round().astype("Int64")
            expected = ("số nguyên", "an integer")
        else:
            bad = present & num.isna()
            out = num.where(~bad).astype("Float64")
            expected = ("số", "a number")
    elif col.type in (ColumnType.date, ColumnType.datetime):
        with_time = col.type == ColumnType.datetime
        parsed = _to_date(raw.where(present, None), with_time)
        bad = present & parsed.isna()
        out = parsed
        expected = ("ngày hợp lệ (yyyy-mm-dd hoặc dd/mm/yyyy)", "a valid date (yyyy-mm-dd or dd/mm/yyyy)")
    else:
        key = raw.map(fold_key)
        bad = present & ~key.isin(TRUE_WORDS | FALSE_WORDS)
        out = key.map(lambda k: True if k in TRUE_WORDS else False if k in FALSE_WORDS else None).astype("boolean")
        expected = ("đúng/sai (có/không)", "a boolean (true/false)")
    for idx in raw.index[bad]:
        issues.append(_type_issue(col, first_row + int(idx), raw[idx], *expected))
    return out


def normalise_file(spec: DatasetSpec, raw_path: Path, original_name: str, out_dir: Path) -> NormalisedTable:
    """CSV → typed DataFrame (columns in spec order, NFC, trimmed) → ``<out_dir>/<sha-or-stem>.parquet``."""
    try:
        text, encoding = decode(raw_path.read_bytes(), spec.source.encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise InputError(f"{original_name}: không đọc được mã ký tự / cannot decode the file: {exc}",
                         dataset=spec.key, stage="normalise") from exc
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{original_name}: không đọc được tệp CSV / not a readable CSV file: {exc}",
                         dataset=spec.key, stage="normalise") from exc
    mapping = match_headers(list(frame.columns), spec, original_name)
    frame = frame.rename(columns=mapping)
    issues: list[RowIssue] = []
    typed = {}
    for col in spec.columns:
        raw = frame[col.name] if col.name in frame else pd.Series([""] * len(frame), dtype=str)
        raw = raw.astype(str).str.normalize("NFC").str.strip()
        typed[col.name] = _cast(col, raw, issues, first_row=2)
    table = pd.DataFrame(typed)
    out_dir.mkdir(parents=True, exist_ok=True)
    parquet = out_dir / f"{raw_path.name}.parquet"
    table.to_parquet(parquet, index=False)
    result = NormalisedTable(parquet, len(table), encoding, issues)
    (out_dir / f"{raw_path.name}.normalised.json").write_text(json.dumps(result.manifest(), ensure_ascii=False, indent=1))
    return result
