"""The vectorised evaluator and GX agree: same verdict, same count, same rows, for every rule."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from opendata.normalise import normalise_file
from opendata.quality.fast import evaluate, evaluate_all
from opendata.quality.runner import run_gx
from opendata.quality.suite import expectations_from_spec, extra_expectations
from opendata.spec import load_registry
from tests.factories import ROOT
from tests.quality.test_rules import NOW, frame, spec

REGISTRY = load_registry(ROOT / "include" / "datasets")


def compare(table: pa.Table, configs: list[dict]) -> int:
    gx, _ = run_gx(table.to_pandas(), configs, "parity", None)
    judged = 0
    for cfg, want in zip(configs, gx, strict=True):
        got = evaluate(table, cfg)
        if got is None:
            continue
        judged += 1
        assert (got.success, got.unexpected) == (want.success, want.unexpected), (cfg, got, want)
        assert got.rows[:20] == want.rows[:20], cfg
    return judged


def sample_drops():
    for key, s in sorted(REGISTRY.datasets.items()):
        if s.source.kind == "drop_zone":
            folder = ROOT / "include" / "samples" / s.city / s.agency / s.id
            yield key, next(folder.iterdir())


@pytest.mark.parametrize(("key", "path"), list(sample_drops()), ids=[k for k, _ in sample_drops()])
def test_parity_on_the_sample_city(key: str, path: Path, tmp_path: Path) -> None:
    s = REGISTRY.datasets[key]
    table = normalise_file(s, path, path.name, tmp_path)
    import pyarrow.parquet as pq

    configs = expectations_from_spec(s, 48, 10_000, NOW) + extra_expectations(s, ROOT / "expectations")
    judged = compare(pq.read_table(table.parquet), configs)
    assert judged >= len(configs) - 1  # the GX fallback stays the exception


def test_parity_on_broken_data() -> None:
    df = frame({(1, "name"): "Ho\u0300a", (2, "note"): "=HYPERLINK(1)", (3, "note"): "CCCD 048190001234",
                (4, "ward"): "Phường Phước Ninh", (5, "note"): "+84905123456", (6, "note"): "-5", (7, "code"): "PK001",
                (8, "name"): None, (9, "note"): "lien.he@gmail.com"})
    df.loc[0, "opened_on"] = date(2020, 1, 1)
    table = pa.Table.from_pandas(pd.DataFrame(df), preserve_index=False)
    configs = expectations_from_spec(spec(), 48, 30, NOW)
    assert compare(table, configs) == len(configs)


@pytest.mark.parametrize("values", [[5, 3, None, 5, 1, None, 3, 9], [1, 2, 3], [None, None], [7, 7, 7]])
def test_duplicated_numeric_keys_by_sorting_agree_with_gx(values: list) -> None:
    table = pa.table({"id": pa.array(values, pa.int64()), "when": pa.array(values, pa.int64()).cast(pa.timestamp("s"))})
    configs = [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": c},
                "meta": {"dimension": "sach", "severity": "blocking"}} for c in ("id", "when")]
    assert compare(table, configs) == 2


def one_by_one_and_screened(table: pa.Table, configs: list[dict]) -> tuple[list, list]:
    return [evaluate(table, cfg) for cfg in configs], evaluate_all(table, configs)


@pytest.mark.parametrize(("key", "path"), list(sample_drops())[:4], ids=[k for k, _ in sample_drops()][:4])
def test_screening_a_columns_forbidden_patterns_together_changes_no_verdict(key: str, path: Path, tmp_path: Path) -> None:
    s = REGISTRY.datasets[key]
    import pyarrow.parquet as pq

    table = pq.read_table(normalise_file(s, path, path.name, tmp_path).parquet)
    configs = expectations_from_spec(s, 48, 10_000, NOW) + extra_expectations(s, ROOT / "expectations")
    alone, screened = one_by_one_and_screened(table, configs)
    assert screened == alone
    assert sum(1 for c in configs if "not_match_regex" in c["type"]) >= 4  # the screen had groups to pass


def test_a_screened_column_with_a_forbidden_value_is_judged_rule_by_rule() -> None:
    """One value matches one rule of the group: that rule fails with its own count and row, the others
    pass; a pattern RE2 cannot compile (a look-ahead) leaves its rule to GX (None) without hiding the rest."""
    note = ["ổn", "=HYPERLINK(1)", None, "gọi 0905123456", "ổn"] * 3
    table = pa.table({"note": note})

    def rule(kind: str, **kw) -> dict:
        return {"type": kind, "kwargs": {"column": "note", **kw}, "meta": {"dimension": "sach", "severity": "blocking"}}

    configs = [rule("expect_column_values_to_not_match_regex", regex=r"^[=+\-@]"),
               rule("expect_column_values_to_not_match_regex", regex=r"\d{12}"),
               rule("expect_column_values_to_not_match_regex_list", regex_list=[r"0\d{9}", r"@\w+\."]),
               rule("expect_column_values_to_not_match_regex", regex=r"(?=x)y")]
    alone, screened = one_by_one_and_screened(table, configs)
    assert screened == alone
    assert [(v.success, v.unexpected, v.rows) for v in screened[:3]] == \
        [(False, 3, [1, 6, 11]), (True, 0, []), (False, 3, [3, 8, 13])]
    assert screened[3] is None
    clean = pa.table({"note": ["ổn"] * 15})
    assert evaluate_all(clean, configs[:3]) == [evaluate(clean, c) for c in configs[:3]]
    assert all(v.success and v.checked == 15 for v in evaluate_all(clean, configs[:3]))
