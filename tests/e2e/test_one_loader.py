"""Issue 32: one DataStore loader. The platform's publisher loads the portal's DataStore; xloader is not
enabled, and a table uploaded by hand on the portal is refused with the way to deliver it (vi/en)."""

from __future__ import annotations

import io

import pytest
import requests

pytestmark = pytest.mark.portal

ORG, NAME = "one-loader-check", "one-loader-hand-upload"


@pytest.fixture()
def dataset(portal):
    portal.purge(NAME)
    org = portal.get("organization_show", id=ORG) or portal.action("organization_create", name=ORG, title="Kiểm tra nạp")
    pkg = portal.action("package_create", name=NAME, title="Tải lên tay / hand upload", owner_org=org["id"])
    yield pkg
    portal.purge(NAME)
    portal.action("organization_purge", id=ORG)


def upload(portal, pkg: dict, filename: str, body: bytes, **fields) -> requests.Response:
    return requests.post(f"{portal.url}/api/3/action/resource_create", headers={"Authorization": portal.token},
                         data={"package_id": pkg["id"], "name": filename, **fields},
                         files={"upload": (filename, io.BytesIO(body))}, timeout=30)


def test_xloader_is_not_one_of_the_portals_plugins(portal) -> None:
    plugins = portal.get("status_show")["extensions"]
    assert "xloader" not in plugins and {"datastore", "opendata"} <= set(plugins)


@pytest.mark.parametrize(("filename", "fields"), [("tram-mua.csv", {}), ("bang.xlsx", {}), ("du-lieu.txt", {"format": "CSV"}),
                                                  ("ten-khong-duoi", {"format": "xls"})])
def test_a_table_uploaded_by_hand_is_refused_with_the_way_to_deliver_it(portal, dataset, filename, fields) -> None:
    answer = upload(portal, dataset, filename, b"ma_tram,luong_mua\nDN01,12.5\n", **fields)
    assert answer.status_code == 409, answer.text[:500]
    error = answer.json()["error"]
    assert error["__type"] == "Validation Error"
    [message] = error["upload"]
    assert "hãy nộp qua nền tảng" in message and "deliver them through the platform" in message
    assert portal.get("package_show", id=NAME)["resources"] == []  # nothing kept, nothing half-loaded


def test_a_document_is_kept_and_a_table_cannot_be_slipped_in_as_its_update(portal, dataset) -> None:
    pdf = upload(portal, dataset, "huong-dan.pdf", b"%PDF-1.4 guidance", format="PDF")
    assert pdf.ok, pdf.text[:500]  # a document is kept as a download: there is nothing to load
    rid = pdf.json()["result"]["id"]
    swapped = requests.post(f"{portal.url}/api/3/action/resource_update", headers={"Authorization": portal.token},
                            data={"id": rid, "name": "now a table", "format": "CSV"},
                            files={"upload": ("thay.csv", io.BytesIO(b"a,b\n1,2\n"))}, timeout=30)
    assert swapped.status_code == 409 and "deliver them through the platform" in swapped.text
    # a link to a table elsewhere is not an upload: it is kept, and reconcile names it on a platform page
    link = portal.action("resource_create", package_id=dataset["id"], name="liên kết", url="https://example.org/x.csv")
    assert link["url"] == "https://example.org/x.csv"
