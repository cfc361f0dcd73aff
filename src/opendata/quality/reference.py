"""Reference lists for đúng: the city's current administrative units, from vietnam-provinces.

Since July 2025 provinces were merged and wards renamed; codes were reused for other wards, so
values are checked against the current list only (never joined across the reform by code alone).
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=16)
def current_wards(province_code: int) -> tuple[tuple[int, str], ...]:
    from vietnam_provinces import Ward

    return tuple(sorted((int(w.code), w.name) for w in Ward.iter_all() if int(w.province_code) == province_code))
