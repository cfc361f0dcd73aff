"""From the registry, a delivery's scorecard and its table to the dicts CKAN expects. Pure functions, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ..quality.mqa import MQA_DIMENSIONS
from ..spec.models import Agency, City, ColumnType, DatasetSpec, Domain, Frequency
from ..vocabulary import DIMENSION_NAMES, REFRESH_LABELS, RefreshState
from ..vocabulary.portal import DOMAIN_TITLES, FREQUENCY_LABELS

# DCAT-AP's controlled vocabularies (EU Publications Office authority tables), as ckanext-dcat reads them
# from a package's fields: frequency, theme, language, access_rights.
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
FREQUENCY_EU = {
    Frequency.hourly: "HOURLY", Frequency.daily: "DAILY", Frequency.weekly: "WEEKLY", Frequency.monthly: "MONTHLY",
    Frequency.quarterly: "QUARTERLY", Frequency.semiannual: "ANNUAL_2", Frequency.annual: "ANNUAL",
}
THEME_EU = {  # the catalogue's domains on the EU data themes
    "dat-dai": "REGI", "do-thi": "REGI", "giao-thong": "TRAN", "y-te": "HEAL", "giao-duc": "EDUC",
    "an-toan-thuc-pham": "AGRI", "moi-truong": "ENVI", "nong-nghiep": "AGRI", "van-hoa-du-lich": "EDUC",
    "thanh-tra": "GOVE", "tu-phap": "JUST", "lao-dong": "SOCI", "cong-thuong": "ECON", "kinh-te": "ECON",
    "khoa-hoc-cong-nghe": "TECH",
}
LANGUAGES_EU = ("VIE", "ENG")
ACCESS_RIGHTS_EU = {"open": "PUBLIC", "shared": "RESTRICTED", "restricted": "NON_PUBLIC"}
# The spec's column types as DataStore (PostgreSQL) types: typed columns, unlike xloader's all-text tables.
DATASTORE_TYPES = {ColumnType.string: "text", ColumnType.integer: "int8", ColumnType.number: "float8",
                   ColumnType.boolean: "bool", ColumnType.date: "date", ColumnType.datetime: "timestamp"}
# Every field the platform writes on a dataset page, and only these: each is a field of the portal's
# schema (ckanext-scheming, deploy/ckanext-opendata/ckanext/opendata/schemas/dataset.yaml; a test holds
# the two equal), so CKAN keeps it as a typed top-level field, not as a free key/value extra. A field the
# schema lacks would be dropped by CKAN without a word.
PLATFORM_FIELDS = (
    # what the spec says
    "opendata_key", "title_en", "classification", "contact_phone", "province_code", "domain", "domain_title",
    "update_frequency", "update_frequency_vi", "source_kind", "spatial_coverage",
    # DCAT-AP's controlled vocabularies, as ckanext-dcat reads them
    "identifier", "frequency", "theme", "language", "access_rights",
    # one delivery: scorecard, times, fingerprints, the period its data covers
    "quality_overall", *(f"quality_{key}" for key in DIMENSION_NAMES), "quality_warnings", "quality_band",
    "last_refreshed_at", "last_checked_at", "archive_sha256", "content_sha256",
    "temporal_coverage_start", "temporal_coverage_end", "temporal_start", "temporal_end",
    # what the daily run keeps current: refresh, metadata quality, the DCAT-AP verdict
    "refresh_state", "refresh_label", "days_since_refresh",
    "mqa_score", "mqa_rating", *(f"mqa_{d}" for d in MQA_DIMENSIONS),
    "dcat_ap_checked", "dcat_ap_conforms", "dcat_ap_violations",
)


@dataclass(frozen=True)
class Quality:
    """What the portal shows of a delivery's scorecard."""

    overall: float | None
    scores: dict[str, float] = field(default_factory=dict)
    warnings: int = 0


def organization_dict(agency: Agency, city: str) -> dict:
    description = "\n\n".join(t for t in (agency.description.vi if agency.description else agency.name.vi,
                                          agency.description.en if agency.description else agency.name.en) if t)
    org = {"name": agency.ckan_name(city), "title": agency.name.vi, "description": description}
    if agency.image_url:
        org["image_url"] = agency.image_url
    return org


def group_dict(domain: Domain) -> dict:
    vi, en = DOMAIN_TITLES[domain.value]
    return {"name": domain.value, "title": vi, "description": f"{vi} / {en}"}


def score_text(score: float) -> str:
    """99.8 stays 99.8 (not a rounded 100 that hides a warning); 100.0 reads 100."""
    return f"{score:.1f}".removesuffix(".0")


def quality_line(q: Quality, refreshed_at: str, refresh: str = "fresh") -> str:
    """The first line of the dataset's description: the scores where every visitor sees them."""
    if q.overall is None:
        return ""
    dims = " · ".join(f"{vi} / {en.lower()} {score_text(q.scores[key])}"  # "Đúng / correct 100"
                      for key, (vi, en) in DIMENSION_NAMES.items() if key in q.scores)
    vi, en = REFRESH_LABELS[RefreshState(refresh)]
    return (f"**Chất lượng / Quality: {score_text(q.overall)}/100** ({dims}) · "
            f"cập nhật lần cuối / last refresh {refreshed_at[:10]} · tình trạng cập nhật / refresh: {vi} / {en}")


def with_refresh(notes: str, refresh: str, refreshed_at: str) -> str:
    """The description with its first line telling today's refresh state (the rest untouched)."""
    head, sep, rest = notes.partition("\n\n")
    if not head.startswith("**Chất lượng / Quality:"):
        return notes
    kept = head.split(" · cập nhật lần cuối / last refresh ")[0]
    vi, en = REFRESH_LABELS[RefreshState(refresh)]
    line = f"{kept} · cập nhật lần cuối / last refresh {refreshed_at[:10]} · tình trạng cập nhật / refresh: {vi} / {en}"
    return line + sep + rest


