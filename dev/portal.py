"""The local, Docker-free CKAN portal: ``python dev/portal.py up|down|status|url|purge|stop SERVICE``.

Starts, under ``.dev/`` (override with OPENDATA_DEV_DIR): a private PostgreSQL cluster (CKAN DB,
DataStore DB and its read-only user), redis, Apache Solr (built from Maven Central by ``make install``,
see dev/solr/), CKAN 2.12 and its background job worker. Every process it starts is recorded by pid; ``down`` stops exactly
those, never anything found by name. ``up`` is idempotent and reuses the data after a reboot.
Standard library only, so it runs before any project virtualenv exists.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("OPENDATA_PG_BIN", "/usr/lib/postgresql/15/bin"))
# scheming_datasets serves ckanext-opendata's dataset schema (the platform's fields, vi/en labels). The
# platform's publisher is the only DataStore loader: no xloader (ckanext/opendata/uploads.py says why);
# OPENDATA_DEV_EXTRA_PLUGINS adds plugins for a measurement (bench/datastore_1m.py enables xloader so).
PLUGINS = "activity scheming_datasets datastore datatables_view image_view dcat opendata"
EXTRA_PLUGINS = os.environ.get("OPENDATA_DEV_EXTRA_PLUGINS", "").split()
ADMIN = "opendata_admin"
SOLR_BUILD = ROOT / "dev" / "solr"
SOLR_CORE = "ckan"
SOLR_HEAP = os.environ.get("OPENDATA_DEV_SOLR_HEAP", "512m")


@dataclass(frozen=True)
class Layout:
    """Where everything lives and which ports it uses; all from the environment, with defaults."""

    dev: Path
    pg_port: int
    redis_port: int
    solr_port: int
    ckan_port: int
    host: str = "127.0.0.1"

    @classmethod
    def from_env(cls) -> Layout:
        env = os.environ
        return cls(
            dev=Path(env.get("OPENDATA_DEV_DIR", ROOT / ".dev")).resolve(),
            pg_port=int(env.get("OPENDATA_DEV_PG_PORT", 54329)),
            redis_port=int(env.get("OPENDATA_DEV_REDIS_PORT", 63799)),
            solr_port=int(env.get("OPENDATA_DEV_SOLR_PORT", 18983)),
            ckan_port=int(env.get("OPENDATA_PORTAL_PORT", 5000)),
        )

    @cached_property
    def pg_root(self) -> Path:
        """``.dev/pg``, unless the 'postgres' user cannot reach it or the socket path would be too long
        for Unix sockets (107 bytes): then a folder under /var/tmp named after this checkout."""
        local = self.dev / "pg"
        too_long = len(str(local / "run" / f".s.PGSQL.{self.pg_port}.lock")) > 100
        if not too_long and (os.geteuid() != 0 or _postgres_can_reach(self.dev)):
            return local
        digest = hashlib.sha256(str(self.dev).encode()).hexdigest()[:10]
        return Path("/var/tmp") / f"opendata-pg-{digest}"

    @property
    def pg_data(self) -> Path:
        return self.pg_root / "data"

    @property
    def pg_socket(self) -> Path:
        return self.pg_root / "run"

    @property
    def run(self) -> Path:
        return self.dev / "run"

    @property
    def logs(self) -> Path:
        return self.dev / "logs"

    @property
    def ckan_ini(self) -> Path:
        return self.dev / "ckan" / "ckan.ini"

    @property
    def token_file(self) -> Path:
        return self.dev / "ckan" / "api-token"

    @property
    def secrets_file(self) -> Path:
        return self.dev / "secrets.json"

    @property
    def portal_url(self) -> str:
        return f"http://{self.host}:{self.ckan_port}"

    @property
    def solr_home(self) -> Path:
        return self.dev / "solr"

    @property
    def solr_core_url(self) -> str:
        return f"http://{self.host}:{self.solr_port}/solr/{SOLR_CORE}"


def _postgres_can_reach(folder: Path) -> bool:
    """Whether user 'postgres' can enter every parent of ``folder`` (a 0700 /tmp clone it cannot)."""
    probe = folder
    while not probe.exists():
        probe = probe.parent
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(probe)], capture_output=True).returncode == 0


def say(msg: str) -> None:
    print(f"[portal] {msg}", flush=True)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def wait_for(what: str, check, timeout: float, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    tail = ""
    if log and log.exists():
        tail = "\n--- last lines of " + str(log) + " ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
    raise SystemExit(f"[portal] {what} did not come up within {timeout:.0f} s{tail}")


# ------------------------------------------------------------------ processes we own, by pid


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def read_pid(lay: Layout, name: str) -> int | None:
    path = lay.run / f"{name}.pid"
    try:
        pid = int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def start(lay: Layout, name: str, argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> int:
    lay.run.mkdir(parents=True, exist_ok=True)
    lay.logs.mkdir(parents=True, exist_ok=True)
    log = open(lay.logs / f"{name}.log", "ab")
    proc = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})}, cwd=cwd, start_new_session=True,
    )
    (lay.run / f"{name}.pid").write_text(f"{proc.pid}\n")
    return proc.pid


def stop(lay: Layout, name: str, timeout: float = 15) -> None:
    pid = read_pid(lay, name)
    if pid is None:
        (lay.run / f"{name}.pid").unlink(missing_ok=True)
        return
    try:  # the process group we created with start_new_session: the process and its children
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_alive(pid):
        os.killpg(pid, signal.SIGKILL)
    (lay.run / f"{name}.pid").unlink(missing_ok=True)
    say(f"stopped {name} (pid {pid})")


# ------------------------------------------------------------------ PostgreSQL


def as_pg_owner(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; when we are root, run its server tools as 'postgres'."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def postgres_pid(lay: Layout) -> int | None:
    try:
        pid = int((lay.pg_data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid_alive(pid) else None


def psql(lay: Layout, sql: str, db: str = "postgres") -> str:
    out = subprocess.run(
        ["psql", "-h", str(lay.pg_socket), "-p", str(lay.pg_port), "-U", "postgres", "-d", db,
         "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def postgres_up(lay: Layout, pw: dict[str, str]) -> None:
    if not (PG_BIN / "initdb").exists():
        raise SystemExit(f"[portal] PostgreSQL server binaries not found in {PG_BIN}: run 'make system-deps'")
    lay.pg_socket.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(lay.pg_root, "postgres", "postgres")
        shutil.chown(lay.pg_socket, "postgres", "postgres")
    if not (lay.pg_data / "PG_VERSION").exists():
        say("initialising the PostgreSQL cluster")
        lay.pg_data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(lay.pg_data, "postgres", "postgres")
        subprocess.run(as_pg_owner([str(PG_BIN / "initdb"), "-D", str(lay.pg_data), "-U", "postgres",
                                    "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                                    "--locale=C.UTF-8"]), check=True, capture_output=True)
    if postgres_pid(lay) is None:
        if port_open(lay.host, lay.pg_port):
            raise SystemExit(f"[portal] port {lay.pg_port} is taken by another program; set OPENDATA_DEV_PG_PORT")
        log = lay.pg_root / "postgres.log"
        subprocess.run(as_pg_owner([str(PG_BIN / "pg_ctl"), "-D", str(lay.pg_data), "-l", str(log), "-w", "-t", "60",
                                    "-o", f"-p {lay.pg_port} -k {lay.pg_socket} -c listen_addresses={lay.host}",
                                    "start"]), check=True, capture_output=True)
        say(f"PostgreSQL started on port {lay.pg_port} (pid {postgres_pid(lay)})")
    roles = set(psql(lay, "SELECT rolname FROM pg_roles").split())
    for role in ("ckan_default", "datastore_default"):
        if role not in roles:
            psql(lay, f"CREATE ROLE {role} LOGIN PASSWORD '{pw[role]}'")
    dbs = set(psql(lay, "SELECT datname FROM pg_database").split())
    for db in ("ckan_default", "datastore_default"):
        if db not in dbs:
            psql(lay, f"CREATE DATABASE {db} OWNER ckan_default ENCODING 'UTF8' TEMPLATE template0")
    # full-text words without an English dictionary (none exists for Vietnamese; 'english' drops the "An" of
    # "Hội An" as a stop word); CKAN's queries use the same (ckan.datastore.default_fts_lang), as in production
    psql(lay, "ALTER DATABASE datastore_default SET default_text_search_config = 'pg_catalog.simple'")


def postgres_down(lay: Layout) -> None:
    pid = postgres_pid(lay)
    if pid is None:
        return
    subprocess.run(as_pg_owner([str(PG_BIN / "pg_ctl"), "-D", str(lay.pg_data), "-m", "fast", "-w", "stop"]),
                   check=False, capture_output=True)
    say(f"stopped PostgreSQL (pid {pid})")


# ------------------------------------------------------------------ Apache Solr


def ckan_schema_xml() -> Path:
    """CKAN's own Solr schema, from the CKAN installed in .venv-ckan (the one its Solr image ships)."""
    found = sorted((ROOT / ".venv-ckan" / "lib").glob("python3*/site-packages/ckan/config/solr/schema.xml"))
    if not found:
        raise SystemExit("[portal] CKAN's schema.xml is missing from .venv-ckan: run 'make install' first")
    return found[-1]


