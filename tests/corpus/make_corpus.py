"""The bad-input corpus: hostile and broken deliveries, each with the outcome it must get.

Generated (most are large or binary): ``python tests/corpus/make_corpus.py DIR`` writes them, and the
tests build them into a temporary folder. Every case starts from the sample rain-gauge delivery, which
is accepted as it is, and breaks one thing. ``expect`` is what ``opendata check`` must answer:
accepted (exit 0), rejected by the gate (exit 1) or unreadable (exit 2, a clear message), and
``says`` a phrase the answer must contain. ``strict`` cases use a spec with small limits.
"""

from __future__ import annotations

import io
import json
import os
import random
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "include" / "samples" / "danang" / "snnmt" / "rain-gauge-stations" / "tram-do-mua-2026-q4.csv"
HEADER = ["Mã trạm", "Tên trạm", "Phường/Xã", "Mã phường/xã", "Vĩ độ", "Kinh độ", "Độ cao (m)", "Ngày lắp đặt",
          "Ngày hiệu chuẩn gần nhất", "Tình trạng"]


@dataclass(frozen=True)
class Case:
    name: str  # file name; its ending says the format
    expect: str  # accepted | rejected | unreadable
    says: str = ""  # a phrase of the receipt or the error
    strict: bool = False  # checked against the small-limits spec
    heavy: bool = False  # run in its own process, its memory and time measured
    hides: str = ""  # text that must NOT appear in the answer (personal data)


def _rows() -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(SAMPLE.read_text(encoding="utf-8"))))


def _csv(rows: list[list[str]], sep: str = ",", end: str = "\n") -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator=end).writerows(rows)
    return out.getvalue().encode("utf-8")


def _edit(col: int, value: str, row: int = 1) -> bytes:
    rows = _rows()
    rows[row][col] = value
    return _csv(rows)


