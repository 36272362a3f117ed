"""The campaigns' rows (`unilink.store.tables.coop`): plain dicts in, plain dicts out, in the caller's
session (the use case `unilink.usecases.campaigns` owns the transaction and builds the domain's view).

The writes that decide something race-free are conditional UPDATEs that say whether they won:
`use_token` (single use), `set_pledge_status`, `mark_reached` (WHERE reached_at IS NULL), `claim_design`
(WHERE design_state = 'pending'), `mark_expired`. `lock_zone` takes the zone's row lock on PostgreSQL
(SELECT … FOR UPDATE); on SQLite the write transaction (BEGIN IMMEDIATE, store.db) already holds the
database's write lock, so both serialise the confirmations of one zone before they count.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from unilink.errors import ConflictError
from unilink.store.tables.coop import (
    CampaignRow,
    MailRow,
    PledgeRow,
    PledgeTokenRow,
    RefundRow,
    ZoneRow,
)
from unilink.store.tables.tenancy import Tenant

_CAMPAIGN_FIELDS = ("id", "name", "title", "deadline", "max_extensions", "extensions_used", "share_price_cents",
                    "refund_rule", "plans", "created_at", "created_by")
_ZONE_FIELDS = ("id", "campaign_id", "position", "name", "commune", "polygon", "homes_passed", "homes_source",
                "target_subscribers", "target_share", "build_cost_cents", "deadline", "extensions_used",
                "reached_at", "expired_at", "design_state", "design", "design_error", "plan_id", "order_ids")
_PLEDGE_FIELDS = ("id", "public_id", "campaign_id", "zone_id", "name", "email", "address", "lat", "lon", "plan",
                  "deposit_cents", "shares", "voucher_cents", "status", "created_at", "confirmed_at",
                  "withdrawn_at")


def _as_dict(row: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in fields}


# -- campaigns and zones --------------------------------------------------------------------------------

def add_campaign(session: Session, *, tenant_id: int, zones: list[dict[str, Any]], **values: Any) -> int:
    """A campaign and its zones; ConflictError when the name is taken (checked, and held by the index)."""
    if session.scalar(select(CampaignRow.id).where(CampaignRow.name == values["name"])) is not None:
        raise ConflictError("a campaign with this name exists", field="name", value=values["name"])
    row = CampaignRow(tenant_id=tenant_id, extensions_used=0, **values)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError("a campaign with this name exists", field="name", value=values["name"]) from None
    for position, zone in enumerate(zones):
        session.add(ZoneRow(campaign_id=row.id, position=position, extensions_used=0, design_state="none",
                            order_ids=[], **zone))
    session.flush()
    return row.id


def campaign(session: Session, name: str) -> dict[str, Any] | None:
    """The campaign called `name`, with its tenant's name and kind (None when there is none)."""
    found = session.execute(select(CampaignRow, Tenant.name, Tenant.kind)
                            .join(Tenant, Tenant.id == CampaignRow.tenant_id)
                            .where(CampaignRow.name == name)).one_or_none()
    if found is None:
        return None
    return {**_as_dict(found[0], _CAMPAIGN_FIELDS), "tenant": found[1], "tenant_kind": found[2]}


def delete_campaign(session: Session, name: str) -> None:
    """Remove a campaign and everything that hangs off it (the seed's reset of its sample)."""
    campaign_id = session.scalar(select(CampaignRow.id).where(CampaignRow.name == name))
    if campaign_id is None:
        return
    pledge_ids = select(PledgeRow.id).where(PledgeRow.campaign_id == campaign_id)
    session.execute(delete(PledgeTokenRow).where(PledgeTokenRow.pledge_id.in_(pledge_ids)))
    for table in (RefundRow, PledgeRow, ZoneRow):
        session.execute(delete(table).where(table.campaign_id == campaign_id))
    session.execute(delete(CampaignRow).where(CampaignRow.id == campaign_id))


def campaign_by_id(session: Session, campaign_id: int) -> dict[str, Any]:
    name = session.scalar(select(CampaignRow.name).where(CampaignRow.id == campaign_id))
    found = campaign(session, str(name))
    assert found is not None  # the id came from a row that points at it (foreign key)
    return found


