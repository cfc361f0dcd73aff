"""`opendata reconcile` on the real portal: zero drift after a run; what a person breaks by hand on the
portal is found, named, and put right by --repair from what the platform kept (never from the page)."""

from __future__ import annotations

import json
import shutil

import pytest
import requests

from opendata.cli import main
from opendata.pipeline.context import RunContext
from opendata.publish.datastore import MARKER
from opendata.settings import load_settings
from tests.e2e.test_rain_gauge_slice import NAME, SPEC, published  # noqa: F401 - a fixture

pytestmark = [pytest.mark.portal, pytest.mark.airflow]


def reconcile(capsys, *extra: str) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(["reconcile", "--city", "danang", "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def kinds(report: dict) -> set[tuple[str, str]]:
    return {(d["dataset"], d["kind"]) for d in report["drift"]}


@pytest.fixture()
def alone(portal, published):  # noqa: F811 - pytest injects the imported fixture
    """The rain gauge published through its DAG, and nothing else on the portal that this test's ledger
    does not know."""
    assert published.outcome == "published", published.task_states
    portal.purge_datasets(keep=(NAME,))
    return portal.get("package_show", id=NAME)


def test_zero_drift_after_a_run_then_a_hand_deleted_resource_is_found_and_restored(portal, alone, capsys,
                                                                                   monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # the table as a wide terminal shows it (rich wraps at 80 when captured)
    code, report = reconcile(capsys)
    assert (code, report["drift"]) == (0, []) and report["checked"] >= 20
    capsys.readouterr()
    assert main(["reconcile", "--city", "danang"]) == 0 and "không sai lệch / no drift" in capsys.readouterr().out

    parquet = portal.resource(alone, "parquet")
    data = portal.resource(alone, "data")
    portal.action("resource_delete", id=parquet["id"])  # deleted by hand on the portal
    code, report = reconcile(capsys)
    assert code == 1 and kinds(report) == {(SPEC.key, "resource_missing")}
    [drift] = report["drift"]
    assert drift["ledger"] == "parquet" and drift["label"] == "thiếu tài nguyên / resource missing"
    capsys.readouterr()
    assert main(["reconcile", "--city", "danang"]) == 1
    table = capsys.readouterr().out
    assert SPEC.key in table and "resource missing" in table

    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []), report
    assert [r["dataset"] for r in report["repaired"]] == [SPEC.key] and "republished" in report["repaired"][0]["action"]
    after = portal.get("package_show", id=NAME)
    assert portal.resource(after, "parquet")["size"] == parquet["size"]  # the same file again
    assert portal.resource(after, "data")["id"] == data["id"]  # the DataStore resource kept its id
    assert after["content_sha256"] == alone["content_sha256"] == portal.resource(after, "data")[MARKER]
    assert after["last_refreshed_at"] == alone["last_refreshed_at"]  # a repair is not a delivery
    assert after["refresh_state"] == "fresh"


def test_a_hand_deleted_quality_report_is_missing_and_comes_back(portal, alone, capsys) -> None:
    """Issue 32: reconcile held pages to data and Parquet only; a page without its quality report passed."""
    report_res = portal.resource(alone, "report")
    portal.action("resource_delete", id=report_res["id"])
    code, report = reconcile(capsys)
    assert code == 1 and kinds(report) == {(SPEC.key, "resource_missing")}
    assert report["drift"][0]["ledger"] == "report"
    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []), report
    after = portal.get("package_show", id=NAME)
    back = portal.resource(after, "report")
    assert back["format"] == "HTML" and back["size"] > 1000
    page = requests.get(back["url"], timeout=30)  # served without a charset: the page's own <meta charset> says UTF-8
    assert page.ok and '<meta charset="utf-8">' in page.text
    assert "đúng, đủ, sạch, sống" in page.content.decode("utf-8") and SPEC.key in page.text
    assert after["last_refreshed_at"] == alone["last_refreshed_at"]  # a repair is not a delivery


def test_rows_scores_and_a_stranger_resource_are_put_right(portal, alone, capsys) -> None:
    data = portal.resource(alone, "data")
    total = portal.get("datastore_search", resource_id=data["id"], limit=0)["total"]
    first = portal.rows(data["id"])[0]
    portal.action("datastore_delete", resource_id=data["id"], force=True, filters={"station_code": first["station_code"]})
    portal.action("package_patch", id=NAME, quality_overall="12.0")  # someone "fixes" the score by hand
    stranger = portal.action("resource_create", package_id=alone["id"], name="thêm tay / added by hand",
                             url="http://example.invalid/other.csv")
    code, report = reconcile(capsys)
    assert code == 1 and kinds(report) == {(SPEC.key, k) for k in ("rows", "quality", "resource_extra")}
    rows = next(d for d in report["drift"] if d["kind"] == "rows")
    assert (rows["portal"], rows["ledger"]) == (str(total - 1), str(total))
    extra = next(d for d in report["drift"] if d["kind"] == "resource_extra")
    assert extra["detail"] == stranger["id"]

    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []), report
    after = portal.get("package_show", id=NAME)
    assert portal.get("datastore_search", resource_id=data["id"], limit=0)["total"] == total
    assert after["quality_overall"] == alone["quality_overall"]
    assert stranger["id"] not in {r["id"] for r in after["resources"]}
    assert sorted(r["opendata_role"] for r in after["resources"]) == ["data", "parquet", "report"]