def _xlsx(rows: list[list], mutate=None) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    if mutate:
        mutate(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _tcvn3(text: str) -> str:
    """A cell typed in the .VnTime font, as a Unicode workbook shows it."""
    sys.path.insert(0, str(ROOT / "src"))
    from opendata.normalise.legacy import encode_tcvn3

    return encode_tcvn3(text).decode("latin-1")


def _rezip(raw: bytes, part: str, old: bytes, new: bytes) -> bytes:
    """The same XLSX with ``old`` replaced by ``new`` once in one part's XML (which must hold it)."""
    src, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == part:
                assert old in data, f"{part} does not hold {old[:40]!r}"
                data = data.replace(old, new, 1)
            dst.writestr(info.filename, data)
    return out.getvalue()


def _zip_bomb(raw: bytes, mebibytes: int = 70 * 16) -> bytes:
    """A small file that unzips to ``mebibytes`` MiB (1.1 GiB unless told): a sheet padded with spaces
    inside its XML."""
    src, out = zipfile.ZipFile(io.BytesIO(raw)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info.filename, src.read(info.filename))
                continue
            data = src.read(info.filename)
            head, tail = data.split(b"<sheetData>", 1)
            with dst.open(info.filename, "w", force_zip64=True) as f:
                f.write(head + b"<sheetData>")
                block = b" " * (1 << 20)
                for _ in range(mebibytes):
                    f.write(block)
                f.write(tail)
    return out.getvalue()


def _lying_sizes(raw: bytes, part: str = "xl/worksheets/sheet1.xml", declared: int = 1000) -> bytes:
    """The same zip whose ``part`` declares (in its local header and the central directory) that it
    unpacks to ``declared`` bytes, whatever it really unpacks to."""
    data, name = bytearray(raw), part.encode()
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            length = int.from_bytes(data[at + size_at + 4: at + size_at + 6], "little")
            if data[name_at: name_at + length] == name:
                data[at + size_at: at + size_at + 4] = declared.to_bytes(4, "little")
            at = data.find(signature, at + 4)
    return bytes(data)


def _deep_json(depth: int) -> bytes:
    return ("[" * depth + "]" * depth).encode()


def _records(rows: list[list[str]]) -> list[dict]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def cases() -> list[tuple[Case, bytes]]:
    rows = _rows()
    base = SAMPLE.read_bytes()
    wide = [rows[0] + [f"Cột {i}" for i in range(10_000)]] + [r + [""] * 10_000 for r in rows[1:]]
    xlsx = _xlsx(rows)
    out: list[tuple[Case, bytes]] = [
        # what agencies really send, and must be accepted
        (Case("base.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), base),
        (Case("bom.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), b"\xef\xbb\xbf" + base),
        (Case("crlf.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), _csv(rows, end="\r\n")),
        (Case("semicolons.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), _csv(rows, sep=";")),
        (Case("utf16.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), base.decode().encode("utf-16")),
        (Case("trailing-empty-fields.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), _csv([r + ["", ""] for r in rows])),
        (Case("html-in-a-cell.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), _edit(1, "Trạm <script>alert(1)</script>")),
        (Case("control-character.csv", "accepted", "ký tự điều khiển"), _edit(1, "Trạm\x0bđo mưa\x1b[31m")),
        (Case("valid.xlsx", "accepted", "ĐƯỢC CHẤP NHẬN"), xlsx),
        (Case("serial-number-column.csv", "accepted", "ĐƯỢC CHẤP NHẬN"),
         _csv([["STT", *rows[0]]] + [[str(i), *r] for i, r in enumerate(rows[1:], 1)])),
        (Case("column-outside-the-spec.csv", "accepted", "not published"),
         _csv([[*rows[0], "Người nhập liệu"]] + [[*r, "Nguyễn Văn A"] for r in rows[1:]])),
        (Case("dimension-claims-the-whole-sheet.xlsx", "accepted", "ĐƯỢC CHẤP NHẬN"),
         _rezip(xlsx, "xl/worksheets/sheet1.xml", b'<dimension ref="A1:J84" />', b'<dimension ref="A1:XFD1048576" />')),
        (Case("valid.json", "accepted", "ĐƯỢC CHẤP NHẬN"), json.dumps(_records(rows), ensure_ascii=False).encode()),
        (Case("nul-escape-in.json", "accepted", "ký tự điều khiển"),
         json.dumps([{**r, "Tên trạm": r["Tên trạm"] + "\u0000"} for r in _records(rows)], ensure_ascii=False).encode()),
        # the gate refuses, naming row and column
        (Case("personal-id-number.csv", "rejected", "thông tin cá nhân", hides="079203001234"),
         _edit(1, "Trạm của ông A, CCCD 079203001234")),
        (Case("personal-mobile.csv", "rejected", "thông tin cá nhân", hides="0905123456"), _edit(1, "Gọi 0905123456")),
        (Case("replacement-characters.csv", "rejected", "U+FFFD"), _edit(1, "Tr\ufffd\ufffdm đo m\ufffda")),
        (Case("formula-injection.csv", "rejected", "công thức"), _edit(1, "=HYPERLINK(\"http://x.invalid\",\"bấm\")")),
        (Case("ward-abolished.csv", "rejected", "phường, xã"), _edit(2, "Quận Hải Châu")),
        # numbers that are not numbers, formulas behind invisible characters, personal data as people write it
        (Case("nan-latitude.csv", "rejected", "a finite number"), _edit(4, "NaN")),
        (Case("infinite-elevation.json", "rejected", "a finite number"),
         json.dumps(_records(rows), ensure_ascii=False).encode().replace(f'"{rows[1][6]}"'.encode(), b"1e999", 1)),
        (Case("integer-beyond-64-bits.csv", "rejected", "an integer (at most"), _edit(3, "99999999999999999999")),
        (Case("formula-behind-a-tab.csv", "rejected", "công thức"), _edit(1, "\t=HYPERLINK(\"http://x.invalid\")")),
        (Case("formula-full-width.csv", "rejected", "công thức"), _edit(1, "\uff1dHYPERLINK(\"http://x.invalid\")")),
        (Case("formula-behind-zero-width-space.csv", "rejected", "công thức"), _edit(1, "\u200b@SUM(A1)")),
        (Case("mobile-with-dots.csv", "rejected", "thông tin cá nhân", hides="0905.123.456"),
         _edit(1, "Gọi 0905.123.456")),
        (Case("id-number-with-spaces.csv", "rejected", "thông tin cá nhân", hides="079 203 001 234"),
         _edit(1, "CCCD 079 203 001 234")),
        (Case("mobile-plus-84.csv", "rejected", "thông tin cá nhân", hides="+84 905 123 456"),
         _edit(1, "(+84) 905 123 456")),
        (Case("email-run-of-32000.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), _edit(1, "a" * 32_000)),
        # issue 30, one case per class: real sheets' shapes
        (Case("names-in-tcvn3-under-a-unicode-header.xlsx", "accepted", "TCVN3"),
         _xlsx([rows[0]] + [[_tcvn3(c) if i == 1 else c for i, c in enumerate(r)] for r in rows[1:]])),
        (Case("title-and-signature-block.xlsx", "accepted", "signature block"),
         _xlsx([["UBND THÀNH PHỐ ĐÀ NẴNG"], [], *rows, [], ["", "", "", "", "", "", "", "Đà Nẵng, ngày 1 tháng 12 năm 2026"],
                ["", "Người lập biểu", "", "", "", "", "", "GIÁM ĐỐC"], [], ["", "Nguyễn Văn A", "Trần Thị B"]])),
        (Case("iso-8601-dates-with-zone.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), _edit(7, "2019-09-07T08:00:00+07:00")),
        (Case("placeholder-dashes.csv", "accepted", "ĐƯỢC CHẤP NHẬN"), _edit(6, "----")),
        (Case("ward-code-of-another-ward.csv", "rejected", "không khớp"), _edit(3, rows[2][3])),
        (Case("duplicate-key.csv", "rejected", "trùng"), _edit(0, rows[2][0])),
        (Case("latitude-out-of-range.csv", "rejected", "latitude"), _edit(4, "95.5")),
        (Case("required-empty.csv", "rejected", "Thiếu mã"), _edit(0, "")),
        (Case("ragged-row.csv", "rejected", "ô thay vì"), _csv(rows[:3] + [rows[3] + ["x", "y"]] + rows[4:])),
        # a short row is a structural error too: never padded with empty cells
        (Case("short-row.csv", "rejected", "6 cells instead of"), _csv(rows[:3] + [rows[3][:6]] + rows[4:])),
        (Case("bare-carriage-return.csv", "unreadable", "dòng/line"), _edit(1, "Trạm\rđo")),
        (Case("rows-missing.csv", "rejected", "Số dòng"), _csv(rows[:40])),
        (Case("header-only.csv", "rejected", "Số dòng"), _csv(rows[:1])),
        (Case("type-garbage.csv", "rejected", "không phải"), _edit(3, "hai mươi")),
        # cannot be read at all: a clear message, quickly, in bounded memory
        (Case("empty.csv", "unreadable"), b""),
        (Case("utf8-then-cp1258.csv", "unreadable", "(line 41)"),
         _csv(rows[:40]) + _csv(rows[40:]).decode().encode("cp1258", errors="replace")),
        (Case("cut-inside-a-character.csv", "unreadable", "cut short"),
         base.rstrip(b"\r\n")[: base.rstrip(b"\r\n").rindex("ộ".encode()) + 1]),
        (Case("nul-bytes.csv", "unreadable", "NUL"), base[:300] + b"\x00\x00" + base[300:]),
        (Case("random-bytes.csv", "unreadable"), random.Random(7).randbytes(64 << 10)),
        (Case("one-mb-cell.csv", "unreadable", "max_cell_chars", heavy=True), _edit(1, "a" * (1 << 20))),
        (Case("twenty-mb-line.csv", "unreadable", "max_cell_chars", heavy=True), _edit(9, "Hoạt động " * (2 << 20))),
        (Case("ten-thousand-columns.csv", "unreadable", "max_columns", heavy=True), _csv(wide)),
        (Case("unterminated-quote.csv", "unreadable", "max_cell_chars"),
         base.replace("Hoạt động".encode(), '"Hoạt động'.encode(), 1) + b"x" * 40_000),
        (Case("nested-10000-deep.json", "unreadable", "max_depth", heavy=True), _deep_json(10_000)),
        (Case("nested-in-a-record.json", "unreadable", "max_depth"),
         json.dumps([{**r, "Tên trạm": json.loads(_deep_json(60))} for r in _records(rows)], ensure_ascii=False).encode()),
        (Case("invalid.json", "unreadable", "JSON"), b'[{"M\xc3\xa3 tr\xe1\xba\xa1m": "DN-RG-0001",'),
        (Case("no-records.json", "unreadable", "bản ghi"), b"[]"),
        (Case("not-records.json", "unreadable", "bản ghi"), b"[1, 2, 3]"),
        (Case("object-without-list.json", "unreadable", "bản ghi"), b'{"data": {"count": 3}}'),
        (Case("not-a-zip.xlsx", "unreadable", "Excel"), b"PK\x03\x04" + random.Random(3).randbytes(4000)),
        (Case("truncated.xlsx", "unreadable", "Excel"), xlsx[: len(xlsx) // 2]),
        (Case("not-really.xls", "unreadable", ".xls"), b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000)),
        (Case("far-away-cell.xlsx", "unreadable", "max_columns", heavy=True),
         _xlsx(rows, lambda ws: ws.cell(row=1_048_576, column=16_384, value="x"))),
        (Case("ten-thousand-columns.xlsx", "unreadable", "max_columns", heavy=True), _xlsx(wide[:3])),
        (Case("one-mb-cell.xlsx", "unreadable", "max_cell_chars", heavy=True),
         _rezip(xlsx, "xl/worksheets/sheet1.xml", "<t>Trạm đo mưa".encode(), b"<t>" + b"a" * (1 << 20))),
        (Case("zip-bomb.xlsx", "unreadable", "max_unpacked_bytes", heavy=True), _zip_bomb(xlsx)),
        (Case("zip-bomb-under-the-size-limit.xlsx", "unreadable", "max_zip_ratio", heavy=True), _zip_bomb(xlsx, 300)),
        (Case("zip-part-lies-about-its-size.xlsx", "unreadable", "damaged", heavy=True), _lying_sizes(_zip_bomb(xlsx, 200))),
        # over the limits of a spec that sets small ones
        (Case("over-max-bytes.csv", "unreadable", "max_bytes", strict=True), base + b"\n" * 300_000),
        (Case("over-max-rows.csv", "unreadable", "max_rows", strict=True), base),
        (Case("over-max-rows.xlsx", "unreadable", "max_rows", strict=True), xlsx),
        (Case("over-max-json-bytes.json", "unreadable", "max_json_bytes", strict=True),
         json.dumps(_records(rows), ensure_ascii=False).encode()),
    ]
    return out


def build(folder: Path) -> list[tuple[Case, Path]]:
    folder.mkdir(parents=True, exist_ok=True)
    built = []
    for case, data in cases():
        path = folder / case.name
        path.write_bytes(data)
        built.append((case, path))
    return built


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TMPDIR", "/tmp")) / "opendata-corpus"
    for case, path in build(target):
        print(f"{case.expect:10} {path.stat().st_size:>12,}  {path}")
