"""A city-sized load on one small machine: a generated city of 50 agencies × 12 datasets (600 specs:
drop-zone CSVs of 100 to 100,000 rows, one agency API and one agency database per agency) through one
full cycle of Airflow's real scheduler (dev/airflow_stack.py: api-server, scheduler, dag-processor,
triggerer, LocalExecutor, PostgreSQL metadata) onto the local portal, then a second cycle in which
nothing changed. Also: `opendata reconcile` of the whole city, and the registry load and DAG-folder
parse of 10,000 specs.

    .venv/bin/python bench/city_load.py [--agencies 50] [--per-agency 12] [--keep]

Needs the local portal (`make portal-up`). Uses a stack of its own (Airflow home, database
``airflow_load``, port 8082) and a data folder of its own under .dev/bench-load/, both made fresh; the
city's datasets are purged from the portal at the end unless ``--keep``. Writes its section of
bench/RESULTS.md.

What each figure includes:
- wall time: from the first run's trigger to the last run's end, as Airflow's metadata records them;
- peak memory: the largest sum of PSS (proportional set size: shared pages counted once) sampled every
  second over the Airflow stack's processes and every task process they start, and apart from it over
  the portal's (CKAN, its job worker, PostgreSQL, redis, the search index); the largest single process;
- portal calls: the requests CKAN's own log records during the cycle (API and pages, every caller).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import psutil
import pyarrow as pa
import pyarrow.csv as pacsv
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "dev"), str(ROOT / "bench"), str(ROOT / "src")]

from airflow_stack import Api, Stack, wait_until  # noqa: E402
from airflow_stack import down as airflow_down  # noqa: E402
from airflow_stack import up as airflow_up  # noqa: E402
from portal import Layout, postgres_pid, psql, read_pid  # noqa: E402
from results import write_section  # noqa: E402

CITY = "thanhphomau"  # "sample city": no real city's name on the portal
DROP_SIZES = (100, 300, 1_000, 3_000, 100, 500, 2_000, 10_000, 100, 1_000)  # rows of an agency's drop-zone files
LARGE_ROWS = 100_000  # every tenth agency's eighth dataset
API_ROWS, DB_ROWS = 500, 2_000
STATUSES = ("Hoạt động", "Bảo trì", "Ngừng hoạt động")


def columns() -> list[dict]:
    return [
        {"name": "code", "label": {"vi": "Mã", "en": "Code"}, "required": True, "pattern": r"^TP-\d{6}$"},
        {"name": "name", "label": {"vi": "Tên", "en": "Name"}, "required": True},
        {"name": "address", "label": {"vi": "Địa chỉ", "en": "Address"}},
        {"name": "capacity", "label": {"vi": "Sức chứa", "en": "Capacity"}, "type": "integer", "minimum": 0,
         "maximum": 100000},
        {"name": "value", "label": {"vi": "Giá trị", "en": "Value"}, "type": "number", "minimum": 0, "maximum": 1000},
        {"name": "updated_on", "label": {"vi": "Ngày cập nhật", "en": "Updated on"}, "type": "date", "required": True},
        {"name": "status", "label": {"vi": "Tình trạng", "en": "Status"}, "required": True,
         "allowed_values": list(STATUSES)},
    ]


def rows(n: int, seed: int, today: date) -> pa.Table:
    return pa.table({
        "code": [f"TP-{i:06d}" for i in range(n)],
        "name": [f"Điểm số {i} của bộ {seed}" for i in range(n)],
        "address": [f"{i % 300} đường Lê Lợi, phường Hải Châu" for i in range(n)],
        "capacity": pa.array([(i * 7 + seed) % 5000 for i in range(n)], pa.int64()),
        "value": pa.array([round(((i * 13 + seed) % 10000) / 10, 1) for i in range(n)], pa.float64()),
        "updated_on": [(today - timedelta(days=(i + seed) % 60)).isoformat() for i in range(n)],
        "status": [STATUSES[(i + seed) % 3] for i in range(n)],
    })


def spec_for(agency: str, i: int, kind: str) -> dict:
    spec = {
        "id": f"bo-du-lieu-{i:02d}", "title": {"vi": f"Bộ dữ liệu {i} của {agency}", "en": f"Dataset {i} of {agency}"},
        "description": {"vi": "Dữ liệu sinh ra cho phép đo tải của nền tảng.",
                        "en": "Generated data for the platform's load benchmark."},
        "domain": "moi-truong", "tags": ["đo tải", "load test"], "licence": "cc-by",
        "contact": {"name": f"Văn phòng {agency}", "email": f"{agency}@{CITY}.gov.vn"},
        "classification": "open", "update_frequency": "monthly", "primary_key": ["code"], "date_column": "updated_on",
        "columns": columns(),
    }
    conn = f"{CITY}_{agency}_{kind}"
    if kind == "drop_zone":
        spec["source"] = {"kind": "drop_zone", "pattern": "*.csv"}
    elif kind == "http":
        spec["source"] = {"kind": "http", "conn_id": conn, "path": "/api/records", "records_path": "data",
                          "pagination": {"style": "page", "page_param": "page", "size_param": "page_size", "size": 250},
                          "auth": {"header": "Authorization", "prefix": "Bearer "}}
    else:
        spec["source"] = {"kind": "sql", "conn_id": conn,
                          "query": "SELECT code, name, address, capacity, value, updated_on, status FROM diem"}
    return spec


def make_city(ws: Path, agencies: int, per_agency: int, dropzone: Path, today: date) -> dict:
    """The registry, the drop-zone files, each agency's API records and database; returns what was made."""
    registry = ws / "datasets"
    codes = [f"cq{a:02d}" for a in range(1, agencies + 1)]
    (registry / CITY).mkdir(parents=True)
    (registry / CITY / "city.yaml").write_text(yaml.safe_dump({
        "code": CITY, "name": {"vi": "Thành phố mẫu", "en": "Sample City"}, "province_code": 48,
        "agencies": [{"code": c, "name": {"vi": f"Cơ quan {c}", "en": f"Agency {c}"}, "email": f"{c}@{CITY}.gov.vn"}
                     for c in codes]}, allow_unicode=True), encoding="utf-8")
    made = {"registry": registry, "apis": {}, "dbs": {}, "rows": 0, "kinds": Counter()}
    old = time.time() - 120
    for a, agency in enumerate(codes):
        (registry / CITY / agency).mkdir()
        for i in range(per_agency):
            kind = "http" if i == per_agency - 2 and per_agency >= 3 else "sql" if i == per_agency - 1 and per_agency >= 3 \
                else "drop_zone"
            spec = spec_for(agency, i, kind)
            (registry / CITY / agency / f"{spec['id']}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True),
                                                                       encoding="utf-8")
            seed = a * 100 + i
            made["kinds"][kind] += 1
            if kind == "drop_zone":
                n = LARGE_ROWS if a % 10 == 0 and i == 7 else DROP_SIZES[i % len(DROP_SIZES)]
                folder = dropzone / CITY / agency / spec["id"]
                folder.mkdir(parents=True)
                pacsv.write_csv(rows(n, seed, today), folder / f"{spec['id']}.csv")
                os.utime(folder / f"{spec['id']}.csv", (old, old))  # a finished upload
            elif kind == "http":
                n = API_ROWS
                made["apis"][spec["source"]["conn_id"]] = rows(n, seed, today).to_pylist()
            else:
                n = DB_ROWS
                made["dbs"][spec["source"]["conn_id"]] = rows(n, seed, today)
            made["rows"] += n
    return made


