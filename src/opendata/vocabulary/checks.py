"""The words of the checks: what each rule and named check found (a receipt's "problem" column), how to
fix it, the formats and column types said in words, and what a value of each type must be."""

from __future__ import annotations

RULE_TEXT = {
    "expect_column_to_exist": ("Thiếu cột", "Column is missing"),
    "expect_column_values_to_not_be_null": ("Ô bắt buộc bị để trống", "Required cell is empty"),
    "expect_column_values_to_be_between": ("Giá trị ngoài khoảng cho phép", "Value outside the allowed range"),
    "expect_column_values_to_be_in_set": ("Giá trị không thuộc danh mục cho phép", "Value not in the allowed list"),
    "expect_column_values_to_match_regex": ("Sai định dạng", "Value does not have the required format"),
    "expect_column_values_to_be_unique": ("Mã bị trùng", "Duplicate key"),
    "expect_compound_columns_to_be_unique": ("Khóa bị trùng", "Duplicate key"),
    "expect_table_row_count_to_be_between": ("Số dòng không như cam kết", "Row count outside the promised bounds"),
}

CHECK_TEXT = {
    "missing_key": ("Thiếu mã: ô khóa để trống", "Missing key: the key cell is empty"),
    "legacy_font": ("Chữ gõ bằng phông cũ (TCVN3/VNI) chưa chuyển sang Unicode",
                    "Text typed in a legacy font (TCVN3/VNI), not converted to Unicode"),
    "ward_pair": ("Mã và tên phường, xã không khớp nhau theo danh mục hiện hành",
                  "The ward code and the ward name do not belong together in the current list"),
    "personal_data": ("Có thông tin cá nhân (số CCCD/CMND, số di động, e-mail)", "Personal data (ID, mobile number, e-mail)"),
    "formula_injection": ("Ô bắt đầu bằng =, +, -, @ sẽ bị Excel chạy như công thức",
                          "A cell starting with =, +, -, @ runs as a formula in Excel"),
    "clean_text": ("Khoảng trắng thừa hoặc dấu chưa dựng sẵn (không phải NFC)", "Stray spaces or decomposed accents (not NFC)"),
    "ward_reference": ("Không có trong danh mục phường, xã hiện hành", "Not in the current list of wards and communes"),
    "row_count_collapse": ("Số dòng giảm hơn một nửa so với lần trước", "Fewer than half the rows of the previous delivery"),
    "freshness": ("Độ mới nội dung: ngày mới nhất trong dữ liệu đã cũ hơn tần suất cập nhật đã cam kết",
                  "Content currency: the newest date in the data is older than the promised frequency"),
}

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

EXPECTED = {  # what a value of each column type must be, in a receipt
    "integer": ("số nguyên (không quá 9.223.372.036.854.775.807, hoặc 9.007.199.254.740.991 khi viết có dấu "
                         "phân cách)", "an integer (at most 9,223,372,036,854,775,807, or 9,007,199,254,740,991 when "
                         "written with separators)"),
    "number": ("số hữu hạn (NaN, Infinity không phải là số)", "a finite number (NaN and Infinity are not numbers)"),
    "date": ("ngày hợp lệ (yyyy-mm-dd hoặc dd/mm/yyyy)", "a valid date (yyyy-mm-dd or dd/mm/yyyy)"),
    "datetime": ("thời điểm hợp lệ (dd/mm/yyyy hh:mm)", "a valid date and time (yyyy-mm-dd hh:mm)"),
    "boolean": ("có/không", "yes/no (true/false)"),
}
