"""normalise.casting: a date column the strict cast refuses is judged chunk by chunk, and gives exactly
what judging the whole column forgivingly gives: the same values, count, and first examples in file order."""

from __future__ import annotations

import pyarrow as pa
import pytest

from opendata.issues import MAX_EXAMPLES
from opendata.normalise.casting import cast_column
from tests.factories import small_spec

OPENED_ON = small_spec().column("opened_on")
PLAIN = [f"2024-01-{d:02d}" for d in range(1, 29)]


def both_ways(chunks: list[list[str]]):
    rows = pa.chunked_array([pa.array(range(2, 2 + sum(map(len, chunks))), pa.int64())])
    by_chunk = cast_column(OPENED_ON, pa.chunked_array([pa.array(c, pa.string()) for c in chunks]), rows)
    whole = cast_column(OPENED_ON, pa.chunked_array([pa.array(sum(chunks, []), pa.string())]), rows)
    return by_chunk, whole


def test_odd_dates_in_one_chunk_are_read_as_the_whole_column_reads_them() -> None:
    odd = ["hôm qua", "30/02/2024", "05/03/2024", " 2024-02-01 ", "", "2024/02/03"]
    (values, failures), (want, want_failures) = both_ways([PLAIN, PLAIN[:10] + odd, PLAIN])
    assert values.type == want.type == pa.date32()
    assert values.to_pylist() == want.to_pylist()
    assert str(values[28 + 12]) == "2024-03-05"  # dd/mm/yyyy, in the chunk that took the forgiving rules
    assert (failures.count, failures.examples) == (want_failures.count, want_failures.examples) == \
        (2, [(2 + 28 + 10, "hôm qua"), (2 + 28 + 11, "30/02/2024")])


def test_failures_in_several_chunks_are_all_counted_and_the_first_examples_kept() -> None:
    chunks = [PLAIN[:5] + ["sai"] * 3 for _ in range(2 * MAX_EXAMPLES)]
    (values, failures), (want, want_failures) = both_ways(chunks)
    assert values.to_pylist() == want.to_pylist()
    assert failures.count == want_failures.count == 3 * 2 * MAX_EXAMPLES
    assert failures.examples == want_failures.examples and len(failures.examples) == MAX_EXAMPLES
    assert failures.examples[3][0] == 2 + 8 + 5  # the second chunk's first bad row, numbered in the file


@pytest.mark.parametrize("kind", ["date", "datetime"])
def test_plain_chunks_stay_plain(kind: str) -> None:
    column = OPENED_ON.model_copy(update={"type": kind})
    text = pa.chunked_array([pa.array(PLAIN), pa.array(PLAIN)])
    values, failures = cast_column(column, text, pa.chunked_array([pa.array(range(56), pa.int64())]))
    assert failures is None and values.null_count == 0 and len(values) == 56


@pytest.mark.parametrize(("values", "want"), [
    (["1.250", "2.500", "15.5", "3.750"] * 50, [1250.0, 2500.0, 155.0, 3750.0] * 50),  # thousands: that reading wins
    (["12.5", "15.5", "20.25"] * 50 + ["99999.0"], [12.5, 15.5, 20.25] * 50 + [99999.0]),  # one outlier stays plain
])
def test_the_vietnamese_reading_of_out_of_range_numbers_is_judged_the_same_from_a_sample(values, want, monkeypatch) -> None:
    """Out-of-range plain numbers may be '1.250' meaning 1250. The first VI_SAMPLE values may settle it
    (the second case: 2,025 is out of range already in the first three); whatever the sample's size, the
    column is read the same."""
    from opendata.normalise import casting

    column = small_spec().column("beds").model_copy(update={"type": "number", "minimum": 10, "maximum": 5000 if
                                                            values[0] == "1.250" else 200})
    text = pa.chunked_array([pa.array(values)])
    rows = pa.chunked_array([pa.array(range(len(values)), pa.int64())])
    readings = []
    for sample in (1, 3, 10_000):
        monkeypatch.setattr(casting, "VI_SAMPLE", sample)
        readings.append(cast_column(column, text, rows)[0].to_pylist())
    assert readings[0] == readings[1] == readings[2] == want
