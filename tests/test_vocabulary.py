"""The one vocabulary of run outcomes: every outcome has its words in both languages, the groups the
ledger and the DAG read are made of it, and what crosses XCom and the ledger is plain text."""

from __future__ import annotations

import json

from opendata.pipeline.outcome import summarise
from opendata.vocabulary import FAILED, LABELS, REFRESHING, SETTLED, Outcome


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
