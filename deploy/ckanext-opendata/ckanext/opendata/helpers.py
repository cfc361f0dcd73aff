"""Template helpers for the dataset page's quality panel, read from the fields the platform writes.

The platform (``opendata.publish.mapping``) is the one home of these fields and of the refresh labels
(``refresh_label``); the portal's schema (schemas/dataset.yaml) declares them and the panel only lays
them out. The four dimension names are the city's standard.
"""

from __future__ import annotations

DIMENSIONS = (("dung", "Đúng", "correct"), ("du", "Đủ", "complete"), ("sach", "Sạch", "clean"), ("song", "Sống", "live"))
REFRESH_COLOURS = {"fresh": "#1a7f37", "due": "#bf8700", "overdue": "#bc4c00", "delinquent": "#cf222e", "never": "#57606a"}
SOURCES = {"drop_zone": "tệp đơn vị gửi / files the agency drops", "http": "API của đơn vị / the agency's API",
           "sql": "cơ sở dữ liệu của đơn vị / the agency's database"}


def _colour(score: float) -> str:
    return "#1a7f37" if score >= 80 else "#bf8700" if score >= 50 else "#cf222e"


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def quality(pkg: dict) -> dict | None:
    """The panel's content, or None for a dataset the platform did not publish."""
    fields = {k: v for k, v in pkg.items() if isinstance(v, str)}  # the schema's fields, top-level
    if "opendata_key" not in fields:
        return None
    overall = _number(fields.get("quality_overall"))
    dimensions = []
    for key, vi, en in DIMENSIONS:
        score = _number(fields.get(f"quality_{key}"))
        if score is not None:
            dimensions.append({"key": key, "vi": vi, "en": en, "score": f"{score:g}", "width": max(0.0, min(100.0, score)),
                               "colour": _colour(score)})
    refresh = fields.get("refresh_state") or "never"
    vi, _, en = (fields.get("refresh_label") or f"{refresh} / {refresh}").partition(" / ")
    start, end = fields.get("temporal_coverage_start"), fields.get("temporal_coverage_end")
    mqa = _number(fields.get("mqa_score"))
    return {
        "overall": None if overall is None else f"{overall:g}", "colour": _colour(overall or 0), "dimensions": dimensions,
        "refresh": refresh, "refresh_vi": vi, "refresh_en": en or vi, "refresh_colour": REFRESH_COLOURS.get(refresh, "#57606a"),
        "days": fields.get("days_since_refresh"), "last_refreshed": (fields.get("last_refreshed_at") or "")[:10],
        "frequency": fields.get("update_frequency"), "frequency_vi": fields.get("update_frequency_vi"),
        "period": f"{start} → {end}" if start and end else None, "spatial": fields.get("spatial_coverage"),
        "mqa": None if mqa is None else f"{mqa:g}/405 ({fields.get('mqa_rating', '')})",
        "source": SOURCES.get(fields.get("source_kind") or "", fields.get("source_kind")),
        "sha256": fields.get("content_sha256"), "warnings": fields.get("quality_warnings"),
    }
