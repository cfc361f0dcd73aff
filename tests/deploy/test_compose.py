"""docker-compose.yaml and the Dockerfiles, checked without a Docker engine: Debian's docker-compose
renders the file (`config`), the Compose specification's JSON schema validates it, and the project's
rules (tests/deploy/compose_rules.py) hold, each of them shown to catch what it is for."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.deploy import compose_rules as rules
from tests.factories import ROOT

COMPOSE = ROOT / "docker-compose.yaml"
SCHEMA = Path("/usr/lib/python3/dist-packages/compose/config/compose_spec.json")  # Debian's docker-compose
ENV_EXAMPLE = ROOT / ".env.example"


def rendered_env() -> dict[str, str]:
    """Every variable .env.example lists, with a placeholder where it has no value: what `config` needs."""
    out = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not line.startswith("#"):
            out[key.strip()] = value.split("#")[0].strip() or "placeholder-value"
    return out


@pytest.fixture(scope="module")
def doc() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def test_docker_compose_renders_the_file_with_every_setting_of_env_example() -> None:
    exe = shutil.which("docker-compose")
    assert exe, "Debian's docker-compose is not installed: make system-deps installs it"
    env = {**os.environ, **rendered_env()}
    out = subprocess.run([exe, "-f", str(COMPOSE), "config", "-q"], env=env, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    missing = subprocess.run([exe, "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True, cwd=ROOT,
                             env={k: v for k, v in os.environ.items() if k not in rendered_env()})
    assert missing.returncode != 0 and "set in .env" in missing.stderr  # a secret left out stops it, by name


def test_the_compose_schema_accepts_the_file_and_rejects_a_broken_one(doc) -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    assert schema["$schema"].startswith("http://json-schema.org/draft/2019-09/")
    validator = jsonschema.Draft201909Validator(schema)
    validator.validate(doc)
    broken = copy.deepcopy(doc)
    broken["services"]["redis"]["healthcheck"]["intervall"] = "10s"
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(broken)


def test_the_project_rules_hold(doc) -> None:
    assert rules.all_problems(doc) == []
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in COMPOSE.read_text()
    services = set(doc["services"])
    assert {"postgres", "redis", "solr", "ckan", "ckan-worker", "ckan-init", "airflow-init", "airflow-api-server",
            "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker"} <= services
    worker = doc["services"]["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker  # --scale airflow-worker=N works
    for name in ("dropzone", "opendata-data", "pg-data", "ckan-storage", "solr-data"):
        assert name in doc["volumes"]


@pytest.mark.parametrize(("break_it", "says"), [
    (lambda d: d["services"]["redis"].update(image="redis:latest"), "not pinned"),
    (lambda d: d["services"]["solr"].update(image="ckan/ckan-solr"), "not pinned"),
    (lambda d: d["services"]["ckan"].pop("healthcheck"), "without a health check"),
    (lambda d: d["services"]["ckan"].update(depends_on=["postgres"]), "without conditions"),
    (lambda d: d["services"]["airflow-worker"]["depends_on"].update(redis={"condition": "service_started"}),
     "without condition service_healthy"),
    (lambda d: d["services"]["postgres"]["environment"].update(POSTGRES_PASSWORD="hunter2"), "is a literal"),
    (lambda d: d["services"]["ckan"]["environment"].update(CKAN_SQLALCHEMY_URL="postgresql://ckan:hunter2@postgres/ckan"),
     "password in its URL"),
    (lambda d: d["services"]["ckan"].update(command=["ckan", "-c", "/etc/ckan/ckan.ini", "run", "-H", "0.0.0.0"]),
     "development server"),
])
def test_each_rule_catches_what_it_is_for(doc, break_it, says) -> None:
    broken = copy.deepcopy(doc)
    break_it(broken)
    assert any(says in p for p in rules.all_problems(broken)), rules.all_problems(broken)


@pytest.mark.parametrize(("dockerfile", "lock"), [("airflow.Dockerfile", "airflow.lock"), ("ckan.Dockerfile", "ckan.lock")])
def test_the_images_install_exactly_the_lock_files(dockerfile, lock, tmp_path) -> None:
    path = ROOT / "deploy" / dockerfile
    assert rules.dockerfile_problems(path, lock) == []
    bad = tmp_path / dockerfile
    bad.write_text(path.read_text().replace("FROM python:3.11.11-slim-bookworm", "FROM python:latest")
                   + "\nRUN pip install requests\nCMD [\"ckan\", \"-c\", \"/etc/ckan/ckan.ini\", \"run\"]\n")
    found = rules.dockerfile_problems(bad, lock)
    assert any("not pinned" in p for p in found) and any("resolves dependencies" in p for p in found)
    assert any("development server" in p for p in found)


def test_the_portal_serves_as_the_dev_portal_does(doc) -> None:
    """The same web server and settings in docker-compose.yaml, the image and dev/portal.py: what the tests
    and benchmarks measure is what a city runs."""
    sys.path.insert(0, str(ROOT / "dev"))
    from portal import CKAN_WEB

    assert doc["services"]["ckan"]["command"] == CKAN_WEB
    assert f"CMD {json.dumps(CKAN_WEB)}" in (ROOT / "deploy" / "ckan.Dockerfile").read_text()
    assert "gunicorn==" in (ROOT / "requirements" / "ckan.lock").read_text()


def test_the_containers_run_the_commands_the_celery_test_runs(doc) -> None:
    sys.path.insert(0, str(ROOT / "dev"))
    from airflow_stack import Stack, commands

    local = commands(Stack.from_env("celery", 1))
    ours = {name.removeprefix("airflow-celery-"): argv for name, argv in local.items()}

    def drop_host(argv: list[str]) -> list[str]:
        return [a for i, a in enumerate(argv) if a != "--celery-hostname" and (i == 0 or argv[i - 1] != "--celery-hostname")]

    compose = {n.removeprefix("airflow-"): s["command"] for n, s in doc["services"].items()
               if n.startswith("airflow-") and n != "airflow-init"}
    assert compose.pop("api-server") == ["api-server", "--port", "8080"] and ours.pop("api")[0] == "api-server"
    worker = [a.replace("${AIRFLOW_WORKER_CONCURRENCY:-2}", "2") for a in compose.pop("worker")]
    assert worker == drop_host(ours.pop("worker-1"))
    assert compose == ours
