"""``opendata_datastore_load``: a DataStore table's rows from one uploaded CSV, in one transaction.

The DataStore API takes JSON records and inserts them one statement per row (≈2,500 rows/s here);
PostgreSQL's COPY takes the same rows in bulk. The caller must be allowed ``datastore_upsert`` on the
resource (an editor of the dataset's organization), exactly as for the API it replaces. With
``replace`` (the default) the old rows are truncated in the same transaction, so readers see the old
table or the new one, never a half-loaded one, and a client killed mid-upload changes nothing.
The CSV is UTF-8 with a header of column names (a subset of the table's), optionally gzip-compressed.

Speed: CKAN's per-row trigger fills ``_full_text`` (the words ``datastore_search?q=`` finds) and its
GiST index row by row, which costs ~90 % of a plain load. Here the rows are copied into a scratch
table, their ``_full_text`` computed by a parallel query (``to_tsvector`` is most of the work, and
PostgreSQL splits it over its workers: a temporary table would keep it on one), then inserted with
it, CKAN's row trigger switched off for that insert (it would leave the filled value alone, at a call per
row). The table itself is touched only for that insert: until
then its readers read the old rows, and a replace (TRUNCATE) locks them out only while the rows go in
(a seventh of the load at 1M rows), not while the file is uploaded and its words computed. On a full
replace the GiST index is dropped and built again once, after the commit, by CKAN's job worker
(``fulltext``). The scratch tables are created inside the load's transaction: a failed or killed load
leaves none behind. The words are those of CKAN's trigger: every non-underscore column as text, in
column order.
"""

from __future__ import annotations

import gzip
import io
import logging
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from . import fulltext

log = logging.getLogger(__name__)


