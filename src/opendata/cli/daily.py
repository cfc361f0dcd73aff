"""The platform's daily jobs from the terminal, the same functions the platform DAGs run
(pipeline.platform): the link check, the compliance day, the pages' refresh states."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from ..settings import load_settings
from ..sources.connections import from_environment
from .common import agency_connections


def links_check(args: argparse.Namespace) -> int:
    """Every download link the portal shows: 0 when all answer, 1 when any does not."""
    from ..pipeline.platform import check_links

    settings = load_settings()
    result = check_links(settings, settings.ckan.url, datetime.now(UTC))
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.format == "json" else
          f"{result['links']} liên kết / links of {result['datasets']} datasets; không trả lời / not answering: "
          f"{', '.join(result['broken']) or 'none'} (report: {result['report']})")
    return 1 if result["broken"] else 0


def compliance_run(args: argparse.Namespace) -> int:
    """The compliance day: KPI snapshot, reminders (SMTP from AIRFLOW_CONN_SMTP_DEFAULT), reports, and
    the KPI delivered to each city's own open dataset; then, with --pages, each page's refresh state."""
    from ..notify.mail import smtp_from
    from ..pipeline.platform import compliance_day, refresh_pages

    settings = load_settings()
    now = datetime.now(UTC)
    out = {"day": compliance_day(settings, now, smtp_from(from_environment))}
    if args.pages:
        agency_connections(args.connections)
        out["pages"] = refresh_pages(settings, now, from_environment)
    if args.format == "json":
        print(json.dumps(out, ensure_ascii=False, indent=1, default=str))
    else:
        day = out["day"]
        for city in day["cities"]:
            print(f"{city['city']}: {city['agencies_meeting']}/{city['agencies']} đơn vị đạt / agencies meet the target")
        print(f"nhắc nhở / reminders sent: {day['reminders']}; báo cáo / reports: {len(day['reports'])}; "
              f"KPI delivered to: {', '.join(day['delivered']) or 'none'}")
        if "pages" in out:
            print(f"trang cập nhật / pages updated: {len(out['pages']['changed'])}, unchanged {out['pages']['unchanged']}, "
                  f"failed {len(out['pages']['failed'])}")
    return 1 if out.get("pages", {}).get("failed") else 0
