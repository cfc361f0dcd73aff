"""Which token publishes a dataset: the agency's own connection, and only that."""

from __future__ import annotations

from ..exceptions import OpendataError, SourceError
from ..settings import Settings
from ..sources.connections import Resolver
from ..spec.models import Agency, City
from .client import PortalAccess


def access_for(agency: Agency, city: City, resolve: Resolver, settings: Settings) -> PortalAccess:
    """The agency's own connection ``ckan_<city>_<agency>``, an editor of its organization only. There is
    no fallback to the platform's sysadmin token: a leaked or mistaken spec must never publish with
    more rights than its agency has. ``resolve`` reads a connection (Airflow's, or the environment's)."""
    conn_id = agency.conn_id(city.code)
    try:
        conn = resolve(conn_id)
    except SourceError:
        conn = None
    if conn is None or not conn.host or not conn.password:
        raise OpendataError(
            f"no usable Airflow connection '{conn_id}' (host and the agency's CKAN token) for {city.code}/{agency.code}: "
            "provision the agency with `opendata portal provision --tokens-file FILE` and import it with "
            "`airflow connections import FILE` / chưa có kết nối CKAN riêng của đơn vị: hãy cấp tài khoản cho đơn vị",
            stage="publish")
    return PortalAccess(conn.base_url(), conn.password, settings.ckan.timeout_s)
