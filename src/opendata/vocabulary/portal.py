"""The portal's words and colours: the catalogue's domains, update frequencies, the titles of the resources
the platform writes, the metadata-quality ratings, the search facets, the quality bands, where data comes
from, and the colours of refresh states and traffic lights. The CKAN plugin reads them from the file
:mod:`opendata.vocabulary.export` generates, never from a copy of its own."""

from __future__ import annotations

DOMAIN_TITLES = {
    "dat-dai": ("Đất đai", "Land"), "do-thi": ("Quản lý đô thị", "Urban management"),
    "giao-thong": ("Giao thông", "Transport"), "y-te": ("Y tế", "Health"), "giao-duc": ("Giáo dục", "Education"),
    "an-toan-thuc-pham": ("An toàn thực phẩm", "Food safety"), "moi-truong": ("Môi trường", "Environment"),
    "nong-nghiep": ("Nông nghiệp", "Agriculture"),
    "van-hoa-du-lich": ("Văn hóa, du lịch", "Culture and tourism"), "thanh-tra": ("Thanh tra", "Inspection"),
    "tu-phap": ("Tư pháp", "Justice"), "lao-dong": ("Lao động", "Labour"), "cong-thuong": ("Công thương", "Industry and trade"),
    "kinh-te": ("Kinh tế", "Economy"), "khoa-hoc-cong-nghe": ("Khoa học và công nghệ", "Science and technology"),
}

FREQUENCY_LABELS = {  # a spec's update frequency, as the dataset page and the reports say it
    "hourly": ("hằng giờ", "hourly"), "daily": ("hằng ngày", "daily"), "weekly": ("hằng tuần", "weekly"),
    "monthly": ("hằng tháng", "monthly"), "quarterly": ("hằng quý", "quarterly"),
    "semiannual": ("6 tháng một lần", "every six months"), "annual": ("hằng năm", "annual"),
}

RESOURCE_TITLES = {  # each resource the platform writes, by its role: its title on the page
    "data": "Dữ liệu (CSV, API) / Data (CSV, API)",
    "parquet": "Dữ liệu Parquet / Data as Parquet",
    "report": "Báo cáo chất lượng / Quality report",
}

MQA_RATINGS = {"excellent": ("xuất sắc", "excellent"), "good": ("tốt", "good"), "sufficient": ("đạt", "sufficient"),
               "bad": ("kém", "bad")}  # data.europa.eu's metadata quality ratings

# One set of colours for the dashboard, the reports and the portal's quality panel (WCAG AA on white)
LIGHTS = {"green": "#1a7f37", "amber": "#9a6700", "red": "#cf222e"}

REFRESH_COLOURS = {"fresh": "#1a7f37", "due": "#9a6700", "overdue": "#bc4c00", "delinquent": "#cf222e", "never": "#57606a"}
SOURCE_LABELS = {"drop_zone": ("tệp đơn vị gửi", "files the agency drops"), "http": ("API của đơn vị", "the agency's API"),
                 "sql": ("cơ sở dữ liệu của đơn vị", "the agency's database")}
FACET_LABELS = {"refresh_state": ("Tình trạng cập nhật", "Refresh"), "quality_band": ("Chất lượng", "Quality"),
                "groups": ("Lĩnh vực", "Domain")}  # the portal's search facets (ckanext-opendata)
QUALITY_BANDS = {"high": ("cao", "high"), "medium": ("trung bình", "medium"), "low": ("thấp", "low")}
