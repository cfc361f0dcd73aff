"""The canonical corpus: one table of 120 agency rows with the hard cases, rendered the ways agencies
really send it (17 renditions) and broken the ways their files really break (7 variants).

Every rendition must normalise to exactly ``CANONICAL`` (every cell, NFC, machine types); every broken
variant must give its expected outcome. The legacy encoders here are independent of the decoder under
test: TCVN3 goes through glibc's ``iconv`` (TCVN5712-1 has the same codes for every lowercase letter and
for ĂÂÊÔƠƯĐ), with toned capitals written as writers do (the capital base, then the lowercase toned
letter); VNI is a literal table typed out below.

Run ``python -m tests.normalise.make_canonical_corpus <folder>`` to write the files for a look.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import openpyxl

from tests.factories import to_cp1258

# ------------------------------------------------------------------ the canonical table

COLUMNS = [  # name, Vietnamese caption, type
    ("code", "Mã cơ sở", "string"),
    ("name", "Tên cơ sở", "string"),
    ("address", "Địa chỉ", "string"),
    ("tax_code", "Mã số thuế", "string"),
    ("staff", "Số lao động", "integer"),
    ("area", "Diện tích (m2)", "number"),
    ("opened_on", "Ngày thành lập", "date"),
]
NAMES = [
    "Ủy ban nhân dân phường Hải Châu",  # a toned capital starting the cell
    "ỦY BAN NHÂN DÂN QUẬN SƠN TRÀ",  # capitals throughout
    "Uỷ ban phường Hoà Cường Bắc",  # old-style tone placement, kept as written
    "Trường THPT Ánh Dương",  # a toned capital inside mixed-case text
    'Công ty "Ánh Sáng", chi nhánh Đà Nẵng',  # quotes and a comma inside the cell
    "Cửa hàng Ỷ Lan",
    "Nhà văn hoá Ông Ích Khiêm",
    "Quán Ốc, Ớt và Ẩm thực",
    "Hợp tác xã Ứng Hòa",
    "TRUNG TÂM Y TẾ HUYỆN HÒA VANG",
    "Bệnh viện Đa khoa Ấp Bắc",
    "Điểm du lịch Ẻo Lả",
    "KHU DÂN CƯ ỨNG THÀNH",
    "Quỹ Ủng hộ người nghèo",
]
ADDRESSES = [
    "Số 12, đường Nguyễn Văn Linh",
    '05 "Lô A", Khu đô thị Phước Lý',
    "K12/3 Hoàng Diệu, phường Hải Châu",
    None,
    "Thôn Ấp Nam, xã Hòa Phong",
    "162 Ông Ích Đường, quận Cẩm Lệ",
]


def _row(i: int) -> dict:
    return {
        "code": f"CS{i:03d}",
        "name": f"{NAMES[i % len(NAMES)]} {i}",
        "address": ADDRESSES[i % len(ADDRESSES)],
        "tax_code": f"04{(i * 7919) % 100_000_000:08d}",  # leading zero: text, never a number
        "staff": (i * 373) % 20_000,  # over 999: Vietnamese thousands separators in text files
        "area": None if i % 11 == 0 else ((i * 1237) % 90_000) / 4,  # quarters: exact in binary
        "opened_on": None if i % 13 == 0 else date(1975, 4, 30) + timedelta(days=i * 97),
    }


CANONICAL = [_row(i) for i in range(1, 121)]


def spec_data(source: dict | None = None) -> dict:
    return {
        "id": "facilities", "city": "danang", "agency": "syt",
        "title": {"vi": "Cơ sở", "en": "Facilities"}, "description": {"vi": "Danh sách cơ sở"},
        "domain": "y-te", "contact": {"name": "Sở Y tế", "email": "syt@danang.gov.vn"},
        "update_frequency": "monthly", "source": source or {"kind": "drop_zone", "pattern": "*"},
        "primary_key": ["code"],
        "columns": [{"name": n, "label": {"vi": c}, "type": t, **({"required": True} if n in ("code", "name") else {})}
                    for n, c, t in COLUMNS],
    }


# ------------------------------------------------------------------ cells as a person writes them


def vi_number(value: float | int | None) -> str:
    """1234.25 → '1.234,25'; 12500 → '12.500' (Vietnamese separators)."""
    if value is None:
        return ""
    whole, _, frac = f"{value:.2f}".partition(".") if isinstance(value, float) else (str(value), "", "")
    grouped = f"{int(whole):,}".replace(",", ".")
    frac = frac.rstrip("0")
    return grouped + ("," + frac if frac else "")


def vi_date(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def text_cells(row: dict) -> list[str]:
    return [row["code"], row["name"], row["address"] or "", row["tax_code"], vi_number(row["staff"]),
            vi_number(row["area"]), vi_date(row["opened_on"])]


def csv_text(order: list[int] | None = None, sep: str = ",", trailing: str = "", stt: bool = False) -> str:
    order = order or list(range(len(COLUMNS)))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator="\r\n")
    writer.writerow((["STT"] if stt else []) + [COLUMNS[i][1] for i in order])
    for n, row in enumerate(CANONICAL, 1):
        cells = text_cells(row)
        writer.writerow(([str(n)] if stt else []) + [cells[i] for i in order] + ([""] * len(trailing)))
    return out.getvalue()


# ------------------------------------------------------------------ independent legacy encoders

TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}


def _capital_as_writers_type_it(ch: str) -> str:
    """A toned capital, which TCVN3 lacks: the capital base, then the lowercase toned letter."""
    parts = unicodedata.normalize("NFD", ch)
    if ch.isupper() and any(p in TONES for p in parts):
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONES))
        return base + ch.lower()
    return ch


def to_tcvn3(text: str) -> bytes:
    spelled = "".join(_capital_as_writers_type_it(c) for c in unicodedata.normalize("NFC", text))
    return subprocess.run(["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"], input=spelled.encode("utf-8"),
                          capture_output=True, check=True).stdout


# VNI-Windows, typed out: each lowercase letter's spelling in Windows-1252 characters.
VNI_LOWER = {
    "à": "aø", "á": "aù", "ả": "aû", "ã": "aõ", "ạ": "aï",
    "ă": "aê", "ằ": "aè", "ắ": "aé", "ẳ": "aú", "ẵ": "aü", "ặ": "aë",
    "â": "aâ", "ầ": "aà", "ấ": "aá", "ẩ": "aå", "ẫ": "aã", "ậ": "aä",
    "è": "eø", "é": "eù", "ẻ": "eû", "ẽ": "eõ", "ẹ": "eï",
    "ê": "eâ", "ề": "eà", "ế": "eá", "ể": "eå", "ễ": "eã", "ệ": "eä",
    "ì": "ì", "í": "í", "ỉ": "æ", "ĩ": "ó", "ị": "ò",
    "ò": "oø", "ó": "où", "ỏ": "oû", "õ": "oõ", "ọ": "oï",
    "ô": "oâ", "ồ": "oà", "ố": "oá", "ổ": "oå", "ỗ": "oã", "ộ": "oä",
    "ơ": "ô", "ờ": "ôø", "ớ": "ôù", "ở": "ôû", "ỡ": "ôõ", "ợ": "ôï",
    "ù": "uø", "ú": "uù", "ủ": "uû", "ũ": "uõ", "ụ": "uï",
    "ư": "ö", "ừ": "öø", "ứ": "öù", "ử": "öû", "ữ": "öõ", "ự": "öï",
    "ỳ": "yø", "ý": "yù", "ỷ": "yû", "ỹ": "yõ", "ỵ": "î",
    "đ": "ñ",
}


def to_vni(text: str, lowercase_marks_in_titles: bool = True) -> bytes:
    """Capitals are the base and the mark in capitals ("AÙ"); in a word that is not all capitals the
    writer often leaves Shift for the mark ("Aùnh"), which is how this one types them."""
    out = []
    for word in _words(unicodedata.normalize("NFC", text)):
        all_caps = word.isupper() and len(word) > 1
        for ch in word:
            low = ch.lower()
            if low not in VNI_LOWER:
                out.append(ch)
            elif ch == low:
                out.append(VNI_LOWER[low])
            elif len(VNI_LOWER[low]) == 1 or all_caps or not lowercase_marks_in_titles:
                out.append(VNI_LOWER[low].upper())
            else:
                out.append(VNI_LOWER[low][0].upper() + VNI_LOWER[low][1])
    return "".join(out).encode("cp1252")


def _words(text: str) -> list[str]:
    out, current = [], ""
    for ch in text:
        if ch.isalpha() == (current[-1:].isalpha() if current else ch.isalpha()):
            current += ch
        else:
            out.append(current)
            current = ch
    return out + ([current] if current else [])


# ------------------------------------------------------------------ workbooks

TITLE = ["UBND THÀNH PHỐ ĐÀ NẴNG", "SỞ Y TẾ", "DANH SÁCH CƠ SỞ ĐĂNG KÝ"]
FOOTER = [[f"Tổng cộng: {len(CANONICAL)} cơ sở"], [], ["", "", "Người lập biểu"], ["", "", "Nguyễn Thị Ánh"]]


def typed_cells(row: dict) -> list:
    return [row["code"], row["name"], row["address"], row["tax_code"], row["staff"], row["area"], row["opened_on"]]


def xlsx(rows: list[list], merges: list[str] = ()) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    for row in rows:
        ws.append(row)
    for rng in merges:
        ws.merge_cells(rng)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def legacy_xlsx(encode) -> bytes:
    """Cells typed in a legacy font: text as the font's bytes read as Latin-1 or Windows-1252 characters,
    numbers as numbers, dates as the text the clerk typed."""
    def cell(value):
        if isinstance(value, str):
            raw = encode(value)
            return raw.decode("cp1252") if encode is to_vni else raw.decode("latin-1")
        return vi_date(value) if isinstance(value, date) else value

    header = [cell(c) for _, c, _ in COLUMNS]
    return xlsx([header] + [[cell(v) for v in typed_cells(r)] for r in CANONICAL])


def titled_xlsx() -> bytes:
    """The government sheet: titles, a two-row header with merged cells, an STT column, a footer."""
    captions = [c for _, c, _ in COLUMNS]
    group = ["STT", captions[0], "Thông tin cơ sở", "", captions[3], captions[4], captions[5], captions[6]]
    detail = ["STT", captions[0], captions[1], captions[2], captions[3], captions[4], captions[5], captions[6]]
    body = [[n, *typed_cells(r)] for n, r in enumerate(CANONICAL, 1)]
    rows = [[TITLE[0]], [TITLE[1]], [], [TITLE[2]], group, detail, *body, *FOOTER]
    merges = ["A1:H1", "A4:H4", "C5:D5", "A5:A6", "B5:B6", "E5:E6", "F5:F6", "G5:G6", "H5:H6"]
    return xlsx(rows, merges)


def xls() -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Danh sach")
    for c, (_, caption, _) in enumerate(COLUMNS):
        ws.write(0, c, caption)
    for r, row in enumerate(CANONICAL, 1):
        for c, value in enumerate(typed_cells(row)):
            if value is not None:
                ws.write(r, c, vi_date(value) if isinstance(value, date) else value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ------------------------------------------------------------------ records (JSON, API pages, SQL)


def records() -> list[dict]:
    return [{caption: (v.isoformat() if isinstance(v, date) else v) for (_, caption, _), v in zip(COLUMNS, typed_cells(r),
                                                                                              strict=True)}
            for r in CANONICAL]


def sqlite_db(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE co_so (ma TEXT PRIMARY KEY, ten TEXT, dia_chi TEXT, mst TEXT, lao_dong INTEGER,"
                   " dien_tich REAL, ngay_thanh_lap TEXT)")
        db.executemany("INSERT INTO co_so VALUES (?, ?, ?, ?, ?, ?, ?)",
                       [tuple(r.values()) for r in records()])
    db.close()
    return path


SQL_QUERY = ('SELECT ma AS "Mã cơ sở", ten AS "Tên cơ sở", dia_chi AS "Địa chỉ", mst AS "Mã số thuế", '
             'lao_dong AS "Số lao động", dien_tich AS "Diện tích (m2)", ngay_thanh_lap AS "Ngày thành lập" FROM co_so')


# ------------------------------------------------------------------ the renditions and broken variants


@dataclass(frozen=True)
class Rendition:
    name: str  # the file name, its extension as the agency's
    data: bytes | None  # the file; None for the sources that fetch (API pages, database)
    encoding: str | None = None  # what detection must report, where it is one


def renditions() -> list[Rendition]:
    text = csv_text()
    return [
        Rendition("utf8.csv", text.encode("utf-8"), "utf-8"),
        Rendition("utf8-bom.csv", b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        Rendition("utf16-tabs.txt.csv", csv_text(sep="\t").encode("utf-16"), "utf-16"),  # Excel's "Unicode text"
        Rendition("windows-1258.csv", to_cp1258(text), "cp1258"),
        Rendition("nfd.csv", unicodedata.normalize("NFD", text).encode("utf-8"), "utf-8"),
        Rendition("tcvn3.csv", to_tcvn3(text), "tcvn3"),
        Rendition("vni.csv", to_vni(text), "vni"),
        Rendition("captions-reordered.csv", csv_text(order=[6, 3, 1, 0, 5, 2, 4], sep=";").encode("utf-8"), "utf-8"),
        Rendition("excel-trailing-empties-stt.csv", csv_text(trailing="  ", stt=True).encode("utf-8"), "utf-8"),
        Rendition("plain.xlsx", xlsx([[c for _, c, _ in COLUMNS]] + [typed_cells(r) for r in CANONICAL])),
        Rendition("tcvn3.xlsx", legacy_xlsx(to_tcvn3), "excel:tcvn3"),
        Rendition("vni.xlsx", legacy_xlsx(to_vni), "excel:vni"),
        Rendition("titled-merged-stt-footer.xlsx", titled_xlsx()),
        Rendition("old.xls", xls()),
        Rendition("records.json", json.dumps(records(), ensure_ascii=False, indent=1).encode("utf-8")),
        Rendition("api-pages", None),  # paged JSON from the agency's API, through the HTTP source
        Rendition("agency.sqlite3", None),  # the agency's database, through the SQL source
    ]


@dataclass(frozen=True)
class Broken:
    name: str
    data: bytes
    outcome: str  # "unreadable": the whole file refused; "rows": these lines refused, the rest exact
    message: str  # a phrase the refusal or the row issue must carry
    lines: tuple[int, ...] = ()  # the file lines named (rows refused or type failures)
    column: str | None = None


def _line_of(data: bytes, needle: bytes) -> int:
    return data[: data.index(needle)].count(b"\n") + 1


def _first_8bit(data: bytes) -> int:
    return next(i for i, b in enumerate(data) if b > 0x7F)


def _with_row(text: str, index: int, cells: list[str]) -> str:
    """The CSV with data row ``index`` (1 = the first) written as ``cells``."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(cells)
    lines = text.split("\r\n")
    lines[index] = out.getvalue()
    return "\r\n".join(lines)