def solr_core_files(lay: Layout) -> None:
    """The Solr home: solr.xml, and the CKAN core with CKAN's schema.xml and our solrconfig.xml, written at
    every start (so a CKAN upgrade brings its schema); the index itself (ckan/data) is kept."""
    conf = lay.solr_home / SOLR_CORE / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOLR_BUILD / "conf" / "solr.xml", lay.solr_home / "solr.xml")
    for name in ("solrconfig.xml", "synonyms.txt", "protwords.txt"):
        shutil.copyfile(SOLR_BUILD / "conf" / name, conf / name)
    shutil.copyfile(ckan_schema_xml(), conf / "schema.xml")
    (lay.solr_home / SOLR_CORE / "core.properties").write_text(f"name={SOLR_CORE}\n")


def solr_answers(lay: Layout) -> bool:
    """Solr's ping of the CKAN core: the same health check as compose's."""
    try:
        with urllib.request.urlopen(f"{lay.solr_core_url}/admin/ping?wt=json", timeout=2) as r:
            return json.load(r).get("status") == "OK"
    except (OSError, ValueError):
        return False


def solr_up(lay: Layout) -> None:
    launcher = SOLR_BUILD / "target" / "solr-launcher.jar"
    if not launcher.exists():
        raise SystemExit(f"[portal] {launcher.relative_to(ROOT)} is missing: run 'make install' (it builds Solr with Maven)")
    java = shutil.which("java", path=f"{os.environ.get('JAVA_HOME', '')}/bin:{os.environ.get('PATH', '')}")
    if not java:
        raise SystemExit("[portal] java is not installed: run 'make system-deps'")
    if port_open(lay.host, lay.solr_port):
        raise SystemExit(f"[portal] port {lay.solr_port} is taken by another program; set OPENDATA_DEV_SOLR_PORT")
    solr_core_files(lay)
    classpath = f"{launcher}:{SOLR_BUILD / 'target' / 'lib'}/*"
    start(lay, "solr", [java, f"-Xms{SOLR_HEAP}", f"-Xmx{SOLR_HEAP}", "-XX:+UseSerialGC",
                        f"-Dsolr.log.dir={lay.logs}", f"-Dlog4j2.configurationFile={SOLR_BUILD / 'conf' / 'log4j2.xml'}",
                        "-cp", classpath, "opendata.dev.SolrLauncher", str(lay.solr_home), str(lay.solr_port)])
    wait_for("Apache Solr", lambda: solr_answers(lay), 90, lay.logs / "solr.log")
    say(f"Apache Solr answering at {lay.solr_core_url} (pid {read_pid(lay, 'solr')})")


