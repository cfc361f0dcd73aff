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


def mail_receipt(smtp: Smtp | None, to: str | None, markdown: Path, receipt_json: Path, accepted: bool, title: str,
                 outbox: Path | None = None) -> bool:
    """Send the receipt to the agency; False (and a log line) when there is no address or no SMTP server.
    With an ``outbox``, a mail server that does not answer never fails the caller: the message waits
    there (recorded, with its attempts) and :func:`flush_outbox` sends it later."""
    if not to or smtp is None:
        log.info("receipt not e-mailed (%s)", "no agency address" if not to else "no SMTP connection 'smtp_default'")
        return False
    verdict = "được chấp nhận / accepted" if accepted else "bị từ chối / rejected"
    message = {"to": to, "subject": f"[Dữ liệu mở / Open data] {title}: {verdict}", "text": markdown.read_text(encoding="utf-8"),
               "attachments": {markdown.name: markdown.read_text(encoding="utf-8"),
                               receipt_json.name: receipt_json.read_text(encoding="utf-8")}}
    try:
        send(smtp, to, message["subject"], message["text"], [markdown, receipt_json])
    except TransientError as exc:
        if outbox is None:
            raise
        queued = queue(outbox, message, exc.message)
        log.warning("receipt not e-mailed now (%s): queued as %s, sent again later", exc.message, queued.name)
        return False
    log.info("receipt e-mailed to %s", to)
    return True


def queue(outbox: Path, message: dict, error: str) -> Path:
    """A message kept for a later attempt: one JSON file per message in ``outbox`` (its record)."""
    import hashlib
    import json

    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = json.dumps(message, ensure_ascii=False, sort_keys=True)
    path = outbox / f"{hashlib.sha256(body.encode()).hexdigest()[:16]}.json"
    path.write_text(json.dumps({**message, "attempts": 1, "last_error": error}, ensure_ascii=False), encoding="utf-8")
    return path


def flush_outbox(smtp: Smtp | None, outbox: Path) -> tuple[int, int]:
    """Send what waits in the outbox; a sent message moves to ``outbox/sent/``, a failed one stays with
    its attempts counted. Returns (sent, still waiting)."""
    import json
    import tempfile

    if smtp is None or not outbox.is_dir():
        return 0, 0
    sent = waiting = 0
    for path in sorted(outbox.glob("*.json")):
        message = json.loads(path.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for name, text in message.get("attachments", {}).items():
                files.append(Path(tmp) / Path(name).name)
                files[-1].write_text(text, encoding="utf-8")
            try:
                send(smtp, message["to"], message["subject"], message["text"], files)
            except TransientError as exc:
                message.update(attempts=message.get("attempts", 1) + 1, last_error=exc.message)
                path.write_text(json.dumps(message, ensure_ascii=False), encoding="utf-8")
                waiting += 1
                continue
        (outbox / "sent").mkdir(mode=0o700, exist_ok=True)
        path.replace(outbox / "sent" / path.name)
        sent += 1
    return sent, waiting
