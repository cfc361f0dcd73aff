"""Make the portal show one delivery: dataset metadata, typed DataStore, Parquet, quality report.

Order matters for crash safety. Metadata first (keeping the previous delivery's fingerprints), then
the DataStore (see publish.datastore), then the files, and only at the end the dataset's
``content_sha256``: a run killed anywhere before that is redone in full by the next run, which finds
the same dataset and resources by name and updates them in place (never a duplicate). The same
content as last time uploads nothing; only ``last_checked_at`` moves.

A publisher acts for one agency: a spec of any other agency or city is refused before any call.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..exceptions import OpendataError, PublishError
from ..issues import ROW_COLUMN
from ..spec.models import Agency, City, Classification, DatasetSpec
from ..stage_result import StageResult
from ..vocabulary.portal import RESOURCE_TITLES
from .client import CkanClient
from .datastore import MARKER, DatastoreLoader, row_count
from .mapping import (
    Quality,
    dataset_dict,
    delivery_fields,
    organization_dict,
    page_fields,
    quality_line,
    refresh_fields,
    spec_fields,
    with_refresh,
)

log = logging.getLogger(__name__)
ROLES = tuple(RESOURCE_TITLES)  # the resources the platform writes, by the role stamped on each
DAY_COUNT = "days_since_refresh"  # moves every day: written with a change, never a change by itself


@dataclass(frozen=True)
class Delivery:
    """What the quality stage accepted, ready to publish."""

    table: Path  # the normalised Parquet (with _source_row)
    archive_sha256: str
    quality: Quality
    now: datetime
    report_html: Path | None = None
    previous_table: Path | None = None  # the last published normalised Parquet, for changes-only loads
    refreshed_at: datetime | None = None  # when the agency delivered it, if not ``now`` (a repair's republish)


@dataclass(frozen=True)
class Publication(StageResult):
    dataset: str
    ckan_name: str
    url: str
    resource_ids: dict[str, str]
    content_sha256: str
    outcome: str  # created | updated | unchanged
    datastore: dict = field(default_factory=dict)
    content_newest: str | None = None  # the newest value of the date column (content currency)
    rows: int | None = None  # of the published table (what the DataStore must hold)

    @property
    def resource_id(self) -> str:
        return self.resource_ids["data"]

    def asdict(self) -> dict:
        return {**super().asdict(), "resource_id": self.resource_id}


def public_table(path: Path) -> pa.Table:
    table = pq.read_table(path)
    return table.drop_columns([ROW_COLUMN]) if ROW_COLUMN in table.column_names else table


def is_large(path: Path) -> bool:
    """A normalised table of several row groups (normalise.stream wrote it in blocks): never read whole."""
    return pq.read_metadata(path).num_row_groups > 1


def write_public(table: pa.Table | Path, path: Path) -> str:
    """The published Parquet (deterministic bytes for the same table) and its sha256: the content fingerprint.
    A large normalised table (a Path) is copied a row group at a time, without its ``_source_row``."""
    if isinstance(table, Path):
        source = pq.ParquetFile(table)
        schema = source.schema_arrow
        schema = schema.remove(schema.get_field_index(ROW_COLUMN)) if ROW_COLUMN in schema.names else schema
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for group in range(source.num_row_groups):
                writer.write_table(source.read_row_group(group, columns=schema.names))
    else:
        pq.write_table(table, path, compression="zstd")
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def temporal_coverage(spec: DatasetSpec, table: pa.Table | Path) -> tuple[str, str] | None:
    if isinstance(table, Path):  # a large table: its date column alone
        names = pq.read_schema(table).names
        table = pq.read_table(table, columns=[spec.date_column]) if spec.date_column in names else pa.table({})
    if not spec.date_column or spec.date_column not in table.column_names or table.num_rows == 0:
        return None
    lo_hi = pc.min_max(table.column(spec.date_column)).as_py()
    if lo_hi["min"] is None:
        return None
    return lo_hi["min"].isoformat()[:10], lo_hi["max"].isoformat()[:10]


def _resource(pkg: dict | None, role: str) -> dict | None:
    """Our resources are found by the role we stamp on them, never by position: titles may change."""
    return next((r for r in (pkg or {}).get("resources", []) if r.get("opendata_role") == role), None)


class Publisher:
    def __init__(self, client: CkanClient, city: City, agency: Agency, portal_url: str, loader: DatastoreLoader | None = None,
                 good_score: float = 80):
        self.client, self.city, self.agency, self.portal_url = client, city, agency, portal_url.rstrip("/")
        self.loader = loader or DatastoreLoader(client)
        self.good_score = good_score  # from which the page's quality band says "high" (settings.compliance)

    def refuse_foreign(self, spec: DatasetSpec) -> None:
        """Before any call: only open data of this publisher's own agency and city."""
        if spec.agency != self.agency.code or spec.city != self.city.code:
            raise PublishError(f"'{spec.key}' belongs to {spec.city}/{spec.agency}: the publisher of "
                               f"{self.city.code}/{self.agency.code} refuses to publish it "
                               f"/ không được đăng dữ liệu của đơn vị khác", dataset=spec.key, stage="publish", status=403)
        if spec.classification != Classification.open:
            raise PublishError(f"'{spec.key}' is {spec.classification.value}: only open data is published",
                               dataset=spec.key, stage="publish")

    def organization(self) -> dict:
        """The agency's organization; created or updated only by a token allowed to (provisioning does it)."""
        wanted = organization_dict(self.agency, self.city.code)
        current = self.client.show("organization_show", wanted["name"])
        if current is None:
            try:
                return self.client.call("organization_create", wanted)
            except PublishError as exc:
                raise PublishError(f"organization '{wanted['name']}' does not exist and this token may not create it: "
                                   f"run 'opendata portal provision' ({exc.message})", stage="publish") from None
        return current

    def publish(self, spec: DatasetSpec, delivery: Delivery, workdir: Path, repair: bool = False) -> Publication:
        """The delivery onto the portal, the page's new fields written last. ``repair`` (opendata reconcile):
        redo every step, the DataStore table in full, even when the page claims this content already."""
        self.refuse_foreign(spec)
        large = is_large(delivery.table)  # then it goes on from its file, a row group at a time
        table: pa.Table | Path = delivery.table if large else public_table(delivery.table)
        rows = row_count(table)
        workdir.mkdir(parents=True, exist_ok=True)
        parquet = workdir / f"{spec.id}.parquet"
        content_sha = write_public(table, parquet)
        org = self.organization()
        current = self.client.show("package_show", spec.ckan_name)
        if current and current.get("owner_org") != org["id"]:
            raise PublishError(f"dataset '{spec.ckan_name}' belongs to another organization; refusing to take it over",
                               dataset=spec.key, stage="publish", status=403)
        now = delivery.now.isoformat(timespec="seconds")
        refreshed = (delivery.refreshed_at or delivery.now).isoformat(timespec="seconds")
        old = page_fields(current)
        data_res = _resource(current, "data")
        if (not repair and current and current.get("state", "active") == "active" and data_res
                and old.get("content_sha256") == content_sha
                and data_res.get(MARKER) == content_sha and _resource(current, "parquet")
                and (_resource(current, "report") or not delivery.report_html)):
            self.client.call("package_patch", {"id": current["id"], "last_checked_at": now,
                                               **self._rescored(current, old, delivery.quality)})
            return self._result(spec, current, content_sha, "unchanged", {}, old.get("temporal_coverage_end"), rows)

        # 1. metadata: what the spec says; everything the previous delivery said (scores, refresh, hashes,
        # the description's quality line) stays until step 4, so a run killed in between leaves a page that
        # is the old delivery throughout (and a DataStore marker that says the table is in flux)
        temporal = temporal_coverage(spec, table)
        new_fields = {**spec_fields(spec, self.city), **delivery_fields(
            delivery.quality, delivery.archive_sha256, content_sha, refreshed, now, temporal, self.good_score)}
        body = dataset_dict(spec, self.agency, self.city, org["id"], {**old, **spec_fields(spec, self.city)},
                            Quality(None), refreshed)
        if current:
            body["notes"] = current.get("notes") or body["notes"]
            pkg = self.client.call("package_patch", {**body, "id": current["id"]})
        else:
            pkg = self.client.call("package_create", body)
        # 2. the typed DataStore table
        description = (f"Dữ liệu đã kiểm tra chất lượng, tải về CSV (UTF-8) / Quality-checked data, CSV download (UTF-8): "
                       f"{spec.title.en or spec.title.vi}")
        rid, fresh = self.loader.ensure_resource(spec, pkg["id"], data_res, RESOURCE_TITLES["data"], description)
        previous = public_table(delivery.previous_table) if (
            not repair and not large and delivery.previous_table and delivery.previous_table.exists()
            and not is_large(delivery.previous_table)) else None  # a large table is replaced whole
        load = self.loader.load(spec, rid, table, content_sha, (data_res or {}).get(MARKER), previous,
                                old.get("content_sha256"), fresh)
        self.loader.ensure_table_view(load.resource_id)
        # 3. files: Parquet and the quality report, updated in place by name
        pkg = self.client.call("package_show", {"id": pkg["id"]})
        self._upload(pkg, "parquet", "Parquet", "application/vnd.apache.parquet", parquet,
                     "Cùng dữ liệu, định dạng Parquet có kiểu / The same data as typed Parquet")
        if delivery.report_html and delivery.report_html.exists():
            self._upload(pkg, "report", "HTML", "text/html", delivery.report_html,
                         "Báo cáo chất lượng của lần cập nhật này / Quality report of this delivery")
        # 4. commit: the dataset now shows this delivery
        final = dataset_dict(spec, self.agency, self.city, org["id"], new_fields, delivery.quality, refreshed)
        pkg = self.client.call("package_patch", {"id": pkg["id"], "notes": final["notes"], **new_fields})
        return self._result(spec, pkg, content_sha, "updated" if current else "created",
                            {"mode": load.mode, "rows_sent": load.rows_sent, "rows_deleted": load.rows_deleted,
                             "seconds": load.seconds}, temporal[1] if temporal else None, rows)

    def _rescored(self, current: dict, old: dict[str, str], quality: Quality) -> dict[str, str]:
        """The same table judged again can score otherwise (a rule that compares with the previous delivery):
        the page then shows the new scores, as the ledger records them, with its description's first line."""
        scores = {k: v for k, v in delivery_fields(quality, "", "", "", "", None, self.good_score).items()
                  if k.startswith("quality_")}
        if all(old.get(k) == v for k, v in scores.items()):
            return {}
        notes = current.get("notes") or ""
        head, sep, rest = notes.partition("\n\n")
        if head.startswith("**Chất lượng / Quality:"):
            notes = quality_line(quality, old.get("last_refreshed_at") or "", old.get("refresh_state") or "fresh") + sep + rest
        return {**scores, "notes": notes}

    def show_refresh(self, spec: DatasetSpec, refresh: str, days_since_refresh: int, refreshed_at: str,
                     answers: dict[str, bool] | None = None) -> tuple[bool, dict | None]:
        """Today's refresh state on the dataset's page, so a dataset that stops arriving turns due, overdue,
        delinquent in public without a delivery, and its metadata quality (quality.mqa, with the link
        check's ``answers``). One patch when one of them changed, never for the day count alone: a patch a
        day would put an "updated the dataset" in its activity stream every day (and re-index it); the
        panel counts the days from ``last_refreshed_at`` as it is shown, and ``days_since_refresh`` is the
        count at the last change. False when the page said so already (or the dataset is not on the
        portal); with the page's MQA score."""
        from ..quality.mqa import score_package

        self.refuse_foreign(spec)
        current = self.client.show("package_show", spec.ckan_name)
        if current is None:
            return False, None
        old = page_fields(current)
        dcat = self._dcat_ap_verdict(current, old)
        mqa = score_package(current, (answers or {}).get, dcat.get("dcat_ap_conforms") == "true" if dcat else None)
        wanted = {**refresh_fields(refresh, days_since_refresh), **mqa.fields(), **dcat}
        if all(old.get(k) == v for k, v in wanted.items() if k != DAY_COUNT):
            return False, mqa.asdict()
        self.client.call("package_patch", {"id": current["id"], **wanted,
                                           "notes": with_refresh(current.get("notes") or "", refresh, refreshed_at)})
        return True, mqa.asdict()

    def _dcat_ap_verdict(self, current: dict, old: dict[str, str]) -> dict[str, str]:
        """Whether the page's DCAT (ckanext-dcat's /dataset/<name>.ttl) passes the DCAT-AP 3 shapes: checked
        once per published content (``dcat_ap_checked``), so the daily run validates only new deliveries.
        Empty when the portal serves no DCAT (the MQA indicator then says it was not validated)."""
        from .catalogue import dataset_graph, shacl_violations

        content = old.get("content_sha256") or ""
        if content and old.get("dcat_ap_checked") == content and old.get("dcat_ap_conforms") in ("true", "false"):
            return {k: old[k] for k in ("dcat_ap_checked", "dcat_ap_conforms", "dcat_ap_violations") if k in old}
        try:
            violations = shacl_violations(dataset_graph(self.portal_url, current["name"]))
        except (OpendataError, ValueError, SyntaxError) as exc:  # no DCAT endpoint, or a page that is not Turtle
            log.warning("DCAT of %s not validated: %s", current["name"], exc)
            return {}
        return {"dcat_ap_checked": content, "dcat_ap_conforms": "false" if violations else "true",
                "dcat_ap_violations": str(len(violations))}

    def _upload(self, pkg: dict, role: str, fmt: str, mimetype: str, path: Path, description: str) -> dict:
        existing = _resource(pkg, role)
        resource = {"package_id": pkg["id"], "name": RESOURCE_TITLES[role], "format": fmt, "mimetype": mimetype,
                    "description": description, "opendata_role": role}
        with open(path, "rb") as fh:
            if existing:
                return self.client.call("resource_patch", {**resource, "id": existing["id"]}, files={"upload": fh})
            return self.client.call("resource_create", resource, files={"upload": fh})

    def _result(self, spec: DatasetSpec, pkg: dict, content_sha: str, outcome: str, datastore: dict,
                content_newest: str | None, rows: int) -> Publication:
        pkg = pkg if pkg.get("resources") is not None else self.client.call("package_show", {"id": pkg["id"]})
        ids = {role: (_resource(pkg, role) or {}).get("id", "") for role in ROLES}
        return Publication(spec.key, spec.ckan_name, f"{self.portal_url}/dataset/{spec.ckan_name}", ids, content_sha,
                           outcome, datastore, content_newest, rows)

