"""The portal held to the ledger: what each dataset's page shows against what the platform published.

For every open dataset of the registry, the ledger (opendata.ledger: the published content's sha256,
its row count, the delivery it came from, the scores, the last refresh), the latest accepted delivery
(the check stage's ``accepted.json``) and today's refresh state (compliance.kpi) say what its page must
show; the portal says what it does show. Each difference is a ``Drift``. ``repair`` puts the page right
from the archive (never from the page itself), removes what the platform did not put there, and looks
again: what remains is what needs a person.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime

from ..exceptions import OpendataError
from ..publish.access import access_for
from ..publish.client import CkanClient
from ..publish.datastore import MARKER
from ..publish.mapping import Quality, page_fields
from ..publish.sync import ROLES, Delivery, Publisher
from ..settings import Settings
from ..sources.connections import Resolver
from ..spec.loader import Registry
from ..spec.models import DatasetSpec
from ..vocabulary import DRIFT_LABELS, DriftKind, Stage
from .context import RunContext

log = logging.getLogger(__name__)
REQUIRED_ROLES = ("data", "parquet", "report")  # the check stage writes every accepted delivery's report


REPAIR_BY_REPUBLISHING = {DriftKind.missing, DriftKind.resource_missing, DriftKind.content, DriftKind.rows,
                          DriftKind.quality, DriftKind.behind}


@dataclass(frozen=True)
class Drift:
    dataset: str
    ckan_name: str
    kind: DriftKind
    portal: str  # what the page shows
    ledger: str  # what it should show
    detail: str = ""  # e.g. the resource's id
    agency: str = ""  # city.agency whose organization holds the page (whose connection repairs it)

    def asdict(self) -> dict:
        vi, en = DRIFT_LABELS[self.kind]
        return {**asdict(self), "kind": self.kind.value, "label": f"{vi} / {en}"}


@dataclass(frozen=True)
class Expected:
    """What the dataset's page must show: the ledger's standing and today's refresh state."""

    spec: DatasetSpec
    organization: str  # the agency's organization name
    published: bool
    content_sha256: str | None = None
    rows: int | None = None
    archive_sha256: str | None = None  # the last delivery the ledger recorded as published or unchanged
    overall: float | None = None
    scores: dict = field(default_factory=dict)
    refresh_state: str = "never"
    days_since_refresh: int | None = None
    last_refreshed_at: str | None = None
    accepted_sha256: str | None = None  # the latest accepted delivery's archive sha256


