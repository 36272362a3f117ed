"""After a zone is reached: design its connection and order the backhaul, once, by one process.

The confirm (or edit) transaction that reached the zone set `design_state = 'pending'` with
`reached_at`. Here, after that commit, `claim_design` moves it to 'claimed' with a conditional UPDATE:
only one caller — this process's confirmation, another process's, or a scheduler round — wins it and
goes on to `usecases.coop_design.design` and `order_design`; the others return at once. So a retry or a
second process never designs, nor orders, twice.

A designer that cannot run at all (its module fails to import, a bug before the design exists) gives the
claim back ('pending'): the next scheduler round tries again. Once a design exists, nothing is retried
by itself: an order that failed ('order_failed') is the coop manager's to order again by hand (the
design is kept), because an automatic retry could order twice.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from unilink.coop import geo
from unilink.errors import UnilinkError
from unilink.events import change_events
from unilink.events.outbox_delivery import deliver_pending
from unilink.store import campaign_repo

log = logging.getLogger(__name__)


def resume_designs(store: Any, *, now: datetime | None = None) -> int:
    """Design every reached zone still owed a design (its confirming process could not); how many ran."""
    with store.session() as session:
        zone_ids = campaign_repo.pending_designs(session)
    return sum(1 for zone_id in zone_ids if design_zone(store, zone_id, now=now))


def design_zone(store: Any, zone_id: int, *, now: datetime | None = None) -> bool:
    """Claim the zone's design and run it (design, then order the best candidate); False if another
    caller had it."""
    now = now or store.clock.now()
    with store.session(write=True) as session:
        if not campaign_repo.claim_design(session, zone_id):
            return False
        zone = campaign_repo.zone(session, zone_id)
        found = campaign_repo.campaign_by_id(session, zone["campaign_id"])
        members = campaign_repo.pledges(session, found["id"], zone_id=zone_id, status="confirmed")
    try:
        from unilink.usecases import coop_design

        design = _design(coop_design, store, zone, found, members, now)
    except UnilinkError as exc:  # the designer refused this area (no candidate, bad input): say so, once
        _finish(store, found, zone, now, state="infeasible", error=str(exc), topic="campaign.design_infeasible",
                data={"bottleneck": exc.to_dict()})
        return True
    except Exception as exc:  # noqa: BLE001 - no design exists yet: give the claim back for the next round
        log.exception("campaign %s zone %s: the design could not run", found["name"], zone["name"])
        with store.session(write=True) as session:
            campaign_repo.release_design(session, zone_id, f"{type(exc).__name__}: {exc}")
        return False
    if design.get("best") is None:
        _finish(store, found, zone, now, state="infeasible", design=design, topic="campaign.design_infeasible",
                data={"bottleneck": _bottlenecks(design)})
        return True
    _finish(store, found, zone, now, state="designed", design=design, topic="campaign.designed",
            data={"best": _summary(design)})
    _order(coop_design, store, found, zone, design, now)
    return True


def _design(coop_design: Any, store: Any, zone: dict[str, Any], found: dict[str, Any],
            members: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    return zone_design(store, zone, found, members, now, designer=coop_design)


def zone_design(store: Any, zone: dict[str, Any], found: dict[str, Any], members: list[dict[str, Any]],
                now: datetime, *, busy_hour_bps: int | None = None, peak_factor: float | None = None,
                members_count: int | None = None, designer: Any = None) -> dict[str, Any]:
    """The zone's connection designed on the live network for its confirmed `members` (their plans set
    the fastest-plan floor); `members_count` and the model's figures override what-if style."""
    if designer is None:
        from unilink.usecases import coop_design as designer
    rates = {p["name"]: p["down_bps"] for p in found["plans"]}
    # no confirmed member yet (a what-if before the target): size for every plan offered
    chosen = [rates[m["plan"]] for m in members if m["plan"] in rates] or sorted(set(rates.values()))
    where: dict[str, Any] = ({"communes": [zone["commune"]]} if zone["commune"]
                             else {"points": [geo.centroid(zone["polygon"])]})
    return dict(designer.design(store, members=members_count or len(members),
                                plan_rates_bps=chosen, busy_hour_bps=busy_hour_bps,
                                peak_factor=peak_factor, now=now, **where))


def _order(coop_design: Any, store: Any, found: dict[str, Any], zone: dict[str, Any], design: dict[str, Any],
           now: datetime) -> None:
    try:
        ordered = coop_design.order_design(store, found["tenant"], design, candidate=None,
                                           site_name=f"backhaul-{zone['name']}", actor=f"campaign:{found['name']}",
                                           now=now)
    except Exception as exc:  # noqa: BLE001 - kept as order_failed: ordering again is the manager's call
        log.exception("campaign %s zone %s: ordering the design failed", found["name"], zone["name"])
        with store.session(write=True) as session:
            campaign_repo.update_zone(session, zone["id"], design_state="order_failed",
                                      design_error=f"{type(exc).__name__}: {exc}"[:2000])
        return
    record_order(store, found, zone, design, ordered, now)


def record_order(store: Any, found: dict[str, Any], zone: dict[str, Any], design: dict[str, Any],
                 ordered: dict[str, Any], now: datetime) -> None:
    """The zone is ordered: its design, plan and orders on the zone, and `campaign.ordered`, together."""
    order_ids = [str(o) for o in ordered.get("orders", [])]
    _finish(store, found, zone, now, state="ordered", design=design, plan_id=ordered.get("plan_id"),
            order_ids=order_ids, topic="campaign.ordered", data={"plan_id": ordered.get("plan_id"),
                                                                 "orders": order_ids})


def _finish(store: Any, found: dict[str, Any], zone: dict[str, Any], now: datetime, *, state: str, topic: str,
            data: dict[str, Any], **values: Any) -> None:
    """Record the step on the zone and its event (counts and figures only) in one transaction."""
    with store.session(write=True) as session:
        campaign_repo.update_zone(session, zone["id"], design_state=state,
                                  **{"design_error": values.pop("error", None), **values})
        change_events.record(session, topic, tenant=found["tenant"], at=now,
                             data={"campaign": found["name"], "zone": zone["name"], **data})
    deliver_pending(store)


def _summary(design: dict[str, Any]) -> dict[str, Any]:
    best = design["candidates"][design["best"]]
    keys = ("kind", "attach", "distance_km", "new_build_km", "backhaul_bps", "monthly_cents", "one_off_cents",
            "per_member_monthly_cents")
    return {key: best.get(key) for key in keys}


def _bottlenecks(design: dict[str, Any]) -> list[Any]:
    return [c.get("bottleneck") or c.get("reason") for c in design.get("candidates") or []]
