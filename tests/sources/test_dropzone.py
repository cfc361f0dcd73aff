from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

from opendata.sources import DropZone
from tests.factories import small_spec


def put(folder: Path, name: str, age_s: float = 60) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("Mã,Tên phòng khám\nPK001,A\n", encoding="utf-8")
    t = time.time() - age_s
    os.utime(path, (t, t))
    return path


def test_complete_files_are_taken_once_and_partial_uploads_left(tmp_path: Path) -> None:
    spec = small_spec()
    zone = DropZone(tmp_path, settle_seconds=5, look_interval_s=0.01)
    folder = zone.folder(spec)
    put(folder, "a.csv", age_s=120)
    put(folder, "b.csv", age_s=60)
    put(folder, "c.csv.part")
    put(folder, "~$c.xlsx")
    put(folder, ".hidden.csv")
    put(folder, "still-writing.csv", age_s=0)
    put(folder, "notes.txt")
    now = datetime.now(UTC)
    waiting = zone.pending(spec, now)
    assert [p.name for p in waiting] == ["a.csv", "b.csv"]
    taken = zone.take(spec, waiting[0], now, tmp_path / "incoming")
    assert taken.original_name == "a.csv" and taken.path.parent == tmp_path / "incoming" and taken.path.exists()
    assert taken.meta["taken_as"].startswith(".taken/") and (folder / taken.meta["taken_as"]).exists()
    assert taken.path.read_bytes() == (folder / taken.meta["taken_as"]).read_bytes()
    assert [p.name for p in zone.pending(spec, now)] == ["b.csv"]


def test_missing_folder_means_nothing_pending(tmp_path: Path) -> None:
    assert DropZone(tmp_path).pending(small_spec(), datetime.now(UTC)) == []
