"""The quality report published beside the data: one self-contained HTML page (no CDN, no script),
in Vietnamese and English, built from the delivery's receipt."""

from __future__ import annotations

from html import escape
from pathlib import Path

from ..ui import csp
from ..vocabulary import DIMENSION_NAMES
from .receipt import local_time, summary

REPORT_STYLE = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}
th{background:#f3f3f3}.ok{color:#1a7f37}.bad{color:#b42318}.score{font-size:1.6rem;font-weight:600}"""


HEAD = ("<tr><th>Mức / Severity</th><th>Dòng / Row</th><th>Cột / Column</th><th>Giá trị / Value</th>"
        "<th>Lỗi / Problem</th><th>Cách sửa / How to fix</th></tr>")
SUMMARY_HEAD = ("<tr><th>Mức / Severity</th><th>Cột / Column</th><th>Lỗi / Problem</th><th>Số ô (dòng) / Cells (rows)</th>"
                "<th>Liệt kê / Listed</th></tr>")


def _severity(p: dict) -> str:
    return "Chặn / blocking" if p["severity"] == "blocking" else "Cảnh báo / warning"


def render_html(receipt: dict, checked_at: str) -> str:
    """Everything the agency sent is text here, escaped: cells, headers, the file's name."""
    ok = receipt["accepted"]
    rows = "".join(
        f"<tr><td>{escape(DIMENSION_NAMES[d][0])} / {escape(DIMENSION_NAMES[d][1])}</td><td>{s:.1f}</td></tr>"
        for d, s in receipt["scores"].items())
    summed = "".join(
        f"<tr><td>{_severity(p)}</td><td>{escape(p['column'] or '')}</td>"
        f"<td>{escape(p['message_vi'])} / {escape(p['message_en'])}</td><td>{p['total']:,}</td><td>{p['listed']}</td></tr>"
        for p in summary(receipt["problems"]))
    problems = "".join(
        f"<tr><td>{_severity(p)}</td>"
        f"<td>{p['row'] or ''}</td><td>{escape(p['column'] or '')}</td><td>{escape(str(p['value'] or ''))}</td>"
        f"<td>{escape(p['message_vi'])} / {escape(p['message_en'])}</td>"
        f"<td>{escape(p.get('fix_vi') or '')} / {escape(p.get('fix_en') or '')}</td></tr>"
        for p in receipt["problems"])
    overall = receipt["overall"]
    return f"""<!doctype html><html lang="vi"><head><meta charset="utf-8">
{csp.meta(REPORT_STYLE)}
<title>Báo cáo chất lượng / Quality report: {escape(receipt['title'])}</title><style>{REPORT_STYLE}</style></head><body>
<h1>Báo cáo chất lượng dữ liệu / Data quality report</h1>
<p><b>{escape(receipt['title'])}</b> ({escape(receipt['dataset'])})<br>
Tệp / File: {escape(receipt['file'])} · Nhận lúc / Received: {escape(receipt.get('received_local') or
                                                                   local_time(receipt['received_at']))}
· Kiểm tra / Checked: {escape(local_time(checked_at))}</p>
<p class="{'ok' if ok else 'bad'}">{escape(receipt['status_vi'])} / {escape(receipt['status_en'])}</p>
<p class="score">Tổng / Overall: {'' if overall is None else f'{overall:.1f}'}/100</p>
<table><tr><th>Tiêu chí / Dimension</th><th>Điểm / Score</th></tr>{rows}</table>
<h2>Vấn đề / Problems</h2>
{f'<table>{SUMMARY_HEAD}{summed}</table><table>{HEAD}{problems}</table>' if problems else
 '<p>Không có lỗi. / No problems found.</p>'}
<p>Tiêu chuẩn "đúng, đủ, sạch, sống" / the city's standard: correct, complete, clean, live.</p>
</body></html>
"""


def write_html(receipt: dict, checked_at: str, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(receipt, checked_at), encoding="utf-8")
    return path
