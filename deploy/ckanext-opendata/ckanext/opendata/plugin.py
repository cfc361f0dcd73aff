"""CKAN plugin ``opendata``: the portal-side action the platform's publisher uses for large tables."""

from __future__ import annotations

import ckan.plugins as p

from . import actions


class OpendataPlugin(p.SingletonPlugin):
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)

    def get_actions(self) -> dict:
        return {"opendata_datastore_load": actions.opendata_datastore_load}

    def get_auth_functions(self) -> dict:
        return {"opendata_datastore_load": actions.load_auth}
