"""The platform's own daily jobs, one function each: the link check, the compliance day (KPI, reminders,
reports, and the KPI delivered to the city's own open dataset) and the pages' refresh states. The
platform DAGs call them with Airflow's clock and connections, the CLI with its own."""

from __future__ import annotations

import logging
from datetime import datetime

from ..settings import Settings
from ..sources.connections import Resolver
from ..spec.loader import load_registry

log = logging.getLogger(__name__)


def check_links(settings: Settings, portal_url: str, now: datetime) -> dict:
    """Every download link the portal shows for the registry's datasets, as the public reaches them; the
    report goes under <data>/links/."""
    from pydantic import SecretStr

    from ..publish.client import CkanClient, PortalAccess
    from ..quality.links import LinkPolicy, check_packages, write_link_report

    registry = load_registry(settings.paths.registry)
    public = CkanClient(PortalAccess(portal_url, SecretStr("")), retries=2)  # no token: what the public sees
    packages = {key: pkg for key, spec in registry.datasets.items()
                if (pkg := public.public_show("package_show", spec.ckan_name)) is not None}
    results = check_packages(packages, policy=LinkPolicy.from_settings(settings.links, portal_url))
    report = write_link_report(results, settings.paths.data / "links", now)
    for r in results:
        if not r.ok:
            log.warning("link does not answer: %s %s (%s %s)", r.dataset, r.url, r.status, r.error)
    return {"datasets": len(packages), "links": len(results), "broken": sorted({r.dataset for r in results if not r.ok}),
            "report": str(report)}


def compliance_day(settings: Settings, now: datetime, smtp) -> dict:
    """The KPI, its snapshot, reminders and reports (compliance.daily); then each city's latest KPI put
    in the drop folder of its own open dataset, to go through the same gate as any agency's data."""
    from ..compliance.daily import run_day
    from ..compliance.reports import REPORT_DATASET, write_open_csv
    from ..sources.dropzone import DropZone

    result = run_day(settings, now, smtp)
    registry = load_registry(settings.paths.registry)
    delivered = []
    for city in result.cities:
        spec = next((s for s in registry.datasets.values() if s.city == city.city and s.id == REPORT_DATASET), None)
        if spec is not None:
            folder = DropZone(settings.paths.dropzone_root).folder(spec)
            delivered.append(str(write_open_csv(city, folder / f"{REPORT_DATASET}-{now:%Y%m%d}.csv")))
    return {"cities": [c.summary() for c in result.cities], "reminders": result.reminders,
            "reports": [str(r.xlsx) for r in result.reports], "delivered": delivered}


def refresh_pages(settings: Settings, now: datetime, resolve: Resolver) -> dict:
    """Every published dataset's page tells today's refresh state and its metadata quality (publish.refresh);
    the metadata quality is kept in the ledger for the KPI's rows, the reports and the dashboard."""
    from ..compliance.kpi import compute
    from ..ledger import open_ledger, record_mqa, statuses
    from ..publish.refresh import show_refresh_states

    registry = load_registry(settings.paths.registry)
    cfg = settings.compliance
    engine = open_ledger(settings.ledger_url())
    cities = compute(registry, statuses(engine), now, cfg.good_score, cfg.target, thresholds=cfg.thresholds())
    update = show_refresh_states(cities, registry, resolve, settings)
    record_mqa(engine, update.mqa)
    return update.asdict()
