"""Text columns to the spec's types, vectorised with pyarrow.compute (no Python loop per value).

Numbers: Vietnamese ('1.234.567,5') and English ('1,234,567.5') conventions, decided per column.
Dates: yyyy-mm-dd, dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy), with a round trip so that
31/02/2020 is an error rather than 2 March. A value that does not fit becomes null plus a counted
failure; the first examples keep their file row number for the receipt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_values import EMPTY_TEXT, FALSE, NULL_TEXT, TRUE, ZERO, array, scalar
from ..issues import MAX_EXAMPLES
from ..spec.models import ColumnSpec, ColumnType
from ..vocabulary import NO_WORDS, YES_WORDS
from ..vocabulary.checks import EXPECTED

EXACT_IN_FLOAT = 2**53  # every whole number below it is held exactly by a float64
_PLAIN_NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


@dataclass
class ColumnFailures:
    """Values of one column that do not fit its type: how many, and the first few."""

    column: str
    expected_vi: str
    expected_en: str
    count: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)  # (file row, value)


Conventions = dict[str, str]  # number column → "vi" ('1.234,5') or "en" ('1,234.5'), as a file's blocks showed it


def _parse_numbers(s: pa.ChunkedArray, thousands: str, decimal: str) -> pa.ChunkedArray:
    s = pc.replace_substring(s, thousands, "")
    if decimal != ".":
        s = pc.replace_substring(s, decimal, ".")
    valid = pc.match_substring_regex(s, _PLAIN_NUMBER)
    return pc.cast(pc.if_else(valid, s, NULL_TEXT), pa.float64())


def _numbers(text: pa.ChunkedArray, col: ColumnSpec, conventions: Conventions | None = None) -> pa.ChunkedArray:
    """Read the column both ways, Vietnamese ('1.234,5') and English ('1,234.5'); keep the reading
    that gives more valid numbers, then more inside the spec's range. A tie ('15,816' or '1.250' alone)
    means the lone separator is a decimal one in a number column and a thousands one in an integer column.
    ``conventions``: what earlier blocks of the same file decided (kept there, and followed)."""
    integer = col.type == ColumnType.integer
    s = pc.replace_substring(pc.replace_substring(text, " ", ""), "\u00a0", "")
    readings = {"vi": _parse_numbers(s, ".", ","), "en": _parse_numbers(s, ",", ".")}

    def score(values: pa.ChunkedArray) -> tuple[int, int]:
        ok = pc.is_valid(values)
        if integer:  # '1.234,0' read the English way is 1.234: not an integer, so not a valid reading
            ok = pc.and_(ok, pc.fill_null(pc.equal(pc.floor(values), values), FALSE))
        inside = ok
        if col.minimum is not None:
            inside = pc.and_(inside, pc.greater_equal(values, scalar(col.minimum)))
        if col.maximum is not None:
            inside = pc.and_(inside, pc.less_equal(values, scalar(col.maximum)))
        return pc.sum(ok).as_py() or 0, pc.sum(pc.fill_null(inside, FALSE)).as_py() or 0

    vi, en = score(readings["vi"]), score(readings["en"])
    if conventions is not None and col.name in conventions:
        chosen = conventions[col.name]
    elif vi != en:
        chosen = "vi" if vi > en else "en"
        if conventions is not None:
            conventions[col.name] = chosen
    else:
        has_comma = pc.any(pc.match_substring(s, ",")).as_py()
        # the lone separator: decimal in a number column, thousands in an integer column
        chosen = ("vi" if has_comma else "en") if not integer else ("en" if has_comma else "vi")
        if conventions is not None and has_comma:  # a comma is evidence; its absence in one block is not
            conventions[col.name] = chosen
    values = _only_finite(readings[chosen])
    if not integer:
        return values
    # a whole number a float holds exactly: beyond 2^53 the reading would silently change the digits
    whole = pc.and_(pc.equal(pc.floor(values), values), pc.less(pc.abs(values), scalar(float(EXACT_IN_FLOAT))))
    return pc.cast(pc.if_else(whole, values, pa.nulls(len(values), pa.float64())), pa.int64())


def typed_not_finite(col: ColumnSpec, typed: pa.ChunkedArray,
                     rows: pa.ChunkedArray) -> tuple[pa.ChunkedArray, ColumnFailures | None]:
    """A number column the file's parser typed itself (Arrow's CSV reader reads 'NaN', 'inf' and
    '1e999' as floats): its values that are not finite become null and are reported like any value
    that does not fit the type."""
    if col.type != ColumnType.number or not len(typed):
        return typed, None
    bad = pc.fill_null(pc.invert(pc.is_finite(typed)), FALSE)
    count = pc.sum(bad).as_py() or 0
    if not count:
        return typed, None
    where = pc.indices_nonzero(bad.combine_chunks() if isinstance(bad, pa.ChunkedArray) else bad)[:MAX_EXAMPLES]
    shown = [str(v) for v in pc.take(typed, where).to_pylist()]
    vi, en = EXPECTED[col.type]
    failures = ColumnFailures(col.name, vi, en, count, list(zip(pc.take(rows, where).to_pylist(), shown, strict=True)))
    return _only_finite(typed), failures


def _only_finite(values):
    """NaN, Infinity and overflowing values ('1e999') are not numbers: they pass every comparison a
    range rule makes, so they become null here and are reported as values that do not fit."""
    return pc.if_else(pc.is_finite(values), values, pa.nulls(len(values), values.type))


def _canonical_datetime(text: pa.ChunkedArray, with_time: bool) -> pa.ChunkedArray:
    """Rewrite every accepted spelling as 'YYYY-MM-DD HH:MM:SS' (missing parts 00), else null."""
    # ISO 8601 too: fractional seconds (dropped: the column holds whole seconds) and a zone (Z, ±hh, ±hh:mm,
    # ±hhmm), which _zone_shift turns into the city's time
    time = rf"(?:[T ](?P<H>\d{{1,2}}):(?P<M>\d{{2}})(?::(?P<S>\d{{2}})(?:[.,]\d{{1,9}})?)?(?:\s?{ZONE})?)?"
    shapes = [
        rf"^(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}}){time}$",
        rf"^(?P<d>\d{{1,2}})[/.-](?P<m>\d{{1,2}})[/.-](?P<y>\d{{4}}){time}$",
        rf"^(?P<y>\d{{4}})/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}}){time}$",
    ]
    result = pa.nulls(len(text), pa.string())
    for shape in shapes:
        if not pc.any(pc.match_substring_regex(text, shape)).as_py():
            continue  # matching is much cheaper than extracting: extract only the shapes present
        parts = pc.extract_regex(text, shape)

        def part(name: str, width: int, default: str = "00", parts=parts) -> pa.Array:
            value = pc.struct_field(parts, name)
            value = pc.if_else(pc.equal(pc.utf8_length(value), ZERO), scalar(default), value)
            return pc.utf8_lpad(value, width=width, padding="0")

        joined = pc.binary_join_element_wise(
            part("y", 4), scalar("-"), part("m", 2), scalar("-"), part("d", 2), scalar(" "),
            part("H", 2), scalar(":"), part("M", 2), scalar(":"), part("S", 2), EMPTY_TEXT,
        )
        result = pc.coalesce(result, joined)
    return result


def _strptime_exact(iso: pa.ChunkedArray, fmt: str, with_time: bool) -> pa.ChunkedArray:
    """strptime reads 31/02 as 2 March: the day and month it produced must be the ones written
    (``iso`` is 'YYYY-MM-DD…' or null)."""
    parsed = pc.strptime(iso, format=fmt, unit="s", error_is_null=True)
    day = pc.cast(pc.utf8_slice_codeunits(iso, 8, 10), pa.int64())
    month = pc.cast(pc.utf8_slice_codeunits(iso, 5, 7), pa.int64())
    exact = pc.fill_null(pc.and_(pc.equal(pc.day(parsed), day), pc.equal(pc.month(parsed), month)), FALSE)
    parsed = pc.if_else(exact, parsed, pa.nulls(len(parsed), pa.timestamp("s")))
    return parsed if with_time else pc.cast(parsed, pa.date32())


ZONE = r"(?:Z|[+-](?:0\d|1[0-4])(?::?[0-5]\d)?)"  # UTC-14 to UTC+14
_ZONED = rf":\d{{2}}(?:[.,]\d{{1,9}})?\s?(?P<z>{ZONE})$"  # a zone only ever follows a time
CITY_OFFSET_S = 7 * 3600  # Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving


def _zone_shift(text: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Seconds to add to each written time to make it the city's (a time written with no zone is the city's
    already: 0); None when no value names a zone."""
    if not pc.any(pc.match_substring_regex(text, _ZONED)).as_py():
        return None
    zone = pc.replace_substring(pc.struct_field(pc.extract_regex(text, _ZONED), "z"), ":", "")
    utc = pc.equal(zone, scalar("Z"))
    hours = pc.cast(pc.if_else(utc, scalar("0"), pc.utf8_slice_codeunits(zone, 1, 3)), pa.int64())
    minutes_text = pc.utf8_slice_codeunits(zone, 3, 5)
    minutes = pc.cast(pc.if_else(pc.equal(pc.utf8_length(minutes_text), ZERO), scalar("0"), minutes_text), pa.int64())
    offset = pc.add(pc.multiply(hours, scalar(3600)), pc.multiply(minutes, scalar(60)))
    offset = pc.if_else(pc.starts_with(zone, "-"), pc.negate(offset), offset)
    return pc.fill_null(pc.subtract(scalar(CITY_OFFSET_S), offset), scalar(0))


