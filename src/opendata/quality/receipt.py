"""The receipt an agency gets for every delivery, in Vietnamese and English, as Markdown and JSON.

Accepted or rejected, the scores per dimension, and for each problem: row, column, value, rule and
how to fix it. Written in the receipts/ folder of the agency's drop (or the platform's receipts/ for API
and database sources).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ..issues import RowIssue
from ..spec.models import CITY_TIMEZONE
from ..vocabulary import DIMENSION_NAMES
from .advice import type_fix

HOW_TO_FIX = {
    "expect_column_to_exist": ("Thêm cột theo đúng tên trong đặc tả.", "Add the column, named as in the specification."),
    "expect_column_values_to_not_be_null": ("Điền giá trị cho ô bắt buộc.", "Fill in the required cell."),
    "expect_column_values_to_be_between": ("Kiểm tra lại giá trị, đơn vị và dấu thập phân.",
                                           "Check the value, its unit and the decimal separator."),
    "expect_column_values_to_be_in_set": ("Dùng một giá trị trong danh mục (tên phường, xã theo danh mục hiện hành).",
                                          "Use a value from the list (current ward/commune names)."),
    "expect_column_values_to_match_regex": ("Sửa theo đúng định dạng yêu cầu.", "Write the value in the required format."),
    "expect_column_values_to_be_unique": ("Mỗi mã chỉ xuất hiện một lần: xóa dòng trùng.",
                                          "Each key once: remove the duplicate row."),
    "expect_compound_columns_to_be_unique": ("Xóa dòng trùng khóa.", "Remove the rows with a duplicate key."),
    "expect_table_row_count_to_be_between": ("Gửi đủ số dòng như cam kết (tệp có bị cắt?).",
                                             "Send all the rows promised (was the file cut short?)."),
    "expect_column_values_to_not_match_regex": ("Bỏ ký tự =, +, -, @ ở đầu ô và khoảng trắng thừa.",
                                                "Remove a leading =, +, -, @ and stray spaces."),
    "expect_column_values_to_not_match_regex_list": (
        "Dữ liệu mở không được chứa thông tin cá nhân (số CCCD/CMND, số di động, e-mail cá nhân): xóa hoặc ẩn.",
        "Open data must not hold personal data (ID numbers, mobile numbers, personal e-mail): remove or mask it."),
    "expect_column_max_to_be_between": ("Cập nhật dữ liệu mới nhất theo tần suất đã cam kết.",
                                        "Send current data, as often as promised."),
    "extra_column": ("Bỏ cột này, hoặc đề nghị bổ sung vào đặc tả nếu cần công bố.",
                     "Remove the column, or ask for it to be added to the specification if it should be published."),
    "unprintable": ("Xuất lại tệp từ dữ liệu gốc dạng UTF-8; xoá ký tự điều khiển.",
                    "Export the file again from the original data as UTF-8; remove control characters."),
    "structure": ("Kiểm tra dấu phân cách và dấu ngoặc kép trong dòng này.", "Check the separators and quotes in this row."),
    "dropped_rows": ("Không cần sửa nếu đúng là tiêu đề, ghi chú hay chữ ký; nếu là dữ liệu, điền mã và các cột bắt buộc.",
                     "Nothing to do if these are titles, notes or signatures; if they are data, fill in the key and "
                     "required columns."),
    "unnamed_column": ("Đặt tiêu đề cho cột (theo đặc tả) hoặc xoá cột.", "Give the column a header (as in the specification) "
                       "or delete it."),
    "legacy_font_converted": ("Nên gõ bằng phông Unicode (Times New Roman, Arial) từ lần sau.",
                              "Type in a Unicode font (Times New Roman, Arial) from now on."),
    "legacy_font": ("Chuyển toàn bộ tệp sang Unicode (Unikey: Công cụ chuyển mã, nguồn TCVN3 hoặc VNI, đích Unicode) "
                    "rồi gửi lại.",
                    "Convert the whole file to Unicode (Unikey's converter: from TCVN3 or VNI to Unicode) and send it again."),
}


def _fix(issue: RowIssue) -> tuple[str, str]:
    """The issue's own advice (naming what is allowed) when it has one, else its rule's."""
    rule = issue.rule
    if issue.fix_vi:
        return issue.fix_vi, issue.fix_en or issue.fix_vi
    if rule.startswith("metadata:"):
        return ("Bổ sung trong đặc tả bộ dữ liệu (Sở KH&CN hỗ trợ).",
                "Add it to the dataset specification (the portal team can help).")
    if rule.startswith("type:"):
        return type_fix(rule.removeprefix("type:"))
    return HOW_TO_FIX.get(rule, ("Xem quy tắc trong đặc tả bộ dữ liệu.", "See the rule in the dataset specification."))


def local_time(moment: str | None) -> str:
    """An ISO moment as the city reads it: dd/mm/yyyy hh:mm in Vietnam's time (UTC+7)."""
    if not moment:
        return ""
    try:
        at = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ZoneInfo(CITY_TIMEZONE))
    return f"{at:%d/%m/%Y %H:%M} (UTC+7)"


