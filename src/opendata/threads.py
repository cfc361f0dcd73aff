"""Work on several columns (or rules) at once. pyarrow's compute kernels release the GIL, so a thread
per core runs them side by side: a table's columns are independent, and a city's worker has more
than one core. Results come back in the order of the items, so what a stage reports never depends on
which thread finished first."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

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
