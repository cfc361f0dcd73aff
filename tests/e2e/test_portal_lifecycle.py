"""``portal-up`` is idempotent, ``portal-down`` leaves nothing running, and data survives a restart."""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest

from tests.e2e.conftest import _portal_cmd
from tests.factories import ROOT

pytestmark = pytest.mark.portal

sys.path.insert(0, str(ROOT / "dev"))
from portal import Layout, postgres_pid, read_pid  # noqa: E402

NAMES = ("redis", "solr", "ckan", "ckan-worker")


def pids(lay: Layout) -> dict[str, int | None]:
    return {"postgres": postgres_pid(lay), **{n: read_pid(lay, n) for n in NAMES}}


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_up_twice_down_and_up_again_keeps_the_data(portal) -> None:
    lay = Layout.from_env()
    org = "lifecycle-check"
    if portal.get("organization_show", id=org) is None:
        portal.action("organization_create", name=org, title="Kiểm tra khởi động lại")
    portal.purge("lifecycle-kept")
    portal.action("package_create", name="lifecycle-kept", title="Còn sau khi khởi động lại", owner_org=org)
    first = pids(lay)
    assert all(first.values()), first

    again = _portal_cmd("up")
    assert again.returncode == 0, again.stderr
    assert pids(lay) == first  # nothing restarted, nothing duplicated

    down = _portal_cmd("down")
    assert down.returncode == 0, down.stderr
    time.sleep(0.5)
    for name, pid in first.items():
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z", name
    for port in (lay.pg_port, lay.redis_port, lay.solr_port, lay.ckan_port):
        assert not port_open(port), f"port {port} still answers after portal-down"
    assert _portal_cmd("status").returncode == 1

    started = time.monotonic()
    up = _portal_cmd("up")
    assert up.returncode == 0, up.stdout + up.stderr
    print(f"portal restart: {time.monotonic() - started:.1f} s")
    assert portal.get("organization_show", id=org)["title"] == "Kiểm tra khởi động lại"
    found = portal.get("package_search", q="khoi dong lai", fq=f"organization:{org}")  # Solr kept its index
    assert [p["name"] for p in found["results"]] == ["lifecycle-kept"]
    portal.purge("lifecycle-kept")
    assert portal.action("organization_purge", id=org) is None
