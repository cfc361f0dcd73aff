"""One DAG per dataset spec: ingest → normalise → quality → publish.

Only the spec is read at parse time; pandas, GX and ckanapi are imported inside the tasks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from airflow.sdk import DAG, task

from ..spec.models import DatasetSpec, Frequency

SCHEDULES = {
    Frequency.hourly: "@hourly", Frequency.daily: "@daily", Frequency.weekly: "@weekly",
    Frequency.monthly: "@monthly", Frequency.quarterly: "0 0 1 */3 *",
}


def dag_id_for(spec: DatasetSpec) -> str:
    return f"opendata__{spec.city}__{spec.agency}__{spec.id}".replace("-", "_")


def build_dataset_dag(spec: DatasetSpec, spec_path: Path) -> DAG:
    key = spec.key
    doc = (f"### {spec.title.vi}\n\n{spec.title.en or ''}\n\n{spec.description.vi}\n\n"
           f"Spec: `{spec_path}` · frequency: {spec.update_frequency.value}")
    with DAG(
        dag_id=dag_id_for(spec),
        schedule=SCHEDULES.get(spec.update_frequency, "0 0 1 */3 *"),
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        tags=[spec.city, spec.agency, spec.domain.value],
        doc_md=doc,
        default_args={"owner": spec.agency, "retries": 2, "retry_delay": timedelta(seconds=30),
                      "execution_timeout": timedelta(minutes=30)},
    ) as dag:

        @task(task_id="ingest")
        def ingest_task() -> dict:
            from airflow.sdk.exceptions import AirflowSkipException

            from ..pipeline import stages
            from . import tasks

            spec_, _ = tasks.resolve(key)
            archived = tasks.guarded(stages.ingest, spec_, tasks.run_context(), tasks.connection_resolver())
            if archived is None:
                raise AirflowSkipException("no new delivery / không có tệp mới")
            if stages.is_repeat(archived):
                tasks.note_skip("repeat", archived)
                raise AirflowSkipException(f"the same bytes as an earlier delivery (sha256 {archived['sha256'][:12]}…): "
                                           "not processed again / dữ liệu đã nhận trước đây")
            return archived

        @task(task_id="normalise")
        def normalise_task(archived: dict) -> dict:
            from ..pipeline import stages
            from . import tasks

            spec_, _ = tasks.resolve(key)
            return tasks.guarded(stages.normalise, spec_, tasks.run_context(), archived)

        @task(task_id="quality")
        def quality_task(table: dict) -> dict:
            from ..pipeline import stages
            from . import tasks

            spec_, agency, city = tasks.resolve_with_city(key)
            return tasks.guarded(stages.check, spec_, tasks.run_context(), table, city.province_code,
                                 tasks.receipt_mailer(agency.email, spec_.title.vi))

        @task(task_id="publish")
        def publish_task(checked: dict) -> dict:
            from ..pipeline import stages
            from . import tasks

            spec_, agency, city = tasks.resolve_with_city(key)
            return tasks.guarded(stages.publish, spec_, agency, city, tasks.run_context(), checked,
                                 tasks.portal_access(agency, city))

        publish_task(quality_task(normalise_task(ingest_task())))
    return dag
