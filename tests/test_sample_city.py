"""The sample city is what the demo and the KPI stand on: check its shape and every delivery."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from vietnam_provinces import Ward

from opendata.normalise import normalise_file
from opendata.quality.runner import run_expectations
from opendata.quality.scorecard import build_scorecard
from opendata.quality.suite import expectations_from_spec, extra_expectations
from opendata.spec import load_registry
from tests.factories import ROOT

REGISTRY = load_registry(ROOT / "include" / "datasets")
SAMPLES = ROOT / "include" / "samples"
CURRENT_WARDS = {city: {w.name for w in Ward.iter_all() if int(w.province_code) == c.province_code}
                 for city, c in REGISTRY.cities.items()}
REJECTED_ON_PURPOSE = {"danang.syt.food-safety-inspections"}


def test_the_city_has_four_agencies_two_of_them_with_ten_datasets() -> None:
    per_agency = Counter(s.agency for s in REGISTRY.datasets.values())
    assert len(per_agency) >= 4
    assert sum(1 for n in per_agency.values() if n >= 10) >= 2
    assert min(per_agency.values()) < 10
    kinds = Counter(s.source.kind for s in REGISTRY.datasets.values())
    assert kinds["http"] >= 1 and kinds["sql"] >= 1


def drops() -> list[tuple[str, Path]]:
    out = []
    for key, spec in sorted(REGISTRY.datasets.items()):
        if spec.source.kind == "drop_zone":
            out += [(key, f) for f in sorted((SAMPLES / spec.city / spec.agency / spec.id).iterdir())]
    return out


@pytest.mark.parametrize(("key", "path"), drops(), ids=[k for k, _ in drops()])
def test_every_sample_drop_reads_and_only_the_broken_one_is_rejected(key: str, path: Path, tmp_path: Path) -> None:
    spec = REGISTRY.datasets[key]
    table = normalise_file(spec, path, path.name, tmp_path)
    assert table.rows > 0 and not table.type_failures, table.issues[:3]
    rules = expectations_from_spec(spec, REGISTRY.cities[spec.city].province_code) + \
        extra_expectations(spec, ROOT / "expectations")
    checks, issues = run_expectations(pd.read_parquet(table.parquet), rules, key)
    card = build_scorecard(key, "sha", table.rows, checks, table.issues + issues, table.type_failures)
    assert card.accepted == (key not in REJECTED_ON_PURPOSE), [i for i in card.issues if i.severity.value == "blocking"][:3]
    if "ward" in {c.name for c in spec.columns}:
        wards = set(pq.read_table(table.parquet).column("ward").drop_null().to_pylist())
        assert wards <= CURRENT_WARDS[spec.city], wards - CURRENT_WARDS[spec.city]


def test_the_messy_shapes_are_there() -> None:
    """Excel with title rows and footers, several sheets, merged headers, legacy encodings, VN numbers."""
    from opendata.normalise.encodings import detect_and_decode

    encodings = set()
    for _, path in drops():
        if path.suffix == ".csv":
            encodings.add(detect_and_decode(path.read_bytes()).encoding)
    assert {"cp1258", "tcvn3", "vni", "utf-8-sig"} <= encodings
    assert sum(1 for _, p in drops() if p.suffix == ".xlsx") >= 4
    specs = REGISTRY.datasets.values()
    assert any(getattr(s.source, "sheet", None) for s in specs)
    rainfall = (SAMPLES / "danang" / "snnmt" / "daily-rainfall").glob("*.csv")
    assert any("," in line.split('"')[1] for f in rainfall for line in f.read_text().splitlines()[1:5] if '"' in line)
    api = json.loads((SAMPLES / "danang" / "svhttdl" / "accommodation" / "api-records.json").read_text())
    assert len(api) > 100
