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
from urllib.parse import urljoin

import requests

from ..outbound import AddressRule, Deadline, Destination, RefusedAddress, guarded_session


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
        hosts = tuple(links.allowed_hosts) + ((Destination.of(portal_url).host,) if portal_url else ())
        return cls(links.allow_private, hosts, links.timeout_s, links.max_redirects, links.budget_s)


def check_url(dataset: str, resource: str, url: str, policy: LinkPolicy = LinkPolicy(),
              deadline: float | None = None) -> LinkResult:
    """HEAD (GET without reading the body where HEAD is refused), redirects followed by hand. Where each
    hop may connect is decided by the connection itself (opendata.outbound), never from the URL's text;
    the whole check of one link, every hop included, ends within the policy's timeout."""
    started = time.monotonic()
    deadline = started + policy.budget_s if deadline is None else deadline

    def done(status, ok, error=""):
        return LinkResult(dataset, resource, url, status, ok, round(time.monotonic() - started, 3), error)

    if time.monotonic() > deadline:
        return done(None, False, "not checked: the run's time budget was spent")
    rule = AddressRule(allow_private=policy.allow_private, allowed_hosts=frozenset(h.lower() for h in policy.allowed_hosts))
    current = url
    with Deadline(max(0.5, min(policy.timeout_s, deadline - time.monotonic()))) as bound:
        session = guarded_session(rule, bound)
        for _ in range(policy.max_redirects + 1):
            try:
                Destination.of(current)
                r = session.head(current, timeout=bound.left() or 0.001, allow_redirects=False)
                if r.status_code in (405, 501):  # HEAD not supported: a GET, reading nothing of the body
                    r = session.get(current, timeout=bound.left() or 0.001, stream=True, allow_redirects=False)
                    r.close()
                location = urljoin(current, r.headers["location"]) if r.is_redirect and r.headers.get("location") else None
            except RefusedAddress as exc:
                return done(None, False, f"refused: {exc}")
            except (requests.RequestException, ValueError) as exc:
                why = f"no answer within {bound.seconds:g} s" if bound.expired else type(exc).__name__
                return done(None, False, why)
            if bound.expired:  # the answer was cut at the deadline: it is no answer
                return done(None, False, f"no answer within {bound.seconds:g} s")
            if location:
                current = location
                continue
            return done(r.status_code, r.status_code < 400)
    return done(None, False, f"more than {policy.max_redirects} redirects")


def check_packages(packages: dict[str, dict], workers: int = 8, timeout_s: float = 20,
                   policy: LinkPolicy | None = None) -> list[LinkResult]:
    """``packages``: dataset key → the portal's package dict. One time budget for all of them."""
    policy = policy or LinkPolicy(timeout_s=timeout_s)
    deadline = time.monotonic() + policy.budget_s
    jobs = [(key, str(r.get("name") or r.get("id")), str(r["url"]))
            for key, pkg in packages.items() for r in pkg.get("resources", []) if r.get("url")]

    def one(job) -> LinkResult:  # one resource's failure, whatever it is, is that resource's result alone
        try:
            return check_url(*job, policy=policy, deadline=deadline)
        except Exception as exc:  # noqa: BLE001 - reported for this link, the others are still checked
            return LinkResult(*job, None, False, 0.0, f"not checked: {type(exc).__name__}")

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))


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
