from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from opendata.archive import RawArchive
from opendata.sources import RawDelivery
from tests.factories import small_spec, to_cp1258


def deliver(tmp_path: Path, name: str, content: bytes) -> RawDelivery:
    path = tmp_path / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    return RawDelivery("drop_zone", name, path, datetime(2026, 11, 1, tzinfo=UTC))


def test_bytes_are_kept_unchanged_under_their_sha256_with_a_manifest(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "archive")
    content = to_cp1258("Mã,Tên\nPK001,Phòng khám Hòa Khánh\n")
    entry = archive.store(small_spec(), deliver(tmp_path, "pk.csv", content))
    assert Path(entry.path).read_bytes() == content
    assert Path(entry.path).name == entry.sha256 and not entry.seen_before
    line = json.loads(archive.manifest.read_text().splitlines()[0])
    assert line["original_name"] == "pk.csv" and line["size"] == len(content) and line["agency"] == "syt"


def test_the_same_bytes_twice_are_recognised(tmp_path: Path) -> None:
    archive = RawArchive(tmp_path / "archive")
    first = archive.store(small_spec(), deliver(tmp_path, "a.csv", b"x,y\n1,2\n"))
    second = archive.store(small_spec(), deliver(tmp_path, "renamed.csv", b"x,y\n1,2\n"))
    assert second.sha256 == first.sha256 and second.seen_before
    assert len(archive.manifest.read_text().splitlines()) == 2  # every delivery is recorded
    assert len(list((tmp_path / "archive" / "objects").rglob("*"))) == 2  # one folder, one object
