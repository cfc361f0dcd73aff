"""A large CSV delivery is mapped from its file instead of read (normalise.mapped): every file must give
the same table, issues and refusals either way."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opendata.exceptions import InputError
from opendata.normalise import mapped, normalise_file, table_of_delivery
from opendata.normalise.mapped import MappedBytes, delivery_bytes
from opendata.normalise.stream import streams
from opendata.spec.models import DatasetSpec
from tests.normalise import make_canonical_corpus as corpus

CSV_FILES = {r.name: r.data for r in corpus.renditions() if r.data is not None and r.name.endswith(".csv")}
CSV_FILES |= {b.name: b.data for b in corpus.broken() if b.name.endswith(".csv")}


def outcome(path: Path, name: str):
    spec = DatasetSpec.model_validate(corpus.spec_data())
    try:
        rows, described = table_of_delivery(spec, path, name)
    except InputError as exc:
        return ("refused", str(exc))
    return (rows.to_pylist(), [i.asdict() for i in described.issues], described.type_failures, described.encoding)


def test_the_corpus_has_csv_files_of_every_kind() -> None:
    assert len(CSV_FILES) >= 10
    assert any(d.startswith(b"\xef\xbb\xbf") for d in CSV_FILES.values())  # a byte-order mark
    assert any(b"\x00" in d for d in CSV_FILES.values())  # a NUL byte: refused


@pytest.mark.parametrize("name", list(CSV_FILES))
def test_a_mapped_file_gives_what_a_read_file_gives(tmp_path: Path, name: str, monkeypatch) -> None:
    path = tmp_path / name
    path.write_bytes(CSV_FILES[name])
    read = outcome(path, name)
    monkeypatch.setattr(mapped, "MAP_FROM_BYTES", 1)
    assert isinstance(delivery_bytes(path), MappedBytes)
    assert outcome(path, name) == read


def test_an_empty_file_is_never_mapped(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(mapped, "MAP_FROM_BYTES", 0)
    (tmp_path / "empty.csv").write_bytes(b"")
    assert delivery_bytes(tmp_path / "empty.csv") == b""


def test_its_bytes_methods_answer_as_bytes_do(tmp_path: Path) -> None:
    rng = random.Random(17)
    data = bytes(rng.choice(b"ab\n\x00,\xc3\xa1") for _ in range(3_000_000))  # more than one counting chunk
    (tmp_path / "f").write_bytes(data)
    whole = MappedBytes.of(tmp_path / "f")
    for view, raw in ((whole, data), (whole.after(3), data[3:])):
        assert len(view) == len(raw) and bytes(view) == raw
        assert view.count(b"\n") == raw.count(b"\n") and view.count(b"ab") == raw.count(b"ab")
        assert view.count(b"\n", 10, 2_000_000) == raw.count(b"\n", 10, 2_000_000)
        assert view.find(b"\x00") == raw.find(b"\x00") and view.find(b"\n", 500, 900) == raw.find(b"\n", 500, 900)
        assert view.find(b"zz") == -1
        assert view[5] == raw[5] and view[-1] == raw[-1] and view[10:20] == raw[10:20] and view[:4] == raw[:4]
        assert view.startswith(raw[:3]) and view.startswith((b"zz", raw[:2])) and not view.startswith(b"zzz")
        assert view.endswith(raw[-2:]) and not view.endswith(b"zzz")
        assert view.decode("latin-1") == raw.decode("latin-1")
        assert view.arrow().to_pybytes() == raw
    with pytest.raises(IndexError):
        whole[len(data)]


def test_a_large_file_is_mapped_and_normalised_as_the_block_path_does(tmp_path: Path, monkeypatch) -> None:
    """Over the threshold for real: the whole-file path on the mapped bytes, against the block path."""
    header, _, body = corpus.csv_text().encode("utf-8").partition(b"\r\n")
    path = tmp_path / "big.csv"
    path.write_bytes(header + b"\r\n" + body * (mapped.MAP_FROM_BYTES // len(body) + 1))
    assert isinstance(delivery_bytes(path), MappedBytes)
    spec = DatasetSpec.model_validate(corpus.spec_data())
    table, described = table_of_delivery(spec, path, "big.csv")
    monkeypatch.setattr("opendata.normalise.stream.STREAM_FROM_BYTES", mapped.MAP_FROM_BYTES)
    monkeypatch.setattr("opendata.normalise.stream.BLOCK_BYTES", 4 << 20)  # blocks of 4 MiB: several
    streamed = normalise_file(spec, path, "big.csv", tmp_path / "out")
    assert streams(spec, path, "big.csv", None) and table.num_rows == streamed.rows > 100_000
    assert table.equals(pq.read_table(streamed.parquet))
    assert described.issues == streamed.issues == []
