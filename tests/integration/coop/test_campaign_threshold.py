"""Reaching a zone's target fires exactly once — one `campaign.reached` event, one design, one order —
when pledges confirm at the same moment from several PROCESSES, on SQLite (a file) and PostgreSQL.

The world is the sample backbone and the demo tenants (so the design finds a real attachment and the
order goes through the engine), a campaign with one zone of target 4, 2 pledges confirmed before, and
4 processes confirming one pledge each at once: the 2nd of them reaches the zone, 6 end confirmed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from campaign_world import CAMPAIGN, COOP, IN_WEST, body, links, open_test_campaign, pledge_and_confirm, topics

from unilink.clock import FrozenClock
from unilink.store import campaign_repo
from unilink.store.db import Store
from unilink.store.seed import seed_inventory, seed_tenants
from unilink.usecases import campaigns, tenant_views

CHILD = Path(__file__).with_name("confirm_child.py")
PROCESSES = 4
TARGET = 4


def _world(store: Store) -> list[str]:
    """The campaign, 2 confirmed pledges, and the confirm tokens of PROCESSES unconfirmed ones."""
    seed_inventory(store, False)
    seed_tenants(store, False)
    open_test_campaign(store, zones=[{"name": "west", "polygon": [[48.850, 1.750], [48.860, 1.750],
                                                                     [48.860, 1.765], [48.850, 1.765]],
                                      "homes_passed": 40, "homes_source": "test", "target": {"subscribers": TARGET}}])
    for k in (1, 2):
        pledge_and_confirm(store, k)
    tokens = []
    for k in range(10, 10 + PROCESSES):
        campaigns.pledge(store, CAMPAIGN, body(k, where=IN_WEST))
        tokens.append(links(store, f"resident{k}@example.org")["confirm"])
    return tokens


def _confirm_at_once(url: str, tokens: list[str], tmp_path: Path, now: str) -> list[dict[str, object]]:
    start = tmp_path / "start"
    env = {**os.environ, "CHILD_NOW": now}
    children = [subprocess.Popen([sys.executable, str(CHILD), url, token, str(start)], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for token in tokens]
    waited = time.monotonic() + 60
    while len(list(tmp_path.glob("start.*.ready"))) < len(children) and time.monotonic() < waited:
        time.sleep(0.01)  # every child imported and connected: then they all go on the same file appearing
    start.touch()
    results = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def _check_once(store: Store, results: list[dict[str, object]]) -> None:
    assert sorted(bool(r["zone_reached"]) for r in results) == [False] * (PROCESSES - 1) + [True]
    events = [t for t, _ in topics(store)]
    assert events.count("campaign.reached") == 1
    assert events.count("campaign.designed") == 1 and events.count("campaign.ordered") == 1, events
    with store.session() as session:
        found = campaign_repo.campaign(session, CAMPAIGN)
        assert found is not None
        (west,) = campaign_repo.zones(session, found["id"])
    assert west["confirmed"] == 2 + PROCESSES and west["design_state"] == "ordered"
    ordered = next(p for t, p in topics(store) if t == "campaign.ordered")
    coop_orders = {o["id"] for o in tenant_views.orders(store, COOP)}
    assert coop_orders == set(west["order_ids"]) == set(ordered["orders"]) and len(coop_orders) >= 1
    history = [h for h in tenant_views.history(store, COOP) if h.get("actor") == f"campaign:{CAMPAIGN}"]
    assert len(history) == 1  # one plan applied for the coop: one connection


def test_concurrent_confirmations_reach_once_on_sqlite(tmp_path: Path, frozen_clock: FrozenClock) -> None:
    url = f"sqlite:///{tmp_path / 'race.db'}"
    store = Store.open(url)
    try:
        tokens = _world(store)
        results = _confirm_at_once(url, tokens, tmp_path, frozen_clock.now().isoformat())
        _check_once(store, results)
    finally:
        store.close()


def test_concurrent_confirmations_reach_once_on_postgresql(pg_store: Store, tmp_path: Path,
                                                           frozen_clock: FrozenClock) -> None:
    tokens = _world(pg_store)
    url = pg_store.engine.url.render_as_string(hide_password=False)
    results = _confirm_at_once(url, tokens, tmp_path, frozen_clock.now().isoformat())
    _check_once(pg_store, results)
