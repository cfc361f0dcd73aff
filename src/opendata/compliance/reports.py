"""Compliance reports for the city's cadences (monthly, quarterly, yearly): XLSX, CSV and HTML, with
one sheet of agencies (the KPI) and one of datasets; the latest is also published as open data."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path

from ..quality.report_html import REPORT_STYLE
from ..ui import csp
from ..vocabulary.pages import AGENCY_COLUMNS, DATASET_COLUMNS, OPEN_COLUMNS
from .kpi import CityKpi, dataset_rows

REPORT_DATASET = "open-data-compliance"  # of the Department of Science and Technology (skhcn)


def period_of(cadence: str, at: datetime) -> str:
    if cadence == "monthly":
        return f"{at:%Y-%m}"
    if cadence == "quarterly":
        return f"{at.year}-Q{(at.month - 1) // 3 + 1}"
    if cadence == "yearly":
        return f"{at.year}"
    raise ValueError(f"unknown cadence {cadence!r} (monthly, quarterly, yearly)")


@dataclass(frozen=True)
class Report:
    xlsx: Path
    csv: Path
    html: Path
    period: str


def write_report(city: CityKpi, cadence: str, at: datetime, folder: Path) -> Report:
    period = period_of(cadence, at)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"compliance-{city.city}-{cadence}-{period}"
    agencies = [a.summary() for a in city.agencies]
    datasets = dataset_rows(city)
    _xlsx(stem.with_suffix(".xlsx"), city, period, agencies, datasets)
    with open(stem.with_suffix(".csv"), "w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel reads UTF-8
        writer = csv.writer(fh)
        writer.writerow([label for _, label in AGENCY_COLUMNS])
        writer.writerows([[a[k] for k, _ in AGENCY_COLUMNS] for a in agencies])
    stem.with_suffix(".html").write_text(_html(city, period, agencies, datasets), encoding="utf-8")
    return Report(stem.with_suffix(".xlsx"), stem.with_suffix(".csv"), stem.with_suffix(".html"), period)


def write_open_csv(city: CityKpi, path: Path) -> Path:
    """The latest KPI as the CSV the report's own open dataset is delivered as (its drop folder)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")  # the drop zone leaves partial files alone
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([label for _, label in OPEN_COLUMNS])
        for a in city.agencies:
            row = {**a.summary(), "computed_at": city.at[:19].replace("T", " "), "meets": "true" if a.meets else "false"}
            writer.writerow([row[k] for k, _ in OPEN_COLUMNS])
    tmp.replace(path)
    return path


def _xlsx(path: Path, city: CityKpi, period: str, agencies: list[dict], datasets: list[dict]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Đơn vị - Agencies"
    ws.append([f"Báo cáo dữ liệu mở / Open-data compliance: {city.city} {period} (lúc / at {city.at})"])
    ws.append([f"Tỷ lệ đơn vị đạt / Share of agencies meeting the target: {city.share_meeting:.0%}"])
    ws.append([label for _, label in AGENCY_COLUMNS])
    for cell in ws[3]:
        cell.font = Font(bold=True)
    for a in agencies:
        ws.append([a[k] for k, _ in AGENCY_COLUMNS])
    ds = wb.create_sheet("Bộ dữ liệu - Datasets")
    ds.append([label for _, label in DATASET_COLUMNS])
    for cell in ds[1]:
        cell.font = Font(bold=True)
    for d in datasets:
        ds.append([d[k] for k, _ in DATASET_COLUMNS])
    wb.save(path)


def _html(city: CityKpi, period: str, agencies: list[dict], datasets: list[dict]) -> str:
    def table(rows: list[dict], columns) -> str:
        head = "".join(f"<th>{escape(label)}</th>" for _, label in columns)
        body = "".join("<tr>" + "".join(f"<td>{escape(str(r[k]))}</td>" for k, _ in columns) + "</tr>" for r in rows)
        return f"<table><tr>{head}</tr>{body}</table>"

    return (f"<!doctype html><html lang='vi'><head><meta charset='utf-8'>{csp.meta(REPORT_STYLE)}"
            f"<title>Báo cáo dữ liệu mở {escape(city.city)} {escape(period)}</title><style>{REPORT_STYLE}</style></head><body>"
            f"<h1>Báo cáo dữ liệu mở / Open-data compliance: {escape(city.city)} {escape(period)}</h1>"
            f"<p>Lúc / at {escape(city.at)} · tỷ lệ đơn vị đạt / agencies meeting the target: {city.share_meeting:.0%}</p>"
            f"<h2>Đơn vị / Agencies</h2>{table(agencies, AGENCY_COLUMNS)}"
            f"<h2>Bộ dữ liệu / Datasets</h2>{table(datasets, DATASET_COLUMNS)}</body></html>")