def test_a_purged_dataset_comes_back_from_the_archive_when_the_staging_is_gone(portal, alone, pipeline_env,
                                                                              capsys) -> None:
    """The worst case: the page purged and the worker's staging lost (a new machine). Only the archive
    and the ledger remain; the repair goes through normalisation and the gate again, with the ledger's
    scores and refresh time, and the same content comes back."""
    settings = load_settings()
    shutil.rmtree(RunContext.create(run_id="t", settings=settings).staging(SPEC))
    portal.action("dataset_purge", id=NAME)
    code, report = reconcile(capsys)
    assert code == 1 and kinds(report) == {(SPEC.key, "missing")}

    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []), report
    assert "archive" in report["repaired"][0]["action"]
    back = portal.get("package_show", id=NAME)
    assert back["content_sha256"] == alone["content_sha256"] and back["last_refreshed_at"] == alone["last_refreshed_at"]
    assert back["quality_overall"] == alone["quality_overall"] and back["organization"]["name"] == "danang-snnmt"


def test_a_delivery_accepted_but_never_published_is_behind_and_repair_publishes_and_records_it(
        portal, alone, pipeline_env, capsys) -> None:
    """A worker killed after the check, before publish and record: the gate passed a delivery that neither
    the portal nor the ledger has. Reconcile names it; --repair publishes it and writes the ledger entry."""
    from opendata import ledger
    from opendata.pipeline import stages
    from opendata.sources.connections import from_environment
    from tests.e2e.test_rain_gauge_slice import drop
    from tests.factories import SAMPLE_DROP

    lines = SAMPLE_DROP.read_text(encoding="utf-8").splitlines()
    changed = pipeline_env / "changed.csv"
    changed.write_text("\n".join([*lines[:-1], lines[-1].replace(",Hoạt động", ",Bảo trì")]) + "\n",
                       encoding="utf-8")  # the last station now under maintenance
    drop(pipeline_env, changed, "tram-do-mua-moi.csv")
    settings = load_settings()
    ctx = RunContext.create(run_id="killed-after-check", settings=settings)
    archived = stages.fetch_and_archive(SPEC, ctx, from_environment)
    checked = stages.check(SPEC, ctx, stages.normalise(SPEC, ctx, archived), 48)
    assert checked.sha256 == archived.sha256  # accepted; then the worker dies

    code, report = reconcile(capsys)
    assert code == 1 and kinds(report) == {(SPEC.key, "behind")}
    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []), report
    page = portal.get("package_show", id=NAME)
    assert page["archive_sha256"] == archived.sha256 and page["content_sha256"] != alone["content_sha256"]
    last = lines[-1].split(",")[0]
    [row] = portal.rows(portal.resource(page, "data")["id"], filters=json.dumps({"station_code": last}))
    assert row["status"] == "Bảo trì"
    status = ledger.statuses(ledger.open_ledger(settings.ledger_url()))[SPEC.key]
    assert (status.archive_sha256, status.content_sha256) == (archived.sha256, page["content_sha256"])


