"""The city catalogue as DCAT (JSON-LD, DCAT-AP vocabulary), for the national portal to harvest.

Built from the registry (what each dataset is, who publishes it, how often) and, where the portal
already shows a dataset, from the portal (its page, distributions, last refresh, period covered).
Only open datasets appear. Pure: the caller passes the portal's package dicts.
"""

from __future__ import annotations

from ..spec.loader import Registry
from ..spec.models import DatasetSpec, Frequency
from .mapping import DOMAIN_TITLES

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/", "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#", "xsd": "http://www.w3.org/2001/XMLSchema#",
}
# EU Publications Office frequency vocabulary, which DCAT-AP uses for dct:accrualPeriodicity
FREQUENCY_URI = {
    Frequency.hourly: "HOURLY", Frequency.daily: "DAILY", Frequency.weekly: "WEEKLY", Frequency.monthly: "MONTHLY",
    Frequency.quarterly: "QUARTERLY", Frequency.semiannual: "ANNUAL_2", Frequency.annual: "ANNUAL",
}
LICENCE_URI = {"cc-by": "https://creativecommons.org/licenses/by/4.0/", "cc-by-sa": "https://creativecommons.org/licenses/by-sa/4.0/",
               "cc-zero": "https://creativecommons.org/publicdomain/zero/1.0/", "odc-by": "https://opendatacommons.org/licenses/by/"}
MEDIA_TYPES = {"CSV": "text/csv", "PARQUET": "application/vnd.apache.parquet", "HTML": "text/html", "JSON": "application/json"}


def _texts(vi: str, en: str | None) -> list[dict]:
    return [{"@value": vi, "@language": "vi"}] + ([{"@value": en, "@language": "en"}] if en else [])


def _dataset(spec: DatasetSpec, registry: Registry, portal_url: str, pkg: dict | None) -> dict:
    city = registry.cities[spec.city]
    agency = city.agency(spec.agency)
    page = f"{portal_url}/dataset/{spec.ckan_name}"
    node: dict = {
        "@id": page, "@type": "dcat:Dataset",
        "dct:identifier": spec.key,
        "dct:title": _texts(spec.title.vi, spec.title.en),
        "dct:description": _texts(spec.description.vi, spec.description.en),
        "dcat:keyword": spec.tags,
        "dcat:theme": _texts(*DOMAIN_TITLES[spec.domain.value]),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _texts(agency.name.vi, agency.name.en),
                          **({"foaf:mbox": f"mailto:{agency.email}"} if agency.email else {})},
        "dcat:contactPoint": {"@type": "vcard:Organization", "vcard:fn": spec.contact.name,
                              "vcard:hasEmail": f"mailto:{spec.contact.email}"},
        "dct:accrualPeriodicity": {"@id": "http://publications.europa.eu/resource/authority/frequency/"
                                          + FREQUENCY_URI[spec.update_frequency]},
        "dct:license": {"@id": LICENCE_URI.get(spec.licence, f"{portal_url}/licence/{spec.licence}")},
        "dct:spatial": _texts(*((spec.spatial.vi, spec.spatial.en) if spec.spatial else (city.name.vi, city.name.en))),
        "dcat:landingPage": {"@id": page},
    }
    if pkg is None:
        return node
    extras = {e["key"]: e["value"] for e in pkg.get("extras", [])}
    if extras.get("last_refreshed_at"):
        node["dct:modified"] = {"@value": extras["last_refreshed_at"], "@type": "xsd:dateTime"}
    if extras.get("temporal_coverage_start"):
        node["dct:temporal"] = {"@type": "dct:PeriodOfTime",
                                "dcat:startDate": {"@value": extras["temporal_coverage_start"], "@type": "xsd:date"},
                                "dcat:endDate": {"@value": extras["temporal_coverage_end"], "@type": "xsd:date"}}
    node["dcat:distribution"] = [
        {"@id": r["url"], "@type": "dcat:Distribution", "dct:title": r.get("name") or "",
         "dcat:downloadURL": {"@id": r["url"]}, "dct:format": r.get("format") or "",
         **({"dcat:mediaType": MEDIA_TYPES[(r.get("format") or "").upper()]}
            if (r.get("format") or "").upper() in MEDIA_TYPES else {})}
        for r in pkg.get("resources", [])]
    return node


def catalogue(registry: Registry, city_code: str, portal_url: str, packages: dict[str, dict]) -> dict:
    """``packages``: the portal's package dicts by dataset name (those not yet published are absent)."""
    city = registry.cities[city_code]
    portal_url = portal_url.rstrip("/")
    specs = sorted((s for s in registry.datasets.values() if s.city == city_code and s.classification.value == "open"),
                   key=lambda s: s.key)
    return {
        "@context": CONTEXT, "@id": f"{portal_url}/catalog", "@type": "dcat:Catalog",
        "dct:title": _texts(f"Danh mục dữ liệu mở {city.name.vi}", f"Open-data catalogue of {city.name.en or city.name.vi}"),
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": _texts(city.name.vi, city.name.en)},
        "foaf:homepage": {"@id": portal_url},
        "dcat:dataset": [_dataset(s, registry, portal_url, packages.get(s.ckan_name)) for s in specs],
    }
