"""Demand-aggregation campaigns, the use cases: open, pledge, confirm, withdraw, edit, extend, expire, the
manager's and the public views, the ledger, the CSV, the mail outbox. Called alike by the API, the
portal, the CLI and the scheduler (docs/campaigns.md).

Every function takes the store (its clock is the time it runs on unless `now` is given) and checks its
whole input before it writes anything: a ValidationError / NotFoundError / ConflictError leaves the
database as it was. What the world is told — `campaign.*` events, residents' mail — is written in the
change's own transaction (the event outbox, the mail outbox) and delivered after the commit.

Reaching a zone's target happens once (`_reach_if_due`, under the zone's lock); the one transaction that
reaches it also owes the design, which the one process that claims it runs after the commit
(`campaign_reach.design_zone`).
"""

from __future__ import annotations

import csv
import io
import logging
import os
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from unilink.coop import campaigns as domain
from unilink.coop import geo
from unilink.coop.pledges import mask_email, parse_pledge, token_hash
from unilink.errors import ConflictError, NotFoundError, ValidationError
from unilink.events import change_events
from unilink.events.mail import deliver_mail as _send_mail
from unilink.events.outbox_delivery import deliver_pending
from unilink.store import campaign_repo, mail_repo
from unilink.store.tenancy import find_tenant
from unilink.usecases import campaign_reach

PUBLIC_URL_ENV = "UNILINK_PUBLIC_URL"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
TOKEN_TTL = timedelta(days=7)
log = logging.getLogger(__name__)


def _now(store: Any, now: datetime | None) -> datetime:
    return now or store.clock.now()


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- opening and reading --------------------------------------------------------------------------------

def open_campaign(store: Any, spec: dict[str, Any], *, actor: str, now: datetime | None = None) -> dict[str, Any]:
    """Open a campaign for a cooperative tenant (`spec`: docs/campaigns.md); its manager view."""
    now = _now(store, now)
    parsed = domain.parse_spec(spec, now=now)
    with store.session(write=True) as session:
        tenant = find_tenant(session, parsed.tenant)
        if tenant is None:
            raise NotFoundError("no such tenant", field="tenant", value=parsed.tenant)
        if tenant.kind != "cooperative":
            raise ValidationError("only a cooperative runs a campaign", field="tenant", value=parsed.tenant,
                                  accepted="the name of a cooperative tenant")
        zones = [{"name": z.name, "commune": z.commune, "polygon": z.polygon, "homes_passed": z.homes_passed,
                  "homes_source": z.homes_source, "target_subscribers": z.target_subscribers,
                  "target_share": z.target_share, "build_cost_cents": z.build_cost_cents,
                  "deadline": parsed.deadline} for z in parsed.zones]
        campaign_repo.add_campaign(
            session, tenant_id=tenant.id, zones=zones, name=parsed.name, title=parsed.title,
            deadline=parsed.deadline, max_extensions=parsed.max_extensions,
            share_price_cents=parsed.share_price_cents, refund_rule=parsed.refund_rule,
            plans=[p.to_dict() for p in parsed.plans], created_at=now, created_by=actor)
    return manager_view(store, parsed.name, tenant=None, now=now)


def list_campaigns(store: Any, *, tenant: str | None, now: datetime | None = None) -> list[dict[str, Any]]:
    """The campaigns `tenant` runs (None: the operator's view, every campaign), as short summaries."""
    now = _now(store, now)
    with store.session() as session:
        names = campaign_repo.campaign_names(session, tenant=tenant)
    summaries = []
    for name in names:
        view = manager_view(store, name, tenant=tenant, now=now)
        summaries.append({key: view[key] for key in ("name", "title", "tenant", "status", "deadline")}
                         | {"zones": len(view["zones"]), "confirmed": sum(z["confirmed"] for z in view["zones"]),
                            "reached": sum(1 for z in view["zones"] if z["reached_at"] is not None)})
    return summaries


