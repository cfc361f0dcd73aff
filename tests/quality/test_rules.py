"""Rules per dimension, failing and passing, and freshness over simulated time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from opendata.quality.liveness import refresh_state
from opendata.quality.rules import rules_for
from opendata.quality.runner import run_expectations
from opendata.quality.scorecard import build_scorecard
from opendata.quality.suite import expectations_from_spec
from opendata.spec.models import Frequency
from opendata.vocabulary import RefreshState
from tests.factories import small_spec

NOW = datetime(2026, 11, 22, tzinfo=UTC)


def spec(**overrides):
    cols = [
        {"name": "code", "label": {"vi": "Mã"}, "required": True},
        {"name": "name", "label": {"vi": "Tên"}, "required": True},
        {"name": "ward", "label": {"vi": "Phường/Xã"}, "reference": "ward_name"},
        {"name": "note", "label": {"vi": "Ghi chú"}},
        {"name": "hotline", "label": {"vi": "Đường dây nóng"}, "format": "phone", "public": True},
        {"name": "opened_on", "label": {"vi": "Ngày"}, "type": "date"},
    ]
    return small_spec(columns=cols, primary_key=["code"], date_column="opened_on", **overrides)


def frame(changes: dict | None = None) -> pd.DataFrame:
    rows = [{"code": f"PK{i:03d}", "name": f"Phòng khám {i}", "ward": "Phường Hải Châu", "note": "",
             "hotline": "0236 3822 111", "opened_on": date(2026, 11, 1)} for i in range(1, 11)]
    for (row, column), value in (changes or {}).items():
        rows[row][column] = value
    return pd.DataFrame(rows)


def problems(df: pd.DataFrame, previous_rows: int | None = None):
    checks, issues = run_expectations(df, expectations_from_spec(spec(), 48, previous_rows, NOW), "t")
    return build_scorecard("t", "sha", len(df), checks, issues), {(i.rule, i.row, i.column, i.severity.value) for i in issues}


def test_a_clean_delivery_passes_every_dimension() -> None:
    card, found = problems(frame())
    assert card.accepted and found == set() and set(card.scores) == {"dung", "du", "sach", "song"}


@pytest.mark.parametrize("pii", ["CCCD 048190001234", "gọi 0905123456", "+84905123456", "lien.he@gmail.com", "CMND 201234567"])
def test_personal_data_in_open_data_is_blocking(pii: str) -> None:
    card, found = problems(frame({(3, "note"): pii}))
    assert ("expect_column_values_to_not_match_regex_list", 5, "note", "blocking") in found and not card.accepted


def test_a_column_declared_public_may_hold_phone_numbers() -> None:
    card, _ = problems(frame({(0, "hotline"): "0236 3822 222"}))
    assert card.accepted


@pytest.mark.parametrize(("value", "bad"), [("=HYPERLINK(\"http://x\")", True), ("@SUM(A1)", True), ("+cmd|' /C calc'!A0", True),
                                            ("-5", False), ("+84 236 3822 111", False), ("Phòng khám", False)])
def test_formula_injection(value: str, bad: bool) -> None:
    card, found = problems(frame({(2, "note"): value}))
    assert (("expect_column_values_to_not_match_regex", 4, "note", "blocking") in found) == bad
    assert card.accepted == (not bad)


def test_untrimmed_or_decomposed_text_is_a_warning() -> None:
    card, found = problems(frame({(1, "name"): "Ho\u0300a Khánh"}))
    assert ("expect_column_values_to_not_match_regex", 3, "name", "warning") in found and card.accepted


def test_a_ward_name_from_before_the_2025_reform_is_not_correct() -> None:
    card, found = problems(frame({(6, "ward"): "Phường Phước Ninh"}))
    assert ("expect_column_values_to_be_in_set", 8, "ward", "blocking") in found and card.scores["dung"] < 100


def test_row_count_collapsing_against_the_previous_delivery() -> None:
    df = frame()
    assert problems(df, previous_rows=18)[0].accepted
    card, found = problems(df, previous_rows=30)
    assert not card.accepted and any(r[0] == "expect_table_row_count_to_be_between" for r in found)


def test_stale_data_is_a_sống_warning() -> None:
    df = frame()
    df["opened_on"] = date(2026, 1, 1)
    card, found = problems(df)
    assert ("expect_column_max_to_be_between", None, "opened_on", "warning") in found
    assert card.accepted and card.scores["song"] == 0


@pytest.mark.parametrize(
    ("frequency", "days", "state"),
    [(Frequency.quarterly, 0, RefreshState.fresh), (Frequency.quarterly, 89, RefreshState.fresh),
     (Frequency.quarterly, 90, RefreshState.due), (Frequency.quarterly, 119, RefreshState.due),
     (Frequency.quarterly, 120, RefreshState.overdue), (Frequency.quarterly, 150, RefreshState.delinquent),
     (Frequency.monthly, 29, RefreshState.fresh), (Frequency.monthly, 30, RefreshState.due),
     (Frequency.monthly, 60, RefreshState.delinquent),
     (Frequency.weekly, 7, RefreshState.due), (Frequency.weekly, 14, RefreshState.overdue),
     (Frequency.daily, 3, RefreshState.delinquent)],
)
def test_freshness_states(frequency: Frequency, days: int, state: RefreshState) -> None:
    assert refresh_state(NOW - timedelta(days=days), frequency, NOW) == state


def test_freshness_moves_one_way_as_time_passes() -> None:
    order = list(RefreshState)[:4]
    states = [refresh_state(NOW, Frequency.quarterly, NOW + timedelta(days=d)) for d in range(0, 200, 5)]
    assert [order.index(s) for s in states] == sorted(order.index(s) for s in states)
    assert states[0] == RefreshState.fresh and states[-1] == RefreshState.delinquent


def test_a_city_sets_its_own_refresh_days_and_never_is_never() -> None:
    from opendata.quality.liveness import thresholds_with

    own = thresholds_with({"quarterly": (60, 75, 90)})
    assert refresh_state(NOW - timedelta(days=61), Frequency.quarterly, NOW, own) == RefreshState.due
    assert refresh_state(NOW - timedelta(days=61), Frequency.quarterly, NOW) == RefreshState.fresh
    assert own[Frequency.monthly] == (30, 44, 60)
    assert refresh_state(None, Frequency.monthly, NOW) == RefreshState.never


def test_content_currency_is_the_song_rules_test() -> None:
    """The newest value within the due days is current, the same bound the sống rule sets."""
    from opendata.quality.liveness import content_currency
    from opendata.vocabulary import ContentCurrency

    today = NOW.date()
    assert content_currency(today - timedelta(days=30), Frequency.monthly, today) == ContentCurrency.current
    assert content_currency(today - timedelta(days=31), Frequency.monthly, today) == ContentCurrency.stale
    assert content_currency(None, Frequency.monthly, today) == ContentCurrency.stale
    assert content_currency(None, Frequency.monthly, today, has_date_column=False) == ContentCurrency.undated
    spec = small_spec(date_column="opened_on")
    rule = next(r for r in rules_for(spec, now=NOW) if r["meta"].get("check") == "freshness")
    assert rule["kwargs"]["min_value"] == (today - timedelta(days=30)).isoformat()


def test_metadata_completeness_scores_but_does_not_block() -> None:
    from opendata.quality.metadata import metadata_checks

    full = spec(title={"vi": "Phòng khám", "en": "Clinics"},
                description={"vi": "Danh sách phòng khám tư nhân được cấp phép hoạt động", "en": "Licensed clinics"},
                tags=["y tế", "phòng khám"])
    checks, issues = metadata_checks(full)
    assert [i.rule for i in issues] == ["metadata:column_descriptions"]  # the labels above have no English
    thin = spec(title={"vi": "PK"}, description={"vi": "PK"}, licence="proprietary")
    checks, issues = metadata_checks(thin)
    rules = {i.rule for i in issues}
    assert {"metadata:title_en", "metadata:description_length", "metadata:open_licence", "metadata:tags"} <= rules
    assert all(i.severity.value == "warning" and i.dimension.value == "du" for i in issues)
    card = build_scorecard("t", "sha", 10, checks, issues)
    assert card.accepted and card.scores["du"] < 100
