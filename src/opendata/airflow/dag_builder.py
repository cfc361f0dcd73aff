"""One DAG per dataset spec: fetch → archive → normalise → check → publish → record (``vocabulary.STAGES``).

Parse time is what Airflow pays for every spec on every parse, so a DAG here is six light
operators and its schedule, nothing else: no TaskFlow decorators (their signature inspection costs
more than the rest of the DAG), no default_args merging, no import of pandas, GX or ckanapi. What
each task does lives in ``stage_tasks`` and is imported when the task runs.

A worker running one task parses this file for one DAG only (Airflow's parsing context names it), so
``dataset_dags`` builds just that one there: a task's start no longer grows with the size of the city.
Tasks rank depth-first (``weight_rule="upstream"``): a run already under way finishes before the
next dataset's first stage starts, so datasets reach the portal one after another, not all at the end.

Schedules come from the promised frequency, never slower than quarterly; a drop-zone dataset also
runs when the drop-zone watcher announces a file (its drop Asset); every published dataset is an
Asset, for downstream DAGs (compliance, derived datasets).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from airflow.sdk import DAG, AssetOrTimeSchedule, BaseOperator, CronTriggerTimetable

from ..spec.loader import Registry
from ..spec.models import CITY_TIMEZONE, DatasetSpec, Frequency
from ..vocabulary import STAGES, Stage
from .assets import PORTAL_POOL, dag_id_for, dataset_asset, drop_asset
from .platform_dags import REGISTRY_CHECK_DAG_ID, build_registry_check_dag

TIMEZONE = CITY_TIMEZONE
# At most quarterly: the city's open-data rule (and a silent agency is noticed at least that often).
CRON = {
    Frequency.hourly: "5 * * * *", Frequency.daily: "15 1 * * *", Frequency.weekly: "30 1 * * 1",
    Frequency.monthly: "45 1 1 * *", Frequency.quarterly: "0 2 1 1,4,7,10 *",
}
QUARTERLY = CRON[Frequency.quarterly]


def cron_for(spec: DatasetSpec) -> str:
    return CRON.get(spec.update_frequency, QUARTERLY)


class StageOperator(BaseOperator):
    """One stage of one dataset's pipeline: the task id names the stage (opendata.airflow.stage_tasks does
    the work at run time). No ``__init__`` of its own: Airflow wraps every operator class's ``__init__``
    to merge defaults, and a second wrapper per task doubled that cost at every parse."""

    ui_color = "#e8f1fb"
    dataset: str = ""  # the spec's key, set by build_dataset_dag

    def execute(self, context):
        from . import stage_tasks

        return stage_tasks.TASKS[Stage(self.task_id)](self.dataset, context)


class DatasetDAG(DAG):
    """A DAG whose hash is its id. Airflow hashes the DAG of both tasks at every ``>>`` (to check they share
    one), and its own hash turns the schedule into text each time because an asset schedule is not
    hashable: that was a tenth of the parse. Two equal DAGs have the same id, so the rule hash-follows-
    equality holds."""

    def __hash__(self) -> int:
        return hash((DAG, self.dag_id))


@cache
def _dag_defaults() -> dict:
    """What a DAG would read from Airflow's configuration at each construction, read once a parse."""
    from airflow.sdk.configuration import conf

    return {"max_active_tasks": conf.getint("core", "max_active_tasks_per_dag"),
            "max_consecutive_failed_dag_runs": conf.getint("core", "max_consecutive_failed_dag_runs_per_dag"),
            "disable_bundle_versioning": conf.getboolean("dag_processor", "disable_bundle_versioning")}


def build_dataset_dag(spec: DatasetSpec, spec_path: Path) -> DAG:
    timetable = CronTriggerTimetable(cron_for(spec), timezone=TIMEZONE)
    schedule = AssetOrTimeSchedule(timetable=timetable, assets=drop_asset(spec)) \
        if spec.source.kind == "drop_zone" else timetable
    doc = (f"### {spec.title.vi}\n\n{spec.title.en or ''}\n\n{spec.description.vi}\n\n"
           f"{spec.description.en or ''}\n\n- Spec: `{spec_path}`\n- Tần suất / frequency: {spec.update_frequency.value} "
           f"(`{cron_for(spec)}` {TIMEZONE})\n- Nguồn / source: {spec.source.kind}\n\n"
           "Re-publish an archived delivery: *Trigger* with the run configuration `{\"archive_sha256\": \"<sha256>\"}`.")
    dag = DatasetDAG(
        **_dag_defaults(),
        dag_id=dag_id_for(spec),
        schedule=schedule,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        dagrun_timeout=timedelta(hours=3),
        tags=[spec.city, spec.agency, spec.domain.value],
        doc_md=doc,
        # no DAG params: Airflow validates their JSON schema and copies them into every task at each parse
        # (≈3 ms a DAG). A re-publish is asked for in the run's configuration: {"archive_sha256": "…"}.
    )
    common = {"owner": spec.agency, "weight_rule": "upstream", "retries": 2, "retry_delay": timedelta(seconds=30),
              "retry_exponential_backoff": True,
              "execution_timeout": timedelta(minutes=30), "dag": dag}
    ops = []
    for stage in STAGES:
        extra = {}
        if stage is Stage.publish:  # a slot of the portal's pool: however many workers, CKAN gets at most that many loads
            extra = {"outlets": [dataset_asset(spec)], "pool": PORTAL_POOL}
        elif stage is Stage.record:
            extra = {"trigger_rule": "all_done", "retries": 0}
        op = StageOperator(task_id=stage.value, **{**common, **extra})
        op.dataset = spec.key
        ops.append(op)
    for upstream, downstream in zip(ops, ops[1:], strict=False):
        upstream >> downstream
    return dag


@contextmanager
def _collector_paused():
    """Python's cyclic garbage collector off while the DAGs are built. Everything built here is kept (it
    is the DAGs), so a collection frees next to nothing, yet each one scans Airflow's whole import heap:
    at 1,000 specs the collections were a quarter of the parse. The collector's state is restored after."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def dataset_dags(registry: Registry, only: str | None = None) -> dict[str, DAG]:
    """Every spec's DAG and the registry check, by DAG id. With ``only``, the DAG a worker is about to run
    a task of, just that one when the registry has it (everything otherwise, as the DAG processor sees)."""
    keys = sorted(registry.datasets)
    wanted = [k for k in keys if dag_id_for(registry.datasets[k]) == only]
    with_check = not wanted
    if wanted:
        keys = wanted
    elif only == REGISTRY_CHECK_DAG_ID:
        keys = []
    with _collector_paused():
        dags = [build_dataset_dag(registry.datasets[k], registry.paths[k]) for k in keys]
    if with_check:
        dags.append(build_registry_check_dag([str(p) for p in registry.problems]))
    return {dag.dag_id: dag for dag in dags}
