"""Writes the sample cities' dataset specs and agency deliveries (deterministic; re-run after editing).

    .venv/bin/python dev/make_samples.py --reference 2026-11-20     # what is committed (the tests read it)
    .venv/bin/python dev/make_samples.py --samples .dev/samples --no-specs   # today's, for `make demo`

Da Nang (post-2025 units from vietnam-provinces), four agencies: Agriculture & Environment (10
datasets) and Health (10) meet the KPI's count, Culture & Tourism (4) and Science & Technology (2)
do not. Can Tho (after the 2025 merger, 103 units), two agencies: Agriculture & Environment (10)
meets it, Science & Technology (2) does not. Deliveries are realistic and messy on purpose: Excel
with title rows, footers, several sheets and merged headers; Windows-1258, TCVN3 and VNI text;
Vietnamese number and date formats; an HTTP API (accommodation) and an agency SQL database
(clinics). A few carry real errors, so the quality gate has something to reject.

Every date moves with the reference date, so the demo looks the same on any day; a few datasets'
latest delivery came earlier (EARLIER, written to each city's earlier-deliveries.json), so on any
day some are due or overdue.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import yaml
from vietnam_provinces import Ward

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # not tests/ itself: its airflow/ folder would hide the real package

from opendata.normalise.legacy import encode_tcvn3, encode_vni  # noqa: E402
from tests.factories import to_cp1258  # noqa: E402

BASE = date(2026, 11, 20)  # the reference the committed samples were written for (the tests read those)
SPECS_ROOT = ROOT / "include" / "datasets"
TODAY = BASE  # the reference date of this run (--reference): every date in the content moves with it


def shifted(year: int, month: int, day_: int) -> date:
    """A date as written for BASE, moved to the reference date: the samples look the same on any day."""
    return TODAY + (date(year, month, day_) - BASE)


@dataclass
class CityKit:
    """What differs between sample cities: the units, the letterhead, the agencies, the map box."""
    code: str
    province_code: int
    letterhead: str
    place: str
    agency_vi: dict[str, str]
    contact: dict[str, tuple[str, str]]
    box: tuple[float, float, float, float]  # the spec's bounds: lat min, lat max, lon min, lon max
    points: tuple[float, float, float, float]  # where the sample points fall (inside the box)
    seed: int
    wards: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.wards = sorted((int(w.code), w.name) for w in Ward.iter_all() if int(w.province_code) == self.province_code)


DANANG = CityKit("danang", 48, "UBND THÀNH PHỐ ĐÀ NẴNG", "Đà Nẵng",
                 {"snnmt": "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "syt": "SỞ Y TẾ", "svhttdl": "SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH",
                  "skhcn": "SỞ KHOA HỌC VÀ CÔNG NGHỆ"},
                 {"snnmt": ("Phòng Tài nguyên nước và Khí tượng thủy văn", "snnmt@danang.gov.vn"),
                  "syt": ("Văn phòng Sở Y tế", "syt@danang.gov.vn"),
                  "svhttdl": ("Phòng Quản lý du lịch", "svhttdl@danang.gov.vn"),
                  "skhcn": ("Trung tâm Dữ liệu mở", "dulieumo.skhcn@danang.gov.vn")},
                 (14.9, 16.4, 107.1, 109.0), (15.4, 16.15, 107.7, 108.35), 48)
CANTHO = CityKit("cantho", 92, "UBND THÀNH PHỐ CẦN THƠ", "Cần Thơ",
                 {"snnmt": "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "skhcn": "SỞ KHOA HỌC VÀ CÔNG NGHỆ"},
                 {"snnmt": ("Chi cục Thủy lợi", "snnmt@cantho.gov.vn"),
                  "skhcn": ("Trung tâm Chuyển đổi số", "skhcn@cantho.gov.vn")},
                 (9.0, 10.5, 105.2, 106.4), (9.3, 10.3, 105.4, 106.2), 92)
CITY = DANANG  # the city being built (use_city)
rng = random.Random(DANANG.seed)
WARDS = DANANG.wards
STREETS = ["Bạch Đằng", "Trần Phú", "Lê Duẩn", "Nguyễn Văn Linh", "Hùng Vương", "Ngô Quyền", "Võ Nguyên Giáp", "Điện Biên Phủ",
           "Hoàng Diệu", "Núi Thành", "Tôn Đức Thắng", "Nguyễn Tất Thành", "Phan Châu Trinh", "Lê Lợi", "Quang Trung"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Huỳnh", "Ngô"]
GIVEN = ["Văn An", "Thị Bình", "Minh Châu", "Quốc Dũng", "Thu Hà", "Đức Huy", "Ngọc Lan", "Hữu Phước", "Thanh Tâm", "Kim Yến"]


# What a visitor would search for (the portal's keywords, MQA's findability): never just the title's first word.
KEYWORDS = {
    "daily-rainfall": ["lượng mưa", "khí tượng thủy văn", "quan trắc"],
    "environmental-monitoring-stations": ["quan trắc môi trường", "chất lượng không khí", "chất lượng nước"],
    "environmental-permits": ["giấy phép môi trường", "doanh nghiệp", "đánh giá tác động môi trường"],
    "forest-areas": ["rừng", "lâm nghiệp", "diện tích rừng"],
    "irrigation-reservoirs": ["hồ chứa", "thủy lợi", "tưới tiêu"],
    "land-prices": ["giá đất", "bảng giá đất", "đất đai"],
    "urban-flood-warning-towers": ["cảnh báo ngập", "ngập lụt", "phòng chống thiên tai"],
    "waste-collection-points": ["rác thải", "thu gom rác", "vệ sinh môi trường"],
    "water-level-stations": ["mực nước", "thủy văn", "cảnh báo lũ"],
    "accommodation": ["lưu trú", "khách sạn", "du lịch"],
    "heritage-sites": ["di tích", "di sản văn hóa", "du lịch"],
    "sports-facilities": ["thể thao", "nhà thi đấu", "sân vận động"],
    "tourist-attractions": ["điểm du lịch", "tham quan", "du lịch"],
    "ambulance-stations": ["cấp cứu", "xe cứu thương", "115"],
    "blood-donation-events": ["hiến máu", "ngân hàng máu", "y tế"],
    "clinics": ["phòng khám", "khám chữa bệnh", "giấy phép hoạt động"],
    "dengue-weekly": ["sốt xuất huyết", "dịch bệnh", "y tế dự phòng"],
    "food-safety-inspections": ["an toàn thực phẩm", "thanh tra", "vệ sinh thực phẩm"],
    "hospitals": ["bệnh viện", "khám chữa bệnh", "giường bệnh"],
    "medical-practitioners": ["chứng chỉ hành nghề", "bác sĩ", "nhân lực y tế"],
    "pharmacies": ["nhà thuốc", "dược", "quầy thuốc"],
    "vaccination-points": ["tiêm chủng", "vắc xin", "y tế dự phòng"],
    "ward-health-stations": ["trạm y tế", "y tế cơ sở", "phường xã"],
    "open-data-catalogue": ["dữ liệu mở", "danh mục dữ liệu", "chuyển đổi số"],
    "open-data-compliance": ["dữ liệu mở", "chỉ tiêu", "chất lượng dữ liệu"],
    "salinity-monitoring": ["xâm nhập mặn", "độ mặn", "quan trắc"],
    "rice-planting-areas": ["lúa", "gieo trồng", "năng suất"],
    "aquaculture-areas": ["thủy sản", "cá tra", "nuôi trồng"],
    "fruit-orchards": ["cây ăn trái", "mã số vùng trồng", "VietGAP"],
    "irrigation-sluices": ["cống", "thủy lợi", "kiểm soát mặn"],
    "riverbank-erosion-sites": ["sạt lở", "bờ sông", "phòng chống thiên tai"],
    "floating-markets": ["chợ nổi", "nông sản", "du lịch sông nước"],
}


def ward() -> tuple[int, str]:
    return rng.choice(WARDS)


def address() -> str:
    return f"{rng.randint(1, 480)} {rng.choice(STREETS)}"


def day(start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def col(name, vi, en, type_="string", **kw) -> dict:
    return {"name": name, "label": {"vi": vi, "en": en}, "type": type_, **kw}


def ward_cols() -> list[dict]:
    return [col("ward", "Phường/Xã", "Ward/commune", required=True, reference="ward_name"),
            col("ward_code", "Mã phường/xã", "Ward code", "integer", reference="ward_code")]


def latlon() -> list[dict]:
    lat0, lat1, lon0, lon1 = CITY.box
    return [col("latitude", "Vĩ độ", "Latitude", "number", minimum=lat0, maximum=lat1, unit="degree"),
            col("longitude", "Kinh độ", "Longitude", "number", minimum=lon0, maximum=lon1, unit="degree")]


def point() -> tuple[float, float]:
    lat0, lat1, lon0, lon1 = CITY.points
    return round(rng.uniform(lat0, lat1), 5), round(rng.uniform(lon0, lon1), 5)


# --------------------------------------------------------------------------- writers


def rows_for(columns: list[dict], records: list[dict]) -> tuple[list[str], list[list]]:
    header = [c["label"]["vi"] for c in columns]
    return header, [[r.get(c["name"], "") for c in columns] for r in records]


def vi_number(value, decimals: int = 0) -> str:
    """1234567.5 → '1.234.567,5' (Vietnamese separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8", title: str | None = None) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if title:
        writer.writerow([title])
    writer.writerow(header)
    writer.writerows(rows)
    text = out.getvalue()
    data = {"utf-8": lambda t: t.encode("utf-8"), "utf-8-sig": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
            "cp1258": to_cp1258, "tcvn3": encode_tcvn3, "vni": encode_vni}[encoding](text)
    path.write_bytes(data)


def write_xlsx(path: Path, sheets: dict[str, list[list]], merges: dict[str, list[str]] | None = None) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for rng_ in (merges or {}).get(name, []):
            ws.merge_cells(rng_)
    wb.save(path)


def titled(kit: CityKit, agency: str, title: str, header: list[str], rows: list[list], footer: bool = True) -> list[list]:
    top = [[kit.letterhead], [kit.agency_vi[agency]], [], [title.upper()]]
    signed = TODAY - timedelta(days=5)
    bottom = [[], ["", "", f"{kit.place}, ngày {signed.day} tháng {signed.month} năm {signed.year}"], ["", "", "Người lập biểu"],
              ["", "", "Nguyễn Thị Lan"]]
    return top + [header] + rows + (bottom if footer else [])


# --------------------------------------------------------------------------- the datasets

DATASETS: list[dict] = []


# Datasets whose latest delivery came before the reference date (days before it): the demo replays those
# deliveries on their own day, so on any day it runs some datasets are due or overdue. None has a date
# column, so its content does not depend on the day it was delivered.
EARLIER = {"danang": {"irrigation-reservoirs": 100, "tourist-attractions": 130, "heritage-sites": 100},
           "cantho": {"irrigation-sluices": 95, "open-data-catalogue": 160}}


def use_city(kit: CityKit) -> None:
    """Start a city: its units, its letterhead and its own seeded random stream."""
    global CITY, rng, WARDS
    CITY, rng, WARDS = kit, random.Random(kit.seed), kit.wards


def dataset(agency: str, id_: str, title: tuple[str, str], desc: tuple[str, str], domain: str, frequency: str,
            columns: list[dict], records: list[dict], fmt: str = "csv", **opts) -> None:
    days_before = EARLIER.get(CITY.code, {}).get(id_, 0)
    DATASETS.append({"city": CITY, "agency": agency, "id": id_, "title": title, "desc": desc, "domain": domain,
                     "frequency": frequency, "columns": columns, "records": records, "fmt": fmt,
                     "delivered": TODAY - timedelta(days=days_before), **opts})


def build_danang() -> None:
    # ---- Agriculture & Environment (snnmt): 10 datasets
    towers = []
    for i in range(1, 56):
        code, name = ward()
        lat, lon = point()
        towers.append({"tower_code": f"DN-FT-{i:03d}", "location": f"Ngã tư {rng.choice(STREETS)} - {rng.choice(STREETS)}",
                       "ward": name, "ward_code": code, "latitude": lat, "longitude": lon,
                       "alert_level_cm": rng.choice([20, 30, 40, 50]), "installed_on": day(shifted(2019, 1, 1), shifted(2025, 6, 30))})
    dataset("snnmt", "urban-flood-warning-towers", ("Tháp cảnh báo ngập đô thị", "Urban flood warning towers"),
            ("Vị trí và ngưỡng cảnh báo của 55 tháp cảnh báo ngập đô thị.", "Location and alert thresholds of the 55 urban flood warning towers."),
            "moi-truong", "quarterly",
            [col("tower_code", "Mã tháp", "Tower code", required=True, pattern=r"^DN-FT-\d{3}$"),
             col("location", "Vị trí", "Location", required=True), *ward_cols(), *latlon(),
             col("alert_level_cm", "Ngưỡng cảnh báo (cm)", "Alert level (cm)", "integer", minimum=0, maximum=200, unit="cm"),
             col("installed_on", "Ngày lắp đặt", "Installed on", "date")],
            towers, "xlsx_titled", primary_key=["tower_code"], row_count={"min": 55, "max": 55})  # a registry: no content date
    levels = []
    for i, river in enumerate(["Sông Hàn", "Sông Cu Đê", "Sông Cẩm Lệ", "Sông Vu Gia", "Sông Thu Bồn", "Sông Yên", "Sông Túy Loan",
                               "Sông Trường Định", "Sông Vĩnh Điện", "Sông Tam Kỳ"], 1):
        code, name = ward()
        levels.append({"station_code": f"DN-WL-{i:02d}", "river": river, "ward": name, "ward_code": code,
                       "alarm_1_m": round(rng.uniform(1.5, 3), 2), "alarm_2_m": round(rng.uniform(3, 4.5), 2),
                       "alarm_3_m": round(rng.uniform(4.5, 6), 2), "updated_on": day(shifted(2026, 9, 1), TODAY)})
    dataset("snnmt", "water-level-stations", ("Trạm đo mực nước", "Water-level stations"),
            ("10 trạm đo mực nước trên các sông chính và mức báo động.", "The 10 river water-level stations and their alarm levels."),
            "moi-truong", "quarterly",
            [col("station_code", "Mã trạm", "Station code", required=True), col("river", "Sông", "River", required=True),
             *ward_cols(), col("alarm_1_m", "Báo động 1 (m)", "Alarm 1 (m)", "number", unit="m"),
             col("alarm_2_m", "Báo động 2 (m)", "Alarm 2 (m)", "number", unit="m"),
             col("alarm_3_m", "Báo động 3 (m)", "Alarm 3 (m)", "number", unit="m"),
             col("updated_on", "Ngày cập nhật", "Updated on", "date", required=True)],
            levels, primary_key=["station_code"], date_column="updated_on")
    air = []
    for i in range(1, 79):
        code, name = ward()
        lat, lon = point()
        air.append({"station_code": f"DN-AQ-{i:03d}", "station_name": f"Trạm quan trắc {name.split(' ', 1)[1]}", "ward": name,
                    "ward_code": code, "latitude": lat, "longitude": lon,
                    "kind": rng.choice(["Không khí", "Nước mặt", "Nước ngầm", "Tiếng ồn"]), "automatic": rng.choice(["Có", "Không"])})
    dataset("snnmt", "environmental-monitoring-stations", ("Trạm quan trắc môi trường", "Environmental monitoring stations"),
            ("78 trạm quan trắc không khí, nước và tiếng ồn.", "The 78 air, water and noise monitoring stations."),
            "moi-truong", "quarterly",
            [col("station_code", "Mã trạm", "Station code", required=True), col("station_name", "Tên trạm", "Station name", required=True),
             *ward_cols(), *latlon(), col("kind", "Loại quan trắc", "Kind", allowed_values=["Không khí", "Nước mặt", "Nước ngầm", "Tiếng ồn"]),
             col("automatic", "Tự động", "Automatic", "boolean")],
            air, encoding="cp1258", primary_key=["station_code"])
    rain = []
    for d in range(30):
        when = TODAY - timedelta(days=29 - d)
        for s in range(1, 84):
            rain.append({"station_code": f"DN-RG-{s:04d}", "day": when.strftime("%d/%m/%Y"),
                         "rainfall_mm": vi_number(max(0.0, rng.gauss(8, 12)), 1)})
    dataset("snnmt", "daily-rainfall", ("Lượng mưa ngày", "Daily rainfall"),
            ("Lượng mưa ngày tại 83 trạm đo mưa tự động, 30 ngày gần nhất.", "Daily rainfall at the 83 rain gauges, last 30 days."),
            "moi-truong", "daily",
            [col("station_code", "Mã trạm", "Station code", required=True, pattern=r"^DN-RG-\d{4}$"),
             col("day", "Ngày", "Day", "date", required=True),
             col("rainfall_mm", "Lượng mưa (mm)", "Rainfall (mm)", "number", minimum=0, maximum=1000, unit="mm")],
            rain, primary_key=["station_code", "day"], date_column="day", row_count={"min": 2000})
    prices = []
    for code, name in WARDS[:60]:
        for street in rng.sample(STREETS, 3):
            prices.append({"ward": name, "ward_code": code, "street": street, "position": rng.choice([1, 2, 3]),
                           "price_vnd_m2": vi_number(rng.randrange(2_000_000, 98_000_000, 50_000))})
    dataset("snnmt", "land-prices", ("Bảng giá đất ở", "Residential land price table"),
            ("Giá đất ở theo tuyến đường và vị trí, đồng/m².", "Residential land prices by street and position, VND per m²."),
            "dat-dai", "quarterly",
            [*ward_cols(), col("street", "Tên đường", "Street", required=True),
             col("position", "Vị trí", "Position", "integer", allowed_values=None, minimum=1, maximum=5),
             col("price_vnd_m2", "Giá (đồng/m2)", "Price (VND/m²)", "integer", minimum=100_000, unit="VND/m2", required=True)],
            prices, "xlsx_sheets", primary_key=["ward", "street", "position"], sheet="Bảng giá")
    waste = []
    for i in range(1, 121):
        code, name = ward()
        lat, lon = point()
        waste.append({"point_code": f"TK-{i:04d}", "address": address(), "ward": name, "ward_code": code,
                      "latitude": lat, "longitude": lon, "schedule": rng.choice(["Hằng ngày", "Cách ngày", "2 lần/tuần"])})
    dataset("snnmt", "waste-collection-points", ("Điểm tập kết rác thải", "Waste collection points"),
            ("Điểm tập kết, trung chuyển rác thải sinh hoạt.", "Household waste collection and transfer points."),
            "moi-truong", "quarterly",
            [col("point_code", "Mã điểm", "Point code", required=True), col("address", "Địa chỉ", "Address", required=True),
             *ward_cols(), *latlon(), col("schedule", "Lịch thu gom", "Collection schedule")],
            waste, primary_key=["point_code"])
    forests = []
    for i in range(1, 31):
        code, name = ward()
        forests.append({"area_code": f"RPH-{i:03d}", "name": f"Tiểu khu {rng.randint(1, 99)} {name.split(' ', 1)[1]}", "ward": name,
                        "ward_code": code, "area_ha": round(rng.uniform(20, 2500), 1),
                        "forest_type": rng.choice(["Rừng phòng hộ", "Rừng đặc dụng", "Rừng sản xuất"])})
    dataset("snnmt", "forest-areas", ("Diện tích rừng theo tiểu khu", "Forest areas by sub-compartment"),
            ("Số liệu cũ nhập bằng phông TCVN3 (ABC).", "Legacy figures typed in TCVN3 (ABC) fonts."),
            "moi-truong", "quarterly",
            [col("area_code", "Mã tiểu khu", "Area code", required=True), col("name", "Tên", "Name", required=True), *ward_cols(),
             col("area_ha", "Diện tích (ha)", "Area (ha)", "number", minimum=0, unit="ha"),
             col("forest_type", "Loại rừng", "Forest type", allowed_values=["Rừng phòng hộ", "Rừng đặc dụng", "Rừng sản xuất"])],
            forests, encoding="tcvn3", primary_key=["area_code"])
    reservoirs = [{"code": f"HC-{i:02d}", "name": n, "capacity_million_m3": vi_number(rng.uniform(0.5, 120), 2),
                   "irrigated_ha": rng.randint(50, 6000)} for i, n in enumerate(
        ["Hồ Đồng Nghệ", "Hồ Hòa Trung", "Hồ Phú Ninh", "Hồ Khe Tân", "Hồ Việt An", "Hồ Thạch Bàn", "Hồ Vĩnh Trinh", "Hồ Hố Giang"], 1)]
    dataset("snnmt", "irrigation-reservoirs", ("Hồ chứa thủy lợi", "Irrigation reservoirs"),
            ("Dung tích và diện tích tưới của các hồ chứa.", "Capacity and irrigated area of the reservoirs."),
            "moi-truong", "quarterly",
            [col("code", "Mã hồ", "Code", required=True), col("name", "Tên hồ", "Name", required=True),
             col("capacity_million_m3", "Dung tích (triệu m3)", "Capacity (million m³)", "number", minimum=0),
             col("irrigated_ha", "Diện tích tưới (ha)", "Irrigated area (ha)", "integer", minimum=0)],
            reservoirs, primary_key=["code"])
    permits = []
    for i in range(1, 61):
        code, name = ward()
        permits.append({"permit_no": f"{i:03d}/GP-SNNMT", "holder": f"Công ty TNHH {rng.choice(['An Phát', 'Minh Long', 'Hòa Bình', 'Sông Hàn', 'Việt Trung'])} {i}",
                        "ward": name, "ward_code": code, "kind": rng.choice(["Xả thải", "Khai thác nước", "Môi trường"]),
                        "issued_on": day(shifted(2022, 1, 1), shifted(2026, 10, 31)).strftime("%d/%m/%Y"),
                        "valid_until": day(shifted(2027, 1, 1), shifted(2031, 12, 31)).strftime("%d/%m/%Y")})
    dataset("snnmt", "environmental-permits", ("Giấy phép môi trường đã cấp", "Environmental permits issued"),
            ("Giấy phép môi trường, xả thải, khai thác nước đã cấp.", "Environmental, discharge and water-use permits issued."),
            "moi-truong", "monthly",
            [col("permit_no", "Số giấy phép", "Permit number", required=True), col("holder", "Tổ chức được cấp", "Holder", required=True),
             *ward_cols(), col("kind", "Loại giấy phép", "Kind", allowed_values=["Xả thải", "Khai thác nước", "Môi trường"]),
             col("issued_on", "Ngày cấp", "Issued on", "date", required=True), col("valid_until", "Hiệu lực đến", "Valid until", "date")],
            permits, primary_key=["permit_no"], date_column="issued_on")

    # ---- Health (syt): 10 datasets
    clinics = []
    for i in range(1, 141):
        code, name = ward()
        clinics.append({"Mã": f"PK{i:04d}", "Tên phòng khám": f"Phòng khám {rng.choice(['Đa khoa', 'Nội', 'Nhi', 'Răng Hàm Mặt', 'Mắt'])} {rng.choice(SURNAMES)} {i}",
                        "Địa chỉ": address(), "Phường/Xã": name, "Chuyên khoa": rng.choice(["Đa khoa", "Nội", "Nhi", "Răng Hàm Mặt", "Mắt"]),
                        "Số giấy phép": f"{rng.randint(100, 999)}/ĐN-GPHĐ", "Ngày cấp phép": (day(shifted(2015, 1, 1), TODAY - timedelta(days=8)) if i <= 136  # the last 4: this week's
                                          else day(TODAY - timedelta(days=6), TODAY - timedelta(days=1))).isoformat(),
                        "updated_seq": i})
    dataset("syt", "clinics", ("Phòng khám được cấp phép hoạt động", "Licensed clinics"),
            ("Danh sách phòng khám tư nhân được cấp phép, đọc trực tiếp từ cơ sở dữ liệu của Sở Y tế.",
             "Licensed private clinics, read from the Department of Health's database."),
            "y-te", "weekly",
            [col("code", "Mã", "Code", required=True), col("name", "Tên phòng khám", "Clinic name", required=True),
             col("address", "Địa chỉ", "Address"), col("ward", "Phường/Xã", "Ward/commune", required=True, reference="ward_name"),
             col("specialty", "Chuyên khoa", "Specialty"), col("licence_no", "Số giấy phép", "Licence number", required=True),
             col("licensed_on", "Ngày cấp phép", "Licensed on", "date"), col("updated_seq", "updated_seq", "Change sequence", "integer")],
            clinics, "sql", primary_key=["code"], date_column="licensed_on")
    simple_health = [
        ("hospitals", ("Bệnh viện", "Hospitals"), 28, "BV", "Bệnh viện", ["Công lập", "Tư nhân"]),
        ("vaccination-points", ("Điểm tiêm chủng", "Vaccination points"), 94, "TC", "Điểm tiêm chủng", ["Thường xuyên", "Chiến dịch"]),
        ("ambulance-stations", ("Trạm cấp cứu 115", "Emergency ambulance stations"), 12, "CC", "Trạm cấp cứu", ["Trung tâm", "Vệ tinh"]),
    ]
    for id_, title, n, prefix, kind_name, kinds in simple_health:
        recs = []
        for i in range(1, n + 1):
            code, name = WARDS[(i * 7) % len(WARDS)] if id_ == "vaccination-points" else ward()
            lat, lon = point()
            recs.append({"code": f"{prefix}-{i:03d}", "name": f"{kind_name} {name.split(' ', 1)[1]} {i}", "address": address(),
                         "ward": name, "ward_code": code, "latitude": lat, "longitude": lon, "category": rng.choice(kinds)})
        dataset("syt", id_, title, (f"Danh sách {title[0].lower()} trên địa bàn thành phố.", f"{title[1]} in the city."), "y-te",
                "quarterly",
                [col("code", "Mã", "Code", required=True), col("name", "Tên", "Name", required=True), col("address", "Địa chỉ", "Address"),
                 *ward_cols(), *latlon(), col("category", "Loại", "Category", allowed_values=kinds)],
                recs, primary_key=["code"])
    pharmacies = []
    for i in range(1, 201):
        code, name = ward()
        pharmacies.append({"code": f"NT-{i:04d}", "name": f"Nhà thuốc {rng.choice(['An Khang', 'Phước Thiện', 'Thanh Bình', 'Hồng Đức', 'Minh Châu'])} {i}",
                           "address": address(), "ward": name, "ward_code": code,
                           "gpp_until": day(shifted(2026, 12, 1), shifted(2029, 12, 31))})
    dataset("syt", "pharmacies", ("Nhà thuốc đạt chuẩn GPP", "GPP-certified pharmacies"),
            ("Nhà thuốc đạt Thực hành tốt cơ sở bán lẻ thuốc (GPP).", "Pharmacies certified for Good Pharmacy Practice."),
            "y-te", "quarterly",
            [col("code", "Mã", "Code", required=True), col("name", "Tên nhà thuốc", "Pharmacy", required=True),
             col("address", "Địa chỉ", "Address", required=True), *ward_cols(), col("gpp_until", "GPP hiệu lực đến", "GPP valid until", "date")],
            pharmacies, "xlsx_titled", primary_key=["code"])
    practitioners = []
    for i in range(1, 301):
        practitioners.append({"licence_no": f"{i:06d}/ĐNA-CCHN", "full_name": f"{rng.choice(SURNAMES)} {rng.choice(GIVEN)}",
                              "profession": rng.choice(["Bác sĩ", "Điều dưỡng", "Y sĩ", "Hộ sinh", "Kỹ thuật viên"]),
                              "scope": rng.choice(["Nội khoa", "Ngoại khoa", "Nhi khoa", "Sản phụ khoa", "Y học cổ truyền"]),
                              "issued_on": (day(shifted(2012, 1, 1), TODAY - timedelta(days=30)) if i <= 288  # the last 12: this
                                            else day(TODAY - timedelta(days=25), TODAY - timedelta(days=2))).strftime("%d/%m/%Y")})  # month's
    dataset("syt", "medical-practitioners", ("Người hành nghề khám bệnh, chữa bệnh", "Licensed medical practitioners"),
            ("Chứng chỉ hành nghề đã cấp (công khai theo Luật Khám bệnh, chữa bệnh).", "Practising licences issued (public by law)."),
            "y-te", "monthly",
            [col("licence_no", "Số chứng chỉ", "Licence number", required=True), col("full_name", "Họ và tên", "Full name", required=True),
             col("profession", "Chức danh", "Profession"), col("scope", "Phạm vi hành nghề", "Scope of practice"),
             col("issued_on", "Ngày cấp", "Issued on", "date", required=True)],
            practitioners, encoding="utf-8-sig", primary_key=["licence_no"], date_column="issued_on")
    inspections = []
    for i in range(1, 81):
        code, name = ward()
        inspections.append({"case_no": f"ATTP-{i:04d}", "establishment": f"Cơ sở kinh doanh thực phẩm {i}", "ward": name,
                            "ward_code": code, "inspected_on": day(shifted(2026, 8, 1), TODAY).strftime("%d/%m/%Y"),
                            "result": rng.choice(["Đạt", "Đạt", "Đạt", "Không đạt"]), "fine_vnd": vi_number(rng.choice([0, 0, 0, 1_500_000, 5_000_000]))})
    inspections[17]["case_no"] = inspections[16]["case_no"]  # a duplicate key: this delivery must be rejected
    inspections[40]["result"] = "Tạm dừng"  # not in the allowed list
    dataset("syt", "food-safety-inspections", ("Kết quả kiểm tra an toàn thực phẩm", "Food-safety inspection results"),
            ("Kết quả kiểm tra an toàn thực phẩm tại cơ sở kinh doanh.", "Results of food-safety inspections."),
            "an-toan-thuc-pham", "monthly",
            [col("case_no", "Số biên bản", "Case number", required=True), col("establishment", "Cơ sở", "Establishment", required=True),
             *ward_cols(), col("inspected_on", "Ngày kiểm tra", "Inspected on", "date", required=True),
             col("result", "Kết quả", "Result", allowed_values=["Đạt", "Không đạt"], required=True),
             col("fine_vnd", "Tiền phạt (đồng)", "Fine (VND)", "integer", minimum=0, unit="VND")],
            inspections, primary_key=["case_no"], date_column="inspected_on")
    stations = [{"code": f"TYT-{c}", "name": f"Trạm Y tế {n}", "ward": n, "ward_code": c, "phone": f"0236 3{rng.randint(100000, 999999)}",
                 "beds": rng.randint(2, 12)} for c, n in WARDS]
    dataset("syt", "ward-health-stations", ("Trạm y tế phường, xã", "Ward and commune health stations"),
            ("Trạm y tế của 94 phường, xã, đặc khu.", "Health stations of the 94 wards, communes and special zone."),
            "y-te", "quarterly",
            [col("code", "Mã trạm", "Code", required=True), col("name", "Tên trạm", "Name", required=True), *ward_cols(),
             col("phone", "Điện thoại", "Phone", format="phone", public=True), col("beds", "Số giường", "Beds", "integer", minimum=0)],
            stations, "xlsx_merged", primary_key=["code"], row_count={"min": 94, "max": 94})
    donations = [{"event_no": f"HM-{i:03d}", "place": f"{rng.choice(['Nhà văn hóa', 'Trường Đại học', 'Cung Thể thao'])} {rng.choice(STREETS)}",
                  "held_on": day(shifted(2026, 9, 1), shifted(2026, 12, 31)).strftime("%d/%m/%Y"), "expected_units": rng.randint(100, 900)}
                 for i in range(1, 26)]
    dataset("syt", "blood-donation-events", ("Lịch hiến máu tình nguyện", "Voluntary blood donation events"),
            ("Lịch tổ chức hiến máu tình nguyện.", "Schedule of voluntary blood donation events."), "y-te", "monthly",
            [col("event_no", "Số", "Event number", required=True), col("place", "Địa điểm", "Place", required=True),
             col("held_on", "Ngày tổ chức", "Date", "date", required=True),
             col("expected_units", "Số đơn vị dự kiến", "Expected units", "integer", minimum=0)],
            donations, primary_key=["event_no"], date_column="held_on")

    dengue = []
    for w in range(4):
        week = TODAY - timedelta(days=TODAY.weekday() + 7 * (3 - w))  # the last is this week
        for code, name in WARDS:
            dengue.append({"week_start": week.isoformat(), "ward": name, "ward_code": code, "cases": max(0, int(rng.gauss(3, 4))),
                           "incidence_per_100k": vi_number(max(0.0, rng.gauss(6, 5)), 2)})
    dataset("syt", "dengue-weekly", ("Số ca sốt xuất huyết theo tuần", "Weekly dengue cases"),
            ("Số ca mắc sốt xuất huyết theo phường, xã, 4 tuần gần nhất.", "Dengue cases by ward, last four weeks."),
            "y-te", "weekly",
            [col("week_start", "Tuần bắt đầu", "Week starting", "date", required=True), *ward_cols(),
             col("cases", "Số ca", "Cases", "integer", minimum=0, required=True),
             col("incidence_per_100k", "Tỷ lệ mắc/100.000 dân", "Incidence per 100,000", "number", minimum=0)],
            dengue, primary_key=["week_start", "ward_code"], date_column="week_start", row_count={"min": 300})

    # ---- Culture, Sports & Tourism (svhttdl): 4 datasets
    hotels = []
    for i in range(1, 238):
        code, name = ward()
        hotels.append({"Mã cơ sở": f"LT-{i:04d}", "Tên cơ sở lưu trú": f"Khách sạn {rng.choice(['Biển Xanh', 'Sông Hàn', 'Mường Thanh', 'Hoàng Gia', 'Ánh Dương', 'Bình Minh'])} {i}",
                       "Hạng sao": rng.choice([1, 2, 3, 3, 4, 5]), "Số phòng": rng.randint(10, 420), "Địa chỉ": address(),
                       "Phường/Xã": name, "Điện thoại": f"0236 3{rng.randint(100000, 999999)}"})
    dataset("svhttdl", "accommodation", ("Cơ sở lưu trú du lịch", "Tourist accommodation"),
            ("Khách sạn, cơ sở lưu trú được xếp hạng, lấy từ API của Sở.", "Rated hotels and accommodation, from the department's API."),
            "van-hoa-du-lich", "weekly",
            [col("code", "Mã cơ sở", "Code", required=True), col("name", "Tên cơ sở lưu trú", "Name", required=True),
             col("stars", "Hạng sao", "Stars", "integer", minimum=1, maximum=5), col("rooms", "Số phòng", "Rooms", "integer", minimum=1),
             col("address", "Địa chỉ", "Address"), col("ward", "Phường/Xã", "Ward/commune", reference="ward_name"),
             col("phone", "Điện thoại", "Phone", format="phone", public=True)],
            hotels, "http", primary_key=["code"])
    sights = [{"code": f"DL-{i:03d}", "name": n, "kind": k, "ward": ward()[1]} for i, (n, k) in enumerate([
        ("Bán đảo Sơn Trà", "Thiên nhiên"), ("Ngũ Hành Sơn", "Danh thắng"), ("Bà Nà Hills", "Khu du lịch"), ("Cầu Rồng", "Công trình"),
        ("Bảo tàng Điêu khắc Chăm", "Bảo tàng"), ("Phố cổ Hội An", "Di sản"), ("Thánh địa Mỹ Sơn", "Di sản"), ("Biển Mỹ Khê", "Bãi biển"),
        ("Chợ Hàn", "Chợ"), ("Đèo Hải Vân", "Danh thắng"), ("Cù Lao Chàm", "Thiên nhiên"), ("Làng đá Non Nước", "Làng nghề")], 1)]
    dataset("svhttdl", "tourist-attractions", ("Điểm tham quan du lịch", "Tourist attractions"),
            ("Các điểm tham quan tiêu biểu.", "Notable tourist attractions."), "van-hoa-du-lich", "quarterly",
            [col("code", "Mã", "Code", required=True), col("name", "Tên điểm", "Name", required=True), col("kind", "Loại hình", "Kind"),
             col("ward", "Phường/Xã", "Ward/commune")], sights, encoding="vni", primary_key=["code"])
    heritage = [{"code": f"DT-{i:03d}", "name": n, "rank": r, "recognised_year": y} for i, (n, r, y) in enumerate([
        ("Thành Điện Hải", "Quốc gia đặc biệt", 1988), ("Di tích Ngũ Hành Sơn", "Quốc gia đặc biệt", 1990), ("Đình Túy Loan", "Quốc gia", 2001),
        ("Phố cổ Hội An", "Quốc gia đặc biệt", 2009), ("Khu đền tháp Mỹ Sơn", "Quốc gia đặc biệt", 2009), ("Đình Hải Châu", "Thành phố", 2012)], 1)]
    dataset("svhttdl", "heritage-sites", ("Di tích lịch sử - văn hóa được xếp hạng", "Ranked historical and cultural sites"),
            ("Di tích được xếp hạng quốc gia đặc biệt, quốc gia và thành phố.", "Sites ranked special national, national or city."),
            "van-hoa-du-lich", "quarterly",
            [col("code", "Mã", "Code", required=True), col("name", "Tên di tích", "Name", required=True),
             col("rank", "Cấp xếp hạng", "Rank", allowed_values=["Quốc gia đặc biệt", "Quốc gia", "Thành phố"]),
             col("recognised_year", "Năm xếp hạng", "Year ranked", "integer", minimum=1900, maximum=2026)],
            heritage, "xlsx_merged", primary_key=["code"])
    facilities = [{"code": f"TT-{i:03d}", "name": f"{k} {rng.choice(STREETS)}", "kind": k, "capacity": rng.randint(100, 20000),
                   "last_inspected_on": day(shifted(2025, 1, 1), shifted(2025, 6, 30))}  # stale: over 3 months old
                  for i, k in enumerate(["Sân vận động", "Nhà thi đấu", "Hồ bơi", "Sân quần vợt", "Cung thể thao"] * 3, 1)]
    dataset("svhttdl", "sports-facilities", ("Công trình thể thao công cộng", "Public sports facilities"),
            ("Sân vận động, nhà thi đấu, hồ bơi công cộng.", "Public stadiums, arenas and pools."), "van-hoa-du-lich", "quarterly",
            [col("code", "Mã", "Code", required=True), col("name", "Tên công trình", "Name", required=True), col("kind", "Loại", "Kind"),
             col("capacity", "Sức chứa", "Capacity", "integer", minimum=0),
             col("last_inspected_on", "Ngày kiểm tra gần nhất", "Last inspected on", "date")],
            facilities, primary_key=["code"], date_column="last_inspected_on")

    # ---- Science & Technology (skhcn): 1 dataset
    catalogue = [{"no": i, "domain": d, "title": t, "agency": a} for i, (d, t, a) in enumerate([
        ("Môi trường", "Trạm đo mưa tự động", "Sở Nông nghiệp và Môi trường"), ("Y tế", "Phòng khám được cấp phép", "Sở Y tế"),
        ("Du lịch", "Cơ sở lưu trú du lịch", "Sở Văn hóa, Thể thao và Du lịch"), ("Đất đai", "Bảng giá đất ở", "Sở Nông nghiệp và Môi trường"),
        ("Giáo dục", "Trường học các cấp", "Sở Giáo dục và Đào tạo"), ("Giao thông", "Điểm đỗ xe công cộng", "Sở Xây dựng")], 1)]
    dataset("skhcn", "open-data-catalogue", ("Danh mục dữ liệu mở", "Open-data catalogue"),
            ("Danh mục dữ liệu mở của thành phố (trích).", "The city's open-data catalogue (extract)."), "khoa-hoc-cong-nghe", "quarterly",
            [col("no", "STT", "No.", "integer", required=True), col("domain", "Lĩnh vực", "Domain", required=True),
             col("title", "Tên dữ liệu", "Dataset", required=True), col("agency", "Cơ quan chủ quản", "Agency", required=True)],
            catalogue, primary_key=["no"])


def build_cantho() -> None:
    """Cần Thơ (the city after the 2025 merger, 103 wards and communes): Agriculture & Environment with
    10 datasets meets the target; Science & Technology with its catalogue and the KPI report does not."""
    rivers = ["Sông Hậu", "Sông Cần Thơ", "Sông Cái Lớn", "Sông Ô Môn", "Sông Bình Thủy", "Sông Trà Nóc", "Sông Mỹ Thanh",
              "Sông Cái Côn", "Rạch Cái Răng", "Kênh Xà No", "Kênh Quản Lộ - Phụng Hiệp", "Sông Dù Tho"]
    salinity = []
    for d in range(28):
        when = TODAY - timedelta(days=27 - d)
        for s, river in enumerate(rivers[:9], 1):
            salinity.append({"station_code": f"CT-DM-{s:02d}", "river": river, "day": when.strftime("%d/%m/%Y"),
                             "salinity_permille": vi_number(max(0.0, rng.gauss(1.2 + s / 3, 0.8)), 2)})
    dataset("snnmt", "salinity-monitoring", ("Độ mặn tại các trạm quan trắc", "Salinity at the monitoring stations"),
            ("Độ mặn (‰) đo hằng ngày tại 9 trạm trên sông, kênh, 4 tuần gần nhất.",
             "Daily salinity (‰) at the 9 river and canal stations, last four weeks."), "moi-truong", "weekly",
            [col("station_code", "Mã trạm", "Station code", required=True, pattern=r"^CT-DM-\d{2}$"),
             col("river", "Sông, kênh", "River or canal", required=True), col("day", "Ngày đo", "Day", "date", required=True),
             col("salinity_permille", "Độ mặn (‰)", "Salinity (‰)", "number", minimum=0, maximum=40, unit="‰", required=True)],
            salinity, primary_key=["station_code", "day"], date_column="day", row_count={"min": 200})
    levels = []
    for i, river in enumerate(rivers, 1):
        code, name = ward()
        levels.append({"station_code": f"CT-WL-{i:02d}", "river": river, "ward": name, "ward_code": code,
                       "alarm_1_m": round(rng.uniform(1.6, 1.9), 2), "alarm_2_m": round(rng.uniform(1.9, 2.1), 2),
                       "alarm_3_m": round(rng.uniform(2.1, 2.4), 2), "updated_on": day(shifted(2026, 9, 1), TODAY)})
    dataset("snnmt", "water-level-stations", ("Trạm đo mực nước", "Water-level stations"),
            ("Các trạm đo mực nước triều trên sông Hậu và các sông, kênh chính, với mức báo động.",
             "Tidal water-level stations on the Hậu River and main canals, with alarm levels."), "moi-truong", "quarterly",
            [col("station_code", "Mã trạm", "Station code", required=True), col("river", "Sông", "River", required=True),
             *ward_cols(), col("alarm_1_m", "Báo động 1 (m)", "Alarm 1 (m)", "number", unit="m"),
             col("alarm_2_m", "Báo động 2 (m)", "Alarm 2 (m)", "number", unit="m"),
             col("alarm_3_m", "Báo động 3 (m)", "Alarm 3 (m)", "number", unit="m"),
             col("updated_on", "Ngày cập nhật", "Updated on", "date", required=True)],
            levels, primary_key=["station_code"], date_column="updated_on")
    rice = []
    for code, name in WARDS:
        if name.startswith("Xã"):
            for season in ("Đông Xuân", "Hè Thu", "Thu Đông"):
                rice.append({"ward": name, "ward_code": code, "season": season, "area_ha": vi_number(rng.uniform(300, 4500), 1),
                             "yield_t_ha": vi_number(rng.uniform(5.2, 7.4), 2)})
    dataset("snnmt", "rice-planting-areas", ("Diện tích gieo trồng lúa theo vụ", "Rice planting area by season"),
            ("Diện tích gieo trồng và năng suất lúa của từng xã theo vụ.", "Rice planting area and yield by commune and season."),
            "nong-nghiep", "quarterly",
            [*ward_cols(), col("season", "Vụ", "Season", required=True, allowed_values=["Đông Xuân", "Hè Thu", "Thu Đông"]),
             col("area_ha", "Diện tích (ha)", "Area (ha)", "number", minimum=0, unit="ha", required=True),
             col("yield_t_ha", "Năng suất (tấn/ha)", "Yield (t/ha)", "number", minimum=0, maximum=15, unit="t/ha")],
            rice, "xlsx_titled", primary_key=["ward_code", "season"])
    fish = []
    for i in range(1, 71):
        code, name = ward()
        lat, lon = point()
        fish.append({"area_code": f"NTTS-{i:03d}", "ward": name, "ward_code": code, "latitude": lat, "longitude": lon,
                     "species": rng.choice(["Cá tra", "Tôm càng xanh", "Cá rô đồng", "Cá lóc", "Tôm sú"]),
                     "area_ha": round(rng.uniform(0.5, 60), 1)})
    dataset("snnmt", "aquaculture-areas", ("Vùng nuôi trồng thủy sản", "Aquaculture areas"),
            ("Vùng nuôi cá tra, tôm và các loài thủy sản khác.", "Areas farming pangasius, shrimp and other species."),
            "nong-nghiep", "quarterly",
            [col("area_code", "Mã vùng nuôi", "Area code", required=True), *ward_cols(), *latlon(),
             col("species", "Đối tượng nuôi", "Species", required=True),
             col("area_ha", "Diện tích (ha)", "Area (ha)", "number", minimum=0, unit="ha")],
            fish, encoding="cp1258", primary_key=["area_code"])
    orchards = []
    for i in range(1, 46):
        code, name = ward()
        orchards.append({"code": f"VCAT-{i:03d}", "ward": name, "ward_code": code,
                         "fruit": rng.choice(["Xoài", "Sầu riêng", "Bưởi Năm Roi", "Chôm chôm", "Vú sữa", "Dâu Hạ Châu"]),
                         "area_ha": round(rng.uniform(2, 150), 1), "vietgap": rng.choice(["Có", "Không"])})
    dataset("snnmt", "fruit-orchards", ("Vùng trồng cây ăn trái", "Fruit-growing areas"),
            ("Vùng trồng cây ăn trái tập trung, có mã số vùng trồng.", "Registered fruit-growing areas."), "nong-nghiep", "quarterly",
            [col("code", "Mã vùng trồng", "Area code", required=True), *ward_cols(), col("fruit", "Cây trồng", "Fruit", required=True),
             col("area_ha", "Diện tích (ha)", "Area (ha)", "number", minimum=0, unit="ha"),
             col("vietgap", "Đạt VietGAP", "VietGAP certified", "boolean")],
            orchards, encoding="vni", primary_key=["code"])
    sluices = [{"code": f"CTL-{i:02d}", "name": f"Cống {n}", "river": rng.choice(rivers), "width_m": rng.choice([4, 6, 8, 10, 15]),
                "serves_ha": rng.randint(200, 9000)} for i, n in enumerate(
        ["Cái Sâu", "Rạch Ranh", "Ba Láng", "Thốt Nốt", "Trà Nóc", "Xẻo Chít", "Cái Côn", "Nàng Mau", "Tầm Vu", "Kênh Ngang"], 1)]
    dataset("snnmt", "irrigation-sluices", ("Cống thủy lợi", "Irrigation sluice gates"),
            ("Cống kiểm soát mặn, ngọt và diện tích phục vụ.", "Sluice gates controlling salt and fresh water, and the area served."),
            "nong-nghiep", "quarterly",
            [col("code", "Mã cống", "Code", required=True), col("name", "Tên cống", "Name", required=True),
             col("river", "Sông, kênh", "River or canal"), col("width_m", "Khẩu độ (m)", "Width (m)", "integer", minimum=1, unit="m"),
             col("serves_ha", "Diện tích phục vụ (ha)", "Area served (ha)", "integer", minimum=0, unit="ha")],
            sluices, primary_key=["code"])
    erosion = []
    for i in range(1, 33):
        code, name = ward()
        erosion.append({"site_no": f"SL-{i:03d}", "river": rng.choice(rivers), "ward": name, "ward_code": code,
                        "length_m": rng.randint(20, 900), "level": rng.choice(["Bình thường", "Nguy hiểm", "Đặc biệt nguy hiểm"]),
                        "found_on": day(shifted(2026, 6, 1), TODAY).strftime("%d/%m/%Y")})
    dataset("snnmt", "riverbank-erosion-sites", ("Điểm sạt lở bờ sông", "Riverbank erosion sites"),
            ("Điểm sạt lở và nguy cơ sạt lở bờ sông, kênh rạch.", "Riverbank erosion sites and their danger level."),
            "moi-truong", "monthly",
            [col("site_no", "Số hiệu", "Site number", required=True), col("river", "Sông, kênh", "River or canal", required=True),
             *ward_cols(), col("length_m", "Chiều dài (m)", "Length (m)", "integer", minimum=0, unit="m"),
             col("level", "Mức độ", "Danger level", allowed_values=["Bình thường", "Nguy hiểm", "Đặc biệt nguy hiểm"]),
             col("found_on", "Ngày phát hiện", "Found on", "date", required=True)],
            erosion, primary_key=["site_no"], date_column="found_on")
    stations = []
    for i in range(1, 41):
        code, name = ward()
        lat, lon = point()
        stations.append({"station_code": f"CT-QT-{i:03d}", "ward": name, "ward_code": code, "latitude": lat, "longitude": lon,
                         "kind": rng.choice(["Không khí", "Nước mặt", "Nước ngầm"]), "automatic": rng.choice(["Có", "Không"])})
    dataset("snnmt", "environmental-monitoring-stations", ("Trạm quan trắc môi trường", "Environmental monitoring stations"),
            ("Trạm quan trắc không khí, nước mặt và nước ngầm.", "Air, surface-water and groundwater monitoring stations."),
            "moi-truong", "quarterly",
            [col("station_code", "Mã trạm", "Station code", required=True), *ward_cols(), *latlon(),
             col("kind", "Loại quan trắc", "Kind", allowed_values=["Không khí", "Nước mặt", "Nước ngầm"]),
             col("automatic", "Tự động", "Automatic", "boolean")],
            stations, primary_key=["station_code"])
    prices = []
    streets = ["Đại lộ Hòa Bình", "Nguyễn Văn Cừ", "Trần Hưng Đạo", "30 Tháng 4", "Mậu Thân", "Cách Mạng Tháng 8", "Võ Văn Kiệt"]
    for code, name in [w for w in WARDS if w[1].startswith("Phường")][:25]:
        for street in rng.sample(streets, 3):
            prices.append({"ward": name, "ward_code": code, "street": street, "position": rng.choice([1, 2, 3, 4]),
                           "price_vnd_m2": vi_number(rng.randrange(1_500_000, 65_000_000, 50_000))})
    dataset("snnmt", "land-prices", ("Bảng giá đất ở", "Residential land price table"),
            ("Giá đất ở tại đô thị theo tuyến đường và vị trí, đồng/m².", "Urban residential land prices by street and position."),
            "dat-dai", "quarterly",
            [*ward_cols(), col("street", "Tên đường", "Street", required=True),
             col("position", "Vị trí", "Position", "integer", minimum=1, maximum=5),
             col("price_vnd_m2", "Giá (đồng/m2)", "Price (VND/m²)", "integer", minimum=100_000, unit="VND/m2", required=True)],
            prices, "xlsx_sheets", primary_key=["ward", "street", "position"], sheet="Bảng giá")
    markets = [{"code": f"CN-{i:02d}", "name": n, "ward": ward()[1], "boats": rng.randint(40, 400)} for i, n in enumerate(
        ["Chợ nổi Cái Răng", "Chợ nổi Phong Điền", "Chợ nổi Ngã Bảy", "Chợ nổi Ngã Năm", "Chợ nổi Trà Ôn"], 1)]
    dataset("snnmt", "floating-markets", ("Chợ nổi", "Floating markets"),
            ("Các chợ nổi trên sông và số ghe thuyền buôn bán nông sản.", "Floating markets and the number of boats trading produce."),
            "nong-nghiep", "quarterly",
            [col("code", "Mã", "Code", required=True), col("name", "Tên chợ", "Name", required=True),
             col("ward", "Phường/Xã", "Ward/commune", reference="ward_name"),
             col("boats", "Số ghe, thuyền", "Boats", "integer", minimum=0)],
            markets, "xlsx_merged", primary_key=["code"])
    catalogue = [{"no": i, "domain": d, "title": t, "agency": a} for i, (d, t, a) in enumerate([
        ("Môi trường", "Độ mặn tại các trạm quan trắc", "Sở Nông nghiệp và Môi trường"),
        ("Nông nghiệp", "Diện tích gieo trồng lúa theo vụ", "Sở Nông nghiệp và Môi trường"),
        ("Giao thông", "Bến phà, bến đò", "Sở Xây dựng"), ("Y tế", "Trạm y tế phường, xã", "Sở Y tế")], 1)]
    dataset("skhcn", "open-data-catalogue", ("Danh mục dữ liệu mở", "Open-data catalogue"),
            ("Danh mục dữ liệu mở của thành phố (trích).", "The city's open-data catalogue (extract)."), "khoa-hoc-cong-nghe", "quarterly",
            [col("no", "STT", "No.", "integer", required=True), col("domain", "Lĩnh vực", "Domain", required=True),
             col("title", "Tên dữ liệu", "Dataset", required=True), col("agency", "Cơ quan chủ quản", "Agency", required=True)],
            catalogue, primary_key=["no"])


def write(ds: dict, specs: Path | None, samples: Path) -> None:
    """The dataset's spec (unless ``specs`` is None) and its delivery, dated the day it was delivered."""
    agency, id_, kit, delivered = ds["agency"], ds["id"], ds["city"], ds["delivered"]
    contact = kit.contact[agency]
    source: dict = {"kind": "drop_zone", "pattern": "*.csv"}
    if ds["fmt"].startswith("xlsx"):
        source = {"kind": "drop_zone", "pattern": "*.xlsx"}
        if ds.get("sheet"):
            source["sheet"] = ds["sheet"]
    if ds["fmt"] == "http":
        source = {"kind": "http", "conn_id": "danang_svhttdl_api", "path": "/api/records", "records_path": "data",
                  "pagination": {"style": "page", "page_param": "page", "size_param": "page_size", "size": 50},
                  "auth": {"header": "Authorization", "prefix": "Bearer "}}
    if ds["fmt"] == "sql":
        source = {"kind": "sql", "conn_id": "danang_syt_db", "watermark_column": "updated_seq",
                  "query": 'SELECT ma AS "Mã", ten AS "Tên phòng khám", dia_chi AS "Địa chỉ", phuong_xa AS "Phường/Xã", '
                           'chuyen_khoa AS "Chuyên khoa", so_giay_phep AS "Số giấy phép", ngay_cap_phep AS "Ngày cấp phép", '
                           "updated_seq FROM phong_kham"}
    spec = {"id": id_, "title": {"vi": ds["title"][0], "en": ds["title"][1]},
            "description": {"vi": ds["desc"][0], "en": ds["desc"][1]}, "domain": ds["domain"],
            "tags": [*KEYWORDS[id_], kit.place.lower()], "licence": "cc-by",
            "contact": {"name": contact[0], "email": contact[1]}, "classification": "open",
            "update_frequency": ds["frequency"], "source": source, "primary_key": ds.get("primary_key", []),
            "columns": [{k: v for k, v in c.items() if v is not None and not (k == "type" and v == "string")} for c in ds["columns"]]}
    for c in spec["columns"]:
        if c.get("public") is False:
            del c["public"]
    for key in ("date_column", "row_count"):
        if ds.get(key):
            spec[key] = ds[key]
    if specs is not None:
        (specs / kit.code / agency).mkdir(parents=True, exist_ok=True)
        (specs / kit.code / agency / f"{id_}.yaml").write_text(
            f"# {ds['title'][0]} / {ds['title'][1]} (generated by dev/make_samples.py; edit there)\n"
            + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
    folder = samples / kit.code / agency / id_
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    header, rows = rows_for(ds["columns"], ds["records"])
    fmt = ds["fmt"]
    if fmt == "csv":
        write_csv(folder / f"{id_}-{delivered:%Y-%m}.csv", header, rows, ds.get("encoding", "utf-8"))
    elif fmt == "xlsx_titled":
        write_xlsx(folder / f"{id_}-{delivered:%Y-%m}.xlsx", {"Sheet1": titled(kit, agency, ds["title"][0], header, rows)},
                   {"Sheet1": ["A1:E1", "A2:E2", "A4:E4"]})
    elif fmt == "xlsx_sheets":
        write_xlsx(folder / f"{id_}-{delivered:%Y-%m}.xlsx", {"Hướng dẫn": [[f"Bảng giá áp dụng từ 01/{TODAY:%m/%Y}"], ["Đơn vị: đồng/m2"]],
                                                     ds["sheet"]: titled(kit, agency, ds["title"][0], header, rows)})
    elif fmt == "xlsx_merged":
        parent = ["Thông tin chung" if i < 2 else h for i, h in enumerate(header)]
        top = [[kit.agency_vi[agency]], [ds["title"][0].upper()], parent, header]
        write_xlsx(folder / f"{id_}-{delivered:%Y-%m}.xlsx", {"Sheet1": top + rows},
                   {"Sheet1": ["A3:B3"] + [f"{openpyxl.utils.get_column_letter(i + 1)}3:{openpyxl.utils.get_column_letter(i + 1)}4"
                                            for i in range(2, len(header))]})
    elif fmt == "http":
        (folder / "api-records.json").write_text(json.dumps(ds["records"], ensure_ascii=False, indent=0), encoding="utf-8")
    elif fmt == "sql":
        db = folder / "syt-database.sql"
        lines = ["CREATE TABLE phong_kham (ma TEXT PRIMARY KEY, ten TEXT, dia_chi TEXT, phuong_xa TEXT, chuyen_khoa TEXT, "
                 "so_giay_phep TEXT, ngay_cap_phep TEXT, updated_seq INTEGER);"]
        for r in ds["records"]:
            values = ", ".join("'" + str(v).replace("'", "''") + "'" if isinstance(v, str) else str(v) for v in r.values())
            lines.append(f"INSERT INTO phong_kham VALUES ({values});")
        db.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with sqlite3.connect(":memory:") as check:
            check.executescript(db.read_text(encoding="utf-8"))


# Last month's KPI report, as the compliance DAG delivered it to each city's skhcn (the platform writes the next).
LAST_REPORT = {
    "danang": [("skhcn", "Sở Khoa học và Công nghệ", 1, 1, 1, 1), ("snnmt", "Sở Nông nghiệp và Môi trường", 10, 8, 9, 8),
               ("syt", "Sở Y tế", 9, 6, 8, 6), ("svhttdl", "Sở Văn hóa, Thể thao và Du lịch", 4, 3, 4, 3)],
    "cantho": [("snnmt", "Sở Nông nghiệp và Môi trường", 9, 9, 9, 9), ("skhcn", "Sở Khoa học và Công nghệ", 1, 1, 1, 1)],
}


def write_last_report(kit: CityKit, samples: Path) -> None:
    computed = TODAY.replace(day=1)
    folder = samples / kit.code / "skhcn" / "open-data-compliance"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    header = ["Mã đơn vị", "Đơn vị", "Đã công bố", "Chất lượng cao", "Còn mới", "Đạt chuẩn và còn mới", "Chỉ tiêu", "Đạt",
              "Thời điểm tính"]
    rows = [[*r, 10, "false", f"{computed} 06:00:00"] for r in LAST_REPORT[kit.code]]
    write_csv(folder / f"open-data-compliance-{computed:%Y%m%d}.csv", header, rows)


def earlier_deliveries(city: str) -> dict[str, str]:
    """dataset id → the day its latest delivery came, for those delivered before the reference date."""
    return {ds["id"]: ds["delivered"].isoformat() for ds in DATASETS if ds["city"].code == city and ds["delivered"] != TODAY}


def main(argv: list[str] | None = None) -> int:
    global TODAY
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reference", type=date.fromisoformat, default=date.today(),
                        help="the day the samples are written for (default: today; the committed ones: 2026-11-20)")
    parser.add_argument("--samples", type=Path, default=ROOT / "include" / "samples", help="where the deliveries go")
    parser.add_argument("--specs", type=Path, default=SPECS_ROOT, help="where the specs go (default include/datasets)")
    parser.add_argument("--no-specs", action="store_true", help="write the deliveries only (the specs do not depend on the day)")
    args = parser.parse_args(argv)
    TODAY = args.reference
    DATASETS.clear()
    for kit, build in ((DANANG, build_danang), (CANTHO, build_cantho)):
        use_city(kit)
        build()
    for ds in DATASETS:
        write(ds, None if args.no_specs else args.specs, args.samples)
    for kit in (DANANG, CANTHO):
        write_last_report(kit, args.samples)
        (args.samples / kit.code).mkdir(parents=True, exist_ok=True)
        (args.samples / kit.code / "earlier-deliveries.json").write_text(
            json.dumps({"reference": TODAY.isoformat(), "delivered_on": earlier_deliveries(kit.code)}, indent=1) + "\n")
    counts: dict[str, int] = {}
    for ds in DATASETS:
        counts[f"{ds['city'].code}.{ds['agency']}"] = counts.get(f"{ds['city'].code}.{ds['agency']}", 0) + 1
    print(f"{len(DATASETS)} datasets for {TODAY} written to {args.samples}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
