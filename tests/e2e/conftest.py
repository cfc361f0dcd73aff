"""The local portal and Airflow's metadata DB for end-to-end tests: brought up here, or the tests fail.

The portal is reused when it is already running (and left running); when this session started it,
this session stops it again at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.factories import ROOT


@dataclass(frozen=True)
class Portal:
    url: str
    token: str

    def action(self, action: str, /, **data) -> dict:
        r = requests.post(f"{self.url}/api/3/action/{action}", json=data, headers={"Authorization": self.token}, timeout=30)
        body = r.json()
        if not body.get("success"):
            raise AssertionError(f"{action} failed: {body.get('error')}")
        return body["result"]

    def settle(self, package: str, timeout_s: float = 60) -> dict:
        """The dataset once its metadata has stopped moving (background jobs such as xloader's done)."""
        import time

        deadline = time.monotonic() + timeout_s
        last = None
        while time.monotonic() < deadline:
            pkg = self.get("package_show", id=package)
            if last is not None and pkg["metadata_modified"] == last:
                return pkg
            last = pkg["metadata_modified"]
            time.sleep(1.0)
        raise AssertionError(f"{package} kept changing for {timeout_s} s")

    def resource(self, package: str | dict, role: str) -> dict:
        """The one resource the publisher stamped with ``role`` (data, parquet, report)."""
        pkg = self.get("package_show", id=package) if isinstance(package, str) else package
        [res] = [r for r in pkg["resources"] if r.get("opendata_role") == role]
        return res

    def rows(self, resource_id: str, **params) -> list[dict]:
        """What the public gets from the DataStore API (without CKAN's _id)."""
        out = self.get("datastore_search", resource_id=resource_id, limit=32000, **params)
        return [{k: v for k, v in r.items() if k != "_id"} for r in out["records"]]

    def purge(self, name: str) -> None:
        """The dataset gone for good, in whatever state it is (a deleted one too)."""
        r = requests.post(f"{self.url}/api/3/action/dataset_purge", json={"id": name},
                          headers={"Authorization": self.token}, timeout=30)
        assert r.status_code in (200, 404), r.text[:500]

    def purge_datasets(self, keep: tuple[str, ...] = ()) -> list[str]:
        """Every dataset but ``keep`` purged: for a test whose own ledger must be the portal's whole story
        (what other tests published, their ledgers gone, would rightly be drift)."""
        found = self.action("package_search", rows=1000, include_private=True, include_drafts=True, include_deleted=True)
        gone = [p["name"] for p in found["results"] if p["name"] not in keep]
        for name in gone:
            self.action("dataset_purge", id=name)
        return gone

    def get(self, action: str, /, **params) -> dict | None:
        """Anonymous read, as the public sees it; None when CKAN says not found, or not for the public (a
        deleted dataset answers 403)."""
        r = requests.get(f"{self.url}/api/3/action/{action}", params=params, timeout=30)
        if r.status_code in (403, 404):
            return None
        return r.json()["result"]


def _portal_cmd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "dev" / "portal.py"), *args], capture_output=True, text=True)


@pytest.fixture(scope="session")
def portal() -> Portal:
    was_running = _portal_cmd("status").returncode == 0
    up = _portal_cmd("up")
    assert up.returncode == 0, f"the local portal did not come up:\n{up.stdout}\n{up.stderr}"
    sys.path.insert(0, str(ROOT / "dev"))
    from portal import Layout

    lay = Layout.from_env()
    portal = Portal(lay.portal_url, lay.token_file.read_text().strip())
    yield portal
    portal.purge_datasets()  # what the tests published, their ledgers gone: not left for `make demo` to find
    if not was_running:
        _portal_cmd("down")


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    home = Path(os.environ["AIRFLOW_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    out = subprocess.run([str(ROOT / ".venv" / "bin" / "airflow"), "db", "migrate"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return home


@pytest.fixture(scope="session")
def agency_connections(portal: Portal) -> dict[str, str]:
    """The portal provisioned from the sample registry: AIRFLOW_CONN_* of every agency's own publisher."""
    from demo import provision_agencies
    from portal import Layout

    from opendata.settings import load_settings
    from opendata.spec import load_registry

    return provision_agencies(Layout.from_env(), load_registry(load_settings().paths.registry))


@pytest.fixture()
def pipeline_env(portal: Portal, airflow_db: Path, agency_connections: dict[str, str], tmp_path: Path, monkeypatch) -> Path:
    """A private data folder (drop zone, archive, staging) and the CKAN connections, for one test: the
    agencies publish with their own tokens; the platform connection is there for the rest."""
    data = tmp_path / "data"
    monkeypatch.setenv("OPENDATA__PATHS__DATA", str(data))
    host, port = portal.url.removeprefix("http://").split(":")
    conn = {"conn_type": "http", "host": host, "port": int(port), "schema": "http", "password": portal.token}
    monkeypatch.setenv("AIRFLOW_CONN_OPENDATA_CKAN", json.dumps(conn))
    for name, value in agency_connections.items():
        monkeypatch.setenv(name, value)
    return data


@pytest.fixture()
def proxied(pipeline_env, agency_connections, monkeypatch):
    """The rain gauge's agency reaches the portal through a fault proxy (tests.e2e.fault_proxy)."""
    from tests.e2e.fault_proxy import FaultProxy

    name = "AIRFLOW_CONN_CKAN_DANANG_SNNMT"
    conn = json.loads(os.environ[name])
    proxy = FaultProxy(f"http://{conn['host']}:{conn['port']}")
    monkeypatch.setenv(name, json.dumps({**conn, "port": proxy.port}))
    yield proxy
    proxy.close()
