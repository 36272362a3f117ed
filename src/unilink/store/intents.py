"""A tenant's intent versions: the latest one (number, document, who wrote it, when)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from unilink.store.tables.services import IntentVersionRow
from unilink.store.tenancy import get_tenant


@dataclass(frozen=True, slots=True)
class IntentHead:
    version: int                      # 0: no intent yet
    document: dict[str, Any] | None
    actor: str | None
    created_at: datetime | None


NO_INTENT = IntentHead(0, None, None, None)


def latest_intent_head(session: Session, tenant_id: int) -> IntentHead:
    row = session.scalars(select(IntentVersionRow).where(IntentVersionRow.tenant_id == tenant_id)
                          .order_by(IntentVersionRow.version.desc()).limit(1)).one_or_none()
    if row is None:
        return NO_INTENT
    return IntentHead(row.version, dict(row.document), row.actor, row.created_at)


def tenant_intent_head(session: Session, tenant: str) -> IntentHead:
    return latest_intent_head(session, get_tenant(session, tenant).id)
