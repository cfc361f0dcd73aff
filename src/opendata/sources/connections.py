"""Where a source's address and credentials come from: an Airflow connection, by its id.

Inside Airflow the connection is read through ``BaseHook`` (opendata.airflow.tasks); elsewhere
(CLI, tests) from the same ``AIRFLOW_CONN_<ID>`` environment variable Airflow itself reads, as
JSON or as a URI. Passwords stay ``SecretStr`` and never appear in a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import SecretStr

from ..exceptions import SourceError

SQL_DRIVERS = {"sqlite": "sqlite", "postgres": "postgresql+psycopg2", "postgresql": "postgresql+psycopg2",
               "mysql": "mysql+pymysql", "mssql": "mssql+pyodbc", "oracle": "oracle+oracledb"}


@dataclass(frozen=True)
class ConnectionInfo:
    conn_id: str
    conn_type: str = ""
    host: str = ""
    port: int | None = None
    schema: str = ""
    login: str = ""
    password: SecretStr | None = None
    extra: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"ConnectionInfo({self.conn_id!r}, {self.conn_type!r}, host={self.host!r})"

    def base_url(self) -> str:
        if "://" in self.host:
            base = self.host
        else:
            scheme = self.schema if self.schema in ("http", "https") else ("https" if self.conn_type == "https" else "http")
            base = f"{scheme}://{self.host}" + (f":{self.port}" if self.port else "")
        return base.rstrip("/")

    def sqlalchemy_url(self) -> str:
        """extra.sqlalchemy_url when given; else built from the connection type, host and credentials."""
        if self.extra.get("sqlalchemy_url"):
            return str(self.extra["sqlalchemy_url"])
        driver = SQL_DRIVERS.get(self.conn_type)
        if driver is None:
            raise SourceError(f"connection '{self.conn_id}': type '{self.conn_type}' is not a database this platform reads "
                              f"(known: {', '.join(sorted(SQL_DRIVERS))}); or give extra.sqlalchemy_url")
        if driver == "sqlite":
            return f"sqlite:///{self.host}"
        from sqlalchemy.engine import URL

        return URL.create(driver, username=self.login or None,
                          password=self.password.get_secret_value() if self.password else None,
                          host=self.host or None, port=self.port, database=self.schema or None).render_as_string(
                              hide_password=False)


Resolver = Callable[[str], ConnectionInfo]


def from_environment(conn_id: str) -> ConnectionInfo:
    """``AIRFLOW_CONN_<ID>`` as Airflow reads it: a JSON object, or a URI (type://login:password@host:port/schema)."""
    from ..settings import connection_from_environment

    value = connection_from_environment(conn_id)
    if not value:
        raise SourceError(f"no connection '{conn_id}': set it in Airflow, or AIRFLOW_CONN_{conn_id.upper()} in the environment")
    if value.lstrip().startswith("{"):
        d = json.loads(value)
        extra = d.get("extra") or {}
        return ConnectionInfo(conn_id, d.get("conn_type", ""), d.get("host") or "", d.get("port"), d.get("schema") or "",
                              d.get("login") or "", SecretStr(d["password"]) if d.get("password") else None,
                              json.loads(extra) if isinstance(extra, str) else extra)
    parts = urlsplit(value)
    return ConnectionInfo(conn_id, parts.scheme.replace("-", "_"), unquote(parts.hostname or ""), parts.port,
                          unquote(parts.path.lstrip("/")), unquote(parts.username or ""),
                          SecretStr(unquote(parts.password)) if parts.password else None, dict(parse_qsl(parts.query)))
