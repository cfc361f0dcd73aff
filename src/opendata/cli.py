"""``opendata``: the stages from the command line, the same code the DAGs run.

Exit codes: 0 done, 1 the data was rejected, 2 the input could not be used, 3 a setup problem.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from .settings import PROJECT_ROOT, load_settings
from .spec.loader import load_registry


def spec_validate(_: argparse.Namespace) -> int:
    """Exactly the loader the DAG files use; exit 1 when any spec has a problem."""
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    for problem in reg.problems:
        print(f"LỖI / ERROR  {problem}", file=sys.stderr)
    print(f"{len(reg.datasets)} dataset spec(s) valid in {len(reg.cities)} city(ies); {len(reg.problems)} problem(s)")
    return 1 if reg.problems else 0


def ingest(args: argparse.Namespace) -> int:
    """Fetch (or take FILE), archive untouched, normalise; print what happened. Publishes nothing."""
    from rich.console import Console
    from rich.table import Table

    from .exceptions import InputError, OpendataError
    from .pipeline import stages
    from .sources.base import RawDelivery

    console = Console()
    settings = load_settings()
    found = _spec_or_none(console, settings, args.dataset)
    if found is None:
        return 3
    spec, _ = found
    ctx = _cli_context(settings)
    now = ctx.now
    try:
        if args.file:
            src = Path(args.file)
            if not src.is_file():
                console.print(f"[red]không có tệp / no such file: {src}[/red]")
                return 2
            incoming = ctx.data / "incoming" / spec.city / spec.agency / spec.id
            incoming.mkdir(parents=True, exist_ok=True)
            copy = incoming / f"{now:%Y%m%dT%H%M%S}-{src.name}"
            shutil.copyfile(src, copy)
            from .archive import RawArchive

            archived = RawArchive(ctx.data / "archive").store(spec, RawDelivery("cli", src.name, copy, now)).asdict()
        else:
            archived = stages.ingest(spec, ctx)
            if archived is None:
                console.print(f"Không có dữ liệu mới / nothing new for {spec.key}")
                return 0
        console.print(f"Lưu trữ / archived: [bold]{archived['original_name']}[/bold] sha256 {archived['sha256'][:16]}… "
                      f"({archived['size']:,} bytes){' — đã nhận trước đây / seen before' if archived['seen_before'] else ''}")
        table = stages.normalise(spec, ctx, archived)
    except InputError as exc:
        console.print(f"[red]Không đọc được / cannot read:[/red] {exc.message}")
        return 2
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    console.print(f"{spec.key}: {table['rows']:,} dòng / rows, mã ký tự / encoding {table['encoding']}")
    if table["issues"]:
        summary = Table(title="Lỗi kiểu dữ liệu / values that do not fit their column")
        for col in ("dòng/row", "cột/column", "giá trị/value", "lỗi/problem"):
            summary.add_column(col)
        for issue in table["issues"][:20]:
            summary.add_row(str(issue["row"] or ""), issue["column"] or "", str(issue["value"] or ""),
                            f"{issue['message_vi']} / {issue['message_en']}")
        console.print(summary)
    console.print(f"Bảng chuẩn hóa / normalised table: {table['parquet']}")
    if table["dropped_rows"]:
        console.print(f"Bỏ {table['dropped_rows']} dòng tiêu đề/chân trang / dropped {table['dropped_rows']} footer row(s)")
    return 1 if table["issues"] else 0


def check(args: argparse.Namespace) -> int:
    """An agency's pre-check: read, normalise and run the gate on FILE, print the receipt. Nothing is
    archived or published. Exit 0 accepted, 1 rejected, 2 the file cannot be used, 3 setup problem."""
    import tempfile

    from rich.console import Console
    from rich.markdown import Markdown
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from .exceptions import InputError, OpendataError

    console = Console()
    settings = load_settings()
    found = _spec_or_none(console, settings, args.dataset)
    if found is None:
        return 3
    spec, reg = found
    path = Path(args.file)
    if not path.is_file():
        console.print(f"[red]không có tệp / no such file: {path}[/red]")
        return 2
    received = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory() as tmp, Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                                         TimeElapsedColumn(), console=console, transient=True) as bar:
        try:
            step = bar.add_task(f"Đọc và chuẩn hóa / reading {path.name} ({path.stat().st_size / 2**20:.1f} MiB)")
            from .normalise import normalise_file

            table = normalise_file(spec, path, path.name, Path(tmp))
            bar.update(step, description=f"Kiểm tra chất lượng / checking {table.rows:,} rows")
            receipt = _gate(spec, reg.cities[spec.city].province_code, table, path.name, received)
        except InputError as exc:
            from .quality.receipt import receipt_dict

            receipt = receipt_dict(spec.key, spec.title.vi, path.name, False, {}, None, [], received, error=exc.message)
            code = 2
        except OpendataError as exc:
            console.print(f"[red]{exc}[/red]")
            return 3
        else:
            code = 0 if receipt["accepted"] else 1
    from .quality.receipt import render_markdown

    console.print(Markdown(render_markdown(receipt)))
    return code


def publish(args: argparse.Namespace) -> int:
    """The publish stage alone: the dataset's latest accepted delivery (or, with --sha256, an archived one
    through the gate again) onto the portal, with the agency's own connection
    (AIRFLOW_CONN_CKAN_<CITY>_<AGENCY>) or the platform's."""
    from rich.console import Console

    from .exceptions import OpendataError
    from .pipeline import stages
    from .publish.access import access_for
    from .sources.connections import from_environment

    console = Console()
    settings = load_settings()
    found = _spec_or_none(console, settings, args.dataset)
    if found is None:
        return 3
    spec, reg = found
    city = reg.cities[spec.city]
    agency = city.agency(spec.agency)
    ctx = _cli_context(settings)
    from .exceptions import QualityGateFailed, SourceError

    if args.sha256:  # a steward's re-publish of an archived delivery: through the gate again, then out
        try:
            archived = stages.from_archive(spec, ctx, args.sha256)
            checked = stages.check(spec, ctx, stages.normalise(spec, ctx, archived), city.province_code)
        except SourceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            return 2
        except QualityGateFailed as exc:
            console.print(f"[red]{exc.message}[/red]")
            return 1
    else:
        checked = stages.latest_accepted(spec, ctx)
    if checked is None:
        console.print(f"[red]Chưa có lần nộp nào đạt kiểm tra / no accepted delivery of {spec.key} yet: "
                      f"run its DAG or `opendata ingest` and `opendata check` first[/red]")
        return 1
    try:
        result = stages.publish(spec, agency, city, ctx, checked, access_for(agency, city, from_environment, settings))
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3 if not exc.transient else 4
    console.print(f"{result['outcome']}: {result['url']} (sha256 {result['content_sha256'][:16]}…)")
    return 0


