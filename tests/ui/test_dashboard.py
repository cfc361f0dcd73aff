"""The stewards' dashboard over every city of the registry (FastAPI's test client; Airflow's login is
tested end to end in tests/e2e/test_compliance.py)."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from opendata import ledger
from opendata.ui.dashboard import create_app
from tests.factories import ROOT

CANTHO = """code: cantho
name: {vi: Thành phố Cần Thơ, en: Can Tho City}
province_code: 92
agencies:
  - code: syt
    name: {vi: Sở Y tế, en: Department of Health}
    email: syt@cantho.gov.vn
  - code: snnmt
    name: {vi: Sở Nông nghiệp và Môi trường, en: Department of Agriculture and Environment}
    email: snnmt@cantho.gov.vn
"""


@pytest.fixture()
def two_cities(tmp_path: Path, monkeypatch) -> TestClient:
    registry = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets" / "danang", registry / "danang")
    (registry / "cantho" / "syt").mkdir(parents=True)
    (registry / "cantho" / "city.yaml").write_text(CANTHO, encoding="utf-8")
    spec = (ROOT / "include" / "datasets" / "danang" / "syt" / "hospitals.yaml").read_text(encoding="utf-8")
    (registry / "cantho" / "syt" / "hospitals.yaml").write_text(spec.replace("danang.gov.vn", "cantho.gov.vn"), "utf-8")
    monkeypatch.setenv("OPENDATA__PATHS__REGISTRY", str(registry))
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(tmp_path / "data"))
    engine = ledger.open_ledger(f"sqlite:///{tmp_path / 'data' / 'ledger.sqlite3'}")
    ledger.record_run(engine, {"run": "r1", "dataset": "cantho.syt.hospitals", "city": "cantho", "agency": "syt",
                               "at": datetime.now(UTC).isoformat(), "outcome": "published", "overall": 95.0,
                               "scores": {"dung": 95.0}, "url": "http://portal/dataset/cantho-syt-hospitals"})
    return TestClient(create_app(auth=lambda: None))


def test_every_city_has_its_page_and_the_registry_its_total(two_cities) -> None:
    home = two_cities.get("/")
    assert home.status_code == 200 and "Cần Thơ" in home.text and "Đà Nẵng" in home.text
    cantho = two_cities.get("/api/kpi.json", params={"city": "cantho"}).json()
    assert cantho["city"] == "cantho" and [a["agency"] for a in cantho["per_agency"]] == ["syt", "snnmt"]
    assert next(a for a in cantho["per_agency"] if a["agency"] == "syt")["published"] == 1
    danang = two_cities.get("/api/kpi.json", params={"city": "danang"}).json()
    assert next(a for a in danang["per_agency"] if a["agency"] == "syt")["published"] == 0  # same code, other city
    whole = two_cities.get("/api/registry.json").json()
    assert [c["city"] for c in whole["cities"]] == ["cantho", "danang"] and whole["agencies"] == 6
    page = two_cities.get("/agency/syt", params={"city": "cantho"})
    assert page.status_code == 200 and "cantho.syt.hospitals" in page.text
    assert "cantho.syt.hospitals" not in two_cities.get("/agency/syt", params={"city": "danang"}).text
    assert two_cities.get("/", params={"city": "hanoi"}).status_code == 404
