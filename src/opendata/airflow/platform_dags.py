"""DAGs of the platform itself (not of one dataset): the drop-zone watcher, the registry check and
the daily link check of the portal.

Built from the registry at parse time like the dataset DAGs; everything heavy is imported in the task.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.sdk import DAG, CronTriggerTimetable, task

LINK_CHECK_DAG_ID = "opendata__platform__link_check"
WATCH_DAG_ID = "opendata__platform__dropzone_watch"
REGISTRY_CHECK_DAG_ID = "opendata__platform__registry_check"
COMPLIANCE_DAG_ID = "opendata__platform__compliance"
DROPS = "opendata-drops"  # the AssetAlias through which the watcher announces files, one Asset per dataset


def _platform_dag(dag_id: str, schedule, tag: str, doc: str, retries: int = 1, retry_delay_min: int = 5,
                  timeout_min: int = 30) -> DAG:
    """The arguments every platform DAG shares: one run at a time, no catch-up, owned by the platform."""
    return DAG(dag_id=dag_id, schedule=schedule, start_date=datetime(2026, 1, 1), catchup=False, max_active_runs=1,
               tags=["platform", tag], doc_md=doc,
               default_args={"owner": "platform", "retries": retries, "retry_delay": timedelta(minutes=retry_delay_min),
                             "execution_timeout": timedelta(minutes=timeout_min)})


def build_dropzone_watch_dag(every_minutes: int = 5) -> DAG:
    """Every few minutes: a new complete file in a dataset's drop folder becomes an event of that
    dataset's drop Asset, which triggers the dataset's DAG (its schedule is 'cron or drop')."""
    from airflow.sdk import AssetAlias

    with _platform_dag(WATCH_DAG_ID, f"*/{every_minutes} * * * *", "dropzone",
                       "### Theo dõi thư mục nộp dữ liệu / Drop-zone watcher\n\nAnnounces each new file once, as an "
                       "event of the dataset's drop Asset (`opendata-drop://<city>/<agency>/<dataset>`).",
                       retry_delay_min=1, timeout_min=10) as dag:

        @task(task_id="announce", outlets=[AssetAlias(DROPS)])
        def announce_drops(*, outlet_events=None) -> dict:
            from .. import ledger
            from ..pipeline.state import state_ledger
            from ..settings import load_settings
            from ..sources.dropzone import DropZone, announce
            from ..spec.loader import load_registry
            from . import tasks
            from .assets import drop_asset

            settings = load_settings()
            registry = load_registry(settings.paths.registry)
            engine = state_ledger(settings)
            fresh, seen = announce(DropZone(settings.paths.dropzone_root), list(registry.datasets.values()),
                                   tasks.run_context().now, ledger.announced(engine))
            for key, files in fresh.items():
                outlet_events[AssetAlias(DROPS)].add(drop_asset(registry.datasets[key]), extra={"files": files})
            ledger.save_announced(engine, seen)
            return fresh

        announce_drops()
    return dag


def build_registry_check_dag(problems: list[str]) -> DAG:
    """A spec that cannot be used gets no DAG; this DAG says which and why (file and field), and fails
    while any remain, so the stewards see it red in the UI. ``problems`` as found at parse time."""
    listing = "\n".join(f"- {p}" for p in problems) or "- none / không có"
    with _platform_dag(REGISTRY_CHECK_DAG_ID, "@hourly", "registry",
                       f"### Kiểm tra đặc tả / Registry check\n\nSpecs with problems at the last parse:\n\n{listing}",
                       retries=0, timeout_min=5) as dag:

        @task(task_id="check_specs")
        def check_specs() -> dict:
            from airflow.sdk.exceptions import AirflowFailException

            from ..settings import load_settings
            from ..spec.loader import load_registry

            registry = load_registry(load_settings().paths.registry)
            if registry.problems:
                raise AirflowFailException(f"{len(registry.problems)} spec(s) cannot be used / đặc tả có lỗi:\n"
                                           + "\n".join(str(p) for p in registry.problems))
            return {"datasets": len(registry.datasets), "problems": 0}

        check_specs()
    return dag


def build_link_check_dag() -> DAG:
    with _platform_dag(LINK_CHECK_DAG_ID, "@daily", "song",
                       "### Kiểm tra liên kết / Link check\n\nEvery download link the portal shows for the registry's "
                       "datasets must still answer (the *sống* dimension). Report under `<data>/links/`.") as dag:

        @task(task_id="check_links")
        def check_links() -> dict:
            from ..pipeline.platform import check_links as check
            from ..settings import load_settings
            from . import tasks

            return check(load_settings(), tasks.portal_url(), tasks.run_context().now)

        check_links()
    return dag


def build_compliance_dag() -> DAG:
    """Daily: the KPI from the ledger (and its snapshot for the trend), reminders, reports, the pages'
    refresh states, then the portal reconciled with the ledger. The latest KPI is delivered to the
    Department of Science and Technology's open dataset, through its drop folder and the same gate as
    any agency's data."""
    from ..spec.models import CITY_TIMEZONE
    from .assets import PORTAL_POOL

    with _platform_dag(COMPLIANCE_DAG_ID, CronTriggerTimetable("0 6 * * *", timezone=CITY_TIMEZONE), "compliance",
                       "### Chỉ tiêu dữ liệu mở / Open-data compliance\n\nKPI per agency (≥ 10 high-quality, fresh "
                       "open datasets), reminders (due, overdue to the agency; delinquent, below target to the "
                       "stewards), monthly, quarterly and yearly reports under `<data>/reports/`.") as dag:

        @task(task_id="kpi_reminders_reports")
        def kpi_reminders_reports() -> dict:
            from ..notify.mail import smtp_from
            from ..pipeline.platform import compliance_day
            from ..settings import load_settings
            from . import tasks

            return compliance_day(load_settings(), tasks.run_context().now, smtp_from(tasks.connection_resolver()))

        @task(task_id="portal_refresh_states", pool=PORTAL_POOL)
        def portal_refresh_states() -> dict:
            """Every published dataset's page tells today's refresh state (pipeline.platform.refresh_pages)."""
            from ..pipeline.platform import refresh_pages
            from ..settings import load_settings
            from . import tasks

            return refresh_pages(load_settings(), tasks.run_context().now, tasks.connection_resolver())

        @task(task_id="reconcile", pool=PORTAL_POOL)
        def reconcile_portal() -> dict:
            """The portal held to the ledger (pipeline.reconcile, as `opendata reconcile --repair`): what
            can be put right from the archive is; the task fails while drift remains, so someone looks."""
            from ..exceptions import OpendataError
            from ..ledger import open_ledger
            from ..pipeline.reconcile import reconcile
            from ..settings import load_settings
            from ..spec.loader import load_registry
            from . import tasks

            settings = load_settings()
            result = reconcile(load_registry(settings.paths.registry), open_ledger(settings.ledger_url()),
                               tasks.run_context().now, settings, tasks.connection_resolver(), repair=True)
            if result.drift:
                raise OpendataError(f"{len(result.drift)} sai lệch còn lại / drift remains after repair: "
                                    + "; ".join(f"{d.dataset} {d.kind.value}" for d in result.drift[:20]), stage="reconcile")
            return result.asdict()

        kpi_reminders_reports() >> portal_refresh_states() >> reconcile_portal()
    return dag