def visible_campaign(session: Any, name: str, tenant: str | None) -> dict[str, Any]:
    """The campaign, for the operator (tenant None) or its own coop; anyone else: not found, no hint."""
    found = campaign_repo.campaign(session, name)
    if found is None or (tenant is not None and found["tenant"] != tenant):
        raise NotFoundError("no such campaign", field="campaign", value=name)
    return found


def _zone_status(zone: dict[str, Any], now: datetime) -> str:
    # a zone past its deadline is expired from that instant, even before expire_due has recorded it
    if zone["reached_at"] is None and zone["expired_at"] is None and zone["deadline"] <= now:
        return "expired"
    return domain.zone_status(zone)


def manager_view(store: Any, name: str, *, tenant: str | None, now: datetime | None = None) -> dict[str, Any]:
    """Everything the coop manager (or the operator) sees of a campaign, zone by zone."""
    now = _now(store, now)
    with store.session() as session:
        found = visible_campaign(session, name, tenant)
        zones = campaign_repo.zones(session, found["id"])
    views = [_manager_zone(z, found["share_price_cents"], now) for z in zones]
    return {**_campaign_head(found, [z["status"] for z in views]), "zones": views}


def _campaign_head(found: dict[str, Any], statuses: list[str]) -> dict[str, Any]:
    return {"name": found["name"], "title": found["title"], "tenant": found["tenant"],
            "status": domain.campaign_status(statuses), "deadline": _iso(found["deadline"]),
            "extensions_used": found["extensions_used"], "max_extensions": found["max_extensions"],
            "share_price_cents": found["share_price_cents"], "refund_rule": found["refund_rule"],
            "plans": found["plans"]}


def _funds(zone: dict[str, Any], share_price_cents: int) -> dict[str, int]:
    shares_cents = zone["shares"] * share_price_cents
    return {"deposits_cents": zone["deposits_cents"], "shares": zone["shares"], "shares_cents": shares_cents,
            "vouchers_cents": zone["vouchers_cents"],
            "total_cents": zone["deposits_cents"] + shares_cents + zone["vouchers_cents"]}


def _manager_zone(zone: dict[str, Any], share_price_cents: int, now: datetime) -> dict[str, Any]:
    funds = _funds(zone, share_price_cents)
    cost = zone["build_cost_cents"]
    return {"name": zone["name"], "commune": zone["commune"], "polygon": zone["polygon"],
            "homes_passed": zone["homes_passed"], "homes_source": zone["homes_source"],
            "target_subscribers": zone["target_subscribers"], "target_share": zone["target_share"],
            "confirmed": zone["confirmed"], "unconfirmed": zone["unconfirmed"], "withdrawn": zone["withdrawn"],
            "progress": round(min(1.0, zone["confirmed"] / zone["target_subscribers"]), 4),
            "status": _zone_status(zone, now), "reached_at": _iso(zone["reached_at"]),
            "expired_at": _iso(zone["expired_at"]), "deadline": _iso(zone["deadline"]),
            "extensions_used": zone["extensions_used"], "funds": funds, "build_cost_cents": cost,
            "covered": 1.0 if cost == 0 else round(min(1.0, funds["total_cents"] / cost), 4),
            "design_state": zone["design_state"], "design": zone["design"], "design_error": zone["design_error"],
            "plan_id": zone["plan_id"], "order_ids": list(zone["order_ids"] or [])}


def public_view(store: Any, name: str, *, now: datetime | None = None) -> dict[str, Any]:
    """What anyone may see: per zone its area, homes passed, target, a k-anonymous count and what happens
    next; never a resident's name, e-mail, address or money."""
    now = _now(store, now)
    with store.session() as session:
        found = visible_campaign(session, name, None)
        zones = campaign_repo.zones(session, found["id"])
    views = [_public_zone(z, now) for z in zones]
    head = _campaign_head(found, [z["status"] for z in views])
    return {key: head[key] for key in ("name", "title", "tenant", "status", "deadline", "share_price_cents",
                                       "refund_rule", "plans")} | {"zones": views}


