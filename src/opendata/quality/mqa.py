"""Metadata quality on the EU's known scale: data.europa.eu's Metadata Quality Assessment (MQA).

Five dimensions, 405 points: findability 100 (keywords 30, categories 30, spatial 20, temporal 20),
accessibility 100 (access URL answers 50, download URL given 20, download URL answers 30),
interoperability 110 (format 20, media type 10, format from a vocabulary 10, non-proprietary 20,
machine-readable 20, DCAT-AP compliance 30), reusability 75 (licence 20, licence from a vocabulary 10,
access rights 10, access rights from a vocabulary 5, contact point 20, publisher 10) and contextuality
20 (rights 5, byte size 5, issued 5, modified 5). Ratings: excellent ≥ 351, good ≥ 221, sufficient
≥ 121, bad below. Distribution indicators score the share of the dataset's distributions that pass.

Scored on the CKAN package as the portal shows it (what a harvester reads), beside the four data
dimensions; nothing here fetches anything: reachability comes from the link check's last results,
and DCAT-AP compliance from the SHACL validation of the page's DCAT (publish.catalogue; the daily run
checks each new delivery once, the page keeps the verdict in ``dcat_ap_conforms``; otherwise 0, said so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class MqaRating(StrEnum):
    excellent = "excellent"
    good = "good"
    sufficient = "sufficient"
    bad = "bad"


# indicator → (dimension, points)
INDICATORS: dict[str, tuple[str, int]] = {
    "keywords": ("findability", 30), "categories": ("findability", 30), "spatial": ("findability", 20),
    "temporal": ("findability", 20),
    "access_url_answers": ("accessibility", 50), "download_url": ("accessibility", 20),
    "download_url_answers": ("accessibility", 30),
    "format": ("interoperability", 20), "media_type": ("interoperability", 10),
    "format_vocabulary": ("interoperability", 10), "non_proprietary": ("interoperability", 20),
    "machine_readable": ("interoperability", 20), "dcat_ap_compliant": ("interoperability", 30),
    "licence": ("reusability", 20), "licence_vocabulary": ("reusability", 10), "access_rights": ("reusability", 10),
    "access_rights_vocabulary": ("reusability", 5), "contact_point": ("reusability", 20), "publisher": ("reusability", 10),
    "rights": ("contextuality", 5), "byte_size": ("contextuality", 5), "issued": ("contextuality", 5),
    "modified": ("contextuality", 5),
}
MQA_DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
MAXIMUM = sum(points for _, points in INDICATORS.values())  # 405

# The EU file-type vocabulary's entries for the formats the portal serves, and which of them are
# open and machine-readable (data.europa.eu's own lists).
FORMAT_VOCABULARY = {"CSV", "JSON", "PARQUET", "XML", "HTML", "XLSX", "GEOJSON", "PDF", "ZIP"}
NON_PROPRIETARY = {"CSV", "JSON", "PARQUET", "XML", "HTML", "GEOJSON", "ZIP", "PDF"}
MACHINE_READABLE = {"CSV", "JSON", "PARQUET", "XML", "XLSX", "GEOJSON"}
# CKAN licence ids with an entry in the EU licence vocabulary
LICENCE_VOCABULARY = {"cc-by", "cc-by-4.0", "cc-by-sa", "cc-zero", "odc-by", "odc-odbl", "odc-pddl", "CC-BY-4.0"}


@dataclass(frozen=True)
class MqaScore:
    points: dict[str, float]  # indicator → points earned
    notes: dict[str, str] = field(default_factory=dict)  # indicator → why it was not measured

    def dimension(self, name: str) -> float:
        return round(sum(p for key, p in self.points.items() if INDICATORS[key][0] == name), 1)

    @property
    def total(self) -> float:
        return round(sum(self.points.values()), 1)

    @property
    def rating(self) -> MqaRating:
        t = self.total
        return (MqaRating.excellent if t >= 351 else MqaRating.good if t >= 221
                else MqaRating.sufficient if t >= 121 else MqaRating.bad)

    def fields(self) -> dict[str, str]:
        """As the portal's page keeps it (publish.mapping.PLATFORM_FIELDS: text)."""
        out = {"mqa_score": f"{self.total:g}", "mqa_rating": self.rating.value}
        out.update({f"mqa_{d}": f"{self.dimension(d):g}" for d in MQA_DIMENSIONS})
        return out

    def asdict(self) -> dict:
        return {"total": self.total, "maximum": MAXIMUM, "rating": self.rating.value,
                **{d: self.dimension(d) for d in MQA_DIMENSIONS}, "points": self.points, "notes": self.notes}