@dataclass
class Reconciliation:
    drift: list[Drift] = field(default_factory=list)
    repaired: list[dict] = field(default_factory=list)  # what --repair did: dataset, action, why
    checked: int = 0
    expected: dict[str, Expected] = field(default_factory=dict, repr=False)  # what the comparison held pages to

    def asdict(self) -> dict:
        return {"checked": self.checked, "drift": [d.asdict() for d in self.drift], "repaired": self.repaired}


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def page_drift(expected: Expected, pkg: dict | None, datastore_rows: int | None) -> list[Drift]:
    """The differences between one page (package_show, or None) and what it must show. Pure."""
    spec = expected.spec

    def drift(kind: DriftKind, portal: object, ledger: object, detail: str = "") -> Drift:
        return Drift(spec.key, spec.ckan_name, kind, str(portal), str(ledger), detail, f"{spec.city}.{spec.agency}")

    if pkg is None or pkg.get("state") not in (None, "active"):
        if expected.published:
            return [drift(DriftKind.missing, "—", expected.content_sha256 or "published")]
        return []
    if not expected.published:
        return [drift(DriftKind.unrecorded, page_fields(pkg).get("content_sha256") or "on the portal", "never published")]
    out = []
    org = (pkg.get("organization") or {}).get("name")
    if org != expected.organization:
        return [drift(DriftKind.wrong_organization, org, expected.organization)]
    fields = page_fields(pkg)
    by_role: dict[str, list[dict]] = {}
    for res in pkg.get("resources") or []:
        role = res.get("opendata_role")
        if role not in ROLES:
            out.append(drift(DriftKind.resource_extra, res.get("name") or res.get("url"), "—", res["id"]))
        else:
            by_role.setdefault(role, []).append(res)
    for role, found in by_role.items():
        out += [drift(DriftKind.resource_extra, f"{role} #{i + 2}", role, r["id"]) for i, r in enumerate(found[1:])]
    for role in REQUIRED_ROLES:
        if role not in by_role:
            out.append(drift(DriftKind.resource_missing, "—", role))
    if expected.content_sha256:
        if fields.get("content_sha256") != expected.content_sha256:
            out.append(drift(DriftKind.content, fields.get("content_sha256") or "—", expected.content_sha256))
        elif "data" in by_role and by_role["data"][0].get(MARKER) != expected.content_sha256:
            out.append(drift(DriftKind.content, f"DataStore {by_role['data'][0].get(MARKER) or '—'}",
                             expected.content_sha256, "marker"))
    if expected.rows is not None and "data" in by_role and datastore_rows != expected.rows:
        out.append(drift(DriftKind.rows, datastore_rows if datastore_rows is not None else "—", expected.rows))
    want = {"quality_overall": _score(expected.overall),
            **{f"quality_{k}": _score(v) for k, v in sorted((expected.scores or {}).items())}}
    shown = {k: fields.get(k, "") for k in want}
    if shown != want:
        out.append(drift(DriftKind.quality, _pairs(shown), _pairs(want)))
    if expected.accepted_sha256 and expected.archive_sha256 and expected.accepted_sha256 != expected.archive_sha256:
        out.append(drift(DriftKind.behind, expected.archive_sha256, expected.accepted_sha256))  # killed before record
    if fields.get("refresh_state") != expected.refresh_state:  # the day count is written with a change only
        days = "" if expected.days_since_refresh is None else str(expected.days_since_refresh)
        out.append(drift(DriftKind.refresh, f"{fields.get('refresh_state')} {fields.get('days_since_refresh')}",
                         f"{expected.refresh_state} {days}"))
    return out


def _pairs(d: dict[str, str]) -> str:
    return " ".join(f"{k.removeprefix('quality_')}={v or '—'}" for k, v in d.items())


def expectations(registry: Registry, standings: dict, ctx: RunContext, city: str | None = None) -> list[Expected]:
    """From the ledger's standings (ledger.statuses), today's KPI rows and the accepted deliveries."""
    from ..compliance.kpi import compute
    from .stages import latest_accepted

    settings, now = ctx.settings, ctx.now
    out = []
    for city_kpi in compute(registry, standings, now, settings.compliance.good_score, city=city,
                            thresholds=settings.compliance.thresholds()):
        c = registry.cities[city_kpi.city]
        for agency_kpi in city_kpi.agencies:
            agency = c.agency(agency_kpi.agency)
            for d in agency_kpi.datasets:
                spec, status = registry.get(d.dataset), standings.get(d.dataset)
                accepted = getattr(latest_accepted(spec, ctx), "sha256", None)
                out.append(Expected(
                    spec, agency.ckan_name(c.code), d.published,
                    content_sha256=getattr(status, "content_sha256", None), rows=getattr(status, "rows", None),
                    archive_sha256=getattr(status, "archive_sha256", None), overall=d.overall, scores=d.scores,
                    refresh_state=d.refresh_state, days_since_refresh=d.days_since_refresh,
                    last_refreshed_at=d.last_refreshed_at, accepted_sha256=accepted))
    return out


def reconcile(registry: Registry, engine, now: datetime, settings: Settings, resolve: Resolver,
              city: str | None = None, repair: bool = False, remove_unrecorded: bool = False) -> Reconciliation:
    """Compare every open dataset's page with the ledger, agency by agency with its own connection; with
    ``repair``, put right what can be, then compare again. A page the ledger never published is deleted
    (recoverable by a sysadmin) only with ``remove_unrecorded``: a person asks for that, never the daily
    run, which would otherwise empty the portal after a ledger restored from an old backup."""
    from .. import ledger

    ctx = RunContext.create(run_id=f"reconcile-{now:%Y%m%dT%H%M%S}", now=now, settings=settings)
    result = _compare(registry, ledger.statuses(engine), ctx, resolve, city)
    if not repair or not result.drift:
        return result
    repaired = _repair(registry, result, ctx, resolve, remove_unrecorded)
    after = _compare(registry, ledger.statuses(engine), ctx, resolve, city)
    after.repaired = repaired
    return after


