"""What one stage hands the next: frozen records, each with ``asdict()`` (what crosses an Airflow XCom
or lands in a JSON file) and ``from_dict()`` (read back on the other side).

fetch → ``sources.base.RawDelivery``; archive → ``archive.ArchivedDelivery``; normalise → ``Normalised``;
check → ``Checked``; publish → ``publish.sync.Publication``; record → ``RunEntry``. The first two and the
fifth live with the module that makes them; the rest are the pipeline's own. All but the first share
``stage_result.StageResult``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..issues import RowIssue
from ..stage_result import StageResult
from ..vocabulary import Outcome, Stage


@dataclass(frozen=True)
class Normalised(StageResult):
    """The archived delivery read and typed to its spec: a Parquet table and the row problems found."""

    sha256: str  # of the archived bytes this table came from
    original_name: str
    received_at: str  # ISO time the delivery arrived (what a spec's ``today`` bound means)
    parquet: Path
    rows: int
    encoding: str
    issues: tuple[RowIssue, ...] = ()
    type_failures: dict[str, int] = field(default_factory=dict)  # column → values that did not fit
    dropped_rows: int = 0  # footer and title rows under the data
    seconds: dict[str, float] = field(default_factory=dict)  # where the normalise stage's time went
    meta: dict = field(default_factory=dict)  # the source's: pages, watermark, incremental

    _PATHS: ClassVar[tuple[str, ...]] = ("parquet",)

    @classmethod
    def from_dict(cls, d: dict) -> Any:
        known = cls._read(d)
        known["issues"] = tuple(RowIssue.from_dict(i) for i in known.get("issues") or ())
        return cls(**known)


@dataclass(frozen=True)
class Checked(Normalised):
    """A table that passed the gate: its scores and where its scorecard and receipts are. The latest one
    is kept in the ledger (``ledger.DatasetCarry``): what ``opendata publish`` publishes."""

    _PATHS: ClassVar[tuple[str, ...]] = ("parquet", "scorecard", "receipt", "report_html", "data_docs")

    scorecard: Path | None = None
    receipt: Path | None = None  # the agency's receipt (JSON)
    report_html: Path | None = None  # the quality report published beside the data
    data_docs: Path | None = None  # GX's Data Docs page of the run
    overall: float | None = None
    scores: dict[str, float] = field(default_factory=dict)  # dimension → 0..100
    warnings: int = 0


@dataclass(frozen=True)
class RunSummary(StageResult):
    """What happened to a run, read from what its stages returned or raised (pipeline.outcome)."""

    outcome: Outcome
    sha256: str | None = None  # the delivery's, when one was archived
    original_name: str | None = None
    overall: float | None = None
    scores: dict | None = None
    warnings: int | None = None
    receipt: str | None = None
    url: str | None = None  # the portal page, when published
    content_sha256: str | None = None
    rows: int | None = None
    content_newest: str | None = None
    error: str | None = None  # why it stopped, as the failed stage said it
    failed_stage: Stage | None = None

    @classmethod
    def from_dict(cls, d: dict) -> Any:
        known = cls._read(d)
        known["outcome"] = Outcome(known["outcome"])
        known["failed_stage"] = Stage(known["failed_stage"]) if known.get("failed_stage") else None
        return cls(**known)


@dataclass(frozen=True, kw_only=True)
class RunEntry(RunSummary):
    """A run as the ledger keeps it: the summary with the dataset, the run and the time."""

    dataset: str
    city: str
    agency: str
    run: str
    at: str  # ISO time of the run's clock

