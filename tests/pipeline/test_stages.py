"""The stage functions on their own (no Airflow): deliveries archived first, repeats and bad files handled."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opendata.exceptions import InputError
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.pipeline.results import RunSummary
from opendata.settings import PathSettings, Settings
from opendata.vocabulary import Outcome
from tests.factories import SAMPLE_DROP, rain_spec

SPEC = rain_spec()


@pytest.fixture()
def ctx(tmp_path: Path) -> RunContext:
    # the real time: the drop zone compares it with the files' modification times
    return RunContext(Settings(paths=PathSettings(data=tmp_path)), "run-1", datetime.now(UTC))


def drop(ctx: RunContext, name: str, data: bytes) -> Path:
    folder = ctx.settings.paths.dropzone_root / SPEC.city / SPEC.agency / SPEC.id
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    os.utime(path, (time.time() - 60, time.time() - 60))
    return path


def test_an_unreadable_file_is_archived_then_quarantined_with_its_error(ctx) -> None:
    data = "Số hiệu,Ghi chú\n1,không phải danh sách trạm\n".encode()
    drop(ctx, "nham-tep.csv", data)
    archived = stages.fetch_and_archive(SPEC, ctx)
    with pytest.raises(InputError, match="nham-tep.csv"):
        stages.normalise(SPEC, ctx, archived)
    assert Path(archived.path).read_bytes() == data  # nothing lost
    error = json.loads((ctx.quarantine(SPEC) / archived.sha256 / "error.json").read_text())
    assert error["accepted"] is False and "nham-tep.csv" in error["error"] and "header" in error["error"]


def test_the_same_bytes_twice_are_a_repeat_once_the_first_reached_an_outcome(ctx) -> None:
    """Archived but never recorded (the worker killed after the archive, or the task retried): the same
    bytes again are processed, not skipped, so the delivery is not lost to the archive's memory."""
    drop(ctx, "a.csv", SAMPLE_DROP.read_bytes())
    first = stages.fetch_and_archive(SPEC, ctx)
    drop(ctx, "b.csv", SAMPLE_DROP.read_bytes())
    second = stages.fetch_and_archive(SPEC, ctx)
    assert first.sha256 == second.sha256 and first.path == second.path and second.seen_before
    assert not stages.is_repeat(SPEC, ctx, first) and not stages.is_repeat(SPEC, ctx, second)  # never settled
    stages.record(SPEC, ctx, RunSummary(Outcome.failed, sha256=first.sha256, error="portal down"))
    assert not stages.is_repeat(SPEC, ctx, second)  # a failed run settles nothing
    stages.record(SPEC, ctx, RunSummary(Outcome.quarantined, sha256=first.sha256))
    drop(ctx, "c.csv", SAMPLE_DROP.read_bytes())
    assert stages.is_repeat(SPEC, ctx, stages.fetch_and_archive(SPEC, ctx))


def test_nothing_waiting_means_no_delivery(ctx) -> None:
    assert stages.fetch_and_archive(SPEC, ctx) is None


def test_every_delivery_gets_a_receipt_next_to_the_drop(ctx) -> None:
    from opendata.exceptions import QualityGateFailed

    drop(ctx, "tot.csv", SAMPLE_DROP.read_bytes())
    checked = stages.check(SPEC, ctx, stages.normalise(SPEC, ctx, stages.fetch_and_archive(SPEC, ctx)), 48)
    receipt = json.loads(checked.receipt.read_text())
    assert receipt["accepted"] and receipt["problems"] == []
    assert checked.receipt.parent == ctx.settings.paths.dropzone_root / SPEC.city / SPEC.agency / SPEC.id / "receipts"
    stages.record(SPEC, ctx, RunSummary(Outcome.published, sha256=checked.sha256))  # settled, as the pipeline does

    lines = SAMPLE_DROP.read_text(encoding="utf-8").splitlines()
    cells = lines[4].split(",")
    cells[2] = "Quận Hải Châu"  # districts were abolished in 2025: not in the current list
    lines[4] = ",".join(cells)
    drop(ctx, "sai.csv", ("\n".join(lines) + "\n").encode())
    with pytest.raises(QualityGateFailed):
        stages.check(SPEC, ctx, stages.normalise(SPEC, ctx, stages.fetch_and_archive(SPEC, ctx)), 48)
    folder = ctx.settings.paths.dropzone_root / SPEC.city / SPEC.agency / SPEC.id / "receipts"
    [md] = [p for p in folder.glob("*sai.receipt.md")]
    text = md.read_text()
    assert "BỊ TỪ CHỐI / REJECTED" in text and "| 5 | ward |" in text and "Cách sửa / How to fix" in text


def test_the_quality_report_is_rendered_as_data_docs(ctx) -> None:
    drop(ctx, "tot.csv", SAMPLE_DROP.read_bytes())
    checked = stages.check(SPEC, ctx, stages.normalise(SPEC, ctx, stages.fetch_and_archive(SPEC, ctx)), 48)
    page = Path(checked.data_docs)
    html = page.read_text(encoding="utf-8")
    assert "validations" in page.parts and "station_code" in html
    assert (ctx.data / "docs" / SPEC.city / SPEC.agency / SPEC.id / "index.html").exists()


def test_a_delivery_archived_but_never_settled_is_taken_again_when_nothing_new_waits(ctx) -> None:
    """The run that took the file was killed after the archive: the drop zone is empty now, but the
    next fetch gives the archived delivery back, until a run of it (or of a newer one) reaches an
    outcome. A newer drop goes first: a delivery that keeps failing never blocks the next one."""
    drop(ctx, "a.csv", SAMPLE_DROP.read_bytes())
    stages.fetch_and_archive(SPEC, ctx)  # ... and the worker dies here
    again = stages.fetch(SPEC, ctx, lambda conn_id: None)
    assert again is not None and again.original_name == "a.csv" and again.path.read_bytes() == SAMPLE_DROP.read_bytes()
    newer = SAMPLE_DROP.read_text(encoding="utf-8").replace(",Bảo trì", ",Hoạt động", 1).encode()
    drop(ctx, "b.csv", newer)
    taken = stages.fetch(SPEC, ctx, lambda conn_id: None)
    assert taken.original_name == "b.csv"  # the new drop before the old unsettled one
    archived = stages.archive(SPEC, ctx, taken)
    stages.record(SPEC, ctx, RunSummary(Outcome.quarantined, sha256=archived.sha256))
    assert stages.fetch(SPEC, ctx, lambda conn_id: None) is None  # settled; a.csv superseded (kept in the archive)
