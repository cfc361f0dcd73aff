"""The ledger's tables: every run, every dataset's current standing, the KPI's daily snapshots and the
reminders sent. Alembic (ledger/migrations) changes the schema; ledger.repository is the only reader
and writer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class RunRecord(Base):
    """One run of one dataset's pipeline: what came in and what became of it."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(250))
    dataset: Mapped[str] = mapped_column(String(200), index=True)
    city: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    outcome: Mapped[str] = mapped_column(String(32))
    sha256: Mapped[str | None] = mapped_column(String(64))
    original_name: Mapped[str | None] = mapped_column(String(500))
    overall: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict | None] = mapped_column(JSON)
    warnings: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str | None] = mapped_column(String(500))
    receipt: Mapped[str | None] = mapped_column(String(1000))
    error: Mapped[str | None] = mapped_column(Text)
    content_newest: Mapped[date | None] = mapped_column(Date)  # the newest value of the date column
    content_sha256: Mapped[str | None] = mapped_column(String(64))  # of the table the portal shows after this run
    rows: Mapped[int | None] = mapped_column(Integer)


class DatasetStatus(Base):
    """Where each dataset stands now: the last published delivery's scores and the last refresh."""

    __tablename__ = "datasets"
    dataset: Mapped[str] = mapped_column(String(200), primary_key=True)
    city: Mapped[str] = mapped_column(String(64))
    agency: Mapped[str] = mapped_column(String(64), index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    url: Mapped[str | None] = mapped_column(String(500))
    last_refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    overall: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict | None] = mapped_column(JSON)
    receipt: Mapped[str | None] = mapped_column(String(1000))
    content_newest: Mapped[date | None] = mapped_column(Date)  # of the published delivery: content currency
    mqa: Mapped[dict | None] = mapped_column(JSON)  # quality.mqa score of its portal page, from the daily run
    # what the portal must show (opendata reconcile): the published table, and the last delivery that
    # refreshed it (published, or unchanged: the same table)
    content_sha256: Mapped[str | None] = mapped_column(String(64))
    rows: Mapped[int | None] = mapped_column(Integer)
    archive_sha256: Mapped[str | None] = mapped_column(String(64))


class KpiSnapshot(Base):
    """The KPI of one agency on one day, kept for the trend."""

    __tablename__ = "kpi_snapshots"
    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # ISO date
    agency: Mapped[str] = mapped_column(String(64), primary_key=True)
    city: Mapped[str] = mapped_column(String(64))
    published: Mapped[int] = mapped_column(Integer)
    high_quality: Mapped[int] = mapped_column(Integer)
    fresh: Mapped[int] = mapped_column(Integer)
    good: Mapped[int] = mapped_column(Integer)
    meets: Mapped[bool] = mapped_column(Boolean)


class Reminder(Base):
    """A reminder sent: one per (kind, subject, state of the data), never twice."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("kind", "subject", "marker", name="uq_reminder_once"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))  # due | overdue | delinquent | below_target
    subject: Mapped[str] = mapped_column(String(200))  # a dataset key, or an agency
    marker: Mapped[str] = mapped_column(String(64))  # the last refresh it is about ('' for an agency's state)
    recipients: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DatasetCarry(Base):
    """What a dataset carries from one run to the next: the SQL source's watermark, the table now on the
    portal (its Parquet in the staging folder) and the latest delivery that passed the gate (a Checked,
    what ``opendata publish`` publishes). Kept here, not in files beside the data, so a backup of the
    ledger is a backup of the platform's state."""

    __tablename__ = "dataset_carry"
    dataset: Mapped[str] = mapped_column(String(200), primary_key=True)
    watermark: Mapped[str | int | float | None] = mapped_column(JSON)
    current_table: Mapped[str | None] = mapped_column(String(1000))
    accepted: Mapped[dict | None] = mapped_column(JSON)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AnnouncedDrops(Base):
    """The drop-zone files the watcher has announced for a dataset (name|size|mtime markers): each once."""

    __tablename__ = "announced_drops"
    dataset: Mapped[str] = mapped_column(String(200), primary_key=True)
    markers: Mapped[list] = mapped_column(JSON)