def agency_sources(made: dict, ws: Path) -> tuple[dict[str, dict], list]:
    """The agencies' APIs (served here) and databases (SQLite files), as Airflow connections."""
    import sqlite3

    from agency_api import AgencyApi

    conns, servers = {}, []
    for conn_id, records in made["apis"].items():
        api = AgencyApi(records, token=f"token-{conn_id}")
        servers.append(api)
        conns[conn_id] = {"conn_type": "http", "host": api.url, "password": f"token-{conn_id}"}
    for conn_id, table in made["dbs"].items():
        path = ws / "agency-db" / f"{conn_id}.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as db:
            cols = ", ".join(table.column_names)
            db.execute(f"CREATE TABLE diem ({cols})")
            db.executemany(f"INSERT INTO diem VALUES ({', '.join('?' * table.num_columns)})",
                           [tuple(r.values()) for r in table.to_pylist()])
        conns[conn_id] = {"conn_type": "sqlite", "host": str(path)}
    return conns, servers


class Sampler:
    """Every second: the PSS sums of the Airflow stack (its processes and all their children, the task
    processes) and of the portal, and the largest single process."""

    def __init__(self, airflow_pids, portal_pids) -> None:
        self.airflow_pids, self.portal_pids = airflow_pids, portal_pids
        self.peak = {"airflow": 0, "portal": 0, "largest": 0, "largest_name": ""}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _tree(pids) -> list[psutil.Process]:
        out = []
        for pid in pids():
            try:
                root = psutil.Process(pid)
                out += [root, *root.children(recursive=True)]
            except psutil.Error:
                continue
        return out

    def _sum(self, procs) -> int:
        total = 0
        for p in procs:
            try:
                pss = p.memory_full_info().pss
            except psutil.Error:
                continue
            total += pss
            if pss > self.peak["largest"]:
                self.peak["largest"], self.peak["largest_name"] = pss, " ".join(p.cmdline()[:3])[-80:]
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak["airflow"] = max(self.peak["airflow"], self._sum(self._tree(self.airflow_pids)))
            self.peak["portal"] = max(self.peak["portal"], self._sum(self._tree(self.portal_pids)))
            self._stop.wait(1.0)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


