from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from opendata.exceptions import SpecError
from opendata.normalise import normalise_file
from opendata.quality.runner import run_expectations
from opendata.quality.scorecard import build_scorecard
from opendata.quality.suite import expectations_from_spec, extra_expectations
from tests.factories import ROOT, SAMPLE_DROP, rain_spec


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> pd.DataFrame:
    table = normalise_file(rain_spec(), SAMPLE_DROP, SAMPLE_DROP.name, tmp_path_factory.mktemp("n"))
    return pd.read_parquet(table.parquet)


def rules() -> list[dict]:
    spec = rain_spec()
    return expectations_from_spec(spec, 48) + extra_expectations(spec, ROOT / "expectations")


def test_every_rule_carries_dimension_and_severity() -> None:
    for r in rules():
        assert r["meta"]["dimension"] in {"dung", "du", "sach", "song"}
        assert r["meta"]["severity"] in {"blocking", "warning"}


def test_the_sample_passes_every_rule(sample: pd.DataFrame) -> None:
    checks, issues = run_expectations(sample, rules(), "t")
    assert len(checks) == len(rules()) and all(c.success for c in checks), [c for c in checks if not c.success]
    card = build_scorecard("t", "sha", len(sample), checks, issues)
    assert card.accepted and card.overall == 100.0


def test_broken_rows_are_reported_with_row_column_value_and_dimension(sample: pd.DataFrame) -> None:
    bad = sample.copy()
    bad.loc[4, "latitude"] = 21.03  # Hà Nội, outside the city
    bad.loc[9, "station_code"] = bad.loc[8, "station_code"]  # duplicate key
    bad.loc[12, "status"] = "Hỏng"  # not in the allowed list
    bad.loc[20, "station_name"] = None  # required
    bad.loc[30, "ward"] = "Phường Phước Ninh"  # merged into Hải Châu in 2025: no longer a ward
    checks, issues = run_expectations(bad, rules(), "t")
    found = {(i.rule, i.row, i.column) for i in issues}
    assert ("expect_column_values_to_be_between", 6, "latitude") in found
    assert ("expect_column_values_to_be_unique", 11, "station_code") in found
    assert ("expect_column_values_to_be_in_set", 14, "status") in found
    assert ("expect_column_values_to_not_be_null", 22, "station_name") in found
    assert ("expect_column_values_to_be_in_set", 32, "ward") in found
    card = build_scorecard("t", "sha", len(bad), checks, issues)
    assert not card.accepted
    assert card.scores["dung"] < 100 and card.scores["sach"] < 100 and card.scores["du"] < 100
    # latitude range, status set, ward set, and the ward code no longer belonging to that name
    assert card.failed_checks["dung"]["blocking"] == 4


def test_warning_rules_do_not_block(sample: pd.DataFrame) -> None:
    bad = sample.copy()
    bad.loc[0, "last_calibrated_on"] = pd.Timestamp("2010-01-01").date()  # before it was installed
    checks, issues = run_expectations(bad, rules(), "t")
    card = build_scorecard("t", "sha", len(bad), checks, issues)
    warn = [i for i in issues if i.severity.value == "warning"]
    assert warn and warn[0].row == 2 and card.accepted


def test_a_suite_rule_gx_cannot_build_is_an_error_not_a_pass(sample: pd.DataFrame, tmp_path: Path) -> None:
    (tmp_path / "danang.snnmt.rain-gauge-stations.json").write_text(json.dumps({
        "name": "x", "expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {"colum": "x"},
                                       "meta": {"dimension": "dung"}}]}))
    configs = extra_expectations(rain_spec(), tmp_path)
    with pytest.raises(SpecError, match="cannot be built"):
        run_expectations(sample, configs, "t")


def test_extra_suite_rules_must_say_their_dimension(tmp_path: Path) -> None:
    (tmp_path / "danang.snnmt.rain-gauge-stations.json").write_text(json.dumps({
        "name": "x", "expectations": [{"type": "expect_column_to_exist", "kwargs": {"column": "x"}}]}))
    with pytest.raises(SpecError, match="meta.dimension"):
        extra_expectations(rain_spec(), tmp_path)
