"""Test set-up shared by every test: Airflow configured before anything imports it, paths on sys.path."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "dev"))

# Airflow reads its configuration when first imported: set it before any test module does.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".dev" / "test-airflow"))
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(ROOT / "plugins")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
os.environ.pop("AIRFLOW_CONN_OPENDATA_CKAN", None)
for key in [k for k in os.environ if k.startswith("OPENDATA__")]:
    del os.environ[key]


@pytest.fixture()
def smtp_sink(monkeypatch):
    """A real SMTP server on 127.0.0.1 that keeps what it receives; the 'smtp_default' connection points at it."""
    import email
    import email.policy
    import socket

    from aiosmtpd.controller import Controller

    class Sink:
        messages: list = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Sink()
    handler.messages = []
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {"from": "dulieumo@danang.gov.vn"}}
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", __import__("json").dumps(conn))
    yield handler.messages
    controller.stop()
