"""Issue 17: a large CSV is read in blocks (normalise.stream) and gives the same table, row numbers and
problems as the whole-file path. Blocks of a few hundred bytes make every file here many blocks, so
each boundary case (a quoted line break, a bad row, a footer, a broken byte) falls near one."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from opendata.exceptions import InputError
from opendata.normalise import normalise_file, stream
from opendata.spec.loader import load_registry
from opendata.spec.models import DatasetSpec
from tests.factories import ROOT
from tests.normalise import make_canonical_corpus as corpus

REGISTRY = load_registry(ROOT / "include" / "datasets", cache=False)
SAMPLES = sorted((ROOT / "include" / "samples").glob("*/*/*/*.csv"))


def both(spec: DatasetSpec, path: Path, name: str, tmp_path: Path, monkeypatch, block: int = 300):
    """(whole-file result, block result, its Parquet rows, the whole file's Parquet rows)."""
    whole = normalise_file(spec, path, name, tmp_path / "whole")
    monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(stream, "BLOCK_BYTES", block)
    blocks = normalise_file(spec, path, name, tmp_path / "blocks")
    monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 1 << 40)
    return whole, blocks


def same(whole, blocks) -> None:
    assert pq.read_table(blocks.parquet).to_pylist() == pq.read_table(whole.parquet).to_pylist()
    assert pq.read_schema(blocks.parquet) == pq.read_schema(whole.parquet)
    assert (blocks.rows, blocks.encoding, blocks.type_failures, blocks.dropped_rows) == \
        (whole.rows, whole.encoding, whole.type_failures, whole.dropped_rows)
    assert blocks.issues == whole.issues


def test_the_samples_have_blocks_to_cross() -> None:
    assert len(SAMPLES) >= 25 and all(p.stat().st_size > 3 * 90 for p in SAMPLES)


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.parent.name)
def test_every_sample_delivery_gives_the_same_table_in_blocks(path: Path, tmp_path: Path, monkeypatch) -> None:
    city, agency, dataset = path.parts[-4:-1]
    spec = REGISTRY.get(f"{city}.{agency}.{dataset}")
    whole, blocks = both(spec, path, path.name, tmp_path, monkeypatch, block=90)
    if whole.encoding.startswith("utf-8"):
        assert pq.ParquetFile(blocks.parquet).num_row_groups > 1  # really read in blocks
    same(whole, blocks)


CSV_CASES = [r for r in corpus.renditions() if r.data is not None and r.name.endswith((".csv", ".txt", ".tsv"))]
BROKEN_CSV = [b for b in corpus.broken() if b.name.endswith(".csv")]


@pytest.mark.parametrize("case", CSV_CASES + BROKEN_CSV, ids=lambda c: c.name)
def test_the_corpus_gives_the_same_outcome_in_blocks(case, tmp_path: Path, monkeypatch) -> None:
    """The canonical table's CSV renditions (quoted line breaks, quotes, Vietnamese numbers, a BOM …)
    and its broken variants: the same rows, or the same refusal naming the same line."""
    spec = DatasetSpec.model_validate(corpus.spec_data())
    path = tmp_path / case.name
    path.write_bytes(case.data)
    try:
        whole = normalise_file(spec, path, case.name, tmp_path / "whole")
    except InputError as refused:
        monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 0)
        monkeypatch.setattr(stream, "BLOCK_BYTES", 2000)
        with pytest.raises(InputError) as err:
            normalise_file(spec, path, case.name, tmp_path / "blocks")
        assert err.value.message == refused.message
        return
    _, blocks = both(spec, path, case.name, tmp_path, monkeypatch, block=2000)
    same(whole, blocks)


