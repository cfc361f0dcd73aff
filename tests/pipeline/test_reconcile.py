"""The drift between one portal page and the ledger, without a portal: every kind found, none invented.

The real portal's side (zero drift after a run, a resource deleted by hand found and restored by
--repair) is in tests/e2e/test_reconcile.py."""

from __future__ import annotations

from opendata.pipeline.reconcile import Expected, page_drift
from opendata.publish.datastore import MARKER
from opendata.vocabulary import DRIFT_LABELS, DriftKind
from tests.factories import rain_spec

SPEC = rain_spec()
CONTENT, ARCHIVE = "c" * 64, "a" * 64


def expected(**over) -> Expected:
    values = {"organization": "danang-snnmt", "published": True, "content_sha256": CONTENT, "rows": 83,
              "archive_sha256": ARCHIVE, "overall": 99.95, "scores": {"dung": 99.8, "du": 100.0},
              "refresh_state": "due", "days_since_refresh": 95, "last_refreshed_at": "2026-08-30T10:00:00+00:00",
              "accepted_sha256": ARCHIVE}
    return Expected(SPEC, **{**values, **over})


def page(**over) -> dict:
    pkg = {"name": SPEC.ckan_name, "state": "active", "organization": {"name": "danang-snnmt"},
           "content_sha256": CONTENT, "archive_sha256": ARCHIVE, "quality_overall": f"{99.95:.1f}", "quality_dung": "99.8",
           "quality_du": "100.0", "refresh_state": "due", "days_since_refresh": "95",
           "resources": [{"id": "r1", "opendata_role": "data", MARKER: CONTENT, "datastore_active": True},
                         {"id": "r2", "opendata_role": "parquet"}, {"id": "r3", "opendata_role": "report"}]}
    pkg.update(over)
    return pkg


def kinds(drifts) -> list[str]:
    return sorted(d.kind.value for d in drifts)


def test_a_page_that_matches_has_no_drift() -> None:
    assert page_drift(expected(), page(), 83) == []
    assert page_drift(expected(published=False), None, None) == []  # never published, not on the portal


def test_each_difference_is_named_with_both_sides() -> None:
    [missing] = page_drift(expected(), None, None)
    assert missing.kind == DriftKind.missing and missing.ledger == CONTENT
    assert kinds(page_drift(expected(), page(state="deleted"), None)) == ["missing"]  # deleted counts as gone
    assert kinds(page_drift(expected(), page(organization={"name": "danang-syt"}), 83)) == ["wrong_organization"]
    assert kinds(page_drift(expected(published=False), page(), 83)) == ["unrecorded"]
    [content] = page_drift(expected(), page(content_sha256="d" * 64), 83)
    assert content.kind == DriftKind.content and (content.portal, content.ledger) == ("d" * 64, CONTENT)
    half_loaded = page(resources=[{"id": "r1", "opendata_role": "data", MARKER: "", "datastore_active": True},
                                  {"id": "r2", "opendata_role": "parquet"}, {"id": "r3", "opendata_role": "report"}])
    [marker] = page_drift(expected(), half_loaded, 83)
    assert marker.kind == DriftKind.content and marker.detail == "marker"
    no_report = page(resources=page()["resources"][:2])  # the quality report deleted by hand
    [report] = page_drift(expected(), no_report, 83)
    assert report.kind == DriftKind.resource_missing and report.ledger == "report"
    [rows] = page_drift(expected(), page(), 82)
    assert rows.kind == DriftKind.rows and (rows.portal, rows.ledger) == ("82", "83")
    [quality] = page_drift(expected(), page(quality_dung="90.0"), 83)
    assert quality.kind == DriftKind.quality and "dung=90.0" in quality.portal and "dung=99.8" in quality.ledger
    assert page_drift(expected(), page(days_since_refresh="90"), 83) == []  # the count is written with a change only
    [refresh] = page_drift(expected(), page(refresh_state="fresh", days_since_refresh="0"), 83)
    assert refresh.kind == DriftKind.refresh and refresh.ledger == "due 95"


def test_resources_by_role_missing_doubled_or_foreign() -> None:
    no_parquet = page(resources=[r for r in page()["resources"] if r["opendata_role"] != "parquet"])
    assert [(d.kind.value, d.ledger) for d in page_drift(expected(), no_parquet, 83)] == [("resource_missing", "parquet")]
    no_data = page(resources=[r for r in page()["resources"] if r["opendata_role"] != "data"])
    assert kinds(page_drift(expected(), no_data, None)) == ["resource_missing"]  # and no row count asked of it
    extra = page(resources=[*page()["resources"], {"id": "x1", "name": "added by hand", "url": "http://x"},
                            {"id": "x2", "opendata_role": "parquet"}])
    found = page_drift(expected(), extra, 83)
    assert kinds(found) == ["resource_extra", "resource_extra"] and {d.detail for d in found} == {"x1", "x2"}


def test_an_accepted_delivery_the_ledger_never_recorded_is_behind() -> None:
    """A run killed between the check and the record: the gate passed a delivery the portal never got."""
    [behind] = page_drift(expected(accepted_sha256="b" * 64), page(), 83)
    assert behind.kind == DriftKind.behind and behind.ledger == "b" * 64
    assert page_drift(expected(archive_sha256=None, accepted_sha256="b" * 64), page(), 83) == []  # a ledger before 0004


def test_every_drift_has_a_label_in_both_languages() -> None:
    assert set(DRIFT_LABELS) == set(DriftKind) and all(vi and en and vi != en for vi, en in DRIFT_LABELS.values())
