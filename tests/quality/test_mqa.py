"""Metadata quality on the EU MQA scale (405 points), by hand on packages as CKAN shows them."""

from __future__ import annotations

from opendata.quality.mqa import INDICATORS, MAXIMUM, MQA_DIMENSIONS, MqaRating, score_package


def package(**over) -> dict:
    pkg = {
        "name": "danang-snnmt-rain-gauge-stations", "license_id": "cc-by", "license_url": "http://www.opendefinition.org/licenses/cc-by",
        "private": False, "tags": [{"name": "mưa"}], "groups": [{"name": "moi-truong"}],
        "maintainer_email": "snnmt@danang.gov.vn", "organization": {"name": "danang-snnmt"},
        "metadata_created": "2026-11-01T00:00:00", "metadata_modified": "2026-12-01T00:00:00",
        "classification": "open", "spatial_coverage": "Đà Nẵng",  # the portal schema's fields, top-level
        "temporal_coverage_start": "2026-01-01", "temporal_coverage_end": "2026-11-30",
        "resources": [
            {"url": "http://portal/datastore/dump/1", "url_type": "datastore", "format": "CSV", "mimetype": "text/csv",
             "size": 1200},
            {"url": "http://portal/dataset/x/resource/2/download/x.parquet", "url_type": "upload", "format": "Parquet",
             "mimetype": "application/vnd.apache.parquet", "size": 900},
            {"url": "http://portal/dataset/x/resource/3/download/report.html", "url_type": "upload", "format": "HTML",
             "mimetype": "text/html", "size": 5000},
        ],
    }
    pkg.update(over)
    return pkg


def test_the_scale_is_the_eus() -> None:
    assert MAXIMUM == 405
    assert {d: sum(p for dim, p in INDICATORS.values() if dim == d) for d in MQA_DIMENSIONS} == {
        "findability": 100, "accessibility": 100, "interoperability": 110, "reusability": 75, "contextuality": 20}


def test_a_complete_package_with_answering_links() -> None:
    """Everything but DCAT-AP compliance (not validated: 0) and the report page (HTML is not machine
    readable: 2 of 3 distributions earn those 20 points)."""
    score = score_package(package(), answers=lambda url: True)
    by_hand = 405 - 30 - round(20 / 3, 1)
    assert score.total == by_hand and score.rating == MqaRating.excellent
    assert score.dimension("findability") == 100 and score.dimension("accessibility") == 100
    assert score.notes == {"dcat_ap_compliant": "not validated yet (DCAT-AP SHACL shapes)"}
    assert score_package(package(), answers=lambda url: True, dcat_ap_compliant=True).total == by_hand + 30


def test_what_is_missing_costs_its_points() -> None:
    base = score_package(package(), answers=lambda url: True).total
    assert score_package(package(tags=[]), answers=lambda url: True).total == base - 30
    assert score_package(package(license_id="other-closed"), answers=lambda url: True).total == base - 10
    unchecked = score_package(package())
    assert unchecked.dimension("accessibility") == 20  # download URLs given; whether they answer is not known
    assert "access_url_answers" in unchecked.notes
    one_broken = score_package(package(), answers=lambda url: not url.endswith("report.html"))
    assert one_broken.points["access_url_answers"] == round(50 * 2 / 3, 1)
    bare = score_package({"resources": []})
    assert bare.total == 0 and bare.rating == MqaRating.bad
    assert bare.fields()["mqa_score"] == "0" and set(bare.fields()) >= {f"mqa_{d}" for d in MQA_DIMENSIONS}
