"""The mail outbox's rows (`unilink.store.tables.coop.MailRow`): written in the caller's transaction
(a pledge and its confirmation mail commit together, or neither), sent later by
`unilink.events.mail.deliver_mail`, outside any transaction.

A sender first takes a short lease on a row (`claim`: an UPDATE … WHERE nobody holds it), so that two
processes delivering at once do not both send it; a sender that dies leaves the lease to expire.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from unilink.store.tables.coop import MailRow


def add(session: Session, *, to: str, subject: str, body: str, campaign: str | None, at: datetime) -> None:
    session.add(MailRow(created_at=at, to_addr=to, subject=subject, body=body, campaign=campaign, attempts=0))
    session.flush()


def pending(session: Session, *, now: datetime, limit: int, max_attempts: int) -> list[dict[str, Any]]:
    """Unsent rows nobody holds a lease on, oldest first, skipping those given up after `max_attempts`."""
    query = (select(MailRow).where(MailRow.sent_at.is_(None), MailRow.attempts < max_attempts,
                                   or_(MailRow.claimed_until.is_(None), MailRow.claimed_until <= now))
             .order_by(MailRow.id).limit(limit))
    return [_row(m) for m in session.scalars(query)]


def claim(session: Session, mail_id: int, *, now: datetime, until: datetime) -> bool:
    """Take the lease on a row until `until`: True for one sender only."""
    done = session.execute(update(MailRow).where(MailRow.id == mail_id, MailRow.sent_at.is_(None),
                                                 or_(MailRow.claimed_until.is_(None), MailRow.claimed_until <= now))
                           .values(claimed_until=until))
    return bool(done.rowcount)


def sent(session: Session, mail_id: int, *, at: datetime) -> None:
    session.execute(update(MailRow).where(MailRow.id == mail_id)
                    .values(sent_at=at, claimed_until=None, attempts=MailRow.attempts + 1, last_error=None))


def failed(session: Session, mail_id: int, error: str) -> None:
    session.execute(update(MailRow).where(MailRow.id == mail_id)
                    .values(claimed_until=None, attempts=MailRow.attempts + 1, last_error=error[:2000]))


def rows(session: Session, *, limit: int = 100) -> list[dict[str, Any]]:
    """The newest `limit` rows, newest first (what the operator reads)."""
    return [_row(m) for m in session.scalars(select(MailRow).order_by(MailRow.id.desc()).limit(limit))]


def _row(m: MailRow) -> dict[str, Any]:
    return {"id": m.id, "to": m.to_addr, "subject": m.subject, "body": m.body, "campaign": m.campaign,
            "created_at": m.created_at, "sent_at": m.sent_at, "attempts": m.attempts, "last_error": m.last_error}
