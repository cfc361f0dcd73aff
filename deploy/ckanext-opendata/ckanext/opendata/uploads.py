"""Tables uploaded by hand on the portal. The platform's publisher is the portal's only DataStore loader
(ckanext-xloader is not enabled: its all-text tables would sit beside the platform's typed ones, and it
hooked every resource the platform wrote). A table uploaded by hand would be a file nobody loads, checks
or keeps current, so it is refused with the way to deliver it; other files (a PDF, a link) are kept.
Only when an operator enables xloader (bench/datastore_1m.py does, to measure it) does it load them."""

from __future__ import annotations

import os

import ckan.plugins as p
from ckan.plugins import toolkit

PLATFORM_ROLES = ("data", "parquet", "report", "staging")  # what ckanext-opendata's publisher writes
TABLE_FORMATS = frozenset({"csv", "tsv", "txt", "xls", "xlsx", "xlsm", "ods", "json", "geojson", "parquet"})
REFUSAL = ("Bảng dữ liệu không tải lên tay trên cổng: hãy nộp qua nền tảng (thư mục nộp của cơ quan, hoặc kết nối "
           "API/CSDL), nơi dữ liệu được kiểm tra chất lượng rồi nạp vào DataStore. / Tables are not uploaded by hand "
           "on the portal: deliver them through the platform (the agency's drop folder, or its API or database "
           "connection), which checks their quality and loads them into the DataStore.")


def _uploaded_name(resource: dict) -> str | None:
    """The uploaded file's name, or None when the resource is a link (no file comes with it)."""
    upload = resource.get("upload")
    name = getattr(upload, "filename", None)
    if name:
        return str(name)
    return resource.get("url") if resource.get("url_type") == "upload" else None


def is_hand_table(resource: dict) -> bool:
    if resource.get("opendata_role") in PLATFORM_ROLES:
        return False
    name = _uploaded_name(resource)
    if name is None:
        return False
    declared = str(resource.get("format") or "").strip().lower().lstrip(".")
    extension = os.path.splitext(name.split("?", 1)[0])[1].lower().lstrip(".")
    return declared in TABLE_FORMATS or extension in TABLE_FORMATS


def refuse_hand_table(resource: dict) -> None:
    if is_hand_table(resource) and not p.plugin_loaded("xloader"):
        raise toolkit.ValidationError({"upload": [REFUSAL]})
