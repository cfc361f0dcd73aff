"""E-mail through the SMTP server of the Airflow connection ``smtp_default`` (host, port, login,
password; extra: ``from``, ``starttls``). No connection configured means no e-mail, said in the log."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from pydantic import SecretStr

from ..exceptions import SourceError, TransientError
from ..sources.connections import Resolver

log = logging.getLogger(__name__)
SMTP_CONN_ID = "smtp_default"


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    login: str = ""
    password: SecretStr | None = None
    starttls: bool = False
    timeout_s: float = 20

    def __repr__(self) -> str:
        return f"Smtp({self.host}:{self.port}, from={self.sender})"


def smtp_from(resolve: Resolver) -> Smtp | None:
    try:
        conn = resolve(SMTP_CONN_ID)
    except SourceError:
        return None
    extra = conn.extra or {}
    return Smtp(conn.host, conn.port or 25, str(extra.get("from") or "dulieumo@localhost"), conn.login, conn.password,
                str(extra.get("starttls", "false")).lower() == "true")


def send(smtp: Smtp, to: str, subject: str, text: str, attachments: list[Path] = ()) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp.sender, to, subject
    msg.set_content(text)
    for path in attachments:
        subtype = "json" if path.suffix == ".json" else "markdown"
        maintype = "application" if subtype == "json" else "text"
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.login and smtp.password:
                server.login(smtp.login, smtp.password.get_secret_value())
            server.send_message(msg)
    except (OSError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
        raise TransientError(f"SMTP {smtp.host}:{smtp.port}: {type(exc).__name__}", stage="notify") from None


def mail_receipt(smtp: Smtp | None, to: str | None, markdown: Path, receipt_json: Path, accepted: bool, title: str) -> bool:
    """Send the receipt to the agency; False (and a log line) when there is no address or no SMTP server."""
    if not to or smtp is None:
        log.info("receipt not e-mailed (%s)", "no agency address" if not to else "no SMTP connection 'smtp_default'")
        return False
    verdict = "được chấp nhận / accepted" if accepted else "bị từ chối / rejected"
    send(smtp, to, f"[Dữ liệu mở / Open data] {title}: {verdict}", markdown.read_text(encoding="utf-8"), [markdown, receipt_json])
    log.info("receipt e-mailed to %s", to)
    return True
