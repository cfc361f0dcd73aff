"""đủ for the metadata: what the spec tells the public about the dataset (warnings, scored).

Titles and descriptions in both languages, tags, an open licence, a contact, a description for
every column and a unit for every measurement. The spec model already requires the essentials;
these are what makes a dataset findable and reusable (cf. the EU MQA's findability/reusability).
"""

from __future__ import annotations

from ..issues import Dimension, RowIssue, Severity
from ..spec.models import ColumnType, DatasetSpec
from .runner import CheckResult

OPEN_LICENCES = {"cc-by", "cc-by-sa", "cc-zero", "odc-by", "odc-odbl", "odc-pddl", "other-open", "other-pd", "gfdl"}


def metadata_checks(spec: DatasetSpec) -> tuple[list[CheckResult], list[RowIssue]]:
    numeric = [c for c in spec.columns if c.type in (ColumnType.integer, ColumnType.number)]
    items = [
        ("title_en", bool(spec.title.en), "Thiếu tên tiếng Anh", "No English title"),
        ("description_en", bool(spec.description.en), "Thiếu mô tả tiếng Anh", "No English description"),
        ("description_length", len(spec.description.vi) >= 40, "Mô tả quá ngắn (dưới 40 ký tự)",
         "Description shorter than 40 characters"),
        ("tags", len(spec.tags) >= 2, "Cần ít nhất 2 từ khóa", "At least two tags"),
        ("open_licence", spec.licence in OPEN_LICENCES, f"Giấy phép '{spec.licence}' không phải giấy phép mở",
         f"Licence '{spec.licence}' is not an open licence"),
        ("contact", bool(spec.contact.email), "Thiếu e-mail liên hệ", "No contact e-mail"),
        ("column_descriptions", all(c.description or c.label.en for c in spec.columns),
         "Có cột chưa có mô tả hoặc tên tiếng Anh", "A column has neither a description nor an English label"),
        ("units", all(c.unit for c in numeric if c.name not in spec.primary_key and not c.name.endswith(("_code", "_no"))),
         "Có cột số đo chưa ghi đơn vị", "A measurement column has no unit"),
    ]
    checks, issues = [], []
    for name, ok, vi, en in items:
        checks.append(CheckResult(f"metadata:{name}", None, Dimension.complete, Severity.warning, ok, 1, 0 if ok else 1))
        if not ok:
            issues.append(RowIssue(rule=f"metadata:{name}", dimension=Dimension.complete, severity=Severity.warning,
                                   message_vi=f"Siêu dữ liệu: {vi}", message_en=f"Metadata: {en}"))
    return checks, issues
