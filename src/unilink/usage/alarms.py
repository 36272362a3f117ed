"""Usage alarms: a site whose traffic stays above a share of its committed rate for a while.

An episode per (tenant, site, direction), with hysteresis so that a rate hovering around the
threshold never flaps:

- **raised** once the rate has stayed at or above `raise_share` (90 %) of the committed rate for
  `hold` (15 minutes) — measured from the start of the first poll interval above, so three 5-minute
  polls above make 15 minutes; a shorter burst raises nothing;
- then nothing more while the episode lasts, however the rate moves above `clear_share` (80 %);
- **cleared** once the rate has stayed below `clear_share` for `hold`; the next episode may then
  raise again.

`step` is the pure rule. `AlarmWatch` applies it after each collector cycle (`Poller(after_cycle=…)`)
to the cycle's rates per site, keeps the states in the store (`usage_alarms`: a restarted collector
neither raises twice nor forgets to clear) and records `usage.alarm` / `usage.cleared` through the
outbox in the same transaction, delivered to webhooks and the event stream right after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from unilink.devices.counters import Counter
from unilink.errors import ValidationError
from unilink.events import change_events
from unilink.events.outbox_delivery import deliver_pending
from unilink.store import deployed_repo
from unilink.store import usage_alarms_repo as repo
from unilink.store.usage_alarms_repo import CLEAR, AlarmKey, AlarmState
from unilink.units import parse_bandwidth
from unilink.usage.collector import Delta

RULE_ENV = "UNILINK_USAGE_ALARM"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlarmRule:
    raise_share: float = 0.9
    clear_share: float = 0.8
    hold: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if not 0 < self.clear_share < self.raise_share:
            raise ValidationError("the clear level must be below the raise level", field=RULE_ENV,
                                  value=f"{self.raise_share:.0%}/{self.clear_share:.0%}",
                                  accepted="e.g. 90%/80%/15m (raise at, clear below, for how long)")


def parse_rule(value: str | None) -> AlarmRule:
    """"90%/80%/15m" → raise at 90 %, clear below 80 %, each held 15 minutes; empty: the defaults."""
    if value is None or not value.strip():
        return AlarmRule()
    accepted = "<raise %>/<clear %>/<minutes>m, e.g. 90%/80%/15m"
    try:
        raise_at, clear_at, minutes = (part.strip() for part in value.split("/"))
        rule = AlarmRule(float(raise_at.rstrip("%")) / 100, float(clear_at.rstrip("%")) / 100,
                         timedelta(minutes=float(minutes.rstrip("m"))))
    except ValueError:
        raise ValidationError("bad usage alarm rule", field=RULE_ENV, value=value, accepted=accepted) from None
    if rule.hold <= timedelta(0) or rule.raise_share > 10:
        raise ValidationError("bad usage alarm rule", field=RULE_ENV, value=value, accepted=accepted)
    return rule


def step(state: AlarmState, rate_bps: int, committed_bps: int, start: datetime, end: datetime,
         rule: AlarmRule) -> tuple[AlarmState, str | None]:
    """The next state after a measurement of `rate_bps` over [start, end), and "raised", "cleared" or
    None. A direction with no committed rate is never alarmed."""
    if committed_bps <= 0:
        return state, None
    if state.state == "clear":
        if rate_bps < rule.raise_share * committed_bps:
            return CLEAR, None
        since = state.since or start
        peak = max(state.peak_bps, rate_bps)
        if end - since >= rule.hold:
            return AlarmState("raised", None, end, peak), "raised"
        return AlarmState("clear", since, None, peak), None
    peak = max(state.peak_bps, rate_bps)
    if rate_bps >= rule.clear_share * committed_bps:
        return AlarmState("raised", None, state.raised_at, peak), None
    since = state.since or start
    if end - since >= rule.hold:
        return CLEAR, "cleared"
    return AlarmState("raised", since, state.raised_at, peak), None


@dataclass(frozen=True, slots=True)
class SiteRate:
    start: datetime
    end: datetime
    down_bps: int
    up_bps: int


def site_rates(deltas: Iterable[Delta]) -> dict[tuple[str, str], SiteRate]:
    """The cycle's rates per (tenant, site): every access port of the site summed."""
    out: dict[tuple[str, str], SiteRate] = {}
    for d in deltas:
        k = d.carries
        if k.kind != "site":
            continue
        found = out.get((k.tenant, k.site))
        if found is None:
            out[(k.tenant, k.site)] = SiteRate(d.start, d.end, d.rate_out_bps, d.rate_in_bps)
        else:
            out[(k.tenant, k.site)] = SiteRate(min(found.start, d.start), max(found.end, d.end),
                                               found.down_bps + d.rate_out_bps, found.up_bps + d.rate_in_bps)
    return out