def run(args: argparse.Namespace) -> int:
    """The dataset's whole flow in this process (pipeline.once), with the agency's own portal connection;
    ``--at`` runs it on an earlier day's clock (replaying a delivery on the day it came), never ahead of
    now nor before the dataset's last recorded run, so the ledger's history stays in order."""
    from rich.console import Console

    from .compliance import ledger
    from .exceptions import OpendataError
    from .pipeline.context import RunContext
    from .pipeline.once import run_once
    from .pipeline.outcome import FAILED_OUTCOMES
    from .publish.access import access_for
    from .sources.connections import from_environment

    console = Console()
    settings = load_settings()
    found = _spec_or_none(console, settings, args.dataset)
    if found is None:
        return 3
    spec, reg = found
    city = reg.cities[spec.city]
    now = datetime.now(UTC)
    try:
        at = datetime.fromisoformat(args.at) if args.at else now
    except ValueError:
        console.print(f"[red]--at không phải thời điểm ISO / is not an ISO time: {args.at!r}[/red]")
        return 2
    if at.tzinfo is None:
        console.print("[red]--at cần múi giờ / --at needs a time zone, e.g. 2026-08-20T09:00:00+07:00[/red]")
        return 2
    last = ledger.statuses(ledger.open_ledger(settings.ledger_url())).get(spec.key)
    last_run = last.last_run_at.replace(tzinfo=last.last_run_at.tzinfo or UTC) if last and last.last_run_at else None
    if at > now or (last_run and at < last_run):
        console.print(f"[red]--at {at.isoformat()} phải nằm giữa lần chạy trước và hiện tại / must lie between the "
                      f"dataset's last run ({last_run.isoformat() if last_run else 'none'}) and now[/red]")
        return 2
    ctx = RunContext.create(run_id=f"cli-{at:%Y%m%dT%H%M%S}", now=at, settings=settings)
    try:
        entry = run_once(spec, city, ctx, from_environment,
                         lambda: access_for(city.agency(spec.agency), city, from_environment, settings))
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 4
    console.print(f"{spec.key}: {entry['outcome']}" + (f" — {entry['error']}" if entry.get("error") else "")
                  + (f" {entry['url']}" if entry.get("url") else ""))
    return 1 if entry["outcome"] in FAILED_OUTCOMES else 0


