"""Issue 12: the sample city through Airflow's own processes, not dag.test(). Once with the
CeleryExecutor (redis as the broker, two `airflow celery worker` processes) and once with the
LocalExecutor, each on its own metadata database in the portal's PostgreSQL: the same datasets are
published with the same content hashes, and each Celery worker ran task instances.

To keep CI within its time, the city here is five of the sample datasets, one of every kind the
platform reads (a CSV and an XLSX drop, the agency API, the agency database) and the one the gate
rejects, from all four agencies; `make demo` runs the whole city through the scheduler."""

from __future__ import annotations

import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.factories import ROOT

sys.path.insert(0, str(ROOT / "dev"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CITY = ["skhcn/open-data-catalogue", "snnmt/land-prices", "svhttdl/accommodation", "syt/clinics",
        "syt/food-safety-inspections"]


def city_registry(root: Path) -> Path:
    """The sample registry with only the datasets of CITY (the city file and its agencies unchanged)."""
    import shutil

    source = ROOT / "include" / "datasets" / "danang"
    (root / "danang").mkdir(parents=True)
    shutil.copy(source / "city.yaml", root / "danang" / "city.yaml")
    for key in CITY:
        (root / "danang" / key).parent.mkdir(exist_ok=True)
        shutil.copy(source / f"{key}.yaml", root / "danang" / f"{key}.yaml")
    return root


def forget(lay, db: str) -> None:
    from airflow_stack import psql

    psql(lay, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    psql(lay, f"DROP ROLE IF EXISTS {db}")


def run_the_city(executor: str, workers: int, data: Path, tmp: Path) -> tuple[dict[str, dict], dict[str, int]]:
    """Every dataset of the sample city through a fresh Airflow stack: dag_id → outcome and content sha256,
    and (Celery) worker name → task instances it ran."""
    from airflow_stack import Api, Stack, down, up
    from demo import agency_services, connections_for, run_city, seed_drops
    from portal import Layout

    from opendata.settings import Settings
    from opendata.spec import load_registry

    lay = Layout.from_env()
    stack = Stack(lay, tmp / f"airflow-{executor}", free_port(), f"airflow_test_{executor}",
                  "CeleryExecutor" if executor == "celery" else "LocalExecutor", workers, f"airflow-test-{executor}")
    for name in stack.names():
        (lay.logs / f"{name}.log").unlink(missing_ok=True)
    forget(lay, stack.db)  # a database left by an interrupted run: its password is gone with its home
    settings = Settings(paths={"data": data, "registry": city_registry(tmp / "datasets")})
    registry = load_registry(settings.paths.registry, cache=False)
    assert len(registry.datasets) == len(CITY), registry.problems
    seed_drops(registry, ROOT / "include" / "samples", settings.paths.dropzone_root, earlier_too=True)
    services_env, servers = agency_services(registry, data, ROOT / "include" / "samples")
    extra = {"OPENDATA__PATHS__DATA": str(data), "OPENDATA__PATHS__REGISTRY": str(settings.paths.registry)}
    try:
        login = up(stack, connections_for(lay, registry, services_env), extra_env=extra)
        api = Api(login["url"], login["user"], login["password"])
        runs = run_city(api, registry, datetime.now(UTC).isoformat())
        from opendata import ledger
        from opendata.airflow.dag_builder import dag_id_for

        engine = ledger.open_ledger(settings.ledger_url())
        found = {}
        for spec in registry.datasets.values():  # the outcome as the run's record task wrote it to the ledger
            run = runs[dag_id_for(spec)]
            recorded = [r for r in ledger.runs(engine, spec.key) if r.run_id == run["dag_run_id"]]
            assert len(recorded) == 1, (spec.key, run["dag_run_id"], run["state"],
                                        api.task_states(run["dag_id"], run["dag_run_id"]),
                                        [(r.run_id, r.outcome) for r in ledger.runs(engine, spec.key)])
            [recorded] = recorded
            published = api.xcom(run["dag_id"], run["dag_run_id"], "publish") or {}
            found[run["dag_id"]] = {"outcome": recorded.outcome, "content_sha256": published.get("content_sha256"),
                                    "run_type": run["run_type"]}
        http_spec = next(s for s in registry.datasets.values() if s.source.kind == "http")
        found["again"] = run_again(api, engine, http_spec)
        if executor == "local":
            found["pages"] = more_than_a_page_of_runs(api, dag_id_for(http_spec))
        workers = {}
        if executor == "celery":
            screenshot_the_runs(login["url"], api.token)
            from airflow_stack import psql

            rows = psql(lay, "SELECT worker, count(*) FROM celery_taskmeta WHERE status = 'SUCCESS' GROUP BY worker", stack.db)
            workers = {w: int(n) for w, n in (line.split("|") for line in rows.splitlines() if line)}
        return found, workers
    finally:
        for server in servers:
            server.close()
        down(stack)
        forget(lay, stack.db)


def run_again(api, engine, spec) -> dict:
    """The agency API read again: the same bytes, a repeat. The run's outcome, state and task states."""
    from airflow_stack import wait_until

    from opendata import ledger
    from opendata.airflow.dag_builder import dag_id_for

    dag_id = dag_id_for(spec)
    run_id = api.trigger(dag_id)["dag_run_id"]
    done = wait_until(lambda: next((r for r in api.runs(dag_id) if r["dag_run_id"] == run_id
                                    and r["state"] in ("success", "failed")), None), 300, "the second run")
    return {"state": done["state"], "tasks": api.task_states(dag_id, run_id),
            "outcome": [r.outcome for r in ledger.runs(engine, spec.key) if r.run_id == run_id]}


def more_than_a_page_of_runs(api, dag_id: str) -> dict:
    """Issue 32: PAGE + 5 more runs of one DAG (paused, so they wait queued), as a machine that has run the
    demo for months holds: the lists the demo and the stack read still hold every run."""
    from airflow_stack import PAGE

    before = len(api.runs(dag_id))
    api.pause(dag_id)
    made = [api.trigger(dag_id)["dag_run_id"] for _ in range(PAGE + 5)]
    return {"before": before, "made": made, "page_size": PAGE,
            "listed": [r["dag_run_id"] for r in api.runs(dag_id)],
            "everyone": [r["dag_run_id"] for r in api.runs()],
            "one_call": len(api.get(f"/api/v2/dags/{dag_id}/dagRuns?limit=1000")["dag_runs"])}


def screenshot_the_runs(url: str, token: str) -> None:
    """The Airflow UI's list of the city's runs, as a steward sees it after logging in (for the README)."""

    from tests.e2e.browser import Browser

    browser = Browser()
    try:
        browser.set_cookie(url, "_token", token)
        html = browser.open(f"{url}/dag_runs", settle_s=4)
        assert "opendata__danang__" in html, html[-2000:]
        shot = ROOT / ".dev" / "test-output" / "airflow-runs.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        browser.screenshot(shot)
        assert shot.stat().st_size > 20_000
    finally:
        browser.close()


@pytest.fixture(scope="module")
def both(portal, tmp_path_factory):
    celery = run_the_city("celery", 2, tmp_path_factory.mktemp("celery-data"), tmp_path_factory.mktemp("celery"))
    local = run_the_city("local", 0, tmp_path_factory.mktemp("local-data"), tmp_path_factory.mktemp("local"))
    return celery, local


def test_a_run_with_nothing_new_skips_its_later_stages_at_once(both) -> None:
    """Issue 17: under the real scheduler, a repeat marks normalise, check and publish skipped in one go
    (stage_tasks._skip) and record still writes the outcome; the run is green."""
    for found, _ in both:
        again = found["again"]
        assert again["outcome"] == ["repeat"] and again["state"] == "success", again
        assert again["tasks"] == {"fetch": "success", "archive": "success", "normalise": "skipped", "check": "skipped",
                                  "publish": "skipped", "record": "success"}, again


def test_every_list_of_runs_is_read_to_its_last_page(both) -> None:
    """A third `make demo` waited forever: it asked for 1,000 runs and Airflow answers 100."""
    _, (local, _) = both
    pages = local["pages"]
    assert pages["one_call"] == pages["page_size"]  # the cap the demo ran into
    assert len(pages["listed"]) == pages["before"] + len(pages["made"]) > pages["page_size"]
    assert len(set(pages["listed"])) == len(pages["listed"])  # no run twice across pages
    assert set(pages["made"]) <= set(pages["listed"]) and set(pages["made"]) <= set(pages["everyone"])


def test_celery_and_local_executors_publish_the_same_city(both) -> None:
    (celery, _), (local, _) = both
    celery, local = ({k: v for k, v in found.items() if k not in ("again", "pages")} for found in (celery, local))
    assert set(celery) == set(local) and len(celery) == len(CITY)
    for dag_id in sorted(celery):
        c, lo = celery[dag_id], local[dag_id]
        assert c["outcome"] in ("published", "unchanged", "quarantined"), (dag_id, c)
        assert (c["outcome"] == "quarantined") == (lo["outcome"] == "quarantined"), (dag_id, c, lo)
        assert c["content_sha256"] == lo["content_sha256"], dag_id  # the same table, whichever executor
    published = [d for d, c in celery.items() if c["content_sha256"]]
    assert len(published) == len(CITY) - 1  # all but the delivery the gate rejects
    assert any(c["run_type"] == "scheduled" for c in celery.values())  # created by the scheduler, not dag.test()


def test_each_celery_worker_ran_task_instances(both) -> None:
    (_, workers), _ = both
    assert sorted(w.split("@")[0] for w in workers) == ["worker-1", "worker-2"], workers  # from the result backend
    assert all(n >= 1 for n in workers.values()), workers
