"""The words of the stewards' pages: the dashboard's captions and the compliance reports' columns."""

from __future__ import annotations

from . import CURRENCY_LABELS, REFRESH_LABELS

DASHBOARD_WORDS = {
    "title": ("Bảng điều khiển dữ liệu mở", "Open-data dashboard"),
    "agency": ("Đơn vị", "Agency"), "published": ("Đã công bố", "Published"), "high": ("Chất lượng cao", "High quality"),
    "fresh": ("Còn mới", "Fresh"), "good": ("Đạt chuẩn", "Good"), "target": ("Chỉ tiêu", "Target"),
    "status": ("Tình trạng", "Status"), "meets": ("Đạt", "Meets"), "below": ("Chưa đạt", "Below"),
    "share": ("đơn vị đạt chỉ tiêu", "agencies meet the target"), "trend": ("Xu hướng KPI", "KPI trend"),
    "states": ("Tình trạng cập nhật", "Refresh states"),
    "content": ("Độ mới nội dung", "Content currency"),
    "all_cities": ("Toàn bộ danh mục", "Whole registry"), "dims": ("Điểm theo tiêu chí", "Scores by dimension"),
    "dataset": ("Bộ dữ liệu", "Dataset"), "score": ("Điểm", "Score"), "refreshed": ("Cập nhật lần cuối", "Last refresh"),
    "receipt": ("Biên nhận", "Receipt"), "back": ("Quay lại", "Back"), "none": ("Không có dữ liệu mở", "No open data"),
    "rule": ("Chỉ tiêu: mỗi đơn vị ≥ {target} bộ dữ liệu mở chất lượng cao (điểm ≥ {score}), cập nhật đúng hạn.",
             "Target: every agency keeps ≥ {target} high-quality open datasets (score ≥ {score}), refreshed on time."),
    **{f"{state.value}_state": labels for state, labels in REFRESH_LABELS.items()},
    **{f"{currency.value}_content": labels for currency, labels in CURRENCY_LABELS.items()},
}

AGENCY_COLUMNS = [("agency", "Mã đơn vị / Agency"), ("name_vi", "Đơn vị"), ("published", "Đã công bố / Published"),
                  ("high_quality", "Chất lượng cao / High quality"), ("fresh", "Còn mới / Fresh"),
                  ("good", "Đạt chuẩn và còn mới / Good"), ("target", "Chỉ tiêu / Target"), ("meets", "Đạt / Meets")]

# the open dataset of the latest report (include/datasets/<city>/skhcn/open-data-compliance.yaml): Vietnamese headers
OPEN_COLUMNS = [("agency", "Mã đơn vị"), ("name_vi", "Đơn vị"), ("published", "Đã công bố"), ("high_quality", "Chất lượng cao"),
                ("fresh", "Còn mới"), ("good", "Đạt chuẩn và còn mới"), ("target", "Chỉ tiêu"), ("meets", "Đạt"),
                ("computed_at", "Thời điểm tính")]

DATASET_COLUMNS = [("dataset", "Bộ dữ liệu / Dataset"), ("agency", "Đơn vị / Agency"), ("title", "Tên / Title"),
                   ("frequency", "Tần suất / Frequency"), ("published", "Đã công bố / Published"),
                   ("overall", "Điểm / Score"), ("refresh_state", "Tình trạng cập nhật / Refresh"),
                   ("last_refreshed_at", "Cập nhật lần cuối / Last refresh"),
                   ("days_since_refresh", "Số ngày từ lần cập nhật / Days since refresh"),
                   ("content_newest", "Ngày mới nhất trong dữ liệu / Newest date in the data"),
                   ("content_currency", "Độ mới nội dung / Content currency"),
                   ("mqa_score", "Chất lượng siêu dữ liệu (MQA, /405) / Metadata quality (MQA, of 405)"),
                   ("mqa_rating", "Xếp loại MQA / MQA rating"), ("good", "Đạt / Good")]
