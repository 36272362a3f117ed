"""push_configs / plan_changes / recover_at_start: the engine's entry points, on a real store.

The routers are `sim` routers, reached by name through the driver registry: the tests register their
own `sim` (one `SimDriver` per router name, kept across pushes) to look at what the routers run."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dev_scenarios as scenarios
import pytest

from unilink.devices.device_intent import build_device_intents
from unilink.devices.diff import diff_configs
from unilink.devices.drivers.registry import using_driver
from unilink.devices.drivers.sim import SimDriver
from unilink.devices.journal import StoreJournal, last_committed
from unilink.devices.push import plan_changes, push_configs, recover_at_start
from unilink.devices.render import RenderedConfig, render_for_router
from unilink.errors import ValidationError
from unilink.store.db import Store

ROUTERS = {r.name: r for r in scenarios.ROUTERS}


@pytest.fixture
def sim_driver() -> Iterator[Callable[[str], SimDriver]]:
    """The test's simulated router of a name (created on first use), which every default driver of
    `push_configs` and `recover_at_start` reaches as `sim` in the registry."""
    devices: dict[str, SimDriver] = {}

    def device(name: str, running: RenderedConfig | None = None) -> SimDriver:
        if name not in devices:
            devices[name] = SimDriver(name, initial=running)
        return devices[name]

    with using_driver("sim", lambda router, running: device(router.name, running)):
        yield device


def _render(state) -> dict:
    atts, vpns, elines = state()
    intents = build_device_intents(scenarios.ROUTERS, atts, vpns, elines)
    return {name: render_for_router(ROUTERS[name], intent) for name, intent in intents.items()}


def test_first_push_then_a_rate_change_touches_only_changed_routers(store: Store,
                                                                   sim_driver: Callable[[str], SimDriver]) -> None:
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


def test_recover_at_start_undoes_an_interrupted_push(store: Store, sim_driver: Callable[[str], SimDriver]) -> None:
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
