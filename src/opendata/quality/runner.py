"""Judge a dataset's expectations on its normalised table and turn the results into issues.

The rules are GX expectation configurations. Those of the types the platform generates are judged
vectorised (quality.fast); any other goes to GX, in an ephemeral context created inside the task.
GX also renders the Data Docs of tables up to DOCS_MAX_ROWS rows. A table too large to hold is judged
one row group at a time by quality.row_groups, with this module's checks and receipt.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..exceptions import SpecError
from ..issues import MAX_EXAMPLES, ROW_COLUMN, Dimension, RowIssue, Severity
from ..vocabulary.checks import CHECK_TEXT, RULE_TEXT
from . import advice
from .fast import RuleVerdict, evaluate_all
from .personal import mask_personal

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
    outcomes = evaluate_all(table, configs, MAX_EXAMPLES)
    leftover = [i for i, o in enumerate(outcomes) if o is None]
    want_docs = docs_dir is not None and table.num_rows <= DOCS_MAX_ROWS
    docs_page = None
    if leftover or want_docs:
        frame = data if not isinstance(data, pa.Table) else data.to_pandas()
        chosen = list(range(len(configs))) if want_docs else leftover
        gx_outcomes, docs_page = run_gx(frame, [configs[i] for i in chosen], suite_name, docs_dir if want_docs else None)
        for i, outcome in zip(chosen, gx_outcomes, strict=True):
            if outcomes[i] is None:
                outcomes[i] = outcome
    rows = table.column(ROW_COLUMN) if ROW_COLUMN in table.column_names else None

    def examples(_: int, column: str | None, outcome: RuleVerdict) -> list[tuple[int, object]]:
        """(file row, value) of the first rows the rule flags."""
        return [(rows[i].as_py() if rows is not None else i + 2, cell_of(table, column, i)) for i in outcome.rows[:MAX_EXAMPLES]]

    checks, issues = report_checks(configs, outcomes, examples)
    engine = {"arrow": len(configs) - len(leftover), "gx": len(leftover)}
    return SuiteRun(checks, issues, docs_page, engine)


def cell_of(table, column: str | None, i: int):
    """A flagged row's value; for a rule on two or more columns, their values joined ('20242 | Phường Hải Châu')."""
    names = [c for c in (column or "").split(",") if c in table.column_names]
    if not names:
        return None
    if len(names) == 1:
        return table.column(names[0])[i].as_py()
    return " | ".join(str(table.column(c)[i].as_py()) for c in names)


def rule_column(cfg: dict) -> str | None:
    kw = cfg.get("kwargs", {})
    pair = [kw[k] for k in ("column_A", "column_B") if kw.get(k)]
    return kw.get("column") or ",".join(kw.get("column_list") or pair) or None


def report_checks(configs: list[dict], outcomes: list[RuleVerdict], examples) -> tuple[list[CheckResult], list[RowIssue]]:
    """Each rule's check and the issues of its first failing rows (``examples(i, column, outcome)``) or
    of its observed value, for the scorecard and the receipt."""
    checks, issues = [], []
    for i, (cfg, outcome) in enumerate(zip(configs, outcomes, strict=True)):
        meta = cfg.get("meta") or {}
        dim, sev = Dimension(meta["dimension"]), Severity(meta["severity"])
        kw = cfg.get("kwargs", {})
        column = rule_column(cfg)
        checks.append(CheckResult(cfg["type"], column, dim, sev, outcome.success, outcome.checked, outcome.unexpected))
        if outcome.success:
            continue
        found = examples(i, column, outcome)
        total = outcome.unexpected if outcome.checked > 1 or found else None
        for row, value in found:
            issues.append(_issue(cfg["type"], dim, sev, column, row, value, kw, meta, total))
        if not found:
            issues.append(_issue(cfg["type"], dim, sev, column, None, outcome.observed, kw, meta, total,
                                 observed=outcome.observed))
    return checks, issues


def run_gx(frame: pd.DataFrame, configs: list[dict], suite_name: str,
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
        from . import datadocs

        before = set(docs_dir.glob("validations/**/*.html"))
        checkpoint = ctx.checkpoints.add(gx.Checkpoint(
            name=f"{suite_name}-checkpoint", validation_definitions=[definition], result_format={"result_format": "COMPLETE"},
            actions=[]))
        identifier, result = next(iter(checkpoint.run(batch_parameters={"dataframe": frame}).run_results.items()))
        datadocs.build(ctx, "opendata", suite_name, identifier, result)  # from a copy with the data's values escaped
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


def _issue(rule: str, dim: Dimension, sev: Severity, column: str | None, row: int | None, value, kwargs: dict,
           meta: dict, total: int | None = None, observed=None) -> RowIssue:
    check = meta.get("check")
    vi, en = CHECK_TEXT.get(check or "", RULE_TEXT.get(rule, ("Vi phạm quy tắc", "Rule broken")))
    detail_vi, detail_en = advice.detail(rule, check, kwargs, observed)
    if detail_vi:
        vi, en = f"{vi} ({detail_vi})", f"{en} ({detail_en})"
    fixed = advice.fix(rule, check, kwargs, meta)
    return RowIssue(rule=rule, dimension=dim, severity=sev, message_vi=vi, message_en=en, row=row, column=column,
                    value=_shown(value, check), total=total, fix_vi=fixed[0] if fixed else None,
                    fix_en=fixed[1] if fixed else None)


def _shown(value, check: str | None) -> str | None:
    """The value as the receipt shows it: personal data masked."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return mask_personal(str(value)) if check == "personal_data" else str(value)
