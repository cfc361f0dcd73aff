"""A typed table into CKAN's DataStore through its API, in chunks, converging after a crash.

The data resource is a DataStore resource (``url_type`` datastore): its CSV download is the
DataStore dump, xloader leaves it alone, and columns carry the spec's types and data dictionary.

Crash safety rests on one marker on the resource, ``datastore_content_sha256``: it names the content
the table holds completely. It is cleared before rows change and set after the last chunk, so a
load killed half-way leaves no marker and the next run reloads in full. When the marker names the
previously published table and the spec has a primary key, only changed rows are upserted and
vanished keys deleted; otherwise the table is emptied and filled again.

Rows go in through the DataStore API (JSON, about 2,500 rows/s: CKAN inserts them one statement per
row) or, when the portal runs the platform's CKAN plugin (deploy/ckanext-opendata), as one gzip CSV
through its ``opendata_datastore_load`` action: PostgreSQL COPY with the old rows truncated in the
same transaction, so the public sees the old table or the new one, never half of it.

Through the plain API a full reload cannot be one transaction, so it goes into a staging resource
(role ``staging``) while the public keeps reading the old, whole table; the staging resource then
becomes the data resource and the old one is deleted. The data resource's id changes with such a
reload (the dataset's page and its name stay). A staging resource left by a killed run is deleted by
the next one.
"""

from __future__ import annotations

import gzip
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..exceptions import PortalNotFound
from ..issues import ROW_COLUMN
from ..spec.models import DatasetSpec
from .client import CkanClient
from .mapping import datastore_fields

log = logging.getLogger(__name__)

MARKER = "datastore_content_sha256"
KEY_FIELD = "datastore_primary_key"  # the table's key as its last datastore_create set it (comma-separated)
CHUNK_ROWS = 10_000
BULK_ACTION = "opendata_datastore_load"
BULK_FROM_ROWS = 20_000  # more changed rows than this: one bulk replace beats upserting them one by one
BULK_SECONDS, BULK_ROWS_PER_SECOND = 300, 5_000  # how long the portal may take to answer a bulk load (it is slower
# than this only when overloaded; then the load is retried, and a load cut short leaves the table as it was)
STAGING_TITLE = "Đang nạp dữ liệu mới, chưa dùng / New data being loaded, not for use"


@dataclass(frozen=True)
class DatastoreLoad:
    resource_id: str
    mode: str  # bulk (one COPY, ckanext-opendata) | staged (API inserts, then a swap) | full (API inserts into a new
    # table) | changes (API upserts and deletes)
    rows_sent: int
    rows_deleted: int
    seconds: float


def records(table: pa.Table) -> list[dict]:
    """JSON-ready rows: dates and times as ISO text (what the DataStore parses into date/timestamp)."""
    columns = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_timestamp(col.type):
            col = pc.strftime(col.cast(pa.timestamp("s", col.type.tz), safe=False), format="%Y-%m-%dT%H:%M:%S")
        elif pa.types.is_date(col.type):
            col = pc.cast(col, pa.string())
        elif pa.types.is_floating(col.type):
            col = pc.if_else(pc.is_nan(col), pa.nulls(len(col), col.type), col)  # NaN is not JSON
        columns[name] = col
    return pa.table(columns).to_pylist()


def _same_dictionary(info: dict | None, wanted: list[dict]) -> bool:
    """Columns, types and data dictionary (labels, notes) as wanted: nothing for datastore_create to change."""
    if not info:
        return False
    have = [(f["id"], f["type"], f.get("info")) for f in info.get("fields", []) if not f["id"].startswith("_")]
    return have == [(f["id"], f["type"], f["info"]) for f in wanted]


def _same_schema(info: dict | None, wanted: list[dict]) -> bool:
    if not info:
        return False
    have = [(f["id"], f["type"]) for f in info.get("fields", []) if not f["id"].startswith("_")]
    return have == [(f["id"], f["type"]) for f in wanted]


Rows = pa.Table | Path  # the table in memory, or a large delivery's normalised Parquet (read a row group at a time)


def row_count(rows: Rows) -> int:
    return rows.num_rows if isinstance(rows, pa.Table) else pq.read_metadata(rows).num_rows


def _batches(rows: Rows) -> Iterator[pa.Table]:
    if isinstance(rows, pa.Table):
        yield rows
        return
    source = pq.ParquetFile(rows)
    public = [n for n in source.schema_arrow.names if n != ROW_COLUMN]
    for group in range(source.num_row_groups):
        yield source.read_row_group(group, columns=public)