def campaign_names(session: Session, *, tenant: str | None) -> list[str]:
    query = select(CampaignRow.name).join(Tenant, Tenant.id == CampaignRow.tenant_id).order_by(CampaignRow.name)
    if tenant is not None:
        query = query.where(Tenant.name == tenant)
    return list(session.scalars(query))


def zones(session: Session, campaign_id: int) -> list[dict[str, Any]]:
    """The campaign's zones in spec order, each with its pledge counts and its confirmed pledges' money."""
    rows = session.scalars(select(ZoneRow).where(ZoneRow.campaign_id == campaign_id).order_by(ZoneRow.position))
    tallies = _tallies(session, campaign_id)
    return [{**_as_dict(z, _ZONE_FIELDS), **tallies.get(z.id, _EMPTY_TALLY)} for z in rows]


_EMPTY_TALLY = {"confirmed": 0, "unconfirmed": 0, "withdrawn": 0, "deposits_cents": 0, "shares": 0,
                "vouchers_cents": 0}


def _tallies(session: Session, campaign_id: int) -> dict[int, dict[str, int]]:
    def when(status: str, value: Any = 1) -> Any:
        return func.coalesce(func.sum(case((PledgeRow.status == status, value), else_=0)), 0)

    query = (select(PledgeRow.zone_id, when("confirmed"), when("unconfirmed"), when("withdrawn"),
                    when("confirmed", PledgeRow.deposit_cents), when("confirmed", PledgeRow.shares),
                    when("confirmed", PledgeRow.voucher_cents))
             .where(PledgeRow.campaign_id == campaign_id).group_by(PledgeRow.zone_id))
    keys = ("confirmed", "unconfirmed", "withdrawn", "deposits_cents", "shares", "vouchers_cents")
    return {row[0]: dict(zip(keys, (int(v) for v in row[1:]), strict=True)) for row in session.execute(query)}