def committed_rates(deployments: Iterable[tuple[str, dict[str, Any], Any]]) -> dict[tuple[str, str], dict[str, int]]:
    """(tenant, site) → {"down": bit/s, "up": bit/s}, the access rates of the deployed intents."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for tenant, document, _ in deployments:
        for site in (document or {}).get("sites", []):
            access = site.get("access", {})
            out[(tenant, site["name"])] = {d: parse_bandwidth(access.get(d) or 0) for d in ("down", "up")}
    return out


def evaluate(states: Mapping[AlarmKey, AlarmState], rates: Mapping[tuple[str, str], SiteRate],
             committed: Mapping[tuple[str, str], dict[str, int]], rule: AlarmRule
             ) -> tuple[list[tuple[AlarmKey, AlarmState]], list[tuple[AlarmKey, str, AlarmState, AlarmState, int]]]:
    """(states that changed, transitions as (key, "raised"/"cleared", before, after, rate)) — pure."""
    changed, moves = [], []
    for (tenant, site), rate in sorted(rates.items()):
        rates_of = committed.get((tenant, site))
        if rates_of is None:
            continue
        for direction, bps in (("down", rate.down_bps), ("up", rate.up_bps)):
            key = (tenant, site, direction)
            before = states.get(key, CLEAR)
            after, move = step(before, bps, rates_of[direction], rate.start, rate.end, rule)
            if after != before:
                changed.append((key, after))
            if move is not None:
                moves.append((key, move, before, after, bps))
    return changed, moves


def _event(key: AlarmKey, move: str, before: AlarmState, after: AlarmState, rate_bps: int, committed_bps: int,
           rule: AlarmRule, at: datetime) -> dict[str, Any]:
    tenant, site, direction = key
    data: dict[str, Any] = {"site": site, "direction": direction, "rate_bps": rate_bps,
                            "committed_bps": committed_bps, "hold_s": int(rule.hold.total_seconds())}
    if move == "raised":
        data.update(threshold_percent=round(rule.raise_share * 100, 1), raised_at=at.isoformat(),
                    above_since=(before.since or at).isoformat(), peak_bps=after.peak_bps)
    else:
        data.update(threshold_percent=round(rule.clear_share * 100, 1), peak_bps=before.peak_bps,
                    raised_at=before.raised_at.isoformat() if before.raised_at else None, cleared_at=at.isoformat())
    return data


def watch_from_env(store: Any) -> AlarmWatch:
    """The alarms a collector runs after each cycle, with the rule of `UNILINK_USAGE_ALARM` (or the defaults)."""
    import os

    return AlarmWatch(store, parse_rule(os.environ.get(RULE_ENV)))


class AlarmWatch:
    """The `after_cycle` hook of a `Poller`: evaluates the rule on the cycle's rates, in the store."""

    def __init__(self, store: Any, rule: AlarmRule | None = None, *, deliver: bool = True) -> None:
        self.store = store
        self.rule = rule or AlarmRule()
        self.deliver = deliver

    def __call__(self, readings: Sequence[Counter], deltas: Sequence[Delta], now: datetime) -> int:
        """Evaluate one cycle; how many alarms were raised or cleared."""
        rates = site_rates(deltas)
        if not rates:
            return 0
        with self.store.session(write=True) as session:
            committed = committed_rates(deployed_repo.deployments(session))
            changed, moves = evaluate(repo.states(session), rates, committed, self.rule)
            repo.save(session, changed, at=now)
            for key, move, before, after, bps in moves:
                topic = "usage.alarm" if move == "raised" else "usage.cleared"
                data = _event(key, move, before, after, bps, committed[key[:2]][key[2]], self.rule, now)
                change_events.record(session, topic, tenant=key[0], data=data, at=now)
        if moves and self.deliver:
            deliver_pending(self.store)
        return len(moves)
