"""Classes 4 to 8 of the outsiders' list, through the agencies' own entry point (``opendata check``, in
a process of its own where memory is measured) and through the pipeline's stages (drop → archive →
normalise → check, Great Expectations' Data Docs included): archives that expand, numbers that are not
numbers, formulas behind whitespace or in full-width signs, personal data as people write it, and
cells built to make a regular expression backtrack."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from opendata.exceptions import InputError, QualityGateFailed
from opendata.pipeline import stages
from opendata.pipeline.context import RunContext
from opendata.settings import IntakeSettings, PathSettings, Settings
from tests.corpus.make_corpus import _csv, _lying_sizes, _records, _rows, _xlsx, _zip_bomb
from tests.factories import measured_cli, rain_spec

KEY = "danang.snnmt.rain-gauge-stations"
NAME, WARD_CODE, LATITUDE, ELEVATION = 1, 3, 4, 6  # columns of the sample rain-gauge file


def opendata_check(path: Path, tmp_path: Path) -> tuple[int, str, float, int]:
    """``opendata check`` in its own process: (exit code, what it said, seconds, peak RSS in KiB)."""
    code, said, errors, seconds, peak = measured_cli(["check", "--dataset", KEY, str(path)], tmp_path,
                                                     {**os.environ, "COLUMNS": "1000"})
    assert "Traceback" not in errors and peak > 0, errors[-2000:]
    return code, " ".join(said.split()), seconds, peak


def untouched(tmp_path: Path, before: set[str]) -> None:
    """``opendata check`` writes nothing where it runs: nothing left behind, nothing published."""
    assert {p.name for p in tmp_path.iterdir()} - {"out", "err"} == before


def edited(cells: dict[tuple[int, int], str]) -> list[list[str]]:
    rows = _rows()
    for (row, col), value in cells.items():
        rows[row][col] = value
    return rows


# ----- 4. archives that expand -----------------------------------------------------------------------

@pytest.mark.parametrize("name, make, says", [
    ("bomb-300mb.xlsx", lambda x: _zip_bomb(x, 300), "max_zip_ratio"),
    ("lying-sizes.xlsx", lambda x: _lying_sizes(_zip_bomb(x, 200)), "damaged"),
])
def test_a_workbook_that_expands_is_refused_in_seconds_and_bounded_memory(tmp_path, name, make, says) -> None:
    path = tmp_path / name
    path.write_bytes(make(_xlsx(_rows())))
    before = {p.name for p in tmp_path.iterdir()}
    code, said, seconds, peak_kib = opendata_check(path, tmp_path)
    assert code == 2 and says in said and "no header row" not in said, said[-1500:]
    assert seconds < 20 and peak_kib < 1 << 20, (seconds, peak_kib)
    assert path.stat().st_size < 400_000  # the attack is small; what it would unpack to is not
    untouched(tmp_path, before)


# ----- 5. numbers that are not numbers ---------------------------------------------------------------

NOT_NUMBERS = {(1, LATITUDE): "NaN", (2, LATITUDE): "Infinity", (3, ELEVATION): "-inf", (4, ELEVATION): "1e999",
               (5, WARD_CODE): "99999999999999999999", (6, WARD_CODE): "1e30", (7, WARD_CODE): "9.007.199.254.740.993"}


@pytest.mark.parametrize("form", ["csv", "xlsx", "json"])
def test_nan_infinity_and_overflowing_numbers_are_refused_in_every_format(tmp_path, capsys, monkeypatch, form) -> None:
    from opendata.cli import main

    rows = edited(NOT_NUMBERS)
    data = {"csv": lambda: _csv(rows), "xlsx": lambda: _xlsx(rows),
            "json": lambda: json.dumps(_records(rows), ensure_ascii=False).encode()}[form]()
    if form == "json":  # JSON's own spellings of the same: bare NaN and Infinity, an exponent that overflows
        data = data.replace(b'"NaN"', b"NaN").replace(b'"Infinity"', b"Infinity").replace(b'"1e999"', b"1e999")
    path = tmp_path / f"not-numbers.{form}"
    path.write_bytes(data)
    monkeypatch.setenv("COLUMNS", "1000")
    code = main(["check", "--dataset", KEY, str(path)])
    said = " ".join(capsys.readouterr().out.split())
    assert code == 1, said[-2000:]
    for (row, _col), value in NOT_NUMBERS.items():
        shown = {"Infinity": "inf", "1e999": "inf"}.get(value, value)  # as the parser that typed it prints it
        assert f"{row + 1}" in said and (value in said or shown.lower() in said.lower()), (value, said[-3000:])
    assert "a finite number" in said and "an integer (at most" in said


# ----- 6. formulas behind whitespace and control characters, and in full-width signs ------------------

FORMULAS = ["\t=cmd|' /C calc'!A0", "\r=HYPERLINK(\"http://x.invalid\",\"bấm\")", "\n=1+1*A1", "\x01=SUM(A1)",
            " \x0b=SUM(A1)", "\u200b=1+A1", "\ufeff=1+A1", "\u3000=1+A1", "\u00a0@SUM(A1)",
            "\uff1dHYPERLINK(\"x\")", "\uff0bcmd|x", "\uff20SUM(A1)", "\uff0d1+A1"]


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_formulas_behind_invisible_characters_or_in_full_width_are_blocked(tmp_path, capsys, monkeypatch, form) -> None:
    from opendata.cli import main

    shown = [f for f in FORMULAS if form == "csv" or not any(c in f for c in "\x01\x0b")]  # XLSX cannot hold those two
    rows = edited({(i + 1, NAME): f"{f} Trạm" for i, f in enumerate(shown)})
    path = tmp_path / f"formulas.{form}"
    path.write_bytes(_csv(rows) if form == "csv" else _xlsx(rows))
    monkeypatch.setenv("COLUMNS", "1000")
    assert main(["check", "--dataset", KEY, str(path)]) == 1
    said = " ".join(capsys.readouterr().out.split())
    assert "công thức" in said and f"{len(shown)}" in said, said[-2000:]


# ----- 7. personal data in the forms people write it -------------------------------------------------

PERSONAL = ["0905.123.456", "0905 123 456", "0905-123-456", "+84 905 123 456", "(+84) 905 123 456",
            "CCCD 079 203 001 234", "079.203.001.234", "\uff10\uff19\uff10\uff15\uff11\uff12\uff13\uff14\uff15\uff16",
            "nguyễn.văn.a@gmail.com"]


def test_phone_and_id_numbers_with_separators_are_caught_and_masked_alike(tmp_path, capsys, monkeypatch) -> None:
    from opendata.cli import main
    from opendata.quality.personal import holds_personal, mask_personal

    rows = edited({(i + 1, NAME): f"Trạm, liên hệ {p}" for i, p in enumerate(PERSONAL)})
    path = tmp_path / "personal.csv"
    path.write_bytes(_csv(rows))
    monkeypatch.setenv("COLUMNS", "1000")
    assert main(["check", "--dataset", KEY, str(path)]) == 1
    said = " ".join(capsys.readouterr().out.split())
    assert "thông tin cá nhân" in said
    for written in PERSONAL:
        assert holds_personal(written)  # what the gate's RE2 rule catches, Python finds with the same patterns
        masked = mask_personal(written)
        digits = "".join(c for c in written if c.isdigit())
        assert "***" in masked and (not digits or digits not in "".join(c for c in masked if c.isdigit()))
        assert written not in said and (not digits or digits[3:-3] not in said)  # the receipt never repeats them


# ----- 8. regular expressions in linear time ---------------------------------------------------------

BACKTRACKERS = ["a" * 32_000, "a." * 16_000, "0 " * 16_000, "0" * 32_000, "=" + "1" * 31_999, " " * 31_999 + "x",
                "@a" * 16_000, "+84" * 10_666, "x" + "\u00d4" * 31_999, "-" * 31_999 + "!"]


def test_forty_cells_built_to_backtrack_are_judged_in_seconds_data_docs_included(tmp_path) -> None:
    """Forty 32,000-character cells against every pattern the gate runs on text, in RE2 and again in
    Python's engine, where Great Expectations renders the Data Docs of a small delivery."""
    ctx = RunContext(Settings(paths=PathSettings(data=tmp_path / "data"), intake=IntakeSettings(look_interval_s=0.05)),
                     "attack", datetime.now(UTC))
    spec = rain_spec()
    rows = edited({(i + 1, NAME): BACKTRACKERS[i % len(BACKTRACKERS)] for i in range(40)})
    folder = ctx.settings.paths.dropzone_root / spec.city / spec.agency / spec.id
    folder.mkdir(parents=True)
    dropped = folder / "tram.csv"
    dropped.write_bytes(_csv(rows))
    os.utime(dropped, (time.time() - 60, time.time() - 60))
    started = time.monotonic()
    archived = stages.fetch_and_archive(spec, ctx)
    with pytest.raises(QualityGateFailed):
        stages.check(spec, ctx, stages.normalise(spec, ctx, archived), 48)
    seconds = time.monotonic() - started
    assert seconds < 60, f"{seconds:.1f} s"
    assert list((ctx.data / "docs").rglob("*.html")), "Great Expectations' Data Docs were rendered"
    assert list(ctx.quarantine(spec).iterdir())


