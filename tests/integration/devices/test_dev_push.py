"""push_configs / plan_changes / recover_at_start: the engine's entry points, on a real store."""

from __future__ import annotations

from collections.abc import Iterator

import dev_scenarios as scenarios
import pytest

from unilink.devices.device_intent import build_device_intents
from unilink.devices.diff import diff_configs
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.push import plan_changes, push_configs, recover_at_start, reset_sim_devices, sim_driver
from unilink.devices.render import render_for_router
from unilink.errors import ValidationError
from unilink.store.db import Store

ROUTERS = {r.name: r for r in scenarios.ROUTERS}


@pytest.fixture(autouse=True)
def _fresh_sim_devices() -> Iterator[None]:
    reset_sim_devices()
    yield
    reset_sim_devices()


def _render(state) -> dict:
    atts, vpns, elines = state()
    intents = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    return {name: render_for_router(ROUTERS[name], intent) for name, intent in intents.items()}


def test_first_push_then_a_rate_change_touches_only_changed_routers(store: Store) -> None:
    changes, result = push_configs(store, ROUTERS, _render(scenarios.base), actor="alice", reason="initial")
    assert result.ok and sorted(c.router for c in changes) == sorted(ROUTERS)
    assert sim_driver("par-pe1").running_config() == last_committed(store)["par-pe1"].full_text()

    after = _render(scenarios.rate_change)
    planned = plan_changes(store, {n: str(r.vendor) for n, r in ROUTERS.items()}, after)
    assert planned and all(c.added == c.removed for c in planned), "a rate change replaces lines one for one"
    changes, result = push_configs(store, ROUTERS, after)
    assert result.ok and [c.router for c in changes] == [c.router for c in planned]
    assert plan_changes(store, {}, after) == [], "nothing left to push"


def test_unknown_router_refused(store: Store) -> None:
    after = _render(scenarios.base)
    after["nowhere"] = after["par-pe1"]
    with pytest.raises(ValidationError) as err:
        push_configs(store, ROUTERS, after)
    assert err.value.value == "nowhere"


def test_recover_at_start_undoes_an_interrupted_push(store: Store) -> None:
    after = _render(scenarios.base)
    journal = StoreJournal(store)
    changes = [diff_configs(r, str(ROUTERS[r].vendor), None, after[r]) for r in ("fra-pe1", "par-pe1")]
    journal.begin("tx-crashed", changes, actor="t", reason="", plan_id=None)
    sim_driver("par-pe1").prepare(after["par-pe1"])  # the crash came after par-pe1's commit, before fra-pe1's
    sim_driver("par-pe1").commit()
    outcomes = recover_at_start(store, scenarios.ROUTERS)
    assert [(o.id, o.decision) for o in outcomes] == [("tx-crashed", "undone")]
    assert sim_driver("par-pe1").running_config() == "", "back to nothing managed (an empty junos rendering)"
    assert sim_driver("fra-pe1").running_config() == ""
    assert recover_at_start(store, scenarios.ROUTERS) == []
