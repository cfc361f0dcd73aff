"""The DAG files: one DAG per spec from the registry alone, a broken spec costs only its own DAG and
shows in the registry check, schedules never slower than quarterly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from croniter import croniter

from opendata.airflow.dag_builder import CRON, STAGES, cron_for, dag_id_for
from opendata.spec import load_registry
from tests.factories import ROOT

PROBE = """
import json, logging, sys
logging.disable(logging.CRITICAL)
from airflow.dag_processing.dagbag import DagBag
from airflow.serialization.serialized_objects import DagSerialization
bag = DagBag(dag_folder=sys.argv[1])
# what the scheduler gets: each DAG serialized as the DAG processor stores it, and read back
stored = {d.dag_id: DagSerialization.from_dict(DagSerialization.to_dict(d)) for d in bag.dags.values()}
print(json.dumps({"dags": {d.dag_id: {"tasks": [t.task_id for t in d.topological_sort()], "tags": sorted(d.tags),
                                      "stored_edges": sorted([t.task_id, n] for t in stored[d.dag_id].tasks
                                                             for n in t.downstream_task_ids),
                                      "stored_schedule": [type(stored[d.dag_id].timetable).__name__,
                                                          stored[d.dag_id].timetable.summary],
                                      "datasets": sorted({getattr(t, "dataset", "") for t in d.tasks}),
                                      "doc": d.doc_md or "", "max_active_runs": d.max_active_runs,
                                      "owner": d.owner, "schedule": repr(d.timetable),
                                      "weight_rules": sorted({str(t.weight_rule) for t in d.tasks})}
                           for d in bag.dags.values()},
                  "errors": {str(k): str(v)[:300] for k, v in bag.import_errors.items()}}))
"""
REGISTRY_CHECK = "opendata__platform__registry_check"


def parse(registry: Path, only: str | None = None) -> dict:
    env = {**os.environ, "OPENDATA__PATHS__REGISTRY": str(registry)}
    env.pop("_AIRFLOW_PARSING_CONTEXT_DAG_ID", None)
    if only is not None:  # what Airflow's task runner sets before it parses the file of the task it runs
        env["_AIRFLOW_PARSING_CONTEXT_DAG_ID"] = only
    out = subprocess.run([sys.executable, "-c", PROBE, str(ROOT / "dags")], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_dag_folder_loads_the_sample_city_without_import_errors(tmp_path: Path) -> None:
    bag = parse(ROOT / "include" / "datasets")
    assert bag["errors"] == {}
    registry = load_registry(ROOT / "include" / "datasets")
    dataset_dags = {dag_id_for(s): s for s in registry.datasets.values()}
    assert set(dataset_dags) <= set(bag["dags"]) and len(dataset_dags) == 26 + 12  # Da Nang, Can Tho
    platform = {REGISTRY_CHECK, "opendata__platform__dropzone_watch", "opendata__platform__link_check",
                "opendata__platform__compliance"}
    assert platform <= set(bag["dags"])
    for dag_id, spec in dataset_dags.items():
        dag = bag["dags"][dag_id]
        assert dag["tasks"] == list(STAGES) and dag["max_active_runs"] == 1 and dag["owner"] == spec.agency
        stages = list(STAGES)  # as the scheduler sees it: the same chain of stages and schedule
        assert dag["stored_edges"] == sorted([a, b] for a, b in zip(stages, stages[1:], strict=False))
        kind = "AssetOrTimeSchedule" if spec.source.kind == "drop_zone" else "CronTriggerTimetable"
        assert dag["stored_schedule"][0] == kind and cron_for(spec) in dag["stored_schedule"][1], dag["stored_schedule"]
        assert dag["datasets"] == [spec.key]  # every task knows the dataset it works on
        assert dag["weight_rules"] == ["upstream"]  # depth-first: a run under way goes before a new run's first stage
        assert dag["tags"] == sorted([spec.city, spec.agency, spec.domain.value])
        assert spec.description.vi in dag["doc"] and str(registry.paths[spec.key]) in dag["doc"]


def test_a_broken_spec_costs_only_its_own_dag_and_the_registry_check_names_it(tmp_path: Path) -> None:
    registry = tmp_path / "datasets"
    shutil.copytree(ROOT / "include" / "datasets", registry)
    healthy = parse(registry)["dags"]
    spec_path = registry / "danang" / "syt" / "hospitals.yaml"
    data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    data["update_frequency"] = "every now and then"
    spec_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    broken = parse(registry)
    assert broken["errors"] == {}
    assert set(broken["dags"]) == set(healthy) - {"opendata__danang__syt__hospitals"}
    doc = broken["dags"][REGISTRY_CHECK]["doc"]
    assert "hospitals.yaml" in doc and "update_frequency" in doc


def test_schedules_never_leave_more_than_three_months_between_runs() -> None:
    registry = load_registry(ROOT / "include" / "datasets")
    for spec in registry.datasets.values():
        assert cron_for(spec) in CRON.values()
    for cron in CRON.values():
        it = croniter(cron, datetime(2026, 1, 1))
        runs = [it.get_next(datetime) for _ in range(12)]
        assert max((b - a).days for a, b in zip(runs, runs[1:], strict=False)) <= 92, cron
    drop = next(s for s in registry.datasets.values() if s.source.kind == "drop_zone")
    api = next(s for s in registry.datasets.values() if s.source.kind == "http")
    dags = parse(ROOT / "include" / "datasets")["dags"]
    drop_schedule = dags[dag_id_for(drop)]["schedule"]
    assert "opendata-drop://" in drop_schedule and "CronTriggerTimetable" in drop_schedule
    assert "opendata-drop://" not in dags[dag_id_for(api)]["schedule"]


ISOLATION_PROBE = r"""
import json, logging, socket, sqlite3, sys
logging.disable(logging.CRITICAL)
import airflow.sdk  # Airflow itself is imported by the dag-processor before any DAG file
from airflow.dag_processing.dagbag import DagBag
from sqlalchemy import event
from sqlalchemy.engine import Engine

