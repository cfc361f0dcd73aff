"""Event-driven runs: a file dropped → the watcher's Asset event → the scheduler queues the dataset's
DAG → its run publishes; manual re-publish of an archived delivery by sha256."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from opendata.airflow.dag_builder import dag_id_for, drop_asset
from tests.e2e.test_rain_gauge_slice import NAME, SPEC, drop, run_dataset_dag
from tests.factories import ROOT, SAMPLE_DROP

pytestmark = [pytest.mark.portal, pytest.mark.airflow]


def reserialize() -> None:
    """What Airflow's DAG processor does: parse the DAG folder into the metadata DB (with the test's env)."""
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "airflow"), "dags", "reserialize"], capture_output=True, text=True,
                         env=dict(os.environ))
    assert out.returncode == 0, out.stderr[-3000:]


def test_a_dropped_file_becomes_an_asset_event_that_queues_the_datasets_run(portal, pipeline_env) -> None:
    from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session
    from sqlalchemy import delete, select, update

    from opendata.airflow.local_run import load_dag_module, run_dag

    if portal.get("package_show", id=NAME) is not None:
        portal.action("dataset_purge", id=NAME)
    reserialize()
    dag_id = dag_id_for(SPEC)
    with create_session() as session:
        session.execute(delete(AssetDagRunQueue))
        session.execute(update(DagModel).where(DagModel.dag_id == dag_id).values(is_paused=False))  # as in the UI
    watcher = load_dag_module(ROOT / "dags" / "opendata_platform.py").dropzone_watch

    quiet = run_dag(watcher)
    assert quiet.state == "success" and quiet.returns["announce"] == {}  # nothing dropped yet: no event
    drop(pipeline_env, SAMPLE_DROP)
    announced = run_dag(watcher)
    assert announced.returns["announce"] == {SPEC.key: [SAMPLE_DROP.name]}

    with create_session() as session:
        asset = session.scalar(select(AssetModel).where(AssetModel.uri == drop_asset(SPEC).uri))
        events = session.scalars(select(AssetEvent).where(AssetEvent.asset_id == asset.id)).all()
        assert events and events[-1].extra == {"files": [SAMPLE_DROP.name]}
        queued = session.scalars(select(AssetDagRunQueue.target_dag_id)).all()
        assert dag_id in queued
        _, triggered = DagModel.dags_needing_dagruns(session)  # what the scheduler asks before creating runs
        assert dag_id in triggered
        session.rollback()  # release the scheduler's row locks

    again = run_dag(watcher)
    assert again.returns["announce"] == {}  # each file is announced once
    run = run_dataset_dag()
    assert run.outcome == "published" and portal.get("package_show", id=NAME) is not None


def test_a_steward_republishes_an_archived_delivery_by_sha256(portal, pipeline_env, capsys) -> None:
    from opendata.cli import main

    if portal.get("package_show", id=NAME) is not None:
        portal.action("dataset_purge", id=NAME)
    drop(pipeline_env, SAMPLE_DROP)
    first = run_dataset_dag()
    assert first.outcome == "published"
    sha = first.returns["archive"]["sha256"]
    portal.action("dataset_purge", id=NAME)  # e.g. deleted on the portal by mistake
    capsys.readouterr()
    assert main(["publish", "--dataset", SPEC.id, "--sha256", sha]) == 0
    assert "created" in capsys.readouterr().out
    pkg = portal.get("package_show", id=NAME)
    assert pkg["archive_sha256"] == sha
    assert main(["publish", "--dataset", SPEC.id, "--sha256", "0" * 64]) == 2
    assert "no archived delivery" in capsys.readouterr().out


def test_the_dag_param_republishes_from_the_archive(portal, pipeline_env) -> None:
    from opendata.airflow.local_run import load_dag_module, run_dag

    drop(pipeline_env, SAMPLE_DROP)
    sha = run_dataset_dag().returns["archive"]["sha256"]
    portal.action("dataset_purge", id=NAME)
    module = load_dag_module(Path(ROOT / "dags" / "opendata_datasets.py"))
    dag = getattr(module, dag_id_for(SPEC))
    run = run_dag(dag, params={"archive_sha256": sha})
    assert run.outcome == "published" and run.returns["fetch"] == {"republish": sha}  # nothing fetched from the source
    assert run.returns["archive"]["sha256"] == sha and run.returns["archive"]["seen_before"] is False
    assert portal.get("package_show", id=NAME)["name"] == NAME