def _agencies(expected: list[Expected]) -> dict[tuple[str, str], list[Expected]]:
    grouped: dict[tuple[str, str], list[Expected]] = {}
    for e in expected:
        grouped.setdefault((e.spec.city, e.spec.agency), []).append(e)
    return grouped


def _compare(registry: Registry, standings: dict, ctx: RunContext, resolve: Resolver, city: str | None) -> Reconciliation:
    out, settings = Reconciliation(), ctx.settings
    expected = expectations(registry, standings, ctx, city)
    out.expected = {e.spec.key: e for e in expected}
    for (city_code, agency_code), items in _agencies(expected).items():
        c = registry.cities[city_code]
        agency = c.agency(agency_code)
        try:
            client = CkanClient(access_for(agency, c, resolve, settings), retries=2)
            for e in items:
                pkg = client.show("package_show", e.spec.ckan_name)
                out.drift += page_drift(e, pkg, _datastore_rows(client, pkg))
                out.checked += 1
            out.drift += _orphans(client, agency.ckan_name(c.code), f"{city_code}.{agency_code}",
                                  {e.spec.ckan_name for e in items})
        except OpendataError as exc:
            out.drift.append(Drift(f"{city_code}.{agency_code}", agency.ckan_name(c.code), DriftKind.unreachable,
                                   exc.message[:200], "—", agency=f"{city_code}.{agency_code}"))
    return out


def _datastore_rows(client: CkanClient, pkg: dict | None) -> int | None:
    data = next((r for r in (pkg or {}).get("resources") or [] if r.get("opendata_role") == "data"), None)
    if data is None or not data.get("datastore_active"):
        return None
    try:
        return int(client.call("datastore_search", {"resource_id": data["id"], "limit": 0})["total"])
    except OpendataError:
        return None


def _orphans(client: CkanClient, organization: str, agency: str, known: set[str]) -> list[Drift]:
    """The organization's pages that carry a registry key but are none of the agency's open datasets:
    a spec removed or closed, or a second page claiming a dataset's key (the key is the page's word,
    not the platform's: anyone who can edit the page can write it)."""
    out, start = [], 0
    while True:
        found = client.call("package_search", {"fq": f'organization:"{organization}"', "rows": 500, "start": start,
                                               "include_private": True})
        for pkg in found.get("results") or []:
            key = page_fields(pkg).get("opendata_key")
            if key and pkg["name"] not in known:
                out.append(Drift(key[:200], pkg["name"], DriftKind.orphan, "on the portal",
                                 "not an open dataset of the registry", pkg["id"], agency))
        start += 500
        if start >= int(found.get("count") or 0):
            return out


