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
from .advice import for_issue


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
    return sorted(out.values(), key=lambda line: line["severity"] != "blocking")  # what blocks, first


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
        "problems": [{**i.asdict(), "fix_vi": for_issue(i)[0], "fix_en": for_issue(i)[1]} for i in issues],
    }


_MARKDOWN_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]", "|": "\\|",
                                "`": "\\`", "\n": " ", "\r": " "})


def _md(text) -> str:
    """Agency text as Markdown text: a viewer renders raw HTML and link syntax, so neither survives."""
    return str(text if text is not None else "").translate(_MARKDOWN_TEXT)


def render_markdown(r: dict) -> str:
    lines = [f"# Biên nhận dữ liệu / Data receipt: {r['title']}", "",
             f"- Tệp / File: {_md(r['file'])}", f"- Nhận lúc / Received: {r.get('received_local') or r['received_at']}",
             f"- Kết quả / Result: **{r['status_vi']} / {r['status_en']}**"]
    if r.get("error"):
        lines += ["", "## Không đọc được tệp / The file could not be read", "", _md(r["error"])]
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
            text = _md(f"{p['message_vi']} / {p['message_en']}")
            lines.append(f"| {sev} | {_md(p['column'])} | {text} | {p['total']:,} | {p['listed']} |")
        lines += ["", "## Cần sửa / To fix", "",
                  "| Mức / Severity | Dòng / Row | Cột / Column | Giá trị / Value | Lỗi / Problem | Cách sửa / How to fix |",
                  "|---|---:|---|---|---|---|"]
        for p in r["problems"]:
            sev = "Chặn / blocking" if p["severity"] == "blocking" else "Cảnh báo / warning"
            lines.append(f"| {sev} | {p['row'] or ''} | {_md(p['column'])} | {_md(p['value'])} | "
                         f"{_md(p['message_vi'])} / {_md(p['message_en'])} | {_md(p['fix_vi'])} / {_md(p['fix_en'])} |")
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
