"""The dev search index answers the requests CKAN 2.12 makes, the way Solr would."""

from __future__ import annotations

import json
import threading
import urllib.parse
from pathlib import Path

import pytest
import requests
from searchindex.query import QuerySyntaxError, SortError, min_should_match, parse_dismax, parse_lucene, parse_sort
from searchindex.server import make_server

QF = "name^4 title^4 tags^2 groups^2 text"


def doc(i: int, **kw) -> dict:
    base = {
        "index_id": f"idx{i}", "id": f"id-{i}", "name": f"ds-{i}", "title": f"Dataset {i}",
        "site_id": "default", "state": "active", "capacity": "public", "entity_type": "package",
        "dataset_type": "dataset", "permission_labels": ["public"], "tags": [], "groups": [],
        "organization": "org-a", "owner_org": "org-a-id", "metadata_modified": f"2026-01-{i:02d}T00:00:00Z",
        "validated_data_dict": json.dumps({"name": f"ds-{i}"}), "data_dict": "{}",
    }
    base.update(kw)
    return base


# ------------------------------------------------------------- query language


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("*:*", {1, 2, 3}),
        ('name:"ds-1" OR id:"id-2"', {1, 2}),
        ('+site_id:"default" +state:active', {1, 2, 3}),
        ('+permission_labels:("public" OR "member-x")', {1, 2}),
        ("+capacity:public +organization:org-a", {1, 2}),
        ("tags:mưa", {1}),
        ("-tags:mưa", {2, 3}),
        ("+entity_type:package AND +(id:\"id-3\" OR name:\"id-3\") AND +site_id:\"default\"", {3}),
        ("metadata_modified:[2026-01-02T00:00:00Z TO *]", {2, 3}),
        ("metadata_modified:{2026-01-01T00:00:00Z TO 2026-01-03T00:00:00Z}", {2}),
        ("name:ds-*", {1, 2, 3}),
        ("creator_user_id:5a0c-uuid-1", {1}),
        ("title:mua", {1}),
        ("tags:*", {1, 2}),
    ],
)
def test_lucene_subset_matches_like_solr(query: str, expected: set[int]) -> None:
    docs = {
        1: doc(1, tags=["mưa", "khí tượng"], title="Trạm đo mưa", creator_user_id="5a0c-uuid-1"),
        2: doc(2, tags=["y tế"], permission_labels=["member-x"]),
        3: doc(3, capacity="private", organization="org-b", permission_labels=["member-y"]),
    }
    parsed = parse_lucene(query, "text", default_and=True)
    assert {i for i, d in docs.items() if parsed.score(d) > 0} == expected


def test_default_operator_decides_implicit_clauses() -> None:
    d = doc(1, tags=["a"])
    assert parse_lucene("tags:a tags:b", default_and=False).score(d) > 0
    assert parse_lucene("tags:a tags:b", default_and=True).score(d) == 0


@pytest.mark.parametrize("bad", ["name:(abc", "name:\"abc", "AND name:x", "name:x OR", "bad field:x)", ":x"])
def test_unparseable_queries_raise(bad: str) -> None:
    with pytest.raises(QuerySyntaxError):
        parse_lucene(bad)


def test_dismax_searches_boosted_fields_and_folds_accents() -> None:
    q = parse_dismax("tram mua", QF, "2<-1 5<80%", 0.1)
    hit = doc(1, title="Trạm đo mưa")
    miss = doc(2, title="Trạm y tế")
    assert q.score(hit) > 0 and q.score(miss) == 0


@pytest.mark.parametrize(("n", "expected"), [(1, 1), (2, 2), (3, 2), (5, 4), (6, 4), (10, 8)])
def test_minimum_should_match_follows_ckans_default(n: int, expected: int) -> None:
    assert min_should_match("2<-1 5<80%", n) == expected


def test_sort_parsing() -> None:
    assert parse_sort("score desc, metadata_modified desc") == [("score", True), ("metadata_modified", True)]
    for bad in ("name up", "name", "score desc, , x asc"):
        with pytest.raises(SortError):
            parse_sort(bad)


# ------------------------------------------------------------- over HTTP, as CKAN calls it


@pytest.fixture()
def index(tmp_path: Path):
    def start(data: Path):
        server = make_server("127.0.0.1", 0, data)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server, f"http://127.0.0.1:{server.server_address[1]}/solr/ckan"

    servers = []

    def factory():
        s, url = start(tmp_path / "docs.sqlite3")
        servers.append(s)
        return url

    yield factory
    for s in servers:
        s.shutdown()
        s.server_close()


def add(url: str, docs: list[dict]) -> None:
    r = requests.post(f"{url}/update/?commit=true", data=json.dumps(docs).encode(),
                      headers={"Content-type": "application/json; charset=utf-8"}, timeout=5)
    assert r.status_code == 200, r.text


def select(url: str, params: list[tuple[str, str]], post: bool = False) -> requests.Response:
    if post:
        return requests.post(f"{url}/select/", data=urllib.parse.urlencode(params),
                             headers={"Content-type": "application/x-www-form-urlencoded; charset=utf-8"}, timeout=5)
    return requests.get(f"{url}/select/?{urllib.parse.urlencode(params)}", timeout=5)


