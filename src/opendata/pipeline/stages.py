"""The stages of one delivery, each ``(spec, ctx, previous stage's result, ...) -> its result``
(``pipeline.results``): the DAG's tasks, a run in one process and the CLI call these same functions.

fetch: the next delivery from the source (the drop zone's oldest complete file, an API, a database).
archive: its bytes kept untouched under their sha256, first.
normalise: archived bytes → typed Parquet + row issues.
check: Parquet → GX → scorecard; a blocking failure quarantines the delivery and raises.
publish: the accepted table → CKAN, idempotently.
record: the run in the ledger, whatever happened.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..archive import ArchivedDelivery, RawArchive
from ..exceptions import ArchiveUnavailable, InputError, QualityGateFailed
from ..issues import Severity
from ..normalise import normalise_file
from ..sources.base import RawDelivery
from ..sources.bundle import read_bundle
from ..sources.connections import Resolver, from_environment
from ..spec.models import Agency, DatasetSpec
from ..vocabulary import Stage
from .context import RunContext
from .receipts import drop_zone, write_agency_receipt
from .results import Checked, Normalised, RunEntry, RunSummary
from .state import DatasetState, merge_by_key, state_ledger

if TYPE_CHECKING:  # the publish stage imports the portal client when it runs, not before
    from ..publish.sync import Publication

log = logging.getLogger(__name__)


def fetch(spec: DatasetSpec, ctx: RunContext, resolve: Resolver) -> RawDelivery | None:
    """The next delivery from the spec's source; None when there is nothing new (an empty drop zone,
    an incremental query with no rows past the watermark)."""
    kind = spec.source.kind
    incoming = ctx.data / "incoming" / spec.city / spec.agency / spec.id
    if kind == "drop_zone":
        from .intake import next_drop

        delivery = next_drop(spec, ctx, drop_zone(ctx), RawArchive(ctx.data / "archive"), incoming)
        return delivery if delivery is not None else unsettled(spec, ctx)
    conn = resolve(spec.source.conn_id)
    try:
        if kind == "http":
            from ..sources.http import fetch_http

            return fetch_http(spec, conn, incoming, ctx.now)
        from ..sources.sql import fetch_sql

        return fetch_sql(spec, conn, incoming, ctx.now, DatasetState.load(ctx, spec).watermark)
    except InputError as exc:  # what the API or database gave cannot be used: the agency gets a receipt too
        _refusal_receipt(spec, ctx, f"{spec.id} ({kind})", ctx.now.isoformat(), exc)
        raise


def archive(spec: DatasetSpec, ctx: RunContext, delivery: RawDelivery) -> ArchivedDelivery:
    """Keep the delivery's bytes untouched under their sha256, before anything else happens to them. A
    full or read-only archive disk is a transient fault: the delivery waits (intake recovers a file
    taken but never archived), nothing downstream runs."""
    store = RawArchive(ctx.data / "archive")
    try:
        if is_bundle(spec, delivery.source_kind, delivery.meta):  # several API pages: each page kept as it came
            bundle = read_bundle(delivery.path.read_bytes(), incoming_root(ctx), delivery.original_name)
            delivery.path.write_text(bundle.with_pages([store.put(p) for p in bundle.pages]).to_json(), encoding="utf-8")
        archived = store.store(spec, delivery)
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT, errno.EROFS):
            raise
        raise ArchiveUnavailable(f"kho lưu trữ không ghi được ({os.strerror(exc.errno)}): chưa xử lý, tệp '"
                                 f"{delivery.original_name}' được giữ lại cho lần chạy sau / the archive cannot keep "
                                 f"'{delivery.original_name}' ({os.strerror(exc.errno)}): nothing processed, it waits "
                                 "for the next run", dataset=spec.key, stage=Stage.archive) from None
    log.info("archived %s as %s (%d bytes)%s", archived.original_name, archived.sha256, archived.size,
             " — the same bytes were delivered before: not processed again" if archived.seen_before else "")
    return archived


def fetch_and_archive(spec: DatasetSpec, ctx: RunContext, resolve: Resolver = from_environment) -> ArchivedDelivery | None:
    """Fetch the next delivery and archive it (the CLI's one step; the DAG runs the two as tasks)."""
    delivery = fetch(spec, ctx, resolve)
    return None if delivery is None else archive(spec, ctx, delivery)


def from_archive(spec: DatasetSpec, ctx: RunContext, sha256: str) -> ArchivedDelivery:
    """An earlier delivery, by its sha256, to go through the gate and onto the portal again (a steward's
    manual re-publish). It is processed even though its bytes are known."""
    from ..exceptions import SourceError

    found = RawArchive(ctx.data / "archive").find(spec.key, sha256)
    if found is None:
        raise SourceError(f"no archived delivery of {spec.key} with sha256 {sha256} / không có trong kho lưu trữ",
                          dataset=spec.key, stage=Stage.archive)
    log.info("re-publishing the archived delivery %s (%s, received %s)", sha256, found.original_name, found.received_at)
    return replace(found, seen_before=False)


def record(spec: DatasetSpec, ctx: RunContext, summary: RunSummary) -> RunEntry:
    """The run in the ledger (opendata.ledger): what happened to which delivery, and the dataset's
    standing when it was published; the KPI, the dashboard and the reminders read it."""
    from ..ledger import open_ledger, record_run

    entry = RunEntry.extending(summary, dataset=spec.key, city=spec.city, agency=spec.agency, run=ctx.run_id,
                        at=ctx.now.isoformat())
    record_run(open_ledger(ctx.settings.ledger_url()), entry.asdict())
    return entry


def _received(table: Normalised, ctx: RunContext) -> datetime:
    """When the delivery arrived (what a spec's `today` bound means), as the archive recorded it."""
    found = datetime.fromisoformat(table.received_at or ctx.now.isoformat())
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def is_repeat(spec: DatasetSpec, ctx: RunContext, archived: ArchivedDelivery) -> bool:
    """The same bytes as an earlier delivery of this dataset that reached an outcome in the ledger: not
    processed twice. Bytes the archive knows but the ledger does not (a run killed after the archive, a
    retried task) are processed again."""
    from ..ledger import open_ledger, settled

    return archived.seen_before and archived.sha256 in settled(open_ledger(ctx.settings.ledger_url()), spec.key)


def unsettled(spec: DatasetSpec, ctx: RunContext) -> RawDelivery | None:
    """The newest delivery the archive kept after the dataset's last settled one that never reached an
    outcome (the run that took it was killed, or failed): taken again from the archive when nothing new
    waits, so a file that left the drop zone is never lost between the archive and the ledger. A newer
    drop goes first (it supersedes), so one delivery that keeps failing never blocks the next."""
    from ..ledger import open_ledger, settled

    store = RawArchive(ctx.data / "archive")
    entries = [e for e in store.entries() if e["dataset"] == spec.key]
    if not entries:
        return None
    done = settled(open_ledger(ctx.settings.ledger_url()), spec.key)
    last = max((i for i, e in enumerate(entries) if e["sha256"] in done), default=-1)
    for entry in reversed(entries[last + 1:]):
        if entry["sha256"] not in done and store.object_path(entry["sha256"]).exists():
            log.warning("%s (sha256 %s…) was archived but never settled: taken again", entry["original_name"],
                        entry["sha256"][:12])
            return RawDelivery(entry["source_kind"], entry["original_name"], store.object_path(entry["sha256"]),
                               datetime.fromisoformat(entry["received_at"]), dict(entry.get("meta") or {}))
    return None


def incoming_root(ctx: RunContext) -> Path:
    """Where the sources write what they fetched, before the archive keeps it."""
    return ctx.data / "incoming"


def is_bundle(spec: DatasetSpec, source_kind: str, meta: dict) -> bool:
    """A bundle of API pages is what the HTTP source said it made: never decided by a file's name."""
    return spec.source.kind == "http" and source_kind == "http" and bool(meta.get("bundle"))


def normalise(spec: DatasetSpec, ctx: RunContext, archived: ArchivedDelivery) -> Normalised:
    pages_root = (RawArchive(ctx.data / "archive").root / "objects"
                  if is_bundle(spec, archived.source_kind, archived.meta) else None)
    try:
        table = normalise_file(spec, Path(archived.path), archived.original_name, ctx.staging(spec), pages_root)
    except InputError as exc:
        _quarantine_unreadable(spec, ctx, archived, exc)
        raise
    log.info("normalised %d rows (%s), %d type problems", table.rows, table.encoding, len(table.issues))
    rows = table.rows
    current = DatasetState.load(ctx, spec).current
    if archived.meta.get("incremental") and current and Path(current).exists():
        rows = merge_by_key(Path(current), table.parquet, spec.primary_key)
        log.info("merged the new rows into the published table by %s: %d rows", spec.primary_key, rows)
    return Normalised(sha256=archived.sha256, original_name=archived.original_name,
                      received_at=archived.received_at or ctx.now.isoformat(), parquet=table.parquet, rows=rows,
                      encoding=table.encoding, issues=tuple(table.issues), type_failures=table.type_failures,
                      dropped_rows=table.dropped_rows, seconds=table.seconds, meta=archived.meta)


def check(spec: DatasetSpec, ctx: RunContext, table: Normalised, province_code: int | None = None,
          on_receipt: Callable[[Path, Path, bool], None] | None = None) -> Checked:
    """Run every rule; write the scorecard and the agency's receipt (handed to ``on_receipt``, e.g. to
    e-mail it); quarantine and raise on a blocking failure."""
    import pyarrow.parquet as pq

    from ..quality.gate import judge
    from ..quality.receipt import receipt_dict
    from ..quality.report_html import write_html

    current = DatasetState.load(ctx, spec).current
    previous_rows = pq.read_metadata(current).num_rows if current and Path(current).exists() else None
    card, suite_run = judge(spec, table.parquet, table.sha256, list(table.issues),
                            table.type_failures, province_code=province_code, previous_rows=previous_rows,
                            now=ctx.now, expectations_dir=ctx.settings.paths.expectations,
                            docs_dir=ctx.data / "docs" / spec.city / spec.agency / spec.id,
                            delivered_at=_received(table, ctx))
    out = table.parquet.with_suffix(".scorecard.json")
    out.write_text(json.dumps(card.asdict(), ensure_ascii=False, indent=1), encoding="utf-8")
    told = receipt_dict(spec.key, spec.title.vi, table.original_name, card.accepted, card.scores, card.overall, card.issues,
                        table.received_at)
    receipt = write_agency_receipt(spec, ctx, table.original_name, table.received_at, told)
    log.info("receipt for the agency: %s", receipt.markdown)
    report_html = write_html(told, ctx.now.isoformat(timespec="seconds"),
                             table.parquet.with_suffix(".quality.html"))
    if on_receipt is not None:
        on_receipt(receipt.markdown, receipt.json, card.accepted)
    if not card.accepted:
        _quarantine(spec, ctx, table, out)
        blocking = [i for i in card.issues if i.severity is Severity.blocking]
        first = "; ".join(f"dòng/row {i.row}, cột/column {i.column}: {i.message_vi} / {i.message_en}" for i in blocking[:5])
        failure = QualityGateFailed(
            f"{table.original_name}: {len(blocking)} lỗi chặn / blocking problem(s); nothing published. {first}",
            dataset=spec.key, stage=Stage.check, run=ctx.run_id,
        )
        failure.receipt = str(receipt.json)
        raise failure
    checked = Checked.extending(table, scorecard=out, receipt=receipt.json, report_html=report_html,
                             data_docs=suite_run.docs_page or None, scores=card.scores, overall=card.overall,
                             warnings=sum(1 for i in card.issues if i.severity is Severity.warning))
    from ..ledger import carry_accepted

    carry_accepted(state_ledger(ctx.settings), spec.key, checked.asdict(), ctx.now)  # what `opendata publish` publishes
    return checked


def latest_accepted(spec: DatasetSpec, ctx: RunContext) -> Checked | None:
    """The latest delivery that passed the gate, as the ledger keeps it (ledger.DatasetCarry)."""
    from ..ledger import carry

    row = carry(state_ledger(ctx.settings), spec.key)
    return Checked.from_dict(row.accepted) if row and row.accepted else None


def _refusal_receipt(spec: DatasetSpec, ctx: RunContext, name: str, received: str, exc: InputError) -> None:
    from ..quality.receipt import receipt_dict

    write_agency_receipt(spec, ctx, name, received,
                         receipt_dict(spec.key, spec.title.vi, name, False, {}, None, [], received, error=exc.message))


def _quarantine_unreadable(spec: DatasetSpec, ctx: RunContext, archived: ArchivedDelivery, exc: InputError) -> None:
    """An unreadable delivery is kept with its error; its bytes are in the archive already."""
    _refusal_receipt(spec, ctx, archived.original_name, archived.received_at or ctx.now.isoformat(), exc)
    target = ctx.quarantine(spec) / archived.sha256
    target.mkdir(parents=True, exist_ok=True)
    (target / "error.json").write_text(json.dumps({
        "dataset": spec.key, "run": ctx.run_id, "stage": Stage.normalise.value, "accepted": False,
        "original_name": archived.original_name, "archived_at": archived.path, "error": exc.message,
    }, ensure_ascii=False, indent=1), encoding="utf-8")


def _quarantine(spec: DatasetSpec, ctx: RunContext, table: Normalised, scorecard: Path) -> None:
    """Keep the rejected delivery with its scorecard; the raw bytes stay in the archive regardless."""
    target = ctx.quarantine(spec) / table.sha256
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(scorecard, target / "scorecard.json")
    (target / "delivery.json").write_text(json.dumps({k: v for k, v in table.asdict().items() if k != "issues"},
                                                     ensure_ascii=False, indent=1), encoding="utf-8")


def publish(spec: DatasetSpec, agency: Agency, city, ctx: RunContext, checked: Checked, access) -> Publication:
    """Put the accepted delivery on the portal (publish.sync) with the agency's own token (``access``,
    a publish.client.PortalAccess); then remember it as the table now published."""
    from ..publish.client import CkanClient
    from ..publish.mapping import Quality
    from ..publish.sync import Delivery, Publisher

    state = DatasetState.load(ctx, spec)
    delivery = Delivery(
        table=checked.parquet, archive_sha256=checked.sha256,
        quality=Quality(checked.overall, checked.scores or {}, checked.warnings),
        now=ctx.now, report_html=checked.report_html,
        previous_table=Path(state.current) if state.current else None)
    publisher = Publisher(CkanClient(access), city, agency, access.url, good_score=ctx.settings.compliance.good_score)
    result = publisher.publish(spec, delivery, ctx.staging(spec) / "publish")
    log.info("%s %s at %s", result.outcome, spec.ckan_name, result.url)
    if result.outcome == "unchanged":
        log.info("content unchanged (sha256 %s): nothing uploaded", result.content_sha256)
    state.published(ctx, spec, checked.parquet, checked.meta)
    return result