def _dates(text: pa.ChunkedArray, with_time: bool) -> pa.ChunkedArray:
    """A time with a zone ('…Z', '…+09:00') is converted to the city's time (UTC+7)."""
    parsed = _strptime_exact(_canonical_datetime(text, with_time), "%Y-%m-%d %H:%M:%S", True)
    shift = _zone_shift(text)
    if shift is not None:
        parsed = pc.add(parsed, pc.cast(shift, pa.duration("s")))
    return parsed if with_time else pc.cast(parsed, pa.date32())


STRICT_TYPES = {ColumnType.integer: pa.int64(), ColumnType.number: pa.float64(), ColumnType.date: pa.date32(),
                ColumnType.datetime: pa.timestamp("s"), ColumnType.boolean: pa.bool_()}
# The spellings Arrow's strict cast reads, per type. Values of these shapes take the fast cast; the few
# others in a column (a typo, 'hôm qua', '1.234,5') go through the forgiving rules on their own.
_PLAIN = {ColumnType.integer: r"^[+-]?\d+$", ColumnType.number: _PLAIN_NUMBER,
          ColumnType.date: r"^\d{4}-\d{2}-\d{2}$", ColumnType.datetime: r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}$"}
VI_SAMPLE = 10_000  # values whose Vietnamese reading is tried first when plain numbers fall out of range
RESIDUAL_SHARE = 0.01  # at most this share of a column's values may take the forgiving rules one by one