def test_a_spec_pattern_that_could_backtrack_is_refused_when_the_spec_is_read() -> None:
    from pydantic import ValidationError

    from opendata.spec.models import ColumnSpec

    for pattern in (r"^(a+)+$", r"^(\w+\s?)*$", r"^(a|ab)*c$", r"(\d)\1"):
        with pytest.raises(ValidationError, match="linear|exponential"):
            ColumnSpec(name="code", label={"vi": "Mã"}, pattern=pattern)
    assert ColumnSpec(name="code", label={"vi": "Mã"}, pattern=r"^DN-RG-\d{4}$").pattern


def test_an_unreadable_number_never_crashes_the_reader(tmp_path) -> None:
    """An integer column whose cells overflow every reading: a receipt, never Arrow's exception."""
    from opendata.normalise import normalise_file

    rows = edited({(r, WARD_CODE): "9" * 400 for r in range(1, 20)})
    path = tmp_path / "huge-integers.csv"
    path.write_bytes(_csv(rows))
    try:
        table = normalise_file(rain_spec(), path, path.name, tmp_path / "staging")
    except InputError as exc:  # refusing the file is a receipt too
        assert "ward" in exc.message.lower() or "phường" in exc.message.lower()
        return
    assert table.type_failures.get("ward_code") == 19





