"""A cooperative's members' demand against its backhaul (pure), and the increase to offer.

    committed   = Σ the rates the members are shaped at (active: their plan; suspended: the trickle)
    busy hour   = active members × busy-hour rate per member × peak factor        (coop.sizing, no growth)
    needed      = max(busy hour, the fastest active plan)  — one member at full speed must fit
    load        = needed / backhaul rate

`committed` is what the coop has sold: it may exceed the backhaul many times over (members do not all
download at once — the busy-hour model says how much they do). The warning is on `load`: at
`WARN_AT` (80 %) the coop is told before it saturates, at 100 % it is saturated; the offer is the
smallest sellable rate of the Internet service (catalog.backhaul.sellable_rate) that brings `needed`
back under `WARN_AT`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from unilink.catalog.backhaul import sellable_rate
from unilink.coop.sizing import SizingModel
from unilink.errors import ValidationError

WARN_AT = 0.80


@dataclass(frozen=True, slots=True)
class MemberLoad:
    state: str        # active | suspended
    down_bps: int     # what the member is shaped at
    up_bps: int


@dataclass(frozen=True, slots=True)
class BackhaulLoad:
    backhaul_bps: int
    members: int            # active members (the busy-hour model counts those)
    suspended: int
    committed_down_bps: int
    committed_up_bps: int
    busy_hour_bps: int
    fastest_bps: int
    needed_bps: int
    load: float             # needed / backhaul
    status: str             # ok | warning | saturated
    offer_bps: int | None   # the backhaul to buy, None while under WARN_AT

    def to_dict(self) -> dict[str, object]:
        return {"backhaul_bps": self.backhaul_bps, "members": self.members, "suspended": self.suspended,
                "committed_down_bps": self.committed_down_bps, "committed_up_bps": self.committed_up_bps,
                "busy_hour_bps": self.busy_hour_bps, "fastest_plan_bps": self.fastest_bps,
                "needed_bps": self.needed_bps, "load_percent": round(self.load * 100, 1), "status": self.status,
                "warn_at_percent": round(WARN_AT * 100), "offer_bps": self.offer_bps}


def backhaul_load(backhaul_bps: int, members: Sequence[MemberLoad], model: SizingModel | None = None,
                  *, warn_at: float = WARN_AT) -> BackhaulLoad:
    if isinstance(backhaul_bps, bool) or not isinstance(backhaul_bps, int) or backhaul_bps <= 0:
        raise ValidationError("the backhaul has no rate", field="backhaul", value=backhaul_bps,
                              accepted="an Internet service with a rate > 0")
    if not 0 < warn_at <= 1:
        raise ValidationError("out of range", field="warn_at", value=warn_at, accepted="a share in (0, 1], e.g. 0.8")
    now = replace(model or SizingModel(), growth_per_year=0.0)  # today's busy hour: growth is the sizing's
    active = [m for m in members if m.state == "active"]
    busy = now.demand_bps(len(active)) if active else 0
    fastest = max((m.down_bps for m in active), default=0)
    needed = max(busy, fastest)
    load = needed / backhaul_bps
    status = "saturated" if load >= 1 else "warning" if load >= warn_at else "ok"
    offer = sellable_rate(math.ceil(needed / warn_at)) if status != "ok" else None
    if offer is not None and offer <= backhaul_bps:  # rounding: never offer what the coop already has
        offer = sellable_rate(backhaul_bps + 1)
    return BackhaulLoad(backhaul_bps=backhaul_bps, members=len(active),
                        suspended=sum(1 for m in members if m.state == "suspended"),
                        committed_down_bps=sum(m.down_bps for m in members),
                        committed_up_bps=sum(m.up_bps for m in members), busy_hour_bps=busy, fastest_bps=fastest,
                        needed_bps=needed, load=load, status=status, offer_bps=offer)
