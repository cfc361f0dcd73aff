"""The platform's own DAGs: the daily check that the portal's download links still answer."""

from __future__ import annotations

from opendata.airflow.platform_dags import build_link_check_dag

link_check = build_link_check_dag()
