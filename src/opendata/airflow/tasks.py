"""What runs inside a task: resolve the spec, context and portal access, call a stage, map errors.

The tasks themselves are in stage_tasks; these are the helpers they share.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..pipeline.context import RunContext
from ..settings import load_settings
from ..spec.loader import load_registry


def run_context() -> RunContext:
    from airflow.sdk import get_current_context

    ctx = get_current_context()
    dag_run = ctx["dag_run"]
    started = getattr(dag_run, "start_date", None) or datetime.now(UTC)
    return RunContext.create(run_id=ctx["run_id"], now=started)


def resolve(spec_key: str):
    """Spec and agency from the registry, re-read in the worker (tasks pass names, not objects)."""
    spec, agency, _ = resolve_with_city(spec_key)
    return spec, agency


def resolve_with_city(spec_key: str):
    settings = load_settings()
    reg = load_registry(settings.paths.registry)
    spec = reg.get(spec_key)
    city = reg.cities[spec.city]
    return spec, city.agency(spec.agency), city


def portal_access(agency, city):
    """The agency's own CKAN connection, or the platform's (publish.access), through Airflow's connections."""
    from ..publish.access import access_for

    return access_for(agency, city, connection_resolver(), load_settings())


def portal_url() -> str:
    """The portal's address: the platform connection's host, else OPENDATA__CKAN__URL."""
    from ..exceptions import SourceError

    settings = load_settings()
    try:
        conn = connection_resolver()(settings.ckan.conn_id)
    except SourceError:
        return settings.ckan.url
    return conn.base_url() if conn.host else settings.ckan.url


def connection_resolver():
    """Sources' connections through Airflow (its secrets backends, UI, environment)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException
    from pydantic import SecretStr

    from ..exceptions import SourceError
    from ..sources.connections import ConnectionInfo

    def resolve(conn_id: str) -> ConnectionInfo:
        try:
            c = BaseHook.get_connection(conn_id)
        except AirflowNotFoundException:
            raise SourceError(f"no Airflow connection '{conn_id}'", stage="fetch") from None
        return ConnectionInfo(conn_id, c.conn_type or "", c.host or "", c.port, c.schema or "", c.login or "",
                              SecretStr(c.password) if c.password else None, c.extra_dejson or {})

    return resolve


def receipt_mailer(to: str | None, title: str):
    """E-mails each receipt to the agency through the Airflow connection 'smtp_default', when there is one."""
    from ..notify.mail import flush_outbox, mail_receipt, smtp_from

    smtp = smtp_from(connection_resolver())
    outbox = load_settings().paths.data / "outbox"

    def send(markdown, receipt_json, accepted: bool) -> None:
        """Never fails the quality task: an unreachable mail server leaves the receipt in the outbox."""
        flush_outbox(smtp, outbox)
        mail_receipt(smtp, str(to) if to else None, markdown, receipt_json, accepted, title, outbox)

    return send
