"""The city's standard as expectations generated from the spec, one family per dimension.

- đúng (correct): ranges, allowed values, regexes, formats (phone, tax code, e-mail), the city's
  current wards, coordinates inside the city (ranges on latitude/longitude in the spec);
- đủ (complete): columns present, required cells filled, expected row counts, no collapse against
  the previous delivery;
- sạch (clean): unique keys, no formula injection, no personal data in open data, text NFC/trimmed;
- sống (live): the newest date within the promised frequency.
Every rule carries its dimension and severity in ``meta``; the configurations are plain dicts.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..issues import Dimension, Severity
from ..spec.models import CITY_TIMEZONE, ColumnSpec, ColumnType, DatasetSpec
from .liveness import THRESHOLDS
from .personal import CONTACT_PATTERNS, PII_PATTERNS
from .reference import current_wards

FORMATS = {
    "phone": r"^(?:\+84|0)[\d\s.\-]{8,13}$",
    "mobile": r"^(?:\+84|0)[35789]\d{8}$",
    "email": r"^[^@\s]+@[^@\s.]+(?:\.[^@\s.]+)+$",  # labels between single dots: one way to match, linear
    "tax_code": r"^\d{10}(?:-\d{3})?$",
    "url": r"^https?://\S+$",
}
# What a spreadsheet skips before it reads a cell's first character: whitespace, control and invisible format
# characters (zero-width space, BOM, direction marks). Literal characters, no \\s: RE2's \\s is ASCII only.
_IGNORED_FIRST = "\x01-\x20\x7f-\xa0\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\ufeff"
# A cell a spreadsheet would run as a formula, its sign also full-width (＝＋－＠, which IMEs type and some
# spreadsheets take as the ASCII sign); a signed number or dashes alone are fine.
FORMULA = f"^[{_IGNORED_FIRST}]*[=+\\-@\uff1d\uff0b\uff0d\uff20].*[^\\d\\s.,\\-]"
# Letters of Latin-1 that Vietnamese never writes but TCVN3 and VNI text read as Latin-1 is full of ("NguyÔn" has Ô,
# fine, but "Hµ Néi", "Ñaø Naüng", "Gi¸o" have ¸ ø ü Ñ): one beside a letter is legacy-font text left unconverted.
# Left out: µ (µg/m³), ©, ®, «, », ×, ÷, which real text uses as symbols. Literal characters: RE2 has no \u.
_NOT_VIETNAMESE = "¡¢£¤¥¦§¨ª¬¶·¸¹¼½¾ÆÇËÎÏÐÑÖØÜÞßäåæçëîïñöøûüþ"
_LETTER = "A-Za-z\u00c0-\u1ef9"
LEGACY_FONT = f"[{_LETTER}][{_NOT_VIETNAMESE}]|[{_NOT_VIETNAMESE}][{_LETTER}]"
NOT_CLEAN_TEXT = "^\\s|\\s$|[\u0300-\u036f]"  # untrimmed, or a combining mark left (not NFC); literal marks: RE2 has no \\u


def _exp(type_: str, dimension: Dimension, severity: Severity = Severity.blocking, check: str | None = None, **kwargs) -> dict:
    meta = {"dimension": dimension.value, "severity": severity.value}
    if check:
        meta["check"] = check  # names the rule in receipts when the expectation type alone would not
    return {"type": type_, "kwargs": kwargs, "meta": meta}


def delivery_day(delivered_at: datetime | None) -> date:
    """The day the delivery arrived, in the city's time: what a spec's `today` means."""
    at = delivered_at or datetime.now(UTC)
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(CITY_TIMEZONE)).date()


def bound_value(col: ColumnSpec, bound, delivered_on: date, upper: bool):
    """A spec bound as the rule's JSON value: numbers as they are; dates as ISO dates and times as ISO
    times (local, as the column holds them), which order as they compare. A date bounds a datetime column
    by the whole day: from its first second, up to its last."""
    if bound is None or isinstance(bound, int | float):
        return bound
    day = delivered_on if bound == "today" else bound
    if isinstance(day, datetime):
        local = day.astimezone(ZoneInfo(CITY_TIMEZONE)).replace(tzinfo=None) if day.tzinfo else day
        return local.date().isoformat() if col.type == ColumnType.date else local.isoformat(timespec="seconds")
    if col.type == ColumnType.date:
        return day.isoformat()
    return f"{day.isoformat()}T{'23:59:59' if upper else '00:00:00'}"


def correct(spec: DatasetSpec, province_code: int | None, delivered_on: date | None = None) -> list[dict]:
    delivered_on = delivered_on or delivery_day(None)
    out = []
    for col in spec.columns:
        if col.minimum is not None or col.maximum is not None:
            out.append(_exp("expect_column_values_to_be_between", Dimension.correct, column=col.name,
                            min_value=bound_value(col, col.minimum, delivered_on, upper=False),
                            max_value=bound_value(col, col.maximum, delivered_on, upper=True)))
        if col.allowed_values:
            out.append(_exp("expect_column_values_to_be_in_set", Dimension.correct, column=col.name,
                            value_set=list(col.allowed_values)))
        if col.pattern and col.type == ColumnType.string:
            rule = _exp("expect_column_values_to_match_regex", Dimension.correct, column=col.name, regex=col.pattern)
            if col.pattern_hint:
                rule["meta"].update(hint_vi=col.pattern_hint.vi, hint_en=col.pattern_hint.en or col.pattern_hint.vi)
            out.append(rule)
        if col.format:
            out.append(_exp("expect_column_values_to_match_regex", Dimension.correct, check=f"format_{col.format}",
                            column=col.name, regex=FORMATS[col.format]))
        if col.reference and province_code is not None:
            wards = current_wards(province_code)
            values = [code for code, _ in wards] if col.reference == "ward_code" else [name for _, name in wards]
            out.append(_exp("expect_column_values_to_be_in_set", Dimension.correct, check="ward_reference", column=col.name,
                            value_set=values))
    out += _ward_pairs(spec, province_code)
    return out


def _ward_pairs(spec: DatasetSpec, province_code: int | None) -> list[dict]:
    """A ward code and a ward name in one row must belong together: after the 2025 reform most codes were
    reused for another ward (20242 is now Phường Hải Châu, it was Phường Phước Ninh), so each is valid alone."""
    codes = [c.name for c in spec.columns if c.reference == "ward_code"]
    names = [c.name for c in spec.columns if c.reference == "ward_name"]
    if not codes or not names or province_code is None:
        return []
    pairs = [[code, name] for code, name in current_wards(province_code)]
    return [_exp("expect_column_pair_values_to_be_in_set", Dimension.correct, check="ward_pair", column_A=codes[0],
                 column_B=names[0], value_pairs_set=pairs, ignore_row_if="either_value_is_missing")]


def complete(spec: DatasetSpec, previous_rows: int | None) -> list[dict]:
    out = [_exp("expect_column_to_exist", Dimension.complete, column=c.name) for c in spec.columns]
    keys = set(spec.primary_key)  # an empty key cell is a missing key (named so), never a duplicate
    out += [_exp("expect_column_values_to_not_be_null", Dimension.complete, check="missing_key" if c.name in keys else None,
                 column=c.name) for c in spec.columns if c.required or c.name in keys]
    out.append(_exp("expect_table_row_count_to_be_between", Dimension.complete,
                    min_value=spec.row_count.min, max_value=spec.row_count.max))
    if previous_rows:
        floor = math.ceil(previous_rows * 0.5)  # half the rows gone is a broken export, not a real change
        out.append(_exp("expect_table_row_count_to_be_between", Dimension.complete, check="row_count_collapse",
                        min_value=floor, max_value=None))
    return out


def clean(spec: DatasetSpec) -> list[dict]:
    out = []
    if len(spec.primary_key) == 1:
        out.append(_exp("expect_column_values_to_be_unique", Dimension.clean, column=spec.primary_key[0]))
    elif spec.primary_key:
        out.append(_exp("expect_compound_columns_to_be_unique", Dimension.clean, column_list=list(spec.primary_key)))
    for col in spec.columns:
        if col.type != ColumnType.string:
            continue
        out.append(_exp("expect_column_values_to_not_match_regex", Dimension.clean, check="formula_injection",
                        column=col.name, regex=FORMULA))
        out.append(_exp("expect_column_values_to_not_match_regex", Dimension.correct, check="legacy_font",
                        column=col.name, regex=LEGACY_FONT))
        out.append(_exp("expect_column_values_to_not_match_regex", Dimension.clean, Severity.warning, check="clean_text",
                        column=col.name, regex=NOT_CLEAN_TEXT))
        if not col.public and col.format not in ("phone", "mobile", "email"):
            out.append(_exp("expect_column_values_to_not_match_regex_list", Dimension.clean, check="personal_data",
                            column=col.name, regex_list=list(PII_PATTERNS.values())))
        elif not col.public:  # a contact column not declared public: personal numbers and addresses stay out
            out.append(_exp("expect_column_values_to_not_match_regex_list", Dimension.clean, check="personal_data",
                            column=col.name, regex_list=[PII_PATTERNS[k] for k in CONTACT_PATTERNS]))
    return out


def live(spec: DatasetSpec, now: datetime | None) -> list[dict]:
    if not spec.date_column or now is None:
        return []
    due_days = THRESHOLDS[spec.update_frequency][0]
    oldest_allowed = (now - timedelta(days=due_days)).date()
    column = spec.column(spec.date_column)
    return [_exp("expect_column_max_to_be_between", Dimension.live, Severity.warning, check="freshness",
                 column=spec.date_column, min_value=bound_value(column, oldest_allowed, oldest_allowed, upper=False),
                 max_value=None)]


def rules_for(spec: DatasetSpec, province_code: int | None = None, previous_rows: int | None = None,
              now: datetime | None = None, delivered_at: datetime | None = None) -> list[dict]:
    return (correct(spec, province_code, delivery_day(delivered_at or now)) + complete(spec, previous_rows) + clean(spec)
            + live(spec, now))
