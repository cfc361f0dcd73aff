"""airflow.stage_tasks: a stage with nothing to do marks every later stage but record skipped in one go,
and a stage whose upstream left nothing (cleared by hand after such a run) skips itself instead of
failing on a missing input."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowSkipException, DownstreamTasksSkipped

from opendata.airflow import stage_tasks
from opendata.airflow.dag_builder import build_dataset_dag
from opendata.spec import load_registry
from tests.factories import ROOT

REGISTRY = load_registry(ROOT / "include" / "datasets")
KEY = "danang.snnmt.rain-gauge-stations"


class TaskInstance:
    """What a task body asks of its task instance: XComs pulled (none here) and pushed (kept)."""

    def __init__(self) -> None:
        self.pushed: dict[str, object] = {}

    def xcom_pull(self, task_ids: str, key: str = "return_value"):
        return None

    def xcom_push(self, key: str, value) -> None:
        self.pushed[key] = value


def context_of(stage: str) -> dict:
    dag = build_dataset_dag(REGISTRY.datasets[KEY], REGISTRY.paths[KEY])
    return {"ti": TaskInstance(), "task": dag.get_task(stage)}


@pytest.mark.parametrize(("stage", "later"), [("fetch", ["archive", "check", "normalise", "publish"]),
                                              ("archive", ["check", "normalise", "publish"])])
def test_nothing_to_do_skips_every_later_stage_but_record_at_once(stage: str, later: list[str]) -> None:
    context = context_of(stage)
    with pytest.raises(DownstreamTasksSkipped) as skipped:
        stage_tasks._skip(context, "no-delivery", "no new delivery")
    assert skipped.value.tasks == later and "record" not in skipped.value.tasks
    assert context["ti"].pushed == {"skip_reason": {"reason": "no-delivery"}}  # what record reads


@pytest.mark.parametrize("stage", ["archive", "normalise", "check", "publish"])
def test_a_stage_without_its_upstreams_result_skips_itself(stage: str) -> None:
    with pytest.raises(AirflowSkipException, match="nothing from"):
        stage_tasks.TASKS[stage](KEY, context_of(stage))
