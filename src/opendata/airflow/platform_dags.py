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
            from ..settings import load_settings
            from ..sources.dropzone import DropZone, announce
            from ..spec.loader import load_registry
            from . import tasks
            from .assets import drop_asset

            settings = load_settings()
            registry = load_registry(settings.paths.registry)
            fresh = announce(DropZone(settings.paths.dropzone_root), list(registry.datasets.values()),
                             tasks.run_context().now, settings.paths.data / "state" / "dropzone-announced.json")
            for key, files in fresh.items():
                outlet_events[AssetAlias(DROPS)].add(drop_asset(registry.datasets[key]), extra={"files": files})
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
            import logging

            from pydantic import SecretStr

            from ..publish.client import CkanClient, PortalAccess
            from ..quality.links import LinkPolicy, check_packages, write_report
            from ..settings import load_settings
            from ..spec.loader import load_registry
            from . import tasks

            settings = load_settings()
            registry = load_registry(settings.paths.registry)
            public = CkanClient(PortalAccess(tasks.portal_url(), SecretStr("")), retries=2)  # as the public sees it
            packages = {key: pkg for key, spec in registry.datasets.items()
                        if (pkg := public.show("package_show", spec.ckan_name)) is not None}
            ctx = tasks.run_context()
            results = check_packages(packages, policy=LinkPolicy.from_settings(settings.links, tasks.portal_url()))
            report = write_report(results, settings.paths.data / "links", ctx.now)
            broken = sorted({r.dataset for r in results if not r.ok})
            for r in results:
                if not r.ok:
                    logging.getLogger(__name__).warning("link does not answer: %s %s (%s %s)", r.dataset, r.url,
                                                        r.status, r.error)
            return {"datasets": len(packages), "links": len(results), "broken": broken, "report": str(report)}

        check_links()
    return dag


def build_compliance_dag() -> DAG:
    """Daily: the KPI from the ledger (and its snapshot for the trend), reminders, reports, the pages'
    refresh states, then the portal reconciled with the ledger. The latest KPI is delivered to the
    Department of Science and Technology's open dataset, through its drop folder and the same gate as
    any agency's data."""
    from .dag_builder import PORTAL_POOL, TIMEZONE

    with _platform_dag(COMPLIANCE_DAG_ID, CronTriggerTimetable("0 6 * * *", timezone=TIMEZONE), "compliance",
                       "### Chỉ tiêu dữ liệu mở / Open-data compliance\n\nKPI per agency (≥ 10 high-quality, fresh "
                       "open datasets), reminders (due, overdue to the agency; delinquent, below target to the "
                       "stewards), monthly, quarterly and yearly reports under `<data>/reports/`.") as dag:

        @task(task_id="kpi_reminders_reports")
        def kpi_reminders_reports() -> dict:
            from ..compliance.daily import run_day
            from ..compliance.reports import REPORT_DATASET, write_open_csv
            from ..notify.mail import smtp_from
            from ..settings import load_settings
            from ..sources.dropzone import DropZone
            from ..spec.loader import load_registry
            from . import tasks

            settings = load_settings()
            now = tasks.run_context().now
            result = run_day(settings, now, smtp_from(tasks.connection_resolver()))
            registry = load_registry(settings.paths.registry)
            delivered = []
            for city in result.cities:
                spec = next((s for s in registry.datasets.values() if s.city == city.city and s.id == REPORT_DATASET), None)
                if spec is not None:
                    folder = DropZone(settings.paths.dropzone_root).folder(spec)
                    delivered.append(str(write_open_csv(city, folder / f"{REPORT_DATASET}-{now:%Y%m%d}.csv")))
            return {"cities": [c.summary() for c in result.cities], "reminders": result.reminders,
                    "reports": [str(r.xlsx) for r in result.reports], "delivered": delivered}

        @task(task_id="portal_refresh_states", pool=PORTAL_POOL)
        def portal_refresh_states() -> dict:
            """Every published dataset's page tells today's refresh state (publish.refresh)."""
            from ..compliance.kpi import compute
            from ..ledger import open_ledger, record_mqa, statuses
            from ..publish.refresh import show_refresh_states
            from ..settings import load_settings
            from ..spec.loader import load_registry
            from . import tasks

            settings = load_settings()
            registry = load_registry(settings.paths.registry)
            cfg = settings.compliance
            engine = open_ledger(settings.ledger_url())
            cities = compute(registry, statuses(engine), tasks.run_context().now, cfg.good_score, cfg.target,
                             thresholds=cfg.thresholds())
            update = show_refresh_states(cities, registry, tasks.connection_resolver(), settings)
            record_mqa(engine, update.mqa)  # for the KPI's dataset rows, the reports and the dashboard
            return update.asdict()

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
