"""The full-text index of a DataStore table (the GiST index on ``_full_text`` that CKAN creates for
``datastore_search?q=``), rebuilt after a bulk load has committed, by CKAN's job worker.

Why after: a replace load truncates the table, which locks it against every reader until the load
commits; the index build was the longest step inside that lock (15 of 35 s at 1M rows). Built after
the commit with CREATE INDEX CONCURRENTLY, it blocks neither readers nor writers; until it is ready a
``q`` search scans the table and finds the same rows, only slower.

A newer load of the same table does not wait for a build still running: it cancels it (the build
leaves an invalid index, which the load drops with the valid ones) and queues its own.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

log = logging.getLogger(__name__)

FULL_TEXT_INDEXES = ("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = :t "
                     "AND indexdef LIKE '%(_full_text)%'")
JOB_TIMEOUT_S = 6 * 3600  # a build over tens of millions of rows takes minutes; CKAN's default job timeout is 180 s


def stop_building(conn, table: str) -> int:
    """Cancel any index build running on ``table`` (a quoted identifier; a table that does not exist has
    none): the caller is about to truncate or drop it, which would otherwise wait for the build (and a
    load time out). Returns how many were cancelled."""
    cancelled = conn.execute(sa.text(
        "SELECT pg_cancel_backend(pid) FROM pg_stat_progress_create_index WHERE relid = to_regclass(:t)"),
        {"t": table}).fetchall()
    return len(cancelled)


def stop_building_on(resource_id: str) -> int:
    """:func:`stop_building` on the resource's table, in a connection of its own."""
    from ckanext.datastore.backend.postgres import get_write_engine, identifier

    with get_write_engine().connect() as conn:
        return stop_building(conn.execution_options(isolation_level="AUTOCOMMIT"), identifier(resource_id))


def build_indexes(resource_id: str, indexes: list[list[str]]) -> None:
    """The job: each ``(name, definition)`` (as pg_indexes gave them before the load dropped them) built
    again concurrently. An invalid leftover of a cancelled build is dropped first; an index already
    there and valid is left alone, so a job run twice does nothing the second time. A table deleted
    meanwhile is nothing to index."""
    from ckanext.datastore.backend.postgres import get_write_engine, identifier

    with get_write_engine().connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # CONCURRENTLY refuses a transaction block
        for name, definition in indexes:
            valid = conn.execute(sa.text(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = :name"),
                {"name": name}).scalar()
            if valid is False:
                conn.execute(sa.text(f"DROP INDEX CONCURRENTLY IF EXISTS {identifier(name)}"))
            if not definition.startswith("CREATE INDEX "):
                raise ValueError(f"not an index definition: {definition[:80]!r}")
            try:
                conn.execute(sa.text("CREATE INDEX CONCURRENTLY IF NOT EXISTS " + definition[len("CREATE INDEX "):]))
            except sa.exc.ProgrammingError as exc:
                if "does not exist" not in str(exc.orig):
                    raise
                log.info("full-text index of %s: the table is gone", resource_id)
                return
            except sa.exc.OperationalError as exc:
                if "canceling statement due to user request" not in str(exc.orig):
                    raise
                log.info("full-text index of %s: cancelled by a newer load, which builds it again", resource_id)
                return
    log.info("full-text index of %s: built", resource_id)


def rebuild_later(resource_id: str, indexes: list[list[str]]) -> str:
    """Queue the build for CKAN's job worker; without a queue (redis unreachable) build it here, after the
    commit, so that a table never stays without its index. Returns what happened: queued, or built."""
    import ckan.plugins.toolkit as tk
    from redis.exceptions import RedisError

    if not indexes:
        return "unchanged"
    try:
        tk.enqueue_job(build_indexes, [resource_id, indexes], title=f"opendata: full-text index of {resource_id}",
                       rq_kwargs={"timeout": JOB_TIMEOUT_S})
        return "queued"
    except RedisError as exc:
        log.warning("full-text index of %s: no job queue (%s), built now", resource_id, exc)
        build_indexes(resource_id, indexes)
        return "built"
