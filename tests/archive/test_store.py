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


def test_verify_hashes_every_object_again_and_names_what_is_wrong(tmp_path: Path, monkeypatch, capsys) -> None:
    """A bit flipped on disk, an object lost, a crash between an object and its manifest line, a torn
    line: each is found by name; the API pages a bundle lists are not strays."""
    import os

    from opendata.cli import main

    root = tmp_path / "data" / "archive"
    archive = RawArchive(root)
    good = archive.store(small_spec(), deliver(tmp_path, "a.csv", b"x,y\n1,2\n"))
    flipped = archive.store(small_spec(), deliver(tmp_path, "b.csv", b"x,y\n3,4\n"))
    lost = archive.store(small_spec(), deliver(tmp_path, "c.csv", b"x,y\n5,6\n"))
    page = archive.put(b'[{"x": 1}]')
    bundle = tmp_path / "in" / "api.bundle.json"
    bundle.write_text(json.dumps({"format": "json", "pages": [str(page)]}))
    archive.store(small_spec(), RawDelivery("http", "api.bundle.json", bundle, datetime(2026, 11, 1, tzinfo=UTC)))
    stray = archive.put(b"bytes whose manifest line was never written")
    assert archive.verify().asdict() == {"verified": 4, "missing": [], "corrupt": [], "unlisted": [stray.name],
                                         "torn_lines": 0, "ok": True}

    path = Path(flipped.path)
    os.chmod(path, 0o640)
    path.write_bytes(b"x,y\n3,5\n")  # the same size, one byte changed
    Path(lost.path).unlink()
    with open(archive.manifest, "ab") as f:
        f.write(b'{"sha256": "torn')  # a crash mid-append
    check = archive.verify()
    assert (check.missing, check.corrupt, check.torn_lines, check.ok) == ([lost.sha256], [flipped.sha256], 1, False)
    assert check.verified == 2 and good.sha256 not in check.missing + check.corrupt

    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path / "data"))
    assert main(["archive", "verify"]) == 1
    out = capsys.readouterr().out
    assert f"hỏng / corrupt: {flipped.sha256}" in out and f"thiếu / missing: {lost.sha256}" in out
    assert main(["archive", "verify", "--format", "json"]) == 1 and json.loads(capsys.readouterr().out)["ok"] is False
