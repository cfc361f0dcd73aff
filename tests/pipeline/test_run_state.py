"""Issue 32: what a dataset carries between runs (SQL watermark, the table on the portal, the latest accepted
delivery) and the drops the watcher announced live in the ledger, so a backup of the ledger is a backup of
the platform's state; the JSON files that kept them before are imported once, then set aside."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from opendata import ledger
from opendata.pipeline.context import RunContext
from opendata.pipeline.results import Checked
from opendata.pipeline.stages import latest_accepted
from opendata.pipeline.state import DatasetState, state_ledger
from opendata.settings import PathSettings, Settings
from tests.factories import rain_spec

SPEC = rain_spec()
NOW = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def context(data: Path, ledger_file: Path | None = None) -> RunContext:
    compliance = {"ledger_url": f"sqlite:///{ledger_file}"} if ledger_file else {}
    return RunContext(Settings(paths=PathSettings(data=data), compliance=compliance), "state-test", NOW)


def checked(data: Path) -> Checked:
    return Checked(sha256="a" * 64, original_name="tram.csv", received_at=NOW.isoformat(), parquet=data / "t.parquet",
                   rows=83, encoding="utf-8", overall=97.5, scores={"dung": 100.0}, warnings=1)


def test_state_written_by_a_run_is_read_back_from_the_ledger_and_survives_a_restore(tmp_path: Path) -> None:
    data, backup = tmp_path / "data", tmp_path / "backup.sqlite3"
    ctx = context(data, tmp_path / "ledger.sqlite3")
    table = data / "t.parquet"
    table.parent.mkdir(parents=True)
    table.write_bytes(b"PAR1 not really")
    DatasetState.load(ctx, SPEC).published(ctx, SPEC, table, {"watermark": "2026-12-01T00:00:00"})
    ledger.carry_accepted(state_ledger(ctx.settings), SPEC.key, checked(data).asdict(), NOW)
    with sqlite3.connect(tmp_path / "ledger.sqlite3") as live, sqlite3.connect(backup) as copy:
        live.backup(copy)  # the operator's backup (sqlite3's .backup; the ledger runs in WAL mode): the ledger alone

    assert not list(data.rglob("*.json"))  # nothing of it in files beside the data
    restored = context(data, backup)
    state = DatasetState.load(restored, SPEC)
    assert state.watermark == "2026-12-01T00:00:00" and state.current.endswith("current.parquet")
    assert latest_accepted(SPEC, restored) == checked(data)
    # a publish without a watermark (a file source) keeps the one it had
    state.published(restored, SPEC, table, {})
    assert DatasetState.load(restored, SPEC).watermark == "2026-12-01T00:00:00"


def test_the_files_of_before_are_imported_once_and_set_aside(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "state").mkdir(parents=True)
    (data / "state" / f"{SPEC.key}.json").write_text(json.dumps({"watermark": 41, "current": "/x/current.parquet"}))
    (data / "state" / "dropzone-announced.json").write_text(json.dumps({SPEC.key: ["tram.csv|10|1765000000"]}))
    staging = data / "staging" / SPEC.city / SPEC.agency / SPEC.id
    staging.mkdir(parents=True)
    (staging / "accepted.json").write_text(json.dumps(checked(data).asdict(), default=str))
    ctx = context(data)  # the default ledger, inside the data folder

    assert DatasetState.load(ctx, SPEC).watermark == 41
    assert latest_accepted(SPEC, ctx) == checked(data)
    engine = state_ledger(ctx.settings)
    assert ledger.announced(engine) == {SPEC.key: ["tram.csv|10|1765000000"]}
    assert sorted(p.name for p in data.rglob("*.imported")) == sorted([
        "accepted.json.imported", "dropzone-announced.json.imported", f"{SPEC.key}.json.imported"])
    assert not list(data.rglob("*.json"))
    # a file of before that reappears (an old backup of the data folder) does not overwrite newer state
    (data / "t.parquet").write_bytes(b"PAR1 not really")
    DatasetState.load(ctx, SPEC).published(ctx, SPEC, data / "t.parquet", {"watermark": 42})
    (data / "state" / f"{SPEC.key}.json").write_text(json.dumps({"watermark": 1, "current": "/old.parquet"}))
    ledger.import_state_files(engine, data)
    assert DatasetState.load(ctx, SPEC).watermark == 42


def test_the_watchers_announcements_are_kept_exactly(tmp_path: Path) -> None:
    engine = state_ledger(context(tmp_path / "data").settings)
    ledger.save_announced(engine, {"a.b.c": ["x|1|2"], "a.b.d": ["y|1|2"]})
    ledger.save_announced(engine, {"a.b.d": ["y|1|2", "z|3|4"]})  # a.b.c has no ready file any more: forgotten
    assert ledger.announced(engine) == {"a.b.d": ["y|1|2", "z|3|4"]}
    ledger.save_announced(engine, {})
    assert ledger.announced(engine) == {}