def test_a_page_the_ledger_never_published_is_named_and_removed_only_when_a_person_asks(portal, alone, capsys) -> None:
    from opendata import ledger
    from opendata.pipeline.reconcile import reconcile as compare
    from opendata.sources.connections import from_environment
    from opendata.spec import load_registry

    settings = load_settings()
    registry = load_registry(settings.paths.registry)
    other = next(s for s in registry.datasets.values() if s.city == "danang" and s.agency == "snnmt" and s.key != SPEC.key)
    org = portal.get("organization_show", id="danang-snnmt")
    portal.action("package_create", name=other.ckan_name, title="tạo tay / made by hand", owner_org=org["id"],
                  opendata_key=other.key)
    code, report = reconcile(capsys)
    assert code == 1 and kinds(report) == {(other.key, "unrecorded")}
    from datetime import UTC, datetime

    daily = compare(registry, ledger.open_ledger(settings.ledger_url()), datetime.now(UTC), settings, from_environment,
                    "danang", repair=True)  # what the daily task does: it never deletes on the ledger's word alone
    assert kinds(daily.asdict()) == {(other.key, "unrecorded")} and portal.get("package_show", id=other.ckan_name)
    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []) and report["repaired"][0]["action"] == "deleted"
    assert portal.action("package_show", id=other.ckan_name)["state"] == "deleted"  # a sysadmin can still restore it


def test_a_page_deleted_by_hand_is_missing_and_comes_back_active(portal, alone, capsys) -> None:
    portal.action("package_delete", id=NAME)  # soft delete: the page is gone for the public
    assert portal.action("package_show", id=NAME)["state"] == "deleted"
    code, report = reconcile(capsys)
    assert code == 1 and kinds(report) == {(SPEC.key, "missing")}
    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []), report
    back = portal.action("package_show", id=NAME)
    assert back["state"] == "active" and back["content_sha256"] == alone["content_sha256"]


def test_pages_claiming_a_datasets_key_or_a_nonsense_key_are_orphans_and_only_they_go(portal, alone, capsys) -> None:
    """An outsider with edit rights writes the rain gauge's registry key (and a key that is no key at
    all) on pages of their own: both are orphans, --repair deletes exactly those, the real page stays."""
    org = portal.get("organization_show", id="danang-snnmt")
    for name, key in (("danang-snnmt-rain-gauge-copy", SPEC.key), ("danang-snnmt-junk", "x" * 300)):
        portal.action("package_create", name=name, title="giả / forged", owner_org=org["id"], opendata_key=key)
    code, report = reconcile(capsys)
    assert code == 1 and {(d["ckan_name"], d["kind"]) for d in report["drift"]} == {
        ("danang-snnmt-rain-gauge-copy", "orphan"), ("danang-snnmt-junk", "orphan")}
    code, report = reconcile(capsys, "--repair")
    assert (code, report["drift"]) == (0, []), report
    assert {r["page"] for r in report["repaired"]} == {"danang-snnmt-rain-gauge-copy", "danang-snnmt-junk"}
    assert portal.get("package_show", id=NAME)["content_sha256"] == alone["content_sha256"]  # untouched
    assert portal.get("package_show", id="danang-snnmt-rain-gauge-copy") is None
