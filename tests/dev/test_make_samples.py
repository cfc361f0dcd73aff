"""The sample cities are true on any day: `make demo` writes today's deliveries with dev/make_samples.py,
so written for another day they must pass the same gate, with content as current as the spec promises,
and leave the specs exactly as committed (nothing in a spec may depend on the day)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from opendata.normalise import normalise_file
from opendata.quality.runner import run_expectations
from opendata.quality.scorecard import build_scorecard
from opendata.quality.suite import expectations_from_spec, extra_expectations
from opendata.spec import load_registry
from tests.factories import ROOT

sys.path.insert(0, str(ROOT / "dev"))
import make_samples  # noqa: E402

REGISTRY = load_registry(ROOT / "include" / "datasets")
LATER = date(2027, 5, 14)  # a day far from the committed reference, in another year
REJECTED_ON_PURPOSE = {"danang.syt.food-safety-inspections"}
STALE_ON_PURPOSE = {"danang.svhttdl.sports-facilities"}  # last inspected over a year ago: sống 0, as it should be


@pytest.fixture(scope="module")
def later(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("later")
    assert make_samples.main(["--reference", LATER.isoformat(), "--samples", str(root / "samples"),
                              "--specs", str(root / "datasets")]) == 0
    return root / "samples", root / "datasets"


def test_the_specs_do_not_depend_on_the_day_and_are_as_committed(later) -> None:
    _, specs = later
    written = sorted(specs.rglob("*.yaml"))
    assert len(written) >= 30
    for path in written:
        committed = ROOT / "include" / "datasets" / path.relative_to(specs)
        assert path.read_text(encoding="utf-8") == committed.read_text(encoding="utf-8"), committed


def test_some_datasets_were_delivered_earlier_so_some_are_due_or_overdue(later) -> None:
    from opendata.quality.liveness import refresh_state
    from opendata.vocabulary import RefreshState

    samples, _ = later
    states = {}
    for city in REGISTRY.cities:
        told = json.loads((samples / city / "earlier-deliveries.json").read_text())
        assert told["reference"] == LATER.isoformat()
        for dataset_id, day in told["delivered_on"].items():
            spec = next(s for s in REGISTRY.datasets.values() if s.city == city and s.id == dataset_id)
            assert not spec.date_column  # its content does not depend on the day it came
            suffix = spec.source.pattern.removeprefix("*")
            assert (samples / city / spec.agency / dataset_id / f"{dataset_id}-{day[:7]}{suffix}").exists()  # named for its day
            delivered = datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC)
            states[spec.key] = refresh_state(delivered, spec.update_frequency, datetime(2027, 5, 14, 12, tzinfo=UTC))
    assert {RefreshState.due, RefreshState.overdue} <= set(states.values())
    assert RefreshState.fresh not in states.values()


def deliveries(samples: Path) -> list[tuple[str, Path]]:
    out = []
    for key, spec in sorted(REGISTRY.datasets.items()):
        folder = samples / spec.city / spec.agency / spec.id
        if spec.source.kind == "drop_zone" and folder.is_dir():
            out += [(key, f) for f in sorted(folder.iterdir())]
    return out


def test_every_delivery_written_for_another_day_passes_the_gate_as_current(later, tmp_path: Path) -> None:
    samples, _ = later
    found = deliveries(samples)
    assert len(found) >= 30
    now = datetime(LATER.year, LATER.month, LATER.day, 9, tzinfo=UTC)
    for key, path in found:
        spec = REGISTRY.datasets[key]
        table = normalise_file(spec, path, path.name, tmp_path / key)
        rules = expectations_from_spec(spec, REGISTRY.cities[spec.city].province_code, now=now, delivered_at=now) + \
            extra_expectations(spec, ROOT / "expectations")
        checks, issues = run_expectations(pd.read_parquet(table.parquet), rules, key)
        card = build_scorecard(key, "sha", table.rows, checks, table.issues + issues, table.type_failures)
        blocking = [i for i in card.issues if i.severity.value == "blocking"][:3]
        assert card.accepted == (key not in REJECTED_ON_PURPOSE), (key, blocking)
        if spec.date_column and card.accepted and spec.id != "open-data-compliance":
            assert (card.scores["song"] == 100) == (key not in STALE_ON_PURPOSE), (key, card.scores)


def test_the_agency_database_holds_this_weeks_licences(later) -> None:
    """The clinics come from the health department's database (weekly): its newest licence is this week's."""
    import sqlite3

    samples, _ = later
    with sqlite3.connect(":memory:") as db:
        db.executescript((samples / "danang" / "syt" / "clinics" / "syt-database.sql").read_text(encoding="utf-8"))
        newest = db.execute("SELECT max(ngay_cap_phep) FROM phong_kham").fetchone()[0]
    assert 0 < (LATER - date.fromisoformat(newest)).days <= 7
