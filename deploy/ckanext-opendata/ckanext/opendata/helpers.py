"""Template helpers for the dataset page's quality panel, read from the fields the platform writes.

The platform (``opendata.publish.mapping``) is the one home of these fields and of the refresh labels
(``refresh_label``); the portal's schema (schemas/dataset.yaml) declares them and the panel only lays
them out. The dimension names, colours and source labels come from the platform's vocabulary (words.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from .words import WORDS, both

DIMENSIONS = [(key, vi, en.lower()) for key, vi, en in WORDS["dimensions"]]  # as the page's description says them


def _colour(score: float) -> str:
    lights = WORDS["lights"]
    return lights["green"] if score >= 80 else lights["amber"] if score >= 50 else lights["red"]


def _days_since(moment: str | None) -> str | None:
    """Whole days from the last refresh to now, counted as the page is shown (the platform writes the
    count only when the refresh state changes)."""
    try:
        refreshed = datetime.fromisoformat(moment) if moment else None
    except ValueError:
        return None
    if refreshed is None:
        return None
    if refreshed.tzinfo is None:
        refreshed = refreshed.replace(tzinfo=UTC)
    return str(max(0, (datetime.now(UTC) - refreshed).days))


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
    colours = WORDS["refresh_colours"]
    vi, _, en = (fields.get("refresh_label") or f"{refresh} / {refresh}").partition(" / ")
    start, end = fields.get("temporal_coverage_start"), fields.get("temporal_coverage_end")
    mqa = _number(fields.get("mqa_score"))
    return {
        "overall": None if overall is None else f"{overall:g}", "colour": _colour(overall or 0), "dimensions": dimensions,
        "refresh": refresh, "refresh_vi": vi, "refresh_en": en or vi, "refresh_colour": colours.get(refresh, colours["never"]),
        "days": _days_since(fields.get("last_refreshed_at")) or fields.get("days_since_refresh"),
        "last_refreshed": (fields.get("last_refreshed_at") or "")[:10],
        "frequency": fields.get("update_frequency"), "frequency_vi": fields.get("update_frequency_vi"),
        "period": f"{start} → {end}" if start and end else None, "spatial": fields.get("spatial_coverage"),
        "mqa": None if mqa is None else f"{mqa:g}/405 ({both('mqa_ratings', fields.get('mqa_rating', ''))})",
        "source": both("sources", fields.get("source_kind") or "", fields.get("source_kind")),
        "sha256": fields.get("content_sha256"), "warnings": fields.get("quality_warnings"),
    }
