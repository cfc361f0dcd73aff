"""A stage's result crosses XCom and JSON files as plain data and reads back as itself; keys another
version of the platform wrote are ignored, a missing field is an error, not a silent default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opendata.archive import ArchivedDelivery
from opendata.issues import Dimension, RowIssue, Severity
from opendata.pipeline.results import Checked, Normalised, RunEntry, RunSummary
from opendata.vocabulary import Outcome, Stage

ISSUE = RowIssue("type:integer", Dimension.correct, Severity.blocking, "sai", "wrong", row=7, column="beds", value="x")
TABLE = Normalised(sha256="a" * 64, original_name="pk.csv", received_at="2026-12-05T09:00:00+07:00",
                   parquet=Path("/data/staging/pk.parquet"), rows=3, encoding="utf-8", issues=(ISSUE,),
                   type_failures={"beds": 1}, meta={"watermark": 3})


@pytest.mark.parametrize("result", [
    TABLE,
    Checked.extending(TABLE, scorecard=Path("/s.json"), receipt=Path("/r.json"), overall=91.5, scores={"dung": 90.0}),
    RunEntry.extending(RunSummary(Outcome.quarantined, sha256="a" * 64, error="rule broken", failed_stage=Stage.check),
                       dataset="danang.syt.clinics", city="danang", agency="syt", run="r1", at="2026-12-05T02:00:00+00:00"),
    ArchivedDelivery("a" * 64, "/archive/objects/aa/a", "danang.syt.clinics", "syt", "danang", "drop_zone", "pk.csv", 12,
                     "2026-12-05T09:00:00+07:00", False, {"pages": 2}),
], ids=["normalised", "checked", "run-entry", "archived"])
def test_a_result_goes_through_json_and_comes_back_the_same(result) -> None:
    plain = json.loads(json.dumps(result.asdict()))  # what an XCom or accepted.json holds
    assert type(result).from_dict(plain) == result


def test_keys_another_version_wrote_are_ignored_and_a_missing_field_is_an_error() -> None:
    plain = {**TABLE.asdict(), "written_by_a_newer_platform": True, "republish": True}
    assert Normalised.from_dict(plain) == TABLE
    del plain["parquet"]
    with pytest.raises(TypeError, match="parquet"):
        Normalised.from_dict(plain)
    with pytest.raises(ValueError):
        RunSummary.from_dict({"outcome": "published-maybe"})  # not an outcome the ledger knows
