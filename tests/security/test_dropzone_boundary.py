"""Point 1 (the drop zone is a boundary) and point 2 (only the HTTP source makes bundles), attacked
through the fetch and normalise stages exactly as the DAG's tasks call them."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opendata.archive import RawArchive
from opendata.exceptions import InputError, SourceError
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.pipeline.results import RunSummary
from opendata.settings import IntakeSettings, PathSettings, Settings
from opendata.vocabulary import Outcome
from tests.factories import SAMPLE_DROP, rain_spec

SPEC = rain_spec()
SECRET = "mật khẩu của máy chủ / the server's secret"


@pytest.fixture()
def ctx(tmp_path: Path) -> RunContext:
    settings = Settings(paths=PathSettings(data=tmp_path / "data"), intake=IntakeSettings(look_interval_s=0.05))
    return RunContext(settings, "attack", datetime.now(UTC))


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.csv"
    path.parent.mkdir()
    path.write_text(SECRET, encoding="utf-8")
    return path


def folder(ctx: RunContext) -> Path:
    path = ctx.settings.paths.dropzone_root / SPEC.city / SPEC.agency / SPEC.id
    path.mkdir(parents=True, exist_ok=True)
    return path


def aged(path: Path) -> Path:
    os.utime(path, (time.time() - 60, time.time() - 60), follow_symlinks=False)
    return path


def everything_written(ctx: RunContext) -> bytes:
    """Every byte the platform keeps: archive, incoming copies, staging, receipts."""
    return b"".join(p.read_bytes() for p in ctx.data.rglob("*") if p.is_file() and not p.is_symlink())


def test_a_symlink_to_a_file_outside_is_refused_and_never_read(ctx, secret) -> None:
    link = folder(ctx) / "tram.csv"
    link.symlink_to(secret)
    aged(link)
    assert stages.fetch(SPEC, ctx, None) is None
    assert SECRET.encode() not in everything_written(ctx)
    [refusal] = RawArchive(ctx.data / "archive").refused(SPEC.key)
    assert refusal["reason"] == "symlink" and refusal["sha256"] is None
    assert not os.path.lexists(link) and (folder(ctx) / refusal["moved_as"]).is_symlink()
    receipts = list((folder(ctx) / "receipts").glob("*.receipt.md"))
    assert receipts and "symlink" in receipts[0].read_text(encoding="utf-8")
    assert secret.read_text(encoding="utf-8") == SECRET  # nothing outside was moved or changed


def test_a_symlinked_dataset_folder_or_taken_folder_is_refused(ctx, tmp_path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    aged_file = elsewhere / "tram.csv"
    aged_file.write_bytes(SAMPLE_DROP.read_bytes())
    aged(aged_file)
    dataset = ctx.settings.paths.dropzone_root / SPEC.city / SPEC.agency / SPEC.id
    dataset.parent.mkdir(parents=True)
    dataset.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(SourceError, match="link"):
        stages.fetch(SPEC, ctx, None)
    assert aged_file.exists() and not (elsewhere / "receipts").exists()  # nothing taken or written there
    assert list((ctx.data / "receipts").rglob("*.receipt.md"))  # the platform keeps the receipt itself
    dataset.unlink()
    real = folder(ctx)
    (real / ".taken").symlink_to(elsewhere, target_is_directory=True)
    (real / "tram.csv").write_bytes(SAMPLE_DROP.read_bytes())
    aged(real / "tram.csv")
    with pytest.raises(SourceError, match="link"):
        stages.fetch(SPEC, ctx, None)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["tram.csv"]  # nothing moved into the link's target


def test_devices_pipes_hard_links_and_bad_names_are_refused(ctx, tmp_path) -> None:
    drop = folder(ctx)
    os.mkfifo(drop / "pipe.csv")  # opening it would block a worker forever
    outside = tmp_path / "other-agency.csv"
    outside.write_bytes(SAMPLE_DROP.read_bytes())
    os.link(outside, drop / "hardlink.csv")
    for name in ("ten\x1bof.csv", "a\\..\\b.csv", "x" * 230 + ".csv", "rtl\u202etxt.csv"):
        (drop / name).write_bytes(SAMPLE_DROP.read_bytes())
    for p in drop.iterdir():
        aged(p)
    assert stages.fetch(SPEC, ctx, None) is None
    reasons = sorted(r["reason"] for r in RawArchive(ctx.data / "archive").refused(SPEC.key))
    assert reasons == ["bad_name"] * 4 + ["hard_link", "not_regular"]
    assert not [p for p in drop.iterdir() if p.is_file() or p.is_fifo()]  # all set aside in .refused/
    assert outside.read_bytes() == SAMPLE_DROP.read_bytes()
    kept = [r for r in RawArchive(ctx.data / "archive").refused(SPEC.key) if r["sha256"]]
    assert len(kept) == 4  # the bad names' bytes are archived (read from a no-follow handle); the rest are not read
    assert all("\x1b" not in r["name"] and "\u202e" not in r["name"] for r in kept)


def test_receipts_are_never_taken_as_deliveries(ctx) -> None:
    spec = SPEC.model_copy(update={"source": SPEC.source.model_copy(update={"pattern": "*"})})
    drop = folder(ctx)
    (drop / "receipts").mkdir()
    (drop / "receipts" / "x.receipt.json").write_text("{}")
    aged(drop / "receipts" / "x.receipt.json")
    assert stages.fetch(spec, ctx, None) is None


def test_a_file_that_changes_between_two_looks_is_left_for_the_next_run(ctx) -> None:
    import threading

    path = folder(ctx) / "tram.csv"
    path.write_bytes(SAMPLE_DROP.read_bytes())
    aged(path)

    def append_during_the_pause() -> None:
        time.sleep(0.01)
        with open(path, "ab") as f:
            f.write(b"DN-RG-0099,x\n")
        aged(path)

    writer = threading.Thread(target=append_during_the_pause)
    writer.start()
    assert stages.fetch(SPEC, ctx, None) is None
    writer.join()
    delivery = stages.fetch(SPEC, ctx, None)
    assert delivery is not None and delivery.path.read_bytes().endswith(b"DN-RG-0099,x\n")


def test_a_vanished_file_is_skipped_and_a_taken_file_is_found_again(ctx) -> None:
    from opendata.pipeline.receipts import drop_zone

    path = folder(ctx) / "tram.csv"
    path.write_bytes(SAMPLE_DROP.read_bytes())
    aged(path)
    zone = drop_zone(ctx)
    [look] = zone.pending(SPEC, ctx.now)
    path.unlink()
    assert zone.take(SPEC, look, ctx.now, ctx.data / "incoming") is None  # gone between listing and taking
    path.write_bytes(SAMPLE_DROP.read_bytes())
    aged(path)
    first = stages.fetch(SPEC, ctx, None)  # taken … and the run dies before the archive task
    assert first is not None and not path.exists()
    again = stages.fetch(SPEC, ctx, None)
    assert again is not None and again.meta.get("recovered") and again.path.read_bytes() == SAMPLE_DROP.read_bytes()
    archived = stages.archive(SPEC, ctx, again)
    assert archived.sha256 == again.meta["sha256"]
    pending = stages.fetch(SPEC, ctx, None)  # archived, but no run of it settled yet: the archive gives it back
    assert pending is not None and pending.path == Path(archived.path)
    stages.record(SPEC, ctx, RunSummary(Outcome.published, sha256=archived.sha256))
    assert stages.fetch(SPEC, ctx, None) is None  # settled now: not delivered a third time


def test_a_dropped_file_named_like_a_bundle_is_not_a_bundle(ctx, secret) -> None:
    from opendata.sources.base import RawDelivery

    json_spec = SPEC.model_copy(update={"source": SPEC.source.model_copy(update={"pattern": "*.json"})})
    forged = folder(ctx) / "x.bundle.json"
    forged.write_text(json.dumps({"opendata_bundle": 1, "format": "csv", "pages": [str(secret)]}))
    aged(forged)
    delivery = stages.fetch(json_spec, ctx, None)
    archived = stages.archive(json_spec, ctx, delivery)
    with pytest.raises(InputError):
        stages.normalise(json_spec, ctx, archived)  # read as the JSON file it is: no records, refused
    assert SECRET.encode() not in everything_written(ctx)
    # and a bundle from the HTTP source whose page lies outside the platform's folders is refused too
    from opendata.spec.models import HttpSource

    http = SPEC.model_copy(update={"source": HttpSource(kind="http", conn_id="x")})
    incoming = ctx.data / "incoming" / "b.bundle.json"
    incoming.write_text(json.dumps({"opendata_bundle": 1, "format": "csv", "url": "", "pages": [str(secret)]}))
    with pytest.raises(InputError, match="outside"):
        stages.archive(http, ctx, RawDelivery("http", "b.bundle.json", incoming, ctx.now, {"bundle": True}))


def test_the_watcher_wakes_the_dataset_for_a_refusal_too(ctx, secret) -> None:
    from opendata.pipeline.receipts import drop_zone
    from opendata.sources.dropzone import announce

    (folder(ctx) / "tram.csv").symlink_to(secret)
    fresh, seen = announce(drop_zone(ctx), [SPEC], ctx.now, {})
    assert fresh == {SPEC.key: ["refused|tram.csv"]}  # its run refuses it with a receipt, now, not next quarter
    assert announce(drop_zone(ctx), [SPEC], ctx.now, seen)[0] == {}  # announced once


@pytest.mark.parametrize("sparse", [True, False])
def test_a_file_over_max_bytes_is_refused_by_its_size_before_a_byte_is_copied(ctx, sparse) -> None:
    """Class 3: a 64 GiB sparse file (it costs no disk) or a real file one byte over the bound is set
    aside by its size alone: nothing copied, hashed or archived, nothing left in incoming/."""
    spec = rain_spec(limits={"max_bytes": 1 << 20})
    path = folder(ctx) / "tram.csv"
    with open(path, "wb") as f:
        if sparse:
            f.truncate(64 << 30)
        else:
            f.write(SAMPLE_DROP.read_bytes()[:1] * ((1 << 20) + 1))
    aged(path)
    started = time.monotonic()
    assert stages.fetch(spec, ctx, None) is None
    assert time.monotonic() - started < 5
    [refusal] = RawArchive(ctx.data / "archive").refused(spec.key)
    assert refusal["reason"] == "too_large" and refusal["sha256"] is None and refusal["size"] == path_size(sparse)
    assert not any(p.is_file() for p in (ctx.data / "incoming").rglob("*"))
    assert not any(p.is_file() for p in (ctx.data / "archive").rglob("objects/**/*"))
    [receipt] = (folder(ctx) / "receipts").glob("*.receipt.md")
    said = receipt.read_text(encoding="utf-8")
    assert "limits.max_bytes" in said and f"{path_size(sparse):,}" in said
    assert (folder(ctx) / refusal["moved_as"]).stat().st_size == path_size(sparse)  # kept as it was, not lost


def path_size(sparse: bool) -> int:
    return (64 << 30) if sparse else (1 << 20) + 1


def test_a_file_that_grows_while_it_is_copied_leaves_no_copy(ctx, monkeypatch) -> None:
    from opendata.pipeline.receipts import drop_zone
    from opendata.sources import dropzone

    path = folder(ctx) / "tram.csv"
    path.write_bytes(SAMPLE_DROP.read_bytes())
    st = aged(path).stat()
    real_fstat, grown = os.fstat, []

    def fstat_then_grow(fd):  # the clerk's copy program appends just after the platform checked the handle
        found = real_fstat(fd)
        if not grown:
            grown.append(True)
            with open(path, "ab") as more:
                more.write(b"\nTRAM999,late row")
        return found

    monkeypatch.setattr(dropzone.os, "fstat", fstat_then_grow)
    zone = drop_zone(ctx)
    with dropzone.open_below(zone.root, zone.parts(SPEC)) as fd:
        look = dropzone.Look(path.name, st.st_size, st.st_mtime_ns, st.st_ino)
        assert dropzone._copy_out(fd, look, ctx.data / "incoming", ctx.now) is None  # noqa: SLF001
    assert grown and not any((ctx.data / "incoming").iterdir())
