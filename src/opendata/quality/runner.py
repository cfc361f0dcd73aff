"""Judge a dataset's expectations on its normalised table and turn the results into issues.

The rules are GX expectation configurations. Those of the types the platform generates are judged
vectorised (quality.fast); any other goes to GX, in an ephemeral context created inside the task.
GX also renders the Data Docs of tables up to DOCS_MAX_ROWS rows.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.compute as pc

from ..columns import in_parallel
from ..exceptions import SpecError
from ..issues import MAX_EXAMPLES, ROW_COLUMN, Dimension, RowIssue, Severity
from .fast import RuleVerdict, duplicated_rows, evaluate
from .rules import mask_personal

if TYPE_CHECKING:
    import pandas as pd



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


DOCS_MAX_ROWS = 200_000  # GX renders Data Docs up to this size; above it the receipt and scorecard are the report


@dataclass
class SuiteRun:
    checks: list[CheckResult]
    issues: list[RowIssue]
    docs_page: Path | None  # GX Data Docs page of this validation, when a docs site was asked for
    engine: dict[str, int] = field(default_factory=dict)  # how many rules each engine decided: {"arrow": n, "gx": m}


def run_expectations(frame, configs: list[dict], suite_name: str) -> tuple[list[CheckResult], list[RowIssue]]:
    run = run_suite(frame, configs, suite_name)
    return run.checks, run.issues


def run_suite(data, configs: list[dict], suite_name: str, docs_dir: Path | None = None) -> SuiteRun:
    """Judge every rule: vectorised (quality.fast) where it can, GX for the rest. With ``docs_dir`` and a
    table of at most DOCS_MAX_ROWS rows, GX also validates the whole suite to render Data Docs there."""
    import pyarrow as pa

    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    outcomes: list[RuleVerdict | None] = in_parallel(lambda cfg: evaluate(table, cfg, MAX_EXAMPLES), configs)
    leftover = [i for i, o in enumerate(outcomes) if o is None]
    want_docs = docs_dir is not None and table.num_rows <= DOCS_MAX_ROWS
    docs_page = None
    if leftover or want_docs:
        frame = data if not isinstance(data, pa.Table) else data.to_pandas()
        chosen = list(range(len(configs))) if want_docs else leftover
        gx_outcomes, docs_page = _run_gx(frame, [configs[i] for i in chosen], suite_name, docs_dir if want_docs else None)
        for i, outcome in zip(chosen, gx_outcomes, strict=True):
            if outcomes[i] is None:
                outcomes[i] = outcome
    rows = table.column(ROW_COLUMN) if ROW_COLUMN in table.column_names else None

    def examples(_: int, column: str | None, outcome: RuleVerdict) -> list[tuple[int, object]]:
        """(file row, value) of the first rows the rule flags."""
        return [(rows[i].as_py() if rows is not None else i + 2,
                 table.column(column)[i].as_py() if column in table.column_names else None)
                for i in outcome.rows[:MAX_EXAMPLES]]

    checks, issues = _report(configs, outcomes, examples)
    engine = {"arrow": len(configs) - len(leftover), "gx": len(leftover)}
    return SuiteRun(checks, issues, docs_page, engine)


def _column_of(cfg: dict) -> str | None:
    kw = cfg.get("kwargs", {})
    return kw.get("column") or ",".join(kw.get("column_list") or []) or None


def _report(configs: list[dict], outcomes: list[RuleVerdict], examples) -> tuple[list[CheckResult], list[RowIssue]]:
    """Each rule's check and the issues of its first failing rows (``examples(i, column, outcome)``) or
    of its observed value, for the scorecard and the receipt."""
    checks, issues = [], []
    for i, (cfg, outcome) in enumerate(zip(configs, outcomes, strict=True)):
        meta = cfg.get("meta") or {}
        dim, sev = Dimension(meta["dimension"]), Severity(meta["severity"])
        kw = cfg.get("kwargs", {})
        column = _column_of(cfg)
        checks.append(CheckResult(cfg["type"], column, dim, sev, outcome.success, outcome.checked, outcome.unexpected))
        if outcome.success:
            continue
        found = examples(i, column, outcome)
        for row, value in found:
            issues.append(_issue(cfg["type"], dim, sev, column, row, value, kw, meta.get("check")))
        if not found:
            issues.append(_issue(cfg["type"], dim, sev, column, None, outcome.observed, kw, meta.get("check")))
    return checks, issues


# Rules that judge the whole table at once; every other rule judges each row on its own.
WHOLE_TABLE_RULES = {"expect_table_row_count_to_be_between", "expect_column_values_to_be_unique",
                     "expect_compound_columns_to_be_unique"}
REDUCED_RULES = {"expect_column_max_to_be_between"}  # judged on the largest value of each row group
TABLE_LEVEL_RULES = {"expect_column_to_exist"}  # one verdict on the column, the same in every group


def _has_columns(batch, cfg: dict) -> bool:
    kw = cfg.get("kwargs", {})
    wanted = kw.get("column_list") or [kw[k] for k in ("column", "column_A", "column_B") if kw.get(k)]
    return all(c in batch.column_names for c in wanted)


@dataclass
class _Tally:
    """One rule's verdicts over the row groups so far."""

    success: bool = True
    checked: int = 0
    unexpected: int = 0
    examples: list[tuple[int, object]] = field(default_factory=list)
    observed: object = None

    def add(self, outcome: RuleVerdict, found: list[tuple[int, object]], per_row: bool = True) -> None:
        """``per_row``: the verdict counts this group's rows (added up); else it is one verdict on the
        table or column (a column missing, a GX rule on the whole group), which fails if any group's does."""
        self.success = self.success and outcome.success
        if per_row:
            self.checked += outcome.checked
            self.unexpected += outcome.unexpected
        else:
            self.checked, self.unexpected = 1, max(self.unexpected, outcome.unexpected)
        self.examples.extend(found[:MAX_EXAMPLES - len(self.examples)])
        if not outcome.success and outcome.observed is not None:
            self.observed = outcome.observed

    def verdict(self) -> RuleVerdict:
        return RuleVerdict(self.success, self.checked, self.unexpected, [], self.observed)


