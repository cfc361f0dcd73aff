"""Two ways through a table's columns that cost less than touching every cell on one core, shared by the
normalise and check stages.

- Side by side: pyarrow's compute kernels release the GIL, so a thread per core works on several
  columns (or rules) at once. Results come back in the order of the items, so what a stage reports
  never depends on which thread finished first.
- Through their distinct values: a long column with few of them (wards, statuses, station codes) is
  scanned once per distinct value, a sample deciding."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc

Item = TypeVar("Item")
Result = TypeVar("Result")


def workers() -> int:
    """The cores this process may use (its CPU affinity, which a container's cpuset limits)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def in_parallel(work: Callable[[Item], Result], items: Iterable[Item]) -> list[Result]:
    """``work`` on each item, a thread per core, results in the items' order; the first error is raised."""
    items = list(items)
    n = min(workers(), len(items))
    if n <= 1:
        return [work(i) for i in items]
    with ThreadPoolExecutor(max_workers=n, thread_name_prefix="opendata-columns") as pool:
        return list(pool.map(work, items))


DISTINCT_SAMPLE = 10_000  # the first values looked at to decide whether a column has few distinct ones


def has_few_distinct(values: pa.ChunkedArray | pa.Array) -> bool:
    """A column long enough for its distinct values to pay (4 samples), with at most one distinct value in
    ten in its first DISTINCT_SAMPLE."""
    return len(values) >= 4 * DISTINCT_SAMPLE and \
        len(pc.unique(values.slice(0, DISTINCT_SAMPLE))) <= DISTINCT_SAMPLE // 10
