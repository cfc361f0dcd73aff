"""Template helpers for the dataset page's quality panel, read from the extras the platform writes.

The platform (``opendata.publish.mapping``) is the one home of these fields and of the refresh labels
(``refresh_label``); the portal only lays them out. The four dimension names are the city's standard.
"""

from __future__ import annotations

DIMENSIONS = (("dung", "Đúng", "correct"), ("du", "Đủ", "complete"), ("sach", "Sạch", "clean"), ("song", "Sống", "live"))
REFRESH_COLOURS = {"fresh": "#1a7f37", "due": "#bf8700", "overdue": "#bc4c00", "delinquent": "#cf222e", "never": "#57606a"}
# What the panel shows, so the additional-info table does not repeat it as raw key/value rows.
PANEL_FIELDS = {"refresh_state", "refresh_label", "days_since_refresh", "last_refreshed_at", "last_checked_at",
                "archive_sha256", "content_sha256", "temporal_coverage_start", "temporal_coverage_end", "temporal_start",
                "temporal_end", "update_frequency", "update_frequency_vi", "spatial_coverage", "source_kind", "domain",
                "domain_title", "opendata_key", "title_en", "province_code", "classification", "identifier", "frequency",
                "theme", "language", "access_rights"}
PANEL_PREFIXES = ("quality_", "mqa_", "dcat_ap_")
SOURCES = {"drop_zone": "tệp đơn vị gửi / files the agency drops", "http": "API của đơn vị / the agency's API",
           "sql": "cơ sở dữ liệu của đơn vị / the agency's database"}


def is_platform_field(key: str) -> bool:
    return key in PANEL_FIELDS or key.startswith(PANEL_PREFIXES)


def _colour(score: float) -> str:
    return "#1a7f37" if score >= 80 else "#bf8700" if score >= 50 else "#cf222e"


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except ValueError:
        return None


def quality(pkg: dict) -> dict | None:
    """The panel's content, or None for a dataset the platform did not publish."""
    extras = {e.get("key"): e.get("value") for e in pkg.get("extras") or [] if isinstance(e, dict)}
    if "opendata_key" not in extras:
        return None
    overall = _number(extras.get("quality_overall"))
    dimensions = []
    for key, vi, en in DIMENSIONS:
        score = _number(extras.get(f"quality_{key}"))
        if score is not None:
            dimensions.append({"key": key, "vi": vi, "en": en, "score": f"{score:g}", "width": max(0.0, min(100.0, score)),
                               "colour": _colour(score)})
    refresh = extras.get("refresh_state") or "never"
    vi, _, en = (extras.get("refresh_label") or f"{refresh} / {refresh}").partition(" / ")
    start, end = extras.get("temporal_coverage_start"), extras.get("temporal_coverage_end")
    mqa = _number(extras.get("mqa_score"))
    return {
        "overall": None if overall is None else f"{overall:g}", "colour": _colour(overall or 0), "dimensions": dimensions,
        "refresh": refresh, "refresh_vi": vi, "refresh_en": en or vi, "refresh_colour": REFRESH_COLOURS.get(refresh, "#57606a"),
        "days": extras.get("days_since_refresh"), "last_refreshed": (extras.get("last_refreshed_at") or "")[:10],
        "frequency": extras.get("update_frequency"), "frequency_vi": extras.get("update_frequency_vi"),
        "period": f"{start} → {end}" if start and end else None, "spatial": extras.get("spatial_coverage"),
        "mqa": None if mqa is None else f"{mqa:g}/405 ({extras.get('mqa_rating', '')})",
        "source": SOURCES.get(extras.get("source_kind") or "", extras.get("source_kind")),
        "sha256": extras.get("content_sha256"), "warnings": extras.get("quality_warnings"),
    }
