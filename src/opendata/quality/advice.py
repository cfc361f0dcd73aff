"""What a rule allows, said in words: the detail of a problem and how to fix it, from the rule's own
settings (the allowed values, the range, the format, the row count), and every problem's advice: the one
home of what a receipt tells an agency to do. No Python structure ever reaches a receipt: lists are joined,
bounds are numbers or dates, a missing bound is left unsaid."""

from __future__ import annotations

from datetime import date, datetime

from ..issues import RowIssue

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


CHECK_FIX = {  # advice of the platform's named checks, which share their rule types with others
    "missing_key": ("Điền mã cho dòng này: mỗi dòng một mã riêng, không để trống.",
                    "Fill in this row's key: every row has its own key, never empty."),
    "legacy_font": ("Chuyển ô này sang Unicode (Unikey: Công cụ chuyển mã) rồi gửi lại.",
                    "Convert the cell to Unicode (Unikey's converter) and send the file again."),
    "ward_pair": ("Sửa mã hoặc tên cho khớp danh mục phường, xã hiện hành (mã cũ trước 7/2025 có thể đã dùng cho phường khác).",
                  "Correct the code or the name to match the current list (a code from before 7/2025 may now be another "
                  "ward's)."),
    "ward_reference": ("Dùng tên (hoặc mã) phường, xã theo danh mục hiện hành sau sắp xếp 2025 (ví dụ 'Phường Hải Châu').",
                       "Use the current ward/commune name (or code) after the 2025 reorganisation (e.g. 'Phường Hải Châu')."),
    "clean_text": ("Bỏ khoảng trắng thừa ở đầu, cuối ô; gõ dấu bằng bảng mã Unicode dựng sẵn.",
                   "Remove the spaces at the start and end of the cell; type accents in precomposed Unicode."),
}


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


RULE_FIX = {  # a rule's advice, when the problem has none of its own (CHECK_FIX, fix())
    "expect_column_to_exist": ("Thêm cột theo đúng tên trong đặc tả.", "Add the column, named as in the specification."),
    "expect_column_values_to_not_be_null": ("Điền giá trị cho ô bắt buộc.", "Fill in the required cell."),
    "expect_column_values_to_be_between": ("Kiểm tra lại giá trị, đơn vị và dấu thập phân.",
                                           "Check the value, its unit and the decimal separator."),
    "expect_column_values_to_be_in_set": ("Dùng một giá trị trong danh mục.", "Use a value from the list."),
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
