"""The platform's own DAGs: drop-zone watcher, daily link check, daily compliance (no registry read here)."""

from __future__ import annotations

from opendata.airflow.platform_dags import build_compliance_dag, build_dropzone_watch_dag, build_link_check_dag

dropzone_watch = build_dropzone_watch_dag()
link_check = build_link_check_dag()
compliance = build_compliance_dag()
