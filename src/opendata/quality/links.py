"""Sống (live), on the portal side: do the published download links still answer?

Checked on a schedule (the link-check DAG), for every resource of every dataset of the registry that
the portal shows. A link answers when a HEAD (or, where HEAD is refused, a GET) gets a 2xx or 3xx.
The report is kept under <data>/links/ for the stewards and the compliance figures.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import requests


@dataclass(frozen=True)
class LinkResult:
    dataset: str
    resource: str
    url: str
    status: int | None  # None: no answer at all (refused, timeout, DNS)
    ok: bool
    seconds: float
    error: str = ""


def check_url(dataset: str, resource: str, url: str, timeout_s: float = 20) -> LinkResult:
    started = time.monotonic()
    try:
        r = requests.head(url, timeout=timeout_s, allow_redirects=True)
        if r.status_code in (405, 501):  # HEAD not supported: a GET, reading nothing of the body
            r = requests.get(url, timeout=timeout_s, stream=True, allow_redirects=True)
            r.close()
        return LinkResult(dataset, resource, url, r.status_code, r.status_code < 400, round(time.monotonic() - started, 3))
    except requests.RequestException as exc:
        return LinkResult(dataset, resource, url, None, False, round(time.monotonic() - started, 3), type(exc).__name__)


def check_packages(packages: dict[str, dict], workers: int = 8, timeout_s: float = 20) -> list[LinkResult]:
    """``packages``: dataset key → the portal's package dict."""
    jobs = [(key, r.get("name") or r["id"], r["url"]) for key, pkg in packages.items() for r in pkg.get("resources", [])
            if r.get("url")]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: check_url(*job, timeout_s=timeout_s), jobs))


def write_report(results: list[LinkResult], folder: Path, now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"links-{now:%Y%m%dT%H%M%S}.json"
    broken = sorted({r.dataset for r in results if not r.ok})
    path.write_text(json.dumps({"checked_at": now.isoformat(), "links": len(results), "broken_datasets": broken,
                                "results": [asdict(r) for r in results]}, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
