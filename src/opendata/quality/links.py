"""Sống (live), on the portal side: do the published download links still answer?

Checked on a schedule (the link-check DAG), for every resource of every dataset of the registry that
the portal shows. A link answers when a HEAD (or, where HEAD is refused, a GET) gets a 2xx or 3xx.
The report is kept under <data>/links/ for the stewards and the compliance figures.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

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


@dataclass(frozen=True)
class LinkPolicy:
    """Where the check may go: public addresses only, unless the deployment allows private ones (all, or
    named hosts such as the portal's own); every hop of a redirect is checked; one budget for the run."""

    allow_private: bool = False
    allowed_hosts: tuple[str, ...] = ()
    timeout_s: float = 20
    max_redirects: int = 5
    budget_s: float = 600

    @classmethod
    def from_settings(cls, links, portal_url: str | None = None) -> LinkPolicy:
        hosts = tuple(links.allowed_hosts) + ((urlsplit(portal_url).hostname or "",) if portal_url else ())
        return cls(links.allow_private, hosts, links.timeout_s, links.max_redirects, links.budget_s)


def _refused_address(url: str, policy: LinkPolicy) -> str | None:
    """Why the check must not fetch ``url``: not http(s), or a host that resolves to a private,
    loopback, link-local or otherwise internal address (cloud metadata services among them)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) address"
    if policy.allow_private or parts.hostname in policy.allowed_hosts:
        return None
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   proto=socket.IPPROTO_TCP)
    except OSError:
        return None  # does not resolve: the request itself fails and says so
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if not ip.is_global or ip.is_multicast:
            return f"a private or internal address ({ip})"
    return None


def check_url(dataset: str, resource: str, url: str, policy: LinkPolicy = LinkPolicy(),
              deadline: float | None = None) -> LinkResult:
    """HEAD (GET without reading the body where HEAD is refused), redirects followed by hand so that
    each hop is checked against the policy."""
    started = time.monotonic()
    deadline = started + policy.budget_s if deadline is None else deadline

    def done(status, ok, error=""):
        return LinkResult(dataset, resource, url, status, ok, round(time.monotonic() - started, 3), error)

    current = url
    for _ in range(policy.max_redirects + 1):
        if time.monotonic() > deadline:
            return done(None, False, "not checked: the run's time budget was spent")
        refused = _refused_address(current, policy)
        if refused:
            return done(None, False, f"refused: {refused}")
        timeout = max(0.5, min(policy.timeout_s, deadline - time.monotonic()))
        try:
            r = requests.head(current, timeout=timeout, allow_redirects=False)
            if r.status_code in (405, 501):  # HEAD not supported: a GET, reading nothing of the body
                r = requests.get(current, timeout=timeout, stream=True, allow_redirects=False)
                r.close()
        except requests.RequestException as exc:
            return done(None, False, type(exc).__name__)
        if r.is_redirect and r.headers.get("location"):
            current = urljoin(current, r.headers["location"])
            continue
        return done(r.status_code, r.status_code < 400)
    return done(None, False, f"more than {policy.max_redirects} redirects")


def check_packages(packages: dict[str, dict], workers: int = 8, timeout_s: float = 20,
                   policy: LinkPolicy | None = None) -> list[LinkResult]:
    """``packages``: dataset key → the portal's package dict. One time budget for all of them."""
    policy = policy or LinkPolicy(timeout_s=timeout_s)
    deadline = time.monotonic() + policy.budget_s
    jobs = [(key, r.get("name") or r["id"], r["url"]) for key, pkg in packages.items() for r in pkg.get("resources", [])
            if r.get("url")]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: check_url(*job, policy=policy, deadline=deadline), jobs))


def latest_answers(folder: Path) -> dict[str, bool]:
    """URL → whether it answered, from the newest link report (empty before the first check)."""
    reports = sorted(folder.glob("links-*.json")) if folder.is_dir() else []
    if not reports:
        return {}
    return {r["url"]: bool(r["ok"]) for r in json.loads(reports[-1].read_text(encoding="utf-8"))["results"]}


def write_link_report(results: list[LinkResult], folder: Path, now: datetime) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"links-{now:%Y%m%dT%H%M%S}.json"
    broken = sorted({r.dataset for r in results if not r.ok})
    path.write_text(json.dumps({"checked_at": now.isoformat(), "links": len(results), "broken_datasets": broken,
                                "results": [asdict(r) for r in results]}, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