def page_fields(pkg: dict | None) -> dict[str, str]:
    """The platform's fields as a dataset page holds them (top-level, by the portal's schema)."""
    return {k: pkg[k] for k in PLATFORM_FIELDS if isinstance((pkg or {}).get(k), str)}


def refresh_fields(refresh: str, days_since_refresh: int) -> dict[str, str]:
    """What the daily compliance run keeps current on the portal as time passes (quality.liveness); the
    label is the one the CLI, dashboard and reports use, so the portal's panel says the same words."""
    vi, en = REFRESH_LABELS[RefreshState(refresh)]
    return {"refresh_state": refresh, "refresh_label": f"{vi} / {en}", "days_since_refresh": str(days_since_refresh)}


def quality_band(overall: float | None, good_score: float) -> str:
    """A search facet over the overall score: high counts toward the KPI (≥ the city's good score)."""
    if overall is None:
        return "unscored"
    return "high" if overall >= good_score else "medium" if overall >= 50 else "low"


def dataset_dict(spec: DatasetSpec, agency: Agency, city: City, org_id: str, fields: dict[str, str],
                 quality: Quality, refreshed_at: str) -> dict:
    """The whole page: CKAN's own fields, then the platform's (``fields``, all of PLATFORM_FIELDS)."""
    header = quality_line(quality, refreshed_at)
    body = spec.description.vi + (f"\n\n**English:** {spec.description.en}" if spec.description.en else "")
    pkg = {
        "name": spec.ckan_name,
        "title": spec.title.vi,
        "notes": f"{header}\n\n{body}" if header else body,
        "owner_org": org_id,
        "license_id": spec.licence,
        "private": False,
        "state": "active",  # a page deleted by hand comes back with the next delivery (or a reconcile repair)
        "author": agency.name.vi,
        "author_email": str(agency.email) if agency.email else None,
        "maintainer": spec.contact.name,
        "maintainer_email": str(spec.contact.email),
        "url": spec.source_url or "",
        "tags": [{"name": t} for t in spec.tags],
        "groups": [{"name": spec.domain.value}],
        **fields,
    }
    return pkg


def spec_fields(spec: DatasetSpec, city: City) -> dict[str, str]:
    """What the spec says, as the page's fields (text): stable between deliveries."""
    spatial = spec.spatial or city.name
    return {
        "opendata_key": spec.key,
        "title_en": spec.title.en or "",
        "domain": spec.domain.value,
        "domain_title": DOMAIN_TITLES[spec.domain.value][0],
        "update_frequency": spec.update_frequency.value,
        "update_frequency_vi": FREQUENCY_LABELS[spec.update_frequency][0],
        "classification": spec.classification.value,
        "source_kind": spec.source.kind,
        "spatial_coverage": f"{spatial.vi} / {spatial.en}" if spatial.en else spatial.vi,
        "province_code": str(city.province_code),
        "contact_phone": spec.contact.phone or "",
        **dcat_fields(spec),
    }


def dcat_fields(spec: DatasetSpec) -> dict[str, str]:
    """The fields ckanext-dcat's DCAT-AP 3 profile turns into dct:identifier, dct:accrualPeriodicity,
    dcat:theme, dct:language and dct:accessRights (lists as JSON, as it reads them)."""
    return {
        "identifier": spec.key,
        "frequency": f"{EU_AUTHORITY}frequency/{FREQUENCY_EU[spec.update_frequency]}",
        "theme": json.dumps([f"{EU_AUTHORITY}data-theme/{THEME_EU[spec.domain.value]}"]),
        "language": json.dumps([f"{EU_AUTHORITY}language/{code}" for code in LANGUAGES_EU]),
        "access_rights": f"{EU_AUTHORITY}access-right/{ACCESS_RIGHTS_EU[spec.classification.value]}",
    }


def delivery_fields(quality: Quality, archive_sha256: str, content_sha256: str, refreshed_at: str, checked_at: str,
                    temporal: tuple[str, str] | None, good_score: float) -> dict[str, str]:
    """What one delivery says: scores, refresh, times, fingerprints, the period the data covers."""
    fields = {
        "quality_overall": "" if quality.overall is None else f"{quality.overall:.1f}",
        **{f"quality_{key}": f"{quality.scores[key]:.1f}" for key in DIMENSION_NAMES if key in quality.scores},
        "quality_warnings": str(quality.warnings),
        "quality_band": quality_band(quality.overall, good_score),
        **refresh_fields(RefreshState.fresh, 0),  # a delivery just accepted is a refresh
        "last_refreshed_at": refreshed_at,
        "last_checked_at": checked_at,
        "archive_sha256": archive_sha256,
        "content_sha256": content_sha256,
    }
    if temporal:
        fields["temporal_coverage_start"], fields["temporal_coverage_end"] = temporal
        fields["temporal_start"], fields["temporal_end"] = temporal  # the names ckanext-dcat reads (dct:temporal)
    return fields


def datastore_fields(spec: DatasetSpec) -> list[dict]:
    """The data dictionary: DataStore column types from the spec, labels, units and descriptions."""
    fields = []
    for col in spec.columns:
        desc = col.description
        notes = [desc.vi if desc else "", (desc.en or "") if desc else ""]
        if col.unit:
            notes.append(f"Đơn vị / unit: {col.unit}")
        label = f"{col.label.vi} / {col.label.en}" if col.label.en else col.label.vi
        fields.append({"id": col.name, "type": DATASTORE_TYPES[col.type],
                       "info": {"label": label, "notes": "\n\n".join(n for n in notes if n), "type_override": ""}})
    return fields
