"""What each task of a dataset's DAG runs (imported at run time, never at parse time): one task per
stage, each a call of the pipeline's stage of the same name.

Tasks hand each other their stage's result as its ``asdict()`` through XCom and read it back with
``from_dict()``. Terminal problems (bad input, a quality gate,
CKAN's 4xx) fail the task at once and leave their message in the XCom ``error``; transient ones are
raised again for Airflow to retry. ``record`` runs whatever happened and writes the outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..archive import ArchivedDelivery
from ..exceptions import OpendataError
from ..pipeline import stages
from ..pipeline.outcome import summarise
from ..pipeline.results import Checked, Normalised
from ..sources.base import RawDelivery
from ..vocabulary import FAILED, Outcome, Stage
from . import tasks

log = logging.getLogger(__name__)


def _pull(context, task_id: str, key: str = "return_value") -> Any:
    return context["ti"].xcom_pull(task_ids=task_id, key=key)


def _upstream(context, stage: Stage) -> Any:
    """The result of the stage before; none (a task cleared by hand after its run ended early) skips this one."""
    from airflow.sdk.exceptions import AirflowSkipException

    found = _pull(context, stage)
    if found is None:
        raise AirflowSkipException(f"nothing from {stage.value} / bước trước không có kết quả")
    return found


def _guarded(context, stage: Callable[..., Any], *args: Any) -> Any:
    from airflow.sdk.exceptions import AirflowFailException

    try:
        return stage(*args)
    except OpendataError as exc:
        if exc.transient:
            raise
        context["ti"].xcom_push(key="error", value={"type": type(exc).__name__, "message": exc.message,
                                                    "receipt": getattr(exc, "receipt", None)})
        raise AirflowFailException(str(exc)) from exc


def _skip(context, reason: str, message: str, detail: dict | None = None):
    """Nothing more to do in this run (no delivery, or bytes seen before): the reason goes to XCom for
    ``record``, and every later stage but ``record`` is marked skipped at once. A skip left to the trigger
    rules travels one stage per scheduling pass, so a run with nothing to do took four passes more; this
    task itself ends successfully, having done its part."""
    from airflow.sdk.exceptions import DownstreamTasksSkipped

    context["ti"].xcom_push(key="skip_reason", value={"reason": reason, **(detail or {})})
    later = sorted(t.task_id for t in context["task"].get_flat_relatives(upstream=False) if t.task_id != Stage.record)
    log.info("%s: %s", message, ", ".join(later) or "nothing after this stage")
    raise DownstreamTasksSkipped(tasks=later)


def fetch_task(key: str, context) -> dict:
    """The next delivery from the source; or, when the run's configuration names an archived sha256
    (a steward's re-publish, from the UI's Trigger form or the API), that delivery."""
    dag_run = context.get("dag_run")
    sha = (getattr(dag_run, "conf", None) or {}).get("archive_sha256") or (context.get("params") or {}).get("archive_sha256")
    if sha:
        return {"republish": sha}
    spec, _ = tasks.resolve(key)
    delivery = _guarded(context, stages.fetch, spec, tasks.run_context(), tasks.connection_resolver())
    if delivery is None:
        _skip(context, Outcome.no_delivery.value, "no new delivery / không có dữ liệu mới")
    return delivery.asdict()


def archive_task(key: str, context) -> dict:
    spec, _ = tasks.resolve(key)
    delivery = _upstream(context, Stage.fetch)
    ctx = tasks.run_context()
    if "republish" in delivery:
        return _guarded(context, stages.from_archive, spec, ctx, delivery["republish"]).asdict()
    archived = _guarded(context, stages.archive, spec, ctx, RawDelivery.from_dict(delivery))
    if stages.is_repeat(spec, ctx, archived):
        _skip(context, Outcome.repeat.value, f"the same bytes as an earlier delivery (sha256 {archived.sha256[:12]}…): "
                                 "not processed again / dữ liệu đã nhận trước đây", archived.asdict())
    return archived.asdict()


def normalise_task(key: str, context) -> dict:
    spec, _ = tasks.resolve(key)
    archived = ArchivedDelivery.from_dict(_upstream(context, Stage.archive))
    return _guarded(context, stages.normalise, spec, tasks.run_context(), archived).asdict()


def check_task(key: str, context) -> dict:
    spec, agency, city = tasks.resolve_with_city(key)
    table = Normalised.from_dict(_upstream(context, Stage.normalise))
    return _guarded(context, stages.check, spec, tasks.run_context(), table, city.province_code,
                    tasks.receipt_mailer(agency.email, spec.title.vi)).asdict()


def publish_task(key: str, context) -> dict:
    spec, agency, city = tasks.resolve_with_city(key)
    checked = Checked.from_dict(_upstream(context, Stage.check))
    result = _guarded(context, stages.publish, spec, agency, city, tasks.run_context(), checked,
                      tasks.portal_access(agency, city))
    outlet = context.get("outlet_events")
    if outlet is not None:  # downstream DAGs see what changed
        from .assets import dataset_asset

        outlet[dataset_asset(spec)].extra = {"outcome": result.outcome, "content_sha256": result.content_sha256}
    return result.asdict()


def record_task(key: str, context) -> dict:
    """The run's outcome, read from the stages' XComs, in the run ledger (the compliance ledger reads it);
    the run stays red if the delivery was rejected or failed, although this task itself recorded it."""
    from airflow.sdk.exceptions import AirflowFailException

    spec, _ = tasks.resolve(key)
    entry = stages.record(spec, tasks.run_context(), summarise(lambda stage, what="return_value": _pull(context, stage, what)))
    if entry.outcome in FAILED:
        context["ti"].xcom_push(key="return_value", value=entry.asdict())
        raise AirflowFailException(f"{spec.key}: {entry.outcome.value} — {entry.error or ''}")
    return entry.asdict()


TASKS: dict[Stage, Callable[[str, Any], Any]] = {
    Stage.fetch: fetch_task, Stage.archive: archive_task, Stage.normalise: normalise_task, Stage.check: check_task,
    Stage.publish: publish_task, Stage.record: record_task,
}
