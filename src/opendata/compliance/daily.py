"""The compliance DAG's day: the KPI from the ledger, its snapshot for the trend, the reminders due,
and the reports whose period has just ended (and the latest one, always)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import ledger
from ..notify.mail import Smtp, flush_outbox
from ..settings import Settings
from ..spec.loader import load_registry
from .kpi import CityKpi, compute
from .reminders import clear_met, notices, send_reminders
from .reports import Report, write_report


@dataclass
class DayResult:
    cities: list[CityKpi]
    reminders: int
    reports: list[Report]


def cadences_due(now: datetime) -> list[str]:
    """Reports whose period starts today (the one that just ended is complete): monthly on the 1st,
    quarterly on the 1st of Jan/Apr/Jul/Oct, yearly on 1 January."""
    if now.day != 1:
        return []
    return ["monthly"] + (["quarterly"] if now.month in (1, 4, 7, 10) else []) + (["yearly"] if now.month == 1 else [])


def run_day(settings: Settings, now: datetime, smtp: Smtp | None) -> DayResult:
    registry = load_registry(settings.paths.registry)
    engine = ledger.open_ledger(settings.ledger_url())
    cfg = settings.compliance
    cities = compute(registry, ledger.statuses(engine), now, cfg.good_score, cfg.target, thresholds=cfg.thresholds())
    day = now.date().isoformat()
    for city in cities:
        ledger.snapshot(engine, day, [a.summary() for a in city.agencies])
    clear_met(engine, cities)
    sent = send_reminders(engine, smtp, notices(cities, registry, cfg.stewards), now)
    flush_outbox(smtp, settings.paths.data / "outbox")  # receipts whose mail could not be sent at the time
    folder: Path = settings.paths.data / "reports"
    reports = [write_report(city, cadence, now, folder) for city in cities for cadence in cadences_due(now)]
    reports += [write_report(city, "monthly", now, folder / "latest") for city in cities]  # the month so far
    return DayResult(cities, len(sent), reports)
