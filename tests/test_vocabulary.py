"""The one vocabulary: every stage, outcome, state and drift has its words in both languages, the groups
the ledger and the DAG read are made of it, and what crosses XCom and the ledger is plain text."""

from __future__ import annotations

import json

from opendata.pipeline.outcome import summarise
from opendata.pipeline.results import RunSummary
from opendata.vocabulary import (
    CURRENCY_LABELS,
    DRIFT_LABELS,
    FAILED,
    OUTCOME_LABELS,
    REFRESH_LABELS,
    REFRESHING,
    REMINDER_WORDS,
    SETTLED,
    STAGE_LABELS,
    STAGES,
    ContentCurrency,
    DriftKind,
    Outcome,
    RefreshState,
    Stage,
)


def test_every_outcome_has_vietnamese_and_english_words() -> None:
    assert set(OUTCOME_LABELS) == set(Outcome)
    for outcome in Outcome:
        vi, en = outcome.label
        assert vi and en and vi != en or outcome is Outcome.failed, outcome


def test_the_groups_never_overlap_where_they_must_not() -> None:
    assert REFRESHING <= SETTLED and not (REFRESHING & FAILED)
    assert Outcome.failed not in SETTLED and Outcome.repeat not in SETTLED  # retried, or nothing to settle
    assert Outcome.no_delivery not in SETTLED | FAILED


def test_a_summary_is_typed_and_crosses_xcom_as_plain_strings_that_read_back() -> None:
    left = {("check", "error"): {"message": "rule broken", "receipt": "{}"}, ("archive", "return_value"): {"sha256": "a"}}
    summary = summarise(lambda stage, key="return_value": left.get((stage, key)))
    assert summary.outcome is Outcome.quarantined and summary.failed_stage is Stage.check and summary.sha256 == "a"
    plain = json.loads(json.dumps(summary.asdict()))
    assert plain["outcome"] == "quarantined" and plain["failed_stage"] == "check"
    assert RunSummary.from_dict(plain) == summary
    skipped = summarise(lambda stage, key="return_value": {"reason": "no-delivery"} if (stage, key) == ("fetch", "skip_reason")
                        else None)
    assert skipped.outcome is Outcome.no_delivery and skipped.error is None


def test_every_stage_has_its_words_and_the_dag_runs_them_in_the_order_a_delivery_goes() -> None:
    assert [s.value for s in STAGES] == ["fetch", "archive", "normalise", "check", "publish", "record"]
    assert set(STAGE_LABELS) == set(Stage) and all(vi and en for vi, en in STAGE_LABELS.values())


def test_every_state_and_drift_has_vietnamese_and_english_words() -> None:
    for labels, enum in ((REFRESH_LABELS, RefreshState), (CURRENCY_LABELS, ContentCurrency), (DRIFT_LABELS, DriftKind)):
        assert set(labels) == set(enum), enum
        assert all(vi and en and vi != en for vi, en in labels.values()), enum
    # a reminder is sent for the states past fresh, never for a dataset that is fresh or was never published
    assert set(REMINDER_WORDS) == {RefreshState.due, RefreshState.overdue, RefreshState.delinquent}
    assert all(vi and en for vi, en in REMINDER_WORDS.values())


def test_every_spelling_of_yes_and_no_reads_as_its_boolean_on_both_csv_paths(tmp_path) -> None:
    """The fast CSV path (pyarrow's exact match) and the exact path (lower case) share one list of words,
    so a file reads the same whichever path takes it: a line break in a cell sends it down the exact one."""
    import pyarrow.parquet as pq

    from opendata.normalise import normalise_file
    from opendata.vocabulary import NO_WORDS, YES_WORDS, spellings
    from tests.factories import small_spec

    spec = small_spec(primary_key=["code"], columns=[{"name": "code", "label": {"vi": "Mã"}, "required": True},
                                                 {"name": "open", "label": {"vi": "Mở cửa"}, "type": "boolean"}])
    words = [(w, True) for w in spellings(YES_WORDS)] + [(w, False) for w in spellings(NO_WORDS)]
    body = "".join(f"{w}{i},{w}\n" for i, (w, _) in enumerate(words))
    for name, text in (("fast.csv", f"Mã,Mở cửa\n{body}"), ("exact.csv", f'Mã,Mở cửa\n"two\nlines",có\n{body}')):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        table = normalise_file(spec, path, name, tmp_path / name.removesuffix(".csv"))
        assert not table.issues, table.issues[:3]
        read = pq.read_table(table.parquet).column("open").to_pylist()
        assert read[-len(words):] == [b for _, b in words], name