def portal_provision(args: argparse.Namespace) -> int:
    """Groups, organizations and a least-privilege publisher per agency, with the platform's sysadmin token
    (OPENDATA__CKAN__TOKEN). Agency tokens go to FILE (Airflow `connections import` format, mode 600)."""
    from rich.console import Console

    from .exceptions import OpendataError
    from .publish.client import CkanClient, PortalAccess
    from .publish.provision import provision

    console = Console()
    settings = load_settings()
    if settings.ckan.token is None:
        console.print("[red]OPENDATA__CKAN__TOKEN (a sysadmin token) is needed to provision the portal[/red]")
        return 3
    reg = load_registry(settings.paths.registry)
    try:
        report = provision(CkanClient(PortalAccess(settings.ckan.url, settings.ckan.token)), reg, Path(args.tokens_file))
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    console.print(f"{len(report.groups)} nhóm / groups, {len(report.organizations)} tổ chức / organizations, "
                  f"{len(report.users)} tài khoản đăng dữ liệu / publishers ({len(report.new_tokens)} new token(s)); "
                  f"connections in {args.tokens_file}: `airflow connections import {args.tokens_file}`")
    return 0


def catalogue_dcat(args: argparse.Namespace) -> int:
    """The portal's catalogue as DCAT-AP 3, from ckanext-dcat's endpoint (``/catalog.<format>``, every page
    merged into one graph): the same document the national portal harvests."""
    from rich.console import Console

    from .exceptions import OpendataError
    from .publish.catalogue import fetch_catalogue

    console = Console(stderr=True)
    settings = load_settings()
    try:
        graph, pages = fetch_catalogue(settings.ckan.url)
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    text = graph.serialize(format={"ttl": "turtle", "jsonld": "json-ld", "xml": "xml"}[args.format])
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        console.print(f"{len(graph)} bộ ba / triples from {pages} trang / page(s) of {settings.ckan.url}/catalog → {args.out}")
    else:
        print(text)
    return 0


def archive_verify(args: argparse.Namespace) -> int:
    """Every archived object hashed again against the manifest: 0 when all are whole, 1 otherwise."""
    import json

    from .archive.store import RawArchive

    check = RawArchive(load_settings().paths.data / "archive").verify()
    if args.format == "json":
        print(json.dumps(check.asdict(), indent=1))
    else:
        print(f"kho lưu trữ / archive: {check.verified} object(s) whole; missing {len(check.missing)}, "
              f"corrupt {len(check.corrupt)}, not in the manifest {len(check.unlisted)}, "
              f"torn manifest lines skipped {check.torn_lines}")
        for label, shas in (("thiếu / missing", check.missing), ("hỏng / corrupt", check.corrupt)):
            for sha in shas:
                print(f"  {label}: {sha}")
    return 0 if check.ok else 1


