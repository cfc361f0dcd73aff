"""One dataset's delivery from the terminal: fetch to normalise, an agency's pre-check, the publish stage, the
whole run."""

from __future__ import annotations

import argparse
import shutil
from datetime import UTC, datetime
from pathlib import Path

from ..settings import load_settings
from .common import cli_context, for_dataset


def normalise_command(args: argparse.Namespace) -> int:
    """Fetch (or take FILE), archive untouched, normalise; print what happened. Publishes nothing."""
    from rich.table import Table

    from ..exceptions import InputError, OpendataError
    from ..pipeline import stages
    from ..sources.base import RawDelivery

    found = for_dataset(args.dataset)
    if found is None:
        return 3
    console, settings, spec, _ = found
    ctx = cli_context(settings)
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
            from ..archive import RawArchive

            archived = RawArchive(ctx.data / "archive").store(spec, RawDelivery("cli", src.name, copy, now))
        else:
            archived = stages.fetch_and_archive(spec, ctx)
            if archived is None:
                console.print(f"Không có dữ liệu mới / nothing new for {spec.key}")
                return 0
        console.print(f"Lưu trữ / archived: [bold]{archived.original_name}[/bold] sha256 {archived.sha256[:16]}… "
                      f"({archived.size:,} bytes){' — đã nhận trước đây / seen before' if archived.seen_before else ''}")
        table = stages.normalise(spec, ctx, archived)
    except InputError as exc:
        console.print(f"[red]Không đọc được / cannot read:[/red] {exc.message}")
        return 2
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3
    console.print(f"{spec.key}: {table.rows:,} dòng / rows, mã ký tự / encoding {table.encoding}")
    if table.issues:
        summary = Table(title="Lỗi kiểu dữ liệu / values that do not fit their column")
        for col in ("dòng/row", "cột/column", "giá trị/value", "lỗi/problem"):
            summary.add_column(col)
        for issue in table.issues[:20]:
            summary.add_row(str(issue.row or ""), issue.column or "", str(issue.value or ""),
                            f"{issue.message_vi} / {issue.message_en}")
        console.print(summary)
    console.print(f"Bảng chuẩn hóa / normalised table: {table.parquet}")
    if table.dropped_rows:
        console.print(f"Bỏ {table.dropped_rows} dòng tiêu đề/chân trang / dropped {table.dropped_rows} footer row(s)")
    return 1 if table.issues else 0


def check_command(args: argparse.Namespace) -> int:
    """An agency's pre-check: read, normalise and run the gate on FILE, print the receipt. Nothing is
    archived or published. Exit 0 accepted, 1 rejected, 2 the file cannot be used, 3 setup problem."""
    import tempfile

    from rich.markdown import Markdown
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from ..exceptions import InputError, OpendataError

    found = for_dataset(args.dataset)
    if found is None:
        return 3
    console, settings, spec, reg = found
    path = Path(args.file)
    if not path.is_file():
        console.print(f"[red]không có tệp / no such file: {path}[/red]")
        return 2
    received = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory() as tmp, Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                                         TimeElapsedColumn(), console=console, transient=True) as bar:
        try:
            step = bar.add_task(f"Đọc và chuẩn hóa / reading {path.name} ({path.stat().st_size / 2**20:.1f} MiB)")
            from ..normalise import normalise_for_check

            table, rows = normalise_for_check(spec, path, path.name, Path(tmp))
            bar.update(step, description=f"Kiểm tra chất lượng / checking {table.rows:,} rows")
            receipt = gate(spec, reg.cities[spec.city].province_code, table, rows, path.name, received)
        except InputError as exc:
            from ..quality.receipt import receipt_dict

            receipt = receipt_dict(spec.key, spec.title.vi, path.name, False, {}, None, [], received, error=exc.message)
            code = 2
        except OpendataError as exc:
            console.print(f"[red]{exc}[/red]")
            return 3
        else:
            code = 0 if receipt["accepted"] else 1
    from ..quality.receipt import render_markdown

    console.print(Markdown(render_markdown(receipt)))
    return code


def publish_command(args: argparse.Namespace) -> int:
    """The publish stage alone: the dataset's latest accepted delivery (or, with --sha256, an archived one
    through the gate again) onto the portal, with the agency's own connection
    (AIRFLOW_CONN_CKAN_<CITY>_<AGENCY>) or the platform's."""

    from ..exceptions import OpendataError
    from ..pipeline import stages
    from ..publish.access import access_for
    from ..sources.connections import from_environment

    found = for_dataset(args.dataset)
    if found is None:
        return 3
    console, settings, spec, reg = found
    city = reg.cities[spec.city]
    agency = city.agency(spec.agency)
    ctx = cli_context(settings)
    from ..exceptions import QualityGateFailed, SourceError

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
                      f"run its DAG or `opendata run` first[/red]")
        return 1
    try:
        result = stages.publish(spec, agency, city, ctx, checked, access_for(agency, city, from_environment, settings))
    except OpendataError as exc:
        console.print(f"[red]{exc}[/red]")
        return 3 if not exc.transient else 4
    console.print(f"{result.outcome}: {result.url} (sha256 {result.content_sha256[:16]}…)")
    return 0


def run_command(args: argparse.Namespace) -> int:
    """The dataset's whole flow in this process (pipeline.once), with the agency's own portal connection;
    ``--at`` runs it on an earlier day's clock (replaying a delivery on the day it came), never ahead of
    now nor before the dataset's last recorded run, so the ledger's history stays in order."""

    from .. import ledger
    from ..exceptions import OpendataError
    from ..pipeline.context import RunContext
    from ..pipeline.once import run_once
    from ..publish.access import access_for
    from ..sources.connections import from_environment
    from ..vocabulary import FAILED

    found = for_dataset(args.dataset)
    if found is None:
        return 3
    console, settings, spec, reg = found
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
    console.print(f"{spec.key}: {entry.outcome.value}" + (f" — {entry.error}" if entry.error else "")
                  + (f" {entry.url}" if entry.url else ""))
    return 1 if entry.outcome in FAILED else 0


def gate(spec, province_code: int, table, rows, file_name: str, received: str) -> dict:
    """The receipt of a normalised delivery (``table``, its description; ``rows``, its Parquet file or table)."""
    from ..quality.gate import judge
    from ..quality.receipt import receipt_dict

    settings = load_settings()
    card, _ = judge(spec, rows, "-", list(table.issues), table.type_failures, province_code=province_code,
                    previous_rows=None, now=datetime.now(UTC), expectations_dir=settings.paths.expectations)
    return receipt_dict(spec.key, spec.title.vi, file_name, card.accepted, card.scores, card.overall, card.issues, received)
