"""Run a dataset's expectations on its normalised table with GX, and turn results into issues.

One ephemeral GX context per call, created inside the task. GX silently drops an expectation it
cannot build, so the count is checked: a rule that does not run is an error, not a pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pandas as pd

from ..exceptions import SpecError
from ..issues import Dimension, RowIssue, Severity

MAX_EXAMPLES = 20


@dataclass(frozen=True)
class CheckResult:
    rule: str
    column: str | None
    dimension: Dimension
    severity: Severity
    success: bool
    checked: int
    failed: int

    @property
    def pass_ratio(self) -> float:
        if self.success:
            return 1.0
        return max(0.0, 1 - self.failed / self.checked) if self.checked else 0.0


def _gx():
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx

    return gx


ROW_COLUMN = "_source_row"  # the file row of each record, written by the normalise stage


def run_expectations(frame: pd.DataFrame, configs: list[dict], suite_name: str) -> tuple[list[CheckResult], list[RowIssue]]:
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = gx.get_context(mode="ephemeral")
    try:
        ctx.variables.progress_bars = {"globally": False}
    except Exception:  # noqa: BLE001 - cosmetic only
        pass
    batch = ctx.data_sources.add_pandas("opendata").add_dataframe_asset("delivery").add_batch_definition_whole_dataframe("all")
    expectations = []
    for cfg in configs:
        try:
            expectations.append(ExpectationConfiguration(**cfg).to_domain_obj())
        except Exception as exc:  # noqa: BLE001 - GX raises many kinds; all mean the rule is unusable
            raise SpecError(f"suite {suite_name}: rule {cfg.get('type')} cannot be built: {exc}", stage="quality") from exc
    suite = ctx.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
    if len(suite.expectations) != len(configs):
        raise SpecError(f"suite {suite_name}: GX kept {len(suite.expectations)} of {len(configs)} rules", stage="quality")
    definition = ctx.validation_definitions.add(gx.ValidationDefinition(name=suite_name, data=batch, suite=suite))
    outcome = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"})
    row_numbers = frame[ROW_COLUMN] if ROW_COLUMN in frame.columns else pd.Series(range(2, len(frame) + 2))

    checks, issues = [], []
    for res in outcome.results:
        cfg = res.expectation_config
        meta = cfg.meta or {}
        dim, sev = Dimension(meta["dimension"]), Severity(meta["severity"])
        column = cfg.kwargs.get("column") or ",".join(cfg.kwargs.get("column_list") or []) or None
        r = res.result or {}
        failed = int(r.get("unexpected_count") or 0) if not res.success else 0
        checked = int(r.get("element_count") or len(frame))
        if not res.success and "unexpected_count" not in r:
            failed = max(failed, 1)  # table-level rule (row count, column exists)
        checks.append(CheckResult(cfg.type, column, dim, sev, bool(res.success), checked, failed))
        if res.success:
            continue
        rows = r.get("unexpected_index_list") or []
        if rows:
            for idx in rows[:MAX_EXAMPLES]:
                value = frame.iloc[idx][column] if column in frame.columns else None
                issues.append(_issue(cfg.type, dim, sev, column, int(row_numbers.iloc[idx]), value, cfg.kwargs))
        else:
            issues.append(_issue(cfg.type, dim, sev, column, None, r.get("observed_value"), cfg.kwargs))
    return checks, issues


RULE_TEXT = {
    "expect_column_to_exist": ("Thiếu cột", "Column is missing"),
    "expect_column_values_to_not_be_null": ("Ô bắt buộc bị để trống", "Required cell is empty"),
    "expect_column_values_to_be_between": ("Giá trị ngoài khoảng cho phép", "Value outside the allowed range"),
    "expect_column_values_to_be_in_set": ("Giá trị không thuộc danh mục cho phép", "Value not in the allowed list"),
    "expect_column_values_to_match_regex": ("Sai định dạng", "Value does not have the required format"),
    "expect_column_values_to_be_unique": ("Mã bị trùng", "Duplicate key"),
    "expect_compound_columns_to_be_unique": ("Khóa bị trùng", "Duplicate key"),
    "expect_table_row_count_to_be_between": ("Số dòng không như cam kết", "Row count outside the promised bounds"),
}


def _issue(rule: str, dim: Dimension, sev: Severity, column: str | None, row: int | None, value, kwargs: dict) -> RowIssue:
    vi, en = RULE_TEXT.get(rule, ("Vi phạm quy tắc", "Rule broken"))
    detail = {k: v for k, v in kwargs.items() if k not in ("column", "column_list", "result_format", "batch_id")}
    if detail:
        vi, en = f"{vi} ({detail})", f"{en} ({detail})"
    return RowIssue(rule=rule, dimension=dim, severity=sev, message_vi=vi, message_en=en, row=row, column=column,
                    value=None if value is None or pd.isna(value) else str(value))
