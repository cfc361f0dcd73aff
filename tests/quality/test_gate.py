"""quality.gate: the pre-check (``opendata check``) keeps nothing, so it judges the table in memory; its
verdict must be the one the pipeline gives on the Parquet file, for a small file and a streamed one."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from opendata.normalise import normalise_file, normalise_for_check, stream
from opendata.quality.gate import judge
from tests.factories import ROOT, SAMPLE_DROP, rain_spec
from tests.quality.test_rules import NOW


def verdict(rows, table) -> tuple:
    card, run = judge(rain_spec(), rows, "-", list(table.issues), table.type_failures, province_code=48,
                      previous_rows=None, now=NOW, expectations_dir=ROOT / "expectations")
    return card.accepted, card.scores, card.overall, card.issues, [c for c in run.checks]


def spoiled(tmp_path: Path) -> Path:
    lines = SAMPLE_DROP.read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace(",", ",=HYPERLINK(1) ", 1)  # a formula in the second column
    lines[9] = lines[9].replace(",", ",,", 1).rsplit(",", 1)[0]  # a cell moved: a value of the wrong type
    path = tmp_path / "spoiled.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_pre_check_judges_in_memory_as_the_pipeline_judges_the_parquet_file(tmp_path: Path) -> None:
    path = spoiled(tmp_path)
    scratch = tmp_path / "scratch"
    table, rows = normalise_for_check(rain_spec(), path, path.name, scratch)
    assert isinstance(rows, pa.Table) and table.parquet is None
    assert not scratch.exists()  # nothing written
    written = normalise_file(rain_spec(), path, path.name, tmp_path / "run")
    assert rows.equals(pq.read_table(written.parquet))
    assert (table.rows, table.issues, table.type_failures) == (written.rows, written.issues, written.type_failures)
    in_memory, on_disk = verdict(rows, table), verdict(written.parquet, written)
    assert in_memory == on_disk and in_memory[0] is False and in_memory[3]


def test_a_large_file_is_still_pre_checked_through_its_streamed_parquet(tmp_path: Path, monkeypatch) -> None:
    path = spoiled(tmp_path)
    monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 0)
    monkeypatch.setattr(stream, "BLOCK_BYTES", 1000)
    table, rows = normalise_for_check(rain_spec(), path, path.name, tmp_path / "scratch")
    assert isinstance(rows, Path) and pq.ParquetFile(rows).num_row_groups > 1
    monkeypatch.setattr(stream, "STREAM_FROM_BYTES", 1 << 40)
    whole, in_memory = normalise_for_check(rain_spec(), path, path.name, tmp_path / "scratch2")
    assert verdict(rows, table)[:4] == verdict(in_memory, whole)[:4]
