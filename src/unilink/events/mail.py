"""Sending the mail outbox (`store.mail_repo`) over SMTP, when one is configured.

Configuration, from the environment:

    UNILINK_SMTP_HOST       the server; unset: mail stays in the outbox (the operator reads it there)
    UNILINK_SMTP_PORT       default 25 (587 with STARTTLS)
    UNILINK_SMTP_FROM       the sender, default unilink@localhost
    UNILINK_SMTP_USER / UNILINK_SMTP_PASSWORD   login, when both are set
    UNILINK_SMTP_STARTTLS   1/true: upgrade the connection with STARTTLS before the login

Never inside a database transaction: each row is leased in a short transaction, sent, then marked in
another, so a slow or dead SMTP server holds no lock. A row that fails is retried on the next round
(after the pledge's commit, every scheduler round), up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import logging
import os
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from unilink.store import mail_repo

MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=2)  # a sender that died releases its rows after this
SMTP_TIMEOUT_S = 10.0
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False


def smtp_config(env: dict[str, str] | None = None) -> SmtpConfig | None:
    """The SMTP server of the environment (None: not configured)."""
    env = dict(os.environ) if env is None else env
    host = env.get("UNILINK_SMTP_HOST", "").strip()
    if not host:
        return None
    starttls = env.get("UNILINK_SMTP_STARTTLS", "").lower() in ("1", "true", "yes")
    port = int(env.get("UNILINK_SMTP_PORT") or (587 if starttls else 25))
    return SmtpConfig(host=host, port=port, sender=env.get("UNILINK_SMTP_FROM") or "unilink@localhost",
                      user=env.get("UNILINK_SMTP_USER") or None, password=env.get("UNILINK_SMTP_PASSWORD") or None,
                      starttls=starttls)


def deliver_mail(store: Any, *, now: datetime | None = None, config: SmtpConfig | None = None,
                 limit: int = 100) -> int:
    """Send the pending rows over SMTP; how many were sent (0, all left pending, without a server)."""
    config = config or smtp_config()
    if config is None:
        return 0
    now = now or store.clock.now()
    with store.session() as session:
        candidates = mail_repo.pending(session, now=now, limit=limit, max_attempts=MAX_ATTEMPTS)
    sent = 0
    for mail in candidates:
        with store.session(write=True) as session:
            if not mail_repo.claim(session, mail["id"], now=now, until=now + LEASE):
                continue  # another process is sending it
        try:
            _send(config, mail)
        except (OSError, smtplib.SMTPException) as exc:  # the server refused or is away: next round
            log.warning("mail %s to the outbox's recipient could not be sent: %s", mail["id"], exc)
            with store.session(write=True) as session:
                mail_repo.failed(session, mail["id"], f"{type(exc).__name__}: {exc}")
            continue
        with store.session(write=True) as session:
            mail_repo.sent(session, mail["id"], at=now)
        sent += 1
    return sent


def _send(config: SmtpConfig, mail: dict[str, Any]) -> None:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = mail["to"]
    message["Subject"] = mail["subject"]
    message.set_content(mail["body"])
    with smtplib.SMTP(config.host, config.port, timeout=SMTP_TIMEOUT_S) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.user and config.password:
            smtp.login(config.user, config.password)
        smtp.send_message(message)
