"""The ledger's one repository: every query and every write of the run ledger, through SQLAlchemy
(SQLite by default, PostgreSQL in production). ``open_ledger`` brings a database up to date (Alembic,
ledger/migrations) before use; its operational errors become one transient error here."""

from __future__ import annotations

from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path

from pydantic import SecretStr
from sqlalchemy import create_engine, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..exceptions import TransientError
from ..vocabulary import REFRESHING, SETTLED
from .models import AnnouncedDrops, DatasetCarry, DatasetStatus, KpiSnapshot, Reminder, RunRecord


def claim_reminder(engine: Engine, kind: str, subject: str, marker: str, recipients: str, at: datetime) -> bool:
    """The reminder recorded before it is sent, so two runs at once cannot both send it: False when it
    was claimed before (sent already)."""
    from sqlalchemy.exc import IntegrityError

    with Session(engine) as session:
        try:
            with session.begin():
                session.add(Reminder(kind=kind, subject=subject, marker=marker, recipients=recipients, sent_at=at))
        except IntegrityError:
            return False
    return True


def forget_reminders(engine: Engine, kind: str, subjects: list[str]) -> None:
    """Reminders of ``kind`` about ``subjects`` forgotten, so a later state of theirs is told again."""
    from sqlalchemy import delete

    if subjects:
        with Session(engine) as session, session.begin():
            session.execute(delete(Reminder).where(Reminder.kind == kind, Reminder.subject.in_(subjects)))


