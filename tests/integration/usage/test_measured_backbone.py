"""The operator's backbone map beside what is booked: each link direction's rate at the last poll, from
the end that sends it, drawn as a second map (same colours) and listed in the busiest links; a link
last measured long ago shows nothing rather than a stale figure."""

from __future__ import annotations

from datetime import timedelta

from unilink.clock import FrozenClock
from unilink.store import usage_samples_repo as repo
from unilink.store.db import Store
from unilink.web.capacity import backbone_now, picture_svg
from usage_samples import deployed_store

G = 10**9


def _measure(store: Store, at_router: str, a_side: bool, out_bps: int, at: object) -> None:
    info = repo.SeriesInfo(at_router, "bb-Paris-London", "link", "", "", "", "Paris-London",
                           "ab" if a_side else "ba", "ba" if a_side else "ab")
    with store.session(write=True) as session:
        sid = repo.series_ids(session, [info])[(at_router, "bb-Paris-London")]
        repo.add_totals(session, [repo.TotalsWrite(sid, 0, 0, 123, out_bps, at)])  # type: ignore[arg-type]


def test_measured_use_per_link_direction_beside_the_booked(store: Store, frozen_clock: FrozenClock) -> None:
    deployed_store(store)
    now = frozen_clock.now()
    _measure(store, "par-pe1", True, 25 * G, now - timedelta(minutes=5))    # a→b sent by Paris
    _measure(store, "lon-pe1", False, 40 * G, now - timedelta(minutes=5))   # b→a sent by London
    link = next(lk for lk in backbone_now(store).links if lk.name == "Paris-London")
    # the in-octets of each end (123 bit/s here) are the other end's out: never counted twice
    assert (link.measured_ab_bps, link.measured_ba_bps) == (25 * G, 40 * G)
    assert link.measured_utilisation == 0.4 and link.reserved_ab_bps < 25 * G   # 100G link, 100M booked
    svg = picture_svg(store, "measured")
    assert "measured now" in svg and "max 40%" in svg


def test_a_stale_measurement_is_not_drawn(store: Store, frozen_clock: FrozenClock) -> None:
    deployed_store(store)
    _measure(store, "par-pe1", True, 25 * G, frozen_clock.now() - timedelta(hours=2))
    now = backbone_now(store)
    assert [lk.measured_ab_bps for lk in now.links] == [0] and now.measured_at is None