seen = {"connects": [], "statements": [], "sqlite": []}
real_connect, real_sqlite = socket.socket.connect, sqlite3.connect
socket.socket.connect = lambda self, address: seen["connects"].append(str(address)) or real_connect(self, address)
sqlite3.connect = lambda *a, **k: seen["sqlite"].append(str(a[0]) if a else "?") or real_sqlite(*a, **k)
event.listen(Engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: seen["statements"].append(statement[:80]))
bag = DagBag(dag_folder=sys.argv[1])
print(json.dumps({"dags": len(bag.dags), "errors": len(bag.import_errors), **seen}))
"""


def test_parsing_the_dag_folder_opens_no_connection_and_queries_no_database(tmp_path: Path) -> None:
    """What the dag-processor does every 30 s for every file: the registry alone, no socket opened, no
    SQLite file opened, no SQL statement run (the ledger, the portal and the agencies are for tasks)."""
    env = {**os.environ, "OPENDATA__PATHS__REGISTRY": str(ROOT / "include" / "datasets"),
           "OPENDATA__PATHS__DATA": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", ISOLATION_PROBE, str(ROOT / "dags")], capture_output=True, text=True,
                         env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["dags"] > 40 and found["errors"] == 0, found
    assert (found["connects"], found["sqlite"], found["statements"]) == ([], [], []), found


def test_a_worker_running_one_task_gets_only_that_tasks_dag_built() -> None:
    everything = parse(ROOT / "include" / "datasets")["dags"]
    platform_files = {d for d in everything if d.startswith("opendata__platform__") and d != REGISTRY_CHECK}
    one = "opendata__cantho__snnmt__floating_markets"
    assert one in everything
    only_one = parse(ROOT / "include" / "datasets", only=one)["dags"]
    assert set(only_one) == {one} | platform_files  # the other file is a different parse; its DAGs are few
    assert only_one[one] == everything[one]
    only_check = parse(ROOT / "include" / "datasets", only=REGISTRY_CHECK)["dags"]
    assert set(only_check) == {REGISTRY_CHECK} | platform_files
    # a name the registry does not have (a spec renamed since the run was queued): the whole folder, as before
    assert parse(ROOT / "include" / "datasets", only="opendata__danang__gone__nowhere")["dags"].keys() == everything.keys()


def test_building_the_dags_pauses_the_garbage_collector_and_gives_it_back_as_it_was() -> None:
    """dataset_dags builds with the cyclic collector off (a quarter of the parse at 1,000 specs) and
    restores it: on if it was on, off if it was off, also when a build fails."""
    import gc

    from opendata.airflow import dag_builder

    registry = load_registry(ROOT / "include" / "datasets")
    seen = []
    real = dag_builder.build_dataset_dag

    def watching(spec, path):
        seen.append(gc.isenabled())
        return real(spec, path)

    assert gc.isenabled()
    try:
        dag_builder.build_dataset_dag = watching
        dags = dag_builder.dataset_dags(registry)
        assert gc.isenabled() and seen and not any(seen) and len(dags) == len(registry.datasets) + 1
        gc.disable()
        dag_builder.dataset_dags(registry)
        assert not gc.isenabled()
        gc.enable()

        def failing(spec, path):
            raise RuntimeError("a broken build")

        dag_builder.build_dataset_dag = failing
        with pytest.raises(RuntimeError, match="a broken build"):
            dag_builder.dataset_dags(registry)
        assert gc.isenabled()
    finally:
        dag_builder.build_dataset_dag = real
        gc.enable()
