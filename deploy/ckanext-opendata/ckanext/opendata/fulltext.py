"""The full-text index of a DataStore table (the GiST index on ``_full_text`` that CKAN creates for
``datastore_search?q=``), rebuilt after a bulk load has committed, by CKAN's job worker.

Why after: a replace load truncates the table, which locks it against every reader until the load
commits; the index build was the longest step inside that lock (15 of 35 s at 1M rows). Built after
the commit with CREATE INDEX CONCURRENTLY, it blocks neither readers nor writers; until it is ready a
``q`` search scans the table and finds the same rows, only slower.

A newer load of the same table does not wait for a build still running: it cancels it (the build
leaves an invalid index, which the load drops with the valid ones) and queues its own.

A table found without any full-text index (CKAN stopped between a load's commit and the queueing of its
build, or an index dropped by hand) gets CKAN's own definition back at its next load: otherwise no
later load would list one to rebuild, and every search would scan the table for good.

The words themselves (``_full_text``) are computed by the load; CKAN's row trigger, which computes them
for rows added through its API, is off for the load's insert only (:func:`trigger_off`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

log = logging.getLogger(__name__)

FULL_TEXT_INDEXES = ("SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i "
                     "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(:t) "
                     "AND pg_get_indexdef(i.indexrelid) LIKE '%(_full_text)%'")
BUILD_ATTEMPTS = 3
HOLD_ATTEMPTS, HOLD_WAIT_S = 6, 5  # a reader's long query may hold the table: up to 30 s in all, as before
JOB_TIMEOUT_S = 6 * 3600  # a build over tens of millions of rows takes minutes; CKAN's default job timeout is 180 s


def standard_index(resource_id: str) -> list[str]:
    """(name, definition) of the index CKAN's ``datastore_create`` makes on ``_full_text``: its name is
    CKAN's (a SHA-1 of the table and the quoted column), its method the portal's configured one."""
    import ckan.plugins.toolkit as tk

    from ckanext.datastore.backend.postgres import identifier

    method = tk.config.get("ckan.datastore.default_fts_index_method") or "gist"
    if method not in ("gist", "gin"):
        raise ValueError(f"ckan.datastore.default_fts_index_method: gist or gin, not {method!r}")
    name = hashlib.sha1((resource_id + identifier("_full_text")).encode("utf-8")).hexdigest()
    return [name, f"CREATE INDEX {identifier(name)} ON public.{identifier(resource_id)} USING {method} (_full_text)"]


def hold(conn, table: str, replace: bool) -> None:
    """The table (a quoted identifier) held for a load's insert: truncated (a replace) or locked against
    other writers (an append). An index build would hold either up, and one that starts meanwhile
    deadlocks with it (the build waits for this transaction, which waits for the build's lock): builds
    are cancelled first, and the statement tried again, within a savepoint, while one is in the way."""
    import psycopg2.errorcodes as codes

    statement = f"TRUNCATE TABLE {table} RESTART IDENTITY" if replace else f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"
    for attempt in range(1, HOLD_ATTEMPTS + 1):
        stop_building(conn, table)
        step = conn.begin_nested()
        try:
            conn.execute(sa.text(f"SET LOCAL lock_timeout = '{HOLD_WAIT_S}s'"))
            conn.execute(sa.text(statement))
        except sa.exc.OperationalError as exc:
            step.rollback()
            if getattr(exc.orig, "pgcode", None) not in (codes.LOCK_NOT_AVAILABLE, codes.DEADLOCK_DETECTED) \
                    or attempt == HOLD_ATTEMPTS:
                raise
            log.info("%s: held up (%s), attempt %d", table, exc.orig.pgcode, attempt)
            continue
        step.commit()
        return


def set_aside(conn, resource_id: str, drop: bool) -> list[list[str]]:
    """The full-text indexes a load builds after its commit. With ``drop`` (a replace, which holds the
    table truncated) those of the table are dropped, to be built once when the rows are in rather than
    row by row. Otherwise (an append) the valid ones stay and take the new rows, and an invalid one (a
    build cancelled by :func:`hold`) is built again. None at all: CKAN's own, built after the commit."""
    from ckanext.datastore.backend.postgres import identifier

    present = conn.execute(sa.text(FULL_TEXT_INDEXES), {"t": identifier(resource_id)}).fetchall()
    if not present:
        return [standard_index(resource_id)]
    if not drop:
        return [[name, definition] for name, definition, valid in present if not valid]
    for name, _, _ in present:
        conn.execute(sa.text(f"DROP INDEX {identifier(name)}"))
    return [[name, definition] for name, definition, _ in present]


@contextmanager
def trigger_off(conn, resource_id: str) -> Iterator[None]:
    """CKAN's ``zfulltext`` row trigger off for the statement run inside, in the caller's transaction,
    which must hold the table against other writers (a TRUNCATE, or LOCK TABLE in SHARE ROW EXCLUSIVE
    mode): no other session can insert while it is off, and a rollback puts it back as it was."""
    from ckanext.datastore.backend.postgres import identifier

    table = identifier(resource_id)
    enabled = conn.execute(sa.text("SELECT count(*) FROM pg_trigger WHERE tgrelid = to_regclass(:t) "
                                   "AND tgname = 'zfulltext' AND tgenabled <> 'D'"), {"t": table}).scalar()
    if enabled:
        conn.execute(sa.text(f"ALTER TABLE {table} DISABLE TRIGGER zfulltext"))
    yield
    if enabled:
        conn.execute(sa.text(f"ALTER TABLE {table} ENABLE TRIGGER zfulltext"))


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


def analyse(conn, resource_id: str) -> bool:
    """The planner's statistics of the reloaded table (CKAN's ``calculate_record_count`` runs ANALYZE
    after a load; run from the request after the commit, it deadlocks with an index build that waits for
    its snapshot). Here, in the build's own session, before the build. False: the table is gone."""
    from ckanext.datastore.backend.postgres import identifier

    try:
        conn.execute(sa.text(f"ANALYZE {identifier(resource_id)}"))
    except sa.exc.ProgrammingError as exc:
        if "does not exist" in str(exc.orig):
            return False
        raise
    except sa.exc.OperationalError as exc:  # cancelled by a newer load, or a deadlock: the statistics wait
        log.warning("statistics of %s not refreshed: %s", resource_id, str(exc.orig).strip()[:200])
    return True


def build_one(conn, name: str, definition: str) -> str:
    """One index built concurrently, after the invalid leftover of an earlier try (if any) is dropped; an
    index already there and valid is left alone. Returns built, gone (the table was deleted meanwhile),
    cancelled (by a newer load, which builds it again) or deadlock (PostgreSQL chose this build to end a
    deadlock, e.g. with an ANALYZE of CKAN's own record-count job on a second worker: worth another try)."""
    import psycopg2.errorcodes as codes

    from ckanext.datastore.backend.postgres import identifier

    if not definition.startswith("CREATE INDEX "):
        raise ValueError(f"not an index definition: {definition[:80]!r}")
    valid = conn.execute(sa.text(
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = :name"),
        {"name": name}).scalar()
    if valid is False:
        conn.execute(sa.text(f"DROP INDEX CONCURRENTLY IF EXISTS {identifier(name)}"))
    try:
        conn.execute(sa.text("CREATE INDEX CONCURRENTLY IF NOT EXISTS " + definition[len("CREATE INDEX "):]))
    except sa.exc.ProgrammingError as exc:
        if "does not exist" not in str(exc.orig):
            raise
        return "gone"
    except sa.exc.OperationalError as exc:
        if getattr(exc.orig, "pgcode", None) == codes.DEADLOCK_DETECTED:
            return "deadlock"
        if "canceling statement due to user request" not in str(exc.orig):
            raise
        return "cancelled"
    return "built"


def build_indexes(resource_id: str, indexes: list[list[str]]) -> None:
    """The job: the table analysed, then each ``(name, definition)`` (as PostgreSQL gave them before the
    load dropped them) built again, concurrently (:func:`build_one`); a build ended by a deadlock is tried
    again. A job run twice does nothing the second time; a table deleted meanwhile is nothing to index."""
    from ckanext.datastore.backend.postgres import get_write_engine

    with get_write_engine().connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # CONCURRENTLY refuses a transaction block
        if not analyse(conn, resource_id):
            log.info("full-text index of %s: the table is gone", resource_id)
            return
        for name, definition in indexes:
            for attempt in range(1, BUILD_ATTEMPTS + 1):
                outcome = build_one(conn, name, definition)
                if outcome != "deadlock":
                    break
                log.warning("full-text index of %s: build %d of %d ended by a deadlock", resource_id, attempt,
                            BUILD_ATTEMPTS)
            if outcome == "deadlock":
                raise RuntimeError(f"full-text index of {resource_id}: {BUILD_ATTEMPTS} builds ended by deadlocks; "
                                   "the table's next load builds it again")
            if outcome == "gone":
                log.info("full-text index of %s: the table is gone", resource_id)
                return
            if outcome == "cancelled":
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
