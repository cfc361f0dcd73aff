"""What the publisher sends, built without a portal: metadata, data dictionary, changed rows, DCAT."""

from __future__ import annotations

import json

import pyarrow as pa

from opendata.publish.datastore import changed_rows, records, vanished_keys
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


def test_every_dataset_carries_the_dcat_ap_vocabularies_ckanext_dcat_reads() -> None:
    """Frequency, theme, language and access rights as the EU authority tables' IRIs, for every sample
    spec (a domain or frequency without its IRI would raise here, not on the portal)."""
    from opendata.publish.mapping import dcat_fields

    eu = "http://publications.europa.eu/resource/authority/"
    for spec in REGISTRY.datasets.values():
        fields = dcat_fields(spec)
        assert fields["identifier"] == spec.key
        assert fields["frequency"].startswith(eu + "frequency/")
        [theme] = json.loads(fields["theme"])
        assert theme.startswith(eu + "data-theme/") and len(theme.rsplit("/", 1)[1]) == 4
        assert json.loads(fields["language"]) == [eu + "language/VIE", eu + "language/ENG"]
        assert spec.classification.value == "open" and fields["access_rights"] == eu + "access-right/PUBLIC"
    rain = REGISTRY.get("danang.snnmt.rain-gauge-stations")
    assert dcat_fields(rain)["frequency"] == eu + "frequency/QUARTERLY"
    assert json.loads(dcat_fields(rain)["theme"]) == [eu + "data-theme/ENVI"]


def test_the_platform_writes_exactly_the_portal_schemas_fields() -> None:
    """CKAN drops a top-level field its schema lacks without a word, and refuses an extra that shadows a
    schema field: so every field the platform writes must be in ckanext-opendata's scheming schema, and
    the schema's platform part must hold nothing the platform does not write."""
    from pathlib import Path

    import yaml

    from opendata.publish.mapping import PLATFORM_FIELDS, delivery_fields, refresh_fields, spec_fields
    from opendata.quality.mqa import score_package

    schema_file = Path(__file__).parents[2] / "deploy/ckanext-opendata/ckanext/opendata/schemas/dataset.yaml"
    schema = yaml.safe_load(schema_file.read_text(encoding="utf-8"))
    names = [f["field_name"] for f in schema["dataset_fields"]]
    assert len(names) == len(set(names)) and len(PLATFORM_FIELDS) == len(set(PLATFORM_FIELDS))
    ckan_own = {"title", "name", "notes", "tag_string", "license_id", "owner_org", "url", "author", "author_email",
                "maintainer", "maintainer_email"}
    assert set(names) - ckan_own == set(PLATFORM_FIELDS)
    for f in schema["dataset_fields"]:
        assert set(f["label"]) == {"vi", "en"} and all(f["label"].values()), f["field_name"]  # both languages
        if f["field_name"] in PLATFORM_FIELDS:
            assert "form_snippet" in f and f["form_snippet"] is None, f"{f['field_name']}: the platform owns it"

    q = Quality(91.5, {"dung": 90.0, "du": 100.0, "sach": 95.0, "song": 80.0}, warnings=2)
    written = {**spec_fields(rain_spec(), CITY),
               **delivery_fields(q, "a" * 64, "b" * 64, "2026-11-22T10:00:00", "2026-11-22T10:00:00",
                                 ("2026-01-01", "2026-11-20"), good_score=80),
               **refresh_fields("overdue", 131), **score_package({"resources": []}).fields(),
               "dcat_ap_checked": "b" * 64, "dcat_ap_conforms": "true", "dcat_ap_violations": "0"}
    assert set(written) == set(PLATFORM_FIELDS) and all(isinstance(v, str) for v in written.values())


def test_the_quality_band_follows_the_citys_good_score() -> None:
    from opendata.publish.mapping import quality_band

    assert [quality_band(s, 80) for s in (None, 49.9, 50, 79.9, 80)] == ["unscored", "low", "medium", "medium", "high"]
    assert quality_band(85, 90) == "medium" and quality_band(90, 90) == "high"


def test_an_unchanged_table_judged_again_shows_its_new_scores_on_the_page() -> None:
    """The same content delivered again can score otherwise (a rule that compares with the previous
    delivery): the ledger records the new scores, so the page must show them too, or reconcile finds
    'quality' drift every second delivery (seen in a second `make demo`: đủ 88.9 → 89.5)."""
    from opendata.publish.mapping import delivery_fields, page_fields
    from opendata.publish.sync import Publisher

    reg = load_registry(load_settings().paths.registry)
    city = reg.cities["danang"]
    publisher = Publisher(None, city, city.agency("syt"), "http://portal.invalid")  # no call is made
    first = Quality(96.3, {"dung": 100.0, "du": 88.9, "sach": 100.0})
    again = Quality(96.5, {"dung": 100.0, "du": 89.5, "sach": 100.0})
    page = {**delivery_fields(first, "a" * 64, "c" * 64, "2026-12-01T08:00:00+07:00", "2026-12-01T08:00:00+07:00", None, 80),
            "refresh_state": "fresh", "notes": quality_line(first, "2026-12-01T08:00:00+07:00") + "\n\nMô tả / description"}
    patch = publisher._rescored(page, page_fields(page), again)
    assert (patch["quality_overall"], patch["quality_du"]) == ("96.5", "89.5")
    head, _, rest = patch["notes"].partition("\n\n")
    assert head == quality_line(again, "2026-12-01T08:00:00+07:00") and rest == "Mô tả / description"
    assert "2026-12-01" in head  # the refresh date stays: the content did not change
    assert publisher._rescored(page, page_fields(page), first) == {}  # the same scores: nothing to write