def summary(problems: list[dict]) -> list[dict]:
    """One line per problem kind (rule, column, message): how many cells broke it in all, how many are listed."""
    out: dict[tuple, dict] = {}
    for p in problems:
        key = (p["rule"], p["column"], p["message_vi"])
        line = out.setdefault(key, {"rule": p["rule"], "column": p["column"], "severity": p["severity"],
                                    "message_vi": p["message_vi"], "message_en": p["message_en"], "total": 0, "listed": 0})
        line["listed"] += 1
        line["total"] = max(line["total"], p.get("total") or 0, line["listed"])
    return list(out.values())


@dataclass(frozen=True)
class Receipt:
    markdown: Path
    json: Path
    markdown_text: str = ""  # what was written: mailed from here, never read back from the agency's folder


def receipt_dict(dataset: str, title: str, original_name: str, accepted: bool, scores: dict[str, float], overall: float | None,
                 issues: list[RowIssue], received_at: str, error: str | None = None) -> dict:
    return {
        "dataset": dataset, "title": title, "file": original_name, "received_at": received_at, "accepted": accepted,
        "status_vi": "ĐƯỢC CHẤP NHẬN" if accepted else "BỊ TỪ CHỐI", "status_en": "ACCEPTED" if accepted else "REJECTED",
        "received_local": local_time(received_at), "scores": scores, "overall": overall, "error": error,
        "problems": [{**i.asdict(), "fix_vi": _fix(i)[0], "fix_en": _fix(i)[1]} for i in issues],
    }


def render_markdown(r: dict) -> str:
    lines = [f"# Biên nhận dữ liệu / Data receipt: {r['title']}", "",
             f"- Tệp / File: `{r['file']}`", f"- Nhận lúc / Received: {r.get('received_local') or r['received_at']}",
             f"- Kết quả / Result: **{r['status_vi']} / {r['status_en']}**"]
    if r.get("error"):
        lines += ["", "## Không đọc được tệp / The file could not be read", "", r["error"]]
    if r["scores"]:
        lines += ["", "## Điểm chất lượng / Quality scores", "", "| Tiêu chí / Dimension | Điểm / Score |", "|---|---:|"]
        lines += [f"| {DIMENSION_NAMES[d][0]} / {DIMENSION_NAMES[d][1]} | {s:.1f} |" for d, s in r["scores"].items()]
        lines.append(f"| **Tổng / Overall** | **{r['overall']:.1f}** |")
    if r["problems"]:
        lines += ["", "## Tóm tắt / Summary", "",
                  "| Mức / Severity | Cột / Column | Lỗi / Problem | Số ô (dòng) / Cells (rows) | Liệt kê / Listed |",
                  "|---|---|---|---:|---:|"]
        for p in summary(r["problems"]):
            sev = "Chặn / blocking" if p["severity"] == "blocking" else "Cảnh báo / warning"
            text = f"{p['message_vi']} / {p['message_en']}".replace("|", "\\|")
            lines.append(f"| {sev} | {p['column'] or ''} | {text} | {p['total']:,} | {p['listed']} |")
        lines += ["", "## Cần sửa / To fix", "",
                  "| Mức / Severity | Dòng / Row | Cột / Column | Giá trị / Value | Lỗi / Problem | Cách sửa / How to fix |",
                  "|---|---:|---|---|---|---|"]
        for p in r["problems"]:
            sev = "Chặn / blocking" if p["severity"] == "blocking" else "Cảnh báo / warning"
            value = str(p["value"] if p["value"] is not None else "").replace("|", "\\|")
            lines.append(f"| {sev} | {p['row'] or ''} | {p['column'] or ''} | {value} | {p['message_vi']} / {p['message_en']} "
                         f"| {p['fix_vi']} / {p['fix_en']} |")
    elif not r.get("error"):
        lines += ["", "Không có lỗi. / No problems found."]
    return "\n".join(lines) + "\n"


def write_receipt(folder: Path, stem: str, receipt: dict, trusted_root: Path | None = None) -> Receipt:
    """``folder`` below ``trusted_root`` (an agency-writable drop zone) is opened without following any
    link planted in it; the files are written under a temporary name and renamed into place."""
    from ..sources.safe_fs import open_below, write_at

    root = trusted_root or folder.parent
    md_text = render_markdown(receipt)
    with open_below(root, list(folder.relative_to(root).parts), create=True) as fd:
        write_at(fd, f"{stem}.receipt.md", md_text.encode("utf-8"))
        write_at(fd, f"{stem}.receipt.json", json.dumps(receipt, ensure_ascii=False, indent=1, default=str).encode("utf-8"))
    return Receipt(folder / f"{stem}.receipt.md", folder / f"{stem}.receipt.json", md_text)