def _public_zone(zone: dict[str, Any], now: datetime) -> dict[str, Any]:
    status = _zone_status(zone, now)
    return {"name": zone["name"], "commune": zone["commune"], "polygon": zone["polygon"],
            "centre": list(geo.centroid(zone["polygon"])), "homes_passed": zone["homes_passed"],
            "homes_source": zone["homes_source"], "target_subscribers": zone["target_subscribers"],
            **domain.public_count(zone["confirmed"], zone["target_subscribers"]), "status": status,
            "deadline": _iso(zone["deadline"]),
            "next_step": domain.next_step(status, deadline=zone["deadline"], lead_time_days=_lead_time(zone))}


def _lead_time(zone: dict[str, Any]) -> int | None:
    design = zone["design"] or {}
    best = design.get("best")
    candidates = design.get("candidates") or []
    if best is None or not 0 <= best < len(candidates):
        return None
    days = candidates[best].get("lead_time_days")
    return int(days) if isinstance(days, int | float) else None


# -- pledging -------------------------------------------------------------------------------------------

def _zone_at(zones: list[dict[str, Any]], lat: float, lon: float) -> dict[str, Any]:
    """The zone holding (lat, lon); where zones overlap (neighbouring communes' hexagons), the one whose
    centre is nearest. Outside every zone: a ValidationError naming them."""
    holding = [z for z in zones if geo.contains(z["polygon"], lat, lon)]
    if not holding:
        raise ValidationError("this point is outside every zone of the campaign", field="lat", value=f"{lat}, {lon}",
                              accepted="a point inside one of: " + ", ".join(z["name"] for z in zones))
    return min(holding, key=lambda z: geo.distance_km(geo.centroid(z["polygon"]), (lat, lon)))


def _public_url() -> str:
    return (os.environ.get(PUBLIC_URL_ENV) or DEFAULT_PUBLIC_URL).rstrip("/")


