"""What the publisher sends, built without a portal: metadata, data dictionary, changed rows, DCAT."""

from __future__ import annotations

import json

import pyarrow as pa

from opendata.publish.datastore import changed_rows, records, vanished_keys
from opendata.publish.dcat import catalogue
from opendata.publish.mapping import Quality, dataset_dict, datastore_fields, quality_line
from opendata.settings import load_settings
from opendata.spec import load_registry
from tests.factories import rain_spec

REGISTRY = load_registry(load_settings().paths.registry)
CITY = REGISTRY.cities["danang"]


def test_the_data_dictionary_carries_the_spec_types_labels_and_units() -> None:
    fields = {f["id"]: f for f in datastore_fields(rain_spec())}
    assert fields["latitude"]["type"] == "float8" and fields["ward_code"]["type"] == "int8"
    assert fields["installed_on"]["type"] == "date" and fields["status"]["type"] == "text"
    assert fields["station_code"]["info"]["label"] == "Mã trạm / Station code"
    assert "m" in fields["elevation_m"]["info"]["notes"]


def test_the_dataset_dict_has_everything_the_portal_shows() -> None:
    spec = rain_spec()
    q = Quality(99.95, {"dung": 99.8, "du": 100.0, "sach": 100.0, "song": 100.0}, warnings=1)
    pkg = dataset_dict(spec, CITY.agency("snnmt"), CITY, "org-id", {"quality_overall": "99.95"}, q, "2026-11-22T10:00:00")
    assert pkg["name"] == "danang-snnmt-rain-gauge-stations" and pkg["owner_org"] == "org-id"
    assert pkg["groups"] == [{"name": "moi-truong"}] and pkg["author"] == "Sở Nông nghiệp và Môi trường"
    assert pkg["notes"].startswith("**Chất lượng / Quality: 100/100** (Đúng / correct 99.8 ·")  # a dent is not rounded away
    assert quality_line(Quality(None), "2026-11-22") == ""


def test_changed_rows_and_vanished_keys() -> None:
    old = pa.table({"k": [1, 2, 3], "v": ["a", "b", None]})
    new = pa.table({"k": [1, 2, 4], "v": ["a", "B", "d"]})
    assert sorted(changed_rows(new, old).column("k").to_pylist()) == [2, 4]
    assert vanished_keys(new, old, ["k"]).column("k").to_pylist() == [3]


def test_records_are_json_ready() -> None:
    import datetime as dt

    table = pa.table({"d": pa.array([dt.date(2020, 1, 2)]), "t": pa.array([dt.datetime(2020, 1, 2, 3, 4, 5)]),
                      "x": pa.array([float("nan")])})
    assert json.loads(json.dumps(records(table))) == [{"d": "2020-01-02", "t": "2020-01-02T03:04:05", "x": None}]


def test_the_dcat_catalogue_lists_open_datasets_with_their_distributions() -> None:
    spec = rain_spec()
    pkg = {"extras": [{"key": "last_refreshed_at", "value": "2026-11-22T10:00:00+00:00"},
                      {"key": "temporal_coverage_start", "value": "2026-09-01"},
                      {"key": "temporal_coverage_end", "value": "2026-11-20"}],
           "resources": [{"url": "http://portal/datastore/dump/1", "name": "Dữ liệu", "format": "CSV"}]}
    cat = catalogue(REGISTRY, "danang", "http://portal/", {spec.ckan_name: pkg})
    assert cat["@type"] == "dcat:Catalog" and cat["@id"] == "http://portal/catalog"
    opened = [s for s in REGISTRY.datasets.values() if s.classification.value == "open" and s.city == "danang"]
    assert len(cat["dcat:dataset"]) == len(opened)
    [rain] = [d for d in cat["dcat:dataset"] if d["dct:identifier"] == spec.key]
    assert rain["dct:accrualPeriodicity"]["@id"].endswith("/QUARTERLY")
    assert rain["dcat:distribution"][0]["dcat:mediaType"] == "text/csv"
    assert rain["dct:temporal"]["dcat:startDate"]["@value"] == "2026-09-01"
    assert {t["@language"] for t in rain["dct:title"]} == {"vi", "en"}
