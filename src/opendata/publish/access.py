"""Which token publishes a dataset: the agency's own connection first, the platform's as fallback."""

from __future__ import annotations

import logging

from ..exceptions import OpendataError, SourceError
from ..settings import Settings
from ..sources.connections import Resolver
from ..spec.models import Agency, City
from .client import PortalAccess

log = logging.getLogger(__name__)


def access_for(agency: Agency, city: City, resolve: Resolver, settings: Settings) -> PortalAccess:
    """``ckan_<city>_<agency>`` (an editor of its organization only), else the platform connection, else the
    OPENDATA__CKAN__* settings. ``resolve`` reads a connection (Airflow's, or the environment's)."""
    candidates = [agency.conn_id(city.code), settings.ckan.conn_id]
    for conn_id in candidates:
        try:
            conn = resolve(conn_id)
        except SourceError:
            continue
        if conn.host and conn.password:
            if conn_id != candidates[0]:
                log.warning("no connection '%s' for %s: publishing with the platform connection '%s'",
                            candidates[0], agency.code, conn_id)
            return PortalAccess(conn.base_url(), conn.password, settings.ckan.timeout_s)
    if settings.ckan.token is None:
        raise OpendataError(f"no connection {' or '.join(repr(c) for c in candidates)} and no OPENDATA__CKAN__TOKEN: "
                            "cannot publish", stage="publish")
    return PortalAccess(settings.ckan.url, settings.ckan.token, settings.ckan.timeout_s)
