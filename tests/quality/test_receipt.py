"""The receipt and the published quality report: totals, advice and times as an agency reads them, and agency
text never taken for markup."""

from __future__ import annotations

from opendata.issues import Dimension, RowIssue, Severity
from opendata.quality.receipt import receipt_dict, render_markdown
from opendata.quality.report_html import render_html


def issues() -> list[RowIssue]:
    typed = [RowIssue(rule="type:number", dimension=Dimension.correct, severity=Severity.blocking, row=r,
                      column="score", value="<script>alert(1)</script>", message_vi="Giá trị không phải số",
                      message_en="The value is not a number", total=1234) for r in range(2, 22)]
    left_out = RowIssue(rule="dropped_rows", dimension=Dimension.complete, severity=Severity.warning, row=30,
                        value="Người lập biểu", message_vi="Không đưa vào bảng (dòng 30–33): phần ký tên",
                        message_en="Left out of the table (lines 30–33): the signature block", total=4)
    return [left_out, *typed]


def test_each_problem_shows_its_total_and_blocking_ones_come_first() -> None:
    r = receipt_dict("danang.syt.x", "X", "f.csv", False, {"dung": 50.0}, 50.0, issues(), "2026-12-07T01:30:00+00:00")
    text = render_markdown(r)
    summary = text.split("## Tóm tắt / Summary")[1].split("## Cần sửa")[0]
    lines = [line for line in summary.splitlines() if line.startswith("| Chặn") or line.startswith("| Cảnh báo")]
    assert lines[0].startswith("| Chặn") and "| 1,234 | 20 |" in lines[0] and "| 4 | 1 |" in lines[1]
    assert "07/12/2026 08:30 (UTC+7)" in text  # the city's time, not UTC
    assert "Nhập số" in text  # the type's own advice


def test_the_html_report_escapes_agency_text_and_reads_in_the_citys_time() -> None:
    r = receipt_dict("danang.syt.x", "X", '<img src=x onerror="alert(1)">.csv', False, {"dung": 50.0}, 50.0, issues(),
                     "2026-12-07T01:30:00+00:00")
    page = render_html(r, "2026-12-07T01:31:00+00:00")
    assert "<img" not in page and "<script>" not in page and "&lt;script&gt;" in page
    assert "07/12/2026 08:30 (UTC+7)" in page and "07/12/2026 08:31 (UTC+7)" in page
    assert "<td>1,234</td><td>20</td>" in page and "Cách sửa / How to fix" in page
