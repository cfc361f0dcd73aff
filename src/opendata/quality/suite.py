"""The rule set of a dataset, as GX expectation configurations (plain dicts, no GX import here).

Generated from the spec for every dataset, then merged with ``expectations/<key>.json`` written in
GX's own suite format. Every expectation carries its dimension and severity in ``meta``.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..exceptions import SpecError
from ..issues import Dimension, Severity
from ..spec.models import DatasetSpec
from .rules import rules_for


def expectations_from_spec(spec: DatasetSpec, province_code: int | None = None, previous_rows: int | None = None,
                           now: datetime | None = None, delivered_at: datetime | None = None) -> list[dict]:
    """Every rule the spec implies (see quality.rules), in dimension order."""
    return rules_for(spec, province_code, previous_rows, now, delivered_at)


def extra_expectations(spec: DatasetSpec, folder: Path) -> list[dict]:
    """Rules beyond the spec from ``<folder>/<city>.<agency>.<id>.json``; each must say its dimension."""
    path = folder / f"{spec.key}.json"
    if not path.exists():
        return []
    try:
        suite = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SpecError(f"{path}: not a readable GX suite: {exc}", dataset=spec.key, stage="check") from exc
    exps = suite.get("expectations")
    if not isinstance(exps, list):
        raise SpecError(f"{path}: field 'expectations' must be a list", dataset=spec.key, stage="check")
    for i, e in enumerate(exps):
        meta = e.get("meta") or {}
        if not isinstance(e.get("type"), str) or not isinstance(e.get("kwargs"), dict):
            raise SpecError(f"{path}: expectations[{i}] needs 'type' and 'kwargs'", dataset=spec.key, stage="check")
        if meta.get("dimension") not in {d.value for d in Dimension}:
            raise SpecError(f"{path}: expectations[{i}].meta.dimension must be one of dung, du, sach, song",
                            dataset=spec.key, stage="check")
        meta.setdefault("severity", Severity.blocking.value)
        e["meta"] = meta
    return exps
