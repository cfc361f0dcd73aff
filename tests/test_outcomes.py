"""The one vocabulary of run outcomes: every outcome has its words in both languages, the groups the
ledger and the DAG read are made of it, and what crosses XCom and the ledger is plain text."""

from __future__ import annotations

import json

from opendata.outcomes import FAILED, LABELS, REFRESHING, SETTLED, Outcome
from opendata.pipeline.outcome import summarise


def test_every_outcome_has_vietnamese_and_english_words() -> None:
    assert set(LABELS) == set(Outcome)
    for outcome in Outcome:
        vi, en = outcome.label
        assert vi and en and vi != en or outcome is Outcome.failed, outcome


def test_the_groups_never_overlap_where_they_must_not() -> None:
    assert REFRESHING <= SETTLED and not (REFRESHING & FAILED)
    assert Outcome.failed not in SETTLED and Outcome.repeat not in SETTLED  # retried, or nothing to settle
    assert Outcome.no_delivery not in SETTLED | FAILED


def test_a_summary_carries_plain_strings_that_read_back_as_outcomes() -> None:
    left = {("quality", "error"): {"message": "rule broken", "receipt": "{}"}, ("archive", "return_value"): {"sha256": "a"}}
    summary = summarise(lambda stage, key="return_value": left.get((stage, key)))
    assert type(summary["outcome"]) is str and Outcome(summary["outcome"]) is Outcome.quarantined
    assert json.loads(json.dumps(summary))["outcome"] == "quarantined"
    skipped = summarise(lambda stage, key="return_value": {"reason": "no-delivery"} if (stage, key) == ("ingest", "skip_reason")
                        else None)
    assert type(skipped["outcome"]) is str and skipped["outcome"] == Outcome.no_delivery
