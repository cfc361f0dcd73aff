"""The judgement of one normalised delivery: every rule (spec, extra suite, metadata), one scorecard.

Used by the pipeline's quality stage and by ``opendata check``, so an agency's pre-check and the
real run judge alike.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..issues import RowIssue
from ..spec.models import DatasetSpec
from .metadata import metadata_checks
from .row_groups import run_suite_in_row_groups
from .runner import SuiteRun, run_suite
from .scorecard import Scorecard, build_scorecard
from .suite import expectations_from_spec, extra_expectations


def judge(spec: DatasetSpec, rows: Path | pa.Table, sha256: str, type_issues: list[RowIssue], type_failures: dict[str, int],
          *, province_code: int | None, previous_rows: int | None, now: datetime, expectations_dir: Path,
          docs_dir: Path | None = None, delivered_at: datetime | None = None) -> tuple[Scorecard, SuiteRun]:
    """``rows``: the normalised rows, as their Parquet file, or as the table itself (a pre-check writes none)."""
    configs = (expectations_from_spec(spec, province_code, previous_rows, now, delivered_at)
               + extra_expectations(spec, expectations_dir))
    if isinstance(rows, pa.Table):  # a pre-check's table, never written
        count, run = rows.num_rows, run_suite(rows, configs, spec.key, docs_dir)
    else:
        layout = pq.read_metadata(rows)
        count = layout.num_rows
        if layout.num_row_groups > 1:  # a large delivery (normalise.stream): judged one row group at a time
            run = run_suite_in_row_groups(rows, configs, spec.key)
        else:
            run = run_suite(pq.read_table(rows), configs, spec.key, docs_dir)
    meta_checks, meta_issues = metadata_checks(spec)
    card = build_scorecard(spec.key, sha256, count, run.checks + meta_checks,
                           type_issues + run.issues + meta_issues, type_failures)
    return card, run