def reconcile(args: argparse.Namespace) -> int:
    """Every open dataset's portal page against the ledger: 0 when they agree, 1 when drift remains."""
    import json

    from rich.console import Console
    from rich.table import Table

    from .compliance import ledger
    from .pipeline.reconcile import reconcile as compare
    from .sources.connections import from_environment

    console = Console()
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    tokens = Path(args.connections)
    if tokens.is_file():  # the agencies' own publishers, as `opendata portal provision` wrote them
        from .publish.provision import as_environment

        os.environ.update({k: v for k, v in as_environment(tokens).items() if k not in os.environ})
    result = compare(reg, ledger.open_ledger(settings.ledger_url()), datetime.now(UTC), settings, from_environment,
                     args.city, repair=args.repair, remove_unrecorded=args.repair)
    if args.format == "json":
        print(json.dumps(result.asdict(), ensure_ascii=False, indent=1))
    else:
        for done in result.repaired:
            console.print(f"đã sửa / repaired: {done['dataset']}: {done['action']} ({done['why']})")
        if result.drift:
            table = Table(title=f"Sai lệch cổng / sổ — portal drift ({len(result.drift)} of {result.checked} datasets checked)")
            for column in ("dataset", "sai lệch / drift", "cổng / portal", "sổ / ledger"):
                table.add_column(column)
            for d in result.drift:
                row = d.asdict()
                table.add_row(d.dataset, row["label"], d.portal, d.ledger)
            console.print(table)
        else:
            console.print(f"không sai lệch / no drift: {result.checked} datasets on the portal match the ledger")
    return 1 if result.drift else 0


def kpi(args: argparse.Namespace) -> int:
    """The KPI now (or --at), from the run ledger: per agency, or one agency's datasets."""
    import csv
    import io
    import json

    from rich.console import Console
    from rich.table import Table

    from .compliance import ledger
    from .compliance.kpi import compute, dataset_rows

    console = Console()
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    now = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
    engine = ledger.open_ledger(settings.ledger_url())
    cities = compute(reg, ledger.statuses(engine), now, settings.compliance.good_score, settings.compliance.target, args.city,
                     settings.compliance.thresholds())
    if args.trend:
        return _trend(console, engine, [c.city for c in cities], args.trend, args.format)
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


def _trend(console, engine, cities: list[str], by: str, fmt: str) -> int:
    import json

    from rich.table import Table

    from .compliance import ledger

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


def _gate(spec, province_code: int, table, file_name: str, received: str) -> dict:
    from .quality.gate import judge
    from .quality.receipt import receipt_dict

    settings = load_settings()
    card, _ = judge(spec, table.parquet, "-", list(table.issues), table.type_failures, province_code=province_code,
                    previous_rows=None, now=datetime.now(UTC), expectations_dir=settings.paths.expectations)
    return receipt_dict(spec.key, spec.title.vi, file_name, card.accepted, card.scores, card.overall, card.issues, received)


def _cli_context(settings):
    """A run context for a command-line run: now, and a run id that says so."""
    from .pipeline.context import RunContext

    now = datetime.now(UTC)
    return RunContext.create(run_id=f"cli-{now:%Y%m%dT%H%M%S}", now=now, settings=settings)