def _repair(registry: Registry, found: Reconciliation, ctx: RunContext, resolve: Resolver,
            remove_unrecorded: bool) -> list[dict]:
    done: list[dict] = []
    settings = ctx.settings
    by_page: dict[tuple[str, str], list[Drift]] = {}  # by page, not by key: a second page may claim a key
    for d in found.drift:
        by_page.setdefault((d.dataset, d.ckan_name), []).append(d)
    for (key, _), drifts in by_page.items():
        kinds = {d.kind for d in drifts}
        spec = registry.datasets.get(key)
        try:
            gone = DriftKind.orphan if DriftKind.orphan in kinds else \
                DriftKind.unrecorded if DriftKind.unrecorded in kinds and remove_unrecorded else None
            if gone:
                d = next(d for d in drifts if d.kind == gone)
                _client_for(registry, d.agency, settings, resolve).call("package_delete", {"id": d.detail or d.ckan_name})
                done.append({"dataset": key, "action": "deleted", "why": gone.value, "page": d.ckan_name})
                continue
            if spec is None or key not in found.expected:
                continue
            e = found.expected[key]
            c = registry.cities[spec.city]
            agency = c.agency(spec.agency)
            access = access_for(agency, c, resolve, settings)
            publisher = Publisher(CkanClient(access), c, agency, access.url, good_score=settings.compliance.good_score)
            for d in drifts:
                if d.kind == DriftKind.resource_extra:
                    publisher.client.call("resource_delete", {"id": d.detail})
                    done.append({"dataset": key, "action": "resource deleted", "why": d.kind.value, "resource": d.detail})
            if kinds & REPAIR_BY_REPUBLISHING:
                action = _republish(spec, e, ctx, publisher, c.province_code, DriftKind.behind in kinds)
                done.append({"dataset": key, "action": action,
                             "why": ",".join(sorted(k.value for k in kinds & REPAIR_BY_REPUBLISHING))})
            if kinds & (REPAIR_BY_REPUBLISHING | {DriftKind.refresh}) and e.last_refreshed_at:
                publisher.show_refresh(spec, e.refresh_state, e.days_since_refresh or 0, e.last_refreshed_at)
                if DriftKind.refresh in kinds:
                    done.append({"dataset": key, "action": "refresh state written", "why": DriftKind.refresh.value})
        except OpendataError as exc:
            log.warning("could not repair %s: %s", key, exc.message)
            done.append({"dataset": key, "action": "failed", "why": exc.message[:300]})
    return done


def _client_for(registry: Registry, agency: str, settings: Settings, resolve: Resolver) -> CkanClient:
    """The connection of the agency whose organization holds the page (``city.agency``, as compared)."""
    city_code, agency_code = agency.split(".")
    c = registry.cities[city_code]
    return CkanClient(access_for(c.agency(agency_code), c, resolve, settings))


def _republish(spec: DatasetSpec, e: Expected, ctx: RunContext, publisher: Publisher, province_code: int,
               behind: bool) -> str:
    """The ledger's delivery (or, when the portal is behind, the latest accepted one, then recorded) onto
    the portal again, from what the platform kept: the accepted delivery if it is that one, else the
    archive through normalisation again. Its scores and refresh time are the ledger's, not today's."""
    from . import stages

    accepted = stages.latest_accepted(spec, ctx)
    if behind and accepted:
        checked, source = accepted, "latest accepted delivery"
    elif accepted and accepted.sha256 == e.archive_sha256 and accepted.parquet.exists():
        checked, source = accepted, "accepted delivery"
    elif e.archive_sha256:
        archived = stages.from_archive(spec, ctx, e.archive_sha256)
        checked = stages.check(spec, ctx, stages.normalise(spec, ctx, archived), province_code)
        source = f"archive {e.archive_sha256[:12]}…"
    else:
        raise OpendataError(f"{spec.key}: the ledger names no archived delivery to republish / sổ không ghi lần nộp "
                            f"nào để đăng lại", dataset=spec.key, stage=Stage.publish)
    quality = (Quality(checked.overall, checked.scores or {}, checked.warnings) if behind
               else Quality(e.overall, e.scores or {}, checked.warnings))
    refreshed = datetime.fromisoformat(e.last_refreshed_at) if e.last_refreshed_at and not behind else None
    delivery = Delivery(table=checked.parquet, archive_sha256=checked.sha256, quality=quality, now=ctx.now,
                        report_html=checked.report_html, refreshed_at=refreshed)
    result = publisher.publish(spec, delivery, ctx.staging(spec) / "reconcile", repair=True)
    if behind:
        from .outcome import summarise

        left = {Stage.publish: result.asdict(), Stage.check: checked.asdict(), Stage.archive: {"sha256": checked.sha256}}
        stages.record(spec, ctx, summarise(lambda stage, key="return_value": left.get(stage) if key == "return_value"
                                           else None))
    return f"republished from the {source}"
