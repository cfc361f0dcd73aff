"""The stewards' dashboard: a FastAPI app the Airflow plugin (plugins/opendata_dashboard.py) serves
inside the Airflow UI. Server-rendered HTML with inline SVG charts: no script, no CDN, works offline.

Vietnamese by default, English with ``?lang=en``. Pages: the city (agencies with their KPI and a
traffic light, KPI trend, freshness states, scores by dimension), one agency (its datasets with
scores, freshness, last refresh and the latest receipt), a receipt, and the KPI as JSON.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from .. import ledger
from ..compliance.kpi import CityKpi, compute
from ..quality.report_html import REPORT_STYLE
from ..settings import load_settings
from ..spec.loader import load_registry
from ..vocabulary import DIMENSION_NAMES
from ..vocabulary.pages import DASHBOARD_WORDS
from ..vocabulary.portal import LIGHTS, REFRESH_COLOURS
from . import csp

DASHBOARD_STYLE = """body{font-family:system-ui,sans-serif;margin:1.2rem;color:#1f2328}h1{font-size:1.4rem}
table{border-collapse:collapse;margin:.6rem 0}td,th{border-bottom:1px solid #d0d7de;padding:.35rem .6rem;text-align:left}
th{background:#f6f8fa}.dot{display:inline-block;width:.8rem;height:.8rem;border-radius:50%;margin-right:.3rem}
.charts{display:flex;gap:1.5rem;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:.6rem 1rem}
.muted{color:#656d76}a{color:#0969da}""" + "".join(
    f".dot.{name}{{background:{colour}}}" for name, colour in {**LIGHTS, **REFRESH_COLOURS}.items())


def _t(key: str, lang: str, **kw) -> str:
    vi, en = DASHBOARD_WORDS[key]
    return (en if lang == "en" else vi).format(**kw)


def _web(url: str | None) -> bool:
    """Only an http(s) address becomes a link (never javascript: or data:, whatever the ledger holds)."""
    return bool(url) and url.lower().startswith(("http://", "https://"))


def _page(title: str, body: str, lang: str) -> str:
    other, other_name = ("vi", "Tiếng Việt") if lang == "en" else ("en", "English")
    return (f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>{escape(title)}</title>"
            f"<style>{DASHBOARD_STYLE}</style></head><body><p class='muted'><a href='?lang={other}'>{other_name}</a></p>"
            f"{body}</body></html>")


def bar_chart(values: list[tuple[str, float, str]], width: int = 360, unit: str = "") -> str:
    """Horizontal bars, one per (label, value, colour), as inline SVG."""
    top = max([v for _, v, _ in values] + [1])
    rows = []
    for i, (label, value, colour) in enumerate(values):
        w = int((width - 190) * value / top)  # room for the figure after the bar
        rows.append(f"<text x='0' y='{i * 26 + 16}' font-size='12'>{escape(label)}</text>"
                    f"<rect x='140' y='{i * 26 + 4}' width='{w}' height='16' fill='{colour}'/>"
                    f"<text x='{145 + w}' y='{i * 26 + 16}' font-size='12'>{value:g}{unit}</text>")
    return f"<svg role='img' width='{width}' height='{len(values) * 26 + 4}'>{''.join(rows)}</svg>"


def line_chart(points: list[tuple[str, float]], width: int = 360, height: int = 140) -> str:
    """The share of agencies meeting the target over time (0–100 %), as inline SVG."""
    if not points:
        return "<svg role='img' width='10' height='10'></svg>"
    n = len(points)
    xs = [40 + (width - 60) * (i / (n - 1) if n > 1 else 0.5) for i in range(n)]
    ys = [height - 25 - (height - 40) * v for _, v in points]
    path = " ".join(f"{x:.0f},{y:.0f}" for x, y in zip(xs, ys, strict=True))
    dots = "".join(f"<circle cx='{x:.0f}' cy='{y:.0f}' r='3' fill='#0969da'/>" for x, y in zip(xs, ys, strict=True))
    labels = "".join(f"<text x='{x:.0f}' y='{height - 5}' font-size='10' text-anchor='middle'>{escape(p)}</text>"
                     for x, (p, _) in zip(xs, points, strict=True))
    axis = (f"<text x='0' y='{height - 25}' font-size='10'>0%</text><text x='0' y='18' font-size='10'>100%</text>"
            f"<line x1='35' y1='{height - 25}' x2='{width}' y2='{height - 25}' stroke='#d0d7de'/>")
    return (f"<svg role='img' width='{width}' height='{height}'>{axis}<polyline points='{path}' fill='none' "
            f"stroke='#0969da' stroke-width='2'/>{dots}{labels}</svg>")


def registry_summary(cities: list[CityKpi]) -> dict:
    agencies = [a for c in cities for a in c.agencies]
    return {"cities": [c.summary() for c in cities], "agencies": len(agencies),
            "agencies_meeting": sum(a.meets for a in agencies)}


def city_nav(city: CityKpi, cities: list[CityKpi], lang: str) -> str:
    """Every city of the registry, this one in bold, and the registry's total."""
    total = registry_summary(cities)
    links = " · ".join(f"<b>{escape(c.name_en if lang == 'en' else c.name_vi)}</b>" if c.city == city.city else
                       f"<a href='?city={escape(c.city)}&lang={lang}'>{escape(c.name_en if lang == 'en' else c.name_vi)}</a>"
                       for c in cities)
    return (f"<p id='cities'>{links} · <span class='muted'>{_t('all_cities', lang)}: "
            f"{total['agencies_meeting']}/{total['agencies']} {_t('share', lang)}</span></p>")


def city_page(city: CityKpi, trend: list[dict], lang: str, good_score: float, cities: list[CityKpi] | None = None) -> str:
    rows = []
    for a in city.agencies:
        light = f"<span class='dot {a.light}'></span>"
        verdict = _t("meets", lang) if a.meets else (_t("below", lang) if a.published else _t("none", lang))
        name = a.name_en if lang == "en" else a.name_vi
        rows.append(f"<tr><td>{light}<a href='agency/{escape(a.agency)}?city={escape(city.city)}&lang={lang}'>"
                    f"{escape(name)}</a></td>"
                    f"<td>{a.published}</td><td>{a.high_quality}</td><td>{a.fresh}</td><td><b>{a.good}</b></td>"
                    f"<td>{a.target}</td><td>{verdict}</td></tr>")
    head = "".join(f"<th>{_t(k, lang)}</th>" for k in ("agency", "published", "high", "fresh", "good", "target", "status"))
    states = city.by_state()
    state_bars = bar_chart([(_t(f"{s}_state", lang), n, REFRESH_COLOURS[s]) for s, n in states.items()])
    scored = [d for a in city.agencies for d in a.datasets if d.published and d.scores]
    def mean(key: str) -> float:  # over the datasets judged on that dimension (no date column: no sống score)
        values = [d.scores[key] for d in scored if key in d.scores]
        return round(sum(values) / len(values), 1) if values else 0

    dims = [((en if lang == "en" else vi), mean(k), "#0969da") for k, (vi, en) in DIMENSION_NAMES.items()]
    meeting = sum(a.meets for a in city.agencies)
    body = (f"<h1>{_t('title', lang)}: {escape(city.name_en if lang == 'en' else city.name_vi)}</h1>"
            f"{city_nav(city, cities or [city], lang)}"
            f"<p><b>{meeting}/{len(city.agencies)}</b> {_t('share', lang)} ({city.share_meeting:.0%}) · "
            f"<span class='muted'>{escape(city.at)}</span></p>"
            f"<p class='muted'>{_t('rule', lang, target=city.agencies[0].target if city.agencies else 10, score=good_score)}</p>"
            f"<table id='agencies'><tr>{head}</tr>{''.join(rows)}</table>"
            f"<div class='charts'><div class='card' id='trend'><h3>{_t('trend', lang)}</h3>"
            f"{line_chart([(t['period'], t['share']) for t in trend])}</div>"
            f"<div class='card' id='states'><h3>{_t('states', lang)}</h3>{state_bars}</div>"
            f"<div class='card' id='dimensions'><h3>{_t('dims', lang)}</h3>{bar_chart(dims, unit='')}</div></div>")
    return _page(_t("title", lang), body, lang)


def agency_page(city: CityKpi, code: str, lang: str) -> str | None:
    agency = next((a for a in city.agencies if a.agency == code), None)
    if agency is None:
        return None
    rows = []
    for d in agency.datasets:
        dims = " · ".join(f"{(en if lang == 'en' else vi)} {d.scores[k]:g}"
                          for k, (vi, en) in DIMENSION_NAMES.items() if k in d.scores)
        if d.mqa_score is not None:  # the metadata on the EU scale, beside the data's four dimensions
            dims += f"<br>MQA {d.mqa_score:g}/405 ({escape(d.mqa_rating or '')})"
        receipt = (f"<a href='../receipt/{escape(d.dataset)}?lang={lang}'>{_t('receipt', lang)}</a>"
                   if d.receipt else "")
        title = f"<a href='{escape(d.url)}'>{escape(d.title)}</a>" if _web(d.url) else escape(d.title)
        rows.append(f"<tr><td>{title}<br><span class='muted'>{escape(d.dataset)}</span></td>"
                    f"<td>{'' if d.overall is None else f'{d.overall:g}'}<br><span class='muted'>{dims}</span></td>"
                    f"<td><span class='dot {d.refresh_state}'></span>{_t(f'{d.refresh_state}_state', lang)}</td>"
                    f"<td>{(d.last_refreshed_at or '')[:10]}</td>"
                    f"<td>{_t(f'{d.content_currency}_content', lang)}<br><span class='muted'>{d.content_newest or ''}</span></td>"
                    f"<td>{'✓' if d.good else '✗'}</td><td>{receipt}</td></tr>")
    head = "".join(f"<th>{_t(k, lang)}</th>" for k in ("dataset", "score", "status", "refreshed", "content", "good", "receipt"))
    name = agency.name_en if lang == "en" else agency.name_vi
    body = (f"<p><a href='../?city={escape(city.city)}&lang={lang}'>← {_t('back', lang)}</a></p><h1>{escape(name)}</h1>"
            f"<p><b>{agency.good}/{agency.target}</b> {_t('good', lang)} · {_t('published', lang)} {agency.published}</p>"
            f"<table id='datasets'><tr>{head}</tr>{''.join(rows)}</table>")
    return _page(name, body, lang)


def login_required():
    """The dependency every route declares: a user authenticated by Airflow's auth manager (the UI's
    login cookie or a bearer token), allowed to see the website. Airflow does not authenticate plugin
    apps by itself, so without this the dashboard would be open to anyone."""
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import requires_access_view

    return requires_access_view(AccessView.WEBSITE)


def create_app(auth=None):
    """The FastAPI app; everything is read per request (registry cache, ledger), so it is always current.
    ``auth``: the dependency that authenticates a request (Airflow's login by default)."""
    from fastapi import Depends, FastAPI, HTTPException, Request
    from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

    app = FastAPI(title="opendata dashboard", docs_url=None, redoc_url=None,
                  dependencies=[Depends(auth or login_required())])

    @app.middleware("http")
    async def secure_headers(request: Request, call_next):
        """Every answer goes out with the policy (the dashboard's pages and the receipts it shows)."""
        response = await call_next(request)
        response.headers.update(csp.headers(DASHBOARD_STYLE, REPORT_STYLE))
        return response

    @app.exception_handler(HTTPException)
    async def to_login(request: Request, exc: HTTPException):
        """A browser without a login goes to Airflow's login page and comes back; an API client gets the status."""
        if exc.status_code == 401 and "text/html" in request.headers.get("accept", ""):
            from airflow.api_fastapi.app import get_auth_manager

            return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=303)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    def current(code: str | None = None, by: str = "month") -> tuple[CityKpi, list[CityKpi], list[dict], float]:
        """The city asked for (the registry's first by default), every city, its trend (by month or ISO
        week, as `opendata kpi --trend`), the good score."""
        settings = load_settings()
        registry = load_registry(settings.paths.registry)
        engine = ledger.open_ledger(settings.ledger_url())
        cities = compute(registry, ledger.statuses(engine), datetime.now(UTC), settings.compliance.good_score,
                         settings.compliance.target, thresholds=settings.compliance.thresholds())
        if not cities:
            raise HTTPException(404, "no city in the registry")
        chosen = next((c for c in cities if c.city == code), None) if code else cities[0]
        if chosen is None:
            raise HTTPException(404, f"no city {code}")
        if by not in ("month", "week"):
            raise HTTPException(422, "by: month or week")
        return chosen, cities, ledger.trend(engine, chosen.city, by), settings.compliance.good_score

    @app.get("/", response_class=HTMLResponse)
    def city(lang: str = "vi", city: str | None = None, by: str = "month") -> str:
        kpi, cities, trend, good_score = current(city, by)
        return city_page(kpi, trend, "en" if lang == "en" else "vi", good_score, cities)

    @app.get("/agency/{code}", response_class=HTMLResponse)
    def agency(code: str, lang: str = "vi", city: str | None = None) -> str:
        page = agency_page(current(city)[0], code, "en" if lang == "en" else "vi")
        if page is None:
            raise HTTPException(404, f"no agency {code}")
        return page

    @app.get("/receipt/{dataset}", response_class=HTMLResponse)
    def receipt(dataset: str, lang: str = "vi") -> str:
        from ..quality.report_html import render_html

        cities = current()[1]  # a dataset's key names its city
        found = next((d for c in cities for a in c.agencies for d in a.datasets if d.dataset == dataset), None)
        if found is None or not found.receipt or not Path(found.receipt).exists():
            raise HTTPException(404, f"no receipt for {dataset}")
        return render_html(json.loads(Path(found.receipt).read_text(encoding="utf-8")), found.last_refreshed_at or "")

    @app.get("/api/kpi.json")
    def kpi_json(city: str | None = None) -> JSONResponse:
        return JSONResponse(current(city)[0].summary())

    @app.get("/api/trend.json")
    def trend_json(city: str | None = None, by: str = "month") -> JSONResponse:
        """The share of agencies meeting the target per month or ISO week, from the daily snapshots."""
        kpi, _, trend, _ = current(city, by)
        return JSONResponse({"city": kpi.city, "by": by, "points": trend})

    @app.get("/api/registry.json")
    def registry_json() -> JSONResponse:
        """Every city, and the whole registry's count of agencies meeting the target."""
        cities = current()[1]
        return JSONResponse(registry_summary(cities))

    return app