def run_suite_in_row_groups(parquet, configs: list[dict], suite_name: str) -> SuiteRun:
    """The same judgement as :func:`run_suite`, over a Parquet file too large to hold: each row group in
    turn for the rules on single rows (counts added up, the first examples kept), the columns of a key
    read alone for the uniqueness rules, the row count from the file's metadata, a column's largest value
    from each group's. A rule only GX can judge runs on each row group's rows through GX. No Data Docs
    (GX renders them for small tables only)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = pq.ParquetFile(parquet)
    kinds = [cfg["type"] for cfg in configs]
    tallies = [_Tally() for _ in configs]
    maxima: dict[int, list] = {i: [] for i, kind in enumerate(kinds) if kind in REDUCED_RULES}
    row_rules = [i for i, kind in enumerate(kinds) if kind not in WHOLE_TABLE_RULES]
    gx_judged: set[int] = set()
    for group in range(source.num_row_groups):
        batch = source.read_row_group(group)
        rows = batch.column(ROW_COLUMN)
        outcomes = in_parallel(lambda i, batch=batch: evaluate(batch, configs[i], MAX_EXAMPLES), row_rules)
        leftover = [i for i, o in zip(row_rules, outcomes, strict=True) if o is None]
        if leftover:
            gx_outcomes, _ = _run_gx(batch.to_pandas(), [configs[i] for i in leftover], suite_name, None)
            by_rule = dict(zip(leftover, gx_outcomes, strict=True))
            outcomes = [o if o is not None else by_rule[i] for i, o in zip(row_rules, outcomes, strict=True)]
            gx_judged.update(leftover)
        for i, outcome in zip(row_rules, outcomes, strict=True):
            if i in maxima:
                column = configs[i]["kwargs"]["column"]
                if column in batch.column_names:
                    maxima[i].append(pc.max(batch.column(column)))
                continue
            column = _column_of(configs[i])
            per_row = (outcome.checked == batch.num_rows) if i in gx_judged else \
                (kinds[i] not in TABLE_LEVEL_RULES and _has_columns(batch, configs[i]))
            tallies[i].add(outcome, [(rows[k].as_py(), batch.column(column)[k].as_py() if column in batch.column_names
                                      else None) for k in outcome.rows[:MAX_EXAMPLES]], per_row)
        del batch, rows
    for i, found in maxima.items():
        column = configs[i]["kwargs"]["column"]
        kind = source.schema_arrow.field(column).type
        largest = pa.table({column: pa.array([m.as_py() for m in found], kind)}) if found else \
            pa.table({column: pa.array([], kind)}) if column in source.schema_arrow.names else pa.table({})
        tallies[i].add(evaluate(largest, configs[i], MAX_EXAMPLES), [], per_row=False)
    for i, kind in enumerate(kinds):
        if kind not in WHOLE_TABLE_RULES:
            continue
        kw = configs[i].get("kwargs", {})
        if kind == "expect_column_values_to_be_unique" and (found := _unique_by_sorting(source, kw["column"])):
            tallies[i].add(*found)
            continue
        if kind != "expect_table_row_count_to_be_between" and \
                (found := _unique_by_hashing(source, kw.get("column_list") or [kw.get("column")])) is not None:
            tallies[i].add(*found)
            continue
        wanted = [c for c in kw.get("column_list") or [kw.get("column")] if c in source.schema_arrow.names]
        keys = source.read(columns=[*wanted, ROW_COLUMN]) if kind != "expect_table_row_count_to_be_between" \
            else pa.table({ROW_COLUMN: pa.nulls(source.metadata.num_rows)})  # no buffer: only its length
        outcome = evaluate(keys, configs[i], MAX_EXAMPLES)
        if outcome is None:
            outcome, _ = _run_gx(keys.to_pandas(), [configs[i]], suite_name, None)
            outcome = outcome[0]
            gx_judged.add(i)
        column = _column_of(configs[i])
        value_of = keys.column(column) if column in keys.column_names else None
        tallies[i].add(outcome, [(keys.column(ROW_COLUMN)[k].as_py(), value_of[k].as_py() if value_of is not None else None)
                                 for k in outcome.rows[:MAX_EXAMPLES]], per_row=kind != "expect_table_row_count_to_be_between")
        del keys
    checks, issues = _report(configs, [t.verdict() for t in tallies], lambda i, _column, _outcome: tallies[i].examples)
    return SuiteRun(checks, issues, None, {"arrow": len(configs) - len(gx_judged), "gx": len(gx_judged)})


def _as_int64(values):
    """An integer or temporal column as int64 (its order kept); None for any other type."""
    import pyarrow as pa

    kind = values.type
    if pa.types.is_date32(kind) or pa.types.is_time32(kind):
        return pc.cast(pc.cast(values, pa.int32()), pa.int64())
    if pa.types.is_integer(kind) or pa.types.is_temporal(kind):
        return pc.cast(values, pa.int64())
    return None


def _unique_by_sorting(source, column: str) -> tuple[RuleVerdict, list[tuple[int, object]]] | None:
    """A numeric or temporal key of a large file checked in 8 bytes a row: its values gathered a row group
    at a time into one array sorted in place, the repeated ones found between neighbours, then every row
    holding one flagged group by group (as GX does). None for other types, or values past int64."""
    import numpy as np
    import pyarrow as pa

    if column not in source.schema_arrow.names or _as_int64(pa.array([], source.schema_arrow.field(column).type)) is None:
        return None
    gathered, filled = np.empty(source.metadata.num_rows, dtype=np.int64), 0
    try:
        for group in range(source.num_row_groups):
            values = _as_int64(pc.drop_null(source.read_row_group(group, columns=[column]).column(0)))
            for chunk in values.chunks:
                gathered[filled:filled + len(chunk)] = chunk.to_numpy(zero_copy_only=False)
                filled += len(chunk)
    except pa.ArrowInvalid:  # an unsigned value past int64
        return None
    gathered = gathered[:filled]
    gathered.sort()
    repeated = pa.array(np.unique(gathered[1:][gathered[1:] == gathered[:-1]]))
    del gathered
    unexpected, examples = 0, []
    if len(repeated):
        for group in range(source.num_row_groups):
            batch = source.read_row_group(group, columns=[column, ROW_COLUMN])
            flagged = pc.fill_null(pc.is_in(_as_int64(batch.column(0)), value_set=repeated), False)
            unexpected += pc.sum(flagged).as_py() or 0
            for k in pc.indices_nonzero(flagged.combine_chunks()).to_pylist()[:MAX_EXAMPLES - len(examples)]:
                examples.append((batch.column(1)[k].as_py(), batch.column(0)[k].as_py()))
    return RuleVerdict(unexpected == 0, source.metadata.num_rows, unexpected, []), examples


def _joined_key(batch, columns: list[str]):
    """One text value per row for a key of one text column or several (as quality.fast joins a compound key)."""
    import pyarrow as pa

    if len(columns) == 1:
        return batch.column(columns[0])
    return pc.binary_join_element_wise(*[pc.cast(batch.column(c), pa.string()) for c in columns], "\x1f")


def _unique_by_hashing(source, columns: list[str]) -> tuple[RuleVerdict, list[tuple[int, object]]] | None:
    """A text or compound key of a large file checked in 8 bytes a row: each key's 64-bit hash gathered a row
    group at a time into one array sorted in place; only the rows whose hash repeats are read again, and
    judged exactly (quality.fast's rule, on those rows alone), so a hash collision never flags a row. None
    for a key of another type (the key is then read whole)."""
    import numpy as np
    import pyarrow as pa
    from pandas.util import hash_array

    schema = source.schema_arrow
    if not columns or any(c not in schema.names for c in columns) or (
            len(columns) == 1 and not (pa.types.is_string(schema.field(columns[0]).type)
                                       or pa.types.is_large_string(schema.field(columns[0]).type))):
        return None

    def hashes(group: int):
        batch = source.read_row_group(group, columns=[*columns, ROW_COLUMN])
        return batch, hash_array(_joined_key(batch, columns).to_numpy(zero_copy_only=False), categorize=False)

    gathered, filled = np.empty(source.metadata.num_rows, dtype=np.uint64), 0
    for group in range(source.num_row_groups):
        _, found = hashes(group)
        gathered[filled:filled + len(found)] = found
        filled += len(found)
    gathered.sort()
    repeated = np.unique(gathered[1:][gathered[1:] == gathered[:-1]])
    del gathered
    suspects = []
    if len(repeated):
        for group in range(source.num_row_groups):
            batch, found = hashes(group)
            suspects.append(batch.filter(pa.array(np.isin(found, repeated))))
    judged = pa.concat_tables(suspects) if suspects else pa.table({c: pa.array([], schema.field(c).type) for c in
                                                                    [*columns, ROW_COLUMN]})
    flagged = pc.fill_null(duplicated_rows(_joined_key(judged, columns)), False) if judged.num_rows else pa.array([], pa.bool_())
    flagged = flagged.combine_chunks() if isinstance(flagged, pa.ChunkedArray) else flagged
    unexpected = pc.sum(flagged).as_py() or 0 if judged.num_rows else 0
    examples = [(judged.column(ROW_COLUMN)[k].as_py(), judged.column(columns[0])[k].as_py() if len(columns) == 1 else None)
                for k in (pc.indices_nonzero(flagged).to_pylist()[:MAX_EXAMPLES] if unexpected else [])]
    return RuleVerdict(unexpected == 0, source.metadata.num_rows, unexpected, []), examples


def _run_gx(frame: pd.DataFrame, configs: list[dict], suite_name: str,
            docs_dir: Path | None) -> tuple[list[RuleVerdict], Path | None]:
    """One ephemeral GX context per call. GX drops an expectation it cannot build without raising, so
    the count is checked: a rule that does not run is an error, not a pass."""
    gx = _gx()
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    ctx = gx.get_context(mode="ephemeral")
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        ctx.add_data_docs_site(site_name="opendata", site_config={
            "class_name": "SiteBuilder", "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)}})
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
            raise SpecError(f"suite {suite_name}: rule {cfg.get('type')} cannot be built: {exc}", stage="check") from exc
    suite = ctx.suites.add(gx.ExpectationSuite(name=suite_name, expectations=expectations))
    if len(suite.expectations) != len(configs):
        raise SpecError(f"suite {suite_name}: GX kept {len(suite.expectations)} of {len(configs)} rules", stage="check")
    definition = ctx.validation_definitions.add(gx.ValidationDefinition(name=suite_name, data=batch, suite=suite))
    docs_page = None
    if docs_dir is None:
        result = definition.run(batch_parameters={"dataframe": frame}, result_format={"result_format": "COMPLETE"})
    else:
        from great_expectations.checkpoint import UpdateDataDocsAction

        before = set(docs_dir.glob("validations/**/*.html"))
        checkpoint = ctx.checkpoints.add(gx.Checkpoint(
            name=f"{suite_name}-checkpoint", validation_definitions=[definition], result_format={"result_format": "COMPLETE"},
            actions=[UpdateDataDocsAction(name="data_docs", site_names=["opendata"])]))
        result = next(iter(checkpoint.run(batch_parameters={"dataframe": frame}).run_results.values()))
        docs_page = next(iter(set(docs_dir.glob("validations/**/*.html")) - before), None)
    by_id = {res.expectation_config.id: res for res in result.results}  # GX does not keep the suite's order
    outcomes = []
    for expectation in suite.expectations:  # the configs' order
        res = by_id[expectation.id]
        r = res.result or {}
        if "unexpected_count" in r:  # a rule on each value: the share of rows that pass
            failed = int(r.get("unexpected_count") or 0) if not res.success else 0
            outcomes.append(RuleVerdict(bool(res.success), int(r.get("element_count") or len(frame)), failed,
                                    [int(i) for i in (r.get("unexpected_index_list") or [])][:MAX_EXAMPLES]))
        else:  # a rule on the whole table or column (row count, newest date): passes or not
            outcomes.append(RuleVerdict(bool(res.success), 1, 0 if res.success else 1, [], r.get("observed_value")))
    return outcomes, docs_page


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


CHECK_TEXT = {
    "personal_data": ("Có thông tin cá nhân (số CCCD/CMND, số di động, e-mail)", "Personal data (ID, mobile number, e-mail)"),
    "formula_injection": ("Ô bắt đầu bằng =, +, -, @ sẽ bị Excel chạy như công thức",
                          "A cell starting with =, +, -, @ runs as a formula in Excel"),
    "clean_text": ("Khoảng trắng thừa hoặc dấu chưa dựng sẵn (không phải NFC)", "Stray spaces or decomposed accents (not NFC)"),
    "ward_reference": ("Không có trong danh mục phường, xã hiện hành", "Not in the current list of wards and communes"),
    "row_count_collapse": ("Số dòng giảm hơn một nửa so với lần trước", "Fewer than half the rows of the previous delivery"),
    "freshness": ("Độ mới nội dung: ngày mới nhất trong dữ liệu đã cũ hơn tần suất cập nhật đã cam kết",
                  "Content currency: the newest date in the data is older than the promised frequency"),
}
QUIET_KWARGS = ("column", "column_list", "result_format", "batch_id", "regex_list", "value_set")


def _issue(rule: str, dim: Dimension, sev: Severity, column: str | None, row: int | None, value, kwargs: dict,
           check: str | None = None) -> RowIssue:
    vi, en = CHECK_TEXT.get(check or "", RULE_TEXT.get(rule, ("Vi phạm quy tắc", "Rule broken")))
    detail = {k: v for k, v in kwargs.items() if k not in QUIET_KWARGS and not (check and k == "regex")}
    if detail:
        vi, en = f"{vi} ({detail})", f"{en} ({detail})"
    return RowIssue(rule=rule, dimension=dim, severity=sev, message_vi=vi, message_en=en, row=row, column=column,
                    value=_shown(value, check))


def _shown(value, check: str | None) -> str | None:
    """The value as the receipt shows it: personal data masked."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return mask_personal(str(value)) if check == "personal_data" else str(value)
