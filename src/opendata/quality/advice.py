"""What a rule allows, said in words: the detail of a problem and how to fix it, from the rule's own
settings (the allowed values, the range, the format, the row count), and every problem's advice: the one
home of what a receipt tells an agency to do. No Python structure ever reaches a receipt: lists are joined,
bounds are numbers or dates, a missing bound is left unsaid."""

from __future__ import annotations

from datetime import date, datetime

from ..issues import RowIssue
from ..vocabulary.checks import CHECK_FIX, FORMAT_WORDS, RULE_FIX, TYPE_WORDS

SHOWN_VALUES = 12  # allowed values listed by name; a longer list is named by its first ones and its size


def _plain(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, str) and "T" in value and value[:4].isdigit():
        return value.replace("T", " ")
    if isinstance(value, float) and value.is_integer():
        return f"{int(value):,}".replace(",", ".") if abs(value) >= 10_000 else str(int(value))
    return str(value)


def range_words(low, high) -> tuple[str, str]:
    if low is not None and high is not None:
        return f"từ {_plain(low)} đến {_plain(high)}", f"from {_plain(low)} to {_plain(high)}"
    if low is not None:
        return f"từ {_plain(low)} trở lên", f"{_plain(low)} or more"
    if high is not None:
        return f"không quá {_plain(high)}", f"at most {_plain(high)}"
    return "", ""


def values_words(values: list) -> str:
    shown = ", ".join(f"'{_plain(v)}'" for v in values[:SHOWN_VALUES])
    return shown if len(values) <= SHOWN_VALUES else f"{shown} … ({len(values):,})"


def detail(rule: str, check: str | None, kwargs: dict, observed=None) -> tuple[str, str]:
    """What the rule allows, in words, for the problem's message ('' when the message says it all)."""
    if rule == "expect_column_values_to_be_between":
        vi, en = range_words(kwargs.get("min_value"), kwargs.get("max_value"))
        return f"cho phép {vi}", f"allowed: {en}"
    if rule == "expect_table_row_count_to_be_between":
        vi, en = range_words(kwargs.get("min_value"), kwargs.get("max_value"))
        if observed is None:
            return f"cần {vi} dòng", f"expected {en} rows"
        return f"cần {vi} dòng, có {_plain(observed)}", f"expected {en} rows, got {_plain(observed)}"
    if rule == "expect_column_max_to_be_between" and observed is not None:
        vi, en = range_words(kwargs.get("min_value"), kwargs.get("max_value"))
        return f"mới nhất {_plain(observed)}, cần {vi}", f"newest {_plain(observed)}, expected {en}"
    return "", ""


def fix(rule: str, check: str | None, kwargs: dict, meta: dict) -> tuple[str, str] | None:
    """Advice that names what is allowed, or None: the receipt's advice for the rule applies."""
    if check in CHECK_FIX:
        return CHECK_FIX[check]
    if check and check.startswith("format_"):
        vi, en = FORMAT_WORDS[check.removeprefix("format_")]
        return f"Viết theo định dạng {vi}.", f"Write it as {en}."
    if rule == "expect_column_values_to_be_in_set":
        shown = values_words(list(kwargs.get("value_set") or []))
        return f"Dùng một trong các giá trị: {shown}.", f"Use one of: {shown}."
    if rule == "expect_column_values_to_match_regex":
        hint_vi, hint_en = meta.get("hint_vi"), meta.get("hint_en")
        if hint_vi:
            return f"Viết theo mẫu: {hint_vi}.", f"Write it as: {hint_en or hint_vi}."
        return (f"Viết theo mẫu của đặc tả (biểu thức chính quy {kwargs.get('regex')}).",
                f"Write it in the specification's pattern (regular expression {kwargs.get('regex')}).")
    if rule == "expect_column_values_to_be_between":
        vi, en = range_words(kwargs.get("min_value"), kwargs.get("max_value"))
        return (f"Giá trị phải {vi}; kiểm tra đơn vị và dấu thập phân.",
                f"The value must be {en}; check its unit and the decimal separator.")
    return None


def for_issue(issue: RowIssue) -> tuple[str, str]:
    """What the receipt advises for a problem: its own advice (naming what is allowed) when it has one, else
    its column type's, else its rule's."""
    if issue.fix_vi:
        return issue.fix_vi, issue.fix_en or issue.fix_vi
    if issue.rule.startswith("metadata:"):
        return ("Bổ sung trong đặc tả bộ dữ liệu (Sở KH&CN hỗ trợ).",
                "Add it to the dataset specification (the portal team can help).")
    if issue.rule.startswith("type:"):
        return type_fix(issue.rule.removeprefix("type:"))
    return RULE_FIX.get(issue.rule, ("Xem quy tắc trong đặc tả bộ dữ liệu.", "See the rule in the dataset specification."))


def type_fix(type_name: str) -> tuple[str, str]:
    vi, en = TYPE_WORDS.get(type_name, ("đúng kiểu của cột", "of the column's type"))
    return f"Nhập {vi}; để trống nếu không có giá trị.", f"Enter {en}; leave it empty when there is no value."
