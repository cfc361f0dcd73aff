"""The rule set of a dataset, as GX expectation configurations (plain dicts, no GX import here).

Generated from the spec for every dataset, then merged with ``expectations/<key>.json`` written in
GX's own suite format. Every expectation carries its dimension and severity in ``meta``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..exceptions import SpecError
from ..issues import Dimension, Severity
from ..spec.models import ColumnType, DatasetSpec


def _exp(type_: str, dimension: Dimension, severity: Severity = Severity.blocking, **kwargs) -> dict:
    return {"type": type_, "kwargs": kwargs, "meta": {"dimension": dimension.value, "severity": severity.value}}


def expectations_from_spec(spec: DatasetSpec) -> list[dict]:
    out: list[dict] = []
    for col in spec.columns:
        out.append(_exp("expect_column_to_exist", Dimension.complete, column=col.name))
        if col.required:
            out.append(_exp("expect_column_values_to_not_be_null", Dimension.complete, column=col.name))
        if col.minimum is not None or col.maximum is not None:
            out.append(_exp("expect_column_values_to_be_between", Dimension.correct, column=col.name,
                            min_value=col.minimum, max_value=col.maximum))
        if col.allowed_values:
            out.append(_exp("expect_column_values_to_be_in_set", Dimension.correct, column=col.name,
                            value_set=list(col.allowed_values)))
        if col.pattern and col.type == ColumnType.string:
            out.append(_exp("expect_column_values_to_match_regex", Dimension.correct, column=col.name, regex=col.pattern))
    if len(spec.primary_key) == 1:
        out.append(_exp("expect_column_values_to_be_unique", Dimension.clean, column=spec.primary_key[0]))
    elif spec.primary_key:
        out.append(_exp("expect_compound_columns_to_be_unique", Dimension.clean, column_list=list(spec.primary_key)))
    out.append(_exp("expect_table_row_count_to_be_between", Dimension.complete,
                    min_value=spec.row_count.min, max_value=spec.row_count.max))
    return out


def extra_expectations(spec: DatasetSpec, folder: Path) -> list[dict]:
    """Rules beyond the spec from ``<folder>/<city>.<agency>.<id>.json``; each must say its dimension."""
    path = folder / f"{spec.key}.json"
    if not path.exists():
        return []
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"{path}: not a readable GX suite: {exc}", dataset=spec.key, stage="quality") from exc
    exps = suite.get("expectations")
    if not isinstance(exps, list):
        raise SpecError(f"{path}: field 'expectations' must be a list", dataset=spec.key, stage="quality")
    for i, e in enumerate(exps):
        meta = e.get("meta") or {}
        if not isinstance(e.get("type"), str) or not isinstance(e.get("kwargs"), dict):
            raise SpecError(f"{path}: expectations[{i}] needs 'type' and 'kwargs'", dataset=spec.key, stage="quality")
        if meta.get("dimension") not in {d.value for d in Dimension}:
            raise SpecError(f"{path}: expectations[{i}].meta.dimension must be one of dung, du, sach, song",
                            dataset=spec.key, stage="quality")
        meta.setdefault("severity", Severity.blocking.value)
        e["meta"] = meta
    return exps
