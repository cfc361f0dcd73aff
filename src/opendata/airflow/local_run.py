"""Run a DAG in-process with ``dag.test()`` and read back what happened: used by ``make demo`` and tests.

Airflow must already be configured (AIRFLOW_HOME, dags folder) before this module is imported.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..vocabulary import Outcome, Stage


@dataclass
class LocalRun:
    dag_id: str
    run_id: str
    state: str
    task_states: dict[str, str]
    returns: dict[str, Any] = field(default_factory=dict)  # task_id -> its XCom return value
    skipped: dict[str, Any] = field(default_factory=dict)  # task_id -> why it skipped (XCom 'skip_reason')
    tries: dict[str, int] = field(default_factory=dict)  # task_id -> how many times it ran

    @property
    def outcome(self) -> str:
        """published / unchanged / repeat / quarantined / unreadable / no-delivery / failed, as a steward would
        say it: what the run's ``record`` task read from its stages and wrote in the ledger (it runs whatever
        happened before it); a run whose record task left nothing failed."""
        recorded = self.returns.get(Stage.record) or {}
        return recorded.get("outcome") or Outcome.failed.value


def load_dag_module(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_dag(dag, params: dict | None = None) -> LocalRun:
    import logging

    from airflow.models import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    # dag.test() polls and warns "No tasks to run" while a task is still running: noise in a terminal
    logging.getLogger("airflow.sdk.definitions.dag").setLevel(logging.ERROR)
    dr = dag.test(run_conf=params) if params else dag.test()
    with create_session() as session:
        tis = session.scalars(select(TaskInstance).where(TaskInstance.dag_id == dag.dag_id,
                                                         TaskInstance.run_id == dr.run_id)).all()
        states = {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in tis}
        tries = {ti.task_id: int(ti.try_number or 0) for ti in tis}
        rows = session.scalars(XComModel.get_many(run_id=dr.run_id, dag_ids=dag.dag_id, key="return_value")).all()
        returns = {x.task_id: XComModel.deserialize_value(x) for x in rows}
        rows = session.scalars(XComModel.get_many(run_id=dr.run_id, dag_ids=dag.dag_id, key="skip_reason")).all()
        skipped = {x.task_id: XComModel.deserialize_value(x) for x in rows}
    return LocalRun(dag.dag_id, dr.run_id, str(getattr(dr.state, "value", dr.state)), states, returns, skipped, tries)