def _chunks(rows: Rows, size: int) -> Iterator[pa.Table]:
    for batch in _batches(rows):
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


def changed_rows(new: pa.Table, old: pa.Table) -> pa.Table:
    """Rows of ``new`` with no identical row in ``old`` (new keys and changed values)."""
    return new.join(old, keys=new.column_names, join_type="left anti")


def vanished_keys(new: pa.Table, old: pa.Table, key: list[str]) -> pa.Table:
    return old.select(key).join(new.select(key), keys=key, join_type="left anti")


class DatastoreLoader:
    def __init__(self, client: CkanClient, chunk_rows: int = CHUNK_ROWS,
                 on_chunk: Callable[[int, int], None] | None = None) -> None:
        self.client = client
        self.chunk_rows = chunk_rows
        self.on_chunk = on_chunk  # (rows sent so far, rows in all): progress, and where tests interrupt
        self._bulk: bool | None = None

    def bulk_available(self) -> bool:
        """Does the portal run ckanext-opendata (its bulk action)? Asked once."""
        if self._bulk is None:
            self._bulk = "opendata" in (self.client.call("status_show").get("extensions") or [])
        return self._bulk

    def ensure_resource(self, spec: DatasetSpec, package_id: str, existing: dict | None, title: str,
                        description: str) -> tuple[str, bool]:
        """The data resource with a table of the spec's columns and key. True when the table is new (empty)."""
        fields = datastore_fields(spec)
        key = {"primary_key": list(spec.primary_key)} if spec.primary_key else {}
        key_text = ",".join(spec.primary_key)
        if existing is None:
            created = self.client.call("datastore_create", {
                "resource": {"package_id": package_id, "name": title, "format": "CSV", "description": description,
                             "opendata_role": "data", MARKER: "", KEY_FIELD: key_text},
                "fields": fields, **key})
            return created["resource_id"], True
        rid = existing["id"]
        info = self._info(rid)
        if _same_dictionary(info, fields) and existing.get(KEY_FIELD) == key_text:
            # nothing to change, so no datastore_create: it locks the table, and would wait for the full-text
            # index the portal may still be building after the last load (a bulk load cancels that build instead)
            return rid, False
        fresh = False
        if info is not None and not _same_schema(info, fields):
            log.info("the columns of %s changed: its DataStore table is rebuilt", spec.key)
            self.client.call("resource_patch", {"id": rid, MARKER: ""})
            self.client.call("datastore_delete", {"resource_id": rid, "force": True})
            info = None
        if info is None:
            fresh = True
        # also refreshes the data dictionary (labels, notes) of an existing table
        self.client.call("datastore_create", {"resource_id": rid, "fields": fields, "force": True, **key})
        self.client.call("resource_patch", {"id": rid, KEY_FIELD: key_text})
        return rid, fresh

    def _info(self, rid: str) -> dict | None:
        try:
            return self.client.call("datastore_info", {"id": rid})
        except PortalNotFound:
            return None

    def load(self, spec: DatasetSpec, rid: str, table: Rows, content_sha: str, marker: str | None,
             previous: pa.Table | None, previous_sha: str | None, fresh: bool) -> DatastoreLoad:
        """The table's rows in the DataStore; the returned ``resource_id`` is the data resource after the
        load (a new one after a staged reload). A large table (a Path) is always loaded whole."""
        started = time.monotonic()
        total = row_count(table)
        incremental = (not fresh and bool(spec.primary_key) and previous is not None and previous_sha is not None
                       and marker == previous_sha and isinstance(table, pa.Table) and previous.schema.equals(table.schema))
        deleted = 0
        if incremental:
            send, method = changed_rows(table, previous), "upsert"
            if send.num_rows > BULK_FROM_ROWS and self.bulk_available():
                incremental = False
        if not incremental and not fresh and not self.bulk_available():
            staged = self._load_staged(spec, rid, table, content_sha)
            return DatastoreLoad(staged, "staged", total, 0, round(time.monotonic() - started, 3))
        self.client.call("resource_patch", {"id": rid, MARKER: ""})  # from here until the end the table is in flux
        if incremental:
            gone = vanished_keys(table, previous, list(spec.primary_key))
            deleted = self._delete_keys(rid, gone, list(spec.primary_key))
        elif self.bulk_available():
            sent = self._load_bulk(rid, table)
            self.client.call("resource_patch", {"id": rid, MARKER: content_sha})
            return DatastoreLoad(rid, "bulk", sent, 0, round(time.monotonic() - started, 3))
        else:
            send, method = table, "insert"  # a fresh, empty table: nobody reads it yet
        sent = self._send(rid, send, method)
        self.client.call("resource_patch", {"id": rid, MARKER: content_sha})
        mode = "changes" if incremental else "full"
        return DatastoreLoad(rid, mode, sent, deleted, round(time.monotonic() - started, 3))

    def _send(self, rid: str, rows: Rows, method: str) -> int:
        sent, total = 0, row_count(rows)
        for chunk in _chunks(rows, self.chunk_rows):
            self.client.call("datastore_upsert", {"resource_id": rid, "records": records(chunk), "method": method,
                                                  "force": True, "calculate_record_count": False})
            sent += chunk.num_rows
            if self.on_chunk:
                self.on_chunk(sent, total)
        return sent

    def _load_staged(self, spec: DatasetSpec, rid: str, table: Rows, content_sha: str) -> str:
        """A full reload through the plain API: the rows into a staging resource of the same dataset while
        the public reads the old table, whole, under its own marker; then the swap: the staging resource
        takes the data resource's name, description and role, and the old one (and any staging resource a
        killed run left) is deleted, its table with it."""
        current = self.client.call("resource_show", {"id": rid})
        package_id = current["package_id"]
        self._drop_resources(package_id, "staging", keep="")
        key = {"primary_key": list(spec.primary_key)} if spec.primary_key else {}
        staged = self.client.call("datastore_create", {
            "resource": {"package_id": package_id, "name": STAGING_TITLE, "format": "CSV", "opendata_role": "staging",
                         MARKER: "", KEY_FIELD: ",".join(spec.primary_key)},
            "fields": datastore_fields(spec), **key})["resource_id"]
        self._send(staged, table, "insert")
        self.client.call("resource_patch", {"id": staged, "name": current.get("name") or "", "opendata_role": "data",
                                            "description": current.get("description") or "", MARKER: content_sha})
        self._drop_resources(package_id, "data", keep=staged)
        self.client.call("package_resource_reorder", {"id": package_id, "order": [staged]})  # data first, as before
        return staged

    def _drop_resources(self, package_id: str, role: str, keep: str) -> None:
        pkg = self.client.call("package_show", {"id": package_id})
        for res in pkg.get("resources", []):
            if res.get("opendata_role") in (role, "staging") and res["id"] != keep:
                self.client.call("resource_delete", {"id": res["id"]})  # the DataStore drops its table too

    def _load_bulk(self, rid: str, table: Rows) -> int:
        """The whole table as one gzip CSV through ckanext-opendata: truncate and COPY in one transaction.
        The CSV is written to a temporary file a row group at a time and streamed from there: memory stays
        that of one row group whatever the table's size."""
        total = row_count(table)
        with tempfile.TemporaryFile(prefix="opendata-load-", suffix=".csv.gz") as body:
            with gzip.GzipFile(fileobj=body, mode="wb", compresslevel=1) as packed:  # ~5× smaller on the wire
                writer = None
                for batch in _batches(table):
                    writer = writer or pacsv.CSVWriter(packed, batch.schema,
                                                       write_options=pacsv.WriteOptions(include_header=True, batch_size=65_536))
                    writer.write_table(batch)
                if writer is not None:
                    writer.close()
            if self.on_chunk:
                self.on_chunk(0, total)
            result = self.client.call(BULK_ACTION, {"resource_id": rid, "replace": True}, files={"upload": body},
                                      read_timeout_s=BULK_SECONDS + total / BULK_ROWS_PER_SECOND)
        if self.on_chunk:
            self.on_chunk(total, total)
        return int(result["rows"])

    def _delete_keys(self, rid: str, keys: pa.Table, key: list[str]) -> int:
        if keys.num_rows == 0:
            return 0
        if len(key) == 1:
            values = records(keys)
            for start in range(0, len(values), 1000):
                batch = [v[key[0]] for v in values[start:start + 1000]]
                self.client.call("datastore_delete", {"resource_id": rid, "filters": {key[0]: batch}, "force": True})
        else:
            for row in records(keys):
                self.client.call("datastore_delete", {"resource_id": rid, "filters": row, "force": True})
        return keys.num_rows

    def ensure_table_view(self, rid: str) -> None:
        """The datatables view, so the page shows a searchable table (CKAN adds it only if the table existed first)."""
        views = self.client.call("resource_view_list", {"id": rid})
        if not any(v.get("view_type") == "datatables_view" for v in views):
            self.client.call("resource_view_create", {"resource_id": rid, "view_type": "datatables_view",
                                                      "title": "Bảng dữ liệu / Data table"})