def load_auth(context: dict, data_dict: dict) -> dict:
    """Whoever may upsert rows into the resource's table (editors of its organization)."""
    try:
        tk.check_access("datastore_upsert", context, {"resource_id": data_dict.get("resource_id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": "not allowed to change this DataStore table"}
    return {"success": True}


def _text_stream(upload: Any) -> io.BufferedIOBase:
    stream = getattr(upload, "stream", None) or getattr(upload, "file", None) or upload
    if not hasattr(stream, "read"):
        raise tk.ValidationError({"upload": ["a CSV file is required / cần tệp CSV"]})
    buffered = io.BufferedReader(stream) if not hasattr(stream, "peek") else stream
    if buffered.peek(2)[:2] == b"\x1f\x8b":
        return io.BufferedReader(gzip.GzipFile(fileobj=buffered))
    return buffered


def opendata_datastore_load(context: dict, data_dict: dict) -> dict:
    from ckanext.datastore.backend.postgres import get_write_engine, identifier

    rid = tk.get_or_bust(data_dict, "resource_id")
    tk.check_access("opendata_datastore_load", context, data_dict)
    replace = tk.asbool(data_dict.get("replace", True))
    info = tk.get_action("datastore_info")({**context, "ignore_auth": True}, {"id": rid})
    known = [f["id"] for f in info["fields"]]
    stream = _text_stream(data_dict.get("upload"))
    header = stream.readline().decode("utf-8-sig").strip()
    columns = [c.strip().strip('"') for c in header.split(",")] if header else []
    unknown = [c for c in columns if c not in known]
    if not columns or unknown:
        raise tk.ValidationError({"upload": [f"the CSV header names no or unknown columns: {unknown or header!r}"]})
    table = identifier(rid)
    types = {f["id"]: f["type"] for f in info["fields"]}
    cols = ", ".join(identifier(c) for c in columns)
    words = ", ".join(f"to_json(s.{identifier(c)}) #>> '{{}}'" if types[c].startswith("timestamp") else f"s.{identifier(c)}::text"
                      for c in known if not c.startswith("_") and c in columns)  # in the table's order, as the trigger
    # does (JSON text for times); a column the file leaves out is empty in every row and adds no word
    import psycopg2

    try:
        with get_write_engine().begin() as conn:
            conn.execute(sa.text("SET LOCAL lock_timeout = '30s'"))
            # one load of a table at a time: two would each hold a reader's lock on it (the scratch table is made
            # from its columns) and deadlock when both came to truncate it; the second waits, as for the table itself
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:rid, 17))"), {"rid": rid})
            # scratch tables of this load only, gone with its transaction whatever happens (rolled back, or dropped)
            scratch = f"opendata_load_{uuid.uuid4().hex}"
            rows_in, words_in = identifier(scratch), identifier(scratch + "_ft")
            conn.execute(sa.text(f"CREATE UNLOGGED TABLE {rows_in} AS SELECT {cols} FROM {table} WITH NO DATA"))
            # each row's place in the file: the parallel query below returns rows in any order, so the row's _id (the
            # DataStore's order: its API and CSV download sort by it) is set from its place, not from the insert order
            conn.execute(sa.text(f"ALTER TABLE {rows_in} ADD COLUMN _opendata_n bigint GENERATED ALWAYS AS IDENTITY"))
            cursor = conn.connection.cursor()
            cursor.copy_expert(f"COPY {rows_in} ({cols}) FROM STDIN WITH (FORMAT csv, ENCODING 'UTF8')", stream)
            conn.execute(sa.text(f"ANALYZE {rows_in}"))  # its size, so the planner splits the next scan over workers
            for setting in ("parallel_setup_cost = 0", "parallel_tuple_cost = 0", "min_parallel_table_scan_size = 0"):
                conn.execute(sa.text(f"SET LOCAL {setting}"))
            conn.execute(sa.text(f"CREATE UNLOGGED TABLE {words_in} AS SELECT s.*, to_tsvector(concat_ws(' ', {words})) "
                                 f"AS _opendata_words FROM {rows_in} s"))
            # its rows are in words_in now; a table made in this transaction is truncated in place: its disk comes back
            # before the insert (a DROP would free it only at commit), gigabytes for a file of tens of millions of rows
            conn.execute(sa.text(f"TRUNCATE TABLE {rows_in}"))
            # Only now is the table itself touched: the upload, the COPY and the words (most of the load) are done
            # while its readers go on reading the old rows; they wait only for the insert below. A replace truncates
            # it; an append locks out other writers (no insert by the API may take the same _ids meanwhile)
            fulltext.hold(conn, table, replace)
            rebuild = fulltext.set_aside(conn, rid, drop=replace)
            before = conn.execute(sa.text(f"SELECT coalesce(max(_id), 0) FROM {table}")).scalar()
            with fulltext.trigger_off(conn, rid):  # the words are there already: CKAN's row trigger would only
                inserted = conn.execute(sa.text(  # return early, at a plpgsql call per row (a fifth of the insert)
                    f"INSERT INTO {table} (_id, {cols}, _full_text) SELECT :before + s._opendata_n, "
                    f"{', '.join('s.' + identifier(c) for c in columns)}, s._opendata_words FROM {words_in} s"),
                    {"before": before})
            rows = inserted.rowcount
            conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence(:t, '_id'), greatest(max(_id), 1), max(_id) IS NOT NULL) "
                                 f"FROM {table}"), {"t": table})  # the next row added by the API follows on
            conn.execute(sa.text(f"DROP TABLE {words_in}, {rows_in}"))
            # CKAN's cached row count, counted while the table is held; its calculate_record_count would also
            # ANALYZE it after the commit, which deadlocks with an index build: the build's job analyses it
            conn.execute(sa.text("SELECT update_cached_table_row_count(:t)"), {"t": rid})
    except (psycopg2.DataError, psycopg2.IntegrityError, sa.exc.DataError, sa.exc.IntegrityError) as exc:
        raise tk.ValidationError({"records": [str(getattr(exc, "orig", exc)).strip()[:1000]]}) from None
    index = fulltext.rebuild_later(rid, rebuild)
    log.info("opendata_datastore_load: %s rows into %s (replace=%s, full-text index %s)", rows, rid, replace, index)
    return {"resource_id": rid, "rows": rows, "replaced": replace, "full_text_index": index}


@tk.chained_action
def datastore_delete(original_action, context: dict, data_dict: dict) -> dict:
    """CKAN's ``datastore_delete``; when it drops the whole table (no filters), a full-text index build
    still running on it (``fulltext``) is cancelled first, once the caller is known to be allowed: the
    drop would otherwise wait for the build, minutes on a large table (deleting a resource does this too)."""
    if not data_dict.get("filters"):
        rid = data_dict.get("resource_id") or data_dict.get("id")
        if rid:
            tk.check_access("datastore_delete", context, data_dict)
            fulltext.stop_building_on(rid)
    return original_action(context, data_dict)