def _rezip(raw: bytes, part: str, edit) -> bytes:
    import io
    import zipfile

    src, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, edit(data) if info.filename == part else data)
    return out.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"])
def test_xml_entities_in_a_workbook_neither_read_files_nor_expand(tmp_path, part) -> None:
    """An external entity naming a file on the server, and ten nested entities of ten (a billion laughs):
    neither is resolved, the check answers in seconds, the secret appears nowhere."""
    from tests.fuzz.harness import check_bytes

    secret = tmp_path / "secret.txt"
    secret.write_text("MẬT-KHẨU-42", encoding="utf-8")
    doctype = (f'<!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">'
               + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' if i else '<!ENTITY l0 "ha">' for i in range(10)) + "]>")
    raw = _rezip(_xlsx(_rows()), part, lambda d: d.replace(b"?>", b"?>" + doctype.encode(), 1)
                 .replace("<t>Trạm".encode(), "<t>&e;&l9;Trạm".encode(), 1))
    started = time.monotonic()
    outcome = check_bytes(raw, ".xlsx")  # the harness fails on any read outside the delivery
    assert outcome in {"accepted", "rejected", "unreadable"} and time.monotonic() - started < 10
    path = tmp_path / "entities.xlsx"
    path.write_bytes(raw)
    code, said, seconds, peak_kib = opendata_check(path, tmp_path)
    assert "MẬT-KHẨU-42" not in said and "haha" not in said and seconds < 20 and peak_kib < 1 << 20