def _spec_or_none(console, settings, key: str):
    """The spec and its registry, or None after saying which datasets exist."""
    reg = load_registry(settings.paths.registry)
    try:
        return reg.get(key), reg
    except KeyError as exc:
        console.print(f"[red]{exc.args[0]}[/red]")
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="opendata", description="Open-data platform / Nền tảng dữ liệu mở")
    sub = parser.add_subparsers(dest="command", required=True)
    spec = sub.add_parser("spec", help="dataset specifications").add_subparsers(dest="spec_command", required=True)
    spec.add_parser("validate", help="check every spec in the registry").set_defaults(func=spec_validate)
    ing = sub.add_parser("ingest", help="fetch or take a file, archive it, normalise it (publishes nothing)")
    ing.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    ing.add_argument("file", nargs="?", help="a file to ingest instead of the dataset's source")
    ing.set_defaults(func=ingest)
    chk = sub.add_parser("check", help="pre-check a file against a dataset's rules and print the receipt (nothing kept)")
    chk.add_argument("file")
    chk.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    chk.set_defaults(func=check)
    pub = sub.add_parser("publish", help="publish the dataset's latest accepted delivery (the publish stage alone)")
    pub.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    pub.add_argument("--sha256", help="re-publish this archived delivery (through the gate again) instead of the latest")
    pub.set_defaults(func=publish)
    rn = sub.add_parser("run", help="the dataset's whole flow in this process, onto the portal and into the ledger")
    rn.add_argument("--dataset", required=True, help="dataset key (city.agency.id) or id")
    rn.add_argument("--at", help="ISO time with zone to run at (an earlier delivery on its own day; default: now)")
    rn.set_defaults(func=run)
    portal = sub.add_parser("portal", help="the CKAN portal").add_subparsers(dest="portal_command", required=True)
    prov = portal.add_parser("provision", help="groups, organizations and one publisher per agency (sysadmin token)")
    prov.add_argument("--tokens-file", default=str(PROJECT_ROOT / ".dev" / "ckan" / "agency-connections.json"),
                      help="where the agency connections go (mode 600; default under the git-ignored .dev/)")
    prov.set_defaults(func=portal_provision)
    cat = sub.add_parser("catalogue", help="the city catalogue").add_subparsers(dest="catalogue_command", required=True)
    dcat = cat.add_parser("dcat", help="the portal's DCAT-AP 3 catalogue (ckanext-dcat), as the national portal harvests it")
    dcat.add_argument("--format", choices=("ttl", "jsonld", "xml"), default="ttl")
    dcat.add_argument("--out", help="file to write (default: standard output)")
    dcat.set_defaults(func=catalogue_dcat)
    arc = sub.add_parser("archive", help="the raw archive").add_subparsers(dest="archive_command", required=True)
    ver = arc.add_parser("verify", help="hash every archived object again against the manifest (exit 1 if any is "
                         "missing or corrupt)")
    ver.add_argument("--format", choices=("text", "json"), default="text")
    ver.set_defaults(func=archive_verify)
    rc = sub.add_parser("reconcile", help="the portal against the ledger: drift per dataset (exit 1 while any remains)")
    rc.add_argument("--city", help="one city")
    rc.add_argument("--format", choices=("table", "json"), default="table")
    rc.add_argument("--connections", default=str(PROJECT_ROOT / ".dev" / "ckan" / "agency-connections.json"),
                    help="the agency connections file of `opendata portal provision` (used when it exists; "
                    "AIRFLOW_CONN_* in the environment win)")
    rc.add_argument("--repair", action="store_true", help="republish from the archive what is missing or inconsistent, "
                    "remove what the platform did not put there (or the ledger never published), then compare again")
    rc.set_defaults(func=reconcile)
    k = sub.add_parser("kpi", help="the agencies' KPI from the run ledger (≥ 10 high-quality, fresh open datasets)")
    k.add_argument("--agency", help="one agency's datasets")
    k.add_argument("--city", help="one city")
    k.add_argument("--format", choices=("table", "json", "csv"), default="table")
    k.add_argument("--at", help="ISO time to compute at (default: now)")
    k.add_argument("--trend", choices=("week", "month"), help="the share of agencies meeting the target per week or month "
                   "(the daily snapshots of the compliance DAG)")
    k.set_defaults(func=kpi)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