def pledge(store: Any, name: str, body: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
    """A resident's pledge: written unconfirmed, with its confirmation mail (a single-use link)."""
    now = _now(store, now)
    with store.session(write=True) as session:
        found = visible_campaign(session, name, None)
        data = parse_pledge(body, {p["name"] for p in found["plans"]})
        zones = campaign_repo.zones(session, found["id"])
        zone = _zone_at(zones, data.lat, data.lon)
        if domain.campaign_status([_zone_status(z, now) for z in zones]) != "open":
            raise ConflictError("this campaign no longer takes pledges", field="campaign", value=name)
        if _zone_status(zone, now) == "expired":
            raise ConflictError("this zone's campaign ended", field="zone", value=zone["name"])
        campaign_repo.lapse_stale(session, found["id"], now)
        pledge_id = campaign_repo.add_pledge(
            session, public_id=secrets.token_hex(8), campaign_id=found["id"], zone_id=zone["id"], name=data.name,
            email=data.email, email_key=data.email, address=data.address, address_key=data.address_key,
            lat=data.lat, lon=data.lon, plan=data.plan, deposit_cents=data.deposit_cents, shares=data.shares,
            voucher_cents=data.voucher_cents, created_at=now)
        links = {purpose: _new_token(session, pledge_id, purpose, now) for purpose in ("confirm", "withdraw")}
        mail_repo.add(session, to=data.email, subject=f"Confirm your pledge: {found['title']}",
                      body=_confirmation_mail(found, zone["name"], data.name, data.plan, links), campaign=name,
                      at=now)
        public_id = campaign_repo.pledge(session, pledge_id)["public_id"]
    _send_mail_now(store)
    return {"pledge_id": public_id, "campaign": name, "zone": zone["name"], "status": "unconfirmed",
            "email_masked": mask_email(data.email)}


def _new_token(session: Any, pledge_id: int, purpose: str, now: datetime) -> str:
    """A fresh link token; only its SHA-256 is stored. The link is what the resident gets."""
    token = secrets.token_urlsafe(32)
    campaign_repo.add_token(session, pledge_id=pledge_id, purpose=purpose, token_sha256=token_hash(token),
                            expires_at=now + TOKEN_TTL)
    return token


def _confirmation_mail(found: dict[str, Any], zone: str, who: str, plan: str, tokens: dict[str, str]) -> str:
    base = f"{_public_url()}/c/{found['name']}"
    return (f"Hello {who},\n\n"
            f"You pledged to join \"{found['title']}\" (zone {zone}) with the plan {plan}.\n\n"
            f"Confirm your pledge (the link works once, for {TOKEN_TTL.days} days):\n"
            f"{base}/confirm?token={tokens['confirm']}\n\n"
            f"Until you confirm, your pledge does not count. Changed your mind? Withdraw it:\n"
            f"{base}/withdraw?token={tokens['withdraw']}\n\n"
            f"If you did not pledge, ignore this message: nothing counts without the confirmation.\n")


def _send_mail_now(store: Any) -> None:
    """After the commit: try the SMTP server now; a failure leaves the mail for the next round."""
    try:
        _send_mail(store)
    except Exception:  # noqa: BLE001 - the pledge is committed; the scheduler's round sends it later
        log.exception("sending the mail outbox failed; it stays pending")


def _bad_token() -> ValidationError:
    return ValidationError("this link is not valid: it was used already, has expired or is unknown", field="token",
                           accepted="the link of the latest e-mail, within 7 days, once")


def _spend(session: Any, token: object, purpose: str, now: datetime) -> dict[str, Any]:
    """The token's row, after spending it under its zone's lock; ValidationError (nothing changed) if it
    cannot be spent."""
    if not isinstance(token, str) or not 16 <= len(token) <= 128:
        raise _bad_token()
    found = campaign_repo.token(session, token_hash(token))
    if found is None or found["purpose"] != purpose or found["used_at"] is not None or found["expires_at"] <= now:
        raise _bad_token()
    zone = campaign_repo.lock_zone(session, found["zone_id"])  # before counting: see campaign_repo
    if not campaign_repo.use_token(session, found["id"], now):
        raise _bad_token()
    return {**found, "zone": zone}


def confirm_pledge(store: Any, token: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Confirm a pledge by its link: from now on it counts; the one confirmation that reaches the zone's
    target fires `campaign.reached` and designs the connection."""
    now = _now(store, now)
    with store.session(write=True) as session:
        spent = _spend(session, token, "confirm", now)
        zone = spent["zone"]
        if _zone_status(zone, now) == "expired":
            raise ConflictError("this zone's campaign ended before the confirmation", field="zone", value=zone["name"])
        if not campaign_repo.set_pledge_status(session, spent["pledge_id"], from_=("unconfirmed",), to="confirmed",
                                               at=now):
            raise _bad_token()  # withdrawn or lapsed meanwhile
        found = campaign_repo.campaign_by_id(session, spent["campaign_id"])
        reached = _reach_if_due(session, found, zone, now)
    _after_commit(store, [zone["id"]] if reached else [], now)
    return {"pledge_id": spent["public_id"], "campaign": found["name"], "zone": zone["name"],
            "status": "confirmed", "zone_reached": reached}


def _reach_if_due(session: Any, found: dict[str, Any], zone: dict[str, Any], now: datetime) -> bool:
    """Under the zone's lock: when the confirmed count meets the target and the zone was not reached, mark
    it reached (WHERE reached_at IS NULL) and record `campaign.reached` in this transaction. True once."""
    confirmed = campaign_repo.count_confirmed(session, zone["id"])
    if zone["reached_at"] is not None or confirmed < zone["target_subscribers"]:
        return False
    if not campaign_repo.mark_reached(session, zone["id"], now):
        return False
    change_events.record(session, "campaign.reached", tenant=found["tenant"], at=now, data={
        "campaign": found["name"], "zone": zone["name"], "confirmed": confirmed,
        "target_subscribers": zone["target_subscribers"], "homes_passed": zone["homes_passed"]})
    _mail_members(session, found, zone, now, subject=f"Target reached: {found['title']}",
                  text=domain.next_step("reached", deadline=zone["deadline"]))
    return True


def _mail_members(session: Any, found: dict[str, Any], zone: dict[str, Any], now: datetime, *, subject: str,
                  text: str) -> None:
    """Tell each confirmed pledge of the zone what happens next (residents hated the silence after signing)."""
    page = f"{_public_url()}/c/{found['name']}"
    for member in campaign_repo.pledges(session, found["id"], zone_id=zone["id"], status="confirmed"):
        mail_repo.add(session, to=member["email"], subject=subject, campaign=found["name"], at=now,
                      body=f"Hello {member['name']},\n\nZone {zone['name']}: {text}\n\nThe campaign: {page}\n")


def _after_commit(store: Any, reached_zone_ids: list[int], now: datetime) -> None:
    deliver_pending(store)
    for zone_id in reached_zone_ids:
        campaign_reach.design_zone(store, zone_id, now=now)
    _send_mail_now(store)


# -- withdrawing ----------------------------------------------------------------------------------------

def withdraw_pledge(store: Any, token: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Withdraw a pledge by its link: it stops counting and frees its e-mail and address."""
    now = _now(store, now)
    with store.session(write=True) as session:
        spent = _spend(session, token, "withdraw", now)
        found = campaign_repo.campaign_by_id(session, spent["campaign_id"])
        _withdraw(session, found, spent["pledge_id"], now)
    _send_mail_now(store)
    return {"pledge_id": spent["public_id"], "campaign": found["name"], "zone": spent["zone"]["name"],
            "status": "withdrawn"}


def withdraw_by_manager(store: Any, name: str, pledge_id: str, *, tenant: str | None, actor: str,
                        now: datetime | None = None) -> dict[str, Any]:
    """The coop manager withdraws a pledge (a resident asked by phone, a duplicate under two spellings)."""
    now = _now(store, now)
    with store.session(write=True) as session:
        found = visible_campaign(session, name, tenant)
        target = campaign_repo.pledge_by_public_id(session, found["id"], str(pledge_id))
        if target is None:
            raise NotFoundError("no such pledge in this campaign", field="pledge_id", value=pledge_id)
        zone = campaign_repo.lock_zone(session, target["zone_id"])
        _withdraw(session, found, target["id"], now)
    log.info("campaign %s: pledge %s withdrawn by %s", name, pledge_id, actor)
    return {"pledge_id": target["public_id"], "campaign": name, "zone": zone["name"], "status": "withdrawn"}


def _withdraw(session: Any, found: dict[str, Any], pledge_id: int, now: datetime) -> None:
    before = campaign_repo.pledge(session, pledge_id)
    if not campaign_repo.set_pledge_status(session, pledge_id, from_=("unconfirmed", "confirmed"), to="withdrawn",
                                           at=now):
        raise ConflictError("this pledge was withdrawn already", field="pledge_id", value=before["public_id"])
    if before["status"] == "confirmed":  # an unconfirmed pledge committed no money
        _owe_refund(session, found, before, "withdrawn", now)


def _owe_refund(session: Any, found: dict[str, Any], member: dict[str, Any], reason: str, now: datetime) -> bool:
    owed = domain.refund_of(member, found["share_price_cents"])
    if not any(owed.values()):
        return False
    return campaign_repo.add_refund(session, campaign_id=found["id"], zone_id=member["zone_id"],
                                    pledge_id=member["id"], reason=reason, created_at=now, **owed)


# -- the manager's changes ------------------------------------------------------------------------------

_EDITABLE = ("homes_passed", "homes_source", "target", "build_cost_cents")


def edit_zone(store: Any, name: str, zone: str, changes: dict[str, Any], *, tenant: str | None, actor: str,
              now: datetime | None = None) -> dict[str, Any]:
    """Correct a zone: homes passed with its source, the target, the build cost. A target lowered to the
    confirmed count or below reaches the zone (once, as a confirmation would)."""
    now = _now(store, now)
    if not isinstance(changes, dict) or not changes or set(changes) - set(_EDITABLE):
        raise ValidationError("unknown or no change", field="changes", value=str(changes)[:80],
                              accepted=", ".join(_EDITABLE))
    with store.session(write=True) as session:
        found = visible_campaign(session, name, tenant)
        current = zone_named(session, found, zone)
        locked = campaign_repo.lock_zone(session, current["id"])
        if _zone_status(locked, now) == "expired":
            raise ConflictError("this zone expired: it cannot change any more", field="zone", value=zone)
        values = _zone_changes(locked, changes, f"zones[{zone}]")
        campaign_repo.update_zone(session, locked["id"], **values)
        reached = _reach_if_due(session, found, {**locked, **values}, now)
    log.info("campaign %s zone %s edited by %s: %s", name, zone, actor, sorted(values))
    _after_commit(store, [locked["id"]] if reached else [], now)
    return manager_view(store, name, tenant=tenant, now=now)


def zone_named(session: Any, found: dict[str, Any], zone: str) -> dict[str, Any]:
    for candidate in campaign_repo.zones(session, found["id"]):
        if candidate["name"] == zone:
            return candidate
    raise NotFoundError("no such zone in this campaign", field="zone", value=zone)


def _zone_changes(zone: dict[str, Any], changes: dict[str, Any], where: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "homes_passed" in changes:
        if "homes_source" not in changes:
            raise ValidationError("a new count of homes passed needs its source", field=f"{where}.homes_source",
                                  value=None, accepted="where the count comes from")
        values["homes_passed"] = domain.count(changes["homes_passed"], f"{where}.homes_passed", 10_000_000)
        if values["homes_passed"] == 0:
            raise ValidationError("must be a whole number above 0", field=f"{where}.homes_passed", value=0)
    if "homes_source" in changes:
        source = changes["homes_source"]
        if not isinstance(source, str) or not source.strip() or len(source) > 300:
            raise ValidationError("must be 1-300 characters", field=f"{where}.homes_source", value=str(source)[:80])
        values["homes_source"] = source.strip()
    homes = values.get("homes_passed", zone["homes_passed"])
    if "target" in changes:
        values["target_subscribers"], values["target_share"] = domain.parse_target(
            changes["target"], homes, field=f"{where}.target")
    elif zone["target_share"] is not None and "homes_passed" in values:
        values["target_subscribers"] = domain.target_from_share(zone["target_share"], homes)
    elif zone["target_subscribers"] > homes:
        raise ValidationError("the target is more than the homes passed", field=f"{where}.homes_passed",
                              value=homes, accepted=f"at least the target, {zone['target_subscribers']}")
    if "build_cost_cents" in changes:
        values["build_cost_cents"] = domain.money(changes["build_cost_cents"], f"{where}.build_cost_cents")
    return values


def extend(store: Any, name: str, *, until: str, zone: str | None = None, tenant: str | None, actor: str,
           now: datetime | None = None) -> dict[str, Any]:
    """Move the deadline of the campaign (every zone still collecting) or of one zone to `until`; at most
    `max_extensions` times each."""
    now = _now(store, now)
    new_deadline = domain.parse_deadline(until, now=now, field="until")
    with store.session(write=True) as session:
        found = visible_campaign(session, name, tenant)
        if zone is not None:
            _extend_zone(session, found, zone_named(session, found, zone), new_deadline, now)
        else:
            _extend_campaign(session, found, new_deadline, now)
    log.info("campaign %s%s extended to %s by %s", name, f" zone {zone}" if zone else "", until, actor)
    return manager_view(store, name, tenant=tenant, now=now)


def _check_extension(used: int, maximum: int, deadline: datetime, until: datetime) -> None:
    if until <= deadline:
        raise ValidationError("an extension ends after the current deadline", field="until", value=_iso(until),
                              accepted=f"after {_iso(deadline)}")
    if used >= maximum:
        raise ConflictError("no extension left", field="until", value=_iso(until),
                            accepted=f"at most {maximum} extensions (used: {used})")


def _extend_zone(session: Any, found: dict[str, Any], zone: dict[str, Any], until: datetime, now: datetime) -> None:
    locked = campaign_repo.lock_zone(session, zone["id"])
    if _zone_status(locked, now) != "open":
        raise ConflictError("only a zone still collecting pledges can be extended", field="zone", value=zone["name"])
    _check_extension(locked["extensions_used"], found["max_extensions"], locked["deadline"], until)
    campaign_repo.update_zone(session, locked["id"], deadline=until, extensions_used=locked["extensions_used"] + 1)


def _extend_campaign(session: Any, found: dict[str, Any], until: datetime, now: datetime) -> None:
    _check_extension(found["extensions_used"], found["max_extensions"], found["deadline"], until)
    open_zones = [z for z in campaign_repo.zones(session, found["id"]) if _zone_status(z, now) == "open"]
    if not open_zones:
        raise ConflictError("no zone is still collecting pledges", field="campaign", value=found["name"])
    campaign_repo.update_campaign(session, found["id"], deadline=until, extensions_used=found["extensions_used"] + 1)
    for zone in open_zones:
        if zone["deadline"] < until:
            campaign_repo.update_zone(session, zone["id"], deadline=until,
                                      extensions_used=zone["extensions_used"] + 1)


# -- time: deadlines, pending designs, mail -------------------------------------------------------------

def expire_due(store: Any, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Zones past their deadline short of their target become expired, each with the refunds it owes
    (deposit + shares at par per pledge; vouchers back to the funder) and a `campaign.expired` event."""
    now = _now(store, now)
    expired = []
    with store.session(write=True) as session:
        campaigns: dict[int, dict[str, Any]] = {}
        for zone in campaign_repo.due_zones(session, now):
            if not campaign_repo.mark_expired(session, zone["id"], now):
                continue
            if zone["campaign_id"] not in campaigns:
                campaigns[zone["campaign_id"]] = campaign_repo.campaign_by_id(session, zone["campaign_id"])
            found = campaigns[zone["campaign_id"]]
            expired.append(_expire_zone(session, found, zone, now))
    if expired:
        deliver_pending(store)
        _send_mail_now(store)
    return expired


def _expire_zone(session: Any, found: dict[str, Any], zone: dict[str, Any], now: datetime) -> dict[str, Any]:
    members = campaign_repo.pledges(session, found["id"], zone_id=zone["id"], status="confirmed")
    owed = [domain.refund_of(m, found["share_price_cents"]) for m in members]
    refunds = sum(1 for m in members if _owe_refund(session, found, m, "expired", now))
    totals = {key: sum(o[key] for o in owed) for key in ("deposit_cents", "shares_cents", "voucher_cents")}
    summary = {"campaign": found["name"], "zone": zone["name"], "confirmed": len(members),
               "target_subscribers": zone["target_subscribers"], "refunds": refunds, **totals}
    change_events.record(session, "campaign.expired", tenant=found["tenant"], data=summary, at=now)
    _mail_members(session, found, zone, now, subject=f"Campaign ended: {found['title']}",
                  text=domain.next_step("expired", deadline=zone["deadline"]))
    return summary


def run_due(store: Any, *, now: datetime | None = None) -> dict[str, Any]:
    """The scheduler's share: expire what is due, design reached zones nobody designed (a process that
    could not), send the mail outbox."""
    now = _now(store, now)
    expired = expire_due(store, now=now)
    designed = campaign_reach.resume_designs(store, now=now)
    sent = _send_mail(store, now=now)
    return {"expired": len(expired), "designed": designed, "mail_sent": sent}


def deliver_mail(store: Any, *, now: datetime | None = None) -> int:
    """Send the pending mail over SMTP when `UNILINK_SMTP_HOST` is set (events.mail); how many were sent."""
    return _send_mail(store, now=now)


def mail_outbox(store: Any, *, limit: int = 100) -> list[dict[str, Any]]:
    """The newest mail, sent or not, for the operator: to, subject, body, times, attempts, last error."""
    with store.session() as session:
        rows = mail_repo.rows(session, limit=limit)
    return [{**row, "created_at": _iso(row["created_at"]), "sent_at": _iso(row["sent_at"])} for row in rows]


# -- the ledger and the CSV -----------------------------------------------------------------------------

def ledger(store: Any, name: str, *, tenant: str | None, now: datetime | None = None) -> dict[str, Any]:
    """Per zone and in total: confirmed subscribers against the target, committed money against the build
    cost, the refund rule and the refunds owed."""
    now = _now(store, now)
    with store.session() as session:
        found = visible_campaign(session, name, tenant)
        zones = campaign_repo.zones(session, found["id"])
        refunds = campaign_repo.refunds(session, found["id"])
    rows = [_ledger_zone(z, found["share_price_cents"], [r for r in refunds if r["zone_id"] == z["id"]], now)
            for z in zones]
    keys = ("target_subscribers", "confirmed", "build_cost_cents")
    totals: dict[str, Any] = {key: sum(r[key] for r in rows) for key in keys}
    totals["funds"] = {k: sum(r["funds"][k] for r in rows) for k in rows[0]["funds"]}
    totals["refunds_owed"] = {k: sum(r["refunds_owed"][k] for r in rows) for k in rows[0]["refunds_owed"]}
    return {"campaign": name, "refund_rule": found["refund_rule"], "share_price_cents": found["share_price_cents"],
            "zones": rows, "totals": totals}


def _ledger_zone(zone: dict[str, Any], price: int, refunds: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    owed = {k: sum(r[k] for r in refunds) for k in ("deposit_cents", "shares_cents", "voucher_cents")}
    return {"zone": zone["name"], "status": _zone_status(zone, now), "target_subscribers": zone["target_subscribers"],
            "confirmed": zone["confirmed"], "funds": _funds(zone, price), "build_cost_cents": zone["build_cost_cents"],
            "refunds_owed": {"pledges": len(refunds), **owed,
                             "to_residents_cents": owed["deposit_cents"] + owed["shares_cents"],
                             "to_funders_cents": owed["voucher_cents"]}}


CSV_COLUMNS = ("pledge_id", "zone", "name", "email", "address", "lat", "lon", "plan", "status", "deposit_cents",
               "shares", "shares_cents", "voucher_cents", "created_at", "confirmed_at", "withdrawn_at")


def pledges(store: Any, name: str, *, tenant: str | None) -> list[dict[str, Any]]:
    """Every pledge of the campaign (the CSV_COLUMNS of each), for the coop manager (personal data:
    never on a public page)."""
    with store.session() as session:
        found = visible_campaign(session, name, tenant)
        zones = {z["id"]: z["name"] for z in campaign_repo.zones(session, found["id"])}
        rows = campaign_repo.pledges(session, found["id"])
    return [dict(zip(CSV_COLUMNS, (
        p["public_id"], zones[p["zone_id"]], p["name"], p["email"], p["address"], p["lat"], p["lon"], p["plan"],
        p["status"], p["deposit_cents"], p["shares"], p["shares"] * found["share_price_cents"], p["voucher_cents"],
        _iso(p["created_at"]), _iso(p["confirmed_at"]), _iso(p["withdrawn_at"])), strict=True)) for p in rows]


def pledges_csv(store: Any, name: str, *, tenant: str | None) -> str:
    """`pledges` as CSV, each cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in pledges(store, name, tenant=tenant):
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: object) -> object:
    # a resident's "=HYPERLINK(…)" must stay text when the manager opens the file in a spreadsheet
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
