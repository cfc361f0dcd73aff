"""The portal's search is answered by Apache Solr itself (dev/solr, built from Maven Central) with CKAN's own
schema: what the public's searches find and how the facets read is Solr's doing, not a look-alike's."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import requests

from tests.factories import ROOT

pytestmark = pytest.mark.portal

sys.path.insert(0, str(ROOT / "dev"))
from portal import Layout, ckan_schema_xml, read_pid  # noqa: E402

ORG = "solr-search-check"
CATALOGUE = {
    "solr-rain": {"title": "Lượng mưa tại các trạm đo", "notes": "Số liệu đo mưa hằng giờ của thành phố",
                  "refresh_state": "overdue", "quality_band": "high"},
    "solr-air": {"title": "Chất lượng không khí", "notes": "Hourly readings of the air quality stations",
                 "refresh_state": "fresh", "quality_band": "medium"},
    "solr-schools": {"title": "Danh sách trường học", "notes": "Đường phố, địa chỉ và số điện thoại của các trường",
                     "refresh_state": "fresh", "quality_band": "low"},
}


@pytest.fixture(scope="module")
def catalogue(portal):
    for name in CATALOGUE:
        portal.purge(name)
    org = portal.get("organization_show", id=ORG) or portal.action("organization_create", name=ORG, title="Kiểm tra tìm kiếm")
    for name, fields in CATALOGUE.items():
        portal.action("package_create", name=name, owner_org=org["id"], **fields)
    yield portal
    for name in CATALOGUE:
        portal.purge(name)
    portal.action("organization_purge", id=ORG)


def names(portal, **params) -> set[str]:
    found = portal.get("package_search", fq=f"organization:{ORG}", rows=50, **params)
    return {p["name"] for p in found["results"]}


def test_the_search_is_answered_by_a_running_apache_solr(portal) -> None:
    lay = Layout.from_env()
    ping = requests.get(f"{lay.solr_core_url}/admin/ping", params={"wt": "json"}, timeout=10).json()
    assert ping["status"] == "OK"
    info = requests.get(f"http://{lay.host}:{lay.solr_port}/solr/admin/info/system", params={"wt": "json"}, timeout=10).json()
    assert info["lucene"]["solr-spec-version"].startswith("9."), info["lucene"]  # CKAN 2.12's image: Solr 9
    pid = read_pid(lay, "solr")
    assert pid is not None
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert os.path.basename(argv[0]) == b"java" and b"opendata.dev.SolrLauncher" in argv
    schema = requests.get(f"{lay.solr_core_url}/schema/name", params={"wt": "json"}, timeout=10).json()
    assert schema["name"] == ckan_schema_xml().read_text().split('<schema name="', 1)[1].split('"', 1)[0]
    assert schema["name"].startswith("ckan-2.")
    assert not (ROOT / "dev" / "searchindex").exists()
    # CKAN itself is configured with this core
    assert f"solr_url = {lay.solr_core_url}" in lay.ckan_ini.read_text()


def test_public_search_folds_accents_and_stems_english(catalogue) -> None:
    assert names(catalogue, q="luong mua") == {"solr-rain"}  # typed without accents
    assert names(catalogue, q="Lượng mưa") == {"solr-rain"}
    assert names(catalogue, q="station") == {"solr-air"}  # "stations" in the description: Solr's English stem
    assert names(catalogue, q="duong pho") == {"solr-schools"}  # "đ" folds to "d"
    assert names(catalogue, q="khong co gi nhu the") == set()


def test_facets_read_the_exact_states_and_filter_by_them(catalogue) -> None:
    found = catalogue.get("package_search", fq=f"organization:{ORG}", rows=0,
                          **{"facet.field": '["refresh_state", "quality_band"]'})
    facets = {f: {i["name"]: i["count"] for i in v["items"]} for f, v in found["search_facets"].items()}
    assert facets["refresh_state"] == {"fresh": 2, "overdue": 1}  # not "overdu", CKAN's stemmed extras_ copy
    assert facets["quality_band"] == {"high": 1, "medium": 1, "low": 1}
    assert names(catalogue, q="refresh_state:overdue") == {"solr-rain"}
    page = requests.get(f"{catalogue.url}/dataset/", params={"refresh_state": "fresh", "organization": ORG}, timeout=30).text
    assert "solr-air" in page and "solr-schools" in page and "solr-rain" not in page


def test_a_query_solr_cannot_parse_is_a_clear_error_not_a_crash(catalogue) -> None:
    r = requests.get(f"{catalogue.url}/api/3/action/package_search", params={"q": "title:(mưa"}, timeout=30)
    error = r.json()["error"]
    assert r.status_code == 409 and error["__type"] == "Search Error"
    assert "org.apache.solr.search.SyntaxError: Cannot parse" in error["message"]  # Solr's own parser said so
    page = requests.get(f"{catalogue.url}/dataset/", params={"q": "title:(mưa"}, timeout=30)
    assert page.status_code == 200  # the page says the search failed; the portal stays up
    assert names(catalogue, q="mua") == {"solr-rain"}