def migrate(url: str) -> None:
    """Bring the database to the newest schema (Alembic). Task processes on several workers open a
    fresh ledger at once: for SQLite they take turns on a lock file beside it (PostgreSQL takes an
    advisory lock in migrations/env.py), so no two create the tables together."""
    from alembic import command

    cfg = _alembic_config(url)
    if not url.startswith("sqlite:///"):
        command.upgrade(cfg, "head")
        return
    import fcntl

    database = Path(url.removeprefix("sqlite:///"))
    database.parent.mkdir(parents=True, exist_ok=True)
    with open(database.with_name(database.name + ".migrate-lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        command.upgrade(cfg, "head")


def _alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


SQLITE_BUSY_TIMEOUT_S = 60  # record tasks of many runs write at once; a writer waits its turn, never fails
LOCK_TIMEOUT_S = 60  # the same bound on PostgreSQL: a ledger locked for longer is a fault, not a wait forever


class LedgerUnavailable(TransientError):
    """The ledger cannot be read or written now (locked past the wait, its server stopped): the run stops
    before it claims anything, the delivery stays unsettled, and the next run (or Airflow's retry) does it."""


@contextmanager
def _reachable(dataset: str | None = None):
    """SQLAlchemy's operational errors (a lock, a refused connection) become one transient error with a
    message in both languages; the URL and its password are never part of it."""
    try:
        yield
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0][:200] if exc.orig else type(exc).__name__
        raise LedgerUnavailable(f"sổ theo dõi không dùng được lúc này ({reason}): chưa ghi gì, lần chạy sau sẽ làm lại / "
                                f"the ledger is unavailable ({reason}): nothing recorded, the next run does it again",
                                dataset=dataset, stage="record") from None


def _engine(url: str) -> Engine:
    if url.startswith("postgresql"):
        return create_engine(url, future=True, pool_pre_ping=True, connect_args={
            "connect_timeout": 10, "options": f"-c lock_timeout={LOCK_TIMEOUT_S * 1000}"})
    if not url.startswith("sqlite:///"):
        return create_engine(url, future=True, pool_pre_ping=True)
    from sqlalchemy import event

    engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _wal(dbapi_connection, _record) -> None:  # readers (the dashboard) never block the writers
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    return engine


_ready: set[str] = set()


def open_ledger(secret_url: SecretStr | str) -> Engine:
    """The ledger's engine (migrated once per process). The URL is a secret: SQLAlchemy masks its
    password in every message, and it is never logged here."""
    url = secret_url.get_secret_value() if isinstance(secret_url, SecretStr) else secret_url
    if url not in _ready:
        with _reachable():
            migrate(url)
        _ready.add(url)
    return _engine(url)


def _utc(moment: datetime) -> datetime:
    """Kept in UTC: SQLite drops the zone of what it stores, so a local time would read back hours off."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def record_run(engine: Engine, entry: dict) -> None:
    """The run, and the dataset's standing when the delivery was published (or confirmed unchanged)."""
    at = _utc(datetime.fromisoformat(entry["at"]))
    newest = date.fromisoformat(entry["content_newest"][:10]) if entry.get("content_newest") else None
    with _reachable(entry["dataset"]), Session(engine) as session, session.begin():
        session.add(RunRecord(
            run_id=entry["run"], dataset=entry["dataset"], city=entry["city"], agency=entry["agency"], at=at,
            outcome=entry["outcome"], sha256=entry.get("sha256"), original_name=entry.get("original_name"),
            overall=entry.get("overall"), scores=entry.get("scores"), warnings=entry.get("warnings"),
            url=entry.get("url"), receipt=entry.get("receipt"), error=entry.get("error"), content_newest=newest,
            content_sha256=entry.get("content_sha256"), rows=entry.get("rows")))
        status = session.get(DatasetStatus, entry["dataset"]) or DatasetStatus(
            dataset=entry["dataset"], city=entry["city"], agency=entry["agency"], published=False)
        status.last_run_at, status.last_outcome = at, entry["outcome"]
        if entry.get("receipt"):
            status.receipt = entry["receipt"]
        if entry["outcome"] in REFRESHING:
            status.published, status.url, status.last_refreshed_at = True, entry.get("url"), at
            status.overall, status.scores = entry.get("overall"), entry.get("scores")
            status.content_newest = newest
            status.content_sha256, status.rows = entry.get("content_sha256"), entry.get("rows")
            status.archive_sha256 = entry.get("sha256")
        session.merge(status)


def settled(engine: Engine, dataset: str) -> set[str]:
    """The sha256 of every delivery of the dataset whose run reached an outcome (published, unchanged,
    quarantined, unreadable). Bytes only archived (a worker killed after the archive, a retried task, a
    run that failed on the portal) are not settled: they go through again, so no delivery is lost."""
    with _reachable(dataset), Session(engine) as session:
        q = select(RunRecord.sha256).where(RunRecord.dataset == dataset,
                                           RunRecord.outcome.in_(sorted(o.value for o in SETTLED))).distinct()
        return {sha for sha in session.scalars(q) if sha}


def record_mqa(engine: Engine, scores: dict[str, dict]) -> None:
    """The metadata quality of each dataset's portal page (dataset key → MqaScore.asdict())."""
    with Session(engine) as session, session.begin():
        for dataset, score in scores.items():
            status = session.get(DatasetStatus, dataset)
            if status is not None:
                status.mqa = score


def statuses(engine: Engine) -> dict[str, DatasetStatus]:
    with Session(engine) as session:
        return {s.dataset: s for s in session.scalars(select(DatasetStatus))}


def runs(engine: Engine, dataset: str | None = None, limit: int = 50) -> list[RunRecord]:
    with Session(engine) as session:
        q = select(RunRecord).order_by(RunRecord.at.desc(), RunRecord.id.desc()).limit(limit)
        if dataset:
            q = q.where(RunRecord.dataset == dataset)
        return list(session.scalars(q))


def snapshot(engine: Engine, day: str, rows: list[dict]) -> None:
    """Today's KPI per agency (``rows``: AgencyKpi.summary()), replacing an earlier one of the same day."""
    with Session(engine) as session, session.begin():
        for r in rows:
            session.merge(KpiSnapshot(day=day, agency=r["agency"], city=r["city"], published=r["published"],
                                      high_quality=r["high_quality"], fresh=r["fresh"], good=r["good"], meets=r["meets"]))


def trend(engine: Engine, city: str, by: str = "month") -> list[dict]:
    """The share of agencies meeting the target per week or month (the last snapshot of each period)."""
    with Session(engine) as session:
        snaps = list(session.scalars(select(KpiSnapshot).where(KpiSnapshot.city == city).order_by(KpiSnapshot.day)))
    last_day: dict[str, str] = {}
    for s in snaps:
        d = datetime.fromisoformat(s.day)
        period = f"{d:%Y-%m}" if by == "month" else f"{d.isocalendar().year}-W{d.isocalendar().week:02d}"
        last_day[period] = s.day
    out = []
    for period, day in sorted(last_day.items()):
        rows = [s for s in snaps if s.day == day]
        out.append({"period": period, "day": day, "agencies": len(rows), "meeting": sum(r.meets for r in rows),
                    "share": round(sum(r.meets for r in rows) / len(rows), 4) if rows else 0.0,
                    "good": sum(r.good for r in rows)})
    return out


# ------------------------------------------------------------------ what a dataset carries between runs


def carry(engine: Engine, dataset: str) -> DatasetCarry | None:
    """The dataset's watermark, current table and latest accepted delivery, or None before its first."""
    with _reachable(dataset), Session(engine, expire_on_commit=False) as session:
        return session.get(DatasetCarry, dataset)


def carry_published(engine: Engine, dataset: str, current_table: str, watermark=None, *, keep_watermark: bool) -> None:
    """After a publish: the table now on the portal and, unless ``keep_watermark``, the SQL watermark."""
    with _reachable(dataset), Session(engine) as session, session.begin():
        row = session.get(DatasetCarry, dataset) or DatasetCarry(dataset=dataset)
        row.current_table = current_table
        if not keep_watermark:
            row.watermark = watermark
        session.merge(row)


def carry_accepted(engine: Engine, dataset: str, accepted: dict, at: datetime) -> None:
    """The latest delivery that passed the gate (Checked.asdict()), replacing the one before."""
    with _reachable(dataset), Session(engine) as session, session.begin():
        row = session.get(DatasetCarry, dataset) or DatasetCarry(dataset=dataset)
        row.accepted, row.accepted_at = accepted, _utc(at)
        session.merge(row)


def announced(engine: Engine) -> dict[str, list[str]]:
    """dataset key → the drop markers the watcher has announced."""
    with _reachable(), Session(engine) as session:
        return {row.dataset: list(row.markers) for row in session.scalars(select(AnnouncedDrops))}


def save_announced(engine: Engine, seen: dict[str, list[str]]) -> None:
    """The watcher's markers after a look: exactly ``seen`` (a dataset with no ready file is forgotten)."""
    from sqlalchemy import delete

    with _reachable(), Session(engine) as session, session.begin():
        session.execute(delete(AnnouncedDrops).where(AnnouncedDrops.dataset.not_in(list(seen) or [""])))
        for dataset, markers in seen.items():
            session.merge(AnnouncedDrops(dataset=dataset, markers=list(markers)))


def import_state_files(engine: Engine, data: Path) -> list[Path]:
    """The JSON files that kept this state before the ledger did (``state/<dataset>.json``,
    ``state/dropzone-announced.json``, ``staging/<city>/<agency>/<id>/accepted.json``), imported where the
    ledger has nothing newer, then renamed ``*.imported``. Returns the files imported."""
    import json

    done: list[Path] = []
    announced_file = data / "state" / "dropzone-announced.json"
    with _reachable(), Session(engine) as session, session.begin():
        for path in sorted((data / "state").glob("*.json")) if (data / "state").is_dir() else []:
            try:
                body = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:  # another worker imported it a moment ago
                continue
            if path == announced_file:
                for dataset, markers in body.items():
                    if session.get(AnnouncedDrops, dataset) is None:
                        session.add(AnnouncedDrops(dataset=dataset, markers=list(markers)))
            else:
                row = session.get(DatasetCarry, path.stem) or DatasetCarry(dataset=path.stem)
                if row.current_table is None:
                    row.current_table, row.watermark = body.get("current"), body.get("watermark")
                session.merge(row)
            done.append(path)
        for path in sorted((data / "staging").glob("*/*/*/accepted.json")) if (data / "staging").is_dir() else []:
            city, agency, dataset_id = path.parent.relative_to(data / "staging").parts
            dataset = f"{city}.{agency}.{dataset_id}"
            row = session.get(DatasetCarry, dataset) or DatasetCarry(dataset=dataset)
            if row.accepted is None:
                try:
                    row.accepted = json.loads(path.read_text(encoding="utf-8"))
                    row.accepted_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                except FileNotFoundError:
                    continue
            session.merge(row)
            done.append(path)
    for path in done:
        with suppress(FileNotFoundError):  # workers starting together: each file is set aside once
            path.rename(path.with_name(path.name + ".imported"))
    return done
