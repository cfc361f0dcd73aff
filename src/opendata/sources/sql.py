"""Agency databases: a SELECT through SQLAlchemy, optionally incremental by a watermark column.

The rows are written as JSON records (dates ISO, decimals as text) and that file is the delivery.
The next watermark travels with the delivery; it is saved only once the rows are published, so a
rejected or failed run is fetched again next time.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from ..exceptions import SourceError, TransientError
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


def fetch_sql(spec: DatasetSpec, conn: ConnectionInfo, incoming: Path, now: datetime,
              watermark: str | int | float | None) -> RawDelivery | None:
    """None when an incremental query finds nothing past the watermark: nothing was delivered."""
    import sqlalchemy as sa
    from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

    src: SqlSource = spec.source  # type: ignore[assignment]
    query, params = src.query.strip().rstrip(";"), {}
    if src.watermark_column:
        col = src.watermark_column
        query = f"SELECT * FROM ({query}) AS opendata_src"
        if watermark is not None:
            query += f" WHERE {col} > :watermark"
            params["watermark"] = watermark
        query += f" ORDER BY {col}"
    engine = sa.create_engine(conn.sqlalchemy_url(), pool_pre_ping=True)
    try:
        try:
            db = engine.connect()
        except OperationalError as exc:  # cannot reach or log in: worth retrying later
            raise TransientError(f"database '{src.conn_id}' did not answer: {exc.orig.__class__.__name__}",
                                 dataset=spec.key, stage="ingest") from None
        with db:
            try:
                if engine.dialect.name == "postgresql":
                    db.execute(sa.text(f"SET statement_timeout = {int(src.timeout_s * 1000)}"))
                result = db.execute(sa.text(query), params)
                names = list(result.keys())
                rows = [dict(zip(names, map(_json_value, r), strict=True)) for r in result]
            except DBAPIError as exc:
                if exc.connection_invalidated:
                    raise TransientError(f"database '{src.conn_id}': the connection dropped during the query",
                                         dataset=spec.key, stage="ingest") from None
                raise SourceError(f"database '{src.conn_id}': the query failed: {str(exc.orig).splitlines()[0][:300]}",
                                  dataset=spec.key, stage="ingest") from None
            except SQLAlchemyError as exc:
                raise SourceError(f"database '{src.conn_id}': the query failed: {str(exc).splitlines()[0][:300]}",
                                  dataset=spec.key, stage="ingest") from None
    finally:
        engine.dispose()
    if src.watermark_column and not rows and watermark is not None:
        return None
    meta: dict = {"rows": len(rows), "incremental": bool(src.watermark_column)}
    if src.watermark_column:
        values = [r[src.watermark_column] for r in rows if r.get(src.watermark_column) is not None]
        meta["watermark"] = max(values) if values else watermark  # JSON value: an int stays an int
        meta["previous_watermark"] = watermark
    incoming.mkdir(parents=True, exist_ok=True)
    path = incoming / f"{spec.id}-{now.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps({"records": rows}, ensure_ascii=False, default=str), encoding="utf-8")
    return RawDelivery("sql", path.name, path, now, meta)
