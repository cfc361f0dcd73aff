"""DAGs of the platform itself (not of one dataset): the daily link check of the portal.

Built from the registry at parse time like the dataset DAGs; everything heavy is imported in the task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, task

LINK_CHECK_DAG_ID = "opendata__platform__link_check"


def build_link_check_dag() -> DAG:
    with DAG(
        dag_id=LINK_CHECK_DAG_ID,
        schedule="@daily",
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=["platform", "song"],
        doc_md="### Kiểm tra liên kết / Link check\n\nEvery download link the portal shows for the registry's "
               "datasets must still answer (the *sống* dimension). Report under `<data>/links/`.",
        default_args={"owner": "platform", "retries": 1, "retry_delay": timedelta(minutes=5),
                      "execution_timeout": timedelta(minutes=30)},
    ) as dag:

        @task(task_id="check_links")
        def check_links() -> dict:
            import logging

            from pydantic import SecretStr

            from ..publish.client import CkanClient, PortalAccess
            from ..quality.links import check_packages, write_report
            from ..settings import load_settings
            from ..spec.loader import load_registry
            from . import tasks

            settings = load_settings()
            registry = load_registry(settings.paths.registry)
            public = CkanClient(PortalAccess(tasks.portal_url(), SecretStr("")), retries=2)  # as the public sees it
            packages = {key: pkg for key, spec in registry.datasets.items()
                        if (pkg := public.show("package_show", spec.ckan_name)) is not None}
            ctx = tasks.run_context()
            results = check_packages(packages)
            report = write_report(results, settings.paths.data / "links", ctx.now)
            broken = sorted({r.dataset for r in results if not r.ok})
            for r in results:
                if not r.ok:
                    logging.getLogger(__name__).warning("link does not answer: %s %s (%s %s)", r.dataset, r.url,
                                                        r.status, r.error)
            return {"datasets": len(packages), "links": len(results), "broken": broken, "report": str(report)}

        check_links()
    return dag
