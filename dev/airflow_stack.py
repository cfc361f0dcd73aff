"""Airflow 3 as a city runs it, next to the local portal: ``python dev/airflow_stack.py up|down|status``.

Separate processes, each recorded by pid (``down`` stops exactly those): the api-server (UI, REST
API, execution API for the tasks), the scheduler, the dag-processor and the triggerer; with
``--executor celery`` also ``--workers N`` Celery workers on the portal's redis. The metadata DB is a
database of the portal's PostgreSQL cluster, never SQLite. Logins go through the simple auth
manager: an ``admin`` user whose generated password is kept in ``<home>/passwords.json`` (0600).
Connections (the agencies' CKAN publishers, their APIs and databases) are imported into the
metadata DB with ``airflow connections import``, so task processes read them from Airflow.

The exact commands are in :func:`commands`: docker-compose.yaml runs the same ones.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "dev"))

from portal import Layout, port_open, psql, read_pid, say, start, stop, wait_for  # noqa: E402

ADMIN = "admin"
POOL = "ckan_portal"  # every publish task takes a slot: the portal never gets more than POOL_SLOTS at once
POOL_SLOTS = 4
PAGE = 100  # Airflow's api.maximum_page_limit: no list answer is longer
PROCESSES = ("airflow-api", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")


@dataclass(frozen=True)
class Stack:
    """One Airflow installation: its home, port, metadata database and executor."""

    lay: Layout
    home: Path
    port: int
    db: str
    executor: str = "LocalExecutor"
    workers: int = 0
    prefix: str = "airflow"  # pid and log names: several stacks can share one portal

    @classmethod
    def from_env(cls, executor: str = "local", workers: int = 0) -> Stack:
        lay = Layout.from_env()
        env = os.environ
        celery = executor == "celery"
        return cls(lay, Path(env.get("OPENDATA_AIRFLOW_HOME", lay.dev / ("airflow-celery" if celery else "airflow"))),
                   int(env.get("OPENDATA_AIRFLOW_PORT", 8081 if celery else 8080)),
                   env.get("OPENDATA_AIRFLOW_DB", "airflow_celery" if celery else "airflow"),
                   "CeleryExecutor" if celery else "LocalExecutor", workers if celery else 0,
                   "airflow-celery" if celery else "airflow")

    @property
    def url(self) -> str:
        return f"http://{self.lay.host}:{self.port}"

    @property
    def secrets_file(self) -> Path:
        return self.home / "secrets.json"

    @property
    def passwords_file(self) -> Path:
        return self.home / "passwords.json"

    def names(self) -> list[str]:
        return [p.replace("airflow", self.prefix, 1) for p in PROCESSES] + [f"{self.prefix}-worker-{i}"
                                                                            for i in range(1, self.workers + 1)]


def private_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f)


def load_secrets(stack: Stack) -> dict[str, str]:
    """The DB password, the JWT secret shared by every process, the Fernet key and the admin's password."""
    if stack.secrets_file.exists():
        return json.loads(stack.secrets_file.read_text())
    import base64

    values = {"db_password": secrets.token_urlsafe(18), "jwt_secret": secrets.token_urlsafe(64),
              "fernet_key": base64.urlsafe_b64encode(os.urandom(32)).decode(), "admin_password": secrets.token_urlsafe(12)}
    private_json(stack.secrets_file, values)
    return values


