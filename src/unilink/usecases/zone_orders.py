"""A coop manager's own look at a zone's connection: the design again with other figures (a what-if),
and "order this design" — the same order the automatic path places when the zone is reached
(`campaign_reach`), recorded on the zone the same way.

Only a reached zone is ordered: to build before the target, the manager lowers the target, which
reaches the zone through the one exactly-once path. Ordering takes the zone with a conditional UPDATE
from the state the manager's page showed (`campaign_repo.claim_order`): two clicks, two managers or a
manager racing the automatic design end with one order; a zone being designed automatically, or
already ordered, is a ConflictError. A refused order (an infeasible candidate, a stale design) gives
the zone back as it was: nothing changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from unilink.errors import ConflictError, UnilinkError, ValidationError
from unilink.store import campaign_repo
from unilink.usecases import campaign_reach, coop_design
from unilink.usecases.campaigns import visible_campaign, zone_named


def redesign_zone(store: Any, name: str, zone: str, *, tenant: str | None, busy_hour_bps: int | None = None,
                  peak_factor: float | None = None, members: int | None = None,
                  now: datetime | None = None) -> dict[str, Any]:
    """The zone's design: the recorded one while no figure is changed, else a fresh one on the live
    network with the figures given (changes nothing)."""
    now = now or store.clock.now()
    with store.session() as session:
        found = visible_campaign(session, name, tenant)
        row = zone_named(session, found, zone)
        confirmed = campaign_repo.pledges(session, found["id"], zone_id=row["id"], status="confirmed")
    if row["design"] and busy_hour_bps is None and peak_factor is None and members is None:
        return dict(row["design"])
    # sized for the target, or for the confirmed members when they are more: what the zone will need
    members = members or max(int(row["target_subscribers"]), len(confirmed), 1)
    return campaign_reach.zone_design(store, row, found, confirmed, now, busy_hour_bps=busy_hour_bps,
                                      peak_factor=peak_factor, members_count=members, designer=coop_design)


def order_zone(store: Any, name: str, zone: str, *, tenant: str | None, actor: str, candidate: int | None = None,
               busy_hour_bps: int | None = None, peak_factor: float | None = None,
               now: datetime | None = None) -> dict[str, Any]:
    """Order the zone's connection (its design's best candidate, or `candidate`), once; the engine's
    answer (`coop_design.order_design`) with the zone's new state."""
    now = now or store.clock.now()
    with store.session() as session:
        found = visible_campaign(session, name, tenant)
        row = zone_named(session, found, zone)
        confirmed = campaign_repo.count_confirmed(session, row["id"])
    _check_reached(row, confirmed)
    design = redesign_zone(store, name, zone, tenant=tenant, busy_hour_bps=busy_hour_bps, peak_factor=peak_factor,
                           now=now)
    _check_candidate(design, candidate)
    with store.session(write=True) as session:
        if not campaign_repo.claim_order(session, row["id"], row["design_state"]):
            raise ConflictError("this zone's connection is being designed or is ordered already", field="zone",
                                value=zone, accepted="a zone whose design is shown and not yet ordered")
    try:
        ordered = coop_design.order_design(store, found["tenant"], design, candidate=candidate,
                                           site_name=f"backhaul-{row['name']}", actor=actor, now=now)
    except UnilinkError:
        with store.session(write=True) as session:  # refused before anything was written: as it was
            campaign_repo.update_zone(session, row["id"], design_state=row["design_state"])
        raise
    campaign_reach.record_order(store, found, row, design, ordered, now)
    return {**ordered, "campaign": found["name"], "zone": row["name"], "state": "ordered"}


def _check_reached(row: dict[str, Any], confirmed: int) -> None:
    """Only a reached zone is ordered: to build before the target, lower the target (`edit_zone`), which
    reaches the zone through the one exactly-once path."""
    if row["expired_at"] is not None:
        raise ConflictError("this zone expired without reaching its target", field="zone", value=row["name"],
                            accepted="a reached zone (extend the campaign to collect again)")
    if row["reached_at"] is None:
        raise ConflictError(f"this zone has not reached its target ({confirmed} of {row['target_subscribers']})",
                            field="zone", value=row["name"],
                            accepted="a reached zone; to build anyway, lower its target to the members it has")


def _check_candidate(design: dict[str, Any], candidate: int | None) -> None:
    count = len(design.get("candidates") or [])
    if candidate is not None and not 0 <= candidate < count:
        raise ValidationError("no such candidate in the zone's design", field="candidate", value=candidate,
                              accepted=f"0 to {count - 1}" if count else "none: the design has no candidate")
