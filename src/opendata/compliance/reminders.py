"""Reminders, each sent once: to the agency when a dataset becomes due (before it is overdue) and when
it is overdue; to the stewards when it becomes delinquent, or when an agency drops below the target.

"Once" is kept in the ledger (table ``reminders``, unique per kind, subject and the refresh it is
about): a new refresh starts the cycle again; the same state never mails twice. An agency back at
its target clears its below-target mark, so a later drop is reported again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .. import ledger
from ..notify.mail import Smtp, send
from ..spec.loader import Registry
from ..vocabulary import REMINDER_WORDS, RefreshState
from .kpi import CityKpi


@dataclass(frozen=True)
class Notice:
    kind: str  # due | overdue | delinquent | below_target
    subject: str  # dataset key or agency code
    marker: str  # last refresh it is about; the agency's good-dataset count for below_target
    to: list[str]
    title: str
    body: str


def notices(cities: list[CityKpi], registry: Registry, stewards: list[str]) -> list[Notice]:
    """What the current figures call for (before de-duplication)."""
    out = []
    for city in cities:
        agencies = {a.code: a for a in registry.cities[city.city].agencies}
        for a in city.agencies:
            agency_mail = [str(agencies[a.agency].email)] if agencies[a.agency].email else []
            for d in a.datasets:
                if d.refresh_state not in REMINDER_WORDS:
                    continue
                vi, en = REMINDER_WORDS[d.refresh_state]
                to = stewards if d.refresh_state is RefreshState.delinquent else agency_mail
                if not to:
                    continue
                body = (f"Bộ dữ liệu \"{d.title}\" ({d.dataset}) {vi}: lần cập nhật gần nhất {d.last_refreshed_at}, "
                        f"tần suất cam kết: {d.frequency}. Vui lòng gửi dữ liệu mới.\n\n"
                        f"Dataset \"{d.title}\" ({d.dataset}) {en}: last refreshed {d.last_refreshed_at}, "
                        f"promised frequency: {d.frequency}. Please send current data.\n\n{d.url or ''}")
                out.append(Notice(d.refresh_state, d.dataset, d.last_refreshed_at or "", to,
                                  f"[Dữ liệu mở / Open data] {d.title}: {vi} / {en}", body))
            if not a.meets and a.published and stewards:
                body = (f"{a.name_vi} có {a.good} bộ dữ liệu đạt chuẩn và còn mới, dưới chỉ tiêu {a.target}.\n\n"
                        f"{a.name_en} keeps {a.good} high-quality, fresh open datasets: below the target of {a.target}.")
                out.append(Notice("below_target", a.agency, "below", stewards,
                                  f"[Dữ liệu mở / Open data] {a.name_vi}: dưới chỉ tiêu / below target", body))
    return out


def clear_met(engine, cities: list[CityKpi]) -> None:
    """An agency back on target may be reminded again the next time it falls below."""
    ledger.forget_reminders(engine, "below_target", [a.agency for c in cities for a in c.agencies if a.meets])


def send_reminders(engine, smtp: Smtp | None, found: list[Notice], now: datetime) -> list[Notice]:
    """Send what was not sent before; returns what went out. Without SMTP nothing is sent (or recorded)."""
    sent = []
    if smtp is None:
        return sent
    for notice in found:
        if not ledger.claim_reminder(engine, notice.kind, notice.subject, notice.marker, ", ".join(notice.to), now):
            continue  # sent before
        send(smtp, ", ".join(notice.to), notice.title, notice.body)
        sent.append(notice)
    return sent