CALL = re.compile(r"\]\s+\d{3} (/\S+) render time")


def portal_calls(log: Path, offset: int) -> Counter:
    """CKAN's own request log from ``offset``: one line per request (status and path)."""
    with open(log, "rb") as f:
        f.seek(offset)
        text = f.read().decode("utf-8", "replace")
    calls = Counter()
    for path in CALL.findall(text):
        calls[path.rsplit("/", 1)[-1] if "/action/" in path else path.split("/")[1] or "/"] += 1
    return calls


def runs_since(api: Api, since: str, states: tuple[str, ...] = ()) -> list[dict]:
    """Every run created or changed since ``since`` (paged through the REST API)."""
    out, offset = [], 0
    state = "".join(f"&state={s}" for s in states)
    while True:
        page = api.get(f"/api/v2/dags/~/dagRuns?limit=1000&offset={offset}&updated_at_gte={quote(since)}{state}")
        out += page["dag_runs"]
        offset += len(page["dag_runs"])
        if not page["dag_runs"] or offset >= page["total_entries"]:
            return out


def cycle(api: Api, trigger: list[str], expected: set[str], sampler_args, log: Path, unpause: list[str] = ()) -> dict:
    """One cycle as the scheduler runs it. The first: the DAGs unpaused, so the scheduler creates each
    one's run for its latest interval. Later ones: the DAGs in ``trigger`` triggered through the REST API
    (the drop-zone watcher, which announces each waiting file as its dataset's drop Asset, so that the
    scheduler creates those runs; the API and database datasets, which their time schedule would start).
    Waits until a run of every DAG in ``expected`` has ended, nothing is queued or running, and no new
    run appeared for 20 s."""
    since = datetime.now(UTC).isoformat()
    offset = log.stat().st_size
    with Sampler(*sampler_args) as sampler:
        for dag_id in unpause:
            api.unpause(dag_id)
        for dag_id in trigger:
            api.trigger(dag_id)
        quiet: dict = {}

        def ended():
            found = runs_since(api, since)
            done = {r["dag_id"] for r in found if r["state"] in ("success", "failed")}
            if not expected <= done or any(r["state"] not in ("success", "failed") for r in found):
                quiet.clear()
                return None
            if quiet.get("n") != len(found):
                quiet.update(n=len(found), at=time.monotonic())
            return found if time.monotonic() - quiet["at"] >= 20 else None

        found = wait_until(ended, 6 * 3600, "every expected run", every=5)
    from opendata.airflow.platform_dags import WATCH_DAG_ID

    # the watcher's own ticks (every few minutes) go on beside the cycle: its time is the runs', not theirs
    timed = [r for r in found if not (r["dag_id"] == WATCH_DAG_ID and r["run_type"] == "scheduled")] or found
    starts = [datetime.fromisoformat(r["start_date"]) for r in timed if r.get("start_date")]
    ends = [datetime.fromisoformat(r["end_date"]) for r in timed if r.get("end_date")]
    calls = portal_calls(log, offset)
    return {"runs": len(found), "by_scheduler": sum(r["run_type"] != "manual" for r in found),
            "failed": sum(r["state"] == "failed" for r in found), "calls": calls, "peak": dict(sampler.peak),
            "wall_s": (max(ends) - min(starts)).total_seconds()}