def out_of_range(col: ColumnSpec, typed: pa.ChunkedArray) -> bool:
    if col.type not in (ColumnType.integer, ColumnType.number) or (col.minimum is None and col.maximum is None):
        return False
    lo_hi = pc.min_max(typed).as_py()
    return lo_hi["min"] is not None and ((col.minimum is not None and lo_hi["min"] < col.minimum)
                                         or (col.maximum is not None and lo_hi["max"] > col.maximum))


def _in_range(col: ColumnSpec, values: pa.ChunkedArray) -> int:
    inside = pc.is_valid(values)
    if col.minimum is not None:
        inside = pc.and_(inside, pc.greater_equal(values, scalar(col.minimum)))
    if col.maximum is not None:
        inside = pc.and_(inside, pc.less_equal(values, scalar(col.maximum)))
    return pc.sum(pc.fill_null(inside, FALSE)).as_py() or 0


def _other_reading_better(col: ColumnSpec, plain_text: pa.ChunkedArray, typed: pa.ChunkedArray) -> bool:
    """Plain numbers out of range may be the other convention ('1.250' meant 1250): the Vietnamese
    reading (dots as thousands) wins only if it puts more values inside the spec's range."""
    if plain_reading_stands(col, plain_text.slice(0, VI_SAMPLE), typed):
        return False
    try:
        vi = pc.cast(pc.replace_substring(plain_text, ".", ""), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return _in_range(col, vi) > _in_range(col, typed)


def plain_reading_stands(col: ColumnSpec, head: pa.ChunkedArray, typed: pa.ChunkedArray) -> bool:
    """Whether the plain reading of a column (``typed``) is settled by its first values' text (``head``)
    alone: it is in range, or the Vietnamese reading already puts as many of those first values out of
    range as the plain reading does in the whole column, so it cannot put more inside. False: the whole
    column's text must decide (_other_reading_better)."""
    if col.type != ColumnType.number or not out_of_range(col, typed):
        return True
    outside = pc.count(typed).as_py() - _in_range(col, typed)
    head = pc.utf8_trim_whitespace(head)  # as the plain reading was made: trimmed, empty is null
    head = pc.if_else(pc.greater(pc.binary_length(head), ZERO), head, NULL_TEXT)
    try:
        vi_head = pc.cast(pc.replace_substring(head, ".", ""), pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return True  # a value with no Vietnamese reading: the plain one stands
    return pc.count(vi_head).as_py() - _in_range(col, vi_head) >= outside


def _strict(col: ColumnSpec, text: pa.ChunkedArray, present: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Arrow's own strict conversion (plain numbers, ISO dates), when every value of the column takes it
    and no value suggests the other number convention; otherwise None and the forgiving rules decide."""
    plain_text = pc.if_else(present, text, pa.nulls(len(text), pa.string()))
    try:
        typed = pc.cast(plain_text, STRICT_TYPES[col.type])
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if col.type == ColumnType.number and pc.any(pc.invert(pc.is_finite(typed))).as_py():
        return None  # 'nan', 'inf', '1e999' are taken by Arrow's cast: the forgiving rules refuse them
    return None if _other_reading_better(col, plain_text, typed) else typed


def _plain_dates(text: pa.ChunkedArray, plain: pa.ChunkedArray, with_time: bool) -> pa.ChunkedArray:
    """ISO values; an impossible date (30 Feb) is null."""
    iso = pc.if_else(plain, pc.replace_substring(text, "T", " "), pa.nulls(len(text), pa.string()))
    return _strptime_exact(iso, "%Y-%m-%d %H:%M:%S" if with_time else "%Y-%m-%d", with_time)


def _forgiving(col: ColumnSpec, text: pa.ChunkedArray | pa.Array,
               conventions: Conventions | None = None) -> pa.ChunkedArray | pa.Array:
    if col.type in (ColumnType.integer, ColumnType.number):
        return _numbers(text, col, conventions)
    if col.type in (ColumnType.date, ColumnType.datetime):
        return _dates(text, col.type == ColumnType.datetime)
    return _booleans(text)


def _mostly_plain(col: ColumnSpec, text: pa.ChunkedArray, present: pa.ChunkedArray,
                  conventions: Conventions | None = None) -> pa.Array | None:
    """A column of plain values with a few others: the plain ones cast strictly, the others through the
    forgiving rules on their own, put back in place. None when more than RESIDUAL_SHARE are not plain."""
    shape = _PLAIN.get(col.type)
    if shape is None:
        return None
    plain = pc.match_substring_regex(text, shape)
    others = pc.and_(present, pc.invert(plain))
    n_others, n_present = pc.sum(others).as_py() or 0, pc.sum(present).as_py() or 0
    if n_others > n_present * RESIDUAL_SHARE:
        return None
    try:
        if col.type in (ColumnType.date, ColumnType.datetime):
            typed = _plain_dates(text, plain, col.type == ColumnType.datetime)
        else:
            plain_text = pc.if_else(plain, text, pa.nulls(len(text), pa.string()))
            typed = pc.cast(plain_text, STRICT_TYPES[col.type])
            if _other_reading_better(col, plain_text, typed):
                return None
            if col.type == ColumnType.number:
                typed = _only_finite(typed)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None  # e.g. an integer beyond 64 bits: the forgiving rules report it
    typed = typed.combine_chunks() if isinstance(typed, pa.ChunkedArray) else typed
    if not n_others:
        return typed
    mask = others.combine_chunks() if isinstance(others, pa.ChunkedArray) else others
    rest = _forgiving(col, pc.filter(text, others), conventions)
    rest = rest.combine_chunks() if isinstance(rest, pa.ChunkedArray) else rest
    return pc.replace_with_mask(typed, mask, rest.cast(typed.type))


def _booleans(text: pa.ChunkedArray) -> pa.ChunkedArray:
    low = pc.utf8_lower(text)
    yes, no = pc.is_in(low, array(YES_WORDS, pa.string())), pc.is_in(low, array(NO_WORDS, pa.string()))
    return pc.if_else(yes, TRUE, pc.if_else(no, FALSE, pa.nulls(len(low), pa.bool_())))


def cast_column(col: ColumnSpec, text: pa.ChunkedArray, rows: pa.ChunkedArray,
                conventions: Conventions | None = None) -> tuple[pa.ChunkedArray, ColumnFailures | None]:
    """``text`` is '' for empty, trimmed and NFC for text and yes/no columns (numbers and dates may
    still hold spaces); ``rows`` the file row number of each value. ``conventions``: a block of a larger
    file (normalise.stream) follows the number convention its earlier blocks showed."""
    present = pc.greater(pc.binary_length(text), ZERO)
    if col.type == ColumnType.string:
        return pc.if_else(present, text, pa.nulls(len(text), pa.string())), None
    vietnamese = (conventions or {}).get(col.name) == "vi"  # then '1.250' is 1250: no plain reading applies
    strict = None if vietnamese else _strict(col, text, present)
    if strict is not None:
        return strict, None
    if col.type in (ColumnType.date, ColumnType.datetime) and isinstance(text, pa.ChunkedArray) and text.num_chunks > 1:
        return _dates_by_chunk(col, text, rows)
    if col.type != ColumnType.boolean:
        text = pc.utf8_trim_whitespace(text)
        present = pc.greater(pc.binary_length(text), ZERO)
        strict = None if vietnamese else _strict(col, text, present)
        if strict is not None:
            return strict, None
    typed = None if vietnamese else _mostly_plain(col, text, present, conventions)
    if typed is None:
        typed = _forgiving(col, text, conventions)
    bad = pc.and_(present, pc.is_null(typed))
    count = pc.sum(bad).as_py() or 0
    if not count:
        return typed, None
    vi, en = EXPECTED[col.type]
    where = pc.indices_nonzero(pc.fill_null(bad, FALSE).combine_chunks() if isinstance(bad, pa.ChunkedArray) else bad)
    first = where[:MAX_EXAMPLES]
    examples = list(zip(pc.take(rows, first).to_pylist(), pc.take(text, first).to_pylist(), strict=True))
    return typed, ColumnFailures(col.name, vi, en, count, examples)


def _dates_by_chunk(col: ColumnSpec, text: pa.ChunkedArray,
                    rows: pa.ChunkedArray) -> tuple[pa.ChunkedArray, ColumnFailures | None]:
    """A date column Arrow's strict cast refuses as a whole, one chunk (a block of the file) at a time: the
    chunks of plain ISO values take the fast cast, and only those holding an odd one ('hôm qua', 30/02,
    dd/mm/yyyy) take the forgiving rules; a fifth of the time of judging the whole column forgivingly.
    Dates have no convention to agree on across chunks, unlike numbers."""
    pieces: list[pa.Array] = []
    failures: ColumnFailures | None = None
    offset = 0
    for chunk in text.chunks:
        typed, bad = cast_column(col, pa.chunked_array([chunk], text.type), rows.slice(offset, len(chunk)))
        offset += len(chunk)
        pieces.extend(typed.chunks if isinstance(typed, pa.ChunkedArray) else [typed])
        if bad is not None:
            failures = failures or ColumnFailures(col.name, bad.expected_vi, bad.expected_en)
            failures.count += bad.count
            failures.examples = (failures.examples + bad.examples)[:MAX_EXAMPLES]
    kind = STRICT_TYPES[col.type]
    return pa.chunked_array([p.cast(kind) for p in pieces], kind), failures
