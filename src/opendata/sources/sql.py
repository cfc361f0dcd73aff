"""Agency databases: a SELECT through SQLAlchemy, optionally incremental by a watermark column.

The rows are written as JSON records (dates ISO, decimals as text) and that file is the delivery.
The next watermark travels with the delivery; it is saved only once the rows are published, so a
rejected or failed run is fetched again next time.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ..exceptions import InputError, SourceError, TransientError
from ..spec.models import DatasetSpec, SqlSource
from .base import RawDelivery
from .connections import ConnectionInfo


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _statement_timeout(db, dialect: str, seconds: float) -> None:
    """Every dialect that can stop a statement after a time is told to: PostgreSQL and MySQL by a
    session setting, SQLite by a progress handler, Oracle and SQL Server through the driver."""
    import sqlalchemy as sa

    ms = max(1, int(seconds * 1000))
    if dialect == "postgresql":
        db.execute(sa.text(f"SET statement_timeout = {ms}"))
    elif dialect in ("mysql", "mariadb"):
        db.execute(sa.text(f"SET SESSION MAX_EXECUTION_TIME = {ms}"))
    else:
        raw = db.connection.dbapi_connection
        if dialect == "sqlite":
            deadline = time.monotonic() + seconds
            raw.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
        elif dialect == "oracle":
            raw.call_timeout = ms
        elif dialect == "mssql":
            raw.timeout = max(1, int(seconds))


def _kind(value) -> str:
    """What a watermark is compared as: a number, or text (dates and times arrive as ISO text)."""
    if isinstance(value, bool):
        return "yes/no"
    return "number" if isinstance(value, int | float) else "text" if isinstance(value, str) else type(value).__name__


def _same_kind(spec: DatasetSpec, column: str, value, before, row: int) -> None:
    """A watermark column holding numbers and text (or a stored watermark of the other kind) cannot say
    which rows are new: a receipt for the agency, never a comparison that fails or quietly skips rows."""
    if _kind(value) in ("number", "text") and (before is None or _kind(before) == _kind(value)):
        return
    now_shown, before_shown = repr(value)[:60], repr(before)[:60]
    raise InputError(
        f"cột mốc '{column}' có cả số và chữ (dòng {row}: {now_shown}, trước đó: {before_shown}): không xác định được "
        f"dòng nào là mới. Hãy để cột này chỉ chứa một kiểu (số, hoặc ngày giờ) / the watermark column '{column}' holds "
        f"values of more than one kind (row {row}: {_kind(value)} {now_shown}, before it: {_kind(before)} "
        f"{before_shown}): which rows are new cannot be told. Keep the column to one kind (numbers, or dates and "
        "times); if its type changed on purpose, ask the portal team to reset the dataset's watermark",
        dataset=spec.key, stage="fetch")


def _probe_kind(engine, src: SqlSource, spec: DatasetSpec, watermark) -> None:
    """Nothing past the watermark: one value of the column tells whether that is true or whether the
    stored watermark is of another kind (a database compares numbers and text its own way: SQLite puts
    every number below every text, so no row would ever be new again)."""
    import sqlalchemy as sa
    from sqlalchemy.exc import SQLAlchemyError

    col = engine.dialect.identifier_preparer.quote(src.watermark_column)
    query = f"SELECT {col} FROM ({src.query.strip().rstrip(';')}) AS opendata_src WHERE {col} IS NOT NULL"
    try:
        with engine.connect() as db:
            _statement_timeout(db, engine.dialect.name, src.timeout_s)
            value = db.execute(sa.text(query)).first()
    except SQLAlchemyError:
        return  # the probe is a courtesy: the query itself answered
    if value is not None:
        _same_kind(spec, src.watermark_column, _json_value(value[0]), watermark, 1)


def build_query(src: SqlSource, dialect, watermark) -> tuple[str, dict]:
    """The spec's SELECT, wrapped for an incremental read: the watermark column is an identifier checked
    by the spec and quoted by the dialect; its value is a bound parameter, never text in the query."""
    query, params = src.query.strip().rstrip(";"), {}
    if src.watermark_column:
        col = dialect.identifier_preparer.quote(src.watermark_column)
        query = f"SELECT * FROM ({query}) AS opendata_src"
        if watermark is not None:
            query += f" WHERE {col} > :watermark"
            params["watermark"] = watermark
        query += f" ORDER BY {col}"
    return query, params


def fetch_sql(spec: DatasetSpec, conn: ConnectionInfo, incoming: Path, now: datetime,
              watermark: str | int | float | None) -> RawDelivery | None:
    """None when an incremental query finds nothing past the watermark: nothing was delivered. Rows are
    streamed from the database into the delivery file, within the spec's row and size limits."""
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

    src: SqlSource = spec.source  # type: ignore[assignment]
    engine = sa.create_engine(conn.sqlalchemy_url(), pool_pre_ping=True)
    query, params = build_query(src, engine.dialect, watermark)
    incoming.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = incoming / f"{spec.id}-{now.strftime('%Y%m%dT%H%M%S')}.json"
    count, newest = 0, None
    try:
        try:
            db = engine.connect()
        except OperationalError as exc:  # cannot reach or log in: worth retrying later
            raise TransientError(f"database '{src.conn_id}' did not answer: {exc.orig.__class__.__name__}",
                                 dataset=spec.key, stage="fetch") from None
        with db, open(path, "w", encoding="utf-8") as out:
            try:
                _statement_timeout(db, engine.dialect.name, src.timeout_s)
                result = db.execution_options(stream_results=True, yield_per=5000).execute(sa.text(query), params)
                names = list(result.keys())
                out.write('{"records": [')
                for row in result:
                    record = dict(zip(names, map(_json_value, row), strict=True))
                    out.write(("," if count else "") + json.dumps(record, ensure_ascii=False, default=str))
                    count += 1
                    if src.watermark_column and record.get(src.watermark_column) is not None:
                        value = record[src.watermark_column]
                        _same_kind(spec, src.watermark_column, value, newest if newest is not None else watermark, count)
                        newest = value if newest is None or value > newest else newest
                    if count > spec.limits.max_rows or out.tell() > spec.limits.max_json_bytes:
                        raise SourceError(f"database '{src.conn_id}': the query returned more than "
                                          f"{min(count, spec.limits.max_rows):,} rows or {spec.limits.max_json_bytes:,} "
                                          "bytes (limits.max_rows / max_json_bytes)", dataset=spec.key, stage="fetch")
                out.write("]}")
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise TransientError(f"database '{src.conn_id}': the connection dropped during the query",
                                         dataset=spec.key, stage="fetch") from None
                raise SourceError(f"database '{src.conn_id}': the query failed: {str(exc.orig).splitlines()[0][:300]}",
                                  dataset=spec.key, stage="fetch") from None
            except SQLAlchemyError as exc:
                raise SourceError(f"database '{src.conn_id}': the query failed: {str(exc).splitlines()[0][:300]}",
                                  dataset=spec.key, stage="fetch") from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    if src.watermark_column and not count and watermark is not None:
        path.unlink(missing_ok=True)
        _probe_kind(engine, src, spec, watermark)
        return None
    meta: dict = {"rows": count, "incremental": bool(src.watermark_column)}
    if src.watermark_column:
        meta["watermark"] = newest if newest is not None else watermark  # JSON value: an int stays an int
        meta["previous_watermark"] = watermark
    return RawDelivery("sql", path.name, path, now, meta)