def test_startup_and_schema_checks(index) -> None:
    url = index()
    r = select(url, [("q", "*:*"), ("rows", "1"), ("wt", "json")])
    assert r.status_code == 200 and r.json()["response"]["numFound"] == 0
    schema = requests.get(f"{url}/schema?wt=schema.xml", timeout=5).text
    assert 'name="ckan-2.11"' in schema
    assert requests.get(f"{url}/admin/file/?file=schema.xml", timeout=5).status_code == 200


def test_package_search_shape_with_facets_paging_and_sort(index) -> None:
    url = index()
    add(url, [doc(i, tags=["mưa"] if i % 2 else ["y tế"], organization="org-a" if i < 4 else "org-b") for i in range(1, 8)])
    params = [
        ("q", "*:*"), ("fq", '+dataset_type:dataset'), ("fq", '+site_id:"default"'), ("fq", "+state:active"),
        ("fq", '+permission_labels:("public" OR "creator-x")'), ("rows", "3"), ("start", "2"),
        ("sort", "metadata_modified desc"), ("fl", "id validated_data_dict"), ("facet", "true"),
        ("facet.field", "tags"), ("facet.field", "organization"), ("facet.limit", "50"), ("facet.mincount", "1"),
        ("wt", "json"), ("df", "text"), ("q.op", "AND"),
    ]
    body = select(url, params).json()
    assert body["response"]["numFound"] == 7
    assert [d["id"] for d in body["response"]["docs"]] == ["id-5", "id-4", "id-3"]
    assert set(body["response"]["docs"][0]) == {"id", "validated_data_dict"}
    assert body["facet_counts"]["facet_fields"]["tags"] == ["mưa", 4, "y tế", 3]
    assert body["facet_counts"]["facet_fields"]["organization"] == ["org-b", 4, "org-a", 3]


def test_long_queries_arrive_as_form_posts(index) -> None:
    url = index()
    add(url, [doc(1), doc(2)])
    labels = " OR ".join(f'"member-{i:040d}"' for i in range(40)) + ' OR "public"'
    params = [("q", "*:*"), ("fq", f"+permission_labels:({labels})"), ("wt", "json")]
    assert len(urllib.parse.urlencode(params)) > 1024
    assert select(url, params, post=True).json()["response"]["numFound"] == 2


def test_free_text_dismax_ranks_title_hits_first(index) -> None:
    url = index()
    add(url, [doc(1, title="Khách sạn", notes="mưa nhiều"), doc(2, title="Trạm đo mưa"), doc(3, title="Trường học")])
    params = [("q", "mưa"), ("defType", "dismax"), ("qf", QF), ("mm", "2<-1 5<80%"), ("tie", "0.1"),
              ("fl", "name,score"), ("sort", "score desc, metadata_modified desc"), ("wt", "json")]
    docs = select(url, params).json()["response"]["docs"]
    assert [d["name"] for d in docs] == ["ds-2", "ds-1"]


def test_package_show_lookup_and_delete_by_query(index) -> None:
    url = index()
    add(url, [doc(1), doc(2)])
    look = [("q", 'name:"ds-1" OR id:"ds-1"'), ("fq", '+site_id:"default" +entity_type:package'), ("rows", "1"), ("wt", "json")]
    found = select(url, look).json()["response"]["docs"]
    assert found and {"validated_data_dict", "data_dict", "metadata_modified"} <= set(found[0])
    xml = '<delete><query>+entity_type:package AND +(id:"id-1" OR name:"id-1") AND +site_id:"default"</query></delete>'
    xml_type = {"Content-type": "text/xml; charset=utf-8"}
    r = requests.post(f"{url}/update/?commit=true", data=xml.encode(), headers=xml_type, timeout=5)
    assert r.status_code == 200
    assert select(url, [("q", "*:*"), ("wt", "json")]).json()["response"]["numFound"] == 1
    requests.post(f"{url}/update/", data=b'<delete><query>+site_id:"default"</query></delete>',
                  headers={"Content-type": "text/xml"}, timeout=5)
    requests.post(f"{url}/update/", data=b"<commit />", headers={"Content-type": "text/xml"}, timeout=5)
    assert select(url, [("q", "*:*"), ("wt", "json")]).json()["response"]["numFound"] == 0


def test_errors_have_solr_status_and_body(index) -> None:
    url = index()
    bad_sort = select(url, [("q", "*:*"), ("sort", "name sideways"), ("wt", "json")])
    assert bad_sort.status_code == 400 and "Can't determine a Sort Order" in bad_sort.json()["error"]["msg"]
    bad_query = select(url, [("q", "name:(unclosed"), ("wt", "json")])
    assert bad_query.status_code == 400 and "SyntaxError" in bad_query.json()["error"]["msg"]


def test_documents_survive_a_restart(index) -> None:
    url = index()
    add(url, [doc(1), doc(2)])
    again = index()  # a second server on the same file, as after a reboot
    assert select(again, [("q", "*:*"), ("wt", "json")]).json()["response"]["numFound"] == 2