def environment(stack: Stack, values: dict[str, str]) -> dict[str, str]:
    """The configuration every Airflow process of this stack shares (and tasks inherit)."""
    lay = stack.lay
    db = f"postgresql+psycopg2://{stack.db}:{values['db_password']}@{lay.host}:{lay.pg_port}/{stack.db}"
    env = {
        "AIRFLOW_HOME": str(stack.home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": db,
        "AIRFLOW__CORE__EXECUTOR": stack.executor,
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__FERNET_KEY": values["fernet_key"],
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{stack.url}/execution/",
        "AIRFLOW__API__BASE_URL": stack.url,
        "AIRFLOW__API__PORT": str(stack.port),
        "AIRFLOW__API_AUTH__JWT_SECRET": values["jwt_secret"],
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(stack.passwords_file),
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
        "NO_COLOR": "1",
    }
    if stack.executor == "CeleryExecutor":
        env.update({
            "AIRFLOW__CELERY__BROKER_URL": f"redis://{lay.host}:{lay.redis_port}/3",
            "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + db,  # SQLAlchemy 2.1 would pick psycopg 3 for a bare postgresql://
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # which worker ran each task, kept in the result backend (celery_taskmeta.worker) for operators
            "AIRFLOW__CELERY__EXTRA_CELERY_CONFIG": '{"result_extended": true}',
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": "opendata",
        })
    return env


def commands(stack: Stack) -> dict[str, list[str]]:
    """Process name → argv, without the executable: ``airflow <argv>`` here and in docker-compose.yaml."""
    out = dict(zip(stack.names()[:4], (["api-server", "--port", str(stack.port)], ["scheduler"], ["dag-processor"],
                                       ["triggerer"]), strict=True))
    for i in range(1, stack.workers + 1):
        out[f"{stack.prefix}-worker-{i}"] = ["celery", "worker", "--queues", "opendata", "--concurrency", "2",
                                             "--celery-hostname", f"worker-{i}@%h", "--skip-serve-logs"]
    return out


def airflow_bin() -> str:
    path = ROOT / ".venv" / "bin" / "airflow"
    if not path.exists():
        raise SystemExit(f"[airflow] {path} is missing: run 'make install' first")
    return str(path)


def database(stack: Stack, values: dict[str, str]) -> None:
    """A role and database of their own in the portal's cluster; migrated to Airflow's schema."""
    import subprocess

    roles = set(psql(stack.lay, "SELECT rolname FROM pg_roles").split())
    if stack.db not in roles:
        psql(stack.lay, f"CREATE ROLE {stack.db} LOGIN PASSWORD '{values['db_password']}'")
    if stack.db not in set(psql(stack.lay, "SELECT datname FROM pg_database").split()):
        psql(stack.lay, f"CREATE DATABASE {stack.db} OWNER {stack.db} ENCODING 'UTF8' TEMPLATE template0")
    env = {**os.environ, **environment(stack, values)}
    out = subprocess.run([airflow_bin(), "db", "migrate"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"[airflow] 'airflow db migrate' failed:\n{out.stderr[-3000:]}")
    subprocess.run([airflow_bin(), "pools", "set", POOL, str(POOL_SLOTS), "CKAN portal: publish tasks at once"],
                   env=env, capture_output=True, check=True)


def import_connections(stack: Stack, connections: dict[str, dict]) -> None:
    """Connections into the metadata DB (encrypted with the Fernet key), through Airflow's own import."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "connections.json"
        private_json(path, connections)
        env = {**os.environ, **environment(stack, load_secrets(stack))}
        out = subprocess.run([airflow_bin(), "connections", "import", "--overwrite", str(path)], env=env,
                             capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"[airflow] 'airflow connections import' failed:\n{out.stderr[-2000:]}")


def up(stack: Stack, connections: dict[str, dict] | None = None, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """Start what is not running yet, after importing ``connections``; returns the login (user, password, url)."""
    values = load_secrets(stack)
    if not stack.passwords_file.exists():
        private_json(stack.passwords_file, {ADMIN: values["admin_password"]})
    database(stack, values)
    if connections:
        import_connections(stack, connections)
    env = {**environment(stack, values), **(extra_env or {})}
    for name, argv in commands(stack).items():
        if read_pid(stack.lay, name) is None:
            if name.endswith("-api") and port_open(stack.lay.host, stack.port):
                raise SystemExit(f"[airflow] port {stack.port} is taken by another program; set OPENDATA_AIRFLOW_PORT")
            start(stack.lay, name, [airflow_bin(), *argv], env=env, cwd=ROOT)
    wait_for("the Airflow api-server", lambda: healthy(stack), 120, stack.lay.logs / f"{stack.prefix}-api.log")
    say(f"Airflow ({stack.executor}) at {stack.url}: login '{ADMIN}', password in "
        f"{stack.passwords_file.relative_to(ROOT) if stack.passwords_file.is_relative_to(ROOT) else stack.passwords_file}")
    return {"user": ADMIN, "password": values["admin_password"], "url": stack.url}


def healthy(stack: Stack) -> bool:
    try:
        with urllib.request.urlopen(f"{stack.url}/api/v2/monitor/health", timeout=3) as r:
            body = json.load(r)
    except (OSError, ValueError):
        return False
    return body.get("metadatabase", {}).get("status") == "healthy" and body.get("scheduler", {}).get("status") == "healthy"


def down(stack: Stack) -> None:
    for name in reversed(stack.names()):
        stop(stack.lay, name)


def status(stack: Stack) -> int:
    running = [(n, read_pid(stack.lay, n)) for n in stack.names()]
    for name, pid in running:
        print(f"{name:24} {'running, pid ' + str(pid) if pid else 'stopped'}")
    ok = healthy(stack)
    print(f"{'airflow':24} {stack.url} {'healthy' if ok else 'not healthy'}")
    return 0 if ok and all(p for _, p in running) else 1


class Api:
    """Airflow's REST API with a token from the simple auth manager's login."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.url = url
        body = self._call("POST", "/auth/token", {"username": user, "password": password}, auth=False)
        self.token = body["access_token"]

    def _call(self, method: str, path: str, body: dict | None = None, auth: bool = True):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {self.token}"} if auth else {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return json.load(r)
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: HTTP {exc.code}: {exc.read()[:300]!r}") from None

    def get(self, path: str):
        return self._call("GET", path)

    def post(self, path: str, body: dict):
        return self._call("POST", path, body)

    def listed(self, path: str, key: str, **params: str) -> list[dict]:
        """Every item of one of Airflow's list endpoints, page after page: the API answers at most
        ``api.maximum_page_limit`` items (100) whatever ``limit`` asks, so one call loses the rest."""
        items: list[dict] = []
        while True:
            query = urlencode({**params, "limit": PAGE, "offset": len(items)})
            page = self.get(f"{path}?{query}")[key]
            items.extend(page)
            if len(page) < PAGE:
                return items

    def dag_ids(self) -> set[str]:
        return {d["dag_id"] for d in self.listed("/api/v2/dags", "dags", order_by="dag_id")}

    def runs(self, dag_id: str = "~", **filters: str) -> list[dict]:
        """The DAG's runs (every DAG's with ``~``), oldest first; ``filters`` as the API takes them
        (``run_after_gte``, ``state``)."""
        return self.listed(f"/api/v2/dags/{dag_id}/dagRuns", "dag_runs", order_by="id", **filters)

    def trigger(self, dag_id: str, conf: dict | None = None) -> dict:
        return self.post(f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})

    def pause(self, dag_id: str, paused: bool = True) -> None:
        self._call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": paused})

    def unpause(self, dag_id: str) -> None:
        self.pause(dag_id, paused=False)

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        """task_id → state of one run (what a failure message shows)."""
        found = self.listed(f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances", "task_instances")
        return {t["task_id"]: t["state"] for t in found}

    def xcom(self, dag_id: str, run_id: str, task_id: str, key: str = "return_value"):
        path = f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances/{task_id}/xcomEntries/{key}"
        for attempt in range(3):
            try:
                return self.get(path).get("value")
            except RuntimeError as exc:
                if "HTTP 404" in str(exc):
                    return None  # the task pushed nothing (skipped, or failed before returning)
                time.sleep(2 * (attempt + 1))
        return None


def wait_until(check, timeout: float, what: str, every: float = 2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise SystemExit(f"[airflow] {what} did not happen within {timeout:.0f} s")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument("--executor", choices=["local", "celery"], default="local")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv[1:])
    stack = Stack.from_env(args.executor, args.workers)
    if args.command == "up":
        up(stack)
        return 0
    if args.command == "down":
        down(stack)
        return 0
    return status(stack)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