def _share(resources: list[dict], test: Callable[[dict], bool]) -> float:
    return sum(1 for r in resources if test(r)) / len(resources) if resources else 0.0


def score_package(pkg: dict, answers: Callable[[str], bool | None] | None = None,
                  dcat_ap_compliant: bool | None = None) -> MqaScore:
    """``answers(url)``: whether the link check found the URL answering (None: not checked)."""
    page = {k: v for k, v in pkg.items() if isinstance(v, str)}  # the page's text fields (its schema's)
    resources = [r for r in pkg.get("resources", []) if r.get("url")]
    notes: dict[str, str] = {}
    earned: dict[str, float] = {}

    def give(key: str, fraction: float) -> None:
        earned[key] = round(INDICATORS[key][1] * fraction, 1)

    give("keywords", bool(pkg.get("tags")))
    give("categories", bool(pkg.get("groups")))
    give("spatial", bool(page.get("spatial_coverage") or page.get("spatial")))
    give("temporal", bool(page.get("temporal_coverage_start") and page.get("temporal_coverage_end")))

    checked = [answers(r["url"]) for r in resources] if answers else []
    if not checked or all(c is None for c in checked):
        notes["access_url_answers"] = notes["download_url_answers"] = "not checked yet (the daily link check)"
    answering = sum(1 for c in checked if c) / len(resources) if resources else 0.0
    give("access_url_answers", answering)
    downloads = [r for r in resources if r.get("url_type") in ("upload", "datastore")]  # files, not pages
    give("download_url", bool(downloads))
    give("download_url_answers", sum(1 for r in downloads if answers and answers(r["url"])) / len(downloads)
         if downloads else 0.0)

    fmt = lambda r: (r.get("format") or "").upper()  # noqa: E731
    give("format", _share(resources, lambda r: bool(fmt(r))))
    give("media_type", _share(resources, lambda r: bool(r.get("mimetype"))))
    give("format_vocabulary", _share(resources, lambda r: fmt(r) in FORMAT_VOCABULARY))
    give("non_proprietary", _share(resources, lambda r: fmt(r) in NON_PROPRIETARY))
    give("machine_readable", _share(resources, lambda r: fmt(r) in MACHINE_READABLE))
    if dcat_ap_compliant is None and page.get("dcat_ap_conforms") in ("true", "false"):  # as the page says
        dcat_ap_compliant = page["dcat_ap_conforms"] == "true"
    if dcat_ap_compliant is None:
        notes["dcat_ap_compliant"] = "not validated yet (DCAT-AP SHACL shapes)"
    give("dcat_ap_compliant", bool(dcat_ap_compliant))

    licence = pkg.get("license_id") or ""
    give("licence", bool(licence and licence != "notspecified"))
    give("licence_vocabulary", licence in LICENCE_VOCABULARY)
    open_data = page.get("classification") == "open" and not pkg.get("private")
    give("access_rights", open_data)
    give("access_rights_vocabulary", open_data)  # PUBLIC, from the EU access-right vocabulary
    give("contact_point", bool(pkg.get("maintainer_email") or pkg.get("author_email")))
    give("publisher", bool(pkg.get("organization") or pkg.get("owner_org")))

    give("rights", bool(pkg.get("license_url") or page.get("rights")))
    give("byte_size", _share(resources, lambda r: bool(r.get("size"))))
    give("issued", bool(pkg.get("metadata_created")))
    give("modified", bool(pkg.get("metadata_modified")))
    return MqaScore(earned, notes)