def rows_file(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "drop.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    return path


def small_spec() -> DatasetSpec:
    data = corpus.spec_data()
    return DatasetSpec.model_validate({**data, "columns": [
        {"name": "ma", "label": {"vi": "Mã"}, "type": "integer", "required": True},
        {"name": "ten", "label": {"vi": "Tên"}, "type": "string"}], "primary_key": ["ma"]})


def refused_in_blocks(path: Path, tmp_path: Path, monkeypatch, block: int) -> str:
    """The refusal of the block path, which must leave no half-written table behind."""
    monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(stream, "BLOCK_BYTES", block)
    with pytest.raises(InputError) as err:
        normalise_file(small_spec(), path, path.name, tmp_path / "blocks")
    assert not list((tmp_path / "blocks").glob("*.parquet"))
    return err.value.message


def test_a_problem_deep_in_the_file_is_named_by_its_own_line(tmp_path: Path, monkeypatch) -> None:
    lines = ["ma,ten"] + [f"{i},Phường số {i}" for i in range(1, 2001)]
    lines[1500] = "1500,Phường\x00 có NUL"
    message = refused_in_blocks(rows_file(tmp_path, lines), tmp_path, monkeypatch, 1000)
    assert "dòng/line 1501," in message and "NUL" in message


def test_a_quote_that_never_closes_is_refused_not_read_to_the_end(tmp_path: Path, monkeypatch) -> None:
    lines = ["ma,ten"] + [f"{i},Tên {i}" for i in range(1, 5001)]
    lines[40] = '40,"Tên mở ngoặc không đóng'
    message = refused_in_blocks(rows_file(tmp_path, lines), tmp_path, monkeypatch, 500)
    assert "dòng/line 41:" in message and "quote" in message


def test_examples_are_bounded_and_every_problem_counted(tmp_path: Path, monkeypatch) -> None:
    lines = ["ma,ten"] + [f"{'x' if i % 3 == 0 else i},Tên {i}" for i in range(1, 3001)]
    whole, blocks = both(small_spec(), rows_file(tmp_path, lines), "drop.csv", tmp_path, monkeypatch, block=2000)
    same(whole, blocks)
    assert blocks.type_failures == {"ma": 1000}
    assert 0 < len(blocks.issues) <= 20 and blocks.issues[0].row == 4  # line 4 holds the first 'x'


def test_blocks_end_at_line_ends_outside_quotes() -> None:
    text = b'a,b\n1,"x\ny"\n2,"""q""\nz"\n3,w\n'
    blocks = list(stream.line_blocks(text, 7, 1000, "f.csv", small_spec()))
    assert b"".join(b.body for b in blocks) == text and blocks[-1].last and not any(b.last for b in blocks[:-1])
    for block in blocks:
        assert block.body.count(b'"') % 2 == 0 and (block.body.endswith(b"\n") or block.last)
    assert [b.lines_before for b in blocks] == [sum(x.body.count(b"\n") for x in blocks[:i]) for i in range(len(blocks))]
    assert [b.bytes_before for b in blocks] == [sum(len(x.body) for x in blocks[:i]) for i in range(len(blocks))]


def test_blocks_of_a_mapped_file_are_the_blocks_of_its_bytes(tmp_path: Path) -> None:
    from opendata.normalise.mapped import MappedBytes

    text = b"ma,ten\n" + b"".join(b'%d,"T\xc3\xaan\n%d"\n' % (i, i) for i in range(2000)) + b"last,no newline"
    (tmp_path / "f.csv").write_bytes(text)
    mapped = MappedBytes.of(tmp_path / "f.csv")
    for size, first in ((100, 0), (4096, 7), (5000, 9000)):
        read = list(stream.line_blocks(text, size, 100_000, "f.csv", small_spec(), first))
        viewed = list(stream.line_blocks(mapped, size, 100_000, "f.csv", small_spec(), first))
        assert [(bytes(b.body), b.bytes_before, b.lines_before, b.last) for b in viewed] == \
            [(b.body, b.bytes_before, b.lines_before, b.last) for b in read]
        assert len(read[0].body) >= first and b"".join(b.body for b in read) == text
    for block in viewed:
        block.body.release()  # the pages go; the bytes are read again from the page cache if touched
    assert bytes(viewed[0].body) == read[0].body


def resident_kib(path: Path) -> int:
    """How much of ``path`` this process's mappings hold in memory (Linux: /proc/self/smaps)."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if "-" in line.split(" ", 1)[0]:
            inside = line.rstrip().endswith(str(path))
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_a_walk_through_a_mapped_file_holds_one_block_in_memory(tmp_path: Path) -> None:
    from opendata.normalise.mapped import MappedBytes

    path = tmp_path / "big.csv"
    path.write_bytes(b"ma,ten\n" + b"".join(b"%d,T\xc3\xaan %d\n" % (i, i) for i in range(2_500_000)))  # 40 MiB
    mapped, block_size, most = MappedBytes.of(path), 2 << 20, 0
    for block in stream.line_blocks(mapped, block_size, 8 << 20, "big.csv", small_spec()):
        assert block.body.count(b"\n") > 0  # read: its pages are in memory
        block.body.release()
        most = max(most, resident_kib(path))
    assert path.stat().st_size > 40 << 20 and 0 <= most < 2 * block_size // 1024, most


def test_a_quote_that_never_closes_is_refused_at_the_limit() -> None:
    text = b"ma,ten\n1,x\n2,\"never closed\n" + b"y\n" * 5000
    with pytest.raises(InputError) as err:
        list(stream.line_blocks(text, 64, 1000, "f.csv", small_spec()))
    assert "quote that never closes" in err.value.message and "line 3" in err.value.message


def test_a_later_block_in_another_encoding_is_named_by_its_file_line(tmp_path: Path, monkeypatch) -> None:
    """An ASCII head (read as UTF-8) and a Windows-1258 line far below: the same refusal as the whole file
    gives, naming the file's byte and line, not the block's."""
    lines = ["ma,ten"] + [f"{i},Ten {i}" for i in range(1, 30001)]  # past the 256 KiB the encoding is judged on
    path = tmp_path / "drop.csv"
    path.write_bytes(("\n".join(lines[:25000]) + "\n").encode() + "25000,Nhà Hát\n".encode("cp1258")
                     + ("\n".join(lines[25001:]) + "\n").encode())
    with pytest.raises(InputError) as whole:
        normalise_file(small_spec(), path, "drop.csv", tmp_path / "whole")
    assert "dòng/line 25001" in whole.value.message
    assert refused_in_blocks(path, tmp_path, monkeypatch, 10_000) == whole.value.message
