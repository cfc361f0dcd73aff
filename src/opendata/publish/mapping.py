"""From a spec, its agency and a scorecard to the dicts CKAN expects. Pure functions, no I/O."""

from __future__ import annotations

from ..spec.models import Agency, DatasetSpec

DOMAIN_TITLES = {
    "dat-dai": "Đất đai", "do-thi": "Quản lý đô thị", "giao-thong": "Giao thông", "y-te": "Y tế",
    "giao-duc": "Giáo dục", "an-toan-thuc-pham": "An toàn thực phẩm", "moi-truong": "Môi trường",
    "van-hoa-du-lich": "Văn hóa, du lịch", "thanh-tra": "Thanh tra", "tu-phap": "Tư pháp",
    "lao-dong": "Lao động", "cong-thuong": "Công thương", "kinh-te": "Kinh tế",
    "khoa-hoc-cong-nghe": "Khoa học và công nghệ",
}


def organization_dict(agency: Agency, city: str) -> dict:
    desc = agency.name.en or ""
    return {"name": agency.ckan_name(city), "title": agency.name.vi, "description": desc}


def dataset_dict(spec: DatasetSpec, org_id: str, extras: dict[str, str]) -> dict:
    notes = spec.description.vi + (f"\n\n**English:** {spec.description.en}" if spec.description.en else "")
    return {
        "name": spec.ckan_name,
        "title": spec.title.vi,
        "notes": notes,
        "owner_org": org_id,
        "license_id": spec.licence,
        "private": False,
        "author": spec.contact.name,
        "author_email": str(spec.contact.email),
        "maintainer": spec.contact.name,
        "maintainer_email": str(spec.contact.email),
        "tags": [{"name": t} for t in spec.tags],
        "extras": [{"key": k, "value": v} for k, v in sorted(extras.items())],
    }


def base_extras(spec: DatasetSpec) -> dict[str, str]:
    return {
        "opendata_key": spec.key,
        "title_en": spec.title.en or "",
        "domain": spec.domain.value,
        "domain_title": DOMAIN_TITLES[spec.domain.value],
        "update_frequency": spec.update_frequency.value,
        "classification": spec.classification.value,
        "source_kind": spec.source.kind,
    }
