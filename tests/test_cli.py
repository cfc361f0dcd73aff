from __future__ import annotations

from pathlib import Path

from opendata.cli import main
from tests.factories import SAMPLE_DROP


def test_spec_validate_passes_on_the_sample_city(capsys) -> None:
    assert main(["spec", "validate"]) == 0
    assert "problem(s)" in capsys.readouterr().out


def test_ingest_a_file_archives_and_normalises_it(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    assert main(["ingest", "--dataset", "rain-gauge-stations", str(SAMPLE_DROP)]) == 0
    out = capsys.readouterr().out
    assert "83 dòng / rows" in out
    assert (tmp_path / "archive" / "manifest.jsonl").exists()


def test_ingest_a_bad_file_exits_with_the_problems(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path))
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE_DROP.read_text(encoding="utf-8").replace(",641.0,", ",sáu trăm,"), encoding="utf-8")
    assert main(["ingest", "--dataset", "rain-gauge-stations", str(bad)]) == 1
    assert "sáu trăm" in capsys.readouterr().out
    unreadable = tmp_path / "x.csv"
    unreadable.write_text("a,b\n1,2\n")
    assert main(["ingest", "--dataset", "rain-gauge-stations", str(unreadable)]) == 2
    assert main(["ingest", "--dataset", "no-such-dataset", str(unreadable)]) == 3


def test_check_prints_the_receipt_and_exits_by_verdict(tmp_path: Path, capsys) -> None:
    assert main(["check", str(SAMPLE_DROP), "--dataset", "rain-gauge-stations"]) == 0
    assert "ĐƯỢC CHẤP NHẬN / ACCEPTED" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE_DROP.read_text(encoding="utf-8").replace("DN-RG-0002", "DN-RG-0001"), encoding="utf-8")
    assert main(["check", str(bad), "--dataset", "rain-gauge-stations"]) == 1
    out = capsys.readouterr().out
    assert "BỊ TỪ CHỐI / REJECTED" in out and "DN-RG-0001" in out
    unusable = tmp_path / "x.csv"
    unusable.write_text("a,b\n1,2\n")
    assert main(["check", str(unusable), "--dataset", "rain-gauge-stations"]) == 2
    assert "The file could not be read" in capsys.readouterr().out