# ------------------------------------------------------------------ CKAN


def venv_bin(name: str, venv: str) -> str:
    path = ROOT / venv / "bin" / name
    if not path.exists():
        raise SystemExit(f"[portal] {path} is missing: run 'make install' first")
    return str(path)


def ckan(lay: Layout, *args: str, capture: bool = True) -> str:
    out = subprocess.run([venv_bin("ckan", ".venv-ckan"), "-c", str(lay.ckan_ini), *args],
                         check=False, capture_output=True, text=True, cwd=lay.dev / "ckan")
    if out.returncode != 0:
        raise SystemExit(f"[portal] 'ckan {args[0]} {args[1] if len(args) > 1 else ''}' failed:\n{out.stderr[-3000:]}")
    return out.stdout


def ckan_config(lay: Layout, pw: dict[str, str]) -> None:
    (lay.dev / "ckan" / "storage").mkdir(parents=True, exist_ok=True)
    if not lay.ckan_ini.exists():
        subprocess.run([venv_bin("ckan", ".venv-ckan"), "generate", "config", str(lay.ckan_ini)],
                       check=True, capture_output=True)
    db = f"127.0.0.1:{lay.pg_port}"
    settings = {
        "sqlalchemy.url": f"postgresql://ckan_default:{pw['ckan_default']}@{db}/ckan_default",
        "ckan.datastore.write_url": f"postgresql://ckan_default:{pw['ckan_default']}@{db}/datastore_default",
        "ckan.datastore.read_url": f"postgresql://datastore_default:{pw['datastore_default']}@{db}/datastore_default",
        "solr_url": lay.solr_core_url,
        "ckan.redis.url": f"redis://{lay.host}:{lay.redis_port}/0",
        "ckan.site_url": lay.portal_url,
        "ckan.site_title": "Cổng dữ liệu mở (dev)",
        "ckan.site_description": "Dữ liệu mở của các cơ quan, đơn vị, kiểm tra chất lượng trước khi công bố / "
                                 "Open data of the city's agencies, quality-checked before publication",
        "ckanext.dcat.rdf.profiles": "euro_dcat_ap_3 opendata_vn",  # catalog.ttl and /dataset/<name>.ttl
        "ckanext.dcat.translate_keys": "false",  # the page's fields keep their keys: the quality panel shows ours
        "scheming.dataset_schemas": "ckanext.opendata:schemas/dataset.yaml",
        "scheming.presets": "ckanext.scheming:presets.json",
        "ckanext.opendata.catalog_publisher": "Nền tảng dữ liệu mở (môi trường phát triển)",
        "ckan.plugins": " ".join([*PLUGINS.split(), *EXTRA_PLUGINS]),
        "ckan.views.default_views": "datatables_view image_view",
        "ckan.storage_path": str(lay.dev / "ckan" / "storage"),
        "ckan.max_resource_size": "2048",
        "ckan.locale_default": "vi",
        "ckan.datastore.default_fts_lang": "simple",
        "ckan.locales_offered": "vi en",
        "ckan.auth.user_create_organizations": "false",
        "ckan.auth.create_dataset_if_not_in_organization": "false",
    }
    if "xloader" in EXTRA_PLUGINS:  # only for a measurement of it (bench/datastore_1m.py)
        settings["ckanext.xloader.jobs_db.uri"] = f"postgresql://ckan_default:{pw['ckan_default']}@{db}/ckan_default"
        if lay.token_file.exists():
            settings["ckanext.xloader.api_token"] = lay.token_file.read_text().strip()
    subprocess.run([venv_bin("ckan", ".venv-ckan"), "config-tool", str(lay.ckan_ini),
                    *[f"{k} = {v}" for k, v in settings.items()]], check=True, capture_output=True)
    os.chmod(lay.ckan_ini, 0o600)