def outcomes(ledger_url: str, since: datetime) -> Counter:
    from sqlalchemy import create_engine, text

    engine = create_engine(ledger_url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT outcome, at FROM runs")).all()
    return Counter(o for o, at in found if (at if isinstance(at, datetime) else datetime.fromisoformat(str(at)))
                   .replace(tzinfo=UTC) >= since)


def parse_figures(n: int) -> dict:
    """Registry load (in this process, median of 3) and DAG-folder parse (fresh processes, median of 3)."""
    from dag_parse import parse_once
    from registry_1000 import make_registry

    from opendata.spec.loader import load_registry

    with tempfile.TemporaryDirectory() as tmp:
        registry = Path(tmp) / "datasets"
        make_registry(registry, n)
        t0 = time.perf_counter()
        first = load_registry(registry)
        first_s = time.perf_counter() - t0
        loads = []
        for _ in range(3):
            t0 = time.perf_counter()
            load_registry(registry)
            loads.append(time.perf_counter() - t0)
        assert len(first.datasets) == n and not first.problems, first.problems[:3]
        parses = [parse_once(registry) for _ in range(3)]
        assert all(p["errors"] == 0 and p["dags"] >= n for p in parses), parses
    return {"specs": n, "registry_first_s": first_s, "registry_s": statistics.median(loads),
            "parse_s": statistics.median(p["parse_s"] for p in parses), "dags": parses[0]["dags"]}


def mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB"


def report(args, made, first, second, every, reconcile) -> str:
    n = sum(made["kinds"].values())
    cycles = (first, second, every)
    ratio = second[0]["wall_s"] / first[0]["wall_s"]

    def row(label: str, cell) -> str:
        return f"| {label} | " + " | ".join(cell(c, o) for c, o in cycles) + " |"

    def calls(c: dict) -> str:
        total = sum(c["calls"].values())
        top = ", ".join(f"{k} {v}" for k, v in c["calls"].most_common(5))
        return f"{total:,}" + (f" ({total / c['runs']:.1f} per run; {top})" if total else "")

    lines = [
        f"A generated city: {args.agencies} agencies × {args.per_agency} datasets = **{n} specs** "
        f"({made['kinds']['drop_zone']} drop-zone CSVs of 100 to {LARGE_ROWS:,} rows, {made['kinds']['http']} agency "
        f"APIs of {API_ROWS} rows, {made['kinds']['sql']} agency databases of {DB_ROWS:,} rows; {made['rows']:,} rows "
        "in all), through Airflow's real scheduler (LocalExecutor, parallelism 4, the `ckan_portal` pool of 4) onto "
        "the local CKAN with ckanext-opendata. First cycle: every DAG unpaused, the scheduler creates each one's "
        "run for its latest interval (the files waiting in the drop zone, the agencies' APIs and databases read). "
        "Second cycle, what the schedule does next when nothing changed: the drop-zone watcher runs and finds no "
        "new file (a new one would be announced as its dataset's drop Asset, and the scheduler would start that "
        "dataset's run), and the API and database datasets run on their time schedule and find the same bytes. "
        "The third column is the worst case: every dataset DAG started by its time schedule with nothing new "
        "(for monthly specs, once a month).",
        "",
        "| | first cycle | second cycle, nothing changed | every DAG on its time schedule, nothing changed |",
        "|---|---|---|---|",
        row("runs (of them created by the scheduler: its intervals, drop Assets)",
            lambda c, o: f"{c['runs']} ({c['by_scheduler']})"),
        row("outcomes (the ledger)", lambda c, o: ", ".join(f"{k} {v}" for k, v in sorted(o.items())) or "none"),
        row("failed runs", lambda c, o: str(c["failed"])),
        row("wall time", lambda c, o: f"**{c['wall_s']:,.0f} s** ({c['wall_s'] / first[0]['wall_s']:.0%} of the first)"),
        row("peak memory, Airflow (PSS, with the task processes)", lambda c, o: mib(c["peak"]["airflow"])),
        row("peak memory, portal (CKAN, job worker, PostgreSQL, redis, index)", lambda c, o: mib(c["peak"]["portal"])),
        row("largest single process", lambda c, o: f"{mib(c['peak']['largest'])} ({c['peak']['largest_name'].split(' --')[0]})"),
        row("portal calls (CKAN's request log)", lambda c, o: calls(c)),
        "",
        f"Target, the second cycle under 10% of the first: **{'met' if ratio < 0.10 else 'not met'}** ({ratio:.1%}).",
        "",
        f"`opendata reconcile --city {CITY}` after the first cycle (a fresh process): {reconcile['seconds']:.1f} s, "
        f"peak RSS {mib(reconcile['rss'])}, {reconcile['checked']} datasets checked, {reconcile['drift']} drift.",
    ]
    return "\n".join(lines)


def parse_report(parse: dict) -> str:
    return (f"Registry and DAG folder for **{parse['specs']:,} specs** (copies of the sample city's, "
            f"bench/registry_1000.py), nothing else running: registry load {parse['registry_first_s']:.2f} s the first "
            f"time (every YAML validated), {parse['registry_s']:.2f} s from its cache (median of 3); DAG-folder parse "
            f"{parse['parse_s']:.2f} s (median of 3 fresh processes, {parse['dags']:,} DAGs, Airflow's import not "
            "included).")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agencies", type=int, default=50)
    parser.add_argument("--per-agency", type=int, default=12)
    parser.add_argument("--parse-specs", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="leave the city's datasets on the portal")
    parser.add_argument("--only", choices=["all", "parse"], default="all",
                        help="parse: only the registry and DAG-folder parse of --parse-specs specs (no portal needed)")
    args = parser.parse_args()
    parse_section = f"Registry and DAG folder, {args.parse_specs:,} specs (issue 15)"
    if args.only == "parse":
        return write_parse(parse_section, args.parse_specs)

    lay = Layout.from_env()
    if read_pid(lay, "ckan") is None:
        raise SystemExit("the local portal is not running: make portal-up")
    ws = lay.dev / "bench-load"
    stack = Stack(lay, ws / "airflow", 8082, "airflow_load", prefix="airflow-load")
    airflow_down(stack)
    psql(lay, "DROP DATABASE IF EXISTS airflow_load WITH (FORCE)")
    secrets = (ws / "airflow" / "secrets.json").read_bytes() if (ws / "airflow" / "secrets.json").exists() else None
    shutil.rmtree(ws, ignore_errors=True)
    if secrets:  # the role's password stays the one the cluster knows
        (ws / "airflow").mkdir(parents=True)
        (ws / "airflow" / "secrets.json").write_bytes(secrets)
        os.chmod(ws / "airflow" / "secrets.json", 0o600)
    data = ws / "data"
    env = {"OPENDATA__PATHS__REGISTRY": str(ws / "datasets"), "OPENDATA__PATHS__DATA": str(data),
           "AIRFLOW__API__MAXIMUM_PAGE_LIMIT": "1000", "AIRFLOW__LOGGING__LOGGING_LEVEL": "ERROR"}
    os.environ.update(env)

    from pydantic import SecretStr

    from opendata.airflow.dag_builder import dag_id_for
    from opendata.publish.client import CkanClient, PortalAccess
    from opendata.publish.provision import provision
    from opendata.settings import load_settings
    from opendata.spec.loader import load_registry

    admin = CkanClient(PortalAccess(lay.portal_url, SecretStr(lay.token_file.read_text().strip())))
    print(f"[load] {purge_city(admin)} dataset(s) of an earlier run purged from the portal", flush=True)
    started = time.monotonic()
    made = make_city(ws, args.agencies, args.per_agency, data / "dropzone", date.today())
    registry = load_registry(made["registry"])
    assert not registry.problems, registry.problems[:3]
    print(f"[load] {len(registry.datasets)} specs and their sources generated in {time.monotonic() - started:.0f} s",
          flush=True)
    tokens = ws / "agency-connections.json"
    provision(admin, registry, tokens)
    conns, servers = agency_sources(made, ws)
    conns.update(json.loads(tokens.read_text()))
    conns["opendata_ckan"] = {"conn_type": "http", "host": lay.host, "port": lay.ckan_port, "schema": "http",
                              "password": lay.token_file.read_text().strip()}
    login = airflow_up(stack, conns, extra_env=env)
    api = Api(login["url"], login["user"], login["password"])
    dag_ids = sorted(dag_id_for(s) for s in registry.datasets.values())
    t0 = time.monotonic()
    wait_until(lambda: set(dag_ids) <= all_dag_ids(api), 1800, "the dag-processor parsing every DAG", every=5)
    print(f"[load] the dag-processor has all {len(dag_ids)} DAGs ({time.monotonic() - t0:.0f} s)", flush=True)

    def airflow_pids() -> list[int]:
        return [p for p in (read_pid(lay, n) for n in stack.names()) if p]

    def portal_pids() -> list[int]:
        return [p for p in (*(read_pid(lay, n) for n in ("ckan", "ckan-worker", "solr", "redis")), postgres_pid(lay))
                if p]

    ledger_url = load_settings().ledger_url().get_secret_value()
    log = lay.logs / "ckan.log"
    from opendata.airflow.platform_dags import WATCH_DAG_ID

    polling = sorted(dag_id_for(s) for s in registry.datasets.values() if s.source.kind != "drop_zone")
    samplers = (airflow_pids, portal_pids)
    try:
        at1 = datetime.now(UTC)
        first = cycle(api, [], {*dag_ids, WATCH_DAG_ID}, samplers, log, unpause=[*dag_ids, WATCH_DAG_ID])
        print(f"[load] first cycle: {first['runs']} runs in {first['wall_s']:.0f} s, {first['failed']} failed", flush=True)
        reconcile = run_reconcile(tokens)
        print(f"[load] reconcile: {reconcile}", flush=True)
        at2 = datetime.now(UTC)
        second = cycle(api, [WATCH_DAG_ID, *polling], {*polling, WATCH_DAG_ID}, samplers, log)
        print(f"[load] second cycle: {second['runs']} runs in {second['wall_s']:.0f} s", flush=True)
        at3 = datetime.now(UTC)
        every = cycle(api, dag_ids, set(dag_ids), samplers, log)
        print(f"[load] every DAG on its time schedule: {every['runs']} runs in {every['wall_s']:.0f} s", flush=True)
        outcome3 = outcomes(ledger_url, at3)
        outcome2 = outcomes(ledger_url, at2) - outcome3
        outcome1 = outcomes(ledger_url, at1) - outcome2 - outcome3
    finally:
        for server in servers:
            server.close()
        airflow_down(stack)
    body = report(args, made, (first, outcome1), (second, outcome2), (every, outcome3), reconcile)
    print("\n" + body)
    print(f"\n[load] written to {write_section('City-sized load (issue 15)', 'bench/city_load.py', body)}")
    if not args.keep:
        purge_city(admin)
    return write_parse(parse_section, args.parse_specs)


def write_parse(section: str, specs: int) -> int:
    body = parse_report(parse_figures(specs))
    print(f"\n{body}\n[load] written to {write_section(section, 'bench/city_load.py', body)}")
    return 0


def purge_city(admin) -> int:
    """Every dataset of the generated city gone from the portal (deleted ones too)."""
    gone = 0
    while True:
        found = admin.call("package_search", {"q": f"name:{CITY}-*", "rows": 1000, "include_private": True,
                                              "include_drafts": True, "include_deleted": True})
        mine = [p for p in found["results"] if p["name"].startswith(f"{CITY}-")]
        if not mine:
            return gone
        for pkg in mine:
            admin.call("dataset_purge", {"id": pkg["id"]})
        gone += len(mine)


def all_dag_ids(api: Api) -> set[str]:
    out, offset = set(), 0
    while True:
        page = api.get(f"/api/v2/dags?limit=1000&offset={offset}")
        out |= {d["dag_id"] for d in page["dags"]}
        offset += len(page["dags"])
        if not page["dags"] or offset >= page["total_entries"]:
            return out


def run_reconcile(tokens: Path) -> dict:
    """`opendata reconcile` of the whole city in a fresh process: its time, peak RSS, and what it found."""
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "opendata"), "reconcile", "--city", CITY, "--format", "json",
                             "--connections", str(tokens)], stdout=subprocess.PIPE, text=True)
    t0, rss = time.monotonic(), 0
    ps = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            rss = max(rss, ps.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.2)
    out = json.loads(proc.stdout.read())
    return {"seconds": time.monotonic() - t0, "rss": rss, "checked": out.get("checked"), "drift": len(out.get("drift", []))}


if __name__ == "__main__":
    sys.exit(main())