def broken() -> list[Broken]:
    text = csv_text()
    head = "\r\n".join(text.split("\r\n")[:61]) + "\r\n"  # the header and 60 rows
    rest = text[len(head):]
    cut = text.encode("utf-8")[: text.encode("utf-8").index("Ánh Dương 3".encode()) + 1]  # inside 'Á'
    row7, row9 = text_cells(CANONICAL[6]), text_cells(CANONICAL[8])
    extra = "\r\n".join(line + (",Ghi chú" if n == 0 else ",xem lại" if line else "")
                        for n, line in enumerate(text.split("\r\n")))
    return [
        Broken("utf8-then-windows-1258.csv", head.encode("utf-8") + to_cp1258(rest), "unreadable",
               f"UTF-8 up to byte {len(head.encode('utf-8')) + _first_8bit(to_cp1258(rest)):,} (line 62)"),
        Broken("cut-inside-a-letter.csv", cut, "unreadable",  # cut inside row CS003: the row before is complete
               f"the last complete row is line {_line_of(cut, b'CS003') - 1}"),
        Broken("tcvn3-then-vni.csv", to_tcvn3(head) + to_vni(rest), "unreadable",
               f"reads as TCVN3 (ABC) up to byte {len(to_tcvn3(head)):,} and as VNI from line 62"),
        Broken("a-row-short-of-a-cell.csv", _with_row(text, 7, row7[:3] + row7[4:]).encode(), "rows",
               "6 cells instead of 7", (8,)),
        Broken("a-row-with-an-extra-cell.csv", _with_row(text, 9, row9 + ["thừa"]).encode(), "rows",
               "8 cells instead of 7", (10,)),
        Broken("impossible-date.csv", _with_row(text, 21, text_cells(CANONICAL[20])[:6] + ["31/02/2020"]).encode(),
               "type", "31/02/2020", (22,), "opened_on"),
        Broken("column-outside-the-spec.csv", extra.encode(), "warning", "Ghi chú"),
    ]


if __name__ == "__main__":
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "canonical-corpus")
    folder.mkdir(parents=True, exist_ok=True)
    for r in renditions():
        if r.data is not None:
            (folder / r.name).write_bytes(r.data)
    for b in broken():
        (folder / f"broken-{b.name}").write_bytes(b.data)
    sqlite_db(folder / "agency.sqlite3")
    (folder / "canonical.json").write_text(json.dumps(records(), ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"{folder}: {len(renditions())} renditions, {len(broken())} broken variants")