def ckan_bootstrap(lay: Layout, pw: dict[str, str]) -> None:
    """Database schema, DataStore permissions, the sysadmin and its API token: once per .dev/."""
    marker = lay.dev / "ckan" / ".initialised"
    if not marker.exists():
        say("initialising the CKAN database")
        ckan(lay, "db", "init")
        ckan(lay, "db", "pending-migrations", "--apply")
        sql = ckan(lay, "datastore", "set-permissions")
        subprocess.run(["psql", "-h", str(lay.pg_socket), "-p", str(lay.pg_port), "-U", "postgres",
                        "-d", "datastore_default", "-v", "ON_ERROR_STOP=1", "-q"],
                       input=sql, check=True, capture_output=True, text=True)
        marker.write_text("ok\n")
    if not lay.token_file.exists():
        users = ckan(lay, "user", "list")
        if f"name={ADMIN}" not in users:
            ckan(lay, "user", "add", ADMIN, f"email={ADMIN}@opendata.invalid", f"password={pw['admin']}")
        ckan(lay, "sysadmin", "add", ADMIN)
        token = ckan(lay, "user", "token", "add", ADMIN, "opendata-platform").strip().splitlines()[-1].strip()
        fd = os.open(lay.token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        os.fchmod(fd, 0o600)  # also when the file was there before with another mode
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        ckan_config(lay, pw)  # xloader, when a measurement enables it, needs the token too


def ckan_answers(lay: Layout) -> bool:
    try:
        with urllib.request.urlopen(f"{lay.portal_url}/api/3/action/status_show", timeout=2) as r:
            return json.load(r).get("success") is True
    except (OSError, ValueError):
        return False


# ------------------------------------------------------------------ commands


def load_secrets(lay: Layout) -> dict[str, str]:
    lay.dev.mkdir(parents=True, exist_ok=True)
    if lay.secrets_file.exists():
        return json.loads(lay.secrets_file.read_text())
    pw = {k: secrets.token_urlsafe(18) for k in ("ckan_default", "datastore_default", "admin")}
    fd = os.open(lay.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(pw, f)
    return pw


def up(lay: Layout) -> None:
    started = time.monotonic()
    pw = load_secrets(lay)
    postgres_up(lay, pw)
    if read_pid(lay, "redis") is None:
        redis = shutil.which("redis-server")
        if not redis:
            raise SystemExit("[portal] redis-server is not installed: run 'make system-deps'")
        (lay.dev / "redis").mkdir(parents=True, exist_ok=True)
        start(lay, "redis", [redis, "--port", str(lay.redis_port), "--bind", lay.host, "--dir", str(lay.dev / "redis"),
                             "--save", "60 1", "--daemonize", "no"])
        wait_for("redis", lambda: port_open(lay.host, lay.redis_port), 20, lay.logs / "redis.log")
    if read_pid(lay, "solr") is None:
        solr_up(lay)
    ckan_config(lay, pw)
    ckan_bootstrap(lay, pw)
    if read_pid(lay, "ckan") is None:
        if port_open(lay.host, lay.ckan_port):
            raise SystemExit(f"[portal] port {lay.ckan_port} is taken by another program; set OPENDATA_PORTAL_PORT")
        ckan(lay, "translation", "js")  # the pages' JavaScript translations, which `ckan run` built at each start
        # gunicorn, as in production (ckanext.opendata.wsgi): `ckan run` answered one request at a time
        start(lay, "ckan", [venv_bin("gunicorn", ".venv-ckan"), *CKAN_WEB[1:]], cwd=lay.dev / "ckan",
              env={"CKAN_INI": str(lay.ckan_ini), "CKAN_BIND": f"{lay.host}:{lay.ckan_port}"})
    wait_for("CKAN", lambda: ckan_answers(lay), 90, lay.logs / "ckan.log")
    if read_pid(lay, "ckan-worker") is None:
        start(lay, "ckan-worker", [venv_bin("ckan", ".venv-ckan"), "-c", str(lay.ckan_ini), "jobs", "worker"],
              cwd=lay.dev / "ckan")
    say(f"portal ready at {lay.portal_url} in {time.monotonic() - started:.1f} s "
        f"(API token in {lay.token_file.relative_to(ROOT) if lay.token_file.is_relative_to(ROOT) else lay.token_file})")


SERVICES = ("ckan-worker", "ckan", "solr", "redis")
CKAN_WEB = ["gunicorn", "-c", "python:ckanext.opendata.gunicorn_conf", "ckanext.opendata.wsgi:application"]  # as in compose


def down(lay: Layout) -> None:
    """Every process this stack started, by its recorded pid: Airflow's (dev/airflow_stack.py) first."""
    for pid_file in sorted(lay.run.glob("airflow*.pid")) if lay.run.is_dir() else []:
        stop(lay, pid_file.stem)
    for name in SERVICES:
        stop(lay, name)
    postgres_down(lay)


def status(lay: Layout) -> int:
    rows = [("postgres", postgres_pid(lay))] + [(n, read_pid(lay, n)) for n in ("redis", "solr", "ckan", "ckan-worker")]
    for name, pid in rows:
        print(f"{name:12} {'running, pid ' + str(pid) if pid else 'stopped'}")
    answers = ckan_answers(lay)
    print(f"{'solr':12} {lay.solr_core_url} {'answers its ping' if solr_answers(lay) else 'does not answer'}")
    print(f"{'portal':12} {lay.portal_url} {'answers' if answers else 'does not answer'}")
    return 0 if answers and all(pid for _, pid in rows) else 1


def main(argv: list[str]) -> int:
    lay = Layout.from_env()
    command = argv[1] if len(argv) > 1 else "status"
    if command == "up":
        up(lay)
        return 0
    if command == "down":
        down(lay)
        return 0
    if command == "status":
        return status(lay)
    if command == "purge":  # everything the stack keeps: its data, config, secrets and logs
        down(lay)
        for folder in (lay.pg_root, lay.dev):
            shutil.rmtree(folder, ignore_errors=True)
        say(f"removed {lay.dev} and {lay.pg_root}")
        return 0
    if command == "stop" and len(argv) > 2 and argv[2] in SERVICES:  # one service, e.g. to test an outage
        stop(lay, argv[2])
        return 0
    if command == "url":
        print(lay.portal_url)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
