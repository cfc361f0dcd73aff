"""What a rule allows, said in words: the detail of a problem and how to fix it, from the rule's own
settings (the allowed values, the range, the format, the row count). No Python structure ever reaches
a receipt: lists are joined, bounds are numbers or dates, a missing bound is left unsaid."""

from __future__ import annotations

from datetime import date, datetime

SHOWN_VALUES = 12  # allowed values listed by name; a longer list is named by its first ones and its size

FORMAT_WORDS = {
    "phone": ("số điện thoại: bắt đầu bằng 0 hoặc +84, 9 đến 14 chữ số (có thể có dấu cách, chấm, gạch)",
              "a phone number: starts with 0 or +84, 9 to 14 digits (spaces, dots or dashes allowed)"),
    "mobile": ("số di động: 0 hoặc +84 rồi 9 chữ số, bắt đầu bằng 3, 5, 7, 8 hoặc 9",
               "a mobile number: 0 or +84 then 9 digits, starting with 3, 5, 7, 8 or 9"),
    "email": ("địa chỉ e-mail dạng ten@ten-mien.vn", "an e-mail address such as name@domain.vn"),
    "tax_code": ("mã số thuế: 10 chữ số, hoặc 10 chữ số, gạch ngang và 3 chữ số",
                 "a tax code: 10 digits, or 10 digits, a dash and 3 digits"),
    "url": ("địa chỉ web bắt đầu bằng http:// hoặc https://", "a web address starting with http:// or https://"),
}
TYPE_WORDS = {
    "integer": ("số nguyên, ví dụ 1250 hoặc 1.250", "a whole number, e.g. 1250 or 1.250"),
    "number": ("số, dấu phẩy thập phân (12,5) hoặc dấu chấm (12.5)", "a number, with a decimal comma (12,5) or point (12.5)"),
    "date": ("ngày dạng dd/mm/yyyy (31/12/2026) hoặc yyyy-mm-dd (2026-12-31)",
             "a date as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd (2026-12-31)"),
    "datetime": ("thời điểm dạng dd/mm/yyyy hh:mm hoặc ISO 8601 (2026-12-31T08:30:00+07:00)",
                 "a date and time as dd/mm/yyyy hh:mm or ISO 8601 (2026-12-31T08:30:00+07:00)"),
    "boolean": ("có/không (hoặc x, true/false)", "yes/no (or x, true/false)"),
}


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
    if check == "missing_key":
        return ("Điền mã cho dòng này: mỗi dòng một mã riêng, không để trống.",
                "Fill in this row's key: every row has its own key, never empty.")
    if check == "legacy_font":
        return ("Chuyển ô này sang Unicode (Unikey: Công cụ chuyển mã) rồi gửi lại.",
                "Convert the cell to Unicode (Unikey's converter) and send the file again.")
    if check == "ward_pair":
        return ("Sửa mã hoặc tên cho khớp danh mục phường, xã hiện hành (mã cũ trước 7/2025 có thể đã dùng cho phường khác).",
                "Correct the code or the name to match the current list (a code from before 7/2025 may now be another ward's).")
    if check == "ward_reference":
        return ("Dùng tên (hoặc mã) phường, xã theo danh mục hiện hành sau sắp xếp 2025 (ví dụ 'Phường Hải Châu').",
                "Use the current ward/commune name (or code) after the 2025 reorganisation (e.g. 'Phường Hải Châu').")
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


def type_fix(type_name: str) -> tuple[str, str]:
    vi, en = TYPE_WORDS.get(type_name, ("đúng kiểu của cột", "of the column's type"))
    return f"Nhập {vi}; để trống nếu không có giá trị.", f"Enter {en}; leave it empty when there is no value."