def lock_zone(session: Session, zone_id: int) -> dict[str, Any]:
    """The zone row, locked for the rest of the transaction (PostgreSQL FOR UPDATE; SQLite: see module doc)."""
    # populate_existing: a copy this session read before the lock may be stale; take the locked one
    row = session.execute(select(ZoneRow).where(ZoneRow.id == zone_id).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one()
    return _as_dict(row, _ZONE_FIELDS)


def update_zone(session: Session, zone_id: int, **values: Any) -> None:
    session.execute(update(ZoneRow).where(ZoneRow.id == zone_id).values(**values))


def update_campaign(session: Session, campaign_id: int, **values: Any) -> None:
    session.execute(update(CampaignRow).where(CampaignRow.id == campaign_id).values(**values))


def count_confirmed(session: Session, zone_id: int) -> int:
    return int(session.scalar(select(func.count(PledgeRow.id))
                              .where(PledgeRow.zone_id == zone_id, PledgeRow.status == "confirmed")) or 0)


def mark_reached(session: Session, zone_id: int, at: datetime) -> bool:
    """Set the zone reached (and owed a design) unless it already is or expired: True for the one winner."""
    done = session.execute(update(ZoneRow).where(ZoneRow.id == zone_id, ZoneRow.reached_at.is_(None),
                                                 ZoneRow.expired_at.is_(None))
                           .values(reached_at=at, design_state="pending"))
    return bool(done.rowcount)


def claim_design(session: Session, zone_id: int) -> bool:
    """Take the zone's design for this process: True for one caller only, ever (until released)."""
    done = session.execute(update(ZoneRow).where(ZoneRow.id == zone_id, ZoneRow.design_state == "pending")
                           .values(design_state="claimed"))
    return bool(done.rowcount)


def claim_order(session: Session, zone_id: int, state: str) -> bool:
    """Take the zone for a manager's order if it is still in `state` (what the caller read): True for one
    caller only; the automatic design ('pending', 'claimed') and an order placed ('ordered') are never
    taken from."""
    done = session.execute(update(ZoneRow).where(ZoneRow.id == zone_id, ZoneRow.design_state == state,
                                                 ZoneRow.design_state.in_(("none", "designed", "infeasible",
                                                                           "order_failed")))
                           .values(design_state="claimed"))
    return bool(done.rowcount)


def release_design(session: Session, zone_id: int, error: str) -> None:
    """Give a claimed design back (the designer could not run at all): the next attempt takes it."""
    session.execute(update(ZoneRow).where(ZoneRow.id == zone_id, ZoneRow.design_state == "claimed")
                    .values(design_state="pending", design_error=error[:2000]))


def pending_designs(session: Session) -> list[int]:
    return list(session.scalars(select(ZoneRow.id).where(ZoneRow.design_state == "pending").order_by(ZoneRow.id)))


def zone(session: Session, zone_id: int) -> dict[str, Any]:
    return _as_dict(session.get_one(ZoneRow, zone_id), _ZONE_FIELDS)


def due_zones(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Zones past their deadline that were neither reached nor expired yet."""
    rows = session.scalars(select(ZoneRow).where(ZoneRow.deadline <= now, ZoneRow.reached_at.is_(None),
                                                 ZoneRow.expired_at.is_(None)).order_by(ZoneRow.id))
    return [_as_dict(z, _ZONE_FIELDS) for z in rows]


def mark_expired(session: Session, zone_id: int, at: datetime) -> bool:
    done = session.execute(update(ZoneRow).where(ZoneRow.id == zone_id, ZoneRow.reached_at.is_(None),
                                                 ZoneRow.expired_at.is_(None)).values(expired_at=at))
    return bool(done.rowcount)


# -- pledges and their tokens ---------------------------------------------------------------------------

_UNIQUE_FIELD = {"uq_pledges_active_email": "email", "uq_pledges_active_address": "address"}


def add_pledge(session: Session, **values: Any) -> int:
    """An unconfirmed pledge; ConflictError naming the field (email or address) another active pledge holds.

    The check reads first (a clear error in the common case); the partial unique indexes decide races."""
    for key, field in (("email_key", "email"), ("address_key", "address")):
        taken = session.scalar(select(PledgeRow.id).where(PledgeRow.campaign_id == values["campaign_id"],
                                                          getattr(PledgeRow, key) == values[key],
                                                          PledgeRow.status.in_(("unconfirmed", "confirmed"))))
        if taken is not None:
            raise _duplicate(field)
    row = PledgeRow(status="unconfirmed", **values)
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        field = next((f for index, f in _UNIQUE_FIELD.items() if index in text), None)
        if field is None:  # SQLite names the columns, not the index
            field = "address" if "address_key" in text else "email"
        raise _duplicate(field) from None
    return row.id


def _duplicate(field: str) -> ConflictError:
    what = "e-mail address" if field == "email" else "address"
    return ConflictError(f"this campaign already has a pledge for this {what}", field=field,
                         accepted="one pledge per e-mail and per address; withdraw the other one first")


def lapse_stale(session: Session, campaign_id: int, now: datetime) -> int:
    """Unconfirmed pledges whose confirmation link expired become `lapsed`: they free their e-mail and
    address (a typo must not lock someone's home out of the campaign for good)."""
    stale = (select(PledgeTokenRow.pledge_id)
             .where(PledgeTokenRow.purpose == "confirm", PledgeTokenRow.used_at.is_(None),
                    PledgeTokenRow.expires_at <= now))
    done = session.execute(update(PledgeRow).where(PledgeRow.campaign_id == campaign_id,
                                                   PledgeRow.status == "unconfirmed", PledgeRow.id.in_(stale))
                           .values(status="lapsed"))
    return int(done.rowcount or 0)


def add_token(session: Session, *, pledge_id: int, purpose: str, token_sha256: str, expires_at: datetime) -> None:
    session.add(PledgeTokenRow(pledge_id=pledge_id, purpose=purpose, token_sha256=token_sha256,
                               expires_at=expires_at))
    session.flush()


def token(session: Session, token_sha256: str) -> dict[str, Any] | None:
    """A token by its hash, with its pledge's ids and status (None when unknown)."""
    found = session.execute(select(PledgeTokenRow, PledgeRow.zone_id, PledgeRow.campaign_id, PledgeRow.status,
                                   PledgeRow.public_id)
                            .join(PledgeRow, PledgeRow.id == PledgeTokenRow.pledge_id)
                            .where(PledgeTokenRow.token_sha256 == token_sha256)).one_or_none()
    if found is None:
        return None
    row = found[0]
    return {"id": row.id, "pledge_id": row.pledge_id, "purpose": row.purpose, "expires_at": row.expires_at,
            "used_at": row.used_at, "zone_id": found[1], "campaign_id": found[2], "pledge_status": found[3],
            "public_id": found[4]}


def use_token(session: Session, token_id: int, at: datetime) -> bool:
    """Spend a token: True once; False when it was used or expired meanwhile."""
    done = session.execute(update(PledgeTokenRow).where(PledgeTokenRow.id == token_id,
                                                        PledgeTokenRow.used_at.is_(None),
                                                        PledgeTokenRow.expires_at > at).values(used_at=at))
    return bool(done.rowcount)


def set_pledge_status(session: Session, pledge_id: int, *, from_: tuple[str, ...], to: str, at: datetime) -> bool:
    """Move a pledge from one of `from_` to `to` (stamping when): False when it was not in `from_`."""
    stamp = {"confirmed": {"confirmed_at": at}, "withdrawn": {"withdrawn_at": at}}.get(to, {})
    done = session.execute(update(PledgeRow).where(PledgeRow.id == pledge_id, PledgeRow.status.in_(from_))
                           .values(status=to, **stamp))
    return bool(done.rowcount)


def pledge(session: Session, pledge_id: int) -> dict[str, Any]:
    return _as_dict(session.get_one(PledgeRow, pledge_id), _PLEDGE_FIELDS)


def pledge_by_public_id(session: Session, campaign_id: int, public_id: str) -> dict[str, Any] | None:
    row = session.scalars(select(PledgeRow).where(PledgeRow.campaign_id == campaign_id,
                                                  PledgeRow.public_id == public_id)).one_or_none()
    return None if row is None else _as_dict(row, _PLEDGE_FIELDS)


def pledges(session: Session, campaign_id: int, *, zone_id: int | None = None,
            status: str | None = None) -> list[dict[str, Any]]:
    query = select(PledgeRow).where(PledgeRow.campaign_id == campaign_id).order_by(PledgeRow.id)
    if zone_id is not None:
        query = query.where(PledgeRow.zone_id == zone_id)
    if status is not None:
        query = query.where(PledgeRow.status == status)
    return [_as_dict(p, _PLEDGE_FIELDS) for p in session.scalars(query)]


# -- refunds --------------------------------------------------------------------------------------------

def add_refund(session: Session, **values: Any) -> bool:
    """Record what a pledge is owed back, once per pledge (False when it already was)."""
    if session.scalar(select(RefundRow.id).where(RefundRow.pledge_id == values["pledge_id"])) is not None:
        return False
    session.add(RefundRow(**values))
    session.flush()
    return True


def refunds(session: Session, campaign_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(RefundRow).where(RefundRow.campaign_id == campaign_id).order_by(RefundRow.id))
    return [{"zone_id": r.zone_id, "pledge_id": r.pledge_id, "reason": r.reason, "deposit_cents": r.deposit_cents,
             "shares_cents": r.shares_cents, "voucher_cents": r.voucher_cents, "created_at": r.created_at}
            for r in rows]


def row_counts(session: Session) -> dict[str, int]:
    """How many rows each campaign table holds (tests check that a refused request wrote nothing)."""
    tables = {"campaigns": CampaignRow, "zones": ZoneRow, "pledges": PledgeRow, "tokens": PledgeTokenRow,
              "refunds": RefundRow, "mail": MailRow}
    return {name: int(session.scalar(select(func.count()).select_from(table)) or 0) for name, table in tables.items()}
