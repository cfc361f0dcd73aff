"""Property-based fuzzing (hypothesis) of every reader and the check entry point: whatever the bytes, the
outcome is a receipt, within bounded time and memory, reading nothing outside the delivery
(tests/fuzz/harness.py says how each is checked).

``make test`` runs a short, derandomised run (the same inputs each time: CI stays reproducible);
``make fuzz`` runs thousands of random ones and the coverage-guided fuzzer, and what they find is
kept in tests/fuzz/findings/, replayed here by every run.
"""

from __future__ import annotations

import io
import json
import os
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.corpus.make_corpus import HEADER, SAMPLE, _xlsx
from tests.fuzz.harness import SUFFIXES, check_bytes

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FINDINGS = Path(__file__).parent / "findings"
RUN = settings(max_examples=EXAMPLES, deadline=None, derandomize=os.environ.get("FUZZ_RANDOM") != "1",
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
               database=None)
OUTCOMES = {"accepted", "rejected", "unreadable"}

# Cells as agencies and attackers write them: Vietnamese, control and invisible characters, quotes,
# separators, formula signs, legacy-font letters, numbers' odd spellings.
CELL = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợ ,;\"'\t\r\n=+-@＝\u200b\ufeff\x00\x0bÔÕ¸µ0123456789.eE", max_size=40),
    st.sampled_from(["NaN", "Infinity", "-inf", "1e999", "99999999999999999999", "1.234,5", "1,234.5", "--", "N/A",
                     "2026-02-30", "30/02/2026", "2026-12-07T09:00:00+07:00", "Phường Hải Châu", "DN-RG-0001", ""]),
)
HEADERS = st.one_of(st.just(HEADER), st.permutations(HEADER), st.lists(st.text(max_size=20), max_size=12))


def _csv_bytes(header: list[str], rows: list[list[str]], sep: str, end: str, encoding: str) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator=end).writerows([header, *rows])
    return out.getvalue().encode(encoding, errors="replace")


CSV = st.builds(_csv_bytes, HEADERS, st.lists(st.lists(CELL, max_size=12), max_size=30), st.sampled_from([",", ";", "\t", "|"]),
                st.sampled_from(["\n", "\r\n", "\r"]), st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1"]))

JSON_VALUE = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), CELL),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.sampled_from(HEADER) | st.text(max_size=8), inner,
                                                                         max_size=8)),
    max_leaves=60)
RECORDS = st.lists(st.fixed_dictionaries({}, optional={h: JSON_VALUE for h in HEADER}), max_size=25)
JSON = st.one_of(RECORDS.map(lambda r: json.dumps(r, ensure_ascii=False)),
                 RECORDS.map(lambda r: json.dumps({"data": r})), JSON_VALUE.map(json.dumps)).map(str.encode)

GRID_CELL = st.one_of(st.none(), CELL, st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False),
                      st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.booleans())
GRID = st.lists(st.lists(GRID_CELL, max_size=12), max_size=30)


def _clean(value):
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _xlsx_bytes(header: list[str], grid: list[list]) -> bytes:
    return _xlsx([[_clean(h) for h in header], *[[_clean(v) for v in row] for row in grid]])


def _xls_bytes(header: list[str], grid: list[list]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Sheet1")
    for r, row in enumerate([header, *grid]):
        for c, value in enumerate(row[:250]):
            if isinstance(value, date) and not isinstance(value, datetime):
                value = datetime(value.year, value.month, value.day)
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
                value = str(value)
            if isinstance(value, str):
                value = value[:32_000]
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _mutated(seed: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """``seed`` with byte edits: (where, what: 0 replace, 1 insert, 2 delete, 3 repeat a slice, byte)."""
    data = bytearray(seed)
    for where, what, byte in edits:
        at = where % max(len(data), 1)
        if what == 0 and data:
            data[at] = byte
        elif what == 1:
            data.insert(at, byte)
        elif what == 2 and data:
            del data[at]
        elif what == 3 and data:
            data[at:at] = data[at:at + byte % 64] * (1 + byte % 7)
    return bytes(data)


SEEDS = {".csv": SAMPLE.read_bytes(), ".xlsx": None, ".json": None}
EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 3), st.integers(0, 255)), min_size=1, max_size=12)


def _seed(suffix: str) -> bytes:
    if SEEDS.get(suffix) is None:
        from tests.corpus.make_corpus import _records, _rows

        rows = _rows()
        SEEDS[".xlsx"] = _xlsx(rows)
        SEEDS[".json"] = json.dumps(_records(rows), ensure_ascii=False).encode()
    return SEEDS[suffix]


def judged(data: bytes, suffix: str) -> None:
    assert check_bytes(data, suffix) in OUTCOMES


@RUN
@given(st.binary(max_size=4096), st.sampled_from(SUFFIXES))
def test_random_bytes_in_every_format(data, suffix) -> None:
    judged(data, suffix)


@RUN
@given(CSV)
def test_csv_of_hostile_cells_separators_and_encodings(data) -> None:
    judged(data, ".csv")


@RUN
@given(JSON)
def test_json_of_any_shape(data) -> None:
    judged(data, ".json")


@RUN
@given(HEADERS, GRID)
def test_workbooks_of_any_cells(header, grid) -> None:
    judged(_xlsx_bytes(header, grid), ".xlsx")
    judged(_xls_bytes(header, grid), ".xls")


@RUN
@given(st.sampled_from([".csv", ".xlsx", ".json"]), EDITS)
def test_real_deliveries_with_bytes_changed(suffix, edits) -> None:
    judged(_mutated(_seed(suffix), edits), suffix)


def test_every_finding_of_the_fuzzers_stays_fixed() -> None:
    findings = sorted(p for p in FINDINGS.iterdir() if p.suffix in SUFFIXES)
    assert findings, "tests/fuzz/findings/ holds what the fuzzers found (make fuzz adds to it)"
    for finding in findings:
        judged(finding.read_bytes(), finding.suffix)


def test_the_harness_catches_what_it_must() -> None:
    """The invariants can fail: an exception that is not a receipt, a read outside the delivery."""
    from opendata.normalise import table as table_module
    from tests.fuzz import harness

    real = table_module.table_of_delivery

    def leaky(spec, path, name):
        Path("/etc/hostname").read_bytes()  # a reader that follows a reference out of the delivery
        return real(spec, path, name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("opendata.normalise.table_of_delivery", leaky)
        with pytest.raises(harness.Broken, match="outside the delivery"):
            check_bytes(SAMPLE.read_bytes(), ".csv")
        patch.setattr("opendata.normalise.table_of_delivery", lambda *a: {}["boom"])
        with pytest.raises(harness.Broken, match="KeyError escaped"):
            check_bytes(SAMPLE.read_bytes(), ".csv")
