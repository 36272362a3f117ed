"""A cooperative's members, plans, lines and subscriptions (pure: no I/O).

A **member** is a household (name, e-mail, address). A **plan** is the coop's own offer (down/up
bit/s, a monthly price in euro cents). A **line** is the member's port on the coop's access
network: an access router of the backbone and its member-facing port, with the line's ceiling
(what the fibre or copper carries). A **subscription** puts a member's plan on a line and moves

    requested → active → suspended → active … → ended        (requested → ended: withdrawn)

with the time of each step from the store's clock. A line carries one open subscription
(requested, active or suspended) at a time. Rates on the network: an active subscription is shaped
at its plan, a suspended one at the coop's trickle rate (default 256 kbit/s, enough for the coop's
own pages and mail: what Splynx-style ISPs do to non-payers), an ended or requested one not at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from unilink.coop.pledges import normalise_email
from unilink.errors import ConflictError, ValidationError
from unilink.inventory.model import NAME_ACCEPTED, NAME_RE
from unilink.units import BANDWIDTH_ACCEPTED, format_bandwidth, parse_positive_bandwidth

STATES = ("requested", "active", "suspended", "ended")
OPEN_STATES = ("requested", "active", "suspended")
# state → the states it may move to
TRANSITIONS: Mapping[str, tuple[str, ...]] = {
    "requested": ("active", "ended"),
    "active": ("suspended", "ended"),
    "suspended": ("active", "ended"),
    "ended": (),
}
DEFAULT_TRICKLE_BPS = 256_000
MAX_NAME = 200
MAX_ADDRESS = 300
MAX_PRICE_CENTS = 1_000_000  # €10,000 a month: a typo guard for a household plan, not a policy
PORT_ACCEPTED = "1-15 characters: letters, digits, _ . - (a Linux name fits every vendor)"
_PORT_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


@dataclass(frozen=True, slots=True)
class MemberInput:
    name: str
    email: str  # normalised
    address: str


@dataclass(frozen=True, slots=True)
class PlanInput:
    name: str
    down_bps: int
    up_bps: int
    monthly_cents: int


@dataclass(frozen=True, slots=True)
class LineInput:
    name: str
    router: str
    port: str
    ceiling_down_bps: int
    ceiling_up_bps: int


def _text(raw: object, field: str, maximum: int) -> str:
    if not isinstance(raw, str) or not raw.strip() or len(raw.strip()) > maximum or any(c in raw for c in "\r\n\0"):
        raise ValidationError("missing or too long", field=field, value=str(raw)[:80] if raw is not None else None,
                              accepted=f"1-{maximum} characters on one line")
    return raw.strip()


def _name(raw: object, field: str) -> str:
    if not isinstance(raw, str) or not NAME_RE.match(raw):
        raise ValidationError("not a valid name", field=field, value=raw if isinstance(raw, str) else None,
                              accepted=NAME_ACCEPTED)
    return raw


def _rate(raw: object, field: str) -> int:
    try:
        return parse_positive_bandwidth(raw, field=field)  # type: ignore[arg-type]
    except ValidationError:
        raise ValidationError("not a bandwidth", field=field, value=raw if isinstance(raw, int | str) else None,
                              accepted=f"{BANDWIDTH_ACCEPTED}, greater than zero") from None


def check_member(name: object, email: object, address: object) -> MemberInput:
    try:
        mail = normalise_email(email)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="member.email", value=exc.value, accepted=exc.accepted) from None
    return MemberInput(_text(name, "member.name", MAX_NAME), mail, _text(address, "member.address", MAX_ADDRESS))


def check_plan(name: object, down: object, up: object, monthly_cents: object) -> PlanInput:
    if isinstance(monthly_cents, bool) or not isinstance(monthly_cents, int) \
            or not 0 <= monthly_cents <= MAX_PRICE_CENTS:
        raise ValidationError("not a monthly price in cents", field="plan.monthly_cents", value=monthly_cents,
                              accepted=f"an integer number of euro cents from 0 to {MAX_PRICE_CENTS}, e.g. 2900")
    return PlanInput(_name(name, "plan.name"), _rate(down, "plan.down"), _rate(up, "plan.up"), monthly_cents)


def check_line(name: object, router: object, port: object, ceiling_down: object, ceiling_up: object) -> LineInput:
    if not isinstance(port, str) or not 1 <= len(port) <= 15 or not set(port) <= _PORT_CHARS or port[0] in ".-":
        raise ValidationError("not a port name", field="line.port", value=port if isinstance(port, str) else None,
                              accepted=PORT_ACCEPTED)
    return LineInput(_name(name, "line.name"), _name(router, "line.router"), port,
                     _rate(ceiling_down, "line.ceiling_down"), _rate(ceiling_up, "line.ceiling_up"))


def check_fits_line(plan: PlanInput, line: LineInput, *, field: str = "plan") -> None:
    """A plan is sold on a line only within the line's ceiling, both ways."""
    ways = (("down", plan.down_bps, line.ceiling_down_bps), ("up", plan.up_bps, line.ceiling_up_bps))
    for way, want, ceiling in ways:
        if want > ceiling:
            raise ValidationError(
                f"plan {plan.name} is over the ceiling of line {line.name} ({way} {format_bandwidth(want)} > "
                f"{format_bandwidth(ceiling)})", field=field, value=plan.name,
                accepted=f"a plan with down ≤ {format_bandwidth(line.ceiling_down_bps)} and "
                         f"up ≤ {format_bandwidth(line.ceiling_up_bps)}")


def check_transition(state: str, to: str, *, subscription: int) -> None:
    if to not in STATES:
        raise ValidationError("unknown state", field="state", value=to, accepted=", ".join(STATES))
    if to not in TRANSITIONS[state]:
        raise ConflictError(f"subscription {subscription} is {state}: it cannot become {to}", field="state",
                            value=to, accepted=", ".join(TRANSITIONS[state]) or "nothing (it has ended)")


def shaped_rates(state: str, plan_down: int, plan_up: int, trickle_bps: int) -> tuple[int, int] | None:
    """The rates a subscription is held at on the network: the plan when active, the trickle (never
    above the plan) when suspended, nothing otherwise (the line is not configured)."""
    if state == "active":
        return plan_down, plan_up
    if state == "suspended":
        return min(trickle_bps, plan_down), min(trickle_bps, plan_up)
    return None


def check_trickle(raw: object) -> int:
    return _rate(raw, "trickle")


def subscriber_entry(*, line: str, router: str, port: str, down: int, up: int, suspended: bool,
                     ipv4: str | None, ipv4_ports: str | None, ipv6: str | None) -> dict[str, Any]:
    """One line of the coop's intent `subscribers` section (services.intent.SubscriberSpec)."""
    entry: dict[str, Any] = {"line": line, "router": router, "port": port, "down": down, "up": up}
    for key, value in (("ipv4", ipv4), ("ipv4_ports", ipv4_ports), ("ipv6", ipv6)):
        if value is not None:
            entry[key] = value
    if suspended:
        entry["suspended"] = True
    return entry


def rates_text(down_bps: int, up_bps: int) -> str:
    """"100M/50M": a subscription's rates for people."""
    return f"{format_bandwidth(down_bps)}/{format_bandwidth(up_bps)}"
