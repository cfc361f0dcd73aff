"""The stewards' dashboard in the Airflow UI: the FastAPI app of opendata.ui.dashboard, served
by the api-server under /opendata and linked from the menu (Browse → Dữ liệu mở / Open data)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from opendata.ui.dashboard import create_app


class OpendataDashboardPlugin(AirflowPlugin):
    name = "opendata_dashboard"
    fastapi_apps = [{"app": create_app(), "url_prefix": "/opendata", "name": "Open-data dashboard"}]
    external_views = [{"name": "Dữ liệu mở / Open data", "href": "opendata/", "destination": "nav", "category": "browse",
                       "url_route": "opendata-dashboard"}]
