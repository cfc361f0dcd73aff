"""The agencies' standing from the run ledger: the KPI now, at a moment, or as a trend."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from ..settings import load_settings
from ..spec.loader import load_registry


def kpi(args: argparse.Namespace) -> int:
    """The KPI now (or --at), from the run ledger: per agency, or one agency's datasets."""
    import csv
    import io
    import json

    from rich.console import Console
    from rich.table import Table

    from .. import ledger
    from ..compliance.kpi import compute, dataset_rows

    console = Console()
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    now = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    engine = ledger.open_ledger(settings.ledger_url())
    cities = compute(reg, ledger.statuses(engine), now, settings.compliance.good_score, settings.compliance.target, args.city,
                     settings.compliance.thresholds())
    if args.trend:
        return kpi_trend(console, engine, [c.city for c in cities], args.trend, args.format)
    if args.agency:
        agencies = [a for c in cities for a in c.agencies if a.agency == args.agency]
        if not agencies:
            console.print(f"[red]không có đơn vị / no agency '{args.agency}'[/red]")
            return 3
        rows = [r for c in cities for r in dataset_rows(c) if r["agency"] == args.agency]
    else:
        rows = [a.summary() for c in cities for a in c.agencies]
    if args.format == "json":
        body = {"at": now.isoformat(), "cities": [c.summary() for c in cities]} if not args.agency else \
            {"at": now.isoformat(), "agency": agencies[0].summary(), "datasets": rows}
        print(json.dumps(body, ensure_ascii=False, indent=1, default=str))
    elif args.format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["agency"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: (json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v) for k, v in r.items()}
                         for r in rows)
        print(out.getvalue(), end="")
    elif args.agency:
        a = agencies[0]
        table = Table(title=f"{a.name_vi} / {a.name_en}: {a.good}/{a.target} {'đạt / meets' if a.meets else 'chưa đạt / below'}")
        for col in ("bộ dữ liệu / dataset", "điểm / score", "cập nhật / refresh", "lần cuối / last refresh",
                    "nội dung / content", "đạt / good"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["dataset"], "" if r["overall"] is None else f"{r['overall']:.1f}", r["refresh_state"],
                          (r["last_refreshed_at"] or "")[:10], f"{r['content_currency']} {r['content_newest'] or ''}".strip(),
                          "✓" if r["good"] else "✗")
        console.print(table)
    else:
        for c in cities:
            table = Table(title=f"{c.city}: {sum(a.meets for a in c.agencies)}/{len(c.agencies)} đơn vị đạt chỉ tiêu / "
                                f"agencies meet the target ({c.share_meeting:.0%})")
            for col in ("đơn vị / agency", "công bố / published", "chất lượng / high quality", "còn mới / fresh",
                        "đạt / good", "chỉ tiêu / target"):
                table.add_column(col)
            for a in c.agencies:
                table.add_row(f"{a.agency} {a.name_vi}", str(a.published), str(a.high_quality), str(a.fresh),
                              str(a.good), f"{'✓' if a.meets else '✗'} {a.target}")
            console.print(table)
    return 0


def kpi_trend(console, engine, cities: list[str], by: str, fmt: str) -> int:
    import json

    from rich.table import Table

    from .. import ledger

    trends = {city: ledger.trend(engine, city, by) for city in cities}
    if fmt == "json":
        print(json.dumps({"by": by, "cities": trends}, ensure_ascii=False, indent=1))
        return 0
    for city, points in trends.items():
        table = Table(title=f"{city}: xu hướng KPI / KPI trend ({by})")
        for col in ("kỳ / period", "ngày / day", "đạt / meeting", "đơn vị / agencies", "tỉ lệ / share"):
            table.add_column(col)
        for p in points:
            table.add_row(p["period"], p["day"], str(p["meeting"]), str(p["agencies"]), f"{p['share']:.0%}")
        console.print(table)
    return 0
