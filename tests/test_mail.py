"""Receipts e-mailed to the agency, through a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from opendata.notify.mail import SMTP_CONN_ID, mail_receipt, smtp_from
from opendata.sources.connections import from_environment


class Sink:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture()
def sink(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    conn = {"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {"from": "dulieumo@danang.gov.vn"}}
    monkeypatch.setenv(f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}", json.dumps(conn))
    yield handler
    controller.stop()


def test_the_receipt_reaches_the_agency(sink, tmp_path: Path) -> None:
    md, js = tmp_path / "r.receipt.md", tmp_path / "r.receipt.json"
    md.write_text("# Biên nhận dữ liệu / Data receipt\n\n| 5 | ward | Quận Hải Châu |\n", encoding="utf-8")
    js.write_text('{"accepted": false}', encoding="utf-8")
    assert mail_receipt(smtp_from(from_environment), "snnmt@danang.gov.vn", md, js, False, "Trạm đo mưa")
    [msg] = sink.messages
    assert msg["To"] == "snnmt@danang.gov.vn" and "bị từ chối / rejected" in msg["Subject"]
    parts = [p for p in msg.walk() if p.get_content_maintype() != "multipart"]
    assert "Quận Hải Châu" in parts[0].get_content()
    assert sorted(p.get_filename() for p in parts[1:]) == ["r.receipt.json", "r.receipt.md"]


def test_no_smtp_connection_means_no_mail_and_no_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(f"AIRFLOW_CONN_{SMTP_CONN_ID.upper()}", raising=False)
    md = tmp_path / "r.md"
    md.write_text("x")
    assert not mail_receipt(smtp_from(from_environment), "a@b.vn", md, md, True, "x")
