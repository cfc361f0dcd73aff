"""Columns worked on side by side come back in their own order, whichever thread finishes first, and a
failure in one is raised, not lost; a column's distinct values are used only where they are few."""

from __future__ import annotations

import threading
import time

import pytest

from opendata import columns as threads


def test_results_keep_the_items_order_although_the_first_item_finishes_last(monkeypatch) -> None:
    monkeypatch.setattr(threads, "workers", lambda: 4)
    seen: set[str] = set()

    def slow_first(i: int) -> int:
        seen.add(threading.current_thread().name)
        time.sleep(0.2 if i == 0 else 0.01)
        return i * i

    assert threads.in_parallel(slow_first, range(6)) == [0, 1, 4, 9, 16, 25]
    assert len(seen) > 1  # really on several threads


def test_an_error_in_one_item_is_raised(monkeypatch) -> None:
    monkeypatch.setattr(threads, "workers", lambda: 2)

    def fails_on_three(i: int) -> int:
        if i == 3:
            raise ValueError("column 3 is broken")
        return i

    with pytest.raises(ValueError, match="column 3"):
        threads.in_parallel(fails_on_three, range(5))


def test_one_core_runs_in_the_callers_thread(monkeypatch) -> None:
    monkeypatch.setattr(threads, "workers", lambda: 1)
    assert threads.in_parallel(lambda _: threading.current_thread().name, range(3)) == [threading.current_thread().name] * 3


def test_distinct_values_are_used_only_for_a_long_column_that_has_few() -> None:
    import pyarrow as pa

    wards = pa.chunked_array([pa.array([f"Phường {i % 17}" for i in range(50_000)])])
    phones = pa.chunked_array([pa.array([f"0236{i:07d}" for i in range(50_000)])])
    short = pa.chunked_array([pa.array(["a"] * 100)])
    assert [threads.has_few_distinct(c) for c in (wards, phones, short)] == [True, False, False]
